/*
 * report_train.c - the report's hook in `gan train`: refresh RUN/report.html
 * after an epoch (report.h). A report that cannot be written is a warning,
 * never a reason to stop training.
 */
#include "cli.h"
#include "progress.h"
#include "report.h"

#include <stdio.h>

void report_after_epoch(const char *run_dir, const gan_train_options *opt, gan_trainer *t, bool quiet) {
    static bool told; /* the missing-generator note, once per run */
    report_options o = {
        .device = opt->device != GAN_DEVICE_CUDA            ? "cpu"
                  : opt->precision == GAN_PRECISION_BF16 ? "cuda (bf16)"
                  : opt->precision == GAN_PRECISION_TF32 ? "cuda (tf32)"
                                                         : "cuda",
        .trainer = t,
    };
    report_result r;
    gan_status s = report_write(run_dir, &o, &r);
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
