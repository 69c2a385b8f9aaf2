/*
 * test_spec.c - models as text (src/spec, docs/model-spec.md):
 *   - every preset's compiled-in text is its file in models/, and builds
 *     exactly the model of the C code it replaced (reference builders
 *     below): same layers, same configuration, bit-identical tensors after
 *     init with the same seed; a preset name and its file give the same
 *     trainer;
 *   - what a spec may say: positional and key=value values, defaults,
 *     tabs, CRLF, comments (with UTF-8), label layers, spectral norm,
 *     dropout, the train section (only the keys given are applied);
 *   - every error of the parser, with its exact message and line;
 *   - no crash on any prefix or one-byte change of a preset;
 *   - docs/model-spec.md lists every layer kind and train key, and its
 *     layer table no other;
 *   - the layer registry: every kind's table is complete, its keys and
 *     defaults valid, its name unique; one layer from a line of text.
 * test_spec_cli.c covers checkpoints and the CLI.
 */
#include "presets.h"
#include "spec/syntax.h"
#include "test_util.h"
#include "trainer.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------- reference (the old C presets) */

static void add(gan_model *m, gan_layer l) {
    CHECK_OK(gan_model_add(m, l));
}

static void ref_mlp(gan_model *g, gan_model *d) {
    gan_layer l;
    static const int gw[] = {256, 512, 1024}, dw[] = {1024, 512, 256};
    for (int i = 0; i < 3; i++) {
        gan_layer_dense(&l, gw[i]), add(g, l);
        gan_layer_leaky_relu(&l, 0.2f), add(g, l);
        gan_layer_batchnorm(&l, 0.99f, 1e-3f), add(g, l);
    }
    gan_layer_dense(&l, 784), add(g, l);
    gan_layer_tanh(&l), add(g, l);
    gan_layer_reshape(&l, 1, 28, 28), add(g, l);
    gan_layer_reshape(&l, 0, 0, 0), add(d, l);
    for (int i = 0; i < 3; i++) {
        gan_layer_dense(&l, dw[i]), add(d, l);
        gan_layer_leaky_relu(&l, 0.2f), add(d, l);
    }
    gan_layer_dense(&l, 1), add(d, l);
}

static void ref_dcgan(gan_model *g, gan_model *d) {
    gan_layer l;
    gan_layer_dense(&l, 7 * 7 * 128), add(g, l);
    gan_layer_reshape(&l, 128, 7, 7), add(g, l);
    gan_layer_batchnorm2d(&l, 0.99f, 1e-3f), add(g, l);
    gan_layer_relu(&l), add(g, l);
    gan_layer_conv_transpose2d(&l, 64, 4, 2, 1), add(g, l);
    gan_layer_batchnorm2d(&l, 0.99f, 1e-3f), add(g, l);
    gan_layer_relu(&l), add(g, l);
    gan_layer_conv_transpose2d(&l, 1, 4, 2, 1), add(g, l);
    gan_layer_tanh(&l), add(g, l);
    gan_layer_conv2d(&l, 64, 4, 2, 1), add(d, l);
    gan_layer_leaky_relu(&l, 0.2f), add(d, l);
    gan_layer_conv2d(&l, 128, 4, 2, 1), add(d, l);
    gan_layer_batchnorm2d(&l, 0.99f, 1e-3f), add(d, l);
    gan_layer_leaky_relu(&l, 0.2f), add(d, l);
    gan_layer_reshape(&l, 0, 0, 0), add(d, l);
    gan_layer_dense(&l, 1), add(d, l);
}

/* Same layers, configuration, shapes and (after init) every value. */
static void check_same_model(const char *what, const gan_model *a, const gan_model *b) {
    CHECK_MSG(a->n_layers == b->n_layers, "%s: %d layers vs %d", what, a->n_layers, b->n_layers);
    if (a->n_layers != b->n_layers) return;
    for (int i = 0; i < a->n_layers; i++) {
        const gan_layer *x = &a->layers[i], *y = &b->layers[i];
        bool same = x->ops == y->ops && x->units == y->units && x->kernel == y->kernel &&
                    x->stride == y->stride && x->pad == y->pad && x->alpha == y->alpha &&
                    x->momentum == y->momentum && x->eps == y->eps && x->drop_p == y->drop_p &&
                    x->spectral_norm == y->spectral_norm && x->n_classes == y->n_classes &&
                    x->embed_dim == y->embed_dim && x->is_view == y->is_view &&
                    memcmp(x->out, y->out, sizeof x->out) == 0 && x->n_params == y->n_params &&
                    x->n_state == y->n_state && x->n_scratch == y->n_scratch;
        CHECK_MSG(same, "%s: layer %d (%s vs %s) differs", what, i, x->ops->name, y->ops->name);
    }
    CHECK_MSG(a->n_params == b->n_params && a->n_state == b->n_state, "%s: sizes differ", what);
    if (a->n_params != b->n_params || a->n_state != b->n_state) return;
    CHECK_MSG(memcmp(a->params, b->params, a->n_params * sizeof(float)) == 0,
              "%s: parameters differ after init", what);
    CHECK_MSG(memcmp(a->state, b->state, a->n_state * sizeof(float)) == 0,
              "%s: state differs after init", what);
}

static void *models_file(const char *name, size_t *n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/../../models/%s.gan", getenv("GAN_TEST_FIXTURES"), name);
    return test_read_file(path, n);
}

