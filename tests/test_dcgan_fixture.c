/*
 * test_dcgan_fixture.c - one training iteration of the dcgan preset against
 * the PyTorch reference (tests/fixtures/dcgan_step.safetensors, made by
 * tests/fixtures/make_dcgan_fixture.py: float64 torch 1.13, stored as
 * float32), and the iteration's bits at 1 and 2 threads; then the same for
 * the dcgan preset built for 3x32x32 data (src/spec/auto.c: four transposed
 * convolutions from z as 100x1x1, batch norm momentum 0.9 and eps 1e-5;
 * tests/fixtures/dcgan32_step.safetensors from make_dcgan32_fixture.py, its
 * real images from the splitmix64 hash), with the same tolerances.
 *
 * Both sides start from the splitmix64 hash weights of the seed fixture
 * (tests/fixtures/README.md), the same noise z and the first 16
 * Fashion-MNIST images. After one D step (batch norm over [real; fake]) and
 * one G step (through the updated D, in training mode on the fake rows),
 * these must agree (ours float32, the reference float64):
 *   losses, D(x), D(G(z))          |diff| < 2e-6 (absolute)
 *   fake, D's logits of the G step |diff| <= 1e-5 max|ref| + 1e-4 |ref|
 *   every parameter gradient       |diff| <= 1e-4 max|ref| + 2e-3 |ref|
 *   updated weights and running    |diff| <= 1e-6 max|ref| + 1e-5 |ref|
 *   statistics                       + 64 |our gradient - reference gradient|
 *                                    (running means: + (1 - momentum) times the
 *                                    distance of the bias before them, below)
 * Large tensors are compared at 1024 sampled positions plus their full sum
 * (|sum - ref| <= 2e-5 sum |ref|).
 *
 * The last term of the weight tolerance: at t = 1, Keras Adam moves a weight
 * by lr_t (1 - b1) g / (sqrt(1 - b2) |g| + eps), whose slope in g is at most
 * lr_t (1 - b1) / eps = 63 (at g = 0), so a gradient that agrees within
 * float32 noise can still move a weight a little differently where g is
 * near 0. Two gradients are zero in exact arithmetic: the biases of the
 * layers in front of batch norm (D's conv 2, G's transposed conv 4); for
 * those the test asks that ours is float32 noise (below 1e-5 of the largest
 * weight gradient of that layer) and that the weight moved by at most lr.
 * Such a bias shifts the batch mean that D's third training forward (the G
 * step) folds into the next batch norm's running mean, by (1 - momentum)
 * times its distance from the reference: 10 times more at the 32 px
 * model's momentum 0.9 than at the 28 px preset's 0.99.
 *
 * gan.c's own initial values are checked too (Glorot limits, zero biases,
 * batch norm 1 / 0), before the hash values replace them.
 */
#include "io/safetensors.h"
#include "test_util.h"
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 16
#define LATENT 100
#define LR 2e-4

static const gan_st_file *fx;
static size_t IMG;            /* C H W of the fixture being checked */
static bool auto32;           /* the 3x32x32 fixture */

static uint64_t splitmix64(uint64_t x) {
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The layer that tensor `name` ("generator.4.weight") belongs to. */
static const gan_layer *layer_of(const gan_model *m, const char *name) {
    const char *dot = strchr(name, '.');
    return &m->layers[atoi(dot + 1)];
}

static const char *kind_of(const char *name) {
    return strrchr(name, '.') + 1;
}

/* ---- gan.c's own init ---- */

static gan_status check_init(void *ctx, const char *name, const gan_layer_tensor *t) {
    const gan_model *m = ctx;
    const gan_layer *l = layer_of(m, name);
    const char *kind = kind_of(name);
    bool bn = strcmp(l->ops->name, "batchnorm2d") == 0;
    double lo = 0, hi = 0;
    if (bn) {
        lo = hi = strcmp(kind, "weight") == 0 || strcmp(kind, "running_var") == 0 ? 1.0 : 0.0;
    } else if (strcmp(kind, "weight") == 0) {
        double fans = (double)t->size / l->out[0] + (double)t->size / l->in[0];
        if (strcmp(l->ops->name, "dense") == 0) fans = l->in_size + l->units;
        hi = sqrt(6.0 / fans), lo = -hi;
    }
    double mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < t->size; i++) mn = fmin(mn, t->data[i]), mx = fmax(mx, t->data[i]);
    bool ok = mn >= lo - 1e-7 && mx <= hi + 1e-7;
    if (hi > lo && t->size >= 1000) ok &= mx > 0.95 * hi && mn < 0.95 * lo; /* spans the range */
    CHECK_MSG(ok, "gan.c init of %s: values in [%g, %g], expected [%g, %g]", name, mn, mx, lo, hi);
    return GAN_OK;
}

