/*
 * test_gradcheck_classify.c - finite-difference checks of the pieces of the
 * eval classifier: the maxpool2d layer (2x2 stride 2, overlapping 3x3
 * stride 2, odd sizes, ties), the softmax cross-entropy kernel (loss against
 * its formula in double, gradient against central differences of the
 * kernel's own loss, extreme logits, the correct count), and a small
 * LeNet-like stack (conv, relu, maxpool, flatten, dense) trained through
 * the cross-entropy, whose parameter gradients are checked end to end.
 */
#include "backend.h"
#include "model.h"
#include "rng.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-2f

/* Distinct values spaced 0.05 apart in random order (no ties within 2 EPS). */
static void fill_distinct(float *v, size_t n, uint64_t stream) {
    uint32_t *perm = malloc(n * sizeof *perm);
    for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    gan_rng_shuffle(9, stream, perm, n);
    for (size_t i = 0; i < n; i++) v[i] = ((float)perm[i] - (float)n / 2) * 0.05f;
    free(perm);
}

static double weighted_sum(gan_model *m, const float *x, const float *r, int N) {
    const float *y = gan_model_forward(m, x, N, true);
    double L = 0;
    for (size_t i = 0; i < (size_t)N * m->out_size; i++) L += (double)r[i] * y[i];
    return L;
}

static void check_pool(int c, int h, int w, int k, int s, int N) {
    char what[96];
    snprintf(what, sizeof what, "maxpool2d %dx%dx%d k%d s%d", c, h, w, k, s);
    gan_model m = {0};
    gan_layer l;
    gan_layer_maxpool2d(&l, k, s);
    CHECK_OK(gan_model_add(&m, l));
    CHECK_OK(gan_model_build(&m, "pool", c, h, w, N, gan_backend_cpu()));
    CHECK(m.out[0] == c && m.out[1] == (h - k) / s + 1 && m.out[2] == (w - k) / s + 1);
    size_t nx = (size_t)N * m.in_size, ny = (size_t)N * m.out_size;
    float *x = malloc(nx * sizeof *x), *r = malloc(ny * sizeof *r), *dx = malloc(nx * sizeof *dx);
    fill_distinct(x, nx, 1);
    gan_rng_uniform(3, 2, r, ny);
    for (size_t i = 0; i < ny; i++) r[i] = 2.0f * r[i] - 1.0f;

    /* forward against a direct maximum */
    const float *y = gan_model_forward(&m, x, N, true);
    int wrong = 0;
    for (int n = 0; n < N * c; n++)
        for (int oh = 0; oh < m.out[1]; oh++)
            for (int ow = 0; ow < m.out[2]; ow++) {
                float best = -INFINITY;
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++)
                        best = fmaxf(best, x[(size_t)n * h * w + (size_t)(oh * s + i) * w + ow * s + j]);
                wrong += y[(size_t)n * m.out[1] * m.out[2] + (size_t)oh * m.out[2] + ow] != best;
            }
    CHECK_MSG(wrong == 0, "%s: %d wrong maxima", what, wrong);

    memcpy(dx, gan_model_backward(&m, r, N, true, true), nx * sizeof *dx);
    int bad = 0;
    for (size_t i = 0; i < nx; i++) {
        float keep = x[i];
        x[i] = keep + EPS;
        double lp = weighted_sum(&m, x, r, N);
        x[i] = keep - EPS;
        double lm = weighted_sum(&m, x, r, N);
        x[i] = keep;
        double num = (lp - lm) / (2.0 * EPS);
        if (fabs(num - dx[i]) > 1e-3 + 1e-3 * fabs(num) && bad++ < 5)
            fprintf(stderr, "%s: dx[%zu] analytic %.6f numeric %.6f\n", what, i, dx[i], num);
    }
    CHECK_MSG(bad == 0, "%s: %d gradient mismatches", what, bad);
    free(x), free(r), free(dx);
    gan_model_free(&m);
}

/* Ties: a constant window sends its whole gradient to its first element. */
static void check_pool_ties(void) {
    const gan_backend *be = gan_backend_cpu();
    gan_conv_shape cs = {1, 2, 4, 2, 2, 0, 1, 2};
    float x[8] = {1, 1, 3, 2, 1, 1, 3, 3}, y[2], dy[2] = {0.5f, -2.0f}, dx[8];
    be->maxpool2d_forward(be->ctx, y, x, 1, &cs);
    CHECK(y[0] == 1 && y[1] == 3);
    be->maxpool2d_backward(be->ctx, dx, x, y, dy, 1, &cs);
    float expect[8] = {0.5f, 0, -2.0f, 0, 0, 0, 0, 0};
    CHECK(memcmp(dx, expect, sizeof dx) == 0);
    /* a window that does not fit is a shape error */
    gan_model bad = {0};
    gan_layer l;
    gan_layer_maxpool2d(&l, 3, 1);
    gan_model_add(&bad, l);
    CHECK(gan_model_build(&bad, "bad", 1, 2, 5, 1, be) == GAN_ERR_SHAPE);
    CHECK(strstr(gan_last_error(), "maxpool2d") != NULL);
    gan_model_free(&bad);
}

static double xent_formula(const float *row, int K, int label) {
    double mx = row[0];
    for (int k = 1; k < K; k++) mx = fmax(mx, row[k]);
    double s = 0;
    for (int k = 0; k < K; k++) s += exp(row[k] - mx);
    return log(s) + mx - row[label];
}

