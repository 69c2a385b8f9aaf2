/*
 * init_from.c - a new run from another run's weights (gan_trainer_init_from,
 * gan.h): fine-tuning. The trainer is new (its own options, fresh Adam
 * moments and step 0); only the weights and running statistics of both
 * networks, or of the generator alone, come from the checkpoint. Every
 * tensor must exist there with the same shape; otherwise nothing is loaded
 * and the error names the tensors that differ.
 */
#include "checkpoint.h"
#include "io/safetensors.h"
#include "trainer.h"

#include <stdio.h>
#include <string.h>

#define NAMED_MAX 4 /* mismatched tensors named in the error */

typedef struct match_ctx {
    const gan_st_file *f;
    int bad;
    char msg[900];
} match_ctx;

static void shape_str(const int64_t *shape, int ndims, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndims && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
}

/* Whether the checkpoint holds `name` as F32 of t's shape; note it if not. */
static gan_status check_tensor(void *vctx, const char *name, const gan_layer_tensor *t) {
    match_ctx *c = vctx;
    const gan_st_tensor *s = gan_st_find(c->f, name);
    bool same = s && s->dtype == GAN_ST_F32 && s->ndims == t->ndims &&
                memcmp(s->shape, t->shape, (size_t)t->ndims * sizeof *t->shape) == 0;
    if (same) return GAN_OK;
    if (c->bad++ < NAMED_MAX) {
        char here[96], there[96] = "missing";
        shape_str(t->shape, t->ndims, here, sizeof here);
        if (s) shape_str(s->shape, s->ndims, there, sizeof there);
        size_t n = strlen(c->msg);
        snprintf(c->msg + n, sizeof c->msg - n, "%s%s %s here, %s there", n ? "; " : "", name,
                 here, there);
    }
    return GAN_OK;
}

gan_status gan_trainer_init_from(gan_trainer *t, const char *path, bool generator_only) {
    gan_st_file *f;
    GAN_TRY(gan_st_open(path, &f));
    gan_ckpt_info info;
    gan_status s = gan_ckpt_read_info(f, &info);
    match_ctx c = {.f = f};
    gan_model *nets[2] = {&t->g, &t->d};
    int n_nets = generator_only ? 1 : 2;
    for (int i = 0; s == GAN_OK && i < n_nets; i++)
        s = gan_model_each_tensor(nets[i], check_tensor, &c);
    if (s == GAN_OK && c.bad)
        s = gan_fail(GAN_ERR_SHAPE, "%s: %d tensor%s of the %s do%s not match this model "
                     "(model '%s' there, '%s' here): %s%s", path, c.bad, c.bad == 1 ? "" : "s",
                     generator_only ? "generator" : "networks", c.bad == 1 ? "es" : "",
                     info.model, t->spec->name, c.msg, c.bad > NAMED_MAX ? "; ..." : "");
    /* the weights only: Adam's moments and step stay fresh */
    for (int i = 0; s == GAN_OK && i < n_nets; i++) s = gan_ckpt_load_model(f, nets[i], NULL, false);
    if (s == GAN_OK && t->has_ema) { /* the average starts as the loaded G */
        t->be->copy(t->be->ctx, t->g_ema.params, t->g.params, t->g.n_params * sizeof(float));
        t->be->copy(t->be->ctx, t->g_ema.state, t->g.state, t->g.n_state * sizeof(float));
        s = t->be->synchronize(t->be->ctx);
    }
    gan_st_close(f);
    return s;
}

gan_status gan_trainer_set_learning_rates(gan_trainer *t, float lr_g, float lr_d) {
    gan_train_options o = t->opt;
    o.lr_g = lr_g;
    o.lr_d = lr_d;
    GAN_TRY(gan_train_options_check(&o));
    if (t->graph) { /* a captured step holds the old rates */
        t->be->graph_free(t->be->ctx, t->graph);
        t->graph = NULL;
    }
    t->opt = o;
    return GAN_OK;
}
