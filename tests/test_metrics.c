/*
 * test_metrics.c - the metric mathematics of src/eval (metrics.h).
 *
 * Checks: the Frechet distance against closed forms (exact statistics of
 * commuting and 2 x 2 non-commuting Gaussians, a singular covariance, and
 * large samples from known Gaussians); identical sets give 0; a rank-
 * deficient set (n < D) gives a finite non-negative value; FID, KID (same
 * Philox subsets), PRDC, class scores and Parzen values on the fixed sets of
 * tests/fixtures/metrics.safetensors match numpy/scipy
 * (make_metrics_fixture.py); PRDC on sets spanning several distance blocks
 * matches a naive O(n^2) loop; one repeated sample gets low recall and
 * coverage; noise against structured data gives large distances; results are
 * bit-identical at 1 and 3 threads; bad inputs are refused with clear errors.
 */
#include "eval/metrics.h"
#include "io/safetensors.h"
#include "rng.h"
#include "test_util.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static int close_rel(double a, double b, double rtol) {
    return fabs(a - b) <= rtol * fabs(b) + 1e-300;
}

/* ------------------------------------------------------------- fixture access */

static double fx_scalar(const gan_st_file *f, const char *name) {
    const double *v = NULL;
    int64_t shape[1] = {1};
    if (gan_st_get(f, name, GAN_ST_F64, 1, shape, (const void **)&v) != GAN_OK) {
        fprintf(stderr, "fixture: %s\n", gan_last_error());
        return NAN;
    }
    return v[0];
}

static gan_features fx_matrix(const gan_st_file *f, const char *name) {
    const gan_st_tensor *t = gan_st_find(f, name);
    gan_features m = {NULL, 0, 0};
    if (!t || t->dtype != GAN_ST_F32 || t->ndims != 2) {
        fprintf(stderr, "fixture: no F32 matrix %s\n", name);
        return m;
    }
    m.x = t->data;
    m.n = t->shape[0];
    m.d = (int)t->shape[1];
    return m;
}

static const void *fx_vector(const gan_st_file *f, const char *name, gan_st_dtype dtype,
                             int64_t *n) {
    const gan_st_tensor *t = gan_st_find(f, name);
    if (!t || t->dtype != dtype || t->ndims != 1) {
        fprintf(stderr, "fixture: no %s vector %s\n", gan_st_dtype_name(dtype), name);
        *n = 0;
        return NULL;
    }
    *n = t->shape[0];
    return t->data;
}

/* ------------------------------------------------------------- helpers */

static int same_bits(double a, double b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

/* (n, d) rows x = mu + z A^T with z standard normal (from the project RNG). */
static float *gaussian_rows(uint64_t seed, int64_t n, int d, const double *mu, const double *a) {
    float *z = malloc((size_t)n * d * sizeof *z);
    float *x = malloc((size_t)n * d * sizeof *x);
    gan_rng_normal(seed, 77, z, (size_t)n * d);
    for (int64_t i = 0; i < n; i++)
        for (int r = 0; r < d; r++) {
            double v = mu[r];
            for (int c = 0; c < d; c++) v += a[r * d + c] * z[i * d + c];
            x[i * d + r] = (float)v;
        }
    free(z);
    return x;
}

/* A random orthogonal d x d matrix (Gram-Schmidt of normal vectors). */
static void random_orthogonal(uint64_t seed, int d, double *q) {
    float *g = malloc((size_t)d * d * sizeof *g);
    gan_rng_normal(seed, 5, g, (size_t)d * d);
    for (int i = 0; i < d; i++) {
        double *v = q + i * d;
        for (int j = 0; j < d; j++) v[j] = g[i * d + j];
        for (int p = 0; p < i; p++) {
            double dot = 0.0;
            for (int j = 0; j < d; j++) dot += v[j] * q[p * d + j];
            for (int j = 0; j < d; j++) v[j] -= dot * q[p * d + j];
        }
        double norm = 0.0;
        for (int j = 0; j < d; j++) norm += v[j] * v[j];
        for (int j = 0; j < d; j++) v[j] /= sqrt(norm);
    }
    free(g);
}

/* c = Q^T diag(w) Q (rows of q are the eigenvectors). */
static void spectral(const double *q, const double *w, int d, double *c) {
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double s = 0.0;
            for (int k = 0; k < d; k++) s += q[k * d + i] * w[k] * q[k * d + j];
            c[i * d + j] = s;
        }
}

