/*
 * classifier_file.c - the eval classifier as a safetensors file: weights
 * (classifier.<i>.weight / .bias) and metadata saying what it is, what it
 * was trained on and how well it does (keys in docs/eval.md). Written
 * atomically; read back strictly (format, architecture, shapes, finite
 * weights, and the weights' hash against the saved id).
 */
#include "checkpoint.h"
#include "eval/classifier.h"
#include "io/safetensors.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLASSIFIER_FORMAT_VERSION "1"

static gan_status add_tensor(void *ctx, const char *name, const gan_layer_tensor *t) {
    return gan_st_writer_add(ctx, name, GAN_ST_F32, t->ndims, t->shape, t->data);
}

static gan_status meta_fmt(gan_st_writer *w, const char *key, const char *fmt, ...)
    GAN_PRINTF(3, 4);
static gan_status meta_fmt(gan_st_writer *w, const char *key, const char *fmt, ...) {
    char buf[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return gan_st_writer_set_metadata(w, key, buf);
}

static gan_status write_file(void *ctx, gan_st_writer *w) {
    const gan_classifier *c = ctx;
    const gan_classifier_info *i = &c->info;
    GAN_TRY(gan_model_each_tensor(&c->model, add_tensor, w));
    GAN_TRY(gan_st_writer_set_metadata(w, "format", GAN_CLASSIFIER_FORMAT));
    GAN_TRY(gan_st_writer_set_metadata(w, "format_version", CLASSIFIER_FORMAT_VERSION));
    GAN_TRY(gan_st_writer_set_metadata(w, "gan_c_version", GAN_VERSION));
    GAN_TRY(gan_st_writer_set_metadata(w, "arch", GAN_CLASSIFIER_ARCH));
    GAN_TRY(gan_st_writer_set_metadata(w, "id", c->id));
    GAN_TRY(meta_fmt(w, "classes", "%d", c->classes));
    GAN_TRY(meta_fmt(w, "image_shape", "%d,%d,%d", c->image[0], c->image[1], c->image[2]));
    GAN_TRY(meta_fmt(w, "feature_layer", "%d", GAN_CLASSIFIER_FEATURE_LAYER));
    GAN_TRY(gan_st_writer_set_metadata(w, "feature_layer_name",
                                       "classifier.8 (dense 128, before its ReLU)"));
    GAN_TRY(meta_fmt(w, "feature_dim", "%d", GAN_CLASSIFIER_FEATURES));
    GAN_TRY(gan_st_writer_set_metadata(w, "data.path", i->data_path));
    GAN_TRY(gan_st_writer_set_metadata(w, "data.fingerprint", i->fingerprint));
    GAN_TRY(meta_fmt(w, "data.train_count", "%lld", (long long)i->train_count));
    GAN_TRY(meta_fmt(w, "data.test_count", "%lld", (long long)i->test_count));
    GAN_TRY(meta_fmt(w, "accuracy.train", "%.17g", i->train_accuracy));
    GAN_TRY(meta_fmt(w, "accuracy.test", "%.17g", i->test_accuracy));
    GAN_TRY(meta_fmt(w, "train.epochs", "%d", i->epochs));
    GAN_TRY(meta_fmt(w, "train.seed", "%llu", (unsigned long long)i->seed));
    return meta_fmt(w, "train.seconds", "%.3f", i->seconds);
}

gan_status gan_classifier_save(const gan_classifier *c, const char *path) {
    return gan_st_write(path, write_file, (void *)c);
}

/* ------------------------------------------------------------------ load */

static gan_status get_ll(const gan_st_file *f, const char *key, long long lo, long long hi,
                         long long *out) {
    const char *v = gan_st_metadata(f, key);
    if (!v) return gan_fail(GAN_ERR_FORMAT, "%s: metadata '%s' is missing", gan_st_path(f), key);
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi)
        return gan_fail(GAN_ERR_FORMAT, "%s: metadata '%s' = '%s' is not an integer in [%lld, "
                        "%lld]", gan_st_path(f), key, v, lo, hi);
    *out = x;
    return GAN_OK;
}

static gan_status get_double(const gan_st_file *f, const char *key, double *out) {
    const char *v = gan_st_metadata(f, key);
    if (!v) return gan_fail(GAN_ERR_FORMAT, "%s: metadata '%s' is missing", gan_st_path(f), key);
    char *end;
    double x = strtod(v, &end);
    if (!*v || *end)
        return gan_fail(GAN_ERR_FORMAT, "%s: metadata '%s' = '%s' is not a number",
                        gan_st_path(f), key, v);
    *out = x;
    return GAN_OK;
}

