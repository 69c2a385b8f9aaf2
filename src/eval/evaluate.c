/*
 * evaluate.c - one image set's scores against the test split's reference,
 * deterministic subsets, and the Parzen estimate on pixels (evaluate.h).
 */
#include "eval/evaluate.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void gan_eval_options_default(gan_eval_options *opt) {
    *opt = (gan_eval_options){.kid = true, .prdc_all = true, .classes = true, .k = GAN_PRDC_K,
                              .kid_subsets = 100, .is_splits = 10, .seed = 0,
                              .min_samples = GAN_EVAL_MIN_SAMPLES};
}

/* KID on features divided by their RMS over the reference rows,
 * sqrt(mean |r|^2 / d): the cubic kernel (x.y / d + 1)^3 was tuned for
 * Inception features, whose x.y / d is O(1); ours have an arbitrary scale. */
static gan_status scaled_kid(const gan_features *real, const gan_features *fake,
                             const gan_eval_options *opt, gan_kid_result *out) {
    double ss = 0.0;
    size_t nr = (size_t)real->n * real->d, nf = (size_t)fake->n * fake->d;
    for (size_t i = 0; i < nr; i++) ss += (double)real->x[i] * real->x[i];
    double rms = sqrt(ss / (double)nr);
    float scale = rms > 0.0 ? (float)(1.0 / rms) : 1.0f;
    float *r = malloc(nr * sizeof *r), *f = malloc(nf * sizeof *f);
    gan_status s = r && f ? GAN_OK : gan_fail(GAN_ERR_OUT_OF_MEMORY, "kid: out of memory");
    if (s == GAN_OK) {
        for (size_t i = 0; i < nr; i++) r[i] = real->x[i] * scale;
        for (size_t i = 0; i < nf; i++) f[i] = fake->x[i] * scale;
        gan_features rs = {r, real->n, real->d}, fs = {f, fake->n, fake->d};
        gan_kid_options ko;
        gan_kid_options_default(&ko);
        ko.subsets = opt->kid_subsets;
        ko.seed = opt->seed;
        s = gan_kid(&rs, &fs, &ko, out);
    }
    free(r), free(f);
    return s;
}

gan_status gan_eval_scores_compute(const gan_eval_reference *ref, const float *features,
                                   const float *probs, int64_t n, const int32_t *requested,
                                   const gan_eval_options *opt, gan_eval_scores *out) {
    memset(out, 0, sizeof *out);
    out->n = n;
    out->n_real = ref->n;
    out->classes = ref->classes;
    out->fid = out->fid_mean_term = out->fid_trace_term = NAN;
    out->kid_mean = out->kid_std = NAN;
    out->precision = out->recall = out->density = out->coverage = NAN;
    out->inception_score = out->inception_score_std = out->class_accuracy = NAN;
    out->mode_coverage = NAN;
    if (n < opt->min_samples)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%lld image%s: too few to mean anything; the "
                        "metrics need at least %lld (FID's %d x %d covariance, the k-NN balls "
                        "of PRDC), and 10,000 for figures to compare", (long long)n,
                        n == 1 ? "" : "s", (long long)opt->min_samples, ref->d, ref->d);
    gan_features fake = {features, n, ref->d}, real = {ref->features, ref->n, ref->d};
    GAN_TRY(gan_features_check(&fake, 2, "eval: features of the images"));

    /* FID from the cached reference statistics */
    double *mean = malloc((size_t)ref->d * sizeof *mean);
    double *cov = malloc((size_t)ref->d * ref->d * sizeof *cov);
    gan_fid_result fid;
    gan_status s = mean && cov ? GAN_OK : gan_fail(GAN_ERR_OUT_OF_MEMORY, "eval: out of memory");
    if (s == GAN_OK) s = gan_feature_stats(&fake, mean, cov);
    if (s == GAN_OK) s = gan_fid_from_stats(ref->mean, ref->cov, mean, cov, ref->d, &fid);
    free(mean), free(cov);
    GAN_TRY(s);
    out->fid = fid.distance, out->fid_mean_term = fid.mean_term, out->fid_trace_term = fid.trace_term;
    out->fid_rank_deficient = n <= ref->d || ref->n <= ref->d;

    if (opt->kid) {
        gan_kid_result kid;
        GAN_TRY(scaled_kid(&real, &fake, opt, &kid));
        out->kid_mean = kid.mean, out->kid_std = kid.std;
        out->kid_subsets = kid.subsets, out->kid_subset_size = kid.subset_size;
    }
    gan_prdc_result prdc;
    GAN_TRY(gan_prdc(&real, &fake, opt->k, &prdc));
    out->coverage = prdc.coverage, out->k = prdc.k;
    if (opt->prdc_all)
        out->precision = prdc.precision, out->recall = prdc.recall, out->density = prdc.density;
    if (opt->classes) {
        gan_features pf = {probs, n, ref->classes};
        gan_class_scores cls;
        GAN_TRY(gan_class_scores_compute(&pf, requested, (int)GAN_MIN((int64_t)opt->is_splits, n),
                                         out->histogram, &cls));
        out->inception_score = cls.inception_score;
        out->inception_score_std = cls.inception_score_std;
        out->is_splits = cls.splits;
        out->modes_covered = cls.modes_covered;
        out->mode_coverage = cls.mode_coverage;
        out->class_accuracy = cls.accuracy;
    }
    return GAN_OK;
}

