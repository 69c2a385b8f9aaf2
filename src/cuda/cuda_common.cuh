/*
 * cuda_common.cuh - what the CUDA backend's files share: the backend's
 * context (gan_cuda_ctx: stream, cuBLAS handle, scratch, first pending
 * error), the error-recording macros and launch sizing. The kernel entry
 * points (gan_cuda_<fn>: gemm, pointwise, norm, norm2d, conv, loss, optim,
 * rng, misc) are declared in backend.h from backend_kernels.def; each takes
 * the context as its first argument (void *ctx, a gan_cuda_ctx).
 *
 * Invariants: every kernel runs on the context's stream; every CUDA or
 * cuBLAS call is checked; a failure in a call that cannot return a status is
 * kept in the context (the first one wins) and reported by the next call that can
 * (synchronize, copy_to_host, mem_alloc, graph_*). Kernels are never
 * launched with zero blocks (n == 0 returns before the launch).
 */
#ifndef GAN_CUDA_COMMON_CUH
#define GAN_CUDA_COMMON_CUH

#include "backend.h"
#include "fastdiv.h" /* gan_fastdiv: indices divided by a multiply */
#include "internal.h"

#include "cuda/cublas_lazy.h" /* cuBLAS, loaded on first use */
#include <cuda_runtime.h>

#define GAN_CUDA_REDUCE_FLOATS 64
#define GAN_CUDA_PARTIALS ((size_t)1 << 17) /* doubles of per-block partial sums (norm2d.cu) */

/* The direct convolutions' path per shape (conv_cudnn.cu): timed, or forced. */
typedef enum gan_cuda_conv_force {
    GAN_CUDA_CONV_AUTO = 0,
    GAN_CUDA_CONV_CUDNN = 1,      /* cuDNN, NCHW or NHWC operands, whichever is faster */
    GAN_CUDA_CONV_GEMM = 2,
    GAN_CUDA_CONV_CUDNN_NCHW = 3, /* cuDNN on the tensors as they are */
    GAN_CUDA_CONV_CUDNN_NHWC = 4  /* cuDNN on NHWC copies */
} gan_cuda_conv_force;

/* The matrix products' path per shape (gemm_lt.cu): timed, or forced. */
typedef enum gan_cuda_gemm_force {
    GAN_CUDA_GEMM_AUTO = 0, /* cuBLAS or a cuBLASLt algorithm, whichever measured faster */
    GAN_CUDA_GEMM_BLAS = 1, /* cublasSgemm / cublasGemmEx, cuBLAS's own choice per call */
    GAN_CUDA_GEMM_LT = 2    /* the fastest of cuBLASLt's heuristic candidates */
} gan_cuda_gemm_force;

/* One matrix product (row-major): C (M, N) = alpha op(A) op(B) + beta C,
 * A and B fp32 (bf16_in false) or bf16 (true), C fp32. */
typedef struct gan_gemm_call {
    bool trans_a, trans_b, bf16_in;
    int M, N, K;
    float alpha, beta;
    const void *A, *B;
    int lda, ldb;
    float *C;
    int ldc;
} gan_gemm_call;

struct gan_cuda_block {
    void *ptr;
    size_t bytes;
};

/* The CUDA backend's context (gan_backend.ctx): one per process (one device). */
struct gan_cuda_ctx {
    bool ready;
    int device;
    int sm_count;
    cudaStream_t stream;
    cublasHandle_t blas;
    void *blas_workspace; /* cuBLAS workspace, so graph capture needs no allocation */
    size_t blas_workspace_bytes;
    double *scratch; /* (2) device sums for the host-returning bce_logits */
    float *reduce;   /* (GAN_CUDA_REDUCE_FLOATS) scalars passed between kernels (misc.cu) */
    double *partials; /* (GAN_CUDA_PARTIALS) partial sums passed between kernels (norm2d.cu, the
                         * spectral-norm dot in misc.cu) */
    bool capturing;
    unsigned long captures; /* graph captures begun (conv_cudnn.cu keeps what they may use) */
    gan_cuda_math math; /* gan_backend_cuda_set_math: products (gemm.cu), convolutions */
    void *cudnn;        /* conv_cudnn.cu's state (handle, plans, workspace), made on first use */
    gan_cuda_conv_force conv_force; /* GAN_CUDA_CONV=cudnn|gemm, else timed per shape */
    int conv_group_max; /* GAN_CUDA_CONV_GROUP: images per GEMM-path product (0: any) */
    gan_cuda_gemm_force gemm_force; /* GAN_CUDA_GEMM=blas|lt, else timed per shape */
    void *gemm_lt;      /* gemm_lt.cu's state (cuBLASLt handle, plans), made by gemm_select */
    /* mem_alloc bookkeeping: live blocks and byte counts */
    struct gan_cuda_block *blocks;
    size_t n_blocks, cap_blocks;
    size_t bytes_in_use, bytes_peak;
    /* first pending error */
    gan_status err;
    char err_msg[512];
};

/* Append one report line (`line`, len as snprintf returned into a buffer of
 * `line_cap`: cut there; negative: nothing) and a newline to buf (cap bytes,
 * NUL-terminated, *used of them filled) when it fits whole; the plan reports
 * (gan_cuda_conv_report, gan_cuda_gemm_report). */
void gan_cuda_report_line(char *buf, size_t cap, size_t *used, const char *line, int len,
                          size_t line_cap);

