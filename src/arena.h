/*
 * arena.h - one block of memory per lifetime, handed out by a bump pointer.
 *
 * Use it in two passes with the same sequence of calls: first with a
 * "measuring" arena (gan_arena_measure) that only adds up sizes, then with a
 * real one (gan_arena_init with the measured size). Every allocation is
 * 64-byte aligned and zeroed. Nothing is ever freed individually: the whole
 * arena is released at once by gan_arena_free.
 *
 * An arena may live in a backend's memory (gan_arena_init_on): then its
 * pointers are that backend's device pointers, for kernels only.
 */
#ifndef GAN_ARENA_H
#define GAN_ARENA_H

#include "internal.h"

struct gan_backend;

typedef struct gan_arena {
    char *base;  /* NULL while measuring */
    size_t size; /* capacity in bytes */
    size_t used; /* bytes handed out (or measured) so far */
    const struct gan_backend *be; /* owner of base when not NULL (else host memory) */
    bool mapped; /* host memory from mmap (freed with munmap) rather than malloc */
} gan_arena;

/* Start a measuring pass: allocations return NULL and only count bytes. */
void gan_arena_measure(gan_arena *a);

/* Allocate one zeroed, 64-byte-aligned block of `size` bytes. Large blocks
 * come from mmap, zero without being written: pages never used (the Adam
 * state of a model only sampled, worst-case scratch) cost no resident memory. */
gan_status gan_arena_init(gan_arena *a, size_t size);

/* The same in the memory of backend `be` (be->mem_alloc; its message names
 * the size when the device is out of memory). */
gan_status gan_arena_init_on(gan_arena *a, size_t size, const struct gan_backend *be);

/* n floats from the arena (NULL while measuring or when full). */
float *gan_arena_floats(gan_arena *a, size_t n);

/* n bytes from the arena, 64-byte aligned. */
void *gan_arena_bytes(gan_arena *a, size_t n);

void gan_arena_free(gan_arena *a);

#endif
