/*
 * test_safetensors.c - the safetensors writer and validating reader.
 *
 * Checks: a round trip of several dtypes/shapes (scalar, empty, misaligned
 * after a U8 tensor) and of metadata with escapes and non-ASCII text; a
 * foreign-style file whose header length is not a multiple of 8 yields
 * aligned, correct data; gan_st_get/_f32 errors; a valid file truncated at
 * every header offset and several data offsets is refused; hand-made hostile
 * headers are each refused with GAN_ERR_FORMAT, a message starting with the
 * path and naming the problem; random byte corruption never crashes (run
 * under the sanitizers too).
 */
#include "io/safetensors.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- helpers */

/* The message must start with "PATH: " and contain `needle`. */
static int message_ok(const char *path, const char *needle) {
    const char *m = gan_last_error();
    size_t n = strlen(path);
    return strncmp(m, path, n) == 0 && m[n] == ':' && (!needle || strstr(m, needle));
}

static void put_le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* A file image: 8-byte length (header_len, or strlen(header) when ~0), the
 * header, then data_len bytes 0, 1, 2, ... */
static uint8_t *make_file(const char *header, uint64_t header_len, size_t data_len,
                          size_t *len) {
    size_t h = strlen(header);
    *len = 8 + h + data_len;
    uint8_t *buf = malloc(*len);
    put_le64(buf, header_len == ~(uint64_t)0 ? h : header_len);
    memcpy(buf + 8, header, h);
    for (size_t i = 0; i < data_len; i++) buf[8 + h + i] = (uint8_t)i;
    return buf;
}

static int case_counter = 0;

/* Write the bytes, open them, and expect GAN_ERR_FORMAT naming the problem. */
static void expect_bad_bytes(const char *label, const uint8_t *bytes, size_t len,
                             const char *needle) {
    char name[64];
    snprintf(name, sizeof name, "bad_%03d.safetensors", case_counter++);
    const char *path = test_tmp_path(name);
    CHECK(test_write_file(path, bytes, len) == 0);
    gan_st_file *f = NULL;
    gan_status s = gan_st_open(path, &f);
    CHECK_MSG(s == GAN_ERR_FORMAT, "%s: status %d (%s)", label, (int)s, gan_last_error());
    CHECK_MSG(f == NULL, "%s: handle returned on failure", label);
    CHECK_MSG(message_ok(path, needle), "%s: message '%s' lacks '%s'", label, gan_last_error(),
              needle ? needle : "");
    gan_st_close(f);
}

static void expect_bad(const char *label, const char *header, size_t data_len,
                       const char *needle) {
    size_t len = 0;
    uint8_t *buf = make_file(header, ~(uint64_t)0, data_len, &len);
    expect_bad_bytes(label, buf, len, needle);
    free(buf);
}

static int aligned(const void *p, size_t a) { return p && (uintptr_t)p % a == 0; }

/* ----------------------------------------------------------- round trip */

static float w0[2][3] = {{1.5f, -2.0f, 3.25f}, {0.0f, 1e-8f, -7e20f}};
static uint8_t u0[5] = {1, 2, 3, 250, 255};
static float w1[4][1][2] = {{{1, 2}}, {{3, 4}}, {{5, 6}}, {{7, 8}}};
static int64_t i0[3] = {-1, INT64_MAX, 42};
static float scalar = 3.5f;

static const char *unicode_value = "quote \" backslash \\ newline \n tab \t caf\xc3\xa9 \xf0\x9f\x98\x80";

