/*
 * report_text.c - `gan report RUN --text`: a run's summary for the terminal
 * (report.h): final and best metrics, time per epoch, the last losses and
 * one sparkline per curve (bucket means, scaled to the curve's range).
 */
#define _POSIX_C_SOURCE 200809L
#include "report.h"
#include "report_log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const bars[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                    "\u2585", "\u2586", "\u2587", "\u2588"};

/* One line: name, a sparkline of v (n values) in `width` cells, range, last. */
static void sparkline(FILE *out, const char *name, const double *v, int64_t n, int width) {
    if (n == 0) return;
    int cells = n < width ? (int)n : width;
    double lo = INFINITY, hi = -INFINITY, mean[512];
    for (int c = 0; c < cells; c++) {
        int64_t a = n * c / cells, b = n * (c + 1) / cells;
        double sum = 0;
        int64_t k = 0;
        for (int64_t i = a; i < b; i++)
            if (isfinite(v[i])) sum += v[i], k++;
        mean[c] = k ? sum / k : NAN;
        if (k) lo = fmin(lo, mean[c]), hi = fmax(hi, mean[c]);
    }
    fprintf(out, "  %-12s ", name);
    for (int c = 0; c < cells; c++) {
        int level = !isfinite(mean[c]) ? -1 : hi > lo ? (int)((mean[c] - lo) / (hi - lo) * 7.0 + 0.5) : 3;
        fputs(level < 0 ? " " : bars[level], out);
    }
    double vmin = INFINITY, vmax = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(v[i])) vmin = fmin(vmin, v[i]), vmax = fmax(vmax, v[i]);
    fprintf(out, "%*s  min %-9.4g max %-9.4g last %.4g\n", width - cells, "", vmin, vmax,
            v[n - 1]);
}

gan_status report_print_text(FILE *out, const char *run_dir, int width) {
    char path[1200];
    snprintf(path, sizeof path, "%s/log.jsonl", run_dir);
    report_log log;
    gan_status s = report_log_read(path, &log);
    if (s != GAN_OK) return s;
    if (log.rows == 0) {
        report_log_free(&log);
        return gan_fail(GAN_ERR_FORMAT, "%s: no training lines yet", path);
    }
    if (width < 8) width = 8;
    if (width > 512) width = 512;
    int64_t n = log.rows, *last = malloc((size_t)n * sizeof *last);
    double *secs = malloc((size_t)n * sizeof *secs);
    if (!last || !secs) {
        free(last), free(secs);
        report_log_free(&log);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "report: out of memory");
    }
    int64_t ne = report_log_epochs(&log, last, secs);
    double total = 0, **c = log.col;
    for (int64_t e = 0; e < ne; e++) total += secs[e];
    fprintf(out, "run %s: step %.0f, %lld epochs, %.1f s", run_dir, c[REPORT_STEP][n - 1],
            (long long)ne, total);
    if (ne) fprintf(out, " (%.1f s per epoch, last %.1f s)", total / ne, secs[ne - 1]);
    fprintf(out, ", %lld log lines\n", (long long)n);
    fprintf(out, "last: loss_d %.4f  loss_g %.4f  D(x) %.3f  D(G(z)) %.3f  %.0f images/s\n",
            c[REPORT_LOSS_D][n - 1], c[REPORT_LOSS_G][n - 1], c[REPORT_D_REAL][n - 1],
            c[REPORT_D_FAKE][n - 1], c[REPORT_IMAGES_PER_S][n - 1]);
    int64_t best = -1;
    for (int64_t i = 0; i < log.n_eval; i++)
        if (best < 0 || log.eval[REPORT_EVAL_FID][i] < log.eval[REPORT_EVAL_FID][best]) best = i;
    if (best >= 0)
        fprintf(out, "FID: last %.3f (epoch %.0f), best %.3f (epoch %.0f, step %.0f); "
                "coverage last %.4f\n", log.eval[REPORT_EVAL_FID][log.n_eval - 1],
                log.eval[REPORT_EVAL_EPOCH][log.n_eval - 1], log.eval[REPORT_EVAL_FID][best],
                log.eval[REPORT_EVAL_EPOCH][best], log.eval[REPORT_EVAL_STEP][best],
                log.eval[REPORT_EVAL_COVERAGE][log.n_eval - 1]);
    fprintf(out, "curves over steps %.0f .. %.0f:\n", c[REPORT_STEP][0], c[REPORT_STEP][n - 1]);
    sparkline(out, "loss_d", c[REPORT_LOSS_D], n, width);
    sparkline(out, "loss_g", c[REPORT_LOSS_G], n, width);
    sparkline(out, "D(x)", c[REPORT_D_REAL], n, width);
    sparkline(out, "D(G(z))", c[REPORT_D_FAKE], n, width);
    sparkline(out, "images/s", c[REPORT_IMAGES_PER_S], n, width);
    if (log.n_eval) sparkline(out, "FID", log.eval[REPORT_EVAL_FID], log.n_eval, width);
    if (ne) sparkline(out, "s/epoch", secs, ne, width);
    free(last), free(secs);
    report_log_free(&log);
    return GAN_OK;
}
