/*
 * model.h - a network: a sequence of layers with shapes chained by shape
 * inference, and the memory it runs in.
 *
 * Memory (arena.h), planned once for a maximum batch size:
 *   params, grads, adam_m, adam_v: one block each, same layout, so the
 *     optimizer is one flat loop over n_params floats;
 *   state: running statistics (not trained by gradients);
 *   acts[i]: (max_batch, size of layer i's output); acts[0] is the input;
 *     a view layer's output is the same buffer as its input, and so is an
 *     activation's that runs in place (layer.h: in_place; relu after a
 *     conditional batch norm) or is fused into the layer before it (layer.h:
 *     GAN_LAYER_TAKES_ACTIVATION, a batch norm; _FROM_OUTPUT: dense,
 *     conv2d, conv_transpose2d; that layer's kernels then apply it),
 *     unless keep_outputs; a transient value, one that no backward reads
 *     (a branch's output, read only by its block's join; the input of
 *     pooling or up-sampling, GAN_LAYER_BACKWARD_NO_INPUT, that nothing
 *     else's backward reads), lies instead in one area shared with the
 *     branch gradients, over values whose forward lifetimes it does not
 *     meet (model.c: plan_transients); so is the output of a layer whose
 *     forward is a copy (upsample2d, GAN_LAYER_RECOMPUTE) that only the
 *     next layer reads: that forward runs again in backward, from its kept
 *     input, into recompute_buf in the same area. In an inference_only
 *     model every value but the input and the output is transient, and the
 *     layers' work lies there too. As nothing in that area outlives one
 *     call, models that never run at once may share one (transient_from);
 *   grad_of[i]: the activation gradients between the top-level steps of
 *     backward, in the same region as the activations: each over
 *     activations that backward has passed (model.c: place_gradients), so
 *     a backward overwrites the activations (a layer with an activation
 *     fused from its output also writes that activation's gradient over
 *     its own output: layer.h, grad_over_output), but never the input
 *     acts[0] nor the model's output (gan_model_output);
 *   scratch: per-layer values saved for backward;
 *   work: each layer's, used only within a forward or backward call
 *     (layer.h), in the same region: where that layer's forward has not
 *     written yet and its backward step has passed (model->work NULL);
 *     or, where that takes more, one area of the largest n_work after the
 *     region (model->work) that every layer shares;
 *   blocks: each block's output; the branches' gradient buffers, which
 *     live only inside one block's backward, are one set for all blocks.
 * The layers' work depends on the backend's kernel table when the model is
 * built (convolutions need none where it has direct ones): a model built
 * while the CUDA backend convolves through cuDNN (tf32, bf16) must not run
 * after gan_backend_cuda_set_math switched it to im2col (fp32).
 * After gan_model_build nothing is allocated again.
 *
 * Blocks (graphs where they are needed): a block is a run of consecutive
 * layers cut into branches; every branch is a chain of layers that reads
 * the block's input (a branch of no layers is the identity), and the
 * block's kind joins the branches' outputs into the block's output, which
 * the next layer reads. A residual block is the kind `residual`: branches
 * `main` and `shortcut`, joined by their sum. A block kind is one row of
 * the table in src/blocks.c (gan_block_kind): its name, its branches' names
 * (the PyTorch attributes of the mirror module) and its join, forward and
 * backward. Blocks do not nest. Tensor names follow PyTorch's module tree:
 * a layer outside blocks is "<net>.<item>.<tensor>", one inside is
 * "<net>.<item>.<branch>.<index in branch>.<tensor>", <item> counting
 * top-level layers and blocks from 0 (nn.Sequential of layers and block
 * modules, each block an nn.Module with one nn.Sequential per branch).
 *
 * On a device backend (be->host_memory false) all of that lives in device
 * memory and only kernels touch it; the model then also keeps host copies
 * of params, adam_m, adam_v and state (`host`), which are what initialisation
 * writes and what files read and write: gan_model_download fills them from
 * the device, gan_model_upload sends them back. On the CPU backend `host`
 * points at the blocks themselves and both calls do nothing.
 */
#ifndef GAN_MODEL_H
#define GAN_MODEL_H

