/*
 * image_out.c - write generated images in the format an output name asks
 * for (see image_out.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "image_out.h"
#include "data/idx.h"
#include "io/image_folder.h"
#include "io/npy.h"
#include "io/png.h"
#include "run_folder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

gan_status image_out_to_bytes(const char *path, const float *images, size_t n, int c, int h,
                              int w, bool interleaved, uint8_t **out) {
    size_t hw = (size_t)h * w, per = hw * c;
    uint8_t *b = malloc(n * per);
    if (!b) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes", path, n * per);
    for (size_t i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
            for (size_t p = 0; p < hw; p++) {
                float v = images[i * per + ch * hw + p];
                if (!isfinite(v)) {
                    free(b);
                    return gan_fail(GAN_ERR_NUMERIC, "%s: image %zu has a non-finite pixel",
                                    path, i);
                }
                b[i * per + (interleaved ? p * c + ch : ch * hw + p)] = gan_png_pixel_from_float(v);
            }
    *out = b;
    return GAN_OK;
}

gan_status image_out_write(const char *path, const float *images, int n, int c, int h, int w,
                           int cols) {
    if (ends_with(path, ".png")) return gan_write_png_grid(path, images, n, c, h, w, cols);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    bool folder = ends_with(path, "/") || run_is_dir(path) || !strchr(base, '.');
    if (!folder && !ends_with(path, ".npy") && !ends_with(path, ".idx") &&
        !ends_with(path, ".gz"))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: unknown output format (use .png, .npy, "
                        ".idx, .gz or a folder)", path);
    uint8_t *bytes;
    GAN_TRY(image_out_to_bytes(path, images, (size_t)n, c, h, w, !folder, &bytes));
    int64_t shape[4] = {n, h, w, c};
    int ndims = c == 1 ? 3 : 4;
    gan_status s;
    if (folder) s = gan_image_folder_write(path, bytes, n, c, h, w);
    else if (ends_with(path, ".npy")) s = gan_npy_write(path, GAN_NPY_U8, ndims, shape, bytes);
    else s = gan_idx_write(path, bytes, ndims, shape, ends_with(path, ".gz"));
    free(bytes);
    return s;
}

gan_status image_out_write_float_npy(const char *path, const float *images, int n, int c,
                                     int h, int w) {
    size_t hw = (size_t)h * w, per = hw * c;
    float *f = malloc((size_t)n * per * sizeof *f);
    if (!f) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    for (size_t i = 0; i < (size_t)n; i++) /* NCHW -> NHWC */
        for (int ch = 0; ch < c; ch++)
            for (size_t p = 0; p < hw; p++) f[i * per + p * c + ch] = images[i * per + ch * hw + p];
    int64_t shape[4] = {n, h, w, c};
    gan_status s = gan_npy_write(path, GAN_NPY_F32, c == 1 ? 3 : 4, shape, f);
    free(f);
    return s;
}

gan_status image_out_write_noise(const char *path, const float *z, int n, int latent) {
    if (!ends_with(path, ".npy"))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: latent vectors are written as .npy", path);
    int64_t shape[2] = {n, latent};
    return gan_npy_write(path, GAN_NPY_F32, 2, shape, z);
}