gan_status gan_eval_subset(int64_t n, int64_t m, int use, uint64_t seed, uint32_t *idx) {
    if (m < 0 || m > n || n > UINT32_MAX)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "eval: a subset of %lld of %lld images",
                        (long long)m, (long long)n);
    uint32_t *perm = malloc((size_t)GAN_MAX(n, 1) * sizeof *perm);
    if (!perm) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "eval: out of memory");
    for (int64_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    gan_rng_shuffle(seed, gan_rng_stream(GAN_RNG_CLASSIFIER, (uint64_t)use << 40), perm, (size_t)n);
    memcpy(idx, perm, (size_t)m * sizeof *idx);
    free(perm);
    return GAN_OK;
}

void gan_eval_gather(const uint8_t *images, size_t per, const uint32_t *idx, int64_t m,
                     uint8_t *out) {
    for (int64_t i = 0; i < m; i++) memcpy(out + (size_t)i * per, images + (size_t)idx[i] * per, per);
}

/* (n, per) bytes -> floats in [0, 1]. */
static float *unit_pixels(const uint8_t *src, int64_t n, size_t per) {
    float *x = malloc((size_t)n * per * sizeof *x);
    if (x)
        for (size_t i = 0; i < (size_t)n * per; i++) x[i] = src[i] / 255.0f;
    return x;
}

gan_status gan_eval_parzen(const uint8_t *gen, int64_t n_gen, const gan_dataset *train,
                           const gan_dataset *test, int64_t n_val, gan_parzen_scores *out) {
    int c, h, w;
    gan_dataset_shape(test, &c, &h, &w);
    size_t per = (size_t)c * h * w;
    int64_t n_train = gan_dataset_count(train), n_test = gan_dataset_count(test);
    if (n_val < 1 || n_val > n_train)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "parzen: %lld validation images of a training "
                        "split of %lld", (long long)n_val, (long long)n_train);
    uint32_t *idx = malloc((size_t)n_val * sizeof *idx);
    uint8_t *val_bytes = malloc((size_t)n_val * per);
    float *g = unit_pixels(gen, n_gen, per), *t = unit_pixels(gan_dataset_pixels(test), n_test, per);
    float *v = NULL;
    gan_status s = idx && val_bytes && g && t ? GAN_OK
                                              : gan_fail(GAN_ERR_OUT_OF_MEMORY, "parzen: out of memory");
    if (s == GAN_OK) s = gan_eval_subset(n_train, n_val, GAN_EVAL_USE_PARZEN, 0, idx);
    if (s == GAN_OK) {
        gan_eval_gather(gan_dataset_pixels(train), per, idx, n_val, val_bytes);
        if (!(v = unit_pixels(val_bytes, n_val, per)))
            s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "parzen: out of memory");
    }
    if (s == GAN_OK) {
        gan_features gf = {g, n_gen, (int)per}, vf = {v, n_val, (int)per}, tf = {t, n_test, (int)per};
        gan_parzen_result r;
        s = gan_parzen(&gf, &vf, &tf, NULL, 0, &r, out->val_grid);
        out->sigma = r.sigma, out->val_mean_ll = r.val_mean_ll;
        out->mean_ll = r.mean_ll, out->std_err = r.std_err;
        out->n_val = n_val, out->n_test = n_test;
        for (int i = 0; i < GAN_PARZEN_DEFAULT_GRID; i++)
            out->sigma_grid[i] = gan_parzen_default_sigma(i);
    }
    free(idx), free(val_bytes), free(g), free(t), free(v);
    return s;
}
