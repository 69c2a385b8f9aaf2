/*
 * test_cuda_trainer.c - a trainer on the GPU against the same trainer on the
 * CPU, for the seed model (mlp) and the dcgan preset (label cuda; 77 = no
 * GPU, see cuda_test_util.h):
 *   - from the same seed the initial weights and state are identical;
 *   - one training step gives the same losses, gradients, weights and
 *     running statistics within float32 tolerance (below);
 *   - N steps replayed from the captured graph equal N steps run directly,
 *     bit for bit (weights, Adam moments, state, loss sums), across an
 *     epoch boundary;
 *   - a GPU checkpoint resumes on the CPU and on the GPU with identical
 *     state, and a resumed GPU run continues bit for bit;
 *   - samples of the GPU generator and trainer match the CPU's;
 *   - the training options (losses, per-network rates, several D steps,
 *     label smoothing, a moving average of G, mirror and augmentation), the
 *     conditional presets (labels gathered on the device) and a spec with the
 *     ResNet layers (test_resnet_layers_spec) and one with residual blocks
 *     (test_block_spec): graph replays equal direct steps bit
 *     for bit (EMA included, with its warm-up decay read from the device
 *     step counter, and once without the warm-up), the first step matches the CPU within the
 *     tolerances below, and a GPU checkpoint with an EMA resumes on the CPU
 *     and loads as the EMA generator;
 *   - self-attention with spectral norm in G and D (test_attention_spec,
 *     gamma set to 0.5 so that f, g and h get gradients): the same initial
 *     weights and power-iteration vectors, the first step within the
 *     tolerances below (each attention layer's gradients as well as each
 *     network's), and 14 graph replays equal to direct steps, bit for bit;
 *   - the dcgan preset written for 3x32x32 data (the Radford et al. stack,
 *     --init dcgan): the same initial weights, first step and graph replays;
 *   - out of GPU memory is refused with the size needed; a GPU failure in
 *     the middle of training (a kernel writing to a bad address) is
 *     reported by the next call that waits, no checkpoint is written over
 *     the last good one, and that one still resumes (on the CPU).
 *
 * Tolerances for one step (FP32 cuBLAS against OpenBLAS; sums in other
 * orders): losses and mean D outputs |d| <= 1e-5 + 1e-4 |cpu|; gradients
 * ||gpu - cpu|| / ||cpu|| <= 1e-4 per network; running statistics atol 1e-6,
 * rtol 1e-4; weights: Adam's first step moves each weight by about lr = 2e-4
 * times the sign of its gradient, so a weight whose gradient is ~0 may move
 * the other way: max |d| <= 2 lr + 1e-6, and the updates (w1 - w0) agree to
 * ||d|| / ||update|| <= 2e-2. Samples: max |d| <= 1e-4 (after 10 steps).
 */
#include "checkpoint.h"
#include "cuda_test_util.h"
#include "generator.h"
#include "spec/spec.h"
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LR 2e-4f

/* n images; with `labels`, a labels file of classes i mod 10 next to them. */
static gan_dataset *make_dataset_labeled(int n, bool labels) {
    return test_synthetic_dataset(labels ? "cudalab" : "cuda", n, labels);
}

static gan_dataset *make_dataset(int n) {
    return make_dataset_labeled(n, false);
}

static gan_trainer *make_trainer_opt(const char *model, gan_dataset *data, int device, int batch,
                                    const gan_train_options *base) {
    gan_train_options opt;
    if (base) opt = *base;
    else gan_train_options_default(&opt);
    opt.batch_size = batch;
    opt.threads = 0;
    opt.seed = 11;
    opt.device = device;
    gan_trainer *t = NULL;
    CHECK_OK(gan_trainer_create(model, &opt, data, &t));
    if (!t) abort();
    return t;
}

static gan_trainer *make_trainer(const char *model, gan_dataset *data, int device, int batch) {
    return make_trainer_opt(model, data, device, batch, NULL);
}

/* A model's blocks on the host (a copy; the caller frees). */
typedef struct host_model {
    float *params, *grads, *m, *v, *state;
    size_t n_params, n_state;
    int64_t adam_t;
} host_model;

