/*
 * safetensors.c - safetensors writer and validating reader (see
 * io/safetensors.h for the format and the invariants a valid file meets).
 *
 * Reader structure: the whole file is read into one buffer (8 spare bytes at
 * its end); the JSON header is parsed by a small strict, schema-directed
 * parser (no general JSON values: the top level is an object of tensor
 * entries plus "__metadata__"), whose strings are decoded into one pool of
 * N + 1 bytes (a decoded string plus its NUL never exceeds its quoted JSON
 * form, so the pool cannot overflow). After parsing, tensors are checked for
 * duplicate names (sorted by name) and for tiling the data section (sorted by
 * offset). Finally the data section is moved to an 8-byte aligned address
 * and any tensor still misaligned for its element size gets its own copy.
 * Every problem is reported as GAN_ERR_FORMAT "PATH: <problem>".
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* madvise */
#include "io/safetensors.h"
#include "io/sniff.h"
#include "io/open_file.h"

#include "io/atomic_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c stores tensor data as-is and needs a little-endian host"
#endif

/* ---------------------------------------------------------------- dtypes */

static const struct {
    const char *name;
    size_t size;
} gan_st_dtypes[GAN_ST_DTYPE_COUNT] = {
    [GAN_ST_BOOL] = {"BOOL", 1},     [GAN_ST_U8] = {"U8", 1},
    [GAN_ST_I8] = {"I8", 1},         [GAN_ST_F8_E5M2] = {"F8_E5M2", 1},
    [GAN_ST_F8_E4M3] = {"F8_E4M3", 1}, [GAN_ST_U16] = {"U16", 2},
    [GAN_ST_I16] = {"I16", 2},       [GAN_ST_F16] = {"F16", 2},
    [GAN_ST_BF16] = {"BF16", 2},     [GAN_ST_U32] = {"U32", 4},
    [GAN_ST_I32] = {"I32", 4},       [GAN_ST_F32] = {"F32", 4},
    [GAN_ST_U64] = {"U64", 8},       [GAN_ST_I64] = {"I64", 8},
    [GAN_ST_F64] = {"F64", 8},
};

const char *gan_st_dtype_name(gan_st_dtype dtype) {
    return (unsigned)dtype < GAN_ST_DTYPE_COUNT ? gan_st_dtypes[dtype].name : "?";
}

size_t gan_st_dtype_size(gan_st_dtype dtype) {
    return (unsigned)dtype < GAN_ST_DTYPE_COUNT ? gan_st_dtypes[dtype].size : 0;
}

static bool gan_st_dtype_parse(const char *s, gan_st_dtype *out) {
    for (int i = 0; i < GAN_ST_DTYPE_COUNT; i++)
        if (strcmp(s, gan_st_dtypes[i].name) == 0) {
            *out = (gan_st_dtype)i;
            return true;
        }
    return false;
}

/* --------------------------------------------------------------- helpers */

static char *gan_st_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool gan_st_utf8_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1Fu, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0Fu, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07u, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len) return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (s[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

/* Product of dims (all >= 0) times elem_size, or false on uint64 overflow. */
static bool gan_st_shape_bytes(int ndims, const int64_t *shape, size_t elem_size,
                               uint64_t *bytes) {
    uint64_t n = elem_size;
    for (int i = 0; i < ndims; i++)
        if (shape[i] == 0) n = 0;
    for (int i = 0; i < ndims && n; i++) {
        uint64_t d = (uint64_t)shape[i];
        if (n > UINT64_MAX / d) return false;
        n *= d;
    }
    *bytes = n;
    return true;
}

/* "[3, 4]" into buf. */
static void gan_st_format_shape(char *buf, size_t cap, int ndims, const int64_t *shape) {
    size_t len = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndims && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (len < cap) snprintf(buf + len, cap - len, "]");
}

/* A copy of a (possibly hostile) name fit for a one-line message. */
static const char *gan_st_printable(char *buf, size_t cap, const char *s) {
    size_t i = 0;
    for (; s[i] && i + 4 < cap; i++) buf[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
    if (s[i]) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = 0;
    return buf;
}

/* ------------------------------------------------------- string builder */

typedef struct gan_st_buf {
    char *p;
    size_t len, cap;
    bool oom;
} gan_st_buf;

static void gan_st_buf_put(gan_st_buf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void gan_st_buf_puts(gan_st_buf *b, const char *s) { gan_st_buf_put(b, s, strlen(s)); }

static void gan_st_buf_put_u64(gan_st_buf *b, uint64_t v) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    gan_st_buf_puts(b, tmp);
}

/* A JSON string literal: quotes, backslashes and control characters escaped. */
static void gan_st_buf_put_json_string(gan_st_buf *b, const char *s) {
    gan_st_buf_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            gan_st_buf_put(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            gan_st_buf_put(b, esc, 6);
        } else {
            gan_st_buf_put(b, (const char *)&c, 1);
        }
    }
    gan_st_buf_put(b, "\"", 1);
}

/* ---------------------------------------------------------------- writer */

typedef struct gan_st_wtensor {
    char *name;
    gan_st_dtype dtype;
    int ndims;
    int64_t shape[GAN_ST_MAX_DIMS];
    const void *data;
    size_t nbytes;
} gan_st_wtensor;

struct gan_st_writer {
    gan_st_wtensor *tensors;
    size_t n, cap;
    char **keys, **values; /* metadata, insertion order */
    size_t n_meta, cap_meta;
};

gan_status gan_st_writer_create(gan_st_writer **out) {
    if (!out) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: out is NULL");
    *out = calloc(1, sizeof **out);
    if (!*out) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "safetensors: cannot allocate a writer");
    return GAN_OK;
}

void gan_st_writer_free(gan_st_writer *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) free(w->tensors[i].name);
    for (size_t i = 0; i < w->n_meta; i++) {
        free(w->keys[i]);
        free(w->values[i]);
    }
    free(w->tensors);
    free(w->keys);
    free(w->values);
    free(w);
}

