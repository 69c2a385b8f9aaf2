/*
 * trainer.c - the GAN training loop: data order, noise, labels, the
 * discriminator steps, the generator step and the generator's moving
 * average (see trainer.h for the algorithm, loss.c for the losses).
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
        .loss = GAN_LOSS_NONSATURATING,
        .clip = 0.01f,
        .lr_g = 0.0f,
        .lr_d = 0.0f,
        .d_steps = 1,
        .label_smoothing = 0.0f,
        .ema = 0.0f,
    };
}

static gan_status check_rate(const char *flag, float lr) {
    if (!(lr > 0.0f && lr < 1.0f))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: %g is out of range (0, 1)", flag, lr);
    return GAN_OK;
}

static gan_status check_options(const gan_train_options *o) {
    if (o->batch_size < 1 || o->batch_size > 65536)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--batch-size: %d is out of range [1, 65536]",
                        o->batch_size);
    GAN_TRY(check_rate("--lr", o->lr));
    if (o->lr_g != 0.0f) GAN_TRY(check_rate("--lr-g", o->lr_g));
    if (o->lr_d != 0.0f) GAN_TRY(check_rate("--lr-d", o->lr_d));
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
    if (!gan_loss_name(o->loss))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--loss: unknown loss number %d", (int)o->loss);
    if (!(o->clip > 0.0f && o->clip <= 100.0f))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--clip: %g is out of range (0, 100]", o->clip);
    if (o->d_steps < 1 || o->d_steps > 100)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--d-steps: %d is out of range [1, 100]",
                        o->d_steps);
    if (!(o->label_smoothing >= 0.0f && o->label_smoothing < 0.5f))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--label-smoothing: %g is out of range "
                        "[0, 0.5)", o->label_smoothing);
    if (o->label_smoothing > 0.0f && o->loss != GAN_LOSS_NONSATURATING &&
        o->loss != GAN_LOSS_MINIMAX)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--label-smoothing: applies to the "
                        "cross-entropy losses (non-saturating, minimax), not to --loss %s",
                        gan_loss_name(o->loss));
    if (!(o->ema == 0.0f || (o->ema > 0.0f && o->ema < 1.0f)))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--ema: %g is out of range (0, 1) (0 = no "
                        "moving average)", o->ema);
    return GAN_OK;
}

static gan_status build(gan_trainer *t, const char *preset_name, const gan_train_options *opt) {
    GAN_TRY(check_options(opt));
    t->preset = gan_preset_find(preset_name);
    if (!t->preset) return GAN_ERR_INVALID_ARGUMENT;
    t->opt = *opt;
    if (t->opt.lr_g == 0.0f) t->opt.lr_g = opt->lr;
    if (t->opt.lr_d == 0.0f) t->opt.lr_d = opt->lr;
    t->loss = gan_loss_spec_of(opt);
    t->has_ema = opt->ema > 0.0f;
    t->be = gan_backend_cpu();
    gan_backend_cpu_set_threads(opt->threads);
    t->batch = opt->batch_size;
    t->latent = t->preset->latent_dim;
    t->n_classes = t->preset->n_classes;
    const int *img = t->preset->image;
    t->image_size = img[0] * img[1] * img[2];
    t->order_epoch = -1;

    GAN_TRY(t->preset->build_generator(&t->g));
    GAN_TRY(t->preset->build_discriminator(&t->d));
    int g_rows = GAN_MAX(t->batch, 64);
    GAN_TRY(gan_model_build(&t->g, "generator", t->latent, 1, 1, g_rows, t->be));
    GAN_TRY(gan_model_build(&t->d, "discriminator", img[0], img[1], img[2], 2 * t->batch, t->be));
    if (t->g.out_size != t->image_size || t->d.out_size != 1)
        return gan_fail(GAN_ERR_SHAPE, "model '%s': generator makes %d values per image, "
                        "discriminator expects %d and gives %d outputs (expected 1)",
                        preset_name, t->g.out_size, t->image_size, t->d.out_size);
    gan_model_init(&t->g, opt->seed, 0);
    gan_model_init(&t->d, opt->seed, 1);
    if (t->has_ema) { /* starts as a copy of G */
        GAN_TRY(t->preset->build_generator(&t->g_ema));
        GAN_TRY(gan_model_build(&t->g_ema, "generator_ema", t->latent, 1, 1, 64, t->be));
        t->be->copy(t->g_ema.params, t->g.params, t->g.n_params * sizeof(float));
        t->be->copy(t->g_ema.state, t->g.state, t->g.n_state * sizeof(float));
    }

    gan_arena measure;
    gan_arena *a = &measure;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0) gan_arena_measure(a);
        else GAN_TRY(gan_arena_init(a = &t->arena, measure.used));
        t->dlogits = gan_arena_floats(a, 2 * (size_t)t->batch);
        t->sums = gan_arena_floats(a, GAN_SUM_COUNT);
        t->labels_d = gan_arena_bytes(a, 2 * (size_t)t->batch * sizeof(int32_t));
        t->labels_g = gan_arena_bytes(a, (size_t)g_rows * sizeof(int32_t));
        t->grid_labels = gan_arena_bytes(a, GAN_MAX_GRID_SAMPLES * sizeof(int32_t));
        t->fixed_z = gan_arena_floats(a, (size_t)GAN_MAX_GRID_SAMPLES * t->latent);
        t->grid_z = gan_arena_floats(a, (size_t)GAN_MAX_GRID_SAMPLES * t->latent);
        t->grid = gan_arena_floats(a, (size_t)GAN_MAX_GRID_SAMPLES * t->image_size);
    }
    gan_rng_normal(opt->seed, gan_rng_stream(GAN_RNG_FIXED, 0), t->fixed_z,
                   (size_t)GAN_MAX_GRID_SAMPLES * t->latent);
    return GAN_OK;
}

