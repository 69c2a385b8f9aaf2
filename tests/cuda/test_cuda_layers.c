/*
 * test_cuda_layers.c - the CUDA kernels of the conv, normalization, dropout,
 * spectral-norm, label and training-loop entries against the CPU reference,
 * on random inputs of awkward sizes (label cuda; 77 = no GPU, see
 * cuda_test_util.h).
 *
 * Tolerances, as |gpu - cpu| <= atol + rtol |cpu|:
 *   identical bits (0 ulp): im2col, col2im (same order of adds), the NCHW
 *     transposes, channel bias add, batchnorm2d inference, dropout (same
 *     Philox words), label concat forward and backward (embedding gradient
 *     summed in the CPU's order), load_batch_u8, step_advance
 *   channel_bias_backward: atol 1e-6 sqrt(N P) + 1e-5, rtol 1e-5 (CPU float
 *     per row, GPU double)
 *   batchnorm2d train/backward: statistics atol 1e-6 + 1e-7 sqrt(N P), rtol
 *     1e-5; outputs atol 1e-4, rtol 1e-4; parameter gradients atol 1e-6
 *     sqrt(N P) + 1e-5, rtol 1e-4; dx atol 1e-4, rtol 1e-3 (as the (N, F)
 *     batch norm of test_cuda_kernels)
 *   spectral norm: u, v, sigma, w atol 1e-6, rtol 1e-5; backward atol 1e-6,
 *     rtol 1e-5 (double sums in a different order)
 */
#include "cuda_test_util.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void free_all(void **host, int nh, void **dev, int nd) {
    for (int i = 0; i < nh; i++) free(host[i]);
    for (int i = 0; i < nd; i++) gpu->mem_free(gpu->ctx, dev[i]);
}

/* ---------------------------------------------------------- convolutions */

static gan_conv_shape conv(int C, int H, int W, int k, int s, int p) {
    gan_conv_shape cs = {C, H, W, k, s, p, (H + 2 * p - k) / s + 1, (W + 2 * p - k) / s + 1};
    return cs;
}

static void test_im2col(gan_conv_shape cs, int G) {
    size_t nx = (size_t)G * cs.C * cs.H * cs.W;
    size_t ncols = (size_t)cs.C * cs.k * cs.k * G * cs.OH * cs.OW;
    float *x = host_random(nx, -1, 1), *cols = host_random(ncols, -1, 1);
    float *dX = dev_upload(x, nx), *dCols = dev_upload(cols, ncols);
    char what[128];
    snprintf(what, sizeof what, "im2col C%d H%d W%d k%d s%d p%d G%d", cs.C, cs.H, cs.W, cs.k, cs.s,
             cs.p, G);
    cpu->im2col(cpu->ctx, cols, x, G, &cs);
    gpu->im2col(gpu->ctx, dCols, dX, G, &cs);
    expect_ulp(what, dCols, cols, ncols, 0);

    float *c2 = host_random(ncols, -1, 1);
    gpu->copy_to_device(gpu->ctx, dCols, c2, ncols * sizeof *c2);
    cpu->col2im(cpu->ctx, x, c2, G, &cs);
    gpu->col2im(gpu->ctx, dX, dCols, G, &cs);
    what[0] = 'c', what[1] = 'o', what[2] = 'l', what[3] = '2', what[4] = 'i', what[5] = 'm';
    expect_ulp(what, dX, x, nx, 0);
    free_all((void *[]){x, cols, c2}, 3, (void *[]){dX, dCols}, 2);
}

