/*
 * test_augment.c - augmentation (src/augment.h) on the CPU backend (the CUDA
 * kernels are compared with these in test_backend_ops):
 *   - each op (color, translation, cutout) and the three in the trainer's
 *     order against DiffAugment in PyTorch with the same random parameters
 *     (tests/fixtures/augment.safetensors, make_augment_fixture.py): outputs
 *     and input gradients;
 *   - finite-difference checks of each op's backward and of the chain's;
 *   - the parameters reach the ends of their ranges (shifts -s and s,
 *     cutout squares clipped at both edges) and nothing beyond;
 *   - mirror flips exactly the images whose uniform is below 1/2, and the
 *     trainer's real batch is the data's images in the epoch's order,
 *     mirrored and translated with the parameters of the augmentation stream
 *     of that step (trainer.h);
 *   - G's gradient goes through the augmentation: after one step with it,
 *     G differs from G after the same step without it, and so does D; and
 *     G's gradient of a step equals central differences of G's loss through
 *     D of the augmented G output (the step's own parameters);
 *   - the option's names: lists parse (any order) and print back, bad
 *     lists are refused naming the word; the spec's `augment` and `mirror`.
 * Resume with augmentation: test_checkpoint; no allocation: test_no_alloc.
 */
#include "augment.h"
#include "backend.h"
#include "io/safetensors.h"
#include "options.h"
#include "rng.h"
#include "spec/spec.h"
#include "test_util.h"
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const gan_backend *cpu;

enum { OP_COLOR, OP_TRANSLATION, OP_CUTOUT, OP_ALL };
static const char *const op_names[] = {"color", "translation", "cutout", "all"};

/* y = op(x) (n images of C x H x W) with params u; tmp: scratch of x's size. */
static void forward(int op, float *y, const float *x, const float *u, int N, int C, int H, int W,
                    float *tmp) {
    void *ctx = cpu->ctx;
    if (op == OP_COLOR) cpu->augment_color_forward(ctx, y, x, u, N, C, H * W);
    if (op == OP_TRANSLATION) cpu->augment_translation_forward(ctx, y, x, u, N, C, H, W);
    if (op == OP_CUTOUT) cpu->augment_cutout(ctx, y, x, u, N, C, H, W);
    if (op == OP_ALL) {
        cpu->augment_color_forward(ctx, tmp, x, u, N, C, H * W);
        cpu->augment_translation_forward(ctx, y, tmp, u, N, C, H, W);
        cpu->augment_cutout(ctx, y, y, u, N, C, H, W);
    }
}

/* dx = the transpose of op applied to dy (the reverse order for all). */
static void backward(int op, float *dx, const float *dy, const float *u, int N, int C, int H,
                     int W, float *tmp) {
    void *ctx = cpu->ctx;
    if (op == OP_COLOR) cpu->augment_color_backward(ctx, dx, dy, u, N, C, H * W);
    if (op == OP_TRANSLATION) cpu->augment_translation_backward(ctx, dx, dy, u, N, C, H, W);
    if (op == OP_CUTOUT) cpu->augment_cutout(ctx, dx, dy, u, N, C, H, W);
    if (op == OP_ALL) {
        cpu->augment_cutout(ctx, tmp, dy, u, N, C, H, W);
        cpu->augment_translation_backward(ctx, dx, tmp, u, N, C, H, W);
        cpu->augment_color_backward(ctx, dx, dx, u, N, C, H * W);
    }
}

/* ------------------------------------------------------ PyTorch fixture */

static const float *tensor(const gan_st_file *f, const char *prefix, const char *name,
                           size_t n) {
    char key[128];
    snprintf(key, sizeof key, "%s.%s", prefix, name);
    const gan_st_tensor *t = gan_st_find(f, key);
    CHECK_MSG(t && t->dtype == GAN_ST_F32 && t->nbytes == n * 4, "fixture lacks %s (%zu floats)",
              key, n);
    return t && t->dtype == GAN_ST_F32 && t->nbytes == n * 4 ? t->data : NULL;
}