static void write_sample(const char *path) {
    gan_st_writer *w = NULL;
    CHECK_OK(gan_st_writer_create(&w));
    CHECK_OK(gan_st_writer_add(w, "g.0.weight", GAN_ST_F32, 2, (int64_t[]){2, 3}, w0));
    CHECK_OK(gan_st_writer_add(w, "bytes", GAN_ST_U8, 1, (int64_t[]){5}, u0));
    /* Offset 24 + 5 = 29: misaligned for F32 in the file. */
    CHECK_OK(gan_st_writer_add(w, "d.\"odd\" name", GAN_ST_F32, 3, (int64_t[]){4, 1, 2}, w1));
    CHECK_OK(gan_st_writer_add(w, "empty", GAN_ST_F32, 2, (int64_t[]){0, 3}, NULL));
    CHECK_OK(gan_st_writer_add(w, "steps", GAN_ST_I64, 1, (int64_t[]){3}, i0));
    CHECK_OK(gan_st_writer_add(w, "scalar", GAN_ST_F32, 0, NULL, &scalar));
    CHECK_OK(gan_st_writer_set_metadata(w, "format", "pt"));
    CHECK_OK(gan_st_writer_set_metadata(w, "note", "first"));
    CHECK_OK(gan_st_writer_set_metadata(w, "note", unicode_value));
    CHECK_OK(gan_st_writer_set_metadata(w, "empty", ""));

    /* Refusals. */
    CHECK(gan_st_writer_add(w, "bytes", GAN_ST_U8, 1, (int64_t[]){5}, u0) ==
          GAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(gan_last_error(), "duplicate") != NULL);
    CHECK(gan_st_writer_add(w, "__metadata__", GAN_ST_U8, 1, (int64_t[]){5}, u0) ==
          GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_st_writer_add(w, "", GAN_ST_U8, 1, (int64_t[]){5}, u0) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_st_writer_add(w, "neg", GAN_ST_U8, 1, (int64_t[]){-5}, u0) ==
          GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_st_writer_add(w, "nodata", GAN_ST_U8, 1, (int64_t[]){5}, NULL) ==
          GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_st_writer_add(w, "dims", GAN_ST_U8, 9, (int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 1}, u0) ==
          GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_st_writer_add(w, "bad\xff", GAN_ST_U8, 1, (int64_t[]){5}, u0) ==
          GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_st_writer_add(w, "huge", GAN_ST_F32, 3,
                            (int64_t[]){INT64_MAX, INT64_MAX, 2}, u0) == GAN_ERR_INVALID_ARGUMENT);

    CHECK_OK(gan_st_writer_save(w, path));
    CHECK(gan_st_writer_save(w, "/nonexistent/dir/x.safetensors") == GAN_ERR_IO);
    CHECK(strstr(gan_last_error(), "/nonexistent/dir/x.safetensors") != NULL);
    gan_st_writer_free(w);
}

/* The bytes of file `path` (len) and its header length n (the first 8
 * bytes, little-endian); NULL, a check failed, when it is too short. */
static uint8_t *read_with_header_length(const char *path, size_t *len, uint64_t *n) {
    uint8_t *buf = test_read_file(path, len);
    CHECK(buf && *len > 8);
    if (!buf || *len <= 8) {
        free(buf);
        return NULL;
    }
    *n = 0;
    for (int i = 7; i >= 0; i--) *n = *n << 8 | buf[i];
    return buf;
}

static void check_layout(const char *path) {
    size_t len = 0;
    uint64_t n = 0;
    uint8_t *buf = read_with_header_length(path, &len, &n);
    if (!buf) return;
    CHECK_MSG(n % 8 == 0, "header length %llu is not a multiple of 8", (unsigned long long)n);
    CHECK(n + 8 <= len && buf[8] == '{');
    size_t data = 24 + 5 + 32 + 0 + 24 + 4;
    CHECK_MSG(len == 8 + n + data, "file %zu bytes, header %llu, data %zu", len,
              (unsigned long long)n, data);
    /* The raw data follows the header in insertion order. */
    if (len == 8 + n + data) {
        CHECK(memcmp(buf + 8 + n, w0, 24) == 0);
        CHECK(memcmp(buf + 8 + n + 24, u0, 5) == 0);
        CHECK(memcmp(buf + 8 + n + 29, w1, 32) == 0);
    }
    free(buf);
}

