/*
 * trainer.c - the GAN training loop: data order, noise, labels, the
 * discriminator steps, the generator step and the generator's moving
 * average (see trainer.h for the algorithm, loss.c for the losses), on the
 * CPU or a GPU: the same backend calls, replayed as a graph on the GPU.
 */
#include "trainer.h"
#include "augment.h"
#include "backend.h"
#include "generator.h"
#include "options.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The backend of a device (opening the GPU on first use). */
static gan_status pick_backend(const gan_train_options *o, const gan_comm *comm,
                               const gan_backend **out) {
    *out = gan_backend_cpu();
    gan_backend_cpu_set_threads(o->threads);
    if (o->device != GAN_DEVICE_CUDA) {
        if (o->precision == GAN_PRECISION_FP32 && !o->allow_tf32) return GAN_OK;
        return gan_fail(GAN_ERR_UNSUPPORTED, "precision %s needs the GPU (--device cuda): the "
                        "CPU trains in fp32 only",
                        gan_precision_names[o->precision == GAN_PRECISION_BF16 ? 2 : 1]);
    }
    /* GPU ranks: the communicator opened this rank's GPU (comm_nccl.c) */
    if (!comm || !comm->device_buffers) GAN_TRY(gan_backend_cuda_open(0));
    GAN_TRY(gan_backend_cuda_set_math(o->precision == GAN_PRECISION_BF16 ? GAN_CUDA_MATH_BF16
                                      : o->precision == GAN_PRECISION_TF32 || o->allow_tf32
                                          ? GAN_CUDA_MATH_TF32
                                          : GAN_CUDA_MATH_FP32));
    *out = gan_backend_cuda();
    return GAN_OK;
}

/* Rows of G's training batch buffers (also what sample grids generate). */
static int g_rows(const gan_trainer *t) {
    return GAN_MAX(t->batch, 64);
}

/* dlogits, the step counters, loss sums and labels, in the backend's
 * memory; on a GPU also room for the dataset, its labels and its order
 * (count images). */
static gan_status plan_device(gan_trainer *t, int64_t count) {
    const gan_backend *be = t->be;
    bool copy_data = !be->host_memory && count > 0;
    size_t B = (size_t)t->batch, rows = (size_t)g_rows(t);
    gan_arena measure, *a = &measure;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0) gan_arena_measure(a);
        else GAN_TRY(gan_arena_init_on(a = &t->dev_arena, measure.used, be));
        t->dlogits = gan_arena_floats(a, 2 * B);
        t->step_dev = gan_arena_bytes(a, sizeof *t->step_dev);
        t->noise_index = gan_arena_bytes(a, sizeof *t->noise_index);
        t->noise_stream = gan_arena_bytes(a, sizeof *t->noise_stream);
        t->step_stream = gan_arena_bytes(a, sizeof *t->step_stream);
        t->sums = gan_arena_floats(a, GAN_SUM_COUNT);
        t->labels_d = gan_arena_bytes(a, 2 * B * sizeof *t->labels_d);
        t->labels_g = gan_arena_bytes(a, rows * sizeof *t->labels_g);
        t->labels_gen = gan_arena_bytes(a, rows * sizeof *t->labels_gen);
        if (t->opt.mirror || t->opt.augment) {
            t->aug_index = gan_arena_bytes(a, sizeof *t->aug_index);
            t->aug_stream = gan_arena_bytes(a, sizeof *t->aug_stream);
            t->aug_params = gan_arena_floats(a, B * GAN_AUG_PARAMS);
        }
        if (t->opt.augment) {
            t->aug_tmp = gan_arena_floats(a, B * t->image_size);
            t->aug_grad = gan_arena_floats(a, B * t->image_size);
        }
        if (copy_data) {
            t->pixels = gan_arena_bytes(a, (size_t)count * t->image_size);
            t->order_dev = gan_arena_bytes(a, (size_t)count * sizeof *t->order_dev);
            if (t->n_classes) t->pixel_labels = gan_arena_bytes(a, (size_t)count);
        }
    }
    return gan_trainer_set_step(t, 0);
}

/* Augmentation uses per step (trainer.h): K real batches, K + 1 fake ones. */
static int64_t augment_uses_per_step(const gan_trainer *t) {
    int64_t K = t->opt.d_steps;
    return (t->opt.mirror || t->opt.augment ? K : 0) + (t->opt.augment ? K + 1 : 0);
}

