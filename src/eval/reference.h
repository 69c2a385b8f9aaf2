/*
 * reference.h - the real side of every `gan eval` comparison: the
 * classifier's features and class probabilities of a dataset's test split,
 * with the features' mean and covariance (what FID needs), computed once
 * and cached as a safetensors file next to the classifier.
 *
 * File: tensors test.features F32 (n, d), test.probs F32 (n, K), test.mean
 * F64 (d), test.cov F64 (d, d); metadata format "gan.c eval reference",
 * format_version, classifier_id (the classifier's id, classifier.h),
 * data.path, data.fingerprint (eval_cache.h), count. A cached file is used
 * only when its classifier_id and data.fingerprint match.
 */
#ifndef GAN_EVAL_REFERENCE_H
#define GAN_EVAL_REFERENCE_H

#include "eval/classifier.h"
#include "eval/eval_cache.h"

#define GAN_EVAL_REFERENCE_FORMAT "gan.c eval reference"

typedef struct gan_eval_reference {
    int64_t n;        /* test images */
    int d;            /* feature width */
    int classes;      /* K */
    float *features;  /* (n, d) */
    float *probs;     /* (n, K) */
    double *mean;     /* (d) */
    double *cov;      /* (d, d), unbiased */
    char classifier_id[17];
    char data_path[1024];
    char fingerprint[GAN_EVAL_FINGERPRINT_MAX];
} gan_eval_reference;

/* Features, probabilities and statistics of `test`'s images under c.
 * data_path and fingerprint are left for the caller. */
gan_status gan_eval_reference_compute(gan_classifier *c, const gan_dataset *test,
                                      gan_eval_reference *out);

gan_status gan_eval_reference_save(const gan_eval_reference *r, const char *path);

/* Read a reference file (shapes and finiteness checked). */
gan_status gan_eval_reference_load(const char *path, gan_eval_reference *out);

void gan_eval_reference_free(gan_eval_reference *r);

#endif /* GAN_EVAL_REFERENCE_H */
