/*
 * test_spec_auto.c - presets that follow the data (src/spec/auto.c) and the
 * DCGAN initialisation (--init dcgan):
 *   - at 1x28x28 (10 classes for the conditional ones) every preset's text
 *     comes back unchanged, byte for byte, so the 28x28 fixtures still hold;
 *   - dcgan at 3x64x64 is the Radford et al. stack: the layer outputs
 *     4x4x512 -> 8x8x256 -> 16x16x128 -> 32x32x64 -> 64x64x3, and D's mirror,
 *     with PyTorch's DCGAN example's parameter counts (3,576,704 in G,
 *     2,765,568 in D, bias=False there) plus our convolutions' biases;
 *     32 px has 3 stages from 256 channels, 128 px 5 from 1024, 48 px 3
 *     stages from 6x6; cdcgan gets the data's classes;
 *   - mlp and cgan sized to C·R·R; bad shapes are clear errors;
 *   - --init dcgan: convolution weights of mean 0 and standard deviation
 *     0.02, batch-norm gamma of mean 1 and deviation 0.02 (glorot: gamma 1
 *     exactly), and the choice survives a checkpoint and a spec's train
 *     section.
 */
#include "presets.h"
#include "spec/spec.h"
#include "test_util.h"
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void check_preset_unchanged(const char *name, int n_classes) {
    gan_spec *s = NULL;
    CHECK_OK(gan_spec_load_for_shape(name, 1, 28, 28, n_classes, &s));
    const gan_preset *p = gan_preset_find(name);
    CHECK_MSG(s && p && strcmp(gan_spec_text(s), p->spec) == 0, "%s changed at 1x28x28", name);
    gan_spec_free(s);
}

/* Layer i of a network's output shape. */
static void check_out(const gan_spec *s, gan_spec_net_id net, int i, int c, int h, int w) {
    gan_model *m = calloc(1, sizeof *m);
    int in[3];
    gan_spec_input(s, net, in);
    for (int k = 0; k < s->net[net].n_layers; k++) CHECK_OK(gan_model_add(m, s->net[net].layers[k]));
    CHECK_OK(gan_model_infer_shapes(m, "net", in[0], in[1], in[2], 1));
    const int *o = m->layers[i].out;
    CHECK_MSG(o[0] == c && o[1] == h && o[2] == w, "net %d layer %d: %dx%dx%d, expected %dx%dx%d",
              (int)net, i, o[0], o[1], o[2], c, h, w);
    free(m);
}