gan_status gan_trainer_set_step(gan_trainer *t, int64_t step) {
    const gan_backend *be = t->be;
    t->step = step;
    t->acc_from = step;
    int64_t noise = step * t->opt.d_steps, aug = step * augment_uses_per_step(t);
    uint64_t stream = gan_rng_stream(GAN_RNG_NOISE, (uint64_t)noise);
    uint64_t aug_stream = gan_rng_stream(GAN_RNG_AUGMENT, (uint64_t)aug);
    be->copy_to_device(be->ctx, t->step_dev, &step, sizeof step);
    be->copy_to_device(be->ctx, t->noise_index, &noise, sizeof noise);
    be->copy_to_device(be->ctx, t->noise_stream, &stream, sizeof stream);
    if (t->aug_index) {
        be->copy_to_device(be->ctx, t->aug_index, &aug, sizeof aug);
        be->copy_to_device(be->ctx, t->aug_stream, &aug_stream, sizeof aug_stream);
    }
    return be->synchronize(be->ctx); /* the sources are on this stack */
}

/* m's transient area is pool's where it fits (model.h: transient_from). */
static void lend_transient(gan_model *m, const gan_model *pool) {
    m->transient_from = pool ? pool->transient : NULL;
    m->transient_from_n = pool ? pool->n_transient : 0;
}

/* (Re)build the EMA generator, which only ever samples (no training memory), in pool's
 * transient area where it fits. */
static gan_status build_ema(gan_trainer *t, const gan_spec *spec, const gan_model *pool) {
    gan_model_free(&t->g_ema);
    memset(&t->g_ema, 0, sizeof t->g_ema);
    t->g_ema.inference_only = true;
    lend_transient(&t->g_ema, pool);
    return gan_spec_build_as(spec, GAN_SPEC_GENERATOR, "generator_ema", &t->g_ema, 64, t->be);
}

/* The networks and buffers of a trainer for options already checked. */
static gan_status build(gan_trainer *t, const gan_spec *spec, const gan_train_options *opt) {
    GAN_TRY(gan_spec_copy(spec, &t->spec));
    t->opt = *opt;
    gan_train_options_resolve(&t->opt);
    t->loss = gan_loss_spec_of(opt);
    t->has_ema = opt->ema > 0.0f;
    GAN_TRY(pick_backend(opt, t->comm, &t->be));
    t->use_graph = !t->be->host_memory;
    t->batch = opt->batch_size;
    GAN_TRY(gan_trainer_dist_setup(t)); /* this rank's rows of a batch */
    t->latent = spec->latent_dim;
    t->n_classes = spec->n_classes;
    const int *img = spec->image;
    t->image_size = img[0] * img[1] * img[2];
    t->order_epoch = -1;

    /* the networks' transient areas (model.h) are one where they fit: their calls never
     * overlap; each takes the largest built before it, and the EMA generator is built
     * again in G's where G's is the larger */
    const gan_model *pool = NULL;
    if (t->has_ema) GAN_TRY(build_ema(t, spec, NULL));
    if (t->has_ema) pool = &t->g_ema;
    lend_transient(&t->g, pool);
    GAN_TRY(gan_spec_build(spec, GAN_SPEC_GENERATOR, &t->g, g_rows(t), t->be));
    if (!pool || t->g.n_transient > pool->n_transient) {
        if (pool) GAN_TRY(build_ema(t, spec, &t->g));
        pool = &t->g;
    }
    lend_transient(&t->d, pool);
    t->d.defer_output_bias = true; /* D's last bias goes with the loss (loss_terms) */
    GAN_TRY(gan_spec_build(spec, GAN_SPEC_DISCRIMINATOR, &t->d, 2 * t->batch, t->be));
    for (int i = 0; i < t->d.n_layers; i++)
        if (t->d.layers[i].ops->flags & (GAN_LAYER_BATCH_STATISTICS | GAN_LAYER_MIXES_ROWS))
            t->d_split = true;
    GAN_TRY(gan_trainer_dist_sync_bn(t));
    GAN_TRY(gan_model_init(&t->g, opt->seed, 0));
    GAN_TRY(gan_model_init(&t->d, opt->seed, 1));
    if (opt->init == GAN_INIT_DCGAN) {
        GAN_TRY(gan_model_init_dcgan(&t->g));
        GAN_TRY(gan_model_init_dcgan(&t->d));
    }
    if (t->has_ema) { /* starts as a copy of G */
        t->be->copy(t->be->ctx, t->g_ema.params, t->g.params, t->g.n_params * sizeof(float));
        t->be->copy(t->be->ctx, t->g_ema.state, t->g.state, t->g.n_state * sizeof(float));
    }

    gan_arena measure;
    gan_arena *a = &measure;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0) gan_arena_measure(a);
        else GAN_TRY(gan_arena_init(a = &t->arena, measure.used));
        t->grid_labels = gan_arena_bytes(a, GAN_MAX_GRID_SAMPLES * sizeof(int32_t));
        t->fixed_z = gan_arena_floats(a, (size_t)GAN_MAX_GRID_SAMPLES * t->latent);
        t->grid_z = gan_arena_floats(a, (size_t)GAN_MAX_GRID_SAMPLES * t->latent);
        t->grid = gan_arena_floats(a, (size_t)GAN_MAX_GRID_SAMPLES * t->image_size);
    }
    gan_rng_normal(opt->seed, gan_rng_stream(GAN_RNG_FIXED, 0), t->fixed_z,
                   (size_t)GAN_MAX_GRID_SAMPLES * t->latent);
    return GAN_OK;
}