static void test_presets(void) {
    CHECK(gan_preset_count() >= 2);
    CHECK(strcmp(gan_preset_at(0)->name, "mlp") == 0);
    CHECK(gan_preset_at(gan_preset_count()) == NULL);
    for (int i = 0; i < gan_preset_count(); i++) {
        const gan_preset *p = gan_preset_at(i);
        size_t n = 0;
        char *file = models_file(p->name, &n);
        CHECK_MSG(file && n == strlen(p->spec) && memcmp(file, p->spec, n) == 0,
                  "models/%s.gan differs from the compiled-in text", p->name);
        free(file);
        gan_spec *s = NULL;
        CHECK_OK(gan_spec_load_preset(p->name, &s));
        CHECK(s && strcmp(gan_spec_name(s), p->name) == 0);
        CHECK(s && strcmp(gan_spec_text(s), p->spec) == 0);
        gan_spec_free(s);
    }

    void (*refs[2])(gan_model *, gan_model *) = {ref_mlp, ref_dcgan};
    const char *names[2] = {"mlp", "dcgan"};
    for (int k = 0; k < 2; k++) {
        gan_spec *s = NULL;
        CHECK_OK(gan_spec_load(names[k], &s));
        if (!s) continue;
        gan_model *m = calloc(4, sizeof *m);
        refs[k](&m[0], &m[1]);
        CHECK_OK(gan_model_build(&m[0], "generator", 100, 1, 1, 8, gan_backend_cpu()));
        CHECK_OK(gan_model_build(&m[1], "discriminator", 1, 28, 28, 8, gan_backend_cpu()));
        CHECK_OK(gan_spec_build(s, GAN_SPEC_GENERATOR, &m[2], 8, gan_backend_cpu()));
        CHECK_OK(gan_spec_build(s, GAN_SPEC_DISCRIMINATOR, &m[3], 8, gan_backend_cpu()));
        for (int i = 0; i < 4; i++) gan_model_init(&m[i], 1234, i % 2);
        char what[64];
        snprintf(what, sizeof what, "%s generator", names[k]);
        check_same_model(what, &m[0], &m[2]);
        snprintf(what, sizeof what, "%s discriminator", names[k]);
        check_same_model(what, &m[1], &m[3]);
        for (int i = 0; i < 4; i++) gan_model_free(&m[i]);
        free(m);

        /* the preset's train section is the library's defaults */
        gan_train_options def, o;
        gan_train_options_default(&def);
        o = def;
        o.batch_size = 3, o.lr = 0.5f, o.seed = 99, o.epochs = 1;
        gan_spec_train_options(s, &o);
        CHECK_MSG(memcmp(&o, &def, sizeof o) == 0, "%s: train section != defaults", names[k]);
        gan_spec_free(s);

        /* a name and its file: the same trainer, tensor for tensor */
        char path[1024];
        snprintf(path, sizeof path, "%s/../../models/%s.gan", getenv("GAN_TEST_FIXTURES"),
                 names[k]);
        gan_trainer *a = NULL, *b = NULL;
        gan_train_options opt;
        gan_train_options_default(&opt);
        opt.seed = 77, opt.batch_size = 4;
        CHECK_OK(test_trainer_for_model(names[k], &opt, &a));
        CHECK_OK(test_trainer_for_model(path, &opt, &b));
        if (a && b) {
            check_same_model("trainer generator", &a->g, &b->g);
            check_same_model("trainer discriminator", &a->d, &b->d);
            CHECK(strcmp(gan_trainer_model_name(b), names[k]) == 0);
        }
        gan_trainer_free(a);
        gan_trainer_free(b);
    }
}

/* ---------------------------------------------------------- what is valid */

static gan_spec *parse(const char *text) {
    gan_spec *s = NULL;
    CHECK_OK(gan_spec_parse(text, strlen(text), "t.gan", "t", &s));
    return s;
}

#define BASE_HEADER "image 1 4 4\nlatent 8\n"
#define BASE_G "generator\n  dense 16\n  reshape 1 4 4\n"
#define BASE_D "discriminator\n  flatten\n  dense 1\n"

static gan_status collect_name(void *ctx, const char *name, const gan_layer_tensor *t) {
    char *names = ctx;
    size_t used = strlen(names);
    snprintf(names + used, 2048 - used, "%s ", name);
    return GAN_OK;
}

/* Residual blocks: branches, the identity shortcut, PyTorch names. */
static void test_blocks(void) {
    gan_spec *s = parse("image 2 8 8\nlatent 8\n"
                        "generator\n  dense 128\n  reshape 2 8 8\n"
                        "  residual       # identity shortcut\n"
                        "    batchnorm2d\n    relu\n    conv2d 2 kernel=3 padding=1\n"
                        "  end\n  tanh\n"
                        "discriminator\n"
                        "  residual\n    conv2d 4 kernel=3 padding=1\n    relu\n    avgpool2d\n"
                        "  shortcut\n    avgpool2d\n    conv2d 4 kernel=1 spectral_norm=true\n"
                        "  end\n  global_sum_pool\n  dense 1\n");
    if (!s) return;
    CHECK(s->net[0].n_blocks == 1 && s->net[1].n_blocks == 1);
    CHECK(s->net[0].blocks[0].first == 2 && s->net[0].blocks[0].n[0] == 3 &&
          s->net[0].blocks[0].n[1] == 0);
    CHECK(s->net[1].blocks[0].first == 0 && s->net[1].blocks[0].n[0] == 3 &&
          s->net[1].blocks[0].n[1] == 2 && s->net[1].block_lines[0] == 13);
    static char names[2048];
    gan_model m = {0};
    CHECK_OK(gan_spec_build(s, GAN_SPEC_DISCRIMINATOR, &m, 2, gan_backend_cpu()));
    names[0] = 0;
    gan_model_each_tensor(&m, collect_name, names);
    CHECK_MSG(strcmp(names, "discriminator.0.main.0.weight discriminator.0.main.0.bias "
                            "discriminator.0.shortcut.1.weight_orig "
                            "discriminator.0.shortcut.1.bias "
                            "discriminator.0.shortcut.1.weight_u "
                            "discriminator.0.shortcut.1.weight_v "
                            "discriminator.2.weight discriminator.2.bias ") == 0,
              "%s", names);
    gan_model_free(&m);
    memset(&m, 0, sizeof m);
    CHECK_OK(gan_spec_build(s, GAN_SPEC_GENERATOR, &m, 2, gan_backend_cpu()));
    names[0] = 0;
    gan_model_each_tensor(&m, collect_name, names);
    CHECK_MSG(strstr(names, "generator.2.main.0.running_var generator.2.main.2.weight "
                            "generator.2.main.2.bias ") != NULL, "%s", names);
    gan_model_free(&m);
    gan_spec_free(s);
}