static void test_fixture(void) {
    gan_st_file *f = NULL;
    CHECK_OK(gan_st_open(test_fixture_path("augment.safetensors"), &f));
    if (!f) return;
    int cases = 0;
    for (int i = 0;; i++, cases++) {
        char prefix[32], key[64];
        snprintf(prefix, sizeof prefix, "case.%d", i);
        snprintf(key, sizeof key, "%s.config", prefix);
        const gan_st_tensor *cfg = gan_st_find(f, key);
        if (!cfg) break;
        const int64_t *c = cfg->data;
        int N = (int)c[0], C = (int)c[1], H = (int)c[2], W = (int)c[3];
        size_t n = (size_t)N * C * H * W;
        const float *x = tensor(f, prefix, "x", n), *dy = tensor(f, prefix, "dy", n);
        const float *u = tensor(f, prefix, "u", (size_t)N * GAN_AUG_PARAMS);
        float *y = malloc(n * 4), *dx = malloc(n * 4), *tmp = malloc(n * 4);
        for (int op = 0; x && dy && u && op < 4; op++) {
            char name[64];
            snprintf(name, sizeof name, "%s.y", op_names[op]);
            const float *want_y = tensor(f, prefix, name, n);
            snprintf(name, sizeof name, "%s.dx", op_names[op]);
            const float *want_dx = tensor(f, prefix, name, n);
            if (!want_y || !want_dx) continue;
            forward(op, y, x, u, N, C, H, W, tmp);
            backward(op, dx, dy, u, N, C, H, W, tmp);
            double ey = test_max_rel_err(y, want_y, n, 2e-6, 2e-6);
            double ed = test_max_rel_err(dx, want_dx, n, 2e-6, 2e-6);
            CHECK_MSG(ey <= 1, "%s %s: output off by %.3g x the tolerance", prefix,
                      op_names[op], ey);
            CHECK_MSG(ed <= 1, "%s %s: gradient off by %.3g x the tolerance", prefix,
                      op_names[op], ed);
        }
        free(y), free(dx), free(tmp);
    }
    CHECK_MSG(cases >= 5, "fixture has %d cases", cases);
    gan_st_close(f);
}

/* ------------------------------------------------ finite differences */

static double loss_of(int op, const float *x, const float *r, const float *u, int N, int C,
                      int H, int W, float *y, float *tmp) {
    forward(op, y, x, u, N, C, H, W, tmp);
    double L = 0;
    for (size_t i = 0; i < (size_t)N * C * H * W; i++) L += (double)r[i] * y[i];
    return L;
}

static void test_gradcheck(int N, int C, int H, int W, uint64_t seed) {
    size_t n = (size_t)N * C * H * W;
    float *x = malloc(n * 4), *r = malloc(n * 4), *dx = malloc(n * 4), *y = malloc(n * 4);
    float *tmp = malloc(n * 4), *u = malloc((size_t)N * GAN_AUG_PARAMS * 4);
    gan_rng_uniform(seed, 1, x, n);
    gan_rng_uniform(seed, 2, r, n);
    gan_rng_uniform(seed, 3, u, (size_t)N * GAN_AUG_PARAMS);
    for (size_t i = 0; i < n; i++) x[i] = 2 * x[i] - 1, r[i] = 2 * r[i] - 1;
    const float eps = 1e-2f;
    for (int op = 0; op < 4; op++) {
        backward(op, dx, r, u, N, C, H, W, tmp);
        double worst = 0;
        for (size_t i = 0; i < n; i++) {
            float keep = x[i];
            x[i] = keep + eps;
            double lp = loss_of(op, x, r, u, N, C, H, W, y, tmp);
            x[i] = keep - eps;
            double lm = loss_of(op, x, r, u, N, C, H, W, y, tmp);
            x[i] = keep;
            double num = (lp - lm) / (2.0 * eps);
            worst = fmax(worst, fabs(num - dx[i]) / (1e-3 + 1e-3 * fabs(num)));
        }
        CHECK_MSG(worst <= 1, "gradcheck %s N=%d C=%d H=%d W=%d: off by %.3g x the tolerance",
                  op_names[op], N, C, H, W, worst);
    }
    free(x), free(r), free(dx), free(y), free(tmp), free(u);
}

/* ------------------------------------------------------- parameter ranges */

/* Over many draws the shifts take every value of [-s, s] and no other, and
 * the cutout square touches both edges; checked through the kernels on
 * one-hot images. */
