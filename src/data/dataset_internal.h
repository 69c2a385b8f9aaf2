/*
 * dataset_internal.h - the gan_dataset struct and the reader table behind
 * gan_dataset_load.
 *
 * A reader is {name, sniff, load}. gan_dataset_load stats the path, reads
 * up to DATASET_HEAD_BYTES of a file (nothing for a folder), and asks each
 * reader in table order whether it takes the path; the first that does
 * loads it. After loading, the shape options (resolution, channels) are
 * applied to formats that were not decoded at the requested shape already
 * (dataset_reshape). Pixels are always uint8 (N, C, H, W), planar.
 */
#ifndef GAN_DATA_DATASET_INTERNAL_H
#define GAN_DATA_DATASET_INTERNAL_H

#include "internal.h"

#include <sys/stat.h>

#define DATASET_PATH_MAX 4096
#define DATASET_HEAD_BYTES 64
#define DATASET_MAX_CLASSES 256

struct gan_dataset {
    int64_t count;       /* N */
    int channels;        /* C: 1 grey or 3 RGB (IDX: 1) */
    int height;          /* H */
    int width;           /* W */
    uint8_t *pixels;     /* (N, C, H, W) */
    uint8_t *labels;     /* (N) or NULL */
    char *path;          /* the images file or folder */
    char *labels_path;   /* the labels file (or folder), or NULL */
    const char *format;  /* the reader's name: "idx", "folder", "cifar10", "npy", "pack" */
    int class_count;     /* number of class names (0: none known) */
    char **class_names;  /* (class_count) names, or NULL */
    gan_dataset_summary summary; /* what a decoding load met (folders; zeros otherwise) */
    int shape_resolution, shape_channels; /* the shape options it was loaded with (0: own) */
    gan_crop shape_crop;
    gan_background shape_background;
};

/* One entry of the reader table. `head` holds the first `head_len` bytes of
 * a regular file (head_len = 0 for a folder). */
typedef struct dataset_reader {
    const char *name;
    bool (*sniff)(const char *path, const struct stat *st, const uint8_t *head, size_t head_len);
    gan_status (*load)(const char *path, gan_split split, const gan_dataset_options *opt,
                       gan_dataset *out);
} dataset_reader;

extern const dataset_reader dataset_reader_idx;
extern const dataset_reader dataset_reader_folder;
extern const dataset_reader dataset_reader_cifar10;
extern const dataset_reader dataset_reader_npy;
extern const dataset_reader dataset_reader_pack;

/* strdup that records an out-of-memory error naming `what`. */
gan_status dataset_strdup(const char *s, char **out, const char *what);

/* Set d->class_count names (copied). */
gan_status dataset_set_classes(gan_dataset *d, int count, const char *const *names);

/* Apply opt->resolution / opt->channels to an in-memory dataset (any format):
 * each image is shaped as a decoded file would be (image_shape.h). */
gan_status dataset_reshape(gan_dataset *d, const gan_dataset_options *opt);

/* *out = a new dataset of src's images idx[0 .. m-1] (pixels and labels
 * copied; path, class names, format and shape options kept). */
gan_status dataset_subset(const gan_dataset *src, const uint32_t *idx, int64_t m,
                          gan_dataset **out);

/* Free the fields of d (not d itself) and zero them. */
void dataset_clear(gan_dataset *d);

/* True when `path` exists and is not a folder. */
bool dataset_is_file(const char *path);

/* dst = a + b + c within DATASET_PATH_MAX; false if it does not fit. */
bool dataset_join(char *dst, const char *a, const char *b, const char *c);

#endif /* GAN_DATA_DATASET_INTERNAL_H */
