/*
 * model.c - shape inference, memory planning, forward and backward loops of
 * a sequential network, and its host copies on a device backend (model.h).
 */
#include "model.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

gan_status gan_model_add(gan_model *m, gan_layer layer) {
    if (m->n_layers >= GAN_MAX_LAYERS)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "model has more than %d layers", GAN_MAX_LAYERS);
    m->layers[m->n_layers++] = layer;
    return GAN_OK;
}

static int shape_size(const int s[3]) {
    return s[0] * s[1] * s[2];
}

/* Hand out every block of the model from arena `a`. Called twice: once to
 * measure (pointers stay NULL), once for real. */
static void plan_memory(gan_model *m, gan_arena *a) {
    int largest = m->in_size;
    for (int i = 0; i < m->n_layers; i++) largest = GAN_MAX(largest, m->layers[i].out_size);
    size_t rows = (size_t)m->max_batch;

    m->params = gan_arena_floats(a, m->n_params);
    m->grads = gan_arena_floats(a, m->n_params);
    m->adam_m = gan_arena_floats(a, m->n_params);
    m->adam_v = gan_arena_floats(a, m->n_params);
    m->state = gan_arena_floats(a, m->n_state);
    m->acts[0] = gan_arena_floats(a, rows * m->in_size);
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer *l = &m->layers[i];
        m->acts[i + 1] = l->is_view ? m->acts[i] : gan_arena_floats(a, rows * l->out_size);
        l->scratch = gan_arena_floats(a, l->n_scratch);
    }
    m->grad_buf[0] = gan_arena_floats(a, rows * largest);
    m->grad_buf[1] = gan_arena_floats(a, rows * largest);
    m->adam_t_dev = gan_arena_bytes(a, sizeof *m->adam_t_dev);
    m->lr_t_dev = gan_arena_floats(a, 1);
}

/* The host copies: the blocks themselves on the CPU, else a host arena. */
static gan_status plan_host(gan_model *m) {
    if (m->be->host_memory) {
        m->host.params = m->params, m->host.adam_m = m->adam_m, m->host.adam_v = m->adam_v;
        m->host.state = m->state;
        return GAN_OK;
    }
    gan_arena *a = &m->host_arena;
    GAN_TRY(gan_arena_init(a, (3 * m->n_params + m->n_state + 4) * sizeof(float) + 4 * 64));
    m->host.params = gan_arena_floats(a, m->n_params);
    m->host.adam_m = gan_arena_floats(a, m->n_params);
    m->host.adam_v = gan_arena_floats(a, m->n_params);
    m->host.state = gan_arena_floats(a, m->n_state);
    return GAN_OK;
}

static bool shape_fits(const int s[3]) {
    return s[0] > 0 && s[1] > 0 && s[2] > 0 &&
           (int64_t)s[0] * s[1] * s[2] <= GAN_MAX_SAMPLE_VALUES;
}

gan_status gan_model_infer_shapes(gan_model *m, const char *name, int c, int h, int w,
                                  int max_batch) {
    m->failed_layer = -1;
    if (max_batch <= 0) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "batch size must be positive");
    m->name = name;
    m->max_batch = max_batch;
    m->in[0] = c, m->in[1] = h, m->in[2] = w;
    if (!shape_fits(m->in))
        return gan_fail(GAN_ERR_SHAPE, "%s: input %dx%dx%d is empty or larger than %d values",
                        name, c, h, w, GAN_MAX_SAMPLE_VALUES);
    m->in_size = shape_size(m->in);
    const int *in = m->in;
    m->n_params = m->n_state = 0;
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer *l = &m->layers[i];
        memcpy(l->in, in, sizeof l->in);
        l->in_size = shape_size(l->in);
        l->max_batch = max_batch;
        gan_status s = l->ops->setup(l);
        if (s == GAN_OK && !shape_fits(l->out))
            s = gan_fail(GAN_ERR_SHAPE, "%s: output %dx%dx%d is empty or larger than %d values",
                         gan_layer_name(l), l->out[0], l->out[1], l->out[2],
                         GAN_MAX_SAMPLE_VALUES);
        if (s != GAN_OK) {
            m->failed_layer = i;
            return s;
        }
        l->out_size = shape_size(l->out);
        m->n_params += l->n_params;
        m->n_state += l->n_state;
        in = l->out;
    }
    memcpy(m->out, in, sizeof m->out);
    m->out_size = shape_size(m->out);
    return GAN_OK;
}