static host_model fetch(gan_model *m) {
    host_model h = {.n_params = m->n_params, .n_state = m->n_state, .adam_t = m->adam_t};
    size_t np = m->n_params, ns = m->n_state ? m->n_state : 1;
    h.params = malloc(np * 4), h.grads = malloc(np * 4), h.m = malloc(np * 4);
    h.v = malloc(np * 4), h.state = malloc(ns * 4);
    CHECK_OK(m->be->copy_to_host(m->be->ctx, h.params, m->params, np * 4));
    if (m->inference_only) { /* the EMA copy: no gradients, no Adam moments */
        CHECK(!m->grads && !m->adam_m && !m->adam_v);
        memset(h.grads, 0, np * 4), memset(h.m, 0, np * 4), memset(h.v, 0, np * 4);
    } else {
        CHECK_OK(m->be->copy_to_host(m->be->ctx, h.grads, m->grads, np * 4));
        CHECK_OK(m->be->copy_to_host(m->be->ctx, h.m, m->adam_m, np * 4));
        CHECK_OK(m->be->copy_to_host(m->be->ctx, h.v, m->adam_v, np * 4));
    }
    CHECK_OK(m->be->copy_to_host(m->be->ctx, h.state, m->state, m->n_state * 4));
    return h;
}

static void release(host_model *h) {
    free(h->params), free(h->grads), free(h->m), free(h->v), free(h->state);
}

static bool same(const float *a, const float *b, size_t n) {
    return memcmp(a, b, n * sizeof *a) == 0;
}

static bool same_model(const host_model *a, const host_model *b) {
    size_t n = a->n_params;
    return n == b->n_params && same(a->params, b->params, n) && same(a->m, b->m, n) &&
           same(a->v, b->v, n) && same(a->state, b->state, a->n_state) &&
           a->adam_t == b->adam_t;
}

static void test_initial_weights(const char *model, gan_dataset *data) {
    gan_trainer *c = make_trainer(model, data, GAN_DEVICE_CPU, 32);
    gan_trainer *g = make_trainer(model, data, GAN_DEVICE_CUDA, 32);
    gan_model *mc[2] = {&c->g, &c->d}, *mg[2] = {&g->g, &g->d};
    for (int i = 0; i < 2; i++) {
        host_model a = fetch(mc[i]), b = fetch(mg[i]);
        CHECK_MSG(same_model(&a, &b), "%s %s: initial weights differ between CPU and GPU", model,
                  mc[i]->name);
        CHECK(same(b.params, mg[i]->host.params, b.n_params)); /* the host copies too */
        release(&a);
        release(&b);
    }
    gan_trainer_free(c);
    gan_trainer_free(g);
}

static void compare_stat(const char *what, float gpu_v, float cpu_v) {
    CHECK_MSG(fabsf(gpu_v - cpu_v) <= 1e-5f + 1e-4f * fabsf(cpu_v), "%s: gpu %.8g cpu %.8g",
              what, gpu_v, cpu_v);
}

/* Each self_attention layer's gradients (f, g, h, their biases, gamma) on the
 * GPU against the CPU after one step (none in most models): the per-network
 * check could hide them among the convolutions'. */
static void check_attention_grads(gan_trainer *c, gan_trainer *g) {
    gan_model *mc[2] = {&c->g, &c->d}, *mg[2] = {&g->g, &g->d};
    for (int i = 0; i < 2; i++) {
        bool any = false;
        for (int k = 0; k < mc[i]->n_layers; k++)
            any |= strcmp(mc[i]->layers[k].ops->name, "self_attention") == 0;
        if (!any) continue;
        host_model a = fetch(mc[i]), b = fetch(mg[i]);
        for (int k = 0; k < mc[i]->n_layers; k++) {
            const gan_layer *l = &mc[i]->layers[k];
            if (strcmp(l->ops->name, "self_attention") != 0) continue;
            size_t at = (size_t)(l->params - mc[i]->params), n = l->n_params;
            double err = rel_l2(b.grads + at, a.grads + at, n);
            double ng = 0; /* f, g, h and their biases: 0 while gamma is 0 */
            for (size_t j = 0; j + 1 < n; j++) ng += (double)a.grads[at + j] * a.grads[at + j];
            fprintf(stderr, "attention %s.%d: gradient L2 %.3g (f, g, h), gamma's %.3g; GPU vs "
                    "CPU rel L2 %.3g\n", mc[i]->name, k, sqrt(ng), a.grads[at + n - 1], err);
            CHECK_MSG(ng > 0, "%s.%d: no gradient reached f, g and h", mc[i]->name, k);
            CHECK_MSG(err <= 1e-4, "%s.%d: attention gradients differ by %.3g (rel L2)",
                      mc[i]->name, k, err);
        }
        release(&a);
        release(&b);
    }
}

