/*
 * loss.cu - binary cross-entropy from logits, and the GAN loss terms
 * (loss_acc, backend.h) that every gan_loss is built from.
 *
 * One block of THREADS threads covers a batch of logits (n is a batch size:
 * thousands at most): each thread forms its elements' loss and sigmoid as
 * the CPU reference does (float), adds them in double, and the block adds
 * the partial sums in a fixed tree, so the sums are deterministic. The sums
 * are then ADDED to a device buffer: float (bce_logits_acc, nothing comes
 * back to the host) or double (the host-returning bce_logits, which copies
 * them back and waits).
 */
#include "cuda_common.cuh"

#include <math.h>

#define THREADS 512

template <typename T>
__global__ void __launch_bounds__(THREADS)
    bce_logits_kernel(float *__restrict__ dl, const float *__restrict__ l,
                      const float *__restrict__ t, size_t n, float scale, T *sums) {
    __shared__ double s_loss[THREADS], s_prob[THREADS];
    double loss = 0.0, probs = 0.0;
    for (size_t i = threadIdx.x; i < n; i += THREADS) {
        float z = l[i];
        float e = expf(-fabsf(z));
        float p = z >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e); /* sigmoid, no overflow */
        loss += (double)(fmaxf(z, 0.0f) - z * t[i] + log1pf(e));
        probs += p;
        if (dl) dl[i] = scale * (p - t[i]);
    }
    s_loss[threadIdx.x] = loss;
    s_prob[threadIdx.x] = probs;
    __syncthreads();
    for (int half = THREADS / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) {
            s_loss[threadIdx.x] += s_loss[threadIdx.x + half];
            s_prob[threadIdx.x] += s_prob[threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        sums[0] += (T)s_loss[0];
        sums[1] += (T)s_prob[0];
    }
}

void gan_cuda_bce_logits_acc(float *dl, const float *l, const float *t, size_t n, float scale,
                             float *sums) {
    if (n == 0) return;
    bce_logits_kernel<float><<<1, THREADS, 0, gan_cuda.stream>>>(dl, l, t, n, scale, sums);
    GAN_CUDA_LAUNCHED("bce_logits_kernel<float>");
}

double gan_cuda_bce_logits(float *dl, const float *l, const float *t, size_t n, float scale,
                           double *prob_sum) {
    double host[2] = {0.0, 0.0};
    if (n > 0) {
        GAN_CUDA_NOTE(cudaMemsetAsync(gan_cuda.scratch, 0, 2 * sizeof(double), gan_cuda.stream));
        bce_logits_kernel<double>
            <<<1, THREADS, 0, gan_cuda.stream>>>(dl, l, t, n, scale, gan_cuda.scratch);
        GAN_CUDA_LAUNCHED("bce_logits_kernel<double>");
        GAN_CUDA_NOTE(cudaMemcpyAsync(host, gan_cuda.scratch, sizeof host, cudaMemcpyDeviceToHost,
                                      gan_cuda.stream));
        GAN_CUDA_NOTE(cudaStreamSynchronize(gan_cuda.stream));
        if (gan_cuda.err != GAN_OK) host[0] = host[1] = NAN; /* reported at the next check */
    }
    if (prob_sum) *prob_sum = host[1];
    return host[0];
}

/* The loss terms of backend.h's loss_acc, element by element as
 * backend_cpu_gan.c computes them. */
__global__ void __launch_bounds__(THREADS)
    loss_acc_kernel(float *__restrict__ dl, const float *__restrict__ l, size_t n, int term,
                    float t, float scale, float *sums) {
    __shared__ double s_loss[THREADS], s_rep[THREADS];
    double loss = 0.0, reported = 0.0;
    for (size_t i = threadIdx.x; i < n; i += THREADS) {
        float z = l[i], f = 0.0f, g = 0.0f, r = z;
        if (term == GAN_LOSS_TERM_BCE || term == GAN_LOSS_TERM_NEG_BCE) {
            float e = expf(-fabsf(z));
            float p = z >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
            f = fmaxf(z, 0.0f) - z * t + log1pf(e);
            g = p - t;
            if (term == GAN_LOSS_TERM_NEG_BCE) f = -f, g = -g;
            r = p;
        } else if (term == GAN_LOSS_TERM_SQUARE) {
            float d = z - t;
            f = 0.5f * d * d;
            g = d;
        } else if (term == GAN_LOSS_TERM_HINGE) {
            float m = 1.0f - t * z;
            f = m > 0.0f ? m : 0.0f;
            g = m > 0.0f ? -t : 0.0f;
        } else {
            f = t * z;
            g = t;
        }
        loss += (double)f;
        reported += (double)r;
        if (dl) dl[i] = scale * g;
    }
    s_loss[threadIdx.x] = loss;
    s_rep[threadIdx.x] = reported;
    __syncthreads();
    for (int half = THREADS / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) {
            s_loss[threadIdx.x] += s_loss[threadIdx.x + half];
            s_rep[threadIdx.x] += s_rep[threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        sums[0] += (float)s_loss[0];
        sums[1] += (float)s_rep[0];
    }
}

void gan_cuda_loss_acc(float *dl, const float *l, size_t n, gan_loss_term term, float t,
                       float scale, float *sums) {
    if (n == 0) return;
    loss_acc_kernel<<<1, THREADS, 0, gan_cuda.stream>>>(dl, l, n, (int)term, t, scale, sums);
    GAN_CUDA_LAUNCHED("loss_acc_kernel");
}
