/*
 * fid.c - the Frechet distance between two Gaussians, from statistics or
 * from feature sets (FID when the features are Inception pool3).
 *
 *   d^2 = ||mu1 - mu2||^2 + tr(C1) + tr(C2) - 2 tr sqrt(C1^1/2 C2 C1^1/2)
 *
 * tr sqrt(C1 C2) equals tr sqrt(S C2 S) with S = C1^1/2 symmetric; S C2 S is
 * symmetric positive semi-definite, so its root's trace is the sum of the
 * roots of its eigenvalues (clamped at 0 against rounding). This avoids
 * scipy.linalg.sqrtm's non-symmetric Schur route, whose complex parts and
 * NaNs pytorch-fid has to patch for singular covariances.
 */
#include "eval/eval_internal.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static gan_status check_stats(const double *mean, const double *cov, int d, const char *what) {
    if (!mean || !cov) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "fid: %s: NULL", what);
    for (int j = 0; j < d; j++)
        if (!isfinite(mean[j]))
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "fid: %s mean: not finite at %d", what, j);
    for (size_t i = 0; i < (size_t)d * d; i++)
        if (!isfinite(cov[i]))
            return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                            "fid: %s covariance: not finite at row %zu, column %zu", what,
                            i / (size_t)d, i % (size_t)d);
    for (int i = 0; i < d; i++) {
        if (cov[(size_t)i * d + i] < 0.0)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                            "fid: %s covariance: negative variance %g at %d", what,
                            cov[(size_t)i * d + i], i);
        for (int j = i + 1; j < d; j++) {
            double a = cov[(size_t)i * d + j], b = cov[(size_t)j * d + i];
            double scale = cov[(size_t)i * d + i] + cov[(size_t)j * d + j];
            if (fabs(a - b) > 1e-6 * (fabs(a) + fabs(b)) + 1e-12 * scale)
                return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                                "fid: %s covariance: not symmetric at (%d, %d): %g vs %g", what, i,
                                j, a, b);
        }
    }
    return GAN_OK;
}

/* tr sqrt(C1^1/2 C2 C1^1/2); work holds 3 d^2 + d doubles. */
static gan_status trace_sqrt_product(const double *cov1, const double *cov2, int d, double *work,
                                     double *out) {
    double *v = work;                     /* (d, d) eigenvectors of C1, then S */
    double *t = work + (size_t)d * d;     /* (d, d) */
    double *m = work + (size_t)2 * d * d; /* (d, d) S C2 S */
    double *w = work + (size_t)3 * d * d; /* (d) eigenvalues */
    memcpy(v, cov1, (size_t)d * d * sizeof *v);
    GAN_TRY(gan_eval_symmetric_eigen(v, d, w, true));
    /* S = V diag(sqrt(max(w, 0))) V^T: t = V diag(sqrt w), S = t V^T. */
    for (int i = 0; i < d; i++)
        for (int k = 0; k < d; k++)
            t[(size_t)i * d + k] = v[(size_t)i * d + k] * sqrt(GAN_MAX(w[k], 0.0));
    gan_eval_blas_state saved = gan_eval_blas_begin();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d, d, d, 1.0, t, d, v, d, 0.0, m, d);
    memcpy(v, m, (size_t)d * d * sizeof *v); /* v = S */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, v, d, cov2, d, 0.0, t,
                d); /* t = S C2 */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, t, d, v, d, 0.0, m,
                d); /* m = S C2 S */
    gan_eval_blas_end(saved);
    for (int i = 0; i < d; i++)
        for (int j = i + 1; j < d; j++) {
            double s = 0.5 * (m[(size_t)i * d + j] + m[(size_t)j * d + i]);
            m[(size_t)i * d + j] = m[(size_t)j * d + i] = s;
        }
    GAN_TRY(gan_eval_symmetric_eigen(m, d, w, false));
    double tr = 0.0;
    for (int k = 0; k < d; k++) tr += sqrt(GAN_MAX(w[k], 0.0));
    *out = tr;
    return GAN_OK;
}

gan_status gan_fid_from_stats(const double *mean1, const double *cov1, const double *mean2,
                              const double *cov2, int d, gan_fid_result *out) {
    if (!out) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "fid: NULL result");
    if (d < 1 || d > GAN_EVAL_MAX_DIM)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "fid: dimension %d, need 1 to %d", d,
                        GAN_EVAL_MAX_DIM);
    GAN_TRY(check_stats(mean1, cov1, d, "first"));
    GAN_TRY(check_stats(mean2, cov2, d, "second"));
    double *work = malloc(((size_t)3 * d * d + d) * sizeof *work);
    if (!work) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "fid: out of memory (d %d)", d);
    double tr_sqrt = 0.0;
    gan_status st = trace_sqrt_product(cov1, cov2, d, work, &tr_sqrt);
    free(work);
    if (st != GAN_OK) return gan_fail_prefix(st, "fid");
    double mean_term = 0.0, tr1 = 0.0, tr2 = 0.0;
    for (int j = 0; j < d; j++) {
        double diff = mean1[j] - mean2[j];
        mean_term += diff * diff;
        tr1 += cov1[(size_t)j * d + j];
        tr2 += cov2[(size_t)j * d + j];
    }
    double trace_term = tr1 + tr2 - 2.0 * tr_sqrt;
    out->mean_term = mean_term;
    out->trace_term = trace_term;
    out->distance = GAN_MAX(mean_term + trace_term, 0.0);
    out->rank_deficient = 0;
    return GAN_OK;
}

gan_status gan_fid(const gan_features *real, const gan_features *fake, gan_fid_result *out) {
    if (!out) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "fid: NULL result");
    GAN_TRY(gan_features_check(real, 2, "fid: real features"));
    GAN_TRY(gan_features_check(fake, 2, "fid: generated features"));
    if (real->d != fake->d)
        return gan_fail(GAN_ERR_SHAPE, "fid: real features have %d columns, generated %d", real->d,
                        fake->d);
    const int d = real->d;
    double *buf = malloc(((size_t)2 * d * d + 2 * (size_t)d) * sizeof *buf);
    if (!buf) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "fid: out of memory (d %d)", d);
    double *cov1 = buf, *cov2 = buf + (size_t)d * d;
    double *mean1 = buf + (size_t)2 * d * d, *mean2 = mean1 + d;
    gan_status st = gan_feature_stats(real, mean1, cov1);
    if (st == GAN_OK) st = gan_feature_stats(fake, mean2, cov2);
    if (st == GAN_OK) st = gan_fid_from_stats(mean1, cov1, mean2, cov2, d, out);
    free(buf);
    if (st != GAN_OK) return st;
    out->rank_deficient = real->n <= d || fake->n <= d;
    return GAN_OK;
}