static gan_status gan_st_writer_check_name(const gan_st_writer *w, const char *name) {
    if (!name || !*name) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: empty tensor name");
    char shown[128];
    gan_st_printable(shown, sizeof shown, name);
    if (!gan_st_utf8_valid((const uint8_t *)name, strlen(name)))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: tensor name '%s' is not valid UTF-8",
                        shown);
    if (strcmp(name, "__metadata__") == 0)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                        "safetensors: '__metadata__' is reserved and cannot name a tensor");
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->tensors[i].name, name) == 0)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: duplicate tensor name '%s'",
                            shown);
    return GAN_OK;
}

/* Validate dtype/shape/data and compute the byte size. */
static gan_status gan_st_writer_check_tensor(const char *name, gan_st_dtype dtype, int ndims,
                                             const int64_t *shape, const void *data,
                                             size_t *nbytes) {
    char shown[128];
    gan_st_printable(shown, sizeof shown, name);
    if ((unsigned)dtype >= GAN_ST_DTYPE_COUNT)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: tensor '%s': bad dtype %d", shown,
                        (int)dtype);
    if (ndims < 0 || ndims > GAN_ST_MAX_DIMS || (ndims > 0 && !shape))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                        "safetensors: tensor '%s': %d dimensions (expected 0..%d and a shape)",
                        shown, ndims, GAN_ST_MAX_DIMS);
    for (int i = 0; i < ndims; i++)
        if (shape[i] < 0)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                            "safetensors: tensor '%s': negative dimension %lld", shown,
                            (long long)shape[i]);
    uint64_t bytes = 0;
    if (!gan_st_shape_bytes(ndims, shape, gan_st_dtype_size(dtype), &bytes) || bytes > SIZE_MAX ||
        bytes > (uint64_t)INT64_MAX)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: tensor '%s': shape is too large",
                        shown);
    if (bytes && !data)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: tensor '%s': data is NULL", shown);
    *nbytes = (size_t)bytes;
    return GAN_OK;
}

gan_status gan_st_writer_add(gan_st_writer *w, const char *name, gan_st_dtype dtype, int ndims,
                             const int64_t *shape, const void *data) {
    if (!w) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: writer is NULL");
    GAN_TRY(gan_st_writer_check_name(w, name));
    size_t nbytes = 0;
    GAN_TRY(gan_st_writer_check_tensor(name, dtype, ndims, shape, data, &nbytes));
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        gan_st_wtensor *t = realloc(w->tensors, cap * sizeof *t);
        if (!t) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "safetensors: cannot grow the writer");
        w->tensors = t;
        w->cap = cap;
    }
    gan_st_wtensor *t = &w->tensors[w->n];
    memset(t, 0, sizeof *t);
    t->name = gan_st_strdup(name);
    if (!t->name) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "safetensors: cannot copy a name");
    t->dtype = dtype;
    t->ndims = ndims;
    for (int i = 0; i < ndims; i++) t->shape[i] = shape[i];
    t->data = data;
    t->nbytes = nbytes;
    w->n++;
    return GAN_OK;
}

gan_status gan_st_writer_set_metadata(gan_st_writer *w, const char *key, const char *value) {
    if (!w || !key || !value)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: NULL metadata argument");
    if (!gan_st_utf8_valid((const uint8_t *)key, strlen(key)) ||
        !gan_st_utf8_valid((const uint8_t *)value, strlen(value)))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: metadata is not valid UTF-8");
    char *v = gan_st_strdup(value);
    if (!v) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "safetensors: cannot copy metadata");
    for (size_t i = 0; i < w->n_meta; i++)
        if (strcmp(w->keys[i], key) == 0) {
            free(w->values[i]);
            w->values[i] = v;
            return GAN_OK;
        }
    if (w->n_meta == w->cap_meta) {
        size_t cap = w->cap_meta ? 2 * w->cap_meta : 8;
        char **k = realloc(w->keys, cap * sizeof *k);
        if (k) w->keys = k;
        char **vs = k ? realloc(w->values, cap * sizeof *vs) : NULL;
        if (vs) w->values = vs;
        if (!k || !vs) {
            free(v);
            return gan_fail(GAN_ERR_OUT_OF_MEMORY, "safetensors: cannot grow the metadata");
        }
        w->cap_meta = cap;
    }
    w->keys[w->n_meta] = gan_st_strdup(key);
    if (!w->keys[w->n_meta]) {
        free(v);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "safetensors: cannot copy metadata");
    }
    w->values[w->n_meta++] = v;
    return GAN_OK;
}

/* The JSON header, padded with spaces to a multiple of 8 bytes. */
static gan_status gan_st_writer_header(const gan_st_writer *w, gan_st_buf *b) {
    gan_st_buf_puts(b, "{");
    if (w->n_meta) {
        gan_st_buf_puts(b, "\"__metadata__\":{");
        for (size_t i = 0; i < w->n_meta; i++) {
            if (i) gan_st_buf_puts(b, ",");
            gan_st_buf_put_json_string(b, w->keys[i]);
            gan_st_buf_puts(b, ":");
            gan_st_buf_put_json_string(b, w->values[i]);
        }
        gan_st_buf_puts(b, "}");
    }
    uint64_t offset = 0;
    for (size_t i = 0; i < w->n; i++) {
        const gan_st_wtensor *t = &w->tensors[i];
        if (i || w->n_meta) gan_st_buf_puts(b, ",");
        gan_st_buf_put_json_string(b, t->name);
        gan_st_buf_puts(b, ":{\"dtype\":\"");
        gan_st_buf_puts(b, gan_st_dtype_name(t->dtype));
        gan_st_buf_puts(b, "\",\"shape\":[");
        for (int d = 0; d < t->ndims; d++) {
            if (d) gan_st_buf_puts(b, ",");
            gan_st_buf_put_u64(b, (uint64_t)t->shape[d]);
        }
        gan_st_buf_puts(b, "],\"data_offsets\":[");
        gan_st_buf_put_u64(b, offset);
        gan_st_buf_puts(b, ",");
        if (t->nbytes > UINT64_MAX - offset)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: tensors are too large");
        offset += t->nbytes;
        gan_st_buf_put_u64(b, offset);
        gan_st_buf_puts(b, "]}");
    }
    gan_st_buf_puts(b, "}");
    while (!b->oom && b->len % 8) gan_st_buf_puts(b, " ");
    if (b->oom) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "safetensors: cannot build the header");
    if (b->len > GAN_ST_MAX_HEADER)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: header of %zu bytes is too large",
                        b->len);
    return GAN_OK;
}

