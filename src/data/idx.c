/*
 * idx.c - the IDX reader and writer (see idx.h).
 *
 * Reading: an idx_source reads the file descriptor through a 128 KiB input
 * buffer. Plain files are copied out of it; gzip files (magic 1f 8b) are
 * decompressed with zlib's inflate (gzip wrapper only), member after member
 * like gunzip, and anything after the last member that is not another gzip
 * member is an error, as is a stream that stops before its end (CRC and
 * length). For a plain regular file the size is known, so a wrong size is
 * reported before anything is allocated. A regular gzip file is first offered,
 * once its header has been inflated, to libdeflate (gzip_whole.h: whole file
 * in one call, about twice as fast); if that declines (several members,
 * corrupt data, the size of the trailer or of the file does not fit the
 * header, no libdeflate), zlib goes on from the header and reports the error.
 * Writing: the header, then header + data streamed to an atomic file,
 * through deflate with a gzip wrapper when asked.
 */
#define _POSIX_C_SOURCE 200809L
#include "data/idx.h"
#include "data/gzip_whole.h"
#include "io/open_file.h"

#include "io/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define IDX_GROW_START ((size_t)1 << 20)     /* first buffer size when the file size is unknown */
#define IDX_READ_CHUNK ((size_t)1 << 30)     /* largest single read / inflate output */
#define IDX_INPUT_BUFFER ((size_t)1 << 17)   /* raw input buffer */
#define IDX_TRAILING_SCAN ((uint64_t)1 << 20) /* trailing bytes counted before giving up */

/* An open IDX file being read. The buffered raw input is zs.next_in /
 * zs.avail_in for plain files too. */
typedef struct idx_source {
    const char *path;
    int fd;
    bool gzip;        /* starts with the gzip magic 1f 8b */
    bool known_size;  /* plain regular file: file_size is exact */
    bool regular;     /* a regular file (plain or gzip) of file_size bytes */
    uint64_t file_size;
    bool raw_eof;     /* read() returned 0 */
    bool inflating;   /* zs was set up with inflateInit2 */
    bool member_done; /* inflate reached the end of a gzip member */
    int members;      /* gzip members finished so far */
    bool cut_short;   /* the gzip stream ended before its end marker */
    z_stream zs;
    uint8_t *in;      /* IDX_INPUT_BUFFER bytes */
    uint8_t head[4 + 4 * GAN_IDX_MAX_DIMS]; /* the header as read */
} idx_source;

/* ------------------------------------------------------------ helpers */

