/*
 * options.c - the training options (options.h's list) as the public table,
 * and what follows from it: defaults, the range checks, comparing and
 * printing values.
 */
#include "options.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* the type column: a gan_option_type, or a choice's name (its names list) */
#define TYPE_INT GAN_OPTION_INT
#define TYPE_INT64 GAN_OPTION_INT64
#define TYPE_UINT64 GAN_OPTION_UINT64
#define TYPE_FLOAT GAN_OPTION_FLOAT
#define TYPE_LOSS GAN_OPTION_LOSS
#define TYPE_DEVICE GAN_OPTION_DEVICE
#define TYPE_BOOL GAN_OPTION_BOOL
#define TYPE_AUGMENT GAN_OPTION_AUGMENT
#define TYPE_INIT GAN_OPTION_CHOICE
#define CHOICES_INIT gan_init_names
#define TYPE_PRECISION GAN_OPTION_CHOICE
#define CHOICES_PRECISION gan_precision_names
#define TYPE_ONOFF GAN_OPTION_CHOICE
#define CHOICES_ONOFF gan_onoff_names
#define CHOICES_INT NULL
#define CHOICES_INT64 NULL
#define CHOICES_UINT64 NULL
#define CHOICES_FLOAT NULL
#define CHOICES_LOSS NULL
#define CHOICES_DEVICE NULL
#define CHOICES_BOOL NULL
#define CHOICES_AUGMENT NULL

const char *const gan_init_names[] = {"glorot", "dcgan", NULL};
const char *const gan_precision_names[] = {"fp32", "tf32", "bf16", NULL};
const char *const gan_onoff_names[] = {"off", "on", NULL};

#define ROW(field, flag, type, def, lo, hi, lo_open, hi_open, zero_unset, spec, where, arg, help) \
    {#field, flag, TYPE_##type, offsetof(gan_train_options, field), def, lo, hi, lo_open,         \
     hi_open, zero_unset, (where) | ((spec) ? GAN_OPTION_IN_SPEC : 0), arg, help, CHOICES_##type},

static const gan_train_option rows[] = {GAN_TRAIN_OPTIONS(ROW)};
#define N_ROWS ((int)(sizeof rows / sizeof rows[0]))

_Static_assert(sizeof(gan_loss) == sizeof(int), "a loss option is an int");

static int choice_count(const gan_train_option *r) {
    int n = 0;
    while (r->choices && r->choices[n]) n++;
    return n;
}

int gan_train_option_choice(const gan_train_option *r, const char *name) {
    for (int i = 0; name && i < choice_count(r); i++)
        if (strcmp(r->choices[i], name) == 0) return i;
    return -1;
}

int gan_train_option_count(void) {
    return N_ROWS;
}

const gan_train_option *gan_train_option_at(int i) {
    return i >= 0 && i < N_ROWS ? &rows[i] : NULL;
}

static void *field(const gan_train_option *r, gan_train_options *o) {
    return (char *)o + r->offset;
}

static const void *cfield(const gan_train_option *r, const gan_train_options *o) {
    return (const char *)o + r->offset;
}

/* Every value as a double (seeds: exact below 2^53, enough for comparing ranges). */
static double value_of(const gan_train_option *r, const gan_train_options *o) {
    const void *p = cfield(r, o);
    switch (r->type) {
    case GAN_OPTION_INT64: return (double)*(const int64_t *)p;
    case GAN_OPTION_UINT64: return (double)*(const uint64_t *)p;
    case GAN_OPTION_FLOAT: return *(const float *)p;
    default: return *(const int *)p; /* int, gan_loss, device, bool */
    }
}

void gan_train_options_default(gan_train_options *opt) {
    memset(opt, 0, sizeof *opt);
    for (int i = 0; i < N_ROWS; i++) {
        const gan_train_option *r = &rows[i];
        void *p = field(r, opt);
        switch (r->type) {
        case GAN_OPTION_INT64: *(int64_t *)p = (int64_t)r->def; break;
        case GAN_OPTION_UINT64: *(uint64_t *)p = (uint64_t)r->def; break;
        case GAN_OPTION_FLOAT: *(float *)p = (float)r->def; break;
        default: *(int *)p = (int)r->def; break;
        }
    }
}

void gan_train_options_resolve(gan_train_options *opt) {
    if (opt->lr_g == 0.0f) opt->lr_g = opt->lr;
    if (opt->lr_d == 0.0f) opt->lr_d = opt->lr;
    opt->mirror = opt->mirror != 0; /* saved as 0 or 1 */
    if (opt->allow_tf32 && opt->precision == GAN_PRECISION_FP32) opt->precision = GAN_PRECISION_TF32;
    opt->allow_tf32 = opt->precision == GAN_PRECISION_TF32;
}

static bool in_range(const gan_train_option *r, double v) {
    if (r->zero_unset && v == 0.0) return true;
    bool lo_ok = r->lo_open ? v > r->lo : v >= r->lo;
    bool hi_ok = r->hi_open ? v < r->hi : v <= r->hi;
    return lo_ok && hi_ok;
}

/* "<key>: <value> is out of range [lo, hi]", or for no upper limit "must be
 * at least lo" / "must not be negative". */
static gan_status out_of_range(const gan_train_option *r, const gan_train_options *o) {
    char v[64];
    gan_train_option_format(r, o, v, sizeof v);
    bool unlimited = r->hi == GAN_INT_MAX || r->hi == GAN_INT64_MAX;
    if (unlimited && r->lo == 0)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: %s must not be negative", r->key, v);
    if (unlimited)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: %s must be at least %g", r->key, v, r->lo);
    return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: %s is out of range %c%g, %g%c", r->key, v,
                    r->lo_open ? '(' : '[', r->lo, r->hi, r->hi_open ? ')' : ']');
}

