/*
 * npy.c - the .npy reader and writer (see npy.h).
 *
 * Reading: the fixed preamble and the header are read and parsed first; the
 * size the header announces is compared with the bytes left in the file
 * (fstat) before the data buffer is allocated. The dict parser works on a
 * bounded buffer (pointer + end) and never reads past it.
 * Writing: the header is built in a small stack buffer, then header + data go
 * through the atomic writer.
 */
#define _POSIX_C_SOURCE 200809L
#include "io/npy.h"
#include "io/open_file.h"

#include "io/atomic_file.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c assumes a little-endian host"
#endif

static const char gan_npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

size_t gan_npy_dtype_size(gan_npy_dtype dtype) {
    switch (dtype) {
    case GAN_NPY_U8: return 1;
    case GAN_NPY_F32: return 4;
    }
    return 0;
}

void gan_npy_free(gan_npy *npy) {
    if (!npy) return;
    free(npy->data);
    memset(npy, 0, sizeof *npy);
}

/* Product of the shape times `elem`, refusing overflow and sizes above the
 * cap. Returns false when too large. */
static bool gan_npy_nbytes(int ndims, const int64_t *shape, size_t elem, uint64_t *nbytes) {
    uint64_t total = elem;
    for (int i = 0; i < ndims; i++) {
        uint64_t d = (uint64_t)shape[i];
        if (d && total > GAN_NPY_MAX_BYTES / d) return false;
        total *= d;
    }
    if (total > GAN_NPY_MAX_BYTES) return false;
    *nbytes = total;
    return true;
}

/* ---------------------------------------------------------------- writer */

gan_status gan_npy_write(const char *path, gan_npy_dtype dtype, int ndims, const int64_t *shape,
                         const void *data) {
    if (!path || !*path) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "npy: empty output path");
    size_t elem = gan_npy_dtype_size(dtype);
    if (!elem) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: unknown dtype %d", path, (int)dtype);
    if (ndims < 0 || ndims > GAN_NPY_MAX_DIMS)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: %d dimensions (expected 0..%d)", path,
                        ndims, GAN_NPY_MAX_DIMS);
    if (ndims > 0 && !shape) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: shape is NULL", path);
    for (int i = 0; i < ndims; i++)
        if (shape[i] < 0)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: dimension %d is negative (%" PRId64 ")",
                            path, i, shape[i]);
    uint64_t nbytes = 0;
    if (!gan_npy_nbytes(ndims, shape, elem, &nbytes))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: array is too large", path);
    if (nbytes && !data) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: data is NULL", path);

    /* Header: preamble (10) + dict + spaces + '\n', a multiple of 64 bytes. */
    char dict[256];
    int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                       dtype == GAN_NPY_U8 ? "|u1" : "<f4");
    for (int i = 0; i < ndims; i++)
        len += snprintf(dict + len, sizeof dict - (size_t)len, "%s%" PRId64, i ? ", " : "",
                        shape[i]);
    len += snprintf(dict + len, sizeof dict - (size_t)len, "%s), }", ndims == 1 ? "," : "");
    size_t total = 10 + (size_t)len + 1;
    size_t padded = (total + 63) / 64 * 64;
    uint8_t header[320];
    memcpy(header, gan_npy_magic, 6);
    header[6] = 1;
    header[7] = 0;
    size_t hlen = padded - 10;
    header[8] = (uint8_t)(hlen & 0xff);
    header[9] = (uint8_t)(hlen >> 8);
    memcpy(header + 10, dict, (size_t)len);
    memset(header + 10 + len, ' ', padded - 10 - (size_t)len - 1);
    header[padded - 1] = '\n';

    gan_atomic_file af;
    GAN_TRY(gan_atomic_open(&af, path));
    gan_status s = gan_atomic_write(&af, header, padded);
    if (s == GAN_OK && nbytes) s = gan_atomic_write(&af, data, (size_t)nbytes);
    if (s != GAN_OK) {
        gan_atomic_abort(&af);
        return s;
    }
    return gan_atomic_commit(&af);
}

/* ------------------------------------------------------------ dict parse */

/* A cursor over the header text [p, end). */
typedef struct gan_npy_cursor {
    const char *p, *end;
    const char *path;
} gan_npy_cursor;

static void gan_npy_skip_space(gan_npy_cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t')) c->p++;
}