static uint32_t idx_be32_get(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void idx_be32_put(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* "an idx3-ubyte images file", used in messages about the expected kind. */
static const char *idx_kind_name(int ndims) {
    switch (ndims) {
    case 1: return "an idx1-ubyte labels file";
    case 2: return "an idx2-ubyte file";
    case 3: return "an idx3-ubyte images file";
    case 4: return "an idx4-ubyte file";
    }
    return "an IDX file";
}

/* Name of an IDX element type code, or NULL for a code IDX does not define. */
static const char *idx_type_name(int type) {
    switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    }
    return NULL;
}

/* What the element data is called in messages: labels or pixels. */
static const char *idx_data_name(int ndims) {
    return ndims == 1 ? "label" : "pixel";
}

static const char *idx_cut_note(const idx_source *src) {
    return src->cut_short ? " (the gzip stream ends early)" : "";
}

/* ------------------------------------------------------------ source */

static gan_status idx_open_error(const char *path, int err) {
    if (err == ENOENT) return gan_fail(GAN_ERR_IO, "%s: no such file or directory", path);
    return gan_fail(GAN_ERR_IO, "%s: cannot open: %s", path, strerror(err));
}

/* Read up to `n` raw bytes from the file (fewer only at its end). */
static gan_status idx_raw_read(idx_source *src, uint8_t *buf, size_t n, size_t *got) {
    *got = 0;
    while (*got < n && !src->raw_eof) {
        ssize_t r = read(src->fd, buf + *got, GAN_MIN(n - *got, IDX_READ_CHUNK));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return gan_fail(GAN_ERR_IO, "%s: read error: %s", src->path, strerror(errno));
        if (r == 0) src->raw_eof = true;
        *got += (size_t)r;
    }
    return GAN_OK;
}

/* Refill the input buffer once it is empty. */
static gan_status idx_raw_fill(idx_source *src) {
    if (src->zs.avail_in > 0 || src->raw_eof) return GAN_OK;
    size_t got = 0;
    GAN_TRY(idx_raw_read(src, src->in, IDX_INPUT_BUFFER, &got));
    src->zs.next_in = src->in;
    src->zs.avail_in = (uInt)got;
    return GAN_OK;
}

static void idx_source_close(idx_source *src) {
    if (src->inflating) inflateEnd(&src->zs);
    if (src->fd >= 0) close(src->fd);
    free(src->in);
    src->inflating = false;
    src->fd = -1;
    src->in = NULL;
}

/* Look at the first bytes: gzip or plain; set up inflate for gzip. */
static gan_status idx_source_detect(idx_source *src) {
    size_t got = 0;
    GAN_TRY(idx_raw_read(src, src->in, IDX_INPUT_BUFFER, &got));
    src->zs.next_in = src->in;
    src->zs.avail_in = (uInt)got;
    src->gzip = got >= 2 && src->in[0] == 0x1f && src->in[1] == 0x8b;
    if (src->gzip) {
        src->known_size = false;
        if (inflateInit2(&src->zs, 15 + 16) != Z_OK)
            return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot start gzip decompression", src->path);
        src->inflating = true;
    }
    return GAN_OK;
}

/* Open `path` for reading and find out whether it is gzip-compressed. */
static gan_status idx_source_open(idx_source *src, const char *path) {
    memset(src, 0, sizeof *src);
    src->path = path;
    int open_errno;
    gan_status s = gan_open_read(path, &src->fd, &open_errno); /* never blocks on a FIFO */
    if (s != GAN_OK) return open_errno ? idx_open_error(path, open_errno) : s;
    struct stat st;
    if (fstat(src->fd, &st) != 0)
        s = idx_open_error(path, errno);
    else if (!(src->in = malloc(IDX_INPUT_BUFFER)))
        s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    if (s == GAN_OK) {
        src->known_size = S_ISREG(st.st_mode);
        src->regular = src->known_size;
        src->file_size = (uint64_t)st.st_size;
        s = idx_source_detect(src);
    }
    if (s != GAN_OK) idx_source_close(src);
    return s;
}

/* Plain file: buffered bytes first, then straight from the file. */
static gan_status idx_plain_read(idx_source *src, uint8_t *buf, size_t n, size_t *got) {
    size_t take = GAN_MIN(n, (size_t)src->zs.avail_in);
    memcpy(buf, src->zs.next_in, take);
    src->zs.next_in += take;
    src->zs.avail_in -= (uInt)take;
    size_t more = 0;
    GAN_TRY(idx_raw_read(src, buf + take, n - take, &more));
    *got = take + more;
    return GAN_OK;
}

/* Data that follows the last gzip member and is not a gzip member. */
static gan_status idx_gzip_garbage(const idx_source *src) {
    return gan_fail(GAN_ERR_FORMAT, "%s: trailing garbage after the end of the gzip stream", src->path);
}

/* Inflate stopped with `ret` (not Z_OK / Z_STREAM_END / Z_BUF_ERROR). */
static gan_status idx_gzip_error(const idx_source *src, int ret) {
    if (ret == Z_MEM_ERROR) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory decompressing", src->path);
    if (src->members > 0 && src->zs.total_out == 0) return idx_gzip_garbage(src);
    return gan_fail(GAN_ERR_FORMAT, "%s: corrupt gzip data: %s", src->path,
                    src->zs.msg ? src->zs.msg : "invalid stream");
}

/* Gzip file: inflate up to `n` bytes, across gzip members. */
static gan_status idx_gzip_read(idx_source *src, uint8_t *buf, size_t n, size_t *got) {
    z_stream *zs = &src->zs;
    *got = 0;
    while (*got < n) {
        GAN_TRY(idx_raw_fill(src));
        if (src->member_done) {
            if (zs->avail_in == 0) break; /* clean end of the file */
            inflateReset(zs);            /* another member follows */
            src->member_done = false;
        }
        size_t want = GAN_MIN(n - *got, IDX_READ_CHUNK);
        zs->next_out = buf + *got;
        zs->avail_out = (uInt)want;
        int ret = inflate(zs, Z_NO_FLUSH);
        *got += want - zs->avail_out;
        if (ret == Z_STREAM_END) {
            src->member_done = true;
            src->members++;
        } else if (ret == Z_BUF_ERROR && zs->avail_in == 0 && src->raw_eof) {
            if (src->members > 0 && zs->total_out == 0) return idx_gzip_garbage(src);
            src->cut_short = true;
            break;
        } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
            return idx_gzip_error(src, ret);
        }
    }
    return GAN_OK;
}