/* A trainer with its networks and, for `count` images, room for the data. */
static gan_status create(const gan_spec *spec, const gan_train_options *opt, int64_t count,
                         gan_comm *comm, gan_trainer **out) {
    *out = NULL;
    gan_trainer *t = calloc(1, sizeof *t);
    if (!t) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate a trainer");
    t->comm = comm;
    gan_status s = build(t, spec, opt);
    if (s == GAN_OK) s = gan_trainer_dist_agree(t, count);
    if (s == GAN_OK) s = plan_device(t, count);
    if (s != GAN_OK) {
        gan_trainer_free(t);
        return s;
    }
    *out = t;
    return GAN_OK;
}

gan_status gan_trainer_create_for_spec(const gan_spec *spec, const gan_train_options *opt,
                                       gan_trainer **out) {
    *out = NULL;
    GAN_TRY(gan_train_options_check(opt));
    return create(spec, opt, 0, NULL, out);
}

/* A conditional model needs labels, each a class of the model. */
static gan_status check_labels(const gan_spec *spec, const gan_dataset *data) {
    if (!spec->n_classes) return GAN_OK;
    const uint8_t *labels = gan_dataset_labels(data);
    if (!labels)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: no labels file next to the images "
                        "(*-labels-idx1-ubyte[.gz]); model '%s' is conditional and needs a "
                        "class label per image", gan_dataset_path(data), spec->name);
    int64_t count = gan_dataset_count(data);
    for (int64_t i = 0; i < count; i++)
        if (labels[i] >= spec->n_classes)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: label %d of image %lld is out of "
                            "range for model '%s' (classes 0 to %d)",
                            gan_dataset_labels_path(data), labels[i], (long long)i, spec->name,
                            spec->n_classes - 1);
    return GAN_OK;
}

/* Put the dataset (and its labels) where the backend computes (once) and
 * note its size. */
static gan_status attach_data(gan_trainer *t, const gan_dataset *data) {
    const gan_backend *be = t->be;
    int64_t count = gan_dataset_count(data);
    t->data = data;
    t->steps_per_epoch = count / ((int64_t)t->global_batch * t->opt.d_steps);
    if (be->host_memory) {
        t->pixels = gan_dataset_pixels(data);
        t->pixel_labels = t->n_classes ? gan_dataset_labels(data) : NULL;
        t->order_dev = t->order;
        return GAN_OK;
    }
    be->copy_to_device(be->ctx, (void *)t->pixels, gan_dataset_pixels(data),
                       (size_t)count * t->image_size);
    if (t->n_classes)
        be->copy_to_device(be->ctx, (void *)t->pixel_labels, gan_dataset_labels(data), (size_t)count);
    return be->synchronize(be->ctx);
}

gan_status gan_trainer_create(const char *model, const gan_train_options *opt,
                              const gan_dataset *data, gan_trainer **out) {
    return gan_trainer_create_comm(model, opt, data, NULL, out);
}

gan_status gan_trainer_create_comm(const char *model, const gan_train_options *opt,
                                   const gan_dataset *data, gan_comm *comm, gan_trainer **out) {
    *out = NULL;
    gan_spec *spec;
    GAN_TRY(gan_spec_load_for_data(model, data, &spec)); /* presets follow the data's shape */
    gan_status s = gan_trainer_create_spec_comm(spec, opt, data, comm, out);
    gan_spec_free(spec);
    return s;
}

gan_status gan_trainer_create_spec(const gan_spec *spec, const gan_train_options *opt,
                                   const gan_dataset *data, gan_trainer **out) {
    return gan_trainer_create_spec_comm(spec, opt, data, NULL, out);
}

