/*
 * layer.h - what every layer kind provides, the registry of kinds, and the
 * constructors of each kind.
 *
 * A layer kind is described in one place: its file in src/layers/ holds its
 * gan_layer_ops table (name, capabilities, spec keys, shape inference, init,
 * forward, backward, tensor names, C export), and src/layers/registry.c lists
 * it on one line. Everything else (the spec parser, the model, the trainer,
 * export, inspect) asks the table, never the kind's name.
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
 * scratch.
 *
 * Two kinds of per-batch memory: scratch (n_scratch floats, the layer's
 * own) holds what a training forward leaves for its backward (batch-norm
 * statistics, spectral norm's W and sigma); work (n_work floats) holds what
 * lives only inside one forward or one backward call (the im2col columns of
 * a convolution), so the model puts it over memory that is free during
 * both calls (model.c: activations not yet written or already passed).
 * n_work depends on the backend (a convolution
 * needs none where the backend convolves directly): the model asks
 * ops->work when it builds, after setup.
 */
#ifndef GAN_LAYER_H
#define GAN_LAYER_H

#include "backend.h"
#include "internal.h"
#include "spec/key.h"

#include <stddef.h>

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

#define GAN_LAYER_MAX_KEYS 8 /* spec keys of one kind */
#define GAN_LAYER_MAX_TENSORS 16 /* tensors of one layer (gan_layer_ops.tensors) */

/* Capabilities of a kind (gan_layer_ops.flags). */
enum gan_layer_flag {
    /* its training output depends on the statistics of the batch (batch
     * norm): the trainer then runs D on real and fake rows separately */
    GAN_LAYER_BATCH_STATISTICS = 1u << 0,
    /* reads the rows' class labels (l->labels): a spec needs 'classes N' */
    GAN_LAYER_USES_LABELS = 1u << 1,
    /* takes gan_layer_set_spectral_norm (weight = weight_orig / sigma) */
    GAN_LAYER_SPECTRAL_NORM = 1u << 2,
    /* y = x in inference mode (dropout): the C export writes no code */
    GAN_LAYER_INFERENCE_IDENTITY = 1u << 3,
    /* needs kernels only the CPU backend has (the classifier's): specs,
     * which may train on any backend, do not offer it */
    GAN_LAYER_CPU_ONLY = 1u << 4,
    /* backward never reads the layer's output y: a layer after it may
     * write its own output over y (in_place below) */
    GAN_LAYER_BACKWARD_NO_OUTPUT = 1u << 5,
    /* applies l->act (backend.h: gan_act) to its own output in its
     * kernels, forward and backward, when the model sets it: the model
     * then fuses an activation layer right after it (ops->fusable_act) into
     * it (batch norm + relu / leaky_relu; model.c). Its backward derives
     * the activation's derivative from its input (no tanh). */
    GAN_LAYER_TAKES_ACTIVATION = 1u << 6,
    /* the same, with the activation's derivative taken from the layer's
     * output y (dense, conv2d, conv_transpose2d + relu / leaky_relu /
     * tanh): the model fuses only an activation whose backward needs only
     * its output (ops->in_place), and with l->act on, the layer's backward
     * reads y even where the kind is GAN_LAYER_BACKWARD_NO_OUTPUT. That
     * backward first forms the activation's gradient dz from dy and y,
     * over y itself where the model allows it (grad_over_output below),
     * else in its work (ops->work is asked after the model sets both) */
    GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT = 1u << 7,
    /* backward never reads the layer's input x (pooling, up-sampling: only
     * its shape): where no other backward reads x either, the model lets a
     * later forward write over x (model.c: transient values), as PyTorch
     * frees a tensor that autograd did not save */
    GAN_LAYER_BACKWARD_NO_INPUT = 1u << 8,
    /* forward reads only x, is exact and cheap (nearest up-sampling: a
     * copy) and has no params, state or scratch: where only the next
     * layer reads its output, and that layer's backward reads it, the
     * model keeps this layer's input instead and runs its forward again,
     * into a buffer of the transient area, just before that backward
     * (model.c: recomputes); the same bits, a smaller plan */
    GAN_LAYER_RECOMPUTE = 1u << 9,
    /* its forward ends with a bias per output feature of (N, F) rows (the
     * last out_size of its params) and its fused activation (l->act, may be
     * off), and its backward begins with their gradient (dense): where the
     * next layer is GAN_LAYER_TAKES_INPUT_BIAS, the model lets that layer
     * apply them instead (bias_deferred), one kernel fewer each way */
    GAN_LAYER_DEFERS_BIAS = 1u << 10,
    /* applies the deferred bias and activation of the layer before it
     * (in_bias, in_act) to its input in place in its training forward's
     * kernel, and forms their gradient and the bias gradient (in_bias_grad)
     * in its backward's (batchnorm: bias_act_batchnorm_forward_train,
     * batchnorm_backward_bias_act); an inference forward gets its input
     * whole, as the layer before applies them itself then */
    GAN_LAYER_TAKES_INPUT_BIAS = 1u << 11,
    /* a row's output depends on other rows of the batch without being batch
     * norm (minibatch_stddev): as with GAN_LAYER_BATCH_STATISTICS, the
     * trainer runs D on real and generated rows separately */
    GAN_LAYER_MIXES_ROWS = 1u << 12,
};

