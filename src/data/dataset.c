/*
 * dataset.c - gan_dataset: the reader table behind gan_dataset_load, and the
 * accessors of gan.h.
 *
 * Readers are tried in table order; each sniffs the path (a folder, or the
 * first bytes of a file) and the first that takes it loads it. Order
 * matters: the formats with magic bytes come first (pack, npy), then
 * CIFAR-10 (by name and size), then IDX, which takes any other file so that
 * malformed files get its precise errors; among folders, MNIST-named files
 * make an IDX folder, CIFAR batches a CIFAR-10 folder, and any other folder
 * is a folder of images.
 */
#define _POSIX_C_SOURCE 200809L
#include "data/dataset_internal.h"
#include "io/open_file.h"

#include "data/image_decode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const dataset_reader *const dataset_readers[] = {
    &dataset_reader_pack, &dataset_reader_npy, &dataset_reader_cifar10,
    &dataset_reader_idx,  &dataset_reader_folder,
};
#define DATASET_READER_COUNT (sizeof dataset_readers / sizeof dataset_readers[0])

/* ------------------------------------------------------------ helpers */

bool dataset_is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

bool dataset_join(char *dst, const char *a, const char *b, const char *c) {
    int n = snprintf(dst, DATASET_PATH_MAX, "%s%s%s", a, b, c);
    return n >= 0 && n < DATASET_PATH_MAX;
}

gan_status dataset_strdup(const char *s, char **out, const char *what) {
    size_t n = strlen(s) + 1;
    *out = malloc(n);
    if (!*out) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", what);
    memcpy(*out, s, n);
    return GAN_OK;
}

gan_status dataset_set_classes(gan_dataset *d, int count, const char *const *names) {
    if (count < 0 || count > DATASET_MAX_CLASSES)
        return gan_fail(GAN_ERR_FORMAT, "%s: %d classes (at most %d)", d->path ? d->path : "dataset", count,
                        DATASET_MAX_CLASSES);
    char **copy = count ? calloc((size_t)count, sizeof *copy) : NULL;
    if (count && !copy) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "out of memory for class names");
    for (int k = 0; k < count; k++)
        if (dataset_strdup(names[k], &copy[k], "class names") != GAN_OK) {
            for (int j = 0; j < k; j++) free(copy[j]);
            free(copy);
            return GAN_ERR_OUT_OF_MEMORY;
        }
    for (int k = 0; k < d->class_count; k++) free(d->class_names[k]);
    free(d->class_names);
    d->class_names = copy;
    d->class_count = count;
    return GAN_OK;
}

void dataset_clear(gan_dataset *d) {
    free(d->pixels);
    free(d->labels);
    free(d->path);
    free(d->labels_path);
    for (int k = 0; k < d->class_count; k++) free(d->class_names[k]);
    free(d->class_names);
    memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------------ reshaping */

/* Channels only (no resize): grey -> RGB repeats, RGB -> grey as image_shape. */
static gan_status dataset_convert_channels(gan_dataset *d, int C) {
    size_t plane = (size_t)d->height * (size_t)d->width;
    uint8_t *out = malloc(plane * (size_t)C * (size_t)(d->count ? d->count : 1));
    if (!out) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory converting channels", d->path);
    for (int64_t i = 0; i < d->count; i++) {
        const uint8_t *x = d->pixels + (size_t)i * plane * (size_t)d->channels;
        uint8_t *y = out + (size_t)i * plane * (size_t)C;
        for (size_t p = 0; p < plane; p++) {
            if (C == 3) {
                y[p] = y[plane + p] = y[2 * plane + p] = x[p];
            } else {
                int r = x[p], g = x[plane + p], b = x[2 * plane + p];
                y[p] = (uint8_t)((19595 * r + 38470 * g + 7471 * b + 32768) >> 16);
            }
        }
    }
    free(d->pixels);
    d->pixels = out;
    d->channels = C;
    return GAN_OK;
}

gan_status dataset_reshape(gan_dataset *d, const gan_dataset_options *opt) {
    int C = opt->channels ? opt->channels : d->channels;
    int R = opt->resolution;
    if ((R == 0 || (R == d->height && R == d->width)) && C == d->channels) return GAN_OK;
    if (d->channels != 1 && d->channels != 3)
        return gan_fail(GAN_ERR_UNSUPPORTED, "%s: cannot reshape %d-channel images", d->path, d->channels);
    if (R == 0 || (R == d->height && R == d->width)) return dataset_convert_channels(d, C);
    size_t in_plane = (size_t)d->height * (size_t)d->width, per_out = (size_t)C * R * R;
    if (d->count > 0 && per_out > (((uint64_t)1 << 36) / (uint64_t)d->count))
        return gan_fail(GAN_ERR_SHAPE, "%s: %lld images of %dx%dx%d are too large", d->path,
                        (long long)d->count, C, R, R);
    uint8_t *out = malloc(per_out * (size_t)(d->count ? d->count : 1));
    uint8_t *rgba = malloc(in_plane * 4);
    if (!out || !rgba) {
        free(out);
        free(rgba);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory reshaping images", d->path);
    }
    image_shape_opts so = {R, C, opt->crop, opt->background};
    gan_status s = GAN_OK;
    for (int64_t i = 0; i < d->count && s == GAN_OK; i++) {
        const uint8_t *img = d->pixels + (size_t)i * in_plane * (size_t)d->channels;
        for (size_t p = 0; p < in_plane; p++) {
            uint8_t *q = rgba + 4 * p;
            q[0] = img[p];
            q[1] = d->channels == 3 ? img[in_plane + p] : img[p];
            q[2] = d->channels == 3 ? img[2 * in_plane + p] : img[p];
            q[3] = 255;
        }
        s = image_shape(rgba, d->width, d->height, &so, out + (size_t)i * per_out);
    }
    free(rgba);
    if (s != GAN_OK) {
        free(out);
        return s;
    }
    free(d->pixels);
    d->pixels = out;
    d->channels = C;
    d->height = d->width = R;
    return GAN_OK;
}

/* ------------------------------------------------------------ loading */

void gan_dataset_options_default(gan_dataset_options *opt) {
    if (!opt) return;
    memset(opt, 0, sizeof *opt);
    opt->crop = GAN_CROP_CENTER;
    opt->background = GAN_BACKGROUND_WHITE;
    opt->max_pixels = GAN_DATASET_MAX_PIXELS;
}

static gan_status dataset_check_options(const gan_dataset_options *o) {
    if (o->resolution < 0 || o->resolution > 4096)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "resolution %d: expected 1..4096 (or 0: the data's own)",
                        o->resolution);
    if (o->channels != 0 && o->channels != 1 && o->channels != 3)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "channels %d: expected 1 or 3 (or 0: the data's own)",
                        o->channels);
    if (o->crop != GAN_CROP_CENTER && o->crop != GAN_CROP_NONE)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "unknown crop mode %d", (int)o->crop);
    if (o->background != GAN_BACKGROUND_WHITE && o->background != GAN_BACKGROUND_BLACK)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "unknown background %d", (int)o->background);
    if (o->threads < 0 || o->max_pixels < 0)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "threads and max_pixels must not be negative");
    return GAN_OK;
}

