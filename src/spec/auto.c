/*
 * auto.c - presets that follow the data: `--model dcgan` (or mlp, cgan,
 * cdcgan, resnet, cresnet) on a C x R x R dataset whose shape is not the preset's 1x28x28
 * gets a spec written for that shape, as text in the spec language, so
 * checkpoints, `gan inspect --spec` and every reader see an ordinary spec.
 *
 *   mlp, cgan      the seed model's layers with the image size C·R·R (and
 *                  the data's number of classes)
 *   dcgan, cdcgan  the DCGAN of Radford et al. (2016) as PyTorch's DCGAN
 *                  example builds it: z (1x1) -> s x s x ngf·2^(k-1) by a
 *                  kernel-s transposed convolution, then k stride-2 stages
 *                  to R x R x C (R = s·2^k, s in [4, 7]; 64 px: 4x4x512 ->
 *                  8x8x256 -> 16x16x128 -> 32x32x64 -> 64x64xC), ngf = ndf
 *                  = 64, batch norm (PyTorch's momentum 0.1 and eps 1e-5),
 *                  ReLU and tanh in G, LeakyReLU 0.2 in D, no batch norm on
 *                  D's first layer, D ending in a kernel-s convolution to
 *                  one logit. Convolutions keep their bias (a constant
 *                  before batch norm, which removes it).
 *   resnet, cresnet  models/resnet.gan's (cresnet.gan's) design for the
 *                  size (write_resnet below).
 *
 * A dataset of the preset's own shape (and, for a conditional preset, its
 * number of classes) gets the preset's text unchanged, byte for byte.
 */
#include "presets.h"
#include "spec/syntax.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUTO_NGF 64
#define AUTO_MAX_TEXT 8192

typedef struct text_buf {
    char s[AUTO_MAX_TEXT];
    size_t n;
} text_buf;

static void put(text_buf *b, const char *fmt, ...) GAN_PRINTF(2, 3);
static void put(text_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
    va_end(ap);
    if (w > 0) b->n = GAN_MIN(b->n + (size_t)w, sizeof b->s - 1);
}

/* The train section every preset has. */
static void put_train(text_buf *b) {
    put(b, "\ntrain\n  batch_size 64\n  lr 2e-4\n  beta1 0.5\n  beta2 0.999\n"
           "  adam_eps 1e-7\n  seed 1\n  epochs 10\n");
}

static void put_header(text_buf *b, int c, int r, int n_classes) {
    put(b, "image %d %d %d\nlatent 100\n", c, r, r);
    if (n_classes) put(b, "classes %d\n", n_classes);
}

/* mlp and cgan (n_classes > 0): models/mlp.gan and models/cgan.gan with
 * the image size of the data. */
static void write_mlp(text_buf *b, const char *name, int c, int r, int n_classes) {
    put(b, "# %s.gan for %dx%dx%d images%s, written by gan.c from the data's shape: the "
           "layers of\n# models/%s.gan with the image size %d.\n\n", name, c, r, r,
        n_classes ? " with classes" : "", name, c * r * r);
    put_header(b, c, r, n_classes);
    put(b, "\ngenerator\n");
    if (n_classes) put(b, "  label embedding 10\n");
    for (int units = 256; units <= 1024; units *= 2)
        put(b, "  dense %d\n  leaky_relu 0.2\n  batchnorm\n", units);
    put(b, "  dense %d\n  tanh\n  reshape %d %d %d\n", c * r * r, c, r, r);
    put(b, "\ndiscriminator\n  flatten\n");
    if (n_classes) put(b, "  label embedding 100\n");
    for (int units = 1024; units >= 256; units /= 2)
        put(b, "  dense %d\n  leaky_relu 0.2\n", units);
    put(b, "  dense 1\n");
    put_train(b);
}

/* R = s·2^k with s in [4, 7] and k >= 1: the stages k and start size s,
 * or false. */