static void test_valid(void) {
    /* key=value for positional keys, defaults, tabs, CRLF, comments with UTF-8 */
    gan_spec *s = parse("# a comment — with UTF-8 ✓\r\n"
                        "image\t1 8 8   # trailing comment\r\n"
                        "latent 8\r\n"
                        "generator\n"
                        "  dense out=64\n"
                        "  reshape 4 4 4\n"
                        "  conv_transpose2d 1 kernel=2 stride=2\n"
                        "  tanh\n"
                        "discriminator\n"
                        "  conv2d out=4 kernel=3 padding=1 spectral_norm=true\n"
                        "  leaky_relu alpha=.5\n"
                        "  dropout 0.25\n"
                        "  batchnorm2d momentum=0.9 eps=1E-5\n"
                        "  flatten\n"
                        "  dense 1 spectral_norm=false");
    if (s) {
        const gan_layer *ct = &s->net[0].layers[2], *c = &s->net[1].layers[0];
        CHECK(s->net[0].n_layers == 4 && s->net[1].n_layers == 6);
        CHECK(ct->kernel == 2 && ct->stride == 2 && ct->pad == 0 && ct->units == 1);
        CHECK(c->units == 4 && c->kernel == 3 && c->stride == 1 && c->pad == 1 && c->spectral_norm);
        CHECK(s->net[1].layers[1].alpha == 0.5f && s->net[1].layers[2].drop_p == 0.25f);
        CHECK(s->net[1].layers[3].momentum == 0.9f && s->net[1].layers[3].eps == 1e-5f);
        CHECK(!s->net[1].layers[5].spectral_norm);
        CHECK(s->net[0].lines[0] == 5 && s->net[1].lines[5] == 15);
        CHECK(s->net[1].out[0] == 1 && s->net[1].out[1] == 1);
        gan_train_options o, def;
        gan_train_options_default(&o);
        def = o;
        gan_spec_train_options(s, &o); /* no train section: nothing changes */
        CHECK(memcmp(&o, &def, sizeof o) == 0);
    }
    gan_spec_free(s);

    /* label layers: one-hot in G, an embedding in D */
    s = parse("image 1 4 4\nlatent 8\nclasses 10\n"
              "generator\n  label onehot\n  dense 16\n  reshape 1 4 4\n"
              "discriminator\n  label embedding 3\n  flatten\n  dense 1\n");
    if (s) {
        CHECK(s->n_classes == 10);
        gan_model m = {0};
        CHECK_OK(gan_spec_build(s, GAN_SPEC_GENERATOR, &m, 2, gan_backend_cpu()));
        CHECK(m.layers[0].out[0] == 18 && m.layers[0].n_classes == 10);
        gan_model_free(&m);
        memset(&m, 0, sizeof m);
        CHECK_OK(gan_spec_build(s, GAN_SPEC_DISCRIMINATOR, &m, 2, gan_backend_cpu()));
        CHECK(m.layers[0].out[0] == 4 && m.layers[0].n_params == 30 && m.layers[0].embed_dim == 3);
        gan_model_free(&m);
        /* the trainer takes a conditional spec: it generates only with labels */
        gan_trainer *t = NULL;
        gan_train_options o;
        gan_train_options_default(&o);
        o.batch_size = 2;
        CHECK_OK(gan_trainer_create_for_spec(s, &o, &t));
        if (t) {
            CHECK(gan_trainer_num_classes(t) == 10);
            float z[2 * 8] = {0}, img[2 * 16];
            int32_t labels[2] = {3, 9}, bad[2] = {3, 10};
            CHECK_OK(gan_trainer_generate_labeled(t, z, labels, 2, img));
            CHECK(gan_trainer_generate(t, z, 2, img) == GAN_ERR_INVALID_ARGUMENT);
            CHECK(gan_trainer_generate_labeled(t, z, bad, 2, img) == GAN_ERR_INVALID_ARGUMENT);
        }
        gan_trainer_free(t);
    }
    gan_spec_free(s);

    /* the train section: only the keys given change the options */
    s = parse(BASE_HEADER BASE_G BASE_D "train\n  lr 1e-3\n  seed 18446744073709551615\n"
              "  batch_size 8\n  epochs 3\n  beta1 0\n  beta2 0.9\n  adam_eps 1e-8\n");
    if (s) {
        gan_train_options o;
        gan_train_options_default(&o);
        o.threads = 5, o.max_steps = 11;
        gan_spec_train_options(s, &o);
        CHECK(o.lr == 1e-3f && o.seed == UINT64_MAX && o.batch_size == 8 && o.epochs == 3);
        CHECK(o.beta1 == 0.0f && o.beta2 == 0.9f && o.adam_eps == 1e-8f);
        CHECK(o.threads == 5 && o.max_steps == 11);
    }
    gan_spec_free(s);
    /* the training options of the losses, rates, D steps, smoothing and EMA */
    s = parse(BASE_HEADER BASE_G BASE_D "train\n  loss wasserstein\n  clip 0.05\n  lr_g 1e-3\n"
              "  lr_d 4e-4\n  d_steps 5\n  label_smoothing 0.1\n  ema 0.999\n");
    if (s) {
        gan_train_options o;
        gan_train_options_default(&o);
        gan_spec_train_options(s, &o);
        CHECK(o.loss == GAN_LOSS_WASSERSTEIN && o.clip == 0.05f && o.lr_g == 1e-3f &&
              o.lr_d == 4e-4f && o.d_steps == 5 && o.label_smoothing == 0.1f && o.ema == 0.999f);
        CHECK(o.lr == 2e-4f && o.ema_warmup == 1); /* the warm-up: on unless said */
    }
    gan_spec_free(s);
    s = parse(BASE_HEADER BASE_G BASE_D "train\n  ema 0.999\n  ema_warmup off\n");
    if (s) {
        gan_train_options o;
        gan_train_options_default(&o);
        gan_spec_train_options(s, &o);
        CHECK(o.ema == 0.999f && o.ema_warmup == 0);
    }
    gan_spec_free(s);
    s = parse(BASE_HEADER "train\n" BASE_D BASE_G); /* sections in any order, train empty */
    gan_spec_free(s);

    /* a line of exactly 256 bytes is fine; 32 words too */
    char line[400];
    memset(line, ' ', sizeof line);
    memcpy(line, "latent 8", 8);
    line[256] = '\n';
    char text[1024];
    snprintf(text, sizeof text, "image 1 4 4\n%.257s" BASE_G BASE_D, line);
    gan_spec_free(parse(text));
    gan_spec_free(parse(BASE_HEADER BASE_G "discriminator\n  flatten\n  dense 1 "
                        "# 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 "
                        "26 27 28 29 30 31 32 33\n"));
}

/* ------------------------------------------------------------- the errors */

typedef struct error_case {
    const char *text;
    const char *message; /* the whole of gan_last_error(); @KINDS: see expected_message */
} error_case;

/* The kinds a spec offers, as the parser lists them: today's in their order
 * (test_registry pins it), then any added since, so that a new kind needs
 * no change here. */
static void kinds_list(char *buf, size_t cap) {
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < gan_spec_layer_kind_count() && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "",
                                 gan_spec_layer_kind_name(i));
}

/* A case's message with @KINDS replaced by the list of kinds. */
static const char *expected_message(const char *message) {
    static char buf[1024];
    const char *at = strstr(message, "@KINDS");
    if (!at) return message;
    char kinds[512];
    kinds_list(kinds, sizeof kinds);
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - message), message, kinds, at + 6);
    return buf;
}

