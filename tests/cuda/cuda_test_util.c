/*
 * cuda_test_util.c - helpers of the CUDA tests (cuda_test_util.h).
 */
#include "cuda_test_util.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const gan_backend *cpu, *gpu;
static uint64_t next_stream = 1;

int cuda_test_open(void) {
    if (gan_backend_cuda_init(0) != GAN_OK) {
        const char *req = getenv("GAN_TEST_REQUIRE_CUDA");
        if (req && *req && strcmp(req, "0") != 0) {
            fprintf(stderr, "FAILED: GAN_TEST_REQUIRE_CUDA is set but: %s\n", gan_last_error());
            return 1;
        }
        fprintf(stderr, "skipped: %s\n", gan_last_error());
        return 77;
    }
    cpu = gan_backend_cpu();
    gpu = gan_backend_cuda();
    gan_backend_cpu_set_threads(0);
    return 0;
}

float *host_random(size_t n, float lo, float hi) {
    float *x = malloc((n ? n : 1) * sizeof *x);
    if (!x) abort();
    gan_rng_uniform(4242, next_stream++, x, n);
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * x[i];
    return x;
}

void *dev_alloc(size_t bytes) {
    void *p = NULL;
    if (gpu->mem_alloc(gpu->ctx, &p, bytes) != GAN_OK) {
        fprintf(stderr, "mem_alloc(%zu): %s\n", bytes, gan_last_error());
        abort();
    }
    return p;
}

void *dev_upload_bytes(const void *h, size_t bytes) {
    void *d = dev_alloc(bytes);
    gpu->copy_to_device(gpu->ctx, d, h, bytes);
    CHECK_OK(gpu->synchronize(gpu->ctx));
    return d;
}

float *dev_upload(const float *h, size_t n) {
    return dev_upload_bytes(h, n * sizeof *h);
}

float *dev_download(const float *d, size_t n) {
    float *h = malloc((n ? n : 1) * sizeof *h);
    if (!h) abort();
    CHECK_OK(gpu->copy_to_host(gpu->ctx, h, d, n * sizeof *h));
    return h;
}

int64_t ulp_diff(float a, float b) {
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b) ? 0 : INT64_MAX;
    int32_t ia, ib;
    memcpy(&ia, &a, 4);
    memcpy(&ib, &b, 4);
    int64_t la = ia < 0 ? (int64_t)INT32_MIN - ia : ia;
    int64_t lb = ib < 0 ? (int64_t)INT32_MIN - ib : ib;
    return la > lb ? la - lb : lb - la;
}

int64_t max_ulp(const float *a, const float *b, size_t n) {
    int64_t worst = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t d = ulp_diff(a[i], b[i]);
        if (d > worst) worst = d;
    }
    return worst;
}

void expect_close(const char *what, const float *d, const float *ref, size_t n, double atol,
                  double rtol) {
    float *h = dev_download(d, n);
    /* zero tolerance means bit-identical (a 0/0 ratio would read as a failure) */
    double err = atol == 0 && rtol == 0 ? (max_ulp(h, ref, n) == 0 ? 0.0 : INFINITY)
                                        : test_max_rel_err(h, ref, n, atol, rtol);
    CHECK_MSG(err <= 1.0, "%s: max error %.3g of tolerance (atol %.3g, rtol %.3g), max %lld ulp",
              what, err, atol, rtol, (long long)max_ulp(h, ref, n));
    free(h);
}

void expect_ulp(const char *what, const float *d, const float *ref, size_t n, int64_t ulps) {
    float *h = dev_download(d, n);
    int64_t u = max_ulp(h, ref, n);
    CHECK_MSG(u <= ulps, "%s: %lld ulp apart (allowed %lld)", what, (long long)u,
              (long long)ulps);
    free(h);
}

double rel_l2(const float *a, const float *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        num += d * d;
        den += (double)b[i] * b[i];
    }
    if (den == 0) return num == 0 ? 0 : INFINITY;
    return sqrt(num / den);
}
