/*
 * trainer_dist.c - a trainer's part in data-parallel training
 * (docs/distributed.md): rank r of N takes rows [r b, (r + 1) b) (b = B / N)
 * of every global batch of B rows - the same images of the one seeded
 * permutation, and the same noise elements of the same counter-based
 * stream, that one process uses for those rows - and the gradients of its
 * loss terms (scaled by the global batch) are summed over the ranks before
 * each Adam step, so every rank applies the same update.
 */
#include "trainer.h"
#include "backend.h"
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

gan_status gan_trainer_dist_setup(gan_trainer *t) {
    t->global_batch = t->batch;
    t->rank = 0, t->ranks = 1;
    gan_comm *c = t->comm;
    if (!c) return GAN_OK;
    t->rank = c->rank, t->ranks = c->size;
    t->reduce = c->distributed || c->size > 1;
    if (!t->reduce) return GAN_OK;
    if (t->global_batch % t->ranks)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "batch_size %d does not split evenly over %d "
                        "ranks", t->global_batch, t->ranks);
    if (c->device_buffers == t->be->host_memory)
        return gan_fail(GAN_ERR_UNSUPPORTED, "the %s communicator reduces %s memory, the %s "
                        "backend computes in %s memory", c->kind,
                        c->device_buffers ? "GPU" : "host", t->be->name,
                        t->be->host_memory ? "host" : "GPU");
    t->batch = t->global_batch / t->ranks;
    return GAN_OK;
}

static uint64_t hash_str(uint64_t h, const char *s) {
    return gan_fnv1a64(h, s, strlen(s) + 1);
}

/* What must be equal on every rank: the options (all but the thread
 * count, which never changes results), the model, the data size; and the
 * build (version, compiler, the instruction sets the kernels use). */
static void run_hashes(const gan_trainer *t, int64_t data_count, uint64_t h[2]) {
    h[0] = h[1] = GAN_FNV1A64_BASIS;
    char buf[128];
    for (int i = 0; i < gan_train_option_count(); i++) {
        const gan_train_option *row = gan_train_option_at(i);
        if (strcmp(row->key, "threads") == 0) continue;
        gan_train_option_format(row, &t->opt, buf, sizeof buf);
        h[0] = hash_str(hash_str(h[0], row->key), buf);
    }
    h[0] = hash_str(h[0], t->spec->text);
    h[0] = gan_fnv1a64(h[0], &data_count, sizeof data_count);
    h[1] = hash_str(h[1], GAN_VERSION " " __VERSION__);
    static const char features[] = ""
#ifdef __AVX512F__
        " avx512f"
#endif
#ifdef __AVX2__
        " avx2"
#endif
#ifdef __FMA__
        " fma"
#endif
#ifdef GAN_HAVE_CUDA
        " cuda"
#endif
#ifdef GAN_HAVE_NCCL
        " nccl"
#endif
        ;
    h[1] = hash_str(h[1], features);
    h[1] = hash_str(h[1], t->be->name);
}

/* "1, 3 and 4" of the ranks whose flag is set, into buf. */
static void list_ranks(const float *differs, int n, char *buf, size_t cap) {
    size_t len = 0;
    int shown = 0;
    buf[0] = 0;
    for (int r = 0; r < n && len + 16 < cap; r++) {
        if (differs[r] == 0.0f) continue;
        len += (size_t)snprintf(buf + len, cap - len, "%s%d", shown ? ", " : "", r);
        shown++;
    }
}

gan_status gan_trainer_dist_agree(gan_trainer *t, int64_t data_count) {
    if (!t->reduce || t->ranks < 2) return GAN_OK;
    uint64_t mine[2], lead[2];
    run_hashes(t, data_count, mine);
    memcpy(lead, mine, sizeof lead);
    GAN_TRY(t->comm->broadcast(t->comm, lead, sizeof lead, 0));
    int n = t->ranks;
    float *differs = calloc(2 * (size_t)n, sizeof *differs); /* options, build per rank */
    if (!differs) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate %d flags", n);
    differs[t->rank] = mine[0] != lead[0];
    differs[n + t->rank] = mine[1] != lead[1];
    gan_status s = t->comm->allreduce_host(t->comm, differs, 2 * (size_t)n, GAN_REDUCE_SUM);
    char opts[256], build[256];
    if (s == GAN_OK) {
        list_ranks(differs, n, opts, sizeof opts);
        list_ranks(differs + n, n, build, sizeof build);
        if (*build)
            s = gan_fail(GAN_ERR_INVALID_ARGUMENT, "rank %s runs another build of gan.c than "
                         "rank 0 (version, compiler, CPU features or device): every rank needs "
                         "the same build", build);
        else if (*opts)
            s = gan_fail(GAN_ERR_INVALID_ARGUMENT, "rank %s has other training options, model "
                         "or data size than rank 0: every rank must run the same command", opts);
    }
    free(differs);
    return s;
}