/* ------------------------------------------------------------- FID */

static void test_fid_closed_form(void) {
    enum { D = 6 };
    double q[D * D], a[D] = {4.0, 2.5, 1.0, 0.5, 0.1, 0.02}, b[D] = {1.0, 3.0, 0.2, 0.7, 2.0, 0.0};
    double c1[D * D], c2[D * D], mu1[D] = {0}, mu2[D] = {1, -2, 0.5, 0, 0, 3};
    random_orthogonal(11, D, q);
    spectral(q, a, D, c1);
    spectral(q, b, D, c2); /* commuting, C2 singular (b[5] = 0) */
    double expect = 0.0;
    for (int i = 0; i < D; i++)
        expect += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + a[i] + b[i] - 2.0 * sqrt(a[i] * b[i]);
    gan_fid_result r;
    /* C2 is singular: its zero eigenvalue comes out of rounding as about
     * eps ||M|| = 1e-16 and its root as 1e-8, whatever the method (scipy's
     * sqrtm alike), hence 1e-8 and not 1e-12. */
    CHECK_OK(gan_fid_from_stats(mu1, c1, mu2, c2, D, &r));
    CHECK_MSG(close_rel(r.distance, expect, 1e-8), "commuting: %.15g vs %.15g", r.distance, expect);
    CHECK(close_rel(r.mean_term, 1 + 4 + 0.25 + 9, 1e-12));
    /* The distance is symmetric in its arguments. */
    gan_fid_result r2;
    CHECK_OK(gan_fid_from_stats(mu2, c2, mu1, c1, D, &r2));
    CHECK_MSG(close_rel(r2.distance, expect, 1e-8), "swapped: %.15g vs %.15g", r2.distance, expect);

    /* 2 x 2, not commuting: tr sqrt(C1 C2) = sqrt(tr(C1 C2) + 2 sqrt(det C1 det C2)). */
    double s1[4] = {2.0, 0.8, 0.8, 1.0}, s2[4] = {0.5, -0.3, -0.3, 3.0}, z[2] = {0, 0};
    double tr12 = s1[0] * s2[0] + s1[1] * s2[2] + s1[2] * s2[1] + s1[3] * s2[3];
    double det1 = s1[0] * s1[3] - s1[1] * s1[2], det2 = s2[0] * s2[3] - s2[1] * s2[2];
    double expect2 = s1[0] + s1[3] + s2[0] + s2[3] - 2.0 * sqrt(tr12 + 2.0 * sqrt(det1 * det2));
    CHECK_OK(gan_fid_from_stats(z, s1, z, s2, 2, &r));
    CHECK_MSG(close_rel(r.distance, expect2, 1e-12), "2x2: %.15g vs %.15g", r.distance, expect2);

    /* Identical statistics: exactly 0 after the clamp, tiny trace term. */
    CHECK_OK(gan_fid_from_stats(mu2, c1, mu2, c1, D, &r));
    CHECK(r.distance >= 0.0 && r.distance < 1e-10);
}

static void test_fid_samples(void) {
    enum { D = 4 };
    const int64_t n = 40000;
    double a1[D * D] = {1, 0, 0, 0, 0.5, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0.3, 0.5};
    double a2[D * D] = {0.7, 0, 0, 0, 0, 1.5, 0, 0, 0.2, 0, 1, 0, 0, 0, 0, 1};
    double mu1[D] = {0, 0, 0, 0}, mu2[D] = {1, 0, -1, 0.5};
    double c1[D * D], c2[D * D];
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            c1[i * D + j] = c2[i * D + j] = 0.0;
            for (int k = 0; k < D; k++) {
                c1[i * D + j] += a1[i * D + k] * a1[j * D + k];
                c2[i * D + j] += a2[i * D + k] * a2[j * D + k];
            }
        }
    gan_fid_result exact, est;
    CHECK_OK(gan_fid_from_stats(mu1, c1, mu2, c2, D, &exact));
    float *x = gaussian_rows(1, n, D, mu1, a1), *y = gaussian_rows(2, n, D, mu2, a2);
    gan_features fx = {x, n, D}, fy = {y, n, D};
    CHECK_OK(gan_fid(&fx, &fy, &est));
    CHECK_MSG(close_rel(est.distance, exact.distance, 0.02), "samples %.6f vs exact %.6f",
              est.distance, exact.distance);
    CHECK(!est.rank_deficient);
    /* Same distribution, independent samples: small. */
    float *y2 = gaussian_rows(3, n, D, mu1, a1);
    gan_features fy2 = {y2, n, D};
    CHECK_OK(gan_fid(&fx, &fy2, &est));
    CHECK_MSG(est.distance < 0.01 * exact.distance, "same law: %.6f", est.distance);
    free(x), free(y), free(y2);
}

