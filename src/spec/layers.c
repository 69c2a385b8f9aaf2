/*
 * layers.c - the layer kinds a spec can name, each with its keys (in the
 * order they may be given by position), defaults and ranges, and the
 * constructor that turns the values into a gan_layer (layers/layer.h).
 * docs/model-spec.md lists the same table for users (tests/test_spec.c
 * checks that it names every kind here).
 *
 * Ranges keep every shape inside int arithmetic: with at most 2^26 values
 * per sample (model.h), kernels, strides and paddings up to 64, 16 and 64
 * cannot overflow a layer's shape inference.
 */
#include "spec/syntax.h"

#include <stdio.h>
#include <string.h>

#define MAX_UNITS (1 << 26)
#define MAX_CHANNELS 65536

#define KEY_OUT(what) {"out", SPEC_INT, NULL, false, 1, what, false, false, NULL}
#define KEY_KERNEL {"kernel", SPEC_INT, NULL, false, 1, 64, false, false, NULL}
#define KEY_STRIDE {"stride", SPEC_INT, "1", false, 1, 16, false, false, NULL}
#define KEY_PADDING {"padding", SPEC_INT, "0", false, 0, 64, false, false, NULL}
#define KEY_SPECTRAL_NORM {"spectral_norm", SPEC_BOOL, "false", false, 0, 0, false, false, NULL}
#define KEY_MOMENTUM {"momentum", SPEC_NUMBER, "0.99", false, 0, 1, false, true, NULL}
#define KEY_EPS {"eps", SPEC_NUMBER, "1e-3", false, 0, 1, true, true, NULL}
#define KEY_DIM(name) {name, SPEC_INT, NULL, false, 1, MAX_UNITS, false, false, NULL}

static const char *const label_modes[] = {"onehot", "embedding", NULL};

static bool make_dense(gan_layer *l, const gan_spec_value *v, const bool *given, int n_classes,
                       char *why, size_t cap) {
    gan_layer_dense(l, (int)v[0].i);
    gan_layer_set_spectral_norm(l, v[1].b);
    return true;
}

static bool make_conv2d(gan_layer *l, const gan_spec_value *v, const bool *given, int n_classes,
                        char *why, size_t cap) {
    gan_layer_conv2d(l, (int)v[0].i, (int)v[1].i, (int)v[2].i, (int)v[3].i);
    gan_layer_set_spectral_norm(l, v[4].b);
    return true;
}

static bool make_conv_transpose2d(gan_layer *l, const gan_spec_value *v, const bool *given,
                                  int n_classes, char *why, size_t cap) {
    gan_layer_conv_transpose2d(l, (int)v[0].i, (int)v[1].i, (int)v[2].i, (int)v[3].i);
    return true;
}

static bool make_batchnorm(gan_layer *l, const gan_spec_value *v, const bool *given,
                           int n_classes, char *why, size_t cap) {
    gan_layer_batchnorm(l, v[0].f, v[1].f);
    return true;
}

static bool make_batchnorm2d(gan_layer *l, const gan_spec_value *v, const bool *given,
                             int n_classes, char *why, size_t cap) {
    gan_layer_batchnorm2d(l, v[0].f, v[1].f);
    return true;
}

static bool make_leaky_relu(gan_layer *l, const gan_spec_value *v, const bool *given,
                            int n_classes, char *why, size_t cap) {
    gan_layer_leaky_relu(l, v[0].f);
    return true;
}

static bool make_relu(gan_layer *l, const gan_spec_value *v, const bool *given, int n_classes,
                      char *why, size_t cap) {
    gan_layer_relu(l);
    return true;
}

static bool make_tanh(gan_layer *l, const gan_spec_value *v, const bool *given, int n_classes,
                      char *why, size_t cap) {
    gan_layer_tanh(l);
    return true;
}

static bool make_reshape(gan_layer *l, const gan_spec_value *v, const bool *given, int n_classes,
                         char *why, size_t cap) {
    gan_layer_reshape(l, (int)v[0].i, (int)v[1].i, (int)v[2].i);
    return true;
}

static bool make_flatten(gan_layer *l, const gan_spec_value *v, const bool *given, int n_classes,
                         char *why, size_t cap) {
    gan_layer_reshape(l, 0, 0, 0);
    return true;
}

static bool make_dropout(gan_layer *l, const gan_spec_value *v, const bool *given, int n_classes,
                         char *why, size_t cap) {
    gan_layer_dropout(l, v[0].f);
    return true;
}

static bool make_label(gan_layer *l, const gan_spec_value *v, const bool *given, int n_classes,
                       char *why, size_t cap) {
    bool embedding = v[0].e == 1;
    if (n_classes == 0) {
        snprintf(why, cap, "needs the number of classes: add 'classes N' before the sections");
        return false;
    }
    if (embedding && !given[1]) {
        snprintf(why, cap, "embedding needs its size, e.g. 'label embedding 50'");
        return false;
    }
    if (!embedding && given[1]) {
        snprintf(why, cap, "onehot takes no size (its size is the number of classes, %d)",
                 n_classes);
        return false;
    }
    if (embedding) gan_layer_label_embedding(l, n_classes, (int)v[1].i);
    else gan_layer_label_onehot(l, n_classes);
    return true;
}

static const spec_layer_kind kinds[] = {
    {"dense", 1, {KEY_OUT(MAX_UNITS), KEY_SPECTRAL_NORM}, make_dense},
    {"conv2d", 1, {KEY_OUT(MAX_CHANNELS), KEY_KERNEL, KEY_STRIDE, KEY_PADDING, KEY_SPECTRAL_NORM},
     make_conv2d},
    {"conv_transpose2d", 1, {KEY_OUT(MAX_CHANNELS), KEY_KERNEL, KEY_STRIDE, KEY_PADDING},
     make_conv_transpose2d},
    {"batchnorm", 0, {KEY_MOMENTUM, KEY_EPS}, make_batchnorm},
    {"batchnorm2d", 0, {KEY_MOMENTUM, KEY_EPS}, make_batchnorm2d},
    {"leaky_relu", 1, {{"alpha", SPEC_NUMBER, NULL, false, 0, 1, false, false, NULL}},
     make_leaky_relu},
    {"relu", 0, {{0}}, make_relu},
    {"tanh", 0, {{0}}, make_tanh},
    {"reshape", 3, {KEY_DIM("c"), KEY_DIM("h"), KEY_DIM("w")}, make_reshape},
    {"flatten", 0, {{0}}, make_flatten},
    {"dropout", 1, {{"p", SPEC_NUMBER, NULL, false, 0, 1, false, true, NULL}}, make_dropout},
    {"label", 2, {{"mode", SPEC_CHOICE, NULL, false, 0, 0, false, false, label_modes},
                  {"dim", SPEC_INT, NULL, true, 1, MAX_CHANNELS, false, false, NULL}},
     make_label},
};

#define N_KINDS (sizeof kinds / sizeof kinds[0])

const spec_layer_kind *spec_layer_kind_find(const char *name) {
    for (size_t i = 0; i < N_KINDS; i++)
        if (strcmp(kinds[i].name, name) == 0) return &kinds[i];
    return NULL;
}

void spec_layer_kind_list(char *buf, size_t cap) {
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < N_KINDS && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", kinds[i].name);
}

int gan_spec_layer_kind_count(void) {
    return (int)N_KINDS;
}

const char *gan_spec_layer_kind_name(int i) {
    return i >= 0 && i < (int)N_KINDS ? kinds[i].name : NULL;
}
