/*
 * backend_cuda.cu - the CUDA backend: device set-up and teardown, the kernel
 * table, memory (with a count of the bytes held), synchronisation, graph
 * capture and the pending-error bookkeeping. The kernels live in the sibling
 * files (gemm.cu, pointwise.cu, norm.cu, norm2d.cu, conv.cu, loss.cu,
 * optim.cu, rng.cu, misc.cu); see cuda_common.cuh.
 *
 * One device, one non-blocking stream, one cuBLAS handle with its own
 * workspace (so a graph capture never allocates). Not thread-safe: one host
 * thread drives the backend at a time.
 */
#include "cuda_common.cuh"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

gan_cuda_state gan_cuda;

/* cuBLAS workspace: 32 MiB is what cuBLAS asks for on Hopper. */
#define GAN_CUBLAS_WORKSPACE_BYTES ((size_t)32 << 20)

gan_status gan_cuda_status_of(cudaError_t e) {
    return e == cudaErrorMemoryAllocation ? GAN_ERR_OUT_OF_MEMORY : GAN_ERR_DEVICE;
}

void gan_cuda_record(gan_status status, const char *what, const char *detail, const char *file,
                     int line) {
    if (gan_cuda.err != GAN_OK) return;
    const char *base = strrchr(file, '/');
    gan_cuda.err = status;
    snprintf(gan_cuda.err_msg, sizeof gan_cuda.err_msg, "CUDA: %s:%d: %s failed: %s",
             base ? base + 1 : file, line, what, detail);
}

gan_status gan_cuda_take_error(void) {
    if (gan_cuda.err == GAN_OK) return GAN_OK;
    gan_status s = gan_cuda.err;
    gan_cuda.err = GAN_OK;
    return gan_fail(s, "%s", gan_cuda.err_msg);
}

/* ---------------------------------------------------------------- memory */

/* Remember a live block (host bookkeeping only; false when out of memory). */
static bool note_block(void *p, size_t bytes) {
    if (gan_cuda.n_blocks == gan_cuda.cap_blocks) {
        size_t cap = gan_cuda.cap_blocks ? 2 * gan_cuda.cap_blocks : 64;
        gan_cuda_block *b =
            (gan_cuda_block *)realloc(gan_cuda.blocks, cap * sizeof *gan_cuda.blocks);
        if (!b) return false;
        gan_cuda.blocks = b;
        gan_cuda.cap_blocks = cap;
    }
    gan_cuda.blocks[gan_cuda.n_blocks++] = gan_cuda_block{p, bytes};
    gan_cuda.bytes_in_use += bytes;
    if (gan_cuda.bytes_in_use > gan_cuda.bytes_peak) gan_cuda.bytes_peak = gan_cuda.bytes_in_use;
    return true;
}

static void forget_block(void *p) {
    for (size_t i = 0; i < gan_cuda.n_blocks; i++)
        if (gan_cuda.blocks[i].ptr == p) {
            gan_cuda.bytes_in_use -= gan_cuda.blocks[i].bytes;
            gan_cuda.blocks[i] = gan_cuda.blocks[--gan_cuda.n_blocks];
            return;
        }
}

void gan_backend_cuda_memory(size_t *in_use, size_t *peak) {
    if (in_use) *in_use = gan_cuda.bytes_in_use;
    if (peak) *peak = gan_cuda.bytes_peak;
}

static gan_status cuda_mem_alloc(void **ptr, size_t bytes) {
    *ptr = NULL;
    GAN_TRY(gan_cuda_take_error());
    if (bytes == 0) return GAN_OK;
    if (gan_cuda.capturing)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "CUDA: mem_alloc of %zu bytes while a graph is "
                        "being captured", bytes);
    void *p = NULL;
    cudaError_t e = cudaMalloc(&p, bytes);
    if (e != cudaSuccess) {
        (void)cudaGetLastError(); /* clear the (non-sticky) allocation error */
        size_t free_b = 0, total_b = 0;
        if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) free_b = total_b = 0;
        return gan_fail(gan_cuda_status_of(e),
                        "CUDA: cannot allocate %zu bytes on device %d (%zu of %zu bytes free): %s",
                        bytes, gan_cuda.device, free_b, total_b, cudaGetErrorString(e));
    }
    e = cudaMemsetAsync(p, 0, bytes, gan_cuda.stream);
    if (e == cudaSuccess) e = cudaStreamSynchronize(gan_cuda.stream);
    if (e != cudaSuccess) {
        cudaFree(p);
        return gan_fail(gan_cuda_status_of(e), "CUDA: zeroing %zu new bytes failed: %s", bytes,
                        cudaGetErrorString(e));
    }
    if (!note_block(p, bytes)) {
        cudaFree(p);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "out of host memory for device bookkeeping");
    }
    *ptr = p;
    return GAN_OK;
}

