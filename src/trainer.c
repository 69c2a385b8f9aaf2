/*
 * trainer.c - the GAN training loop: data order, noise, the discriminator
 * step and the generator step (see trainer.h for the algorithm).
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
    return GAN_OK;
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
    t->be = gan_backend_cpu();
    gan_backend_cpu_set_threads(opt->threads);
    t->batch = opt->batch_size;
    t->latent = spec->latent_dim;
    const int *img = spec->image;
    t->image_size = img[0] * img[1] * img[2];
    t->order_epoch = -1;

    int g_rows = GAN_MAX(t->batch, 64);
    GAN_TRY(gan_spec_build(spec, GAN_SPEC_GENERATOR, &t->g, g_rows, t->be));
    GAN_TRY(gan_spec_build(spec, GAN_SPEC_DISCRIMINATOR, &t->d, 2 * t->batch, t->be));
    gan_model_init(&t->g, opt->seed, 0);
    gan_model_init(&t->d, opt->seed, 1);

    gan_arena measure;
    gan_arena *a = &measure;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0) gan_arena_measure(a);
        else GAN_TRY(gan_arena_init(a = &t->arena, measure.used));
        t->targets = gan_arena_floats(a, 2 * (size_t)t->batch);
        t->dlogits = gan_arena_floats(a, 2 * (size_t)t->batch);
        t->fixed_z = gan_arena_floats(a, (size_t)GAN_MAX_GRID_SAMPLES * t->latent);
        t->grid = gan_arena_floats(a, (size_t)GAN_MAX_GRID_SAMPLES * t->image_size);
    }
    for (int i = 0; i < 2 * t->batch; i++) t->targets[i] = i < t->batch ? 1.0f : 0.0f;
    gan_rng_normal(opt->seed, gan_rng_stream(GAN_RNG_FIXED, 0), t->fixed_z,
                   (size_t)GAN_MAX_GRID_SAMPLES * t->latent);
    return GAN_OK;
}

gan_status gan_trainer_create_for_spec(const gan_spec *spec, const gan_train_options *opt,
                                       gan_trainer **out) {
    *out = NULL;
    gan_trainer *t = calloc(1, sizeof *t);
    if (!t) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate a trainer");
    gan_status s = build(t, spec, opt);
    if (s != GAN_OK) {
        gan_trainer_free(t);
        return s;
    }
    *out = t;
    return GAN_OK;
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
    gan_trainer *t;
    GAN_TRY(gan_trainer_create_for_spec(spec, opt, &t));
    int c, h, w;
    gan_dataset_shape(data, &c, &h, &w);
    const int *img = spec->image;
    int64_t count = gan_dataset_count(data);
    gan_status s = GAN_OK;
    if (c != img[0] || h != img[1] || w != img[2])
        s = gan_fail(GAN_ERR_SHAPE, "%s: images are %dx%dx%d (channels x height x width), "
                     "model '%s' needs %dx%dx%d", gan_dataset_path(data), c, h, w, spec->name,
                     img[0], img[1], img[2]);
    else if (count < t->batch)
        s = gan_fail(GAN_ERR_SHAPE, "%s: %lld images, fewer than the batch size %d",
                     gan_dataset_path(data), (long long)count, t->batch);
    else if (count > UINT32_MAX)
        s = gan_fail(GAN_ERR_SHAPE, "%s: too many images (%lld)", gan_dataset_path(data),
                     (long long)count);
    else if (!(t->order = malloc((size_t)count * sizeof *t->order)))
        s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate the data order");
    if (s != GAN_OK) {
        gan_trainer_free(t);
        return s;
    }
    t->data = data;
    t->steps_per_epoch = count / t->batch;
    *out = t;
    return GAN_OK;
}

void gan_trainer_free(gan_trainer *t) {
    if (!t) return;
    gan_model_free(&t->g);
    gan_model_free(&t->d);
    gan_arena_free(&t->arena);
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

gan_status gan_trainer_step_batch(gan_trainer *t, gan_step_stats *st) {
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
    memcpy(fake_rows, fake, (size_t)B * img * sizeof *fake);

    /* discriminator step */
    const float *logits = gan_model_forward(&t->d, t->d.acts[0], 2 * B, true);
    double p_real, p_fake;
    float scale = 1.0f / (2.0f * (float)B);
    double loss_d = be->bce_logits(t->dlogits, logits, t->targets, (size_t)B, scale, &p_real) +
                    be->bce_logits(t->dlogits + B, logits + B, t->targets + B, (size_t)B, scale,
                                   &p_fake);
    gan_model_zero_grads(&t->d);
    gan_model_backward(&t->d, t->dlogits, 2 * B, true, false);
    gan_model_adam_step(&t->d, o->lr, o->beta1, o->beta2, o->adam_eps);

    /* generator step through the updated, frozen discriminator */
    logits = gan_model_forward(&t->d, fake_rows, B, true);
    double loss_g = be->bce_logits(t->dlogits, logits, t->targets, (size_t)B, 1.0f / (float)B,
                                   NULL);
    const float *dfake = gan_model_backward(&t->d, t->dlogits, B, false, true);
    gan_model_zero_grads(&t->g);
    gan_model_backward(&t->g, dfake, B, true, false);
    gan_model_adam_step(&t->g, o->lr, o->beta1, o->beta2, o->adam_eps);

    t->step++;
    gan_step_stats *l = &t->last;
    l->step = t->step;
    l->epoch = t->steps_per_epoch ? (t->step - 1) / t->steps_per_epoch : 0;
    l->loss_d = (float)(loss_d / (2.0 * B));
    l->loss_g = (float)(loss_g / B);
    l->d_real = (float)(p_real / B);
    l->d_fake = (float)(p_fake / B);
    if (st) *st = *l;
    if (!isfinite(loss_d) || !isfinite(loss_g))
        return gan_fail(GAN_ERR_NUMERIC, "training diverged at step %lld: loss_d = %g, "
                        "loss_g = %g", (long long)t->step, loss_d / (2.0 * B), loss_g / B);
    return GAN_OK;
}

