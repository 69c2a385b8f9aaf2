/*
 * test_dataset_decode.c - the image decoder (src/data/image_decode.c, Debian's
 * stb_image) on every variant in tests/fixtures/images/variants, against the
 * RGBA8 that Pillow (or numpy, for 16-bit PNGs: the high byte) reads from the
 * same file (make_image_fixtures.py), and on hostile files.
 *
 * Tolerances: lossless formats (PNG, BMP) must match exactly. JPEG decoders
 * may round the inverse DCT and the upsampling of chroma differently
 * (stb_image vs libjpeg-turbo): at most 12 levels apart and 2.0 on average;
 * CMYK JPEGs are converted with the Adobe (inverted) convention like Pillow.
 * Builds with libjpeg-turbo decode JPEGs with it (src/data/image_jpeg.c): the
 * same library as Pillow; the file stb_image 2.27 has undefined behaviour on
 * (tests/fuzz/known/image) is then refused cleanly.
 */
#include "data/image_decode.h"
#include "data/image_jpeg.h"
#include "io/npy.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

/* Decode fixture `name` and compare with its .rgba.npy within max / mean. */
static void check_variant(const char *name, int source_channels, int max_tol, double mean_tol) {
    char path[512], ref_path[sizeof path + 16];
    snprintf(path, sizeof path, "%s", test_fixture_path("images/variants"));
    strncat(path, "/", sizeof path - strlen(path) - 1);
    strncat(path, name, sizeof path - strlen(path) - 1);
    snprintf(ref_path, sizeof ref_path, "%s.rgba.npy", path);
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(image_read_file(path, &buf, &len));
    image_rgba img = {0};
    CHECK_OK(image_decode(buf, len, path, 0, &img));
    gan_npy ref = {0};
    CHECK_OK(gan_npy_read(ref_path, &ref));
    if (img.px && ref.data) {
        CHECK_MSG(ref.ndims == 3 && ref.shape[0] == img.height && ref.shape[1] == img.width && ref.shape[2] == 4,
                  "%s: decoded %d x %d", name, img.width, img.height);
        CHECK_MSG(img.source_channels == source_channels, "%s: %d source channels, expected %d", name,
                  img.source_channels, source_channels);
        if (ref.nbytes == (size_t)img.width * img.height * 4) {
            int worst = 0;
            double sum = 0;
            const uint8_t *r = ref.data;
            for (size_t i = 0; i < ref.nbytes; i++) {
                int d = abs((int)img.px[i] - (int)r[i]);
                worst = d > worst ? d : worst;
                sum += d;
            }
            double mean = sum / (double)ref.nbytes;
            CHECK_MSG(worst <= max_tol && mean <= mean_tol, "%s: max diff %d (tolerance %d), mean %.3f (%.2f)",
                      name, worst, max_tol, mean, mean_tol);
        }
    }
    gan_npy_free(&ref);
    image_rgba_free(&img);
    free(buf);
}

/* A hostile fixture must fail with `status` and a message naming the file and `words`. */
static void check_hostile(const char *name, gan_status status, const char *words) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", test_fixture_path("images/hostile"), name);
    uint8_t *buf = NULL;
    size_t len = 0;
    gan_status s = image_read_file(path, &buf, &len);
    image_rgba img = {0};
    if (s == GAN_OK) s = image_decode(buf, len, path, 0, &img);
    CHECK_MSG(s == status, "%s: status %d, expected %d (%s)", name, (int)s, (int)status, gan_last_error());
    CHECK_MSG(img.px == NULL, "%s: pixels returned on failure", name);
    CHECK_MSG(strstr(gan_last_error(), name) && strstr(gan_last_error(), words), "%s: message '%s'", name,
              gan_last_error());
    /* the header-only probe agrees on the bomb before anything is decoded */
    if (status == GAN_ERR_SHAPE) {
        int w, h, c;
        CHECK(image_probe_file(path, 0, &w, &h, &c) == GAN_ERR_SHAPE);
    }
    image_rgba_free(&img);
    free(buf);
}

