/*
 * bench_step.c - time gan.c's training iteration alone (no data loading, no
 * logging): the lab bench for tuning kernels. Not a comparison with PyTorch;
 * that is bench_seed.py.
 *
 * usage: bench_step [batch=64] [steps=300] [threads=0]
 * Prints ms per step and images per second (after 20 warm-up steps).
 */
#define _POSIX_C_SOURCE 200809L
#include "rng.h"
#include "trainer.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    gan_train_options opt;
    gan_train_options_default(&opt);
    opt.batch_size = argc > 1 ? atoi(argv[1]) : 64;
    int steps = argc > 2 ? atoi(argv[2]) : 300;
    opt.threads = argc > 3 ? atoi(argv[3]) : 0;
    gan_trainer *t;
    if (gan_trainer_create_for_shape("mlp", &opt, &t) != GAN_OK) {
        fprintf(stderr, "bench_step: %s\n", gan_last_error());
        return 1;
    }
    size_t img = (size_t)t->image_size, B = (size_t)opt.batch_size;
    gan_rng_uniform(9, 1, gan_trainer_real_rows(t), B * img);
    double start = 0;
    for (int s = 0; s < steps + 20; s++) {
        if (s == 20) start = now();
        gan_rng_normal(opt.seed, gan_rng_stream(GAN_RNG_NOISE, (uint64_t)s), gan_trainer_noise(t),
                       B * (size_t)t->latent);
        gan_step_stats st;
        gan_trainer_step_batch(t, &st);
    }
    double el = now() - start;
    printf("batch %zu threads %d: %.3f ms/step, %.0f images/s\n", B, opt.threads,
           1e3 * el / steps, (double)steps * B / el);
    gan_trainer_free(t);
    return 0;
}
