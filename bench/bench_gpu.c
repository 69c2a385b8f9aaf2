/*
 * bench_gpu.c - time gan.c's training iteration on the GPU (gan_trainer_step
 * with --device cuda: the dataset on the GPU, the step replayed from its
 * graph), for bench_gpu.py, which runs it beside PyTorch.
 *
 * usage: bench_gpu MODEL BATCH STEPS DATA [--precision fp32|tf32|bf16] [--tf32] [--no-graph]
 *                  [--repeats R]
 *   MODEL: a preset, or NAME64 (dcgan64, resnet64): the preset written for the data
 *         shaped to 3x64x64 (dcgan64: the Radford et al. stack, 4 stride-2 stages,
 *         ngf = ndf = 64; resnet64: src/spec/auto.c's 64 px ResNets)
 *   DATA: any dataset (as `gan train --data`: IDX, a folder, ...), or "synthetic"
 *         (60,000 pseudo-random 28x28 images made in memory-backed temp file).
 * After 30 warm-up steps (the first runs directly, the second is captured),
 * it times R runs of STEPS steps, each ended by gan_trainer_take_stats (which
 * waits for the GPU), and prints one JSON line: the median ms/step and
 * images/s, the backend's peak device allocation and the drop of the
 * device's free memory (cudaMemGetInfo) from before the trainer was made.
 * GAN_CUDA_CONV_VERBOSE=1 also prints, to stderr, each convolution shape's
 * plan (the path it takes and the times measured: gan_backend_cuda_conv_report);
 * GAN_CUDA_GEMM_VERBOSE=1 each matrix product's (cuBLAS or cuBLASLt and both
 * timings: gan_backend_cuda_gemm_report).
 */
#define _POSIX_C_SOURCE 200809L
#include "backend.h"
#include "trainer.h"

#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int fail(const char *what) {
    fprintf(stderr, "bench_gpu: %s: %s\n", what, gan_last_error());
    return 1;
}

/* Write `n` pseudo-random 28x28 images as an IDX file; returns its path. */
static const char *synthetic(int n) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/bench_gpu_%d-images-idx3-ubyte", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    unsigned char hdr[16] = {0, 0, 8, 3, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                             (unsigned char)(n >> 8), (unsigned char)n, 0, 0, 0, 28, 0, 0, 0, 28};
    fwrite(hdr, 1, 16, f);
    unsigned char row[784];
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < 784; j++)
            row[j] = (unsigned char)(((size_t)i * 784 + j) * 2654435761u >> 24);
        fwrite(row, 1, 784, f);
    }
    return fclose(f) == 0 ? path : NULL;
}

