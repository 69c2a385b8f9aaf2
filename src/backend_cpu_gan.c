/*
 * backend_cpu_gan.c - CPU kernels of the GAN objective: the loss terms that
 * every loss of gan_loss is built from (value, reported output and
 * gradient), the exponential moving average of weights, and weight
 * clipping. Semantics: backend.h (loss_acc, ema_update, clamp).
 *
 * Determinism: loss sums run over the elements in order on one thread (n is
 * a batch of discriminator outputs); the element-wise kernels are split in
 * fixed chunks, each element computed the same way at any thread count.
 */
#include "backend_cpu_kernels.h"

#include <math.h>

#define CHUNK 16384 /* elements per thread chunk of the element-wise kernels */

void gan_cpu_loss_acc(float *dl, const float *l, size_t n, gan_loss_term term, float t,
                      float scale, float *sums) {
    double loss = 0, reported = 0;
    for (size_t i = 0; i < n; i++) {
        float z = l[i], f = 0.0f, g = 0.0f, r = z;
        switch (term) {
        case GAN_LOSS_TERM_BCE:
        case GAN_LOSS_TERM_NEG_BCE: {
            float e = expf(-fabsf(z));
            float p = z >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e); /* sigmoid, no overflow */
            f = fmaxf(z, 0.0f) - z * t + log1pf(e);
            g = p - t;
            if (term == GAN_LOSS_TERM_NEG_BCE) f = -f, g = -g;
            r = p;
            break;
        }
        case GAN_LOSS_TERM_SQUARE: {
            float d = z - t;
            f = 0.5f * d * d;
            g = d;
            break;
        }
        case GAN_LOSS_TERM_HINGE: {
            float m = 1.0f - t * z;
            f = m > 0.0f ? m : 0.0f;
            g = m > 0.0f ? -t : 0.0f;
            break;
        }
        case GAN_LOSS_TERM_LINEAR:
            f = t * z;
            g = t;
            break;
        }
        loss += (double)f;
        reported += (double)r;
        if (dl) dl[i] = scale * g;
    }
    sums[0] += (float)loss;
    sums[1] += (float)reported;
}

void gan_cpu_ema_update(float *avg, const float *x, size_t n, float decay) {
    float keep = decay, take = 1.0f - decay;
    size_t chunks = (n + CHUNK - 1) / CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 2)
    for (size_t c = 0; c < chunks; c++) {
        size_t end = (c + 1) * CHUNK < n ? (c + 1) * CHUNK : n;
        for (size_t i = c * CHUNK; i < end; i++) avg[i] = keep * avg[i] + take * x[i];
    }
}

void gan_cpu_clamp(float *x, size_t n, float lo, float hi) {
    size_t chunks = (n + CHUNK - 1) / CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 2)
    for (size_t c = 0; c < chunks; c++) {
        size_t end = (c + 1) * CHUNK < n ? (c + 1) * CHUNK : n;
        for (size_t i = c * CHUNK; i < end; i++) x[i] = fminf(fmaxf(x[i], lo), hi);
    }
}
