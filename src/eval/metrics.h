/*
 * metrics.h - sample-quality metrics of a GAN, computed from feature
 * matrices (internal API for now; the CLI and the feature extractor come
 * later).
 *
 * Inputs are float matrices, one row per sample (gan_features): features of
 * real and generated images from some classifier, class probabilities, or
 * raw pixels in [0, 1] for the Parzen window. All arithmetic that
 * accumulates (means, covariances, kernel sums, distances, log-sum-exp) is in
 * double. Every function validates its inputs first: NULL pointers, too few
 * rows, mismatched column counts and NaN/infinite values are refused with
 * GAN_ERR_INVALID_ARGUMENT (GAN_ERR_SHAPE for mismatched columns) and a
 * message naming the metric, the set, and the first bad row and column.
 *
 * Determinism: results do not depend on the number of OpenMP threads. BLAS
 * and LAPACK calls run single-threaded on fixed-shape blocks (OpenBLAS's own
 * threading changes rounding with the thread count); threads split those
 * blocks; every floating-point reduction runs in a fixed order, and the
 * reductions that cross threads are exact (min, any, integer counts).
 *
 * Memory: distances are computed in tiles of 64 x 2048 (eval_internal.h),
 * so 10,000 x 10,000 sets need about 1 MB of scratch per thread plus a
 * 2048-row block of the reference set in double, never an n x n matrix;
 * KID needs one subset_size^2 Gram matrix per thread (8 MB at 1000). The
 * FID eigensolver runs single-threaded: O(d^3), about 5 s at d = 2048.
 *
 * Definitions (see each function for details):
 *   FID  Heusel et al. 2017, as pytorch-fid, with a symmetric matrix root.
 *   KID  Binkowski et al. 2018, as torch-fidelity: unbiased MMD^2 with the
 *        kernel k(x, y) = (x.y / D + 1)^3, mean and std over random subsets.
 *   PRDC precision/recall (Kynkaanniemi et al. 2019), density/coverage
 *        (Naeem et al. 2020), k nearest neighbours, Euclidean distances.
 *   IS   Salimans et al. 2016: exp(E_x KL(p(y|x) || p(y))), over splits.
 *   Parzen  Goodfellow et al. 2014 / Breuleux et al. 2011 Gaussian window.
 */
#ifndef GAN_EVAL_METRICS_H
#define GAN_EVAL_METRICS_H

#include "internal.h"

/* A read-only view of a feature matrix: x is (n, d), row-major, finite. */
typedef struct gan_features {
    const float *x; /* (n, d) */
    int64_t n;      /* rows: samples */
    int d;          /* columns: features (1 .. GAN_EVAL_MAX_DIM) */
} gan_features;

#define GAN_EVAL_MAX_DIM 65536

/* Check a feature matrix: x non-NULL, 1 <= d <= GAN_EVAL_MAX_DIM,
 * n >= min_rows, every value finite. `what` names it in the message
 * ("fid: real features: 1 row, need at least 2 ..."). */
gan_status gan_features_check(const gan_features *f, int64_t min_rows, const char *what);

/* ------------------------------------------------------------------ FID */

/* Mean (d) and unbiased covariance (d x d, row-major, divided by n - 1 as
 * numpy.cov) of a feature set, in double. Needs n >= 2. */
gan_status gan_feature_stats(const gan_features *f, double *mean, double *cov);

typedef struct gan_fid_result {
    double distance;    /* ||mu1 - mu2||^2 + tr(C1) + tr(C2) - 2 tr sqrt(C1^1/2 C2 C1^1/2) */
    double mean_term;   /* ||mu1 - mu2||^2 */
    double trace_term;  /* tr(C1) + tr(C2) - 2 tr sqrt(C1^1/2 C2 C1^1/2) */
    int rank_deficient; /* 1 when a set has n <= d rows (its covariance is singular) */
} gan_fid_result;

