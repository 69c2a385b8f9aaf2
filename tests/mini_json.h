/*
 * mini_json.h - a strict JSON (RFC 8259) checker for tests, header-only:
 * mini_json_valid() accepts exactly one value (whitespace around it) with
 * no trailing commas, no NaN/Infinity, no control characters in strings,
 * valid escapes and number grammar; mini_json_get() also finds the value
 * at a dotted path of object keys ("metrics.fid") and reports whether it is
 * a number (its value), null, or something else.
 */
#ifndef GAN_TESTS_MINI_JSON_H
#define GAN_TESTS_MINI_JSON_H

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { MINI_JSON_MISSING = 0, MINI_JSON_NUMBER, MINI_JSON_NULL, MINI_JSON_OTHER };

typedef struct mini_json {
    const char *s;
    size_t i;
    int depth;
    int kind;     /* of the value found at the path */
    double value; /* when kind == MINI_JSON_NUMBER */
} mini_json;

static inline void mini_json__ws(mini_json *j) {
    while (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' || j->s[j->i] == '\r')
        j->i++;
}

/* A string; when key/cap are given, its raw text (escapes kept) is copied. */
static inline bool mini_json__string(mini_json *j, char *key, size_t cap) {
    if (j->s[j->i] != '"') return false;
    size_t start = ++j->i;
    for (;;) {
        unsigned char c = (unsigned char)j->s[j->i];
        if (c == 0 || c < 0x20) return false;
        if (c == '"') break;
        if (c == '\\') {
            char e = j->s[++j->i];
            if (e == 'u') {
                for (int k = 1; k <= 4; k++)
                    if (!isxdigit((unsigned char)j->s[j->i + k])) return false;
                j->i += 4;
            } else if (!strchr("\"\\/bfnrt", e) || e == 0) {
                return false;
            }
        }
        j->i++;
    }
    if (key) {
        size_t len = j->i - start;
        if (len >= cap) len = cap - 1;
        memcpy(key, j->s + start, len);
        key[len] = 0;
    }
    j->i++;
    return true;
}

static inline bool mini_json__number(mini_json *j) {
    size_t i = j->i;
    const char *s = j->s;
    if (s[i] == '-') i++;
    if (s[i] == '0') i++;
    else if (s[i] >= '1' && s[i] <= '9') while (isdigit((unsigned char)s[i])) i++;
    else return false;
    if (s[i] == '.') {
        i++;
        if (!isdigit((unsigned char)s[i])) return false;
        while (isdigit((unsigned char)s[i])) i++;
    }
    if (s[i] == 'e' || s[i] == 'E') {
        i++;
        if (s[i] == '+' || s[i] == '-') i++;
        if (!isdigit((unsigned char)s[i])) return false;
        while (isdigit((unsigned char)s[i])) i++;
    }
    j->i = i;
    return true;
}

/* path: NULL = not on the path; "" = this value is the one wanted. */
static inline bool mini_json__value(mini_json *j, const char *path) {
    if (++j->depth > 64) return false;
    mini_json__ws(j);
    const char *s = j->s;
    size_t start = j->i;
    bool ok;
    if (s[j->i] == '{') {
        j->i++;
        mini_json__ws(j);
        if (s[j->i] == '}') j->i++, ok = true;
        else
            for (;;) {
                char key[256];
                mini_json__ws(j);
                if (!mini_json__string(j, key, sizeof key)) return false;
                mini_json__ws(j);
                if (s[j->i++] != ':') return false;
                const char *sub = NULL;
                size_t klen = strlen(key);
                if (path && *path && strncmp(path, key, klen) == 0 &&
                    (path[klen] == '.' || path[klen] == 0))
                    sub = path[klen] == '.' ? path + klen + 1 : "";
                if (!mini_json__value(j, sub)) return false;
                mini_json__ws(j);
                if (s[j->i] == ',') {
                    j->i++;
                    continue;
                }
                if (s[j->i] != '}') return false;
                j->i++;
                ok = true;
                break;
            }
    } else if (s[j->i] == '[') {
        j->i++;
        mini_json__ws(j);
        if (s[j->i] == ']') j->i++, ok = true;
        else
            for (;;) {
                if (!mini_json__value(j, NULL)) return false;
                mini_json__ws(j);
                if (s[j->i] == ',') {
                    j->i++;
                    continue;
                }
                if (s[j->i] != ']') return false;
                j->i++;
                ok = true;
                break;
            }
    } else if (s[j->i] == '"') {
        ok = mini_json__string(j, NULL, 0);
    } else if (strncmp(s + j->i, "true", 4) == 0 || strncmp(s + j->i, "null", 4) == 0) {
        j->i += 4, ok = true;
    } else if (strncmp(s + j->i, "false", 5) == 0) {
        j->i += 5, ok = true;
    } else {
        ok = mini_json__number(j);
    }
    if (ok && path && !*path) {
        if (strncmp(s + start, "null", 4) == 0) j->kind = MINI_JSON_NULL;
        else if (s[start] == '-' || isdigit((unsigned char)s[start])) {
            j->kind = MINI_JSON_NUMBER;
            j->value = strtod(s + start, NULL);
        } else {
            j->kind = MINI_JSON_OTHER;
        }
    }
    j->depth--;
    return ok;
}

/* Parse all of `text`; the kind (and value) of the value at `path` (may be
 * NULL) go to *kind / *value. Returns false for invalid JSON. */
static inline bool mini_json_get(const char *text, const char *path, int *kind, double *value) {
    mini_json j = {text, 0, 0, MINI_JSON_MISSING, 0.0};
    bool ok = mini_json__value(&j, path ? path : NULL);
    mini_json__ws(&j);
    ok = ok && text[j.i] == 0;
    if (kind) *kind = j.kind;
    if (value) *value = j.value;
    return ok;
}

static inline bool mini_json_valid(const char *text) {
    return mini_json_get(text, NULL, NULL, NULL);
}

#endif
