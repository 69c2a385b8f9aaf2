/*
 * report.h - a run's training report: RUN/report.html, one self-contained
 * page (curves, sample grids, the model, a live WebAssembly generator) that
 * opens from file:// with no network request, and the terminal summary of
 * `gan report --text`. docs/report.md describes both.
 *
 * `gan report RUN` and `gan train` (at each epoch's end) call report_write.
 * It prints nothing: problems come back as a status (message in
 * gan_last_error()) and, for the live generator, as a note.
 */
#ifndef GAN_REPORT_H
#define GAN_REPORT_H

#include "gan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct report_options {
    const char *device;  /* where the run trains ("cpu", "cuda", "cuda (tf32)"); NULL: what
                            the run's earlier page recorded */
    bool no_generator;   /* leave the live generator out (no compiler run) */
    gan_trainer *trainer; /* the run's trainer, between steps (gan train), or NULL: when the
                             checkpoint holds its current step, the page's generator is the
                             trainer's own (gan_trainer_generator), not a second copy loaded
                             from the checkpoint; the page is the same */
} report_options;

typedef struct report_result {
    bool has_generator;  /* the page holds the live generator */
    char note[512];      /* why it does not ("" when it does, or when not asked for) */
    size_t bytes;        /* size of the page */
} report_result;

/* Write RUN/report.html atomically from RUN's log.jsonl, samples/ and
 * checkpoint (any of which may be missing yet). opt may be NULL. */
gan_status report_write(const char *run_dir, const report_options *opt, report_result *res);

/* `gan report RUN --text`: the run's final and best metrics, time per
 * epoch, last losses and sparkline curves, into out. */
gan_status report_print_text(FILE *out, const char *run_dir, int width);

/* gan train's hook, after each epoch (once the epoch's checkpoint, if any,
 * is saved) and after the final checkpoint: report_write with the run's
 * device and trainer `t`; a failure is printed as a warning and training
 * goes on. */
void report_after_epoch(const char *run_dir, const gan_train_options *opt, gan_trainer *t, bool quiet);

#endif