/* One step of the CPU trainer c and the GPU trainer g (same model, same
 * weights) against each other; frees both. */
static void check_one_step(gan_trainer *c, gan_trainer *g, const char *model) {
    c->g.keep_grads = c->d.keep_grads = true; /* compared after the step (model.h) */
    g->g.keep_grads = g->d.keep_grads = true;
    host_model before[2] = {fetch(&c->g), fetch(&c->d)};
    gan_step_stats sc, sg;
    CHECK_OK(gan_trainer_step(c, &sc));
    CHECK_OK(gan_trainer_step(g, &sg));
    CHECK_OK(gan_trainer_take_stats(c, &sc));
    CHECK_OK(gan_trainer_take_stats(g, &sg));
    fprintf(stderr, "%s one step: loss_d cpu %.7f gpu %.7f, loss_g cpu %.7f gpu %.7f\n", model,
            sc.loss_d, sg.loss_d, sc.loss_g, sg.loss_g);
    compare_stat("loss_d", sg.loss_d, sc.loss_d);
    compare_stat("loss_g", sg.loss_g, sc.loss_g);
    compare_stat("d_real", sg.d_real, sc.d_real);
    compare_stat("d_fake", sg.d_fake, sc.d_fake);
    CHECK(sg.step == 1 && sc.step == 1);

    gan_model *mc[2] = {&c->g, &c->d}, *mg[2] = {&g->g, &g->d};
    for (int i = 0; i < 2; i++) {
        host_model a = fetch(mc[i]), b = fetch(mg[i]);
        size_t n = a.n_params;
        double gerr = rel_l2(b.grads, a.grads, n);
        double wmax = 0, num = 0, den = 0;
        for (size_t k = 0; k < n; k++) {
            double d = fabs((double)b.params[k] - a.params[k]);
            double up = (double)a.params[k] - before[i].params[k];
            if (d > wmax) wmax = d;
            num += d * d;
            den += up * up;
        }
        double uerr = den > 0 ? sqrt(num / den) : 0;
        fprintf(stderr, "%s %s after one step: grads rel L2 %.3g, weights max |d| %.3g, "
                "updates rel L2 %.3g\n", model, mc[i]->name, gerr, wmax, uerr);
        CHECK_MSG(gerr <= 1e-4, "%s %s: gradients differ by %.3g (rel L2)", model, mc[i]->name,
                  gerr);
        CHECK_MSG(wmax <= 2 * LR + 1e-6, "%s %s: a weight differs by %.3g", model, mc[i]->name,
                  wmax);
        CHECK_MSG(uerr <= 2e-2, "%s %s: updates differ by %.3g (rel L2)", model, mc[i]->name,
                  uerr);
        double serr = test_max_rel_err(b.state, a.state, a.n_state, 1e-6, 1e-4);
        CHECK_MSG(serr <= 1.0, "%s %s: running statistics differ (%.3g of tolerance)", model,
                  mc[i]->name, serr);
        CHECK(a.adam_t == 1 && b.adam_t == 1);
        release(&a);
        release(&b);
        release(&before[i]);
    }
    check_attention_grads(c, g);
    gan_trainer_free(c);
    gan_trainer_free(g);
}

static void test_one_step(const char *model, gan_dataset *data) {
    check_one_step(make_trainer(model, data, GAN_DEVICE_CPU, 32),
                   make_trainer(model, data, GAN_DEVICE_CUDA, 32), model);
}

/* N steps through the graph on the GPU trainer b vs N direct steps on the
 * GPU trainer a (same model, same weights); frees both. */