static const error_case errors[] = {
    /* layers */
    {BASE_HEADER "generator\n  dense 16\n  conv3d 4\n",
     "t.gan:5: unknown layer 'conv3d' (layers: @KINDS)"},
    {BASE_HEADER "generator\n  Dense 16\n",
     "t.gan:4: unknown layer 'Dense' (layers: @KINDS)"},
    {BASE_HEADER BASE_G "discriminator\n  conv2d 64 kernel=4 strid=2\n",
     "t.gan:7: conv2d: unknown key 'strid' (keys: out, kernel, stride, padding, spectral_norm)"},
    {BASE_HEADER BASE_G "discriminator\n  batchnorm2d spectral_norm=true\n",
     "t.gan:7: batchnorm2d: unknown key 'spectral_norm' (keys: momentum, eps)"},
    {BASE_HEADER "generator\n  relu alpha=0\n",
     "t.gan:4: relu: unknown key 'alpha' (relu takes no values)"},
    {BASE_HEADER "generator\n  tanh 1\n", "t.gan:4: tanh: takes no values (got '1')"},
    {BASE_HEADER "generator\n  dense 16x\n", "t.gan:4: dense: out: '16x' is not an integer"},
    {BASE_HEADER "generator\n  dense +16\n", "t.gan:4: dense: out: '+16' is not an integer"},
    {BASE_HEADER "generator\n  dense 1e3\n", "t.gan:4: dense: out: '1e3' is not an integer"},
    {BASE_HEADER "generator\n  dense 0\n", "t.gan:4: dense: out: 0 is out of range [1, 67108864]"},
    {BASE_HEADER "generator\n  dense 99999999999999999999\n",
     "t.gan:4: dense: out: 99999999999999999999 is out of range [1, 67108864]"},
    {BASE_HEADER "generator\n  dense 16 spectral_norm=yes\n",
     "t.gan:4: dense: spectral_norm: 'yes' is not true or false"},
    {BASE_HEADER "generator\n  dense\n",
     "t.gan:4: dense: missing 'out' (a value in [1, 67108864])"},
    {BASE_HEADER BASE_G "discriminator\n  conv2d 8 stride=2\n",
     "t.gan:7: conv2d: missing 'kernel' (a value in [1, 64])"},
    {BASE_HEADER BASE_G "discriminator\n  conv2d 8 kernel=0\n",
     "t.gan:7: conv2d: kernel: 0 is out of range [1, 64]"},
    {BASE_HEADER BASE_G "discriminator\n  conv2d 8 kernel=3 stride=17\n",
     "t.gan:7: conv2d: stride: 17 is out of range [1, 16]"},
    {BASE_HEADER BASE_G "discriminator\n  conv2d 8 kernel=3 padding=-1\n",
     "t.gan:7: conv2d: padding: -1 is out of range [0, 64]"},
    {BASE_HEADER BASE_G "discriminator\n  conv2d 8 kernel=3 kernel=3\n",
     "t.gan:7: conv2d: 'kernel' given twice"},
    {BASE_HEADER "generator\n  dense 16 out=16\n", "t.gan:4: dense: 'out' given twice"},
    {BASE_HEADER BASE_G "discriminator\n  conv2d 8 3\n",
     "t.gan:7: conv2d: unexpected value '3': only out may be given by position, the others as "
     "key=value (keys: out, kernel, stride, padding, spectral_norm)"},
    {BASE_HEADER "generator\n  reshape 1 4 4 4\n",
     "t.gan:4: reshape: unexpected value '4': reshape takes at most 3 values (c h w)"},
    {BASE_HEADER "generator\n  dense spectral_norm=true 16\n",
     "t.gan:4: dense: value '16' after a key=value: values by position (out) come first"},
    {BASE_HEADER "generator\n  batchnorm 0.9\n",
     "t.gan:4: batchnorm: value '0.9' needs a key: write key=value (keys: momentum, eps)"},
    {BASE_HEADER "generator\n  dense =16\n", "t.gan:4: dense: '=16' has no key"},
    {BASE_HEADER "generator\n  dense out=\n", "t.gan:4: dense: out= has no value"},
    {BASE_HEADER "generator\n  leaky_relu\n",
     "t.gan:4: leaky_relu: missing 'alpha' (a value in [0, 1])"},
    {BASE_HEADER "generator\n  leaky_relu -0.2\n",
     "t.gan:4: leaky_relu: alpha: -0.2 is out of range [0, 1]"},
    {BASE_HEADER "generator\n  leaky_relu 0.2.1\n",
     "t.gan:4: leaky_relu: alpha: '0.2.1' is not a number"},
    {BASE_HEADER "generator\n  leaky_relu nan\n",
     "t.gan:4: leaky_relu: alpha: 'nan' is not a number"},
    {BASE_HEADER "generator\n  leaky_relu inf\n",
     "t.gan:4: leaky_relu: alpha: 'inf' is not a number"},
    {BASE_HEADER "generator\n  leaky_relu 0x1p-3\n",
     "t.gan:4: leaky_relu: alpha: '0x1p-3' is not a number"},
    {BASE_HEADER "generator\n  leaky_relu 0.2f\n",
     "t.gan:4: leaky_relu: alpha: '0.2f' is not a number"},
    {BASE_HEADER "generator\n  leaky_relu 1e\n",
     "t.gan:4: leaky_relu: alpha: '1e' is not a number"},
    {BASE_HEADER "generator\n  leaky_relu .\n", "t.gan:4: leaky_relu: alpha: '.' is not a number"},
    {BASE_HEADER "generator\n  batchnorm eps=0\n",
     "t.gan:4: batchnorm: eps: 0 is out of range (0, 1)"},
    {BASE_HEADER "generator\n  batchnorm momentum=1\n",
     "t.gan:4: batchnorm: momentum: 1 is out of range [0, 1)"},
    {BASE_HEADER "generator\n  dropout 1\n", "t.gan:4: dropout: p: 1 is out of range [0, 1)"},
    {BASE_HEADER "generator\n  reshape 1 4\n",
     "t.gan:4: reshape: missing 'w' (a value in [1, 67108864])"},
    {BASE_HEADER "generator\n  label onehot\n",
     "t.gan:4: label: needs the number of classes: add 'classes N' before the sections"},
    {BASE_HEADER "classes 10\ngenerator\n  label embedding\n",
     "t.gan:5: label: embedding needs its size, e.g. 'label embedding 50'"},
    {BASE_HEADER "classes 10\ngenerator\n  label onehot 5\n",
     "t.gan:5: label: onehot takes no size (its size is the number of classes, 10)"},
    {BASE_HEADER "classes 10\ngenerator\n  label hot\n",
     "t.gan:5: label: mode: 'hot' is not one of: onehot, embedding"},
    {BASE_HEADER "classes 10\ngenerator\n  label\n",
     "t.gan:5: label: missing 'mode' (one of: onehot, embedding)"},
    /* the header */
    {"image 1 4 4\nlatent 8\nlatent 9\n", "t.gan:3: duplicate 'latent' (first on line 2)"},
    {"image 1 4\n",
     "t.gan:1: image: expects 3 values: channels height width, e.g. 'image 1 28 28'"},
    {"latent\n", "t.gan:1: latent: expects 1 value, e.g. 'latent 100'"},
    {"classes 1 2\n", "t.gan:1: classes: expects 1 value, e.g. 'classes 10'"},
    {"image 1 x 4\n", "t.gan:1: image: height: 'x' is not an integer"},
    {"image 1 4 0\n", "t.gan:1: image: width: 0 is out of range [1, 65536]"},
    {"image 64 4096 4096\n", "t.gan:1: image: 64x4096x4096 is too large (at most 67108864 values)"},
    {"latent 0\n", "t.gan:1: latent: 0 is out of range [1, 1048576]"},
    {"classes -1\n", "t.gan:1: classes: -1 is out of range [1, 65536]"},
    {BASE_HEADER BASE_G "latent 8\n",
     "t.gan:6: 'latent' belongs to the header, before the first section (line 3)"},
    {BASE_HEADER "train\n  lr 1e-3\nclasses 3\n",
     "t.gan:5: 'classes' belongs to the header, before the first section (line 3)"},
    /* sections */
    {"latent 8\n" BASE_G BASE_D,
     "t.gan: missing 'image C H W' (the image shape, e.g. 'image 1 28 28')"},
    {"image 1 4 4\n" BASE_G BASE_D,
     "t.gan: missing 'latent N' (the generator's input size, e.g. 'latent 100')"},
    {BASE_HEADER BASE_D, "t.gan: missing section 'generator'"},
    {BASE_HEADER BASE_G "train\n", "t.gan: missing section 'discriminator'"},
    {BASE_HEADER BASE_G BASE_D "generator\n",
     "t.gan:9: duplicate section 'generator' (first on line 3)"},
    {BASE_HEADER BASE_G BASE_D "train\ntrain\n",
     "t.gan:10: duplicate section 'train' (first on line 9)"},
    {BASE_HEADER "generator 1\n",
     "t.gan:3: 'generator' takes no values (got '1'); its layers go on the lines below"},
    {BASE_HEADER "train now\n",
     "t.gan:3: 'train' takes no values (got 'now'); its options go on the lines below"},
    {BASE_HEADER "generator\ndiscriminator\n  flatten\n  dense 1\n",
     "t.gan:3: section 'generator' has no layers"},
    {BASE_HEADER "dense 16\n",
     "t.gan:3: 'dense' outside a section: layers go under 'generator' or 'discriminator'"},
    {BASE_HEADER "lr 1e-3\n", "t.gan:3: 'lr' outside a section: training options go under 'train'"},
    {"model mlp\n",
     "t.gan:1: unknown word 'model' (expected image, latent, classes or a section: generator, "
     "discriminator, train)"},
    /* the train section */
    {BASE_HEADER "train\n  learning_rate 1e-3\n",
     "t.gan:4: train: unknown key 'learning_rate' (keys: batch_size, lr, beta1, beta2, adam_eps, "
     "seed, epochs, loss, clip, lr_g, lr_d, d_steps, label_smoothing, ema, ema_warmup, mirror, "
     "augment, init)"},
    {BASE_HEADER "train\n  ema_warmup maybe\n",
     "t.gan:4: train: ema_warmup: 'maybe' is not one of: off, on"},
    {BASE_HEADER "train\n  loss sideways\n",
     "t.gan:4: train: loss: 'sideways' is not one of: non-saturating, minimax, least-squares, "
     "hinge, wasserstein"},
    {BASE_HEADER "train\n  lr=1e-3\n",
     "t.gan:4: train: write 'lr 1e-3' (a key, a space, a value), not 'lr=1e-3'"},
    {BASE_HEADER "train\n  lr 1e-3\n  lr 2e-3\n",
     "t.gan:5: train: duplicate 'lr' (first on line 4)"},
    {BASE_HEADER "train\n  lr\n", "t.gan:4: train: 'lr' takes one value (got 0)"},
    {BASE_HEADER "train\n  lr 1 2\n", "t.gan:4: train: 'lr' takes one value (got 2)"},
    {BASE_HEADER "train\n  lr 1\n", "t.gan:4: train: lr: 1 is out of range (0, 1)"},
    {BASE_HEADER "train\n  batch_size 0\n",
     "t.gan:4: train: batch_size: 0 is out of range [1, 65536]"},
    {BASE_HEADER "train\n  epochs 2.5\n", "t.gan:4: train: epochs: '2.5' is not an integer"},
    {BASE_HEADER "train\n  seed -1\n", "t.gan:4: train: seed: '-1' is not an unsigned integer"},
    {BASE_HEADER "train\n  seed 18446744073709551616\n",
     "t.gan:4: train: seed: 18446744073709551616 is out of range [0, 18446744073709551615]"},
    /* shapes */
    {BASE_HEADER "generator\n  dense 16\n  reshape 1 4 5\n" BASE_D,
     "t.gan:5: reshape: cannot view 16 values as 1x4x5 (generator layer 1, input 16)"},
    {BASE_HEADER BASE_G "discriminator\n  flatten\n  conv2d 4 kernel=3\n  dense 1\n",
     "t.gan:8: conv2d: kernel 3 does not fit a 1x1 input with padding 0 (discriminator layer 1, "
     "input 16)"},
    {BASE_HEADER "generator\n  dense 16\n" BASE_D,
     "t.gan:4: generator: output 16 is not the image shape 1x4x4 (end with 'reshape 1 4 4')"},
    {BASE_HEADER "generator\n  dense 17\n" BASE_D,
     "t.gan:4: generator: output 17 is not the image shape 1x4x4"},
    {BASE_HEADER BASE_G "discriminator\n  flatten\n  dense 2\n",
     "t.gan:8: discriminator: output 2 is not a single value (end with 'dense 1')"},
    {BASE_HEADER BASE_G "discriminator\n  conv2d 2 kernel=3 padding=1\n",
     "t.gan:7: discriminator: output 2x4x4 is not a single value (end with 'flatten' and 'dense "
     "1')"},
    {"image 1 4 4\nlatent 8\ngenerator\n  dense 6272\n  reshape 128 7 7\n"
     "  conv_transpose2d 65536 kernel=64\n" BASE_D,
     "t.gan:6: conv_transpose2d: output 65536x70x70 is empty or larger than 67108864 values "
     "(generator layer 2, input 128x7x7)"},
    /* blocks */
    {BASE_HEADER BASE_G "discriminator\n  residual\n    flatten\n    residual\n",
     "t.gan:9: a residual block inside the residual block of line 7 (blocks do not nest; close "
     "it with 'end')"},
    {BASE_HEADER BASE_G "discriminator\n  residual\n  end\n" ,
     "t.gan:8: the residual block of line 7 has no layers"},
    {BASE_HEADER BASE_G "discriminator\n  flatten\n  end\n",
     "t.gan:8: 'end' without a block to close"},
    {BASE_HEADER BASE_G "discriminator\n  residual\n    flatten\n  shortcut\n  main\n",
     "t.gan:10: 'main' after 'shortcut': the branches of a residual block come in the order "
     "main, shortcut"},
    {BASE_HEADER BASE_G "discriminator\n  residual 3\n",
     "t.gan:7: 'residual' takes no values (got '3'); its layers go on the lines below"},
    {BASE_HEADER BASE_G "discriminator\n  residual\n    flatten\n    dense 1\n",
     "t.gan:7: the residual block has no 'end'"},
    {BASE_HEADER "generator\n  residual\n    dense 16\ndiscriminator\n  flatten\n  dense 1\n",
     "t.gan:4: the residual block has no 'end'"},
    {BASE_HEADER BASE_G "discriminator\n  residual\n    flatten\n    dense 1\n  end\n",
     "t.gan:9: residual block: branch main gives 1x1x1, branch shortcut 1x4x4: its branches "
     "must give the same shape (discriminator layer 1, input 16)"},
    /* text and bytes */
    {"", "t.gan: empty model spec (nothing but blank lines and comments)"},
    {"# only a comment\n\n   \n\t\n",
     "t.gan: empty model spec (nothing but blank lines and comments)"},
    {"image 1 4 4\nlatent 8\x07\n",
     "t.gan:2: control character 0x07 at column 9 (only spaces and tabs separate words)"},
    {"image 1 4 4\rlatent 8\n",
     "t.gan:1: control character 0x0D at column 12 (only spaces and tabs separate words)"},
    {"image 1 4 4\n# \x7f\n",
     "t.gan:2: control character 0x7F at column 3 (only spaces and tabs separate words)"},
    {"image 1 4 4\n# caf\xe9\n", "t.gan:2: invalid UTF-8 (byte 0xE9) at column 6"},
    {"# \xc0\x80\n", "t.gan:1: invalid UTF-8 (byte 0xC0) at column 3"},
    {"# \xed\xa0\x80\n", "t.gan:1: invalid UTF-8 (byte 0xED) at column 3"},
    {"# \xf4\x90\x80\x80\n", "t.gan:1: invalid UTF-8 (byte 0xF4) at column 3"},
    {"# \xe2\x80\n", "t.gan:1: invalid UTF-8 (byte 0xE2) at column 3"},
    {"# \x80\n", "t.gan:1: invalid UTF-8 (byte 0x80) at column 3"},
    {"image 1 4 4\nlatent \xc2\xb2\n",
     "t.gan:2: character U+00B2 at column 8: only comments may hold non-ASCII text"},
    {"image 1 4 4\nlatent 8\ngenerator\n  dense 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 "
     "16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16\n",
     "t.gan:4: more than 32 words on one line"},
};

