/*
 * test_dataset_resize.c - image shaping (src/data/image_decode.c and image_resize.c: alpha
 * over the background, grey, centre crop or letterbox, resize) against
 * Pillow's result of the same pipeline (make_image_fixtures.py: composite,
 * convert("L"), crop or paste into a square, resize with BOX when shrinking
 * and BILINEAR when enlarging) on a 97 x 61 RGBA picture.
 *
 * Tolerance: at most 1 level apart anywhere and 0.05 on average (the
 * resizer follows Pillow's algorithm, image_resize.c, and matched it exactly
 * when this test was written: the slack is for double rounding elsewhere).
 * Same-size requests (no resize) must match exactly. (Debian's
 * stb_image_resize was tried first: its box filter weighs pixels by their
 * fractional coverage, Pillow's by whether their centre is covered, up to
 * 50 levels apart on this picture's hard edges.)
 *
 * A letterbox's padding is never materialised (image_resize_frame): the
 * result must equal, bit for bit, the centre crop of the same image padded
 * by hand, and a 16151 x 20 letterbox (a fuzzer's timeout: 261 MB of square)
 * must take a few MB and well under a second.
 */
#include "data/image_decode.h"
#include "io/npy.h"
#include "io/png.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static void check_shape(const uint8_t *rgba, int w, int h, const char *bg, const char *ch, const char *crop,
                        int R) {
    char name[128];
    snprintf(name, sizeof name, "images/shape/%s_%s_%s_%d.npy", bg, ch, crop, R);
    gan_npy ref = {0};
    CHECK_OK(gan_npy_read(test_fixture_path(name), &ref));
    image_shape_opts o = {R, strcmp(ch, "rgb") == 0 ? 3 : 1, strcmp(crop, "none") == 0 ? GAN_CROP_NONE : GAN_CROP_CENTER,
                          strcmp(bg, "black") == 0 ? GAN_BACKGROUND_BLACK : GAN_BACKGROUND_WHITE};
    size_t n = (size_t)o.channels * R * R;
    uint8_t *out = malloc(n);
    CHECK_OK(image_shape(rgba, w, h, &o, out));
    if (ref.data && ref.nbytes == n) {
        int worst = 0;
        double sum = 0;
        const uint8_t *r = ref.data;
        for (size_t i = 0; i < n; i++) {
            int d = abs((int)out[i] - (int)r[i]);
            worst = d > worst ? d : worst;
            sum += d;
        }
        bool same_size = R == (o.crop == GAN_CROP_NONE ? (w > h ? w : h) : (w < h ? w : h));
        int max_tol = same_size ? 0 : 1;
        double mean_tol = same_size ? 0 : 0.05;
        CHECK_MSG(worst <= max_tol && sum / (double)n <= mean_tol, "%s: max diff %d, mean %.3f", name, worst,
                  sum / (double)n);
    } else {
        CHECK_MSG(0, "%s: reference missing or of another size", name);
    }
    gan_npy_free(&ref);
    free(out);
}

/* An RGBA test picture: colours from the position, some pixels translucent. */
static uint8_t *make_picture(int w, int h) {
    uint8_t *p = malloc((size_t)w * h * 4);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *q = p + ((size_t)y * w + x) * 4;
            q[0] = (uint8_t)(x * 7 + y * 3);
            q[1] = (uint8_t)(x * y + 11);
            q[2] = (uint8_t)((x ^ y) * 5);
            q[3] = (uint8_t)((x + y) % 5 == 0 ? 90 : 255);
        }
    return p;
}

/* Letterbox of (w, h) == centre crop of the same picture padded by hand. */
static void check_letterbox_exact(int w, int h, int R, int C, gan_background bg) {
    int s = w > h ? w : h, x0 = (s - w) / 2, y0 = (s - h) / 2;
    uint8_t *pic = make_picture(w, h), *sq = malloc((size_t)s * s * 4);
    uint8_t v = bg == GAN_BACKGROUND_BLACK ? 0 : 255;
    for (size_t i = 0; i < (size_t)s * s; i++) sq[4 * i] = sq[4 * i + 1] = sq[4 * i + 2] = v, sq[4 * i + 3] = 255;
    for (int y = 0; y < h; y++) memcpy(sq + ((size_t)(y + y0) * s + x0) * 4, pic + (size_t)y * w * 4, (size_t)w * 4);
    size_t n = (size_t)C * R * R;
    uint8_t *a = malloc(n), *b = malloc(n);
    image_shape_opts lb = {R, C, GAN_CROP_NONE, bg}, cc = {R, C, GAN_CROP_CENTER, bg};
    CHECK_OK(image_shape(pic, w, h, &lb, a));
    CHECK_OK(image_shape(sq, s, s, &cc, b));
    CHECK_MSG(memcmp(a, b, n) == 0, "letterbox %d x %d -> %d (C %d, bg %d) differs from the padded square", w, h, R,
              C, (int)bg);
    free(pic);
    free(sq);
    free(a);
    free(b);
}