static void check_graph_matches_direct(gan_trainer *a, gan_trainer *b, const char *model,
                                       int steps) {
    a->use_graph = false;
    gan_step_stats sa, sb;
    for (int i = 0; i < steps; i++) {
        CHECK_OK(gan_trainer_step(a, &sa));
        CHECK_OK(gan_trainer_step(b, &sb));
    }
    CHECK_MSG(b->graph != NULL && a->graph == NULL, "%s: the graph was %s", model,
              b->graph ? "also used without use_graph" : "never captured");
    CHECK_OK(gan_trainer_take_stats(a, &sa));
    CHECK_OK(gan_trainer_take_stats(b, &sb));
    CHECK_MSG(memcmp(&sa, &sb, sizeof sa) == 0, "%s: graph stats differ: loss_d %.9g vs %.9g",
              model, sa.loss_d, sb.loss_d);
    gan_model *ma[2] = {&a->g, &a->d}, *mb[2] = {&b->g, &b->d};
    for (int i = 0; i < 2; i++) {
        host_model x = fetch(ma[i]), y = fetch(mb[i]);
        CHECK_MSG(same_model(&x, &y) && same(x.grads, y.grads, x.n_params),
                  "%s %s: %d graph replays differ from %d direct steps", model, ma[i]->name,
                  steps, steps);
        CHECK(x.adam_t == steps);
        release(&x);
        release(&y);
    }
    int64_t step_a = 0, step_b = 0;
    CHECK_OK(gpu->copy_to_host(gpu->ctx, &step_a, a->step_dev, sizeof step_a));
    CHECK_OK(gpu->copy_to_host(gpu->ctx, &step_b, b->step_dev, sizeof step_b));
    CHECK(step_a == steps && step_b == steps && a->step == steps && b->step == steps);
    fprintf(stderr, "%s: %d graph replays == %d direct steps, bit for bit\n", model, steps - 1,
            steps - 1);
    gan_trainer_free(a);
    gan_trainer_free(b);
}

static void test_graph_matches_direct(const char *model, gan_dataset *data, int steps) {
    check_graph_matches_direct(make_trainer(model, data, GAN_DEVICE_CUDA, 32),
                               make_trainer(model, data, GAN_DEVICE_CUDA, 32), model, steps);
}

/* Save on the GPU; resume on the CPU and the GPU; continue on the GPU. */
static void test_checkpoint_and_samples(const char *model, gan_dataset *data) {
    gan_trainer *g = make_trainer(model, data, GAN_DEVICE_CUDA, 32);
    gan_step_stats st;
    for (int i = 0; i < 10; i++) CHECK_OK(gan_trainer_step(g, &st));
    const char *ckpt = test_tmp_path_kept("cuda-trainer.safetensors");
    CHECK_OK(gan_trainer_save_checkpoint(g, ckpt));

    gan_train_options machine;
    gan_train_options_default(&machine);
    gan_trainer *rc = NULL, *rg = NULL;
    CHECK_OK(gan_trainer_resume_on(ckpt, data, &machine, &rc));
    machine.device = GAN_DEVICE_CUDA;
    CHECK_OK(gan_trainer_resume_on(ckpt, data, &machine, &rg));
    if (!rc || !rg) abort();
    gan_model *m0[2] = {&g->g, &g->d}, *m1[2] = {&rc->g, &rc->d}, *m2[2] = {&rg->g, &rg->d};
    for (int i = 0; i < 2; i++) {
        host_model a = fetch(m0[i]), b = fetch(m1[i]), c = fetch(m2[i]);
        CHECK_MSG(same_model(&a, &b), "%s %s: GPU checkpoint resumed on the CPU differs", model,
                  m0[i]->name);
        CHECK_MSG(same_model(&a, &c), "%s %s: GPU checkpoint resumed on the GPU differs", model,
                  m0[i]->name);
        release(&a), release(&b), release(&c);
    }
    CHECK(rc->step == 10 && rg->step == 10);

    /* the resumed GPU run continues exactly like the one never stopped */
    for (int i = 0; i < 4; i++) {
        CHECK_OK(gan_trainer_step(g, &st));
        CHECK_OK(gan_trainer_step(rg, &st));
    }
    for (int i = 0; i < 2; i++) {
        gan_model *x = i ? &g->d : &g->g, *y = i ? &rg->d : &rg->g;
        host_model a = fetch(x), b = fetch(y);
        CHECK_MSG(same_model(&a, &b), "%s %s: resumed GPU run drifted", model, x->name);
        release(&a), release(&b);
    }

    /* samples: generator on CPU and GPU from the checkpoint, and the trainers */
    gan_generator *gc = NULL, *gg = NULL;
    CHECK_OK(gan_generator_load_on(ckpt, GAN_DEVICE_CPU, &gc));
    CHECK_OK(gan_generator_load_on(ckpt, GAN_DEVICE_CUDA, &gg));
    if (!gc || !gg) abort();
    int n = 300, latent = gan_generator_latent_dim(gc);
    float *z = malloc((size_t)n * latent * 4);
    float *ic = malloc((size_t)n * 784 * 4), *ig = malloc((size_t)n * 784 * 4);
    float *it = malloc((size_t)n * 784 * 4);
    gan_generator_noise(gc, 5, 0, n, z);
    CHECK_OK(gan_generator_generate(gc, z, n, ic));
    CHECK_OK(gan_generator_generate(gg, z, n, ig));
    CHECK_OK(gan_trainer_generate(rc, z, n, it)); /* the CPU trainer: same weights as gc */
    double e1 = test_max_rel_err(ig, ic, (size_t)n * 784, 1e-4, 0);
    double e2 = test_max_rel_err(ic, it, (size_t)n * 784, 1e-6, 0); /* other row chunks */
    CHECK_MSG(e1 <= 1.0, "%s: GPU samples differ from the CPU's (%.3g of 1e-4)", model, e1);
    CHECK_MSG(e2 <= 1.0, "%s: CPU generator and CPU trainer disagree", model);
    CHECK_OK(gan_trainer_generate(rg, z, n, it));
    float *it2 = malloc((size_t)n * 784 * 4);
    CHECK_OK(gan_trainer_generate(g, z, n, it2)); /* same weights, on the GPU */
    CHECK_MSG(memcmp(it, it2, (size_t)n * 784 * 4) == 0, "%s: GPU trainer samples differ", model);
    fprintf(stderr, "%s samples: GPU vs CPU max |d| = %.3g\n", model, e1 * 1e-4);
    const char *png = test_tmp_path_kept("cuda-grid.png");
    CHECK_OK(gan_trainer_write_samples_png(g, 4, png));
    free(z), free(ic), free(ig), free(it), free(it2);
    gan_generator_free(gc);
    gan_generator_free(gg);
    gan_trainer_free(rc);
    gan_trainer_free(rg);
    gan_trainer_free(g);
}

