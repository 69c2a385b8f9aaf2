/*
 * checkpoint.c - save a trainer's whole state as a safetensors checkpoint,
 * and resume a trainer from one (layout in checkpoint.h and
 * docs/checkpoint.md).
 *
 * Everything read from a file is validated before it is used: metadata
 * values are parsed strictly, every tensor must exist with the dtype and
 * shape the model needs, and weights must be finite.
 *
 * Files are read and written through the models' host copies (model.h): a
 * GPU trainer's networks are downloaded before saving and uploaded after
 * loading.
 */
#include "checkpoint.h"
#include "options.h"
#include "presets.h"
#include "trainer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ save */

typedef struct save_ctx {
    gan_st_writer *w;
    const gan_model *m;
    char names[2][128];
} save_ctx;

static bool is_param(const gan_model *m, const gan_layer_tensor *t) {
    return t->data >= m->host.params && t->data < m->host.params + m->n_params;
}

static gan_status add_tensor(void *ctx, const char *name, const gan_layer_tensor *t) {
    return gan_st_writer_add(((save_ctx *)ctx)->w, name, GAN_ST_F32, t->ndims, t->shape, t->data);
}

static gan_status add_moments(void *vctx, const char *name, const gan_layer_tensor *t) {
    save_ctx *c = vctx;
    if (!is_param(c->m, t)) return GAN_OK;
    size_t off = (size_t)(t->data - c->m->host.params);
    char key[192];
    snprintf(key, sizeof key, "optimizer.%s.exp_avg", name);
    GAN_TRY(gan_st_writer_add(c->w, key, GAN_ST_F32, t->ndims, t->shape,
                              c->m->host.adam_m + off));
    snprintf(key, sizeof key, "optimizer.%s.exp_avg_sq", name);
    return gan_st_writer_add(c->w, key, GAN_ST_F32, t->ndims, t->shape, c->m->host.adam_v + off);
}

static gan_status meta_int(gan_st_writer *w, const char *key, long long v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    return gan_st_writer_set_metadata(w, key, buf);
}

/* The shortest decimal that reads back as the same float (9 digits always do). */
static gan_status meta_float(gan_st_writer *w, const char *key, float v) {
    char buf[40];
    for (int digits = 6; digits <= 9; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, (double)v);
        if (strtof(buf, NULL) == v) break;
    }
    return gan_st_writer_set_metadata(w, key, buf);
}

/* Every saved option (options.h) as metadata "options.<key>". */
static gan_status write_options(gan_st_writer *w, const gan_train_options *o) {
    for (int i = 0; i < gan_train_option_count(); i++) {
        const gan_train_option *r = gan_train_option_at(i);
        if (!(r->where & GAN_OPTION_SAVED)) continue;
        char key[64];
        snprintf(key, sizeof key, "options.%s", r->key);
        const void *p = (const char *)o + r->offset;
        if (r->type == GAN_OPTION_FLOAT) {
            GAN_TRY(meta_float(w, key, *(const float *)p));
        } else {
            char buf[64];
            gan_train_option_format(r, o, buf, sizeof buf);
            GAN_TRY(gan_st_writer_set_metadata(w, key, buf));
        }
    }
    return GAN_OK;
}

/* The dataset's shape options (data.resolution, data.channels, data.crop,
 * data.background) and class names (data.classes: one name a line). */
