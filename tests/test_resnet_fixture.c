/*
 * test_resnet_fixture.c - one training iteration of the resnet preset
 * (residual blocks, spectral norm in D, hinge loss, Adam(2e-4, 0, 0.9), EMA
 * 0.999 with the default warm-up: decay 2/11 at this first step) against the
 * PyTorch reference (tests/fixtures/resnet_step.safetensors, made by
 * tests/fixtures/make_resnet_fixture.py: float64 torch 1.13, stored as float32),
 * as test_dcgan_fixture.c does for dcgan (fixture_step.h: the hash weights and
 * the comparisons).
 *
 * Both sides start from the splitmix64 hash weights of the seed fixture
 * (spectral norm's u and v too), the same noise z and the first 8
 * Fashion-MNIST images. After one D step (one training forward on [real;
 * fake]: one power iteration) and one G step (through the updated D, a
 * second power iteration), then the moving average, these must agree:
 *   D: losses and D(x), D(G(z))     |diff| < 2e-6 (absolute)
 *   fake                              |diff| <= 1e-5 max|ref| + 1e-4 |ref|
 *   D's gradients                     |diff| <= 1e-4 max|ref| + 2e-3 |ref|
 *   G's gradients, logits_g, loss_g   |diff| <= 3e-3 max|ref| + 2e-3 |ref|
 *   updated weights, running          |diff| <= 1e-6 max|ref| + 1e-5 |ref|
 *   statistics, the EMA                 + slope |our gradient - reference gradient|
 *   spectral norm's u and v            |diff| <= 1e-5 max|ref| + 1e-4 |ref|
 * with slope 640 for weights (640 x 9/11 for the EMA's, which takes 9/11 of
 * them). Large tensors are compared at 1024 sampled positions plus their sum.
 *
 * Why the G side is looser: Adam with beta1 = 0 at t = 1 moves every weight
 * by lr_t g / (sqrt(0.1) |g| + eps), about lr times the sign of g, so a D
 * weight whose gradient is float32 noise around 0 moves by +-lr on one side
 * and the other way on the other; D's updated weights, and with them the G
 * step, then differ by more than float32 rounding (PyTorch's own float32
 * run differs from its float64 one by 7e-4 in loss_g; the generator script
 * prints it), and so do u and v after the G step's power iteration. The slope 640 = lr_t / eps bounds the same effect on a
 * weight. Gradients that are zero in exact arithmetic (biases in front of
 * batch norm in G; D's last bias, when every output is inside the hinge's
 * margin) must be float32 noise, and their weights within lr of the
 * reference.
 */
#include "fixture_step.h"
#include "test_util.h"
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 8
#define LATENT 128
#define IMG 784
#define LR 2e-4

static const gan_st_file *fx;

typedef struct compare_ctx {
    const char *grad_prefix, *after_prefix; /* "grad_d", "after_d" */
    const gan_model *ema;                    /* G's moving average, or NULL */
    const gan_layer *ema_src;                /* G's layers, whose offsets the EMA shares */
    double grad_atol;
    int params, states, zeros;
    double worst_grad, worst_after, worst_ema;
} compare_ctx;

/* The EMA's copy of tensor t of G (same offsets in its blocks). */
static const float *ema_of(const compare_ctx *c, const gan_layer *l, const gan_layer_tensor *t,
                           bool state) {
    const float *base = state ? l->state : l->params;
    const gan_layer *el = &c->ema->layers[l - c->ema_src];
    return (state ? el->state : el->params) + (t->data - base);
}

static void compare_tensor(void *ctx, const char *name, const gan_layer *l,
                           const gan_layer_tensor *t) {
    compare_ctx *c = ctx;
    char key[220], gkey[220];
    snprintf(key, sizeof key, "%s.%s", c->after_prefix, name);
    if (!t->grad) { /* running statistics, spectral norm's u and v */
        /* u and v after the G step's power iteration come from D's updated weights */
        bool uv = strncmp(t->name, "weight_", 7) == 0;
        fixture_tol tol = {.atol = uv ? 1e-5 : 1e-6, .rtol = uv ? 1e-4 : 1e-5};
        fixture_tol tol_ema = {.atol = 1e-6, .rtol = 1e-5};
        c->worst_after = fmax(c->worst_after,
                              fixture_compare(fx, key, t->data, t->size, tol, NULL, NULL));
        c->states++;
        if (c->ema) {
            snprintf(key, sizeof key, "ema.%s", name);
            c->worst_ema = fmax(c->worst_ema, fixture_compare(fx, key, ema_of(c, l, t, true),
                                                              t->size, tol_ema, NULL, NULL));
        }
        return;
    }
    snprintf(gkey, sizeof gkey, "%s.%s", c->grad_prefix, name);
    fixture_ref g;
    if (!fixture_get_ref(fx, gkey, t->size, &g)) return;
    c->params++;
    if (g.amax < 1e-12) { /* zero in exact arithmetic */
        double noise = 0, moved = 0;
        fixture_ref a;
        if (!fixture_get_ref(fx, key, t->size, &a)) return;
        for (size_t i = 0; i < t->size; i++) {
            noise = fmax(noise, fabs(t->grad[i]));
            moved = fmax(moved, fabs(t->data[i] - a.val[i]));
        }
        CHECK_MSG(noise <= 1e-5, "%s: gradient %.3g, zero in exact arithmetic", gkey, noise);
        CHECK_MSG(moved <= LR, "%s: moved %.3g from the reference, more than lr", key, moved);
        c->zeros++;
        return;
    }
    fixture_tol tol_grad = {.atol = c->grad_atol, .rtol = 2e-3};
    fixture_tol tol_after = {.atol = 1e-6, .rtol = 1e-5, .slope = 640.0, .sum_rtol = 2e-4};
    /* the EMA takes (1 - 2/11) of after_g (the warm-up's first decay): after's slope times that */
    fixture_tol tol_ema = {.atol = 1e-6, .rtol = 1e-5, .slope = 640.0 * 9.0 / 11.0,
                           .sum_rtol = 2e-4};
    c->worst_grad = fmax(c->worst_grad,
                         fixture_compare(fx, gkey, t->grad, t->size, tol_grad, NULL, NULL));
    c->worst_after = fmax(c->worst_after,
                          fixture_compare(fx, key, t->data, t->size, tol_after, t->grad, &g));
    if (c->ema) {
        snprintf(key, sizeof key, "ema.%s", name);
        c->worst_ema = fmax(c->worst_ema, fixture_compare(fx, key, ema_of(c, l, t, false),
                                                          t->size, tol_ema, t->grad, &g));
    }
}

