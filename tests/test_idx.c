/*
 * test_idx.c - the IDX reader/writer (src/data/idx.c) and gan_dataset_load
 * (src/data/dataset.c):
 *   - write/read round trips, plain and gzip, 1 to 4 dims, byte-exact files;
 *   - the real Fashion-MNIST files (apt package dataset-fashion-mnist, which
 *     CI installs: their absence is a failure, not a skip) loaded through
 *     gan_dataset_load and compared with an independent zlib read;
 *   - corrupt inputs, each refused with the right status and a message that
 *     names the file: missing, empty, bad magic, wrong element type, zero
 *     and absurd dims, truncation at every offset (plain, gzip content, gzip
 *     stream), trailing bytes (in the data, a second gzip member, garbage
 *     after the gzip stream), corrupt gzip data (every bit after the gzip
 *     header flipped);
 *   - the libdeflate fast path (src/data/gzip_whole.c): the same bytes as
 *     zlib; declined (NULL, zlib then reports) for a trailer whose ISIZE
 *     differs from the size asked, several members, and a tiny file whose
 *     ISIZE and IDX header both claim 2 GiB (never allocated);
 *   - dataset folders and file names: plain preferred to .gz, labels next to
 *     an images file, label count mismatch, folder without the files.
 */
#define _POSIX_C_SOURCE 200809L
#include "data/gzip_whole.h"
#include "data/idx.h"
#include "gan.h"
#include "test_util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define FASHION_DIR_DEFAULT "/usr/share/datasets/fashion-mnist"

/* ------------------------------------------------------------ helpers */

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Build an IDX file in memory: magic, dims, data; returns malloc'd bytes. */
static uint8_t *make_idx(uint32_t magic, int ndims, const uint32_t *dims, const uint8_t *data, size_t n,
                         size_t *len) {
    *len = 4 + 4 * (size_t)ndims + n;
    uint8_t *b = malloc(*len);
    put_be32(b, magic);
    for (int i = 0; i < ndims; i++) put_be32(b + 4 + 4 * i, dims[i]);
    if (n) memcpy(b + 4 + 4 * ndims, data, n);
    return b;
}

/* gzip `n` bytes in memory; returns malloc'd bytes. */
static uint8_t *gzip_bytes(const uint8_t *in, size_t n, size_t *len) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    size_t cap = deflateBound(&zs, (uLong)n) + 64;
    uint8_t *out = malloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int r = deflate(&zs, Z_FINISH);
    CHECK(r == Z_STREAM_END);
    *len = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

/* Decompress a whole gzip (or plain) file with zlib directly. */
static uint8_t *gunzip_file(const char *path, size_t *len) {
    gzFile gz = gzopen(path, "rb");
    if (!gz) return NULL;
    size_t cap = 1 << 20, n = 0;
    uint8_t *b = malloc(cap);
    int r;
    while ((r = gzread(gz, b + n, (unsigned)(cap - n))) > 0) {
        n += (size_t)r;
        if (n == cap) b = realloc(b, cap *= 2);
    }
    gzclose(gz);
    if (r < 0) {
        free(b);
        return NULL;
    }
    *len = n;
    return b;
}

/* Decompress a gzip stream in memory with zlib: true only if it is one
 * complete, valid stream with nothing after it. */
static bool gunzip_mem(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *len) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    inflateInit2(&zs, 15 + 16);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int r = inflate(&zs, Z_FINISH);
    *len = cap - zs.avail_out;
    bool ok = r == Z_STREAM_END && zs.avail_in == 0;
    inflateEnd(&zs);
    return ok;
}

static bool contains(const char *hay, const char *needle) {
    return needle == NULL || strstr(hay, needle) != NULL;
}

/* gan_idx_read(path) must fail with `status`, naming the file, the message
 * containing `what` (if not NULL), and leave the result empty. */
static void expect_idx_fail(const char *path, int ndims, gan_status status, const char *what, const char *label) {
    gan_idx idx;
    memset(&idx, 0x5a, sizeof idx);
    gan_status s = gan_idx_read_ndims(path, ndims, &idx);
    const char *msg = gan_last_error();
    CHECK_MSG(s == status, "%s: status %s, expected %s (%s)", label, gan_status_string(s),
              gan_status_string(status), msg);
    CHECK_MSG(contains(msg, path), "%s: message does not name the file: %s", label, msg);
    CHECK_MSG(contains(msg, what), "%s: message lacks \"%s\": %s", label, what, msg);
    CHECK_MSG(strchr(msg, '\n') == NULL, "%s: message is not one line: %s", label, msg);
    CHECK_MSG(idx.data == NULL && idx.size == 0, "%s: result not empty", label);
    if (s == GAN_OK) gan_idx_free(&idx);
}

static void write_bytes(const char *path, const void *b, size_t n) {
    CHECK_MSG(test_write_file(path, b, n) == 0, "cannot write %s", path);
}