/* The text of an exported C file (export_c.c); a kind's export_c appends to
 * it with gan_c_put (printf-style). */
typedef struct gan_c_source gan_c_source;
void gan_c_put(gan_c_source *src, const char *fmt, ...) GAN_PRINTF(2, 3);

/* Write finite `v` into out as printf's "%a" of (double)v does with glibc
 * ("0x1.8p+1", "-0x1p-3", "0x0p+0"), without printf: returns its length
 * (at most 24; out needs 32 bytes). Non-finite values: snprintf itself. */
size_t gan_c_hex_float(float v, char *out);

typedef struct gan_layer_ops {
    const char *name;     /* the kind's name in specs and the registry: "conv2d" */
    unsigned flags;       /* GAN_LAYER_* capabilities */

    /* The kind in a spec (src/spec/layers.c): its keys, the first
     * n_positional of which may be given by position (a key without a name
     * ends the list). configure gets a layer of this kind with nothing else
     * set and configures it from the checked values (given[k]: key k was
     * written; n_classes: the spec's 'classes', 0 if none); on failure it
     * writes why and returns false. */
    int n_positional;
    spec_key keys[GAN_LAYER_MAX_KEYS];
    bool (*configure)(gan_layer *l, const gan_spec_value *v, const bool *given, int n_classes,
                      char *why, size_t cap);

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
     * state tensors ("running_mean", ...), with their shapes; used for files.
     * At most GAN_LAYER_MAX_TENSORS of them (self_attention with spectral
     * norm: 13). */
    int (*tensors)(const gan_layer *l, gan_layer_tensor *out, int max);

    /* Optional (NULL: none). */

    /* C export of one sample's inference forward, from float *x to float *y
     * (sizes in_size, out_size; loop counters int o, k are declared), reading
     * the arrays <p>_l<i>_<tensor name>. False: this configuration cannot be
     * exported. NULL: the kind cannot be exported. */
    bool (*export_c)(const gan_layer *l, gan_c_source *src, const char *p, int i);

    /* The name shown for this layer (inspect, messages) when it is not the
     * kind's: "label_embedding" for a 'label embedding' layer. */
    const char *(*describe)(const gan_layer *l);

    /* True when a training forward draws from l->rng_stream (dropout with
     * p > 0): such a layer takes per-step host values, so its network's
     * step is not replayed as a captured graph. */
    bool (*stochastic)(const gan_layer *l);

    /* True when this layer may run in place: its forward accepts y == x and
     * its backward reads y, never x (element-wise activations whose
     * derivative follows from the output). The model then gives it its
     * input's buffer as output where nothing else reads that input: the
     * input is the previous layer's own output in the same chain, and that
     * layer is GAN_LAYER_BACKWARD_NO_OUTPUT (model.c). NULL: never. */
    bool (*in_place)(const gan_layer *l);

    /* True when this activation layer may be applied by a
     * GAN_LAYER_TAKES_ACTIVATION(_FROM_OUTPUT) layer right before it, as
     * *act: the model then sets that layer's act and marks this one fused
     * (model.c). NULL: never. */
    bool (*fusable_act)(const gan_layer *l, gan_act *act);

    /* Floats of work (see the top of this file) a forward or backward of
     * this layer uses on backend `be`; nothing in it may outlive the call.
     * Called after setup. NULL: none. */
    size_t (*work)(const gan_layer *l, const gan_backend *be);

    /* Kernels a backend may lack (a list ending with GAN_K_COUNT): the model
     * asks gan_backend_require for each when it builds, so a missing one is
     * an error, not a NULL call. */
    const gan_kernel *kernels;
} gan_layer_ops;

