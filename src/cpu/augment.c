/*
 * augment.c - CPU kernels of augmentation: DiffAugment's color,
 * translation and cutout (forward and backward) and the mirror of real
 * images, from per-image uniforms (formulas in src/augment.h; the CUDA twin
 * is src/cuda/augment.cu). See backend_kernels.def.
 *
 * Determinism: one thread owns an image; its sums run in a fixed order, in
 * double.
 */
#include "augment.h"
#include "cpu_common.h"

#include <string.h>

/* y = c (s (x - m) + (m - M)) + M + b per image (in place allowed). */
static void color(float *y, const float *x, const float *params, int N, int C, int P,
                  int backward) {
#pragma omp parallel for schedule(static) if (N > 1 && (size_t)N * C * P > 16384)
    for (int n = 0; n < N; n++) {
        const float *xn = x + (size_t)n * C * P;
        float *yn = y + (size_t)n * C * P;
        float b, s, c;
        gan_aug_color(params + (size_t)n * GAN_AUG_PARAMS, backward, &b, &s, &c);
        double sum = 0;
        for (size_t i = 0; i < (size_t)C * P; i++) sum += xn[i];
        float M = (float)(sum / ((double)C * P));
        for (int p = 0; p < P; p++) gan_aug_color_pixel(yn, xn, C, P, p, M, b, s, c);
    }
}

void gan_cpu_augment_color_forward(void *ctx, float *y, const float *x, const float *params,
                                   int N, int C, int P) {
    color(y, x, params, N, C, P, 0);
}

void gan_cpu_augment_color_backward(void *ctx, float *dx, const float *dy, const float *params,
                                    int N, int C, int P) {
    color(dx, dy, params, N, C, P, 1);
}

/* y[i][j] = x[i + sign ty][j + sign tx], 0 outside. */
static void translate(float *y, const float *x, const float *params, int N, int C, int H, int W,
                      int sign) {
#pragma omp parallel for schedule(static) if ((size_t)N * C * H * W > 16384)
    for (int nc = 0; nc < N * C; nc++) {
        const float *u = params + (size_t)(nc / C) * GAN_AUG_PARAMS;
        int ty = sign * gan_aug_shift(u[GAN_AUG_U_SHIFT_Y], H);
        int tx = sign * gan_aug_shift(u[GAN_AUG_U_SHIFT_X], W);
        const float *xc = x + (size_t)nc * H * W;
        float *yc = y + (size_t)nc * H * W;
        for (int i = 0; i < H; i++) {
            int si = i + ty;
            for (int j = 0; j < W; j++) {
                int sj = j + tx;
                bool in = si >= 0 && si < H && sj >= 0 && sj < W;
                yc[(size_t)i * W + j] = in ? xc[(size_t)si * W + sj] : 0.0f;
            }
        }
    }
}

void gan_cpu_augment_translation_forward(void *ctx, float *y, const float *x,
                                         const float *params, int N, int C, int H, int W) {
    translate(y, x, params, N, C, H, W, 1);
}

void gan_cpu_augment_translation_backward(void *ctx, float *dx, const float *dy,
                                          const float *params, int N, int C, int H, int W) {
    translate(dx, dy, params, N, C, H, W, -1);
}

void gan_cpu_augment_cutout(void *ctx, float *y, const float *x, const float *params, int N,
                            int C, int H, int W) {
#pragma omp parallel for schedule(static) if ((size_t)N * C * H * W > 16384)
    for (int nc = 0; nc < N * C; nc++) {
        const float *u = params + (size_t)(nc / C) * GAN_AUG_PARAMS;
        int hy, hx;
        int y0 = gan_aug_cut_start(u[GAN_AUG_U_CUT_Y], H, &hy);
        int x0 = gan_aug_cut_start(u[GAN_AUG_U_CUT_X], W, &hx);
        const float *xc = x + (size_t)nc * H * W;
        float *yc = y + (size_t)nc * H * W;
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                bool cut = i >= y0 && i < y0 + hy && j >= x0 && j < x0 + hx;
                yc[(size_t)i * W + j] = cut ? 0.0f : xc[(size_t)i * W + j];
            }
    }
}

void gan_cpu_mirror(void *ctx, float *x, const float *params, int N, int C, int H, int W) {
#pragma omp parallel for schedule(static) if ((size_t)N * C * H * W > 16384)
    for (int nc = 0; nc < N * C; nc++) {
        if (!(params[(size_t)(nc / C) * GAN_AUG_PARAMS + GAN_AUG_U_MIRROR] < 0.5f)) continue;
        float *xc = x + (size_t)nc * H * W;
        for (int i = 0; i < H; i++) {
            float *row = xc + (size_t)i * W;
            for (int j = 0; j < W / 2; j++) {
                float tmp = row[j];
                row[j] = row[W - 1 - j];
                row[W - 1 - j] = tmp;
            }
        }
    }
}
