/*
 * parzen.c - the Gaussian Parzen-window log-likelihood of test data under a
 * generator's samples (Breuleux et al. 2011; Goodfellow et al. 2014):
 *
 *   log p(x) = logsumexp_j(-||x - g_j||^2 / (2 s^2)) - log m - (d/2) log(2 pi s^2)
 *
 * with s chosen from a grid by the mean log-likelihood of a validation set.
 * Distances come from the blocked scan (queries: the evaluated rows,
 * references: the generated rows); each query row keeps, for every sigma, an
 * online log-sum-exp (running maximum and the sum scaled by it), updated
 * block by block in order, so the result does not depend on threads. A
 * known weak estimator in high dimension (Theis et al. 2016): report it only
 * to compare with the published MNIST/TFD numbers.
 */
#include "eval/eval_internal.h"

#include <math.h>
#include <stdlib.h>

typedef struct parzen_ctx {
    const double *inv2s2; /* (ns) 1 / (2 sigma^2) */
    int ns;
    double *mx;  /* (n, ns) running maximum of the exponent */
    double *sum; /* (n, ns) sum of exp(exponent - mx) */
} parzen_ctx;

static void parzen_visit(void *ctx, int thread, int64_t q0, int nq, int64_t r0, int nr,
                         const double *d2) {
    parzen_ctx *c = ctx;
    for (int i = 0; i < nq; i++) {
        const double *row = d2 + (size_t)i * nr;
        double dmin = row[0];
        for (int j = 1; j < nr; j++) dmin = GAN_MIN(dmin, row[j]);
        for (int s = 0; s < c->ns; s++) {
            const double a = c->inv2s2[s];
            double *mx = c->mx + (size_t)(q0 + i) * c->ns + s;
            double *sum = c->sum + (size_t)(q0 + i) * c->ns + s;
            double m_new = GAN_MAX(*mx, -dmin * a);
            double acc = 0.0;
            for (int j = 0; j < nr; j++) acc += exp(-row[j] * a - m_new);
            *sum = *sum * exp(*mx - m_new) + acc;
            *mx = m_new;
        }
    }
}

/* ll (x->n, ns) = the log-likelihood of each row of x for each sigma. */
static gan_status parzen_grid(const gan_features *gen, const gan_features *x, const double *sigmas,
                              int ns, double *ll) {
    double *inv2s2 = malloc((size_t)ns * sizeof *inv2s2);
    double *mx = malloc((size_t)x->n * ns * sizeof *mx);
    double *sum = malloc((size_t)x->n * ns * sizeof *sum);
    if (!inv2s2 || !mx || !sum) {
        free(inv2s2), free(mx), free(sum);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "parzen: out of memory");
    }
    for (int s = 0; s < ns; s++) inv2s2[s] = 1.0 / (2.0 * sigmas[s] * sigmas[s]);
    for (size_t i = 0; i < (size_t)x->n * ns; i++) {
        mx[i] = -INFINITY;
        sum[i] = 0.0;
    }
    parzen_ctx c = {inv2s2, ns, mx, sum};
    gan_status st = gan_eval_scan(x, gen, parzen_visit, &c);
    if (st == GAN_OK) {
        const double two_pi = 6.283185307179586476925286766559;
        for (int s = 0; s < ns; s++) {
            double z = log((double)gen->n) + 0.5 * x->d * log(two_pi * sigmas[s] * sigmas[s]);
            for (int64_t i = 0; i < x->n; i++) {
                size_t at = (size_t)i * ns + s;
                ll[at] = mx[at] + log(sum[at]) - z;
            }
        }
    }
    free(inv2s2), free(mx), free(sum);
    return st;
}

static gan_status check_pair(const gan_features *gen, const gan_features *x, int64_t min_rows,
                             const char *what) {
    GAN_TRY(gan_features_check(x, min_rows, what));
    if (x->d != gen->d)
        return gan_fail(GAN_ERR_SHAPE, "%s have %d columns, generated samples %d", what, x->d,
                        gen->d);
    return GAN_OK;
}

static gan_status check_sigma(double sigma) {
    if (!(sigma > 0.0) || !isfinite(sigma))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "parzen: sigma %g, need a finite value > 0",
                        sigma);
    return GAN_OK;
}

gan_status gan_parzen_log_likelihood(const gan_features *gen, const gan_features *x, double sigma,
                                     double *ll) {
    GAN_TRY(gan_features_check(gen, 1, "parzen: generated samples"));
    GAN_TRY(check_pair(gen, x, 1, "parzen: evaluated rows"));
    GAN_TRY(check_sigma(sigma));
    if (!ll) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "parzen: NULL output");
    return parzen_grid(gen, x, &sigma, 1, ll);
}

double gan_parzen_default_sigma(int i) {
    return pow(10.0, -1.0 + (double)i / (GAN_PARZEN_DEFAULT_GRID - 1));
}

gan_status gan_parzen(const gan_features *gen, const gan_features *val, const gan_features *test,
                      const double *sigmas, int n_sigmas, gan_parzen_result *out,
                      double *val_mean_ll) {
    if (!out) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "parzen: NULL result");
    GAN_TRY(gan_features_check(gen, 1, "parzen: generated samples"));
    GAN_TRY(check_pair(gen, val, 1, "parzen: validation rows"));
    GAN_TRY(check_pair(gen, test, 2, "parzen: test rows"));
    double grid[GAN_PARZEN_DEFAULT_GRID];
    if (!sigmas) {
        for (int s = 0; s < GAN_PARZEN_DEFAULT_GRID; s++)
            grid[s] = gan_parzen_default_sigma(s);
        sigmas = grid;
        n_sigmas = GAN_PARZEN_DEFAULT_GRID;
    }
    if (n_sigmas < 1 || n_sigmas > 10000)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "parzen: %d grid values, need 1 to 10000",
                        n_sigmas);
    for (int s = 0; s < n_sigmas; s++) GAN_TRY(check_sigma(sigmas[s]));

    double *vll = malloc((size_t)val->n * n_sigmas * sizeof *vll); /* (n_val, ns) */
    double *tll = malloc((size_t)test->n * sizeof *tll);           /* (n_test) */
    if (!vll || !tll) {
        free(vll), free(tll);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "parzen: out of memory");
    }
    gan_status st = parzen_grid(gen, val, sigmas, n_sigmas, vll);
    int best = 0;
    double best_mean = -INFINITY;
    for (int s = 0; st == GAN_OK && s < n_sigmas; s++) {
        double mean = 0.0;
        for (int64_t i = 0; i < val->n; i++) mean += vll[(size_t)i * n_sigmas + s];
        mean /= (double)val->n;
        if (val_mean_ll) val_mean_ll[s] = mean;
        if (mean > best_mean) {
            best_mean = mean;
            best = s;
        }
    }
    if (st == GAN_OK) st = parzen_grid(gen, test, sigmas + best, 1, tll);
    if (st == GAN_OK) {
        double mean = 0.0, var = 0.0;
        for (int64_t i = 0; i < test->n; i++) mean += tll[i];
        mean /= (double)test->n;
        for (int64_t i = 0; i < test->n; i++) var += (tll[i] - mean) * (tll[i] - mean);
        var /= (double)(test->n - 1);
        out->sigma = sigmas[best];
        out->val_mean_ll = best_mean;
        out->mean_ll = mean;
        out->std_err = sqrt(var / (double)test->n);
    }
    free(vll), free(tll);
    return st;
}
