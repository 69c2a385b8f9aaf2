/*
 * self_attention.c - self-attention at one resolution (SAGAN, Zhang et al.
 * 2019): for x (C, P) with P = H W positions,
 *     f = Wf x + bf, g = Wg x + bg   (C' x P, C' = max(1, C / reduction))
 *     h = Wh x + bh                   (C x P)
 *     beta[j][i] = softmax over i of f_i . g_j   (how much position j looks at i)
 *     o_j = sum_i beta[j][i] h_i,   y = x + gamma o
 * with 1x1 convolutions f, g, h and a scalar gamma that starts at 0 (the
 * block begins as the identity). (C, H, W) -> (C, H, W).
 *
 * Parameters, with the names of the PyTorch mirror (nn.Conv2d(C, C', 1) as
 * f and g, nn.Conv2d(C, C, 1) as h, nn.Parameter gamma): f.weight (C', C,
 * 1, 1), g.weight, h.weight (C, C, 1, 1), then f.bias, g.bias, h.bias, then
 * gamma (1). The three weights lie one after the other, a (Q, C) matrix
 * with Q = 2 C' + C, and so do the biases: one matrix product computes f,
 * g and h for the whole batch. Init: each weight Glorot uniform (the
 * conv2d layers' init), biases 0, gamma 0.
 *
 * Scratch for B = max_batch rows, what backward reads of the forward: x
 * channel-major (C, B P), f g h per image (B, Q, P), the attention maps
 * beta (B, P, P), o (B, C, P). Work (layer.h): f g h channel-major (Q, B P)
 * (the forward's product, then backward's gradient of it), and for backward
 * d_o (B, C, P), d_beta (B, P, P), d(f g h) per image (B, Q, P), dx
 * channel-major (C, B P). The products of one image (P x P maps) are one
 * gemm each, per image.
 *
 * With spectral_norm (spectral_norm.h, PyTorch's spectral_norm on each of
 * the three convolutions, dim 0: SAGAN normalizes its attention convs) the
 * weights are f.weight_orig, g.weight_orig, h.weight_orig; state: for f, g,
 * h in turn weight_u (rows) and weight_v (C); scratch, before the buffers
 * above: the normalized weights W (Q, C), their gradient dW (Q, C) and the
 * three sigmas (4 floats). One power iteration per weight per training forward.
 *
 * No C export yet (gan export refuses a generator with this layer, naming
 * it).
 */
#include "layers/keys.h"
#include "layers/layer.h"
#include "layers/spectral_norm.h"
#include "rng.h"

#include <math.h>

/* the reduced width C' */
static int key_width(const gan_layer *l) {
    int r = l->int_slot[0];
    return l->in[0] / r > 0 ? l->in[0] / r : 1;
}

/* spectral norm's scratch: W (Q, C), dW (Q, C), sigma (3, padded to 4 to
 * keep the buffers after it 16-byte aligned as far as they were) */
static size_t sn_scratch(const gan_layer *l) {
    size_t C = (size_t)l->in[0], Q = 2 * (size_t)key_width(l) + C;
    return l->spectral_norm ? 2 * Q * C + 4 : 0;
}

/* spectral norm on weight k (0 f, 1 g, 2 h): the (rows, C) slices of
 * weight_orig, its gradient, W and dW, its sigma, u and v */
typedef struct att_sn {
    float *w0, *grad, *w, *dw, *sigma, *u, *v;
    int rows;
} att_sn;

static att_sn sn_of(const gan_layer *l, int k) {
    int C = l->in[0], K = key_width(l);
    size_t Q = 2 * (size_t)K + C, row = (size_t)k * K; /* f at 0, g at K, h at 2 K */
    att_sn a = {.rows = k < 2 ? K : C};
    a.w0 = l->params + row * C;
    a.grad = l->grads ? l->grads + row * C : NULL;
    a.w = l->scratch + row * C;
    a.dw = l->scratch + Q * C + row * C;
    a.sigma = l->scratch + 2 * Q * C + k;
    a.u = l->state + row + (size_t)k * C; /* u_f v_f u_g v_g u_h v_h */
    a.v = a.u + a.rows;
    return a;
}