gan_status gan_trainer_create_for_shape(const char *preset, const gan_train_options *opt,
                                        gan_trainer **out) {
    *out = NULL;
    gan_trainer *t = calloc(1, sizeof *t);
    if (!t) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate a trainer");
    gan_status s = build(t, preset, opt);
    if (s != GAN_OK) {
        gan_trainer_free(t);
        return s;
    }
    *out = t;
    return GAN_OK;
}

/* A conditional model needs labels, each a class of the model. */
static gan_status check_labels(const gan_trainer *t, const gan_dataset *data) {
    if (!t->n_classes) return GAN_OK;
    const uint8_t *labels = gan_dataset_labels(data);
    if (!labels)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: no labels file next to the images "
                        "(*-labels-idx1-ubyte[.gz]); model '%s' is conditional and needs a "
                        "class label per image", gan_dataset_path(data), t->preset->name);
    int64_t count = gan_dataset_count(data);
    for (int64_t i = 0; i < count; i++)
        if (labels[i] >= t->n_classes)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: label %d of image %lld is out of "
                            "range for model '%s' (classes 0 to %d)",
                            gan_dataset_labels_path(data), labels[i], (long long)i,
                            t->preset->name, t->n_classes - 1);
    return GAN_OK;
}

gan_status gan_trainer_create(const char *preset, const gan_train_options *opt,
                              const gan_dataset *data, gan_trainer **out) {
    *out = NULL;
    if (!data) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "no dataset given");
    gan_trainer *t;
    GAN_TRY(gan_trainer_create_for_shape(preset, opt, &t));
    int c, h, w;
    gan_dataset_shape(data, &c, &h, &w);
    const int *img = t->preset->image;
    int64_t count = gan_dataset_count(data);
    int64_t per_step = (int64_t)t->batch * opt->d_steps;
    gan_status s = GAN_OK;
    if (c != img[0] || h != img[1] || w != img[2])
        s = gan_fail(GAN_ERR_SHAPE, "%s: images are %dx%dx%d (channels x height x width), "
                     "model '%s' needs %dx%dx%d", gan_dataset_path(data), c, h, w, preset,
                     img[0], img[1], img[2]);
    else if (count < t->batch)
        s = gan_fail(GAN_ERR_SHAPE, "%s: %lld images, fewer than the batch size %d",
                     gan_dataset_path(data), (long long)count, t->batch);
    else if (count < per_step)
        s = gan_fail(GAN_ERR_SHAPE, "%s: %lld images, fewer than one step's batch size x "
                     "--d-steps = %lld", gan_dataset_path(data), (long long)count,
                     (long long)per_step);
    else if (count > UINT32_MAX)
        s = gan_fail(GAN_ERR_SHAPE, "%s: too many images (%lld)", gan_dataset_path(data),
                     (long long)count);
    else if ((s = check_labels(t, data)) != GAN_OK)
        ;
    else if (!(t->order = malloc((size_t)count * sizeof *t->order)))
        s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate the data order");
    if (s != GAN_OK) {
        gan_trainer_free(t);
        return s;
    }
    t->data = data;
    t->steps_per_epoch = count / per_step;
    *out = t;
    return GAN_OK;
}

