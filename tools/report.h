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

/* How often gan train refreshes the page. A refresh costs about as much
 * however short the epoch (the seed model's page: ~100-250 ms), so on a
 * GPU, where an epoch can take 0.3 s, refreshing after every epoch would
 * double the run. An epoch's refresh is left out while less time than
 * REPORT_PACE times the last refresh's cost has passed since it ended (the
 * page costs at most about 1/REPORT_PACE of the run), the first epoch's and
 * the run's last never; one left out is made by report_finish. */
#define REPORT_PACE 20
typedef struct report_pace {
    double next;  /* monotonic seconds from which the next refresh is due (0: now) */
    bool pending; /* an epoch's refresh was left out since the last one */
} report_pace;

/* gan train's hook, after each epoch (once the epoch's checkpoint, if any,
 * is saved; `last`: the run's final epoch or step): report_write with the
 * run's device and trainer `t` when `pace` says it is due; a failure is
 * printed as a warning and training goes on. */
void report_after_epoch(const char *run_dir, const gan_train_options *opt, gan_trainer *t,
                        bool quiet, report_pace *pace, bool last);

/* After the run: the refresh that `pace` left out, if any (a run stopped
 * early, or whose last refresh was paced). */
void report_finish(const char *run_dir, const gan_train_options *opt, gan_trainer *t, bool quiet,
                   report_pace *pace);

#endif