/* The six ops of a kind whose functions are named PREFIX_configure,
 * PREFIX_setup, PREFIX_init, PREFIX_forward, PREFIX_backward and
 * PREFIX_tensors, for its gan_layer_ops initialiser:
 *     const gan_layer_ops gan_layer_kind_dense = {.name = "dense", ...,
 *                                                 GAN_LAYER_OPS_NAMED(dense)}; */
#define GAN_LAYER_OPS_NAMED(prefix)                                                                \
    .configure = prefix##_configure, .setup = prefix##_setup, .init = prefix##_init,              \
    .forward = prefix##_forward, .backward = prefix##_backward, .tensors = prefix##_tensors


/* Batch statistics over the ranks of a data-parallel run (--sync-bn): the
 * trainer points its batch-norm layers at one of these; sum adds a buffer
 * of the backend's memory over the ranks (in place). */
typedef struct gan_layer_sync {
    void (*sum)(void *ctx, float *buf, size_t n);
    void *ctx;
    int ranks;               /* every rank runs batches of the same size */
} gan_layer_sync;

struct gan_layer {
    const gan_layer_ops *ops;
    int in[3], out[3];       /* per-sample shapes (C, H, W) */
    int in_size, out_size;   /* C*H*W of each */
    bool is_view;            /* output is the input, reinterpreted (reshape) */

    /* Configuration, set by the kind's constructor or configure. Kinds
     * share a field where the meaning agrees; a kind whose values fit none
     * keeps them in the generic slots, naming them in its own file. */
    int units;               /* dense: output features; conv: output channels */
    int kernel, stride, pad; /* convolutions, maxpool2d: square window, stride, padding */
    float alpha;             /* leaky_relu: negative slope */
    float momentum, eps;     /* batchnorm: running-statistics momentum, epsilon */
    float drop_p;            /* dropout: probability of zeroing an element */
    bool spectral_norm;      /* GAN_LAYER_SPECTRAL_NORM kinds: weight = weight_orig / sigma */
    int n_classes, embed_dim; /* label layers: classes; embedding width (0: one-hot) */
    int group;               /* conv: images per matrix product; 0 before setup = chosen
                                by setup (conv_group.h), a positive value caps it */
    int int_slot[4];         /* generic slots of kinds whose values fit no field above */
    float float_slot[4];

    /* set by the model (see the top of this file) */
    int max_batch;              /* rows of the largest forward, before setup */
    const int32_t *labels;      /* (N) before each forward, or NULL */
    uint64_t rng_seed, rng_stream; /* before each training forward */
    bool last_train;            /* the `train` of the last forward (dropout) */
    const gan_layer_sync *sync; /* batch norm: statistics over every rank's rows (training
                                   forwards and their backward), or NULL */
    gan_act act;                /* GAN_LAYER_TAKES_ACTIVATION(_FROM_OUTPUT) kinds: the
                                   activation of the fused layer after it, applied in its
                                   kernels (off: none) */
    bool fused;                 /* an activation applied by the layer before it (act above):
                                   it runs as a view, y = x and dx = dy */
    bool grad_over_output;      /* GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT with act on: its
                                   backward may write its output y (the activation's
                                   gradient dz), as nothing reads y after that backward (not
                                   the model's output; model.c) */
    bool bias_deferred;         /* GAN_LAYER_DEFERS_BIAS: its training forward leaves out its
                                   bias and act, which the next layer applies (below), and its
                                   backward gets dy already through them */
    const float *in_bias;       /* GAN_LAYER_TAKES_INPUT_BIAS, where the layer before
                                   deferred: its bias (F), act and bias gradient (F); */
    gan_act in_act;             /* in_bias NULL: none */
    float *in_bias_grad;

    /* sizes (floats), filled by setup; n_work by the model from ops->work */
    size_t n_params, n_state, n_scratch, n_work;

    /* slices of the model's blocks, bound by the model after setup */
    float *params;   /* (n_params) */
    float *grads;    /* (n_params), same layout as params */
    float *state;    /* (n_state) non-trained values such as running statistics */
    float *scratch;  /* (n_scratch) per-batch values saved for backward */
    float *work;     /* (n_work) in the model's activation region, over memory other
                        layers use: valid only within one forward or backward call */
};

/* A layer that takes an activation from its output (GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT,
 * l->act on) forms that activation's gradient dz (max_batch, out_size) in backward: over its
 * own output y where the model allows it (grad_over_output), else in its work from float
 * `work_at` on (after whatever else its work holds). The floats of work dz needs: */
