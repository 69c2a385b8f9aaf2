/*
 * backend_cuda.cu - the CUDA backend: device set-up and teardown, the kernel
 * table, memory (with a count of the bytes held), synchronisation, graph
 * capture and the pending-error bookkeeping, all through the backend's
 * context (gan_cuda_ctx, cuda_common.cuh). The kernels live in the sibling
 * files (gemm.cu, gemm_lt.cu, pointwise.cu, norm.cu, norm2d.cu, conv.cu, conv_cudnn.cu,
 * conv_gemm.cu, loss.cu, optim.cu, rng.cu, misc.cu); see cuda_common.cuh.
 *
 * One device, one non-blocking stream, one cuBLAS handle with its own
 * workspace (so a graph capture never allocates; cuBLASLt's products share
 * it, gemm_lt.cu). Not thread-safe: one host
 * thread drives the backend at a time.
 */
#include "cuda_common.cuh"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The context of the one CUDA backend (one device per process). */
static gan_cuda_ctx cuda_ctx;

/* cuBLAS workspace: 32 MiB is what cuBLAS asks for on Hopper. */
#define GAN_CUBLAS_WORKSPACE_BYTES ((size_t)32 << 20)

gan_status gan_cuda_status_of(cudaError_t e) {
    return e == cudaErrorMemoryAllocation ? GAN_ERR_OUT_OF_MEMORY : GAN_ERR_DEVICE;
}

void gan_cuda_record(gan_cuda_ctx *cu, gan_status status, const char *what, const char *detail,
                     const char *file, int line) {
    if (cu->err != GAN_OK) return;
    const char *base = strrchr(file, '/');
    cu->err = status;
    snprintf(cu->err_msg, sizeof cu->err_msg, "CUDA: %s:%d: %s failed: %s",
             base ? base + 1 : file, line, what, detail);
}

bool gan_cuda_room_for_one(gan_cuda_ctx *cu, void **arr, size_t *cap, size_t n, size_t size,
                           size_t first, const char *what) {
    if (n < *cap) return true;
    size_t c = *cap ? 2 * *cap : first;
    void *p = realloc(*arr, c * size);
    if (!p) {
        gan_cuda_record(cu, GAN_ERR_OUT_OF_MEMORY, what, "out of host memory", __FILE__, __LINE__);
        return false;
    }
    *arr = p;
    *cap = c;
    return true;
}

void gan_cuda_report_line(char *buf, size_t cap, size_t *used, const char *line, int len,
                          size_t line_cap) {
    if (len < 0) return;
    if ((size_t)len >= line_cap) len = (int)line_cap - 1;
    if (*used + (size_t)len + 2 > cap) return;
    memcpy(buf + *used, line, (size_t)len);
    *used += (size_t)len;
    buf[(*used)++] = '\n';
    buf[*used] = '\0';
}

gan_status gan_cuda_take_error(gan_cuda_ctx *cu) {
    if (cu->err == GAN_OK) return GAN_OK;
    gan_status s = cu->err;
    cu->err = GAN_OK;
    return gan_fail(s, "%s", cu->err_msg);
}

/* ---------------------------------------------------------------- memory */

/* Remember a live block (host bookkeeping only; false when out of memory). */
static bool note_block(gan_cuda_ctx *cu, void *p, size_t bytes) {
    if (cu->n_blocks == cu->cap_blocks) {
        size_t cap = cu->cap_blocks ? 2 * cu->cap_blocks : 64;
        gan_cuda_block *b =
            (gan_cuda_block *)realloc(cu->blocks, cap * sizeof *cu->blocks);
        if (!b) return false;
        cu->blocks = b;
        cu->cap_blocks = cap;
    }
    cu->blocks[cu->n_blocks++] = gan_cuda_block{p, bytes};
    cu->bytes_in_use += bytes;
    if (cu->bytes_in_use > cu->bytes_peak) cu->bytes_peak = cu->bytes_in_use;
    return true;
}

static void forget_block(gan_cuda_ctx *cu, void *p) {
    for (size_t i = 0; i < cu->n_blocks; i++)
        if (cu->blocks[i].ptr == p) {
            cu->bytes_in_use -= cu->blocks[i].bytes;
            cu->blocks[i] = cu->blocks[--cu->n_blocks];
            return;
        }
}