static void test_roundtrip(void) {
    const char *path = test_tmp_path("round.safetensors");
    write_sample(path);
    check_layout(path);
    gan_st_file *f = NULL;
    CHECK_OK(gan_st_open(path, &f));
    if (!f) return;
    CHECK(strcmp(gan_st_path(f), path) == 0);
    CHECK(gan_st_count(f) == 6);
    /* File order = data offset order; the empty tensor sorts by name at 61. */
    static const char *order[] = {"g.0.weight", "bytes", "d.\"odd\" name", "empty", "steps",
                                  "scalar"};
    for (size_t i = 0; i < 6; i++) {
        const gan_st_tensor *t = gan_st_tensor_at(f, i);
        CHECK_MSG(t && strcmp(t->name, order[i]) == 0, "tensor %zu is %s", i, t ? t->name : "-");
    }
    CHECK(gan_st_tensor_at(f, 6) == NULL);

    const gan_st_tensor *t = gan_st_find(f, "g.0.weight");
    CHECK(t && t->dtype == GAN_ST_F32 && t->ndims == 2 && t->shape[0] == 2 && t->shape[1] == 3);
    CHECK(t && t->nbytes == 24 && aligned(t->data, 4) && memcmp(t->data, w0, 24) == 0);
    t = gan_st_find(f, "bytes");
    CHECK(t && t->dtype == GAN_ST_U8 && t->ndims == 1 && t->nbytes == 5 &&
          memcmp(t->data, u0, 5) == 0);
    t = gan_st_find(f, "d.\"odd\" name");
    CHECK(t && t->ndims == 3 && t->shape[2] == 2 && t->nbytes == 32);
    CHECK_MSG(t && aligned(t->data, 4), "misaligned F32 data at %p", t ? t->data : NULL);
    CHECK(t && t->data && memcmp(t->data, w1, 32) == 0);
    t = gan_st_find(f, "empty");
    CHECK(t && t->nbytes == 0 && t->ndims == 2 && t->shape[0] == 0 && t->shape[1] == 3);
    t = gan_st_find(f, "steps");
    CHECK(t && t->dtype == GAN_ST_I64 && aligned(t->data, 8) && t->data &&
          memcmp(t->data, i0, 24) == 0);
    t = gan_st_find(f, "scalar");
    CHECK(t && t->ndims == 0 && t->nbytes == 4 && t->data && *(const float *)t->data == 3.5f);
    CHECK(gan_st_find(f, "missing") == NULL);

    CHECK(gan_st_metadata_count(f) == 3);
    CHECK(gan_st_metadata(f, "format") && strcmp(gan_st_metadata(f, "format"), "pt") == 0);
    CHECK(gan_st_metadata(f, "note") && strcmp(gan_st_metadata(f, "note"), unicode_value) == 0);
    CHECK(gan_st_metadata(f, "empty") && strcmp(gan_st_metadata(f, "empty"), "") == 0);
    CHECK(gan_st_metadata(f, "nope") == NULL);
    const char *k = NULL, *v = NULL;
    CHECK_OK(gan_st_metadata_at(f, 0, &k, &v));
    CHECK(k && v && strcmp(k, "format") == 0 && strcmp(v, "pt") == 0);
    CHECK(gan_st_metadata_at(f, 3, &k, &v) == GAN_ERR_INVALID_ARGUMENT);

    /* gan_st_get_f32 and its errors. */
    const float *data = NULL;
    CHECK_OK(gan_st_get_f32(f, "g.0.weight", 2, (int64_t[]){2, 3}, &data));
    CHECK(data && data[5] == -7e20f);
    CHECK(gan_st_get_f32(f, "g.0.weight", 2, (int64_t[]){3, 2}, &data) == GAN_ERR_SHAPE);
    CHECK_MSG(message_ok(path, "tensor 'g.0.weight' has shape [2, 3], expected [3, 2]"), "%s",
              gan_last_error());
    CHECK(data == NULL);
    CHECK(gan_st_get_f32(f, "g.0.weight", 1, (int64_t[]){6}, &data) == GAN_ERR_SHAPE);
    CHECK(gan_st_get_f32(f, "bytes", 1, (int64_t[]){5}, &data) == GAN_ERR_FORMAT);
    CHECK_MSG(message_ok(path, "tensor 'bytes' has dtype U8, expected F32"), "%s",
              gan_last_error());
    CHECK(gan_st_get_f32(f, "nope", 1, (int64_t[]){5}, &data) == GAN_ERR_FORMAT);
    CHECK_MSG(message_ok(path, "tensor 'nope' not found"), "%s", gan_last_error());
    const void *raw = NULL;
    CHECK_OK(gan_st_get(f, "steps", GAN_ST_I64, 1, (int64_t[]){3}, &raw));
    CHECK(raw && ((const int64_t *)raw)[1] == INT64_MAX);
    CHECK_OK(gan_st_get_f32(f, "scalar", 0, NULL, &data));
    CHECK(data && *data == 3.5f);
    gan_st_close(f);
}

