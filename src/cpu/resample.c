/*
 * resample.c - CPU kernels that move values between resolutions or apply a
 * per-row affine: block sums and their adjoint (average and global sum
 * pooling, nearest upsampling), the per-class affine of conditional batch
 * norm, and axpy (the sum of a residual block's paths). The CPU twin of
 * src/cuda/resample.cu; semantics in backend_kernels.def.
 *
 * Determinism: every output element (and every per-class gradient column)
 * is formed by one thread, in an order fixed by the shapes, with double
 * sums rounded once; the CUDA kernels use the same order, so both give the
 * same bits.
 */
#include "cpu_common.h"

#define PAR_MIN 32768 /* elements below which one thread does it all */

void gan_cpu_block_sum(void *ctx, float *y, const float *x, int count, int H, int W, int fh,
                       int fw, float scale) {
    int OH = H / fh, OW = W / fw;
#pragma omp parallel for schedule(static) if ((size_t)count * H * W > PAR_MIN)
    for (int pl = 0; pl < count; pl++) {
        const float *in = x + (size_t)pl * H * W;
        float *out = y + (size_t)pl * OH * OW;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                double s = 0;
                for (int i = 0; i < fh; i++)
                    for (int j = 0; j < fw; j++) s += in[(size_t)(oh * fh + i) * W + ow * fw + j];
                out[oh * OW + ow] = (float)s * scale;
            }
    }
}

void gan_cpu_block_spread(void *ctx, float *x, const float *y, int count, int H, int W, int fh,
                          int fw, float scale) {
    int OH = H / fh, OW = W / fw;
#pragma omp parallel for schedule(static) if ((size_t)count * H * W > PAR_MIN)
    for (int pl = 0; pl < count; pl++) {
        const float *in = y + (size_t)pl * OH * OW;
        float *out = x + (size_t)pl * H * W;
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++) {
                int oh = h / fh, ow = w / fw;
                out[(size_t)h * W + w] = oh < OH && ow < OW ? in[oh * OW + ow] * scale : 0.0f;
            }
    }
}

static int valid_label(const int32_t *labels, int n, int n_classes) {
    int label = labels ? labels[n] : -1;
    return label >= 0 && label < n_classes ? label : -1;
}

void gan_cpu_class_affine_forward(void *ctx, float *y, const float *x, const int32_t *labels,
                                  const float *gamma, const float *beta, int N, int C, int P,
                                  int n_classes) {
#pragma omp parallel for schedule(static) if ((size_t)N * C * P > PAR_MIN)
    for (int nc = 0; nc < N * C; nc++) {
        int label = valid_label(labels, nc / C, n_classes), c = nc % C;
        float g = label < 0 ? 1.0f : gamma[(size_t)label * C + c];
        float b = label < 0 ? 0.0f : beta[(size_t)label * C + c];
        const float *in = x + (size_t)nc * P;
        float *out = y + (size_t)nc * P;
        for (int q = 0; q < P; q++) out[q] = in[q] * g + b;
    }
}

void gan_cpu_class_affine_backward(void *ctx, float *dx, float *dgamma, float *dbeta,
                                   const float *dy, const float *x, const int32_t *labels,
                                   const float *gamma, int N, int C, int P, int n_classes) {
    if (dx) {
#pragma omp parallel for schedule(static) if ((size_t)N * C * P > PAR_MIN)
        for (int nc = 0; nc < N * C; nc++) {
            int label = valid_label(labels, nc / C, n_classes);
            float g = label < 0 ? 1.0f : gamma[(size_t)label * C + nc % C];
            const float *in = dy + (size_t)nc * P;
            float *out = dx + (size_t)nc * P;
            for (int q = 0; q < P; q++) out[q] = in[q] * g;
        }
    }
    if (!dgamma && !dbeta) return;
    /* channel c is one thread's: the rows are added to their class in order */
#pragma omp parallel for schedule(static) if ((size_t)N * C * P > PAR_MIN)
    for (int c = 0; c < C; c++)
        for (int n = 0; n < N; n++) {
            int label = valid_label(labels, n, n_classes);
            if (label < 0) continue;
            const float *g = dy + ((size_t)n * C + c) * P, *in = x + ((size_t)n * C + c) * P;
            double sg = 0, sb = 0;
            for (int q = 0; q < P; q++) sg += (double)g[q] * in[q], sb += g[q];
            size_t at = (size_t)label * C + c;
            if (dgamma) dgamma[at] += (float)sg;
            if (dbeta) dbeta[at] += (float)sb;
        }
}

void gan_cpu_axpy(void *ctx, float *y, const float *x, size_t n, float alpha) {
    size_t chunks = (n + GAN_CPU_ELEMENTWISE_CHUNK - 1) / GAN_CPU_ELEMENTWISE_CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 2)
    for (size_t c = 0; c < chunks; c++) {
        size_t end = GAN_CPU_MIN((c + 1) * GAN_CPU_ELEMENTWISE_CHUNK, n);
        for (size_t i = c * GAN_CPU_ELEMENTWISE_CHUNK; i < end; i++) y[i] += alpha * x[i];
    }
}