void gan_trainer_dist_slice_order(const gan_trainer *t, uint32_t *order, size_t count) {
    if (!t->reduce) return;
    size_t B = (size_t)t->global_batch, b = (size_t)t->batch, at = (size_t)t->rank * b;
    size_t batches = count / B; /* destination p b + j never passes the source p B + at + j */
    for (size_t p = 0; p < batches; p++)
        memmove(order + p * b, order + p * B + at, b * sizeof *order);
}

/* gan_layer_sync.sum of the trainer's batch-norm layers */
static void sum_statistics(void *ctx, float *buf, size_t n) {
    gan_trainer_dist_reduce(ctx, buf, n);
}

static void link_batchnorm(gan_trainer *t, gan_model *m) {
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].ops->flags & GAN_LAYER_BATCH_STATISTICS) m->layers[i].sync = &t->bn_sync;
}

gan_status gan_trainer_dist_sync_bn(gan_trainer *t) {
    if (!t->opt.sync_bn || !t->reduce) return GAN_OK;
    static const gan_kernel needed[] = {GAN_K_batchnorm_sums, GAN_K_batchnorm_forward_sums,
                                        GAN_K_batchnorm_backward_sums,
                                        GAN_K_batchnorm_backward_from_sums};
    for (size_t i = 0; i < sizeof needed / sizeof *needed; i++)
        GAN_TRY(gan_backend_require(t->be, needed[i], "batch norm over every rank's rows"));
    t->bn_sync = (gan_layer_sync){.sum = sum_statistics, .ctx = t, .ranks = t->ranks};
    link_batchnorm(t, &t->g);
    link_batchnorm(t, &t->d);
    return GAN_OK;
}

void gan_trainer_dist_reduce(gan_trainer *t, float *buf, size_t n) {
    if (!t->reduce) return;
    gan_status s = t->comm->allreduce(t->comm, buf, n, GAN_REDUCE_SUM);
    if (s != GAN_OK && t->comm_status == GAN_OK) t->comm_status = s;
}

gan_status gan_trainer_dist_reduce_host(gan_trainer *t, float *buf, size_t n) {
    if (!t->reduce) return GAN_OK;
    return t->comm->allreduce_host(t->comm, buf, n, GAN_REDUCE_SUM);
}

/* FNV-1a of a model's parameters and Adam moments (host copies), and its
 * state (running statistics) when the ranks share batch statistics: with
 * per-rank batch norm each rank's running statistics follow its own rows
 * (they serve only inference: the samples and the checkpoint are rank 0's). */
static uint64_t hash_model(uint64_t h, const gan_model *m, bool state) {
    h = gan_fnv1a64(h, m->host.params, m->n_params * sizeof(float));
    h = gan_fnv1a64(h, m->host.adam_m, m->n_params * sizeof(float));
    h = gan_fnv1a64(h, m->host.adam_v, m->n_params * sizeof(float));
    return state ? gan_fnv1a64(h, m->host.state, m->n_state * sizeof(float)) : h;
}

gan_status gan_trainer_dist_same_weights(gan_trainer *t) {
    if (!t->reduce || t->ranks < 2) return GAN_OK;
    GAN_TRY(gan_model_download(&t->g));
    GAN_TRY(gan_model_download(&t->d));
    bool state = t->opt.sync_bn;
    uint64_t mine = hash_model(hash_model(GAN_FNV1A64_BASIS, &t->g, state), &t->d, state);
    uint64_t lead = mine;
    GAN_TRY(t->comm->broadcast(t->comm, &lead, sizeof lead, 0));
    float differ = mine != lead;
    GAN_TRY(t->comm->allreduce_host(t->comm, &differ, 1, GAN_REDUCE_SUM));
    if (differ > 0.0f)
        return gan_fail(GAN_ERR_NUMERIC, "step %lld: the weights of %.0f rank(s) differ from "
                        "rank 0's (the ranks no longer train the same model)",
                        (long long)t->step, differ);
    return GAN_OK;
}

gan_comm *gan_trainer_comm(const gan_trainer *t) {
    return t->comm;
}

int gan_trainer_ranks(const gan_trainer *t) {
    return t->ranks;
}
