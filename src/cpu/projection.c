/*
 * projection.c - CPU kernels of the projection head of a conditional
 * discriminator (Miyato & Koyama 2018): the dot product of each row's
 * features with its class's embedding, and its backward. The CPU twin of
 * src/cuda/projection.cu; semantics in backend_kernels.def.
 *
 * Determinism: a row's dot product is one double sum in channel order; the
 * table's gradient gives channel c to one thread, which adds the rows in
 * order. The CUDA kernels use the same order, so both give the same bits.
 */
#include "cpu_common.h"

#define PAR_MIN 32768 /* elements below which one thread does it all */

static int valid_label(const int32_t *labels, int n, int n_classes) {
    int label = labels ? labels[n] : -1;
    return label >= 0 && label < n_classes ? label : -1;
}

void gan_cpu_class_dot_forward(void *ctx, float *y, const float *h, const int32_t *labels,
                               const float *table, int N, int C, int n_classes) {
#pragma omp parallel for schedule(static) if ((size_t)N * C > PAR_MIN)
    for (int n = 0; n < N; n++) {
        int label = valid_label(labels, n, n_classes);
        if (label < 0) continue;
        const float *e = table + (size_t)label * C, *x = h + (size_t)n * C;
        double s = 0;
        for (int c = 0; c < C; c++) s += (double)e[c] * x[c];
        y[n] += (float)s;
    }
}

void gan_cpu_class_dot_backward(void *ctx, float *dh, float *dtable, const float *dy,
                                const float *h, const int32_t *labels, const float *table, int N,
                                int C, int n_classes) {
    if (dh) {
#pragma omp parallel for schedule(static) if ((size_t)N * C > PAR_MIN)
        for (int n = 0; n < N; n++) {
            int label = valid_label(labels, n, n_classes);
            if (label < 0) continue;
            const float *e = table + (size_t)label * C;
            float *out = dh + (size_t)n * C;
            for (int c = 0; c < C; c++) out[c] += dy[n] * e[c];
        }
    }
    if (!dtable) return;
#pragma omp parallel for schedule(static) if ((size_t)N * C > PAR_MIN)
    for (int c = 0; c < C; c++)
        for (int n = 0; n < N; n++) {
            int label = valid_label(labels, n, n_classes);
            if (label >= 0) dtable[(size_t)label * C + c] += dy[n] * h[(size_t)n * C + c];
        }
}