/* How far apart 30 steps on the CPU and on the GPU end (reported, not checked:
 * training amplifies rounding differences). */
static void report_drift(const char *model, gan_dataset *data) {
    gan_trainer *c = make_trainer(model, data, GAN_DEVICE_CPU, 32);
    gan_trainer *g = make_trainer(model, data, GAN_DEVICE_CUDA, 32);
    gan_step_stats sc, sg;
    for (int i = 0; i < 30; i++) {
        CHECK_OK(gan_trainer_step(c, &sc));
        CHECK_OK(gan_trainer_step(g, &sg));
    }
    CHECK_OK(gan_trainer_take_stats(c, &sc));
    CHECK_OK(gan_trainer_take_stats(g, &sg));
    host_model a = fetch(&c->g), b = fetch(&g->g);
    fprintf(stderr, "%s after 30 steps: mean loss_d cpu %.5f gpu %.5f, loss_g cpu %.5f gpu "
            "%.5f; G weights rel L2 %.3g\n", model, sc.loss_d, sg.loss_d, sc.loss_g, sg.loss_g,
            rel_l2(b.params, a.params, a.n_params));
    release(&a), release(&b);
    gan_trainer_free(c);
    gan_trainer_free(g);
}

/* Self-attention with spectral norm in G and D (test_attention_spec). gamma
 * starts at 0, where f, g and h get no gradient; it is set to
 * ATTENTION_GAMMA in every attention layer of both trainers first, so that
 * the first step runs the attention's whole backward, through the spectral
 * norm of f, g and h. Hinge loss and Adam betas 0 and 0.9 (the spec's train
 * section, which the library leaves to the CLI). */
#define ATTENTION_GAMMA 0.5f

static gan_status set_gamma(void *ctx, const char *name, const gan_layer_tensor *t) {
    size_t len = strlen(name);
    if (len > 6 && strcmp(name + len - 6, ".gamma") == 0 && t->size == 1) {
        t->data[0] = ATTENTION_GAMMA;
        ++*(int *)ctx;
    }
    return GAN_OK;
}