static gan_status write_data_shape(gan_st_writer *w, const gan_dataset *data) {
    gan_dataset_options o;
    gan_dataset_get_shape_options(data, &o);
    GAN_TRY(meta_int(w, "data.resolution", o.resolution));
    GAN_TRY(meta_int(w, "data.channels", o.channels));
    GAN_TRY(gan_st_writer_set_metadata(w, "data.crop", o.crop == GAN_CROP_NONE ? "none" : "center"));
    GAN_TRY(gan_st_writer_set_metadata(w, "data.background",
                                       o.background == GAN_BACKGROUND_BLACK ? "black" : "white"));
    int n = gan_dataset_class_count(data);
    if (n <= 0) return GAN_OK;
    size_t len = 1;
    for (int k = 0; k < n; k++) len += strlen(gan_dataset_class_name(data, k)) + 1;
    char *names = malloc(len), *p = names;
    if (!names) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate the class names");
    for (int k = 0; k < n; k++) {
        const char *name = gan_dataset_class_name(data, k);
        for (const char *c = name; *c; c++) *p++ = *c == '\n' ? '?' : *c;
        *p++ = k + 1 < n ? '\n' : 0;
    }
    gan_status s = gan_st_writer_set_metadata(w, "data.classes", names);
    free(names);
    return s;
}

/* The checkpoint of t into w; download false: the tensors as the host
 * copies hold them (for the file's size: a GPU trainer's may be stale). */
static gan_status fill_checkpoint(gan_trainer *t, gan_st_writer *w, bool download) {
    save_ctx ctx = {.w = w};
    if (download) {
        GAN_TRY(gan_model_download(&t->g));
        GAN_TRY(gan_model_download(&t->d));
        if (t->has_ema) GAN_TRY(gan_model_download(&t->g_ema));
    }
    const gan_model *nets[2] = {&t->g, &t->d};
    for (int i = 0; i < 2; i++) GAN_TRY(gan_model_each_tensor(nets[i], add_tensor, &ctx));
    if (t->has_ema) GAN_TRY(gan_model_each_tensor(&t->g_ema, add_tensor, &ctx));
    for (int i = 0; i < 2; i++) {
        ctx.m = nets[i];
        GAN_TRY(gan_model_each_tensor(nets[i], add_moments, &ctx));
    }
    GAN_TRY(gan_st_writer_add(w, "optimizer.generator.step", GAN_ST_I64, 0, NULL, &t->g.adam_t));
    GAN_TRY(gan_st_writer_add(w, "optimizer.discriminator.step", GAN_ST_I64, 0, NULL,
                              &t->d.adam_t));
    GAN_TRY(gan_st_writer_add(w, "trainer.step", GAN_ST_I64, 0, NULL, &t->step));
    GAN_TRY(gan_st_writer_add(w, "trainer.seed", GAN_ST_U64, 0, NULL, &t->opt.seed));

    const int *img = t->spec->image;
    char shape[48];
    snprintf(shape, sizeof shape, "%d,%d,%d", img[0], img[1], img[2]);
    GAN_TRY(gan_st_writer_set_metadata(w, "format", GAN_CKPT_FORMAT));
    GAN_TRY(gan_st_writer_set_metadata(w, "format_version", GAN_CKPT_FORMAT_VERSION));
    GAN_TRY(gan_st_writer_set_metadata(w, "gan_c_version", GAN_VERSION));
    GAN_TRY(gan_st_writer_set_metadata(w, "model", t->spec->name));
    GAN_TRY(gan_st_writer_set_metadata(w, "spec", t->spec->text));
    GAN_TRY(meta_int(w, "latent_dim", t->latent));
    GAN_TRY(gan_st_writer_set_metadata(w, "image_shape", shape));
    GAN_TRY(meta_int(w, "num_classes", t->n_classes));
    GAN_TRY(write_options(w, &t->opt));
    GAN_TRY(meta_int(w, "state.step", t->step));
    GAN_TRY(meta_int(w, "state.epoch", t->steps_per_epoch ? t->step / t->steps_per_epoch : 0));
    GAN_TRY(meta_int(w, "state.steps_per_epoch", t->steps_per_epoch));
    GAN_TRY(meta_int(w, "state.ranks", t->ranks));
    if (t->step > 0) {
        GAN_TRY(meta_float(w, "state.loss_d", t->last.loss_d));
        GAN_TRY(meta_float(w, "state.loss_g", t->last.loss_g));
        GAN_TRY(meta_float(w, "state.d_real", t->last.d_real));
        GAN_TRY(meta_float(w, "state.d_fake", t->last.d_fake));
    }
    if (t->data) {
        GAN_TRY(gan_st_writer_set_metadata(w, "data.path", gan_dataset_path(t->data)));
        GAN_TRY(meta_int(w, "data.count", gan_dataset_count(t->data)));
        GAN_TRY(write_data_shape(w, t->data));
    }
    return GAN_OK;
}