/* Read up to `n` bytes; fewer (*got < n) only at the end of the data. A gzip
 * stream that stops before its end marker sets src->cut_short. */
static gan_status idx_source_read(idx_source *src, uint8_t *buf, size_t n, size_t *got) {
    return src->gzip ? idx_gzip_read(src, buf, n, got) : idx_plain_read(src, buf, n, got);
}

/* ------------------------------------------------------------ header */

/* Check the 4-byte magic: 0x00 0x00, ubyte type, `want_ndims` dims (0: 1..4). */
static gan_status idx_check_magic(const char *path, const uint8_t *m, int want_ndims) {
    uint32_t magic = idx_be32_get(m);
    uint32_t want = 0x0800u | (uint32_t)want_ndims;
    if (m[0] != 0 || m[1] != 0) {
        if (want_ndims)
            return gan_fail(GAN_ERR_FORMAT, "%s: bad magic number 0x%08" PRIX32 " (expected %s, 0x%08" PRIX32 ")",
                            path, magic, idx_kind_name(want_ndims), want);
        return gan_fail(GAN_ERR_FORMAT, "%s: bad magic number 0x%08" PRIX32 " (expected 0x000008NN, an IDX file)",
                        path, magic);
    }
    if (m[2] != GAN_IDX_UBYTE) {
        const char *name = idx_type_name(m[2]);
        if (name)
            return gan_fail(GAN_ERR_UNSUPPORTED,
                            "%s: IDX element type 0x%02X (%s) is not supported, only 0x08 (unsigned byte)",
                            path, m[2], name);
        return gan_fail(GAN_ERR_FORMAT, "%s: bad magic number 0x%08" PRIX32 ": unknown IDX element type 0x%02X",
                        path, magic, m[2]);
    }
    if (want_ndims && m[3] != want_ndims)
        return gan_fail(GAN_ERR_FORMAT, "%s: bad magic number 0x%08" PRIX32 " (expected %s, 0x%08" PRIX32 ")",
                        path, magic, idx_kind_name(want_ndims), want);
    if (m[3] < 1 || m[3] > GAN_IDX_MAX_DIMS)
        return gan_fail(GAN_ERR_FORMAT,
                        "%s: bad magic number 0x%08" PRIX32 ": %d dimensions (IDX files with 1 to %d are supported)",
                        path, magic, m[3], GAN_IDX_MAX_DIMS);
    return GAN_OK;
}

