/*
 * cuda_test_util.h - helpers shared by the tests of the CUDA backend that
 * came with the conv kernels and the device trainer: opening the GPU (or
 * skipping), random host data, uploads and downloads, comparisons.
 *
 * Exit code 77 means "skipped" to CTest; GAN_TEST_REQUIRE_CUDA=1 turns a
 * missing GPU into a failure instead.
 */
#ifndef GAN_CUDA_TEST_UTIL_H
#define GAN_CUDA_TEST_UTIL_H

#include "backend.h"
#include "test_util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern const gan_backend *cpu, *gpu;

/* Open GPU 0 and set cpu/gpu; returns 0 on success, else the exit code to
 * return from main (77 skip, or 1 when GAN_TEST_REQUIRE_CUDA is set). */
int cuda_test_open(void);

/* n floats uniform in [lo, hi) (malloc'd; a new stream each call). */
float *host_random(size_t n, float lo, float hi);

void *dev_alloc(size_t bytes);
float *dev_upload(const float *h, size_t n);
void *dev_upload_bytes(const void *h, size_t bytes);
/* n floats of device memory in a fresh host buffer (waits). */
float *dev_download(const float *d, size_t n);

int64_t ulp_diff(float a, float b);
int64_t max_ulp(const float *a, const float *b, size_t n);

/* CHECK that device buffer d matches ref: |d - ref| <= atol + rtol |ref|. */
void expect_close(const char *what, const float *d, const float *ref, size_t n, double atol,
                  double rtol);
/* CHECK that device buffer d is within `ulps` of ref (0: identical). */
void expect_ulp(const char *what, const float *d, const float *ref, size_t n, int64_t ulps);

/* ||a - b|| / ||b|| (2-norms, in double); 0 when both are zero. */
double rel_l2(const float *a, const float *b, size_t n);

#endif