gan_status gan_trainer_create_spec_comm(const gan_spec *spec, const gan_train_options *opt,
                                        const gan_dataset *data, gan_comm *comm,
                                        gan_trainer **out) {
    *out = NULL;
    if (!data) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "no dataset given");
    GAN_TRY(gan_train_options_check(opt));
    int c, h, w;
    gan_dataset_shape(data, &c, &h, &w);
    int64_t count = gan_dataset_count(data);
    int64_t per_step = (int64_t)opt->batch_size * opt->d_steps;
    const int *img = spec->image;
    gan_status s = GAN_OK;
    if (c != img[0] || h != img[1] || w != img[2])
        s = gan_fail(GAN_ERR_SHAPE, "%s: images are %dx%dx%d (channels x height x width), "
                     "model '%s' needs %dx%dx%d", gan_dataset_path(data), c, h, w, spec->name,
                     img[0], img[1], img[2]);
    else if (count < opt->batch_size)
        s = gan_fail(GAN_ERR_SHAPE, "%s: %lld images, fewer than the batch size %d",
                     gan_dataset_path(data), (long long)count, opt->batch_size);
    else if (count < per_step)
        s = gan_fail(GAN_ERR_SHAPE, "%s: %lld images, fewer than one step's batch size x "
                     "d_steps = %lld", gan_dataset_path(data), (long long)count,
                     (long long)per_step);
    else if (count > UINT32_MAX)
        s = gan_fail(GAN_ERR_SHAPE, "%s: too many images (%lld)", gan_dataset_path(data),
                     (long long)count);
    else
        s = check_labels(spec, data);
    GAN_TRY(s);
    gan_trainer *t;
    GAN_TRY(create(spec, opt, count, comm, &t));
    size_t halves = t->be->host_memory ? 1 : 2; /* a GPU shuffles ahead (load_order) */
    if (!(t->order = malloc(halves * (size_t)count * sizeof *t->order)))
        s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate the data order");
    else
        s = attach_data(t, data);
    if (s != GAN_OK) {
        gan_trainer_free(t);
        return s;
    }
    *out = t;
    return GAN_OK;
}

void gan_trainer_free(gan_trainer *t) {
    if (!t) return;
    if (t->graph) t->be->graph_free(t->be->ctx, t->graph);
    gan_model_free(&t->g);
    gan_model_free(&t->d);
    gan_model_free(&t->g_ema);
    gan_arena_free(&t->arena);
    gan_arena_free(&t->dev_arena);
    gan_spec_free(t->spec);
    free(t->order);
    free(t);
}

int64_t gan_trainer_steps_per_epoch(const gan_trainer *t) {
    return t->steps_per_epoch;
}

int gan_trainer_latent_dim(const gan_trainer *t) {
    return t->latent;
}

int gan_trainer_num_classes(const gan_trainer *t) {
    return t->n_classes;
}

float *gan_trainer_real_rows(gan_trainer *t) {
    return t->d.acts[0];
}

float *gan_trainer_noise(gan_trainer *t) {
    return t->g.acts[0];
}

/* Give the fake rows (D's second half, and G) the real rows' labels. */
static void sync_labels(gan_trainer *t) {
    size_t bytes = (size_t)t->batch * sizeof(int32_t);
    t->be->copy(t->be->ctx, t->labels_d + t->batch, t->labels_d, bytes);
    t->be->copy(t->be->ctx, t->labels_g, t->labels_d, bytes);
}

/* Random layers (dropout) draw from streams numbered by the step (G: K
 * training forwards per step, D: K + 1, or 2K + 1 when split), so a resumed run draws the same.
 * (Host values: a model with dropout never runs as a graph.) */
static void set_rng_counters(gan_trainer *t) {
    uint64_t k = (uint64_t)t->opt.d_steps, s = (uint64_t)t->step;
    gan_model_set_rng_counter(&t->g, s * k);
    gan_model_set_rng_counter(&t->d, s * ((t->d_split ? 2 : 1) * k + 1));
}

/* The parameters of the next augmentation use (B images), from its stream;
 * the stream moves on to the next use's. */
static void augment_draw(gan_trainer *t) {
    const gan_backend *be = t->be;
    be->rng_uniform_dev(be->ctx, t->opt.seed, t->aug_stream, t->aug_params,
                        (size_t)t->batch * GAN_AUG_PARAMS);
    be->step_advance(be->ctx, t->aug_index, t->aug_stream, gan_rng_stream(GAN_RNG_AUGMENT, 0),
                     NULL, NULL, 0);
}

/* dst (B images) = opt.augment's ops of src with the drawn parameters, in
 * the order color, translation, cutout (dst may be src). */
static void augment_forward(gan_trainer *t, float *dst, const float *src) {
    const gan_backend *be = t->be;
    const int *img = t->spec->image;
    int B = t->batch, C = img[0], H = img[1], W = img[2], ops = t->opt.augment;
    const float *cur = src;
    if (ops & GAN_AUGMENT_COLOR) { /* in place is fine; translation needs another buffer */
        float *out = ops & GAN_AUGMENT_TRANSLATION ? t->aug_tmp : dst;
        be->augment_color_forward(be->ctx, out, cur, t->aug_params, B, C, H * W);
        cur = out;
    }
    if (ops & GAN_AUGMENT_TRANSLATION) {
        if (cur == dst) {
            be->copy(be->ctx, t->aug_tmp, dst, (size_t)B * t->image_size * sizeof *dst);
            cur = t->aug_tmp;
        }
        be->augment_translation_forward(be->ctx, dst, cur, t->aug_params, B, C, H, W);
        cur = dst;
    }
    if (ops & GAN_AUGMENT_CUTOUT) {
        be->augment_cutout(be->ctx, dst, cur, t->aug_params, B, C, H, W);
        cur = dst;
    }
    if (cur != dst) be->copy(be->ctx, dst, cur, (size_t)B * t->image_size * sizeof *dst);
}