typedef struct att_bufs {
    float *xcm, *qkv_cm, *qkv, *beta, *o, *d_o, *d_beta, *dqkv, *dxcm;
} att_bufs;

static att_bufs bufs_of(const gan_layer *l) {
    size_t B = (size_t)l->max_batch, C = (size_t)l->in[0], P = (size_t)l->in[1] * l->in[2];
    size_t Q = 2 * (size_t)key_width(l) + C;
    att_bufs b;
    b.xcm = l->scratch + sn_scratch(l); /* what backward reads */
    b.qkv = b.xcm + C * B * P;
    b.beta = b.qkv + B * Q * P;
    b.o = b.beta + B * P * P;
    b.qkv_cm = l->work; /* within one call */
    b.d_o = b.qkv_cm + Q * B * P;
    b.d_beta = b.d_o + B * C * P;
    b.dqkv = b.d_beta + B * P * P;
    b.dxcm = b.dqkv + B * Q * P;
    return b;
}

static size_t self_attention_work(const gan_layer *l, const gan_backend *be) {
    size_t B = (size_t)l->max_batch, C = (size_t)l->in[0], P = (size_t)l->in[1] * l->in[2];
    size_t Q = 2 * (size_t)key_width(l) + C;
    return Q * B * P + B * C * P + B * P * P + B * Q * P + C * B * P;
}

static gan_status self_attention_setup(gan_layer *l) {
    if (l->int_slot[0] <= 0)
        return gan_fail(GAN_ERR_SHAPE, "self_attention: reduction must be positive");
    for (int i = 0; i < 3; i++) l->out[i] = l->in[i];
    size_t B = (size_t)l->max_batch, C = (size_t)l->in[0], P = (size_t)l->in[1] * l->in[2];
    size_t Q = 2 * (size_t)key_width(l) + C;
    l->n_params = Q * C + Q + 1;
    l->n_scratch = C * B * P + B * Q * P + B * P * P + B * C * P;
    if (l->spectral_norm) {
        l->n_state = Q + 3 * C;
        l->n_scratch += sn_scratch(l);
    }
    return GAN_OK;
}

static void self_attention_init(gan_layer *l, uint64_t seed, uint64_t stream) {
    int C = l->in[0], K = key_width(l), rows[3] = {K, K, C};
    size_t Q = 2 * (size_t)K + C;
    float *w = l->params;
    for (int k = 0; k < 3; k++) {
        size_t n = (size_t)rows[k] * C;
        float limit = (float)sqrt(6.0 / (double)(rows[k] + C));
        /* f keeps the layer's stream; g and h tags 4 and 5 (bits 40..47) */
        gan_rng_uniform(seed, k ? stream ^ ((uint64_t)(3 + k) << 40) : stream, w, n);
        for (size_t i = 0; i < n; i++) w[i] = (2.0f * w[i] - 1.0f) * limit;
        w += n;
    }
    for (size_t i = 0; i <= Q; i++) l->params[Q * C + i] = 0.0f; /* biases, gamma */
    if (!l->spectral_norm) return;
    /* u, v: f tags 1, 2 (as gan_sn_init), g 6, 7, h 8, 9 (3 is --init dcgan's) */
    for (int k = 0; k < 3; k++) {
        att_sn a = sn_of(l, k);
        gan_sn_init_at(seed, stream, k ? 4 + 2 * (unsigned)k : 1, a.u, a.rows, a.v, C);
    }
}

/* the weights (Q, C) the forward computes with */
static const float *effective(gan_layer *l, const gan_backend *be, bool train) {
    if (!l->spectral_norm) return l->params;
    for (int k = 0; k < 3; k++) {
        att_sn a = sn_of(l, k);
        be->spectral_norm_forward(be->ctx, a.w, a.sigma, a.u, a.v, a.w0, a.rows, l->in[0], train,
                                  GAN_SN_EPS);
    }
    return l->scratch;
}