/* main, also callable from a shared library (bench/profile_gpu.py). */
int bench_gpu_main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: bench_gpu MODEL BATCH STEPS DATA [--precision P] [--tf32] "
                        "[--no-graph] [--repeats R]\n");
        return 2;
    }
    const char *model = argv[1], *data_path = argv[4];
    int batch = atoi(argv[2]), steps = atoi(argv[3]), repeats = 3;
    bool graph = true;
    int precision = GAN_PRECISION_FP32;
    for (int i = 5; i < argc; i++) {
        if (strcmp(argv[i], "--tf32") == 0) precision = GAN_PRECISION_TF32;
        else if (strcmp(argv[i], "--precision") == 0 && i + 1 < argc) {
            const char *p = argv[++i];
            precision = -1;
            for (int k = 0; gan_precision_names[k]; k++)
                if (strcmp(p, gan_precision_names[k]) == 0) precision = k;
            if (precision < 0) {
                fprintf(stderr, "bench_gpu: --precision %s is not fp32, tf32 or bf16\n", p);
                return 2;
            }
        }
        else if (strcmp(argv[i], "--no-graph") == 0) graph = false;
        else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) repeats = atoi(argv[++i]);
        else {
            fprintf(stderr, "bench_gpu: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    if (batch < 1 || steps < 1 || repeats < 1 || repeats > 99) {
        fprintf(stderr, "bench_gpu: BATCH, STEPS and R must be positive (R <= 99)\n");
        return 2;
    }
    bool synth = strcmp(data_path, "synthetic") == 0;
    if (synth && !(data_path = synthetic(60000))) {
        fprintf(stderr, "bench_gpu: cannot write a synthetic dataset to /tmp\n");
        return 1;
    }
    /* dcgan64, resnet64: the preset written for 3x64x64 (dcgan: the Radford et
     * al. stack), the data shaped to RGB 64 px */
    char preset[32];
    size_t len = strlen(model);
    bool rgb64 = len > 2 && len < sizeof preset && strcmp(model + len - 2, "64") == 0;
    gan_dataset_options shape;
    gan_dataset_options_default(&shape);
    if (rgb64) {
        memcpy(preset, model, len - 2);
        preset[len - 2] = 0;
        shape.resolution = 64, shape.channels = 3, model = preset;
    }
    gan_dataset *data = NULL;
    gan_status s = gan_dataset_load_with(data_path, GAN_SPLIT_TRAIN, &shape, &data);
    if (synth) unlink(data_path);
    if (s != GAN_OK) return fail("dataset");
    if (gan_backend_cuda_open(0) != GAN_OK) return fail("GPU");
    size_t free0 = 0, free1 = 0, total = 0;
    cudaMemGetInfo(&free0, &total);

    gan_train_options opt;
    gan_train_options_default(&opt);
    opt.batch_size = batch;
    opt.device = GAN_DEVICE_CUDA;
    opt.precision = precision;
    gan_trainer *t = NULL;
    if (gan_trainer_create(model, &opt, data, &t) != GAN_OK) return fail("trainer");
    t->use_graph = graph;
    gan_step_stats st;
    for (int i = 0; i < 30; i++)
        if (gan_trainer_step(t, &st) != GAN_OK) return fail("warm-up step");
    if (gan_trainer_take_stats(t, &st) != GAN_OK) return fail("warm-up");
    const char *verbose = getenv("GAN_CUDA_CONV_VERBOSE");
    if (verbose && *verbose && strcmp(verbose, "0") != 0) {
        static char report[1 << 16];
        size_t n = gan_backend_cuda_conv_report(report, sizeof report);
        fprintf(stderr, "bench_gpu: %zu convolution plans (direct path)\n%s", n, report);
    }
    const char *gemm_verbose = getenv("GAN_CUDA_GEMM_VERBOSE");
    if (gemm_verbose && *gemm_verbose && strcmp(gemm_verbose, "0") != 0) {
        static char report[1 << 16];
        size_t n = gan_backend_cuda_gemm_report(report, sizeof report);
        fprintf(stderr, "bench_gpu: %zu product plans (GAN_CUDA_GEMM)\n%s", n, report);
    }

    double ms[99];
    for (int r = 0; r < repeats; r++) {
        double start = now();
        for (int i = 0; i < steps; i++)
            if (gan_trainer_step(t, &st) != GAN_OK) return fail("step");
        if (gan_trainer_take_stats(t, &st) != GAN_OK) return fail("stats");
        ms[r] = 1e3 * (now() - start) / steps;
    }
    cudaMemGetInfo(&free1, &total);
    size_t in_use = 0, peak = 0;
    gan_backend_cuda_memory(&in_use, &peak);
    qsort(ms, (size_t)repeats, sizeof ms[0], cmp_double);
    double med = ms[repeats / 2];
    printf("{\"engine\": \"gan.c\", \"model\": \"%s\", \"batch\": %d, \"steps\": %d, "
           "\"repeats\": %d, \"tf32\": %s, \"precision\": \"%s\", \"graph\": %s, \"ms_per_step\": %.5f, "
           "\"ms_min\": %.5f, \"ms_max\": %.5f, \"images_per_s\": %.1f, "
           "\"backend_peak_bytes\": %zu, \"device_used_delta_bytes\": %zu, "
           "\"loss_d\": %.5f, \"loss_g\": %.5f}\n",
           model, batch, steps, repeats, precision == GAN_PRECISION_TF32 ? "true" : "false",
           gan_precision_names[precision],
           graph && t->graph ? "true" : "false", med, ms[0], ms[repeats - 1], batch * 1e3 / med,
           peak, free0 > free1 ? free0 - free1 : 0, st.loss_d, st.loss_g);
    gan_trainer_free(t);
    gan_dataset_free(data);
    gan_backend_cuda_shutdown();
    return 0;
}

#ifndef BENCH_GPU_NO_MAIN
int main(int argc, char **argv) {
    return bench_gpu_main(argc, argv);
}
#endif