static inline size_t gan_layer_act_grad_work(const gan_layer *l) {
    return l->act.on && !l->grad_over_output && !l->bias_deferred
               ? (size_t)l->max_batch * l->out_size
               : 0;
}
/* and where dz goes. */
static inline float *gan_layer_act_grad_at(const gan_layer *l, const float *y, size_t work_at) {
    return l->grad_over_output ? (float *)y : l->work + work_at;
}

/* Batch norm with statistics over the ranks (batchnorm_sync.c), for x (N,
 * C, P): the scratch holds mean (C), rstd (C), then the sums (2C); a
 * fused activation (l->act) goes into the kernels. */
void gan_batchnorm_sync_forward(gan_layer *l, const gan_backend *be, const float *x, float *y,
                                int N, int C, int P);
void gan_batchnorm_sync_backward(gan_layer *l, const gan_backend *be, const float *x,
                                 const float *dy, float *dx, int N, int C, int P,
                                 bool param_grads);

/* The registry (registry.c): the kinds, in the order specs list them. */
int gan_layer_kind_count(void);
const gan_layer_ops *gan_layer_kind_at(int i);           /* NULL outside [0, count) */
const gan_layer_ops *gan_layer_kind_find(const char *name); /* NULL if none */

/* The name shown for layer l: ops->describe(l), else the kind's name. */
const char *gan_layer_name(const gan_layer *l);

/* Constructors for C code (the classifier, tests): fill *l with a layer of
 * that kind (shapes set later). A spec builds layers through configure. */
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

/* Average pooling over non-overlapping k x k windows (PyTorch AvgPool2d(k)):
 * output size floor(H / k). No parameters. */
void gan_layer_avgpool2d(gan_layer *l, int kernel);

/* Nearest-neighbour upsampling by an integer factor: (C, H, W) -> (C, H f,
 * W f). No parameters. */
void gan_layer_upsample2d(gan_layer *l, int scale);

/* The sum over each channel's plane: (C, H, W) -> (C, 1, 1). */
void gan_layer_global_sum_pool(gan_layer *l);

/* The minibatch standard deviation over groups of `group` rows (fewer where
 * that does not divide the batch): (C, H, W) -> (C + 1, H, W). */
void gan_layer_minibatch_stddev(gan_layer *l, int group);

/* Class-conditional batch normalization per channel: batchnorm2d's
 * normalization without its affine, then the row's class gain weight[label]
 * and bias bias[label] (each (n_classes, C), init 1 and 0). Same momentum
 * and eps conventions as gan_layer_batchnorm2d. */
void gan_layer_cond_batchnorm2d(gan_layer *l, int n_classes, float momentum, float eps);

/* The projection head of a conditional discriminator (Miyato & Koyama
 * 2018): (C, H, W) -> (1), out = linear(h) + <embed[label], h> with h the
 * flattened input; linear.weight (1, F), linear.bias (1), embed.weight
 * (n_classes, F). Takes gan_layer_set_spectral_norm (both weights). */
void gan_layer_projection(gan_layer *l, int n_classes);

/* Self-attention at one resolution (SAGAN): (C, H, W) -> (C, H, W), y = x +
 * gamma o with o the attention of 1x1 convolutions f, g (C / reduction
 * channels) and h (C channels) over the H W positions; gamma starts at 0.
 * Takes gan_layer_set_spectral_norm (f, g and h each). */
void gan_layer_self_attention(gan_layer *l, int reduction);

/* Batch normalization per channel of (C, H, W) samples: statistics over
 * N, H, W. Same conventions as gan_layer_batchnorm. */
void gan_layer_batchnorm2d(gan_layer *l, float momentum, float eps);

/* Dropout (training only): zero each element with probability p, scale the
 * kept ones by 1 / (1 - p). Identity in inference mode. 0 <= p < 1. */
void gan_layer_dropout(gan_layer *l, float p);

/* Spectral normalization (torch.nn.utils.spectral_norm, one power iteration
 * per training forward, eps 1e-12) on a layer of a GAN_LAYER_SPECTRAL_NORM
 * kind (dense, conv2d, conv_transpose2d, whose matrix is (out, in k k) as
 * PyTorch's dim 1; projection: both its weights): call right after the
 * constructor. False (and no change) for other kinds. */
bool gan_layer_set_spectral_norm(gan_layer *l, bool on);

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
