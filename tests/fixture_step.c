/*
 * fixture_step.c - the shared part of the whole-iteration fixture tests
 * (fixture_step.h).
 */
#include "fixture_step.h"

#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

uint64_t fixture_splitmix64(uint64_t x) {
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void fixture_each_tensor(const gan_model *m, fixture_tensor_fn fn, void *ctx) {
    for (int i = 0; i < m->n_layers; i++) {
        const gan_layer *l = &m->layers[i];
        gan_layer_tensor ts[GAN_LAYER_MAX_TENSORS];
        int n = l->ops->tensors(l, ts, GAN_LAYER_MAX_TENSORS);
        char path[96], name[160];
        gan_model_layer_path(m, i, path, sizeof path);
        for (int k = 0; k < n; k++) {
            snprintf(name, sizeof name, "%s.%s", path, ts[k].name);
            fn(ctx, name, l, &ts[k]);
        }
    }
}

typedef struct hash_ctx {
    const gan_st_file *fx;
    uint64_t k; /* tensor number in fixture order */
} hash_ctx;

static void fill_one(void *ctx, const char *name, const gan_layer *l, const gan_layer_tensor *t) {
    hash_ctx *h = ctx;
    const char *kind = t->name;
    double scale = 0.05, offset = 0.0; /* biases */
    if (strcmp(l->ops->name, "batchnorm2d") == 0) {
        if (strcmp(kind, "weight") == 0) scale = 0.1, offset = 1.0;
        else if (strcmp(kind, "bias") == 0) scale = 0.1;
        else if (strcmp(kind, "running_mean") == 0) scale = 0.1;
        else scale = 0.2, offset = 1.0;
    } else if (strcmp(kind, "weight_u") == 0 || strcmp(kind, "weight_v") == 0) {
        scale = 1.0;
    } else if (strncmp(kind, "weight", 6) == 0) { /* Glorot: (in + out) k k */
        double fans = (double)t->size / l->out[0] + (double)t->size / l->in[0];
        if (strcmp(l->ops->name, "dense") == 0) fans = l->in_size + l->units;
        scale = sqrt(6.0 / fans);
    }
    for (size_t i = 0; i < t->size; i++) {
        double u = (double)(fixture_splitmix64((h->k << 32) | i) >> 40) / 16777216.0;
        t->data[i] = (float)((2.0 * u - 1.0) * scale + offset);
    }
    char key[200];
    snprintf(key, sizeof key, "init_check.%s", name);
    const gan_st_tensor *c = gan_st_find(h->fx, key);
    CHECK_MSG(c && c->nbytes <= t->size * 4 && memcmp(c->data, t->data, c->nbytes) == 0,
              "hash init differs for %s", name);
    h->k++;
}

void fixture_fill_hash(const gan_st_file *fx, const gan_model *m, uint64_t *k) {
    hash_ctx h = {fx, *k};
    fixture_each_tensor(m, fill_one, &h);
    *k = h.k;
}

bool fixture_get_ref(const gan_st_file *fx, const char *name, size_t n, fixture_ref *r) {
    *r = (fixture_ref){0};
    const gan_st_tensor *full = gan_st_find(fx, name);
    if (full) {
        CHECK_MSG(full->nbytes == n * 4, "%s: fixture has %zu values, we have %zu", name,
                  full->nbytes / 4, n);
        if (full->nbytes != n * 4) return false;
        r->k = n, r->val = full->data;
    } else {
        const gan_st_tensor *t[4];
        static const char *sfx[4] = {"idx", "val", "sum", "abssum"};
        char key[220];
        for (int i = 0; i < 4; i++) {
            snprintf(key, sizeof key, "%s:%s", name, sfx[i]);
            t[i] = gan_st_find(fx, key);
        }
        CHECK_MSG(t[0] && t[1] && t[2] && t[3], "fixture lacks %s", name);
        if (!(t[0] && t[1] && t[2] && t[3])) return false;
        r->k = t[1]->nbytes / 4, r->idx = t[0]->data, r->val = t[1]->data;
        r->sum = *(const double *)t[2]->data, r->abssum = *(const double *)t[3]->data;
        for (size_t i = 0; i < r->k; i++) {
            CHECK_MSG(r->idx[i] >= 0 && (size_t)r->idx[i] < n, "%s: index out of range", name);
            if (r->idx[i] < 0 || (size_t)r->idx[i] >= n) return false;
        }
    }
    for (size_t i = 0; i < r->k; i++) r->amax = fmax(r->amax, fabs(r->val[i]));
    return true;
}

double fixture_ours_at(const fixture_ref *r, const float *ours, size_t i) {
    return ours[r->idx ? (size_t)r->idx[i] : i];
}

double fixture_compare(const gan_st_file *fx, const char *name, const float *ours, size_t n,
                       fixture_tol tol, const float *g_ours, const fixture_ref *g_ref) {
    fixture_ref r;
    if (!fixture_get_ref(fx, name, n, &r)) return INFINITY;
    double worst = 0;
    for (size_t i = 0; i < r.k; i++) {
        double t = tol.atol * r.amax + 1e-12 + tol.rtol * fabs(r.val[i]);
        if (g_ours) t += tol.slope * fabs(fixture_ours_at(g_ref, g_ours, i) - g_ref->val[i]);
        double e = fabs(fixture_ours_at(&r, ours, i) - r.val[i]) / t;
        if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
    }
    CHECK_MSG(worst <= 1.0, "%s: error %.3g x tolerance", name, worst);
    if (r.idx) {
        double s = 0;
        for (size_t i = 0; i < n; i++) s += ours[i];
        double t = (tol.sum_rtol > 0 ? tol.sum_rtol : 2e-5) * r.abssum + 1e-9;
        CHECK_MSG(fabs(s - r.sum) <= t, "%s: sum %.9g, reference %.9g", name, s, r.sum);
    }
    return worst;
}

float fixture_scalar(const gan_st_file *fx, const char *name) {
    const float *v = NULL;
    CHECK_OK(gan_st_get_f32(fx, name, 1, (int64_t[]){1}, &v));
    return v ? v[0] : NAN;
}

void fixture_check_stats(const gan_st_file *fx, const gan_step_stats *st, double loss_g_tol) {
    struct {
        const char *name;
        float ours;
        double tol;
    } s[4] = {{"loss_d", st->loss_d, 2e-6}, {"loss_g", st->loss_g, loss_g_tol},
              {"d_real", st->d_real, 2e-6}, {"d_fake", st->d_fake, 2e-6}};
    for (int i = 0; i < 4; i++) {
        float ref = fixture_scalar(fx, s[i].name);
        CHECK_MSG(fabs(s[i].ours - ref) < s[i].tol, "%s %.8f vs %.8f", s[i].name, s[i].ours, ref);
    }
    fprintf(stderr, "loss_d %.7f (%.7f) loss_g %.7f (%.7f) D(x) %.7f D(G(z)) %.7f\n", st->loss_d,
            fixture_scalar(fx, "loss_d"), st->loss_g, fixture_scalar(fx, "loss_g"), st->d_real,
            st->d_fake);
}
