/*
 * trainer.h - the inside of a gan_trainer, for the library and its tests.
 *
 * One training iteration (gan_trainer_step), with B = batch size and K =
 * opt.d_steps:
 *   1. K discriminator steps; D step k (0 <= k < K):
 *      a. the next B real images in this epoch's shuffled order (batch
 *         step * K + k of the epoch's permutation), scaled to [-1, 1], and
 *         with a conditional model their labels; z ~ N(0, 1) (B, latent)
 *         from noise stream step * K + k;
 *      b. fake = G(z, labels of the real batch) in training mode (batch
 *         statistics; running statistics updated);
 *      c. logits = D([real; fake]) on the 2B rows (one forward: the seed's
 *         batch composition; labels [real's; fake's]) when D has no batch
 *         norm; when it has (dcgan, cdcgan), D(real) and D(fake) as two
 *         forwards of B rows each, gradients added (PyTorch's DCGAN recipe:
 *         batch statistics of one kind of image, as D sees the fake batch
 *         in step 2 - a joint batch lets D separate real from fake by the
 *         batch statistics and G learns nothing). Loss terms on each half
 *         (gan_loss, loss_spec in trainer.c); Adam on D with lr_d; for the
 *         Wasserstein loss D's parameters are then clipped to [-clip, clip].
 *   2. Generator step through the updated, frozen discriminator: logits =
 *      D'(fake) on the LAST D step's fake batch (G's activations of that
 *      forward are still in place: G's weights did not change since); the
 *      generator loss term; backward through D to its input WITHOUT touching
 *      D's parameters or gradients, then through G; Adam on G with lr_g.
 *   3. With an EMA: g_ema = d * g_ema + (1 - d) * G, over G's parameters
 *      and its batch-norm running statistics; d = ema, or with ema_warmup
 *      min(ema, (1 + s) / (10 + s)) at G step s = step + 1, computed by the
 *      kernel from step_dev (src/ema.h).
 * Augmentation (opt.mirror, opt.augment; src/augment.h): after 1a, the real
 * batch is mirrored (images with u < 1/2) and augmented; in 1b, D's fake
 * rows are the augmented G output; in 2, G's output is augmented afresh
 * (new parameters), D' sees that, and the gradient goes back through the
 * augmentation to G. Each use draws B GAN_AUG_PARAMS uniforms from its own
 * stream GAN_RNG_AUGMENT, numbered step * A + a (A uses per step: K for the
 * real batches when mirroring or augmenting, K + 1 for fake ones when
 * augmenting), so a resumed run draws the same. Without them nothing of
 * this runs: the step is bit for bit the one before augmentation existed.
 * With K = 1 this is exactly the seed's iteration (the same fake batch serves
 * both steps, as in PyTorch's DCGAN example). A step consumes K real batches,
 * so an epoch has floor(count / (K B)) steps.
 *
 * Every value a step needs lives in the backend's memory (the step number,
 * the noise stream, the data order, the dataset and its labels, the loss
 * sums), so a step is backend calls only: on a GPU the whole iteration
 * (all K D steps, the G step and the EMA update) is captured once as a graph
 * and replayed, with no host-device synchronisation inside a step; the host
 * only uploads the data order at epoch boundaries and reads the loss sums
 * when asked (gan_trainer_take_stats). The CPU runs the same calls directly.
 */
#ifndef GAN_TRAINER_H
#define GAN_TRAINER_H

#include "comm/comm.h"
#include "model.h"
#include "spec/spec.h"

#define GAN_MAX_GRID_SAMPLES 256

/* The loss terms of one gan_loss (backend.h, gan_loss_term): D's real and
 * fake halves and G's term with their targets. D's loss is d_weight / B
 * times the sum of both halves' terms (d_weight 1/2 for the BCE-type losses:
 * the mean over the 2B rows; 1 for the others: the sum of both halves'
 * means); G's loss is the mean of its term. */
typedef struct gan_loss_spec {
    gan_loss_term real, fake, gen;
    float t_real, t_fake, t_gen;
    bool half;       /* d_weight = 1/2 (BCE-type losses) */
    bool probability; /* the reported outputs are sigmoid(D) (BCE-type losses) */
} gan_loss_spec;

/* The terms of opt->loss (with opt->label_smoothing); loss.c. */
gan_loss_spec gan_loss_spec_of(const gan_train_options *opt);

/* Offsets in gan_trainer.sums: pairs (sum of loss terms, sum of reported
 * outputs) of D's real halves, D's fake halves, G's step. */
enum { GAN_SUM_REAL = 0, GAN_SUM_FAKE = 2, GAN_SUM_GEN = 4, GAN_SUM_COUNT = 6 };

struct gan_trainer {
    gan_spec *spec;            /* the model (owned copy) */
    gan_train_options opt;     /* lr_g and lr_d resolved (never 0) */
    gan_loss_spec loss;
    const gan_dataset *data;
    gan_model g, d;
    gan_model g_ema;           /* the EMA generator (has_ema), named "generator_ema" */
    bool has_ema;
    bool d_split;              /* D has batch norm or a layer mixing rows: real and fake
                                  go through it as separate batches (see d_step in
                                  trainer.c) */
    const gan_backend *be;
    int batch;                 /* rows of this rank's slice of a batch (all of it: one rank) */
    int global_batch;          /* opt.batch_size: rows of a step's batch over every rank */