void gan_backend_cuda_memory(size_t *in_use, size_t *peak) {
    gan_cuda_ctx *cu = &cuda_ctx;
    if (in_use) *in_use = cu->bytes_in_use;
    if (peak) *peak = cu->bytes_peak;
}

gan_status gan_cuda_mem_alloc(void *ctx, void **ptr, size_t bytes) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    *ptr = NULL;
    GAN_TRY(gan_cuda_take_error(cu));
    if (bytes == 0) return GAN_OK;
    if (cu->capturing)
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
                        bytes, cu->device, free_b, total_b, cudaGetErrorString(e));
    }
    e = cudaMemsetAsync(p, 0, bytes, cu->stream);
    if (e == cudaSuccess) e = cudaStreamSynchronize(cu->stream);
    if (e != cudaSuccess) {
        cudaFree(p);
        return gan_fail(gan_cuda_status_of(e), "CUDA: zeroing %zu new bytes failed: %s", bytes,
                        cudaGetErrorString(e));
    }
    if (!note_block(cu, p, bytes)) {
        cudaFree(p);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "out of host memory for device bookkeeping");
    }
    *ptr = p;
    return GAN_OK;
}

void gan_cuda_mem_free(void *ctx, void *ptr) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (!ptr) return;
    GAN_CUDA_NOTE(cu, cudaStreamSynchronize(cu->stream));
    GAN_CUDA_NOTE(cu, cudaFree(ptr));
    forget_block(cu, ptr);
}

void gan_cuda_copy_to_device(void *ctx, void *dst, const void *host_src, size_t bytes) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (!bytes) return;
    GAN_CUDA_NOTE(cu, cudaMemcpyAsync(dst, host_src, bytes, cudaMemcpyHostToDevice, cu->stream));
}

gan_status gan_cuda_copy_to_host(void *ctx, void *host_dst, const void *src, size_t bytes) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (cu->capturing)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                        "CUDA: copy_to_host while a graph is being captured");
    if (bytes) {
        GAN_CUDA_NOTE(cu, 
            cudaMemcpyAsync(host_dst, src, bytes, cudaMemcpyDeviceToHost, cu->stream));
    }
    GAN_CUDA_NOTE(cu, cudaStreamSynchronize(cu->stream));
    return gan_cuda_take_error(cu);
}

void gan_cuda_copy(void *ctx, void *dst, const void *src, size_t bytes) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (!bytes) return;
    GAN_CUDA_NOTE(cu, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, cu->stream));
}

void gan_cuda_mem_set(void *ctx, void *dst, int value, size_t bytes) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (!bytes) return;
    GAN_CUDA_NOTE(cu, cudaMemsetAsync(dst, value, bytes, cu->stream));
}

gan_status gan_cuda_synchronize(void *ctx) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (cu->capturing)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                        "CUDA: synchronize while a graph is being captured");
    GAN_CUDA_NOTE(cu, cudaStreamSynchronize(cu->stream));
    return gan_cuda_take_error(cu);
}

/* ---------------------------------------------------------------- graphs */

struct gan_graph {
    cudaGraph_t graph;
    cudaGraphExec_t exec;
};

gan_status gan_cuda_graph_begin(void *ctx) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    GAN_TRY(gan_cuda_take_error(cu));
    if (cu->capturing)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "CUDA: graph_begin while already capturing");
    cudaError_t e = cudaStreamBeginCapture(cu->stream, cudaStreamCaptureModeThreadLocal);
    if (e != cudaSuccess)
        return gan_fail(gan_cuda_status_of(e), "CUDA: cudaStreamBeginCapture failed: %s",
                        cudaGetErrorString(e));
    cu->capturing = true;
    cu->captures++;
    return GAN_OK;
}

gan_status gan_cuda_graph_end(void *ctx, gan_graph **out) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    *out = NULL;
    if (!cu->capturing)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "CUDA: graph_end without graph_begin");
    cu->capturing = false;
    cudaGraph_t graph = NULL;
    cudaError_t e = cudaStreamEndCapture(cu->stream, &graph);
    gan_status pending = gan_cuda_take_error(cu); /* a call that failed while recording */
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