/* Parse and check the dimension sizes; *total = their product in bytes. */
static gan_status idx_check_dims(const char *path, const uint8_t *raw, gan_idx *out, uint64_t *total) {
    uint64_t prod = 1;
    bool too_big = false;
    for (int i = 0; i < out->ndims; i++) {
        uint32_t d = idx_be32_get(raw + 4 * i);
        if (d == 0)
            return gan_fail(GAN_ERR_FORMAT, "%s: dimension %d of %d is 0 (every dimension must be > 0)", path,
                            i + 1, out->ndims);
        out->dims[i] = d;
        if (!too_big && prod > GAN_IDX_MAX_BYTES / d) too_big = true;
        if (!too_big) prod *= d;
    }
    if (too_big || prod > GAN_IDX_MAX_BYTES || prod > SIZE_MAX) {
        char shape[96] = "";
        for (int i = 0; i < out->ndims; i++) {
            size_t len = strlen(shape);
            snprintf(shape + len, sizeof shape - len, "%s%" PRId64, i ? " x " : "", out->dims[i]);
        }
        return gan_fail(GAN_ERR_FORMAT, "%s: header claims %s elements, more than the limit of %" PRIu64 " bytes",
                        path, shape, GAN_IDX_MAX_BYTES);
    }
    *total = prod;
    return GAN_OK;
}

/* Read and validate the magic number and dims; nothing is allocated. */
static gan_status idx_read_header(idx_source *src, int want_ndims, gan_idx *out, uint64_t *total) {
    uint8_t head[4 + 4 * GAN_IDX_MAX_DIMS];
    size_t got = 0;
    GAN_TRY(idx_source_read(src, head, 4, &got));
    if (got == 0 && !src->cut_short)
        return gan_fail(GAN_ERR_FORMAT, "%s: empty file (expected an IDX header)", src->path);
    if (got < 4)
        return gan_fail(GAN_ERR_FORMAT, "%s: truncated: expected a 4-byte magic number, found %zu bytes%s",
                        src->path, got, idx_cut_note(src));
    GAN_TRY(idx_check_magic(src->path, head, want_ndims));
    out->type = head[2];
    out->ndims = head[3];
    size_t header_len = 4 + 4 * (size_t)out->ndims;
    GAN_TRY(idx_source_read(src, head + 4, header_len - 4, &got));
    if (got < header_len - 4)
        return gan_fail(GAN_ERR_FORMAT, "%s: truncated: expected a %zu-byte header, found %zu bytes%s",
                        src->path, header_len, 4 + got, idx_cut_note(src));
    memcpy(src->head, head, header_len);
    return idx_check_dims(src->path, head + 4, out, total);
}

/* ------------------------------------------------------------ body */

static gan_status idx_fail_truncated(const idx_source *src, int ndims, uint64_t total, uint64_t found) {
    return gan_fail(GAN_ERR_FORMAT, "%s: truncated: expected %" PRIu64 " bytes of %s data, found %" PRIu64 "%s",
                    src->path, total, idx_data_name(ndims), found, idx_cut_note(src));
}

static gan_status idx_fail_trailing(const idx_source *src, int ndims, uint64_t total, const char *more,
                                    uint64_t found) {
    return gan_fail(GAN_ERR_FORMAT, "%s: trailing data: expected %" PRIu64 " bytes of %s data, found %s%" PRIu64,
                    src->path, total, idx_data_name(ndims), more, found);
}

/* For a plain file, compare its size with the header's claim up front. */
static gan_status idx_check_file_size(const idx_source *src, int ndims, uint64_t total) {
    if (!src->known_size) return GAN_OK;
    uint64_t header_len = 4 + 4 * (uint64_t)ndims;
    uint64_t have = src->file_size > header_len ? src->file_size - header_len : 0;
    if (have < total) return idx_fail_truncated(src, ndims, total, have);
    if (have > total) return idx_fail_trailing(src, ndims, total, "", have);
    return GAN_OK;
}

