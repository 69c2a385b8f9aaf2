/*
 * conv_cudnn.cu - the CUDA backend's direct convolutions (conv2d_forward,
 * conv2d_backward_data, conv2d_backward_weight of backend_kernels.def):
 * per shape, cuDNN 9's convolution API or the GEMM path (conv_gemm.cu:
 * im2col / col2im + cuBLAS inside the backend), whichever measured faster;
 * and the choice between these direct convolutions and the layers' own
 * im2col + gemm.
 *
 * Table path (gan_cuda_conv_select, at set-up and with each math change):
 * GAN_CUDA_CONV=im2col (the layers' path: the three entries NULL), cudnn
 * (direct, cuDNN for every shape, on NCHW or NHWC operands, whichever is
 * faster), cudnn-nchw or cudnn-nhwc (cuDNN on that layout), gemm (direct,
 * the GEMM path for every shape) or auto (direct, per-shape choice among
 * all three); unset: auto for the tf32 and
 * bf16 maths, im2col for fp32 (H100, dcgan at batch 1024, ms per step im2col
 * / cuDNN: fp32 9.37 / 13.0, tf32 7.17 / 5.28, bf16 7.17 / 4.54; bench/RESULTS.md,
 * issue 15). The direct path maps libcudnn on first choosing it
 * (cudnn_lazy.h); when it cannot be loaded the path is im2col, or an error
 * if forced; without cuDNN in the build the path is always im2col
 * (GAN_CUDA_CONV=cudnn|gemm|auto is then refused). GAN_CUDA_CONV_GROUP=G
 * caps the GEMM path's images per product (tests use it to run several
 * groups on small batches).
 *
 * Precision (cuDNN path): fp32 runs FMA math (no TF32), tf32 cuDNN's
 * default math (TF32 tensor cores), bf16 converts the operands to bf16
 * copies (round to nearest even) in a scratch buffer, convolves with fp32
 * accumulation into a bf16 result and converts that back, adding the bias
 * (forward) or accumulating into dw (weight gradient, beta 0 or 1);
 * everything outside stays fp32. The GEMM path's precision: conv_gemm.cu.
 *
 * Layout (cuDNN path): the layers' tensors are NCHW. cuDNN's tensor-core
 * kernels (sm90 implicit GEMM) want NHWC and, given NCHW, transpose each
 * operand and the result in kernels of their own (an H100 profile of dcgan
 * at batch 1024 in bf16: 0.49 ms of a 3.9 ms step in cuDNN's nchwToNhwc /
 * nhwcToNchw, beside 0.61 ms of our own bf16 conversions). The NHWC layout
 * instead hands cuDNN NHWC copies (weights KRSC) made by one kernel that
 * converts and transposes at once (conv.cu), and transposes the result back
 * the same way (adding the bias, or accumulating dw). Both layouts are
 * searched and timed per shape; the faster is kept.
 *
 * Plans: the first call of a shape (N, C, H, W, Cout, k, s, p, math, which
 * of the three, the forced path and group cap) makes its plan once, outside
 * any graph capture (the trainer's first step runs directly): cudnnFind*
 * keeps the fastest deterministic algorithm whose workspace fits 64 MiB (the
 * fastest deterministic one of any size when none fits), the GEMM path
 * takes the largest group of images whose work fits 32 MiB; then, unless a
 * path is forced or cuDNN has no deterministic algorithm, both run on this
 * call's buffers (one warm-up and TIMING_RUNS timed runs each, CUDA events;
 * dw is kept aside and put back, since the weight gradient may accumulate)
 * and the faster is kept for the process. The workspace (one for both
 * paths) and the bf16 copies grow on such a call through mem_alloc (counted
 * with the rest of the device memory; an outgrown buffer that a captured
 * graph may use is kept until shutdown); a shape first seen during a
 * capture is an error. Both paths are deterministic, and the choice is made once,
 * so graph replays equal direct calls bit for bit; another process may
 * choose otherwise (as it may another cuDNN algorithm).
 * gan_backend_cuda_conv_report lists the plans and their timings.
 */
#include "conv_direct.cuh"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GAN_CUDNN_WORKSPACE_CAP ((size_t)64 << 20)
/* The GEMM path's work: 32 MiB keeps dcgan's products large (D's 64->128
 * conv at batch 1024, bf16: 266 images, a 128 x 13,034 x 1,024 product per
 * group) while adding less to the peak than cuDNN's cap would. */
