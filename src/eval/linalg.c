/*
 * linalg.c - single-threaded OpenBLAS sections and the symmetric
 * eigendecomposition (LAPACKE_dsyevd) used by the Frechet distance.
 *
 * OpenMP builds of OpenBLAS split a call by the thread count, which changes
 * the rounding; metrics must not depend on the thread count, so every BLAS
 * and LAPACK call of src/eval runs single-threaded (threads split fixed
 * blocks instead).
 */
#include "eval/eval_internal.h"

#include <cblas.h>
#include <lapacke.h>
#include <omp.h>

gan_eval_blas_state gan_eval_blas_begin(void) {
    gan_eval_blas_state s = {openblas_get_num_threads(), omp_get_max_threads()};
    openblas_set_num_threads(1);
    omp_set_num_threads(s.omp_threads); /* OpenMP builds of OpenBLAS reset it */
    return s;
}

void gan_eval_blas_end(gan_eval_blas_state saved) {
    openblas_set_num_threads(saved.blas_threads);
    omp_set_num_threads(saved.omp_threads);
}

int gan_eval_max_threads(void) {
    return omp_get_max_threads();
}

gan_status gan_eval_symmetric_eigen(double *a, int d, double *w, bool vectors) {
    gan_eval_blas_state saved = gan_eval_blas_begin();
    /* LAPACK calls BLAS; outside a parallel region an OpenMP OpenBLAS would
     * thread by omp_get_max_threads(), so pin OpenMP to one thread too. */
    omp_set_num_threads(1);
    lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, vectors ? 'V' : 'N', 'U', d, a, d, w);
    gan_eval_blas_end(saved);
    if (info < 0)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "eigendecomposition: bad argument %d",
                        (int)-info);
    if (info > 0)
        return gan_fail(GAN_ERR_NUMERIC, "eigendecomposition of a %d x %d matrix did not converge",
                        d, d);
    return GAN_OK;
}
