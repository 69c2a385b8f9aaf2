/*
 * classify.c - CPU kernels for classifier networks: max pooling
 * over square windows (forward, and backward routing each window's gradient
 * to its first maximum) and softmax cross-entropy from logits. See
 * backend_kernels.def.
 *
 * Determinism: pooling gives each (image, channel) plane to one thread,
 * which visits its windows in row-major order; the cross-entropy sums its
 * rows in order on one thread (N x K is a batch of logits: small).
 */
#include "cpu_common.h"

#include <math.h>
#include <string.h>

void gan_cpu_maxpool2d_forward(void *ctx, float *y, const float *x, int N,
                               const gan_conv_shape *cs) {
    int H = cs->H, W = cs->W, k = cs->k, s = cs->s, OH = cs->OH, OW = cs->OW;
    int64_t planes = (int64_t)N * cs->C;
#pragma omp parallel for schedule(static) if (planes * H * W > 65536)
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *xp = x + (size_t)pl * H * W;
        float *yp = y + (size_t)pl * OH * OW;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                const float *win = xp + (size_t)oh * s * W + (size_t)ow * s;
                float m = win[0];
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++)
                        m = win[(size_t)i * W + j] > m ? win[(size_t)i * W + j] : m;
                yp[(size_t)oh * OW + ow] = m;
            }
    }
}

void gan_cpu_maxpool2d_backward(void *ctx, float *dx, const float *x, const float *y,
                                const float *dy, int N, const gan_conv_shape *cs) {
    int H = cs->H, W = cs->W, k = cs->k, s = cs->s, OH = cs->OH, OW = cs->OW;
    int64_t planes = (int64_t)N * cs->C;
#pragma omp parallel for schedule(static) if (planes * H * W > 65536)
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *xp = x + (size_t)pl * H * W;
        const float *yp = y + (size_t)pl * OH * OW, *gp = dy + (size_t)pl * OH * OW;
        float *dp = dx + (size_t)pl * H * W;
        memset(dp, 0, (size_t)H * W * sizeof *dp);
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                size_t base = (size_t)oh * s * W + (size_t)ow * s, o = (size_t)oh * OW + ow;
                size_t at = base; /* the first maximum (a NaN window keeps its first element) */
                for (int i = 0, found = 0; i < k && !found; i++)
                    for (int j = 0; j < k; j++)
                        if (xp[base + (size_t)i * W + j] == yp[o]) {
                            at = base + (size_t)i * W + j;
                            found = 1;
                            break;
                        }
                dp[at] += gp[o];
            }
    }
}

double gan_cpu_softmax_xent(void *ctx, float *dl, const float *l, const int32_t *labels, int N,
                            int K, float scale, int64_t *correct) {
    double total = 0.0;
    int64_t right = 0;
    for (int n = 0; n < N; n++) {
        const float *row = l + (size_t)n * K;
        int best = 0;
        for (int k = 1; k < K; k++)
            if (row[k] > row[best]) best = k;
        double mx = row[best], sum = 0.0;
        for (int k = 0; k < K; k++) sum += exp((double)row[k] - mx);
        int label = labels[n];
        total += log(sum) + mx - (double)row[label];
        right += best == label;
        if (dl) {
            float *d = dl + (size_t)n * K;
            for (int k = 0; k < K; k++)
                d[k] = (float)(scale * (exp((double)row[k] - mx) / sum - (k == label ? 1.0 : 0.0)));
        }
    }
    if (correct) *correct = right;
    return total;
}