static bool dcgan_stages(int r, int *s, int *k) {
    *k = 0;
    while (r > 7 && r % 2 == 0) r /= 2, (*k)++;
    *s = r;
    return *k >= 1 && r >= 4 && r <= 7;
}

static void write_dcgan(text_buf *b, const char *name, int c, int r, int n_classes) {
    int s, k;
    dcgan_stages(r, &s, &k);
    const char *bn = "batchnorm2d momentum=0.9 eps=1e-5";
    put(b, "# %s.gan for %dx%dx%d images%s, written by gan.c from the data's shape: the DCGAN "
           "of\n# Radford et al. (2016) as PyTorch's DCGAN example builds it, ngf = ndf = %d, "
           "%d stride-2\n# stages from %dx%d. Batch norm with PyTorch's defaults (momentum 0.1 "
           "is 0.9 here).\n\n", name, c, r, r, n_classes ? " with classes" : "", AUTO_NGF, k,
        s, s);
    put_header(b, c, r, n_classes);
    put(b, "\ngenerator\n");
    if (n_classes) put(b, "  label onehot\n");
    int width = AUTO_NGF << (k - 1), size = s;
    put(b, "  conv_transpose2d %d kernel=%d stride=1 padding=0   # -> %dx%dx%d\n  %s\n  relu\n",
        width, s, width, size, size, bn);
    for (int i = 1; i < k; i++) {
        width /= 2, size *= 2;
        put(b, "  conv_transpose2d %d kernel=4 stride=2 padding=1   # -> %dx%dx%d\n  %s\n"
               "  relu\n", width, width, size, size, bn);
    }
    put(b, "  conv_transpose2d %d kernel=4 stride=2 padding=1   # -> %dx%dx%d\n  tanh\n", c, c,
        r, r);
    put(b, "\ndiscriminator\n");
    if (n_classes) put(b, "  label onehot\n");
    width = AUTO_NGF, size = r / 2;
    put(b, "  conv2d %d kernel=4 stride=2 padding=1             # -> %dx%dx%d\n"
           "  leaky_relu 0.2\n", width, width, size, size);
    for (int i = 1; i < k; i++) {
        width *= 2, size /= 2;
        put(b, "  conv2d %d kernel=4 stride=2 padding=1             # -> %dx%dx%d\n  %s\n"
               "  leaky_relu 0.2\n", width, width, size, size, bn);
    }
    put(b, "  conv2d 1 kernel=%d stride=1 padding=0               # -> one logit\n  flatten\n",
        s);
    put_train(b);
}

/* resnet and cresnet (n_classes > 0): models/resnet.gan's design for C x R
 * x R, R = s 2^k (s in [4, 7]).
 *
 * Up to 32 px, SN-GAN's CIFAR-10 ResNets: G from s x s x 256 through k
 * up-sampling blocks of 256 channels; D halves the size while it is above 8
 * and even (an "optimized" first block, then down-sampling blocks), then two
 * blocks at that size, 128 channels throughout. At 28 px these are
 * resnet.gan's layers; at 32, SN-GAN's CIFAR-10 ResNets.
 *
 * Above 32 px, the channel schedule of the 64x64 and 128x128 ResNets of
 * Miyato & Koyama (2018) and BigGAN, ch = 64 in G: G's width halves at every
 * up-sampling block, from min(64 2^k, 1024) at s x s to 64 at R x R. D has
 * half that schedule's widths: its width doubles at every down-sampling
 * block, from 32 after the optimized block (R/2) to at most 512, while the
 * size is above s, then one block at that size (64 px: 64x64x3 -> 32x32x32
 * -> 16x16x64 -> 8x8x128 -> 4x4x256, 2.4 M parameters instead of ch = 64's
 * 9.6 M), trained with lr 1e-4 and DiffAugment's translation and cutout.
 * On the 7,572 emoji at 64 px that D, rate and augmentation end 80 epochs
 * at FID 115-142 where ch = 64's D at 2e-4 ended at 422-427, worse than it
 * was at epoch 20-50 (bench/RESULTS.md, issue 14). SN-GAN's 256 channels at
 * every size of G cost about three times the multiply-adds of this G at
 * 64 px. */