static gan_trainer *make_attention_trainer(gan_dataset *data, int device) {
    gan_train_options o;
    gan_train_options_default(&o);
    o.loss = GAN_LOSS_HINGE;
    o.beta1 = 0.0f;
    o.beta2 = 0.9f;
    gan_trainer *t = make_trainer_opt(test_attention_spec(), data, device, 32, &o);
    gan_model *m[2] = {&t->g, &t->d};
    for (int i = 0; i < 2; i++) { /* on the host copy, then uploaded (CPU: the weights) */
        int n = 0;
        CHECK_OK(gan_model_each_tensor(m[i], set_gamma, &n));
        CHECK_MSG(n == (i ? 2 : 1), "%s: %d attention gammas", m[i]->name, n);
        CHECK_OK(gan_model_upload(m[i]));
    }
    return t;
}

static void test_attention(gan_dataset *data) {
    const char *spec = test_attention_spec();
    test_initial_weights(spec, data);
    check_one_step(make_attention_trainer(data, GAN_DEVICE_CPU),
                   make_attention_trainer(data, GAN_DEVICE_CUDA), "self-attention, spectral norm");
    check_graph_matches_direct(make_attention_trainer(data, GAN_DEVICE_CUDA),
                               make_attention_trainer(data, GAN_DEVICE_CUDA),
                               "self-attention, spectral norm", 14);
}

static void test_out_of_memory(void) {
    gan_model m = {0};
    gan_spec *spec = NULL;
    CHECK_OK(gan_spec_load("mlp", &spec));
    if (!spec) return;
    gan_status s = gan_spec_build(spec, GAN_SPEC_GENERATOR, &m, 100000000, gpu); /* ~1.2 TB */
    gan_spec_free(spec);
    CHECK(s == GAN_ERR_OUT_OF_MEMORY);
    CHECK_MSG(strstr(gan_last_error(), "MiB of cuda memory") &&
                  strstr(gan_last_error(), "cannot allocate"),
              "message: %s", gan_last_error());
    fprintf(stderr, "out of memory: %s\n", gan_last_error());
    gan_model_free(&m);
    void *q = NULL;
    CHECK_OK(gpu->mem_alloc(gpu->ctx, &q, 1 << 20)); /* the device still works */
    gpu->mem_free(gpu->ctx, q);
}

/* Last: a sticky device error ends this process's use of the GPU. */
static void test_device_error(gan_dataset *data) {
    gan_trainer *g = make_trainer("mlp", data, GAN_DEVICE_CUDA, 32);
    gan_step_stats st;
    for (int i = 0; i < 5; i++) CHECK_OK(gan_trainer_step(g, &st));
    const char *ckpt = test_tmp_path_kept("cuda-error.safetensors");
    CHECK_OK(gan_trainer_save_checkpoint(g, ckpt));
    size_t size0 = 0;
    void *before = test_read_file(ckpt, &size0);
    for (int i = 0; i < 3; i++) CHECK_OK(gan_trainer_step(g, &st));
    gpu->leaky_relu_forward(gpu->ctx, (float *)(uintptr_t)0x1000, g->g.params, 1 << 20, 0.2f);
    for (int i = 0; i < 3; i++) gan_trainer_step(g, &st); /* queued: may or may not fail */
    gan_status s = gan_trainer_take_stats(g, &st);
    CHECK_MSG(s == GAN_ERR_DEVICE, "take_stats after a bad kernel: %s", gan_status_string(s));
    fprintf(stderr, "device error: %s\n", gan_last_error());
    CHECK(strstr(gan_last_error(), "CUDA") != NULL);
    CHECK(gan_trainer_save_checkpoint(g, ckpt) != GAN_OK);
    size_t size1 = 0;
    void *after = test_read_file(ckpt, &size1);
    CHECK_MSG(before && after && size0 == size1 && memcmp(before, after, size0) == 0,
              "the last good checkpoint changed");
    free(before), free(after);
    gan_train_options machine;
    gan_train_options_default(&machine);
    gan_trainer *c = NULL;
    CHECK_OK(gan_trainer_resume_on(ckpt, data, &machine, &c));
    CHECK(c && c->step == 5);
    gan_trainer_free(c);
    gan_trainer_free(g);
}