#include "arena.h"
#include "layers/layer.h"

#define GAN_MAX_LAYERS 64
#define GAN_MAX_BLOCKS 16
#define GAN_MAX_BRANCHES 2
#define GAN_MAX_SAMPLE_VALUES (1 << 26) /* C*H*W of any input or layer output */

/* A kind of block (src/blocks.c): how its branches' outputs join. */
typedef struct gan_block_kind {
    const char *name;                          /* "residual" */
    int n_branches;
    const char *branch_names[GAN_MAX_BRANCHES]; /* "main", "shortcut" */
    /* y (count) = the join of the branches' outputs xs[b] (count each) */
    void (*join_forward)(const gan_backend *be, float *y, const float *const *xs, int n,
                         size_t count);
    /* From dy (count), the gradient each branch's output gets: dys[b] =
     * dy or buf[b] (count each, theirs to write). */
    void (*join_backward)(const gan_backend *be, const float **dys, float *const *buf,
                          const float *dy, int n, size_t count);
    /* Whether join_backward writes buf (else the model gives it none). */
    bool join_buffers;
    /* The C operator (as "+") the exported code joins two branch outputs
     * with, left to right, in join_forward's order and rounding; NULL: the
     * kind is not exported. */
    const char *c_join;
} gan_block_kind;

/* The kinds (src/blocks.c). */
const gan_block_kind *gan_block_kind_find(const char *name);
extern const gan_block_kind gan_block_residual;

typedef struct gan_block {
    const gan_block_kind *kind;
    int first;                       /* index of its first layer */
    int n[GAN_MAX_BRANCHES];         /* layers of each branch, in order from first */
    int in[3], out[3], in_size, out_size;
    /* bound by the model */
    float *out_act;                  /* (max_batch, out_size) the join's output */
    float *pp[GAN_MAX_BRANCHES][2];  /* per branch: ping-pong gradient buffers (shared) */
    float *dys_buf[GAN_MAX_BRANCHES]; /* per branch: the join's gradient, if it writes one
                                        (join_buffers; shared), else NULL */
} gan_block;

