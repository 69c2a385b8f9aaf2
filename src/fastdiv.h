/*
 * fastdiv.h - division of 32-bit unsigned indices by a divisor fixed per
 * kernel launch, as a multiply and a shift (Granlund & Montgomery 1994):
 * n / d = (umulhi(n, m) + n) >> s for every n < 2^32, with s = ceil(log2 d)
 * and m = 2^32 (2^s - d) / d + 1 (64-bit arithmetic: no overflow). The CUDA
 * kernels that find an element's channel or row per element (norm2d.cu,
 * conv.cu, resample.cu, misc.cu) spend two instructions on it instead of a
 * `/` by a run-time value; plain C so that tests/test_fastdiv.c checks it.
 */
#ifndef GAN_FASTDIV_H
#define GAN_FASTDIV_H

#ifdef __CUDACC__
#define GAN_FASTDIV_FN __host__ __device__ static inline
#else
#define GAN_FASTDIV_FN static inline
#endif

typedef struct gan_fastdiv {
    unsigned d, m, s; /* the divisor, its multiplier and shift */
} gan_fastdiv;

/* The divider for d >= 1 (d = 0 gives the divider for 1). */
static inline gan_fastdiv gan_fastdiv_make(unsigned d) {
    gan_fastdiv f;
    if (d == 0) d = 1;
    unsigned s = 0;
    while ((1ull << s) < d) s++;
    f.d = d;
    f.m = (unsigned)(((1ull << 32) * ((1ull << s) - d)) / d + 1);
    f.s = s;
    return f;
}

/* n / f.d. */
GAN_FASTDIV_FN unsigned gan_fastdiv_q(gan_fastdiv f, unsigned n) {
    unsigned hi = (unsigned)(((unsigned long long)n * f.m) >> 32);
    return (unsigned)(((unsigned long long)hi + n) >> f.s);
}

/* n % f.d. */
GAN_FASTDIV_FN unsigned gan_fastdiv_mod(gan_fastdiv f, unsigned n) {
    return n - gan_fastdiv_q(f, n) * f.d;
}

#endif