static void cuda_mem_free(void *ptr) {
    if (!ptr) return;
    GAN_CUDA_NOTE(cudaStreamSynchronize(gan_cuda.stream));
    GAN_CUDA_NOTE(cudaFree(ptr));
    forget_block(ptr);
}

static void cuda_copy_to_device(void *dst, const void *host_src, size_t bytes) {
    if (!bytes) return;
    GAN_CUDA_NOTE(cudaMemcpyAsync(dst, host_src, bytes, cudaMemcpyHostToDevice, gan_cuda.stream));
}

static gan_status cuda_copy_to_host(void *host_dst, const void *src, size_t bytes) {
    if (gan_cuda.capturing)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                        "CUDA: copy_to_host while a graph is being captured");
    if (bytes) {
        GAN_CUDA_NOTE(
            cudaMemcpyAsync(host_dst, src, bytes, cudaMemcpyDeviceToHost, gan_cuda.stream));
    }
    GAN_CUDA_NOTE(cudaStreamSynchronize(gan_cuda.stream));
    return gan_cuda_take_error();
}

static void cuda_copy(void *dst, const void *src, size_t bytes) {
    if (!bytes) return;
    GAN_CUDA_NOTE(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, gan_cuda.stream));
}

static void cuda_mem_set(void *dst, int value, size_t bytes) {
    if (!bytes) return;
    GAN_CUDA_NOTE(cudaMemsetAsync(dst, value, bytes, gan_cuda.stream));
}

static gan_status cuda_synchronize(void) {
    if (gan_cuda.capturing)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                        "CUDA: synchronize while a graph is being captured");
    GAN_CUDA_NOTE(cudaStreamSynchronize(gan_cuda.stream));
    return gan_cuda_take_error();
}

/* ---------------------------------------------------------------- graphs */

struct gan_graph {
    cudaGraph_t graph;
    cudaGraphExec_t exec;
};

static gan_status cuda_graph_begin(void) {
    GAN_TRY(gan_cuda_take_error());
    if (gan_cuda.capturing)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "CUDA: graph_begin while already capturing");
    cudaError_t e = cudaStreamBeginCapture(gan_cuda.stream, cudaStreamCaptureModeThreadLocal);
    if (e != cudaSuccess)
        return gan_fail(gan_cuda_status_of(e), "CUDA: cudaStreamBeginCapture failed: %s",
                        cudaGetErrorString(e));
    gan_cuda.capturing = true;
    return GAN_OK;
}

static gan_status cuda_graph_end(gan_graph **out) {
    *out = NULL;
    if (!gan_cuda.capturing)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "CUDA: graph_end without graph_begin");
    gan_cuda.capturing = false;
    cudaGraph_t graph = NULL;
    cudaError_t e = cudaStreamEndCapture(gan_cuda.stream, &graph);
    gan_status pending = gan_cuda_take_error(); /* a call that failed while recording */
    if (e != cudaSuccess) {
        if (graph) cudaGraphDestroy(graph);
        if (pending != GAN_OK) return gan_fail_prefix(pending, "graph capture failed");
        return gan_fail(gan_cuda_status_of(e), "CUDA: cudaStreamEndCapture failed: %s",
                        cudaGetErrorString(e));
    }
    if (pending != GAN_OK) {
        cudaGraphDestroy(graph);
        return gan_fail_prefix(pending, "graph capture failed");
    }
    cudaGraphExec_t exec = NULL;
    e = cudaGraphInstantiate(&exec, graph, 0);
    if (e != cudaSuccess) {
        cudaGraphDestroy(graph);
        return gan_fail(gan_cuda_status_of(e), "CUDA: cudaGraphInstantiate failed: %s",
                        cudaGetErrorString(e));
    }
    gan_graph *g = (gan_graph *)malloc(sizeof *g);
    if (!g) {
        cudaGraphExecDestroy(exec);
        cudaGraphDestroy(graph);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "out of host memory for a graph handle");
    }
    g->graph = graph;
    g->exec = exec;
    *out = g;
    return GAN_OK;
}