gan_status gan_model_build(gan_model *m, const char *name, int c, int h, int w, int max_batch,
                           const gan_backend *be) {
    m->be = be;
    gan_status s = gan_model_infer_shapes(m, name, c, h, w, max_batch);
    for (int i = 0; s == GAN_OK && i < m->n_layers; i++) { /* kernels the backend may lack */
        const gan_kernel *k = m->layers[i].ops->kernels;
        for (; s == GAN_OK && k && *k != GAN_K_COUNT; k++)
            s = gan_backend_require(be, *k, m->layers[i].ops->name);
        if (s != GAN_OK) m->failed_layer = i;
    }
    if (s != GAN_OK && m->failed_layer >= 0) {
        char where[96];
        snprintf(where, sizeof where, "%s layer %d (%s)", name, m->failed_layer,
                 gan_layer_name(&m->layers[m->failed_layer]));
        return gan_fail_prefix(s, where);
    }
    GAN_TRY(s);

    gan_arena measure;
    gan_arena_measure(&measure);
    plan_memory(m, &measure);
    s = gan_arena_init_on(&m->arena, measure.used, be);
    if (s != GAN_OK) {
        char what[96];
        snprintf(what, sizeof what, "%s: %.1f MiB of %s memory", name,
                 (double)measure.used / (1 << 20), be->name);
        return gan_fail_prefix(s, what);
    }
    plan_memory(m, &m->arena);
    GAN_TRY(plan_host(m));

    size_t p = 0, st = 0;
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer *l = &m->layers[i];
        l->params = m->params + p;
        l->grads = m->grads + p;
        l->state = m->state + st;
        p += l->n_params;
        st += l->n_state;
    }
    m->adam_t = 0;
    return GAN_OK;
}

/* A copy of layer i whose params and state point into the host copies. */
static gan_layer host_view(const gan_model *m, int i, size_t p, size_t st) {
    gan_layer l = m->layers[i];
    if (!m->be->host_memory) {
        l.params = m->host.params + p;
        l.grads = NULL;
        l.state = m->host.state + st;
        l.scratch = NULL;
    }
    return l;
}

gan_status gan_model_init(gan_model *m, uint64_t seed, int net_id) {
    m->seed = seed;
    m->net_id = net_id;
    size_t p = 0, st = 0;
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer l = host_view(m, i, p, st);
        l.ops->init(&l, seed, gan_rng_stream(GAN_RNG_INIT, ((uint64_t)net_id << 16) | (uint64_t)i));
        p += l.n_params;
        st += l.n_state;
    }
    return gan_model_upload(m);
}

/* The DCGAN initialisation (Radford et al. 2016; PyTorch's DCGAN example,
 * weights_init): the "weight" of every convolution N(0, 0.02), the gamma
 * ("weight") of every batch norm N(1, 0.02); the rest as the layers' own
 * init left it. Streams: the layer's init stream with tag 3 in bits 40..47
 * (rng.h), apart from its own init and spectral norm's u, v. */
gan_status gan_model_init_dcgan(gan_model *m) {
    size_t p = 0, st = 0;
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer l = host_view(m, i, p, st);
        p += l.n_params;
        st += l.n_state;
        bool conv = strncmp(l.ops->name, "conv", 4) == 0;
        bool norm = (l.ops->flags & GAN_LAYER_BATCH_STATISTICS) != 0;
        if (!conv && !norm) continue;
        gan_layer_tensor ts[8];
        int n = l.ops->tensors(&l, ts, 8);
        for (int k = 0; k < n; k++) {
            if (strcmp(ts[k].name, "weight") != 0 && strcmp(ts[k].name, "weight_orig") != 0)
                continue;
            uint64_t detail = ((uint64_t)m->net_id << 16) | (uint64_t)i | (3ull << 40);
            gan_rng_normal(m->seed, gan_rng_stream(GAN_RNG_INIT, detail), ts[k].data, ts[k].size);
            for (size_t j = 0; j < ts[k].size; j++)
                ts[k].data[j] = (norm ? 1.0f : 0.0f) + 0.02f * ts[k].data[j];
        }
    }
    return gan_model_upload(m);
}

gan_status gan_model_download(gan_model *m) {
    const gan_backend *be = m->be;
    if (be->host_memory) return GAN_OK;
    size_t np = m->n_params * sizeof(float);
    GAN_TRY(be->copy_to_host(be->ctx, m->host.params, m->params, np));
    GAN_TRY(be->copy_to_host(be->ctx, m->host.adam_m, m->adam_m, np));
    GAN_TRY(be->copy_to_host(be->ctx, m->host.adam_v, m->adam_v, np));
    return be->copy_to_host(be->ctx, m->host.state, m->state, m->n_state * sizeof(float));
}

