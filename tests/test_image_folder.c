/*
 * test_image_folder.c - numbered PNG files in a folder.
 *
 * Checks: write N planar images (gray and RGB), the file names and count,
 * read them back byte for byte in NCHW; a non-empty folder is refused for
 * writing; reading sorts by name, ignores other files, and refuses a folder
 * without PNGs, images of different shapes (naming the file) and a corrupt
 * PNG (naming the file).
 */
#define _POSIX_C_SOURCE 200809L
#include "io/image_folder.h"
#include "io/png.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void test_roundtrip(int c) {
    int n = 5, h = 7, w = 4;
    size_t total = (size_t)n * c * h * w;
    uint8_t *img = malloc(total);
    for (size_t i = 0; i < total; i++) img[i] = (uint8_t)(i * 31 + c);
    const char *dir = test_tmp_path_kept(c == 1 ? "folder_gray" : "folder_rgb");
    CHECK_OK(gan_image_folder_write(dir, img, n, c, h, w));
    char path[600];
    snprintf(path, sizeof path, "%s/000004.png", dir);
    uint8_t *px = NULL;
    int pw, ph, pc;
    CHECK_OK(gan_png_read(path, &px, &pw, &ph, &pc));
    CHECK(pw == w && ph == h && pc == c);
    /* Interleaved in the file: pixel (0, 1) channel c-1 of image 4. */
    size_t plane = (size_t)h * w;
    CHECK(px && px[1 * c + (c - 1)] == img[4 * c * plane + (size_t)(c - 1) * plane + 1]);
    free(px);
    /* A stray non-PNG file is ignored by the reader. */
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    test_write_file(path, "x", 1);
    uint8_t *back = NULL;
    int bn, bc, bh, bw;
    CHECK_OK(gan_image_folder_read(dir, &back, &bn, &bc, &bh, &bw));
    CHECK(bn == n && bc == c && bh == h && bw == w);
    CHECK(back && memcmp(back, img, total) == 0);
    free(back);
    /* Writing into the now non-empty folder is refused. */
    CHECK(gan_image_folder_write(dir, img, n, c, h, w) == GAN_ERR_IO);
    CHECK_MSG(strstr(gan_last_error(), dir) && strstr(gan_last_error(), "not empty"),
              "message: %s", gan_last_error());
    free(img);
}

static void test_reader_refusals(void) {
    uint8_t *back = NULL;
    int n, c, h, w;
    const char *dir = test_tmp_path_kept("folder_mixed");
    mkdir(dir, 0755);
    CHECK(gan_image_folder_read(dir, &back, &n, &c, &h, &w) == GAN_ERR_FORMAT);
    CHECK(strstr(gan_last_error(), "no .png") != NULL);
    uint8_t px[3 * 4 * 3] = {0};
    char path[600];
    snprintf(path, sizeof path, "%s/b.png", dir);
    CHECK_OK(gan_png_write(path, px, 4, 3, 1));
    snprintf(path, sizeof path, "%s/a.PNG", dir);
    CHECK_OK(gan_png_write(path, px, 4, 3, 1));
    CHECK_OK(gan_image_folder_read(dir, &back, &n, &c, &h, &w));
    CHECK(n == 2 && c == 1 && h == 3 && w == 4);
    free(back);
    snprintf(path, sizeof path, "%s/c.png", dir);
    CHECK_OK(gan_png_write(path, px, 3, 4, 1));
    CHECK(gan_image_folder_read(dir, &back, &n, &c, &h, &w) == GAN_ERR_SHAPE && !back);
    CHECK_MSG(strstr(gan_last_error(), "c.png") && strstr(gan_last_error(), "a.PNG"),
              "message: %s", gan_last_error());
    CHECK_OK(gan_png_write(path, px, 4, 3, 3));
    CHECK(gan_image_folder_read(dir, &back, &n, &c, &h, &w) == GAN_ERR_SHAPE);
    test_write_file(path, "\x89PNG\r\n\x1a\n", 8);
    CHECK(gan_image_folder_read(dir, &back, &n, &c, &h, &w) == GAN_ERR_FORMAT);
    CHECK_MSG(strstr(gan_last_error(), "c.png") != NULL, "message: %s", gan_last_error());
    CHECK(gan_image_folder_read(test_tmp_path("nope"), &back, &n, &c, &h, &w) == GAN_ERR_IO);
    CHECK(gan_image_folder_write("/nonexistent/dir/x", px, 1, 1, 3, 4) == GAN_ERR_IO);
    CHECK(gan_image_folder_write(test_tmp_path("z"), px, 1, 2, 3, 4) ==
          GAN_ERR_INVALID_ARGUMENT);
}

int main(void) {
    test_roundtrip(1);
    test_roundtrip(3);
    test_reader_refusals();
    return test_report();
}
