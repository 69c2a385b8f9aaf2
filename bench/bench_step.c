/*
 * bench_step.c - time gan.c's training iteration alone (no data loading, no
 * logging): the lab bench for tuning kernels. Not a comparison with PyTorch;
 * that is bench_seed.py / bench_dcgan.py.
 *
 * usage: bench_step [--model mlp|dcgan|FILE] [--profile] [--cpu-time] [--mirror]
 *                   [--augment LIST] [batch=64] [steps=300] [threads=0]
 * Prints ms per step and images per second (after 20 warm-up steps).
 * --cpu-time measures the process's CPU time instead of wall time: on a
 * shared, busy machine, at --threads 1, a steadier measure of the work done
 * (at 2 threads it also counts OpenMP's threads spinning while they wait).
 *
 * --mirror and --augment as for `gan train` (the real rows are put back
 * before each step, with or without them, so augmentation never compounds).
 *
 * --profile runs the same iteration layer by layer (a copy of the loops of
 * model.c and trainer.c with a timer around each layer call) and prints,
 * per network, pass and layer, the mean milliseconds per step. The copy
 * does exactly what gan_trainer_step_batch does, minus the loss
 * bookkeeping, so the totals match the plain timing up to the timer cost.
 */
#define _POSIX_C_SOURCE 200809L
#include "rng.h"
#include "trainer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static clockid_t clock_id = CLOCK_MONOTONIC; /* --cpu-time: CLOCK_PROCESS_CPUTIME_ID */