static void test_errors(void) {
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        gan_spec *s = NULL;
        gan_status st = gan_spec_parse(errors[i].text, strlen(errors[i].text), "t.gan", "t", &s);
        CHECK_MSG(st != GAN_OK && s == NULL, "case %zu accepted: %s", i, errors[i].message);
        const char *want = expected_message(errors[i].message);
        CHECK_MSG(strcmp(gan_last_error(), want) == 0, "case %zu:\n  got      %s\n  expected %s",
                  i, gan_last_error(), want);
        gan_spec_free(s);
    }

    /* a NUL byte (texts are counted, not NUL-terminated) */
    gan_spec *s = NULL;
    const char nul[] = "image 1 4 4\nlatent\0 8\n";
    CHECK(gan_spec_parse(nul, sizeof nul - 1, "t.gan", "t", &s) == GAN_ERR_FORMAT);
    CHECK_MSG(strcmp(gan_last_error(), "t.gan:2: control character 0x00 at column 7 (only "
                     "spaces and tabs separate words)") == 0, "%s", gan_last_error());

    /* a line of 257 bytes; the limit counts bytes before "\n" or "\r\n" */
    char text[2048];
    memset(text, ' ', sizeof text);
    memcpy(text, "latent 8", 8);
    memcpy(text + 257, "\n", 1);
    CHECK(gan_spec_parse(text, 258, "t.gan", "t", &s) == GAN_ERR_FORMAT);
    CHECK_MSG(strcmp(gan_last_error(), "t.gan:1: line is too long (257 bytes; at most 256)") == 0,
              "%s", gan_last_error());
    memcpy(text + 256, "\r\n", 2);
    CHECK(gan_spec_parse(text, 258, "t.gan", "t", &s) == GAN_ERR_FORMAT);
    CHECK_MSG(strcmp(gan_last_error(), "t.gan: missing 'image C H W' (the image shape, e.g. "
                     "'image 1 28 28')") == 0, "%s", gan_last_error());

    /* 65 layers in one network */
    size_t n = (size_t)snprintf(text, sizeof text, "image 1 4 4\nlatent 16\ngenerator\n");
    for (int i = 0; i < 65; i++) n += (size_t)snprintf(text + n, sizeof text - n, "relu\n");
    CHECK(gan_spec_parse(text, n, "t.gan", "t", &s) == GAN_ERR_FORMAT);
    CHECK_MSG(strcmp(gan_last_error(), "t.gan:68: generator: more than 64 layers") == 0, "%s",
              gan_last_error());

    /* more than 1 MiB */
    char *big = malloc(GAN_SPEC_MAX_BYTES + 2);
    memset(big, '\n', GAN_SPEC_MAX_BYTES + 1);
    CHECK(gan_spec_parse(big, GAN_SPEC_MAX_BYTES + 1, "t.gan", "t", &s) == GAN_ERR_FORMAT);
    CHECK_MSG(strcmp(gan_last_error(), "t.gan: 1048577 bytes: a model spec is at most "
        "1048576") == 0,
              "%s", gan_last_error());

    /* files: missing, a folder, too large, empty; a name that is neither */
    CHECK(gan_spec_load("/nonexistent/x.gan", &s) == GAN_ERR_IO && !s);
    CHECK_MSG(strcmp(gan_last_error(), "/nonexistent/x.gan: cannot open: No such file or "
                     "directory") == 0, "%s", gan_last_error());
    CHECK(gan_spec_load(test_tmpdir(), &s) == GAN_ERR_IO && !s);
    CHECK_MSG(strstr(gan_last_error(), "cannot read: Is a directory") != NULL, "%s",
              gan_last_error());
    const char *path = test_tmp_path_kept("big.gan");
    CHECK(test_write_file(path, big, GAN_SPEC_MAX_BYTES + 1) == 0);
    CHECK(gan_spec_load(path, &s) == GAN_ERR_FORMAT && !s);
    CHECK_MSG(strstr(gan_last_error(), "big.gan: larger than 1048576 bytes: not a model spec"),
              "%s", gan_last_error());
    free(big);
    path = test_tmp_path_kept("empty.gan");
    CHECK(test_write_file(path, "", 0) == 0);
    CHECK(gan_spec_load(path, &s) == GAN_ERR_FORMAT && !s);
    CHECK_MSG(strstr(gan_last_error(), "empty.gan: empty model spec"), "%s", gan_last_error());
    CHECK(gan_spec_load("stylegan", &s) == GAN_ERR_INVALID_ARGUMENT && !s);
    CHECK_MSG(strcmp(gan_last_error(), "unknown model 'stylegan' (presets: mlp, dcgan, cgan, "
                     "cdcgan, resnet, cresnet; a model spec file is named by a path with a '/' or a "
                     "'.', e.g. ./stylegan or stylegan.gan)") == 0, "%s", gan_last_error());

    /* a file's model name: its base name without .gan, sanitised */
    path = test_tmp_path_kept("my net.v2.gan");
    const char *ok = BASE_HEADER BASE_G BASE_D;
    CHECK(test_write_file(path, ok, strlen(ok)) == 0);
    CHECK_OK(gan_spec_load(path, &s));
    CHECK(s && strcmp(gan_spec_name(s), "my_net.v2") == 0);
    gan_spec_free(s);
}

