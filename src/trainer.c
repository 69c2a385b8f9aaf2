/*
 * trainer.c - the GAN training loop: data order, noise, the discriminator
 * step and the generator step (see trainer.h for the algorithm), on the CPU
 * or a GPU: the same backend calls, replayed as a graph on the GPU.
 */
#include "trainer.h"
#include "backend.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void gan_train_options_default(gan_train_options *opt) {
    *opt = (gan_train_options){
        .batch_size = 64,
        .lr = 2e-4f,
        .beta1 = 0.5f,
        .beta2 = 0.999f,
        .adam_eps = 1e-7f,
        .seed = 1,
        .threads = 0,
        .epochs = 10,
        .max_steps = 0,
        .device = GAN_DEVICE_CPU,
        .allow_tf32 = 0,
    };
}

static gan_status check_options(const gan_train_options *o) {
    if (o->batch_size < 1 || o->batch_size > 65536)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--batch-size: %d is out of range [1, 65536]",
                        o->batch_size);
    if (!(o->lr > 0.0f && o->lr < 1.0f))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--lr: %g is out of range (0, 1)", o->lr);
    if (!(o->beta1 >= 0.0f && o->beta1 < 1.0f))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--beta1: %g is out of range [0, 1)", o->beta1);
    if (!(o->beta2 >= 0.0f && o->beta2 < 1.0f))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--beta2: %g is out of range [0, 1)", o->beta2);
    if (!(o->adam_eps > 0.0f && o->adam_eps < 1.0f))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--adam-eps: %g is out of range (0, 1)",
                        o->adam_eps);
    if (o->epochs < 1)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--epochs: %d must be at least 1", o->epochs);
    if (o->max_steps < 0)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--steps: %lld must not be negative",
                        (long long)o->max_steps);
    if (o->threads < 0 || o->threads > 1024)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--threads: %d is out of range [0, 1024]",
                        o->threads);
    if (o->device != GAN_DEVICE_CPU && o->device != GAN_DEVICE_CUDA)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--device: unknown device %d", o->device);
    return GAN_OK;
}

/* The backend of a device (opening the GPU on first use). */
static gan_status pick_backend(const gan_train_options *o, const gan_backend **out) {
    *out = gan_backend_cpu();
    gan_backend_cpu_set_threads(o->threads);
    if (o->device != GAN_DEVICE_CUDA) return GAN_OK;
    GAN_TRY(gan_backend_cuda_open(0));
    GAN_TRY(gan_backend_cuda_set_math(o->allow_tf32 ? GAN_CUDA_MATH_TF32 : GAN_CUDA_MATH_FP32));
    *out = gan_backend_cuda();
    return GAN_OK;
}

/* targets, dlogits, the step counters and loss sums, in the backend's
 * memory; on a GPU also room for the dataset and its order (count images). */
static gan_status plan_device(gan_trainer *t, int64_t count) {
    const gan_backend *be = t->be;
    bool copy_data = !be->host_memory && count > 0;
    gan_arena measure, *a = &measure;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0) gan_arena_measure(a);
        else GAN_TRY(gan_arena_init_on(a = &t->dev_arena, measure.used, be));
        t->targets = gan_arena_floats(a, 2 * (size_t)t->batch);
        t->dlogits = gan_arena_floats(a, 2 * (size_t)t->batch);
        t->step_dev = gan_arena_bytes(a, sizeof *t->step_dev);
        t->noise_stream = gan_arena_bytes(a, sizeof *t->noise_stream);
        t->sums = gan_arena_floats(a, 6);
        if (copy_data) {
            t->pixels = gan_arena_bytes(a, (size_t)count * t->image_size);
            t->order_dev = gan_arena_bytes(a, (size_t)count * sizeof *t->order_dev);
        }
    }
    float *ones = malloc(2 * (size_t)t->batch * sizeof *ones);
    if (!ones) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate the targets");
    for (int i = 0; i < 2 * t->batch; i++) ones[i] = i < t->batch ? 1.0f : 0.0f;
    be->copy_to_device(t->targets, ones, 2 * (size_t)t->batch * sizeof *ones);
    gan_status s = be->synchronize();
    free(ones);
    GAN_TRY(s);
    return gan_trainer_set_step(t, 0);
}