static void test_layouts(int G, int C, int P) {
    size_t n = (size_t)G * C * P;
    float *y = host_random(n, -1, 1), *t = host_random(n, -1, 1), *b = host_random(C, -1, 1);
    float *dY = dev_upload(y, n), *dT = dev_upload(t, n), *dB = dev_upload(b, C);
    cpu->nchw_to_cmajor(cpu->ctx, t, y, G, C, P);
    gpu->nchw_to_cmajor(gpu->ctx, dT, dY, G, C, P);
    expect_ulp("nchw_to_cmajor", dT, t, n, 0);
    cpu->cmajor_to_nchw(cpu->ctx, y, t, b, G, C, P);
    gpu->cmajor_to_nchw(gpu->ctx, dY, dT, dB, G, C, P);
    expect_ulp("cmajor_to_nchw (bias)", dY, y, n, 0);
    cpu->cmajor_to_nchw(cpu->ctx, y, t, NULL, G, C, P);
    gpu->cmajor_to_nchw(gpu->ctx, dY, dT, NULL, G, C, P);
    expect_ulp("cmajor_to_nchw (no bias)", dY, y, n, 0);

    cpu->channel_bias_forward(cpu->ctx, y, b, G, C, P);
    gpu->channel_bias_forward(gpu->ctx, dY, dB, G, C, P);
    expect_ulp("channel_bias_forward", dY, y, n, 0);
    cpu->channel_bias_backward(cpu->ctx, b, y, G, C, P);
    gpu->channel_bias_backward(gpu->ctx, dB, dY, G, C, P);
    char what[96];
    snprintf(what, sizeof what, "channel_bias_backward N%d C%d P%d", G, C, P);
    expect_close(what, dB, b, C, 1e-6 * sqrt((double)G * P) + 1e-5, 1e-5);
    free_all((void *[]){y, t, b}, 3, (void *[]){dY, dT, dB}, 3);
}

/* --------------------------------------------------------- batchnorm2d */

