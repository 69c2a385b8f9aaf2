/*
 * test_conv_fixture.c - image layers against PyTorch: conv2d,
 * conv_transpose2d, batchnorm2d, and spectral normalization on dense and
 * conv2d, each a one-layer model loaded with the parameters in
 * tests/fixtures/conv_layers.safetensors (made by make_conv_fixture.py,
 * float64 torch 1.13, stored as float32). One training-mode forward and the
 * backward of sum(y * dy) must reproduce y, dx and every parameter
 * gradient; batch norm also its running statistics and inference output,
 * spectral norm its updated u and v.
 *
 * Then the layers of SN-GAN's ResNets from tests/fixtures/
 * resnet_layers.safetensors (make_resnet_layers_fixture.py), the same way:
 * upsample2d, avgpool2d, global_sum_pool, cond_batchnorm2d (with the rows'
 * labels), spectral norm on conv_transpose2d (PyTorch's dim 1) and the
 * projection head (labels; spectral norm on its two weights),
 * self-attention (with and without spectral norm on f, g, h) and the
 * minibatch standard deviation (StyleGAN2's, groups that divide the batch
 * and one that does not).
 */
#include "io/safetensors.h"
#include "model.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

static const gan_st_file *fx;

/* Fixture tensor `prefix.name` as float32, or NULL (with a failed check). */
static const float *ref(const char *prefix, const char *name, size_t *n) {
    char key[128];
    snprintf(key, sizeof key, "%s.%s", prefix, name);
    const gan_st_tensor *t = gan_st_find(fx, key);
    CHECK_MSG(t && t->dtype == GAN_ST_F32, "fixture lacks %s", key);
    if (!t || t->dtype != GAN_ST_F32) return NULL;
    if (n) *n = t->nbytes / 4;
    return t->data;
}

static void compare(const char *prefix, const char *name, const float *ours, size_t n) {
    size_t nr = 0;
    const float *r = ref(prefix, name, &nr);
    if (!r) return;
    CHECK_MSG(nr == n, "%s.%s: fixture has %zu values, we have %zu", prefix, name, nr, n);
    if (nr != n) return;
    double amax = 0;
    for (size_t i = 0; i < n; i++) amax = fmax(amax, fabs(r[i]));
    /* a reference that is zero in exact arithmetic (self-attention's f.bias: the
     * softmax ignores it) leaves float32 round-off on our side */
    double atol = amax < 1e-9 ? 1e-6 : 1e-5 * amax + 1e-7;
    double err = test_max_rel_err(ours, r, n, atol, 1e-4);
    CHECK_MSG(err <= 1.0, "%s.%s: error %.3g x tolerance", prefix, name, err);
}

typedef struct tensor_ctx {
    const char *prefix;
    int mode; /* 0: load values, 1: compare gradients, 2: compare state with "_after" */
} tensor_ctx;

static gan_status each(void *ctx, const char *full, const gan_layer_tensor *t) {
    tensor_ctx *c = ctx;
    const char *name = full + strlen("case.0."); /* the layer's own name: "linear.bias" */
    char key[64];
    if (c->mode == 0) {
        size_t n = 0;
        const float *r = ref(c->prefix, name, &n);
        CHECK_MSG(r && n == t->size, "%s.%s: size %zu vs %zu", c->prefix, name, n, t->size);
        if (r && n == t->size) memcpy(t->data, r, n * sizeof *r);
    } else if (c->mode == 1 && t->grad) {
        snprintf(key, sizeof key, "d%s", name);
        compare(c->prefix, key, t->grad, t->size);
    } else if (c->mode == 2 && !t->grad) {
        snprintf(key, sizeof key, "%s_after", name);
        compare(c->prefix, key, t->data, t->size);
    }
    return GAN_OK;
}