gan_status gan_st_writer_save(const gan_st_writer *w, const char *path) {
    if (!w) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: writer is NULL");
    if (!path || !*path) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: empty path");
    gan_st_buf b = {0};
    gan_status s = gan_st_writer_header(w, &b);
    if (s != GAN_OK) {
        free(b.p);
        return gan_fail_prefix(s, path);
    }
    uint8_t len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (uint8_t)((uint64_t)b.len >> (8 * i));
    gan_atomic_file af;
    gan_atomic_clean_stale(path); /* what a killed earlier save of this file left */
    s = gan_atomic_open(&af, path);
    if (s == GAN_OK) s = gan_atomic_write(&af, len8, 8);
    if (s == GAN_OK) s = gan_atomic_write(&af, b.p, b.len);
    for (size_t i = 0; i < w->n && s == GAN_OK; i++)
        s = gan_atomic_write(&af, w->tensors[i].data, w->tensors[i].nbytes);
    free(b.p);
    if (s == GAN_OK) return gan_atomic_commit(&af);
    gan_atomic_abort(&af);
    return s;
}

gan_status gan_st_writer_serialize(const gan_st_writer *w, uint8_t **buf, size_t *cap,
                                   size_t *len) {
    if (!w) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: writer is NULL");
    gan_st_buf b = {0};
    gan_status s = gan_st_writer_header(w, &b);
    size_t total = 8 + b.len;
    for (size_t i = 0; s == GAN_OK && i < w->n; i++) {
        if (w->tensors[i].nbytes > SIZE_MAX - total)
            s = gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: tensors are too large");
        else total += w->tensors[i].nbytes;
    }
    if (s == GAN_OK && !buf) { /* the size only */
        *len = total;
        free(b.p);
        return GAN_OK;
    }
    if (s == GAN_OK && total > *cap) {
        /* 4 KiB more: the next file's metadata numbers may be a few bytes longer */
        size_t want = total <= SIZE_MAX - 4096 ? total + 4096 : total;
        uint8_t *p = realloc(*buf, want);
        if (!p) s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "safetensors: cannot allocate %zu bytes for "
                             "a copy of the file", want);
        else *buf = p, *cap = want;
    }
    if (s == GAN_OK) {
        uint8_t *p = *buf;
        for (int i = 0; i < 8; i++) p[i] = (uint8_t)((uint64_t)b.len >> (8 * i));
        memcpy(p + 8, b.p, b.len);
        p += 8 + b.len;
        for (size_t i = 0; i < w->n; i++) {
            if (w->tensors[i].nbytes) memcpy(p, w->tensors[i].data, w->tensors[i].nbytes);
            p += w->tensors[i].nbytes;
        }
        *len = total;
    }
    free(b.p);
    return s;
}

gan_status gan_st_serialize(gan_status (*fill)(void *ctx, gan_st_writer *w), void *ctx,
                            uint8_t **buf, size_t *cap, size_t *len) {
    gan_st_writer *w;
    GAN_TRY(gan_st_writer_create(&w));
    gan_status s = fill(ctx, w);
    if (s == GAN_OK) s = gan_st_writer_serialize(w, buf, cap, len);
    gan_st_writer_free(w);
    return s;
}

/* ---------------------------------------------------------------- reader */

typedef struct gan_st_entry {
    gan_st_tensor view;
    uint64_t begin, end; /* data_offsets */
    void *own;           /* aligned private copy, when the file's bytes are misaligned */
} gan_st_entry;

typedef struct gan_st_meta {
    const char *key, *value; /* in the string pool */
} gan_st_meta;

struct gan_st_file {
    char *path;
    uint8_t *buf;         /* the file, plus 8 spare bytes for realignment, or mapped */
    bool mapped;          /* buf is a private mapping of the file (munmap, no spare bytes) */
    size_t size;          /* file size */
    uint64_t header_len;  /* N */
    uint64_t data_size;   /* size - 8 - N */
    char *pool;           /* decoded strings of the header */
    size_t pool_len, pool_cap;
    gan_st_entry *entries; /* header order */
    size_t n, cap;
    gan_st_entry **by_offset, **by_name;
    gan_st_meta *meta; /* header order */
    size_t n_meta, cap_meta;
    gan_st_meta **meta_by_key;
};

/* Format "PATH: <problem>" and return GAN_ERR_FORMAT. */
static gan_status gan_st_format_error(const gan_st_file *f, const char *fmt, ...)
    GAN_PRINTF(2, 3);
static gan_status gan_st_format_error(const gan_st_file *f, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gan_fail(GAN_ERR_FORMAT, "%s: %s", f->path, msg);
}

static uint64_t gan_st_get_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

#define GAN_ST_MAP_FROM ((uint64_t)1 << 20) /* files from this size on are mapped */

/* Map the file privately (writes stay in this process); false if it cannot be. */
static bool gan_st_map(gan_st_file *f, int fd, size_t size) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return false;
    f->buf = p;
    f->mapped = true;
    return true;
}

/* Read the file into f->buf after checking the header length against the
 * limits and the file size. */
