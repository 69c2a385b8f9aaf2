/*
 * test_npy.c - the .npy reader and writer.
 *
 * Checks: round trips of uint8 and float32 arrays of rank 0..4 (bytes of the
 * whole file compared with the numpy layout: magic, version 1.0, 64-byte
 * aligned header); files written by numpy (tests/fixtures/io, made by
 * make_io_fixtures.py), including format versions 2.0 and 3.0; refusal of
 * other dtypes, big-endian, Fortran order, too many dimensions; and hostile
 * files: every truncation of a valid file, every single-byte corruption of
 * its header, and hand-written malformed headers are refused without crash.
 */
#include "io/npy.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

static void test_roundtrip(void) {
    uint8_t u8[2 * 3 * 4 * 5];
    float f32[2 * 3 * 4 * 5];
    for (int i = 0; i < 120; i++) {
        u8[i] = (uint8_t)(i * 37 + 5);
        f32[i] = (float)i * -0.375f + 1e-3f;
    }
    const int64_t shape[4] = {2, 3, 4, 5};
    for (int dt = 0; dt < 2; dt++) {
        for (int nd = 0; nd <= 4; nd++) {
            const char *path = test_tmp_path("rt.npy");
            const void *src = dt ? (const void *)f32 : (const void *)u8;
            const int64_t *sh = nd ? shape + 4 - nd : NULL;
            CHECK_OK(gan_npy_write(path, (gan_npy_dtype)dt, nd, sh, src));
            size_t flen = 0;
            uint8_t *file = test_read_file(path, &flen);
            size_t elems = 1;
            for (int i = 0; i < nd; i++) elems *= (size_t)sh[i];
            size_t nbytes = elems * (dt ? 4 : 1);
            CHECK(file && flen >= 64 && (flen - nbytes) % 64 == 0);
            if (file) {
                CHECK(memcmp(file, "\x93NUMPY\x01\x00", 8) == 0);
                CHECK(file[flen - nbytes - 1] == '\n');
                CHECK(memcmp(file + flen - nbytes, src, nbytes) == 0);
            }
            free(file);
            gan_npy a;
            CHECK_OK(gan_npy_read(path, &a));
            CHECK(a.dtype == (gan_npy_dtype)dt && a.ndims == nd && a.nbytes == nbytes);
            for (int i = 0; i < nd; i++) CHECK(a.shape[i] == sh[i]);
            CHECK(a.data && memcmp(a.data, src, nbytes) == 0);
            gan_npy_free(&a);
        }
    }
    /* The exact header numpy writes for (2, 3) uint8 and (5,) float32. */
    const char *path = test_tmp_path("hdr.npy");
    int64_t s23[2] = {2, 3}, s5[1] = {5};
    CHECK_OK(gan_npy_write(path, GAN_NPY_U8, 2, s23, u8));
    char *file = test_read_file(path, NULL);
    CHECK(file && memcmp(file + 10, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }",
                         59) == 0);
    free(file);
    CHECK_OK(gan_npy_write(path, GAN_NPY_F32, 1, s5, f32));
    file = test_read_file(path, NULL);
    CHECK(file && memcmp(file + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }",
                         57) == 0);
    free(file);
    /* Empty arrays are fine, NULL data included. */
    int64_t s0[2] = {0, 7};
    CHECK_OK(gan_npy_write(path, GAN_NPY_F32, 2, s0, NULL));
    gan_npy a;
    CHECK_OK(gan_npy_read(path, &a));
    CHECK(a.ndims == 2 && a.shape[0] == 0 && a.shape[1] == 7 && a.nbytes == 0 && a.data);
    gan_npy_free(&a);
}

static void test_write_refusals(void) {
    const char *path = test_tmp_path("bad.npy");
    uint8_t x[4] = {0};
    int64_t neg[2] = {2, -1}, s5[5] = {1, 1, 1, 1, 1}, huge[4] = {1 << 30, 1 << 30, 1 << 30, 8};
    CHECK(gan_npy_write(path, GAN_NPY_U8, 2, neg, x) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_npy_write(path, GAN_NPY_U8, 5, s5, x) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_npy_write(path, GAN_NPY_U8, 4, huge, x) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_npy_write(path, (gan_npy_dtype)7, 1, s5, x) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_npy_write(path, GAN_NPY_U8, 1, s5, NULL) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_npy_write("/nonexistent/dir/x.npy", GAN_NPY_U8, 1, s5, x) == GAN_ERR_IO);
    CHECK(test_read_file(path, NULL) == NULL);
}