/* ------------------------------------------------------------- fixture */

static void test_fixture(void) {
    gan_st_file *f = NULL;
    CHECK_OK(gan_st_open(test_fixture_path("metrics.safetensors"), &f));
    if (!f) return;
    gan_features real = fx_matrix(f, "real"), fake = fx_matrix(f, "fake"),
                 small = fx_matrix(f, "small");

    /* FID against numpy (symmetric route) and scipy's sqrtm (pytorch-fid). */
    gan_fid_result r;
    CHECK_OK(gan_fid(&real, &fake, &r));
    CHECK_MSG(close_rel(r.distance, fx_scalar(f, "fid"), 1e-9), "fid %.12g vs %.12g", r.distance,
              fx_scalar(f, "fid"));
    CHECK(close_rel(r.distance, fx_scalar(f, "fid_scipy"), 1e-8));
    CHECK(!r.rank_deficient);
    CHECK_OK(gan_fid(&real, &real, &r));
    double mean[8], cov[64];
    CHECK_OK(gan_feature_stats(&real, mean, cov));
    double tr = 0.0;
    for (int i = 0; i < 8; i++) tr += cov[i * 8 + i];
    CHECK_MSG(r.distance >= 0.0 && r.distance <= 1e-6 * tr, "identical: %g (trace %g)", r.distance,
              tr);
    /* n = 5 < D = 8: singular covariance, finite, non-negative, flagged. */
    CHECK_OK(gan_fid(&small, &fake, &r));
    CHECK(isfinite(r.distance) && r.distance >= 0.0 && r.rank_deficient);
    CHECK_MSG(close_rel(r.distance, fx_scalar(f, "fid_small_vs_fake"), 1e-8),
              "rank-deficient %.12g", r.distance);
    CHECK_OK(gan_fid(&small, &small, &r));
    CHECK(isfinite(r.distance) && r.distance >= 0.0 && r.distance < 1e-6);

    /* KID: the same Philox subsets, then the same values. */
    int64_t n_idx = 0;
    const int64_t *idx = fx_vector(f, "kid_subset0_real", GAN_ST_I64, &n_idx);
    uint32_t perm[64];
    gan_kid_subset(42, 0, 0, (uint32_t)real.n, (uint32_t)n_idx, perm);
    int same = idx != NULL;
    for (int64_t i = 0; idx && i < n_idx; i++) same &= perm[i] == (uint32_t)idx[i];
    CHECK_MSG(same, "KID subset 0 of the real set differs from the Python Philox");
    idx = fx_vector(f, "kid_subset3_fake", GAN_ST_I64, &n_idx);
    gan_kid_subset(42, 3, 1, (uint32_t)fake.n, (uint32_t)n_idx, perm);
    same = idx != NULL;
    for (int64_t i = 0; idx && i < n_idx; i++) same &= perm[i] == (uint32_t)idx[i];
    CHECK_MSG(same, "KID subset 3 of the fake set differs from the Python Philox");
    gan_kid_options ko = {10, 20, 42};
    gan_kid_result kr;
    CHECK_OK(gan_kid(&real, &fake, &ko, &kr));
    CHECK_MSG(close_rel(kr.mean, fx_scalar(f, "kid_mean"), 1e-9), "kid %.12g vs %.12g", kr.mean,
              fx_scalar(f, "kid_mean"));
    CHECK(close_rel(kr.std, fx_scalar(f, "kid_std"), 1e-9));
    CHECK(kr.subsets == 10 && kr.subset_size == 20);

    /* PRDC, k = 3. */
    gan_prdc_result pr;
    CHECK_OK(gan_prdc(&real, &fake, 3, &pr));
    CHECK_MSG(fabs(pr.precision - fx_scalar(f, "precision")) < 1e-12, "precision %g", pr.precision);
    CHECK_MSG(fabs(pr.recall - fx_scalar(f, "recall")) < 1e-12, "recall %g", pr.recall);
    CHECK_MSG(fabs(pr.density - fx_scalar(f, "density")) < 1e-12, "density %g", pr.density);
    CHECK_MSG(fabs(pr.coverage - fx_scalar(f, "coverage")) < 1e-12, "coverage %g", pr.coverage);

    /* Class scores. */
    gan_features probs = fx_matrix(f, "probs");
    int64_t n_req = 0, n_hist = 0;
    const int64_t *req64 = fx_vector(f, "requested", GAN_ST_I64, &n_req);
    const int64_t *hist_ref = fx_vector(f, "histogram", GAN_ST_I64, &n_hist);
    int32_t req[64];
    for (int64_t i = 0; req64 && i < n_req && i < 64; i++) req[i] = (int32_t)req64[i];
    int64_t hist[8] = {0};
    gan_class_scores cs;
    CHECK(probs.d == n_hist && n_hist <= 8 && n_req == probs.n);
    CHECK_OK(gan_class_scores_compute(&probs, req, 4, hist, &cs));
    CHECK_MSG(close_rel(cs.inception_score, fx_scalar(f, "is_mean"), 1e-9), "IS %.12g",
              cs.inception_score);
    CHECK(close_rel(cs.inception_score_std, fx_scalar(f, "is_std"), 1e-7));
    for (int64_t k = 0; hist_ref && k < n_hist; k++) CHECK(hist[k] == hist_ref[k]);
    int64_t n_one = 0;
    const int64_t *modes = fx_vector(f, "modes_covered", GAN_ST_I64, &n_one);
    CHECK(modes && cs.modes_covered == modes[0]);
    CHECK(close_rel(cs.mode_coverage, (double)cs.modes_covered / probs.d, 1e-15));
    CHECK(close_rel(cs.accuracy, fx_scalar(f, "accuracy"), 1e-12));
    CHECK_OK(gan_class_scores_compute(&probs, NULL, 4, NULL, &cs));
    CHECK(isnan(cs.accuracy));

    /* Parzen window. */
    gan_features gen = fx_matrix(f, "parzen_gen"), val = fx_matrix(f, "parzen_val"),
                 test = fx_matrix(f, "parzen_test");
    int64_t ns = 0, nt = 0;
    const double *sigmas = fx_vector(f, "parzen_sigmas", GAN_ST_F64, &ns);
    const double *val_ref = fx_vector(f, "parzen_val_mean_ll", GAN_ST_F64, &ns);
    const double *tll_ref = fx_vector(f, "parzen_test_ll", GAN_ST_F64, &nt);
    double val_ll[8], tll[64];
    gan_parzen_result pz;
    CHECK(ns <= 8 && nt == test.n && nt <= 64);
    CHECK_OK(gan_parzen(&gen, &val, &test, sigmas, (int)ns, &pz, val_ll));
    for (int s = 0; val_ref && s < ns; s++)
        CHECK_MSG(close_rel(val_ll[s], val_ref[s], 1e-9), "val ll[%d] %.12g vs %.12g", s, val_ll[s],
                  val_ref[s]);
    CHECK(pz.sigma == fx_scalar(f, "parzen_sigma"));
    CHECK_MSG(close_rel(pz.mean_ll, fx_scalar(f, "parzen_mean_ll"), 1e-9), "parzen %.12g",
              pz.mean_ll);
    CHECK(close_rel(pz.std_err, fx_scalar(f, "parzen_std_err"), 1e-7));
    CHECK_OK(gan_parzen_log_likelihood(&gen, &test, pz.sigma, tll));
    double worst = 0.0;
    for (int64_t i = 0; tll_ref && i < nt; i++)
        worst = fmax(worst, fabs(tll[i] - tll_ref[i]) / (fabs(tll_ref[i]) + 1.0));
    CHECK_MSG(worst < 1e-9, "per-row parzen ll: worst rel err %g", worst);
    gan_st_close(f);
}