static void check_dcgan_64(void) {
    gan_spec *s = NULL;
    CHECK_OK(gan_spec_load_for_shape("dcgan", 3, 64, 64, 0, &s));
    if (!s) return;
    CHECK(s->image[0] == 3 && s->image[1] == 64 && s->n_classes == 0);
    /* G: convT, bn, relu per stage; the last convT then tanh */
    check_out(s, GAN_SPEC_GENERATOR, 0, 512, 4, 4);
    check_out(s, GAN_SPEC_GENERATOR, 3, 256, 8, 8);
    check_out(s, GAN_SPEC_GENERATOR, 6, 128, 16, 16);
    check_out(s, GAN_SPEC_GENERATOR, 9, 64, 32, 32);
    check_out(s, GAN_SPEC_GENERATOR, 12, 3, 64, 64);
    CHECK(s->net[GAN_SPEC_GENERATOR].n_layers == 14);
    CHECK(strcmp(s->net[GAN_SPEC_GENERATOR].layers[13].ops->name, "tanh") == 0);
    CHECK(strcmp(s->net[GAN_SPEC_GENERATOR].layers[1].ops->name, "batchnorm2d") == 0);
    CHECK(fabsf(s->net[GAN_SPEC_GENERATOR].layers[1].momentum - 0.9f) < 1e-7f);
    CHECK(fabsf(s->net[GAN_SPEC_GENERATOR].layers[1].eps - 1e-5f) < 1e-12f);
    /* D: no batch norm on the first convolution */
    check_out(s, GAN_SPEC_DISCRIMINATOR, 0, 64, 32, 32);
    CHECK(strcmp(s->net[GAN_SPEC_DISCRIMINATOR].layers[1].ops->name, "leaky_relu") == 0);
    check_out(s, GAN_SPEC_DISCRIMINATOR, 2, 128, 16, 16);
    CHECK(strcmp(s->net[GAN_SPEC_DISCRIMINATOR].layers[3].ops->name, "batchnorm2d") == 0);
    check_out(s, GAN_SPEC_DISCRIMINATOR, 5, 256, 8, 8);
    check_out(s, GAN_SPEC_DISCRIMINATOR, 8, 512, 4, 4);
    check_out(s, GAN_SPEC_DISCRIMINATOR, 11, 1, 1, 1);
    /* PyTorch's DCGAN example (bias=False) plus one bias per output channel */
    size_t g_bias = 512 + 256 + 128 + 64 + 3, d_bias = 64 + 128 + 256 + 512 + 1;
    CHECK_MSG(s->net[GAN_SPEC_GENERATOR].n_params == 3576704 + g_bias, "G %zu",
              s->net[GAN_SPEC_GENERATOR].n_params);
    CHECK_MSG(s->net[GAN_SPEC_DISCRIMINATOR].n_params == 2765568 + d_bias, "D %zu",
              s->net[GAN_SPEC_DISCRIMINATOR].n_params);
    CHECK(strstr(gan_spec_text(s), "image 3 64 64\n"));
    CHECK(strcmp(gan_spec_name(s), "dcgan") == 0);
    /* the text is a spec like any other: it parses again to the same model */
    gan_spec *again = NULL;
    CHECK_OK(gan_spec_parse(gan_spec_text(s), strlen(gan_spec_text(s)), "again", "dcgan", &again));
    CHECK(again && again->net[0].n_params == s->net[0].n_params);
    gan_spec_free(again);
    gan_spec_free(s);
}

static void check_other_sizes(void) {
    gan_spec *s = NULL;
    CHECK_OK(gan_spec_load_for_shape("dcgan", 3, 32, 32, 0, &s));
    if (s) {
        check_out(s, GAN_SPEC_GENERATOR, 0, 256, 4, 4);
        CHECK(s->net[GAN_SPEC_GENERATOR].n_layers == 11);
        check_out(s, GAN_SPEC_DISCRIMINATOR, 8, 1, 1, 1);
    }
    gan_spec_free(s);
    CHECK_OK(gan_spec_load_for_shape("dcgan", 1, 128, 128, 0, &s));
    if (s) {
        check_out(s, GAN_SPEC_GENERATOR, 0, 1024, 4, 4);
        CHECK(s->net[GAN_SPEC_GENERATOR].n_layers == 17);
    }
    gan_spec_free(s);
    CHECK_OK(gan_spec_load_for_shape("dcgan", 3, 48, 48, 0, &s)); /* 6 x 2^3 */
    if (s) check_out(s, GAN_SPEC_GENERATOR, 0, 256, 6, 6);
    gan_spec_free(s);
    /* a grey 28x28 dataset with 5 classes: cdcgan with 5 one-hot planes */
    CHECK_OK(gan_spec_load_for_shape("cdcgan", 1, 28, 28, 5, &s));
    if (s) {
        CHECK(s->n_classes == 5 && strstr(gan_spec_text(s), "classes 5\n"));
        check_out(s, GAN_SPEC_GENERATOR, 1, 128, 7, 7);
        check_out(s, GAN_SPEC_DISCRIMINATOR, 0, 6, 28, 28); /* 1 + 5 planes */
    }
    gan_spec_free(s);
    CHECK_OK(gan_spec_load_for_shape("mlp", 3, 32, 32, 0, &s));
    if (s) check_out(s, GAN_SPEC_GENERATOR, 11, 3, 32, 32);
    gan_spec_free(s);
    CHECK_OK(gan_spec_load_for_shape("cgan", 3, 16, 16, 4, &s));
    if (s) CHECK(s->n_classes == 4 && s->image[0] == 3 && s->image[1] == 16);
    gan_spec_free(s);
}