static void test_numpy_fixtures(void) {
    gan_npy a;
    CHECK_OK(gan_npy_read(test_fixture_path("io/u8_3d.npy"), &a));
    CHECK(a.dtype == GAN_NPY_U8 && a.ndims == 3 && a.shape[0] == 2 && a.shape[1] == 3 &&
          a.shape[2] == 4 && a.nbytes == 24);
    for (int i = 0; i < 24 && a.data; i++) CHECK(((uint8_t *)a.data)[i] == i);
    gan_npy_free(&a);

    CHECK_OK(gan_npy_read(test_fixture_path("io/u8_1d.npy"), &a));
    CHECK(a.ndims == 1 && a.shape[0] == 5 && a.data && ((uint8_t *)a.data)[4] == 254);
    gan_npy_free(&a);

    CHECK_OK(gan_npy_read(test_fixture_path("io/u8_empty.npy"), &a));
    CHECK(a.ndims == 2 && a.shape[0] == 0 && a.shape[1] == 3 && a.nbytes == 0);
    gan_npy_free(&a);

    const char *f2[] = {"io/f32_2d.npy", "io/f32_v2.npy", "io/f32_v3.npy"};
    for (int k = 0; k < 3; k++) {
        CHECK_OK(gan_npy_read(test_fixture_path(f2[k]), &a));
        CHECK(a.dtype == GAN_NPY_F32 && a.ndims == 2 && a.shape[0] == 3 && a.shape[1] == 5);
        int bad = 0;
        for (int i = 0; i < 15 && a.data; i++) bad += ((float *)a.data)[i] != (i - 7) * 0.25f;
        CHECK_MSG(bad == 0 && a.data, "%s: %d values differ", f2[k], bad);
        gan_npy_free(&a);
    }

    CHECK_OK(gan_npy_read(test_fixture_path("io/f32_scalar.npy"), &a));
    CHECK(a.ndims == 0 && a.nbytes == 4 && a.data && *(float *)a.data == 3.5f);
    gan_npy_free(&a);

    CHECK_OK(gan_npy_read(test_fixture_path("io/f32_4d.npy"), &a));
    CHECK(a.ndims == 4 && a.shape[0] == 2 && a.shape[1] == 1 && a.shape[2] == 2 &&
          a.shape[3] == 3);
    for (int i = 0; i < 12 && a.data; i++) CHECK(((float *)a.data)[i] == i / 8.0f);
    gan_npy_free(&a);

    static const struct { const char *name, *words; } refused[] = {
        {"io/f64.npy", "'<f8'"},        {"io/i32.npy", "'<i4'"},
        {"io/f32_be.npy", "big-endian"}, {"io/f32_fortran.npy", "Fortran"},
        {"io/f32_5d.npy", "dimensions"},
    };
    for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++) {
        const char *p = test_fixture_path(refused[k].name);
        CHECK(gan_npy_read(p, &a) == GAN_ERR_UNSUPPORTED && a.data == NULL);
        CHECK_MSG(strstr(gan_last_error(), p) && strstr(gan_last_error(), refused[k].words),
                  "message: %s", gan_last_error());
    }
}

/* Write a version 1.0 file with this header text (padded, '\n' added) and
 * `data_len` bytes of data, and return what gan_npy_read says. */
static gan_status read_with_header(const char *dict, size_t data_len) {
    char buf[512];
    size_t len = strlen(dict);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    size_t hlen = len + 1;
    buf[8] = (char)(hlen & 0xff);
    buf[9] = (char)(hlen >> 8);
    memcpy(buf + 10, dict, len);
    buf[10 + len] = '\n';
    memset(buf + 11 + len, 7, data_len);
    const char *path = test_tmp_path("hdr_case.npy");
    test_write_file(path, buf, 11 + len + data_len);
    gan_npy a;
    gan_status s = gan_npy_read(path, &a);
    if (s == GAN_OK) CHECK(a.data != NULL);
    else CHECK(a.data == NULL);
    gan_npy_free(&a);
    return s;
}