gan_status gan_cuda_graph_replay(void *ctx, gan_graph *g) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (!g) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "CUDA: graph_replay of a NULL graph");
    if (cu->capturing)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "CUDA: graph_replay while capturing");
    cudaError_t e = cudaGraphLaunch(g->exec, cu->stream);
    if (e != cudaSuccess)
        return gan_fail(gan_cuda_status_of(e), "CUDA: cudaGraphLaunch failed: %s",
                        cudaGetErrorString(e));
    return gan_cuda_take_error(cu);
}

void gan_cuda_graph_free(void *ctx, gan_graph *g) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (!g) return;
    GAN_CUDA_NOTE(cu, cudaStreamSynchronize(cu->stream));
    GAN_CUDA_NOTE(cu, cudaGraphExecDestroy(g->exec));
    GAN_CUDA_NOTE(cu, cudaGraphDestroy(g->graph));
    free(g);
}

/* ------------------------------------------------------------------ table */

/* The direct convolutions (cuDNN or the GEMM path per shape) are filled in
 * or left NULL (the layers' im2col and cuBLAS) by gan_cuda_conv_select at
 * set-up and with each math change (conv_cudnn.cu). The classifier kernels are CPU only (gan classifier and
 * gan eval run there). Column cuda of backend_kernels.def says which are
 * NULL. */
static gan_backend cuda_backend = {
    .name = "cuda",
    .host_memory = false,
    .ctx = &cuda_ctx,
#define GAN_KERNEL(group, fn, cpu, cuda, ret, params) .fn = GAN_KERNEL_IF_##cuda(gan_cuda_##fn),
#include "backend_kernels.def"
};

const gan_backend *gan_backend_cuda(void) {
    return &cuda_backend;
}

size_t gan_backend_cuda_conv_report(char *buf, size_t cap) {
    return gan_cuda_conv_report(&cuda_ctx, buf, cap);
}

size_t gan_backend_cuda_gemm_report(char *buf, size_t cap) {
    return gan_cuda_gemm_report(&cuda_ctx, buf, cap);
}

void *gan_backend_cuda_stream(void) {
    return cuda_ctx.ready ? (void *)cuda_ctx.stream : NULL;
}

/* ------------------------------------------------------- set-up, teardown */

static gan_status cuda_init_fail(gan_status s, const char *what, cudaError_t e) {
    gan_backend_cuda_shutdown();
    return gan_fail(s, "CUDA: %s: %s", what, cudaGetErrorString(e));
}

