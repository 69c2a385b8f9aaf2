/*
 * test_seed_fixture.c - one training iteration of the seed GAN against the
 * PyTorch reference (tests/fixtures/seed_step.safetensors, made by
 * tests/fixtures/make_seed_fixture.py with Debian's python3-torch).
 *
 * Both sides start from the same hash-generated weights (splitmix64, see
 * tests/fixtures/README.md), the same noise z and the same 16 real
 * Fashion-MNIST images; after one discriminator step and one generator step
 * the losses, D(x), D(G(z)), the generated images, D's logits, every
 * parameter gradient, the updated weights and the batch-norm running
 * statistics must agree to float32 tolerance. Large tensors are compared at
 * 1024 sampled positions plus their full sum.
 */
#include "io/safetensors.h"
#include "test_util.h"
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 16

static uint64_t splitmix64(uint64_t x) {
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct hash_init {
    uint64_t k;              /* tensor number in fixture order */
    const gan_st_file *fx;
} hash_init;

/* Fill tensor k with the fixture's hash values and check them against the
 * fixture's init_check entry. */
static gan_status fill_hash(void *ctx, const char *name, const gan_layer_tensor *t) {
    hash_init *h = ctx;
    double scale = 0.05, offset = 0.0;
    const char *kind = strrchr(name, '.') + 1;
    if (strcmp(kind, "weight") == 0 && t->ndims == 2) {
        scale = sqrt(6.0 / (double)(t->shape[0] + t->shape[1]));
    } else if (strcmp(kind, "running_mean") == 0) {
        scale = 0.1;
    } else if (strcmp(kind, "running_var") == 0) {
        scale = 0.2, offset = 1.0;
    } else if (strcmp(kind, "weight") == 0) { /* batch-norm gamma */
        scale = 0.1, offset = 1.0;
    } else if (strcmp(kind, "bias") == 0 && strstr(name, "generator") &&
               (strstr(name, ".2.") || strstr(name, ".5.") || strstr(name, ".8."))) {
        scale = 0.1; /* batch-norm beta */
    }
    for (size_t i = 0; i < t->size; i++) {
        double u = (double)(splitmix64((h->k << 32) | i) >> 40) / 16777216.0;
        t->data[i] = (float)((2.0 * u - 1.0) * scale + offset);
    }
    char check[160];
    snprintf(check, sizeof check, "init_check.%s", name);
    const gan_st_tensor *c = gan_st_find(h->fx, check);
    CHECK_MSG(c != NULL, "fixture lacks %s", check);
    if (c) {
        size_t n = c->nbytes / 4;
        CHECK_MSG(memcmp(c->data, t->data, n * 4) == 0, "hash init differs for %s", name);
    }
    h->k++;
    return GAN_OK;
}

/* Compare `n` values of ours against fixture tensor `name` (full or sampled). */
static void compare(const gan_st_file *fx, const char *name, const float *ours, size_t n,
                    double atol_frac, double rtol) {
    const gan_st_tensor *full = gan_st_find(fx, name);
    char key[200];
    if (full) {
        CHECK_MSG(full->nbytes == n * 4, "%s: fixture has %zu values, we have %zu", name,
                  full->nbytes / 4, n);
        if (full->nbytes != n * 4) return;
        const float *ref = full->data;
        double amax = 0;
        for (size_t i = 0; i < n; i++) amax = fmax(amax, fabs(ref[i]));
        double err = test_max_rel_err(ours, ref, n, atol_frac * amax + 1e-12, rtol);
        CHECK_MSG(err <= 1.0, "%s: error %.3g x tolerance", name, err);
        return;
    }
    snprintf(key, sizeof key, "%s:idx", name);
    const gan_st_tensor *idx = gan_st_find(fx, key);
    snprintf(key, sizeof key, "%s:val", name);
    const gan_st_tensor *val = gan_st_find(fx, key);
    snprintf(key, sizeof key, "%s:sum", name);
    const gan_st_tensor *sum = gan_st_find(fx, key);
    snprintf(key, sizeof key, "%s:abssum", name);
    const gan_st_tensor *abssum = gan_st_find(fx, key);
    CHECK_MSG(idx && val && sum && abssum, "fixture lacks %s", name);
    if (!(idx && val && sum && abssum)) return;
    size_t k = val->nbytes / 4;
    const int64_t *ix = idx->data;
    const float *ref = val->data;
    float *picked = malloc(k * sizeof *picked);
    double amax = 0;
    bool in_range = true;
    for (size_t i = 0; i < k; i++) {
        in_range &= ix[i] >= 0 && (size_t)ix[i] < n;
        picked[i] = in_range ? ours[ix[i]] : 0.0f;
        amax = fmax(amax, fabs(ref[i]));
    }
    CHECK_MSG(in_range, "%s: sample index out of range", name);
    double err = test_max_rel_err(picked, ref, k, atol_frac * amax + 1e-12, rtol);
    CHECK_MSG(err <= 1.0, "%s: sampled values: error %.3g x tolerance", name, err);
    free(picked);
    double s = 0;
    for (size_t i = 0; i < n; i++) s += ours[i];
    double ref_sum = *(const double *)sum->data, ref_abs = *(const double *)abssum->data;
    CHECK_MSG(fabs(s - ref_sum) <= 2e-5 * ref_abs + 1e-9, "%s: sum %.9g, reference %.9g", name,
              s, ref_sum);
}

typedef struct compare_ctx {
    const gan_st_file *fx;
    const char *prefix; /* "grad_d", "after_d", ... */
    bool grads;         /* compare gradients instead of values */
    bool state_only;    /* only running statistics */
    int compared;
} compare_ctx;

static gan_status compare_tensor(void *ctx, const char *name, const gan_layer_tensor *t) {
    compare_ctx *c = ctx;
    bool is_state = t->grad == NULL;
    if (c->state_only != is_state) return GAN_OK;
    char key[200];
    snprintf(key, sizeof key, "%s.%s", c->prefix, name);
    if (c->grads)
        compare(c->fx, key, t->grad, t->size, 1e-4, 2e-3);
    else
        compare(c->fx, key, t->data, t->size, 1e-6, 1e-5);
    c->compared++;
    return GAN_OK;
}

static float scalar(const gan_st_file *fx, const char *name) {
    const float *v = NULL;
    int64_t shape[1] = {1};
    CHECK_OK(gan_st_get_f32(fx, name, 1, shape, &v));
    return v ? v[0] : NAN;
}

int main(void) {
    gan_st_file *fx = NULL;
    CHECK_OK(gan_st_open(test_fixture_path("seed_step.safetensors"), &fx));
    if (!fx) return test_report();

    gan_train_options opt;
    gan_train_options_default(&opt);
    opt.batch_size = BATCH;
    opt.threads = 2;
    gan_trainer *t = NULL;
    CHECK_OK(test_trainer_for_model("mlp", &opt, &t));
    if (!t) return test_report();
    test_keep_grads(t); /* compared after the step */

    hash_init h = {0, fx};
    gan_model_each_tensor(&t->g, fill_hash, &h);
    gan_model_each_tensor(&t->d, fill_hash, &h);
    CHECK(h.k == 28);

    /* inputs: the fixture's noise and the first 16 Fashion-MNIST images */
    const float *z = NULL;
    CHECK_OK(gan_st_get_f32(fx, "z", 2, (int64_t[]){BATCH, 100}, &z));
    gan_dataset *data = NULL;
    const char *dir = getenv("GAN_FASHION_DIR");
    CHECK_OK(gan_dataset_load(dir ? dir : "/usr/share/datasets/fashion-mnist", GAN_SPLIT_TRAIN,
                              &data));
    if (!z || !data) return test_report();
    memcpy(gan_trainer_noise(t), z, sizeof(float) * BATCH * 100);
    float *real = gan_trainer_real_rows(t);
    for (size_t i = 0; i < (size_t)BATCH * 784; i++)
        real[i] = ((float)gan_dataset_pixels(data)[i] - 127.5f) / 127.5f;
    compare(fx, "real", real, (size_t)BATCH * 784, 0, 1e-7);

    gan_step_stats st;
    CHECK_OK(gan_trainer_step_batch(t, &st));
    CHECK_MSG(fabs(st.loss_d - scalar(fx, "loss_d")) < 2e-6, "loss_d %.8f vs %.8f", st.loss_d,
              scalar(fx, "loss_d"));
    CHECK_MSG(fabs(st.loss_g - scalar(fx, "loss_g")) < 2e-6, "loss_g %.8f vs %.8f", st.loss_g,
              scalar(fx, "loss_g"));
    CHECK_MSG(fabs(st.d_real - scalar(fx, "d_real")) < 2e-6, "d_real %.8f", st.d_real);
    CHECK_MSG(fabs(st.d_fake - scalar(fx, "d_fake")) < 2e-6, "d_fake %.8f", st.d_fake);
    fprintf(stderr, "loss_d %.7f loss_g %.7f D(x) %.7f D(G(z)) %.7f\n", st.loss_d, st.loss_g,
            st.d_real, st.d_fake);

    /* G's output (still in its activations) and D's logits of the G step */
    compare(fx, "fake", t->g.acts[t->g.n_layers], (size_t)BATCH * 784, 1e-5, 1e-4);
    compare(fx, "logits_g", t->d.acts[t->d.n_layers], BATCH, 1e-5, 1e-4);

    compare_ctx c = {fx, "grad_d", true, false, 0};
    gan_model_each_tensor(&t->d, compare_tensor, &c);
    c = (compare_ctx){fx, "after_d", false, false, 0};
    gan_model_each_tensor(&t->d, compare_tensor, &c);
    c = (compare_ctx){fx, "grad_g", true, false, 0};
    gan_model_each_tensor(&t->g, compare_tensor, &c);
    CHECK(c.compared == 14);
    c = (compare_ctx){fx, "after_g", false, false, 0};
    gan_model_each_tensor(&t->g, compare_tensor, &c);
    c = (compare_ctx){fx, "after_g", false, true, 0};
    gan_model_each_tensor(&t->g, compare_tensor, &c);
    CHECK(c.compared == 6);

    gan_trainer_free(t);
    gan_dataset_free(data);
    gan_st_close(fx);
    return test_report();
}