/* The name at [start, end) in a static buffer. */
static const char *strndup_local(const char *start, const char *end) {
    static char buf[64];
    snprintf(buf, sizeof buf, "%.*s", (int)(end - start), start);
    return buf;
}

/* docs/model-spec.md has a row for every layer kind and every train key. */
static void test_docs(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/../../docs/model-spec.md", getenv("GAN_TEST_FIXTURES"));
    size_t n = 0;
    char *bytes = test_read_file(path, &n), *doc = bytes ? malloc(n + 1) : NULL;
    CHECK(doc != NULL);
    if (!doc) return;
    memcpy(doc, bytes, n);
    doc[n] = 0; /* test_read_file does not end the text */
    free(bytes);
    char row[96];
    for (int i = 0; i < gan_spec_layer_kind_count(); i++) {
        snprintf(row, sizeof row, "\n| `%s` |", gan_spec_layer_kind_name(i));
        CHECK_MSG(strstr(doc, row), "docs/model-spec.md lacks the layer %s", row + 1);
    }
    /* the layer table's rows are the kinds, one each */
    const char *table = strstr(doc, "\n| layer | by position |");
    CHECK(table != NULL);
    int rows = 0;
    for (const char *r = table ? strstr(table + 1, "\n|---") : NULL; r;) {
        r = strchr(r + 1, '\n');
        if (!r || strncmp(r, "\n| `", 4) != 0) break;
        const char *name = r + 4, *end = strchr(name, '`');
        CHECK_MSG(end && spec_layer_kind_find(strndup_local(name, end)),
                  "docs/model-spec.md: a layer row names no kind a spec offers: %.40s", name);
        rows++;
    }
    CHECK_MSG(rows == gan_spec_layer_kind_count(), "docs/model-spec.md: %d layer rows for %d kinds",
              rows, gan_spec_layer_kind_count());
    int nk;
    const spec_train_key *k = spec_train_keys(&nk);
    for (int i = 0; i < nk; i++) {
        snprintf(row, sizeof row, "\n| `%s` |", k[i].key.name);
        CHECK_MSG(strstr(doc, row), "docs/model-spec.md lacks the train key %s", row + 1);
    }
    /* its example specs parse (code blocks holding a 'generator' line) */
    int examples = 0;
    for (char *p = strstr(doc, "\n```\n"); p; p = strstr(p, "\n```\n")) {
        char *start = p + 5, *end = strstr(start, "\n```");
        if (!end) break;
        size_t len = (size_t)(end - start) + 1;
        char *block = malloc(len + 1);
        memcpy(block, start, len);
        block[len] = 0;
        if (strstr(block, "\ngenerator\n")) {
            gan_spec *s = NULL;
            CHECK_MSG(gan_spec_parse(block, len, "doc", "doc", &s) == GAN_OK,
                      "an example in docs/model-spec.md: %s", gan_last_error());
            gan_spec_free(s);
            examples++;
        }
        free(block);
        p = end + 4;
    }
    CHECK(examples >= 2);
    free(doc);
}

