/*
 * reference.c - the test split's features and statistics under the eval
 * classifier, and their cache file (see reference.h).
 */
#include "eval/reference.h"
#include "eval/metrics.h"
#include "io/safetensors.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REFERENCE_FORMAT_VERSION "1"

void gan_eval_reference_free(gan_eval_reference *r) {
    if (!r) return;
    free(r->features), free(r->probs), free(r->mean), free(r->cov);
    memset(r, 0, sizeof *r);
}

static gan_status alloc_reference(gan_eval_reference *r, int64_t n, int d, int K) {
    r->n = n, r->d = d, r->classes = K;
    r->features = malloc((size_t)n * d * sizeof *r->features);
    r->probs = malloc((size_t)n * K * sizeof *r->probs);
    r->mean = malloc((size_t)d * sizeof *r->mean);
    r->cov = malloc((size_t)d * d * sizeof *r->cov);
    if (r->features && r->probs && r->mean && r->cov) return GAN_OK;
    gan_eval_reference_free(r);
    return gan_fail(GAN_ERR_OUT_OF_MEMORY, "eval reference: out of memory for %lld images",
                    (long long)n);
}

gan_status gan_eval_reference_compute(gan_classifier *c, const gan_dataset *test,
                                      gan_eval_reference *out) {
    memset(out, 0, sizeof *out);
    int ch, h, w;
    gan_dataset_shape(test, &ch, &h, &w);
    if (ch != c->image[0] || h != c->image[1] || w != c->image[2])
        return gan_fail(GAN_ERR_SHAPE, "%s: images are %dx%dx%d, the classifier takes %dx%dx%d",
                        gan_dataset_path(test), ch, h, w, c->image[0], c->image[1], c->image[2]);
    int64_t n = gan_dataset_count(test);
    if (n < 2) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: %lld test images, need at least 2",
                               gan_dataset_path(test), (long long)n);
    GAN_TRY(alloc_reference(out, n, GAN_CLASSIFIER_FEATURES, c->classes));
    gan_status s = gan_classifier_features(c, gan_dataset_pixels(test), n, out->features,
                                           out->probs);
    gan_features f = {out->features, n, out->d};
    if (s == GAN_OK) s = gan_feature_stats(&f, out->mean, out->cov);
    if (s != GAN_OK) {
        gan_eval_reference_free(out);
        return s;
    }
    memcpy(out->classifier_id, c->id, sizeof out->classifier_id);
    return GAN_OK;
}

static gan_status write_reference(void *ctx, gan_st_writer *w) {
    const gan_eval_reference *r = ctx;
    int64_t fs[2] = {r->n, r->d}, ps[2] = {r->n, r->classes}, ms[1] = {r->d}, cs[2] = {r->d, r->d};
    char count[32];
    snprintf(count, sizeof count, "%lld", (long long)r->n);
    GAN_TRY(gan_st_writer_add(w, "test.features", GAN_ST_F32, 2, fs, r->features));
    GAN_TRY(gan_st_writer_add(w, "test.probs", GAN_ST_F32, 2, ps, r->probs));
    GAN_TRY(gan_st_writer_add(w, "test.mean", GAN_ST_F64, 1, ms, r->mean));
    GAN_TRY(gan_st_writer_add(w, "test.cov", GAN_ST_F64, 2, cs, r->cov));
    GAN_TRY(gan_st_writer_set_metadata(w, "format", GAN_EVAL_REFERENCE_FORMAT));
    GAN_TRY(gan_st_writer_set_metadata(w, "format_version", REFERENCE_FORMAT_VERSION));
    GAN_TRY(gan_st_writer_set_metadata(w, "gan_c_version", GAN_VERSION));
    GAN_TRY(gan_st_writer_set_metadata(w, "classifier_id", r->classifier_id));
    GAN_TRY(gan_st_writer_set_metadata(w, "data.path", r->data_path));
    GAN_TRY(gan_st_writer_set_metadata(w, "data.fingerprint", r->fingerprint));
    GAN_TRY(gan_st_writer_set_metadata(w, "split", "test"));
    return gan_st_writer_set_metadata(w, "count", count);
}