    /* data parallelism (trainer_dist.c, docs/distributed.md) */
    gan_comm *comm;            /* NULL: a single process */
    int rank, ranks;           /* this rank's slice of every batch: rows [rank batch,
                                  (rank + 1) batch) of the global batch */
    bool reduce;               /* gradients and loss sums are all-reduced (a distributed run,
                                  even of one rank) */
    gan_status comm_status;    /* the first failed reduction of a step (GAN_OK: none) */
    gan_layer_sync bn_sync;    /* opt.sync_bn: how the batch-norm layers sum their statistics */
    int latent;
    int image_size;            /* C*H*W */
    int n_classes;             /* 0: unconditional */
    int64_t step;              /* iterations done */
    gan_step_stats last;       /* statistics of the latest step */
    int64_t steps_per_epoch;
    int64_t order_epoch;       /* epoch that `order` belongs to (-1: none yet) */
    uint32_t *order;           /* (count) this epoch's permutation of the data; on a GPU
                                  (2, count): even and odd epochs */
    int32_t *grid_labels;      /* (GAN_MAX_GRID_SAMPLES) host */
    float *fixed_z;            /* (GAN_MAX_GRID_SAMPLES, latent) */
    float *grid_z;             /* (GAN_MAX_GRID_SAMPLES, latent) */
    float *grid;               /* (GAN_MAX_GRID_SAMPLES, image_size) */
    gan_arena arena;           /* host memory: grid_labels, fixed_z, grid_z, grid */

    /* in the backend's memory (dev_arena) */
    float *dlogits;            /* (2B) */
    int64_t *step_dev;         /* (1) = step */
    int64_t *noise_index;      /* (1) = step * K + k: the noise stream of D step k */
    uint64_t *noise_stream;    /* (1) = gan_rng_stream(GAN_RNG_NOISE, *noise_index) */
    uint64_t *step_stream;     /* (1) step_advance's by-product for step_dev (unused) */
    int64_t *aug_index;        /* (1) the number of the next augmentation use (see above) */
    uint64_t *aug_stream;      /* (1) = gan_rng_stream(GAN_RNG_AUGMENT, *aug_index) */
    float *aug_params;         /* (B, GAN_AUG_PARAMS) uniforms of the latest use */
    float *aug_tmp;            /* (B, image_size) between augmentation ops */
    float *aug_grad;           /* (B, image_size) G's output gradient through augmentation */
    const float *fake_out;     /* G's output of the latest D step (inside G) */
    float *sums;               /* (GAN_SUM_COUNT) loss and output sums since they were last
                                  read: real halves, fake halves, G steps */
    int32_t *labels_d;         /* (2B) labels of D's rows [real; fake] (conditional) */
    int32_t *labels_g;         /* (g rows) labels of G's training rows: the real batch's */
    int32_t *labels_gen;       /* (g rows) labels of a gan_trainer_generate_labeled forward */
    const uint8_t *pixels;     /* (count, image_size) the dataset (a device copy on a GPU) */
    const uint8_t *pixel_labels; /* (count) its labels (conditional; a device copy on a GPU) */
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

/* Create a trainer without a dataset (for tests that give a step its
 * inputs: gan_trainer_step_batch). */
gan_status gan_trainer_create_for_spec(const gan_spec *spec, const gan_train_options *opt,
                                       gan_trainer **out);

/* The real half of D's input, (B, image_size): fill it before step_batch. */
float *gan_trainer_real_rows(gan_trainer *t);

/* G's input, (B, latent): fill it before step_batch. */
float *gan_trainer_noise(gan_trainer *t);

/* Steps 1b-3 above, for d_steps = 1, on the real rows, noise and labels
 * already in place (never a graph; GAN_ERR_INVALID_ARGUMENT for d_steps >
 * 1). */
gan_status gan_trainer_step_batch(gan_trainer *t, gan_step_stats *st);

/* Step 1a for D step k (the real batch, mirrored and augmented, and the
 * noise), as gan_trainer_step runs it; for tests that look at D's input. */
void gan_trainer_step_inputs(gan_trainer *t, int k);
/* A trainer on `comm` (NULL: one process); trainer.c. */
gan_status gan_trainer_create_spec_comm(const gan_spec *spec, const gan_train_options *opt,
                                        const gan_dataset *data, gan_comm *comm,
                                        gan_trainer **out);

/* trainer_dist.c: the ranks' share of a step.
 * dist_setup: before the networks are built, this rank's slice of the
 * batch (GAN_ERR_INVALID_ARGUMENT if the batch does not split evenly, or
 * the communicator's buffers are not the backend's).
 * dist_agree: every rank has the same options, model, data size and build
 * (collective; refused naming the ranks that differ).
 * dist_slice_order: keep this rank's slice of each batch of an epoch's
 * permutation: order[p b + j] = order[p B + rank b + j] (in place).
 * dist_reduce: sum a buffer of the backend's memory over the ranks (the
 * gradients of one network; the first failure is kept in comm_status).
 * dist_reduce_host: the same for host floats (the loss sums). */
gan_status gan_trainer_dist_setup(gan_trainer *t);
gan_status gan_trainer_dist_agree(gan_trainer *t, int64_t data_count);
/* dist_same_weights: every rank holds the same weights and Adam moments
 * as rank 0, and with sync_bn the same running statistics (collective;
 * GAN_ERR_NUMERIC otherwise): checked before each checkpoint. */
gan_status gan_trainer_dist_same_weights(gan_trainer *t);
/* dist_sync_bn: with opt.sync_bn, point the batch-norm layers of G and D at
 * bn_sync (GAN_ERR_UNSUPPORTED where the backend lacks the kernels). */
gan_status gan_trainer_dist_sync_bn(gan_trainer *t);
void gan_trainer_dist_slice_order(const gan_trainer *t, uint32_t *order, size_t count);
void gan_trainer_dist_reduce(gan_trainer *t, float *buf, size_t n);
gan_status gan_trainer_dist_reduce_host(gan_trainer *t, float *buf, size_t n);

/* Set the number of steps done (resume): the host's count and the device's. */
gan_status gan_trainer_set_step(gan_trainer *t, int64_t step);

#endif