static double now(void) {
    struct timespec ts;
    clock_gettime(clock_id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds per (pass, layer); passes below. */
enum { P_G_FWD, P_D_FWD2, P_D_BWD2, P_D_ADAM, P_D_FWD1, P_D_BWD1, P_G_BWD, P_G_ADAM, P_COUNT };
static const char *pass_names[P_COUNT] = {
    "G forward (B)",          "D forward ([real; fake], 2B)", "D backward (2B, params)",
    "D adam",                 "D forward (fake, B)",          "D backward (B, dx only)",
    "G backward (B, params)", "G adam"};
static double prof[P_COUNT][GAN_MAX_LAYERS + 1];

static const float *timed_forward(gan_model *m, int pass, const float *x, int N) {
    if (x != m->acts[0]) memcpy(m->acts[0], x, (size_t)N * m->in_size * sizeof *x);
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer *l = &m->layers[i];
        if (l->is_view || l->fused) continue;
        double t0 = now();
        l->ops->forward(l, m->be, m->acts[i], m->acts[i + 1], N, true);
        prof[pass][i] += now() - t0;
    }
    m->rng_counter++;
    return m->acts[m->n_layers];
}

static const float *timed_backward(gan_model *m, int pass, const float *dy, int N,
                                   bool param_grads, bool want_dx) {
    int first = 0;
    while (first < m->n_layers && (m->layers[first].is_view || m->layers[first].fused)) first++;
    if (param_grads) m->grads_zero = false; /* as gan_model_backward */
    const float *grad = dy;
    for (int i = m->n_layers - 1; i >= first; i--) {
        gan_layer *l = &m->layers[i];
        if (l->is_view || l->fused) continue;
        bool need_dx = want_dx || i > first;
        float *dx = need_dx ? m->grad_of[i] : NULL;
        double t0 = now();
        l->ops->backward(l, m->be, m->acts[i], m->acts[i + 1], grad, dx, N, param_grads);
        prof[pass][i] += now() - t0;
        if (!dx) return NULL;
        grad = dx;
    }
    return want_dx ? grad : NULL;
}

static void timed_adam(gan_model *m, int pass, const gan_train_options *o) {
    double t0 = now();
    gan_model_adam_step(m, o->lr, o->beta1, o->beta2, o->adam_eps);
    prof[pass][GAN_MAX_LAYERS] += now() - t0;
}

/* gan_trainer_step_batch, layer by layer. */
static void profiled_step(gan_trainer *t) {
    const gan_backend *be = t->be;
    int B = t->batch;
    static float *targets; /* B ones then B zeros, made once */
    if (!targets) {
        targets = malloc(2 * (size_t)B * sizeof *targets);
        if (!targets) abort();
        for (int i = 0; i < 2 * B; i++) targets[i] = i < B ? 1.0f : 0.0f;
    }
    size_t img = (size_t)t->image_size;
    const gan_train_options *o = &t->opt;
    const float *fake = timed_forward(&t->g, P_G_FWD, t->g.acts[0], B);
    float *fake_rows = t->d.acts[0] + (size_t)B * img;
    if (fake != fake_rows) memcpy(fake_rows, fake, (size_t)B * img * sizeof *fake); /* the trainer
                                                   binds G's output there (gan_model_forward_at) */
    const float *logits = timed_forward(&t->d, P_D_FWD2, t->d.acts[0], 2 * B);
    float *out_b = (float *)t->d.out_bias; /* D's last bias, deferred to the loss (model.h) */
    if (out_b) be->bias_forward(be->ctx, (float *)logits, out_b, 2 * B, 1);
    float scale = 1.0f / (2.0f * (float)B);
    be->bce_logits(be->ctx, t->dlogits, logits, targets, (size_t)2 * B, scale, NULL);
    if (out_b) be->bias_backward(be->ctx, t->d.out_bias_grad, t->dlogits, 2 * B, 1);
    gan_model_zero_grads(&t->d);
    timed_backward(&t->d, P_D_BWD2, t->dlogits, 2 * B, true, false);
    timed_adam(&t->d, P_D_ADAM, o);
    logits = timed_forward(&t->d, P_D_FWD1, fake_rows, B);
    if (out_b) be->bias_forward(be->ctx, (float *)logits, out_b, B, 1);
    be->bce_logits(be->ctx, t->dlogits, logits, targets, (size_t)B, 1.0f / (float)B, NULL);
    const float *dfake = timed_backward(&t->d, P_D_BWD1, t->dlogits, B, false, true);
    gan_model_zero_grads(&t->g);
    timed_backward(&t->g, P_G_BWD, dfake, B, true, false);
    timed_adam(&t->g, P_G_ADAM, o);
    t->step++;
}

static void print_profile(gan_trainer *t, int steps) {
    double total = 0;
    for (int p = 0; p < P_COUNT; p++)
        for (int i = 0; i <= GAN_MAX_LAYERS; i++) total += prof[p][i];
    printf("per-layer profile, ms per step (%% of %.3f ms timed):\n", 1e3 * total / steps);
    for (int p = 0; p < P_COUNT; p++) {
        gan_model *m = (p == P_G_FWD || p == P_G_BWD || p == P_G_ADAM) ? &t->g : &t->d;
        double sum = 0;
        for (int i = 0; i <= GAN_MAX_LAYERS; i++) sum += prof[p][i];
        printf("  %-30s %8.3f ms  %5.1f%%\n", pass_names[p], 1e3 * sum / steps,
               100.0 * sum / total);
        for (int i = 0; i < m->n_layers; i++) {
            if (prof[p][i] == 0) continue;
            const gan_layer *l = &m->layers[i];
            printf("    %2d %-18s %3dx%2dx%-2d -> %3dx%2dx%-2d %8.3f ms  %5.1f%%\n", i,
                   gan_layer_name(l), l->in[0], l->in[1], l->in[2], l->out[0], l->out[1], l->out[2],
                   1e3 * prof[p][i] / steps, 100.0 * prof[p][i] / total);
        }
    }
}

int main(int argc, char **argv) {
    gan_train_options opt;
    gan_train_options_default(&opt);
    const char *model = "mlp";
    bool profile = false;
    int pos[3] = {64, 300, 0}, npos = 0;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--model") == 0 && a + 1 < argc) model = argv[++a];
        else if (strcmp(argv[a], "--profile") == 0) profile = true;
        else if (strcmp(argv[a], "--cpu-time") == 0) clock_id = CLOCK_PROCESS_CPUTIME_ID;
        else if (strcmp(argv[a], "--mirror") == 0) opt.mirror = 1;
        else if (strcmp(argv[a], "--augment") == 0 && a + 1 < argc) {
            if (gan_augment_parse(argv[++a], &opt.augment) != GAN_OK) {
                fprintf(stderr, "bench_step: --augment: %s\n", gan_last_error());
                return 2;
            }
        }
        else if (argv[a][0] != '-' && npos < 3) pos[npos++] = atoi(argv[a]);
        else {
            fprintf(stderr, "usage: bench_step [--model mlp|dcgan|FILE] [--profile] [--cpu-time] "
                            "[--mirror] [--augment LIST] [batch=64] [steps=300] [threads=0]\n");
            return 2;
        }
    }
    if (profile && (opt.mirror || opt.augment)) {
        fprintf(stderr, "bench_step: --profile times the plain iteration (no --mirror, --augment)\n");
        return 2;
    }
    opt.batch_size = pos[0];
    int steps = pos[1];
    opt.threads = pos[2];
    gan_trainer *t = NULL;
    gan_spec *spec = NULL;
    gan_status made = gan_spec_load(model, &spec);
    if (made == GAN_OK) made = gan_trainer_create_for_spec(spec, &opt, &t);
    gan_spec_free(spec);
    if (made != GAN_OK) {
        fprintf(stderr, "bench_step: %s\n", gan_last_error());
        return 1;
    }
    size_t img = (size_t)t->image_size, B = (size_t)opt.batch_size;
    float *real = gan_trainer_real_rows(t); /* stand-in images in [-1, 1) */
    gan_rng_uniform(9, 1, real, B * img);
    for (size_t i = 0; i < B * img; i++) real[i] = 2.0f * real[i] - 1.0f;
    float *images = malloc(B * img * sizeof *images);
    if (!images) return 1;
    memcpy(images, real, B * img * sizeof *images);
    double start = 0;
    for (int s = 0; s < steps + 20; s++) {
        if (s == 20) {
            start = now();
            memset(prof, 0, sizeof prof);
        }
        gan_rng_normal(opt.seed, gan_rng_stream(GAN_RNG_NOISE, (uint64_t)s), gan_trainer_noise(t),
                       B * (size_t)t->latent);
        memcpy(real, images, B * img * sizeof *images);
        if (profile) {
            profiled_step(t);
        } else {
            gan_step_stats st;
            gan_trainer_step_batch(t, &st);
        }
    }
    double el = now() - start;
    char aug[64];
    gan_augment_format(opt.augment, aug, sizeof aug);
    printf("model %s batch %zu threads %d mirror %d augment %s%s%s: %.3f ms/step, %.0f "
           "images/s\n", model, B, opt.threads, opt.mirror, aug, profile ? " (profiled)" : "",
           clock_id == CLOCK_MONOTONIC ? "" : " (CPU time)", 1e3 * el / steps,
           (double)steps * B / el);
    if (profile) print_profile(t, steps);
    free(images);
    gan_trainer_free(t);
    return 0;
}
