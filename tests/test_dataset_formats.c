/*
 * test_dataset_formats.c - the readers of the dataset table other than image
 * folders (src/data/read_cifar.c, read_npy.c, read_idx.c via the table) and
 * the shape options on them (dataset_reshape), on files written here:
 *   - CIFAR-10: a folder with data_batch_1.bin, data_batch_2.bin and
 *     test_batch.bin (records of a label byte and 3072 planar pixels), one
 *     .bin file given directly, batches.meta.txt names, a bad size;
 *   - .npy: (N, H, W) with X_labels.npy, (N, H, W, 3), (N, H, W, 4) over a
 *     black background, labels of the wrong length, a float array;
 *   - IDX resized and turned to RGB by the options; grey from RGB.
 */
#include "gan.h"
#include "io/npy.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint8_t px_value(int rec, int i) {
    return (uint8_t)(rec * 7 + i * 3);
}

static void write_batch(const char *path, int first, int n) {
    size_t bytes = (size_t)n * 3073;
    uint8_t *b = malloc(bytes);
    for (int r = 0; r < n; r++) {
        b[(size_t)r * 3073] = (uint8_t)((first + r) % 10);
        for (int i = 0; i < 3072; i++) b[(size_t)r * 3073 + 1 + i] = px_value(first + r, i);
    }
    CHECK(test_write_file(path, b, bytes) == 0);
    free(b);
}

static void test_cifar(void) {
    const char *dir = test_tmp_path("cifar");
    char p[1100];
    CHECK(mkdir(dir, 0755) == 0);
    snprintf(p, sizeof p, "%s/data_batch_1.bin", dir);
    write_batch(p, 0, 4);
    snprintf(p, sizeof p, "%s/data_batch_2.bin", dir);
    write_batch(p, 4, 3);
    snprintf(p, sizeof p, "%s/test_batch.bin", dir);
    write_batch(p, 100, 2);
    gan_dataset *d = NULL;
    CHECK_OK(gan_dataset_load(dir, GAN_SPLIT_TRAIN, &d));
    if (d) {
        int c, h, w;
        gan_dataset_shape(d, &c, &h, &w);
        CHECK(strcmp(gan_dataset_format(d), "cifar10") == 0 && gan_dataset_count(d) == 7 && c == 3 && h == 32);
        CHECK(gan_dataset_labels(d)[5] == 5 && gan_dataset_pixels(d)[5 * 3072 + 1000] == px_value(5, 1000));
        CHECK(gan_dataset_class_count(d) == 10 && strcmp(gan_dataset_class_name(d, 9), "truck") == 0);
        gan_dataset_free(d);
    }
    CHECK_OK(gan_dataset_load(dir, GAN_SPLIT_TEST, &d));
    if (d) {
        CHECK(gan_dataset_count(d) == 2 && gan_dataset_pixels(d)[3071] == px_value(100, 3071));
        gan_dataset_free(d);
    }
    /* names from batches.meta.txt; one .bin file directly */
    snprintf(p, sizeof p, "%s/batches.meta.txt", dir);
    const char *names = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n";
    CHECK(test_write_file(p, names, strlen(names)) == 0);
    snprintf(p, sizeof p, "%s/data_batch_2.bin", dir);
    CHECK_OK(gan_dataset_load(p, GAN_SPLIT_TRAIN, &d));
    if (d) {
        CHECK(gan_dataset_count(d) == 3 && gan_dataset_class_count(d) == 10 &&
              strcmp(gan_dataset_class_name(d, 9), "j") == 0);
        gan_dataset_free(d);
    }
    /* shape options apply: CIFAR as 1 x 28 x 28 */
    d = test_load_shaped(dir, 1, 28);
    CHECK(d && test_dataset_is(d, 7, 1, 28, 28) && gan_dataset_labels(d));
    gan_dataset_free(d);
    /* a batch of the wrong size */
    snprintf(p, sizeof p, "%s/data_batch_1.bin", dir);
    uint8_t junk[3073 + 5] = {0};
    CHECK(test_write_file(p, junk, sizeof junk) == 0);
    CHECK(gan_dataset_load(dir, GAN_SPLIT_TRAIN, &d) == GAN_ERR_FORMAT && !d);
    CHECK_MSG(strstr(gan_last_error(), "data_batch_1.bin") && strstr(gan_last_error(), "3073"), "%s",
              gan_last_error());
}