static gan_status cuda_graph_replay(gan_graph *g) {
    if (!g) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "CUDA: graph_replay of a NULL graph");
    if (gan_cuda.capturing)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "CUDA: graph_replay while capturing");
    cudaError_t e = cudaGraphLaunch(g->exec, gan_cuda.stream);
    if (e != cudaSuccess)
        return gan_fail(gan_cuda_status_of(e), "CUDA: cudaGraphLaunch failed: %s",
                        cudaGetErrorString(e));
    return gan_cuda_take_error();
}

static void cuda_graph_free(gan_graph *g) {
    if (!g) return;
    GAN_CUDA_NOTE(cudaStreamSynchronize(gan_cuda.stream));
    GAN_CUDA_NOTE(cudaGraphExecDestroy(g->exec));
    GAN_CUDA_NOTE(cudaGraphDestroy(g->graph));
    free(g);
}

/* ------------------------------------------------------------------ table */

static const gan_backend cuda_backend = {
    .name = "cuda",
    .host_memory = false,
    .gemm = gan_cuda_gemm,
    .bias_forward = gan_cuda_bias_forward,
    .bias_backward = gan_cuda_bias_backward,
    .leaky_relu_forward = gan_cuda_leaky_relu_forward,
    .leaky_relu_backward = gan_cuda_leaky_relu_backward,
    .tanh_forward = gan_cuda_tanh_forward,
    .tanh_backward = gan_cuda_tanh_backward,
    .batchnorm_forward_train = gan_cuda_batchnorm_forward_train,
    .batchnorm_forward_infer = gan_cuda_batchnorm_forward_infer,
    .batchnorm_backward = gan_cuda_batchnorm_backward,
    .bce_logits = gan_cuda_bce_logits,
    .adam = gan_cuda_adam,
    .zero = gan_cuda_zero,
    .im2col = gan_cuda_im2col,
    .col2im = gan_cuda_col2im,
    /* direct convolutions are a CPU (AVX-512) option; the GPU uses im2col + cuBLAS */
    .conv2d_forward = NULL,
    .conv2d_backward_data = NULL,
    .conv2d_backward_weight = NULL,
    .nchw_to_cmajor = gan_cuda_nchw_to_cmajor,
    .cmajor_to_nchw = gan_cuda_cmajor_to_nchw,
    .channel_bias_forward = gan_cuda_channel_bias_forward,
    .channel_bias_backward = gan_cuda_channel_bias_backward,
    .batchnorm2d_forward_train = gan_cuda_batchnorm2d_forward_train,
    .batchnorm2d_forward_infer = gan_cuda_batchnorm2d_forward_infer,
    .batchnorm2d_backward = gan_cuda_batchnorm2d_backward,
    .dropout_forward = gan_cuda_dropout_forward,
    .dropout_backward = gan_cuda_dropout_backward,
    .spectral_norm_forward = gan_cuda_spectral_norm_forward,
    .spectral_norm_backward = gan_cuda_spectral_norm_backward,
    .label_concat_forward = gan_cuda_label_concat_forward,
    .label_concat_backward = gan_cuda_label_concat_backward,
    /* the eval classifier's kernels: CPU only (gan classifier / gan eval run there) */
    .maxpool2d_forward = NULL,
    .maxpool2d_backward = NULL,
    .softmax_xent = NULL,
    .bce_logits_acc = gan_cuda_bce_logits_acc,
    .adam_schedule = gan_cuda_adam_schedule,
    .adam_device_lr = gan_cuda_adam_device_lr,
    .load_batch_u8 = gan_cuda_load_batch_u8,
    .step_advance = gan_cuda_step_advance,
    .loss_acc = gan_cuda_loss_acc,
    .ema_update = gan_cuda_ema_update,
    .clamp = gan_cuda_clamp,
    .rng_uniform = gan_cuda_rng_uniform,
    .rng_normal = gan_cuda_rng_normal,
    .rng_normal_dev = gan_cuda_rng_normal_dev,
    .mem_alloc = cuda_mem_alloc,
    .mem_free = cuda_mem_free,
    .copy_to_device = cuda_copy_to_device,
    .copy_to_host = cuda_copy_to_host,
    .copy = cuda_copy,
    .mem_set = cuda_mem_set,
    .synchronize = cuda_synchronize,
    .graph_begin = cuda_graph_begin,
    .graph_end = cuda_graph_end,
    .graph_replay = cuda_graph_replay,
    .graph_free = cuda_graph_free,
};

