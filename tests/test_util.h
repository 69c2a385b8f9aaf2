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
 * global_sum_pool, spectral norm on conv2d, conv_transpose2d and dense (the
 * generator has no spectral norm, so it exports), written once to a kept
 * temporary file whose path this returns. */
const char *test_resnet_layers_spec(void);

/* A small conditional 28x28x1 spec (latent 100) of the resnet preset's shape (residual
 * blocks with 1x1-conv and identity shortcuts, conditional BN in a block,
 * spectral norm, global sum pooling; hinge loss, Adam betas 0 and 0.9 in
 * its train section), written once to a kept temporary file whose path
 * this returns. */
const char *test_block_spec(void);

/* Write `n` bytes to `path`; returns 0 on success. */
int test_write_file(const char *path, const void *data, size_t n);

/* Read a whole file; returns malloc'd buffer (caller frees) and its size;
 * a NUL byte (not counted) follows the data. */
void *test_read_file(const char *path, size_t *n);

/* Largest |a-b| / (atol + rtol*|b|) over n floats; <= 1 means "close". */
double test_max_rel_err(const float *a, const float *b, size_t n, double atol, double rtol);

/* A dataset of n pseudo-random 28x28 images written to the temporary folder
 * as PREFIX-images-idx3-ubyte (pixel i of the file = hash of i), with
 * `labels` also PREFIX-labels-idx1-ubyte holding classes i mod 10; loaded.
 * NULL (and a failed check) on failure; free with gan_dataset_free. */
struct gan_dataset;
struct gan_dataset *test_synthetic_dataset(const char *prefix, int n, int labels);

/* A trainer for a preset or spec file without a dataset (a step's inputs
 * are then given: gan_trainer_step_batch, trainer.h). */
gan_status test_trainer_for_model(const char *model, const gan_train_options *opt,
                                  gan_trainer **out);

/* Whether two files exist and hold the same bytes. */
bool test_same_file(const char *a, const char *b);

/* Poll until the file at `path` exists and contains `text`; false after
 * `seconds` (a deadline for a condition, never a fixed wait). */
bool test_wait_for_file_text(const char *path, const char *text, double seconds);

/* Run a shell command, return its exit status (or -1). stdout+stderr of the
 * command are captured into `out` (size cap) when out is non-NULL. */
int test_run(const char *cmd, char *out, size_t cap);

#endif