/* After the data: nothing may follow, and a gzip stream must end cleanly. */
static gan_status idx_check_end(idx_source *src, int ndims, uint64_t total) {
    uint8_t scratch[4096];
    uint64_t extra = 0;
    size_t got = 0;
    do {
        GAN_TRY(idx_source_read(src, scratch, sizeof scratch, &got));
        extra += got;
    } while (got == sizeof scratch && extra < IDX_TRAILING_SCAN);
    if (extra) return idx_fail_trailing(src, ndims, total, got == sizeof scratch ? "more than " : "", total + extra);
    if (src->cut_short)
        return gan_fail(GAN_ERR_FORMAT,
                        "%s: truncated gzip stream: the %" PRIu64 " bytes of %s data are complete but the "
                        "stream's end (CRC and length) is missing",
                        src->path, total, idx_data_name(ndims));
    return GAN_OK;
}

/* Read exactly `total` bytes of element data into a new buffer, growing it
 * step by step when the file size is not known. */
static gan_status idx_read_body(idx_source *src, int ndims, uint64_t total, uint8_t **data) {
    size_t want = (size_t)total;
    size_t cap = src->known_size ? want : GAN_MIN(want, IDX_GROW_START);
    size_t len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory allocating %zu bytes", src->path, cap);
    for (;;) {
        size_t got = 0;
        gan_status s = idx_source_read(src, buf + len, cap - len, &got);
        if (s != GAN_OK) {
            free(buf);
            return s;
        }
        bool ended = got < cap - len;
        len += got;
        if (ended || len == want) break;
        size_t grown = cap > want / 2 ? want : cap * 2;
        uint8_t *bigger = realloc(buf, grown);
        if (!bigger) {
            free(buf);
            return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory allocating %zu bytes", src->path, grown);
        }
        buf = bigger;
        cap = grown;
    }
    gan_status s = len < want ? idx_fail_truncated(src, ndims, total, len) : idx_check_end(src, ndims, total);
    if (s != GAN_OK) {
        free(buf);
        return s;
    }
    *data = buf;
    return GAN_OK;
}

/* A regular gzip file in one call (gzip_whole.h); false when declined, and
 * then the stream is where the header left it, for zlib to go on. */
static bool idx_read_whole(idx_source *src, int ndims, uint64_t total, uint8_t **data) {
    if (!src->gzip || !src->regular) return false;
    size_t header_len = 4 + 4 * (size_t)ndims;
    if (total > SIZE_MAX - header_len) return false;
    uint8_t *all = gan_gzip_decode_whole(src->fd, src->file_size, header_len + (size_t)total);
    if (!all) return false;
    if (memcmp(all, src->head, header_len) != 0) { /* the file changed under us */
        free(all);
        return false;
    }
    memmove(all, all + header_len, (size_t)total);
    uint8_t *shrunk = realloc(all, total ? (size_t)total : 1);
    *data = shrunk ? shrunk : all;
    return true;
}

/* ------------------------------------------------------------ reading */

gan_status gan_idx_read_ndims(const char *path, int ndims, gan_idx *out) {
    if (!out) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "gan_idx_read: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path || !*path) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "gan_idx_read: empty path");
    if (ndims < 0 || ndims > GAN_IDX_MAX_DIMS)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "gan_idx_read: %d dimensions asked for (1 to %d supported)",
                        ndims, GAN_IDX_MAX_DIMS);
    idx_source src;
    GAN_TRY(idx_source_open(&src, path));
    gan_idx idx;
    memset(&idx, 0, sizeof idx);
    uint64_t total = 0;
    gan_status s = idx_read_header(&src, ndims, &idx, &total);
    if (s == GAN_OK) s = idx_check_file_size(&src, idx.ndims, total);
    if (s == GAN_OK && !idx_read_whole(&src, idx.ndims, total, &idx.data))
        s = idx_read_body(&src, idx.ndims, total, &idx.data);
    idx.gzip = src.gzip;
    idx_source_close(&src);
    if (s != GAN_OK) return s;
    idx.size = (size_t)total;
    *out = idx;
    return GAN_OK;
}

gan_status gan_idx_read(const char *path, gan_idx *out) {
    return gan_idx_read_ndims(path, 0, out);
}

void gan_idx_free(gan_idx *idx) {
    if (!idx) return;
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}