gan_status gan_trainer_set_step(gan_trainer *t, int64_t step) {
    const gan_backend *be = t->be;
    t->step = step;
    t->acc_from = step;
    uint64_t stream = gan_rng_stream(GAN_RNG_NOISE, (uint64_t)step);
    be->copy_to_device(t->step_dev, &step, sizeof step);
    be->copy_to_device(t->noise_stream, &stream, sizeof stream);
    return be->synchronize(); /* the sources are on this stack */
}

static gan_status build(gan_trainer *t, const gan_spec *spec, const gan_train_options *opt) {
    GAN_TRY(check_options(opt));
    /* conditional training (labels fed to the label layers) is not here yet */
    if (spec->n_classes > 0)
        return gan_fail(GAN_ERR_UNSUPPORTED, "%s: model '%s' is conditional (classes %d); "
                        "this trainer trains unconditional models only", spec->origin,
                        spec->name, spec->n_classes);
    GAN_TRY(gan_spec_copy(spec, &t->spec));
    t->opt = *opt;
    GAN_TRY(pick_backend(opt, &t->be));
    t->use_graph = !t->be->host_memory;
    t->batch = opt->batch_size;
    t->latent = spec->latent_dim;
    const int *img = spec->image;
    t->image_size = img[0] * img[1] * img[2];
    t->order_epoch = -1;

    int g_rows = GAN_MAX(t->batch, 64);
    GAN_TRY(gan_spec_build(spec, GAN_SPEC_GENERATOR, &t->g, g_rows, t->be));
    GAN_TRY(gan_spec_build(spec, GAN_SPEC_DISCRIMINATOR, &t->d, 2 * t->batch, t->be));
    GAN_TRY(gan_model_init(&t->g, opt->seed, 0));
    GAN_TRY(gan_model_init(&t->d, opt->seed, 1));

    gan_arena measure;
    gan_arena *a = &measure;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0) gan_arena_measure(a);
        else GAN_TRY(gan_arena_init(a = &t->arena, measure.used));
        t->fixed_z = gan_arena_floats(a, (size_t)GAN_MAX_GRID_SAMPLES * t->latent);
        t->grid = gan_arena_floats(a, (size_t)GAN_MAX_GRID_SAMPLES * t->image_size);
    }
    gan_rng_normal(opt->seed, gan_rng_stream(GAN_RNG_FIXED, 0), t->fixed_z,
                   (size_t)GAN_MAX_GRID_SAMPLES * t->latent);
    return GAN_OK;
}

/* A trainer with its networks and, for `count` images, room for the data. */
static gan_status create(const gan_spec *spec, const gan_train_options *opt, int64_t count,
                         gan_trainer **out) {
    *out = NULL;
    gan_trainer *t = calloc(1, sizeof *t);
    if (!t) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate a trainer");
    gan_status s = build(t, spec, opt);
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
    return create(spec, opt, 0, out);
}

gan_status gan_trainer_create_for_shape(const char *model, const gan_train_options *opt,
                                        gan_trainer **out) {
    *out = NULL;
    gan_spec *spec;
    GAN_TRY(gan_spec_load(model, &spec));
    gan_status s = gan_trainer_create_for_spec(spec, opt, out);
    gan_spec_free(spec);
    return s;
}

/* Put the dataset where the backend computes (once) and note its size. */
static gan_status attach_data(gan_trainer *t, const gan_dataset *data) {
    const gan_backend *be = t->be;
    int64_t count = gan_dataset_count(data);
    t->data = data;
    t->steps_per_epoch = count / t->batch;
    if (be->host_memory) {
        t->pixels = gan_dataset_pixels(data);
        t->order_dev = t->order;
        return GAN_OK;
    }
    be->copy_to_device((void *)t->pixels, gan_dataset_pixels(data),
                       (size_t)count * t->image_size);
    return be->synchronize();
}

gan_status gan_trainer_create(const char *model, const gan_train_options *opt,
                              const gan_dataset *data, gan_trainer **out) {
    *out = NULL;
    gan_spec *spec;
    GAN_TRY(gan_spec_load(model, &spec));
    gan_status s = gan_trainer_create_spec(spec, opt, data, out);
    gan_spec_free(spec);
    return s;
}

