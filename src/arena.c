/*
 * arena.c - bump allocator with a measuring pass (see arena.h).
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "arena.h"
#include "backend.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GAN_ARENA_ALIGN 64
#define GAN_ARENA_MAP_FROM ((size_t)1 << 20) /* blocks from this size on come from mmap */

void gan_arena_measure(gan_arena *a) {
    a->base = NULL;
    a->size = 0;
    a->used = 0;
    a->be = NULL;
    a->mapped = false;
}

gan_status gan_arena_init(gan_arena *a, size_t size) {
    size_t rounded = (size + GAN_ARENA_ALIGN - 1) / GAN_ARENA_ALIGN * GAN_ARENA_ALIGN;
    /* more than the machine holds would only end with the OOM killer once
       touched, so refuse it with a message instead */
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0 && rounded / (size_t)page > (size_t)pages) {
        memset(a, 0, sizeof *a);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate %zu MB of memory: the machine "
                        "has %zu MB", rounded >> 20, ((size_t)pages * (size_t)page) >> 20);
    }
    a->size = rounded;
    a->used = 0;
    a->be = NULL;
    a->mapped = rounded >= GAN_ARENA_MAP_FROM;
    if (a->mapped) { /* page-aligned and zero; resident only once touched */
        void *p = mmap(NULL, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        a->base = p == MAP_FAILED ? NULL : p;
    } else {
        a->base = aligned_alloc(GAN_ARENA_ALIGN, rounded ? rounded : GAN_ARENA_ALIGN);
        if (a->base) memset(a->base, 0, rounded ? rounded : GAN_ARENA_ALIGN);
    }
    if (!a->base) {
        a->mapped = false;
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate %zu MB of memory",
                        rounded >> 20);
    }
    return GAN_OK;
}

gan_status gan_arena_init_on(gan_arena *a, size_t size, const gan_backend *be) {
    if (!be || be->host_memory) return gan_arena_init(a, size);
    size_t rounded = (size + GAN_ARENA_ALIGN - 1) / GAN_ARENA_ALIGN * GAN_ARENA_ALIGN;
    gan_arena_measure(a);
    void *p = NULL;
    GAN_TRY(be->mem_alloc(be->ctx, &p, rounded ? rounded : GAN_ARENA_ALIGN)); /* zeroed */
    a->base = p;
    a->size = rounded;
    a->be = be;
    return GAN_OK;
}

void *gan_arena_bytes(gan_arena *a, size_t n) {
    size_t rounded = (n + GAN_ARENA_ALIGN - 1) / GAN_ARENA_ALIGN * GAN_ARENA_ALIGN;
    if (!a->base) {
        a->used += rounded;
        return NULL;
    }
    if (a->used + rounded > a->size) return NULL;
    void *p = a->base + a->used;
    a->used += rounded;
    return p;
}

float *gan_arena_floats(gan_arena *a, size_t n) {
    return (float *)gan_arena_bytes(a, n * sizeof(float));
}

void gan_arena_free(gan_arena *a) {
    if (a->be) a->be->mem_free(a->be->ctx, a->base);
    else if (a->mapped) munmap(a->base, a->size);
    else free(a->base);
    a->be = NULL;
    a->mapped = false;
    a->base = NULL;
    a->size = a->used = 0;
}