static gan_status read_info(const gan_st_file *f, gan_classifier_info *i, char id[17]) {
    long long v;
    GAN_TRY(gan_st_metadata_copy(f, "id", id, 17));
    GAN_TRY(gan_st_metadata_copy(f, "data.path", i->data_path, sizeof i->data_path));
    GAN_TRY(gan_st_metadata_copy(f, "data.fingerprint", i->fingerprint, sizeof i->fingerprint));
    GAN_TRY(get_ll(f, "data.train_count", 0, INT64_MAX, &v));
    i->train_count = v;
    GAN_TRY(get_ll(f, "data.test_count", 0, INT64_MAX, &v));
    i->test_count = v;
    GAN_TRY(get_double(f, "accuracy.train", &i->train_accuracy));
    GAN_TRY(get_double(f, "accuracy.test", &i->test_accuracy));
    GAN_TRY(get_ll(f, "train.epochs", 0, 1000000, &v));
    i->epochs = (int)v;
    GAN_TRY(get_ll(f, "train.seed", 0, INT64_MAX, &v));
    i->seed = (uint64_t)v;
    return get_double(f, "train.seconds", &i->seconds);
}

static gan_status load(const gan_st_file *f, gan_classifier **out) {
    const char *path = gan_st_path(f);
    char buf[64];
    GAN_TRY(gan_st_metadata_copy(f, "format", buf, sizeof buf));
    if (strcmp(buf, GAN_CLASSIFIER_FORMAT) != 0)
        return gan_fail(GAN_ERR_FORMAT, "%s: format '%s' is not '" GAN_CLASSIFIER_FORMAT "'",
                        path, buf);
    GAN_TRY(gan_st_metadata_copy(f, "format_version", buf, sizeof buf));
    if (strcmp(buf, CLASSIFIER_FORMAT_VERSION) != 0)
        return gan_fail(GAN_ERR_UNSUPPORTED, "%s: classifier format version %s; this gan.c reads "
                        "version " CLASSIFIER_FORMAT_VERSION, path, buf);
    GAN_TRY(gan_st_metadata_copy(f, "arch", buf, sizeof buf));
    if (strcmp(buf, GAN_CLASSIFIER_ARCH) != 0)
        return gan_fail(GAN_ERR_UNSUPPORTED, "%s: architecture '%s'; this gan.c knows '"
                        GAN_CLASSIFIER_ARCH "'", path, buf);
    long long classes, layer, dim;
    GAN_TRY(get_ll(f, "classes", 2, GAN_CLASSIFIER_MAX_CLASSES, &classes));
    GAN_TRY(get_ll(f, "feature_layer", GAN_CLASSIFIER_FEATURE_LAYER, GAN_CLASSIFIER_FEATURE_LAYER,
                   &layer));
    GAN_TRY(get_ll(f, "feature_dim", GAN_CLASSIFIER_FEATURES, GAN_CLASSIFIER_FEATURES, &dim));
    GAN_TRY(gan_st_metadata_copy(f, "image_shape", buf, sizeof buf));
    int c, h, w;
    char tail;
    if (sscanf(buf, "%d,%d,%d%c", &c, &h, &w, &tail) != 3)
        return gan_fail(GAN_ERR_FORMAT, "%s: metadata 'image_shape' = '%s' is not C,H,W", path,
                        buf);
    gan_classifier *cl;
    GAN_TRY(gan_classifier_create((int)classes, c, h, w, 0.5f, 256, 0, &cl));
    char id[17];
    gan_status s = read_info(f, &cl->info, id);
    if (s == GAN_OK) s = gan_ckpt_load_model(f, &cl->model, NULL, false);
    if (s == GAN_OK) {
        gan_classifier_update_id(cl);
        if (strcmp(id, cl->id) != 0)
            s = gan_fail(GAN_ERR_FORMAT, "%s: the weights hash to %s, the metadata says id %s "
                         "(the file was altered)", path, cl->id, id);
    }
    if (s != GAN_OK) {
        gan_classifier_free(cl);
        return s;
    }
    *out = cl;
    return GAN_OK;
}

gan_status gan_classifier_load(const char *path, gan_classifier **out) {
    *out = NULL;
    gan_st_file *f;
    GAN_TRY(gan_st_open(path, &f));
    gan_status s = load(f, out);
    gan_st_close(f);
    return s;
}