static gan_status write_checkpoint(void *trainer, gan_st_writer *w) {
    return fill_checkpoint(trainer, w, true);
}

static gan_status size_checkpoint(void *trainer, gan_st_writer *w) {
    return fill_checkpoint(trainer, w, false);
}

gan_status gan_trainer_save_checkpoint(gan_trainer *t, const char *path) {
    return gan_st_write(path, write_checkpoint, t);
}

gan_status gan_ckpt_snapshot(gan_trainer *t, uint8_t **buf, size_t *cap, size_t *len) {
    return gan_st_serialize(write_checkpoint, t, buf, cap, len);
}

gan_status gan_ckpt_size(gan_trainer *t, size_t *len) {
    return gan_st_serialize(size_checkpoint, t, NULL, NULL, len);
}

/* ------------------------------------------------------------- metadata */

static gan_status bad_meta(const gan_st_file *f, const char *key, const char *value,
                           const char *why) {
    if (!value)
        return gan_fail(GAN_ERR_FORMAT, "%s: metadata '%s' is missing (not a gan.c checkpoint?)",
                        gan_st_path(f), key);
    return gan_fail(GAN_ERR_FORMAT, "%s: metadata '%s' = '%.40s' %s", gan_st_path(f), key, value,
                    why);
}

static gan_status get_str(const gan_st_file *f, const char *key, char *out, size_t cap) {
    const char *v = gan_st_metadata(f, key);
    if (!v) return bad_meta(f, key, NULL, NULL);
    if (strlen(v) >= cap) return bad_meta(f, key, v, "is too long");
    memcpy(out, v, strlen(v) + 1);
    return GAN_OK;
}

static gan_status get_i64(const gan_st_file *f, const char *key, int64_t lo, int64_t hi,
                          int64_t *out) {
    const char *v = gan_st_metadata(f, key);
    if (!v) return bad_meta(f, key, NULL, NULL);
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || errno) return bad_meta(f, key, v, "is not an integer");
    if (x < lo || x > hi) return bad_meta(f, key, v, "is out of range");
    *out = x;
    return GAN_OK;
}

static gan_status get_int(const gan_st_file *f, const char *key, int lo, int hi, int *out) {
    int64_t x;
    GAN_TRY(get_i64(f, key, lo, hi, &x));
    *out = (int)x;
    return GAN_OK;
}

static gan_status get_float(const gan_st_file *f, const char *key, bool optional, float *out) {
    const char *v = gan_st_metadata(f, key);
    if (!v && optional) return GAN_OK;
    if (!v) return bad_meta(f, key, NULL, NULL);
    char *end;
    float x = strtof(v, &end);
    if (end == v || *end || !isfinite(x)) return bad_meta(f, key, v, "is not a finite number");
    *out = x;
    return GAN_OK;
}

/* One saved option from its metadata "options.<key>"; options added after
 * format version 1 shipped are optional, missing ones keep the value set
 * before (the default; ema_warmup: off, see read_options). */