static void test_ranges(void) {
    int H = 16, W = 16, s = 2, seen_shift[5] = {0}, top = 0, bottom = 0;
    float u[GAN_AUG_PARAMS], x[256], y[256];
    for (int k = 0; k < 2000; k++) {
        gan_rng_uniform(9, gan_rng_stream(GAN_RNG_AUGMENT, (uint64_t)k), u, GAN_AUG_PARAMS);
        /* a single 1 at (8, 8): its place after translation gives the shift */
        memset(x, 0, sizeof x);
        x[8 * W + 8] = 1;
        cpu->augment_translation_forward(cpu->ctx, y, x, u, 1, 1, H, W);
        int at = -1;
        for (int i = 0; i < 256; i++)
            if (y[i] == 1) at = i;
        CHECK(at >= 0);
        if (at < 0) continue;
        int dy = 8 - at / W, dx = 8 - at % W; /* y[i][j] = x[i + ty][j + tx] */
        CHECK_MSG(abs(dy) <= s && abs(dx) <= s, "shift (%d, %d) beyond %d", dy, dx, s);
        if (abs(dy) <= s) seen_shift[dy + s]++;
        /* cutout of ones: 8 x 8 zeros at most, clipped at the edges */
        for (int i = 0; i < 256; i++) x[i] = 1;
        cpu->augment_cutout(cpu->ctx, y, x, u, 1, 1, H, W);
        int zeros = 0;
        for (int i = 0; i < 256; i++) zeros += y[i] == 0;
        CHECK(zeros >= 4 * 4 && zeros <= 8 * 8);
        top += y[0] == 0;
        bottom += y[255] == 0;
    }
    for (int v = 0; v < 5; v++) CHECK_MSG(seen_shift[v] > 0, "shift %d never drawn", v - s);
    CHECK(top > 0 && bottom > 0);
}

/* ------------------------------------------------------------- mirror */

static void test_mirror_kernel(void) {
    int N = 6, C = 2, H = 3, W = 5;
    size_t img = (size_t)C * H * W;
    float x[6 * 30], before[6 * 30], u[6 * GAN_AUG_PARAMS] = {0};
    for (size_t i = 0; i < N * img; i++) x[i] = before[i] = (float)i;
    const float pick[6] = {0.0f, 0.4999999f, 0.5f, 0.9f, 0.25f, 0.75f};
    for (int n = 0; n < N; n++) u[n * GAN_AUG_PARAMS + GAN_AUG_U_MIRROR] = pick[n];
    cpu->mirror(cpu->ctx, x, u, N, C, H, W);
    for (int n = 0; n < N; n++) {
        bool flip = pick[n] < 0.5f, ok = true;
        for (int r = 0; r < C * H; r++)
            for (int j = 0; j < W; j++) {
                size_t at = n * img + (size_t)r * W;
                ok = ok && x[at + j] == before[at + (flip ? W - 1 - j : j)];
            }
        CHECK_MSG(ok, "image %d (u %g) %s", n, pick[n], flip ? "not flipped" : "changed");
    }
}

/* The real rows of step 1's batch: the data's images in epoch 0's order,
 * mirrored where the step's augmentation uniforms say, then translated. */
static void test_trainer_real_batch(gan_dataset *data) {
    gan_train_options opt;
    gan_train_options_default(&opt);
    opt.batch_size = 32;
    opt.threads = 1;
    opt.seed = 5;
    opt.mirror = 1;
    for (int variant = 0; variant < 2; variant++) {
        opt.augment = variant ? GAN_AUGMENT_TRANSLATION : 0;
        gan_trainer *t = NULL;
        CHECK_OK(gan_trainer_create("mlp", &opt, data, &t));
        if (!t) return;
        gan_step_stats st;
        CHECK_OK(gan_trainer_step(t, &st)); /* loads epoch 0's order */
        gan_trainer_step_inputs(t, 0);      /* step 1's real batch */
        int B = 32, flipped = 0;
        size_t img = 784;
        int64_t use = variant ? 3 : 1; /* uses per step: 1 real batch (+ 2 fake ones) */
        float *u = malloc((size_t)B * GAN_AUG_PARAMS * 4), *want = malloc(B * img * 4);
        float *tmp = malloc(B * img * 4);
        gan_rng_uniform(5, gan_rng_stream(GAN_RNG_AUGMENT, (uint64_t)use), u,
                        (size_t)B * GAN_AUG_PARAMS);
        const uint8_t *px = gan_dataset_pixels(data);
        for (int b = 0; b < B; b++) {
            uint32_t src = t->order[B + b];
            bool flip = u[b * GAN_AUG_PARAMS + GAN_AUG_U_MIRROR] < 0.5f;
            flipped += flip;
            for (int i = 0; i < 28; i++)
                for (int j = 0; j < 28; j++)
                    want[b * img + i * 28 + j] =
                        (float)((px[src * img + i * 28 + (flip ? 27 - j : j)] - 127.5) / 127.5);
        }
        if (variant) {
            memcpy(tmp, want, B * img * 4);
            cpu->augment_translation_forward(cpu->ctx, want, tmp, u, B, 1, 28, 28);
        }
        CHECK_MSG(memcmp(want, t->d.acts[0], B * img * 4) == 0,
                  "variant %d: the real batch is not the data mirrored (and translated) as the "
                  "augmentation stream says", variant);
        CHECK(flipped > 4 && flipped < B - 4);
        free(u), free(want), free(tmp);
        gan_trainer_free(t);
    }
}

