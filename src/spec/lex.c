/*
 * lex.c - a spec text as lines of words.
 *
 * Lines end with "\n" (or "\r\n"); the last line may lack one. A line holds
 * at most GAN_SPEC_MAX_LINE bytes. '#' starts a comment that runs to the end
 * of the line. Words are separated by spaces and tabs. The text must be
 * UTF-8 without control characters (tab aside); outside comments it must be
 * ASCII. Lines without words are skipped. Columns in messages count bytes
 * from 1.
 */
#include "spec/syntax.h"

#include <string.h>

void spec_lex_init(spec_lexer *lx, const char *origin, const char *text, size_t len) {
    *lx = (spec_lexer){.origin = origin, .text = text, .len = len};
}

/* Length of the well-formed UTF-8 sequence at p (n bytes left), 0 if none:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static int utf8_sequence(const unsigned char *p, size_t n, uint32_t *cp) {
    int len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 0;
    if (len == 0 || (size_t)len > n) return 0;
    uint32_t c = p[0] & (0x7F >> len);
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        c = c << 6 | (p[i] & 0x3F);
    }
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < least[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return len;
}

/* Check the bytes of one line (n bytes at p). */
static gan_status check_bytes(const spec_lexer *lx, const unsigned char *p, size_t n) {
    bool comment = false;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c == '#') comment = true;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t') || c == 0x7F)
                return spec_error(GAN_ERR_FORMAT, lx->origin, lx->line, "control character "
                                  "0x%02X at column %zu (only spaces and tabs separate words)",
                                  c, i + 1);
            i++;
            continue;
        }
        uint32_t cp;
        int k = utf8_sequence(p + i, n - i, &cp);
        if (k == 0)
            return spec_error(GAN_ERR_FORMAT, lx->origin, lx->line,
                              "invalid UTF-8 (byte 0x%02X) at column %zu", c, i + 1);
        if (!comment)
            return spec_error(GAN_ERR_FORMAT, lx->origin, lx->line, "character U+%04X at column "
                              "%zu: only comments may hold non-ASCII text", (unsigned)cp, i + 1);
        i += (size_t)k;
    }
    return GAN_OK;
}

gan_status spec_lex_next(spec_lexer *lx, spec_line *line, bool *got) {
    *got = false;
    while (lx->pos < lx->len) {
        size_t start = lx->pos;
        const char *nl = memchr(lx->text + start, '\n', lx->len - start);
        size_t end = nl ? (size_t)(nl - lx->text) : lx->len;
        lx->pos = nl ? end + 1 : lx->len;
        lx->line++;
        size_t n = end - start;
        if (nl && n > 0 && lx->text[end - 1] == '\r') n--;
        if (n > GAN_SPEC_MAX_LINE)
            return spec_error(GAN_ERR_FORMAT, lx->origin, lx->line, "line is too long (%zu "
                              "bytes; at most %d)", n, GAN_SPEC_MAX_LINE);
        const unsigned char *p = (const unsigned char *)lx->text + start;
        GAN_TRY(check_bytes(lx, p, n));

        memcpy(line->buf, p, n);
        line->buf[n] = 0;
        char *hash = strchr(line->buf, '#');
        if (hash) *hash = 0;
        line->n_words = 0;
        for (char *s = line->buf; *s;) {
            while (*s == ' ' || *s == '\t') *s++ = 0;
            if (!*s) break;
            if (line->n_words == SPEC_MAX_WORDS)
                return spec_error(GAN_ERR_FORMAT, lx->origin, lx->line,
                                  "more than %d words on one line", SPEC_MAX_WORDS);
            line->words[line->n_words++] = s;
            while (*s && *s != ' ' && *s != '\t') s++;
        }
        if (line->n_words == 0) continue;
        line->number = lx->line;
        *got = true;
        return GAN_OK;
    }
    return GAN_OK;
}
