/*
 * image_out.c - write generated images in the format an output name asks
 * for (see image_out.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "image_out.h"
#include "run_folder.h"
#include "tool_util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static const char *base_name(const char *path) {
    const char *base = strrchr(path, '/');
    return base ? base + 1 : path;
}

static bool is_idx_name(const char *path) {
    return ends_with(path, ".idx") || ends_with(path, ".gz") ||
           strstr(base_name(path), "idx3-ubyte") != NULL;
}

/* A folder is named by a trailing '/', by existing, or by a name without
 * extension that is not an IDX name. */
static bool is_folder_name(const char *path) {
    return ends_with(path, "/") || run_is_dir(path) ||
           (!strchr(base_name(path), '.') && !is_idx_name(path));
}

gan_status image_out_write(const char *path, const float *images, int n, int c, int h, int w,
                           int cols, int scale) {
    if (ends_with(path, ".png"))
        return gan_write_png_grid_scaled(path, images, n, c, h, w, cols, scale);
    bool folder = is_folder_name(path);
    if (!folder && !ends_with(path, ".npy") && !is_idx_name(path))
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

gan_status image_out_write_labeled(const char *path, const float *images, const int32_t *labels,
                                   int n, int c, int h, int w, char *labels_path, size_t cap) {
    char images_path[1200];
    bool gzip = ends_with(path, ".gz");
    const char *key = strstr(base_name(path), "images-idx3");
    if (is_folder_name(path)) {
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return gan_fail(GAN_ERR_IO, "%s: cannot create folder: %s", path, strerror(errno));
        const char *sep = ends_with(path, "/") ? "" : "/";
        snprintf(images_path, sizeof images_path, "%s%strain-images-idx3-ubyte", path, sep);
        snprintf(labels_path, cap, "%s%strain-labels-idx1-ubyte", path, sep);
    } else if (key) {
        for (const char *p = strstr(key + 1, "images-idx3"); p; p = strstr(p + 1, "images-idx3"))
            key = p; /* the last one, as gan_dataset_load looks for it */
        snprintf(images_path, sizeof images_path, "%s", path);
        snprintf(labels_path, cap, "%.*slabels-idx1%s", (int)(key - path), path,
                 key + strlen("images-idx3"));
    } else {
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: --labels writes a dataset: give a folder "
                        "or a file named NAME-images-idx3-ubyte[.gz] (its labels go to "
                        "NAME-labels-idx1-ubyte[.gz])", path);
    }
    uint8_t *bytes = NULL, *lab = malloc((size_t)n);
    if (!lab) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    for (int i = 0; i < n; i++) lab[i] = (uint8_t)labels[i];
    gan_status s = image_out_to_bytes(path, images, (size_t)n, c, h, w, true, &bytes);
    if (s != GAN_OK) {
        free(lab);
        return s;
    }
    int64_t shape[4] = {n, h, w, c}, lshape[1] = {n};
    s = gan_idx_write(images_path, bytes, c == 1 ? 3 : 4, shape, gzip);
    if (s == GAN_OK) s = gan_idx_write(labels_path, lab, 1, lshape, gzip);
    free(bytes);
    free(lab);
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