void gan_trainer_free(gan_trainer *t) {
    if (!t) return;
    gan_model_free(&t->g);
    gan_model_free(&t->d);
    gan_model_free(&t->g_ema);
    gan_arena_free(&t->arena);
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

int32_t *gan_trainer_real_labels(gan_trainer *t) {
    return t->labels_d;
}

void gan_trainer_sync_labels(gan_trainer *t) {
    size_t bytes = (size_t)t->batch * sizeof(int32_t);
    t->be->copy(t->labels_d + t->batch, t->labels_d, bytes);
    t->be->copy(t->labels_g, t->labels_d, bytes);
}

/* Start an iteration: random layers (dropout) draw from streams numbered by
 * the step (G: K training forwards per step, D: K + 1), so a resumed run
 * draws the same; the iteration's sums start at 0. */
static void begin_iteration(gan_trainer *t) {
    uint64_t k = (uint64_t)t->opt.d_steps, s = (uint64_t)t->step;
    gan_model_set_rng_counter(&t->g, s * k);
    gan_model_set_rng_counter(&t->d, s * (k + 1));
    t->be->zero(t->sums, GAN_SUM_COUNT);
}

/* One discriminator step on the real rows, noise and labels in place. */
static void d_step(gan_trainer *t) {
    const gan_backend *be = t->be;
    const gan_loss_spec *ls = &t->loss;
    int B = t->batch;
    size_t img = (size_t)t->image_size;

    /* fake = G(z); D's input is [real; fake] */
    gan_model_set_labels(&t->g, t->n_classes ? t->labels_g : NULL);
    const float *fake = gan_model_forward(&t->g, t->g.acts[0], B, true);
    float *fake_rows = t->d.acts[0] + (size_t)B * img;
    memcpy(fake_rows, fake, (size_t)B * img * sizeof *fake);

    gan_model_set_labels(&t->d, t->n_classes ? t->labels_d : NULL);
    const float *logits = gan_model_forward(&t->d, t->d.acts[0], 2 * B, true);
    float scale = ls->half ? 1.0f / (2.0f * (float)B) : 1.0f / (float)B;
    be->loss_acc(t->dlogits, logits, (size_t)B, ls->real, ls->t_real, scale,
                 t->sums + GAN_SUM_REAL);
    be->loss_acc(t->dlogits + B, logits + B, (size_t)B, ls->fake, ls->t_fake, scale,
                 t->sums + GAN_SUM_FAKE);
    gan_model_zero_grads(&t->d);
    gan_model_backward(&t->d, t->dlogits, 2 * B, true, false);
    gan_model_adam_step(&t->d, t->opt.lr_d, t->opt.beta1, t->opt.beta2, t->opt.adam_eps);
    if (t->opt.loss == GAN_LOSS_WASSERSTEIN)
        be->clamp(t->d.params, t->d.n_params, -t->opt.clip, t->opt.clip);
}

/* The generator step through the updated, frozen discriminator, on the last
 * D step's fake rows; then the moving average. */
static void g_step(gan_trainer *t) {
    const gan_backend *be = t->be;
    int B = t->batch;
    float *fake_rows = t->d.acts[0] + (size_t)B * t->image_size;
    gan_model_set_labels(&t->d, t->n_classes ? t->labels_d + B : NULL);
    const float *logits = gan_model_forward(&t->d, fake_rows, B, true);
    be->loss_acc(t->dlogits, logits, (size_t)B, t->loss.gen, t->loss.t_gen, 1.0f / (float)B,
                 t->sums + GAN_SUM_GEN);
    const float *dfake = gan_model_backward(&t->d, t->dlogits, B, false, true);
    gan_model_zero_grads(&t->g);
    gan_model_backward(&t->g, dfake, B, true, false);
    gan_model_adam_step(&t->g, t->opt.lr_g, t->opt.beta1, t->opt.beta2, t->opt.adam_eps);
    if (t->has_ema) {
        be->ema_update(t->g_ema.params, t->g.params, t->g.n_params, t->opt.ema);
        be->ema_update(t->g_ema.state, t->g.state, t->g.n_state, t->opt.ema);
    }
}

/* Count the step and turn the iteration's sums into its statistics. */
static gan_status finish_iteration(gan_trainer *t, gan_step_stats *st) {
    const float *s = t->sums;
    double B = (double)t->batch, K = (double)t->opt.d_steps;
    double d_weight = t->loss.half ? 0.5 : 1.0;
    double loss_d = d_weight * ((double)s[GAN_SUM_REAL] + (double)s[GAN_SUM_FAKE]) / (K * B);
    double loss_g = (double)s[GAN_SUM_GEN] / B;
    t->step++;
    gan_step_stats *l = &t->last;
    l->step = t->step;
    l->epoch = t->steps_per_epoch ? (t->step - 1) / t->steps_per_epoch : 0;
    l->loss_d = (float)loss_d;
    l->loss_g = (float)loss_g;
    l->d_real = (float)((double)s[GAN_SUM_REAL + 1] / (K * B));
    l->d_fake = (float)((double)s[GAN_SUM_FAKE + 1] / (K * B));
    if (st) *st = *l;
    if (!isfinite(loss_d) || !isfinite(loss_g))
        return gan_fail(GAN_ERR_NUMERIC, "training diverged at step %lld: loss_d = %g, "
                        "loss_g = %g", (long long)t->step, loss_d, loss_g);
    return GAN_OK;
}

gan_status gan_trainer_step_batch(gan_trainer *t, gan_step_stats *st) {
    if (t->opt.d_steps != 1)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "gan_trainer_step_batch: runs one D step "
                        "(d_steps is %d)", t->opt.d_steps);
    begin_iteration(t);
    d_step(t);
    g_step(t);
    return finish_iteration(t, st);
}

