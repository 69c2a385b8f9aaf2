/*
 * describe.c - gan_checkpoint_describe: the text `gan inspect` prints about a
 * checkpoint (architecture with shapes and parameter counts, classes of a
 * conditional model, training state, options, version, model spec), built
 * in memory so that the library itself prints nothing. One network is in
 * memory at a time, and the file's pages leave as each tensor is checked
 * (gan_st_release), so describing a checkpoint costs about one network.
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "checkpoint.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_count(FILE *out, long long n) {
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%lld", n), first = len % 3 ? len % 3 : 3;
    fprintf(out, "%.*s", first, buf);
    for (int i = first; i < len; i += 3) fprintf(out, ",%.3s", buf + i);
}

static const char *shape_str(const int s[3], char *b, size_t n) {
    if (s[1] == 1 && s[2] == 1) snprintf(b, n, "%d", s[0]);
    else snprintf(b, n, "%dx%dx%d", s[0], s[1], s[2]);
    return b;
}

/* Each layer by its kind's name (as the spec names it), with "+sn" when
 * its weight is spectrally normalized. */
static void print_model(FILE *out, const gan_model *m) {
    char sh[48], cnt[32], name[64];
    fprintf(out, "\n%s: input %s\n", m->name, shape_str(m->in, sh, sizeof sh));
    fprintf(out, "  %-3s %-19s %-12s %12s\n", "#", "layer", "output", "parameters");
    bool any_sn = false;
    for (int i = 0; i < m->n_layers; i++) {
        const gan_layer *l = &m->layers[i];
        const gan_block *b = m->block_of[i] ? &m->blocks[m->block_of[i] - 1] : NULL;
        char path[96];
        gan_model_layer_path(m, i, path, sizeof path); /* "<net>.3" or "<net>.3.main.0" */
        char *item = strchr(path, '.') + 1, *inner = strchr(item, '.');
        if (inner) *inner++ = 0;
        if (b && b->first == i) /* the block's line: its output */
            fprintf(out, "  %-3s %-16s %-12s %12s\n", item, b->kind->name,
                    shape_str(b->out, sh, sizeof sh), "");
        snprintf(name, sizeof name, "%s%s%s%s", inner ? inner : "", inner ? " " : "",
                 gan_layer_name(l), l->spectral_norm ? "+sn" : "");
        any_sn |= l->spectral_norm;
        snprintf(cnt, sizeof cnt, "%zu", l->n_params);
        fprintf(out, "  %-3s %s%-*s %-12s %12s\n", b ? "" : item, b ? "  " : "", b ? 14 : 16, name,
                shape_str(l->out, sh, sizeof sh), l->n_params ? cnt : "-");
    }
    if (any_sn) fprintf(out, "  (+sn: spectral normalization of the weight)\n");
    fprintf(out, "  total: ");
    print_count(out, (long long)m->n_params);
    fprintf(out, " parameters (%.2f MB as float32)\n", m->n_params * 4.0 / 1e6);
}

/* Build network `which` (named `as` when non-NULL) from the spec, check its
 * tensors in the file (not copied: the printout needs shapes only), print it
 * when `out` is non-NULL, and free it: one network at a time. */
static gan_status describe_net(FILE *out, const gan_st_file *f, const gan_spec *spec, gan_spec_net_id which,
                               const char *as, bool moments, int64_t *adam_t, size_t *n_params) {
    gan_model m = {0};
    gan_status s = as ? gan_spec_build_as(spec, which, as, &m, 1, gan_backend_cpu())
                      : gan_spec_build(spec, which, &m, 1, gan_backend_cpu());
    if (s == GAN_OK) s = gan_ckpt_check_model(f, &m, NULL, moments);
    if (s == GAN_OK && out) print_model(out, &m);
    *adam_t = m.adam_t;
    *n_params = m.n_params;
    gan_model_free(&m);
    return s;
}