/* The gradient at augment_forward's src from the one at its dst (dy, left
 * unchanged): the ops' transposes in reverse order, into the trainer's
 * buffers. */
static const float *augment_backward(gan_trainer *t, const float *dy) {
    const gan_backend *be = t->be;
    const int *img = t->spec->image;
    int B = t->batch, C = img[0], H = img[1], W = img[2], ops = t->opt.augment;
    const float *cur = dy;
    if (ops & GAN_AUGMENT_CUTOUT) {
        be->augment_cutout(be->ctx, t->aug_grad, cur, t->aug_params, B, C, H, W);
        cur = t->aug_grad;
    }
    if (ops & GAN_AUGMENT_TRANSLATION) {
        float *out = cur == t->aug_grad ? t->aug_tmp : t->aug_grad;
        be->augment_translation_backward(be->ctx, out, cur, t->aug_params, B, C, H, W);
        cur = out;
    }
    if (ops & GAN_AUGMENT_COLOR) {
        float *out = cur == dy ? t->aug_grad : (float *)cur;
        be->augment_color_backward(be->ctx, out, cur, t->aug_params, B, C, H * W);
        cur = out;
    }
    return cur;
}

/* The real rows of D's input (in place): mirrored and augmented. */
static void augment_real(gan_trainer *t) {
    if (!t->opt.mirror && !t->opt.augment) return;
    const int *img = t->spec->image;
    float *real = t->d.acts[0];
    augment_draw(t);
    if (t->opt.mirror)
        t->be->mirror(t->be->ctx, real, t->aug_params, t->batch, img[0], img[1], img[2]);
    if (t->opt.augment) augment_forward(t, real, real);
}

/* D's fake rows from G's output with --augment: a fresh augmentation of it
 * (without, G writes them itself: d_step). */
static void fake_rows_of(gan_trainer *t, float *fake_rows, const float *fake) {
    augment_draw(t);
    augment_forward(t, fake_rows, fake);
}

/* D's training forward of N rows read in place at x (D's input rows); its
 * outputs lack D's last bias where D defers it to the loss kernel
 * (loss_terms adds it in place: model.h, defer_output_bias). */
static float *d_forward(gan_trainer *t, const float *x, int N) {
    return (float *)gan_model_forward_at(&t->d, x, NULL, N, true);
}

/* Step 1a for D step k: the real batch (with its labels, given to the fake
 * rows and G too) and the noise, from the step counters on the device; the
 * noise stream moves on to the next D step's (after the last D step, with the
 * step counter: g_step). */
static void step_inputs(gan_trainer *t, int k) {
    const gan_backend *be = t->be;
    be->load_batch_u8(be->ctx, t->d.acts[0], t->n_classes ? t->labels_d : NULL, t->pixels,
                      t->pixel_labels, t->order_dev, t->step_dev, t->steps_per_epoch,
                      t->opt.d_steps, k, t->batch, (size_t)t->image_size);
    augment_real(t);
    if (t->n_classes) sync_labels(t);
    size_t rows = (size_t)t->batch * t->latent; /* this rank's rows of the batch's noise */
    be->rng_normal_dev(be->ctx, t->opt.seed, t->noise_stream, (size_t)t->rank * rows,
                       t->g.acts[0], rows);
    if (k + 1 < t->opt.d_steps) /* the last D step's: with the step counter (g_step) */
        be->step_advance(be->ctx, t->noise_index, t->noise_stream,
                         gan_rng_stream(GAN_RNG_NOISE, 0), NULL, NULL, 0);
}

/* One discriminator step (1b, 1c) on the real rows, noise and labels in
 * place, its loss sums accumulating in t->sums. */
