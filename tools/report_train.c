/*
 * report_train.c - the report's hook in `gan train`: refresh RUN/report.html
 * after an epoch, paced so that it costs a small share of the run (report.h:
 * REPORT_PACE). A report that cannot be written is a warning, never a reason
 * to stop training.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "cli.h"
#include "progress.h"
#include "report.h"

#include <stdio.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void refresh(const char *run_dir, const gan_train_options *opt, gan_trainer *t, bool quiet,
                    report_pace *pace) {
    static bool told; /* the missing-generator note, once per run */
    report_options o = {
        .device = opt->device != GAN_DEVICE_CUDA            ? "cpu"
                  : opt->precision == GAN_PRECISION_BF16 ? "cuda (bf16)"
                  : opt->precision == GAN_PRECISION_TF32 ? "cuda (tf32)"
                                                         : "cuda",
        .trainer = t,
    };
    report_result r;
    double t0 = now_seconds();
    gan_status s = report_write(run_dir, &o, &r);
    double t1 = now_seconds();
    pace->next = t1 + REPORT_PACE * (t1 - t0);
    pace->pending = false;
    if (s != GAN_OK) {
        progress_printf("gan train: warning: the report was not refreshed: %s",
                        gan_last_error());
        return;
    }
    if (!r.has_generator && r.note[0] && !told && !quiet) {
        progress_printf("gan train: %s/report.html has no live generator: %s", run_dir, r.note);
        told = true;
    }
}

void report_after_epoch(const char *run_dir, const gan_train_options *opt, gan_trainer *t,
                        bool quiet, report_pace *pace, bool last) {
    if (!last && pace->next > 0 && now_seconds() < pace->next) {
        pace->pending = true;
        return;
    }
    refresh(run_dir, opt, t, quiet, pace);
}

void report_finish(const char *run_dir, const gan_train_options *opt, gan_trainer *t, bool quiet,
                   report_pace *pace) {
    if (pace->pending) refresh(run_dir, opt, t, quiet, pace);
}