static gan_status read_option(const gan_st_file *f, const gan_train_option *r,
                              gan_train_options *o) {
    char key[64];
    snprintf(key, sizeof key, "options.%s", r->key);
    const char *v = gan_st_metadata(f, key);
    if (!v && (r->where & GAN_OPTION_LATER)) return GAN_OK;
    void *p = (char *)o + r->offset;
    switch (r->type) {
    case GAN_OPTION_INT: return get_int(f, key, (int)r->lo, (int)r->hi, p);
    case GAN_OPTION_BOOL: return get_int(f, key, 0, 1, p);
    case GAN_OPTION_INT64:
        return get_i64(f, key, (int64_t)r->lo, r->hi >= 9.2e18 ? INT64_MAX : (int64_t)r->hi, p);
    case GAN_OPTION_FLOAT: return get_float(f, key, false, p);
    case GAN_OPTION_AUGMENT:
        if (!v || gan_augment_parse(v, p) != GAN_OK)
            return bad_meta(f, key, v, "is not a list of augmentations");
        return GAN_OK;
    case GAN_OPTION_LOSS:
        if (!v || gan_loss_parse(v, p) != GAN_OK) return bad_meta(f, key, v, "is not a known loss");
        return GAN_OK;
    case GAN_OPTION_CHOICE: {
        int i = gan_train_option_choice(r, v);
        if (i < 0) return bad_meta(f, key, v, "is not one of its choices");
        *(int *)p = i;
        return GAN_OK;
    }
    case GAN_OPTION_UINT64: {
        char *end;
        errno = 0;
        if (!v || !*v || *v == '-' || (*(uint64_t *)p = strtoull(v, &end, 10), *end || errno))
            return bad_meta(f, key, v, "is not an unsigned integer");
        return GAN_OK;
    }
    default: return bad_meta(f, key, v, "is not a saved option");
    }
}

static gan_status read_options(const gan_st_file *f, gan_train_options *o) {
    o->ema_warmup = 0; /* files from before the option: their EMA ran without warm-up */
    for (int i = 0; i < gan_train_option_count(); i++) {
        const gan_train_option *r = gan_train_option_at(i);
        if (r->where & GAN_OPTION_SAVED) GAN_TRY(read_option(f, r, o));
    }
    gan_train_options_resolve(o); /* files without lr_g, lr_d: both ran at lr */
    return GAN_OK;
}

/* data.* written by write_data_shape (absent in older files: the defaults,
 * no class names). */
static gan_status read_data_shape(const gan_st_file *f, gan_ckpt_info *info) {
    gan_dataset_options *o = &info->data_opt;
    gan_dataset_options_default(o);
    if (gan_st_metadata(f, "data.resolution"))
        GAN_TRY(get_int(f, "data.resolution", 0, 4096, &o->resolution));
    if (gan_st_metadata(f, "data.channels")) GAN_TRY(get_int(f, "data.channels", 0, 3, &o->channels));
    const char *crop = gan_st_metadata(f, "data.crop"), *bg = gan_st_metadata(f, "data.background");
    if (crop && strcmp(crop, "center") && strcmp(crop, "none"))
        return bad_meta(f, "data.crop", crop, "is not center or none");
    if (bg && strcmp(bg, "white") && strcmp(bg, "black"))
        return bad_meta(f, "data.background", bg, "is not white or black");
    o->crop = crop && !strcmp(crop, "none") ? GAN_CROP_NONE : GAN_CROP_CENTER;
    o->background = bg && !strcmp(bg, "black") ? GAN_BACKGROUND_BLACK : GAN_BACKGROUND_WHITE;
    const char *names = gan_st_metadata(f, "data.classes");
    if (!names) return GAN_OK;
    if (strlen(names) >= sizeof info->class_names)
        return bad_meta(f, "data.classes", names, "is too long");
    snprintf(info->class_names, sizeof info->class_names, "%s", names);
    info->class_count = 1;
    for (const char *c = names; *c; c++) info->class_count += *c == '\n';
    return GAN_OK;
}