/* The training options of train4 and the conditional presets on the GPU. */
static void test_options(const char *model, gan_dataset *data, const gan_train_options *o,
                         const char *what) {
    /* graph replays == direct steps, bit for bit, EMA included */
    gan_trainer *a = make_trainer_opt(model, data, GAN_DEVICE_CUDA, 16, o);
    gan_trainer *b = make_trainer_opt(model, data, GAN_DEVICE_CUDA, 16, o);
    a->use_graph = false;
    gan_step_stats sa, sb;
    int steps = 9; /* 200 images, 16 x d_steps per step: across an epoch boundary */
    for (int i = 0; i < steps; i++) {
        CHECK_OK(gan_trainer_step(a, &sa));
        CHECK_OK(gan_trainer_step(b, &sb));
    }
    CHECK_MSG(b->graph != NULL, "%s %s: the graph was never captured", model, what);
    CHECK_OK(gan_trainer_take_stats(a, &sa));
    CHECK_OK(gan_trainer_take_stats(b, &sb));
    CHECK_MSG(memcmp(&sa, &sb, sizeof sa) == 0, "%s %s: graph stats differ", model, what);
    gan_model *ma[3] = {&a->g, &a->d, &a->g_ema}, *mb[3] = {&b->g, &b->d, &b->g_ema};
    for (int i = 0; i < (a->has_ema ? 3 : 2); i++) {
        host_model x = fetch(ma[i]), y = fetch(mb[i]);
        CHECK_MSG(same(x.params, y.params, x.n_params) && same(x.state, y.state, x.n_state),
                  "%s %s %s: graph replays differ from direct steps", model, what, ma[i]->name);
        release(&x);
        release(&y);
    }
    CHECK(b->d.adam_t == (int64_t)steps * o->d_steps && b->g.adam_t == steps);

    /* a GPU checkpoint resumes on the CPU; its generator is the EMA */
    const char *ckpt = test_tmp_path_kept("cuda-options.safetensors");
    CHECK_OK(gan_trainer_save_checkpoint(b, ckpt));
    gan_trainer *c = NULL;
    CHECK_OK(gan_trainer_resume(ckpt, data, 0, &c));
    if (c) {
        host_model y = fetch(b->has_ema ? &b->g_ema : &b->g);
        CHECK(c->has_ema == b->has_ema && c->n_classes == b->n_classes);
        if (c->has_ema) CHECK(same(c->g_ema.params, y.params, y.n_params));
        release(&y);
    }
    gan_trainer_free(c);
    gan_generator *ge = NULL;
    CHECK_OK(gan_generator_load_on(ckpt, GAN_DEVICE_CUDA, &ge));
    if (ge) {
        CHECK(gan_generator_uses_ema(ge) == b->has_ema);
        CHECK(gan_generator_num_classes(ge) == b->n_classes);
        int n = 12, latent = gan_generator_latent_dim(ge), ch, h, w;
        gan_generator_image_shape(ge, &ch, &h, &w);
        float *z = malloc((size_t)n * latent * 4), *img = malloc((size_t)n * ch * h * w * 4);
        int32_t labels[12];
        gan_generator_noise(ge, 3, 0, n, z);
        gan_generator_labels(ge, GAN_LABELS_BALANCED, 3, 0, n, labels);
        CHECK_OK(gan_generator_generate_labeled(ge, z, b->n_classes ? labels : NULL, n, img));
        free(z), free(img);
    }
    gan_generator_free(ge);
    gan_trainer_free(a);
    gan_trainer_free(b);

    /* the first step against the CPU */
    gan_trainer *cc = make_trainer_opt(model, data, GAN_DEVICE_CPU, 16, o);
    gan_trainer *gg = make_trainer_opt(model, data, GAN_DEVICE_CUDA, 16, o);
    gan_step_stats sc, sg;
    CHECK_OK(gan_trainer_step(cc, &sc));
    CHECK_OK(gan_trainer_step(gg, &sg));
    CHECK_OK(gan_trainer_take_stats(cc, &sc));
    CHECK_OK(gan_trainer_take_stats(gg, &sg));
    compare_stat("options loss_d", sg.loss_d, sc.loss_d);
    compare_stat("options loss_g", sg.loss_g, sc.loss_g);
    compare_stat("options d_real", sg.d_real, sc.d_real);
    compare_stat("options d_fake", sg.d_fake, sc.d_fake);
    fprintf(stderr, "%s %s: graph == direct over %d steps; first step loss_d cpu %.6f gpu %.6f\n",
            model, what, steps, sc.loss_d, sg.loss_d);
    gan_trainer_free(cc);
    gan_trainer_free(gg);
}