/* A small valid images file: 3 images of 5 x 4 pixels, value (i*37+11)%256. */
static uint8_t *small_images(size_t *len) {
    uint8_t data[60];
    for (int i = 0; i < 60; i++) data[i] = (uint8_t)(i * 37 + 11);
    uint32_t dims[3] = {3, 5, 4};
    return make_idx(0x00000803, 3, dims, data, sizeof data, len);
}

/* ------------------------------------------------------------ round trips */

static void test_round_trip_one(int ndims, const int64_t *dims, bool gz) {
    size_t n = 1;
    for (int i = 0; i < ndims; i++) n *= (size_t)dims[i];
    uint8_t *data = malloc(n);
    for (size_t i = 0; i < n; i++) data[i] = (uint8_t)((i * 2654435761u) >> 13);
    char name[64];
    snprintf(name, sizeof name, "rt_%d_%zu%s", ndims, n, gz ? ".gz" : "");
    const char *path = test_tmp_path(name);
    CHECK_OK(gan_idx_write(path, data, ndims, dims, gz));

    /* The file, decompressed independently, is exactly header + data. */
    size_t raw_len = 0;
    uint8_t *raw = test_read_file(path, &raw_len);
    CHECK(raw != NULL && raw_len >= 2);
    if (raw) CHECK_MSG((raw[0] == 0x1f && raw[1] == 0x8b) == gz, "%s: gzip magic %s", path, gz ? "missing" : "present");
    free(raw);
    size_t plain_len = 0;
    uint8_t *plain = gunzip_file(path, &plain_len);
    CHECK(plain && plain_len == 4 + 4 * (size_t)ndims + n);
    if (plain && plain_len == 4 + 4 * (size_t)ndims + n) {
        uint8_t head[4] = {0, 0, 0x08, (uint8_t)ndims};
        CHECK(memcmp(plain, head, 4) == 0);
        for (int i = 0; i < ndims; i++) {
            uint8_t *p = plain + 4 + 4 * i;
            uint32_t d = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
            CHECK(d == (uint32_t)dims[i]);
        }
        CHECK(memcmp(plain + 4 + 4 * ndims, data, n) == 0);
    }
    free(plain);

    gan_idx idx;
    CHECK_OK(gan_idx_read(path, &idx));
    CHECK(idx.type == 0x08);
    CHECK(idx.ndims == ndims);
    CHECK(idx.gzip == gz);
    CHECK(idx.size == n);
    for (int i = 0; i < ndims; i++) CHECK(idx.dims[i] == dims[i]);
    CHECK(idx.data && memcmp(idx.data, data, n) == 0);
    gan_idx_free(&idx);
    CHECK(idx.data == NULL);

    CHECK_OK(gan_idx_read_ndims(path, ndims, &idx));
    gan_idx_free(&idx);
    int other = ndims == 3 ? 1 : 3;
    expect_idx_fail(path, other, GAN_ERR_FORMAT, "bad magic number", "wrong ndims asked");
    free(data);
}

static void test_round_trips(void) {
    int64_t d1[1] = {17}, d2[2] = {3, 9}, d3[3] = {4, 28, 28}, d4[4] = {2, 3, 5, 7};
    int64_t big[3] = {3, 1000, 1000}; /* > 1 MiB: the gzip reader grows its buffer */
    for (int gz = 0; gz < 2; gz++) {
        test_round_trip_one(1, d1, gz);
        test_round_trip_one(2, d2, gz);
        test_round_trip_one(3, d3, gz);
        test_round_trip_one(4, d4, gz);
        test_round_trip_one(3, big, gz);
    }
    /* Overwriting an existing file works and leaves no temporary behind. */
    uint8_t v[2] = {1, 2};
    int64_t two = 2;
    const char *path = test_tmp_path("overwrite.idx");
    CHECK_OK(gan_idx_write(path, v, 1, &two, false));
    v[0] = 9;
    CHECK_OK(gan_idx_write(path, v, 1, &two, true));
    gan_idx idx;
    CHECK_OK(gan_idx_read(path, &idx));
    CHECK(idx.size == 2 && idx.data && idx.data[0] == 9 && idx.gzip);
    gan_idx_free(&idx);
    char cmd[600], out[256];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp", test_tmpdir());
    test_run(cmd, out, sizeof out);
    CHECK_MSG(atoi(out) == 0, "temporary files left behind: %s", out);
}

