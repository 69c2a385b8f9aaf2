/*
 * features.c - validation of feature matrices, float-to-double conversion,
 * and their mean and unbiased covariance (the statistics FID compares).
 *
 * The covariance is accumulated over blocks of GAN_EVAL_STATS_ROWS centred
 * rows, in row order, with single-threaded dgemm calls on fixed column slabs
 * that threads share out: bit-identical at any thread count.
 */
#include "eval/eval_internal.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GAN_EVAL_STATS_ROWS 1024
#define GAN_EVAL_STATS_SLAB 256

gan_status gan_features_check(const gan_features *f, int64_t min_rows, const char *what) {
    if (!f) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: no feature matrix (NULL)", what);
    if (f->d < 1 || f->d > GAN_EVAL_MAX_DIM)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: %d columns, need 1 to %d", what, f->d,
                        GAN_EVAL_MAX_DIM);
    if (f->n < min_rows)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: %lld row%s, need at least %lld", what,
                        (long long)f->n, f->n == 1 ? "" : "s", (long long)min_rows);
    if (f->n > 0 && !f->x) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: data is NULL", what);
    if (f->n > ((int64_t)1 << 31))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: %lld rows, at most 2^31 supported", what,
                        (long long)f->n);
    size_t total = (size_t)f->n * (size_t)f->d;
    for (size_t i = 0; i < total; i++) {
        if (!isfinite(f->x[i]))
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: %s at row %zu, column %zu", what,
                            isnan(f->x[i]) ? "NaN" : "infinity", i / (size_t)f->d,
                            i % (size_t)f->d);
    }
    return GAN_OK;
}

void gan_eval_rows_to_double(const gan_features *f, int64_t row0, int rows, double *out) {
    const float *src = f->x + (size_t)row0 * (size_t)f->d;
    size_t total = (size_t)rows * (size_t)f->d;
    for (size_t i = 0; i < total; i++) out[i] = src[i];
}

gan_status gan_feature_stats(const gan_features *f, double *mean, double *cov) {
    GAN_TRY(gan_features_check(f, 2, "feature statistics"));
    if (!mean || !cov) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "feature statistics: NULL output");
    const int d = f->d;
    const int64_t n = f->n;
    int rows_max = (int)GAN_MIN(n, (int64_t)GAN_EVAL_STATS_ROWS);
    double *xc = malloc((size_t)rows_max * d * sizeof *xc); /* (rows, d) centred */
    if (!xc) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "feature statistics: out of memory");

    /* Mean: rows summed in order. */
    memset(mean, 0, (size_t)d * sizeof *mean);
    for (int64_t i = 0; i < n; i++) {
        const float *row = f->x + (size_t)i * d;
        for (int j = 0; j < d; j++) mean[j] += row[j];
    }
    for (int j = 0; j < d; j++) mean[j] /= (double)n;

    /* Covariance: cov += xc^T xc block by block, slab by slab. */
    memset(cov, 0, (size_t)d * d * sizeof *cov);
    int slabs = (d + GAN_EVAL_STATS_SLAB - 1) / GAN_EVAL_STATS_SLAB;
    gan_eval_blas_state saved = gan_eval_blas_begin();
    for (int64_t r0 = 0; r0 < n; r0 += rows_max) {
        int rows = (int)GAN_MIN((int64_t)rows_max, n - r0);
        gan_eval_rows_to_double(f, r0, rows, xc);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < d; j++) xc[(size_t)i * d + j] -= mean[j];
#pragma omp parallel for schedule(static)
        for (int s = 0; s < slabs; s++) {
            int c0 = s * GAN_EVAL_STATS_SLAB, w = GAN_MIN(GAN_EVAL_STATS_SLAB, d - c0);
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, w, rows, 1.0, xc, d, xc + c0, d,
                        1.0, cov + c0, d);
        }
    }
    gan_eval_blas_end(saved);
    free(xc);
    double scale = 1.0 / (double)(n - 1);
    for (size_t i = 0; i < (size_t)d * d; i++) cov[i] *= scale;
    /* Exactly symmetric (slabs round the two triangles alike, but be sure). */
    for (int i = 0; i < d; i++)
        for (int j = i + 1; j < d; j++) cov[(size_t)j * d + i] = cov[(size_t)i * d + j];
    return GAN_OK;
}