/* Build `l` on the fixture's x, load parameters, run and compare. */
static void run_case(const char *prefix, gan_layer l) {
    char key[128];
    snprintf(key, sizeof key, "%s.x", prefix);
    const gan_st_tensor *xt = gan_st_find(fx, key);
    CHECK_MSG(xt != NULL, "fixture lacks %s", key);
    if (!xt) return;
    int N = (int)xt->shape[0], c = (int)xt->shape[1];
    int h = xt->ndims == 4 ? (int)xt->shape[2] : 1, w = xt->ndims == 4 ? (int)xt->shape[3] : 1;
    gan_model m = {0};
    CHECK_OK(gan_model_add(&m, l));
    gan_status s = gan_model_build(&m, "case", c, h, w, N, gan_backend_cpu());
    CHECK_MSG(s == GAN_OK, "%s: %s", prefix, gan_last_error());
    if (s != GAN_OK) return;
    gan_model_init(&m, 1, 0);
    int32_t labels[64];
    snprintf(key, sizeof key, "%s.labels", prefix);
    const gan_st_tensor *lt = gan_st_find(fx, key);
    if (lt && lt->dtype == GAN_ST_I64 && lt->nbytes / 8 == (size_t)N && N <= 64) {
        for (int i = 0; i < N; i++) labels[i] = (int32_t)((const int64_t *)lt->data)[i];
        gan_model_set_labels(&m, labels);
    }
    tensor_ctx ctx = {prefix, 0};
    gan_model_each_tensor(&m, each, &ctx);

    const float *y = gan_model_forward(&m, xt->data, N, true);
    compare(prefix, "y", y, (size_t)N * m.out_size);
    gan_model_zero_grads(&m);
    const float *dx = gan_model_backward(&m, ref(prefix, "dy", NULL), N, true, true);
    compare(prefix, "dx", dx, (size_t)N * m.in_size);
    ctx.mode = 1;
    gan_model_each_tensor(&m, each, &ctx);
    ctx.mode = 2;
    gan_model_each_tensor(&m, each, &ctx);
    snprintf(key, sizeof key, "%s.y_eval", prefix);
    if (gan_st_find(fx, key))
        compare(prefix, "y_eval", gan_model_forward(&m, xt->data, N, false),
                (size_t)N * m.out_size);
    snprintf(key, sizeof key, "%s.sigma", prefix);
    if (l.spectral_norm && gan_st_find(fx, key)) {
        int K = m.layers[0].n_params / l.units - 1;
        compare(prefix, "sigma", m.layers[0].scratch + 2 * (size_t)l.units * K, 1);
    }
    gan_model_free(&m);
}

static const int64_t *config(const char *prefix) {
    char key[128];
    snprintf(key, sizeof key, "%s.config", prefix);
    const void *d = NULL;
    gan_status s = gan_st_get(fx, key, GAN_ST_I64, 1, (int64_t[]){4}, &d);
    if (s != GAN_OK) {
        s = gan_st_get(fx, key, GAN_ST_I64, 1, (int64_t[]){2}, &d);
    }
    CHECK_MSG(s == GAN_OK, "%s", gan_last_error());
    return d;
}

typedef void (*make_fn)(gan_layer *l, const int64_t *cf);

static void make_upsample(gan_layer *l, const int64_t *cf) {
    gan_layer_upsample2d(l, (int)cf[0]);
}
static void make_avgpool(gan_layer *l, const int64_t *cf) {
    gan_layer_avgpool2d(l, (int)cf[0]);
}
static void make_global_sum(gan_layer *l, const int64_t *cf) {
    gan_layer_global_sum_pool(l);
}
static void make_cond_bn(gan_layer *l, const int64_t *cf) {
    gan_layer_cond_batchnorm2d(l, (int)cf[2], (float)(cf[0] * 1e-6), (float)(cf[1] * 1e-6));
}
static void make_sn_conv_t(gan_layer *l, const int64_t *cf) {
    gan_layer_conv_transpose2d(l, (int)cf[0], (int)cf[1], (int)cf[2], (int)cf[3]);
    gan_layer_set_spectral_norm(l, true);
}
static void make_attention(gan_layer *l, const int64_t *cf) {
    gan_layer_self_attention(l, (int)cf[0]);
    gan_layer_set_spectral_norm(l, cf[1] != 0);
}
static void make_mbstd(gan_layer *l, const int64_t *cf) {
    gan_layer_minibatch_stddev(l, (int)cf[0]);
}
static void make_projection(gan_layer *l, const int64_t *cf) {
    gan_layer_projection(l, (int)cf[0]);
    gan_layer_set_spectral_norm(l, cf[1] != 0);
}

