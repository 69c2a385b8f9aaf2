/*
 * augment.h - the per-image random parameters of augmentation, shared by the
 * CPU kernels (src/cpu/augment.c) and the CUDA kernels (src/cuda/augment.cu)
 * so both turn the same uniforms into the same integers.
 *
 * Differentiable augmentation follows DiffAugment (Zhao et al. 2020,
 * github.com/mit-han-lab/data-efficient-gans, DiffAugment_pytorch.py), in
 * the order color, translation, cutout; `--mirror` flips real images. Each
 * image n of a batch has GAN_AUG_PARAMS uniforms u in [0, 1) at params[n *
 * GAN_AUG_PARAMS + GAN_AUG_U_*], drawn from one random stream per use:
 *   color        brightness b = u - 0.5; saturation s = 2u; contrast c = u +
 *                0.5: y = c (s (x - m) + (m - M)) + M + b, with m the mean
 *                over channels of a pixel and M the mean of the whole image
 *                (what DiffAugment's three steps give: brightness moves m and
 *                M by b, saturation keeps M)
 *   translation  y[i][j] = x[i + ty][j + tx], 0 outside; ty, tx uniform
 *                integers in [-s, s], s = round(H / 8) (W / 8 for tx)
 *   cutout       a size = round(H / 2) x round(W / 2) square of zeros at
 *                rows [oy - size / 2, oy - size / 2 + size) (clipped), oy
 *                uniform in [0, H + 1 - size % 2) (likewise x)
 *   mirror       x[i][j] = x[i][W - 1 - j] when u < 1/2
 * A uniform integer in [0, n) is floor(u n) in float arithmetic (u has 24
 * bits: the bias is below 2^-20 for the sizes here).
 */
#ifndef GAN_AUGMENT_H
#define GAN_AUGMENT_H

#include <stddef.h>

#ifdef __CUDACC__
#define GAN_AUG_FN __host__ __device__ static inline
#else
#define GAN_AUG_FN static inline
#endif

#define GAN_AUG_PARAMS 8 /* uniforms per image (two Philox blocks) */

enum {
    GAN_AUG_U_BRIGHTNESS = 0,
    GAN_AUG_U_SATURATION = 1,
    GAN_AUG_U_CONTRAST = 2,
    GAN_AUG_U_SHIFT_Y = 3,
    GAN_AUG_U_SHIFT_X = 4,
    GAN_AUG_U_CUT_Y = 5,
    GAN_AUG_U_CUT_X = 6,
    GAN_AUG_U_MIRROR = 7
};

/* floor(u n) for u in [0, 1), within [0, n). */
GAN_AUG_FN int gan_aug_below(float u, int n) {
    int k = (int)(u * (float)n);
    return k < n ? k : n - 1;
}

/* The shift of translation along an axis of `size` pixels. */
GAN_AUG_FN int gan_aug_shift(float u, int size) {
    int s = (size + 4) / 8; /* int(size * 0.125 + 0.5) */
    return gan_aug_below(u, 2 * s + 1) - s;
}

/* The first row (column) of cutout's square along an axis of `size` pixels,
 * and its length *len. */
GAN_AUG_FN int gan_aug_cut_start(float u, int size, int *len) {
    int cut = (size + 1) / 2; /* int(size * 0.5 + 0.5) */
    *len = cut;
    return gan_aug_below(u, size + 1 - cut % 2) - cut / 2;
}

/* The color parameters b, s, c of one image (all 0, 1, 1 for the backward,
 * which is the same map without brightness: the map is symmetric in x). */
GAN_AUG_FN void gan_aug_color(const float *u, int backward, float *b, float *s, float *c) {
    *b = backward ? 0.0f : u[GAN_AUG_U_BRIGHTNESS] - 0.5f;
    *s = u[GAN_AUG_U_SATURATION] * 2.0f;
    *c = u[GAN_AUG_U_CONTRAST] + 0.5f;
}

/* One pixel p of color's output: yn (C, P) from xn (C, P) of an image with
 * mean M and parameters b, s, c (y may be x: the pixel's channels are read
 * before any is written). The mean over channels is summed in double. */
GAN_AUG_FN void gan_aug_color_pixel(float *yn, const float *xn, int C, int P, int p, float M,
                                    float b, float s, float c) {
    double pix = 0;
    for (int ch = 0; ch < C; ch++) pix += xn[(size_t)ch * P + p];
    float m = (float)(pix / C);
    for (int ch = 0; ch < C; ch++) {
        size_t i = (size_t)ch * P + p;
        yn[i] = c * (s * (xn[i] - m) + (m - M)) + M + b;
    }
}

#endif