gan_status gan_ckpt_read_info(const gan_st_file *f, gan_ckpt_info *info) {
    memset(info, 0, sizeof *info);
    GAN_TRY(get_str(f, "format", info->format, sizeof info->format));
    bool full = strcmp(info->format, GAN_CKPT_FORMAT) == 0;
    if (!full && strcmp(info->format, GAN_WEIGHTS_FORMAT) != 0)
        return bad_meta(f, "format", info->format, "is not '" GAN_CKPT_FORMAT "'");
    if (full) {
        char fv[16];
        GAN_TRY(get_str(f, "format_version", fv, sizeof fv));
        if (strcmp(fv, GAN_CKPT_FORMAT_VERSION) != 0)
            return gan_fail(GAN_ERR_UNSUPPORTED, "%s: checkpoint format version %s; this gan.c "
                            "(%s) reads version %s", gan_st_path(f), fv, GAN_VERSION,
                            GAN_CKPT_FORMAT_VERSION);
    }
    GAN_TRY(get_str(f, "gan_c_version", info->version, sizeof info->version));
    GAN_TRY(get_str(f, "model", info->model, sizeof info->model));
    info->has_options = full;
    if (gan_st_metadata(f, "num_classes"))
        GAN_TRY(get_int(f, "num_classes", 0, 1 << 20, &info->num_classes));
    if (!full) return GAN_OK;

    GAN_TRY(get_int(f, "latent_dim", 1, 1 << 20, &info->latent_dim));
    const char *shape = gan_st_metadata(f, "image_shape");
    char tail;
    if (!shape || sscanf(shape, "%d,%d,%d%c", &info->image[0], &info->image[1], &info->image[2],
                         &tail) != 3 || info->image[0] < 1 || info->image[1] < 1 ||
        info->image[2] < 1)
        return bad_meta(f, "image_shape", shape, "is not C,H,W");
    gan_train_options *o = &info->opt;
    gan_train_options_default(o);
    GAN_TRY(read_options(f, o));
    GAN_TRY(get_i64(f, "state.step", 0, INT64_MAX, &info->step));
    GAN_TRY(get_i64(f, "state.steps_per_epoch", 0, INT64_MAX, &info->steps_per_epoch));
    if (gan_st_metadata(f, "data.count"))
        GAN_TRY(get_i64(f, "data.count", 0, INT64_MAX, &info->data_count));
    info->ranks = 1;
    if (gan_st_metadata(f, "state.ranks")) GAN_TRY(get_int(f, "state.ranks", 1, 1 << 24, &info->ranks));
    const char *dp = gan_st_metadata(f, "data.path");
    if (dp) snprintf(info->data_path, sizeof info->data_path, "%s", dp);
    GAN_TRY(read_data_shape(f, info));
    info->last.step = info->step;
    info->last.epoch = info->steps_per_epoch ? info->step / info->steps_per_epoch : 0;
    GAN_TRY(get_float(f, "state.loss_d", true, &info->last.loss_d));
    GAN_TRY(get_float(f, "state.loss_g", true, &info->last.loss_g));
    GAN_TRY(get_float(f, "state.d_real", true, &info->last.d_real));
    GAN_TRY(get_float(f, "state.d_fake", true, &info->last.d_fake));
    return GAN_OK;
}

