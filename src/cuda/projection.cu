/*
 * projection.cu - the projection head's kernels (class_dot_forward,
 * class_dot_backward; semantics in backend_kernels.def, reference in
 * src/cpu/projection.c).
 *
 * A row's dot product is one thread's double sum in channel order, rounded
 * once as the CPU does; the table's gradient gives channel c to one thread,
 * which adds the rows in order, so the results are the CPU's bits (built
 * with --fmad=false).
 */
#include "cuda_common.cuh"

__device__ static inline int valid_label(const int32_t *labels, int n, int n_classes) {
    int label = labels ? labels[n] : -1;
    return label >= 0 && label < n_classes ? label : -1;
}

__global__ void class_dot_kernel(float *__restrict__ y, const float *__restrict__ h,
                                 const int32_t *__restrict__ labels,
                                 const float *__restrict__ table, int N, int C, int n_classes) {
    int n = blockIdx.x * blockDim.x + threadIdx.x;
    if (n >= N) return;
    int label = valid_label(labels, n, n_classes);
    if (label < 0) return;
    const float *e = table + (size_t)label * C, *x = h + (size_t)n * C;
    double s = 0;
    for (int c = 0; c < C; c++) s += (double)e[c] * x[c];
    y[n] += (float)s;
}

/* dh[n][c] += dy[n] table[label][c], one thread per element */
__global__ void class_dot_dh_kernel(float *__restrict__ dh, const float *__restrict__ dy,
                                    const int32_t *__restrict__ labels,
                                    const float *__restrict__ table, int C, int n_classes,
                                    size_t total) {
    for (size_t e = (size_t)blockIdx.x * blockDim.x + threadIdx.x; e < total;
         e += (size_t)gridDim.x * blockDim.x) {
        int n = (int)(e / C), c = (int)(e % C), label = valid_label(labels, n, n_classes);
        if (label >= 0) dh[e] += dy[n] * table[(size_t)label * C + c];
    }
}

/* dtable[label][c] += dy[n] h[n][c], channel c one thread's, rows in order */
__global__ void class_dot_dtable_kernel(float *__restrict__ dtable, const float *__restrict__ dy,
                                        const float *__restrict__ h,
                                        const int32_t *__restrict__ labels, int N, int C,
                                        int n_classes) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    for (int n = 0; n < N; n++) {
        int label = valid_label(labels, n, n_classes);
        if (label >= 0) dtable[(size_t)label * C + c] += dy[n] * h[(size_t)n * C + c];
    }
}

void gan_cuda_class_dot_forward(void *ctx, float *y, const float *h, const int32_t *labels,
                                const float *table, int N, int C, int n_classes) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || C <= 0) return;
    int threads = 128;
    class_dot_kernel<<<(N + threads - 1) / threads, threads, 0, cu->stream>>>(y, h, labels, table,
                                                                              N, C, n_classes);
    GAN_CUDA_LAUNCHED(cu, "class_dot_kernel");
}

void gan_cuda_class_dot_backward(void *ctx, float *dh, float *dtable, const float *dy,
                                 const float *h, const int32_t *labels, const float *table, int N,
                                 int C, int n_classes) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || C <= 0) return;
    if (dh) {
        size_t total = (size_t)N * C;
        class_dot_dh_kernel<<<gan_cuda_blocks(cu, total, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                              cu->stream>>>(dh, dy, labels, table, C, n_classes, total);
        GAN_CUDA_LAUNCHED(cu, "class_dot_dh_kernel");
    }
    if (dtable) {
        int threads = 64;
        class_dot_dtable_kernel<<<(C + threads - 1) / threads, threads, 0, cu->stream>>>(
            dtable, dy, h, labels, N, C, n_classes);
        GAN_CUDA_LAUNCHED(cu, "class_dot_dtable_kernel");
    }
}
