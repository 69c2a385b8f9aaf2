/*
 * eval_internal.h - helpers shared by the metric files in src/eval/: float to
 * double conversion, row norms, the blocked pairwise-distance scan, and
 * single-threaded LAPACK.
 *
 * The scan: squared Euclidean distances between every query row and every
 * reference row, ||q||^2 + ||r||^2 - 2 q.r (clamped at 0) in double, one
 * (GAN_EVAL_QUERY_CHUNK x GAN_EVAL_REF_BLOCK) tile at a time. Reference
 * blocks are visited in order; within a block, threads take query chunks
 * (schedule static) and each calls a single-threaded dgemm of a fixed shape,
 * then the visitor on the tile. A visitor may write per-query-row state
 * freely (a query row belongs to one chunk, and blocks are separated by a
 * barrier) and per-thread state indexed by `thread`; anything else it shares
 * must be combined with exact operations.
 */
#ifndef GAN_EVAL_INTERNAL_H
#define GAN_EVAL_INTERNAL_H

#include "eval/metrics.h"

#define GAN_EVAL_QUERY_CHUNK 64
#define GAN_EVAL_REF_BLOCK 2048

/* out (rows, d) = double(x rows [row0, row0 + rows)). */
void gan_eval_rows_to_double(const gan_features *f, int64_t row0, int rows, double *out);

/* A tile of squared distances: d2 (nq, nr), row-major with leading dim nr,
 * for query rows [q0, q0 + nq) and reference rows [r0, r0 + nr). */
typedef void (*gan_eval_visit_fn)(void *ctx, int thread, int64_t q0, int nq, int64_t r0, int nr,
                                  const double *d2);

/* Run the scan of q against r (which may be the same set; the diagonal is
 * then exactly 0). Returns GAN_ERR_OUT_OF_MEMORY when scratch cannot be
 * allocated. Visitors' `thread` is < gan_eval_max_threads() taken before
 * the call (size per-thread state with it). */
gan_status gan_eval_scan(const gan_features *q, const gan_features *r, gan_eval_visit_fn visit,
                         void *ctx);

/* Upper bound on the `thread` argument + 1 of scans started now. */
int gan_eval_max_threads(void);

/* Make OpenBLAS single-threaded until gan_eval_blas_end (its threads split
 * work by the thread count, which changes rounding); keeps OpenMP's own
 * thread count. Not re-entrant across threads. */
typedef struct gan_eval_blas_state {
    int blas_threads, omp_threads;
} gan_eval_blas_state;
gan_eval_blas_state gan_eval_blas_begin(void);
void gan_eval_blas_end(gan_eval_blas_state saved);

/* Eigenvalues (ascending, into w) and, when vectors is true, orthonormal
 * eigenvectors (in the columns of a, row-major d x d, overwritten) of the
 * symmetric matrix a, with LAPACKE_dsyevd run single-threaded. */
gan_status gan_eval_symmetric_eigen(double *a, int d, double *w, bool vectors);

#endif /* GAN_EVAL_INTERNAL_H */