const gan_backend *gan_backend_cuda(void) {
    return &cuda_backend;
}

/* ------------------------------------------------------- set-up, teardown */

static gan_status cuda_init_fail(gan_status s, const char *what, cudaError_t e) {
    gan_backend_cuda_shutdown();
    return gan_fail(s, "CUDA: %s: %s", what, cudaGetErrorString(e));
}

gan_status gan_backend_cuda_init(int device) {
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        return gan_fail(GAN_ERR_UNSUPPORTED, "no usable CUDA GPU: %s (is the NVIDIA driver "
                        "installed and a GPU visible?)", cudaGetErrorString(e));
    }
    if (count <= 0) return gan_fail(GAN_ERR_UNSUPPORTED, "no usable CUDA GPU: none is visible");
    if (device < 0 || device >= count)
        return gan_fail(GAN_ERR_UNSUPPORTED, "no CUDA device %d: %d GPU%s visible (0..%d)", device,
                        count, count == 1 ? " is" : "s are", count - 1);
    gan_backend_cuda_shutdown(); /* the request is valid: release the previous device */
    e = cudaSetDevice(device);
    if (e != cudaSuccess) return cuda_init_fail(GAN_ERR_UNSUPPORTED, "cudaSetDevice", e);
    cudaDeviceProp prop;
    e = cudaGetDeviceProperties(&prop, device);
    if (e != cudaSuccess) return cuda_init_fail(GAN_ERR_UNSUPPORTED, "cudaGetDeviceProperties", e);
    e = gan_cuda_probe_kernels();
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        return gan_fail(GAN_ERR_UNSUPPORTED,
                        "CUDA device %d (%s, compute capability %d.%d) cannot run this build's "
                        "kernels (%s); rebuild with -DCMAKE_CUDA_ARCHITECTURES=%d%d",
                        device, prop.name, prop.major, prop.minor, cudaGetErrorString(e),
                        prop.major, prop.minor);
    }
    gan_cuda.device = device;
    gan_cuda.sm_count = prop.multiProcessorCount;
    e = cudaStreamCreateWithFlags(&gan_cuda.stream, cudaStreamNonBlocking);
    if (e != cudaSuccess) return cuda_init_fail(GAN_ERR_DEVICE, "cudaStreamCreate", e);

    cublasStatus_t bs = cublasCreate(&gan_cuda.blas);
    if (bs != CUBLAS_STATUS_SUCCESS) {
        gan_cuda.blas = NULL;
        gan_backend_cuda_shutdown();
        return gan_fail(GAN_ERR_UNSUPPORTED, "cuBLAS: cublasCreate failed: %s",
                        cublasGetStatusString(bs));
    }
    gan_cuda.blas_workspace_bytes = GAN_CUBLAS_WORKSPACE_BYTES;
    e = cudaMalloc(&gan_cuda.blas_workspace, gan_cuda.blas_workspace_bytes);
    if (e != cudaSuccess) {
        gan_cuda.blas_workspace = NULL;
        gan_backend_cuda_shutdown();
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "CUDA: cannot allocate %zu bytes of cuBLAS "
                        "workspace: %s", (size_t)GAN_CUBLAS_WORKSPACE_BYTES, cudaGetErrorString(e));
    }
    e = cudaMalloc(&gan_cuda.scratch, 2 * sizeof(double));
    if (e != cudaSuccess) {
        gan_cuda.scratch = NULL;
        return cuda_init_fail(GAN_ERR_OUT_OF_MEMORY, "cudaMalloc(16 bytes of scratch)", e);
    }
    e = cudaMalloc(&gan_cuda.reduce, GAN_CUDA_REDUCE_FLOATS * sizeof(float));
    if (e != cudaSuccess) {
        gan_cuda.reduce = NULL;
        return cuda_init_fail(GAN_ERR_OUT_OF_MEMORY, "cudaMalloc(reduction scratch)", e);
    }
    e = cudaMalloc(&gan_cuda.partials, GAN_CUDA_PARTIALS * sizeof(double));
    if (e != cudaSuccess) {
        gan_cuda.partials = NULL;
        return cuda_init_fail(GAN_ERR_OUT_OF_MEMORY, "cudaMalloc(partial sums)", e);
    }
    if ((bs = cublasSetStream(gan_cuda.blas, gan_cuda.stream)) != CUBLAS_STATUS_SUCCESS ||
        (bs = cublasSetWorkspace(gan_cuda.blas, gan_cuda.blas_workspace,
                                 gan_cuda.blas_workspace_bytes)) != CUBLAS_STATUS_SUCCESS ||
        (bs = cublasSetPointerMode(gan_cuda.blas, CUBLAS_POINTER_MODE_HOST)) !=
            CUBLAS_STATUS_SUCCESS ||
        (bs = cublasSetMathMode(gan_cuda.blas, CUBLAS_DEFAULT_MATH)) != CUBLAS_STATUS_SUCCESS) {
        gan_backend_cuda_shutdown();
        return gan_fail(GAN_ERR_DEVICE, "cuBLAS: set-up failed: %s", cublasGetStatusString(bs));
    }
    gan_cuda.err = GAN_OK;
    gan_cuda.ready = true;
    return GAN_OK;
}