/* The Frechet distance between N(mean1, cov1) and N(mean2, cov2) (the
 * squared 2-Wasserstein distance; "FID" when the statistics are Inception
 * pool3 features). Covariances are d x d symmetric positive semi-definite.
 *
 * tr sqrt(C1 C2) is computed on the symmetric route: S = C1^1/2 from the
 * eigendecomposition of C1 (eigenvalues clamped at 0), M = S C2 S
 * (symmetrised), tr sqrt(M) = sum of sqrt(max(eigenvalue, 0)) of M. No
 * complex parts, no NaN for singular covariances. A negative total from
 * rounding (identical statistics) is returned as 0. rank_deficient is 0. */
gan_status gan_fid_from_stats(const double *mean1, const double *cov1, const double *mean2,
                              const double *cov2, int d, gan_fid_result *out);

/* The Frechet distance between the Gaussians fitted to two feature sets.
 * Minimum: n >= 2 in each set (a covariance needs two samples); refused
 * below that. With n <= d a covariance has rank <= n - 1 < d: the value is
 * still finite and non-negative but strongly biased, and out->rank_deficient
 * is set so the caller can warn. FID is biased upward for small n even above
 * d (Chong & Forsyth 2020): compare values only at equal sample counts, and
 * use n >= 10,000 for published numbers. */
gan_status gan_fid(const gan_features *real, const gan_features *fake, gan_fid_result *out);

/* ------------------------------------------------------------------ KID */

typedef struct gan_kid_options {
    int subsets;     /* random subsets averaged (default 100) */
    int subset_size; /* rows per subset; 0 = min(1000, n_real, n_fake) (default 0) */
    uint64_t seed;   /* seeds the subset choice (default 0) */
} gan_kid_options;

void gan_kid_options_default(gan_kid_options *opt);

typedef struct gan_kid_result {
    double mean;     /* mean of the unbiased MMD^2 estimates over the subsets */
    double std;      /* their standard deviation (population, ddof 0, as torch-fidelity) */
    int subsets;     /* subsets used */
    int subset_size; /* rows per subset used */
} gan_kid_result;

/* Kernel Inception Distance. For subset s, m rows of each set are drawn
 * without replacement (gan_kid_subset, real with which = 0, fake with
 * which = 1); with X the fake and Y the real rows and K the kernel matrix,
 *   MMD^2 = sum_{i != j} K(X)_ij / (m (m - 1)) + sum_{i != j} K(Y)_ij / (m (m - 1))
 *           - 2 sum_ij K(X, Y)_ij / m^2
 * (torch-fidelity's and Binkowski's "unbiased" estimator). May be slightly
 * negative when the sets match. Needs n >= 2 in each set and
 * 2 <= subset_size <= min(n_real, n_fake). opt may be NULL (defaults). */
gan_status gan_kid(const gan_features *real, const gan_features *fake, const gan_kid_options *opt,
                   gan_kid_result *out);

/* The rows of subset `subset` of set `which` (0 real, 1 fake): a partial
 * Fisher-Yates shuffle of 0..n-1 with the stream
 * gan_rng_stream(GAN_RNG_EVAL, 2 * subset + which): for i = 0..m-1, swap
 * perm[i] with perm[i + gan_rng_below(seed, stream, i, n - i)]. perm (n
 * entries) receives the whole permutation; its first m entries are the
 * subset. Exposed so tests and other implementations can reproduce it. */
void gan_kid_subset(uint64_t seed, int subset, int which, uint32_t n, uint32_t m, uint32_t *perm);

/* ----------------------------------------------------------------- PRDC */

typedef struct gan_prdc_result {
    double precision; /* fraction of fake rows inside some real k-NN ball */
    double recall;    /* fraction of real rows inside some fake k-NN ball */
    double density;   /* mean over fake rows of (real balls containing it) / k */
    double coverage;  /* fraction of real balls containing at least one fake row */
    int k;            /* neighbours used */
} gan_prdc_result;

/* Precision and recall (Kynkaanniemi et al. 2019), density and coverage
 * (Naeem et al. 2020). The k-NN ball of a row has as radius the Euclidean
 * distance to its k-th nearest neighbour in its own set, the row itself
 * excluded (the (k+1)-th smallest distance with itself at 0, as the `prdc`
 * package; duplicates count as neighbours at distance 0). Balls are closed:
 * a point is inside when its distance is <= the radius (the papers' B(x, r);
 * the `prdc` package uses <, which differs only on exact ties). Needs
 * 1 <= k and n > k in each set. The usual choice is k = 3 (GAN_PRDC_K). */