/* Put real batch k of this step (this epoch's order) into D's input, with
 * its labels for a conditional model. */
static void load_real_batch(gan_trainer *t, int k) {
    int64_t epoch = t->step / t->steps_per_epoch;
    int64_t batch_index = (t->step % t->steps_per_epoch) * t->opt.d_steps + k;
    int64_t count = gan_dataset_count(t->data);
    if (t->order_epoch != epoch) {
        for (int64_t i = 0; i < count; i++) t->order[i] = (uint32_t)i;
        gan_rng_shuffle(t->opt.seed, gan_rng_stream(GAN_RNG_SHUFFLE, (uint64_t)epoch), t->order,
                        (size_t)count);
        t->order_epoch = epoch;
    }
    const uint8_t *pixels = gan_dataset_pixels(t->data);
    const uint8_t *labels = gan_dataset_labels(t->data);
    const uint32_t *rows_of_batch = t->order + batch_index * t->batch;
    size_t img = (size_t)t->image_size;
    float *rows = t->d.acts[0];
    for (int b = 0; b < t->batch; b++) {
        const uint8_t *src = pixels + (size_t)rows_of_batch[b] * img;
        float *dst = rows + (size_t)b * img;
        for (size_t i = 0; i < img; i++) dst[i] = ((float)src[i] - 127.5f) / 127.5f;
    }
    if (!t->n_classes) return;
    for (int b = 0; b < t->batch; b++) t->labels_d[b] = labels[rows_of_batch[b]];
    gan_trainer_sync_labels(t);
}