/* A file from "another writer": header length 61 (data starts at byte 69),
 * tensors listed out of offset order, compact JSON with odd spacing. */
static void test_foreign_alignment(void) {
    const char *header = "{\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                         "\t\"a\" : {\"data_offsets\":[0,8],\"shape\":[2],\"dtype\":\"F32\"}}";
    size_t h = strlen(header), len = 8 + h + 16;
    CHECK_MSG((8 + h) % 4 != 0, "test header must misalign the data (8 + %zu)", h);
    uint8_t *buf = malloc(len);
    put_le64(buf, h);
    memcpy(buf + 8, header, h);
    float a[2] = {0.25f, -4.0f};
    double b = 1.0 / 3.0;
    memcpy(buf + 8 + h, a, 8);
    memcpy(buf + 8 + h + 8, &b, 8);
    const char *path = test_tmp_path("foreign.safetensors");
    CHECK(test_write_file(path, buf, len) == 0);
    free(buf);
    gan_st_file *f = NULL;
    CHECK_OK(gan_st_open(path, &f));
    if (!f) return;
    CHECK(gan_st_count(f) == 2);
    CHECK(gan_st_tensor_at(f, 0) && strcmp(gan_st_tensor_at(f, 0)->name, "a") == 0);
    const float *pa = NULL;
    CHECK_OK(gan_st_get_f32(f, "a", 1, (int64_t[]){2}, &pa));
    CHECK(aligned(pa, 4) && pa[0] == 0.25f && pa[1] == -4.0f);
    const void *pb = NULL;
    CHECK_OK(gan_st_get(f, "b", GAN_ST_F64, 1, (int64_t[]){1}, &pb));
    CHECK(aligned(pb, 8) && *(const double *)pb == b);
    CHECK(gan_st_metadata_count(f) == 0 && gan_st_metadata(f, "x") == NULL);
    gan_st_close(f);
}

/* A mapped file (over 1 MB): gan_st_release drops a tensor's pages, which
 * read back the same afterwards; a file read into memory ignores it. */
static void test_release(void) {
    size_t n = (size_t)3 << 20 >> 2; /* 3 MB of floats */
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = (float)i * 0.5f;
    gan_st_writer *w = NULL;
    CHECK_OK(gan_st_writer_create(&w));
    int64_t shape[1] = {(int64_t)n}, small_shape[1] = {3};
    CHECK_OK(gan_st_writer_add(w, "big", GAN_ST_F32, 1, shape, v));
    CHECK_OK(gan_st_writer_add(w, "small", GAN_ST_F32, 1, small_shape, v + 5));
    const char *path = test_tmp_path("release.safetensors");
    CHECK_OK(gan_st_writer_save(w, path));
    gan_st_writer_free(w);
    gan_st_file *f = NULL;
    CHECK_OK(gan_st_open(path, &f));
    const float *big = NULL, *small = NULL;
    if (f) CHECK_OK(gan_st_get_f32(f, "big", 1, shape, &big));
    if (f) CHECK_OK(gan_st_get_f32(f, "small", 1, small_shape, &small));
    if (big && small) {
        CHECK(memcmp(big, v, n * sizeof *v) == 0);
        gan_st_release(f, big, n * sizeof *big);
        gan_st_release(f, small, 3 * sizeof *small);
        gan_st_release(f, v, n * sizeof *v); /* not the file's bytes: ignored */
        CHECK_MSG(memcmp(big, v, n * sizeof *v) == 0, "a released tensor reads back different");
        CHECK(small[0] == v[5] && small[2] == v[7]);
    }
    gan_st_close(f);
    free(v);
}

static void test_valid_edge_cases(void) {
    const char *good[] = {
        "{}",
        "  { }  ",
        "{\"__metadata__\":{}}",
        "{\"\\u00e9\\ud83d\\ude00\\/\\n\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]}}",
    };
    size_t data_len[] = {0, 0, 0, 1};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        size_t len = 0;
        uint8_t *buf = make_file(good[i], ~(uint64_t)0, data_len[i], &len);
        const char *path = test_tmp_path("good.safetensors");
        CHECK(test_write_file(path, buf, len) == 0);
        free(buf);
        gan_st_file *f = NULL;
        CHECK_MSG(gan_st_open(path, &f) == GAN_OK, "header %s: %s", good[i], gan_last_error());
        if (i == 3 && f) {
            const gan_st_tensor *t = gan_st_tensor_at(f, 0);
            CHECK(t && strcmp(t->name, "\xc3\xa9\xf0\x9f\x98\x80/\n") == 0);
        }
        gan_st_close(f);
    }
}