static long peak_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* The fuzzer's timeout (tests/fuzz/regress/image/timeout-letterbox-*): a
 * long thin image letterboxed into a square of its long side. */
static void check_letterbox_thin(int w, int h) {
    uint8_t *pic = make_picture(w, h), out[40 * 40];
    long before = peak_rss_kb();
    image_shape_opts o = {40, 1, GAN_CROP_NONE, GAN_BACKGROUND_BLACK};
    CHECK_OK(image_shape(pic, w, h, &o, out));
    long grew_kb = peak_rss_kb() - before;
    CHECK_MSG(grew_kb < 16 * 1024, "letterbox %d x %d: peak RSS grew %ld KB", w, h, grew_kb);
    /* 20 of 16151 rows (or columns) of content: output line 19 or 20 holds
       them, the rest is the background */
    int lit = 0, dark_elsewhere = 1;
    for (int i = 0; i < 40; i++)
        for (int j = 0; j < 40; j++) {
            uint8_t px = w > h ? out[i * 40 + j] : out[j * 40 + i]; /* i: across the thin side */
            if (i == 19 || i == 20)
                lit += px != 0;
            else
                dark_elsewhere &= px == 0;
        }
    CHECK_MSG(lit > 0 && dark_elsewhere, "letterbox %d x %d: content in line 19/20 only (%d lit)", w, h, lit);
    free(pic);
}

int main(void) {
    check_letterbox_thin(16151, 20);
    check_letterbox_thin(20, 16151);
    int sizes[][2] = {{37, 5}, {5, 37}, {613, 9}, {9, 613}, {40, 41}, {1, 3}, {64, 64}};
    int lb_res[] = {1, 3, 16, 40, 100};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (size_t k = 0; k < sizeof lb_res / sizeof lb_res[0]; k++) {
            check_letterbox_exact(sizes[i][0], sizes[i][1], lb_res[k], 1, GAN_BACKGROUND_BLACK);
            check_letterbox_exact(sizes[i][0], sizes[i][1], lb_res[k], 3, GAN_BACKGROUND_WHITE);
        }
    uint8_t *rgba = NULL;
    int w = 0, h = 0, c = 0;
    CHECK_OK(gan_png_read(test_fixture_path("images/shape/src.png"), &rgba, &w, &h, &c));
    CHECK(w == 97 && h == 61 && c == 4);
    if (rgba && c == 4) {
        const char *chs[] = {"rgb", "grey"}, *crops[] = {"center", "none"};
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                int Rs[] = {16, 32, 61, 128};
                for (int k = 0; k < 4; k++) check_shape(rgba, w, h, "white", chs[i], crops[j], Rs[k]);
                check_shape(rgba, w, h, "black", chs[i], crops[j], 16);
                check_shape(rgba, w, h, "black", chs[i], crops[j], 61);
            }
    }
    free(rgba);
    /* a constant image stays constant at every size (weights sum to one) */
    uint8_t flat[5 * 3 * 4];
    for (int i = 0; i < 15; i++) {
        flat[4 * i] = 10;
        flat[4 * i + 1] = 200;
        flat[4 * i + 2] = 77;
        flat[4 * i + 3] = 255;
    }
    for (int R = 1; R <= 9; R++) {
        uint8_t out[3 * 81];
        image_shape_opts o = {R, 3, GAN_CROP_CENTER, GAN_BACKGROUND_WHITE};
        CHECK_OK(image_shape(flat, 5, 3, &o, out));
        bool ok = true;
        for (int p = 0; p < R * R; p++) ok = ok && out[p] == 10 && out[R * R + p] == 200 && out[2 * R * R + p] == 77;
        CHECK_MSG(ok, "flat image at R = %d", R);
    }
    /* letterbox pads with the background; transparent pixels become it */
    uint8_t clear[4 * 4 * 2] = {0};
    uint8_t out[16];
    image_shape_opts o = {4, 1, GAN_CROP_NONE, GAN_BACKGROUND_BLACK};
    CHECK_OK(image_shape(clear, 4, 2, &o, out));
    bool zero = true;
    for (int i = 0; i < 16; i++) zero = zero && out[i] == 0;
    CHECK(zero);
    o.background = GAN_BACKGROUND_WHITE;
    CHECK_OK(image_shape(clear, 4, 2, &o, out));
    bool white = true;
    for (int i = 0; i < 16; i++) white = white && out[i] == 255;
    CHECK(white);
    o.channels = 2;
    CHECK(image_shape(clear, 4, 2, &o, out) == GAN_ERR_INVALID_ARGUMENT);
    return test_report();
}
