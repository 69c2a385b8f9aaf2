/*
 * rng.c - the CPU backend's random numbers: the values of gan_rng_uniform /
 * gan_rng_normal (src/rng.c), with the stream id from memory for
 * rng_uniform_dev and rng_normal_dev; the CPU twin of src/cuda/rng.cu.
 */
#include "cpu_common.h"
#include "rng.h"

void gan_cpu_rng_uniform(void *ctx, uint64_t seed, uint64_t stream, float *out, size_t n) {
    gan_rng_uniform(seed, stream, out, n);
}

void gan_cpu_rng_normal(void *ctx, uint64_t seed, uint64_t stream, float *out, size_t n) {
    gan_rng_normal(seed, stream, out, n);
}

void gan_cpu_rng_normal_dev(void *ctx, uint64_t seed, const uint64_t *stream, size_t offset,
                            float *out, size_t n) {
    gan_rng_normal_at(seed, *stream, offset, out, n);
}

void gan_cpu_rng_uniform_dev(void *ctx, uint64_t seed, const uint64_t *stream, float *out,
                             size_t n) {
    gan_rng_uniform(seed, *stream, out, n);
}
