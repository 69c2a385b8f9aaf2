/*
 * fixture_step.h - what the tests of one whole training iteration against a
 * PyTorch fixture share (test_dcgan_fixture.c, test_resnet_fixture.c; the
 * fixtures from tests/fixtures/make_*_fixture.py through fixture_io.py):
 *   - a model's tensors with their full names and layers, in gan.c's order;
 *   - the splitmix64 hash weights of tests/fixtures/README.md, checked
 *     against the fixture's init_check.<name>;
 *   - a reference tensor, stored whole or sampled (name:idx, the sorted
 *     positions; name:val, the values there; name:sum and name:abssum of
 *     the whole tensor, F64), and our tensor compared with it.
 * Failures are CHECKs (test_util.h); the caller's fixture is one open
 * gan_st_file.
 */
#ifndef GAN_TEST_FIXTURE_STEP_H
#define GAN_TEST_FIXTURE_STEP_H

#include "gan.h"
#include "io/safetensors.h"
#include "model.h"

#include <stdbool.h>
#include <stdint.h>

uint64_t fixture_splitmix64(uint64_t x);

/* Calls fn for each tensor of m with its full name ("generator.2.main.0.weight")
 * and its layer, layer by layer, each layer's parameters then its state. The
 * tensors point into m's blocks (a CPU model). */
typedef void (*fixture_tensor_fn)(void *ctx, const char *name, const gan_layer *l,
                                  const gan_layer_tensor *t);
void fixture_each_tensor(const gan_model *m, fixture_tensor_fn fn, void *ctx);

/* Overwrites every tensor of m with the fixture's hash values, tensor
 * numbers *k, *k + 1, ... (advanced): weights (weight, weight_orig) Glorot
 * uniform with fan_in + fan_out = (in + out) k k (dense: in + out), biases
 * +-0.05, batch norm's weight 1 +- 0.1, bias +- 0.1, running_mean +- 0.1,
 * running_var 1 +- 0.2, spectral norm's weight_u and weight_v +-1; each
 * checked against the fixture's init_check.<name> (its first values). */
void fixture_fill_hash(const gan_st_file *fx, const gan_model *m, uint64_t *k);

/* A reference tensor: k values val at positions idx (NULL: all, in order). */
typedef struct fixture_ref {
    size_t k;
    const int64_t *idx;
    const float *val;
    double sum, abssum; /* of the whole tensor (sampled tensors only) */
    double amax;        /* max |val| */
} fixture_ref;

/* The fixture's tensor `name`, whole or sampled; false (and a failed check)
 * when it is missing or has another size than n. */
bool fixture_get_ref(const gan_st_file *fx, const char *name, size_t n, fixture_ref *r);

/* Our value at the reference's i-th position. */
double fixture_ours_at(const fixture_ref *r, const float *ours, size_t i);

/* Tolerance of one comparison: |ours - ref| <= atol max|ref| + rtol |ref| +
 * slope |dg| (dg: our gradient behind the value minus the reference's, when
 * compare is given them); for a sampled tensor also |sum ours - sum| <=
 * sum_rtol sum |ref| (0: 2e-5). */
typedef struct fixture_tol {
    double atol, rtol, slope, sum_rtol;
} fixture_tol;

/* Compares our n values with the fixture's `name` (g_ours, g_ref: the
 * gradients for the slope term, or NULL); a failed check past the
 * tolerance. Returns the worst error / tolerance. */
double fixture_compare(const gan_st_file *fx, const char *name, const float *ours, size_t n,
                       fixture_tol tol, const float *g_ours, const fixture_ref *g_ref);

/* The fixture's scalar `name` (one F32), or NaN (and a failed check). */
float fixture_scalar(const gan_st_file *fx, const char *name);

/* The step's loss_d, d_real and d_fake within 2e-6 of the fixture's, its
 * loss_g within loss_g_tol; prints ours and the reference's. */
void fixture_check_stats(const gan_st_file *fx, const gan_step_stats *st, double loss_g_tol);

#endif
