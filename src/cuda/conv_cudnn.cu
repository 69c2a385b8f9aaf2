/*
 * conv_cudnn.cu - the CUDA backend's direct convolutions (conv2d_forward,
 * conv2d_backward_data, conv2d_backward_weight of backend_kernels.def)
 * through cuDNN 9's convolution API, and the choice between them and the
 * layers' im2col + gemm path.
 *
 * Path: GAN_CUDA_CONV=im2col|cudnn forces one; otherwise cuDNN for the tf32
 * and bf16 maths and im2col for fp32 (H100, dcgan at batch 1024, ms per
 * step im2col / cuDNN: fp32 9.37 / 13.0, tf32 7.17 / 5.28, bf16 7.17 / 4.54;
 * bench/RESULTS.md, issue 15).
 * gan_cuda_conv_select fills or clears the three table entries and maps
 * libcudnn on first choosing it (cudnn_lazy.h; when it cannot be loaded the
 * path is im2col, or an error if forced); without
 * cuDNN in the build the path is always im2col (GAN_CUDA_CONV=cudnn is then
 * refused).
 *
 * Precision: fp32 runs FMA math (no TF32), tf32 cuDNN's default math (TF32
 * tensor cores), bf16 converts the operands to bf16 copies (round to
 * nearest even) in a scratch buffer, convolves with fp32 accumulation into
 * a bf16 result and converts that back, adding the bias (forward) or
 * accumulating into dw (weight gradient, beta 0 or 1); everything outside
 * stays fp32.
 *
 * Plans: the first call of a shape (N, C, H, W, Cout, k, s, p, math, which
 * of the three) runs cudnnFind* once, outside any graph capture (the
 * trainer's first step runs directly), and keeps the fastest deterministic
 * algorithm whose workspace fits 64 MiB (the fastest deterministic one of
 * any size when none fits). The workspace and the bf16 copies grow on
 * such a call through mem_alloc (counted with the rest of the device
 * memory); a shape first seen during a capture is an error. Deterministic
 * algorithms make graph replays equal direct calls bit for bit.
 */
#include "cuda_common.cuh"

#include <stdlib.h>
#include <string.h>

#define GAN_CUDNN_WORKSPACE_CAP ((size_t)64 << 20)

/* Which convolution path the table offers; see the top comment. */
static bool env_path(gan_cuda_ctx *cu, bool *cudnn, bool *forced) {
    const char *e = getenv("GAN_CUDA_CONV");
    *forced = e && *e;
    if (!*forced) return true;
    if (strcmp(e, "cudnn") == 0) *cudnn = true;
    else if (strcmp(e, "im2col") == 0) *cudnn = false;
    else return false;
    return true;
}

#if GAN_HAVE_CUDNN

#include <cuda_bf16.h>
#include "cuda/cudnn_lazy.h" /* libcudnn is mapped only when this path is chosen */

typedef enum { OP_FWD, OP_DATA, OP_FILTER } conv_op;

typedef struct conv_plan {
    int key[10];        /* N, C, H, W, Cout, k, s, p, math, op */
    int algo;           /* a cudnnConvolution{Fwd,BwdData,BwdFilter}Algo_t */
    cudnnMathType_t math_type;
    size_t workspace;
} conv_plan;

typedef struct cudnn_state {
    cudnnHandle_t handle;
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    conv_plan *plans;
    size_t n_plans, cap_plans;
    void *workspace; /* device, mem_alloc */
    size_t workspace_bytes;
    __nv_bfloat16 *copies; /* device: bf16 copies of the operands (x, w, y) */
    size_t copies_elems;
} cudnn_state;

