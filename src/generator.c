/*
 * generator.c - a trained generator on its own: load it from a checkpoint
 * (the moving average of the generator when the run kept one) onto the CPU
 * or a GPU, make latent vectors and class labels, generate images (the
 * library's load-and-generate API, used by `gan sample`, `gan interpolate`
 * and `gan export`), or borrow a running trainer's (gan_trainer_generator:
 * the report `gan train` refreshes after each epoch).
 */
#include "checkpoint.h"
#include "generator.h"
#include "rng.h"
#include "trainer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_MAX_ROWS 256 /* rows per forward pass */
#define GEN_ACT_BUDGET ((size_t)1 << 24) /* activation values per pass (64 MB) */

/* Rows per forward pass: GEN_MAX_ROWS, fewer for a model with big layers, so
 * that a small file whose spec asks for huge images cannot make a load
 * allocate GBs of activations (the rows do not change the images). */
static int gen_rows(const gan_spec *spec) {
    size_t per = spec->net[GAN_SPEC_GENERATOR].act_values;
    size_t rows = per ? GEN_ACT_BUDGET / per : GEN_MAX_ROWS;
    return rows < 1 ? 1 : rows > GEN_MAX_ROWS ? GEN_MAX_ROWS : (int)rows;
}

gan_status gan_generator_load(const char *path, gan_generator **out) {
    return gan_generator_load_on(path, GAN_DEVICE_CPU, out);
}

static gan_status device_backend(int device, const gan_backend **be) {
    *be = gan_backend_cpu();
    if (device == GAN_DEVICE_CPU) return GAN_OK;
    if (device != GAN_DEVICE_CUDA)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "unknown device %d", device);
    GAN_TRY(gan_backend_cuda_open(0));
    *be = gan_backend_cuda();
    return GAN_OK;
}

static gan_status load(const char *path, int device, bool allow_ema, gan_generator **out);

gan_status gan_generator_load_on(const char *path, int device, gan_generator **out) {
    return load(path, device, true, out);
}

gan_status gan_generator_load_trained(const char *path, int device, gan_generator **out) {
    return load(path, device, false, out);
}

static gan_status load(const char *path, int device, bool allow_ema, gan_generator **out) {
    *out = NULL;
    const gan_backend *be;
    GAN_TRY(device_backend(device, &be));
    gan_st_file *f;
    GAN_TRY(gan_st_open(path, &f));
    gan_generator *g = calloc(1, sizeof *g);
    gan_status s = g ? GAN_OK : gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate a generator");
    if (s == GAN_OK) s = gan_ckpt_read_info(f, &g->info);
    if (s == GAN_OK) s = gan_ckpt_read_spec(f, &g->info, &g->spec);
    if (s == GAN_OK) {
        g->model.inference_only = true; /* samples only */
        s = gan_spec_build(g->spec, GAN_SPEC_GENERATOR, &g->model, gen_rows(g->spec), be);
    }
    if (s == GAN_OK && g->spec->n_classes) {
        s = gan_arena_init_on(&g->labels_arena, GEN_MAX_ROWS * sizeof(int32_t), be);
        if (s == GAN_OK)
            g->labels = gan_arena_bytes(&g->labels_arena, GEN_MAX_ROWS * sizeof(int32_t));
    }
    if (s == GAN_OK) {
        g->ema = allow_ema && gan_ckpt_has_ema(f, &g->info);
        s = gan_ckpt_load_model(f, &g->model, g->ema ? "generator_ema" : NULL, false);
    }
    gan_st_close(f);
    if (s != GAN_OK) {
        gan_generator_free(g);
        return s;
    }
    *out = g;
    return GAN_OK;
}

gan_status gan_trainer_generator(gan_trainer *t, gan_generator **out) {
    *out = NULL;
    if (!t->be->host_memory)
        return gan_fail(GAN_ERR_UNSUPPORTED, "the trainer's generator is not in host memory");
    gan_generator *g = calloc(1, sizeof *g);
    if (!g) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate a generator");
    g->borrowed = true;
    g->spec = t->spec;
    g->ema = t->has_ema; /* what gan_generator_load picks from the trainer's checkpoint */
    g->model = t->has_ema ? t->g_ema : t->g;
    g->info.step = t->step;
    snprintf(g->info.model, sizeof g->info.model, "%s", t->spec->name);
    if (t->spec->n_classes) {
        size_t rows = (size_t)GAN_MAX(GEN_MAX_ROWS, g->model.max_batch);
        gan_status s = gan_arena_init_on(&g->labels_arena, rows * sizeof(int32_t), t->be);
        if (s != GAN_OK) {
            free(g);
            return s;
        }
        g->labels = gan_arena_bytes(&g->labels_arena, rows * sizeof(int32_t));
    }
    *out = g;
    return GAN_OK;
}