#define GAN_CONV_GEMM_WORK_CAP ((size_t)32 << 20)
#define TIMING_RUNS 3

/* GAN_CUDA_CONV (see the top comment): false for an unknown value. */
static bool env_path(gan_cuda_conv_force *force, bool *direct, bool *forced) {
    const char *e = getenv("GAN_CUDA_CONV");
    *forced = e && *e;
    if (!*forced) return true;
    if (strcmp(e, "im2col") == 0) *direct = false;
    else if (strcmp(e, "cudnn") == 0) *direct = true, *force = GAN_CUDA_CONV_CUDNN;
    else if (strcmp(e, "cudnn-nchw") == 0) *direct = true, *force = GAN_CUDA_CONV_CUDNN_NCHW;
    else if (strcmp(e, "cudnn-nhwc") == 0) *direct = true, *force = GAN_CUDA_CONV_CUDNN_NHWC;
    else if (strcmp(e, "gemm") == 0) *direct = true, *force = GAN_CUDA_CONV_GEMM;
    else if (strcmp(e, "auto") == 0) *direct = true, *force = GAN_CUDA_CONV_AUTO;
    else return false;
    return true;
}

#if GAN_HAVE_CUDNN

#include <cuda_bf16.h>
#include "cuda/cudnn_lazy.h" /* libcudnn is mapped only when this path is chosen */

/* cuDNN on the NCHW tensors, cuDNN on NHWC copies, the GEMM path. */
typedef enum { PATH_NCHW = 0, PATH_NHWC = 1, PATH_GEMM = 2, N_CONV_PATHS = 3 } conv_path;
static const char *const path_names[N_CONV_PATHS] = {"cudnn-nchw", "cudnn-nhwc", "gemm"};

/* cuDNN's choice for one layout. */
typedef struct cudnn_choice {
    bool ok;            /* searched, and a deterministic algorithm found: */
    int algo;           /*   a cudnnConvolution{Fwd,BwdData,BwdFilter}Algo_t */
    cudnnMathType_t math_type;
    size_t workspace;
} cudnn_choice;

typedef struct conv_plan {
    int key[12];        /* N, C, H, W, Cout, k, s, p, math, op, force, group cap */
    conv_path path;     /* the one calls take */
    cudnn_choice cudnn[2]; /* [PATH_NCHW], [PATH_NHWC] */
    bool has_gemm;      /* the GEMM path may run: */
    int group;          /*   images per product */
    size_t gemm_work;   /*   bytes of workspace */
    float ms[N_CONV_PATHS]; /* per call, as timed (0: not timed) */
} conv_plan;

/* A device buffer that only grows (ensure): made after `captures` graph
 * captures had begun (gan_cuda_ctx.captures). */
typedef struct grow_buf {
    void *ptr;
    size_t bytes;
    unsigned long captures;
} grow_buf;

typedef struct cudnn_state {
    cudnnHandle_t handle;
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    conv_plan *plans;
    size_t n_plans, cap_plans;
    grow_buf workspace; /* cuDNN's workspace or the GEMM path's work */
    grow_buf copies;    /* bf16 and/or NHWC copies of the operands (x, w, y) */
    grow_buf saved;     /* dw while the weight-gradient paths are timed */
    void **retired;     /* outgrown buffers that a captured graph may still use */
    size_t n_retired, cap_retired;
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
    grow_buf *bufs[] = {&st->workspace, &st->copies, &st->saved};
    for (int i = 0; i < 3; i++)
        if (bufs[i]->ptr) gan_cuda_mem_free(cu, bufs[i]->ptr);
    for (size_t i = 0; i < st->n_retired; i++) gan_cuda_mem_free(cu, st->retired[i]);
    free(st->retired);
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
 * recorded, when it must grow during one or cannot). The old buffer is
 * freed, or kept until release when a graph captured since it was made
 * may use it (a new shape after the trainer's capture must not pull the
 * workspace from under the captured step). */