#define CUDNN_NOTE(cu, call)                                                                       \
    do {                                                                                           \
        cudnnStatus_t gan__s = (call);                                                             \
        if (gan__s != CUDNN_STATUS_SUCCESS)                                                        \
            gan_cuda_record((cu),                                                                  \
                            gan__s == CUDNN_STATUS_ALLOC_FAILED ? GAN_ERR_OUT_OF_MEMORY            \
                                                                : GAN_ERR_DEVICE,                  \
                            #call, cudnnGetErrorString(gan__s), __FILE__, __LINE__);               \
    } while (0)

bool gan_backend_cuda_has_cudnn(void) {
    return true;
}

static cudnn_state *state_of(gan_cuda_ctx *cu) {
    if (cu->cudnn) return (cudnn_state *)cu->cudnn;
    if (cu->capturing) {
        gan_cuda_record(cu, GAN_ERR_INVALID_ARGUMENT, "cuDNN set-up",
                        "first convolution during a graph capture", __FILE__, __LINE__);
        return NULL;
    }
    gan_status ls = gan_cudnn_load(); /* as gan_cuda_conv_select does; callers may come direct */
    if (ls != GAN_OK) {
        gan_cuda_record(cu, ls, "cuDNN set-up", gan_last_error(), __FILE__, __LINE__);
        return NULL;
    }
    cudnn_state *st = (cudnn_state *)calloc(1, sizeof *st);
    if (!st) {
        gan_cuda_record(cu, GAN_ERR_OUT_OF_MEMORY, "cuDNN set-up", "out of host memory",
                        __FILE__, __LINE__);
        return NULL;
    }
    cudnnStatus_t s = cudnnCreate(&st->handle);
    if (s == CUDNN_STATUS_SUCCESS) s = cudnnSetStream(st->handle, cu->stream);
    if (s == CUDNN_STATUS_SUCCESS) s = cudnnCreateTensorDescriptor(&st->x);
    if (s == CUDNN_STATUS_SUCCESS) s = cudnnCreateTensorDescriptor(&st->y);
    if (s == CUDNN_STATUS_SUCCESS) s = cudnnCreateFilterDescriptor(&st->w);
    if (s == CUDNN_STATUS_SUCCESS) s = cudnnCreateConvolutionDescriptor(&st->conv);
    cu->cudnn = st; /* released by gan_cuda_cudnn_release, also half made */
    if (s != CUDNN_STATUS_SUCCESS) {
        gan_cuda_record(cu, GAN_ERR_DEVICE, "cuDNN set-up", cudnnGetErrorString(s), __FILE__,
                        __LINE__);
        return NULL;
    }
    return st;
}

void gan_cuda_cudnn_release(gan_cuda_ctx *cu) {
    cudnn_state *st = (cudnn_state *)cu->cudnn;
    if (!st) return;
    if (st->workspace) gan_cuda_mem_free(cu, st->workspace);
    if (st->copies) gan_cuda_mem_free(cu, st->copies);
    if (st->conv) cudnnDestroyConvolutionDescriptor(st->conv);
    if (st->w) cudnnDestroyFilterDescriptor(st->w);
    if (st->y) cudnnDestroyTensorDescriptor(st->y);
    if (st->x) cudnnDestroyTensorDescriptor(st->x);
    if (st->handle) cudnnDestroy(st->handle);
    free(st->plans);
    free(st);
    cu->cudnn = NULL;
}

/* Grow a device buffer to `bytes` (only outside a capture: false, error
 * recorded, when it must grow during one or cannot). */
static bool ensure(gan_cuda_ctx *cu, void **buf, size_t *have, size_t bytes, const char *what) {
    if (bytes <= *have) return true;
    if (cu->capturing) {
        gan_cuda_record(cu, GAN_ERR_INVALID_ARGUMENT, what,
                        "a convolution shape first seen during a graph capture", __FILE__,
                        __LINE__);
        return false;
    }
    if (*buf) gan_cuda_mem_free(cu, *buf);
    *buf = NULL;
    *have = 0;
    gan_status s = gan_cuda_mem_alloc(cu, buf, bytes);
    if (s != GAN_OK) {
        gan_cuda_record(cu, s, what, gan_last_error(), __FILE__, __LINE__);
        return false;
    }
    *have = bytes;
    return true;
}

/* x (N, C, H, W), w (Cout, C, k, k), y (N, Cout, OH, OW) in `type`. */
static void describe(gan_cuda_ctx *cu, cudnn_state *st, int N, const gan_conv_shape *cs,
                     int Cout, cudnnDataType_t type, cudnnMathType_t math) {
    CUDNN_NOTE(cu, cudnnSetTensor4dDescriptor(st->x, CUDNN_TENSOR_NCHW, type, N, cs->C, cs->H,
                                              cs->W));
    CUDNN_NOTE(cu, cudnnSetTensor4dDescriptor(st->y, CUDNN_TENSOR_NCHW, type, N, Cout, cs->OH,
                                              cs->OW));
    CUDNN_NOTE(cu, cudnnSetFilter4dDescriptor(st->w, type, CUDNN_TENSOR_NCHW, Cout, cs->C, cs->k,
                                              cs->k));
    CUDNN_NOTE(cu, cudnnSetConvolution2dDescriptor(st->conv, cs->p, cs->p, cs->s, cs->s, 1, 1,
                                                   CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    CUDNN_NOTE(cu, cudnnSetConvolutionMathType(st->conv, math));
}

/* The search's math: FMA only (fp32), TF32 allowed (tf32), tensor cores (bf16). */
static cudnnMathType_t search_math(gan_cuda_math m) {
    return m == GAN_CUDA_MATH_BF16   ? CUDNN_TENSOR_OP_MATH
           : m == GAN_CUDA_MATH_TF32 ? CUDNN_DEFAULT_MATH
                                     : CUDNN_FMA_MATH;
}

/* Pick among `n` results (fastest first): the first deterministic success
 * within the cap, else the first deterministic success. */
template <typename P>
static bool pick(const P *r, int n, conv_plan *plan, bool fp32, bool bf16) {
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            if (r[i].status != CUDNN_STATUS_SUCCESS || r[i].determinism != CUDNN_DETERMINISTIC)
                continue;
            if (!bf16 && r[i].mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION)
                continue; /* fp32 data is never rounded to fp16 */
            if (fp32 && r[i].mathType == CUDNN_TENSOR_OP_MATH)
                continue; /* fp32: no tensor cores (run as FMA math below) */
            if (pass == 0 && r[i].memory > GAN_CUDNN_WORKSPACE_CAP) continue;
            plan->algo = (int)r[i].algo;
            plan->math_type = fp32 ? CUDNN_FMA_MATH : r[i].mathType;
            plan->workspace = r[i].memory;
            return true;
        }
    return false;
}

/* The plan of this call's shape (descriptors already set): found once. */
static const conv_plan *plan_of(gan_cuda_ctx *cu, cudnn_state *st, int N,
                                const gan_conv_shape *cs, int Cout, conv_op op) {
    int key[10] = {N, cs->C, cs->H, cs->W, Cout, cs->k, cs->s, cs->p, (int)cu->math, (int)op};
    for (size_t i = 0; i < st->n_plans; i++)
        if (memcmp(st->plans[i].key, key, sizeof key) == 0) return &st->plans[i];
    if (cu->capturing) {
        gan_cuda_record(cu, GAN_ERR_INVALID_ARGUMENT, "cuDNN plan",
                        "a convolution shape first seen during a graph capture", __FILE__,
                        __LINE__);
        return NULL;
    }
    if (st->n_plans == st->cap_plans) {
        size_t cap = st->cap_plans ? 2 * st->cap_plans : 16;
        conv_plan *p = (conv_plan *)realloc(st->plans, cap * sizeof *p);
        if (!p) {
            gan_cuda_record(cu, GAN_ERR_OUT_OF_MEMORY, "cuDNN plan", "out of host memory",
                            __FILE__, __LINE__);
            return NULL;
        }
        st->plans = p;
        st->cap_plans = cap;
    }
    conv_plan plan;
    memcpy(plan.key, key, sizeof key);
    bool fp32 = cu->math == GAN_CUDA_MATH_FP32 || cu->math == GAN_CUDA_MATH_PEDANTIC;
    bool ok = false;
    int n = 0;
    cudnnStatus_t s;
    /* the search allocates its own buffers and times each algorithm */
    GAN_CUDA_NOTE(cu, cudaStreamSynchronize(cu->stream));
    if (op == OP_FWD) {
        cudnnConvolutionFwdAlgoPerf_t r[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        s = cudnnFindConvolutionForwardAlgorithm(st->handle, st->x, st->w, st->conv, st->y,
                                                 CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, r);
        ok = s == CUDNN_STATUS_SUCCESS && pick(r, n, &plan, fp32, cu->math == GAN_CUDA_MATH_BF16);
    } else if (op == OP_DATA) {
        cudnnConvolutionBwdDataAlgoPerf_t r[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
        s = cudnnFindConvolutionBackwardDataAlgorithm(st->handle, st->w, st->y, st->conv, st->x,
                                                      CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n,
                                                      r);
        ok = s == CUDNN_STATUS_SUCCESS && pick(r, n, &plan, fp32, cu->math == GAN_CUDA_MATH_BF16);
    } else {
        cudnnConvolutionBwdFilterAlgoPerf_t r[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
        s = cudnnFindConvolutionBackwardFilterAlgorithm(st->handle, st->x, st->y, st->conv,
                                                        st->w,
                                                        CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
                                                        &n, r);
        ok = s == CUDNN_STATUS_SUCCESS && pick(r, n, &plan, fp32, cu->math == GAN_CUDA_MATH_BF16);
    }
    if (!ok) {
        gan_cuda_record(cu, GAN_ERR_UNSUPPORTED, "cuDNN algorithm search",
                        s != CUDNN_STATUS_SUCCESS ? cudnnGetErrorString(s)
                                                  : "no deterministic algorithm for this shape",
                        __FILE__, __LINE__);
        return NULL;
    }
    st->plans[st->n_plans] = plan;
    return &st->plans[st->n_plans++];
}

/* ------------------------------------------------------- bf16 conversions */

__global__ void to_bf16_kernel(__nv_bfloat16 *__restrict__ d, const float *__restrict__ s,
                               size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        d[i] = __float2bfloat16_rn(s[i]);
}

/* d (planes, P) = beta d + s (+ b[plane % C] when b). */
__global__ void from_bf16_kernel(float *__restrict__ d, const __nv_bfloat16 *__restrict__ s,
                                 const float *__restrict__ b, int C, size_t P, float beta,
                                 size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        float v = __bfloat162float(s[i]);
        if (b) v += b[(i / P) % (size_t)C];
        d[i] = beta != 0.0f ? d[i] + v : v;
    }
}

static void to_bf16(gan_cuda_ctx *cu, __nv_bfloat16 *d, const float *s, size_t n) {
    if (!n) return;
    to_bf16_kernel<<<gan_cuda_blocks(cu, n, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0, cu->stream>>>(
        d, s, n);
    GAN_CUDA_LAUNCHED(cu, "to_bf16_kernel");
}

static void from_bf16(gan_cuda_ctx *cu, float *d, const __nv_bfloat16 *s, const float *b, int C,
                      size_t P, float beta, size_t n) {
    if (!n) return;
    from_bf16_kernel<<<gan_cuda_blocks(cu, n, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                       cu->stream>>>(d, s, b, C, P, beta, n);
    GAN_CUDA_LAUNCHED(cu, "from_bf16_kernel");
}

/* ------------------------------------------------------------ the calls */

typedef struct conv_call {
    cudnn_state *st;
    const conv_plan *plan;
    bool bf16;
    __nv_bfloat16 *bx, *bw, *by; /* the bf16 copies (bf16 only) */
} conv_call;

/* Descriptors, plan, workspace and copies for one call; false on error
 * (recorded). */
static bool prepare(gan_cuda_ctx *cu, int N, const gan_conv_shape *cs, int Cout, conv_op op,
                    conv_call *c) {
    if (N <= 0) return false;
    c->st = state_of(cu);
    if (!c->st) return false;
    c->bf16 = cu->math == GAN_CUDA_MATH_BF16;
    describe(cu, c->st, N, cs, Cout, c->bf16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT,
             search_math(cu->math));
    if (cu->err != GAN_OK) return false;
    c->plan = plan_of(cu, c->st, N, cs, Cout, op);
    if (!c->plan) return false;
    CUDNN_NOTE(cu, cudnnSetConvolutionMathType(c->st->conv, c->plan->math_type));
    if (!ensure(cu, &c->st->workspace, &c->st->workspace_bytes, c->plan->workspace,
                "cuDNN workspace"))
        return false;
    if (c->bf16) {
        size_t nx = (size_t)N * cs->C * cs->H * cs->W, nw = (size_t)Cout * cs->C * cs->k * cs->k;
        size_t ny = (size_t)N * Cout * cs->OH * cs->OW;
        size_t nx_r = (nx + 127) & ~(size_t)127, nw_r = (nw + 127) & ~(size_t)127;
        size_t have = c->st->copies_elems * sizeof(__nv_bfloat16);
        if (!ensure(cu, (void **)&c->st->copies, &have,
                    (nx_r + nw_r + ny) * sizeof(__nv_bfloat16), "cuDNN bf16 copies"))
            return false;
        c->st->copies_elems = have / sizeof(__nv_bfloat16);
        c->bx = c->st->copies;
        c->bw = c->bx + nx_r;
        c->by = c->bw + nw_r;
    }
    return cu->err == GAN_OK;
}

void gan_cuda_conv2d_forward(void *ctx, float *y, const float *x, const float *w, const float *b,
                             int N, const gan_conv_shape *cs, int Cout) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    conv_call c;
    if (!prepare(cu, N, cs, Cout, OP_FWD, &c)) return;
    const float one = 1.0f, zero = 0.0f;
    size_t P = (size_t)cs->OH * cs->OW, ny = (size_t)N * Cout * P;
    if (c.bf16) {
        to_bf16(cu, c.bx, x, (size_t)N * cs->C * cs->H * cs->W);
        to_bf16(cu, c.bw, w, (size_t)Cout * cs->C * cs->k * cs->k);
    }
    CUDNN_NOTE(cu, cudnnConvolutionForward(
                       c.st->handle, &one, c.st->x, c.bf16 ? (const void *)c.bx : x, c.st->w,
                       c.bf16 ? (const void *)c.bw : w, c.st->conv,
                       (cudnnConvolutionFwdAlgo_t)c.plan->algo, c.st->workspace,
                       c.plan->workspace, &zero, c.st->y, c.bf16 ? (void *)c.by : y));
    if (c.bf16) from_bf16(cu, y, c.by, b, Cout, P, 0.0f, ny);
    else if (b) gan_cuda_channel_bias_forward(cu, y, b, N, Cout, (int)P);
}

void gan_cuda_conv2d_backward_data(void *ctx, float *dx, const float *dy, const float *w, int N,
                                   const gan_conv_shape *cs, int Cout) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    conv_call c;
    if (!prepare(cu, N, cs, Cout, OP_DATA, &c)) return;
    const float one = 1.0f, zero = 0.0f;
    size_t nx = (size_t)N * cs->C * cs->H * cs->W;
    if (c.bf16) {
        to_bf16(cu, c.by, dy, (size_t)N * Cout * cs->OH * cs->OW);
        to_bf16(cu, c.bw, w, (size_t)Cout * cs->C * cs->k * cs->k);
    }
    CUDNN_NOTE(cu, cudnnConvolutionBackwardData(
                       c.st->handle, &one, c.st->w, c.bf16 ? (const void *)c.bw : w, c.st->y,
                       c.bf16 ? (const void *)c.by : dy, c.st->conv,
                       (cudnnConvolutionBwdDataAlgo_t)c.plan->algo, c.st->workspace,
                       c.plan->workspace, &zero, c.st->x, c.bf16 ? (void *)c.bx : dx));
    if (c.bf16) from_bf16(cu, dx, c.bx, NULL, 1, 1, 0.0f, nx);
}

void gan_cuda_conv2d_backward_weight(void *ctx, float *dw, const float *x, const float *dy, int N,
                                     const gan_conv_shape *cs, int Cout, float beta) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    conv_call c;
    if (!prepare(cu, N, cs, Cout, OP_FILTER, &c)) return;
    const float one = 1.0f, zero = 0.0f;
    size_t nw = (size_t)Cout * cs->C * cs->k * cs->k;
    if (c.bf16) {
        to_bf16(cu, c.bx, x, (size_t)N * cs->C * cs->H * cs->W);
        to_bf16(cu, c.by, dy, (size_t)N * Cout * cs->OH * cs->OW);
    }
    CUDNN_NOTE(cu, cudnnConvolutionBackwardFilter(
                       c.st->handle, &one, c.st->x, c.bf16 ? (const void *)c.bx : x, c.st->y,
                       c.bf16 ? (const void *)c.by : dy, c.st->conv,
                       (cudnnConvolutionBwdFilterAlgo_t)c.plan->algo, c.st->workspace,
                       c.plan->workspace, c.bf16 ? &zero : &beta, c.st->w,
                       c.bf16 ? (void *)c.bw : dw));
    if (c.bf16) from_bf16(cu, dw, c.bw, NULL, 1, 1, beta, nw);
}

#else /* no cuDNN in this build: the path is always im2col */

bool gan_backend_cuda_has_cudnn(void) {
    return false;
}

void gan_cuda_cudnn_release(gan_cuda_ctx *cu) {}

void gan_cuda_conv2d_forward(void *ctx, float *y, const float *x, const float *w, const float *b,
                             int N, const gan_conv_shape *cs, int Cout) {}
void gan_cuda_conv2d_backward_data(void *ctx, float *dx, const float *dy, const float *w, int N,
                                   const gan_conv_shape *cs, int Cout) {}
void gan_cuda_conv2d_backward_weight(void *ctx, float *dw, const float *x, const float *dy, int N,
                                     const gan_conv_shape *cs, int Cout, float beta) {}

#endif

gan_status gan_cuda_conv_select(gan_cuda_ctx *cu, gan_backend *table) {
    bool cudnn = cu->math == GAN_CUDA_MATH_BF16 || cu->math == GAN_CUDA_MATH_TF32, forced = false;
    if (!env_path(cu, &cudnn, &forced))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "GAN_CUDA_CONV=%s: expected im2col or cudnn",
                        getenv("GAN_CUDA_CONV"));
    if (cudnn && !gan_backend_cuda_has_cudnn()) {
        if (forced)
            return gan_fail(GAN_ERR_UNSUPPORTED, "GAN_CUDA_CONV=cudnn: this build has no cuDNN "
                            "(configure with cuDNN 9 where CMake can find it)");
        cudnn = false;
    }
#if GAN_HAVE_CUDNN
    if (cudnn) { /* map libcudnn now (cudnn_lazy.h); without it, im2col unless forced */
        gan_status ls = gan_cudnn_load();
        if (ls != GAN_OK && forced) return ls;
        if (ls != GAN_OK) cudnn = false;
    }
#endif
    table->conv2d_forward = cudnn ? gan_cuda_conv2d_forward : NULL;
    table->conv2d_backward_data = cudnn ? gan_cuda_conv2d_backward_data : NULL;
    table->conv2d_backward_weight = cudnn ? gan_cuda_conv2d_backward_weight : NULL;
    return GAN_OK;
}