static void test_bn2d(int N, int C, int P) {
    size_t n = (size_t)N * C * P, c = (size_t)C;
    const float momentum = 0.99f, eps = 1e-3f;
    double count = (double)N * P;
    float *x = host_random(n, 1, 4), *y = host_random(n, 0, 1);
    float *gamma = host_random(c, 0.5f, 1.5f), *beta = host_random(c, -0.5f, 0.5f);
    float *rm = host_random(c, -1, 1), *rv = host_random(c, 0.5f, 2);
    float *mean = host_random(c, 0, 1), *rstd = host_random(c, 0, 1);
    float *dX = dev_upload(x, n), *dY = dev_upload(y, n), *dG = dev_upload(gamma, c);
    float *dBt = dev_upload(beta, c), *dRM = dev_upload(rm, c), *dRV = dev_upload(rv, c);
    float *dMean = dev_upload(mean, c), *dRstd = dev_upload(rstd, c);
    char what[96];

    cpu->batchnorm2d_forward_infer(cpu->ctx, y, x, rm, rv, gamma, beta, N, C, P, eps);
    gpu->batchnorm2d_forward_infer(gpu->ctx, dY, dX, dRM, dRV, dG, dBt, N, C, P, eps);
    snprintf(what, sizeof what, "bn2d infer N%d C%d P%d", N, C, P);
    expect_ulp(what, dY, y, n, 0);

    double stat_atol = 1e-6 + 1e-7 * sqrt(count);
    cpu->batchnorm2d_forward_train(cpu->ctx, y, mean, rstd, rm, rv, x, gamma, beta, N, C, P, momentum, eps);
    gpu->batchnorm2d_forward_train(gpu->ctx, dY, dMean, dRstd, dRM, dRV, dX, dG, dBt, N, C, P, momentum,
                                   eps);
    snprintf(what, sizeof what, "bn2d train y N%d C%d P%d", N, C, P);
    expect_close(what, dY, y, n, 1e-4, 1e-4);
    expect_close("bn2d train mean", dMean, mean, c, stat_atol, 1e-5);
    expect_close("bn2d train rstd", dRstd, rstd, c, stat_atol, 1e-5);
    expect_close("bn2d running mean", dRM, rm, c, stat_atol, 1e-5);
    expect_close("bn2d running var", dRV, rv, c, stat_atol, 1e-5);

    float *dy_ = host_random(n, -1, 1), *dx = host_random(n, -1, 1);
    float *dgamma = host_random(c, -1, 1), *dbeta = host_random(c, -1, 1);
    float *dDY = dev_upload(dy_, n), *dDX = dev_upload(dx, n);
    float *dDG = dev_upload(dgamma, c), *dDB = dev_upload(dbeta, c);
    gpu->copy_to_device(gpu->ctx, dMean, mean, c * sizeof *mean); /* the same statistics on both */
    gpu->copy_to_device(gpu->ctx, dRstd, rstd, c * sizeof *rstd);
    cpu->batchnorm2d_backward(cpu->ctx, dx, dgamma, dbeta, dy_, x, mean, rstd, gamma, N, C, P);
    gpu->batchnorm2d_backward(gpu->ctx, dDX, dDG, dDB, dDY, dX, dMean, dRstd, dG, N, C, P);
    double pg_atol = 1e-6 * sqrt(count) + 1e-5;
    snprintf(what, sizeof what, "bn2d backward dx N%d C%d P%d", N, C, P);
    expect_close(what, dDX, dx, n, 1e-4, 1e-3);
    expect_close("bn2d backward dgamma", dDG, dgamma, c, pg_atol, 1e-4);
    expect_close("bn2d backward dbeta", dDB, dbeta, c, pg_atol, 1e-4);
    /* NULL outputs are skipped */
    cpu->batchnorm2d_backward(cpu->ctx, NULL, dgamma, dbeta, dy_, x, mean, rstd, gamma, N, C, P);
    gpu->batchnorm2d_backward(gpu->ctx, NULL, dDG, dDB, dDY, dX, dMean, dRstd, dG, N, C, P);
    expect_close("bn2d backward dgamma only", dDG, dgamma, c, 2 * pg_atol, 1e-4);
    cpu->batchnorm2d_backward(cpu->ctx, dx, NULL, NULL, dy_, x, mean, rstd, gamma, N, C, P);
    gpu->batchnorm2d_backward(gpu->ctx, dDX, NULL, NULL, dDY, dX, dMean, dRstd, dG, N, C, P);
    expect_close("bn2d backward dx only", dDX, dx, n, 1e-4, 1e-3);
    expect_close("bn2d backward dgamma untouched", dDG, dgamma, c, 2 * pg_atol, 1e-4);

    free_all((void *[]){x, y, gamma, beta, rm, rv, mean, rstd, dy_, dx, dgamma, dbeta}, 12,
             (void *[]){dX, dY, dG, dBt, dRM, dRV, dMean, dRstd, dDY, dDX, dDG, dDB}, 12);
}

/* ------------------------------------------------- dropout, spectral norm */

static void test_dropout(size_t n, float p) {
    float *x = host_random(n, -2, 2), *y = host_random(n, 0, 1);
    float *dX = dev_upload(x, n), *dY = dev_upload(y, n);
    uint64_t seed = 77, stream = gan_rng_stream(GAN_RNG_DROPOUT, (1ull << 48) | (3ull << 40) | n);
    cpu->dropout_forward(cpu->ctx, y, x, n, p, seed, stream);
    gpu->dropout_forward(gpu->ctx, dY, dX, n, p, seed, stream);
    char what[64];
    snprintf(what, sizeof what, "dropout_forward n=%zu p=%g", n, p);
    expect_ulp(what, dY, y, n, 0);
    cpu->dropout_backward(cpu->ctx, y, x, n, p, seed, stream + 1);
    gpu->dropout_backward(gpu->ctx, dY, dX, n, p, seed, stream + 1);
    snprintf(what, sizeof what, "dropout_backward n=%zu p=%g", n, p);
    expect_ulp(what, dY, y, n, 0);
    free_all((void *[]){x, y}, 2, (void *[]){dX, dY}, 2);
}