/* The reader that takes `path`. */
static gan_status dataset_pick_reader(const char *path, const dataset_reader **reader) {
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) return gan_fail(GAN_ERR_IO, "%s: no such file or directory", path);
        return gan_fail(GAN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    uint8_t head[DATASET_HEAD_BYTES];
    size_t n = 0;
    if (!S_ISDIR(st.st_mode)) {
        FILE *f = NULL; /* never blocks on a FIFO or device: those are refused */
        int open_errno;
        GAN_TRY(gan_fopen_read(path, &f, &open_errno));
        n = fread(head, 1, sizeof head, f);
        fclose(f);
    }
    for (size_t i = 0; i < DATASET_READER_COUNT; i++)
        if (dataset_readers[i]->sniff(path, &st, head, n)) {
            *reader = dataset_readers[i];
            return GAN_OK;
        }
    return gan_fail(GAN_ERR_FORMAT, "%s: not a dataset this build reads", path);
}

gan_status gan_dataset_load_with(const char *path, gan_split split, const gan_dataset_options *opt,
                                 gan_dataset **out) {
    if (!out) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "gan_dataset_load: out is NULL");
    *out = NULL;
    if (!path || !*path) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "gan_dataset_load: empty path");
    if (split != GAN_SPLIT_TRAIN && split != GAN_SPLIT_TEST)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "gan_dataset_load: unknown split %d", (int)split);
    gan_dataset_options defaults;
    gan_dataset_options_default(&defaults);
    if (!opt) opt = &defaults;
    GAN_TRY(dataset_check_options(opt));
    const dataset_reader *reader = NULL;
    GAN_TRY(dataset_pick_reader(path, &reader));
    gan_dataset *d = calloc(1, sizeof *d);
    if (!d) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    d->format = reader->name;
    gan_status s = reader->load(path, split, opt, d);
    if (s == GAN_OK) s = dataset_reshape(d, opt);
    d->shape_resolution = opt->resolution, d->shape_channels = opt->channels;
    d->shape_crop = opt->crop, d->shape_background = opt->background;
    if (s != GAN_OK) {
        dataset_clear(d);
        free(d);
        return s;
    }
    *out = d;
    return GAN_OK;
}

gan_status gan_dataset_load(const char *path, gan_split split, gan_dataset **out) {
    return gan_dataset_load_with(path, split, NULL, out);
}

/* ------------------------------------------------------------ accessors */

void gan_dataset_free(gan_dataset *data) {
    if (!data) return;
    dataset_clear(data);
    free(data);
}

void gan_dataset_get_shape_options(const gan_dataset *data, gan_dataset_options *opt) {
    gan_dataset_options_default(opt);
    if (!data) return;
    opt->resolution = data->shape_resolution, opt->channels = data->shape_channels;
    opt->crop = data->shape_crop, opt->background = data->shape_background;
}

int64_t gan_dataset_count(const gan_dataset *data) {
    return data ? data->count : 0;
}

void gan_dataset_shape(const gan_dataset *data, int *channels, int *height, int *width) {
    if (channels) *channels = data ? data->channels : 0;
    if (height) *height = data ? data->height : 0;
    if (width) *width = data ? data->width : 0;
}

const uint8_t *gan_dataset_pixels(const gan_dataset *data) {
    return data ? data->pixels : NULL;
}

const uint8_t *gan_dataset_labels(const gan_dataset *data) {
    return data ? data->labels : NULL;
}

const char *gan_dataset_path(const gan_dataset *data) {
    return data ? data->path : NULL;
}

const char *gan_dataset_labels_path(const gan_dataset *data) {
    return data ? data->labels_path : NULL;
}

const char *gan_dataset_format(const gan_dataset *data) {
    return data ? data->format : NULL;
}

int gan_dataset_class_count(const gan_dataset *data) {
    return data ? data->class_count : 0;
}

const char *gan_dataset_class_name(const gan_dataset *data, int k) {
    if (!data || k < 0 || k >= data->class_count) return NULL;
    return data->class_names[k];
}

const gan_dataset_summary *gan_dataset_get_summary(const gan_dataset *data) {
    return data ? &data->summary : NULL;
}