gan_status gan_trainer_step(gan_trainer *t, gan_step_stats *st) {
    if (!t->data) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "trainer has no dataset");
    int K = t->opt.d_steps;
    begin_iteration(t);
    for (int k = 0; k < K; k++) {
        load_real_batch(t, k);
        uint64_t noise = (uint64_t)t->step * (uint64_t)K + (uint64_t)k;
        gan_rng_normal(t->opt.seed, gan_rng_stream(GAN_RNG_NOISE, noise), t->g.acts[0],
                       (size_t)t->batch * t->latent);
        d_step(t);
    }
    g_step(t);
    return finish_iteration(t, st);
}

gan_status gan_trainer_generate_labeled(gan_trainer *t, const float *z, const int32_t *labels,
                                        int n, float *images) {
    if (n < 0) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "negative sample count %d", n);
    if (t->n_classes && !labels)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "model '%s' is conditional: give each sample "
                        "a class label", t->preset->name);
    if (!t->n_classes && labels)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "model '%s' is unconditional: it takes no "
                        "class labels", t->preset->name);
    for (int i = 0; labels && i < n; i++)
        if (labels[i] < 0 || labels[i] >= t->n_classes)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "class %d of sample %d is out of range "
                            "[0, %d] for model '%s'", (int)labels[i], i, t->n_classes - 1,
                            t->preset->name);
    gan_model *m = t->has_ema ? &t->g_ema : &t->g;
    size_t img = (size_t)t->image_size;
    for (int start = 0; start < n; start += m->max_batch) {
        int rows = GAN_MIN(m->max_batch, n - start);
        gan_model_set_labels(m, labels ? labels + start : NULL);
        const float *out = gan_model_forward(m, z + (size_t)start * t->latent, rows, false);
        memcpy(images + (size_t)start * img, out, (size_t)rows * img * sizeof *out);
    }
    gan_model_set_labels(m, NULL);
    return GAN_OK;
}

gan_status gan_trainer_generate(gan_trainer *t, const float *z, int n, float *images) {
    return gan_trainer_generate_labeled(t, z, NULL, n, images);
}

gan_status gan_trainer_write_samples_png(gan_trainer *t, int rows, const char *path) {
    int n_rows = t->n_classes ? t->n_classes : rows;
    if (rows < 1 || n_rows * rows > GAN_MAX_GRID_SAMPLES)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "sample grid of %d x %d images: must be 1 to "
                        "%d images", n_rows, rows, GAN_MAX_GRID_SAMPLES);
    int n = n_rows * rows;
    const int *img = t->preset->image;
    if (!t->n_classes) {
        GAN_TRY(gan_trainer_generate(t, t->fixed_z, n, t->grid));
        return gan_write_png_grid(path, t->grid, n, img[0], img[1], img[2], rows);
    }
    /* one row per class; column j uses fixed noise vector j in every row */
    size_t latent = (size_t)t->latent;
    for (int i = 0; i < n; i++) {
        memcpy(t->grid_z + (size_t)i * latent, t->fixed_z + (size_t)(i % rows) * latent,
               latent * sizeof *t->grid_z);
        t->grid_labels[i] = i / rows;
    }
    GAN_TRY(gan_trainer_generate_labeled(t, t->grid_z, t->grid_labels, n, t->grid));
    return gan_write_png_grid(path, t->grid, n, img[0], img[1], img[2], rows);
}
