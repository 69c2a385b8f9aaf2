/*
 * test_no_alloc.c - the training step allocates nothing: after a few
 * warm-up steps (BLAS and OpenMP set up their own buffers on first use),
 * the heap's in-use bytes and mapped blocks do not change over 30 steps of
 * the mlp model, 8 steps of the dcgan model, and 10 steps of the
 * conditional cgan with the other training options (EMA, 2 D steps per G
 * step, Wasserstein loss with clipping), 8 steps of the dcgan with mirror
 * and every augmentation (color, translation, cutout), 6 steps of a
 * conditional spec with the ResNet layers (cond_batchnorm2d, upsample2d,
 * avgpool2d, global_sum_pool, minibatch_stddev, spectral norm on
 * conv_transpose2d and self_attention) and the hinge loss, and 6 steps of a model with residual blocks (test_block_spec).
 * Also: steps follow the epoch structure (steps_per_epoch = floor(N / B)).
 */
#define _GNU_SOURCE
#include "gan.h"
#include "test_util.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    /* a small synthetic dataset: 200 random 28x28 images */
    int n = 200;
    size_t len = 16 + (size_t)n * 784;
    unsigned char *b = malloc(len);
    unsigned char hdr[16] = {0, 0, 8, 3, 0, 0, 0, (unsigned char)n, 0, 0, 0, 28, 0, 0, 0, 28};
    memcpy(b, hdr, 16);
    for (size_t i = 16; i < len; i++) b[i] = (unsigned char)(i * 2654435761u >> 24);
    const char *path = test_tmp_path_kept("rand-images-idx3-ubyte");
    CHECK(test_write_file(path, b, len) == 0);
    free(b);
    unsigned char labels[8 + 200] = {0, 0, 8, 1, 0, 0, 0, (unsigned char)n};
    for (int i = 0; i < n; i++) labels[8 + i] = (unsigned char)(i % 10);
    CHECK(test_write_file(test_tmp_path_kept("rand-labels-idx1-ubyte"), labels, 8 + n) == 0);

    gan_dataset *data = NULL;
    CHECK_OK(gan_dataset_load(path, GAN_SPLIT_TRAIN, &data));
    const char *spec_path = test_resnet_layers_spec();
    const struct {
        const char *model;
        int steps;
    } runs[] = {{"mlp", 30}, {"dcgan", 8}, {"cgan", 10}, {"dcgan", 8}, {spec_path, 6},
                 {test_block_spec(), 6}};
    for (int k = 0; k < 6; k++) {
        gan_train_options opt;
        gan_train_options_default(&opt);
        opt.batch_size = 32;
        opt.threads = 2;
        if (k == 2) {
            opt.ema = 0.99f;
            opt.d_steps = 2;
            opt.loss = GAN_LOSS_WASSERSTEIN;
        }
        if (k == 3) {
            opt.mirror = 1;
            opt.augment = GAN_AUGMENT_COLOR | GAN_AUGMENT_TRANSLATION | GAN_AUGMENT_CUTOUT;
        }
        if (k >= 4) opt.loss = GAN_LOSS_HINGE;
        gan_trainer *t = NULL;
        CHECK_OK(gan_trainer_create(runs[k].model, &opt, data, &t));
        if (!t) return test_report();
        CHECK(gan_trainer_steps_per_epoch(t) == (k == 2 ? 3 : 6));

        gan_step_stats st;
        for (int i = 0; i < 5; i++) CHECK_OK(gan_trainer_step(t, &st));
        struct mallinfo2 before = mallinfo2();
        for (int i = 0; i < runs[k].steps; i++) CHECK_OK(gan_trainer_step(t, &st));
        struct mallinfo2 after = mallinfo2();
        CHECK_MSG(before.uordblks == after.uordblks && before.hblkhd == after.hblkhd,
                  "%s: heap changed during training steps: %zu -> %zu bytes in use, %zu -> %zu "
                  "mapped", runs[k].model, before.uordblks, after.uordblks, before.hblkhd,
                  after.hblkhd);
        if (k == 0) {
            CHECK(st.step == 35);
            CHECK(st.epoch == 5); /* step 35 is in the 6th epoch of 6 steps */
        }
        gan_trainer_free(t);
    }
    gan_dataset_free(data);
    return test_report();
}
