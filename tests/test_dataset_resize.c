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
 */
#include "data/image_decode.h"
#include "io/npy.h"
#include "io/png.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

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

int main(void) {
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
