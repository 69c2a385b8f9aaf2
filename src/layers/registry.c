/*
 * registry.c - every layer kind, one line each, in the order specs list
 * them ("unknown layer ... (layers: dense, conv2d, ...)"). A kind is its
 * gan_layer_ops table, defined in its own file as gan_layer_kind_<name>
 * (layer.h says what the table holds).
 *
 * To add a kind: write src/layers/<name>.c with its table, add one line
 * below. The spec parser, the model, the trainer, export and inspect find it
 * here; tests/test_spec.c checks every table (complete, keys valid, names
 * unique) and that docs/model-spec.md has a row for every kind a spec can
 * name.
 */
#include "layers/layer.h"

#include <string.h>

#define GAN_LAYER_KINDS(X) \
    X(dense)               \
    X(conv2d)              \
    X(conv_transpose2d)    \
    X(batchnorm)           \
    X(batchnorm2d)         \
    X(leaky_relu)          \
    X(relu)                \
    X(tanh)                \
    X(reshape)             \
    X(flatten)             \
    X(dropout)             \
    X(label)               \
    X(maxpool2d)           \
    X(avgpool2d)           \
    X(upsample2d)          \
    X(global_sum_pool)     \
    X(cond_batchnorm2d)    \
    X(projection)          \
    X(self_attention)      \
    X(minibatch_stddev)

#define DECLARE_KIND(name) extern const gan_layer_ops gan_layer_kind_##name;
GAN_LAYER_KINDS(DECLARE_KIND)

#define LIST_KIND(name) &gan_layer_kind_##name,
static const gan_layer_ops *const kinds[] = {GAN_LAYER_KINDS(LIST_KIND)};

enum { N_KINDS = (int)(sizeof kinds / sizeof kinds[0]) };

int gan_layer_kind_count(void) {
    return N_KINDS;
}

const gan_layer_ops *gan_layer_kind_at(int i) {
    return i >= 0 && i < N_KINDS ? kinds[i] : NULL;
}

const gan_layer_ops *gan_layer_kind_find(const char *name) {
    for (int i = 0; i < N_KINDS; i++)
        if (strcmp(kinds[i]->name, name) == 0) return kinds[i];
    return NULL;
}

const char *gan_layer_name(const gan_layer *l) {
    return l->ops->describe ? l->ops->describe(l) : l->ops->name;
}