/* resnet and cresnet written for the data: at 1x28x28 the preset's model
 * (cresnet with 5 classes: the preset less its per-class tensors for 5
 * classes), at 3x32x32 SN-GAN's CIFAR-10 ResNets (G: 4x4x256 and three up
 * blocks; D: down to 8x8, two blocks there), and the texts parse again. */
static void check_resnet(void) {
    gan_spec *p = NULL, *s = NULL;
    CHECK_OK(gan_spec_load("cresnet", &p));
    CHECK_OK(gan_spec_load_for_shape("cresnet", 1, 28, 28, 5, &s));
    if (p && s) {
        CHECK(s->n_classes == 5 && strstr(gan_spec_text(s), "classes 5\n"));
        /* four conditional batch norms of 256 channels; the projection's 128-wide embedding */
        CHECK_MSG(s->net[GAN_SPEC_GENERATOR].n_params ==
                      p->net[GAN_SPEC_GENERATOR].n_params - 5 * 4 * 2 * 256,
                  "G %zu vs %zu", s->net[GAN_SPEC_GENERATOR].n_params,
                  p->net[GAN_SPEC_GENERATOR].n_params);
        CHECK_MSG(s->net[GAN_SPEC_DISCRIMINATOR].n_params ==
                      p->net[GAN_SPEC_DISCRIMINATOR].n_params - 5 * 128,
                  "D %zu vs %zu", s->net[GAN_SPEC_DISCRIMINATOR].n_params,
                  p->net[GAN_SPEC_DISCRIMINATOR].n_params);
        CHECK(s->net[GAN_SPEC_GENERATOR].n_layers == p->net[GAN_SPEC_GENERATOR].n_layers &&
              s->net[GAN_SPEC_DISCRIMINATOR].n_layers == p->net[GAN_SPEC_DISCRIMINATOR].n_layers);
    }
    gan_spec_free(s);
    gan_spec_free(p);
    CHECK_OK(gan_spec_load_for_shape("resnet", 3, 32, 32, 0, &s));
    if (s) {
        CHECK(s->image[0] == 3 && s->image[1] == 32 && s->n_classes == 0);
        size_t block = 2 * 512 + 2 * 590080 + 65792; /* two BN, two 3x3 convs, a 1x1 */
        CHECK_MSG(s->net[GAN_SPEC_GENERATOR].n_params == 528384 + 3 * block + 512 + 6915,
                  "G %zu", s->net[GAN_SPEC_GENERATOR].n_params);
        CHECK_MSG(s->net[GAN_SPEC_DISCRIMINATOR].n_params ==
                      (3584 + 147584 + 512) + (2 * 147584 + 16512) + 4 * 147584 + 129,
                  "D %zu", s->net[GAN_SPEC_DISCRIMINATOR].n_params);
        CHECK(strstr(gan_spec_text(s), "  reshape 256 4 4\n") &&
              strstr(gan_spec_text(s), "  dense 1 spectral_norm=true\n") &&
              strstr(gan_spec_text(s), "  loss hinge\n  ema 0.999\n"));
        /* up to 32 px the recipe of the 28 px measurements: lr 2e-4, no augmentation */
        CHECK(strstr(gan_spec_text(s), "  lr 2e-4\n") && !strstr(gan_spec_text(s), "augment"));
        gan_spec *again = NULL;
        CHECK_OK(gan_spec_parse(gan_spec_text(s), strlen(gan_spec_text(s)), "again", "resnet",
                                &again));
        CHECK(again && again->net[1].n_params == s->net[1].n_params);
        gan_spec_free(again);
    }
    gan_spec_free(s);
    CHECK_OK(gan_spec_load_for_shape("cresnet", 3, 64, 64, 7, &s)); /* 4 up blocks */
    if (s) CHECK(s->n_classes == 7 && strstr(gan_spec_text(s), "  projection spectral_norm"));
    gan_spec_free(s);
    /* above 32 px: G halves its width per up-sampling block (4x4x1024 -> 64x64x64), D
     * doubles it per down-sampling block at half that schedule's widths (32x32x32 ->
     * 4x4x256), one block at 4x4; lr 1e-4 and DiffAugment's translation and cutout */
    CHECK_OK(gan_spec_load_for_shape("resnet", 3, 64, 64, 0, &s));
    if (s) {
        size_t g = 128 * 16384 + 16384 + 2 * 64 + (9 * 64 * 3 + 3), d = 0;
        for (int in = 1024; in > 64; in /= 2) { /* BN, 3x3, BN, 3x3, 1x1 shortcut */
            int out = in / 2;
            g += 2 * in + (9 * in * out + out) + 2 * out + (9 * out * out + out) + in * out + out;
        }
        d += (9 * 3 * 32 + 32) + (9 * 32 * 32 + 32) + (3 * 32 + 32); /* optimized block */
        for (int in = 32; in < 256; in *= 2) /* 3x3, 3x3, 1x1 shortcut */
            d += (9 * in * 2 * in + 2 * in) + (9 * 4 * in * in + 2 * in) + (2 * in * in + 2 * in);
        d += 2 * (9 * 256 * 256 + 256) + 257; /* the block at 4x4, the logit */
        CHECK(strstr(gan_spec_text(s), "\n  lr 1e-4\n") &&
              strstr(gan_spec_text(s), "\n  augment translation,cutout\n"));
        CHECK_MSG(s->net[GAN_SPEC_GENERATOR].n_params == g, "G %zu, expected %zu",
                  s->net[GAN_SPEC_GENERATOR].n_params, g);
        CHECK_MSG(s->net[GAN_SPEC_DISCRIMINATOR].n_params == d, "D %zu, expected %zu",
                  s->net[GAN_SPEC_DISCRIMINATOR].n_params, d);
        CHECK(strstr(gan_spec_text(s), "  reshape 1024 4 4\n") &&
              strstr(gan_spec_text(s), "  conv2d 3 kernel=3 padding=1\n  tanh\n"));
    }
    gan_spec_free(s);
    CHECK(gan_spec_load_for_shape("resnet", 3, 30, 30, 0, &s) == GAN_ERR_SHAPE && !s);
    CHECK_MSG(strstr(gan_last_error(), "its generator doubles"), "%s", gan_last_error());
}