gan_status gan_model_upload(gan_model *m) {
    const gan_backend *be = m->be;
    if (be->host_memory) return GAN_OK;
    size_t np = m->n_params * sizeof(float);
    be->copy_to_device(be->ctx, m->params, m->host.params, np);
    be->copy_to_device(be->ctx, m->adam_m, m->host.adam_m, np);
    be->copy_to_device(be->ctx, m->adam_v, m->host.adam_v, np);
    be->copy_to_device(be->ctx, m->state, m->host.state, m->n_state * sizeof(float));
    be->copy_to_device(be->ctx, m->adam_t_dev, &m->adam_t, sizeof m->adam_t);
    return be->synchronize(be->ctx); /* the sources may change once this returns */
}

void gan_model_free(gan_model *m) {
    gan_arena_free(&m->arena);
    gan_arena_free(&m->host_arena);
}

void gan_model_set_labels(gan_model *m, const int32_t *labels) {
    m->labels = labels;
}

void gan_model_set_rng_counter(gan_model *m, uint64_t counter) {
    m->rng_counter = counter;
}

bool gan_model_replayable(const gan_model *m) {
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].ops->stochastic && m->layers[i].ops->stochastic(&m->layers[i]))
            return false;
    return true;
}

const float *gan_model_forward(gan_model *m, const float *x, int N, bool train) {
    if (x != m->acts[0]) m->be->copy(m->be->ctx, m->acts[0], x, (size_t)N * m->in_size * sizeof *x);
    uint64_t tag = ((uint64_t)(m->net_id & 0xFF) << 48) | (m->rng_counter & 0xFFFFFFFFFFull);
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer *l = &m->layers[i];
        l->labels = m->labels;
        if (train) {
            l->rng_seed = m->seed;
            l->rng_stream = gan_rng_stream(GAN_RNG_DROPOUT, tag | (uint64_t)i << 40);
        }
        if (!l->is_view) l->ops->forward(l, m->be, m->acts[i], m->acts[i + 1], N, train);
    }
    if (train) m->rng_counter++;
    return m->acts[m->n_layers];
}

const float *gan_model_backward(gan_model *m, const float *dy, int N, bool param_grads,
                                bool want_dx) {
    int first = 0; /* the first layer that computes: its dx is the model's dx */
    while (first < m->n_layers && m->layers[first].is_view) first++;
    const float *grad = dy;
    int next = 0;
    for (int i = m->n_layers - 1; i >= first; i--) {
        gan_layer *l = &m->layers[i];
        if (l->is_view) continue; /* dx is dy */
        bool need_dx = want_dx || i > first;
        float *dx = need_dx ? m->grad_buf[next] : NULL; /* never the buffer holding dy */
        l->ops->backward(l, m->be, m->acts[i], m->acts[i + 1], grad, dx, N, param_grads);
        if (!dx) return NULL;
        grad = dx;
        next ^= 1;
    }
    return want_dx ? grad : NULL;
}

void gan_model_zero_grads(gan_model *m) {
    m->be->zero(m->be->ctx, m->grads, m->n_params);
}

void gan_model_adam_step(gan_model *m, float lr, float beta1, float beta2, float eps) {
    const gan_backend *be = m->be;
    m->adam_t++;
    if (!be->host_memory) { /* the same lr_t, computed where the step count lives */
        be->adam_schedule(be->ctx, m->adam_t_dev, m->lr_t_dev, lr, beta1, beta2);
        be->adam_device_lr(be->ctx, m->params, m->adam_m, m->adam_v, m->grads, m->n_params, m->lr_t_dev,
                           beta1, beta2, eps);
        return;
    }
    double t = (double)m->adam_t;
    float lr_t = (float)(lr * sqrt(1.0 - pow(beta2, t)) / (1.0 - pow(beta1, t)));
    be->adam(be->ctx, m->params, m->adam_m, m->adam_v, m->grads, m->n_params, lr_t, beta1, beta2, eps);
}

gan_status gan_model_each_tensor(const gan_model *m, gan_tensor_fn fn, void *ctx) {
    size_t p = 0, st = 0;
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer l = host_view(m, i, p, st);
        p += l.n_params;
        st += l.n_state;
        gan_layer_tensor t[8];
        int n = l.ops->tensors(&l, t, 8);
        for (int k = 0; k < n; k++) {
            char name[128];
            snprintf(name, sizeof name, "%s.%d.%s", m->name, i, t[k].name);
            GAN_TRY(fn(ctx, name, &t[k]));
        }
    }
    return GAN_OK;
}