/* Every case KIND.0, KIND.1, ... of the open fixture; returns how many. */
static int run_kind(const char *kind, make_fn make) {
    char prefix[64], key[96];
    int i = 0;
    for (;; i++) {
        snprintf(prefix, sizeof prefix, "%s.%d", kind, i);
        snprintf(key, sizeof key, "%s.config", prefix);
        if (!gan_st_find(fx, key)) break;
        gan_layer l;
        make(&l, config(prefix));
        run_case(prefix, l);
    }
    return i;
}

static void resnet_layers(void) {
    gan_st_file *f = NULL;
    CHECK_OK(gan_st_open(test_fixture_path("resnet_layers.safetensors"), &f));
    if (!f) return;
    fx = f;
    int cases = run_kind("upsample2d", make_upsample) + run_kind("avgpool2d", make_avgpool) +
                run_kind("global_sum_pool", make_global_sum) +
                run_kind("cond_batchnorm2d", make_cond_bn) +
                run_kind("sn_conv_transpose2d", make_sn_conv_t) +
                run_kind("projection", make_projection) +
                run_kind("self_attention", make_attention) +
                run_kind("minibatch_stddev", make_mbstd);
    CHECK_MSG(cases == 25, "ran %d resnet fixture cases, expected 25", cases);
    gan_st_close(f);
}

int main(void) {
    gan_backend_cpu_set_threads(2);
    gan_st_file *f = NULL;
    CHECK_OK(gan_st_open(test_fixture_path("conv_layers.safetensors"), &f));
    if (!f) return test_report();
    fx = f;
    int cases = 0;
    char prefix[64];
    for (int i = 0;; i++, cases++) {
        snprintf(prefix, sizeof prefix, "conv2d.%d.config", i);
        if (!gan_st_find(fx, prefix)) break;
        snprintf(prefix, sizeof prefix, "conv2d.%d", i);
        const int64_t *cf = config(prefix);
        gan_layer l;
        gan_layer_conv2d(&l, (int)cf[0], (int)cf[1], (int)cf[2], (int)cf[3]);
        run_case(prefix, l);
    }
    for (int i = 0;; i++, cases++) {
        snprintf(prefix, sizeof prefix, "conv_transpose2d.%d.config", i);
        if (!gan_st_find(fx, prefix)) break;
        snprintf(prefix, sizeof prefix, "conv_transpose2d.%d", i);
        const int64_t *cf = config(prefix);
        gan_layer l;
        gan_layer_conv_transpose2d(&l, (int)cf[0], (int)cf[1], (int)cf[2], (int)cf[3]);
        run_case(prefix, l);
    }
    for (int i = 0;; i++, cases++) {
        snprintf(prefix, sizeof prefix, "batchnorm2d.%d.config", i);
        if (!gan_st_find(fx, prefix)) break;
        snprintf(prefix, sizeof prefix, "batchnorm2d.%d", i);
        const int64_t *cf = config(prefix);
        gan_layer l;
        gan_layer_batchnorm2d(&l, (float)(cf[0] * 1e-6), (float)(cf[1] * 1e-6));
        run_case(prefix, l);
    }
    for (int i = 0;; i++, cases++) {
        snprintf(prefix, sizeof prefix, "sn_dense.%d.config", i);
        if (!gan_st_find(fx, prefix)) break;
        snprintf(prefix, sizeof prefix, "sn_dense.%d", i);
        gan_layer l;
        gan_layer_dense(&l, (int)config(prefix)[0]);
        gan_layer_set_spectral_norm(&l, true);
        run_case(prefix, l);
    }
    for (int i = 0;; i++, cases++) {
        snprintf(prefix, sizeof prefix, "sn_conv2d.%d.config", i);
        if (!gan_st_find(fx, prefix)) break;
        snprintf(prefix, sizeof prefix, "sn_conv2d.%d", i);
        const int64_t *cf = config(prefix);
        gan_layer l;
        gan_layer_conv2d(&l, (int)cf[0], (int)cf[1], (int)cf[2], (int)cf[3]);
        gan_layer_set_spectral_norm(&l, true);
        run_case(prefix, l);
    }
    CHECK_MSG(cases == 16, "ran %d fixture cases, expected 16", cases);
    gan_st_close(f);
    resnet_layers();
    return test_report();
}