/* ------------------------------------------------------------ writing */

/* Check the writer's arguments; *total = data bytes. */
static gan_status idx_check_write_args(const char *path, const uint8_t *data, int ndims, const int64_t *dims,
                                       uint64_t *total) {
    if (!path || !*path) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "gan_idx_write: empty path");
    if (ndims < 1 || ndims > GAN_IDX_MAX_DIMS || !dims)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: %d dimensions (IDX files with 1 to %d are supported)",
                        path, ndims, GAN_IDX_MAX_DIMS);
    uint64_t prod = 1;
    for (int i = 0; i < ndims; i++) {
        if (dims[i] < 1 || dims[i] > (int64_t)UINT32_MAX)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: dimension %d is %" PRId64 " (must be 1 to %" PRIu32 ")",
                            path, i + 1, dims[i], UINT32_MAX);
        if (prod > GAN_IDX_MAX_BYTES / (uint64_t)dims[i])
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: more than %" PRIu64 " bytes of data", path,
                            GAN_IDX_MAX_BYTES);
        prod *= (uint64_t)dims[i];
    }
    if (prod > SIZE_MAX)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: too much data for this platform", path);
    if (!data) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: data is NULL", path);
    *total = prod;
    return GAN_OK;
}

/* Compress `n` bytes into the atomic file; `finish` ends the gzip stream. */
static gan_status idx_deflate_write(z_stream *zs, gan_atomic_file *af, const uint8_t *in, size_t n, bool finish) {
    uint8_t out[1 << 16];
    do {
        size_t take = GAN_MIN(n, IDX_READ_CHUNK);
        zs->next_in = (Bytef *)(uintptr_t)in;
        zs->avail_in = (uInt)take;
        in += take;
        n -= take;
        int flush = finish && n == 0 ? Z_FINISH : Z_NO_FLUSH;
        do {
            zs->next_out = out;
            zs->avail_out = sizeof out;
            if (deflate(zs, flush) == Z_STREAM_ERROR)
                return gan_fail(GAN_ERR_IO, "%s: gzip compression failed", af->path);
            GAN_TRY(gan_atomic_write(af, out, sizeof out - zs->avail_out));
        } while (zs->avail_out == 0);
    } while (n > 0);
    return GAN_OK;
}

/* Write header + data gzip-compressed (gzip wrapper: windowBits 15 + 16). */
static gan_status idx_write_gzip(gan_atomic_file *af, const uint8_t *head, size_t head_len, const uint8_t *data,
                                 size_t n) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot start gzip compression", af->path);
    gan_status s = idx_deflate_write(&zs, af, head, head_len, false);
    if (s == GAN_OK) s = idx_deflate_write(&zs, af, data, n, true);
    deflateEnd(&zs);
    return s;
}

gan_status gan_idx_write(const char *path, const uint8_t *data, int ndims, const int64_t *dims, bool gzip) {
    uint64_t total = 0;
    GAN_TRY(idx_check_write_args(path, data, ndims, dims, &total));
    uint8_t head[4 + 4 * GAN_IDX_MAX_DIMS] = {0, 0, GAN_IDX_UBYTE, (uint8_t)ndims};
    for (int i = 0; i < ndims && i < GAN_IDX_MAX_DIMS; i++)
        idx_be32_put(head + 4 + 4 * i, (uint32_t)dims[i]);
    size_t head_len = 4 + 4 * (size_t)ndims;
    gan_atomic_file af;
    GAN_TRY(gan_atomic_open(&af, path));
    gan_status s;
    if (gzip) {
        s = idx_write_gzip(&af, head, head_len, data, (size_t)total);
    } else {
        s = gan_atomic_write(&af, head, head_len);
        if (s == GAN_OK) s = gan_atomic_write(&af, data, (size_t)total);
    }
    if (s != GAN_OK) {
        gan_atomic_abort(&af);
        return s;
    }
    return gan_atomic_commit(&af);
}