gan_status gan_train_options_check(const gan_train_options *o) {
    for (int i = 0; i < N_ROWS; i++) {
        const gan_train_option *r = &rows[i];
        double v = value_of(r, o);
        switch (r->type) {
        case GAN_OPTION_LOSS:
            if (!gan_loss_name(o->loss))
                return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: unknown loss number %d", r->key,
                                (int)o->loss);
            break;
        case GAN_OPTION_DEVICE:
            if (v != GAN_DEVICE_CPU && v != GAN_DEVICE_CUDA)
                return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: unknown device %d", r->key,
                                (int)v);
            break;
        case GAN_OPTION_AUGMENT:
            if (v < 0 || v > r->hi)
                return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: unknown augmentation set %d",
                                r->key, (int)v);
            break;
        case GAN_OPTION_CHOICE:
            if (v < 0 || v >= choice_count(r))
                return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: unknown choice %d", r->key,
                                (int)v);
            break;
        case GAN_OPTION_UINT64:
        case GAN_OPTION_BOOL: break; /* any int: non-zero is on */
        default:
            if (!in_range(r, v)) return out_of_range(r, o);
        }
    }
    if (o->label_smoothing > 0.0f && o->loss != GAN_LOSS_NONSATURATING &&
        o->loss != GAN_LOSS_MINIMAX)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "label_smoothing: applies to the "
                        "cross-entropy losses (non-saturating, minimax), not to the %s loss",
                        gan_loss_name(o->loss));
    return GAN_OK;
}

bool gan_train_option_equal(const gan_train_option *r, const gan_train_options *a,
                            const gan_train_options *b) {
    switch (r->type) {
    case GAN_OPTION_INT64: return *(const int64_t *)cfield(r, a) == *(const int64_t *)cfield(r, b);
    case GAN_OPTION_UINT64:
        return *(const uint64_t *)cfield(r, a) == *(const uint64_t *)cfield(r, b);
    case GAN_OPTION_FLOAT: return *(const float *)cfield(r, a) == *(const float *)cfield(r, b);
    default: return *(const int *)cfield(r, a) == *(const int *)cfield(r, b);
    }
}

void gan_train_option_format(const gan_train_option *r, const gan_train_options *o, char *buf,
                             size_t cap) {
    const void *p = cfield(r, o);
    switch (r->type) {
    case GAN_OPTION_INT64: snprintf(buf, cap, "%lld", (long long)*(const int64_t *)p); break;
    case GAN_OPTION_UINT64:
        snprintf(buf, cap, "%llu", (unsigned long long)*(const uint64_t *)p);
        break;
    case GAN_OPTION_FLOAT: snprintf(buf, cap, "%g", (double)*(const float *)p); break;
    case GAN_OPTION_LOSS: {
        const char *name = gan_loss_name(*(const gan_loss *)p);
        if (name) snprintf(buf, cap, "%s", name);
        else snprintf(buf, cap, "%d", *(const int *)p);
        break;
    }
    case GAN_OPTION_DEVICE: {
        int d = *(const int *)p;
        if (d == GAN_DEVICE_CPU || d == GAN_DEVICE_CUDA)
            snprintf(buf, cap, "%s", d == GAN_DEVICE_CUDA ? "cuda" : "cpu");
        else snprintf(buf, cap, "%d", d);
        break;
    }
    case GAN_OPTION_AUGMENT: gan_augment_format(*(const int *)p, buf, cap); break;
    case GAN_OPTION_CHOICE: {
        int i = *(const int *)p;
        if (i >= 0 && i < choice_count(r)) snprintf(buf, cap, "%s", r->choices[i]);
        else snprintf(buf, cap, "%d", i);
        break;
    }
    default: snprintf(buf, cap, "%d", *(const int *)p); break;
    }
}
