/*
 * rng.c - Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
 * 1, 2, 3", SC 2011) and the distributions built on it. See rng.h.
 *
 * Key = seed (two 32-bit words); counter = (index lo, index hi, stream lo,
 * stream hi).
 */
#include "rng.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void gan_philox(uint64_t seed, uint64_t stream, uint64_t index, uint32_t out[4]) {
    uint32_t c0 = (uint32_t)index, c1 = (uint32_t)(index >> 32);
    uint32_t c2 = (uint32_t)stream, c3 = (uint32_t)(stream >> 32);
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

void gan_rng_uniform(uint64_t seed, uint64_t stream, float *out, size_t n) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t blk = 0; blk < (n + 3) / 4; blk++) {
        uint32_t r[4];
        gan_philox(seed, stream, blk, r);
        for (size_t k = 0; k < 4 && blk * 4 + k < n; k++)
            out[blk * 4 + k] = (float)(r[k] >> 8) * (1.0f / 16777216.0f);
    }
}

void gan_rng_normal(uint64_t seed, uint64_t stream, float *out, size_t n) {
    gan_rng_normal_at(seed, stream, 0, out, n);
}

void gan_rng_normal_at(uint64_t seed, uint64_t stream, size_t offset, float *out, size_t n) {
    const double two_pi = 6.283185307179586476925286766559;
    size_t first = offset / 2, end = (offset + n + 1) / 2; /* the pairs that hold the elements */
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t pair = first; pair < end; pair++) {
        uint32_t r[4];
        gan_philox(seed, stream, pair, r);
        uint64_t a = ((uint64_t)r[0] << 32) | r[1];
        uint64_t b = ((uint64_t)r[2] << 32) | r[3];
        double u1 = (double)((a >> 11) + 1) * 0x1.0p-53; /* (0, 1] */
        double u2 = (double)(b >> 11) * 0x1.0p-53;       /* [0, 1) */
        double radius = sqrt(-2.0 * log(u1));
        size_t j = pair * 2; /* the stream's element of the pair's first output */
        if (j >= offset) out[j - offset] = (float)(radius * cos(two_pi * u2));
        if (j + 1 >= offset && j + 1 < offset + n)
            out[j + 1 - offset] = (float)(radius * sin(two_pi * u2));
    }
}

uint32_t gan_rng_below(uint64_t seed, uint64_t stream, uint64_t j, uint32_t bound) {
    uint32_t r[4];
    gan_philox(seed, stream, j / 4, r);
    return (uint32_t)(((uint64_t)r[j % 4] * bound) >> 32);
}

void gan_rng_shuffle(uint64_t seed, uint64_t stream, uint32_t *perm, size_t n) {
    for (size_t i = n; i > 1; i--) {
        uint32_t j = gan_rng_below(seed, stream, n - i, (uint32_t)i);
        uint32_t tmp = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = tmp;
    }
}