/* ---------------------------------------------------------- truncation */

static void test_truncation(void) {
    const char *path = test_tmp_path("round.safetensors");
    size_t len = 0;
    uint64_t n = 0;
    uint8_t *buf = read_with_header_length(path, &len, &n);
    if (!buf) return;
    int refused = 0, tried = 0;
    size_t data_cuts[] = {8 + n + 1, 8 + n + 24, 8 + n + 29, 8 + n + 30, len - 4, len - 1};
    for (size_t cut = 0; cut <= len; cut++) {
        int in_header = cut <= 8 + n;
        int listed = 0;
        for (size_t k = 0; k < sizeof data_cuts / sizeof data_cuts[0]; k++)
            listed |= data_cuts[k] == cut;
        if (!in_header && !listed) continue;
        const char *tp = test_tmp_path("trunc.safetensors");
        CHECK(test_write_file(tp, buf, cut) == 0);
        gan_st_file *f = NULL;
        gan_status s = gan_st_open(tp, &f);
        tried++;
        if (s == GAN_ERR_FORMAT && !f && message_ok(tp, NULL))
            refused++;
        else
            fprintf(stderr, "truncated at %zu: status %d: %s\n", cut, (int)s, gan_last_error());
        gan_st_close(f);
    }
    CHECK_MSG(refused == tried, "%d of %d truncations refused", refused, tried);
    CHECK(tried > 100);
    free(buf);
}

/* ------------------------------------------------------ hostile headers */

#define T(dtype, shape, offs) "{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":" offs "}"