gan_status gan_trainer_create_spec(const gan_spec *spec, const gan_train_options *opt,
                                   const gan_dataset *data, gan_trainer **out) {
    *out = NULL;
    if (!data) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "no dataset given");
    GAN_TRY(check_options(opt));
    int c, h, w;
    gan_dataset_shape(data, &c, &h, &w);
    int64_t count = gan_dataset_count(data);
    const int *img = spec->image;
    gan_status s = GAN_OK;
    if (c != img[0] || h != img[1] || w != img[2])
        s = gan_fail(GAN_ERR_SHAPE, "%s: images are %dx%dx%d (channels x height x width), "
                     "model '%s' needs %dx%dx%d", gan_dataset_path(data), c, h, w, spec->name,
                     img[0], img[1], img[2]);
    else if (count < opt->batch_size)
        s = gan_fail(GAN_ERR_SHAPE, "%s: %lld images, fewer than the batch size %d",
                     gan_dataset_path(data), (long long)count, opt->batch_size);
    else if (count > UINT32_MAX)
        s = gan_fail(GAN_ERR_SHAPE, "%s: too many images (%lld)", gan_dataset_path(data),
                     (long long)count);
    GAN_TRY(s);
    gan_trainer *t;
    GAN_TRY(create(spec, opt, count, &t));
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
    if (t->graph) t->be->graph_free(t->graph);
    gan_model_free(&t->g);
    gan_model_free(&t->d);
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

float *gan_trainer_real_rows(gan_trainer *t) {
    return t->d.acts[0];
}

float *gan_trainer_noise(gan_trainer *t) {
    return t->g.acts[0];
}

/* Steps 2-4 (trainer.h) as backend calls, the loss sums accumulating in
 * t->sums; then the device's step counter and noise stream move on. */
static void step_core(gan_trainer *t) {
    const gan_backend *be = t->be;
    int B = t->batch;
    size_t img = (size_t)t->image_size;
    const gan_train_options *o = &t->opt;

    /* random layers (dropout) draw from streams numbered by the step: G's one
     * training forward per step, D's two, so a resumed run draws the same */
    gan_model_set_rng_counter(&t->g, (uint64_t)t->step);
    gan_model_set_rng_counter(&t->d, 2 * (uint64_t)t->step);

    /* fake = G(z); D's input is [real; fake] */
    const float *fake = gan_model_forward(&t->g, t->g.acts[0], B, true);
    float *fake_rows = t->d.acts[0] + (size_t)B * img;
    be->copy(fake_rows, fake, (size_t)B * img * sizeof *fake);

    /* discriminator step */
    const float *logits = gan_model_forward(&t->d, t->d.acts[0], 2 * B, true);
    float scale = 1.0f / (2.0f * (float)B);
    be->bce_logits_acc(t->dlogits, logits, t->targets, (size_t)B, scale, t->sums);
    be->bce_logits_acc(t->dlogits + B, logits + B, t->targets + B, (size_t)B, scale, t->sums + 2);
    gan_model_zero_grads(&t->d);
    gan_model_backward(&t->d, t->dlogits, 2 * B, true, false);
    gan_model_adam_step(&t->d, o->lr, o->beta1, o->beta2, o->adam_eps);

    /* generator step through the updated, frozen discriminator */
    logits = gan_model_forward(&t->d, fake_rows, B, true);
    be->bce_logits_acc(t->dlogits, logits, t->targets, (size_t)B, 1.0f / (float)B, t->sums + 4);
    const float *dfake = gan_model_backward(&t->d, t->dlogits, B, false, true);
    gan_model_zero_grads(&t->g);
    gan_model_backward(&t->g, dfake, B, true, false);
    gan_model_adam_step(&t->g, o->lr, o->beta1, o->beta2, o->adam_eps);

    be->step_advance(t->step_dev, t->noise_stream, gan_rng_stream(GAN_RNG_NOISE, 0));
}

/* Step 1: this step's real images (data order on the device) and noise. */
static void step_inputs(gan_trainer *t) {
    const gan_backend *be = t->be;
    be->load_batch_u8(t->d.acts[0], t->pixels, t->order_dev, t->step_dev, t->steps_per_epoch,
                      t->batch, (size_t)t->image_size);
    be->rng_normal_dev(t->opt.seed, t->noise_stream, t->g.acts[0],
                       (size_t)t->batch * t->latent);
}

/* The host's side of a finished (or queued) step: counts, and on the CPU
 * the step's statistics from the sums, which then restart. */