static gan_status gan_st_read_file(gan_st_file *f) {
    FILE *fp;
    uint64_t size;
    GAN_TRY(gan_fopen_read_size(f->path, &fp, &size));
    gan_status s = GAN_OK;
    uint8_t len8[16];
    size_t got = fread(len8, 1, sizeof len8, fp);
    const char *other = gan_sniff_format(len8, got);
    /* a safetensors file starts with a little-endian length and '{' */
    if (other && got >= 9 && len8[8] == '{' && gan_st_get_le64(len8) <= size) other = NULL;
    if (other) {
        s = gan_fail(GAN_ERR_FORMAT, "%s: not a checkpoint (it is %s)", f->path, other);
    } else if (size < 8) {
        s = gan_st_format_error(f, "file is %lld bytes, too short for the 8-byte header length",
                                (long long)size);
    } else if (got < 8) {
        s = gan_fail(GAN_ERR_IO, "%s: read failed", f->path);
    } else {
        uint64_t n = gan_st_get_le64(len8);
        if (n > GAN_ST_MAX_HEADER)
            s = gan_st_format_error(f, "header length %llu exceeds the limit of %llu bytes",
                                    (unsigned long long)n,
                                    (unsigned long long)GAN_ST_MAX_HEADER);
        else if (n > size - 8)
            s = gan_st_format_error(f, "header length %llu exceeds the %llu bytes after it",
                                    (unsigned long long)n, (unsigned long long)(size - 8));
        else if (size > SIZE_MAX - 16)
            s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %llu bytes", f->path,
                         (unsigned long long)size);
        else if (size >= GAN_ST_MAP_FROM && gan_st_map(f, fileno(fp), (size_t)size))
            s = GAN_OK; /* pages are read when a tensor is used: no copy of the whole file */
        else if (!(f->buf = malloc((size_t)size + 8)))
            s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %llu bytes", f->path,
                         (unsigned long long)size);
        else if (fseek(fp, 0, SEEK_SET) != 0 || fread(f->buf, 1, (size_t)size, fp) != size ||
                 fgetc(fp) != EOF)
            s = gan_fail(GAN_ERR_IO, "%s: read failed (file changed while reading?)", f->path);
        f->size = (size_t)size;
        f->header_len = n;
        f->data_size = size - 8 - n;
    }
    fclose(fp);
    return s;
}

/* -------------------------------------------------------- header parser */

typedef struct gan_st_parser {
    gan_st_file *f;
    const uint8_t *start, *p, *end; /* the header bytes */
    const char *tensor;             /* tensor being parsed (for messages) */
} gan_st_parser;

/* A syntax error at the current position. */
static gan_status gan_st_syntax(gan_st_parser *ps, const char *fmt, ...) GAN_PRINTF(2, 3);
static gan_status gan_st_syntax(gan_st_parser *ps, const char *fmt, ...) {
    char msg[512], shown[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t at = (size_t)(ps->p - ps->start);
    if (ps->tensor)
        return gan_st_format_error(ps->f, "tensor '%s': header byte %zu: %s",
                                   gan_st_printable(shown, sizeof shown, ps->tensor), at, msg);
    return gan_st_format_error(ps->f, "header byte %zu: %s", at, msg);
}

static void gan_st_skip_ws(gan_st_parser *ps) {
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

/* Skip whitespace and return the next byte without consuming it (-1 at end). */
static int gan_st_peek(gan_st_parser *ps) {
    gan_st_skip_ws(ps);
    return ps->p < ps->end ? *ps->p : -1;
}

static gan_status gan_st_expect(gan_st_parser *ps, char c) {
    if (gan_st_peek(ps) != (unsigned char)c) {
        if (ps->p >= ps->end) return gan_st_syntax(ps, "expected '%c', found end of header", c);
        return gan_st_syntax(ps, "expected '%c'", c);
    }
    ps->p++;
    return GAN_OK;
}

static int gan_st_hex(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Four hex digits after "\u". */
static gan_status gan_st_parse_hex4(gan_st_parser *ps, uint32_t *v) {
    if (ps->end - ps->p < 4) return gan_st_syntax(ps, "truncated \\u escape");
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int h = gan_st_hex(ps->p[i]);
        if (h < 0) return gan_st_syntax(ps, "bad \\u escape");
        *v = *v << 4 | (uint32_t)h;
    }
    ps->p += 4;
    return GAN_OK;
}

/* The code point of a \u escape (p just past "\u"), joining surrogate pairs. */
static gan_status gan_st_parse_unicode_escape(gan_st_parser *ps, uint32_t *cp) {
    GAN_TRY(gan_st_parse_hex4(ps, cp));
    if (*cp >= 0xDC00 && *cp <= 0xDFFF) return gan_st_syntax(ps, "unpaired surrogate escape");
    if (*cp >= 0xD800 && *cp <= 0xDBFF) {
        uint32_t lo = 0;
        if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
            return gan_st_syntax(ps, "unpaired surrogate escape");
        ps->p += 2;
        GAN_TRY(gan_st_parse_hex4(ps, &lo));
        if (lo < 0xDC00 || lo > 0xDFFF) return gan_st_syntax(ps, "unpaired surrogate escape");
        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (*cp == 0) return gan_st_syntax(ps, "NUL character in a string");
    return GAN_OK;
}

/* Append code point cp as UTF-8 to the pool. */
static void gan_st_pool_put_utf8(gan_st_file *f, uint32_t cp) {
    char *o = f->pool + f->pool_len;
    if (cp < 0x80) {
        o[0] = (char)cp;
        f->pool_len += 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F));
        f->pool_len += 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        f->pool_len += 3;
    } else {
        o[0] = (char)(0xF0 | cp >> 18), o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F));
        f->pool_len += 4;
    }
}

