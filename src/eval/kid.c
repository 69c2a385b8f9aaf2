/*
 * kid.c - Kernel Inception Distance: the unbiased MMD^2 estimate with the
 * cubic polynomial kernel k(x, y) = (x.y / D + 1)^3, averaged over random
 * subsets of both sets (Binkowski et al. 2018; the defaults and the
 * estimator of torch-fidelity).
 *
 * Subsets come from the counter-based generator (gan_kid_subset), so a seed
 * gives the same subsets anywhere. Threads take whole subsets (single-
 * threaded BLAS on each); each subset's sums run in a fixed order, and the
 * mean and std are taken over subsets in order: bit-identical at any thread
 * count. Scratch per thread: two (m, d) subsets and one (m, m) Gram matrix.
 */
#include "eval/eval_internal.h"
#include "rng.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>

void gan_kid_options_default(gan_kid_options *opt) {
    opt->subsets = 100;
    opt->subset_size = 0;
    opt->seed = 0;
}

void gan_kid_subset(uint64_t seed, int subset, int which, uint32_t n, uint32_t m, uint32_t *perm) {
    uint64_t stream = gan_rng_stream(GAN_RNG_EVAL, 2 * (uint64_t)subset + (uint64_t)which);
    for (uint32_t i = 0; i < n; i++) perm[i] = i;
    for (uint32_t i = 0; i < m && i < n; i++) {
        uint32_t j = i + gan_rng_below(seed, stream, i, n - i);
        uint32_t tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
}

static inline double poly_kernel(double dot, double inv_d) {
    double b = dot * inv_d + 1.0;
    return b * b * b;
}

/* Sum of the kernel over the strict upper triangle of a syrk result. */
static double upper_kernel_sum(const double *g, int m, double inv_d) {
    double total = 0.0;
    for (int i = 0; i < m; i++) {
        double row = 0.0;
        for (int j = i + 1; j < m; j++) row += poly_kernel(g[(size_t)i * m + j], inv_d);
        total += row;
    }
    return total;
}

static double full_kernel_sum(const double *g, int m, double inv_d) {
    double total = 0.0;
    for (int i = 0; i < m; i++) {
        double row = 0.0;
        for (int j = 0; j < m; j++) row += poly_kernel(g[(size_t)i * m + j], inv_d);
        total += row;
    }
    return total;
}

static void gather(const gan_features *f, const uint32_t *rows, int m, double *out) {
    for (int i = 0; i < m; i++) {
        const float *src = f->x + (size_t)rows[i] * f->d;
        for (int j = 0; j < f->d; j++) out[(size_t)i * f->d + j] = src[j];
    }
}

/* Unbiased MMD^2 between the fake rows x and real rows y (both (m, d)). */
static double mmd2_unbiased(const double *x, const double *y, int m, int d, double *g) {
    const double inv_d = 1.0 / d;
    const double pairs = (double)m * (m - 1);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, m, d, 1.0, x, d, 0.0, g, m);
    double kxx = 2.0 * upper_kernel_sum(g, m, inv_d);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, m, d, 1.0, y, d, 0.0, g, m);
    double kyy = 2.0 * upper_kernel_sum(g, m, inv_d);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, m, d, 1.0, x, d, y, d, 0.0, g, m);
    double kxy = full_kernel_sum(g, m, inv_d);
    return kxx / pairs + kyy / pairs - 2.0 * kxy / ((double)m * m);
}

gan_status gan_kid(const gan_features *real, const gan_features *fake, const gan_kid_options *opt,
                   gan_kid_result *out) {
    if (!out) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "kid: NULL result");
    GAN_TRY(gan_features_check(real, 2, "kid: real features"));
    GAN_TRY(gan_features_check(fake, 2, "kid: generated features"));
    if (real->d != fake->d)
        return gan_fail(GAN_ERR_SHAPE, "kid: real features have %d columns, generated %d", real->d,
                        fake->d);
    gan_kid_options o;
    gan_kid_options_default(&o);
    if (opt) o = *opt;
    int64_t n_min = GAN_MIN(real->n, fake->n);
    if (o.subsets < 1)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "kid: %d subsets, need at least 1", o.subsets);
    if (o.subset_size == 0) o.subset_size = (int)GAN_MIN((int64_t)1000, n_min);
    if (o.subset_size < 2 || o.subset_size > n_min)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                        "kid: subset size %d, need 2 to %lld (the smaller set's rows)",
                        o.subset_size, (long long)n_min);

    const int d = real->d, m = o.subset_size;
    const int threads = GAN_MIN(gan_eval_max_threads(), o.subsets);
    size_t per_thread = (size_t)2 * m * d + (size_t)m * m;
    double *work = malloc((size_t)threads * per_thread * sizeof *work);
    uint32_t *perm = malloc((size_t)threads * (size_t)(real->n + fake->n) * sizeof *perm);
    double *mmd = malloc((size_t)o.subsets * sizeof *mmd);
    if (!work || !perm || !mmd) {
        free(work), free(perm), free(mmd);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "kid: out of memory (subset size %d, d %d)", m, d);
    }
    gan_eval_blas_state saved = gan_eval_blas_begin();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int s = 0; s < o.subsets; s++) {
        const int t = omp_get_thread_num();
        double *x = work + (size_t)t * per_thread; /* (m, d) fake */
        double *y = x + (size_t)m * d;             /* (m, d) real */
        double *g = y + (size_t)m * d;             /* (m, m) Gram */
        uint32_t *pr = perm + (size_t)t * (size_t)(real->n + fake->n);
        uint32_t *pf = pr + real->n;
        gan_kid_subset(o.seed, s, 0, (uint32_t)real->n, (uint32_t)m, pr);
        gan_kid_subset(o.seed, s, 1, (uint32_t)fake->n, (uint32_t)m, pf);
        gather(fake, pf, m, x);
        gather(real, pr, m, y);
        mmd[s] = mmd2_unbiased(x, y, m, d, g);
    }
    gan_eval_blas_end(saved);
    double mean = 0.0, var = 0.0;
    for (int s = 0; s < o.subsets; s++) mean += mmd[s];
    mean /= o.subsets;
    for (int s = 0; s < o.subsets; s++) var += (mmd[s] - mean) * (mmd[s] - mean);
    var /= o.subsets;
    free(work), free(perm), free(mmd);
    out->mean = mean;
    out->std = sqrt(var);
    out->subsets = o.subsets;
    out->subset_size = m;
    return GAN_OK;
}
