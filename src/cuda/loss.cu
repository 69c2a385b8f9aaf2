/*
 * loss.cu - binary cross-entropy from logits, and the GAN loss terms
 * (loss_acc, backend_kernels.def) that every gan_loss is built from.
 *
 * One block of THREADS threads covers a batch of logits (n is a batch size:
 * thousands at most): each thread forms its elements' loss and sigmoid as
 * the CPU reference does (float), adds them in double, and the block adds
 * the partial sums in a fixed tree, so the sums are deterministic. bce_logits
 * adds its sums (double) to the context's scratch and copies them back to
 * the host (it waits); loss_acc adds them (float) to a device buffer, so
 * nothing comes back to the host. loss_terms runs one or two parts in one
 * block (D's real and fake halves), each exactly as its own loss_acc, with
 * D's last bias (added to the outputs, its gradient summed in double).
 */
#include "cuda_common.cuh"

#include <math.h>

#define THREADS 512

__global__ void __launch_bounds__(THREADS)
    bce_logits_kernel(float *__restrict__ dl, const float *__restrict__ l,
                      const float *__restrict__ t, size_t n, float scale, double *sums) {
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
        sums[0] += s_loss[0];
        sums[1] += s_prob[0];
    }
}

double gan_cuda_bce_logits(void *ctx, float *dl, const float *l, const float *t, size_t n,
                           float scale, double *prob_sum) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    double host[2] = {0.0, 0.0};
    if (n > 0) {
        GAN_CUDA_NOTE(cu, cudaMemsetAsync(cu->scratch, 0, 2 * sizeof(double), cu->stream));
        bce_logits_kernel<<<1, THREADS, 0, cu->stream>>>(dl, l, t, n, scale, cu->scratch);
        GAN_CUDA_LAUNCHED(cu, "bce_logits_kernel");
        GAN_CUDA_NOTE(cu, cudaMemcpyAsync(host, cu->scratch, sizeof host, cudaMemcpyDeviceToHost,
                                      cu->stream));
        GAN_CUDA_NOTE(cu, cudaStreamSynchronize(cu->stream));
        if (cu->err != GAN_OK) host[0] = host[1] = NAN; /* reported at the next check */
    }
    if (prob_sum) *prob_sum = host[1];
    return host[0];
}

/* The loss terms of loss_acc (backend_kernels.def), element by element as
 * src/cpu/loss.c computes them, for one block; with bias, l = l + bias[0]
 * first, in place. Returns this thread's sum of its dl (double). */
__device__ static double loss_acc_block(float *__restrict__ dl, float *__restrict__ l, size_t n,
                                        int term, float t, float scale, float *sums,
                                        const float *__restrict__ bias) {
    __shared__ double s_loss[THREADS], s_rep[THREADS];
    double loss = 0.0, reported = 0.0, dsum = 0.0;
    float b = bias ? bias[0] : 0.0f;
    __syncthreads(); /* a previous part's sums are read */
    for (size_t i = threadIdx.x; i < n; i += THREADS) {
        float z = l[i], f = 0.0f, g = 0.0f;
        if (bias) {
            z = z + b;
            l[i] = z;
        }
        float r = z;
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
        if (dl) {
            float d = scale * g;
            dl[i] = d;
            dsum += (double)d;
        }
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
    return dsum;
}

__global__ void __launch_bounds__(THREADS)
    loss_acc_kernel(float *__restrict__ dl, const float *__restrict__ l, size_t n, int term,
                    float t, float scale, float *sums) {
    loss_acc_block(dl, (float *)l, n, term, t, scale, sums, NULL); /* l only read */
}

/* loss_terms: one block, the parts in turn (each as loss_acc_kernel), then
 * db[0] += the block's sum of dl in a fixed tree */
__global__ void __launch_bounds__(THREADS)
    loss_terms_kernel(float *__restrict__ dl, float *__restrict__ l, size_t n, int parts,
                      int term_a, float t_a, float *sums_a, int term_b, float t_b,
                      float *sums_b, float scale, const float *__restrict__ bias,
                      float *__restrict__ db) {
    __shared__ double s_db[THREADS];
    double d = loss_acc_block(dl, l, n, term_a, t_a, scale, sums_a, bias);
    if (parts == 2)
        d += loss_acc_block(dl ? dl + n : NULL, l + n, n, term_b, t_b, scale, sums_b, bias);
    if (!bias || !db || !dl) return;
    s_db[threadIdx.x] = d;
    __syncthreads();
    for (int half = THREADS / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) s_db[threadIdx.x] += s_db[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0) db[0] += (float)s_db[0];
}

void gan_cuda_loss_terms(void *ctx, float *dl, float *l, size_t n, int parts,
                         gan_loss_term term_a, float t_a, float *sums_a, gan_loss_term term_b,
                         float t_b, float *sums_b, float scale, const float *bias, float *db) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (n == 0) return;
    loss_terms_kernel<<<1, THREADS, 0, cu->stream>>>(dl, l, n, parts, (int)term_a, t_a, sums_a,
                                                     (int)term_b, t_b, sums_b, scale, bias, db);
    GAN_CUDA_LAUNCHED(cu, "loss_terms_kernel");
}

void gan_cuda_loss_acc(void *ctx, float *dl, const float *l, size_t n, gan_loss_term term, float t,
                       float scale, float *sums) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (n == 0) return;
    loss_acc_kernel<<<1, THREADS, 0, cu->stream>>>(dl, l, n, (int)term, t, scale, sums);
    GAN_CUDA_LAUNCHED(cu, "loss_acc_kernel");
}
