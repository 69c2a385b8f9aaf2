/*
 * backend_cpu.c - the CPU reference backend (src/cpu/): thread count, memory
 * (plain aligned host memory), the graph calls it does not have, and the
 * kernel table, generated from backend_kernels.def. The kernels live in the
 * sibling files, which mirror src/cuda/ (see cpu_common.h).
 */
#include "cpu_common.h"
#include "internal.h"

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

void gan_backend_cpu_set_threads(int threads) {
    if (threads <= 0) threads = omp_get_num_procs();
    /* OpenBLAS's own threading changes results with the thread count (and
     * with the shapes it splits); cpu_gemm threads over fixed slabs instead.
     * (OpenMP builds of OpenBLAS set OpenMP's thread count here too, so this
     * call must come first.) */
    openblas_set_num_threads(1);
    omp_set_num_threads(threads);
}

/* ---- memory ---- */

#define CPU_ALIGN 64

gan_status gan_cpu_mem_alloc(void *ctx, void **ptr, size_t bytes) {
    *ptr = NULL;
    if (bytes == 0) return GAN_OK;
    if (bytes > SIZE_MAX - CPU_ALIGN)
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes of host memory", bytes);
    size_t rounded = (bytes + CPU_ALIGN - 1) / CPU_ALIGN * CPU_ALIGN;
    void *p = aligned_alloc(CPU_ALIGN, rounded);
    if (!p)
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "out of host memory allocating %zu bytes", bytes);
    memset(p, 0, rounded);
    *ptr = p;
    return GAN_OK;
}

void gan_cpu_mem_free(void *ctx, void *ptr) {
    free(ptr);
}

void gan_cpu_copy_to_device(void *ctx, void *dst, const void *host_src, size_t bytes) {
    if (bytes) memcpy(dst, host_src, bytes);
}

gan_status gan_cpu_copy_to_host(void *ctx, void *host_dst, const void *src, size_t bytes) {
    if (bytes) memcpy(host_dst, src, bytes);
    return GAN_OK;
}

void gan_cpu_copy(void *ctx, void *dst, const void *src, size_t bytes) {
    if (bytes) memcpy(dst, src, bytes);
}

void gan_cpu_mem_set(void *ctx, void *dst, int value, size_t bytes) {
    if (bytes) memset(dst, value, bytes);
}

gan_status gan_cpu_synchronize(void *ctx) {
    return GAN_OK;
}

/* ---- graphs: not on the CPU (there is no launch cost to save) ---- */

gan_status gan_cpu_graph_begin(void *ctx) {
    return gan_fail(GAN_ERR_UNSUPPORTED, "the cpu backend cannot capture graphs");
}

gan_status gan_cpu_graph_end(void *ctx, gan_graph **out) {
    *out = NULL;
    return gan_fail(GAN_ERR_UNSUPPORTED, "the cpu backend cannot capture graphs");
}

gan_status gan_cpu_graph_replay(void *ctx, gan_graph *g) {
    return gan_fail(GAN_ERR_UNSUPPORTED, "the cpu backend cannot replay graphs");
}

void gan_cpu_graph_free(void *ctx, gan_graph *g) {}

static const gan_backend cpu_backend = {
    .name = "cpu",
    .host_memory = true,
    .ctx = NULL,
#define GAN_KERNEL(group, fn, cpu, cuda, ret, params) .fn = GAN_KERNEL_IF_##cpu(gan_cpu_##fn),
#include "backend_kernels.def"
};

const gan_backend *gan_backend_cpu(void) {
    return &cpu_backend;
}