/* ------------------------------------------------------------- PRDC blocks */

/* The squared distance of two rows of d features, in double. */
static double sqdist(const float *a, const float *b, int d) {
    double v = 0.0;
    for (int c = 0; c < d; c++) {
        double t = (double)a[c] - b[c];
        v += t * t;
    }
    return v;
}

/* PRDC with double loops, no blocks: the reference for sets larger than one
 * distance block. */
static gan_prdc_result naive_prdc(const gan_features *r, const gan_features *g, int k) {
    const int d = r->d;
    double *rad_r = malloc(r->n * sizeof *rad_r), *rad_g = malloc(g->n * sizeof *rad_g);
    double *best = malloc((size_t)(k + 1) * sizeof *best);
    const gan_features *sets[2] = {r, g};
    double *rads[2] = {rad_r, rad_g};
    for (int s = 0; s < 2; s++) {
        const gan_features *f = sets[s];
        for (int64_t i = 0; i < f->n; i++) {
            for (int p = 0; p <= k; p++) best[p] = INFINITY;
            for (int64_t j = 0; j < f->n; j++) {
                double v = sqdist(f->x + i * d, f->x + j * d, d);
                int p = k;
                if (v >= best[k]) continue;
                while (p > 0 && best[p - 1] > v) best[p] = best[p - 1], p--;
                best[p] = v;
            }
            rads[s][i] = best[k];
        }
    }
    int64_t prec = 0, balls = 0, rec = 0, cov = 0;
    for (int64_t j = 0; j < g->n; j++) {
        int64_t in = 0;
        for (int64_t i = 0; i < r->n; i++) {
            double v = sqdist(g->x + j * d, r->x + i * d, d);
            in += v <= rad_r[i];
        }
        prec += in > 0;
        balls += in;
    }
    for (int64_t i = 0; i < r->n; i++) {
        double near = INFINITY;
        int recalled = 0;
        for (int64_t j = 0; j < g->n; j++) {
            double v = sqdist(g->x + j * d, r->x + i * d, d);
            near = fmin(near, v);
            recalled |= v <= rad_g[j];
        }
        rec += recalled;
        cov += near <= rad_r[i];
    }
    gan_prdc_result out = {(double)prec / g->n, (double)rec / r->n,
                           (double)balls / ((double)k * g->n), (double)cov / r->n, k};
    free(rad_r), free(rad_g), free(best);
    return out;
}