static void normalize(float *x, int n) {
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (double)x[i] * x[i];
    for (int i = 0; i < n; i++) x[i] = (float)(x[i] / sqrt(ss));
}

static void test_spectral_norm(int rows, int cols) {
    size_t nw = (size_t)rows * cols;
    float *w0 = host_random(nw, -1, 1), *u = host_random(rows, -1, 1);
    float *v = host_random(cols, -1, 1);
    normalize(u, rows);
    normalize(v, cols);
    float *w = host_random(nw, 0, 1), sigma = 0;
    float *dW0 = dev_upload(w0, nw), *dU = dev_upload(u, rows), *dV = dev_upload(v, cols);
    float *dW = dev_upload(w, nw), *dSigma = dev_alloc(sizeof(float));
    char what[96];
    for (int pass = 0; pass < 3; pass++) { /* two power iterations, then one without */
        bool power = pass < 2;
        cpu->spectral_norm_forward(cpu->ctx, w, &sigma, u, v, w0, rows, cols, power, 1e-12f);
        gpu->spectral_norm_forward(gpu->ctx, dW, dSigma, dU, dV, dW0, rows, cols, power, 1e-12f);
        snprintf(what, sizeof what, "spectral_norm %dx%d pass %d", rows, cols, pass);
        expect_close(what, dSigma, &sigma, 1, 1e-6, 1e-5);
        expect_close("spectral_norm u", dU, u, rows, 1e-6, 1e-5);
        expect_close("spectral_norm v", dV, v, cols, 1e-6, 1e-5);
        expect_close("spectral_norm w", dW, w, nw, 1e-6, 1e-5);
        /* continue from the CPU's values on both sides */
        gpu->copy_to_device(gpu->ctx, dU, u, rows * sizeof *u);
        gpu->copy_to_device(gpu->ctx, dV, v, cols * sizeof *v);
        gpu->copy_to_device(gpu->ctx, dW, w, nw * sizeof *w);
        gpu->copy_to_device(gpu->ctx, dSigma, &sigma, sizeof sigma);
        CHECK_OK(gpu->synchronize(gpu->ctx));
    }
    float *dw = host_random(nw, -1, 1), *g0 = host_random(nw, -1, 1);
    float *dDw = dev_upload(dw, nw), *dG0 = dev_upload(g0, nw);
    cpu->spectral_norm_backward(cpu->ctx, g0, dw, w, u, v, &sigma, rows, cols);
    gpu->spectral_norm_backward(gpu->ctx, dG0, dDw, dW, dU, dV, dSigma, rows, cols);
    snprintf(what, sizeof what, "spectral_norm_backward %dx%d", rows, cols);
    expect_close(what, dG0, g0, nw, 1e-6, 1e-5);
    free_all((void *[]){w0, u, v, w, dw, g0}, 6, (void *[]){dW0, dU, dV, dW, dSigma, dDw, dG0}, 7);
}

/* ----------------------------------------------------------------- labels */

