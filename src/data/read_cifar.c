/*
 * read_cifar.c - CIFAR-10's binary batches (the "binary version" of the
 * dataset): records of 1 label byte and 3072 pixel bytes (the 32x32 red,
 * green and blue planes: already (C, H, W)).
 *
 * A folder gives the train split from data_batch_1.bin .. data_batch_5.bin
 * (those present, at least one) and the test split from test_batch.bin; a
 * single .bin file is one batch whatever the split. Class names come from
 * batches.meta.txt beside the batches (one per line), else CIFAR-10's ten.
 * Sniff: a folder holding data_batch_1.bin or test_batch.bin, or a file whose
 * name ends in .bin and whose size is a positive multiple of 3073.
 */
#define _POSIX_C_SOURCE 200809L
#include "data/dataset_internal.h"
#include "io/open_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CIFAR_RECORD 3073
#define CIFAR_PIXELS 3072
#define CIFAR_MAX_FILES 6

static const char *const cifar_default_names[10] = {"airplane", "automobile", "bird", "cat", "deer",
                                                    "dog", "frog", "horse", "ship", "truck"};

static int64_t cifar_file_records(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0 || S_ISDIR(st.st_mode)) return -1;
    if (st.st_size <= 0 || st.st_size % CIFAR_RECORD != 0) return -2;
    return st.st_size / CIFAR_RECORD;
}

static bool cifar_sniff(const char *path, const struct stat *st, const uint8_t *head, size_t n) {
    char p[DATASET_PATH_MAX];
    if (S_ISDIR(st->st_mode))
        return (dataset_join(p, path, "/", "data_batch_1.bin") && dataset_is_file(p)) ||
               (dataset_join(p, path, "/", "test_batch.bin") && dataset_is_file(p));
    size_t len = strlen(path);
    return len > 4 && strcmp(path + len - 4, ".bin") == 0 && st->st_size > 0 && st->st_size % CIFAR_RECORD == 0;
}

/* Class names from DIR/batches.meta.txt, else the default ten. */
static gan_status cifar_class_names(const char *dir, gan_dataset *d) {
    char p[DATASET_PATH_MAX];
    FILE *f = dataset_join(p, dir, "/", "batches.meta.txt") ? fopen(p, "r") : NULL;
    if (!f) return dataset_set_classes(d, 10, cifar_default_names);
    char lines[DATASET_MAX_CLASSES][128];
    const char *names[DATASET_MAX_CLASSES];
    int k = 0;
    while (k < DATASET_MAX_CLASSES && fgets(lines[k], sizeof lines[k], f)) {
        lines[k][strcspn(lines[k], "\r\n")] = 0;
        if (!lines[k][0]) continue;
        names[k] = lines[k];
        k++;
    }
    fclose(f);
    return dataset_set_classes(d, k, names);
}

static gan_status cifar_load(const char *path, gan_split split, const gan_dataset_options *opt, gan_dataset *d) {
    char files[CIFAR_MAX_FILES][DATASET_PATH_MAX];
    int nfiles = 0;
    char dir[DATASET_PATH_MAX];
    if (dataset_is_file(path)) {
        snprintf(files[nfiles++], DATASET_PATH_MAX, "%s", path);
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash) *slash = 0;
        else snprintf(dir, sizeof dir, ".");
    } else {
        snprintf(dir, sizeof dir, "%s", path);
        if (split == GAN_SPLIT_TEST) {
            if (!dataset_join(files[0], path, "/", "test_batch.bin") || !dataset_is_file(files[0]))
                return gan_fail(GAN_ERR_IO, "%s: no test_batch.bin in this folder (the CIFAR-10 test split)", path);
            nfiles = 1;
        } else {
            for (int b = 1; b <= 5; b++) {
                char name[32];
                snprintf(name, sizeof name, "data_batch_%d.bin", b);
                if (dataset_join(files[nfiles], path, "/", name) && dataset_is_file(files[nfiles])) nfiles++;
            }
            if (nfiles == 0)
                return gan_fail(GAN_ERR_IO, "%s: no data_batch_1.bin .. data_batch_5.bin in this folder", path);
        }
    }
    int64_t total = 0, records[CIFAR_MAX_FILES];
    for (int i = 0; i < nfiles; i++) {
        records[i] = cifar_file_records(files[i]);
        if (records[i] < 0)
            return gan_fail(GAN_ERR_FORMAT, "%s: size is not a positive multiple of %d bytes (a CIFAR-10 record)",
                            files[i], CIFAR_RECORD);
        total += records[i];
    }
    d->pixels = malloc((size_t)total * CIFAR_PIXELS);
    d->labels = malloc((size_t)total);
    if (!d->pixels || !d->labels) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    uint8_t *rec = malloc(CIFAR_RECORD);
    if (!rec) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    int64_t at = 0;
    gan_status s = GAN_OK;
    for (int i = 0; i < nfiles && s == GAN_OK; i++) {
        FILE *f = NULL;
        int open_errno;
        if ((s = gan_fopen_read(files[i], &f, &open_errno)) != GAN_OK) break;
        for (int64_t r = 0; r < records[i]; r++, at++) {
            if (fread(rec, 1, CIFAR_RECORD, f) != CIFAR_RECORD) {
                s = gan_fail(GAN_ERR_IO, "%s: read error at record %lld", files[i], (long long)r);
                break;
            }
            d->labels[at] = rec[0];
            memcpy(d->pixels + (size_t)at * CIFAR_PIXELS, rec + 1, CIFAR_PIXELS);
        }
        fclose(f);
    }
    free(rec);
    if (s != GAN_OK) return s;
    d->count = total;
    d->channels = 3;
    d->height = d->width = 32;
    GAN_TRY(cifar_class_names(dir, d));
    for (int64_t i = 0; i < total; i++)
        if (d->labels[i] >= d->class_count)
            return gan_fail(GAN_ERR_FORMAT, "%s: label %d of record %lld is not below the %d classes", path,
                            d->labels[i], (long long)i, d->class_count);
    GAN_TRY(dataset_strdup(nfiles == 1 ? files[0] : path, &d->path, path));
    return dataset_strdup(d->path, &d->labels_path, path);
}

const dataset_reader dataset_reader_cifar10 = {"cifar10", cifar_sniff, cifar_load};