int main(void) {
    int rc = cuda_test_open();
    if (rc) return rc;
    gan_dataset *data = make_dataset(200); /* 6 steps per epoch at batch 32 */
    const char *models[] = {"mlp", "dcgan"};
    for (int k = 0; k < 2; k++) {
        test_initial_weights(models[k], data);
        test_one_step(models[k], data);
        test_graph_matches_direct(models[k], data, 14);
        test_checkpoint_and_samples(models[k], data);
        report_drift(models[k], data);
    }
    gan_dataset *labeled = make_dataset_labeled(200, true);
    gan_train_options o;
    gan_train_options_default(&o);
    o.threads = 0;
    o.seed = 11;
    o.ema = 0.9f;
    o.d_steps = 2;
    o.lr_g = 3e-4f;
    o.lr_d = 1e-4f;
    o.loss = GAN_LOSS_MINIMAX;
    o.label_smoothing = 0.1f;
    test_options("mlp", data, &o, "minimax, smoothing, EMA, d-steps 2");
    o.label_smoothing = 0.0f;
    o.loss = GAN_LOSS_HINGE;
    test_options("cgan", labeled, &o, "hinge, EMA, d-steps 2");
    o.loss = GAN_LOSS_WASSERSTEIN;
    o.ema = 0.0f;
    o.d_steps = 3;
    test_options("cdcgan", labeled, &o, "wasserstein, d-steps 3");
    o.loss = GAN_LOSS_LEAST_SQUARES;
    o.d_steps = 1;
    test_options("dcgan", data, &o, "least-squares");
    o.loss = GAN_LOSS_NONSATURATING;
    o.mirror = 1;
    o.augment = GAN_AUGMENT_COLOR | GAN_AUGMENT_TRANSLATION | GAN_AUGMENT_CUTOUT;
    test_options("dcgan", data, &o, "mirror, augment color,translation,cutout");
    o.augment = GAN_AUGMENT_TRANSLATION | GAN_AUGMENT_CUTOUT;
    o.d_steps = 2;
    o.ema = 0.9f;
    test_options("cgan", labeled, &o, "mirror, augment translation,cutout, EMA, d-steps 2");
    o.mirror = 0;
    o.augment = 0;
    o.d_steps = 1;
    o.loss = GAN_LOSS_HINGE;
    o.ema = 0.99f;
    test_options(test_resnet_layers_spec(), labeled, &o, "the ResNet layers, hinge, EMA");
    test_options(test_block_spec(), labeled, &o, "residual blocks, hinge, EMA");
    o.ema_warmup = 0; /* the EMA's warm-up is on above (the default): here without it */
    test_options("mlp", data, &o, "hinge, EMA without warm-up");
    o.ema_warmup = 1;
    test_attention(data);
    gan_dataset_free(labeled);
    /* the presets follow the data: the Radford et al. dcgan at 3x32x32 (the
     * same images shaped to RGB 32 px), with its N(0, 0.02) init */
    gan_dataset_options shape;
    gan_dataset_options_default(&shape);
    shape.resolution = 32;
    shape.channels = 3;
    gan_dataset *rgb = NULL;
    CHECK_OK(gan_dataset_load_with(test_tmp_path("cuda-images-idx3-ubyte"), GAN_SPLIT_TRAIN, &shape,
                                   &rgb));
    if (rgb) {
        test_initial_weights("dcgan", rgb);
        test_one_step("dcgan", rgb);
        test_graph_matches_direct("dcgan", rgb, 8);
        gan_train_options_default(&o);
        o.threads = 0;
        o.seed = 11;
        o.init = GAN_INIT_DCGAN;
        test_options("dcgan", rgb, &o, "3x32x32, init dcgan");
    }
    gan_dataset_free(rgb);
    test_out_of_memory();
    test_device_error(data);
    gan_dataset_free(data);
    gan_backend_cuda_shutdown();
    return test_report();
}