void gan_generator_free(gan_generator *g) {
    if (!g) return;
    if (!g->borrowed) {
        gan_model_free(&g->model);
        gan_spec_free(g->spec);
    }
    gan_arena_free(&g->labels_arena);
    free(g);
}

int gan_generator_latent_dim(const gan_generator *g) {
    return g->spec->latent_dim;
}

void gan_generator_image_shape(const gan_generator *g, int *c, int *h, int *w) {
    if (c) *c = g->spec->image[0];
    if (h) *h = g->spec->image[1];
    if (w) *w = g->spec->image[2];
}

const char *gan_generator_model_name(const gan_generator *g) {
    return g->spec->name;
}

const gan_spec *gan_generator_spec(const gan_generator *g) {
    return g->spec;
}

int gan_generator_num_classes(const gan_generator *g) {
    return g->spec->n_classes;
}

bool gan_generator_uses_ema(const gan_generator *g) {
    return g->ema;
}

int64_t gan_generator_step(const gan_generator *g) {
    return g->info.step;
}

void gan_generator_labels(const gan_generator *g, gan_label_mode mode, uint64_t seed,
                          int64_t first, int n, int32_t *labels) {
    uint32_t classes = (uint32_t)g->spec->n_classes;
    for (int i = 0; i < n; i++) {
        uint64_t index = (uint64_t)(first + i);
        if (!classes) labels[i] = 0;
        else if (mode == GAN_LABELS_UNIFORM)
            labels[i] = (int32_t)gan_rng_below(seed, gan_rng_stream(GAN_RNG_LABEL, index), 0,
                                               classes);
        else labels[i] = (int32_t)(index % classes);
    }
}

void gan_latent_noise(uint64_t seed, int64_t first, int n, int latent_dim, float *z) {
    size_t latent = (size_t)latent_dim;
    for (int i = 0; i < n; i++)
        gan_rng_normal(seed, gan_rng_stream(GAN_RNG_SAMPLE, (uint64_t)(first + i)),
                       z + (size_t)i * latent, latent);
}

void gan_generator_noise(const gan_generator *g, uint64_t seed, int64_t first, int n, float *z) {
    gan_latent_noise(seed, first, n, g->spec->latent_dim, z);
}

gan_status gan_generate_with(gan_model *m, const gan_spec *spec, int32_t *labels_dev,
                             const float *z, const int32_t *labels, int n, float *images) {
    if (n < 0) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "negative sample count %d", n);
    int classes = spec->n_classes;
    if (classes && !labels)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "model '%s' is conditional: give each sample "
                        "a class label", spec->name);
    if (!classes && labels)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "model '%s' is unconditional: it takes no "
                        "class labels", spec->name);
    for (int i = 0; labels && i < n; i++)
        if (labels[i] < 0 || labels[i] >= classes)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "class %d of sample %d is out of range "
                            "[0, %d] for model '%s'", (int)labels[i], i, classes - 1,
                            spec->name);
    const gan_backend *be = m->be;
    size_t img = (size_t)m->out_size, latent = (size_t)spec->latent_dim;
    for (int start = 0; start < n; start += m->max_batch) {
        int rows = GAN_MIN(m->max_batch, n - start);
        float *x = m->acts[0];
        be->copy_to_device(be->ctx, x, z + (size_t)start * latent, rows * latent * sizeof *z);
        if (labels)
            be->copy_to_device(be->ctx, labels_dev, labels + start, (size_t)rows * sizeof *labels);
        gan_model_set_labels(m, labels ? labels_dev : NULL);
        const float *y = gan_model_forward(m, x, rows, false);
        GAN_TRY(be->copy_to_host(be->ctx, images + (size_t)start * img, y, rows * img * sizeof *y));
    }
    gan_model_set_labels(m, NULL);
    return GAN_OK;
}

gan_status gan_generator_generate_labeled(gan_generator *g, const float *z,
                                          const int32_t *labels, int n, float *images) {
    return gan_generate_with(&g->model, g->spec, g->labels, z, labels, n, images);
}

gan_status gan_generator_generate(gan_generator *g, const float *z, int n, float *images) {
    return gan_generator_generate_labeled(g, z, NULL, n, images);
}