static void check_errors(void) {
    gan_spec *s = NULL;
    CHECK(gan_spec_load_for_shape("dcgan", 3, 30, 30, 0, &s) == GAN_ERR_SHAPE && !s);
    CHECK_MSG(strstr(gan_last_error(), "30 px") && strstr(gan_last_error(), "64"), "%s",
              gan_last_error());
    CHECK(gan_spec_load_for_shape("mlp", 3, 32, 48, 0, &s) == GAN_ERR_SHAPE && !s);
    CHECK_MSG(strstr(gan_last_error(), "32x48, not square"), "%s", gan_last_error());
    CHECK(gan_spec_load_for_shape("cdcgan", 3, 32, 32, 0, &s) != GAN_OK && !s);
    CHECK_MSG(strstr(gan_last_error(), "no labels"), "%s", gan_last_error());
}

/* Mean and standard deviation of n floats. */
static void moments(const float *x, size_t n, double *mean, double *sd) {
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    *mean = s / (double)n;
    for (size_t i = 0; i < n; i++) ss += (x[i] - *mean) * (x[i] - *mean);
    *sd = sqrt(ss / (double)n);
}

/* The named tensor of layer i of m. */
static gan_layer_tensor tensor_of(gan_model *m, int i, const char *name) {
    gan_layer_tensor ts[GAN_LAYER_MAX_TENSORS], none = {0};
    int n = m->layers[i].ops->tensors(&m->layers[i], ts, GAN_LAYER_MAX_TENSORS);
    for (int k = 0; k < n; k++)
        if (strcmp(ts[k].name, name) == 0) return ts[k];
    return none;
}