static bool ensure(gan_cuda_ctx *cu, cudnn_state *st, grow_buf *b, size_t bytes,
                   const char *what) {
    if (bytes <= b->bytes) return true;
    if (cu->capturing) {
        gan_cuda_record(cu, GAN_ERR_INVALID_ARGUMENT, what,
                        "a convolution shape first seen during a graph capture", __FILE__,
                        __LINE__);
        return false;
    }
    if (b->ptr && b->captures != cu->captures) {
        if (!gan_cuda_room_for_one(cu, (void **)&st->retired, &st->cap_retired, st->n_retired,
                                   sizeof *st->retired, 8, what))
            return false;
        st->retired[st->n_retired++] = b->ptr;
    } else if (b->ptr) {
        gan_cuda_mem_free(cu, b->ptr);
    }
    b->ptr = NULL;
    b->bytes = 0;
    gan_status s = gan_cuda_mem_alloc(cu, &b->ptr, bytes);
    if (s != GAN_OK) {
        gan_cuda_record(cu, s, what, gan_last_error(), __FILE__, __LINE__);
        return false;
    }
    b->bytes = bytes;
    b->captures = cu->captures;
    return true;
}

/* x (N, C, H, W), w (Cout, C, k, k), y (N, Cout, OH, OW) in `type`, laid
 * out NCHW (w: KCRS) or NHWC (w: KRSC). */
