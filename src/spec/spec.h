/*
 * spec.h - a GAN described as text (docs/model-spec.md), parsed and checked:
 * the inside of gan_spec (gan.h) for the trainer, the generator, checkpoints
 * and the CLI.
 *
 * A gan_spec is complete and valid once gan_spec_parse returns: every layer
 * is constructed, every value range-checked, and both networks' shapes have
 * been chained (gan_model_infer_shapes) from the latent size and the image
 * shape, with the generator's output equal to the image and the
 * discriminator's a single value. Errors name "<origin>:<line>: ".
 *
 * It keeps the whole text it was parsed from: checkpoints store that text
 * (metadata `spec`), so a checkpoint rebuilds its model without any file.
 */
#ifndef GAN_SPEC_H
#define GAN_SPEC_H

#include "model.h"

#define GAN_SPEC_MAX_BYTES (1 << 20) /* a spec text is at most 1 MiB */
#define GAN_SPEC_MAX_LINE 256        /* bytes per line, without the line end */
#define GAN_SPEC_MAX_TRAIN 32        /* rows of the train-key table */
/* Most parameters of both networks together (1 GiB of float weights; with
 * gradients and Adam moments 4 GiB to train): checked when a spec is parsed,
 * before anything is allocated, so a hostile spec cannot ask for terabytes. */
#define GAN_SPEC_MAX_PARAMS ((size_t)1 << 28)

/* The two networks of a spec. */
typedef enum gan_spec_net_id { GAN_SPEC_GENERATOR = 0, GAN_SPEC_DISCRIMINATOR = 1 } gan_spec_net_id;

/* One section of layers. */
typedef struct gan_spec_net {
    int line;    /* line of the section's header (0: absent) */
    int n_layers;
    gan_layer layers[GAN_MAX_LAYERS];  /* constructed, shapes not yet set */
    int lines[GAN_MAX_LAYERS];         /* line of each layer */
    int n_blocks;
    gan_block blocks[GAN_MAX_BLOCKS];  /* kind, first layer, layers per branch */
    int block_lines[GAN_MAX_BLOCKS];   /* line of each block's opening word */
    int out[3];                        /* output shape, from the shape check */
    size_t n_params;                   /* parameters, from the shape check */
    size_t act_values;                 /* values per sample: input + every layer's output */
} gan_spec_net;

struct gan_spec {
    char name[64];     /* preset name or the file's base name without .gan */
    char *origin;      /* for messages: "models/x.gan", "run/checkpoint.safetensors:spec" */
    char *text;        /* the whole text, NUL-terminated */
    size_t len;        /* bytes of text */
    int image[3];      /* C, H, W */
    int latent_dim;
    int n_classes;     /* 0: unconditional (no 'classes' line) */
    gan_spec_net net[2];
    int train_line[GAN_SPEC_MAX_TRAIN]; /* line of each train key given, 0 if not */
    gan_spec_value train[GAN_SPEC_MAX_TRAIN];
};

/* Load a built-in preset by name (never a file: checkpoints use this). */
gan_status gan_spec_load_preset(const char *name, gan_spec **out);

/* Load a spec file; the model's name is the file's base name without .gan. */
gan_status gan_spec_load_file(const char *path, gan_spec **out);

/* A deep copy. */
gan_status gan_spec_copy(const gan_spec *spec, gan_spec **out);

/* Input shape of a network: (latent, 1, 1) or the image. */
void gan_spec_input(const gan_spec *spec, gan_spec_net_id net, int in[3]);

/* Add the layers of `net` to the empty model m and build it for max_batch
 * rows (gan_model_build); the model's name is "generator" / "discriminator". */
gan_status gan_spec_build(const gan_spec *spec, gan_spec_net_id net, gan_model *m, int max_batch,
                          const gan_backend *be);

/* The same with another name (the prefix of its tensors), e.g.
 * "generator_ema" for the moving average of the generator. */
gan_status gan_spec_build_as(const gan_spec *spec, gan_spec_net_id net, const char *name,
                             gan_model *m, int max_batch, const gan_backend *be);

/* For docs and tests: the layer kinds a spec can name. */
int gan_spec_layer_kind_count(void);
const char *gan_spec_layer_kind_name(int i);

/* One layer from a line of the language, e.g. "conv2d 64 kernel=4 stride=2"
 * (words separated by spaces; any registered kind, even one a spec does not
 * offer; n_classes for label layers): how tests and C code build a layer of
 * a kind that has no constructor in layers/layer.h. */
gan_status gan_spec_layer(gan_layer *l, const char *line, int n_classes);

#endif
