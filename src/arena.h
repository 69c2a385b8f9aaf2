/*
 * arena.h - one block of memory per lifetime, handed out by a bump pointer.
 *
 * Use it in two passes with the same sequence of calls: first with a
 * "measuring" arena (gan_arena_measure) that only adds up sizes, then with a
 * real one (gan_arena_init with the measured size). Every allocation is
 * 64-byte aligned and zeroed. Nothing is ever freed individually: the whole
 * arena is released at once by gan_arena_free.
 */
#ifndef GAN_ARENA_H
#define GAN_ARENA_H

#include "internal.h"

typedef struct gan_arena {
    char *base;  /* NULL while measuring */
    size_t size; /* capacity in bytes */
    size_t used; /* bytes handed out (or measured) so far */
} gan_arena;

/* Start a measuring pass: allocations return NULL and only count bytes. */
void gan_arena_measure(gan_arena *a);

/* Allocate one zeroed, 64-byte-aligned block of `size` bytes. */
gan_status gan_arena_init(gan_arena *a, size_t size);

/* n floats from the arena (NULL while measuring or when full). */
float *gan_arena_floats(gan_arena *a, size_t n);

/* n bytes from the arena, 64-byte aligned. */
void *gan_arena_bytes(gan_arena *a, size_t n);

void gan_arena_free(gan_arena *a);

#endif
