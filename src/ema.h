/*
 * ema.h - the decay of the generator's moving average at one update, shared
 * by the CPU and CUDA kernels (ema_update), the trainer's tools and tests.
 *
 * With warm-up (gan_train_options.ema_warmup, TensorFlow's
 * ExponentialMovingAverage(num_updates)), update s = 1, 2, ... uses
 * min(decay, (1 + s) / (10 + s)): 2/11 at the first, 0.5 at s = 8, and the
 * plain decay from s = (10 D - 1) / (1 - D) on (8,991 for 0.999). The
 * expression is float arithmetic, every operation correctly rounded, so the
 * CPU and the GPU get the same bits.
 */
#ifndef GAN_EMA_H
#define GAN_EMA_H

#include <stdint.h>

#ifdef __CUDACC__
#define GAN_EMA_FN __host__ __device__ static inline
#else
#define GAN_EMA_FN static inline
#endif

/* The decay of update s = done + 1, where `done` updates came before it. */
GAN_EMA_FN float gan_ema_warmup_decay(float decay, int64_t done) {
    float s = (float)(done + 1);
    float w = (1.0f + s) / (10.0f + s);
    return w < decay ? w : decay;
}

#endif