/* One escape sequence (p at the backslash), decoded into the pool. */
static gan_status gan_st_parse_escape(gan_st_parser *ps) {
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    ps->p++;
    if (ps->p >= ps->end) return gan_st_syntax(ps, "unterminated string");
    int c = *ps->p++;
    const char *hit = c ? strchr(from, c) : NULL;
    if (hit) {
        ps->f->pool[ps->f->pool_len++] = to[hit - from];
        return GAN_OK;
    }
    if (c != 'u') return gan_st_syntax(ps, "bad escape '\\%c'", c >= 0x20 && c < 0x7f ? c : '?');
    uint32_t cp = 0;
    GAN_TRY(gan_st_parse_unicode_escape(ps, &cp));
    gan_st_pool_put_utf8(ps->f, cp);
    return GAN_OK;
}

/* A JSON string, decoded (NUL-terminated, valid UTF-8) into the pool. */
static gan_status gan_st_parse_string(gan_st_parser *ps, const char **out) {
    if (gan_st_peek(ps) != '"') return gan_st_syntax(ps, "expected a string");
    ps->p++;
    gan_st_file *f = ps->f;
    size_t begin = f->pool_len;
    for (;;) {
        if (ps->p >= ps->end) return gan_st_syntax(ps, "unterminated string");
        if (f->pool_cap - f->pool_len < 5) return gan_st_syntax(ps, "string pool overflow");
        uint8_t c = *ps->p;
        if (c == '"') break;
        if (c < 0x20) return gan_st_syntax(ps, "control character in a string");
        if (c == '\\') {
            GAN_TRY(gan_st_parse_escape(ps));
        } else {
            f->pool[f->pool_len++] = (char)c;
            ps->p++;
        }
    }
    ps->p++; /* closing quote */
    if (!gan_st_utf8_valid((const uint8_t *)f->pool + begin, f->pool_len - begin))
        return gan_st_syntax(ps, "string is not valid UTF-8");
    f->pool[f->pool_len++] = 0;
    *out = f->pool + begin;
    return GAN_OK;
}

/* A non-negative integer no larger than INT64_MAX; `what` names it. */
static gan_status gan_st_parse_uint(gan_st_parser *ps, const char *what, uint64_t *v) {
    int c = gan_st_peek(ps);
    if (c == '-') return gan_st_syntax(ps, "%s must be a non-negative integer, not negative", what);
    if (c < '0' || c > '9') return gan_st_syntax(ps, "%s must be a non-negative integer", what);
    if (c == '0' && ps->end - ps->p > 1 && ps->p[1] >= '0' && ps->p[1] <= '9')
        return gan_st_syntax(ps, "%s has a leading zero", what);
    *v = 0;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        uint64_t d = (uint64_t)(*ps->p - '0');
        if (*v > ((uint64_t)INT64_MAX - d) / 10) return gan_st_syntax(ps, "%s is too large", what);
        *v = *v * 10 + d;
        ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == '.' || *ps->p == 'e' || *ps->p == 'E'))
        return gan_st_syntax(ps, "%s must be an integer, not a fraction or exponent", what);
    return GAN_OK;
}

/* "[u, u, ...]" with at most `max` entries. */
static gan_status gan_st_parse_uint_array(gan_st_parser *ps, const char *what, uint64_t *vals,
                                          int max, int *count) {
    *count = 0;
    if (gan_st_peek(ps) != '[') return gan_st_syntax(ps, "%s must be an array", what);
    ps->p++;
    if (gan_st_peek(ps) == ']') {
        ps->p++;
        return GAN_OK;
    }
    for (;;) {
        if (*count == max) return gan_st_syntax(ps, "%s has more than %d entries", what, max);
        GAN_TRY(gan_st_parse_uint(ps, what, &vals[*count]));
        (*count)++;
        int c = gan_st_peek(ps);
        ps->p++;
        if (c == ']') return GAN_OK;
        if (c != ',') {
            ps->p--;
            return gan_st_syntax(ps, "expected ',' or ']' in %s", what);
        }
    }
}

/* Append an empty entry; returns NULL when out of memory. */
static gan_st_entry *gan_st_new_entry(gan_st_file *f) {
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 16;
        gan_st_entry *e = realloc(f->entries, cap * sizeof *e);
        if (!e) return NULL;
        f->entries = e;
        f->cap = cap;
    }
    gan_st_entry *e = &f->entries[f->n++];
    memset(e, 0, sizeof *e);
    return e;
}

/* Semantic checks of one entry: size matches shape, offsets in bounds. */
static gan_status gan_st_check_entry(gan_st_parser *ps, gan_st_entry *e) {
    char shown[128], shape[256];
    gan_st_printable(shown, sizeof shown, e->view.name);
    gan_st_format_shape(shape, sizeof shape, e->view.ndims, e->view.shape);
    uint64_t bytes = 0;
    size_t elem = gan_st_dtype_size(e->view.dtype);
    if (!gan_st_shape_bytes(e->view.ndims, e->view.shape, elem, &bytes))
        return gan_st_format_error(ps->f, "tensor '%s': shape %s overflows (too many elements)",
                                   shown, shape);
    if (e->begin > e->end)
        return gan_st_format_error(ps->f, "tensor '%s': data_offsets [%llu, %llu] are reversed",
                                   shown, (unsigned long long)e->begin,
                                   (unsigned long long)e->end);
    if (e->end > ps->f->data_size)
        return gan_st_format_error(
            ps->f, "tensor '%s': data_offsets [%llu, %llu] exceed the data section (%llu bytes)",
            shown, (unsigned long long)e->begin, (unsigned long long)e->end,
            (unsigned long long)ps->f->data_size);
    if (e->end - e->begin != bytes)
        return gan_st_format_error(
            ps->f, "tensor '%s': data_offsets [%llu, %llu] hold %llu bytes, but %s %s needs %llu",
            shown, (unsigned long long)e->begin, (unsigned long long)e->end,
            (unsigned long long)(e->end - e->begin), gan_st_dtype_name(e->view.dtype), shape,
            (unsigned long long)bytes);
    e->view.nbytes = (size_t)bytes;
    return GAN_OK;
}

