/*
 * value.c - one word as a value of a key, strictly:
 *   integer  [-]digits, nothing else; then the range [lo, hi]
 *   number   [-](digits[.digits]|.digits)[(e|E)[+|-]digits], read with
 *            strtof (correctly rounded, so "0.2" is the float 0.2f); no
 *            "inf", "nan", hex or trailing junk; then the range
 *   u64      digits, at most 2^64 - 1
 *   bool     true | false
 *   choice   one of the key's words
 *   flags    "none" or the key's words joined by commas (gan_name_set_parse)
 */
#include "options.h"
#include "spec/syntax.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

/* Count the digits at *p and move past them. */
static size_t skip_digits(const char **p) {
    size_t n = 0;
    while (is_digit(**p)) (*p)++, n++;
    return n;
}

static bool is_decimal_number(const char *s) {
    if (*s == '-') s++;
    size_t whole = skip_digits(&s), frac = 0;
    if (*s == '.') s++, frac = skip_digits(&s);
    if (whole + frac == 0) return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') s++;
        if (skip_digits(&s) == 0) return false;
    }
    return *s == 0;
}

/* Digits of an integer word ([-]digits), or 0 if it is not one. */
static size_t integer_digits(const char *s) {
    if (*s == '-') s++;
    size_t n = skip_digits(&s);
    return *s == 0 ? n : 0;
}

void spec_value_describe(const spec_key *key, char *buf, size_t cap) {
    switch (key->kind) {
    case SPEC_INT:
        snprintf(buf, cap, "[%.0f, %.0f]", key->lo, key->hi);
        return;
    case SPEC_NUMBER:
        snprintf(buf, cap, "%c%g, %g%c", key->lo_open ? '(' : '[', key->lo, key->hi,
                 key->hi_open ? ')' : ']');
        return;
    case SPEC_U64:
        snprintf(buf, cap, "[0, 18446744073709551615]");
        return;
    case SPEC_BOOL:
        snprintf(buf, cap, "true or false");
        return;
    case SPEC_FLAGS:
    case SPEC_CHOICE: {
        size_t used = 0;
        buf[0] = 0;
        for (int i = 0; key->choices[i] && used < cap; i++)
            used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "",
                                     key->choices[i]);
        if (key->kind == SPEC_FLAGS && used < cap)
            snprintf(buf + used, cap - used, " (joined by commas) or none");
        return;
    }
    }
}

static bool out_of_range(const spec_key *key, const char *word, char *why, size_t cap) {
    char range[64];
    spec_value_describe(key, range, sizeof range);
    snprintf(why, cap, "%s is out of range %s", word, range);
    return false;
}

bool spec_value_parse(const spec_key *key, const char *word, gan_spec_value *v, char *why,
                      size_t cap) {
    memset(v, 0, sizeof *v);
    switch (key->kind) {
    case SPEC_INT: {
        size_t digits = integer_digits(word);
        if (digits == 0) {
            snprintf(why, cap, "'%s' is not an integer", word);
            return false;
        }
        if (digits > 18) return out_of_range(key, word, why, cap);
        long long x = strtoll(word, NULL, 10);
        if ((double)x < key->lo || (double)x > key->hi) return out_of_range(key, word, why, cap);
        v->i = x;
        return true;
    }
    case SPEC_NUMBER: {
        if (!is_decimal_number(word)) {
            snprintf(why, cap, "'%s' is not a number", word);
            return false;
        }
        float x = strtof(word, NULL);
        double d = x;
        if (!isfinite(x) || d < key->lo || d > key->hi || (key->lo_open && d == key->lo) ||
            (key->hi_open && d == key->hi))
            return out_of_range(key, word, why, cap);
        v->f = x;
        return true;
    }
    case SPEC_U64: {
        const char *s = word;
        size_t n = skip_digits(&s);
        errno = 0;
        unsigned long long x = n > 0 && *s == 0 ? strtoull(word, NULL, 10) : 0;
        if (n == 0 || *s) {
            snprintf(why, cap, "'%s' is not an unsigned integer", word);
            return false;
        }
        if (errno == ERANGE) return out_of_range(key, word, why, cap);
        v->u = x;
        return true;
    }
    case SPEC_BOOL:
        if (strcmp(word, "true") == 0 || strcmp(word, "false") == 0) {
            v->b = word[0] == 't';
            return true;
        }
        snprintf(why, cap, "'%s' is not true or false", word);
        return false;
    case SPEC_CHOICE:
        for (int i = 0; key->choices[i]; i++)
            if (strcmp(word, key->choices[i]) == 0) {
                v->e = i;
                return true;
            }
        char list[128];
        spec_value_describe(key, list, sizeof list);
        snprintf(why, cap, "'%s' is not one of: %s", word, list);
        return false;
    case SPEC_FLAGS: return gan_name_set_parse(key->choices, word, &v->e, why, cap);
    }
    snprintf(why, cap, "unknown kind of value");
    return false;
}