static void describe(gan_cuda_ctx *cu, cudnn_state *st, int N, const gan_conv_shape *cs,
                     int Cout, cudnnDataType_t type, cudnnMathType_t math, bool nhwc) {
    cudnnTensorFormat_t f = nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
    CUDNN_NOTE(cu, cudnnSetTensor4dDescriptor(st->x, f, type, N, cs->C, cs->H, cs->W));
    CUDNN_NOTE(cu, cudnnSetTensor4dDescriptor(st->y, f, type, N, Cout, cs->OH, cs->OW));
    CUDNN_NOTE(cu, cudnnSetFilter4dDescriptor(st->w, type, f, Cout, cs->C, cs->k, cs->k));
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
static bool pick(const P *r, int n, cudnn_choice *plan, bool fp32, bool bf16) {
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

/* cuDNN's search for this call's shape in one layout: the algorithm into
 * `plan`; false when there is none (*why says why; no error recorded). */
static bool find_cudnn(gan_cuda_ctx *cu, cudnn_state *st, const gan_conv_io *io,
                       cudnn_choice *plan, bool nhwc, const char **why) {
    bool fp32 = cu->math == GAN_CUDA_MATH_FP32 || cu->math == GAN_CUDA_MATH_PEDANTIC;
    bool bf16 = cu->math == GAN_CUDA_MATH_BF16;
    describe(cu, st, io->N, &io->cs, io->Cout, bf16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT,
             search_math(cu->math), nhwc);
    if (cu->err != GAN_OK) return false;
    bool ok = false;
    int n = 0;
    cudnnStatus_t s;
    /* the search allocates its own buffers and times each algorithm */
    GAN_CUDA_NOTE(cu, cudaStreamSynchronize(cu->stream));
    if (io->op == GAN_CONV_OP_FWD) {
        cudnnConvolutionFwdAlgoPerf_t r[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        s = cudnnFindConvolutionForwardAlgorithm(st->handle, st->x, st->w, st->conv, st->y,
                                                 CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, r);
        ok = s == CUDNN_STATUS_SUCCESS && pick(r, n, plan, fp32, bf16);
    } else if (io->op == GAN_CONV_OP_DATA) {
        cudnnConvolutionBwdDataAlgoPerf_t r[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
        s = cudnnFindConvolutionBackwardDataAlgorithm(st->handle, st->w, st->y, st->conv, st->x,
                                                      CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n,
                                                      r);
        ok = s == CUDNN_STATUS_SUCCESS && pick(r, n, plan, fp32, bf16);
    } else {
        cudnnConvolutionBwdFilterAlgoPerf_t r[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
        s = cudnnFindConvolutionBackwardFilterAlgorithm(st->handle, st->x, st->y, st->conv,
                                                        st->w,
                                                        CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
                                                        &n, r);
        ok = s == CUDNN_STATUS_SUCCESS && pick(r, n, plan, fp32, bf16);
    }
    if (!ok)
        *why = s != CUDNN_STATUS_SUCCESS ? cudnnGetErrorString(s)
                                         : "no deterministic algorithm for this shape";
    return ok;
}

/* ------------------------------------------------------------ the paths */

/* Operand copies for cuDNN: NHWC (any math) converts and transposes; NCHW
 * in bf16 converts. n planes of c x p (weights: Cout planes of C x k k). */
static void copy_in(gan_cuda_ctx *cu, void *d, const float *s, int n, int c, size_t p, bool nhwc,
                    bool bf16) {
    if (nhwc) gan_cuda_nchw_to_nhwc(cu, d, bf16, s, n, c, p);
    else gan_cuda_to_bf16(cu, (__nv_bfloat16 *)d, s, (size_t)n * c * p);
}

/* d (n, c, p) = beta d + the copy s (+ b[c] when b). */
static void copy_out(gan_cuda_ctx *cu, float *d, const void *s, const float *b, int n, int c,
                     size_t p, float beta, bool nhwc, bool bf16) {
    if (nhwc) gan_cuda_nhwc_to_nchw(cu, d, s, bf16, b, n, c, p, beta);
    else gan_cuda_from_bf16(cu, d, (const __nv_bfloat16 *)s, b, c, p, beta, (size_t)n * c * p);
}

/* The call through cuDNN with the choice's algorithm: on the tensors
 * themselves (NCHW in fp32 / tf32), or on copies (bf16, NHWC). */
static void cudnn_run(gan_cuda_ctx *cu, cudnn_state *st, const cudnn_choice *ch, bool nhwc,
                      const gan_conv_io *io) {
    const gan_conv_shape *cs = &io->cs;
    int N = io->N, Cout = io->Cout, C = cs->C;
    bool bf16 = cu->math == GAN_CUDA_MATH_BF16, copy = bf16 || nhwc;
    describe(cu, st, N, cs, Cout, bf16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT, ch->math_type,
             nhwc);
    if (!ensure(cu, st, &st->workspace, ch->workspace, "cuDNN workspace"))
        return;
    size_t P = (size_t)cs->OH * cs->OW, HW = (size_t)cs->H * cs->W, KK = (size_t)cs->k * cs->k;
    size_t nx = (size_t)N * C * HW, nw = (size_t)Cout * C * KK, ny = (size_t)N * Cout * P;
    size_t es = bf16 ? sizeof(__nv_bfloat16) : sizeof(float);
    char *cx = NULL, *cw = NULL, *cy = NULL;
    if (copy) {
        size_t nx_r = (nx + 127) & ~(size_t)127, nw_r = (nw + 127) & ~(size_t)127;
        if (!ensure(cu, st, &st->copies, (nx_r + nw_r + ny) * es, "cuDNN operand copies"))
            return;
        cx = (char *)st->copies.ptr, cw = cx + nx_r * es, cy = cw + nw_r * es;
    }
    if (cu->err != GAN_OK) return;
    const float one = 1.0f, zero = 0.0f;
    cudnnConvolutionFwdAlgo_t fwd = (cudnnConvolutionFwdAlgo_t)ch->algo;
    cudnnConvolutionBwdDataAlgo_t data = (cudnnConvolutionBwdDataAlgo_t)ch->algo;
    cudnnConvolutionBwdFilterAlgo_t filter = (cudnnConvolutionBwdFilterAlgo_t)ch->algo;
    if (io->op == GAN_CONV_OP_FWD) { /* a = x, b = w */
        if (copy) {
            copy_in(cu, cx, io->a, N, C, HW, nhwc, bf16);
            copy_in(cu, cw, io->b, Cout, C, KK, nhwc, bf16);
        }
        CUDNN_NOTE(cu, cudnnConvolutionForward(
                           st->handle, &one, st->x, copy ? (const void *)cx : io->a, st->w,
                           copy ? (const void *)cw : io->b, st->conv, fwd, st->workspace.ptr,
                           ch->workspace, &zero, st->y, copy ? (void *)cy : io->out));
        if (copy) copy_out(cu, io->out, cy, io->bias, N, Cout, P, 0.0f, nhwc, bf16);
        else if (io->bias) gan_cuda_channel_bias_forward(cu, io->out, io->bias, N, Cout, (int)P);
    } else if (io->op == GAN_CONV_OP_DATA) { /* a = dy, b = w */
        if (copy) {
            copy_in(cu, cy, io->a, N, Cout, P, nhwc, bf16);
            copy_in(cu, cw, io->b, Cout, C, KK, nhwc, bf16);
        }
        CUDNN_NOTE(cu, cudnnConvolutionBackwardData(
                           st->handle, &one, st->w, copy ? (const void *)cw : io->b, st->y,
                           copy ? (const void *)cy : io->a, st->conv, data, st->workspace.ptr,
                           ch->workspace, &zero, st->x, copy ? (void *)cx : io->out));
        if (copy) copy_out(cu, io->out, cx, NULL, N, C, HW, 0.0f, nhwc, bf16);
    } else { /* a = x, b = dy */
        if (copy) {
            copy_in(cu, cx, io->a, N, C, HW, nhwc, bf16);
            copy_in(cu, cy, io->b, N, Cout, P, nhwc, bf16);
        }
        CUDNN_NOTE(cu, cudnnConvolutionBackwardFilter(
                           st->handle, &one, st->x, copy ? (const void *)cx : io->a, st->y,
                           copy ? (const void *)cy : io->b, st->conv, filter, st->workspace.ptr,
                           ch->workspace, copy ? &zero : &io->beta, st->w,
                           copy ? (void *)cw : io->out));
        if (copy) copy_out(cu, io->out, cw, NULL, Cout, C, KK, io->beta, nhwc, bf16);
    }
}

static void run_path(gan_cuda_ctx *cu, cudnn_state *st, const conv_plan *plan, conv_path path,
                     const gan_conv_io *io) {
    if (path != PATH_GEMM) {
        cudnn_run(cu, st, &plan->cudnn[path], path == PATH_NHWC, io);
        return;
    }
    if (!ensure(cu, st, &st->workspace, plan->gemm_work, "GEMM path work")) return;
    gan_cuda_conv_gemm(cu, io, plan->group, cu->math == GAN_CUDA_MATH_BF16, st->workspace.ptr);
}

/* Milliseconds per call of `path` on this call's buffers (after a warm-up). */
static float time_path(gan_cuda_ctx *cu, cudnn_state *st, const conv_plan *plan, conv_path path,
                       const gan_conv_io *io) {
    cudaEvent_t e[2] = {NULL, NULL};
    float ms = 0.0f;
    GAN_CUDA_NOTE(cu, cudaEventCreate(&e[0]));
    GAN_CUDA_NOTE(cu, cudaEventCreate(&e[1]));
    run_path(cu, st, plan, path, io);
    if (cu->err == GAN_OK) {
        GAN_CUDA_NOTE(cu, cudaEventRecord(e[0], cu->stream));
        for (int r = 0; r < TIMING_RUNS; r++) run_path(cu, st, plan, path, io);
        GAN_CUDA_NOTE(cu, cudaEventRecord(e[1], cu->stream));
        GAN_CUDA_NOTE(cu, cudaEventSynchronize(e[1]));
        GAN_CUDA_NOTE(cu, cudaEventElapsedTime(&ms, e[0], e[1]));
    }
    for (int i = 0; i < 2; i++)
        if (e[i]) cudaEventDestroy(e[i]);
    return ms / TIMING_RUNS;
}

/* ------------------------------------------------------------ the plans */

/* Make the plan of this call's shape (see the top comment): searched, both
 * paths timed on the call's buffers where both may run, the faster kept. */
static const conv_plan *make_plan(gan_cuda_ctx *cu, cudnn_state *st, const gan_conv_io *io,
                                  const int *key) {
    if (cu->capturing) {
        gan_cuda_record(cu, GAN_ERR_INVALID_ARGUMENT, "convolution plan",
                        "a convolution shape first seen during a graph capture", __FILE__,
                        __LINE__);
        return NULL;
    }
    if (!gan_cuda_room_for_one(cu, (void **)&st->plans, &st->cap_plans, st->n_plans,
                               sizeof *st->plans, 16, "convolution plan"))
        return NULL;
    conv_plan plan;
    memset(&plan, 0, sizeof plan);
    memcpy(plan.key, key, sizeof plan.key);
    bool bf16 = cu->math == GAN_CUDA_MATH_BF16;
    gan_cuda_conv_force f = cu->conv_force;
    bool want[N_CONV_PATHS] = {
        f == GAN_CUDA_CONV_AUTO || f == GAN_CUDA_CONV_CUDNN || f == GAN_CUDA_CONV_CUDNN_NCHW,
        f == GAN_CUDA_CONV_AUTO || f == GAN_CUDA_CONV_CUDNN || f == GAN_CUDA_CONV_CUDNN_NHWC,
        f == GAN_CUDA_CONV_AUTO || f == GAN_CUDA_CONV_GEMM};
    const char *why = NULL;
    for (int l = PATH_NCHW; l <= PATH_NHWC; l++) {
        if (want[l])
            plan.cudnn[l].ok = find_cudnn(cu, st, io, &plan.cudnn[l], l == PATH_NHWC, &why);
        if (cu->err != GAN_OK) return NULL;
    }
    plan.has_gemm = want[PATH_GEMM];
    bool can[N_CONV_PATHS] = {plan.cudnn[PATH_NCHW].ok, plan.cudnn[PATH_NHWC].ok, plan.has_gemm};
    int n_can = can[0] + can[1] + can[2];
    if (n_can == 0) { /* cuDNN forced and no algorithm in the layouts asked for */
        gan_cuda_record(cu, GAN_ERR_UNSUPPORTED, "cuDNN algorithm search", why, __FILE__,
                        __LINE__);
        return NULL;
    }
    if (plan.has_gemm) {
        plan.group = gan_cuda_conv_gemm_group(io, bf16, GAN_CONV_GEMM_WORK_CAP,
                                              cu->conv_group_max);
        plan.gemm_work = gan_cuda_conv_gemm_work(io, plan.group, bf16);
    }
    plan.path = can[PATH_NCHW] ? PATH_NCHW : can[PATH_NHWC] ? PATH_NHWC : PATH_GEMM;
    if (n_can > 1) {
        size_t dw_bytes = io->op == GAN_CONV_OP_FILTER
                              ? (size_t)io->Cout * io->cs.C * io->cs.k * io->cs.k * sizeof(float)
                              : 0;
        if (dw_bytes) {
            if (!ensure(cu, st, &st->saved, dw_bytes, "convolution timing")) return NULL;
            GAN_CUDA_NOTE(cu, cudaMemcpyAsync(st->saved.ptr, io->out, dw_bytes,
                                              cudaMemcpyDeviceToDevice, cu->stream));
        }
        for (int p = 0; p < N_CONV_PATHS; p++)
            if (can[p]) plan.ms[p] = time_path(cu, st, &plan, (conv_path)p, io);
        if (dw_bytes)
            GAN_CUDA_NOTE(cu, cudaMemcpyAsync(io->out, st->saved.ptr, dw_bytes,
                                              cudaMemcpyDeviceToDevice, cu->stream));
        if (cu->err != GAN_OK) return NULL;
        for (int p = 0; p < N_CONV_PATHS; p++) /* the fastest; ties to the earlier path */
            if (can[p] && plan.ms[p] < plan.ms[plan.path]) plan.path = (conv_path)p;
    }
    st->plans[st->n_plans] = plan;
    return &st->plans[st->n_plans++];
}

/* One direct convolution: its plan (made on the shape's first call), then
 * the plan's path. */
static void conv_run(gan_cuda_ctx *cu, const gan_conv_io *io) {
    if (io->N <= 0) return;
    cudnn_state *st = state_of(cu);
    if (!st) return;
    const gan_conv_shape *cs = &io->cs;
    int key[12] = {io->N,  cs->C, cs->H,          cs->W,          io->Cout,        cs->k,
                   cs->s,  cs->p, (int)cu->math, (int)io->op, (int)cu->conv_force,
                   cu->conv_group_max};
    const conv_plan *plan = NULL;
    for (size_t i = 0; i < st->n_plans && !plan; i++)
        if (memcmp(st->plans[i].key, key, sizeof key) == 0) plan = &st->plans[i];
    if (!plan) plan = make_plan(cu, st, io, key);
    if (plan) run_path(cu, st, plan, plan->path, io);
}

void gan_cuda_conv2d_forward(void *ctx, float *y, const float *x, const float *w, const float *b,
                             int N, const gan_conv_shape *cs, int Cout) {
    gan_conv_io io = {GAN_CONV_OP_FWD, y, x, w, b, 0.0f, N, Cout, *cs};
    conv_run((gan_cuda_ctx *)ctx, &io);
}

void gan_cuda_conv2d_backward_data(void *ctx, float *dx, const float *dy, const float *w, int N,
                                   const gan_conv_shape *cs, int Cout) {
    gan_conv_io io = {GAN_CONV_OP_DATA, dx, dy, w, NULL, 0.0f, N, Cout, *cs};
    conv_run((gan_cuda_ctx *)ctx, &io);
}

void gan_cuda_conv2d_backward_weight(void *ctx, float *dw, const float *x, const float *dy, int N,
                                     const gan_conv_shape *cs, int Cout, float beta) {
    gan_conv_io io = {GAN_CONV_OP_FILTER, dw, x, dy, NULL, beta, N, Cout, *cs};
    conv_run((gan_cuda_ctx *)ctx, &io);
}

size_t gan_cuda_conv_report(gan_cuda_ctx *cu, char *buf, size_t cap) {
    static const char *const ops[] = {"forward", "data", "weight"};
    static const char *const maths[] = {"fp32", "pedantic", "tf32", "bf16"};
    cudnn_state *st = (cudnn_state *)cu->cudnn;
    size_t used = 0, n = st ? st->n_plans : 0;
    if (cap) buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const conv_plan *p = &st->plans[i];
        const int *k = p->key;
        int OH = (k[2] + 2 * k[7] - k[5]) / k[6] + 1, OW = (k[3] + 2 * k[7] - k[5]) / k[6] + 1;
        char line[256];
        int len = snprintf(line, sizeof line,
                           "%-7s N%d %dx%dx%d -> %dx%dx%d k%d s%d p%d %-4s: %-10s", ops[k[9]],
                           k[0], k[1], k[2], k[3], k[4], OH, OW, k[5], k[6], k[7],
                           maths[k[8] & 3], path_names[p->path]);
        for (int l = PATH_NCHW; l <= PATH_NHWC; l++)
            if (p->cudnn[l].ok && len > 0 && (size_t)len < sizeof line)
                len += snprintf(line + len, sizeof line - (size_t)len, "  %s algo %d %.3f ms",
                                l == PATH_NHWC ? "nhwc" : "nchw", p->cudnn[l].algo, p->ms[l]);
        if (p->has_gemm && len > 0 && (size_t)len < sizeof line)
            len += snprintf(line + len, sizeof line - (size_t)len, "  gemm %d/group %.3f ms",
                            p->group, p->ms[PATH_GEMM]);
        gan_cuda_report_line(buf, cap, &used, line, len, sizeof line);
    }
    return n;
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

size_t gan_cuda_conv_report(gan_cuda_ctx *cu, char *buf, size_t cap) {
    if (cap) buf[0] = '\0';
    return 0;
}

#endif

/* GAN_CUDA_CONV_GROUP: images per product on the GEMM path (0: no cap). */
static bool env_group(int *most) {
    const char *e = getenv("GAN_CUDA_CONV_GROUP");
    *most = 0;
    if (!e || !*e) return true;
    char *end = NULL;
    long v = strtol(e, &end, 10);
    if (*end || v < 1 || v > (1L << 30)) return false;
    *most = (int)v;
    return true;
}

gan_status gan_cuda_conv_select(gan_cuda_ctx *cu, gan_backend *table) {
    bool direct = cu->math == GAN_CUDA_MATH_BF16 || cu->math == GAN_CUDA_MATH_TF32, forced = false;
    gan_cuda_conv_force force = GAN_CUDA_CONV_AUTO;
    int most = 0;
    if (!env_path(&force, &direct, &forced))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "GAN_CUDA_CONV=%s: expected im2col, cudnn, "
                        "cudnn-nchw, cudnn-nhwc, gemm or auto", getenv("GAN_CUDA_CONV"));
    if (!env_group(&most))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "GAN_CUDA_CONV_GROUP=%s: expected a positive "
                        "number of images", getenv("GAN_CUDA_CONV_GROUP"));
    if (direct && !gan_backend_cuda_has_cudnn()) {
        if (forced)
            return gan_fail(GAN_ERR_UNSUPPORTED, "GAN_CUDA_CONV=%s: this build has no cuDNN "
                            "(configure with cuDNN 9 where CMake can find it)",
                            getenv("GAN_CUDA_CONV"));
        direct = false;
    }
#if GAN_HAVE_CUDNN
    if (direct) { /* map libcudnn now (cudnn_lazy.h); without it, im2col unless forced */
        gan_status ls = gan_cudnn_load();
        if (ls != GAN_OK && forced) return ls;
        if (ls != GAN_OK) direct = false;
    }
#endif
    cu->conv_force = force;
    cu->conv_group_max = most;
    table->conv2d_forward = direct ? gan_cuda_conv2d_forward : NULL;
    table->conv2d_backward_data = direct ? gan_cuda_conv2d_backward_data : NULL;
    table->conv2d_backward_weight = direct ? gan_cuda_conv2d_backward_weight : NULL;
    return GAN_OK;
}