int main(void) {
    gan_backend_cpu_set_threads(2);
    gan_st_file *f = NULL;
    CHECK_OK(gan_st_open(test_fixture_path("resnet_step.safetensors"), &f));
    if (!f) return test_report();
    fx = f;
    const float *z = NULL;
    CHECK_OK(gan_st_get_f32(fx, "z", 2, (int64_t[]){BATCH, LATENT}, &z));
    gan_dataset *data = NULL;
    const char *dir = getenv("GAN_FASHION_DIR");
    CHECK_OK(gan_dataset_load(dir ? dir : "/usr/share/datasets/fashion-mnist", GAN_SPLIT_TRAIN,
                              &data));
    if (!z || !data) return test_report();

    /* the preset's own recipe, at batch 8 */
    gan_spec *spec = NULL;
    CHECK_OK(gan_spec_load("resnet", &spec));
    gan_train_options opt;
    gan_train_options_default(&opt);
    if (spec) gan_spec_train_options(spec, &opt);
    gan_spec_free(spec);
    opt.batch_size = BATCH;
    opt.threads = 2;
    gan_trainer *t = NULL;
    CHECK_OK(test_trainer_for_model("resnet", &opt, &t));
    if (!t) return test_report();
    test_keep_grads(t); /* compared after the step */
    CHECK(t->has_ema && opt.ema == 0.999f && opt.ema_warmup == 1 && opt.beta1 == 0.0f &&
          opt.beta2 == 0.9f);

    uint64_t k = 0;
    fixture_fill_hash(fx, &t->g, &k);
    fixture_fill_hash(fx, &t->d, &k);
    CHECK_MSG(k == 80, "%llu tensors", (unsigned long long)k);
    memcpy(t->g_ema.params, t->g.params, t->g.n_params * sizeof(float)); /* the EMA starts as G */
    memcpy(t->g_ema.state, t->g.state, t->g.n_state * sizeof(float));
    float *noise = gan_trainer_noise(t), *real = gan_trainer_real_rows(t);
    memcpy(noise, z, (size_t)BATCH * LATENT * sizeof *z);
    for (size_t i = 0; i < (size_t)BATCH * IMG; i++)
        real[i] = ((float)gan_dataset_pixels(data)[i] - 127.5f) / 127.5f;
    fixture_compare(fx, "real", real, (size_t)BATCH * IMG, (fixture_tol){.rtol = 1e-7}, NULL,
                    NULL);

    gan_step_stats st;
    CHECK_OK(gan_trainer_step_batch(t, &st));
    fixture_check_stats(fx, &st, 3e-3 * fabs(fixture_scalar(fx, "loss_g")));

    double e_fake = fixture_compare(fx, "fake", t->fake_out, (size_t)BATCH * IMG,
                                    (fixture_tol){.atol = 1e-5, .rtol = 1e-4}, NULL, NULL);
    double e_logits = fixture_compare(fx, "logits_g", gan_model_output(&t->d), BATCH,
                                      (fixture_tol){.atol = 3e-3, .rtol = 2e-3}, NULL, NULL);
    compare_ctx cd = {"grad_d", "after_d", NULL, NULL, 1e-4, 0, 0, 0, 0, 0, 0};
    fixture_each_tensor(&t->d, compare_tensor, &cd);
    CHECK_MSG(cd.params == 22 && cd.states == 22, "D: %d parameters, %d states", cd.params,
              cd.states);
    compare_ctx cg = {"grad_g", "after_g", &t->g_ema, t->g.layers, 3e-3, 0, 0, 0, 0, 0, 0};
    fixture_each_tensor(&t->g, compare_tensor, &cg);
    CHECK_MSG(cg.params == 26 && cg.states == 10, "G: %d parameters, %d states", cg.params,
              cg.states);
    fprintf(stderr, "worst error / tolerance: fake %.3f, logits_g %.3f, D gradients %.3f, "
            "D after %.3f, G gradients %.3f, G after %.3f, EMA %.3f; zero gradients: D %d, "
            "G %d\n", e_fake, e_logits, cd.worst_grad, cd.worst_after, cg.worst_grad,
            cg.worst_after, cg.worst_ema, cd.zeros, cg.zeros);
    gan_trainer_free(t);
    gan_dataset_free(data);
    gan_st_close(f);
    return test_report();
}