/* Consume character `ch` (after optional spaces); false if absent. */
static bool gan_npy_accept(gan_npy_cursor *c, char ch) {
    gan_npy_skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* Parse a quoted string (' or ") of at most cap-1 characters into buf. */
static gan_status gan_npy_string(gan_npy_cursor *c, char *buf, size_t cap, const char *what) {
    gan_npy_skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return gan_fail(GAN_ERR_FORMAT, "%s: header: expected a quoted %s", c->path, what);
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || *c->p == '\n' || n + 1 >= cap)
            return gan_fail(GAN_ERR_FORMAT, "%s: header: unexpected %s", c->path, what);
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return gan_fail(GAN_ERR_FORMAT, "%s: header: unterminated string", c->path);
    c->p++;
    buf[n] = 0;
    return GAN_OK;
}

static gan_status gan_npy_parse_descr(gan_npy_cursor *c, gan_npy_dtype *dtype) {
    char s[32];
    GAN_TRY(gan_npy_string(c, s, sizeof s, "descr"));
    if (!strcmp(s, "|u1") || !strcmp(s, "<u1")) {
        *dtype = GAN_NPY_U8;
    } else if (!strcmp(s, "<f4")) {
        *dtype = GAN_NPY_F32;
    } else if (!strcmp(s, ">f4")) {
        return gan_fail(GAN_ERR_UNSUPPORTED,
                        "%s: big-endian float32 ('>f4') is not supported (expected '<f4')",
                        c->path);
    } else {
        return gan_fail(GAN_ERR_UNSUPPORTED,
                        "%s: dtype '%s' is not supported (expected '|u1' uint8 or '<f4' float32)",
                        c->path, s);
    }
    return GAN_OK;
}

static gan_status gan_npy_parse_fortran(gan_npy_cursor *c) {
    gan_npy_skip_space(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 5 && !memcmp(c->p, "False", 5)) {
        c->p += 5;
        return GAN_OK;
    }
    if (left >= 4 && !memcmp(c->p, "True", 4))
        return gan_fail(GAN_ERR_UNSUPPORTED,
                        "%s: Fortran-order arrays are not supported (save with C order)",
                        c->path);
    return gan_fail(GAN_ERR_FORMAT, "%s: header: fortran_order must be False or True", c->path);
}

/* A non-negative decimal integer below 2^62. */
static gan_status gan_npy_parse_int(gan_npy_cursor *c, int64_t *v) {
    gan_npy_skip_space(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return gan_fail(GAN_ERR_FORMAT, "%s: header: shape must hold non-negative integers",
                        c->path);
    int64_t x = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (x > ((int64_t)1 << 62) / 10)
            return gan_fail(GAN_ERR_FORMAT, "%s: header: a dimension is too large", c->path);
        x = x * 10 + (*c->p++ - '0');
    }
    *v = x;
    return GAN_OK;
}

/* A tuple: (), (a,), (a, b), (a, b,) ... */
static gan_status gan_npy_parse_shape(gan_npy_cursor *c, gan_npy *out) {
    if (!gan_npy_accept(c, '('))
        return gan_fail(GAN_ERR_FORMAT, "%s: header: shape must be a tuple", c->path);
    int n = 0;
    if (gan_npy_accept(c, ')')) {
        out->ndims = 0;
        return GAN_OK;
    }
    for (;;) {
        int64_t v = 0;
        GAN_TRY(gan_npy_parse_int(c, &v));
        if (n == GAN_NPY_MAX_DIMS)
            return gan_fail(GAN_ERR_UNSUPPORTED, "%s: more than %d dimensions are not supported",
                            c->path, GAN_NPY_MAX_DIMS);
        out->shape[n++] = v;
        bool comma = gan_npy_accept(c, ',');
        if (gan_npy_accept(c, ')')) {
            if (n == 1 && !comma)
                return gan_fail(GAN_ERR_FORMAT, "%s: header: shape (%" PRId64 ") is not a tuple",
                                c->path, v);
            break;
        }
        if (!comma) return gan_fail(GAN_ERR_FORMAT, "%s: header: bad shape tuple", c->path);
    }
    out->ndims = n;
    return GAN_OK;
}

/* Parse the whole header dict into out (dtype, ndims, shape). */
static gan_status gan_npy_parse_header(const char *path, const char *text, size_t len,
                                       gan_npy *out) {
    gan_npy_cursor c = {text, text + len, path};
    if (len == 0 || text[len - 1] != '\n')
        return gan_fail(GAN_ERR_FORMAT, "%s: header does not end with a newline", path);
    c.end--; /* the '\n' */
    if (!gan_npy_accept(&c, '{'))
        return gan_fail(GAN_ERR_FORMAT, "%s: header is not a dict", path);
    bool seen[3] = {false, false, false};
    static const char *keys[3] = {"descr", "fortran_order", "shape"};
    for (;;) {
        if (gan_npy_accept(&c, '}')) break;
        char key[32];
        GAN_TRY(gan_npy_string(&c, key, sizeof key, "key"));
        int k = 0;
        while (k < 3 && strcmp(key, keys[k]) != 0) k++;
        if (k == 3) return gan_fail(GAN_ERR_FORMAT, "%s: header: unknown key '%s'", path, key);
        if (seen[k]) return gan_fail(GAN_ERR_FORMAT, "%s: header: key '%s' twice", path, key);
        seen[k] = true;
        if (!gan_npy_accept(&c, ':'))
            return gan_fail(GAN_ERR_FORMAT, "%s: header: expected ':' after '%s'", path, key);
        if (k == 0) GAN_TRY(gan_npy_parse_descr(&c, &out->dtype));
        if (k == 1) GAN_TRY(gan_npy_parse_fortran(&c));
        if (k == 2) GAN_TRY(gan_npy_parse_shape(&c, out));
        if (gan_npy_accept(&c, ',')) continue;
        if (gan_npy_accept(&c, '}')) break;
        return gan_fail(GAN_ERR_FORMAT, "%s: header: expected ',' or '}' after '%s'", path, key);
    }
    for (int k = 0; k < 3; k++)
        if (!seen[k]) return gan_fail(GAN_ERR_FORMAT, "%s: header: key '%s' missing", path, keys[k]);
    gan_npy_skip_space(&c);
    if (c.p != c.end)
        return gan_fail(GAN_ERR_FORMAT, "%s: header: unexpected text after the dict", path);
    return GAN_OK;
}

/* ---------------------------------------------------------------- reader */

static gan_status gan_npy_read_exact(FILE *f, const char *path, void *buf, size_t n,
                                     const char *what) {
    if (n && fread(buf, 1, n, f) != n) {
        if (ferror(f)) return gan_fail(GAN_ERR_IO, "%s: read error: %s", path, strerror(errno));
        return gan_fail(GAN_ERR_FORMAT, "%s: truncated %s", path, what);
    }
    return GAN_OK;
}

/* Read and parse preamble + header; *data_offset gets where the data starts. */
static gan_status gan_npy_read_header(FILE *f, const char *path, gan_npy *out,
                                      uint64_t *data_offset) {
    uint8_t pre[12];
    GAN_TRY(gan_npy_read_exact(f, path, pre, 10, "header"));
    if (memcmp(pre, gan_npy_magic, 6) != 0)
        return gan_fail(GAN_ERR_FORMAT, "%s: not a .npy file (bad magic)", path);
    int major = pre[6], minor = pre[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0)
        return gan_fail(GAN_ERR_UNSUPPORTED, "%s: .npy version %d.%d is not supported", path,
                        major, minor);
    uint32_t hlen = (uint32_t)pre[8] | (uint32_t)pre[9] << 8;
    size_t pre_len = 10;
    if (major >= 2) {
        GAN_TRY(gan_npy_read_exact(f, path, pre + 10, 2, "header"));
        hlen |= (uint32_t)pre[10] << 16 | (uint32_t)pre[11] << 24;
        pre_len = 12;
    }
    if (hlen > GAN_NPY_MAX_HEADER)
        return gan_fail(GAN_ERR_FORMAT, "%s: header length %" PRIu32 " is too large", path, hlen);
    char *text = malloc(hlen + 1);
    if (!text) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot allocate the header", path);
    gan_status s = gan_npy_read_exact(f, path, text, hlen, "header");
    if (s == GAN_OK) {
        text[hlen] = 0;
        s = gan_npy_parse_header(path, text, hlen, out);
    }
    free(text);
    *data_offset = pre_len + hlen;
    return s;
}

gan_status gan_npy_read(const char *path, gan_npy *out) {
    if (!out) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "npy: output is NULL");
    memset(out, 0, sizeof *out);
    if (!path || !*path) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "npy: empty path");
    FILE *f;
    uint64_t file_size;
    GAN_TRY(gan_fopen_read_size(path, &f, &file_size));
    gan_npy hdr;
    memset(&hdr, 0, sizeof hdr);
    uint64_t offset = 0, nbytes = 0;
    gan_status s = gan_npy_read_header(f, path, &hdr, &offset);
    if (s == GAN_OK &&
        !gan_npy_nbytes(hdr.ndims, hdr.shape, gan_npy_dtype_size(hdr.dtype), &nbytes))
        s = gan_fail(GAN_ERR_FORMAT, "%s: array is too large (over %" PRIu64 " bytes)", path,
                     GAN_NPY_MAX_BYTES);
    if (s == GAN_OK && offset + nbytes > file_size)
        s = gan_fail(GAN_ERR_FORMAT,
                     "%s: truncated: the header announces %" PRIu64 " data bytes, the file "
                     "holds %" PRIu64,
                     path, nbytes, file_size - GAN_MIN(offset, file_size));
    if (s == GAN_OK && offset + nbytes < file_size)
        s = gan_fail(GAN_ERR_FORMAT, "%s: %" PRIu64 " bytes of trailing data after the array",
                     path, file_size - offset - nbytes);
    if (s == GAN_OK) {
        hdr.nbytes = (size_t)nbytes;
        hdr.data = malloc(nbytes ? (size_t)nbytes : 1);
        if (!hdr.data)
            s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %" PRIu64 " bytes", path,
                         nbytes);
    }
    if (s == GAN_OK) s = gan_npy_read_exact(f, path, hdr.data, hdr.nbytes, "data");
    fclose(f);
    if (s != GAN_OK) {
        gan_npy_free(&hdr);
        return s;
    }
    *out = hdr;
    return GAN_OK;
}