gan_status gan_ckpt_read_spec(const gan_st_file *f, const gan_ckpt_info *info, gan_spec **out) {
    *out = NULL;
    const char *path = gan_st_path(f);
    const char *text = gan_st_metadata(f, "spec");
    if (text) {
        size_t n = strlen(path);
        char *origin = malloc(n + 6);
        if (!origin) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate a name");
        memcpy(origin, path, n);
        memcpy(origin + n, ":spec", 6);
        gan_status s = gan_spec_parse(text, strlen(text), origin, info->model, out);
        free(origin);
        GAN_TRY(s);
    } else if (gan_preset_find(info->model)) {
        GAN_TRY(gan_spec_load_preset(info->model, out));
    } else {
        return gan_fail(GAN_ERR_FORMAT, "%s: unknown model '%s' and no metadata 'spec' "
                        "(written by gan.c %s)", path, info->model, info->version);
    }
    const gan_spec *sp = *out;
    /* before any model is built from the spec: the file must be big enough to
       hold its tensors (generator; a full checkpoint also D and Adam moments) */
    size_t have = 0, need = sp->net[GAN_SPEC_GENERATOR].n_params * sizeof(float);
    if (info->has_options)
        need = 3 * (need + sp->net[GAN_SPEC_DISCRIMINATOR].n_params * sizeof(float));
    for (size_t i = 0; i < gan_st_count(f); i++) have += gan_st_tensor_at(f, i)->nbytes;
    if (have < need / 2) { /* nearer misses: the tensor checks name what is missing */
        gan_status s = gan_fail(GAN_ERR_FORMAT, "%s: model '%s' needs %zu bytes of tensors; "
                                "the file holds only %zu", path, sp->name, need, have);
        gan_spec_free(*out);
        *out = NULL;
        return s;
    }
    if (gan_st_metadata(f, "num_classes") && info->num_classes != sp->n_classes) {
        gan_status s = gan_fail(GAN_ERR_FORMAT, "%s: metadata num_classes %d does not match "
                                "model '%s' (%d classes)", path, info->num_classes, sp->name,
                                sp->n_classes);
        gan_spec_free(*out);
        *out = NULL;
        return s;
    }
    if (info->has_options &&
        (info->latent_dim != sp->latent_dim || memcmp(info->image, sp->image, sizeof sp->image))) {
        gan_status s = gan_fail(GAN_ERR_FORMAT, "%s: metadata latent_dim %d and image_shape "
                                "%d,%d,%d do not match the model (latent %d, image %dx%dx%d)",
                                path, info->latent_dim, info->image[0], info->image[1],
                                info->image[2], sp->latent_dim, sp->image[0], sp->image[1],
                                sp->image[2]);
        gan_spec_free(*out);
        *out = NULL;
        return s;
    }
    return GAN_OK;
}

gan_status gan_checkpoint_read_info(const char *path, gan_checkpoint_info *info) {
    gan_st_file *f;
    GAN_TRY(gan_st_open(path, &f));
    gan_status s = gan_ckpt_read_info(f, info);
    gan_st_close(f);
    return s;
}

gan_status gan_checkpoint_read_spec(const char *path, gan_spec **out) {
    *out = NULL;
    gan_st_file *f;
    GAN_TRY(gan_st_open(path, &f));
    gan_ckpt_info info;
    gan_status s = gan_ckpt_read_info(f, &info);
    if (s == GAN_OK) s = gan_ckpt_read_spec(f, &info, out);
    gan_st_close(f);
    return s;
}

/* --------------------------------------------------------------- tensors */

typedef struct load_ctx {
    const gan_st_file *f;
    const gan_model *m;
    const char *prefix;
    bool moments;
    bool keep; /* false: every tensor is checked, none copied (the model keeps its zeros) */
} load_ctx;

static gan_status load_f32(const gan_st_file *f, const char *name, const gan_layer_tensor *t,
                           float *dst) {
    const float *src;
    GAN_TRY(gan_st_get_f32(f, name, t->ndims, t->shape, &src));
    /* checked, then copied, a part at a time: of a mapped file, about a part is resident
     * at once, not the whole tensor (an mlp's 1024 x 784 layer: 3 MB) */
    enum { PART = 1 << 16 }; /* floats */
    for (size_t at = 0; at < t->size; at += PART) {
        size_t end = t->size - at < PART ? t->size : at + PART;
        for (size_t i = at; i < end; i++)
            if (!isfinite(src[i])) {
                gan_st_release(f, src, t->size * sizeof *src);
                return gan_fail(GAN_ERR_NUMERIC, "%s: tensor '%s' holds NaN or infinite "
                                "values (element %zu)", gan_st_path(f), name, i);
            }
        gan_st_release(f, src + at, (end - at) * sizeof *src);
    }
    for (size_t at = 0; dst && at < t->size; at += PART) {
        size_t end = t->size - at < PART ? t->size : at + PART;
        memcpy(dst + at, src + at, (end - at) * sizeof *dst);
        gan_st_release(f, src + at, (end - at) * sizeof *src);
    }
    gan_st_release(f, src, t->size * sizeof *src); /* the pages the parts share too */
    return GAN_OK;
}

