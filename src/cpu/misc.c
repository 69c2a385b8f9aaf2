/*
 * misc.c - CPU kernels for dropout (counter-based masks),
 * spectral normalization (one power iteration, PyTorch semantics), label
 * conditioning (appending one-hot or embedding channels) and the training
 * loop's batch loading and step counter. See backend_kernels.def.
 *
 * Determinism: dropout masks are a pure function of (seed, stream, element
 * index); every sum here is owned by one thread and runs in an order fixed
 * by the shapes.
 */
#include "cpu_common.h"
#include "rng.h"

#include <math.h>
#include <string.h>

#define DROPOUT_BLOCKS 4096 /* Philox blocks (4 elements each) per thread chunk */

/* keep[k] for elements 4 blk + k, as gan_rng_uniform draws them. */
static void dropout_block(uint64_t seed, uint64_t stream, size_t blk, float p, float keep[4]) {
    uint32_t r[4];
    gan_philox(seed, stream, blk, r);
    for (int k = 0; k < 4; k++) keep[k] = (float)(r[k] >> 8) * (1.0f / 16777216.0f) >= p;
}

static void dropout_apply(float *out, const float *in, size_t n, float p, uint64_t seed,
                          uint64_t stream) {
    float scale = 1.0f / (1.0f - p);
    size_t blocks = (n + 3) / 4, chunks = (blocks + DROPOUT_BLOCKS - 1) / DROPOUT_BLOCKS;
#pragma omp parallel for schedule(static) if (chunks > 1)
    for (size_t c = 0; c < chunks; c++) {
        size_t b_end = (c + 1) * DROPOUT_BLOCKS < blocks ? (c + 1) * DROPOUT_BLOCKS : blocks;
        for (size_t blk = c * DROPOUT_BLOCKS; blk < b_end; blk++) {
            float keep[4];
            dropout_block(seed, stream, blk, p, keep);
            for (size_t k = 0; k < 4 && blk * 4 + k < n; k++)
                out[blk * 4 + k] = in[blk * 4 + k] * keep[k] * scale;
        }
    }
}

void gan_cpu_dropout_forward(void *ctx, float *y, const float *x, size_t n, float p, uint64_t seed,
                             uint64_t stream) {
    dropout_apply(y, x, n, p, seed, stream);
}

void gan_cpu_dropout_backward(void *ctx, float *dx, const float *dy, size_t n, float p,
                              uint64_t seed, uint64_t stream) {
    dropout_apply(dx, dy, n, p, seed, stream);
}

static double row_dot(const float *a, const float *b, int n) {
    double acc = 0;
    for (int j = 0; j < n; j++) acc += (double)a[j] * b[j];
    return acc;
}

void gan_cpu_spectral_norm_forward(void *ctx, float *w, float *sigma, float *u, float *v,
                                   const float *w_orig, int rows, int cols, bool power_iteration,
                                   float eps) {
    if (power_iteration) {
        /* v = normalize(W^T u): each column owned by one thread, rows in order */
#pragma omp parallel for schedule(static) if ((size_t)rows * cols > 65536)
        for (int j = 0; j < cols; j++) {
            double acc = 0;
            for (int r = 0; r < rows; r++) acc += (double)w_orig[(size_t)r * cols + j] * u[r];
            v[j] = (float)acc;
        }
        double nv = sqrt(row_dot(v, v, cols));
        float sv = (float)(1.0 / fmax(nv, (double)eps));
        for (int j = 0; j < cols; j++) v[j] *= sv;
        /* u = normalize(W v) */
#pragma omp parallel for schedule(static) if ((size_t)rows * cols > 65536)
        for (int r = 0; r < rows; r++) u[r] = (float)row_dot(w_orig + (size_t)r * cols, v, cols);
        double nu = sqrt(row_dot(u, u, rows));
        float su = (float)(1.0 / fmax(nu, (double)eps));
        for (int r = 0; r < rows; r++) u[r] *= su;
    }
    double s = 0;
    for (int r = 0; r < rows; r++) s += (double)u[r] * row_dot(w_orig + (size_t)r * cols, v, cols);
    *sigma = (float)s;
    float inv = 1.0f / (float)s;
    size_t n = (size_t)rows * cols;
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) w[i] = w_orig[i] * inv;
}

