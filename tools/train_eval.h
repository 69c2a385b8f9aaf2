/*
 * train_eval.h - `gan train --eval-every K`: every K epochs, generate a
 * fixed number of images (the same latent vectors each time), measure FID
 * and coverage against the dataset's test split with the eval classifier
 * (gan.h's gan_evaluator: cached or trained first), append one line to log.jsonl,
 * and keep the checkpoint of the lowest FID as OUT/best.safetensors (its
 * FID, step and epoch in OUT/best.json, read back on --resume).
 *
 * The hook API is small so that cmd_train.c needs only a few marked lines:
 *   TRAIN_EVAL_OPTIONS(cfg) in its option table, train_eval_begin once the
 *   trainer exists, train_eval_epoch as the run loop's `evaluate` callback
 *   (gan_run_options), and train_eval_free at the end. With --eval-every 0
 *   (the default) all are no-ops.
 */
#ifndef GAN_TRAIN_EVAL_H
#define GAN_TRAIN_EVAL_H

#include "cli.h"

#include <stdio.h>

typedef struct train_eval_config {
    int every;          /* epochs between evaluations (0 = never) */
    int n;              /* images generated per evaluation (2000) */
    uint64_t seed;      /* their noise seed (1) */
    const char *cache;  /* the eval cache folder (NULL: eval_cache.h's choice) */
} train_eval_config;

#define TRAIN_EVAL_DEFAULTS {0, 2000, 1, NULL}

#define TRAIN_EVAL_OPTIONS(cfg)                                                                    \
    {"eval-every", CLI_INT, &(cfg).every, "K", "every K epochs: FID and coverage of --eval-n "   \
     "samples vs the test split into log.jsonl; best.safetensors keeps the lowest FID "           \
     "(default 0 = off)", 0},                                                                      \
    {"eval-n", CLI_INT, &(cfg).n, "N", "images per evaluation (default 2000)", 0},                \
    {"eval-seed", CLI_UINT64, &(cfg).seed, "S", "noise seed of those images (default 1)", 0},    \
    {"eval-cache", CLI_STRING, &(cfg).cache, "DIR", "cache of the eval classifier (default "     \
     "DATA/.gan-eval)", 0}

typedef struct train_eval train_eval;

/* The flags' ranges (a usage error: prints it and returns false). */
bool train_eval_check(const train_eval_config *cfg);

/* Prepare evaluations for a run in folder `out` on the training data as
 * loaded (borrowed; gan_evaluator_open_dataset says where the test split
 * comes from); *te = NULL when cfg->every == 0. On --resume, the best
 * FID so far is read from OUT/best.json. Prints an error and returns false
 * on failure. */
bool train_eval_begin(const train_eval_config *cfg, gan_trainer *t, const gan_dataset *data,
                      const char *out, bool resume, bool quiet, train_eval **te);

/* After epoch `epoch` (1-based) ends at step `step`: when it is a multiple
 * of cfg->every, evaluate, log {"step", "epoch", "loss_d", "loss_g",
 * "eval_fid", "eval_coverage", "eval_n", "eval_seconds", "eval_best"} into
 * line[cap] (a log line, without newline), and save OUT/best.safetensors
 * when the FID is the lowest yet. `mean` holds the losses logged for the
 * step. No-op when te is NULL. Prints the error and returns false on failure. */
bool train_eval_epoch(train_eval *te, gan_trainer *t, int64_t epoch, const gan_step_stats *mean,
                      char *line, size_t cap);

void train_eval_free(train_eval *te);

#endif