static void test_npy(void) {
    const char *dir = test_tmp_path("npy");
    CHECK(mkdir(dir, 0755) == 0);
    char x[1100], y[1100];
    snprintf(x, sizeof x, "%s/digits.npy", dir);
    snprintf(y, sizeof y, "%s/digits_labels.npy", dir);
    uint8_t grey[3 * 4 * 5], labels[3] = {2, 0, 1};
    for (int i = 0; i < 60; i++) grey[i] = (uint8_t)(i * 4);
    CHECK_OK(gan_npy_write(x, GAN_NPY_U8, 3, (int64_t[]){3, 4, 5}, grey));
    CHECK_OK(gan_npy_write(y, GAN_NPY_U8, 1, (int64_t[]){3}, labels));
    gan_dataset *d = NULL;
    CHECK_OK(gan_dataset_load(x, GAN_SPLIT_TRAIN, &d));
    if (d) {
        int c, h, w;
        gan_dataset_shape(d, &c, &h, &w);
        CHECK(strcmp(gan_dataset_format(d), "npy") == 0 && gan_dataset_count(d) == 3 && c == 1 && h == 4 && w == 5);
        CHECK(memcmp(gan_dataset_pixels(d), grey, 60) == 0 && gan_dataset_labels(d)[0] == 2);
        CHECK(strcmp(gan_dataset_labels_path(d), y) == 0);
        gan_dataset_free(d);
    }
    /* RGB (N, H, W, 3) -> planar; grey on request */
    snprintf(x, sizeof x, "%s/rgb.npy", dir);
    uint8_t rgb[2 * 2 * 2 * 3];
    for (int i = 0; i < 24; i++) rgb[i] = (uint8_t)(10 * i);
    CHECK_OK(gan_npy_write(x, GAN_NPY_U8, 4, (int64_t[]){2, 2, 2, 3}, rgb));
    CHECK_OK(gan_dataset_load(x, GAN_SPLIT_TRAIN, &d));
    if (d) {
        const uint8_t *p = gan_dataset_pixels(d);
        /* image 1, channel 2 (blue), pixel 3 = rgb[1][1][1][2] = index 12 + 9 + 2 = 23 */
        CHECK(gan_dataset_labels(d) == NULL && p[12 + 2 * 4 + 3] == 230 && p[1 * 4 + 0] == 10);
        gan_dataset_free(d);
    }
    gan_dataset_options o;
    gan_dataset_options_default(&o);
    o.channels = 1;
    CHECK_OK(gan_dataset_load_with(x, GAN_SPLIT_TRAIN, &o, &d));
    if (d) {
        int c;
        gan_dataset_shape(d, &c, NULL, NULL);
        /* pixel 0 of image 0: (0, 10, 20) -> (10*38470 + 20*7471 + 32768) >> 16 = 8 */
        CHECK(c == 1 && gan_dataset_pixels(d)[0] == 8);
        gan_dataset_free(d);
    }
    /* RGBA over black */
    snprintf(x, sizeof x, "%s/rgba.npy", dir);
    uint8_t rgba[4] = {200, 100, 50, 51};
    CHECK_OK(gan_npy_write(x, GAN_NPY_U8, 4, (int64_t[]){1, 1, 1, 4}, rgba));
    o.channels = 0;
    o.background = GAN_BACKGROUND_BLACK;
    CHECK_OK(gan_dataset_load_with(x, GAN_SPLIT_TRAIN, &o, &d));
    if (d) {
        const uint8_t *p = gan_dataset_pixels(d);
        CHECK(p[0] == 40 && p[1] == 20 && p[2] == 10); /* (v * 51 + 127) / 255 */
        gan_dataset_free(d);
    }
    /* labels of the wrong length; a float array */
    snprintf(x, sizeof x, "%s/two_images.npy", dir);
    snprintf(y, sizeof y, "%s/two_labels.npy", dir);
    CHECK_OK(gan_npy_write(x, GAN_NPY_U8, 3, (int64_t[]){2, 2, 2}, grey));
    CHECK_OK(gan_npy_write(y, GAN_NPY_U8, 1, (int64_t[]){3}, labels));
    CHECK(gan_dataset_load(x, GAN_SPLIT_TRAIN, &d) == GAN_ERR_SHAPE && !d && strstr(gan_last_error(), "two_labels.npy"));
    snprintf(x, sizeof x, "%s/float.npy", dir);
    float f[4] = {0};
    CHECK_OK(gan_npy_write(x, GAN_NPY_F32, 3, (int64_t[]){1, 2, 2}, f));
    CHECK(gan_dataset_load(x, GAN_SPLIT_TRAIN, &d) == GAN_ERR_SHAPE && !d && strstr(gan_last_error(), "uint8"));
    CHECK(gan_dataset_load(x, GAN_SPLIT_TEST, &d) == GAN_ERR_INVALID_ARGUMENT);
}

static void test_idx_reshaped(void) {
    gan_dataset *src = test_synthetic_dataset("fmt", 6, 1);
    if (!src) return;
    gan_dataset *d = test_load_shaped(gan_dataset_path(src), 3, 14);
    if (d) {
        CHECK(strcmp(gan_dataset_format(d), "idx") == 0 && test_dataset_is(d, 6, 3, 14, 14));
        const uint8_t *p = gan_dataset_pixels(d), *s = gan_dataset_pixels(src);
        /* 28 -> 14 by 2 x 2 box averages: (a + b + c + d) / 4 rounded, the same in R, G and B */
        int want = (s[0] + s[1] + s[28] + s[29] + 2) / 4;
        CHECK_MSG(abs(p[0] - want) <= 1 && p[0] == p[196] && p[0] == p[392], "%d vs %d", p[0], want);
        CHECK(memcmp(gan_dataset_labels(d), gan_dataset_labels(src), 6) == 0);
        gan_dataset_free(d);
    }
    gan_dataset_free(src);
    /* bad options are refused before anything is read */
    gan_dataset_options o;
    gan_dataset_options_default(&o);
    o.channels = 2;
    CHECK(gan_dataset_load_with("/nonexistent", GAN_SPLIT_TRAIN, &o, &d) == GAN_ERR_INVALID_ARGUMENT);
}

int main(void) {
    test_cifar();
    test_npy();
    test_idx_reshaped();
    return test_report();
}