static void self_attention_forward(gan_layer *l, const gan_backend *be, const float *x, float *y,
                                   int N, bool train) {
    int C = l->in[0], P = l->in[1] * l->in[2], K = key_width(l), Q = 2 * K + C, NP = N * P;
    const float *W = effective(l, be, train), *b = l->params + (size_t)Q * C, *gamma = b + Q;
    att_bufs s = bufs_of(l);
    be->nchw_to_cmajor(be->ctx, s.xcm, x, N, C, P);
    be->gemm(be->ctx, false, false, Q, NP, C, 1.0f, W, C, s.xcm, NP, 0.0f, s.qkv_cm, NP);
    be->cmajor_to_nchw(be->ctx, s.qkv, s.qkv_cm, b, N, Q, P);
    size_t PP = (size_t)P * P;
    for (int n = 0; n < N; n++) { /* beta[j][i] = g_j . f_i, then the rows' softmax */
        const float *f = s.qkv + (size_t)n * Q * P, *g = f + (size_t)K * P;
        be->gemm(be->ctx, true, false, P, P, K, 1.0f, g, P, f, P, 0.0f, s.beta + n * PP, P);
    }
    be->softmax_rows_forward(be->ctx, s.beta, s.beta, NP, P);
    for (int n = 0; n < N; n++) { /* o (C, P) = h beta^T */
        const float *h = s.qkv + (size_t)n * Q * P + 2 * (size_t)K * P;
        be->gemm(be->ctx, false, true, C, P, P, 1.0f, h, P, s.beta + n * PP, P, 0.0f,
                 s.o + (size_t)n * C * P, P);
    }
    be->gated_add_forward(be->ctx, y, x, s.o, gamma, (size_t)N * C * P);
}

static void self_attention_backward(gan_layer *l, const gan_backend *be, const float *x,
                                    const float *y, const float *dy, float *dx, int N,
                                    bool param_grads) {
    if (!param_grads && !dx) return;
    int C = l->in[0], P = l->in[1] * l->in[2], K = key_width(l), Q = 2 * K + C, NP = N * P;
    bool sn = l->spectral_norm;
    /* with spectral norm: W from the forward; dW is written into its slot, then mapped */
    const float *W = sn ? l->scratch : l->params, *gamma = l->params + (size_t)Q * C + Q;
    float *db = l->grads + (size_t)Q * C, *dgamma = db + Q;
    float *dW = sn ? l->scratch + (size_t)Q * C : l->grads;
    att_bufs s = bufs_of(l);
    size_t n_out = (size_t)N * C * P, PP = (size_t)P * P;
    if (param_grads) /* dgamma += <dy, o> */
        be->gemm(be->ctx, false, true, 1, 1, (int)n_out, 1.0f, dy, (int)n_out, s.o, (int)n_out,
                 1.0f, dgamma, 1);
    be->gated_add_backward(be->ctx, s.d_o, dy, gamma, n_out);
    for (int n = 0; n < N; n++) {
        const float *h = s.qkv + (size_t)n * Q * P + 2 * (size_t)K * P, *bt = s.beta + n * PP;
        const float *d_o = s.d_o + (size_t)n * C * P;
        float *dh = s.dqkv + (size_t)n * Q * P + 2 * (size_t)K * P;
        /* dh (C, P) = d_o beta; d_beta (P, P) = d_o^T h */
        be->gemm(be->ctx, false, false, C, P, P, 1.0f, d_o, P, bt, P, 0.0f, dh, P);
        be->gemm(be->ctx, true, false, P, P, C, 1.0f, d_o, P, h, P, 0.0f, s.d_beta + n * PP, P);
    }
    be->softmax_rows_backward(be->ctx, s.d_beta, s.beta, s.d_beta, NP, P); /* d(g_j . f_i) */
    for (int n = 0; n < N; n++) {
        const float *f = s.qkv + (size_t)n * Q * P, *g = f + (size_t)K * P;
        const float *dt = s.d_beta + n * PP;
        float *df = s.dqkv + (size_t)n * Q * P, *dg = df + (size_t)K * P;
        /* df[c][i] = sum_j dt[j][i] g[c][j]; dg[c][j] = sum_i dt[j][i] f[c][i] */
        be->gemm(be->ctx, false, false, K, P, P, 1.0f, g, P, dt, P, 0.0f, df, P);
        be->gemm(be->ctx, false, true, K, P, P, 1.0f, f, P, dt, P, 0.0f, dg, P);
    }
    float *dqkv_cm = s.qkv_cm; /* f g h channel-major are no longer needed */
    be->nchw_to_cmajor(be->ctx, dqkv_cm, s.dqkv, N, Q, P);
    if (param_grads) {
        be->gemm(be->ctx, false, true, Q, C, NP, 1.0f, dqkv_cm, NP, s.xcm, NP, sn ? 0.0f : 1.0f,
                 dW, C);
        be->channel_bias_backward(be->ctx, db, s.dqkv, N, Q, P);
        for (int k = 0; sn && k < 3; k++) {
            att_sn a = sn_of(l, k);
            be->spectral_norm_backward(be->ctx, a.grad, a.dw, a.w, a.u, a.v, a.sigma, a.rows, C);
        }
    }
    if (dx) {
        be->gemm(be->ctx, true, false, C, NP, Q, 1.0f, W, C, dqkv_cm, NP, 0.0f, s.dxcm, NP);
        be->cmajor_to_nchw(be->ctx, dx, s.dxcm, NULL, N, C, P);
        be->axpy(be->ctx, dx, dy, n_out, 1.0f);
    }
}

