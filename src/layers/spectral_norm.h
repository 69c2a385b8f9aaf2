/*
 * spectral_norm.h - the spectral-normalization option shared by dense,
 * conv2d and conv_transpose2d (torch.nn.utils.spectral_norm semantics, dim 0,
 * eps 1e-12; dim 1 for conv_transpose2d, see below).
 *
 * The layer's first parameter tensor is weight_orig W0, a (rows, cols)
 * matrix. State: weight_u u (rows) then weight_v v (cols), at the start of
 * the layer's state. Scratch, at the start of the layer's scratch: the
 * normalized weight W = W0 / sigma (rows, cols), the gradient dW (rows,
 * cols) and sigma (1).
 *
 * Forward (training): one power iteration updates u and v, then sigma =
 * u . W0 v and W = W0 / sigma; inference skips the power iteration. The
 * layer computes with W; backward writes dW (=) into the scratch slot and
 * gan_sn_backward turns it into dW0 (+=), holding u and v constant, as
 * PyTorch's autograd does.
 */
#ifndef GAN_LAYERS_SPECTRAL_NORM_H
#define GAN_LAYERS_SPECTRAL_NORM_H

#include "layers/layer.h"

#define GAN_SN_EPS 1e-12f

/* Floats of state and of scratch the option needs. */
static inline size_t gan_sn_state_size(int rows, int cols) {
    return (size_t)rows + (size_t)cols;
}
static inline size_t gan_sn_scratch_size(int rows, int cols) {
    return 2 * (size_t)rows * cols + 1;
}

/* Initialise u and v to normalized N(0, 1) vectors (streams derived from
 * `stream`, distinct from the weight's). */
void gan_sn_init(gan_layer *l, uint64_t seed, uint64_t stream, int rows, int cols);

/* gan_sn_init for a weight whose u (rows) and v (cols) lie elsewhere in the
 * state (a layer with two normalized weights: projection): u from the
 * stream tagged `tag` (bits 40..47), v from tag + 1. gan_sn_init is tags 1
 * and 2 at the start of the state. */
void gan_sn_init_at(uint64_t seed, uint64_t stream, unsigned tag, float *u, int rows, float *v,
                    int cols);

/* Compute W from W0 = l->params; returns W (in scratch). */
const float *gan_sn_forward(gan_layer *l, const gan_backend *be, int rows, int cols, bool train);

/* The scratch slot the layer writes dW into (rows, cols). */
float *gan_sn_dw(gan_layer *l, int rows, int cols);

/* Accumulate dW0 into l->grads from the dW slot. */
void gan_sn_backward(gan_layer *l, const gan_backend *be, int rows, int cols);

/* Weights stored with the output dimension second, (G, rows, P) with
 * cols = G P (conv_transpose2d: (Cin, Cout, k, k); PyTorch's spectral_norm
 * uses dim 1 for them): the matrix is the permutation (rows, G P), so three
 * more (rows, cols) slots follow the ones above: the permuted weight_orig
 * (reused for dW0 in backward), W and dW in the layer's own layout. The
 * layer computes with gan_sn_forward_dim1's W and writes its dW into
 * gan_sn_dw_dim1; gan_sn_backward_dim1 accumulates dW0 into l->grads. */
static inline size_t gan_sn_scratch_size_dim1(int rows, int cols) {
    return gan_sn_scratch_size(rows, cols) + 3 * (size_t)rows * cols;
}
const float *gan_sn_forward_dim1(gan_layer *l, const gan_backend *be, int G, int rows, int P,
                                 bool train);
const float *gan_sn_weight_dim1(gan_layer *l, int rows, int cols); /* the last forward's W */
float *gan_sn_dw_dim1(gan_layer *l, int rows, int cols);
void gan_sn_backward_dim1(gan_layer *l, const gan_backend *be, int G, int rows, int P);

/* Tensor entries weight_u, weight_v (2 entries). */
void gan_sn_tensors(const gan_layer *l, int rows, int cols, gan_layer_tensor *t);

#endif