typedef struct gan_model {
    const char *name; /* "generator" / "discriminator": prefix of tensor names */
    int n_layers;
    gan_layer layers[GAN_MAX_LAYERS];
    int in[3], out[3];
    int in_size, out_size;
    int max_batch;
    int failed_layer;  /* after a failed shape inference: the layer at fault, else -1 */
    int n_blocks;
    gan_block blocks[GAN_MAX_BLOCKS];
    int open_block;    /* while adding: 1 + the block being added, 0 if none */
    int open_branch;   /* while adding: the branch being added */
    int block_of[GAN_MAX_LAYERS]; /* 1 + the block layer i is in, 0 if none (shape inference) */
    bool keep_outputs; /* set before build: no layer runs in place, so every layer's output
                          stays readable after a forward (the classifier's features) */
    bool defer_output_bias; /* set before build: where the model's output is a one-feature
                               GAN_LAYER_DEFERS_BIAS layer's (no activation, no block), its
                               training forward leaves the bias out and its backward takes
                               dy already with the bias gradient added: the caller applies
                               both (out_bias; the trainer's loss kernel, loss_terms) */
    bool inference_only; /* set before build: forwards only, never a backward (the EMA
                            generator, a loaded generator): no grads, adam_m, adam_v, grad_of
                            (all NULL); every value but the input and the output transient */
    float *x_of[GAN_MAX_LAYERS];  /* the input of layer i (acts[i], or its block's input) */
    const float *out_bias;        /* with defer_output_bias, where it applied: the bias
                                     (1 float) the caller adds to training outputs, and */
    float *out_bias_grad;         /* its gradient; else NULL */
    const float *bound_in;        /* where the forward reads the input (acts[0] unless
                                     gan_model_forward_at bound another) and writes the */
    float *bound_out, *own_out;   /* output (own_out: the model's own storage of it) */
    const gan_backend *be;

    size_t n_params, n_state;
    float *params, *grads, *adam_m, *adam_v; /* (n_params) each */
    float *state;                            /* (n_state) */
    float *acts[GAN_MAX_LAYERS + 1];         /* acts[i]: (max_batch, layer i-1 out) */
    float *grad_of[GAN_MAX_LAYERS];          /* where backward writes the gradient of the
                                                input of a top-level step (a computing layer
                                                outside blocks, or a block at its first layer):
                                                (max_batch, its in_size), over activations
                                                that backward has passed */
    float *transient;                        /* (n_transient) the transient values' area
                                                (model.c: plan_transients), which the blocks'
                                                branch gradients share */
    size_t n_transient;
    int recompute[GAN_MAX_LAYERS];           /* 1 + the layer whose forward runs again, into
                                                recompute_buf, before layer i's backward
                                                (its input: layer.h, GAN_LAYER_RECOMPUTE),
                                                else 0 */
    float *recompute_buf;                    /* in the transient area, after the branch
                                                gradients */
    float *transient_from;                   /* set before build, with transient_from_n: an
                                                area of another model's memory (its
                                                `transient`) to use as this one's where it is
                                                large enough (else its own), as nothing in it
                                                outlives one forward or backward call: the
                                                caller never runs the two models' calls at
                                                once, and keeps the other model until this
                                                one is freed (the trainer's G, D and EMA
                                                generator) */
    size_t transient_from_n;
    size_t n_work;                           /* floats of work: the largest layer n_work */
    float *work;                             /* (n_work) the layers' shared work area, or
                                                NULL: each layer's lies in the region */
    int64_t adam_t;                          /* Adam steps taken */
    int64_t *adam_t_dev;                     /* device backends: Adam's step count and */
    uint32_t *adam_ticket_dev;               /* adam_dev's ticket, in device memory (1 each) */
    bool grads_zero;                         /* the grads are known to be all zero (the arena
                                                starts so; Adam leaves them so unless
                                                keep_grads; a backward with parameter gradients
                                                ends it), so gan_model_zero_grads has nothing
                                                to do */
    bool keep_grads;                         /* set by a caller that reads the gradients after
                                                Adam (tests): Adam leaves them, and the next
                                                gan_model_zero_grads zeroes them */
    struct {
        float *params, *adam_m, *adam_v, *state;
    } host;                                  /* host copies (see above) */

    /* inputs besides x (see gan_model_set_labels / gan_model_set_rng_counter) */
    const int32_t *labels;                   /* (N) class labels of the rows, or NULL */
    uint64_t seed;                           /* from gan_model_init */
    int net_id;                              /* from gan_model_init */
    uint64_t rng_counter;                    /* training forwards so far (dropout) */
    gan_arena arena;                         /* the blocks, in the backend's memory */
    gan_arena host_arena;                    /* `host` on a device backend */
} gan_model;

/* Append a layer (constructed with gan_layer_*) to the model. */
gan_status gan_model_add(gan_model *m, gan_layer layer);

/* Blocks, while adding layers: gan_model_begin_block(m, kind) starts a
 * block of that kind and its first branch; the layers added next belong to
 * it; gan_model_next_branch starts the next branch; gan_model_end_block
 * closes the block (branches not started are the identity). Out of order
 * (a block inside a block, too many branches, an empty block, a block left
 * open at build): GAN_ERR_INVALID_ARGUMENT with a message. */
gan_status gan_model_begin_block(gan_model *m, const gan_block_kind *kind);
gan_status gan_model_next_branch(gan_model *m);
gan_status gan_model_end_block(gan_model *m);

/* The name prefix of layer i's tensors ("generator.3" or
 * "generator.3.main.0", see above). */
void gan_model_layer_path(const gan_model *m, int i, char *buf, size_t cap);

/* The model's output after a forward (acts[n_layers], or the last block's
 * join when the model ends with a block). */
const float *gan_model_output(const gan_model *m);

/* Shape inference only (nothing allocated): set each layer's input and
 * output shapes and sizes from the input shape (C, H, W), for batches of up
 * to max_batch rows. On a layer's failure, sets m->failed_layer to its index
 * and returns its status and message (without a prefix); every shape must
 * hold at most GAN_MAX_SAMPLE_VALUES values. */
gan_status gan_model_infer_shapes(gan_model *m, const char *name, int c, int h, int w,
                                  int max_batch);