static void write_resnet(text_buf *b, const char *name, int c, int r, int n_classes) {
    int s, k;
    dcgan_stages(r, &s, &k);
    bool wide = r > 32; /* the 64x64 schedule above 32 px */
    const char *bn = n_classes ? "cond_batchnorm2d" : "batchnorm2d";
    const char *sn = "spectral_norm=true";
    int g0 = wide ? GAN_MIN(AUTO_NGF << k, 1024) : 256;
    if (wide)
        put(b, "# %s.gan for %dx%dx%d images%s, written by gan.c from the data's shape: the "
               "ResNets of\n# models/%s.gan with the channel schedule of Miyato & Koyama's "
               "(2018) 64x64 models:\n# G from %dx%dx%d through %d up-sampling blocks halving "
               "the width to %d, D (at half\n# those widths) doubling its width from %d at "
               "each down-sampling block.\n\n", name, c, r, r, n_classes ? " with classes" : "",
            name, s, s, g0, k, GAN_MAX(g0 >> k, 16), AUTO_NGF / 2);
    else
        put(b, "# %s.gan for %dx%dx%d images%s, written by gan.c from the data's shape: the "
               "layers of\n# models/%s.gan (SN-GAN's ResNets) for this size: G from %dx%dx256 "
               "through %d\n# up-sampling blocks, D down to its last size and two blocks there."
               "\n\n", name, c, r, r, n_classes ? " with classes" : "", name, s, s, k);
    put(b, "image %d %d %d\nlatent 128\n", c, r, r);
    if (n_classes) put(b, "classes %d\n", n_classes);
    put(b, "\ngenerator\n  dense %d\n  reshape %d %d %d\n", g0 * s * s, g0, s, s);
    int width = g0;
    for (int i = 0; i < k; i++) {
        int out = wide ? GAN_MAX(width / 2, 16) : width;
        put(b, "  residual\n    %s momentum=0.9 eps=1e-5\n    relu\n    upsample2d\n"
               "    conv2d %d kernel=3 padding=1\n    %s momentum=0.9 eps=1e-5\n    relu\n"
               "    conv2d %d kernel=3 padding=1\n  shortcut\n    upsample2d\n"
               "    conv2d %d kernel=1\n  end\n", bn, out, bn, out, out);
        width = out;
    }
    put(b, "  batchnorm2d momentum=0.9 eps=1e-5\n  relu\n  conv2d %d kernel=3 padding=1\n"
           "  tanh\n\ndiscriminator\n", c);
    int dw = wide ? AUTO_NGF / 2 : 128;
    put(b, "  residual\n    conv2d %d kernel=3 padding=1 %s\n    relu\n"
           "    conv2d %d kernel=3 padding=1 %s\n    avgpool2d\n  shortcut\n    avgpool2d\n"
           "    conv2d %d kernel=1 %s\n  end\n", dw, sn, dw, sn, dw, sn);
    int last = wide ? s : 8; /* down-sampling blocks while the size is above this */
    for (int size = r / 2; size > last && size % 2 == 0; size /= 2) {
        int out = wide ? GAN_MIN(2 * dw, 512) : dw;
        put(b, "  residual\n    relu\n    conv2d %d kernel=3 padding=1 %s\n    relu\n"
               "    conv2d %d kernel=3 padding=1 %s\n    avgpool2d\n  shortcut\n"
               "    conv2d %d kernel=1 %s\n    avgpool2d\n  end\n", out, sn, out, sn, out, sn);
        dw = out;
    }
    for (int i = 0; i < (wide ? 1 : 2); i++)
        put(b, "  residual\n    relu\n    conv2d %d kernel=3 padding=1 %s\n    relu\n"
               "    conv2d %d kernel=3 padding=1 %s\n  end\n", dw, sn, dw, sn);
    put(b, "  relu\n  global_sum_pool\n  %s %s\n", n_classes ? "projection" : "dense 1", sn);
    put(b, "\ntrain\n  batch_size 64\n  lr %s\n  beta1 0.0\n  beta2 0.9\n  loss hinge\n"
           "  ema 0.999\n%s  seed 1\n  epochs 10\n", wide ? "1e-4" : "2e-4",
        wide ? "  augment translation,cutout\n" : "");
}