/* Whether layer l keeps running statistics (batch norm of any kind). */
static bool has_running_stats(const gan_layer *l) {
    gan_layer_tensor ts[GAN_LAYER_MAX_TENSORS];
    int k = l->ops->tensors(l, ts, GAN_LAYER_MAX_TENSORS);
    for (int j = 0; j < k; j++)
        if (strcmp(ts[j].name, "running_mean") == 0) return true;
    return false;
}

gan_status gan_generator_standing_stats(gan_generator *g, int batches, int rows, uint64_t seed) {
    gan_model *m = &g->model;
    if (g->borrowed)
        return gan_fail(GAN_ERR_UNSUPPORTED, "standing statistics: this is a running trainer's "
                        "generator (they would change its training)");
    if (batches < 1 || batches > 100000)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "standing statistics: %d batches is out of "
                        "range [1, 100000]", batches);
    if (rows == 0) rows = GAN_MIN(g->info.has_options ? g->info.opt.batch_size : 64, m->max_batch);
    if (rows < 1 || rows > m->max_batch)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "standing statistics: %d rows is out of range "
                        "[1, %d]", rows, m->max_batch);
    bool bn[GAN_MAX_LAYERS];
    float saved[GAN_MAX_LAYERS];
    int n_bn = 0;
    for (int i = 0; i < m->n_layers; i++) {
        bn[i] = has_running_stats(&m->layers[i]);
        saved[i] = m->layers[i].momentum;
        n_bn += bn[i];
    }
    if (!n_bn) return GAN_OK;
    const gan_backend *be = m->be;
    size_t latent = (size_t)g->spec->latent_dim;
    int classes = g->spec->n_classes;
    float *z = malloc((size_t)rows * latent * sizeof *z);
    int32_t *labels = classes ? malloc((size_t)rows * sizeof *labels) : NULL;
    gan_status s = z && (!classes || labels)
                       ? GAN_OK
                       : gan_fail(GAN_ERR_OUT_OF_MEMORY, "standing statistics: out of memory");
    const int64_t first = (int64_t)1 << 40;
    for (int k = 1; k <= batches && s == GAN_OK; k++) {
        /* running = m running + (1 - m) batch with m = (k - 1) / k: the mean of k batches */
        for (int i = 0; i < m->n_layers; i++)
            if (bn[i]) m->layers[i].momentum = (float)(k - 1) / (float)k;
        int64_t at = first + (int64_t)(k - 1) * rows;
        gan_latent_noise(seed, at, rows, (int)latent, z);
        be->copy_to_device(be->ctx, m->acts[0], z, (size_t)rows * latent * sizeof *z);
        if (classes) {
            gan_generator_labels(g, GAN_LABELS_UNIFORM, seed, at, rows, labels);
            be->copy_to_device(be->ctx, g->labels, labels, (size_t)rows * sizeof *labels);
        }
        gan_model_set_labels(m, classes ? g->labels : NULL);
        gan_model_forward(m, m->acts[0], rows, true);
        s = be->synchronize(be->ctx);
    }
    gan_model_set_labels(m, NULL);
    for (int i = 0; i < m->n_layers; i++) m->layers[i].momentum = saved[i];
    if (s == GAN_OK) s = gan_model_download(m); /* a device model's host copies (model.h) */
    free(z);
    free(labels);
    return s;
}

size_t gan_generator_weights_part(const gan_generator *g, size_t first, size_t n, float *out) {
    const gan_model *m = &g->model;
    size_t at = 0, end = first + n;
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer_tensor ts[GAN_LAYER_MAX_TENSORS];
        int k = m->layers[i].ops->tensors(&m->layers[i], ts, GAN_LAYER_MAX_TENSORS);
        for (int j = 0; j < k; j++) {
            size_t lo = first > at ? first : at, hi = at + ts[j].size < end ? at + ts[j].size : end;
            if (out && lo < hi) memcpy(out + (lo - first), ts[j].data + (lo - at), (hi - lo) * sizeof(float));
            at += ts[j].size;
        }
    }
    return at;
}

gan_status gan_generator_weights(const gan_generator *g, float **w, size_t *nw) {
    size_t n = gan_generator_weights_part(g, 0, 0, NULL);
    *nw = 0;
    *w = malloc((n ? n : 1) * sizeof **w);
    if (!*w) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "out of memory for the generator's weights");
    gan_generator_weights_part(g, 0, n, *w);
    *nw = n;
    return GAN_OK;
}