static void check_softmax_xent(void) {
    const gan_backend *be = gan_backend_cpu();
    enum { N = 5, K = 4 };
    float l[N * K] = {0.1f, -0.3f, 2.0f, 0.5f,     /* argmax 2 = label: correct */
                      -1.0f, 1.5f, 0.2f, 0.1f,     /* argmax 1, label 3 */
                      300.0f, -300.0f, 0.0f, 1.0f, /* huge logits: finite loss */
                      0.0f, 0.0f, 0.0f, 0.0f,      /* tie: first maximum is 0 = label */
                      -80.0f, -81.0f, -79.5f, -90.0f};
    int32_t labels[N] = {2, 3, 1, 0, 2};
    float dl[N * K];
    int64_t correct = -1;
    double loss = be->softmax_xent(be->ctx, dl, l, labels, N, K, 0.25f, &correct);
    double expect = 0;
    for (int n = 0; n < N; n++) expect += xent_formula(l + n * K, K, labels[n]);
    CHECK_MSG(isfinite(loss) && fabs(loss - expect) < 1e-9 * fabs(expect),
              "softmax_xent loss %.9f, expected %.9f", loss, expect);
    CHECK_MSG(correct == 3, "softmax_xent correct %lld, expected 3", (long long)correct);
    int bad = 0;
    for (int n = 0; n < N; n++) {
        double row_sum = 0;
        for (int k = 0; k < K; k++) row_sum += dl[n * K + k];
        if (fabs(row_sum) > 1e-6) bad++; /* softmax - onehot sums to 0 */
        if (n == 2) continue;            /* finite differences of a +-300 logit row are 0/0 */
        for (int k = 0; k < K; k++) {
            float keep = l[n * K + k];
            l[n * K + k] = keep + 1e-2f;
            double lp = be->softmax_xent(be->ctx, NULL, l + n * K, labels + n, 1, K, 1.0f, NULL);
            l[n * K + k] = keep - 1e-2f;
            double lm = be->softmax_xent(be->ctx, NULL, l + n * K, labels + n, 1, K, 1.0f, NULL);
            l[n * K + k] = keep;
            double num = 0.25 * (lp - lm) / 2e-2;
            if (fabs(num - dl[n * K + k]) > 1e-5 + 1e-3 * fabs(num) && bad++ < 5)
                fprintf(stderr, "softmax_xent dl[%d][%d] analytic %.7f numeric %.7f\n", n, k,
                        dl[n * K + k], num);
        }
    }
    CHECK_MSG(bad == 0, "softmax_xent: %d gradient mismatches", bad);
    CHECK(dl[2 * K + 0] == 0.25f && dl[2 * K + 1] == -0.25f && dl[2 * K + 2] == 0.0f);
}

/* L = mean cross-entropy of a small LeNet-like stack: parameter gradients
 * from backward through the loss kernel against central differences. */
static double stack_loss(gan_model *m, const float *x, const int32_t *labels, int N, float *dl) {
    const float *y = gan_model_forward(m, x, N, true);
    return m->be->softmax_xent(m->be->ctx, dl, y, labels, N, m->out_size, 1.0f / N, NULL) / N;
}

static void check_stack(void) {
    enum { N = 3 };
    gan_model m = {0};
    gan_layer l;
    gan_layer_conv2d(&l, 3, 3, 1, 1), gan_model_add(&m, l);
    gan_layer_relu(&l), gan_model_add(&m, l);
    gan_layer_maxpool2d(&l, 2, 2), gan_model_add(&m, l);
    gan_layer_conv2d(&l, 4, 3, 1, 1), gan_model_add(&m, l);
    gan_layer_relu(&l), gan_model_add(&m, l);
    gan_layer_maxpool2d(&l, 2, 2), gan_model_add(&m, l);
    gan_layer_reshape(&l, 16, 1, 1), gan_model_add(&m, l);
    gan_layer_dense(&l, 6), gan_model_add(&m, l);
    gan_layer_relu(&l), gan_model_add(&m, l);
    gan_layer_dense(&l, 5), gan_model_add(&m, l);
    CHECK_OK(gan_model_build(&m, "lenet", 1, 8, 8, N, gan_backend_cpu()));
    gan_model_init(&m, 11, 0);
    float x[N * 64], dl[N * 5];
    int32_t labels[N] = {4, 0, 2};
    gan_rng_uniform(5, 1, x, N * 64);
    for (int i = 0; i < N * 64; i++) x[i] = 2.0f * x[i] - 1.0f;
    stack_loss(&m, x, labels, N, dl);
    gan_model_zero_grads(&m);
    gan_model_backward(&m, dl, N, true, false);
    float *dp = malloc(m.n_params * sizeof *dp);
    memcpy(dp, m.grads, m.n_params * sizeof *dp);
    int bad = 0;
    const float h = 1e-3f;
    for (size_t i = 0; i < m.n_params; i++) {
        float keep = m.params[i];
        m.params[i] = keep + h;
        double lp = stack_loss(&m, x, labels, N, NULL);
        m.params[i] = keep - h;
        double lm = stack_loss(&m, x, labels, N, NULL);
        m.params[i] = keep;
        double num = (lp - lm) / (2.0 * h);
        if (fabs(num - dp[i]) > 1e-3 + 2e-2 * fabs(num) && bad++ < 5)
            fprintf(stderr, "lenet stack: dparam[%zu] analytic %.6f numeric %.6f\n", i, dp[i],
                    num);
    }
    CHECK_MSG(bad == 0, "lenet stack: %d gradient mismatches of %zu", bad, m.n_params);
    free(dp);
    gan_model_free(&m);
}

int main(void) {
    gan_backend_cpu_set_threads(2);
    check_pool(2, 4, 6, 2, 2, 3);
    check_pool(3, 7, 5, 2, 2, 2); /* odd sizes: the last row / column is dropped */
    check_pool(2, 7, 7, 3, 2, 2); /* overlapping windows: gradients add up */
    check_pool(1, 5, 5, 2, 1, 2);
    check_pool_ties();
    check_softmax_xent();
    check_stack();
    return test_report();
}