/* Which fields of a tensor entry have been seen. */
enum { GAN_ST_HAS_DTYPE = 1, GAN_ST_HAS_SHAPE = 2, GAN_ST_HAS_OFFSETS = 4 };

/* One "key": value member of a tensor entry. */
static gan_status gan_st_parse_tensor_field(gan_st_parser *ps, gan_st_entry *e, unsigned *seen) {
    const char *key = NULL;
    GAN_TRY(gan_st_parse_string(ps, &key));
    GAN_TRY(gan_st_expect(ps, ':'));
    unsigned bit = strcmp(key, "dtype") == 0          ? GAN_ST_HAS_DTYPE
                   : strcmp(key, "shape") == 0        ? GAN_ST_HAS_SHAPE
                   : strcmp(key, "data_offsets") == 0 ? GAN_ST_HAS_OFFSETS
                                                      : 0;
    char shown[128];
    if (!bit) return gan_st_syntax(ps, "unexpected key '%s'", gan_st_printable(shown, 128, key));
    if (*seen & bit) return gan_st_syntax(ps, "duplicate key '%s'", key);
    *seen |= bit;
    if (bit == GAN_ST_HAS_DTYPE) {
        const char *name = NULL;
        GAN_TRY(gan_st_parse_string(ps, &name));
        if (!gan_st_dtype_parse(name, &e->view.dtype))
            return gan_st_syntax(ps, "unknown dtype '%s'", gan_st_printable(shown, 128, name));
        return GAN_OK;
    }
    uint64_t vals[GAN_ST_MAX_DIMS];
    int count = 0;
    if (bit == GAN_ST_HAS_SHAPE) {
        GAN_TRY(gan_st_parse_uint_array(ps, "shape", vals, GAN_ST_MAX_DIMS, &count));
        e->view.ndims = count;
        for (int i = 0; i < count; i++) e->view.shape[i] = (int64_t)vals[i];
        return GAN_OK;
    }
    GAN_TRY(gan_st_parse_uint_array(ps, "data_offsets", vals, 2, &count));
    if (count != 2) return gan_st_syntax(ps, "data_offsets must have 2 entries, not %d", count);
    e->begin = vals[0];
    e->end = vals[1];
    return GAN_OK;
}

/* A tensor entry {"dtype": ..., "shape": [...], "data_offsets": [b, e]}. */
static gan_status gan_st_parse_tensor(gan_st_parser *ps, const char *name) {
    gan_st_entry *e = gan_st_new_entry(ps->f);
    if (!e) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: too many tensors", ps->f->path);
    e->view.name = name;
    ps->tensor = name;
    if (gan_st_peek(ps) != '{') return gan_st_syntax(ps, "tensor entry must be an object");
    ps->p++;
    unsigned seen = 0;
    if (gan_st_peek(ps) != '}') {
        for (;;) {
            GAN_TRY(gan_st_parse_tensor_field(ps, e, &seen));
            int c = gan_st_peek(ps);
            if (c == ',') {
                ps->p++;
                continue;
            }
            if (c == '}') break;
            return gan_st_syntax(ps, "expected ',' or '}'");
        }
    }
    ps->p++; /* '}' */
    char shown[128];
    static const char *field_names[] = {"dtype", "shape", "data_offsets"};
    for (int i = 0; i < 3; i++)
        if (!(seen & (1u << i)))
            return gan_st_format_error(ps->f, "tensor '%s': missing \"%s\"",
                                       gan_st_printable(shown, sizeof shown, name), field_names[i]);
    ps->tensor = NULL;
    return gan_st_check_entry(ps, e);
}

/* Append a metadata pair. */
static gan_status gan_st_add_metadata(gan_st_file *f, const char *key, const char *value) {
    if (f->n_meta == f->cap_meta) {
        size_t cap = f->cap_meta ? 2 * f->cap_meta : 8;
        gan_st_meta *m = realloc(f->meta, cap * sizeof *m);
        if (!m) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: too much metadata", f->path);
        f->meta = m;
        f->cap_meta = cap;
    }
    f->meta[f->n_meta].key = key;
    f->meta[f->n_meta++].value = value;
    return GAN_OK;
}

/* "__metadata__": {"key": "value", ...}. */
static gan_status gan_st_parse_metadata(gan_st_parser *ps) {
    if (gan_st_peek(ps) != '{') return gan_st_syntax(ps, "__metadata__ must be an object");
    ps->p++;
    if (gan_st_peek(ps) == '}') {
        ps->p++;
        return GAN_OK;
    }
    for (;;) {
        const char *key = NULL, *value = NULL;
        char shown[128];
        GAN_TRY(gan_st_parse_string(ps, &key));
        GAN_TRY(gan_st_expect(ps, ':'));
        if (gan_st_peek(ps) != '"')
            return gan_st_syntax(ps, "__metadata__ value for key '%s' is not a string",
                                 gan_st_printable(shown, sizeof shown, key));
        GAN_TRY(gan_st_parse_string(ps, &value));
        GAN_TRY(gan_st_add_metadata(ps->f, key, value));
        int c = gan_st_peek(ps);
        if (c == '}') break;
        if (c != ',') return gan_st_syntax(ps, "expected ',' or '}' in __metadata__");
        ps->p++;
    }
    ps->p++;
    return GAN_OK;
}

/* The whole header: one object of tensor entries and "__metadata__". */
static gan_status gan_st_parse_header(gan_st_parser *ps) {
    if (gan_st_peek(ps) != '{')
        return gan_st_syntax(ps, "the header must be a JSON object starting with '{'");
    ps->p++;
    bool seen_meta = false;
    if (gan_st_peek(ps) != '}') {
        for (;;) {
            const char *key = NULL;
            GAN_TRY(gan_st_parse_string(ps, &key));
            GAN_TRY(gan_st_expect(ps, ':'));
            if (strcmp(key, "__metadata__") == 0) {
                if (seen_meta) return gan_st_syntax(ps, "duplicate __metadata__");
                seen_meta = true;
                GAN_TRY(gan_st_parse_metadata(ps));
            } else {
                GAN_TRY(gan_st_parse_tensor(ps, key));
            }
            int c = gan_st_peek(ps);
            if (c == '}') break;
            if (c != ',') return gan_st_syntax(ps, "expected ',' or '}' after a header entry");
            ps->p++;
        }
    }
    ps->p++;
    if (gan_st_peek(ps) != -1) return gan_st_syntax(ps, "unexpected bytes after the header object");
    return GAN_OK;
}