/* ---- the fixture's hash init ---- */

typedef struct hash_init {
    uint64_t k; /* tensor number in fixture order */
    const gan_model *m;
} hash_init;

static gan_status fill_hash(void *ctx, const char *name, const gan_layer_tensor *t) {
    hash_init *h = ctx;
    const gan_layer *l = layer_of(h->m, name);
    const char *kind = kind_of(name);
    double scale = 0.05, offset = 0.0; /* biases of dense and convolutions */
    if (strcmp(l->ops->name, "batchnorm2d") == 0) {
        if (strcmp(kind, "weight") == 0) scale = 0.1, offset = 1.0;
        else if (strcmp(kind, "bias") == 0) scale = 0.1;
        else if (strcmp(kind, "running_mean") == 0) scale = 0.1;
        else scale = 0.2, offset = 1.0;
    } else if (strcmp(kind, "weight") == 0) { /* Glorot: fan_in + fan_out = (in + out) k k */
        double fans = (double)t->size / l->out[0] + (double)t->size / l->in[0];
        if (strcmp(l->ops->name, "dense") == 0) fans = l->in_size + l->units;
        scale = sqrt(6.0 / fans);
    }
    for (size_t i = 0; i < t->size; i++) {
        double u = (double)(splitmix64((h->k << 32) | i) >> 40) / 16777216.0;
        t->data[i] = (float)((2.0 * u - 1.0) * scale + offset);
    }
    char key[160];
    snprintf(key, sizeof key, "init_check.%s", name);
    const gan_st_tensor *c = gan_st_find(fx, key);
    CHECK_MSG(c && memcmp(c->data, t->data, c->nbytes) == 0, "hash init differs for %s", name);
    h->k++;
    return GAN_OK;
}

/* ---- comparisons ---- */

typedef struct ref_view {
    size_t k;             /* values compared */
    const int64_t *idx;   /* positions (NULL: all n, in order) */
    const float *val;     /* (k) reference values */
    double sum, abssum;   /* of the full tensor (sampled tensors only) */
    double amax;          /* of val */
} ref_view;

/* The fixture's tensor `name`, full or sampled; false (and a failed check)
 * when it is missing or has another size than n. */
static bool get_ref(const char *name, size_t n, ref_view *r) {
    *r = (ref_view){0};
    const gan_st_tensor *full = gan_st_find(fx, name);
    char key[200];
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
        for (size_t i = 0; i < r->k; i++) {
            CHECK_MSG(r->idx[i] >= 0 && (size_t)r->idx[i] < n, "%s: index out of range", name);
            if (r->idx[i] < 0 || (size_t)r->idx[i] >= n) return false;
        }
    }
    for (size_t i = 0; i < r->k; i++) r->amax = fmax(r->amax, fabs(r->val[i]));
    return true;
}

static double ours_at(const ref_view *r, const float *ours, size_t i) {
    return ours[r->idx ? (size_t)r->idx[i] : i];
}

/* |ours - ref| <= atol_frac max|ref| + rtol |ref| + slope |dg_i| (dg: the
 * gradient error behind a weight, or NULL). Returns the worst ratio. */
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
        CHECK_MSG(fabs(s - r.sum) <= 2e-5 * r.abssum + 1e-9, "%s: sum %.9g, reference %.9g",
                  name, s, r.sum);
    }
    return worst;
}

typedef struct compare_ctx {
    const gan_model *m;
    const char *grad_prefix, *after_prefix; /* "grad_d", "after_d" */
    int params, states;
    double worst_grad, worst_after;
    double bias_moved; /* how far the last zero-gradient bias is from the reference */
} compare_ctx;

/* Largest |reference gradient| of the weight of `name`'s layer. */
static double layer_weight_grad_amax(const compare_ctx *c, const char *name) {
    char key[200];
    size_t len = (size_t)(strrchr(name, '.') - name);
    snprintf(key, sizeof key, "%s.%.*s.weight", c->grad_prefix, (int)len, name);
    const gan_layer *l = layer_of(c->m, name);
    gan_layer_tensor t[GAN_LAYER_MAX_TENSORS];
    l->ops->tensors(l, t, GAN_LAYER_MAX_TENSORS);
    ref_view r;
    return get_ref(key, t[0].size, &r) ? r.amax : INFINITY;
}

