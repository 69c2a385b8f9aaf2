/*
 * test_util.h - a tiny test harness: CHECK macros that record failures, and
 * helpers for temporary files and fixtures. A test's main() ends with
 * `return test_report();`, which exits non-zero if any check failed.
 */
#ifndef GAN_TEST_UTIL_H
#define GAN_TEST_UTIL_H

#include "trainer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern int test_failures;
extern int test_checks;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        test_checks++;                                                                             \
        if (!(cond)) {                                                                             \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        test_checks++;                                                                             \
        if (!(cond)) {                                                                             \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* Check that a libgan call returned GAN_OK; print gan_last_error() if not. */
#define CHECK_OK(expr)                                                                             \
    do {                                                                                           \
        gan_status test__s = (expr);                                                               \
        test_checks++;                                                                             \
        if (test__s != GAN_OK) {                                                                   \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #expr,                   \
                    gan_last_error());                                                             \
        }                                                                                          \
    } while (0)

/* Print a summary and return the process exit code (0 only if all passed). */
int test_report(void);

/* A fresh temporary directory (created once per process); returns its path. */
const char *test_tmpdir(void);

/* Join test_tmpdir() and `name` into a static buffer (rotating, 8 slots). */
const char *test_tmp_path(const char *name);

/* Like test_tmp_path but never reused (a fixed pool of 64 paths). */
const char *test_tmp_path_kept(const char *name);

/* Path of a committed fixture file: $GAN_TEST_FIXTURES/name (rotating buffer). */
const char *test_fixture_path(const char *name);

/* A conditional 28x28x1 model spec (latent 100, 10 classes) with every
 * layer of the SN-GAN ResNets: cond_batchnorm2d, upsample2d, avgpool2d,
 * global_sum_pool, spectral norm on conv2d, conv_transpose2d and dense,
 * the minibatch standard deviation and self-attention with spectral norm in
 * D (the generator has neither, so it exports), written once to a kept
 * temporary file whose path this returns. */
const char *test_resnet_layers_spec(void);

/* A small conditional 28x28x1 spec (latent 100) of the cresnet preset's shape (residual
 * blocks with 1x1-conv and identity shortcuts, conditional BN in a block,
 * spectral norm, global sum pooling, a projection head with spectral norm;
 * hinge loss, Adam betas 0 and 0.9 in its train section), written once to a kept temporary file whose path
 * this returns. */
const char *test_block_spec(void);

/* A small unconditional 28x28x1 spec (latent 64) with self-attention with
 * spectral norm in both networks: in G at 8x14x14 (reduction 8: one key
 * channel), in D at 8x14x14 (reduction 2) and 16x7x7 (reduction 8), with
 * spectral norm on every D weight; hinge loss, Adam betas 0 and 0.9 in its
 * train section. Written once to a kept temporary file whose path this
 * returns. */
const char *test_attention_spec(void);

/* Write `n` bytes to `path`; returns 0 on success. */
int test_write_file(const char *path, const void *data, size_t n);

/* Read a whole file; returns malloc'd buffer (caller frees) and its size;
 * a NUL byte (not counted) follows the data. */
void *test_read_file(const char *path, size_t *n);

/* Largest |a-b| / (atol + rtol*|b|) over n floats; <= 1 means "close". */
double test_max_rel_err(const float *a, const float *b, size_t n, double atol, double rtol);

/* n pseudo-random 28x28 images written to the temporary folder as
 * PREFIX-images-idx3-ubyte (pixel i of the file = hash of i), with `labels`
 * also PREFIX-labels-idx1-ubyte holding classes i mod 10; the images file's
 * path. */
const char *test_synthetic_images(const char *prefix, int n, int labels);

/* test_synthetic_images, loaded. NULL (and a failed check) on failure; free
 * with gan_dataset_free. */
struct gan_dataset;
struct gan_dataset *test_synthetic_dataset(const char *prefix, int n, int labels);

/* `path`'s training split loaded with the shape options `channels` and
 * `resolution` (NULL and a failed check on error). */
struct gan_dataset *test_load_shaped(const char *path, int channels, int resolution);

/* Whether `d` holds `count` images of c x h x w. */
bool test_dataset_is(const struct gan_dataset *d, int64_t count, int c, int h, int w);

/* The gan executable ($GAN_CLI, which CTest sets); NULL, said on stderr,
 * when it is not set. */
const char *test_gan_cli(void);

/* Let the test read t's gradients after a step: Adam leaves them (model.h:
 * keep_grads) instead of zeroing them for the next backward. */
void test_keep_grads(gan_trainer *t);

/* A trainer for a preset or spec file without a dataset (a step's inputs
 * are then given: gan_trainer_step_batch, trainer.h). */
gan_status test_trainer_for_model(const char *model, const gan_train_options *opt,
                                  gan_trainer **out);

/* A trainer for the model spec `text` (parsed as NAME.gan) on `data`, with
 * the spec's train options and one thread; *spec receives the spec (free it
 * after the trainer). NULL, a check failed, on error. */
struct gan_spec;
gan_trainer *test_spec_trainer(const char *text, const char *name, struct gan_dataset *data,
                               struct gan_spec **spec);

/* Gradient checks: v (n) uniform in [lo, hi] from stream `stream` of seed
 * 42, values within `avoid` of 0 pushed out to +-avoid (off the kinks). */
void test_fill_uniform(float *v, size_t n, uint64_t stream, float lo, float hi, float avoid);

/* Gradient checks: the probe loss sum_i r_i y_i of m's forward on x (N
 * rows), dropout masks fixed (rng counter 0). */
double test_probe_loss(gan_model *m, const float *x, const float *r, int N, bool train);

/* The finite-difference gradient check of model m (N rows): x uniform in
 * [-1.5, 1.5] (off +-x_avoid), parameters moved off their init, the probe
 * loss (test_probe_loss) with `train`; every d/dx and d/dparam against
 * central differences (step 1e-2, |num - analytic| <= 2e-3 + 1e-2 |num|),
 * and parameter gradients accumulating over two backward passes. */
void test_gradcheck_model(const char *what, gan_model *m, int N, float x_avoid, bool train);

/* Check (as checks named `what`) that a model with fused activations gives
 * the same output, dx and parameter gradients, bit for bit, as `plain`, the
 * same model built with keep_outputs, in which nothing may be fused: both
 * initialised with seed 7, x uniform in [-1.5, 1.5] and dy in [-1, 1], one
 * training forward and backward each, without and then with dx. */
void test_check_fused_same(const char *what, gan_model *fused, gan_model *plain, int N);

/* Whether two files exist and hold the same bytes. */
bool test_same_file(const char *a, const char *b);

/* Wait for a condition: call cond(ctx) every `poll` seconds until it returns
 * true (then true), or until `seconds` have passed (then false). The
 * deadline is for a condition, never a fixed wait: give a generous one. */
bool test_wait_until(bool (*cond)(void *ctx), void *ctx, double poll, double seconds);

/* Poll until the file at `path` exists and contains `text`; false after
 * `seconds`. */
bool test_wait_for_file_text(const char *path, const char *text, double seconds);

/* Whether process `pid` has a handler installed for signal `sig`: bit
 * sig - 1 of the SigCgt mask in /proc/PID/status (Linux), the one outside
 * view of it. False when the process is gone. */
bool test_catches_signal(int pid, int sig);

/* Run a shell command, return its exit status (or -1). stdout+stderr of the
 * command are captured into `out` (size cap) when out is non-NULL. */
int test_run(const char *cmd, char *out, size_t cap);

/* test_run of a printf-formatted command line. */
int test_runf(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Run `cli ARGS` (cli: the gan executable); it must exit 1 or 2 and print
 * exactly one line, "gan: error: ..." holding `needle`. */
void test_expect_cli_error(const char *cli, const char *args, const char *needle);

/* The reference GEMM's element (m, n) before alpha and beta: the double sum
 * over k of op(A)[m][k] * op(B)[k][n], op() transposing where ta / tb say,
 * A and B row-major with leading dimensions lda and ldb. */
double test_gemm_dot(bool ta, bool tb, const float *A, int lda, const float *B, int ldb, int m,
                     int n, int K);

/* n pseudo-random side x side images (pixel i of the file = hash of i) as
 * an IDX images file `name` in the temporary folder; its path, or NULL. */
const char *test_write_images(const char *name, int n, int side);

#endif