/* ------------------------------------------------------ whole-file checks */

static int gan_st_cmp_name(const void *a, const void *b) {
    return strcmp((*(gan_st_entry *const *)a)->view.name, (*(gan_st_entry *const *)b)->view.name);
}

static int gan_st_cmp_offset(const void *a, const void *b) {
    const gan_st_entry *x = *(gan_st_entry *const *)a, *y = *(gan_st_entry *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return strcmp(x->view.name, y->view.name);
}

/* Sorted index arrays; duplicate names refused. */
static gan_status gan_st_index(gan_st_file *f) {
    size_t n = f->n ? f->n : 1;
    f->by_name = malloc(n * sizeof *f->by_name);
    f->by_offset = malloc(n * sizeof *f->by_offset);
    if (!f->by_name || !f->by_offset)
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot index tensors", f->path);
    for (size_t i = 0; i < f->n; i++) f->by_name[i] = f->by_offset[i] = &f->entries[i];
    qsort(f->by_name, f->n, sizeof *f->by_name, gan_st_cmp_name);
    for (size_t i = 1; i < f->n; i++)
        if (strcmp(f->by_name[i - 1]->view.name, f->by_name[i]->view.name) == 0) {
            char shown[128];
            return gan_st_format_error(
                f, "duplicate tensor name '%s'",
                gan_st_printable(shown, sizeof shown, f->by_name[i]->view.name));
        }
    qsort(f->by_offset, f->n, sizeof *f->by_offset, gan_st_cmp_offset);
    return GAN_OK;
}

/* Sorted by offset, the tensors must tile [0, data_size) exactly. */
static gan_status gan_st_check_tiling(gan_st_file *f) {
    uint64_t covered = 0;
    const gan_st_entry *prev = NULL;
    char a[128], b[128];
    for (size_t i = 0; i < f->n; i++) {
        const gan_st_entry *e = f->by_offset[i];
        if (e->begin < covered)
            return gan_st_format_error(
                f, "tensor '%s' (data_offsets [%llu, %llu]) overlaps tensor '%s' ([%llu, %llu])",
                gan_st_printable(a, sizeof a, e->view.name), (unsigned long long)e->begin,
                (unsigned long long)e->end, gan_st_printable(b, sizeof b, prev->view.name),
                (unsigned long long)prev->begin, (unsigned long long)prev->end);
        if (e->begin > covered)
            return gan_st_format_error(
                f, "gap in the data section: bytes [%llu, %llu) belong to no tensor",
                (unsigned long long)covered, (unsigned long long)e->begin);
        covered = e->end;
        prev = e;
    }
    if (covered != f->data_size)
        return gan_st_format_error(
            f, "data section has %llu bytes but the tensors cover only the first %llu",
            (unsigned long long)f->data_size, (unsigned long long)covered);
    return GAN_OK;
}

/* Point views at the data, aligned: move the data section to a multiple of
 * 8 (into the buffer's spare bytes) and copy any tensor still misaligned. */
static gan_status gan_st_place_data(gan_st_file *f) {
    size_t from = (size_t)(8 + f->header_len), to = (from + 7) & ~(size_t)7;
    if (f->mapped) to = from; /* no spare bytes: misaligned tensors are copied below */
    if (to != from) memmove(f->buf + to, f->buf + from, (size_t)f->data_size);
    const uint8_t *base = f->buf + to;
    for (size_t i = 0; i < f->n; i++) {
        gan_st_entry *e = &f->entries[i];
        if (!e->view.nbytes) continue;
        const uint8_t *p = base + e->begin;
        size_t align = gan_st_dtype_size(e->view.dtype);
        if ((uintptr_t)p % align != 0) {
            e->own = malloc(e->view.nbytes);
            if (!e->own) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot align", f->path);
            memcpy(e->own, p, e->view.nbytes);
            p = e->own;
        }
        e->view.data = p;
    }
    return GAN_OK;
}

static int gan_st_cmp_meta(const void *a, const void *b) {
    return strcmp((*(gan_st_meta *const *)a)->key, (*(gan_st_meta *const *)b)->key);
}

/* Index metadata by key; duplicate keys refused. */
static gan_status gan_st_index_metadata(gan_st_file *f) {
    f->meta_by_key = malloc((f->n_meta ? f->n_meta : 1) * sizeof *f->meta_by_key);
    if (!f->meta_by_key) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot index metadata", f->path);
    for (size_t i = 0; i < f->n_meta; i++) f->meta_by_key[i] = &f->meta[i];
    qsort(f->meta_by_key, f->n_meta, sizeof *f->meta_by_key, gan_st_cmp_meta);
    for (size_t i = 1; i < f->n_meta; i++)
        if (strcmp(f->meta_by_key[i - 1]->key, f->meta_by_key[i]->key) == 0) {
            char shown[128];
            return gan_st_format_error(
                f, "duplicate __metadata__ key '%s'",
                gan_st_printable(shown, sizeof shown, f->meta_by_key[i]->key));
        }
    return GAN_OK;
}

static gan_status gan_st_load(gan_st_file *f) {
    GAN_TRY(gan_st_read_file(f));
    f->pool_cap = (size_t)f->header_len + 8;
    f->pool = malloc(f->pool_cap);
    if (!f->pool) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot allocate", f->path);
    gan_st_parser ps = {f, f->buf + 8, f->buf + 8, f->buf + 8 + f->header_len, NULL};
    GAN_TRY(gan_st_parse_header(&ps));
    GAN_TRY(gan_st_index(f));
    GAN_TRY(gan_st_index_metadata(f));
    GAN_TRY(gan_st_check_tiling(f));
    return gan_st_place_data(f);
}

gan_status gan_st_open(const char *path, gan_st_file **out) {
    if (!out) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: out is NULL");
    *out = NULL;
    if (!path || !*path) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: empty path");
    gan_st_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = gan_st_strdup(path))) {
        free(f);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot allocate", path);
    }
    gan_status s = gan_st_load(f);
    if (s != GAN_OK) {
        gan_st_close(f);
        return s;
    }
    *out = f;
    return GAN_OK;
}

