/*
 * build.c - a spec's networks as models: the shape check done once when a
 * spec is parsed, and the build of a network for training or sampling.
 *
 * The check chains the shapes with gan_model_infer_shapes (the layers' own
 * setup, nothing allocated), so a layer that does not fit its input fails
 * with the layer's message, moved to the layer's line. Then the generator's
 * output must be the image shape and the discriminator's a single value,
 * and both together hold at most GAN_SPEC_MAX_PARAMS parameters.
 */
#include "spec/syntax.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const net_names[2] = {"generator", "discriminator"};

const char *spec_shape_str(const int s[3], char *buf, size_t cap) {
    if (s[1] == 1 && s[2] == 1) snprintf(buf, cap, "%d", s[0]);
    else snprintf(buf, cap, "%dx%dx%d", s[0], s[1], s[2]);
    return buf;
}

void gan_spec_input(const gan_spec *spec, gan_spec_net_id net, int in[3]) {
    if (net == GAN_SPEC_GENERATOR) {
        in[0] = spec->latent_dim, in[1] = 1, in[2] = 1;
    } else {
        memcpy(in, spec->image, 3 * sizeof *in);
    }
}

static gan_status add_layers(const gan_spec *spec, gan_spec_net_id net, gan_model *m) {
    const gan_spec_net *n = &spec->net[net];
    for (int i = 0; i < n->n_layers; i++) GAN_TRY(gan_model_add(m, n->layers[i]));
    memcpy(m->blocks, n->blocks, sizeof m->blocks);
    m->n_blocks = n->n_blocks;
    return GAN_OK;
}

static gan_status check_net(gan_spec *spec, gan_spec_net_id id, gan_model *m) {
    gan_spec_net *net = &spec->net[id];
    const char *name = net_names[id];
    int in[3];
    char a[48], b[48];
    gan_spec_input(spec, id, in);
    memset(m, 0, sizeof *m);
    GAN_TRY(add_layers(spec, id, m));
    gan_status s = gan_model_infer_shapes(m, name, in[0], in[1], in[2], 1);
    if (s != GAN_OK) {
        int i = m->failed_layer;
        if (i < 0) return s;
        char msg[512];
        snprintf(msg, sizeof msg, "%s", gan_last_error());
        const int *from = m->layers[i].in; /* set before the layer's setup */
        return spec_error(s, spec->origin, net->lines[i], "%s (%s layer %d, input %s)", msg,
                          name, i, spec_shape_str(from, a, sizeof a));
    }
    memcpy(net->out, m->out, sizeof net->out);
    net->n_params = m->n_params;
    net->act_values = (size_t)m->in_size;
    for (int i = 0; i < m->n_layers; i++) net->act_values += (size_t)m->layers[i].out_size;
    for (int k = 0; k < m->n_blocks; k++) net->act_values += (size_t)m->blocks[k].out_size;
    int last = net->lines[net->n_layers - 1];
    if (id == GAN_SPEC_GENERATOR && memcmp(m->out, spec->image, sizeof m->out) != 0) {
        if (m->out_size == spec->image[0] * spec->image[1] * spec->image[2])
            return spec_error(GAN_ERR_SHAPE, spec->origin, last, "generator: output %s is not "
                              "the image shape %dx%dx%d (end with 'reshape %d %d %d')",
                              spec_shape_str(m->out, a, sizeof a), spec->image[0],
                              spec->image[1], spec->image[2], spec->image[0], spec->image[1],
                              spec->image[2]);
        return spec_error(GAN_ERR_SHAPE, spec->origin, last, "generator: output %s is not the "
                          "image shape %dx%dx%d", spec_shape_str(m->out, a, sizeof a),
                          spec->image[0], spec->image[1], spec->image[2]);
    }
    if (id == GAN_SPEC_DISCRIMINATOR && m->out_size != 1)
        return spec_error(GAN_ERR_SHAPE, spec->origin, last, "discriminator: output %s is not "
                          "a single value (end with %s'dense 1')",
                          spec_shape_str(m->out, b, sizeof b),
                          m->out[1] == 1 && m->out[2] == 1 ? "" : "'flatten' and ");
    return GAN_OK;
}

gan_status spec_check_shapes(gan_spec *spec) {
    gan_model *m = malloc(sizeof *m);
    if (!m) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate a model");
    gan_status s = check_net(spec, GAN_SPEC_GENERATOR, m);
    if (s == GAN_OK) s = check_net(spec, GAN_SPEC_DISCRIMINATOR, m);
    free(m);
    GAN_TRY(s);
    size_t g = spec->net[GAN_SPEC_GENERATOR].n_params, d = spec->net[GAN_SPEC_DISCRIMINATOR].n_params;
    if (g > GAN_SPEC_MAX_PARAMS || d > GAN_SPEC_MAX_PARAMS - g)
        return spec_error(GAN_ERR_SHAPE, spec->origin, 0, "the model has %zu parameters "
                          "(generator %zu, discriminator %zu); at most %zu", g + d, g, d,
                          GAN_SPEC_MAX_PARAMS);
    return GAN_OK;
}

gan_status gan_spec_build_as(const gan_spec *spec, gan_spec_net_id net, const char *name,
                             gan_model *m, int max_batch, const gan_backend *be) {
    int in[3];
    gan_spec_input(spec, net, in);
    GAN_TRY(add_layers(spec, net, m));
    return gan_model_build(m, name, in[0], in[1], in[2], max_batch, be);
}

gan_status gan_spec_build(const gan_spec *spec, gan_spec_net_id net, gan_model *m, int max_batch,
                          const gan_backend *be) {
    return gan_spec_build_as(spec, net, net_names[net], m, max_batch, be);
}