gan_status gan_backend_cuda_init(int device) {
    gan_cuda_ctx *cu = &cuda_ctx;
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
    GAN_TRY(gan_cublas_load()); /* libcublas is mapped only now (cublas_lazy.h) */
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
    cu->device = device;
    cu->sm_count = prop.multiProcessorCount;
    e = cudaStreamCreateWithFlags(&cu->stream, cudaStreamNonBlocking);
    if (e != cudaSuccess) return cuda_init_fail(GAN_ERR_DEVICE, "cudaStreamCreate", e);

    cublasStatus_t bs = cublasCreate(&cu->blas);
    if (bs != CUBLAS_STATUS_SUCCESS) {
        cu->blas = NULL;
        gan_backend_cuda_shutdown();
        return gan_fail(GAN_ERR_UNSUPPORTED, "cuBLAS: cublasCreate failed: %s",
                        cublasGetStatusString(bs));
    }
    cu->blas_workspace_bytes = GAN_CUBLAS_WORKSPACE_BYTES;
    e = cudaMalloc(&cu->blas_workspace, cu->blas_workspace_bytes);
    if (e != cudaSuccess) {
        cu->blas_workspace = NULL;
        gan_backend_cuda_shutdown();
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "CUDA: cannot allocate %zu bytes of cuBLAS "
                        "workspace: %s", (size_t)GAN_CUBLAS_WORKSPACE_BYTES, cudaGetErrorString(e));
    }
    e = cudaMalloc(&cu->scratch, 2 * sizeof(double));
    if (e != cudaSuccess) {
        cu->scratch = NULL;
        return cuda_init_fail(GAN_ERR_OUT_OF_MEMORY, "cudaMalloc(16 bytes of scratch)", e);
    }
    e = cudaMalloc(&cu->reduce, GAN_CUDA_REDUCE_FLOATS * sizeof(float));
    if (e != cudaSuccess) {
        cu->reduce = NULL;
        return cuda_init_fail(GAN_ERR_OUT_OF_MEMORY, "cudaMalloc(reduction scratch)", e);
    }
    e = cudaMalloc(&cu->partials, GAN_CUDA_PARTIALS * sizeof(double));
    if (e != cudaSuccess) {
        cu->partials = NULL;
        return cuda_init_fail(GAN_ERR_OUT_OF_MEMORY, "cudaMalloc(partial sums)", e);
    }
    if ((bs = cublasSetStream(cu->blas, cu->stream)) != CUBLAS_STATUS_SUCCESS ||
        (bs = cublasSetWorkspace(cu->blas, cu->blas_workspace,
                                 cu->blas_workspace_bytes)) != CUBLAS_STATUS_SUCCESS ||
        (bs = cublasSetPointerMode(cu->blas, CUBLAS_POINTER_MODE_HOST)) !=
            CUBLAS_STATUS_SUCCESS ||
        (bs = cublasSetMathMode(cu->blas, CUBLAS_DEFAULT_MATH)) != CUBLAS_STATUS_SUCCESS) {
        gan_backend_cuda_shutdown();
        return gan_fail(GAN_ERR_DEVICE, "cuBLAS: set-up failed: %s", cublasGetStatusString(bs));
    }
    cu->err = GAN_OK;
    cu->math = GAN_CUDA_MATH_FP32;
    gan_status cs = gan_cuda_gemm_select(cu);
    if (cs == GAN_OK) cs = gan_cuda_conv_select(cu, &cuda_backend);
    if (cs != GAN_OK) {
        gan_backend_cuda_shutdown();
        return cs;
    }
    cu->ready = true;
    return GAN_OK;
}

gan_status gan_backend_cuda_set_math(gan_cuda_math math) {
    gan_cuda_ctx *cu = &cuda_ctx;
    if (!cu->ready)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "CUDA backend not initialised");
    cublasMath_t mode;
    switch (math) {
    case GAN_CUDA_MATH_FP32: mode = CUBLAS_DEFAULT_MATH; break;
    case GAN_CUDA_MATH_PEDANTIC: mode = CUBLAS_PEDANTIC_MATH; break;
    case GAN_CUDA_MATH_TF32: mode = CUBLAS_TF32_TENSOR_OP_MATH; break;
    case GAN_CUDA_MATH_BF16: mode = CUBLAS_DEFAULT_MATH; break; /* compute type per call */
    default: return gan_fail(GAN_ERR_INVALID_ARGUMENT, "unknown CUDA math mode %d", (int)math);
    }
    GAN_TRY(gan_cuda_gemm_select(cu)); /* GAN_CUDA_GEMM; a bad value changes nothing */
    cublasStatus_t bs = cublasSetMathMode(cu->blas, mode);
    if (bs != CUBLAS_STATUS_SUCCESS)
        return gan_fail(GAN_ERR_DEVICE, "cuBLAS: cublasSetMathMode failed: %s",
                        cublasGetStatusString(bs));
    cu->math = math;
    return gan_cuda_conv_select(cu, &cuda_backend);
}

void gan_backend_cuda_shutdown(void) {
    gan_cuda_ctx *cu = &cuda_ctx;
    if (cu->stream) (void)cudaStreamSynchronize(cu->stream);
    gan_cuda_cudnn_release(cu);
    gan_cuda_gemm_lt_release(cu);
    if (cu->blas) cublasDestroy(cu->blas);
    if (cu->blas_workspace) cudaFree(cu->blas_workspace);
    if (cu->scratch) cudaFree(cu->scratch);
    if (cu->reduce) cudaFree(cu->reduce);
    if (cu->partials) cudaFree(cu->partials);
    if (cu->stream) cudaStreamDestroy(cu->stream);
    (void)cudaGetLastError();
    free(cu->blocks);
    memset(cu, 0, sizeof *cu);
}

gan_status gan_backend_cuda_open(int device) {
    gan_cuda_ctx *cu = &cuda_ctx;
    if (cu->ready && cu->device == device) return GAN_OK;
    return gan_backend_cuda_init(device);
}