int main(void) {
    /* each variant, its channels in the file, and the decoder's tolerance
     * against PIL's reference (largest and mean difference; 0 for lossless) */
    static const struct {
        const char *name;
        int channels, max_tol;
        double mean_tol;
    } variants[] = {
        {"rgba8.png", 4, 0, 0},        {"rgb8.png", 3, 0, 0},
        {"grey8.png", 1, 0, 0},        {"grey_alpha8.png", 2, 0, 0},
        {"palette.png", 3, 0, 0},      {"palette_trns.png", 4, 0, 0},
        {"interlaced.png", 3, 0, 0},   {"grey16.png", 1, 0, 0},
        {"rgba16.png", 4, 0, 0},       {"baseline.jpg", 3, 12, 2.0},
        {"progressive.jpg", 3, 12, 2.0}, {"grey.jpg", 1, 12, 2.0},
        {"cmyk.jpg", 3, 12, 2.0}, /* stb_image reports CMYK as RGB */
        {"rgb24.bmp", 3, 0, 0},        {"palette8.bmp", 3, 0, 0},
        {"grey8.bmp", 3, 0, 0},
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
        check_variant(variants[i].name, variants[i].channels, variants[i].max_tol, variants[i].mean_tol);

    check_hostile("empty.png", GAN_ERR_FORMAT, "empty file");
    check_hostile("not_an_image.png", GAN_ERR_FORMAT, "not a PNG, JPEG or BMP");
    check_hostile("truncated.png", GAN_ERR_FORMAT, "cannot decode");
    check_hostile("corrupt.png", GAN_ERR_FORMAT, "cannot decode");
    check_hostile("truncated.jpg", GAN_ERR_FORMAT, "");
    /* stb_image 2.27's undefined shift on this file (tests/fuzz/README.md); with
     * libjpeg-turbo it is refused cleanly, also under UBSan */
    if (image_jpeg_available()) {
        char known[512];
        snprintf(known, sizeof known, "%s/../../../fuzz/known/image/jpeg-negative-code-bits-shift.jpg",
                 test_fixture_path("images/hostile"));
        uint8_t *buf = NULL;
        size_t len = 0;
        image_rgba img = {0};
        gan_status s = image_read_file(known, &buf, &len);
        CHECK_MSG(s == GAN_OK, "%s", gan_last_error());
        if (s == GAN_OK) s = image_decode(buf, len, known, 0, &img);
        CHECK_MSG(s == GAN_ERR_FORMAT && strstr(gan_last_error(), "corrupt JPEG") && !img.px,
                  "known stb case: status %d: %s", (int)s, gan_last_error());
        image_rgba_free(&img);
        free(buf);
    }
    check_hostile("bomb.png", GAN_ERR_SHAPE, "more than the budget");

    /* headers with impossible fields are corrupt files (skipped), not bombs, even when their
     * size fields are huge: "BM" and random bytes (the mixed folder of item 13's check had
     * one), a PNG of bit depth 9, a JPEG of precision 7; a plausible BMP header of the same
     * size still is a bomb */
    uint8_t bmp[64] = {'B', 'M'};
    for (int i = 2; i < 64; i++) bmp[i] = (uint8_t)(i * 37 + 11);
    image_rgba junk = {0};
    CHECK_MSG(image_decode(bmp, sizeof bmp, "junk.bmp", 0, &junk) == GAN_ERR_FORMAT,
              "junk.bmp: %s", gan_last_error());
    memset(bmp + 2, 0, 62);
    bmp[14] = 40, bmp[26] = 1, bmp[28] = 24;                            /* info header, 24 bpp */
    bmp[18] = 0x00, bmp[19] = 0x00, bmp[20] = 0x01;                     /* 65536 wide */
    bmp[22] = 0x00, bmp[23] = 0x00, bmp[24] = 0x01;                     /* 65536 high */
    CHECK_MSG(image_decode(bmp, sizeof bmp, "bomb.bmp", 0, &junk) == GAN_ERR_SHAPE,
              "bomb.bmp: %s", gan_last_error());
    uint8_t png[33] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                       0x7f, 0, 0, 0, 0x7f, 0, 0, 0, 9, 2};
    CHECK(image_decode(png, sizeof png, "depth9.png", 0, &junk) == GAN_ERR_FORMAT);
    png[24] = 8;
    CHECK(image_decode(png, sizeof png, "bomb2.png", 0, &junk) == GAN_ERR_SHAPE);
    uint8_t jpg[32] = {0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 7, 0x7f, 0xff, 0x7f, 0xff, 3};
    CHECK(image_decode(jpg, sizeof jpg, "precision7.jpg", 0, &junk) == GAN_ERR_FORMAT);
    jpg[6] = 8;
    CHECK(image_decode(jpg, sizeof jpg, "bomb3.jpg", 0, &junk) == GAN_ERR_SHAPE);
    image_rgba_free(&junk);

    /* a smaller budget turns an ordinary image away, a larger one lets it through */
    uint8_t *buf = NULL;
    size_t len = 0;
    char path[512];
    snprintf(path, sizeof path, "%s/rgba8.png", test_fixture_path("images/variants"));
    CHECK_OK(image_read_file(path, &buf, &len));
    image_rgba img = {0};
    CHECK(image_decode(buf, len, path, 23 * 17 - 1, &img) == GAN_ERR_SHAPE && !img.px);
    CHECK_OK(image_decode(buf, len, path, 23 * 17, &img));
    image_rgba_free(&img);
    /* every prefix of a valid file fails cleanly or decodes (never crashes) */
    for (size_t n = 0; n < len; n += 7) {
        gan_status s = image_decode(buf, n, "prefix", 0, &img);
        CHECK(s == GAN_OK || s == GAN_ERR_FORMAT);
        image_rgba_free(&img);
    }
    free(buf);
    return test_report();
}
