/*
 * prdc.c - precision, recall, density and coverage of a generated set
 * against a real set in feature space, from k-nearest-neighbour balls.
 *
 * Three distance scans (eval_internal.h), never an n x n matrix:
 *   1. real vs real: each real row's k-NN radius^2 (the (k+1)-th smallest
 *      squared distance, itself at 0 included);
 *   2. fake vs fake: the same for fake rows;
 *   3. fake vs real: per fake row, how many real balls contain it (precision,
 *      density); per real row, its nearest fake row's distance (coverage)
 *      and whether it lies in some fake ball (recall). The per-real results
 *      cross query chunks, so each thread keeps its own copy and they are
 *      merged with min and or, which are exact.
 * All comparisons are on squared distances (same order as distances).
 */
#include "eval/eval_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Scans 1 and 2: best[i * (k + 1) ..] holds row i's k + 1 smallest d2, ascending. */
typedef struct knn_ctx {
    double *best; /* (n, k + 1) */
    int k1;       /* k + 1 */
} knn_ctx;

static void knn_visit(void *ctx, int thread, int64_t q0, int nq, int64_t r0, int nr,
                      const double *d2) {
    knn_ctx *c = ctx;
    for (int i = 0; i < nq; i++) {
        double *b = c->best + (size_t)(q0 + i) * c->k1;
        const double *row = d2 + (size_t)i * nr;
        for (int j = 0; j < nr; j++) {
            double v = row[j];
            if (v >= b[c->k1 - 1]) continue;
            int p = c->k1 - 1;
            while (p > 0 && b[p - 1] > v) {
                b[p] = b[p - 1];
                p--;
            }
            b[p] = v;
        }
    }
}

/* radius2[i] = the (k+1)-th smallest squared distance of row i in its set. */
static gan_status knn_radii(const gan_features *f, int k, double *radius2) {
    knn_ctx c = {malloc((size_t)f->n * (k + 1) * sizeof(double)), k + 1};
    if (!c.best) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "prdc: out of memory");
    for (size_t i = 0; i < (size_t)f->n * (k + 1); i++) c.best[i] = INFINITY;
    gan_status st = gan_eval_scan(f, f, knn_visit, &c);
    if (st == GAN_OK)
        for (int64_t i = 0; i < f->n; i++) radius2[i] = c.best[(size_t)i * (k + 1) + k];
    free(c.best);
    return st;
}

/* Scan 3: queries are fake rows, references real rows. */
typedef struct cross_ctx {
    const double *real_r2; /* (n_real) */
    const double *fake_r2; /* (n_fake) */
    int64_t n_real;
    int64_t *balls;          /* (n_fake) real balls containing each fake row */
    double *nearest;         /* (threads, n_real) min d2 to a fake row */
    unsigned char *recalled; /* (threads, n_real) inside some fake ball */
} cross_ctx;

static void cross_visit(void *ctx, int thread, int64_t q0, int nq, int64_t r0, int nr,
                        const double *d2) {
    cross_ctx *c = ctx;
    double *nearest = c->nearest + (size_t)thread * c->n_real + r0;
    unsigned char *recalled = c->recalled + (size_t)thread * c->n_real + r0;
    const double *rr = c->real_r2 + r0;
    for (int i = 0; i < nq; i++) {
        const double *row = d2 + (size_t)i * nr;
        const double fr = c->fake_r2[q0 + i];
        int64_t count = 0;
        for (int j = 0; j < nr; j++) {
            double v = row[j];
            count += v <= rr[j];
            if (v < nearest[j]) nearest[j] = v;
            recalled[j] |= v <= fr;
        }
        c->balls[q0 + i] += count;
    }
}

gan_status gan_prdc(const gan_features *real, const gan_features *fake, int k,
                    gan_prdc_result *out) {
    if (!out) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "prdc: NULL result");
    if (k < 1 || k > 1000)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "prdc: k = %d, need 1 to 1000", k);
    GAN_TRY(gan_features_check(real, (int64_t)k + 1, "prdc: real features"));
    GAN_TRY(gan_features_check(fake, (int64_t)k + 1, "prdc: generated features"));
    if (real->d != fake->d)
        return gan_fail(GAN_ERR_SHAPE, "prdc: real features have %d columns, generated %d", real->d,
                        fake->d);
    const int threads = gan_eval_max_threads();
    const size_t nr = (size_t)real->n, nf = (size_t)fake->n;
    double *real_r2 = malloc(nr * sizeof *real_r2);
    double *fake_r2 = malloc(nf * sizeof *fake_r2);
    int64_t *balls = calloc(nf, sizeof *balls);
    double *nearest = malloc((size_t)threads * nr * sizeof *nearest);
    unsigned char *recalled = calloc((size_t)threads * nr, 1);
    gan_status st = GAN_OK;
    if (!real_r2 || !fake_r2 || !balls || !nearest || !recalled)
        st = gan_fail(GAN_ERR_OUT_OF_MEMORY, "prdc: out of memory (%zu + %zu rows)", nr, nf);
    if (st == GAN_OK) st = knn_radii(real, k, real_r2);
    if (st == GAN_OK) st = knn_radii(fake, k, fake_r2);
    if (st == GAN_OK) {
        for (size_t i = 0; i < (size_t)threads * nr; i++) nearest[i] = INFINITY;
        cross_ctx c = {real_r2, fake_r2, real->n, balls, nearest, recalled};
        st = gan_eval_scan(fake, real, cross_visit, &c);
    }
    if (st == GAN_OK) {
        int64_t precise = 0, ball_total = 0, recall = 0, covered = 0;
        for (size_t j = 0; j < nf; j++) {
            precise += balls[j] > 0;
            ball_total += balls[j];
        }
        for (size_t i = 0; i < nr; i++) {
            double near = INFINITY;
            unsigned char in = 0;
            for (int t = 0; t < threads; t++) {
                near = GAN_MIN(near, nearest[(size_t)t * nr + i]);
                in |= recalled[(size_t)t * nr + i];
            }
            recall += in;
            covered += near <= real_r2[i];
        }
        out->precision = (double)precise / (double)nf;
        out->recall = (double)recall / (double)nr;
        out->density = (double)ball_total / ((double)k * (double)nf);
        out->coverage = (double)covered / (double)nr;
        out->k = k;
    }
    free(real_r2), free(fake_r2), free(balls), free(nearest), free(recalled);
    return st;
}