static int self_attention_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    bool sn = l->spectral_norm;
    if (max < (sn ? 13 : 7)) return 0;
    int64_t C = l->in[0], K = key_width(l);
    size_t Q = 2 * (size_t)K + (size_t)C;
    float *w = l->params, *b = w + Q * C, *gw = l->grads, *gb = gw ? gw + Q * C : NULL;
    static const char *const names[3][5] = {
        {"f.weight", "f.bias", "f.weight_orig", "f.weight_u", "f.weight_v"},
        {"g.weight", "g.bias", "g.weight_orig", "g.weight_u", "g.weight_v"},
        {"h.weight", "h.bias", "h.weight_orig", "h.weight_u", "h.weight_v"}};
    size_t row = 0;
    for (int k = 0; k < 3; k++) {
        int64_t rows = k < 2 ? K : C;
        t[2 * k] = (gan_layer_tensor){names[k][sn ? 2 : 0], w + row * C, gw ? gw + row * C : NULL,
                                      4, {rows, C, 1, 1}, (size_t)(rows * C)};
        t[2 * k + 1] = (gan_layer_tensor){names[k][1], b + row, gb ? gb + row : NULL, 1, {rows},
                                          (size_t)rows};
        row += (size_t)rows;
    }
    t[6] = (gan_layer_tensor){"gamma", b + Q, gb ? gb + Q : NULL, 1, {1}, 1};
    if (!sn) return 7;
    for (int k = 0; k < 3; k++) {
        att_sn a = sn_of(l, k);
        t[7 + 2 * k] = (gan_layer_tensor){names[k][3], a.u, NULL, 1, {a.rows}, (size_t)a.rows};
        t[8 + 2 * k] = (gan_layer_tensor){names[k][4], a.v, NULL, 1, {C}, (size_t)C};
    }
    return 13;
}

static bool self_attention_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                                     int n_classes, char *why, size_t cap) {
    gan_layer_self_attention(l, (int)v[0].i);
    gan_layer_set_spectral_norm(l, v[1].b);
    return true;
}

const gan_layer_ops gan_layer_kind_self_attention = {
    .name = "self_attention",
    .flags = GAN_LAYER_SPECTRAL_NORM | GAN_LAYER_BACKWARD_NO_OUTPUT,
    .n_positional = 1,
    .keys = {{"reduction", SPEC_INT, "8", false, 1, GAN_KEY_MAX_CHANNELS, false, false, NULL},
             GAN_KEY_SPECTRAL_NORM},
    GAN_LAYER_OPS_NAMED(self_attention),
    .work = self_attention_work,
};

void gan_layer_self_attention(gan_layer *l, int reduction) {
    *l = (gan_layer){.ops = &gan_layer_kind_self_attention, .int_slot = {reduction}};
}