static void test_prdc_blocks_and_threads(void) {
    enum { D = 12 };
    const int64_t nr = 2300, nf = 700; /* real spans two reference blocks */
    double mu[D] = {0}, a[D * D] = {0}, mu2[D], a2[D * D] = {0};
    for (int i = 0; i < D; i++) {
        a[i * D + i] = 1.0 + 0.1 * i;
        a2[i * D + i] = 0.8;
        mu2[i] = 0.3;
    }
    float *x = gaussian_rows(21, nr, D, mu, a), *y = gaussian_rows(22, nf, D, mu2, a2);
    gan_features fr = {x, nr, D}, ff = {y, nf, D};
    gan_prdc_result got, want = naive_prdc(&fr, &ff, 3);
    CHECK_OK(gan_prdc(&fr, &ff, 3, &got));
    /* Distances from the gemm differ from direct sums in the last bits: allow
     * a flip or two at a ball's edge. */
    CHECK_MSG(fabs(got.precision - want.precision) <= 2.0 / nf &&
                  fabs(got.recall - want.recall) <= 2.0 / nr &&
                  fabs(got.density - want.density) <= 2.0 / (3.0 * nf) &&
                  fabs(got.coverage - want.coverage) <= 2.0 / nr,
              "blocked (%g %g %g %g) vs naive (%g %g %g %g)", got.precision, got.recall,
              got.density, got.coverage, want.precision, want.recall, want.density, want.coverage);

    /* Bit-identical at 1 and 3 threads, for every metric. */
    int saved = omp_get_max_threads();
    gan_fid_result fid[2];
    gan_kid_result kid[2];
    gan_prdc_result prdc[2];
    gan_parzen_result pz[2];
    gan_kid_options ko = {7, 150, 3};
    for (int run = 0; run < 2; run++) {
        omp_set_num_threads(run == 0 ? 1 : 3);
        CHECK_OK(gan_fid(&fr, &ff, &fid[run]));
        CHECK_OK(gan_kid(&fr, &ff, &ko, &kid[run]));
        CHECK_OK(gan_prdc(&fr, &ff, 3, &prdc[run]));
        gan_features val = {x, 300, D}, test = {x + 300 * D, 200, D};
        CHECK_OK(gan_parzen(&ff, &val, &test, NULL, 0, &pz[run], NULL));
    }
    omp_set_num_threads(saved);
    /* Field by field (the structs have padding). */
    CHECK(same_bits(fid[0].distance, fid[1].distance) &&
          same_bits(fid[0].trace_term, fid[1].trace_term));
    CHECK(same_bits(kid[0].mean, kid[1].mean) && same_bits(kid[0].std, kid[1].std));
    CHECK(same_bits(prdc[0].precision, prdc[1].precision) &&
          same_bits(prdc[0].recall, prdc[1].recall) &&
          same_bits(prdc[0].density, prdc[1].density) &&
          same_bits(prdc[0].coverage, prdc[1].coverage));
    CHECK(same_bits(pz[0].mean_ll, pz[1].mean_ll) && same_bits(pz[0].std_err, pz[1].std_err) &&
          same_bits(pz[0].val_mean_ll, pz[1].val_mean_ll) && pz[0].sigma == pz[1].sigma);
    CHECK_MSG(fid[0].distance > 0.1 && kid[0].mean > 0.0 && prdc[0].precision > 0.0 &&
                  isfinite(pz[0].mean_ll),
              "fid %g kid %g precision %g parzen %g", fid[0].distance, kid[0].mean,
              prdc[0].precision, pz[0].mean_ll);
    free(x), free(y);
}