static gan_status load_tensor(void *vctx, const char *name, const gan_layer_tensor *t) {
    load_ctx *c = vctx;
    char key[192];
    const char *local = name + strlen(c->m->name); /* ".<i>.<name>" */
    snprintf(key, sizeof key, "%s%s", c->prefix, local);
    GAN_TRY(load_f32(c->f, key, t, c->keep ? t->data : NULL));
    if (!c->moments || !is_param(c->m, t)) return GAN_OK;
    size_t off = (size_t)(t->data - c->m->host.params);
    snprintf(key, sizeof key, "optimizer.%s%s.exp_avg", c->prefix, local);
    GAN_TRY(load_f32(c->f, key, t, c->keep ? c->m->host.adam_m + off : NULL));
    snprintf(key, sizeof key, "optimizer.%s%s.exp_avg_sq", c->prefix, local);
    GAN_TRY(load_f32(c->f, key, t, c->keep ? c->m->host.adam_v + off : NULL));
    return GAN_OK;
}

static gan_status get_scalar_i64(const gan_st_file *f, const char *name, gan_st_dtype dtype,
                                 int64_t *out) {
    const void *p;
    GAN_TRY(gan_st_get(f, name, dtype, 0, NULL, &p));
    memcpy(out, p, sizeof *out);
    return GAN_OK;
}

static gan_status load_model(const gan_st_file *f, gan_model *m, const char *prefix, bool moments,
                             bool keep) {
    load_ctx c = {f, m, prefix ? prefix : m->name, moments, keep};
    GAN_TRY(gan_model_each_tensor(m, load_tensor, &c));
    if (moments) {
        char key[96];
        snprintf(key, sizeof key, "optimizer.%s.step", c.prefix);
        GAN_TRY(get_scalar_i64(f, key, GAN_ST_I64, &m->adam_t));
        if (m->adam_t < 0)
            return gan_fail(GAN_ERR_FORMAT, "%s: tensor '%s' is negative", gan_st_path(f), key);
    }
    return gan_model_upload(m);
}

gan_status gan_ckpt_load_model(const gan_st_file *f, gan_model *m, const char *prefix,
                               bool moments) {
    return load_model(f, m, prefix, moments, true);
}

gan_status gan_ckpt_check_model(const gan_st_file *f, gan_model *m, const char *prefix, bool moments) {
    return load_model(f, m, prefix, moments, false);
}

bool gan_ckpt_has_ema(const gan_st_file *f, const gan_ckpt_info *info) {
    if (info->has_options) return info->opt.ema > 0.0f;
    for (size_t i = 0; i < gan_st_count(f); i++)
        if (strncmp(gan_st_tensor_at(f, i)->name, "generator_ema.", 14) == 0) return true;
    return false;
}

/* ---------------------------------------------------------------- resume */

static gan_status resume(gan_trainer *t, const gan_st_file *f, const gan_ckpt_info *info) {
    const char *path = gan_st_path(f);
    int64_t count = gan_dataset_count(t->data);
    if (info->data_count && info->data_count != count)
        return gan_fail(GAN_ERR_SHAPE, "%s: the checkpoint was trained on %lld images (%s), "
                        "%s has %lld; resume needs the same dataset", path,
                        (long long)info->data_count, info->data_path, gan_dataset_path(t->data),
                        (long long)count);
    GAN_TRY(gan_ckpt_load_model(f, &t->g, NULL, true));
    GAN_TRY(gan_ckpt_load_model(f, &t->d, NULL, true));
    if (t->has_ema) GAN_TRY(gan_ckpt_load_model(f, &t->g_ema, NULL, false));
    int64_t step, seed;
    GAN_TRY(get_scalar_i64(f, "trainer.step", GAN_ST_I64, &step));
    GAN_TRY(get_scalar_i64(f, "trainer.seed", GAN_ST_U64, &seed));
    if (step != info->step || (uint64_t)seed != info->opt.seed)
        return gan_fail(GAN_ERR_FORMAT, "%s: tensors trainer.step/trainer.seed disagree with "
                        "the metadata state.step/options.seed", path);
    t->last = info->last;
    t->taken = info->last;
    t->order_epoch = -1;
    return gan_trainer_set_step(t, step);
}