static void test_labels(int N, int C, int P, int n_classes, int D, bool table, bool no_labels) {
    size_t nx = (size_t)N * C * P, ny = (size_t)N * (C + D) * P, nt = (size_t)n_classes * D;
    int32_t *labels = malloc((size_t)N * sizeof *labels);
    for (int n = 0; n < N; n++) /* some invalid labels: -1, n_classes */
        labels[n] = n % 11 == 5 ? -1 : n % 13 == 7 ? n_classes : (n * 7) % n_classes;
    float *x = host_random(nx, -1, 1), *y = host_random(ny, -1, 1);
    float *tab = table ? host_random(nt, -1, 1) : NULL;
    float *dX = dev_upload(x, nx), *dY = dev_upload(y, ny);
    float *dTab = table ? dev_upload(tab, nt) : NULL;
    int32_t *dL = dev_upload_bytes(labels, (size_t)N * sizeof *labels);
    const int32_t *lab_c = no_labels ? NULL : labels, *lab_g = no_labels ? NULL : dL;
    char what[128];
    snprintf(what, sizeof what, "label_concat N%d C%d P%d classes %d D%d table %d nolabels %d", N,
             C, P, n_classes, D, table, no_labels);
    cpu->label_concat_forward(cpu->ctx, y, x, lab_c, tab, N, C, P, n_classes, D);
    gpu->label_concat_forward(gpu->ctx, dY, dX, lab_g, dTab, N, C, P, n_classes, D);
    expect_ulp(what, dY, y, ny, 0);

    float *dy_ = host_random(ny, -1, 1), *dx = host_random(nx, -1, 1);
    float *dDY = dev_upload(dy_, ny), *dDX = dev_upload(dx, nx);
    cpu->label_concat_backward(cpu->ctx, dx, tab, dy_, lab_c, N, C, P, n_classes, D);
    gpu->label_concat_backward(gpu->ctx, dDX, dTab, dDY, lab_g, N, C, P, n_classes, D);
    expect_ulp("label_concat_backward dx", dDX, dx, nx, 0);
    if (table) expect_ulp("label_concat_backward dtable", dTab, tab, nt, 0);
    free(labels);
    free_all((void *[]){x, y, tab, dy_, dx}, 5, (void *[]){dX, dY, dTab, dL, dDY, dDX}, 6);
}

/* -------------------------------------------------------- training loop */

/* K real batches per step (d-steps), with labels when `labeled` */
static void test_batch_loading(int count, int B, size_t img, int K, bool labeled) {
    size_t bytes = (size_t)count * img;
    uint8_t *pixels = malloc(bytes);
    uint8_t *plabels = malloc((size_t)count);
    uint32_t *order = malloc((size_t)count * sizeof *order);
    for (size_t i = 0; i < bytes; i++) pixels[i] = (uint8_t)((i * 2654435761u) >> 24);
    for (int i = 0; i < count; i++) plabels[i] = (uint8_t)((i * 7) % 10);
    for (int i = 0; i < count; i++) order[i] = (uint32_t)i;
    gan_rng_shuffle(3, 4, order, (size_t)count);
    uint8_t *dP = dev_upload_bytes(pixels, bytes);
    uint8_t *dPL = dev_upload_bytes(plabels, (size_t)count);
    uint32_t *dO = dev_upload_bytes(order, (size_t)count * sizeof *order);
    int64_t per_epoch = count / ((int64_t)B * K);
    float *rows = host_random((size_t)B * img, 0, 1);
    float *dRows = dev_upload(rows, (size_t)B * img);
    int32_t *labels = calloc((size_t)B, sizeof *labels), *glabels = calloc((size_t)B, 4);
    int32_t *dLabels = dev_alloc((size_t)B * sizeof *labels);
    int64_t *dStep = dev_alloc(sizeof(int64_t));
    uint64_t *dStream = dev_alloc(sizeof(uint64_t));
    int64_t step = 0;
    uint64_t stream = 0, base = gan_rng_stream(GAN_RNG_NOISE, 0);
    for (int s = 0; s < (int)per_epoch + 2; s++) { /* past the end of an epoch */
        for (int k = 0; k < K; k++) {
            cpu->load_batch_u8(cpu->ctx, rows, labeled ? labels : NULL, pixels, plabels, order, &step,
                               per_epoch, K, k, B, img);
            gpu->load_batch_u8(gpu->ctx, dRows, labeled ? dLabels : NULL, dP, dPL, dO, dStep, per_epoch,
                               K, k, B, img);
            expect_ulp("load_batch_u8", dRows, rows, (size_t)B * img, 0);
            if (labeled) {
                CHECK_OK(gpu->copy_to_host(gpu->ctx, glabels, dLabels, (size_t)B * sizeof *glabels));
                CHECK_MSG(memcmp(glabels, labels, (size_t)B * sizeof *labels) == 0,
                          "load_batch_u8: labels differ (step %d, batch %d)", s, k);
            }
        }
        cpu->step_advance(cpu->ctx, &step, &stream, base);
        gpu->step_advance(gpu->ctx, dStep, dStream, base);
    }
    int64_t gstep = -1;
    uint64_t gstream = 0;
    CHECK_OK(gpu->copy_to_host(gpu->ctx, &gstep, dStep, sizeof gstep));
    CHECK_OK(gpu->copy_to_host(gpu->ctx, &gstream, dStream, sizeof gstream));
    CHECK_MSG(gstep == step && step == per_epoch + 2, "step_advance: gpu %lld cpu %lld",
              (long long)gstep, (long long)step);
    CHECK(gstream == stream && stream == gan_rng_stream(GAN_RNG_NOISE, (uint64_t)step));
    free(pixels);
    free(plabels);
    free(order);
    free(rows);
    free(labels);
    free(glabels);
    free_all(NULL, 0, (void *[]){dP, dPL, dO, dRows, dLabels, dStep, dStream}, 7);
}

