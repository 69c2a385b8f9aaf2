/*
 * bench_metrics.c - time FID, KID (100 subsets of 1000) and PRDC (k = 3) on
 * two sets of random Gaussian features, once each.
 *
 * usage: bench_metrics [n=10000] [d=128] [threads=0]
 * Prints seconds per metric and the values (which mean nothing here).
 */
#define _POSIX_C_SOURCE 200809L
#include "eval/metrics.h"
#include "rng.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    int64_t n = argc > 1 ? atoll(argv[1]) : 10000;
    int d = argc > 2 ? atoi(argv[2]) : 128;
    int threads = argc > 3 ? atoi(argv[3]) : 0;
    if (threads > 0) omp_set_num_threads(threads);
    float *x = malloc((size_t)n * d * sizeof *x), *y = malloc((size_t)n * d * sizeof *y);
    if (!x || !y) return 1;
    gan_rng_normal(1, 1, x, (size_t)n * d);
    gan_rng_normal(1, 2, y, (size_t)n * d);
    for (size_t i = 0; i < (size_t)n * d; i++) y[i] = 0.9f * y[i] + 0.1f;
    gan_features real = {x, n, d}, fake = {y, n, d};
    gan_fid_result fid;
    gan_kid_result kid;
    gan_prdc_result pr;
    double t0 = now();
    if (gan_fid(&real, &fake, &fid) != GAN_OK) goto fail;
    double t1 = now();
    if (gan_kid(&real, &fake, NULL, &kid) != GAN_OK) goto fail;
    double t2 = now();
    if (gan_prdc(&real, &fake, GAN_PRDC_K, &pr) != GAN_OK) goto fail;
    double t3 = now();
    printf("n %lld, d %d, %d threads\n", (long long)n, d, omp_get_max_threads());
    printf("fid   %8.3f s  (%.4f)\n", t1 - t0, fid.distance);
    printf("kid   %8.3f s  (%.6f +- %.6f)\n", t2 - t1, kid.mean, kid.std);
    printf("prdc  %8.3f s  (P %.4f R %.4f D %.4f C %.4f)\n", t3 - t2, pr.precision, pr.recall,
           pr.density, pr.coverage);
    printf("total %8.3f s\n", t3 - t0);
    free(x), free(y);
    return 0;
fail:
    fprintf(stderr, "error: %s\n", gan_last_error());
    return 1;
}
