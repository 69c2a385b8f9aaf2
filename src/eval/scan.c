/*
 * scan.c - the blocked pairwise squared-distance scan (see eval_internal.h).
 *
 * Scratch: the reference block in double (GAN_EVAL_REF_BLOCK, d), its norms,
 * and per thread one query chunk (GAN_EVAL_QUERY_CHUNK, d) and one tile
 * (GAN_EVAL_QUERY_CHUNK, GAN_EVAL_REF_BLOCK): about 1 MB per thread plus
 * 16 d KB, whatever the set sizes. Every dgemm has a shape fixed by the set
 * sizes alone, so each distance has the same bits at any thread count.
 */
#include "eval/eval_internal.h"

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>

static void row_sqnorms(const double *x, int rows, int d, double *out) {
    for (int i = 0; i < rows; i++) {
        double s = 0.0;
        for (int j = 0; j < d; j++) s += x[(size_t)i * d + j] * x[(size_t)i * d + j];
        out[i] = s;
    }
}

gan_status gan_eval_scan(const gan_features *q, const gan_features *r, gan_eval_visit_fn visit,
                         void *ctx) {
    const int d = q->d;
    const int threads = gan_eval_max_threads();
    const int rb_max = (int)GAN_MIN(r->n, (int64_t)GAN_EVAL_REF_BLOCK);
    const int qc = GAN_EVAL_QUERY_CHUNK;
    const bool same = q->x == r->x && q->n == r->n;
    double *rd = malloc((size_t)rb_max * d * sizeof *rd);                /* (rb, d) */
    double *rn = malloc((size_t)rb_max * sizeof *rn);                    /* (rb) */
    double *qd = malloc((size_t)threads * qc * d * sizeof *qd);          /* (T, qc, d) */
    double *qn = malloc((size_t)threads * qc * sizeof *qn);              /* (T, qc) */
    double *tile = malloc((size_t)threads * qc * rb_max * sizeof *tile); /* (T, qc, rb) */
    if (!rd || !rn || !qd || !qn || !tile) {
        free(rd), free(rn), free(qd), free(qn), free(tile);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "distance scan: out of memory (%d threads, d %d)",
                        threads, d);
    }
    const int64_t chunks = (q->n + qc - 1) / qc;
    gan_eval_blas_state saved = gan_eval_blas_begin();
    for (int64_t r0 = 0; r0 < r->n; r0 += rb_max) {
        const int nr = (int)GAN_MIN((int64_t)rb_max, r->n - r0);
        gan_eval_rows_to_double(r, r0, nr, rd);
        row_sqnorms(rd, nr, d, rn);
#pragma omp parallel for schedule(static) num_threads(threads)
        for (int64_t c = 0; c < chunks; c++) {
            const int t = omp_get_thread_num();
            const int64_t q0 = c * qc;
            const int nq = (int)GAN_MIN((int64_t)qc, q->n - q0);
            double *my_q = qd + (size_t)t * qc * d;
            double *my_qn = qn + (size_t)t * qc;
            double *my_tile = tile + (size_t)t * qc * rb_max;
            gan_eval_rows_to_double(q, q0, nq, my_q);
            row_sqnorms(my_q, nq, d, my_qn);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nq, nr, d, -2.0, my_q, d, rd, d,
                        0.0, my_tile, nr);
            for (int i = 0; i < nq; i++) {
                double *row = my_tile + (size_t)i * nr;
                for (int j = 0; j < nr; j++) {
                    double v = row[j] + my_qn[i] + rn[j];
                    row[j] = v > 0.0 ? v : 0.0;
                }
                if (same && q0 + i >= r0 && q0 + i < r0 + nr) row[q0 + i - r0] = 0.0;
            }
            visit(ctx, t, q0, nq, r0, nr, my_tile);
        }
    }
    gan_eval_blas_end(saved);
    free(rd), free(rn), free(qd), free(qn), free(tile);
    return GAN_OK;
}
