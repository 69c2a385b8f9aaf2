/*
 * bench_gemm.c - the CPU backend's gemm against single-threaded OpenBLAS on
 * the matrix shapes of the models (lab bench): GFLOP/s of each, and the
 * largest difference between their results.
 *
 * usage: bench_gemm [threads=1]   (CPU time at 1 thread, wall time above)
 */
#define _POSIX_C_SOURCE 200809L
#include "backend.h"
#include "cpu/cpu_common.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static clockid_t clock_id = CLOCK_PROCESS_CPUTIME_ID;

static double now(void) {
    struct timespec ts;
    clock_gettime(clock_id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    gan_backend_cpu_set_threads(threads);
    if (threads != 1) clock_id = CLOCK_MONOTONIC;
    /* trans_a, trans_b, M, N, K: dcgan at batch 64 (conv groups of 83 images), mlp */
    static const int shapes[][5] = {
        {0, 0, 128, 4067, 1024}, /* D conv 2 forward: W cols */
        {0, 1, 128, 1024, 4067}, /* D conv 2 dW: dt cols^T */
        {1, 0, 1024, 4067, 128}, /* D conv 2 dcols: W^T dt */
        {1, 0, 1024, 3136, 128}, /* G convT 4 forward: W^T t */
        {0, 1, 128, 1024, 3136}, /* G convT 4 dW: t cols^T */
        {0, 0, 128, 3136, 1024}, /* G convT 4 dt: W cols */
        {0, 0, 64, 8134, 16},    /* D conv 0 forward */
        {0, 1, 64, 16, 8134},    /* D conv 0 dW */
        {0, 1, 64, 6272, 100},   /* G dense forward */
        {1, 0, 6272, 100, 64},   /* G dense dW */
        {1, 0, 6272, 100, 256},  /* G dense dW, batch 256 */
        {0, 1, 64, 256, 100},    /* mlp G dense 0 */
        {0, 1, 128, 1024, 784},  /* mlp D dense 1 forward, 2B = 128 */
        {1, 0, 1024, 784, 128},  /* mlp D dense 1 dW */
        {0, 0, 128, 784, 1024},  /* mlp dx */
    };
    size_t cap = (size_t)16 << 20;
    float *A = malloc(cap * 4), *B = malloc(cap * 4), *C = malloc(cap * 4), *R = malloc(cap * 4);
    for (size_t i = 0; i < cap; i++) A[i] = (float)(i % 7) * 0.1f - 0.3f, B[i] = (float)(i % 5) * 0.1f - 0.2f;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int ta = shapes[s][0], tb = shapes[s][1], M = shapes[s][2], N = shapes[s][3],
            K = shapes[s][4];
        int lda = ta ? M : K, ldb = tb ? K : N;
        double fl = 2.0 * M * N * K;
        int reps = (int)(1e9 / fl) + 1;
        double t[2];
        for (int e = 0; e < 2; e++) {
            float *out = e ? C : R;
            t[e] = now(); /* again after the warm-up call (r = -1) */
            for (int r = -1; r < reps; r++) {
                if (r == 0) t[e] = now();
                if (e == 0)
                    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                                tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb,
                                0.0f, out, N);
                else
                    gan_cpu_gemm(NULL, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, out, N);
            }
            t[e] = now() - t[e];
        }
        double diff = 0, amax = 0;
        for (size_t i = 0; i < (size_t)M * N; i++)
            diff = fmax(diff, fabs(C[i] - R[i])), amax = fmax(amax, fabs(R[i]));
        printf("%s%s M %5d N %5d K %5d: OpenBLAS %6.1f  gan %6.1f GFLOP/s  (x%.2f, max diff %.1e "
               "of %.1e)\n", ta ? "T" : "N", tb ? "T" : "N", M, N, K, fl * reps / t[0] / 1e9,
               fl * reps / t[1] / 1e9, t[0] / t[1], diff, amax);
    }
    return 0;
}
