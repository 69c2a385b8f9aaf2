/*
 * avgpool2d.c - average pooling over non-overlapping k x k windows (PyTorch
 * nn.AvgPool2d(k), stride k, no padding): x (N, C, H, W) -> y (N, C, H / k,
 * W / k) (floor: rows and columns past the last whole window are dropped,
 * and get no gradient). No parameters.
 *
 * Forward is block_sum with scale 1 / k^2, backward block_spread with the
 * same scale.
 */
#include "layers/keys.h"
#include "layers/layer.h"

static gan_status avgpool2d_setup(gan_layer *l) {
    int k = l->kernel;
    if (k <= 0) return gan_fail(GAN_ERR_SHAPE, "avgpool2d: kernel %d must be positive", k);
    if (l->in[1] < k || l->in[2] < k)
        return gan_fail(GAN_ERR_SHAPE, "avgpool2d: a %dx%d window does not fit a %dx%d input", k,
                        k, l->in[1], l->in[2]);
    l->out[0] = l->in[0];
    l->out[1] = l->in[1] / k;
    l->out[2] = l->in[2] / k;
    return GAN_OK;
}

static void avgpool2d_init(gan_layer *l, uint64_t seed, uint64_t stream) {}

static float window_scale(const gan_layer *l) {
    return 1.0f / (float)(l->kernel * l->kernel);
}

static void avgpool2d_forward(gan_layer *l, const gan_backend *be, const float *x, float *y,
                              int N, bool train) {
    be->block_sum(be->ctx, y, x, N * l->in[0], l->in[1], l->in[2], l->kernel, l->kernel,
                  window_scale(l));
}

static void avgpool2d_backward(gan_layer *l, const gan_backend *be, const float *x,
                               const float *y, const float *dy, float *dx, int N,
                               bool param_grads) {
    if (dx)
        be->block_spread(be->ctx, dx, dy, N * l->in[0], l->in[1], l->in[2], l->kernel, l->kernel,
                         window_scale(l));
}

static int avgpool2d_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    return 0;
}

static bool avgpool2d_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                                int n_classes, char *why, size_t cap) {
    gan_layer_avgpool2d(l, (int)v[0].i);
    return true;
}

/* the window's sum in row-major order, in double as the kernels, times 1/k^2 */
static bool avgpool2d_export_c(const gan_layer *l, gan_c_source *c, const char *p, int i) {
    int W = l->in[2], OH = l->out[1], OW = l->out[2], k = l->kernel;
    gan_c_put(c, "    for (o = 0; o < %d; o++)\n"
                 "        for (k = 0; k < %d; k++) {\n"
                 "            int i, j;\n"
                 "            double s = 0;\n"
                 "            for (i = 0; i < %d; i++)\n"
                 "                for (j = 0; j < %d; j++)\n"
                 "                    s += x[o * %d + (k / %d * %d + i) * %d + k %% %d * %d + j];\n"
                 "            y[o * %d + k] = (float)s * %a;\n"
                 "        }\n",
              l->in[0], OH * OW, k, k, l->in[1] * W, OW, k, W, OW, k, OH * OW,
              (double)window_scale(l));
    return true;
}

const gan_layer_ops gan_layer_kind_avgpool2d = {
    .name = "avgpool2d",
    .flags = GAN_LAYER_BACKWARD_NO_OUTPUT | GAN_LAYER_BACKWARD_NO_INPUT,
    .n_positional = 1,
    .keys = {{"kernel", SPEC_INT, "2", false, 1, 64, false, false, NULL}},
    GAN_LAYER_OPS_NAMED(avgpool2d),
    .export_c = avgpool2d_export_c,
};

void gan_layer_avgpool2d(gan_layer *l, int kernel) {
    *l = (gan_layer){.ops = &gan_layer_kind_avgpool2d, .kernel = kernel};
}