gan_status gan_eval_reference_save(const gan_eval_reference *r, const char *path) {
    return gan_st_write(path, write_reference, (void *)r);
}

static gan_status read_reference(const gan_st_file *f, gan_eval_reference *r) {
    const char *path = gan_st_path(f);
    const char *format = gan_st_metadata(f, "format"), *version = gan_st_metadata(f, "format_version");
    if (!format || strcmp(format, GAN_EVAL_REFERENCE_FORMAT) != 0)
        return gan_fail(GAN_ERR_FORMAT, "%s: not a gan.c eval reference file", path);
    if (!version || strcmp(version, REFERENCE_FORMAT_VERSION) != 0)
        return gan_fail(GAN_ERR_UNSUPPORTED, "%s: reference format version %s; this gan.c reads "
                        "version " REFERENCE_FORMAT_VERSION, path, version ? version : "(none)");
    const gan_st_tensor *tf = gan_st_find(f, "test.features"), *tp = gan_st_find(f, "test.probs");
    if (!tf || !tp || tf->ndims != 2 || tp->ndims != 2 || tf->shape[0] != tp->shape[0] ||
        tf->shape[0] < 2 || tf->shape[1] != GAN_CLASSIFIER_FEATURES || tp->shape[1] < 2 ||
        tp->shape[1] > GAN_CLASSIFIER_MAX_CLASSES)
        return gan_fail(GAN_ERR_FORMAT, "%s: test.features / test.probs missing or of the wrong "
                        "shape", path);
    int64_t n = tf->shape[0];
    int d = (int)tf->shape[1], K = (int)tp->shape[1];
    const float *fx, *px;
    const void *mean, *cov;
    int64_t fs[2] = {n, d}, ps[2] = {n, K}, ms[1] = {d}, cs[2] = {d, d};
    GAN_TRY(gan_st_get_f32(f, "test.features", 2, fs, &fx));
    GAN_TRY(gan_st_get_f32(f, "test.probs", 2, ps, &px));
    GAN_TRY(gan_st_get(f, "test.mean", GAN_ST_F64, 1, ms, &mean));
    GAN_TRY(gan_st_get(f, "test.cov", GAN_ST_F64, 2, cs, &cov));
    GAN_TRY(alloc_reference(r, n, d, K));
    memcpy(r->features, fx, (size_t)n * d * sizeof *fx);
    memcpy(r->probs, px, (size_t)n * K * sizeof *px);
    memcpy(r->mean, mean, (size_t)d * sizeof *r->mean);
    memcpy(r->cov, cov, (size_t)d * d * sizeof *r->cov);
    gan_features ff = {r->features, n, d}, pf = {r->probs, n, K};
    GAN_TRY(gan_features_check(&ff, 2, path));
    GAN_TRY(gan_features_check(&pf, 2, path));
    for (size_t i = 0; i < (size_t)d * d; i++)
        if (!isfinite(r->cov[i]) || (i < (size_t)d && !isfinite(r->mean[i])))
            return gan_fail(GAN_ERR_FORMAT, "%s: non-finite statistics", path);
    GAN_TRY(gan_st_metadata_copy(f, "classifier_id", r->classifier_id, sizeof r->classifier_id));
    GAN_TRY(gan_st_metadata_copy(f, "data.path", r->data_path, sizeof r->data_path));
    return gan_st_metadata_copy(f, "data.fingerprint", r->fingerprint, sizeof r->fingerprint);
}

gan_status gan_eval_reference_load(const char *path, gan_eval_reference *out) {
    memset(out, 0, sizeof *out);
    gan_st_file *f;
    GAN_TRY(gan_st_open(path, &f));
    gan_status s = read_reference(f, out);
    gan_st_close(f);
    if (s != GAN_OK) gan_eval_reference_free(out);
    return s;
}
