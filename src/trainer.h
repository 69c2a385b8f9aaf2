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
 *
 * Every value a step needs lives in the backend's memory (the step number,
 * the noise stream, the data order, the loss sums), so a step is backend
 * calls only: on a GPU the whole iteration is captured once as a graph and
 * replayed, with no host-device synchronisation inside a step; the host
 * only uploads the data order at epoch boundaries and reads the loss sums
 * when asked (gan_trainer_take_stats). The CPU runs the same calls directly.
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
    uint32_t *order;           /* (count) this epoch's permutation of the data; on a GPU
                                  (2, count): even and odd epochs */
    float *fixed_z;            /* (GAN_MAX_GRID_SAMPLES, latent) */
    float *grid;               /* (GAN_MAX_GRID_SAMPLES, image_size) */
    gan_arena arena;           /* host memory: fixed_z, grid */

    /* in the backend's memory (dev_arena) */
    float *targets;            /* (2B): B ones then B zeros; the first B serve G */
    float *dlogits;            /* (2B) */
    int64_t *step_dev;         /* (1) = step */
    uint64_t *noise_stream;    /* (1) = gan_rng_stream(GAN_RNG_NOISE, step) */
    float *sums;               /* (6) BCE loss and sigmoid sums: real half, fake half, G step */
    const uint8_t *pixels;     /* (count, image_size) the dataset (a device copy on a GPU) */
    uint32_t *order_dev;       /* (count) `order` (a device copy on a GPU) */
    gan_arena dev_arena;

    /* graph of one gan_trainer_step (GPU) */
    bool use_graph;            /* capture once, then replay (default on a GPU) */
    bool warmed_up;            /* a step ran directly (before the capture) */
    gan_graph *graph;
    int64_t graph_adam_steps[2]; /* Adam steps of G and D in one replay */

    /* statistics since the last take_stats */
    double acc[4];             /* CPU: sums of loss_d, loss_g, d_real, d_fake */
    int64_t acc_from;          /* step at the start of the interval */
    gan_step_stats taken;      /* the last means taken */
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

/* Steps 2-4 above on the real rows and noise already in place (never a
 * graph). */
gan_status gan_trainer_step_batch(gan_trainer *t, gan_step_stats *st);

/* Set the number of steps done (resume): the host's count and the device's. */
gan_status gan_trainer_set_step(gan_trainer *t, int64_t step);

#endif