int main(void) {
    int rc = cuda_test_open();
    if (rc) return rc;

    /* the dcgan preset's shapes, then awkward ones (odd sizes, stride 3, wide padding) */
    test_im2col(conv(1, 28, 28, 4, 2, 1), 5);
    test_im2col(conv(64, 14, 14, 4, 2, 1), 3);
    test_im2col(conv(128, 7, 7, 4, 2, 1), 2); /* conv_transpose2d's geometry: 64 -> 128 ch */
    test_im2col(conv(3, 7, 5, 3, 1, 0), 1);
    test_im2col(conv(2, 9, 11, 5, 3, 2), 7);
    test_im2col(conv(5, 1, 1, 1, 1, 0), 33);
    test_im2col(conv(1, 4, 4, 4, 2, 3), 2);

    const int layouts[][3] = {{1, 1, 1}, {3, 7, 5}, {64, 64, 196}, {33, 128, 49}, {2, 1, 784}};
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
        test_layouts(layouts[i][0], layouts[i][1], layouts[i][2]);

    const int bn[][3] = {{1, 1, 1}, {3, 5, 7}, {64, 128, 49}, {128, 64, 196}, {1024, 3, 9},
                         {2, 1, 1000}};
    for (size_t i = 0; i < sizeof bn / sizeof bn[0]; i++) test_bn2d(bn[i][0], bn[i][1], bn[i][2]);

    const size_t drop_n[] = {1, 3, 7, 1000, 100003};
    const float drop_p[] = {0.0f, 0.3f, 0.9f};
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 3; j++) test_dropout(drop_n[i], drop_p[j]);

    const int sn[][2] = {{1, 1}, {7, 33}, {64, 1024}, {129, 7}, {1000, 3}};
    for (size_t i = 0; i < sizeof sn / sizeof sn[0]; i++) test_spectral_norm(sn[i][0], sn[i][1]);

    test_labels(37, 3, 5, 10, 10, false, false);  /* one-hot */
    test_labels(64, 2, 49, 10, 8, true, false);   /* embedding, shared-memory classes */
    test_labels(300, 1, 1, 2000, 3, true, false); /* embedding, more classes than fit */
    test_labels(5, 4, 9, 10, 10, false, true);    /* no labels: zeros */
    test_labels(513, 0, 1, 7, 4, true, false);    /* nothing but the label channels */

    test_batch_loading(200, 32, 784, 1, false);
    test_batch_loading(1000, 7, 3 * 5 * 5, 1, false);
    test_batch_loading(200, 16, 784, 2, true);  /* --d-steps 2, a conditional model */
    test_batch_loading(1000, 7, 3 * 5 * 5, 3, true);

    CHECK_OK(gpu->synchronize(gpu->ctx));
    gan_backend_cuda_shutdown();
    return test_report();
}
