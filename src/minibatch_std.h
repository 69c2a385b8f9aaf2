/*
 * minibatch_std.h - what the minibatch standard deviation's CPU and CUDA
 * kernels (src/cpu/minibatch_std.c, src/cuda/minibatch_std.cu) and its layer
 * (src/layers/minibatch_stddev.c) share: the size of the feature chunks whose
 * partial sums the forward keeps in the layer's work, and one feature's
 * statistics over its group, in double (every operation correctly rounded,
 * so the CPU and the GPU get the same bits).
 */
#ifndef GAN_MINIBATCH_STD_H
#define GAN_MINIBATCH_STD_H

#include <math.h>
#include <stddef.h>

#ifdef __CUDACC__
#define GAN_MBSTD_FN __host__ __device__ static inline
#else
#define GAN_MBSTD_FN static inline
#endif

/* features per partial sum (backend_kernels.def: minibatch_std_forward) */
#define GAN_MBSTD_CHUNK 64

/* The partial sums of one group of rows with F features: ceil(F / 64). */
GAN_MBSTD_FN size_t gan_mbstd_chunks(size_t F) {
    return (F + GAN_MBSTD_CHUNK - 1) / GAN_MBSTD_CHUNK;
}

/* Feature f of group m: the mean and the standard deviation sqrt(var + eps)
 * (var biased) of x[g M + m][f] over g < G, x with F features per row. */
GAN_MBSTD_FN void gan_mbstd_stats(const float *x, int m, int M, int G, size_t F, size_t f,
                                  float eps, double *mean, double *sd) {
    double s = 0, v = 0;
    for (int g = 0; g < G; g++) s += x[((size_t)g * M + m) * F + f];
    double mu = s / G;
    for (int g = 0; g < G; g++) {
        double d = x[((size_t)g * M + m) * F + f] - mu;
        v += d * d;
    }
    *mean = mu;
    *sd = sqrt(v / G + (double)eps);
}

#endif