static void test_headers(void) {
    /* Accepted spellings. */
    CHECK(read_with_header("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", 6) ==
          GAN_OK);
    CHECK(read_with_header("{\"shape\":(6,),\"descr\":\"<u1\",\"fortran_order\":False}", 6) ==
          GAN_OK);
    CHECK(read_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2,)}    ",
                           8) == GAN_OK);
    CHECK(read_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': ()}", 4) ==
          GAN_OK);
    /* Refused. */
    static const char *bad[] = {
        "",
        "{",
        "{}",
        "{'descr': '|u1', 'fortran_order': False}",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (6,), 'extra': 1}",
        "{'descr': '|u1', 'descr': '|u1', 'fortran_order': False, 'shape': (6,)}",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (6)}",
        "{'descr': '|u1', 'fortran_order': False, 'shape': [6]}",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (-6,)}",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (2,,3)}",
        "{'descr': '|u1', 'fortran_order': false, 'shape': (6,)}",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (6,)} x",
        "{'descr': '|u1' 'fortran_order': False, 'shape': (6,)}",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (6,)",
        "{'descr: '|u1', 'fortran_order': False, 'shape': (6,)}",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999,)}",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, 4294967296)}",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (5,)}",  /* 6 data bytes: trailing */
        "{'descr': '|u1', 'fortran_order': False, 'shape': (7,)}",  /* truncated */
        "{'descr': '|b1', 'fortran_order': False, 'shape': (6,)}",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        gan_status s = read_with_header(bad[k], 6);
        CHECK_MSG(s == GAN_ERR_FORMAT || s == GAN_ERR_UNSUPPORTED, "header %zu accepted: %s", k,
                  bad[k]);
        CHECK_MSG(strstr(gan_last_error(), "hdr_case.npy") != NULL, "message: %s",
                  gan_last_error());
    }
    /* Bad magic, bad version, missing newline. */
    const char *path = test_tmp_path("misc.npy");
    test_write_file(path, "\x93NUMPZ\x01\x00\x00\x00", 10);
    gan_npy a;
    CHECK(gan_npy_read(path, &a) == GAN_ERR_FORMAT);
    test_write_file(path, "\x93NUMPY\x04\x00\x00\x00", 10);
    CHECK(gan_npy_read(path, &a) == GAN_ERR_UNSUPPORTED);
    CHECK(gan_npy_read(test_tmp_path("missing.npy"), &a) == GAN_ERR_IO);
    CHECK(gan_npy_read(test_tmpdir(), &a) == GAN_ERR_IO);
}

/* Every prefix of a valid file and every byte flip in its header: refused or
 * (for a flip that keeps the header valid) read with the right size. */
static void test_hostile(void) {
    const char *src = test_fixture_path("io/f32_v2.npy");
    size_t len = 0;
    uint8_t *file = test_read_file(src, &len);
    CHECK(file != NULL);
    if (!file) return;
    const char *path = test_tmp_path("hostile.npy");
    gan_npy a;
    for (size_t cut = 0; cut < len; cut++) {
        test_write_file(path, file, cut);
        gan_status s = gan_npy_read(path, &a);
        CHECK_MSG(s == GAN_ERR_FORMAT, "cut at %zu: status %d", cut, (int)s);
        CHECK(a.data == NULL);
    }
    size_t header_end = len - 60;
    int accepted = 0;
    for (size_t i = 0; i < header_end; i++) {
        static const uint8_t flips[] = {0x01, 0x20, 0x80, 0xff};
        for (size_t f = 0; f < sizeof flips; f++) {
            file[i] ^= flips[f];
            test_write_file(path, file, len);
            gan_status s = gan_npy_read(path, &a);
            if (s == GAN_OK) {
                accepted++;
                CHECK(a.nbytes + header_end == len);
            }
            gan_npy_free(&a);
            file[i] ^= flips[f];
        }
    }
    CHECK(accepted < 40); /* e.g. flips inside padding spaces are rejected too */
    free(file);
}

int main(void) {
    test_roundtrip();
    test_write_refusals();
    test_numpy_fixtures();
    test_headers();
    test_hostile();
    return test_report();
}