static void d_step(gan_trainer *t) {
    const gan_backend *be = t->be;
    const gan_loss_spec *ls = &t->loss;
    int B = t->batch;
    size_t img = (size_t)t->image_size;

    /* fake = G(z); D's input is [real; fake]: G writes its output there, unless
     * augmentation makes D's fake rows from it */
    gan_model_set_labels(&t->g, t->n_classes ? t->labels_g : NULL);
    float *fake_rows = t->d.acts[0] + (size_t)B * img;
    const float *fake = gan_model_forward_at(&t->g, NULL, t->opt.augment ? NULL : fake_rows, B,
                                             true);
    t->fake_out = fake;
    if (t->opt.augment) fake_rows_of(t, fake_rows, fake);

    float GB = (float)t->global_batch; /* the loss is a mean over the global batch */
    float scale = ls->half ? 1.0f / (2.0f * GB) : 1.0f / GB;
    gan_model_zero_grads(&t->d);
    if (t->d_split) {
        /* D with batch norm (or another layer that mixes rows: minibatch_stddev): the
         * real batch, then the fake batch, each normalised on its own (PyTorch's DCGAN
         * recipe), as D will see the fake batch in G's step; the
         * gradients of both passes add up. The second forward reads the fake rows in
         * place, as G's step does. */
        gan_model_set_labels(&t->d, t->n_classes ? t->labels_d : NULL);
        float *logits = d_forward(t, t->d.acts[0], B);
        be->loss_terms(be->ctx, t->dlogits, logits, (size_t)B, 1, ls->real, ls->t_real,
                       t->sums + GAN_SUM_REAL, ls->real, 0.0f, NULL, scale, t->d.out_bias,
                       t->d.out_bias_grad);
        gan_model_backward(&t->d, t->dlogits, B, true, false);
        gan_model_set_labels(&t->d, t->n_classes ? t->labels_d + B : NULL);
        logits = d_forward(t, fake_rows, B);
        be->loss_terms(be->ctx, t->dlogits + B, logits, (size_t)B, 1, ls->fake, ls->t_fake,
                       t->sums + GAN_SUM_FAKE, ls->fake, 0.0f, NULL, scale, t->d.out_bias,
                       t->d.out_bias_grad);
        gan_model_backward(&t->d, t->dlogits + B, B, true, false);
    } else {
        /* no batch norm in D (nor a layer mixing rows): one pass over [real; fake]
         * gives the same values */
        gan_model_set_labels(&t->d, t->n_classes ? t->labels_d : NULL);
        float *logits = d_forward(t, t->d.acts[0], 2 * B);
        be->loss_terms(be->ctx, t->dlogits, logits, (size_t)B, 2, ls->real, ls->t_real,
                       t->sums + GAN_SUM_REAL, ls->fake, ls->t_fake, t->sums + GAN_SUM_FAKE,
                       scale, t->d.out_bias, t->d.out_bias_grad);
        gan_model_backward(&t->d, t->dlogits, 2 * B, true, false);
    }
    gan_trainer_dist_reduce(t, t->d.grads, t->d.n_params); /* the ranks' gradients summed */
    gan_model_adam_step(&t->d, t->opt.lr_d, t->opt.beta1, t->opt.beta2, t->opt.adam_eps);
    if (t->opt.loss == GAN_LOSS_WASSERSTEIN)
        be->clamp(be->ctx, t->d.params, t->d.n_params, -t->opt.clip, t->opt.clip);
}

/* Steps 2 and 3: the generator step through the updated, frozen
 * discriminator on the last D step's fake rows, then the moving average;
 * then the device's step counter and the noise stream move on (one launch). */
static void g_step(gan_trainer *t) {
    const gan_backend *be = t->be;
    int B = t->batch;
    float *fake_rows = t->d.acts[0] + (size_t)B * t->image_size;
    if (t->opt.augment) fake_rows_of(t, fake_rows, t->fake_out); /* new parameters */
    gan_model_set_labels(&t->d, t->n_classes ? t->labels_d + B : NULL);
    float *logits = d_forward(t, fake_rows, B);
    be->loss_terms(be->ctx, t->dlogits, logits, (size_t)B, 1, t->loss.gen, t->loss.t_gen,
                   t->sums + GAN_SUM_GEN, t->loss.gen, 0.0f, NULL, 1.0f / (float)t->global_batch,
                   t->d.out_bias, NULL);
    const float *dfake = gan_model_backward(&t->d, t->dlogits, B, false, true);
    if (t->opt.augment) dfake = augment_backward(t, dfake);
    gan_model_zero_grads(&t->g);
    gan_model_backward(&t->g, dfake, B, true, false);
    gan_trainer_dist_reduce(t, t->g.grads, t->g.n_params);
    gan_model_adam_step(&t->g, t->opt.lr_g, t->opt.beta1, t->opt.beta2, t->opt.adam_eps);
    if (t->has_ema) { /* with warm-up, the decay of G step *step_dev + 1 (src/ema.h) */
        const int64_t *done = t->opt.ema_warmup ? t->step_dev : NULL;
        be->ema_update(be->ctx, t->g_ema.params, t->g.params, t->g.n_params, t->opt.ema, done);
        be->ema_update(be->ctx, t->g_ema.state, t->g.state, t->g.n_state, t->opt.ema, done);
    }
    be->step_advance(be->ctx, t->step_dev, t->step_stream, gan_rng_stream(GAN_RNG_NOISE, 0),
                     t->noise_index, t->noise_stream, gan_rng_stream(GAN_RNG_NOISE, 0));
}

void gan_trainer_step_inputs(gan_trainer *t, int k) {
    step_inputs(t, k);
}

/* A whole iteration as backend calls: K times (inputs, D step), then G. */
static void step_core(gan_trainer *t) {
    set_rng_counters(t);
    for (int k = 0; k < t->opt.d_steps; k++) {
        step_inputs(t, k);
        d_step(t);
    }
    g_step(t);
}

