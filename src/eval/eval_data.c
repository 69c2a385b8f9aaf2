/*
 * eval_data.c - the splits, fingerprint and cache folder of evaluation on
 * any dataset (see eval_data.h): the format's own test split, or a fixed
 * random sixth held out.
 */
#define _XOPEN_SOURCE 700
#include "eval/eval_data.h"
#include "data/dataset_internal.h"
#include "eval/evaluate.h"
#include "rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void gan_eval_data_free(gan_eval_data *d) {
    if (!d) return;
    for (int i = 0; i < 3; i++) gan_dataset_free(d->own[i]);
    memset(d, 0, sizeof *d);
}

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dst = the folder part of `path` ("." when it has none). */
static void dir_of(const char *path, char *dst, size_t cap) {
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dst, cap, ".");
    else snprintf(dst, cap, "%.*s", (int)(slash - path + (slash == path)), path);
}

static const char *base_of(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The folder holding the test split of `d`'s format, if it has one: a
 * CIFAR-10 folder (the path of one with a single training batch is that
 * batch's file), or the folder of an IDX train-images file. */
static bool test_source(const gan_dataset *d, char *dir, size_t cap) {
    const char *fmt = gan_dataset_format(d), *path = gan_dataset_path(d);
    if (strcmp(fmt, "cifar10") == 0 && is_dir(path)) {
        snprintf(dir, cap, "%s", path);
        return true;
    }
    if (strcmp(fmt, "cifar10") == 0 && strncmp(base_of(path), "data_batch_", 11) == 0) {
        dir_of(path, dir, cap);
        return true;
    }
    if (strcmp(fmt, "idx") == 0 && strncmp(base_of(path), "train-images-idx3-ubyte", 23) == 0) {
        dir_of(path, dir, cap);
        return true;
    }
    return false;
}

/* At least two distinct labels. */
static bool has_classes(const gan_dataset *d) {
    const uint8_t *l = gan_dataset_labels(d);
    int64_t n = gan_dataset_count(d);
    for (int64_t i = 1; l && i < n; i++)
        if (l[i] != l[0]) return true;
    return false;
}

/* Hold out a sixth of `full` (of each class when labeled) as the test split. */
static gan_status hold_out(const gan_dataset *full, gan_eval_data *out) {
    int64_t n = gan_dataset_count(full);
    const char *path = gan_dataset_path(full);
    if (n < 2 * GAN_EVAL_HOLDOUT)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: %lld image%s; evaluation holds out a sixth "
                        "as its test split (the data has none) and needs at least %d", path,
                        (long long)n, n == 1 ? "" : "s", 2 * GAN_EVAL_HOLDOUT);
    const uint8_t *lab = out->labeled ? gan_dataset_labels(full) : NULL;
    int64_t quota[256] = {0}, taken[256] = {0}, m = 0;
    for (int64_t i = 0; i < n; i++) quota[lab ? lab[i] : 0]++;
    for (int k = 0; k < 256; k++) quota[k] /= GAN_EVAL_HOLDOUT;
    uint32_t *perm = malloc((size_t)n * sizeof *perm), *train = malloc((size_t)n * sizeof *train);
    uint32_t *test = malloc((size_t)n * sizeof *test);
    uint8_t *in_test = calloc((size_t)n, 1);
    gan_status s = perm && train && test && in_test
                       ? GAN_OK
                       : gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    if (s == GAN_OK) s = gan_eval_subset(n, n, GAN_EVAL_USE_HOLDOUT, 0, perm);
    for (int64_t j = 0; s == GAN_OK && j < n; j++) {
        uint32_t i = perm[j];
        int k = lab ? lab[i] : 0;
        if (taken[k] < quota[k]) taken[k]++, in_test[i] = 1, m++;
    }
    if (s == GAN_OK && m < 2)
        s = gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: every class has fewer than %d images; "
                     "nothing to hold out as a test split", path, GAN_EVAL_HOLDOUT);
    int64_t a = 0, b = 0;
    for (int64_t i = 0; s == GAN_OK && i < n; i++) {
        if (in_test[i]) test[b++] = (uint32_t)i;
        else train[a++] = (uint32_t)i;
    }
    if (s == GAN_OK) s = dataset_subset(full, train, a, &out->own[1]);
    if (s == GAN_OK) s = dataset_subset(full, test, b, &out->own[2]);
    free(perm), free(train), free(test), free(in_test);
    GAN_TRY(s);
    out->train = out->own[1], out->test = out->own[2];
    out->held_out = true;
    return GAN_OK;
}