#define GAN_PRDC_K 3
gan_status gan_prdc(const gan_features *real, const gan_features *fake, int k,
                    gan_prdc_result *out);

/* ------------------------------------------------- class-probability scores */

typedef struct gan_class_scores {
    double inception_score;     /* mean over splits of exp(mean_x KL(p(y|x) || p(y))) */
    double inception_score_std; /* population std over splits (ddof 0, as Salimans et al.) */
    int splits;                 /* splits used */
    int modes_covered;          /* classes predicted for >= n / (2 K) rows */
    double mode_coverage;       /* modes_covered / K */
    double accuracy;            /* fraction argmax == requested; NaN without labels */
} gan_class_scores;

/* Scores from class probabilities `probs` (n rows, K = probs->d >= 2
 * classes; each row in [0, 1] summing to 1 within 1e-3; logits are refused).
 *   Inception Score: rows are cut into `splits` contiguous parts, part s =
 *     rows [floor(s n / splits), floor((s + 1) n / splits)) (as Salimans et
 *     al.'s code); p(y) is the mean row of the part; 0 log 0 = 0. Needs
 *     1 <= splits <= n. The usual value is 10.
 *   histogram (K entries, may be NULL): rows whose argmax (first maximum on
 *     ties) is each class.
 *   Mode coverage: a class counts as covered when at least n / (2 K) rows
 *     (half its share under a uniform generator) are predicted as it; the
 *     fraction of covered classes. 1 for a generator matching a balanced
 *     dataset, 1/K for a fully collapsed one.
 *   Accuracy (conditional models): `requested` (n labels in [0, K), may be
 *     NULL) are the classes asked of the generator; the fraction of rows whose
 *     argmax equals it. NaN when requested is NULL. */
gan_status gan_class_scores_compute(const gan_features *probs, const int32_t *requested, int splits,
                                    int64_t *histogram, gan_class_scores *out);

/* --------------------------------------------------------------- Parzen */

/* log p(x_i) under the Gaussian Parzen window of width sigma centred on the
 * rows g_j of `gen` (m rows):
 *   log p(x) = logsumexp_j(-||x - g_j||^2 / (2 sigma^2)) - log m
 *              - (d / 2) log(2 pi sigma^2)
 * for every row of x, into ll (x->n doubles). Pixels are expected in [0, 1]
 * (the convention of the published MNIST/TFD numbers). sigma > 0. */
gan_status gan_parzen_log_likelihood(const gan_features *gen, const gan_features *x, double sigma,
                                     double *ll);

typedef struct gan_parzen_result {
    double sigma;       /* the grid value with the best mean validation log-likelihood */
    double val_mean_ll; /* that best mean validation log-likelihood */
    double mean_ll;     /* mean log-likelihood of the test rows at sigma */
    double std_err;     /* its standard error: sample std (ddof 1) / sqrt(n_test) */
} gan_parzen_result;

/* The Parzen-window estimate (Goodfellow et al. 2014): choose sigma from the
 * grid `sigmas` (n_sigmas values > 0; NULL = 10 values logspace(-1, 0), as
 * their parzen_ll.py) by the mean log-likelihood of `val`, the first best on
 * ties; then report the test set's mean log-likelihood at that sigma and its
 * standard error. val_mean_ll (n_sigmas doubles, 10 when sigmas is NULL; may
 * be NULL) receives each grid value's validation mean. Needs gen and val
 * with >= 1 row and test with >= 2 rows, all of the same width. */
/* Sigma i (0 .. GAN_PARZEN_DEFAULT_GRID - 1) of the default grid:
 * 10^(-1 + i / 9). */
double gan_parzen_default_sigma(int i);

gan_status gan_parzen(const gan_features *gen, const gan_features *val, const gan_features *test,
                      const double *sigmas, int n_sigmas, gan_parzen_result *out,
                      double *val_mean_ll);

#endif /* GAN_EVAL_METRICS_H */