/* One step with augmentation moves G and D elsewhere than the same step
 * without: G's update comes through the augmented D input. */
static void test_trainer_gradient_path(void) {
    gan_train_options opt;
    gan_train_options_default(&opt);
    opt.batch_size = 8;
    opt.threads = 1;
    gan_trainer *plain = NULL, *aug = NULL;
    CHECK_OK(test_trainer_for_model("mlp", &opt, &plain));
    opt.augment = GAN_AUGMENT_COLOR | GAN_AUGMENT_TRANSLATION | GAN_AUGMENT_CUTOUT;
    CHECK_OK(test_trainer_for_model("mlp", &opt, &aug));
    if (!plain || !aug) return;
    gan_trainer *ts[2] = {plain, aug};
    for (int k = 0; k < 2; k++) {
        float *real = gan_trainer_real_rows(ts[k]), *z = gan_trainer_noise(ts[k]);
        gan_rng_uniform(3, 1, real, 8 * 784);
        gan_rng_normal(3, 2, z, (size_t)8 * ts[k]->latent);
        for (int i = 0; i < 8 * 784; i++) real[i] = 2 * real[i] - 1;
        gan_step_stats st;
        CHECK_OK(gan_trainer_step_batch(ts[k], &st));
        CHECK(isfinite(st.loss_d) && isfinite(st.loss_g));
    }
    CHECK(memcmp(plain->g.params, aug->g.params, plain->g.n_params * 4) != 0);
    CHECK(memcmp(plain->d.params, aug->d.params, plain->d.n_params * 4) != 0);
    gan_trainer_free(plain);
    gan_trainer_free(aug);
}

/* G's loss at G's current weights: mean softplus(-D(aug(G(z)))) with the
 * augmentation parameters u (train-mode forwards, as in G's step). */
static double g_loss(gan_trainer *t, const float *z, const float *u, float *y, float *tmp) {
    int B = t->batch;
    const float *fake = gan_model_forward(&t->g, z, B, true);
    cpu->augment_color_forward(cpu->ctx, tmp, fake, u, B, 1, 28 * 28);
    cpu->augment_translation_forward(cpu->ctx, y, tmp, u, B, 1, 28, 28);
    cpu->augment_cutout(cpu->ctx, y, y, u, B, 1, 28, 28);
    const float *l = gan_model_forward(&t->d, y, B, true);
    double L = 0;
    for (int i = 0; i < B; i++) L += log1p(exp(-(double)l[i]));
    return L / B;
}

/* End to end: with learning rates so small that Adam leaves the weights as
 * they were (a step of 1e-30), G's gradient after one step is dL/dG at the
 * initial weights, L being G's loss through D of the augmented G output with
 * the step's third augmentation use (trainer.h: real 0, fake for D 1, fake
 * for G 2); central differences of L on some of G's weights must agree. */
static void test_trainer_g_gradient(void) {
    gan_train_options opt;
    gan_train_options_default(&opt);
    opt.batch_size = 8;
    opt.threads = 1;
    opt.lr = opt.lr_g = opt.lr_d = 1e-30f;
    opt.augment = GAN_AUGMENT_COLOR | GAN_AUGMENT_TRANSLATION | GAN_AUGMENT_CUTOUT;
    gan_trainer *t = NULL;
    CHECK_OK(test_trainer_for_model("mlp", &opt, &t));
    if (!t) return;
    test_keep_grads(t); /* read after the step */
    int B = 8;
    size_t nz = (size_t)B * t->latent, img = 784;
    float *z = malloc(nz * 4), *y = malloc(B * img * 4), *tmp = malloc(B * img * 4);
    float *u = malloc((size_t)B * GAN_AUG_PARAMS * 4), *grad = malloc(t->g.n_params * 4);
    float *real = gan_trainer_real_rows(t);
    gan_rng_uniform(4, 1, real, B * img);
    for (size_t i = 0; i < B * img; i++) real[i] = 2 * real[i] - 1;
    gan_rng_normal(4, 2, z, nz);
    memcpy(gan_trainer_noise(t), z, nz * 4);
    gan_step_stats st;
    CHECK_OK(gan_trainer_step_batch(t, &st));
    memcpy(grad, t->g.grads, t->g.n_params * 4);
    gan_rng_uniform(opt.seed, gan_rng_stream(GAN_RNG_AUGMENT, 2), u, (size_t)B * GAN_AUG_PARAMS);
    double worst = 0, gmax = 0;
    size_t n = t->g.n_params;
    for (int k = 0; k < 40; k++) gmax = fmax(gmax, fabs(grad[n - 1 - (size_t)k * 97]));
    for (int k = 0; k < 40; k++) {
        size_t i = n - 1 - (size_t)k * 97;
        float keep = t->g.params[i], eps = 1e-2f;
        t->g.params[i] = keep + eps;
        double lp = g_loss(t, z, u, y, tmp);
        t->g.params[i] = keep - eps;
        double lm = g_loss(t, z, u, y, tmp);
        t->g.params[i] = keep;
        double num = (lp - lm) / (2.0 * eps);
        worst = fmax(worst, fabs(num - grad[i]) / (2e-2 * gmax + 2e-2 * fabs(num)));
    }
    CHECK_MSG(gmax > 0 && worst <= 1, "G's gradient through augmentation: off by %.3g x the "
              "tolerance (largest gradient %.3g)", worst, gmax);
    free(z), free(y), free(tmp), free(u), free(grad);
    gan_trainer_free(t);
}