/* Every prefix and every one-byte change of each preset parses or fails
 * with a message naming the origin: no crash, no silent nonsense. */
static void test_mutations(void) {
    static const char subst[] = {0, '\n', ' ', '#', '=', '0', '9', '-', '.', 'x', '\r', '\t',
                                 (char)0x80, (char)0xff};
    int parsed = 0, refused = 0, bad_message = 0;
    for (int p = 0; p < gan_preset_count(); p++) {
        const char *text = gan_preset_at(p)->spec;
        size_t n = strlen(text);
        char *buf = malloc(n + 1);
        for (size_t i = 0; i <= n; i++) {
            for (size_t k = 0; k <= sizeof subst; k++) {
                memcpy(buf, text, n);
                size_t len = n;
                if (k == sizeof subst) len = i; /* the prefix */
                else if (i < n) buf[i] = subst[k];
                else continue;
                gan_spec *s = NULL;
                gan_status st = gan_spec_parse(buf, len, "m.gan", "m", &s);
                if (st == GAN_OK) parsed++;
                else refused++;
                if (st != GAN_OK && strncmp(gan_last_error(), "m.gan", 5) != 0 && bad_message++ < 5)
                    fprintf(stderr, "message without the origin: %s\n", gan_last_error());
                CHECK(st == GAN_OK ? s != NULL : s == NULL);
                gan_spec_free(s);
            }
        }
        free(buf);
    }
    CHECK(bad_message == 0);
    CHECK(parsed > 0 && refused > 0);
}

/* Same kind and configuration. */
static bool same_layer(const gan_layer *a, const gan_layer *b) {
    return a->ops == b->ops && a->units == b->units && a->kernel == b->kernel &&
           a->stride == b->stride && a->pad == b->pad && a->alpha == b->alpha &&
           a->momentum == b->momentum && a->eps == b->eps && a->drop_p == b->drop_p &&
           a->spectral_norm == b->spectral_norm && a->n_classes == b->n_classes &&
           a->embed_dim == b->embed_dim && a->group == b->group && a->is_view == b->is_view &&
           memcmp(a->out, b->out, sizeof a->out) == 0;
}

