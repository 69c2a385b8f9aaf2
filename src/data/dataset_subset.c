/*
 * dataset_subset.c - a new dataset holding chosen images of another (their
 * pixels and labels copied, class names, format and shape options kept):
 * what evaluation uses to hold out part of a dataset that has no test split.
 */
#include "data/dataset_internal.h"

#include <stdlib.h>
#include <string.h>

gan_status dataset_subset(const gan_dataset *src, const uint32_t *idx, int64_t m,
                          gan_dataset **out) {
    *out = NULL;
    gan_dataset *d = calloc(1, sizeof *d);
    if (!d) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", src->path);
    size_t per = (size_t)src->channels * src->height * src->width;
    d->count = m;
    d->channels = src->channels, d->height = src->height, d->width = src->width;
    d->format = src->format;
    d->shape_resolution = src->shape_resolution, d->shape_channels = src->shape_channels;
    d->shape_crop = src->shape_crop, d->shape_background = src->shape_background;
    gan_status s = dataset_strdup(src->path, &d->path, src->path);
    if (s == GAN_OK && src->labels_path) s = dataset_strdup(src->labels_path, &d->labels_path, src->path);
    if (s == GAN_OK && !(d->pixels = malloc(GAN_MAX(per * (size_t)m, 1))))
        s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory for %lld images", src->path,
                     (long long)m);
    if (s == GAN_OK && src->labels && !(d->labels = malloc(GAN_MAX((size_t)m, 1))))
        s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", src->path);
    if (s == GAN_OK)
        s = dataset_set_classes(d, src->class_count, (const char *const *)src->class_names);
    if (s != GAN_OK) {
        dataset_clear(d);
        free(d);
        return s;
    }
    for (int64_t i = 0; i < m; i++) {
        memcpy(d->pixels + (size_t)i * per, src->pixels + (size_t)idx[i] * per, per);
        if (d->labels) d->labels[i] = src->labels[idx[i]];
    }
    *out = d;
    return GAN_OK;
}
