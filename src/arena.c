/*
 * arena.c - bump allocator with a measuring pass (see arena.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "arena.h"
#include "backend.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GAN_ARENA_ALIGN 64

void gan_arena_measure(gan_arena *a) {
    a->base = NULL;
    a->size = 0;
    a->used = 0;
    a->be = NULL;
}

gan_status gan_arena_init(gan_arena *a, size_t size) {
    size_t rounded = (size + GAN_ARENA_ALIGN - 1) / GAN_ARENA_ALIGN * GAN_ARENA_ALIGN;
    /* the arena is zeroed (touched) at once: more than the machine holds would
       only end with the OOM killer, so refuse it with a message instead */
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0 && rounded / (size_t)page > (size_t)pages) {
        memset(a, 0, sizeof *a);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate %zu MB of memory: the machine "
                        "has %zu MB", rounded >> 20, ((size_t)pages * (size_t)page) >> 20);
    }
    a->base = aligned_alloc(GAN_ARENA_ALIGN, rounded ? rounded : GAN_ARENA_ALIGN);
    a->size = rounded;
    a->used = 0;
    a->be = NULL;
    if (!a->base)
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate %zu MB of memory",
                        rounded >> 20);
    memset(a->base, 0, rounded);
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
    else free(a->base);
    a->be = NULL;
    a->base = NULL;
    a->size = a->used = 0;
}