static void test_write_refusals(void) {
    uint8_t v[4] = {0};
    int64_t ok[2] = {2, 2}, zero[2] = {2, 0}, neg[2] = {-1, 2}, huge[2] = {(int64_t)1 << 32, 1};
    int64_t over[3] = {65536, 65536, 2};
    const char *path = test_tmp_path("refused.idx");
    CHECK(gan_idx_write(path, v, 0, ok, false) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_idx_write(path, v, 5, ok, false) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_idx_write(path, v, 2, zero, false) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_idx_write(path, v, 2, neg, true) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_idx_write(path, v, 2, huge, false) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_idx_write(path, v, 3, over, false) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_idx_write(path, NULL, 2, ok, false) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_idx_write(path, v, 2, NULL, false) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_idx_write(NULL, v, 2, ok, false) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(access(path, F_OK) != 0);
    CHECK(gan_idx_write(test_tmp_path("no/such/dir/x.idx"), v, 2, ok, false) == GAN_ERR_IO);
    CHECK(contains(gan_last_error(), "no/such/dir/x.idx"));
}

/* ------------------------------------------------------------ Fashion-MNIST */

/* Compare a loaded split with the files read directly through zlib. */
static void check_fashion_split(const char *dir, gan_split split, int64_t count, const uint8_t *first_labels) {
    const char *prefix = split == GAN_SPLIT_TEST ? "t10k" : "train";
    char images_path[512], labels_path[512];
    snprintf(images_path, sizeof images_path, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(labels_path, sizeof labels_path, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    CHECK_MSG(access(images_path, R_OK) == 0 && access(labels_path, R_OK) == 0,
              "Fashion-MNIST is not installed (%s): install the apt package dataset-fashion-mnist", images_path);

    gan_dataset *data = NULL;
    CHECK_OK(gan_dataset_load(dir, split, &data));
    if (!data) return;
    int c = 0, h = 0, w = 0;
    gan_dataset_shape(data, &c, &h, &w);
    CHECK_MSG(gan_dataset_count(data) == count, "%s: %lld images", prefix, (long long)gan_dataset_count(data));
    CHECK(c == 1 && h == 28 && w == 28);
    CHECK(strcmp(gan_dataset_path(data), images_path) == 0);
    const uint8_t *labels = gan_dataset_labels(data);
    CHECK(labels != NULL);

    size_t img_len = 0, lab_len = 0;
    uint8_t *img = gunzip_file(images_path, &img_len);
    uint8_t *lab = gunzip_file(labels_path, &lab_len);
    CHECK(img && img_len == 16 + (size_t)count * 784);
    CHECK(lab && lab_len == 8 + (size_t)count);
    if (img && img_len == 16 + (size_t)count * 784)
        CHECK(memcmp(gan_dataset_pixels(data), img + 16, (size_t)count * 784) == 0);
    if (labels && lab && lab_len == 8 + (size_t)count) {
        CHECK(memcmp(labels, lab + 8, (size_t)count) == 0);
        CHECK(memcmp(labels, first_labels, 10) == 0);
        int hist[256] = {0};
        for (int64_t i = 0; i < count; i++) hist[labels[i]]++;
        for (int k = 0; k < 10; k++) CHECK_MSG(hist[k] == count / 10, "%s: class %d has %d", prefix, k, hist[k]);
    }
    free(img);
    free(lab);
    gan_dataset_free(data);

    /* The images file named directly: labels found next to it, split ignored. */
    CHECK_OK(gan_dataset_load(images_path, GAN_SPLIT_TEST, &data));
    if (data) {
        CHECK(gan_dataset_count(data) == count);
        CHECK(gan_dataset_labels(data) && gan_dataset_labels(data)[0] == first_labels[0]);
        gan_dataset_free(data);
    }
}

static void test_fashion_mnist(void) {
    const char *dir = getenv("GAN_FASHION_MNIST_DIR");
    if (!dir || !*dir) dir = FASHION_DIR_DEFAULT;
    static const uint8_t train_first[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
    static const uint8_t test_first[10] = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
    check_fashion_split(dir, GAN_SPLIT_TRAIN, 60000, train_first);
    check_fashion_split(dir, GAN_SPLIT_TEST, 10000, test_first);
}

/* ------------------------------------------------------------ corrupt files */

static void test_missing_and_empty(void) {
    expect_idx_fail(test_tmp_path("does-not-exist"), 0, GAN_ERR_IO, "no such file or directory", "missing");
    expect_idx_fail(test_tmpdir(), 0, GAN_ERR_IO, "directory", "directory");
    const char *empty = test_tmp_path("empty");
    write_bytes(empty, "", 0);
    expect_idx_fail(empty, 0, GAN_ERR_FORMAT, "empty file", "empty");
    expect_idx_fail(empty, 3, GAN_ERR_FORMAT, "empty file", "empty, idx3");
    size_t gz_len = 0;
    uint8_t *gz = gzip_bytes((const uint8_t *)"", 0, &gz_len);
    const char *empty_gz = test_tmp_path("empty.gz");
    write_bytes(empty_gz, gz, gz_len);
    expect_idx_fail(empty_gz, 0, GAN_ERR_FORMAT, "empty file", "empty gzip");
    free(gz);
}

/* Write a header-only file with `magic` and dims, plain and gzip, and expect
 * `status` with `what` in the message. */
static void expect_header_fail(const char *name, uint32_t magic, int ndims, const uint32_t *dims, int want,
                               gan_status status, const char *what) {
    size_t len = 0;
    uint8_t one = 0;
    uint8_t *b = make_idx(magic, ndims, dims, &one, 1, &len);
    const char *path = test_tmp_path(name);
    write_bytes(path, b, len);
    expect_idx_fail(path, want, status, what, name);
    size_t gz_len = 0;
    uint8_t *gz = gzip_bytes(b, len, &gz_len);
    char gz_name[128];
    snprintf(gz_name, sizeof gz_name, "%s.gz", name);
    const char *gz_path = test_tmp_path(gz_name);
    write_bytes(gz_path, gz, gz_len);
    expect_idx_fail(gz_path, want, status, what, gz_name);
    free(b);
    free(gz);
}

static void test_bad_headers(void) {
    uint32_t d3[3] = {1, 1, 1}, d1[1] = {1};
    expect_header_fail("magic_junk", 0x12340803, 3, d3, 0, GAN_ERR_FORMAT, "bad magic number 0x12340803");
    expect_header_fail("magic_junk3", 0x12340803, 3, d3, 3, GAN_ERR_FORMAT,
                       "bad magic number 0x12340803 (expected an idx3-ubyte images file, 0x00000803)");
    expect_header_fail("labels_as_images", 0x00000801, 1, d1, 3, GAN_ERR_FORMAT,
                       "bad magic number 0x00000801 (expected an idx3-ubyte images file, 0x00000803)");
    expect_header_fail("images_as_labels", 0x00000803, 3, d3, 1, GAN_ERR_FORMAT,
                       "bad magic number 0x00000803 (expected an idx1-ubyte labels file, 0x00000801)");
    expect_header_fail("type_float", 0x00000D03, 3, d3, 0, GAN_ERR_UNSUPPORTED, "0x0D (float32) is not supported");
    expect_header_fail("type_sbyte", 0x00000903, 3, d3, 3, GAN_ERR_UNSUPPORTED, "0x09 (signed byte)");
    expect_header_fail("type_int32", 0x00000C01, 1, d1, 1, GAN_ERR_UNSUPPORTED, "0x0C (int32)");
    expect_header_fail("type_unknown", 0x00000703, 3, d3, 0, GAN_ERR_FORMAT, "unknown IDX element type 0x07");
    expect_header_fail("ndims_0", 0x00000800, 0, d3, 0, GAN_ERR_FORMAT, "0 dimensions");
    uint32_t d5[5] = {1, 1, 1, 1, 1};
    expect_header_fail("ndims_5", 0x00000805, 5, d5, 0, GAN_ERR_FORMAT, "5 dimensions");

    /* Zero in each dimension. */
    for (int i = 0; i < 3; i++) {
        uint32_t dz[3] = {2, 2, 2};
        dz[i] = 0;
        char name[32], what[64];
        snprintf(name, sizeof name, "zero_dim_%d", i);
        snprintf(what, sizeof what, "dimension %d of 3 is 0", i + 1);
        expect_header_fail(name, 0x00000803, 3, dz, 3, GAN_ERR_FORMAT, what);
    }
    uint32_t dz1[1] = {0};
    expect_header_fail("zero_labels", 0x00000801, 1, dz1, 1, GAN_ERR_FORMAT, "dimension 1 of 1 is 0");

    /* Absurd sizes are refused from the header alone. */
    uint32_t absurd[3] = {1u << 31, 1u << 31, 1u << 31};
    expect_header_fail("absurd", 0x00000803, 3, absurd, 3, GAN_ERR_FORMAT,
                       "2147483648 x 2147483648 x 2147483648 elements, more than the limit");
    uint32_t max4[4] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
    expect_header_fail("max4", 0x00000804, 4, max4, 0, GAN_ERR_FORMAT, "more than the limit");
    uint32_t over[3] = {65536, 65536, 2};
    expect_header_fail("over_cap", 0x00000803, 3, over, 3, GAN_ERR_FORMAT, "more than the limit of 4294967296");
    uint32_t at_cap1[1] = {0xFFFFFFFFu};
    /* At the limit: the header is fine, but the file holds 1 byte of the 4 GiB
     * claimed (found before allocating for plain files; the gzip reader grows
     * its buffer only as data arrives). */
    expect_header_fail("at_cap", 0x00000801, 1, at_cap1, 1, GAN_ERR_FORMAT,
                       "truncated: expected 4294967295 bytes of label data, found 1");
    uint32_t cap3[3] = {65536, 65536, 1};
    expect_header_fail("at_cap3", 0x00000803, 3, cap3, 3, GAN_ERR_FORMAT,
                       "truncated: expected 4294967296 bytes of pixel data, found 1");
}

static void test_truncation(void) {
    size_t len = 0;
    uint8_t *full = small_images(&len); /* 16-byte header + 60 bytes */
    const char *path = test_tmp_path("cut.idx");
    const char *gz_path = test_tmp_path("cut.idx.gz");
    for (size_t cut = 0; cut < len; cut++) {
        char label[64], what[96];
        const char *expect = what;
        if (cut == 0)
            expect = "empty file";
        else if (cut < 4)
            snprintf(what, sizeof what, "truncated: expected a 4-byte magic number, found %zu bytes", cut);
        else if (cut < 16)
            snprintf(what, sizeof what, "truncated: expected a 16-byte header, found %zu bytes", cut);
        else
            snprintf(what, sizeof what, "truncated: expected 60 bytes of pixel data, found %zu", cut - 16);
        /* Plain file cut short. */
        write_bytes(path, full, cut);
        snprintf(label, sizeof label, "plain cut at %zu", cut);
        expect_idx_fail(path, 3, GAN_ERR_FORMAT, expect, label);
        /* Valid gzip stream of a cut IDX file. */
        size_t gz_len = 0;
        uint8_t *gz = gzip_bytes(full, cut, &gz_len);
        write_bytes(gz_path, gz, gz_len);
        snprintf(label, sizeof label, "gzip content cut at %zu", cut);
        expect_idx_fail(gz_path, 3, GAN_ERR_FORMAT, expect, label);
        free(gz);
    }
    /* The gzip stream itself cut at every byte (header, deflate data, CRC, length). */
    size_t gz_len = 0;
    uint8_t *gz = gzip_bytes(full, len, &gz_len);
    for (size_t cut = 0; cut < gz_len; cut++) {
        char label[64];
        write_bytes(gz_path, gz, cut);
        snprintf(label, sizeof label, "gzip stream cut at %zu of %zu", cut, gz_len);
        expect_idx_fail(gz_path, 3, GAN_ERR_FORMAT, cut == 0 ? "empty file" : "truncated", label);
    }
    /* ... and whole, it reads. */
    write_bytes(gz_path, gz, gz_len);
    gan_idx idx;
    CHECK_OK(gan_idx_read_ndims(gz_path, 3, &idx));
    CHECK(idx.size == 60 && idx.data && memcmp(idx.data, full + 16, 60) == 0);
    gan_idx_free(&idx);
    free(gz);
    free(full);
}

static void test_trailing(void) {
    size_t len = 0;
    uint8_t *full = small_images(&len);
    uint8_t *longer = malloc(len + 100);
    memcpy(longer, full, len);
    memset(longer + len, 0xEE, 100);
    const char *path = test_tmp_path("trail.idx");
    write_bytes(path, longer, len + 1);
    expect_idx_fail(path, 3, GAN_ERR_FORMAT, "trailing data: expected 60 bytes of pixel data, found 61", "plain +1");
    write_bytes(path, longer, len + 100);
    expect_idx_fail(path, 3, GAN_ERR_FORMAT, "trailing data: expected 60 bytes of pixel data, found 160",
                    "plain +100");
    size_t gz_len = 0;
    uint8_t *gz = gzip_bytes(longer, len + 1, &gz_len);
    const char *gz_path = test_tmp_path("trail.idx.gz");
    write_bytes(gz_path, gz, gz_len);
    expect_idx_fail(gz_path, 3, GAN_ERR_FORMAT, "trailing data: expected 60 bytes of pixel data, found 61",
                    "gzip +1");
    free(gz);
    /* A second gzip member after a complete file is trailing data too. */
    size_t a_len = 0, b_len = 0;
    uint8_t *a = gzip_bytes(full, len, &a_len);
    uint8_t *b = gzip_bytes((const uint8_t *)"xyz", 3, &b_len);
    uint8_t *both = malloc(a_len + b_len + 4096);
    memcpy(both, a, a_len);
    memcpy(both + a_len, b, b_len);
    write_bytes(gz_path, both, a_len + b_len);
    expect_idx_fail(gz_path, 3, GAN_ERR_FORMAT, "found 63", "gzip second member");
    /* Bytes after the gzip stream that are not a gzip member. */
    memcpy(both + a_len, "JUNK", 4);
    write_bytes(gz_path, both, a_len + 4);
    expect_idx_fail(gz_path, 3, GAN_ERR_FORMAT, "trailing garbage after the end of the gzip stream", "gzip junk");
    both[a_len] = 0;
    write_bytes(gz_path, both, a_len + 1);
    expect_idx_fail(gz_path, 3, GAN_ERR_FORMAT, "trailing garbage after the end of the gzip stream", "gzip + 1 byte");
    memcpy(both + a_len, "\x1f\x8bJUNK", 6);
    write_bytes(gz_path, both, a_len + 6);
    expect_idx_fail(gz_path, 3, GAN_ERR_FORMAT, "trailing garbage after the end of the gzip stream",
                    "gzip magic + junk");
    /* Two members that together hold the file are fine (as for gunzip). */
    free(a);
    a = gzip_bytes(full, 20, &a_len);
    free(b);
    b = gzip_bytes(full + 20, len - 20, &b_len);
    memcpy(both, a, a_len);
    memcpy(both + a_len, b, b_len);
    write_bytes(gz_path, both, a_len + b_len);
    gan_idx idx;
    CHECK_OK(gan_idx_read(gz_path, &idx));
    CHECK(idx.size == 60 && idx.data && memcmp(idx.data, full + 16, 60) == 0);
    gan_idx_free(&idx);
    free(a);
    free(b);
    free(both);
    free(longer);
    free(full);
}

static void test_corrupt_gzip(void) {
    size_t len = 0;
    uint8_t *full = small_images(&len);
    size_t gz_len = 0;
    uint8_t *gz = gzip_bytes(full, len, &gz_len);
    const char *path = test_tmp_path("corrupt.idx.gz");
    /* Bits flipped in every byte after the 10-byte gzip header: the deflate
     * data, CRC or length no longer match. A few flips are harmless (the
     * padding bits of the last deflate byte): whatever zlib itself decodes
     * cleanly to the same bytes must be read, everything else refused. */
    int refused = 0, harmless = 0;
    for (size_t i = 10; i < gz_len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            gz[i] ^= (uint8_t)(1u << bit);
            write_bytes(path, gz, gz_len);
            uint8_t plain[256];
            size_t plain_len = 0;
            bool same = gunzip_mem(gz, gz_len, plain, sizeof plain, &plain_len) && plain_len == len &&
                        memcmp(plain, full, len) == 0;
            gz[i] ^= (uint8_t)(1u << bit);
            char label[64];
            snprintf(label, sizeof label, "gzip byte %zu bit %d flipped", i, bit);
            if (same) {
                gan_idx idx;
                CHECK_OK(gan_idx_read_ndims(path, 3, &idx));
                CHECK_MSG(idx.data && memcmp(idx.data, full + 16, 60) == 0, "%s: wrong data", label);
                gan_idx_free(&idx);
                harmless++;
            } else {
                /* Refused: as corrupt, or for what the corrupted header says
                 * (the header is checked before the CRC is reached). */
                gan_idx idx;
                gan_status s = gan_idx_read_ndims(path, 3, &idx);
                CHECK_MSG(s == GAN_ERR_FORMAT || s == GAN_ERR_UNSUPPORTED, "%s: status %s", label,
                          gan_status_string(s));
                CHECK_MSG(contains(gan_last_error(), path), "%s: %s", label, gan_last_error());
                CHECK(idx.data == NULL);
                refused++;
            }
        }
    }
    CHECK_MSG(harmless < 8 && refused > 8 * (int)(gz_len - 10) - 8, "%d refused, %d harmless", refused, harmless);
    /* The gzip magic followed by garbage. */
    uint8_t junk[64] = {0x1f, 0x8b};
    for (int i = 2; i < 64; i++) junk[i] = (uint8_t)(i * 77);
    write_bytes(path, junk, sizeof junk);
    expect_idx_fail(path, 3, GAN_ERR_FORMAT, "gzip", "gzip garbage");
    /* A known corruption message: a bad CRC. */
    gz[gz_len - 8] ^= 0xFF;
    write_bytes(path, gz, gz_len);
    expect_idx_fail(path, 3, GAN_ERR_FORMAT, "corrupt gzip data: incorrect data check", "bad crc");
    free(gz);
    free(full);
}

/* ------------------------------------------------------------ datasets */

static void make_dir(const char *path) {
    CHECK_MSG(mkdir(path, 0777) == 0, "mkdir %s", path);
}

/* Write an images file of n images (h x w) with pixel value = image index. */
static void write_images(const char *path, int64_t n, int64_t h, int64_t w, bool gz, uint8_t base) {
    uint8_t *data = malloc((size_t)(n * h * w));
    for (int64_t i = 0; i < n * h * w; i++) data[i] = (uint8_t)(base + i / (h * w));
    int64_t dims[3] = {n, h, w};
    CHECK_OK(gan_idx_write(path, data, 3, dims, gz));
    free(data);
}

static void write_labels(const char *path, int64_t n, bool gz, uint8_t base) {
    uint8_t *data = malloc((size_t)n);
    for (int64_t i = 0; i < n; i++) data[i] = (uint8_t)(base + i * 7);
    CHECK_OK(gan_idx_write(path, data, 1, &n, gz));
    free(data);
}

/* gan_dataset_load must fail with `status`, the message containing each of
 * the (up to 3) strings. */
static void expect_load_fail(const char *path, gan_split split, gan_status status, const char *a, const char *b,
                             const char *c, const char *label) {
    gan_dataset *data = (gan_dataset *)(uintptr_t)1;
    gan_status s = gan_dataset_load(path, split, &data);
    const char *msg = gan_last_error();
    CHECK_MSG(s == status, "%s: status %s (%s)", label, gan_status_string(s), msg);
    CHECK_MSG(data == NULL, "%s: *out not cleared", label);
    CHECK_MSG(contains(msg, a) && contains(msg, b) && contains(msg, c), "%s: message: %s", label, msg);
    if (s == GAN_OK) gan_dataset_free(data);
}

static void test_dataset_folders(void) {
    char dir[512], p[600], q[600];
    snprintf(dir, sizeof dir, "%s/ds", test_tmpdir());
    make_dir(dir);
    expect_load_fail(dir, GAN_SPLIT_TRAIN, GAN_ERR_IO, dir, "train-images-idx3-ubyte", "train-images-idx3-ubyte.gz",
                     "empty folder");
    expect_load_fail(test_tmp_path("nope"), GAN_SPLIT_TRAIN, GAN_ERR_IO, test_tmp_path("nope"),
                     "no such file or directory", NULL, "nonexistent");

    /* train: gzip only (5 images 3x2, labels from 250: values > 9 kept);
     * test: plain and gzip both present, the plain one is used. */
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", dir);
    write_images(p, 5, 3, 2, true, 0);
    snprintf(q, sizeof q, "%s/train-labels-idx1-ubyte.gz", dir);
    write_labels(q, 5, true, 250);
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte", dir);
    write_images(p, 2, 4, 4, false, 100);
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte.gz", dir);
    write_images(p, 3, 4, 4, true, 200);

    gan_dataset *data = NULL;
    CHECK_OK(gan_dataset_load(dir, GAN_SPLIT_TRAIN, &data));
    if (data) {
        int c = 0, h = 0, w = 0;
        gan_dataset_shape(data, &c, &h, &w);
        CHECK(gan_dataset_count(data) == 5 && c == 1 && h == 3 && w == 2);
        CHECK(gan_dataset_pixels(data)[0] == 0 && gan_dataset_pixels(data)[6] == 1 &&
              gan_dataset_pixels(data)[29] == 4);
        const uint8_t *l = gan_dataset_labels(data);
        CHECK(l && l[0] == 250 && l[1] == 1 && l[4] == (uint8_t)(250 + 28));
        snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", dir);
        CHECK(strcmp(gan_dataset_path(data), p) == 0);
        gan_dataset_free(data);
    }
    CHECK_OK(gan_dataset_load(dir, GAN_SPLIT_TEST, &data));
    if (data) {
        CHECK(gan_dataset_count(data) == 2);
        CHECK(gan_dataset_pixels(data)[0] == 100);
        CHECK(gan_dataset_labels(data) == NULL); /* labels are optional */
        snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte", dir);
        CHECK(strcmp(gan_dataset_path(data), p) == 0);
        gan_dataset_free(data);
    }

    /* Label count mismatch names both files and both counts. */
    snprintf(q, sizeof q, "%s/t10k-labels-idx1-ubyte.gz", dir);
    write_labels(q, 3, true, 0);
    expect_load_fail(dir, GAN_SPLIT_TEST, GAN_ERR_FORMAT, "t10k-images-idx3-ubyte has 2 images",
                     "t10k-labels-idx1-ubyte.gz has 3 labels", NULL, "label mismatch");
    /* A broken labels file is reported as such. */
    write_bytes(q, "\0\0\x08\x01\0\0\0\x02\x05", 9);
    expect_load_fail(dir, GAN_SPLIT_TEST, GAN_ERR_FORMAT, q, "truncated: expected 2 bytes of label data, found 1",
                     NULL, "broken labels");
    write_bytes(q, "\0\0\x08\x03\0\0\0\x01\0\0\0\x01\0\0\0\x01\x05", 17);
    expect_load_fail(dir, GAN_SPLIT_TEST, GAN_ERR_FORMAT, q, "expected an idx1-ubyte labels file", NULL,
                     "images as labels");
    /* An images file with the wrong number of dimensions. */
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte", dir);
    write_labels(p, 2, false, 0);
    expect_load_fail(dir, GAN_SPLIT_TEST, GAN_ERR_FORMAT, p,
                     "bad magic number 0x00000801 (expected an idx3-ubyte images file, 0x00000803)", NULL,
                     "labels as images");
    write_bytes(p, "", 0);
    expect_load_fail(dir, GAN_SPLIT_TEST, GAN_ERR_FORMAT, p, "empty file", NULL, "empty images");
}

static void test_dataset_files(void) {
    char p[600], q[600];
    /* images file named directly: labels with the same suffix, then toggled. */
    snprintf(p, sizeof p, "%s/my-images-idx3-ubyte", test_tmpdir());
    write_images(p, 4, 2, 2, false, 0);
    gan_dataset *data = NULL;
    CHECK_OK(gan_dataset_load(p, GAN_SPLIT_TRAIN, &data));
    CHECK(data && gan_dataset_labels(data) == NULL && gan_dataset_count(data) == 4);
    gan_dataset_free(data);
    snprintf(q, sizeof q, "%s/my-labels-idx1-ubyte.gz", test_tmpdir());
    write_labels(q, 4, true, 3);
    CHECK_OK(gan_dataset_load(p, GAN_SPLIT_TEST, &data));
    CHECK(data && gan_dataset_labels(data) && gan_dataset_labels(data)[1] == 10);
    gan_dataset_free(data);
    snprintf(q, sizeof q, "%s/my-labels-idx1-ubyte", test_tmpdir());
    write_labels(q, 5, false, 0);
    expect_load_fail(p, GAN_SPLIT_TRAIN, GAN_ERR_FORMAT, "my-images-idx3-ubyte has 4 images",
                     "my-labels-idx1-ubyte has 5 labels", NULL, "direct mismatch");

    /* gzip images file, plain labels next to it. */
    snprintf(p, sizeof p, "%s/x-images-idx3-ubyte.gz", test_tmpdir());
    write_images(p, 5, 2, 2, true, 0);
    snprintf(q, sizeof q, "%s/x-labels-idx1-ubyte", test_tmpdir());
    write_labels(q, 5, false, 1);
    CHECK_OK(gan_dataset_load(p, GAN_SPLIT_TRAIN, &data));
    CHECK(data && gan_dataset_labels(data) && gan_dataset_labels(data)[0] == 1);
    CHECK(data && strcmp(gan_dataset_path(data), p) == 0);
    gan_dataset_free(data);

    /* A labels file given as the images file is refused. */
    expect_load_fail(q, GAN_SPLIT_TRAIN, GAN_ERR_FORMAT, q, "expected an idx3-ubyte images file", NULL,
                     "labels file as path");
    /* A missing file inside an existing folder. */
    snprintf(p, sizeof p, "%s/ds/missing-images-idx3-ubyte", test_tmpdir());
    expect_load_fail(p, GAN_SPLIT_TRAIN, GAN_ERR_IO, p, "no such file or directory", NULL, "missing file");
    CHECK(gan_dataset_load(NULL, GAN_SPLIT_TRAIN, &data) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_dataset_load(p, (gan_split)7, &data) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_dataset_count(NULL) == 0 && gan_dataset_pixels(NULL) == NULL);
    gan_dataset_free(NULL);
}

/* gan_gzip_decode_whole on the file at `path`, asking for `out_size` bytes. */
static uint8_t *decode_whole_file(const char *path, size_t out_size) {
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    uint8_t *out = gan_gzip_decode_whole(fd, (uint64_t)st.st_size, out_size);
    close(fd);
    return out;
}

static void test_gzip_whole(void) {
    /* 3 x 300 x 300 bytes (270 KB: more than the zlib reader's first buffer) */
    uint32_t dims[3] = {3, 300, 300};
    size_t n = 3 * 300 * 300, len = 0, gz_len = 0;
    uint8_t *data = malloc(n);
    for (size_t i = 0; i < n; i++) data[i] = (uint8_t)((i * 2654435761u) >> 13);
    uint8_t *full = make_idx(0x00000803, 3, dims, data, n, &len);
    uint8_t *gz = gzip_bytes(full, len, &gz_len);
    const char *path = test_tmp_path("whole.idx.gz");
    write_bytes(path, gz, gz_len);
    uint8_t *out = decode_whole_file(path, len);
    if (gan_gzip_whole_available()) {
        CHECK_MSG(out && memcmp(out, full, len) == 0, "libdeflate: not the bytes zlib compressed");
    } else {
        CHECK(out == NULL);
    }
    free(out);
    CHECK(decode_whole_file(path, len - 1) == NULL); /* ISIZE differs from the size asked */
    CHECK(decode_whole_file(path, len + 1) == NULL);
    gan_idx idx;
    CHECK_OK(gan_idx_read_ndims(path, 3, &idx));
    CHECK(idx.size == n && memcmp(idx.data, data, n) == 0 && idx.gzip);
    gan_idx_free(&idx);

    /* The trailer's ISIZE lies (one more byte): declined, zlib refuses. */
    gz[gz_len - 4] ^= 1;
    write_bytes(path, gz, gz_len);
    CHECK(decode_whole_file(path, len) == NULL);
    expect_idx_fail(path, 3, GAN_ERR_FORMAT, "corrupt gzip data", "ISIZE off by one");
    gz[gz_len - 4] ^= 1;

    /* Two members: declined by the fast path, read by zlib. */
    size_t a_len = 0, b_len = 0;
    uint8_t *a = gzip_bytes(full, 1000, &a_len);
    uint8_t *b = gzip_bytes(full + 1000, len - 1000, &b_len);
    uint8_t *two = malloc(a_len + b_len);
    memcpy(two, a, a_len);
    memcpy(two + a_len, b, b_len);
    write_bytes(path, two, a_len + b_len);
    CHECK(decode_whole_file(path, len) == NULL);
    CHECK_OK(gan_idx_read_ndims(path, 3, &idx));
    CHECK(idx.size == n && memcmp(idx.data, data, n) == 0);
    gan_idx_free(&idx);

    /* A header that claims 2 GiB, and an ISIZE that agrees, in a file of a few
     * dozen bytes: deflate cannot expand that far, so nothing is allocated;
     * zlib reports the wrong length. */
    uint32_t huge_dims[3] = {32768, 256, 256};
    size_t hlen = 0, hgz_len = 0;
    uint8_t *head = make_idx(0x00000803, 3, huge_dims, NULL, 0, &hlen);
    uint8_t *hgz = gzip_bytes(head, hlen, &hgz_len);
    uint32_t claim = (uint32_t)(hlen + ((size_t)1 << 31));
    for (int i = 0; i < 4; i++) hgz[hgz_len - 4 + i] = (uint8_t)(claim >> (8 * i));
    write_bytes(path, hgz, hgz_len);
    CHECK(decode_whole_file(path, hlen + ((size_t)1 << 31)) == NULL);
    expect_idx_fail(path, 3, GAN_ERR_FORMAT, "incorrect length check", "2 GiB claimed by 40 bytes");
    free(head);
    free(hgz);
    free(two);
    free(a);
    free(b);
    free(gz);
    free(full);
    free(data);
}

int main(void) {
    test_round_trips();
    test_write_refusals();
    test_fashion_mnist();
    test_missing_and_empty();
    test_bad_headers();
    test_truncation();
    test_trailing();
    test_corrupt_gzip();
    test_gzip_whole();
    test_dataset_folders();
    test_dataset_files();
    return test_report();
}
