/*
 * test_resnet_fixture.c - one training iteration of the resnet preset
 * (residual blocks, spectral norm in D, hinge loss, Adam(2e-4, 0, 0.9), EMA
 * 0.999) against the PyTorch reference (tests/fixtures/resnet_step.safetensors,
 * made by tests/fixtures/make_resnet_fixture.py: float64 torch 1.13, stored
 * as float32), as test_dcgan_fixture.c does for dcgan.
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
 * with slope 640 for weights (0.64 for the EMA's). Large tensors are
 * compared at 1024 sampled positions plus their sum.
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
#include "io/safetensors.h"
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

static uint64_t splitmix64(uint64_t x) {
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Each tensor of m with its full name and layer, in gan.c's order. */
typedef void (*tensor_visit)(void *ctx, const char *name, const gan_layer *l,
                             const gan_layer_tensor *t);

static void each_tensor(const gan_model *m, tensor_visit fn, void *ctx) {
    for (int i = 0; i < m->n_layers; i++) {
        const gan_layer *l = &m->layers[i];
        gan_layer_tensor ts[GAN_LAYER_MAX_TENSORS];
        int n = l->ops->tensors(l, ts, GAN_LAYER_MAX_TENSORS);
        char path[96], name[160];
        gan_model_layer_path(m, i, path, sizeof path);
        for (int k = 0; k < n; k++) {
            snprintf(name, sizeof name, "%s.%s", path, ts[k].name);
            fn(ctx, name, l, &ts[k]);
        }
    }
}

/* ---- the fixture's hash init ---- */

static void fill_hash(void *ctx, const char *name, const gan_layer *l,
                      const gan_layer_tensor *t) {
    uint64_t *k = ctx;
    const char *kind = t->name;
    double scale = 0.05, offset = 0.0; /* biases */
    if (strcmp(l->ops->name, "batchnorm2d") == 0) {
        if (strcmp(kind, "weight") == 0) scale = 0.1, offset = 1.0;
        else if (strcmp(kind, "bias") == 0) scale = 0.1;
        else if (strcmp(kind, "running_mean") == 0) scale = 0.1;
        else scale = 0.2, offset = 1.0;
    } else if (strcmp(kind, "weight_u") == 0 || strcmp(kind, "weight_v") == 0) {
        scale = 1.0;
    } else if (strncmp(kind, "weight", 6) == 0) { /* Glorot: (in + out) k k */
        double fans = (double)t->size / l->out[0] + (double)t->size / l->in[0];
        if (strcmp(l->ops->name, "dense") == 0) fans = l->in_size + l->units;
        scale = sqrt(6.0 / fans);
    }
    for (size_t i = 0; i < t->size; i++) {
        double u = (double)(splitmix64((*k << 32) | i) >> 40) / 16777216.0;
        t->data[i] = (float)((2.0 * u - 1.0) * scale + offset);
    }
    char key[200];
    snprintf(key, sizeof key, "init_check.%s", name);
    const gan_st_tensor *c = gan_st_find(fx, key);
    CHECK_MSG(c && memcmp(c->data, t->data, c->nbytes) == 0, "hash init differs for %s", name);
    (*k)++;
}

/* ---- comparisons (test_dcgan_fixture.c's) ---- */

typedef struct ref_view {
    size_t k;
    const int64_t *idx;
    const float *val;
    double sum, abssum, amax;
} ref_view;

static bool get_ref(const char *name, size_t n, ref_view *r) {
    *r = (ref_view){0};
    const gan_st_tensor *full = gan_st_find(fx, name);
    char key[220];
    if (full) {
        CHECK_MSG(full->nbytes == n * 4, "%s: fixture has %zu values, we have %zu", name,
                  full->nbytes / 4, n);
        if (full->nbytes != n * 4) return false;
        r->k = n, r->val = full->data;
    } else {
        const gan_st_tensor *t[4];
        static const char *sfx[4] = {"idx", "val", "sum", "abssum"};
        for (int i = 0; i < 4; i++) {
            snprintf(key, sizeof key, "%s:%s", name, sfx[i]);
            t[i] = gan_st_find(fx, key);
        }
        CHECK_MSG(t[0] && t[1] && t[2] && t[3], "fixture lacks %s", name);
        if (!(t[0] && t[1] && t[2] && t[3])) return false;
        r->k = t[1]->nbytes / 4, r->idx = t[0]->data, r->val = t[1]->data;
        r->sum = *(const double *)t[2]->data, r->abssum = *(const double *)t[3]->data;
        for (size_t i = 0; i < r->k; i++)
            if (r->idx[i] < 0 || (size_t)r->idx[i] >= n) {
                CHECK_MSG(false, "%s: index out of range", name);
                return false;
            }
    }
    for (size_t i = 0; i < r->k; i++) r->amax = fmax(r->amax, fabs(r->val[i]));
    return true;
}

static double ours_at(const ref_view *r, const float *ours, size_t i) {
    return ours[r->idx ? (size_t)r->idx[i] : i];
}

