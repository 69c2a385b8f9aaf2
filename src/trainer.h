/*
 * trainer.h - the inside of a gan_trainer, for the library and its tests.
 *
 * One training iteration (gan_trainer_step):
 *   1. z ~ N(0, 1) (B, latent) from the noise stream of this step; the
 *      next B real images in this epoch's shuffled order, scaled to [-1, 1].
 *   2. fake = G(z) in training mode (batch statistics; running statistics
 *      updated once per iteration).
 *   3. Discriminator step: logits = D([real; fake]) on the 2B rows; loss_d =
 *      mean BCE with targets 1 (real) and 0 (fake) over the 2B rows (Keras's
 *      train_on_batch on the concatenated batch); Adam on D.
 *   4. Generator step: logits = D'(fake) with the updated D; loss_g = mean
 *      BCE with target 1 (non-saturating); backward through D to its input
 *      WITHOUT touching D's parameters or gradients, then through G; Adam on G.
 * The same fake batch (and G's saved activations) serves both steps, as in
 * PyTorch's DCGAN example: G's weights do not change in between.
 */
#ifndef GAN_TRAINER_H
#define GAN_TRAINER_H

#include "model.h"
#include "spec/spec.h"

#define GAN_MAX_GRID_SAMPLES 256

struct gan_trainer {
    gan_spec *spec;            /* the model (owned copy) */
    gan_train_options opt;
    const gan_dataset *data;
    gan_model g, d;
    const gan_backend *be;
    int batch;
    int latent;
    int image_size;            /* C*H*W */
    int64_t step;              /* iterations done */
    gan_step_stats last;       /* statistics of the latest step */
    int64_t steps_per_epoch;
    int64_t order_epoch;       /* epoch that `order` belongs to (-1: none yet) */
    uint32_t *order;           /* (count) this epoch's permutation of the data */
    float *targets;            /* (2B): B ones then B zeros; the first B serve G */
    float *dlogits;            /* (2B) */
    float *fixed_z;            /* (GAN_MAX_GRID_SAMPLES, latent) */
    float *grid;               /* (GAN_MAX_GRID_SAMPLES, image_size) */
    gan_arena arena;
};

/* Create a trainer without a dataset (for tests and sampling); `model` as
 * in gan_trainer_create. */
gan_status gan_trainer_create_for_shape(const char *model, const gan_train_options *opt,
                                        gan_trainer **out);
gan_status gan_trainer_create_for_spec(const gan_spec *spec, const gan_train_options *opt,
                                       gan_trainer **out);

/* The real half of D's input, (B, image_size): fill it before step_batch. */
float *gan_trainer_real_rows(gan_trainer *t);

/* G's input, (B, latent): fill it before step_batch. */
float *gan_trainer_noise(gan_trainer *t);

/* Steps 2-4 above on the real rows and noise already in place. */
gan_status gan_trainer_step_batch(gan_trainer *t, gan_step_stats *st);

#endif