/* ---------------------------------------------------------------- names */

static void test_names(void) {
    int set = -1;
    char buf[64];
    CHECK_OK(gan_augment_parse("translation,cutout,color", &set));
    CHECK(set == (GAN_AUGMENT_COLOR | GAN_AUGMENT_TRANSLATION | GAN_AUGMENT_CUTOUT));
    gan_augment_format(set, buf, sizeof buf);
    CHECK(strcmp(buf, "color,translation,cutout") == 0);
    CHECK_OK(gan_augment_parse("cutout", &set));
    CHECK(set == GAN_AUGMENT_CUTOUT);
    CHECK_OK(gan_augment_parse("none", &set));
    CHECK(set == 0);
    gan_augment_format(0, buf, sizeof buf);
    CHECK(strcmp(buf, "none") == 0);
    const char *bad[][2] = {{"translation,flip", "'flip' is not one of: color, translation, "
                                                 "cutout or none"},
                            {"color,color", "'color' is named twice"},
                            {"", "an empty list"},
                            {"color,", "'' is not one of"},
                            {"none,color", "'none' is not one of"}};
    for (int i = 0; i < 5; i++) {
        CHECK(gan_augment_parse(bad[i][0], &set) == GAN_ERR_INVALID_ARGUMENT);
        CHECK_MSG(strstr(gan_last_error(), bad[i][1]), "'%s': %s", bad[i][0], gan_last_error());
    }
    /* the spec's train keys */
#define SPEC_BASE                                                                                  \
    "image 1 4 4\nlatent 8\ngenerator\n  dense 16\n  reshape 1 4 4\ndiscriminator\n  flatten\n"   \
    "  dense 1\ntrain\n"
    const char *text = SPEC_BASE "  mirror true\n  augment cutout,color\n";
    gan_spec *spec = NULL;
    CHECK_OK(gan_spec_parse(text, strlen(text), "t.gan", "t", &spec));
    if (spec) {
        gan_train_options o;
        gan_train_options_default(&o);
        gan_spec_train_options(spec, &o);
        CHECK(o.mirror == 1 && o.augment == (GAN_AUGMENT_CUTOUT | GAN_AUGMENT_COLOR));
        gan_spec_free(spec);
    }
    const char *wrong = SPEC_BASE "  augment zoom\n";
    spec = NULL;
    CHECK(gan_spec_parse(wrong, strlen(wrong), "t.gan", "t", &spec) != GAN_OK && !spec);
    CHECK_MSG(strstr(gan_last_error(), "t.gan:10: train: augment: 'zoom' is not one of: color, "
                                       "translation, cutout or none"),
              "%s", gan_last_error());
}

int main(void) {
    gan_backend_cpu_set_threads(1);
    cpu = gan_backend_cpu();
    test_fixture();
    test_gradcheck(2, 3, 6, 7, 11);
    test_gradcheck(3, 1, 9, 4, 12);
    test_gradcheck(1, 4, 5, 5, 13);
    test_ranges();
    test_mirror_kernel();
    gan_dataset *data = test_synthetic_dataset("aug", 256, 0);
    if (data) test_trainer_real_batch(data);
    gan_dataset_free(data);
    test_trainer_gradient_path();
    test_trainer_g_gradient();
    test_names();
    return test_report();
}