/* Put the next B real images (this epoch's order) into D's input. */
static void load_real_batch(gan_trainer *t) {
    int64_t epoch = t->step / t->steps_per_epoch;
    int64_t pos = t->step % t->steps_per_epoch;
    int64_t count = gan_dataset_count(t->data);
    if (t->order_epoch != epoch) {
        for (int64_t i = 0; i < count; i++) t->order[i] = (uint32_t)i;
        gan_rng_shuffle(t->opt.seed, gan_rng_stream(GAN_RNG_SHUFFLE, (uint64_t)epoch), t->order,
                        (size_t)count);
        t->order_epoch = epoch;
    }
    const uint8_t *pixels = gan_dataset_pixels(t->data);
    size_t img = (size_t)t->image_size;
    float *rows = t->d.acts[0];
    for (int b = 0; b < t->batch; b++) {
        const uint8_t *src = pixels + (size_t)t->order[pos * t->batch + b] * img;
        float *dst = rows + (size_t)b * img;
        for (size_t i = 0; i < img; i++) dst[i] = ((float)src[i] - 127.5f) / 127.5f;
    }
}

gan_status gan_trainer_step(gan_trainer *t, gan_step_stats *st) {
    if (!t->data) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "trainer has no dataset");
    load_real_batch(t);
    gan_rng_normal(t->opt.seed, gan_rng_stream(GAN_RNG_NOISE, (uint64_t)t->step), t->g.acts[0],
                   (size_t)t->batch * t->latent);
    return gan_trainer_step_batch(t, st);
}

gan_status gan_trainer_generate(gan_trainer *t, const float *z, int n, float *images) {
    if (n < 0) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "negative sample count %d", n);
    size_t img = (size_t)t->image_size;
    for (int start = 0; start < n; start += t->g.max_batch) {
        int rows = GAN_MIN(t->g.max_batch, n - start);
        const float *out = gan_model_forward(&t->g, z + (size_t)start * t->latent, rows, false);
        memcpy(images + (size_t)start * img, out, (size_t)rows * img * sizeof *out);
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