static gan_status compare_tensor(void *ctx, const char *name, const gan_layer_tensor *t) {
    compare_ctx *c = ctx;
    char key[200];
    snprintf(key, sizeof key, "%s.%s", c->after_prefix, name);
    if (!t->grad) { /* running statistics */
        /* the running mean of the G step's D forward follows the conv bias before it, which
         * moved within bias_moved of the reference (a zero gradient in exact arithmetic):
         * (1 - momentum) of that, relative to the largest value */
        double extra = 0;
        ref_view r;
        if (strcmp(kind_of(name), "running_mean") == 0 && c->bias_moved > 0 &&
            get_ref(key, t->size, &r) && r.amax > 0)
            extra = (1.0 - layer_of(c->m, name)->momentum) * c->bias_moved / r.amax;
        c->worst_after = fmax(c->worst_after, compare(key, t->data, t->size, 1e-6 + extra, 1e-5,
                                                      0, NULL, NULL));
        c->states++;
        return GAN_OK;
    }
    char gkey[200];
    snprintf(gkey, sizeof gkey, "%s.%s", c->grad_prefix, name);
    ref_view g;
    if (!get_ref(gkey, t->size, &g)) return GAN_OK;
    c->params++;
    if (g.amax < 1e-12) { /* zero in exact arithmetic: a bias in front of batch norm */
        double noise = 0, moved = 0, limit = 1e-5 * layer_weight_grad_amax(c, name);
        ref_view a;
        if (!get_ref(key, t->size, &a)) return GAN_OK;
        for (size_t i = 0; i < t->size; i++) {
            noise = fmax(noise, fabs(t->grad[i]));
            moved = fmax(moved, fabs(t->data[i] - a.val[i]));
        }
        CHECK_MSG(noise <= limit, "%s: gradient %.3g, zero in exact arithmetic (limit %.3g)",
                  gkey, noise, limit);
        CHECK_MSG(moved <= LR, "%s: moved %.3g from the reference, more than lr", key, moved);
        c->bias_moved = moved;
        fprintf(stderr, "  %-40s zero in exact arithmetic: ours at most %.2g (limit %.2g); "
                "weight within %.2g of the reference\n", gkey, noise, limit, moved);
        return GAN_OK;
    }
    c->worst_grad = fmax(c->worst_grad, compare(gkey, t->grad, t->size, 1e-4, 2e-3, 0, NULL,
                                                NULL));
    c->worst_after = fmax(c->worst_after,
                          compare(key, t->data, t->size, 1e-6, 1e-5, 64.0, t->grad, &g));
    return GAN_OK;
}

static float scalar(const char *name) {
    const float *v = NULL;
    CHECK_OK(gan_st_get_f32(fx, name, 1, (int64_t[]){1}, &v));
    return v ? v[0] : NAN;
}

/* A dcgan trainer for batch `batch` at `threads`, with the fixture's hash
 * weights, noise and real images (the first 16 repeated). */
static gan_trainer *make_trainer(int batch, int threads, const gan_dataset *data,
                                 const float *z, bool check_own_init) {
    gan_train_options opt;
    gan_train_options_default(&opt);
    opt.batch_size = batch;
    opt.threads = threads;
    gan_trainer *t = NULL;
    if (auto32) {
        gan_spec *spec = NULL;
        CHECK_OK(gan_spec_load_for_shape("dcgan", 3, 32, 32, 0, &spec));
        if (spec) CHECK_OK(gan_trainer_create_for_spec(spec, &opt, &t));
        gan_spec_free(spec);
    } else {
        CHECK_OK(test_trainer_for_model("dcgan", &opt, &t));
    }
    if (!t) return NULL;
    if (check_own_init) {
        gan_model_each_tensor(&t->g, check_init, &t->g);
        gan_model_each_tensor(&t->d, check_init, &t->d);
    }
    hash_init h = {0, &t->g};
    gan_model_each_tensor(&t->g, fill_hash, &h);
    h.m = &t->d;
    gan_model_each_tensor(&t->d, fill_hash, &h);
    CHECK(h.k == (auto32 ? 36u : 24u));
    float *noise = gan_trainer_noise(t), *real = gan_trainer_real_rows(t);
    for (int b = 0; b < batch; b++) {
        memcpy(noise + (size_t)b * LATENT, z + (size_t)(b % BATCH) * LATENT,
               LATENT * sizeof *z);
        for (size_t i = 0; i < IMG; i++) {
            size_t j = (size_t)(b % BATCH) * IMG + i; /* the 32 px fixture: hash bytes */
            float byte = auto32 ? (float)(splitmix64((1000ull << 32) | j) >> 56)
                                : (float)gan_dataset_pixels(data)[j];
            real[(size_t)b * IMG + i] = (byte - 127.5f) / 127.5f;
        }
    }
    return t;
}

