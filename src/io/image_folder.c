/*
 * image_folder.c - numbered PNG files in a folder (see image_folder.h).
 *
 * Planar (C x H x W) images are interleaved into one scratch buffer for the
 * PNG encoder on the way out, and decoded interleaved pixels are scattered
 * back to planar on the way in. The reader lists and sorts the names first,
 * decodes the first file to learn the shape, checks N x C x H x W against
 * the cap, allocates once, then decodes the rest into place.
 */
#define _POSIX_C_SOURCE 200809L
#include "io/image_folder.h"

#include "io/png.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- writer */

/* Create dir if missing; refuse a non-empty existing folder. */
static gan_status gan_folder_prepare(const char *dir) {
    if (mkdir(dir, 0755) == 0) return GAN_OK;
    if (errno != EEXIST)
        return gan_fail(GAN_ERR_IO, "%s: cannot create folder: %s", dir, strerror(errno));
    DIR *d = opendir(dir);
    if (!d) return gan_fail(GAN_ERR_IO, "%s: not a folder or cannot open: %s", dir, strerror(errno));
    struct dirent *e;
    bool empty = true;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = false;
            break;
        }
    closedir(d);
    if (!empty)
        return gan_fail(GAN_ERR_IO, "%s: folder is not empty (refusing to mix new images with "
                        "old files; choose a new or empty folder)", dir);
    return GAN_OK;
}

gan_status gan_image_folder_write(const char *dir, const uint8_t *images, int n, int channels,
                                  int height, int width) {
    if (!dir || !*dir) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "image folder: empty path");
    if (!images) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: images is NULL", dir);
    if (n < 1 || height < 1 || width < 1 || height > GAN_PNG_MAX_SIDE || width > GAN_PNG_MAX_SIDE)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: bad request: %d images of %d x %d pixels",
                        dir, n, width, height);
    if (channels != 1 && channels != 3)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: %d channels (expected 1 or 3)", dir,
                        channels);
    uint64_t per = (uint64_t)channels * (uint64_t)height * (uint64_t)width;
    if (per > GAN_PNG_MAX_RAW / 2)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: images of %d x %d are too large", dir,
                        width, height);
    if (strlen(dir) > 900) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: path too long", dir);
    GAN_TRY(gan_folder_prepare(dir));
    uint8_t *hwc = malloc((size_t)per);
    if (!hwc) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %llu bytes", dir,
                              (unsigned long long)per);
    int digits = 6;
    for (int64_t lim = 1000000; n > lim && digits < 10; lim *= 10) digits++;
    size_t plane = (size_t)height * (size_t)width;
    gan_status s = GAN_OK;
    for (int i = 0; i < n && s == GAN_OK; i++) {
        const uint8_t *img = images + (size_t)i * (size_t)per;
        for (size_t p = 0; p < plane; p++)
            for (int c = 0; c < channels; c++) hwc[p * channels + c] = img[c * plane + p];
        char path[1024];
        snprintf(path, sizeof path, "%s/%0*d.png", dir, digits, i);
        s = gan_png_write(path, hwc, width, height, channels);
    }
    free(hwc);
    return s;
}

/* ---------------------------------------------------------------- reader */

static bool gan_folder_is_png(const char *name) {
    size_t n = strlen(name);
    return name[0] != '.' && n > 4 && strcasecmp(name + n - 4, ".png") == 0;
}

static int gan_folder_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void gan_folder_free_names(char **names, size_t count) {
    for (size_t i = 0; i < count; i++) free(names[i]);
    free(names);
}

/* The sorted names of the PNG files in dir. */
static gan_status gan_folder_list(const char *dir, char ***out, size_t *count) {
    *out = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d) return gan_fail(GAN_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    gan_status s = GAN_OK;
    struct dirent *e;
    while (s == GAN_OK && (e = readdir(d)) != NULL) {
        if (!gan_folder_is_png(e->d_name)) continue;
        if (n == GAN_IMAGE_FOLDER_MAX_FILES) {
            s = gan_fail(GAN_ERR_FORMAT, "%s: more than %d PNG files", dir,
                         GAN_IMAGE_FOLDER_MAX_FILES);
            break;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) {
                s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory listing files", dir);
                break;
            }
            names = nn;
            cap = nc;
        }
        names[n] = strdup(e->d_name);
        if (!names[n]) s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory listing files", dir);
        else n++;
    }
    closedir(d);
    if (s == GAN_OK && n == 0) s = gan_fail(GAN_ERR_FORMAT, "%s: no .png files in the folder", dir);
    if (s != GAN_OK) {
        gan_folder_free_names(names, n);
        return s;
    }
    qsort(names, n, sizeof *names, gan_folder_cmp);
    *out = names;
    *count = n;
    return GAN_OK;
}

/* Decode dir/name (interleaved) into *px. */
static gan_status gan_folder_png(const char *dir, const char *name, uint8_t **px, int *w, int *h,
                                 int *c, char *path, size_t path_cap) {
    snprintf(path, path_cap, "%s/%s", dir, name);
    return gan_png_read(path, px, w, h, c);
}

gan_status gan_image_folder_read(const char *dir, uint8_t **images, int *n, int *channels,
                                 int *height, int *width) {
    if (!images || !n || !channels || !height || !width)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "image folder: output is NULL");
    *images = NULL;
    if (!dir || !*dir) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "image folder: empty path");
    char **names = NULL;
    size_t count = 0;
    GAN_TRY(gan_folder_list(dir, &names, &count));
    char path[4096];
    uint8_t *px = NULL, *all = NULL;
    int w0 = 0, h0 = 0, c0 = 0;
    gan_status s = gan_folder_png(dir, names[0], &px, &w0, &h0, &c0, path, sizeof path);
    size_t plane = (size_t)w0 * (size_t)h0, per = plane * (size_t)c0;
    if (s == GAN_OK && (uint64_t)per * count > GAN_IMAGE_FOLDER_MAX_BYTES)
        s = gan_fail(GAN_ERR_FORMAT, "%s: %zu images of %d x %d x %d are too large to load", dir,
                     count, c0, h0, w0);
    if (s == GAN_OK) {
        all = malloc(per * count);
        if (!all) s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes", dir,
                               per * count);
    }
    for (size_t i = 0; i < count && s == GAN_OK; i++) {
        int w = w0, h = h0, c = c0;
        if (i > 0) {
            free(px);
            px = NULL;
            s = gan_folder_png(dir, names[i], &px, &w, &h, &c, path, sizeof path);
            if (s != GAN_OK) break;
        }
        if (w != w0 || h != h0 || c != c0) {
            s = gan_fail(GAN_ERR_SHAPE, "%s: image is %d x %d x %d (C x H x W), but %s is %d x %d "
                         "x %d", path, c, h, w, names[0], c0, h0, w0);
            break;
        }
        uint8_t *dst = all + i * per;
        for (size_t p = 0; p < plane; p++)
            for (int k = 0; k < c; k++) dst[(size_t)k * plane + p] = px[p * (size_t)c + (size_t)k];
    }
    free(px);
    gan_folder_free_names(names, count);
    if (s != GAN_OK) {
        free(all);
        return s;
    }
    *images = all;
    *n = (int)count;
    *channels = c0;
    *height = h0;
    *width = w0;
    return GAN_OK;
}