/* Room for one more of n elements of `size` bytes in the host array *arr of
 * capacity *cap (doubling from `first`): false, an error recorded against
 * `what`, when there is no memory (then *arr is as it was). The plan tables'
 * growth (conv_cudnn.cu, gemm_lt.cu). */
bool gan_cuda_room_for_one(gan_cuda_ctx *cu, void **arr, size_t *cap, size_t n, size_t size,
                           size_t first, const char *what);

/* Keep the first failure: "file:line: what: detail". */
void gan_cuda_record(gan_cuda_ctx *cu, gan_status status, const char *what, const char *detail,
                     const char *file, int line);

/* Whether n values take 32-bit indices (the kernels that divide them with
 * gan_fastdiv); false, with the error recorded against `what`, if not. */
static inline bool gan_cuda_fits_u32(gan_cuda_ctx *cu, size_t n, const char *what) {
    if (n < ((size_t)1 << 32)) return true;
    gan_cuda_record(cu, GAN_ERR_UNSUPPORTED, what, "tensor too large", __FILE__, __LINE__);
    return false;
}

/* A grid-stride loop over i < n (size_t). */
#define GAN_CUDA_GRID_STRIDE(i, n)                                                                 \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);                      \
         i += (size_t)gridDim.x * blockDim.x)

/* The same over 32-bit indices (n < 2^32: gan_cuda_fits_u32). */
#define GAN_CUDA_GRID_STRIDE_32(i, n)                                                              \
    for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += gridDim.x * blockDim.x)

/* Report (through gan_fail) and clear the pending error; GAN_OK if none. */
gan_status gan_cuda_take_error(gan_cuda_ctx *cu);

gan_status gan_cuda_status_of(cudaError_t e);

#define GAN_CUDA_NOTE(cu, call)                                                                    \
    do {                                                                                           \
        cudaError_t gan__e = (call);                                                               \
        if (gan__e != cudaSuccess) {                                                               \
            gan_cuda_record((cu), gan_cuda_status_of(gan__e), #call, cudaGetErrorString(gan__e),   \
                            __FILE__, __LINE__);                                                   \
            (void)cudaGetLastError(); /* a non-sticky error: not the next launch's */              \
        }                                                                                          \
    } while (0)

#define GAN_CUBLAS_NOTE(cu, call)                                                                  \
    do {                                                                                           \
        cublasStatus_t gan__s = (call);                                                            \
        if (gan__s != CUBLAS_STATUS_SUCCESS)                                                       \
            gan_cuda_record((cu),                                                                  \
                            gan__s == CUBLAS_STATUS_ALLOC_FAILED ? GAN_ERR_OUT_OF_MEMORY           \
                                                                 : GAN_ERR_DEVICE,                 \
                            #call, cublasGetStatusString(gan__s), __FILE__, __LINE__);             \
    } while (0)

/* After a kernel launch: a bad configuration or missing kernel image shows
 * here (errors during the run show at the next synchronize). */
#define GAN_CUDA_LAUNCHED(cu, name)                                                                \
    do {                                                                                           \
        cudaError_t gan__e = cudaGetLastError();                                                   \
        if (gan__e != cudaSuccess)                                                                 \
            gan_cuda_record((cu), gan_cuda_status_of(gan__e), "launch of " name,                   \
                            cudaGetErrorString(gan__e), __FILE__, __LINE__);                       \
    } while (0)

/* Threads per block for element-wise kernels, and a grid that covers n
 * elements (grid-stride loops cover the rest past a few waves). */
#define GAN_CUDA_THREADS 256

static inline unsigned gan_cuda_blocks(const gan_cuda_ctx *cu, size_t n, int threads) {
    size_t want = (n + (size_t)threads - 1) / (size_t)threads;
    size_t cap = (size_t)(cu->sm_count > 0 ? cu->sm_count : 132) * 16;
    if (want > cap) want = cap;
    return want ? (unsigned)want : 1u;
}

/* pointwise.cu: cudaSuccess when this build holds kernels the current
 * device can run. */
cudaError_t gan_cuda_probe_kernels(void);

/* conv_cudnn.cu: the table's direct convolutions for the context's math
 * and GAN_CUDA_CONV (filled: direct, cuDNN or the GEMM path per shape; NULL:
 * the layers' im2col path); releasing their state; their plans as text
 * (gan_backend_cuda_conv_report). */
gan_status gan_cuda_conv_select(gan_cuda_ctx *cu, gan_backend *table);
void gan_cuda_cudnn_release(gan_cuda_ctx *cu);
size_t gan_cuda_conv_report(gan_cuda_ctx *cu, char *buf, size_t cap);

/* gemm.cu: one product through cublasSgemm (fp32 operands: the handle's
 * math) or cublasGemmEx (bf16 math or operands): cuBLAS's own choice. */
void gan_cuda_gemm_blas(gan_cuda_ctx *cu, const gan_gemm_call *g);

/* gemm_lt.cu: GAN_CUDA_GEMM read into the context and the cuBLASLt state
 * made (at set-up and with each math change, never during a capture);
 * one product through the plan of its shape: true when the plan runs it
 * through cuBLASLt, false when the caller must run cuBLAS (the plan says
 * so, or the path is blas); the plans as text; releasing the state. */
gan_status gan_cuda_gemm_select(gan_cuda_ctx *cu);
bool gan_cuda_gemm_lt(gan_cuda_ctx *cu, const gan_gemm_call *g);
size_t gan_cuda_gemm_report(gan_cuda_ctx *cu, char *buf, size_t cap);
void gan_cuda_gemm_lt_release(gan_cuda_ctx *cu);

#endif