gan_status gan_trainer_resume(const char *path, const gan_dataset *data, int threads,
                              gan_trainer **out) {
    gan_train_options machine;
    gan_train_options_default(&machine);
    machine.threads = threads;
    return gan_trainer_resume_on(path, data, &machine, out);
}

gan_status gan_trainer_resume_on(const char *path, const gan_dataset *data,
                                 const gan_train_options *machine, gan_trainer **out) {
    return gan_trainer_resume_comm(path, data, machine, NULL, out);
}

gan_status gan_trainer_resume_comm(const char *path, const gan_dataset *data,
                                   const gan_train_options *machine, gan_comm *comm,
                                   gan_trainer **out) {
    *out = NULL;
    gan_st_file *f;
    GAN_TRY(gan_st_open(path, &f));
    gan_ckpt_info info;
    gan_status s = gan_ckpt_read_info(f, &info);
    if (s == GAN_OK && !info.has_options)
        s = gan_fail(GAN_ERR_FORMAT, "%s: holds weights only (format '%s'), not the optimizer "
                     "state that resuming needs", path, info.format);
    gan_spec *spec = NULL;
    if (s == GAN_OK) s = gan_ckpt_read_spec(f, &info, &spec);
    gan_trainer *t = NULL;
    if (s == GAN_OK) {
        info.opt.threads = machine->threads;
        info.opt.device = machine->device;
        if (machine->allow_tf32 && info.opt.precision != GAN_PRECISION_TF32)
            s = gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: the run trains in precision %s and "
                         "resumes in it: tf32 (--tf32) cannot change that", path,
                         gan_precision_names[info.opt.precision]);
    }
    if (s == GAN_OK) {
        s = gan_trainer_create_spec_comm(spec, &info.opt, data, comm, &t);
    }
    if (s == GAN_OK) s = resume(t, f, &info);
    gan_spec_free(spec);
    gan_st_close(f);
    if (s != GAN_OK) {
        gan_trainer_free(t);
        return s;
    }
    *out = t;
    return GAN_OK;
}

int64_t gan_trainer_step_count(const gan_trainer *t) {
    return t->step;
}

void gan_trainer_options(const gan_trainer *t, gan_train_options *opt) {
    *opt = t->opt;
}

const char *gan_trainer_model_name(const gan_trainer *t) {
    return t->spec->name;
}

const gan_spec *gan_trainer_spec(const gan_trainer *t) {
    return t->spec;
}

gan_status gan_trainer_set_schedule(gan_trainer *t, int epochs, int64_t max_steps) {
    gan_train_options o = t->opt;
    o.epochs = epochs;
    o.max_steps = max_steps;
    GAN_TRY(gan_train_options_check(&o));
    t->opt = o;
    return GAN_OK;
}

const char *gan_checkpoint_class_name(const gan_checkpoint_info *info, int k, char *buf,
                                      size_t cap) {
    const char *p = info->class_names;
    buf[0] = 0;
    if (k < 0 || k >= info->class_count) return buf;
    for (int i = 0; i < k; i++) p = strchr(p, '\n') + 1;
    const char *end = strchr(p, '\n');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    snprintf(buf, cap, "%.*s", (int)n, p);
    return buf;
}

int gan_checkpoint_class_index(const gan_checkpoint_info *info, const char *name_or_index) {
    char buf[512];
    for (int k = 0; k < info->class_count; k++)
        if (strcmp(gan_checkpoint_class_name(info, k, buf, sizeof buf), name_or_index) == 0)
            return k;
    if (!*name_or_index || strspn(name_or_index, "0123456789") != strlen(name_or_index) ||
        strlen(name_or_index) > 6)
        return -1;
    return atoi(name_or_index);
}