static void test_hostile_headers(void) {
    size_t len = 0;
    uint8_t *buf = make_file("{}", (uint64_t)1 << 63, 0, &len);
    expect_bad_bytes("huge header length", buf, len, "header length 9223372036854775808");
    free(buf);
    buf = make_file("{}", 1000, 10, &len);
    expect_bad_bytes("header longer than file", buf, len, "exceeds the 12 bytes");
    free(buf);
    buf = make_file("{}", ~(uint64_t)0 - 1, 0, &len);
    expect_bad_bytes("header length near 2^64", buf, len, "header length");
    free(buf);
    expect_bad_bytes("7-byte file", (const uint8_t *)"\x02\0\0\0\0\0\0", 7, "too short");
    expect_bad_bytes("empty file", (const uint8_t *)"", 0, "too short");

    expect_bad("empty header", "", 0, "JSON object");
    expect_bad("not JSON", "hello world", 0, "JSON object");
    expect_bad("JSON array", "[1, 2]", 0, "JSON object");
    expect_bad("JSON string", "\"a\"", 0, "JSON object");
    expect_bad("unterminated object", "{\"a\":" T("U8", "[1]", "[0,1]"), 1, "header byte");
    expect_bad("trailing garbage", "{} x", 0, "unexpected bytes after");
    expect_bad("trailing comma", "{\"a\":" T("U8", "[1]", "[0,1]") ",}", 1, "expected a string");
    expect_bad("unquoted key", "{a:1}", 0, "expected a string");
    expect_bad("missing colon", "{\"a\" " T("U8", "[1]", "[0,1]") "}", 1, "expected ':'");
    expect_bad("entry not object", "{\"a\":5}", 0, "tensor entry must be an object");

    expect_bad("unknown dtype", "{\"a\":" T("F33", "[1]", "[0,4]") "}", 4, "unknown dtype 'F33'");
    expect_bad("dtype not string", "{\"a\":{\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,1]}}", 1,
               "expected a string");
    expect_bad("negative shape", "{\"a\":" T("U8", "[-1]", "[0,1]") "}", 1, "not negative");
    expect_bad("float shape", "{\"a\":" T("U8", "[1.0]", "[0,1]") "}", 1, "integer");
    expect_bad("exponent shape", "{\"a\":" T("U8", "[1e0]", "[0,1]") "}", 1, "integer");
    expect_bad("string shape", "{\"a\":" T("U8", "[\"1\"]", "[0,1]") "}", 1, "integer");
    expect_bad("shape not array", "{\"a\":" T("U8", "1", "[0,1]") "}", 1, "must be an array");
    expect_bad("leading zero", "{\"a\":" T("U8", "[01]", "[0,1]") "}", 1, "leading zero");
    expect_bad("dim too large", "{\"a\":" T("U8", "[9223372036854775808]", "[0,1]") "}", 1,
               "too large");
    expect_bad("too many dims", "{\"a\":" T("U8", "[1,1,1,1,1,1,1,1,1]", "[0,1]") "}", 1,
               "more than 8");
    expect_bad("shape product overflow",
               "{\"a\":" T("F32", "[4294967296,4294967296,16]", "[0,4]") "}", 4, "overflows");
    expect_bad("offsets reversed", "{\"a\":" T("U8", "[0]", "[8,0]") "}", 8, "reversed");
    expect_bad("offsets out of bounds", "{\"g.0.weight\":" T("U8", "[999999]", "[0,999999]") "}",
               4096, "tensor 'g.0.weight': data_offsets [0, 999999] exceed the data section "
                     "(4096 bytes)");
    expect_bad("offset negative", "{\"a\":" T("U8", "[1]", "[-1,0]") "}", 1, "not negative");
    expect_bad("offsets 1 entry", "{\"a\":" T("U8", "[1]", "[1]") "}", 1, "2 entries");
    expect_bad("offsets 3 entries", "{\"a\":" T("U8", "[1]", "[0,1,1]") "}", 1, "more than 2");
    expect_bad("overlapping tensors",
               "{\"a\":" T("F32", "[4]", "[0,16]") ",\"b\":" T("F32", "[4]", "[8,24]") "}", 24,
               "overlaps");
    expect_bad("gap in data",
               "{\"a\":" T("F32", "[2]", "[0,8]") ",\"b\":" T("F32", "[2]", "[12,20]") "}", 20,
               "gap in the data section: bytes [8, 12)");
    expect_bad("gap at start", "{\"a\":" T("F32", "[2]", "[4,12]") "}", 12, "gap");
    expect_bad("unused data at end", "{\"a\":" T("F32", "[2]", "[0,8]") "}", 12, "cover only");
    expect_bad("duplicate names",
               "{\"a\":" T("F32", "[2]", "[0,8]") ",\"a\":" T("F32", "[2]", "[8,16]") "}", 16,
               "duplicate tensor name 'a'");
    expect_bad("missing data_offsets", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1,
               "missing \"data_offsets\"");
    expect_bad("missing dtype", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,1]}}", 1,
               "missing \"dtype\"");
    expect_bad("missing shape", "{\"a\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", 1,
               "missing \"shape\"");
    expect_bad("duplicate field",
               "{\"a\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}",
               1, "duplicate key 'dtype'");
    expect_bad("unexpected field",
               "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":1}}", 1,
               "unexpected key 'x'");
    expect_bad("wrong size for shape", "{\"a\":" T("F32", "[3]", "[0,8]") "}", 8, "needs 12");
    expect_bad("metadata value number", "{\"__metadata__\":{\"k\":5}}", 0,
               "value for key 'k' is not a string");
    expect_bad("metadata value null", "{\"__metadata__\":{\"k\":null}}", 0, "not a string");
    expect_bad("metadata value object", "{\"__metadata__\":{\"k\":{}}}", 0, "not a string");
    expect_bad("metadata not object", "{\"__metadata__\":[]}", 0, "must be an object");
    expect_bad("duplicate metadata key", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0,
               "duplicate __metadata__ key 'k'");
    expect_bad("duplicate metadata", "{\"__metadata__\":{},\"__metadata__\":{}}", 0,
               "duplicate __metadata__");

    expect_bad("unterminated string", "{\"abc", 0, "unterminated string");
    expect_bad("bad escape", "{\"a\\x\":" T("U8", "[1]", "[0,1]") "}", 1, "bad escape");
    expect_bad("short unicode escape", "{\"a\\u12\":" T("U8", "[1]", "[0,1]") "}", 1,
               "bad \\u escape");
    expect_bad("lone high surrogate", "{\"a\\ud800\":" T("U8", "[1]", "[0,1]") "}", 1,
               "surrogate");
    expect_bad("lone low surrogate", "{\"a\\udc00\":" T("U8", "[1]", "[0,1]") "}", 1,
               "surrogate");
    expect_bad("NUL escape", "{\"a\\u0000b\":" T("U8", "[1]", "[0,1]") "}", 1, "NUL");
    expect_bad("control char", "{\"a\nb\":" T("U8", "[1]", "[0,1]") "}", 1, "control character");
    expect_bad("invalid UTF-8", "{\"a\xff\":" T("U8", "[1]", "[0,1]") "}", 1, "UTF-8");
    expect_bad("overlong UTF-8", "{\"a\xc0\xaf\":" T("U8", "[1]", "[0,1]") "}", 1, "UTF-8");
    expect_bad("surrogate in UTF-8", "{\"a\xed\xa0\x80\":" T("U8", "[1]", "[0,1]") "}", 1,
               "UTF-8");

    /* A NUL byte inside the header (declared length covers it). */
    buf = make_file("{}", 3, 0, &len);
    uint8_t nul_file[11];
    memcpy(nul_file, buf, 10);
    nul_file[10] = 0;
    expect_bad_bytes("NUL after object", nul_file, 11, "unexpected bytes after");
    free(buf);

    /* Missing file: an I/O error, not a format error. */
    gan_st_file *f = NULL;
    const char *missing = test_tmp_path("does-not-exist.safetensors");
    CHECK(gan_st_open(missing, &f) == GAN_ERR_IO && f == NULL);
    CHECK(message_ok(missing, NULL));
    CHECK(gan_st_open(test_tmpdir(), &f) == GAN_ERR_IO && f == NULL);
}