/* ------------------------------------------------------------- behaviour */

static void test_collapse_and_noise(void) {
    enum { D = 16 };
    const int64_t n = 400;
    /* Structured: points near a circle in a 2-D plane of R^16, scaled. */
    float *real = malloc(n * D * sizeof *real), *real2 = malloc(n * D * sizeof *real2);
    float *noise = malloc(n * D * sizeof *noise), *u = malloc(2 * n * sizeof *u);
    float *jitter = malloc(2 * n * D * sizeof *jitter);
    gan_rng_uniform(31, 1, u, 2 * n);
    gan_rng_normal(31, 2, jitter, 2 * n * D);
    for (int64_t i = 0; i < n; i++)
        for (int c = 0; c < D; c++) {
            double t0 = 6.283185307 * u[i], t1 = 6.283185307 * u[n + i];
            double base0 = c == 0 ? 3 * cos(t0) : c == 1 ? 3 * sin(t0) : 0.0;
            double base1 = c == 0 ? 3 * cos(t1) : c == 1 ? 3 * sin(t1) : 0.0;
            real[i * D + c] = (float)(base0 + 0.05 * jitter[i * D + c]);
            real2[i * D + c] = (float)(base1 + 0.05 * jitter[(n + i) * D + c]);
        }
    gan_rng_normal(32, 1, noise, n * D);
    gan_features fr = {real, n, D}, fr2 = {real2, n, D}, fn = {noise, n, D};

    gan_fid_result f_same, f_noise;
    CHECK_OK(gan_fid(&fr, &fr2, &f_same));
    CHECK_OK(gan_fid(&fr, &fn, &f_noise));
    CHECK_MSG(f_noise.distance > 10.0 && f_noise.distance > 50.0 * f_same.distance,
              "noise FID %g vs same-law FID %g", f_noise.distance, f_same.distance);
    gan_kid_result k_same, k_noise;
    gan_kid_options ko = {20, 100, 9};
    CHECK_OK(gan_kid(&fr, &fr2, &ko, &k_same));
    CHECK_OK(gan_kid(&fr, &fn, &ko, &k_noise));
    CHECK_MSG(k_noise.mean > 20.0 * fabs(k_same.mean) && k_noise.mean > 5.0 * k_noise.std,
              "noise KID %g +- %g vs same-law KID %g", k_noise.mean, k_noise.std, k_same.mean);
    gan_prdc_result p_same, p_noise;
    CHECK_OK(gan_prdc(&fr, &fr2, 3, &p_same));
    CHECK_OK(gan_prdc(&fr, &fn, 3, &p_noise));
    CHECK_MSG(p_same.precision > 0.8 && p_same.recall > 0.8 && p_same.coverage > 0.8,
              "same law: P %g R %g C %g", p_same.precision, p_same.recall, p_same.coverage);
    CHECK_MSG(p_noise.precision < 0.1 && p_noise.coverage < 0.1, "noise: P %g C %g",
              p_noise.precision, p_noise.coverage);

    /* Mode collapse: one real sample repeated n times. */
    float *same_row = malloc(n * D * sizeof *same_row);
    for (int64_t i = 0; i < n; i++) memcpy(same_row + i * D, real + 5 * D, D * sizeof(float));
    gan_features fc = {same_row, n, D};
    gan_prdc_result p_col;
    CHECK_OK(gan_prdc(&fr, &fc, 3, &p_col));
    CHECK_MSG(p_col.recall <= 0.01 && p_col.coverage <= 0.05 && p_col.precision == 1.0,
              "collapsed: P %g R %g D %g C %g", p_col.precision, p_col.recall, p_col.density,
              p_col.coverage);
    gan_fid_result f_col;
    CHECK_OK(gan_fid(&fr, &fc, &f_col));
    CHECK(isfinite(f_col.distance) && f_col.distance > 1.0);

    /* Class scores of a collapsed and a perfect generator over K = 4. */
    float probs[8 * 4] = {0};
    int32_t req[8];
    for (int i = 0; i < 8; i++) {
        probs[i * 4 + i % 4] = 1.0f;
        req[i] = i % 4;
    }
    gan_features fp = {probs, 8, 4};
    int64_t hist[4];
    gan_class_scores cs;
    CHECK_OK(gan_class_scores_compute(&fp, req, 1, hist, &cs));
    CHECK(close_rel(cs.inception_score, 4.0, 1e-12) && cs.mode_coverage == 1.0 &&
          cs.accuracy == 1.0 && hist[3] == 2);
    for (int i = 0; i < 8; i++)
        memset(probs + i * 4, 0, 4 * sizeof(float)), probs[i * 4 + 2] = 1.0f;
    CHECK_OK(gan_class_scores_compute(&fp, req, 2, hist, &cs));
    CHECK(close_rel(cs.inception_score, 1.0, 1e-12) && cs.modes_covered == 1 &&
          cs.accuracy == 0.25 && hist[2] == 8);
    free(real), free(real2), free(noise), free(u), free(jitter), free(same_row);
}