/* The means over `steps` steps of loss_d, loss_g, d_real and d_fake from the
 * loss sums (trainer.h, GAN_SUM_*): D's over K B rows of each half, G's over B. */
static void means_of_sums(const gan_trainer *t, const float *sums, int64_t steps, double m[4]) {
    double B = (double)t->global_batch * (double)steps, KB = B * t->opt.d_steps;
    double d_weight = t->loss.half ? 0.5 : 1.0;
    m[0] = d_weight * ((double)sums[GAN_SUM_REAL] + sums[GAN_SUM_FAKE]) / KB;
    m[1] = (double)sums[GAN_SUM_GEN] / B;
    m[2] = (double)sums[GAN_SUM_REAL + 1] / KB;
    m[3] = (double)sums[GAN_SUM_FAKE + 1] / KB;
}

/* The host's side of a finished (or queued) step: counts, and on the CPU
 * the step's statistics from the sums, which then restart. */
static gan_status step_finish(gan_trainer *t, gan_step_stats *st) {
    t->step++;
    gan_step_stats *l = &t->last;
    l->step = t->step;
    l->epoch = t->steps_per_epoch ? (t->step - 1) / t->steps_per_epoch : 0;
    gan_status s = GAN_OK;
    if (t->comm_status != GAN_OK) { /* a reduction failed: the ranks no longer agree */
        s = t->comm_status;
        t->comm_status = GAN_OK;
        return s;
    }
    if (t->be->host_memory) {
        float *sums = t->sums;
        GAN_TRY(gan_trainer_dist_reduce_host(t, sums, GAN_SUM_COUNT)); /* over every rank */
        double m[4];
        means_of_sums(t, sums, 1, m);
        double loss_d = m[0], loss_g = m[1];
        l->loss_d = (float)loss_d;
        l->loss_g = (float)loss_g;
        l->d_real = (float)m[2];
        l->d_fake = (float)m[3];
        for (int i = 0; i < GAN_SUM_COUNT; i++) sums[i] = 0.0f;
        t->acc[0] += l->loss_d, t->acc[1] += l->loss_g;
        t->acc[2] += l->d_real, t->acc[3] += l->d_fake;
        if (!isfinite(loss_d) || !isfinite(loss_g))
            s = gan_fail(GAN_ERR_NUMERIC, "training diverged at step %lld: loss_d = %g, "
                         "loss_g = %g", (long long)t->step, loss_d, loss_g);
    } else { /* the losses stay on the device: report the last ones taken */
        l->loss_d = t->taken.loss_d, l->loss_g = t->taken.loss_g;
        l->d_real = t->taken.d_real, l->d_fake = t->taken.d_fake;
    }
    if (st) *st = *l;
    return s;
}

gan_status gan_trainer_step_batch(gan_trainer *t, gan_step_stats *st) {
    if (t->opt.d_steps != 1)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "gan_trainer_step_batch: runs one D step "
                        "(d_steps is %d)", t->opt.d_steps);
    set_rng_counters(t);
    augment_real(t);
    d_step(t);
    g_step(t); /* moves the noise stream on with the step, as after step_inputs */
    return step_finish(t, st);
}

/* This epoch's data order, shuffled on the host at the first step of an
 * epoch (and after a resume). On a GPU the host shuffles into the half of
 * `order` that the previous epoch did not use while the queued steps run,
 * then waits for them (the last upload's source may then change) and
 * uploads it. */
static gan_status load_order(gan_trainer *t) {
    const gan_backend *be = t->be;
    int64_t epoch = t->step / t->steps_per_epoch;
    if (t->order_epoch == epoch) return GAN_OK;
    size_t count = (size_t)gan_dataset_count(t->data);
    uint32_t *order = t->order + (be->host_memory ? 0 : (size_t)(epoch & 1) * count);
    for (size_t i = 0; i < count; i++) order[i] = (uint32_t)i;
    gan_rng_shuffle(t->opt.seed, gan_rng_stream(GAN_RNG_SHUFFLE, (uint64_t)epoch), order, count);
    gan_trainer_dist_slice_order(t, order, count); /* this rank's rows of each batch */
    t->order_epoch = epoch;
    if (!be->host_memory) {
        GAN_TRY(be->synchronize(be->ctx));
        be->copy_to_device(be->ctx, t->order_dev, order, count * sizeof *order);
    }
    return GAN_OK;
}

/* Capture one whole step (inputs, all updates, counters) as a graph. The
 * capture records without running; the caller replays it. */
static gan_status capture_step(gan_trainer *t) {
    const gan_backend *be = t->be;
    int64_t g0 = t->g.adam_t, d0 = t->d.adam_t;
    GAN_TRY(be->graph_begin(be->ctx));
    step_core(t);
    GAN_TRY(be->graph_end(be->ctx, &t->graph));
    t->graph_adam_steps[0] = t->g.adam_t - g0;
    t->graph_adam_steps[1] = t->d.adam_t - d0;
    t->g.adam_t = g0, t->d.adam_t = d0; /* counted again at each replay */
    return GAN_OK;
}