static gan_status step_finish(gan_trainer *t, gan_step_stats *st) {
    int B = t->batch;
    t->step++;
    gan_step_stats *l = &t->last;
    l->step = t->step;
    l->epoch = t->steps_per_epoch ? (t->step - 1) / t->steps_per_epoch : 0;
    gan_status s = GAN_OK;
    if (t->be->host_memory) {
        float *sums = t->sums;
        double loss_d = (double)sums[0] + sums[2], loss_g = sums[4];
        l->loss_d = (float)(loss_d / (2.0 * B));
        l->loss_g = (float)(loss_g / B);
        l->d_real = (float)(sums[1] / B);
        l->d_fake = (float)(sums[3] / B);
        for (int i = 0; i < 6; i++) sums[i] = 0.0f;
        t->acc[0] += l->loss_d, t->acc[1] += l->loss_g;
        t->acc[2] += l->d_real, t->acc[3] += l->d_fake;
        if (!isfinite(loss_d) || !isfinite(loss_g))
            s = gan_fail(GAN_ERR_NUMERIC, "training diverged at step %lld: loss_d = %g, "
                         "loss_g = %g", (long long)t->step, loss_d / (2.0 * B), loss_g / B);
    } else { /* the losses stay on the device: report the last ones taken */
        l->loss_d = t->taken.loss_d, l->loss_g = t->taken.loss_g;
        l->d_real = t->taken.d_real, l->d_fake = t->taken.d_fake;
    }
    if (st) *st = *l;
    return s;
}

gan_status gan_trainer_step_batch(gan_trainer *t, gan_step_stats *st) {
    step_core(t);
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
    t->order_epoch = epoch;
    if (!be->host_memory) {
        GAN_TRY(be->synchronize());
        be->copy_to_device(t->order_dev, order, count * sizeof *order);
    }
    return GAN_OK;
}

/* Capture one whole step (inputs, both updates, counters) as a graph. The
 * capture records without running; the caller replays it. */
static gan_status capture_step(gan_trainer *t) {
    const gan_backend *be = t->be;
    int64_t g0 = t->g.adam_t, d0 = t->d.adam_t;
    GAN_TRY(be->graph_begin());
    step_inputs(t);
    step_core(t);
    GAN_TRY(be->graph_end(&t->graph));
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
        GAN_TRY(t->be->graph_replay(t->graph));
        t->g.adam_t += t->graph_adam_steps[0];
        t->d.adam_t += t->graph_adam_steps[1];
        return step_finish(t, st);
    }
    step_inputs(t);
    t->warmed_up = true;
    return gan_trainer_step_batch(t, st);
}

gan_status gan_trainer_take_stats(gan_trainer *t, gan_step_stats *mean) {
    int64_t n = t->step - t->acc_from;
    gan_step_stats m = t->taken;
    m.step = t->step;
    m.epoch = t->steps_per_epoch && t->step ? (t->step - 1) / t->steps_per_epoch : 0;
    if (n > 0) {
        int B = t->batch;
        double loss_d, loss_g, d_real, d_fake;
        if (t->be->host_memory) {
            loss_d = t->acc[0] / n, loss_g = t->acc[1] / n;
            d_real = t->acc[2] / n, d_fake = t->acc[3] / n;
        } else {
            float sums[6];
            GAN_TRY(t->be->copy_to_host(sums, t->sums, sizeof sums));
            t->be->mem_set(t->sums, 0, sizeof sums);
            loss_d = ((double)sums[0] + sums[2]) / (2.0 * B * n);
            loss_g = (double)sums[4] / ((double)B * n);
            d_real = (double)sums[1] / ((double)B * n);
            d_fake = (double)sums[3] / ((double)B * n);
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

gan_status gan_trainer_generate(gan_trainer *t, const float *z, int n, float *images) {
    if (n < 0) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "negative sample count %d", n);
    const gan_backend *be = t->be;
    size_t img = (size_t)t->image_size, latent = (size_t)t->latent;
    for (int start = 0; start < n; start += t->g.max_batch) {
        int rows = GAN_MIN(t->g.max_batch, n - start);
        be->copy_to_device(t->g.acts[0], z + (size_t)start * latent, rows * latent * sizeof *z);
        const float *out = gan_model_forward(&t->g, t->g.acts[0], rows, false);
        GAN_TRY(be->copy_to_host(images + (size_t)start * img, out, rows * img * sizeof *out));
    }
    return GAN_OK;
}

gan_status gan_trainer_write_samples_png(gan_trainer *t, int rows, const char *path) {
    if (rows < 1 || rows * rows > GAN_MAX_GRID_SAMPLES)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "sample grid of %d rows: must be 1 to 16", rows);
    int n = rows * rows;
    GAN_TRY(gan_trainer_generate(t, t->fixed_z, n, t->grid));
    const int *img = t->spec->image;
    return gan_write_png_grid(path, t->grid, n, img[0], img[1], img[2], rows);
}