void gan_cpu_spectral_norm_backward(void *ctx, float *dw_orig, const float *dw, const float *w,
                                    const float *u, const float *v, const float *sigma, int rows,
                                    int cols) {
    double dot = 0;
    for (int r = 0; r < rows; r++)
        dot += row_dot(dw + (size_t)r * cols, w + (size_t)r * cols, cols);
    float inv = 1.0f / *sigma, fdot = (float)dot;
#pragma omp parallel for schedule(static) if ((size_t)rows * cols > 65536)
    for (int r = 0; r < rows; r++) {
        const float *g = dw + (size_t)r * cols;
        float *out = dw_orig + (size_t)r * cols, ur = fdot * u[r];
#pragma omp simd
        for (int j = 0; j < cols; j++) out[j] += (g[j] - ur * v[j]) * inv;
    }
}

void gan_cpu_label_concat_forward(void *ctx, float *y, const float *x, const int32_t *labels,
                                  const float *table, int N, int C, int P, int n_classes, int D) {
    size_t in = (size_t)C * P, out = (size_t)(C + D) * P;
#pragma omp parallel for schedule(static) if ((size_t)N * out > 65536)
    for (int n = 0; n < N; n++) {
        float *yn = y + (size_t)n * out;
        memcpy(yn, x + (size_t)n * in, in * sizeof *yn);
        int label = labels ? labels[n] : -1;
        bool valid = label >= 0 && label < n_classes;
        for (int k = 0; k < D; k++) {
            float val = !valid ? 0.0f
                        : table ? table[(size_t)label * D + k]
                                : (float)(k == label);
            float *plane = yn + in + (size_t)k * P;
            for (int q = 0; q < P; q++) plane[q] = val;
        }
    }
}

void gan_cpu_label_concat_backward(void *ctx, float *dx, float *dtable, const float *dy,
                                   const int32_t *labels, int N, int C, int P, int n_classes,
                                   int D) {
    size_t in = (size_t)C * P, out = (size_t)(C + D) * P;
    if (dx) {
#pragma omp parallel for schedule(static) if ((size_t)N * in > 65536)
        for (int n = 0; n < N; n++) memcpy(dx + (size_t)n * in, dy + (size_t)n * out, in * 4);
    }
    if (!dtable || !labels) return;
    /* each table column k is owned by one thread; rows n in order */
#pragma omp parallel for schedule(static) if ((size_t)N * D * P > 65536)
    for (int k = 0; k < D; k++) {
        for (int n = 0; n < N; n++) {
            int label = labels[n];
            if (label < 0 || label >= n_classes) continue;
            const float *plane = dy + (size_t)n * out + in + (size_t)k * P;
            float sum = 0.0f;
            for (int q = 0; q < P; q++) sum += plane[q];
            dtable[(size_t)label * D + k] += sum;
        }
    }
}

void gan_cpu_load_batch_u8(void *ctx, float *rows, int32_t *labels, const uint8_t *pixels,
                           const uint8_t *pixel_labels, const uint32_t *order,
                           const int64_t *step, int64_t per_epoch, int K, int k, int B,
                           size_t img) {
    int64_t pos = (*step % per_epoch) * K + k;
    if (labels)
        for (int b = 0; b < B; b++) labels[b] = pixel_labels[order[pos * B + b]];
#pragma omp parallel for schedule(static) if ((size_t)B * img > 65536)
    for (int b = 0; b < B; b++) {
        const uint8_t *src = pixels + (size_t)order[pos * B + b] * img;
        float *dst = rows + (size_t)b * img;
        for (size_t i = 0; i < img; i++) dst[i] = ((float)src[i] - 127.5f) / 127.5f;
    }
}

void gan_cpu_step_advance(void *ctx, int64_t *step, uint64_t *stream, uint64_t stream_base,
                          int64_t *step_b, uint64_t *stream_b, uint64_t stream_base_b) {
    *step += 1;
    *stream = stream_base | (uint64_t)*step;
    if (!step_b) return;
    *step_b += 1;
    *stream_b = stream_base_b | (uint64_t)*step_b;
}