/* Random corruption of the header and the length field: any outcome but a
 * crash (or a handle with a failure) is fine; the sanitizers watch memory. */
static void test_random_corruption(void) {
    const char *path = test_tmp_path("round.safetensors");
    size_t len = 0;
    uint8_t *orig = test_read_file(path, &len);
    CHECK(orig != NULL);
    if (!orig) return;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | orig[i];
    uint8_t *buf = malloc(len);
    uint32_t rng = 7;
    int opened = 0, refused = 0;
    const char *tp = test_tmp_path("fuzz.safetensors");
    for (int iter = 0; iter < 1500; iter++) {
        memcpy(buf, orig, len);
        int flips = 1 + iter % 3;
        for (int k = 0; k < flips; k++) {
            rng = rng * 1103515245u + 12345u;
            size_t at = (rng >> 8) % (8 + n);
            rng = rng * 1103515245u + 12345u;
            buf[at] = iter % 2 ? (uint8_t)(rng >> 16) : (uint8_t)(buf[at] ^ (1u << ((rng >> 16) % 8)));
        }
        if (test_write_file(tp, buf, len) != 0) continue;
        gan_st_file *f = NULL;
        gan_status s = gan_st_open(tp, &f);
        if (s == GAN_OK && f) {
            opened++;
            for (size_t i = 0; i < gan_st_count(f); i++) {
                const gan_st_tensor *t = gan_st_tensor_at(f, i);
                volatile uint8_t sum = 0;
                for (size_t b = 0; b < t->nbytes; b++) sum += ((const uint8_t *)t->data)[b];
                (void)sum;
            }
        } else if (s == GAN_ERR_FORMAT && !f && message_ok(tp, NULL)) {
            refused++;
        }
        gan_st_close(f);
    }
    CHECK_MSG(opened + refused == 1500, "opened %d, refused %d of 1500", opened, refused);
    CHECK(refused > 1000);
    free(buf);
    free(orig);
}

int main(void) {
    CHECK(gan_st_dtype_size(GAN_ST_F32) == 4 && gan_st_dtype_size(GAN_ST_BF16) == 2 &&
          gan_st_dtype_size(GAN_ST_I64) == 8 && gan_st_dtype_size(GAN_ST_U8) == 1);
    CHECK(strcmp(gan_st_dtype_name(GAN_ST_F8_E4M3), "F8_E4M3") == 0);
    test_roundtrip();
    test_foreign_alignment();
    test_release();
    test_valid_edge_cases();
    test_truncation();
    test_hostile_headers();
    test_random_corruption();
    return test_report();
}