static double compare(const char *name, const float *ours, size_t n, double atol_frac,
                      double rtol, double slope, const float *g_ours, const ref_view *g_ref) {
    ref_view r;
    if (!get_ref(name, n, &r)) return INFINITY;
    double worst = 0;
    for (size_t i = 0; i < r.k; i++) {
        double tol = atol_frac * r.amax + 1e-12 + rtol * fabs(r.val[i]);
        if (g_ours) tol += slope * fabs(ours_at(g_ref, g_ours, i) - g_ref->val[i]);
        double e = fabs(ours_at(&r, ours, i) - r.val[i]) / tol;
        if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
    }
    CHECK_MSG(worst <= 1.0, "%s: error %.3g x tolerance", name, worst);
    if (r.idx) {
        double s = 0;
        for (size_t i = 0; i < n; i++) s += ours[i];
        double tol = (g_ours ? 2e-4 : 2e-5) * r.abssum + 1e-9;
        CHECK_MSG(fabs(s - r.sum) <= tol, "%s: sum %.9g, reference %.9g", name, s, r.sum);
    }
    return worst;
}

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
        c->worst_after = fmax(c->worst_after, compare(key, t->data, t->size, uv ? 1e-5 : 1e-6,
                                                      uv ? 1e-4 : 1e-5, 0, NULL, NULL));
        c->states++;
        if (c->ema) {
            snprintf(key, sizeof key, "ema.%s", name);
            c->worst_ema = fmax(c->worst_ema, compare(key, ema_of(c, l, t, true), t->size, 1e-6,
                                                      1e-5, 0, NULL, NULL));
        }
        return;
    }
    snprintf(gkey, sizeof gkey, "%s.%s", c->grad_prefix, name);
    ref_view g;
    if (!get_ref(gkey, t->size, &g)) return;
    c->params++;
    if (g.amax < 1e-12) { /* zero in exact arithmetic */
        double noise = 0, moved = 0;
        ref_view a;
        if (!get_ref(key, t->size, &a)) return;
        for (size_t i = 0; i < t->size; i++) {
            noise = fmax(noise, fabs(t->grad[i]));
            moved = fmax(moved, fabs(t->data[i] - a.val[i]));
        }
        CHECK_MSG(noise <= 1e-5, "%s: gradient %.3g, zero in exact arithmetic", gkey, noise);
        CHECK_MSG(moved <= LR, "%s: moved %.3g from the reference, more than lr", key, moved);
        c->zeros++;
        return;
    }
    c->worst_grad = fmax(c->worst_grad, compare(gkey, t->grad, t->size, c->grad_atol, 2e-3, 0,
                                                NULL, NULL));
    c->worst_after = fmax(c->worst_after,
                          compare(key, t->data, t->size, 1e-6, 1e-5, 640.0, t->grad, &g));
    if (c->ema) {
        snprintf(key, sizeof key, "ema.%s", name);
        c->worst_ema = fmax(c->worst_ema, compare(key, ema_of(c, l, t, false), t->size, 1e-6,
                                                  1e-5, 0.64, t->grad, &g));
    }
}

static float scalar(const char *name) {
    const float *v = NULL;
    CHECK_OK(gan_st_get_f32(fx, name, 1, (int64_t[]){1}, &v));
    return v ? v[0] : NAN;
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
    CHECK(t->has_ema && opt.ema == 0.999f && opt.beta1 == 0.0f && opt.beta2 == 0.9f);

    uint64_t k = 0;
    each_tensor(&t->g, fill_hash, &k);
    each_tensor(&t->d, fill_hash, &k);
    CHECK_MSG(k == 80, "%llu tensors", (unsigned long long)k);
    memcpy(t->g_ema.params, t->g.params, t->g.n_params * sizeof(float)); /* the EMA starts as G */
    memcpy(t->g_ema.state, t->g.state, t->g.n_state * sizeof(float));
    float *noise = gan_trainer_noise(t), *real = gan_trainer_real_rows(t);
    memcpy(noise, z, (size_t)BATCH * LATENT * sizeof *z);
    for (size_t i = 0; i < (size_t)BATCH * IMG; i++)
        real[i] = ((float)gan_dataset_pixels(data)[i] - 127.5f) / 127.5f;
    compare("real", real, (size_t)BATCH * IMG, 0, 1e-7, 0, NULL, NULL);

    gan_step_stats st;
    CHECK_OK(gan_trainer_step_batch(t, &st));
    struct { const char *name; float ours; double tol; } s[4] = {
        {"loss_d", st.loss_d, 2e-6}, {"loss_g", st.loss_g, 3e-3 * fabs(scalar("loss_g"))},
        {"d_real", st.d_real, 2e-6}, {"d_fake", st.d_fake, 2e-6}};
    for (int i = 0; i < 4; i++)
        CHECK_MSG(fabs(s[i].ours - scalar(s[i].name)) < s[i].tol, "%s %.8f vs %.8f", s[i].name,
                  s[i].ours, scalar(s[i].name));
    fprintf(stderr, "loss_d %.7f (%.7f) loss_g %.7f (%.7f) D(x) %.7f D(G(z)) %.7f\n", st.loss_d,
            scalar("loss_d"), st.loss_g, scalar("loss_g"), st.d_real, st.d_fake);

    double e_fake = compare("fake", t->fake_out, (size_t)BATCH * IMG, 1e-5, 1e-4, 0, NULL, NULL);
    double e_logits = compare("logits_g", gan_model_output(&t->d), BATCH, 3e-3, 2e-3, 0, NULL,
                              NULL);
    compare_ctx cd = {"grad_d", "after_d", NULL, NULL, 1e-4, 0, 0, 0, 0, 0, 0};
    each_tensor(&t->d, compare_tensor, &cd);
    CHECK_MSG(cd.params == 22 && cd.states == 22, "D: %d parameters, %d states", cd.params,
              cd.states);
    compare_ctx cg = {"grad_g", "after_g", &t->g_ema, t->g.layers, 3e-3, 0, 0, 0, 0, 0, 0};
    each_tensor(&t->g, compare_tensor, &cg);
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