/* Every kind of the registry: a complete table, valid keys whose defaults
 * parse within their ranges, a unique name found again by lookup, and the
 * capabilities its kind's code relies on. */
static void test_registry(void) {
    int n = gan_layer_kind_count(), offered = 0;
    CHECK(n >= 13 && gan_layer_kind_at(n) == NULL && gan_layer_kind_at(-1) == NULL);
    for (int i = 0; i < n; i++) {
        const gan_layer_ops *k = gan_layer_kind_at(i);
        CHECK_MSG(k && k->name && gan_layer_kind_find(k->name) == k, "kind %d", i);
        if (!k) continue;
        CHECK_MSG(k->configure && k->setup && k->init && k->forward && k->backward && k->tensors,
                  "%s: incomplete table", k->name);
        int n_keys = 0;
        while (n_keys < GAN_LAYER_MAX_KEYS && k->keys[n_keys].name) n_keys++;
        CHECK_MSG(k->n_positional >= 0 && k->n_positional <= n_keys, "%s: n_positional",
                  k->name);
        bool has_sn = false;
        for (int j = 0; j < n_keys; j++) {
            const spec_key *key = &k->keys[j];
            gan_spec_value v;
            char why[320];
            has_sn |= strcmp(key->name, "spectral_norm") == 0;
            CHECK_MSG(key->kind != SPEC_CHOICE || key->choices, "%s.%s", k->name, key->name);
            CHECK_MSG(!key->def || spec_value_parse(key, key->def, &v, why, sizeof why),
                      "%s.%s: default %s", k->name, key->name, key->def);
            for (int m = 0; m < j; m++)
                CHECK_MSG(strcmp(k->keys[m].name, key->name) != 0, "%s: key %s twice", k->name,
                          key->name);
        }
        CHECK_MSG(has_sn == !!(k->flags & GAN_LAYER_SPECTRAL_NORM), "%s: spectral_norm key "
                  "and flag disagree", k->name);
        offered += !(k->flags & GAN_LAYER_CPU_ONLY);
        CHECK_MSG((spec_layer_kind_find(k->name) != NULL) == !(k->flags & GAN_LAYER_CPU_ONLY),
                  "%s: offered by specs iff it runs on every backend", k->name);
    }
    CHECK(offered == gan_spec_layer_kind_count());
    /* the kinds specs offer, in the order of the parser's messages: today's
     * first (a new kind goes after them) */
    static const char *const first[] = {"dense",   "conv2d", "conv_transpose2d", "batchnorm",
                                        "batchnorm2d", "leaky_relu", "relu", "tanh", "reshape",
                                        "flatten", "dropout", "label"};
    for (int i = 0; i < 12; i++)
        CHECK_MSG(gan_spec_layer_kind_name(i) && strcmp(gan_spec_layer_kind_name(i), first[i]) == 0,
                  "spec kind %d is %s, not %s", i, gan_spec_layer_kind_name(i), first[i]);
    CHECK(gan_layer_kind_find("conv3d") == NULL && spec_layer_kind_find("maxpool2d") == NULL);

    /* capabilities as the model, trainer and export read them */
    gan_layer l;
    gan_layer_batchnorm2d(&l, 0.9f, 1e-5f);
    CHECK(l.ops->flags & GAN_LAYER_BATCH_STATISTICS);
    CHECK(!gan_layer_set_spectral_norm(&l, true) && !l.spectral_norm);
    gan_layer_dense(&l, 3);
    CHECK(!(l.ops->flags & GAN_LAYER_BATCH_STATISTICS) && !l.ops->stochastic);
    CHECK(gan_layer_set_spectral_norm(&l, true) && l.spectral_norm);
    gan_layer_dropout(&l, 0.0f);
    CHECK(!l.ops->stochastic(&l) && (l.ops->flags & GAN_LAYER_INFERENCE_IDENTITY));
    gan_layer_dropout(&l, 0.5f);
    CHECK(l.ops->stochastic(&l));
    gan_layer_label_onehot(&l, 4);
    CHECK(strcmp(gan_layer_name(&l), "label_onehot") == 0 &&
          (l.ops->flags & GAN_LAYER_USES_LABELS));
    gan_layer_label_embedding(&l, 4, 2);
    CHECK(strcmp(gan_layer_name(&l), "label_embedding") == 0);
    gan_layer_reshape(&l, 0, 0, 0);
    CHECK(strcmp(l.ops->name, "flatten") == 0 && strcmp(gan_layer_name(&l), "flatten") == 0);
    gan_layer_conv_transpose2d(&l, 2, 4, 2, 1);
    CHECK(strcmp(gan_layer_name(&l), "conv_transpose2d") == 0 && l.ops->export_c);

    /* one layer from text: the same layer as its constructor */
    gan_layer a, b;
    CHECK_OK(gan_spec_layer(&a, "conv2d 8 kernel=4 stride=2 padding=1 spectral_norm=true", 0));
    gan_layer_conv2d(&b, 8, 4, 2, 1);
    gan_layer_set_spectral_norm(&b, true);
    CHECK(same_layer(&a, &b));
    CHECK_OK(gan_spec_layer(&a, "self_attention 4 spectral_norm=true", 0));
    gan_layer_self_attention(&b, 4);
    CHECK(!b.spectral_norm && gan_layer_set_spectral_norm(&b, true));
    CHECK(same_layer(&a, &b) && a.int_slot[0] == 4);
    CHECK_OK(gan_spec_layer(&a, "self_attention", 0));
    CHECK(!a.spectral_norm && a.int_slot[0] == 8);
    CHECK_OK(gan_spec_layer(&a, "  maxpool2d 2  2", 0)); /* not offered by specs, yet a kind */
    gan_layer_maxpool2d(&b, 2, 2);
    CHECK(same_layer(&a, &b));
    CHECK_OK(gan_spec_layer(&a, "label embedding 3", 10));
    gan_layer_label_embedding(&b, 10, 3);
    CHECK(same_layer(&a, &b));
    CHECK(gan_spec_layer(&a, "label onehot", 0) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(strcmp(gan_last_error(), "label: needs the number of classes: add 'classes N' before "
                 "the sections") == 0);
    CHECK(gan_spec_layer(&a, "dense", 0) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(strcmp(gan_last_error(), "dense: missing 'out' (a value in [1, 67108864])") == 0);
    CHECK(gan_spec_layer(&a, "conv3d 1", 0) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_spec_layer(&a, "", 0) == GAN_ERR_INVALID_ARGUMENT);
}

int main(void) {
    test_blocks();
    test_registry();
    test_presets();
    test_valid();
    test_errors();
    test_mutations();
    test_docs();
    return test_report();
}
