/*
 * read_idx.c - the IDX reader of the dataset table: MNIST-style files.
 *
 * Takes either a folder holding MNIST-named files, from which the split
 * picks train-* or t10k-* (a plain file is preferred to its .gz twin), or an
 * idx3-ubyte images file itself, whose labels file is found by replacing
 * "images-idx3" with "labels-idx1" in the file's name (with the same
 * compression suffix first, then the other). Images are idx3 (N, H, W),
 * stored with one channel; labels, when a labels file exists, are idx1 (N)
 * with the same N and are kept as they are (values above 9 are allowed).
 * Sniff: a folder with train-images-idx3-ubyte[.gz] or t10k-images-idx3-ubyte[.gz];
 * any file that no reader before it in the table took (so that a malformed
 * file gets the IDX reader's precise message: bad magic number, ...).
 */
#define _POSIX_C_SOURCE 200809L
#include "data/dataset_internal.h"
#include "data/idx.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The two files of one dataset, NUL-terminated paths; labels may be "". */
typedef struct dataset_files {
    char images[DATASET_PATH_MAX];
    char labels[DATASET_PATH_MAX];
} dataset_files;


/* In folder `dir`, find "<stem>" or else "<stem>.gz"; dst = "" if neither. */
static gan_status dataset_find_in_dir(const char *dir, const char *stem, char *dst) {
    const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";
    char name[DATASET_PATH_MAX];
    dst[0] = 0;
    for (int gz = 0; gz < 2; gz++) {
        if (!dataset_join(name, sep, stem, gz ? ".gz" : "") || !dataset_join(dst, dir, name, ""))
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: path too long", dir);
        if (dataset_is_file(dst)) return GAN_OK;
    }
    dst[0] = 0;
    return GAN_OK;
}

/* The images and labels files of `split` in folder `dir`. */
static gan_status dataset_files_in_dir(const char *dir, gan_split split, dataset_files *files) {
    const char *prefix = split == GAN_SPLIT_TEST ? "t10k" : "train";
    char stem[64];
    snprintf(stem, sizeof stem, "%s-images-idx3-ubyte", prefix);
    GAN_TRY(dataset_find_in_dir(dir, stem, files->images));
    if (!files->images[0])
        return gan_fail(GAN_ERR_IO, "%s: no %s or %s.gz in this folder (looked for the %s split's images)", dir,
                        stem, stem, split == GAN_SPLIT_TEST ? "test" : "train");
    snprintf(stem, sizeof stem, "%s-labels-idx1-ubyte", prefix);
    return dataset_find_in_dir(dir, stem, files->labels);
}

/* Labels next to an images file: "images-idx3" -> "labels-idx1" in its
 * name (last occurrence in the file name), tried as is, then with ".gz"
 * removed or added. files->labels = "" when there is none. */
static gan_status dataset_files_for_image(const char *path, dataset_files *files) {
    files->labels[0] = 0;
    if (!dataset_join(files->images, path, "", ""))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: path too long", path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *key = "images-idx3", *hit = NULL;
    for (const char *p = strstr(base, key); p; p = strstr(p + 1, key)) hit = p;
    if (!hit) return GAN_OK;
    char name[DATASET_PATH_MAX];
    int head = (int)(hit - path);
    snprintf(name, sizeof name, "%.*slabels-idx1%s", head, path, hit + strlen(key));
    if (dataset_is_file(name)) {
        strcpy(files->labels, name);
        return GAN_OK;
    }
    size_t len = strlen(name);
    if (len > 3 && strcmp(name + len - 3, ".gz") == 0)
        name[len - 3] = 0;
    else if (len + 3 < sizeof name)
        memcpy(name + len, ".gz", 4);
    else
        return GAN_OK;
    if (dataset_is_file(name)) strcpy(files->labels, name);
    return GAN_OK;
}

/* Which files `path` and `split` name. */
static gan_status dataset_resolve(const char *path, gan_split split, dataset_files *files) {
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) return gan_fail(GAN_ERR_IO, "%s: no such file or directory", path);
        return gan_fail(GAN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) return dataset_files_in_dir(path, split, files);
    return dataset_files_for_image(path, files);
}

/* ------------------------------------------------------------ loading */

/* Move the images (and labels) into `d`, checking their shapes. */
static gan_status idx_build(const dataset_files *files, gan_idx *images, gan_idx *labels, gan_dataset *d) {
    if (images->dims[1] > INT_MAX || images->dims[2] > INT_MAX)
        return gan_fail(GAN_ERR_FORMAT, "%s: images of %" PRId64 " x %" PRId64 " pixels are too large",
                        files->images, images->dims[1], images->dims[2]);
    if (labels->data && labels->dims[0] != images->dims[0])
        return gan_fail(GAN_ERR_FORMAT, "%s has %" PRId64 " images but %s has %" PRId64 " labels", files->images,
                        images->dims[0], files->labels, labels->dims[0]);
    GAN_TRY(dataset_strdup(files->images, &d->path, files->images));
    if (labels->data) GAN_TRY(dataset_strdup(files->labels, &d->labels_path, files->images));
    d->count = images->dims[0];
    d->channels = 1;
    d->height = (int)images->dims[1];
    d->width = (int)images->dims[2];
    d->pixels = images->data;
    d->labels = labels->data;
    images->data = NULL;
    labels->data = NULL;
    return GAN_OK;
}

static gan_status idx_load(const char *path, gan_split split, const gan_dataset_options *opt, gan_dataset *out) {
    dataset_files *files = malloc(sizeof *files);
    if (!files) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    gan_idx images, labels;
    memset(&images, 0, sizeof images);
    memset(&labels, 0, sizeof labels);
    gan_status s = dataset_resolve(path, split, files);
    if (s == GAN_OK) s = gan_idx_read_ndims(files->images, 3, &images);
    if (s == GAN_OK && files->labels[0]) s = gan_idx_read_ndims(files->labels, 1, &labels);
    if (s == GAN_OK) s = idx_build(files, &images, &labels, out);
    gan_idx_free(&images);
    gan_idx_free(&labels);
    free(files);
    return s;
}

static bool idx_sniff(const char *path, const struct stat *st, const uint8_t *head, size_t n) {
    if (S_ISDIR(st->st_mode)) {
        char p[DATASET_PATH_MAX];
        const char *names[] = {"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz",
                               "t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"};
        for (int i = 0; i < 4; i++)
            if (dataset_join(p, path, "/", names[i]) && dataset_is_file(p)) return true;
        return false;
    }
    return true; /* the last reader for files: its errors name what is wrong (bad magic, ...) */
}

const dataset_reader dataset_reader_idx = {"idx", idx_sniff, idx_load};
