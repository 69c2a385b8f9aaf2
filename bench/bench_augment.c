/*
 * bench_augment.c - the CPU time of the augmentation one training step
 * does (trainer.h: with d_steps 1, three draws of parameters; the real
 * batch mirrored and augmented, the fake batch augmented for D and again
 * for G, and G's gradient back through it), to set against a step's time
 * (bench_step --cpu-time). Backend calls only, as the trainer makes them.
 *
 * usage: bench_augment [batch=64] [channels=3] [size=64] [reps=200]
 * Prints milliseconds per step's augmentation (CPU time, one thread).
 */
#define _POSIX_C_SOURCE 200809L
#include "augment.h"
#include "backend.h"
#include "rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    int B = argc > 1 ? atoi(argv[1]) : 64, C = argc > 2 ? atoi(argv[2]) : 3;
    int S = argc > 3 ? atoi(argv[3]) : 64, reps = argc > 4 ? atoi(argv[4]) : 200;
    if (B < 1 || C < 1 || S < 1 || reps < 1) {
        fprintf(stderr, "usage: bench_augment [batch=64] [channels=3] [size=64] [reps=200]\n");
        return 2;
    }
    gan_backend_cpu_set_threads(1);
    const gan_backend *be = gan_backend_cpu();
    void *ctx = be->ctx;
    size_t n = (size_t)B * C * S * S;
    float *x = malloc(n * 4), *y = malloc(n * 4), *tmp = malloc(n * 4), *g = malloc(n * 4);
    float *u = malloc((size_t)B * GAN_AUG_PARAMS * 4);
    if (!x || !y || !tmp || !g || !u) return 1;
    gan_rng_uniform(1, 1, x, n);
    gan_rng_uniform(1, 2, g, n);
    double start = 0;
    for (int r = 0; r < reps + 5; r++) {
        if (r == 5) start = cpu_now();
        for (int use = 0; use < 3; use++) { /* real (mirrored), fake for D, fake for G */
            uint64_t stream = gan_rng_stream(GAN_RNG_AUGMENT, (uint64_t)(3 * r + use));
            be->rng_uniform_dev(ctx, 1, &stream, u, (size_t)B * GAN_AUG_PARAMS);
            if (use == 0) be->mirror(ctx, x, u, B, C, S, S);
            be->augment_color_forward(ctx, tmp, x, u, B, C, S * S);
            be->augment_translation_forward(ctx, y, tmp, u, B, C, S, S);
            be->augment_cutout(ctx, y, y, u, B, C, S, S);
        }
        be->augment_cutout(ctx, tmp, g, u, B, C, S, S);
        be->augment_translation_backward(ctx, y, tmp, u, B, C, S, S);
        be->augment_color_backward(ctx, y, y, u, B, C, S * S);
    }
    double ms = 1e3 * (cpu_now() - start) / reps;
    printf("augmentation of one step (mirror + color,translation,cutout), batch %d, %dx%dx%d: "
           "%.3f ms (CPU time, one thread)\n", B, C, S, S, ms);
    free(x), free(y), free(tmp), free(g), free(u);
    return 0;
}
