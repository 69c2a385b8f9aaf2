/*
 * bench_memory.c - the memory each network of a model plans (its arena,
 * model.h), as `gan train` builds them: the generator for max(batch, 64)
 * rows, the discriminator for 2 batch rows (real and fake together), and
 * the moving average of G (--ema) for 64 rows, inference only (model.h);
 * then the three together as the trainer builds them, one transient area
 * shared where it fits (model.h: transient_from).
 *
 * usage: bench_memory [--model NAME|FILE] [batch=1024]
 * Prints, per network and for two kernel tables, the arena's MiB:
 *   cpu     the CPU backend as built (with AVX-512: direct convolutions, as
 *           the CUDA backend with cuDNN, i.e. tf32 and bf16);
 *   im2col  the same table without the direct convolutions (the layers'
 *           im2col + gemm path: the CUDA backend in fp32).
 * On a GPU the arena is what cudaMalloc holds for the network (the cuDNN
 * workspace and cuBLAS's come on top).
 */
#include "model.h"
#include "spec/spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double mib(size_t bytes) {
    return (double)bytes / (1 << 20);
}

static int report(const gan_spec *spec, gan_spec_net_id net, int rows, const gan_backend *be,
                  const char *table, bool ema) {
    gan_model *m = calloc(1, sizeof *m);
    if (!m) return 1;
    m->inference_only = ema;
    gan_status s = ema ? gan_spec_build_as(spec, net, "generator_ema", m, rows, be)
                       : gan_spec_build(spec, net, m, rows, be);
    if (s != GAN_OK) {
        fprintf(stderr, "bench_memory: %s\n", gan_last_error());
        free(m);
        return 1;
    }
    size_t scratch = 0, work_sum = 0;
    for (int i = 0; i < m->n_layers; i++) {
        scratch += m->layers[i].n_scratch;
        work_sum += m->layers[i].n_work;
    }
    printf("%-7s %-14s rows %5d: arena %9.1f MiB (scratch %8.1f MiB, work %8.1f MiB largest "
           "%s, %8.1f MiB summed over layers)\n", table, m->name, rows, mib(m->arena.size),
           mib(scratch * sizeof(float)), mib(m->n_work * sizeof(float)),
           m->work ? "in one area" : "in the activation region", mib(work_sum * sizeof(float)));
    size_t copies = (m->inference_only ? 1 : 4) * m->n_params, t = m->n_transient;
    size_t region = m->arena.size - (copies + m->n_state + scratch + t) * sizeof(float);
    printf("        = params%s %.1f + state and scratch %.1f + transient area %.1f + activations "
           "and gradients %.1f MiB (about)\n", m->inference_only ? "" : ", grads, Adam",
           mib(copies * sizeof(float)), mib((m->n_state + scratch) * sizeof(float)),
           mib(t * sizeof(float)), mib(region));
    gan_model_free(m);
    free(m);
    return 0;
}

/* Build m (net; the EMA generator where ema: inference only, 64 rows) in pool's transient
 * area where it fits. */
static gan_status build_in(const gan_spec *spec, gan_spec_net_id net, bool ema, gan_model *m,
                           int rows, const gan_backend *be, const gan_model *pool) {
    gan_model_free(m);
    memset(m, 0, sizeof *m);
    m->inference_only = ema;
    m->transient_from = pool ? pool->transient : NULL;
    m->transient_from_n = pool ? pool->n_transient : 0;
    return ema ? gan_spec_build_as(spec, net, "generator_ema", m, 64, be)
               : gan_spec_build(spec, net, m, rows, be);
}

/* The EMA generator, G and D as the trainer builds them (src/trainer.c: build): each in the
 * largest transient area built before it where it fits, the EMA generator again in G's
 * where G's is the larger. Their arenas summed. */
static int trainer_total(const gan_spec *spec, int batch, const gan_backend *be,
                         const char *table) {
    gan_model *m = calloc(3, sizeof *m);
    if (!m) return 1;
    gan_status s = build_in(spec, GAN_SPEC_GENERATOR, true, &m[0], 64, be, NULL);
    if (s == GAN_OK)
        s = build_in(spec, GAN_SPEC_GENERATOR, false, &m[1], batch > 64 ? batch : 64, be, &m[0]);
    const gan_model *pool = &m[0];
    if (s == GAN_OK && m[1].n_transient > m[0].n_transient) {
        s = build_in(spec, GAN_SPEC_GENERATOR, true, &m[0], 64, be, &m[1]);
        pool = &m[1];
    }
    if (s == GAN_OK) s = build_in(spec, GAN_SPEC_DISCRIMINATOR, false, &m[2], 2 * batch, be, pool);
    if (s != GAN_OK) fprintf(stderr, "bench_memory: %s\n", gan_last_error());
    else printf("%-7s trainer (EMA, G, D sharing a transient area): %9.1f MiB\n", table,
                mib(m[0].arena.size + m[1].arena.size + m[2].arena.size));
    for (int k = 2; k >= 0; k--) gan_model_free(&m[k]);
    free(m);
    return s != GAN_OK;
}

int main(int argc, char **argv) {
    const char *model = "dcgan";
    int batch = 1024;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) model = argv[++i];
        else batch = atoi(argv[i]);
    }
    if (batch <= 0) {
        fprintf(stderr, "usage: bench_memory [--model NAME|FILE] [batch=1024]\n");
        return 2;
    }
    gan_spec *spec = NULL;
    gan_status s = strchr(model, '/') || strstr(model, ".gan") ? gan_spec_load_file(model, &spec)
                                                               : gan_spec_load_preset(model, &spec);
    if (s != GAN_OK) {
        fprintf(stderr, "bench_memory: %s\n", gan_last_error());
        return 1;
    }
    gan_backend im2col = *gan_backend_cpu();
    im2col.conv2d_forward = NULL;
    im2col.conv2d_backward_data = NULL;
    im2col.conv2d_backward_weight = NULL;
    const gan_backend *tables[2] = {gan_backend_cpu(), &im2col};
    const char *names[2] = {"cpu", "im2col"};
    int rc = 0, g_rows = batch > 64 ? batch : 64;
    printf("model %s, batch %d\n", spec->name, batch);
    for (int t = 0; t < 2; t++) {
        rc |= report(spec, GAN_SPEC_GENERATOR, g_rows, tables[t], names[t], false);
        rc |= report(spec, GAN_SPEC_DISCRIMINATOR, 2 * batch, tables[t], names[t], false);
        rc |= report(spec, GAN_SPEC_GENERATOR, 64, tables[t], names[t], true);
        rc |= trainer_total(spec, batch, tables[t], names[t]);
    }
    gan_spec_free(spec);
    return rc;
}