static void check_init(void) {
    gan_spec *s = NULL;
    CHECK_OK(gan_spec_load_for_shape("dcgan", 3, 32, 32, 0, &s));
    if (!s) return;
    gan_train_options opt;
    gan_train_options_default(&opt);
    opt.threads = 1;
    gan_trainer *glorot = NULL, *dcgan = NULL;
    CHECK_OK(gan_trainer_create_for_spec(s, &opt, &glorot));
    opt.init = GAN_INIT_DCGAN;
    CHECK_OK(gan_trainer_create_for_spec(s, &opt, &dcgan));
    if (glorot && dcgan) {
        double mean, sd;
        gan_layer_tensor w = tensor_of(&dcgan->g, 3, "weight"); /* 256 -> 128, 4x4 */
        CHECK(w.size == 256 * 128 * 16);
        moments(w.data, w.size, &mean, &sd);
        CHECK_MSG(fabs(mean) < 1e-3 && fabs(sd - 0.02) < 1e-3, "G conv: mean %g sd %g", mean, sd);
        w = tensor_of(&dcgan->d, 5, "weight");
        moments(w.data, w.size, &mean, &sd);
        CHECK_MSG(fabs(mean) < 1e-3 && fabs(sd - 0.02) < 1e-3, "D conv: mean %g sd %g", mean, sd);
        gan_layer_tensor gamma = tensor_of(&dcgan->g, 1, "weight"); /* 256 channels */
        moments(gamma.data, gamma.size, &mean, &sd);
        CHECK_MSG(fabs(mean - 1) < 0.006 && fabs(sd - 0.02) < 0.004, "gamma: mean %g sd %g", mean,
                  sd);
        gan_layer_tensor bias = tensor_of(&dcgan->g, 3, "bias");
        moments(bias.data, bias.size, &mean, &sd);
        CHECK(mean == 0 && sd == 0);
        /* glorot: uniform in +-sqrt(6 / (fan_in + fan_out)), gamma exactly 1 */
        w = tensor_of(&glorot->g, 3, "weight");
        moments(w.data, w.size, &mean, &sd);
        double limit = sqrt(6.0 / ((256 + 128) * 16.0));
        CHECK_MSG(fabs(sd - limit / sqrt(3.0)) < 1e-3, "glorot sd %g", sd);
        gamma = tensor_of(&glorot->g, 1, "weight");
        moments(gamma.data, gamma.size, &mean, &sd);
        CHECK(mean == 1 && sd == 0);
        /* saved and read back by name */
        const char *ckpt = test_tmp_path("init.safetensors");
        CHECK_OK(gan_trainer_save_checkpoint(dcgan, ckpt));
        gan_checkpoint_info info;
        CHECK_OK(gan_checkpoint_read_info(ckpt, &info));
        CHECK(info.opt.init == GAN_INIT_DCGAN);
    }
    gan_trainer_free(glorot);
    gan_trainer_free(dcgan);
    gan_spec_free(s);

    /* a spec's train section may choose it */
    const char *text = "image 1 4 4\nlatent 2\ngenerator\n  dense 16\n  reshape 1 4 4\n"
                       "discriminator\n  flatten\n  dense 1\ntrain\n  init dcgan\n";
    CHECK_OK(gan_spec_parse(text, strlen(text), "t.gan", "t", &s));
    gan_train_options_default(&opt);
    CHECK(opt.init == GAN_INIT_GLOROT);
    if (s) gan_spec_train_options(s, &opt);
    CHECK(opt.init == GAN_INIT_DCGAN);
    gan_spec_free(s);
    const char *bad = "image 1 4 4\nlatent 2\ngenerator\n  dense 16\n  reshape 1 4 4\n"
                      "discriminator\n  flatten\n  dense 1\ntrain\n  init he\n";
    CHECK(gan_spec_parse(bad, strlen(bad), "t.gan", "t", &s) != GAN_OK);
    CHECK_MSG(strstr(gan_last_error(), "t.gan:10:") && strstr(gan_last_error(), "glorot, dcgan"),
              "%s", gan_last_error());
}

int main(void) {
    check_preset_unchanged("mlp", 0);
    check_preset_unchanged("mlp", 10);
    check_preset_unchanged("dcgan", 0);
    check_preset_unchanged("cgan", 10);
    check_preset_unchanged("cdcgan", 10);
    check_preset_unchanged("cdcgan", 0); /* no labels: the trainer asks for them */
    check_preset_unchanged("resnet", 0);
    check_preset_unchanged("cresnet", 10);
    check_resnet();
    check_dcgan_64();
    check_other_sizes();
    check_errors();
    check_init();
    return test_report();
}
