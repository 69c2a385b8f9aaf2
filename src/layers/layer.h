/*
 * layer.h - what every layer provides, and the constructors of each kind.
 *
 * A layer maps a per-sample shape (C, H, W) to another. Its parameters,
 * gradients, running state and per-batch scratch are NOT owned by the layer:
 * they are slices of the model's blocks (model.c), bound once after shape
 * inference. So a layer file only says how big those slices are, how to
 * initialise them, and how to run forward and backward with backend kernels.
 *
 * Buffers in forward/backward: x (N, in_size), y (N, out_size), and their
 * gradients dx, dy of the same shapes. Parameter gradients accumulate;
 * dx is written, or skipped when NULL.
 */
#ifndef GAN_LAYER_H
#define GAN_LAYER_H

#include "backend.h"
#include "internal.h"

typedef struct gan_layer gan_layer;

/* One named tensor of a layer, for checkpoints and fixtures. */
typedef struct gan_layer_tensor {
    const char *name;  /* "weight", "bias", "running_mean", "running_var" */
    float *data;       /* into params or state */
    float *grad;       /* into grads (NULL for state) */
    int ndims;
    int64_t shape[4];
    size_t size;
} gan_layer_tensor;

typedef struct gan_layer_ops {
    const char *name; /* "dense", "leaky_relu", ... */

    /* Shape inference: from l->in, set l->out and the sizes n_params,
     * n_state, n_scratch (floats). Returns GAN_ERR_SHAPE with a message. */
    gan_status (*setup)(gan_layer *l);

    /* Give initial values to params (n_params floats) and state. Random
     * numbers come from `stream` of `seed` (see rng.h). */
    void (*init)(gan_layer *l, uint64_t seed, uint64_t stream);

    /* y = layer(x); `train` selects training behaviour (batch norm). */
    void (*forward)(gan_layer *l, const gan_backend *be, const float *x, float *y, int N,
                    bool train);

    /* Given dy, accumulate parameter gradients into l->grads (when
     * param_grads) and write dx (when dx != NULL). x and y are the forward
     * pass's input and output. */
    void (*backward)(gan_layer *l, const gan_backend *be, const float *x, const float *y,
                     const float *dy, float *dx, int N, bool param_grads);

    /* Names of the parameter tensors (PyTorch naming: "weight", "bias") and
     * state tensors ("running_mean", ...), with their shapes; used for files. */
    int (*tensors)(const gan_layer *l, gan_layer_tensor *out, int max);
} gan_layer_ops;


struct gan_layer {
    const gan_layer_ops *ops;
    int in[3], out[3];       /* per-sample shapes (C, H, W) */
    int in_size, out_size;   /* C*H*W of each */
    bool is_view;            /* output is the input, reinterpreted (reshape) */

    /* configuration */
    int units;               /* dense: output features */
    float alpha;             /* leaky_relu: negative slope */
    float momentum, eps;     /* batchnorm: running-statistics momentum, epsilon */

    /* sizes (floats), filled by setup */
    size_t n_params, n_state, n_scratch;

    /* slices of the model's blocks, bound by the model after setup */
    float *params;   /* (n_params) */
    float *grads;    /* (n_params), same layout as params */
    float *state;    /* (n_state) non-trained values such as running statistics */
    float *scratch;  /* (n_scratch) per-batch values saved for backward */
};

/* Constructors: fill *l with a layer of that kind (shapes set later). */
void gan_layer_dense(gan_layer *l, int units);
void gan_layer_leaky_relu(gan_layer *l, float alpha);
void gan_layer_batchnorm(gan_layer *l, float momentum, float eps);
void gan_layer_tanh(gan_layer *l);
void gan_layer_reshape(gan_layer *l, int c, int h, int w); /* flatten: (F, 1, 1) */

#endif