static gan_status describe(FILE *out, const char *path, bool spec_only) {
    gan_st_file *f = NULL;
    gan_ckpt_info info;
    int64_t g_adam_t = 0, d_adam_t = 0, unused_t;
    size_t unused_n, ema_params = 0;
    bool has_ema = false;
    gan_spec *spec = NULL;
    FILE *nets = NULL; /* the architecture, printed as each network is checked */
    char *nets_text = NULL;
    size_t nets_len = 0;
    gan_status s = gan_st_open(path, &f);
    if (s == GAN_OK) s = gan_ckpt_read_info(f, &info);
    if (s == GAN_OK) s = gan_ckpt_read_spec(f, &info, &spec);
    if (s == GAN_OK && !spec_only && !(nets = open_memstream(&nets_text, &nets_len)))
        s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory describing it", path);
    /* loading validates every tensor */
    if (s == GAN_OK)
        s = describe_net(nets, f, spec, GAN_SPEC_GENERATOR, NULL, info.has_options, &g_adam_t, &unused_n);
    if (s == GAN_OK)
        s = describe_net(nets, f, spec, GAN_SPEC_DISCRIMINATOR, NULL, info.has_options, &d_adam_t, &unused_n);
    if (s == GAN_OK && (has_ema = gan_ckpt_has_ema(f, &info)))
        s = describe_net(NULL, f, spec, GAN_SPEC_GENERATOR, "generator_ema", false, &unused_t, &ema_params);
    if (nets && fclose(nets) != 0 && s == GAN_OK)
        s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory describing it", path);
    if (s != GAN_OK) goto done;
    if (spec_only) {
        fputs(spec->text, out);
        goto done;
    }
    fprintf(out, "checkpoint: %s (%s, written by gan.c %s)\n", path, info.format, info.version);
    fprintf(out, "model: %s, latent %d -> image %dx%dx%d", info.model, spec->latent_dim,
           spec->image[0], spec->image[1], spec->image[2]);
    if (spec->n_classes) fprintf(out, ", conditional on %d classes", spec->n_classes);
    fprintf(out, "%s\n", gan_st_metadata(f, "spec") ? "" : " (preset: the file has no spec)");
    if (info.class_count) {
        char name[256];
        fprintf(out, "classes (gan sample --class NAME|K):");
        for (int k = 0; k < info.class_count; k++)
            fprintf(out, "%s %d %s", k ? "," : "", k, gan_checkpoint_class_name(&info, k, name, sizeof name));
        fprintf(out, "\n");
    }
    fputs(nets_text, out);
    if (info.has_options) {
        const gan_train_options *o = &info.opt;
        int64_t spe = info.steps_per_epoch > 0 ? info.steps_per_epoch : 1;
        if (info.step % spe == 0)
            fprintf(out, "\ntraining state: step %lld, epoch %lld done (%lld steps per epoch)\n",
                    (long long)info.step, (long long)(info.step / spe), (long long)spe);
        else
            fprintf(out, "\ntraining state: step %lld, in epoch %lld (step %lld of %lld)\n",
                    (long long)info.step, (long long)(info.step / spe + 1),
                    (long long)(info.step % spe), (long long)spe);
        if (info.step > 0)
            fprintf(out, "  last step: loss_d %.4f  loss_g %.4f  D(x) %.3f  D(G(z)) %.3f\n",
                   info.last.loss_d, info.last.loss_g, info.last.d_real, info.last.d_fake);
        fprintf(out, "  Adam steps: generator %lld, discriminator %lld\n", (long long)g_adam_t,
               (long long)d_adam_t);
        fprintf(out, "  ranks: %d\n", info.ranks);
        fprintf(out, "options: batch_size %d, lr %g, beta1 %g, beta2 %g, adam_eps %g, seed %llu, "
               "epochs %d, max_steps %lld\n", o->batch_size, o->lr, o->beta1, o->beta2,
               o->adam_eps, (unsigned long long)o->seed, o->epochs, (long long)o->max_steps);
        fprintf(out, "  loss %s", gan_loss_name(o->loss));
        if (o->loss == GAN_LOSS_WASSERSTEIN) fprintf(out, " (clip %g)", o->clip);
        fprintf(out, ", lr_g %g, lr_d %g, d_steps %d, label_smoothing %g, ema %g%s, init %s\n",
                o->lr_g, o->lr_d, o->d_steps, o->label_smoothing, o->ema,
                o->ema <= 0 ? "" : o->ema_warmup ? " (warm-up on)" : " (warm-up off)",
                gan_init_names[o->init == GAN_INIT_DCGAN]);
        if (o->precision != GAN_PRECISION_FP32)
            fprintf(out, "  precision %s (GPU)\n", gan_precision_names[o->precision]);
        if (o->mirror || o->augment) {
            char aug[64];
            gan_augment_format(o->augment, aug, sizeof aug);
            fprintf(out, "  mirror %s, augment %s\n", o->mirror ? "on" : "off", aug);
        }
        if (info.data_path[0]) {
            const gan_dataset_options *shape = &info.data_opt;
            fprintf(out, "data: %s (%lld images)", info.data_path, (long long)info.data_count);
            if (shape->resolution) fprintf(out, ", resolution %d", shape->resolution);
            if (shape->channels) fprintf(out, ", channels %d", shape->channels);
            fprintf(out, ", crop %s, background %s\n",
                    shape->crop == GAN_CROP_NONE ? "none" : "center",
                    shape->background == GAN_BACKGROUND_BLACK ? "black" : "white");
        }
    } else {
        fprintf(out, "\n(weights only: no optimizer state or options)\n");
    }
    if (has_ema)
        fprintf(out, "generator_ema: the moving average of the generator (%zu parameters); sample, "
               "interpolate and export use it\n", ema_params);
    size_t n = strlen(spec->text);
    fprintf(out, "\nmodel spec (gan inspect --spec prints it alone):\n%s%s", spec->text,
           n && spec->text[n - 1] != '\n' ? "\n" : "");
done:
    free(nets_text);
    gan_spec_free(spec);
    gan_st_close(f);
    return s;
}

gan_status gan_checkpoint_describe(const char *path, bool spec_only, char **text) {
    *text = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory describing it", path);
    gan_status s = describe(out, path, spec_only);
    if (fclose(out) != 0 && s == GAN_OK)
        s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory describing it", path);
    if (s != GAN_OK) {
        free(buf);
        return s;
    }
    *text = buf;
    return GAN_OK;
}