/* 1 + the largest label of a dataset, 0 without labels. */
static int label_classes(const gan_dataset *data) {
    const uint8_t *labels = gan_dataset_labels(data);
    int most = -1;
    for (int64_t i = 0; labels && i < gan_dataset_count(data); i++)
        most = GAN_MAX(most, (int)labels[i]);
    return most + 1;
}

/* named: the data's named classes (0: none), which a conditional preset
 * must match; fallback: the classes a written spec gets when none are named
 * (1 + the largest label), so that 28x28 IDX data keeps the preset and its
 * label check. */
static gan_status load_auto(const char *model, int c, int h, int w, int n_classes, int fallback,
                            gan_spec **out) {
    *out = NULL;
    GAN_TRY(gan_spec_load(model, out));
    const gan_spec *sp = *out;
    bool is_preset = !strchr(model, '/') && !strchr(model, '.');
    bool same_shape = sp->image[0] == c && sp->image[1] == h && sp->image[2] == w;
    bool same_classes = !sp->n_classes || n_classes <= 0 || n_classes == sp->n_classes;
    if (!is_preset || (same_shape && same_classes)) return GAN_OK;
    bool dcgan = strcmp(model, "dcgan") == 0 || strcmp(model, "cdcgan") == 0;
    bool mlp = strcmp(model, "mlp") == 0 || strcmp(model, "cgan") == 0;
    bool resnet = strcmp(model, "resnet") == 0 || strcmp(model, "cresnet") == 0;
    int classes = sp->n_classes ? (n_classes > 0 ? n_classes : GAN_MAX(fallback, 0)) : 0;
    bool conditional = sp->n_classes > 0;
    if (!dcgan && !mlp && !resnet) return GAN_OK; /* a fixed shape: the trainer says so */
    gan_spec_free(*out);
    *out = NULL;
    if (h != w)
        return gan_fail(GAN_ERR_SHAPE, "model '%s': images are %dx%d, not square; shape them "
                        "to R x R (a resolution)", model, h, w);
    int s, k;
    if ((dcgan || resnet) && !dcgan_stages(h, &s, &k))
        return gan_fail(GAN_ERR_SHAPE, "model '%s': %d px is not s x 2^k with s in 4..7 (%s "
                        "doubles the size at each stage): use a resolution such as 16, 28, 32, "
                        "48, 64, 96 or 128", model, h, dcgan ? "a DCGAN" : "its generator");
    if (conditional && classes <= 0)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "model '%s' is conditional and the data has "
                        "no labels (a folder gets them from its subfolders)", model);
    text_buf *b = malloc(sizeof *b);
    if (!b) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate a model spec");
    b->n = 0;
    b->s[0] = 0;
    if (dcgan) write_dcgan(b, model, c, h, classes);
    else if (resnet) write_resnet(b, model, c, h, classes);
    else write_mlp(b, model, c, h, classes);
    char origin[128];
    snprintf(origin, sizeof origin, "models/%s.gan for %dx%dx%d", model, c, h, w);
    gan_status st = gan_spec_parse(b->s, b->n, origin, model, out);
    free(b);
    return st;
}

gan_status gan_spec_load_for_shape(const char *model, int c, int h, int w, int n_classes,
                                   gan_spec **out) {
    return load_auto(model, c, h, w, n_classes, n_classes, out);
}

gan_status gan_spec_load_for_data(const char *model, const gan_dataset *data, gan_spec **out) {
    *out = NULL;
    if (!data) return gan_spec_load(model, out);
    int c, h, w;
    gan_dataset_shape(data, &c, &h, &w);
    return load_auto(model, c, h, w, gan_dataset_class_count(data), label_classes(data), out);
}