void gan_st_close(gan_st_file *f) {
    if (!f) return;
    for (size_t i = 0; i < f->n; i++) free(f->entries[i].own);
    free(f->entries);
    free(f->by_name);
    free(f->by_offset);
    free(f->meta);
    free(f->meta_by_key);
    free(f->pool);
    if (f->mapped) munmap(f->buf, f->size);
    else free(f->buf);
    free(f->path);
    free(f);
}

void gan_st_release(const gan_st_file *f, const void *data, size_t nbytes) {
    if (!f || !f->mapped || !data || !nbytes) return;
    uintptr_t lo = (uintptr_t)data, hi = lo + nbytes, base = (uintptr_t)f->buf;
    if (lo < base || hi > base + f->size) return; /* a private aligned copy, or not this file's */
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) return;
    lo = (lo + (uintptr_t)page - 1) & ~((uintptr_t)page - 1); /* whole pages inside only */
    hi &= ~((uintptr_t)page - 1);
    if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_DONTNEED); /* nothing writes the map */
}

/* -------------------------------------------------------------- queries */

const char *gan_st_path(const gan_st_file *f) { return f ? f->path : NULL; }

size_t gan_st_count(const gan_st_file *f) { return f ? f->n : 0; }

const gan_st_tensor *gan_st_tensor_at(const gan_st_file *f, size_t i) {
    return f && i < f->n ? &f->by_offset[i]->view : NULL;
}

const gan_st_tensor *gan_st_find(const gan_st_file *f, const char *name) {
    if (!f || !name) return NULL;
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(f->by_name[mid]->view.name, name);
        if (c == 0) return &f->by_name[mid]->view;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

gan_status gan_st_get(const gan_st_file *f, const char *name, gan_st_dtype dtype, int ndims,
                      const int64_t *shape, const void **data) {
    if (!f || !name || !data || ndims < 0 || ndims > GAN_ST_MAX_DIMS || (ndims && !shape))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: bad gan_st_get arguments");
    *data = NULL;
    char shown[128], have[256], want[256];
    gan_st_printable(shown, sizeof shown, name);
    const gan_st_tensor *t = gan_st_find(f, name);
    if (!t) return gan_fail(GAN_ERR_FORMAT, "%s: tensor '%s' not found", f->path, shown);
    if (t->dtype != dtype)
        return gan_fail(GAN_ERR_FORMAT, "%s: tensor '%s' has dtype %s, expected %s", f->path,
                        shown, gan_st_dtype_name(t->dtype), gan_st_dtype_name(dtype));
    bool same = t->ndims == ndims;
    for (int i = 0; same && i < ndims; i++) same = t->shape[i] == shape[i];
    if (!same) {
        gan_st_format_shape(have, sizeof have, t->ndims, t->shape);
        gan_st_format_shape(want, sizeof want, ndims, shape);
        return gan_fail(GAN_ERR_SHAPE, "%s: tensor '%s' has shape %s, expected %s", f->path,
                        shown, have, want);
    }
    *data = t->data;
    return GAN_OK;
}

gan_status gan_st_get_f32(const gan_st_file *f, const char *name, int ndims,
                          const int64_t *shape, const float **data) {
    const void *p = NULL;
    gan_status s = gan_st_get(f, name, GAN_ST_F32, ndims, shape, &p);
    if (data) *data = p;
    return s;
}

const char *gan_st_metadata(const gan_st_file *f, const char *key) {
    if (!f || !key) return NULL;
    size_t lo = 0, hi = f->n_meta;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(f->meta_by_key[mid]->key, key);
        if (c == 0) return f->meta_by_key[mid]->value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t gan_st_metadata_count(const gan_st_file *f) { return f ? f->n_meta : 0; }

gan_status gan_st_metadata_at(const gan_st_file *f, size_t i, const char **key,
                              const char **value) {
    if (!f || i >= f->n_meta)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "safetensors: metadata index out of range");
    if (key) *key = f->meta[i].key;
    if (value) *value = f->meta[i].value;
    return GAN_OK;
}

gan_status gan_file_metadata(const char *path,
                             void (*fn)(void *user, const char *key, const char *value),
                             void *user) {
    gan_st_file *f;
    GAN_TRY(gan_st_open(path, &f));
    for (size_t i = 0; i < f->n_meta; i++) fn(user, f->meta[i].key, f->meta[i].value);
    gan_st_close(f);
    return GAN_OK;
}

gan_status gan_st_write(const char *path, gan_status (*fill)(void *ctx, gan_st_writer *w),
                        void *ctx) {
    gan_st_writer *w;
    GAN_TRY(gan_st_writer_create(&w));
    gan_status s = fill(ctx, w);
    if (s == GAN_OK) s = gan_st_writer_save(w, path);
    gan_st_writer_free(w);
    return s;
}

gan_status gan_st_metadata_copy(const gan_st_file *f, const char *key, char *out, size_t cap) {
    const char *v = gan_st_metadata(f, key);
    if (!v || strlen(v) >= cap)
        return gan_fail(GAN_ERR_FORMAT, "%s: metadata '%s' is %s", gan_st_path(f), key,
                        v ? "too long" : "missing");
    memcpy(out, v, strlen(v) + 1);
    return GAN_OK;
}