/* Infer shapes from the input shape, plan and allocate memory for
 * `max_batch` rows, and bind every layer to its slices. A layer's error is
 * prefixed with "<name> layer <i> (<kind>): ". */
gan_status gan_model_build(gan_model *m, const char *name, int c, int h, int w, int max_batch,
                           const gan_backend *be);

/* Initialise parameters and state from `seed`; `net_id` keeps the random
 * streams of different networks apart. The values are computed on the host
 * (on a device backend: into `host`, then uploaded), so every backend starts
 * from the same bits. */
gan_status gan_model_init(gan_model *m, uint64_t seed, int net_id);

/* After gan_model_init: convolution weights N(0, 0.02) and batch-norm gamma
 * N(1, 0.02), from the same seed (GAN_INIT_DCGAN). */
gan_status gan_model_init_dcgan(gan_model *m);

/* Device backends: copy params, Adam's moments and state to `host` (waits
 * for queued work; reports a device error), or `host` and adam_t back to the
 * device. Nothing to do on the CPU. */
gan_status gan_model_download(gan_model *m);
gan_status gan_model_upload(gan_model *m);

void gan_model_free(gan_model *m);

/* Class labels (N) of the rows of the next forwards, read by label layers;
 * the array (on the backend's device) must stay valid through the backward.
 * NULL (the default) means no labels. */
void gan_model_set_labels(gan_model *m, const int32_t *labels);

/* Randomness of training forwards (dropout) is counter-based: training
 * forward number c uses, in layer i, stream gan_rng_stream(GAN_RNG_DROPOUT,
 * net_id << 48 | i << 40 | c) of the init seed, and then c is incremented.
 * Set the counter (e.g. from the step count) to make a run resumable. */
void gan_model_set_rng_counter(gan_model *m, uint64_t counter);

/* Whether a training forward and backward depend only on backend memory,
 * so that a captured graph of them can be replayed: not with dropout, whose
 * random stream is a host value set per forward. */
bool gan_model_replayable(const gan_model *m);

/* Forward pass of N rows. x (N, in_size, in the backend's memory) is copied
 * into acts[0] unless it already is acts[0]. Returns the output (N,
 * out_size), inside the model. */
const float *gan_model_forward(gan_model *m, const float *x, int N, bool train);

/* The same without copies: the layers read x where it is (NULL: acts[0]) and
 * the last one writes the output at `out` (N, out_size; NULL: inside the
 * model), which is returned. Both in the backend's memory, x either acts[0]
 * or outside the model's memory, out outside it; both must stay unchanged
 * until the backward that follows, which reads them (the trainer: D reads
 * the fake rows, and G writes them, in D's input rows). The next forward of
 * either kind binds its own. */
const float *gan_model_forward_at(gan_model *m, const float *x, float *out, int N, bool train);

/* Backward pass for the last forward (never on an inference_only model):
 * dy (N, out_size). Parameter gradients accumulate into m->grads when
 * param_grads; returns dLoss/dinput (N, in_size) inside the model when
 * want_dx, else NULL. */
const float *gan_model_backward(gan_model *m, const float *dy, int N, bool param_grads,
                                bool want_dx);

/* Zero the parameter gradients (no kernel where they are known to be zero:
 * grads_zero). */
void gan_model_zero_grads(gan_model *m);

/* One Adam step (Keras formula) over all parameters with the current grads,
 * which it leaves zero (spent; not with keep_grads). On a device backend the step count and lr_t
 * are advanced in device memory in the same kernel (adam_dev), so the call
 * can be captured in a graph; adam_t counts on the host as well. */
void gan_model_adam_step(gan_model *m, float lr, float beta1, float beta2, float eps);

/* Enumerate the model's named tensors ("generator.0.weight", ...) in a fixed
 * order: layer by layer, each layer's params then its state. Calls fn for
 * each; stops and returns the first non-OK status. Tensors point into the
 * host copies (`host`; on a device backend without gradients: grad NULL). */
typedef gan_status (*gan_tensor_fn)(void *ctx, const char *name, const gan_layer_tensor *t);
gan_status gan_model_each_tensor(const gan_model *m, gan_tensor_fn fn, void *ctx);

#endif