/* A 64-bit FNV-1a-style hash, eight bytes at a time. */
static uint64_t hash_bytes(const uint8_t *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static void fp_add(gan_eval_data *out, size_t *len, const char *name, const uint8_t *p, size_t n) {
    if (!p) return;
    *len += (size_t)snprintf(out->fingerprint + *len, sizeof out->fingerprint - *len,
                             "%s:%zu:#%016llx;", name, n, (unsigned long long)hash_bytes(p, n));
}

static void content_fingerprint(gan_eval_data *out) {
    size_t len = 0;
    const gan_dataset *sp[2] = {out->train, out->test};
    const char *names[2][2] = {{"train.pixels", "train.labels"}, {"test.pixels", "test.labels"}};
    for (int i = 0; i < 2; i++) {
        int c, h, w;
        gan_dataset_shape(sp[i], &c, &h, &w);
        int64_t n = gan_dataset_count(sp[i]);
        fp_add(out, &len, names[i][0], gan_dataset_pixels(sp[i]), (size_t)n * c * h * w);
        fp_add(out, &len, names[i][1], gan_dataset_labels(sp[i]), (size_t)n);
    }
}

/* The cache folder of a dataset other than an IDX folder at its own shape. */
static gan_status keyed_cache(const gan_dataset *d, const char *folder, const char *cache,
                              gan_eval_data *out) {
    const char *path = folder ? folder : gan_dataset_path(d);
    char base[1024], name[512];
    int c, h, w, k;
    gan_dataset_shape(d, &c, &h, &w);
    gan_dataset_options o;
    gan_dataset_get_shape_options(d, &o);
    bool dir = is_dir(path);
    if (dir) snprintf(base, sizeof base, "%s", path);
    else dir_of(path, base, sizeof base);
    k = snprintf(name, sizeof name, "%s%s%dx%dx%d%s%s", dir ? "" : base_of(path), dir ? "" : "-",
                 c, h, w, o.crop == GAN_CROP_NONE ? "-letterbox" : "",
                 o.background == GAN_BACKGROUND_BLACK ? "-black" : "");
    if (k < 0 || (size_t)k >= sizeof name)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: name too long", path);
    return gan_eval_cache_dir_keyed(base, name, cache, out->cache_dir, sizeof out->cache_dir,
                                    &out->cache_fallback);
}

/* Splits, fingerprint and cache of training data `train` (borrowed). */
static gan_status open_from(const gan_dataset *train, const char *cache, gan_eval_data *out) {
    gan_dataset_options shape;
    gan_dataset_get_shape_options(train, &shape);
    out->labeled = has_classes(train);
    char dir[1024];
    bool has_dir = test_source(train, dir, sizeof dir);
    snprintf(out->source, sizeof out->source, "%s", has_dir ? dir : gan_dataset_path(train));
    if (has_dir &&
        gan_dataset_load_with(dir, GAN_SPLIT_TEST, &shape, &out->own[2]) == GAN_OK) {
        out->train = train, out->test = out->own[2];
        out->classic = strcmp(gan_dataset_format(train), "idx") == 0 && shape.resolution == 0 &&
                       shape.channels == 0 &&
                       gan_eval_fingerprint(dir, out->fingerprint, sizeof out->fingerprint) == GAN_OK;
        if (out->classic)
            return gan_eval_cache_dir(dir, cache, out->cache_dir, sizeof out->cache_dir,
                                      &out->cache_fallback);
    } else {
        GAN_TRY(hold_out(train, out));
    }
    content_fingerprint(out);
    return keyed_cache(train, has_dir ? dir : NULL, cache, out);
}

gan_status gan_eval_data_open(const char *path, const gan_dataset_options *shape,
                              const char *cache, gan_eval_data *out) {
    memset(out, 0, sizeof *out);
    gan_status s = gan_dataset_load_with(path, GAN_SPLIT_TRAIN, shape, &out->own[0]);
    if (s == GAN_OK) s = open_from(out->own[0], cache, out);
    if (s != GAN_OK) gan_eval_data_free(out);
    else if (out->held_out) { /* the subsets are copies */
        gan_dataset_free(out->own[0]);
        out->own[0] = NULL;
    }
    return s;
}

gan_status gan_eval_data_open_loaded(const gan_dataset *data, const char *cache,
                                     gan_eval_data *out) {
    memset(out, 0, sizeof *out);
    gan_status s = open_from(data, cache, out);
    if (s != GAN_OK) gan_eval_data_free(out);
    return s;
}
