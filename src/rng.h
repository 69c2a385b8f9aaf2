/*
 * rng.h - a counter-based random generator (Philox4x32-10).
 *
 * Every random number is a pure function of (seed, stream, index): no hidden
 * state, so the same seed gives the same numbers at any thread count, on the
 * CPU and the GPU, and after a resume. A "stream" names one use of
 * randomness (the init of one tensor, the noise of one step, the shuffle of
 * one epoch); gan_rng_stream() builds stream ids so uses never collide.
 *
 * Normal numbers use Box-Muller in double precision (two 53-bit uniforms per
 * pair of outputs), rounded once to float, so other backends that compute in
 * double reproduce them exactly.
 */
#ifndef GAN_RNG_H
#define GAN_RNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a stream is used for (the top byte of a stream id). */
enum gan_rng_purpose {
    GAN_RNG_INIT = 1,    /* parameter initialisation; detail = net << 16 | tensor, with bits
                            40..47 tagging a layer's extra tensors (spectral-norm u, v) */
    GAN_RNG_NOISE = 2,   /* latent noise of one D step; detail = step * d_steps + k */
    GAN_RNG_SHUFFLE = 3, /* data order of one epoch; detail = epoch */
    GAN_RNG_FIXED = 4,   /* the fixed noise for sample grids; detail = 0 */
    GAN_RNG_SAMPLE = 5,  /* latent vector of one generated sample; detail = sample index */
    GAN_RNG_EVAL = 6,    /* subsets drawn by metrics (KID); detail = 2 * subset + set */
    GAN_RNG_DROPOUT = 7, /* dropout masks; detail = net << 48 | layer << 40 | forward (model.h) */
    GAN_RNG_CLASSIFIER = 8, /* training of the eval classifier and subsets drawn by `gan eval`;
                              detail = use << 40 | epoch (src/eval/classifier.h) */
    GAN_RNG_LABEL = 9,   /* class label of one generated sample (gan_generator_labels);
                            detail = sample index */
    GAN_RNG_AUGMENT = 10 /* mirror and augmentation parameters of one batch; detail = use
                            number (trainer.h) */
};

static inline uint64_t gan_rng_stream(enum gan_rng_purpose purpose, uint64_t detail) {
    return ((uint64_t)purpose << 56) | (detail & 0x00FFFFFFFFFFFFFFull);
}

/* One Philox4x32-10 block: 4 random 32-bit words for counter `index`. */
void gan_philox(uint64_t seed, uint64_t stream, uint64_t index, uint32_t out[4]);

/* out[j] ~ U[0, 1) (24-bit resolution) for j = 0..n-1; element j of a stream
 * is word j % 4 of block j / 4, whatever n is. */
void gan_rng_uniform(uint64_t seed, uint64_t stream, float *out, size_t n);

/* out[j] ~ N(0, 1); element j is output j % 2 of Box-Muller pair j / 2. */
void gan_rng_normal(uint64_t seed, uint64_t stream, float *out, size_t n);

/* out[i] = element offset + i of the same normal stream (a slice of what
 * gan_rng_normal draws: a rank's rows of a batch's noise). */
void gan_rng_normal_at(uint64_t seed, uint64_t stream, size_t offset, float *out, size_t n);

/* A uniform integer in [0, bound) from the 32-bit word j of a stream
 * (Lemire's multiply-shift; bound <= 2^32). */
uint32_t gan_rng_below(uint64_t seed, uint64_t stream, uint64_t j, uint32_t bound);

/* Fisher-Yates shuffle of perm[0..n-1] (which must hold a permutation). */
void gan_rng_shuffle(uint64_t seed, uint64_t stream, uint32_t *perm, size_t n);

#ifdef __cplusplus
}
#endif

#endif