/* ------------------------------------------------------------- errors */

#define CHECK_ERR(expr, status, needle)                                                            \
    do {                                                                                           \
        gan_status s__ = (expr);                                                                   \
        CHECK_MSG(s__ == (status) && strstr(gan_last_error(), (needle)),                           \
                  "%s: got status %d, message \"%s\"", #expr, (int)s__, gan_last_error());         \
    } while (0)

static void test_errors(void) {
    float x[40 * 4];
    for (int i = 0; i < 40 * 4; i++) x[i] = (float)((i * 37) % 11) - 5.0f;
    gan_features a = {x, 40, 4}, one = {x, 1, 4}, wide = {x, 20, 8}, none = {NULL, 10, 4};
    gan_fid_result fr;
    gan_kid_result kr;
    gan_prdc_result pr;
    gan_parzen_result pz;
    gan_class_scores cs;

    CHECK_ERR(gan_fid(&one, &a, &fr), GAN_ERR_INVALID_ARGUMENT,
              "fid: real features: 1 row, need at least 2");
    CHECK_ERR(gan_fid(&a, &wide, &fr), GAN_ERR_SHAPE, "real features have 4 columns, generated 8");
    CHECK_ERR(gan_fid(&a, &none, &fr), GAN_ERR_INVALID_ARGUMENT, "data is NULL");
    CHECK_ERR(gan_fid(&a, &a, NULL), GAN_ERR_INVALID_ARGUMENT, "NULL result");
    x[3 * 4 + 2] = NAN;
    CHECK_ERR(gan_fid(&a, &a, &fr), GAN_ERR_INVALID_ARGUMENT, "NaN at row 3, column 2");
    CHECK_ERR(gan_prdc(&a, &a, 3, &pr), GAN_ERR_INVALID_ARGUMENT, "NaN at row 3, column 2");
    x[3 * 4 + 2] = INFINITY;
    CHECK_ERR(gan_kid(&a, &a, NULL, &kr), GAN_ERR_INVALID_ARGUMENT, "infinity at row 3");
    x[3 * 4 + 2] = 0.0f;

    double mu[2] = {0, 0}, bad[4] = {1, 0.5, 0.4, 1}, ok[4] = {1, 0, 0, 1};
    CHECK_ERR(gan_fid_from_stats(mu, bad, mu, ok, 2, &fr), GAN_ERR_INVALID_ARGUMENT,
              "not symmetric");
    bad[0] = NAN;
    CHECK_ERR(gan_fid_from_stats(mu, ok, mu, bad, 2, &fr), GAN_ERR_INVALID_ARGUMENT, "not finite");

    gan_kid_options ko = {10, 41, 0};
    CHECK_ERR(gan_kid(&a, &a, &ko, &kr), GAN_ERR_INVALID_ARGUMENT, "subset size 41, need 2 to 40");
    ko.subset_size = 10, ko.subsets = 0;
    CHECK_ERR(gan_kid(&a, &a, &ko, &kr), GAN_ERR_INVALID_ARGUMENT, "0 subsets");
    gan_features three = {x, 3, 4};
    CHECK_ERR(gan_prdc(&a, &three, 3, &pr), GAN_ERR_INVALID_ARGUMENT,
              "generated features: 3 rows, need at least 4");
    CHECK_ERR(gan_prdc(&a, &a, 0, &pr), GAN_ERR_INVALID_ARGUMENT, "k = 0");
    CHECK_ERR(gan_prdc(&wide, &a, 3, &pr), GAN_ERR_SHAPE, "columns");

    CHECK_ERR(gan_parzen(&a, &a, &a, (double[]){0.1, -1.0}, 2, &pz, NULL), GAN_ERR_INVALID_ARGUMENT,
              "sigma -1");
    CHECK_ERR(gan_parzen(&a, &a, &one, NULL, 0, &pz, NULL), GAN_ERR_INVALID_ARGUMENT,
              "test rows: 1 row, need at least 2");
    CHECK_ERR(gan_parzen(&a, &wide, &a, NULL, 0, &pz, NULL), GAN_ERR_SHAPE,
              "validation rows have 8 columns, generated samples 4");

    float p[3 * 2] = {0.5f, 0.5f, 0.9f, 0.1f, 2.0f, -1.0f};
    gan_features fp = {p, 3, 2};
    int32_t req[3] = {0, 1, 2};
    CHECK_ERR(gan_class_scores_compute(&fp, NULL, 1, NULL, &cs), GAN_ERR_INVALID_ARGUMENT,
              "row 2, column 0 is outside [0, 1]");
    p[4] = 0.7f, p[5] = 0.2f;
    CHECK_ERR(gan_class_scores_compute(&fp, NULL, 1, NULL, &cs), GAN_ERR_INVALID_ARGUMENT,
              "row 2 sums to 0.9");
    p[5] = 0.3f;
    CHECK_ERR(gan_class_scores_compute(&fp, req, 1, NULL, &cs), GAN_ERR_INVALID_ARGUMENT,
              "requested class 2 at row 2, need 0 to 1");
    CHECK_ERR(gan_class_scores_compute(&fp, NULL, 4, NULL, &cs), GAN_ERR_INVALID_ARGUMENT,
              "4 splits for 3 rows");
}

int main(void) {
    test_fid_closed_form();
    test_fid_samples();
    test_fixture();
    test_prdc_blocks_and_threads();
    test_collapse_and_noise();
    test_errors();
    return test_report();
}
