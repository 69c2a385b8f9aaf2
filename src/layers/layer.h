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
 *
 * Inputs that are not activations reach a layer through fields the model
 * sets before each forward (model.c):
 *   labels      (N) class labels of the rows (label layers; may be NULL);
 *   rng_seed, rng_stream: the counter-based random stream of this layer for
 *               this training forward (dropout). The model derives the
 *               stream from its network id, the layer index and its forward
 *               counter, so the same (seed, counter) gives the same mask at
 *               any thread count and after a resume.
 * The model also sets max_batch before setup, so setup can size per-batch
 * scratch (columns of a convolution).
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
    int units;               /* dense: output features; conv: output channels */
    int kernel, stride, pad; /* conv2d, conv_transpose2d: square kernel, stride, padding */
    float alpha;             /* leaky_relu: negative slope */
    float momentum, eps;     /* batchnorm: running-statistics momentum, epsilon */
    float drop_p;            /* dropout: probability of zeroing an element */
    bool spectral_norm;      /* dense, conv2d: weight = weight_orig / sigma */
    int n_classes, embed_dim; /* label layers: classes; embedding width (0: one-hot) */
    int group;               /* conv: images per matrix product; 0 before setup = chosen
                                by setup (conv_group.h), a positive value caps it */
    const gan_kernel *kernels; /* kernels a backend may lack (NULL, or a list ending with
                                  GAN_K_COUNT): the model asks gan_backend_require for each
                                  when it builds, so a missing one is an error, not a NULL call */

    /* set by the model (see the top of this file) */
    int max_batch;              /* rows of the largest forward, before setup */
    const int32_t *labels;      /* (N) before each forward, or NULL */
    uint64_t rng_seed, rng_stream; /* before each training forward */
    bool last_train;            /* the `train` of the last forward (dropout) */

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
void gan_layer_relu(gan_layer *l);

/* 2-D convolution (PyTorch Conv2d, square kernel, with bias): weight
 * (out, in, k, k), output size floor((H + 2 pad - k) / stride) + 1. */
void gan_layer_conv2d(gan_layer *l, int out_channels, int kernel, int stride, int pad);

/* 2-D transposed convolution (PyTorch ConvTranspose2d, no output padding,
 * with bias): weight (in, out, k, k), output size (H - 1) stride - 2 pad + k. */
void gan_layer_conv_transpose2d(gan_layer *l, int out_channels, int kernel, int stride, int pad);

/* 2-D max pooling (PyTorch MaxPool2d, square window, no padding): output
 * size floor((H - kernel) / stride) + 1. No parameters. */
void gan_layer_maxpool2d(gan_layer *l, int kernel, int stride);

/* Batch normalization per channel of (C, H, W) samples: statistics over
 * N, H, W. Same conventions as gan_layer_batchnorm. */
void gan_layer_batchnorm2d(gan_layer *l, float momentum, float eps);

/* Dropout (training only): zero each element with probability p, scale the
 * kept ones by 1 / (1 - p). Identity in inference mode. 0 <= p < 1. */
void gan_layer_dropout(gan_layer *l, float p);

/* Spectral normalization (torch.nn.utils.spectral_norm, one power iteration
 * per training forward, eps 1e-12) on a dense or conv2d layer made by the
 * constructors above: call right after the constructor. */
void gan_layer_set_spectral_norm(gan_layer *l, bool on);

/* Label conditioning: append the row's class label to its input as extra
 * channels, (C, H, W) -> (C + D, H, W), each extra channel constant over
 * H x W (for flat (F, 1, 1) inputs this appends D features).
 *   onehot:    D = n_classes, channel C + label is 1, the others 0;
 *   embedding: D = dim, channel C + k is weight[label][k], weight (n_classes,
 *              dim) learned (PyTorch nn.Embedding layout, init N(0, 1)).
 * Labels come from gan_model_set_labels; a label outside [0, n_classes) (or
 * no labels) gives zeros. */
void gan_layer_label_onehot(gan_layer *l, int n_classes);
void gan_layer_label_embedding(gan_layer *l, int n_classes, int dim);

#endif
