/*
 * read_npy.c - NumPy arrays as a dataset: a uint8 .npy of shape (N, H, W)
 * (grey) or (N, H, W, C) with C = 1, 3 or 4 (RGBA is composited over the
 * background), moved to (N, C, H, W).
 *
 * Labels come from the first of these files that exists beside it: the
 * name with its last "images" replaced by "labels" (train_images.npy ->
 * train_labels.npy), STEM_labels.npy, labels.npy; a uint8 array (N).
 * Sniff: a file starting with "\x93NUMPY".
 */
#define _POSIX_C_SOURCE 200809L
#include "data/dataset_internal.h"
#include "data/image_decode.h"
#include "io/npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool npy_sniff(const char *path, const struct stat *st, const uint8_t *head, size_t n) {
    return n >= 6 && memcmp(head, "\x93NUMPY", 6) == 0;
}

/* The labels file for `path`, or "" when none exists. */
static void npy_labels_path(const char *path, char *out) {
    out[0] = 0;
    char cand[DATASET_PATH_MAX];
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *hit = NULL;
    for (const char *p = strstr(base, "images"); p; p = strstr(p + 1, "images")) hit = p;
    if (hit) {
        snprintf(cand, sizeof cand, "%.*slabels%s", (int)(hit - path), path, hit + 6);
        if (strcmp(cand, path) != 0 && dataset_is_file(cand)) {
            strcpy(out, cand);
            return;
        }
    }
    size_t len = strlen(path);
    if (len > 4 && strcmp(path + len - 4, ".npy") == 0) {
        snprintf(cand, sizeof cand, "%.*s_labels.npy", (int)(len - 4), path);
        if (dataset_is_file(cand)) {
            strcpy(out, cand);
            return;
        }
    }
    snprintf(cand, sizeof cand, "%.*slabels.npy", (int)(base - path), path);
    if (strcmp(cand, path) != 0 && dataset_is_file(cand)) strcpy(out, cand);
}

static gan_status npy_load(const char *path, gan_split split, const gan_dataset_options *opt, gan_dataset *d) {
    if (split != GAN_SPLIT_TRAIN)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: a .npy dataset has one split (train)", path);
    gan_npy a = {0};
    GAN_TRY(gan_npy_read(path, &a));
    int C = a.ndims == 4 ? (int)a.shape[3] : 1;
    if (a.dtype != GAN_NPY_U8 || (a.ndims != 3 && a.ndims != 4) || (C != 1 && C != 3 && C != 4) ||
        a.shape[1] < 1 || a.shape[2] < 1 || a.shape[1] > 65536 || a.shape[2] > 65536) {
        gan_npy_free(&a);
        return gan_fail(GAN_ERR_SHAPE, "%s: expected a uint8 array (N, H, W) or (N, H, W, C) with C = 1, 3 or 4",
                        path);
    }
    int64_t N = a.shape[0];
    int H = (int)a.shape[1], W = (int)a.shape[2], Cout = C == 1 ? 1 : 3;
    size_t plane = (size_t)H * (size_t)W;
    uint8_t *px = malloc(plane * (size_t)Cout * (size_t)(N ? N : 1));
    if (!px) {
        gan_npy_free(&a);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    const uint8_t *x = a.data;
    int bg = opt->background == GAN_BACKGROUND_BLACK ? 0 : 255;
    for (int64_t i = 0; i < N; i++) {
        const uint8_t *img = x + (size_t)i * plane * (size_t)C;
        uint8_t *out = px + (size_t)i * plane * (size_t)Cout;
        for (size_t p = 0; p < plane; p++)
            for (int c = 0; c < Cout; c++) {
                int v = img[p * (size_t)C + (size_t)c];
                if (C == 4) v = (v * img[p * 4 + 3] + bg * (255 - img[p * 4 + 3]) + 127) / 255;
                out[(size_t)c * plane + p] = (uint8_t)v;
            }
    }
    gan_npy_free(&a);
    d->pixels = px;
    d->count = N;
    d->channels = Cout;
    d->height = H;
    d->width = W;
    GAN_TRY(dataset_strdup(path, &d->path, path));
    char lp[DATASET_PATH_MAX];
    npy_labels_path(path, lp);
    if (!lp[0]) return GAN_OK;
    gan_npy l = {0};
    GAN_TRY(gan_npy_read(lp, &l));
    if (l.dtype != GAN_NPY_U8 || l.ndims != 1 || l.shape[0] != N) {
        gan_npy_free(&l);
        return gan_fail(GAN_ERR_SHAPE, "%s: labels must be a uint8 array of %lld values (one per image of %s; "
                        "save them with .astype(np.uint8))", lp, (long long)N, path);
    }
    d->labels = l.data;
    return dataset_strdup(lp, &d->labels_path, lp);
}

const dataset_reader dataset_reader_npy = {"npy", npy_sniff, npy_load};