gan_status gan_backend_cuda_set_math(gan_cuda_math math) {
    if (!gan_cuda.ready)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "CUDA backend not initialised");
    cublasMath_t mode;
    switch (math) {
    case GAN_CUDA_MATH_FP32: mode = CUBLAS_DEFAULT_MATH; break;
    case GAN_CUDA_MATH_PEDANTIC: mode = CUBLAS_PEDANTIC_MATH; break;
    case GAN_CUDA_MATH_TF32: mode = CUBLAS_TF32_TENSOR_OP_MATH; break;
    default: return gan_fail(GAN_ERR_INVALID_ARGUMENT, "unknown CUDA math mode %d", (int)math);
    }
    cublasStatus_t bs = cublasSetMathMode(gan_cuda.blas, mode);
    if (bs != CUBLAS_STATUS_SUCCESS)
        return gan_fail(GAN_ERR_DEVICE, "cuBLAS: cublasSetMathMode failed: %s",
                        cublasGetStatusString(bs));
    return GAN_OK;
}

void gan_backend_cuda_shutdown(void) {
    if (gan_cuda.stream) (void)cudaStreamSynchronize(gan_cuda.stream);
    if (gan_cuda.blas) cublasDestroy(gan_cuda.blas);
    if (gan_cuda.blas_workspace) cudaFree(gan_cuda.blas_workspace);
    if (gan_cuda.scratch) cudaFree(gan_cuda.scratch);
    if (gan_cuda.reduce) cudaFree(gan_cuda.reduce);
    if (gan_cuda.partials) cudaFree(gan_cuda.partials);
    if (gan_cuda.stream) cudaStreamDestroy(gan_cuda.stream);
    (void)cudaGetLastError();
    free(gan_cuda.blocks);
    memset(&gan_cuda, 0, sizeof gan_cuda);
}

gan_status gan_backend_cuda_open(int device) {
    if (gan_cuda.ready && gan_cuda.device == device) return GAN_OK;
    return gan_backend_cuda_init(device);
}
