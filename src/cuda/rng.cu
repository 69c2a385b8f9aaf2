/*
 * rng.cu - the Philox4x32-10 generator of rng.c on the device, giving the
 * same numbers: element j of a uniform stream is word j % 4 of block j / 4;
 * normal element j is output j % 2 of the Box-Muller pair j / 2, formed in
 * double from two 53-bit uniforms and rounded once to float.
 *
 * Uniforms are integer arithmetic and one exact float scaling: identical
 * bits. Normals use CUDA's double log/sqrt/cos/sin (sqrt correctly rounded;
 * log, cos, sin within 1-2 ulp of double), so after rounding to float they
 * equal the CPU's except, rarely, by 1 ulp of float.
 */
#include "cuda_common.cuh"
#include "philox.cuh"

__global__ void rng_uniform_kernel(uint64_t seed, const uint64_t *stream_ptr,
                                   uint64_t stream_value, float *out, size_t n) {
    uint64_t stream = stream_ptr ? *stream_ptr : stream_value;
    size_t blocks = (n + 3) / 4;
    for (size_t blk = (size_t)blockIdx.x * blockDim.x + threadIdx.x; blk < blocks;
         blk += (size_t)gridDim.x * blockDim.x) {
        uint32_t r[4];
        gan_cuda_philox(seed, stream, blk, r);
#pragma unroll
        for (int k = 0; k < 4; k++)
            if (blk * 4 + k < n) out[blk * 4 + k] = (float)(r[k] >> 8) * (1.0f / 16777216.0f);
    }
}

/* out[i] = normal element offset + i of the stream */
__global__ void rng_normal_kernel(uint64_t seed, const uint64_t *stream_ptr, uint64_t stream_value,
                                  size_t offset, float *out, size_t n) {
    const double two_pi = 6.283185307179586476925286766559;
    uint64_t stream = stream_ptr ? *stream_ptr : stream_value;
    size_t first = offset / 2, pairs = (offset + n + 1) / 2 - first;
    for (size_t p = (size_t)blockIdx.x * blockDim.x + threadIdx.x; p < pairs;
         p += (size_t)gridDim.x * blockDim.x) {
        size_t pair = first + p, j = pair * 2;
        uint32_t r[4];
        gan_cuda_philox(seed, stream, pair, r);
        uint64_t a = ((uint64_t)r[0] << 32) | r[1];
        uint64_t b = ((uint64_t)r[2] << 32) | r[3];
        double u1 = (double)((a >> 11) + 1) * 0x1.0p-53; /* (0, 1] */
        double u2 = (double)(b >> 11) * 0x1.0p-53;       /* [0, 1) */
        double radius = sqrt(-2.0 * log(u1));
        double angle = two_pi * u2;
        if (j >= offset) out[j - offset] = (float)(radius * cos(angle));
        if (j + 1 >= offset && j + 1 < offset + n) out[j + 1 - offset] = (float)(radius * sin(angle));
    }
}

void gan_cuda_rng_uniform(void *ctx, uint64_t seed, uint64_t stream, float *out, size_t n) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (n == 0) return;
    rng_uniform_kernel<<<gan_cuda_blocks(cu, (n + 3) / 4, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                         cu->stream>>>(seed, NULL, stream, out, n);
    GAN_CUDA_LAUNCHED(cu, "rng_uniform_kernel");
}

void gan_cuda_rng_uniform_dev(void *ctx, uint64_t seed, const uint64_t *stream, float *out,
                              size_t n) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (n == 0) return;
    rng_uniform_kernel<<<gan_cuda_blocks(cu, (n + 3) / 4, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                         cu->stream>>>(seed, stream, 0, out, n);
    GAN_CUDA_LAUNCHED(cu, "rng_uniform_kernel");
}

void gan_cuda_rng_normal(void *ctx, uint64_t seed, uint64_t stream, float *out, size_t n) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (n == 0) return;
    rng_normal_kernel<<<gan_cuda_blocks(cu, (n + 1) / 2, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                        cu->stream>>>(seed, NULL, stream, 0, out, n);
    GAN_CUDA_LAUNCHED(cu, "rng_normal_kernel");
}

void gan_cuda_rng_normal_dev(void *ctx, uint64_t seed, const uint64_t *stream, size_t offset,
                             float *out, size_t n) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (n == 0) return;
    rng_normal_kernel<<<gan_cuda_blocks(cu, (n + 2) / 2, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                        cu->stream>>>(seed, stream, 0, offset, out, n);
    GAN_CUDA_LAUNCHED(cu, "rng_normal_kernel");
}