gan_status gan_trainer_step(gan_trainer *t, gan_step_stats *st) {
    if (!t->data) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "trainer has no dataset");
    GAN_TRY(load_order(t));
    /* the first step runs directly (cuBLAS loads its kernels), later ones
     * replay a graph of it, unless a layer takes per-step host values */
    bool replay = t->use_graph && gan_model_replayable(&t->g) && gan_model_replayable(&t->d);
    if (replay && !t->graph && t->warmed_up) GAN_TRY(capture_step(t));
    if (replay && t->graph) {
        GAN_TRY(t->be->graph_replay(t->be->ctx, t->graph));
        t->g.adam_t += t->graph_adam_steps[0];
        t->d.adam_t += t->graph_adam_steps[1];
        return step_finish(t, st);
    }
    step_core(t);
    t->warmed_up = true;
    return step_finish(t, st);
}

gan_status gan_trainer_take_stats(gan_trainer *t, gan_step_stats *mean) {
    int64_t n = t->step - t->acc_from;
    gan_step_stats m = t->taken;
    m.step = t->step;
    m.epoch = t->steps_per_epoch && t->step ? (t->step - 1) / t->steps_per_epoch : 0;
    if (n > 0) {
        double loss_d, loss_g, d_real, d_fake;
        if (t->be->host_memory) {
            loss_d = t->acc[0] / n, loss_g = t->acc[1] / n;
            d_real = t->acc[2] / n, d_fake = t->acc[3] / n;
        } else {
            float sums[GAN_SUM_COUNT];
            GAN_TRY(t->be->copy_to_host(t->be->ctx, sums, t->sums, sizeof sums));
            t->be->mem_set(t->be->ctx, t->sums, 0, sizeof sums);
            GAN_TRY(gan_trainer_dist_reduce_host(t, sums, GAN_SUM_COUNT));
            double means[4];
            means_of_sums(t, sums, n, means);
            loss_d = means[0], loss_g = means[1], d_real = means[2], d_fake = means[3];
        }
        m.loss_d = (float)loss_d, m.loss_g = (float)loss_g;
        m.d_real = (float)d_real, m.d_fake = (float)d_fake;
        memset(t->acc, 0, sizeof t->acc);
        int64_t from = t->acc_from;
        t->acc_from = t->step;
        t->taken = m;
        if (!isfinite(loss_d) || !isfinite(loss_g))
            return gan_fail(GAN_ERR_NUMERIC, "training diverged between steps %lld and %lld: "
                            "mean loss_d = %g, loss_g = %g", (long long)from + 1,
                            (long long)t->step, loss_d, loss_g);
        if (!t->be->host_memory) t->last = m;
    }
    if (mean) *mean = m;
    return GAN_OK;
}

gan_status gan_trainer_generate_labeled(gan_trainer *t, const float *z, const int32_t *labels,
                                        int n, float *images) {
    return gan_generate_with(t->has_ema ? &t->g_ema : &t->g, t->spec, t->labels_gen, z, labels,
                             n, images);
}

gan_status gan_trainer_generate(gan_trainer *t, const float *z, int n, float *images) {
    return gan_trainer_generate_labeled(t, z, NULL, n, images);
}

gan_status gan_trainer_write_samples_png(gan_trainer *t, int rows, const char *path) {
    return gan_trainer_write_samples_png_scaled(t, rows, 1, path);
}

gan_status gan_trainer_write_samples_png_scaled(gan_trainer *t, int rows, int scale,
                                                const char *path) {
    int n_rows = t->n_classes ? t->n_classes : rows;
    if (rows < 1 || n_rows * rows > GAN_MAX_GRID_SAMPLES)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "sample grid of %d x %d images: must be 1 to "
                        "%d images", n_rows, rows, GAN_MAX_GRID_SAMPLES);
    int n = n_rows * rows;
    const int *img = t->spec->image;
    if (!t->n_classes) {
        GAN_TRY(gan_trainer_generate(t, t->fixed_z, n, t->grid));
        return gan_write_png_grid_scaled(path, t->grid, n, img[0], img[1], img[2], rows, scale);
    }
    /* one row per class; column j uses fixed noise vector j in every row */
    size_t latent = (size_t)t->latent;
    for (int i = 0; i < n; i++) {
        memcpy(t->grid_z + (size_t)i * latent, t->fixed_z + (size_t)(i % rows) * latent,
               latent * sizeof *t->grid_z);
        t->grid_labels[i] = i / rows;
    }
    GAN_TRY(gan_trainer_generate_labeled(t, t->grid_z, t->grid_labels, n, t->grid));
    return gan_write_png_grid_scaled(path, t->grid, n, img[0], img[1], img[2], rows, scale);
}