/* Two iterations at 1 and at 2 threads must give the same bits. */
static void check_threads(int batch, const gan_dataset *data, const float *z) {
    gan_trainer *t[2];
    gan_step_stats st[2];
    for (int i = 0; i < 2; i++) {
        t[i] = make_trainer(batch, i + 1, data, z, false);
        if (!t[i]) return;
        CHECK_OK(gan_trainer_step_batch(t[i], &st[i]));
        CHECK_OK(gan_trainer_step_batch(t[i], &st[i]));
    }
    CHECK_MSG(memcmp(&st[0], &st[1], sizeof st[0]) == 0, "batch %d: statistics differ", batch);
    const gan_model *m[2][2] = {{&t[0]->g, &t[0]->d}, {&t[1]->g, &t[1]->d}};
    for (int k = 0; k < 2; k++) {
        size_t np = m[0][k]->n_params, ns = m[0][k]->n_state;
        CHECK_MSG(memcmp(m[0][k]->params, m[1][k]->params, np * 4) == 0 &&
                      memcmp(m[0][k]->grads, m[1][k]->grads, np * 4) == 0 &&
                      memcmp(m[0][k]->adam_v, m[1][k]->adam_v, np * 4) == 0 &&
                      memcmp(m[0][k]->state, m[1][k]->state, ns * 4) == 0,
                  "batch %d: %s differs between 1 and 2 threads", batch, m[0][k]->name);
    }
    gan_trainer_free(t[0]);
    gan_trainer_free(t[1]);
    gan_backend_cpu_set_threads(2);
}

/* One fixture: the iteration against the reference, then thread independence. */
static void check_fixture(const char *file, const gan_dataset *data, int params_d, int states_d,
                          int params_g, int states_g) {
    gan_st_file *f = NULL;
    CHECK_OK(gan_st_open(test_fixture_path(file), &f));
    if (!f) return;
    fx = f;
    const float *z = NULL;
    CHECK_OK(gan_st_get_f32(fx, "z", 2, (int64_t[]){BATCH, LATENT}, &z));
    gan_trainer *t = z ? make_trainer(BATCH, 2, data, z, true) : NULL;
    if (!t) {
        gan_st_close(f);
        return;
    }
    fprintf(stderr, "%s:\n", file);
    compare("real", gan_trainer_real_rows(t), (size_t)BATCH * IMG, 0, 1e-7, 0, NULL, NULL);

    gan_step_stats st;
    CHECK_OK(gan_trainer_step_batch(t, &st));
    struct { const char *name; float ours; } s[4] = {
        {"loss_d", st.loss_d}, {"loss_g", st.loss_g}, {"d_real", st.d_real},
        {"d_fake", st.d_fake}};
    for (int i = 0; i < 4; i++)
        CHECK_MSG(fabs(s[i].ours - scalar(s[i].name)) < 2e-6, "%s %.8f vs %.8f", s[i].name,
                  s[i].ours, scalar(s[i].name));
    fprintf(stderr, "loss_d %.7f loss_g %.7f D(x) %.7f D(G(z)) %.7f\n", st.loss_d, st.loss_g,
            st.d_real, st.d_fake);

    double e_fake = compare("fake", t->g.acts[t->g.n_layers], (size_t)BATCH * IMG, 1e-5, 1e-4,
                            0, NULL, NULL);
    double e_logits = compare("logits_g", t->d.acts[t->d.n_layers], BATCH, 1e-5, 1e-4, 0, NULL,
                              NULL);
    compare_ctx cd = {&t->d, "grad_d", "after_d", 0, 0, 0, 0, 0};
    gan_model_each_tensor(&t->d, compare_tensor, &cd);
    CHECK_MSG(cd.params == params_d && cd.states == states_d, "D: %d parameters, %d states",
              cd.params, cd.states);
    compare_ctx cg = {&t->g, "grad_g", "after_g", 0, 0, 0, 0, 0};
    gan_model_each_tensor(&t->g, compare_tensor, &cg);
    CHECK_MSG(cg.params == params_g && cg.states == states_g, "G: %d parameters, %d states",
              cg.params, cg.states);
    fprintf(stderr, "worst error / tolerance: fake %.3f, logits_g %.3f, D gradients %.3f, "
            "D after %.3f, G gradients %.3f, G after %.3f\n", e_fake, e_logits,
            cd.worst_grad, cd.worst_after, cg.worst_grad, cg.worst_after);
    gan_trainer_free(t);

    check_threads(BATCH, data, z);
    check_threads(48, data, z); /* D's 96 rows: two column groups in its second conv */
    gan_st_close(f);
}

int main(void) {
    gan_dataset *data = NULL;
    const char *dir = getenv("GAN_FASHION_DIR");
    CHECK_OK(gan_dataset_load(dir ? dir : "/usr/share/datasets/fashion-mnist", GAN_SPLIT_TRAIN,
                              &data));
    if (data) {
        IMG = 784, auto32 = false;
        check_fixture("dcgan_step.safetensors", data, 8, 2, 10, 4);
    }
    IMG = 3 * 32 * 32, auto32 = true;
    check_fixture("dcgan32_step.safetensors", NULL, 12, 4, 14, 6);
    gan_dataset_free(data);
    return test_report();
}
