/*
 * report_log.c - read a run's log.jsonl into columns (report_log.h), pick
 * the rows a chart draws (keeping every curve's extremes), and find the
 * epochs' ends.
 */
#define _POSIX_C_SOURCE 200809L
#include "report_log.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const report_col_names[REPORT_NCOLS] = {
    "step", "epoch", "loss_d", "loss_g", "d_real", "d_fake", "images_per_s", "seconds",
};
static const char *const eval_names[REPORT_EVAL_NCOLS] = {
    "step", "epoch", "eval_fid", "eval_coverage", "eval_kid",
};

/* The number after "key": in a one-line JSON object; false if absent. */
static bool json_number(const char *line, const char *key, double *v) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(line, pat);
    if (!p) return false;
    p += strlen(pat);
    char *end;
    errno = 0;
    *v = strtod(p, &end);
    return end != p && errno != ERANGE;
}

/* Append one value to column c, growing all columns of the table together. */
static bool grow(double **cols, int ncols, int64_t n, int64_t *cap) {
    if (n < *cap) return true;
    int64_t nc = *cap ? *cap * 2 : 1024;
    for (int c = 0; c < ncols; c++) {
        double *p = realloc(cols[c], (size_t)nc * sizeof *p);
        if (!p) return false;
        cols[c] = p;
    }
    *cap = nc;
    return true;
}

void report_log_free(report_log *log) {
    for (int c = 0; c < REPORT_NCOLS; c++) free(log->col[c]);
    for (int c = 0; c < REPORT_EVAL_NCOLS; c++) free(log->eval[c]);
    memset(log, 0, sizeof *log);
}

gan_status report_log_read(const char *path, report_log *log) {
    memset(log, 0, sizeof *log);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return GAN_OK;
        return gan_fail(GAN_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    }
    char *line = NULL;
    size_t len = 0;
    int64_t cap = 0, ecap = 0, lineno = 0;
    gan_status s = GAN_OK;
    while (getline(&line, &len, f) > 0) {
        lineno++;
        if (line[0] == '\n') continue;
        double v[REPORT_NCOLS] = {0};
        if (line[0] != '{' || !json_number(line, "step", &v[0])) {
            s = gan_fail(GAN_ERR_FORMAT, "%s:%lld: not a log line (a JSON object with a step)",
                         path, (long long)lineno);
            break;
        }
        if (strstr(line, "\"event\":")) continue; /* a note (options changed on resume) */
        if (strstr(line, "\"eval_fid\":")) {
            if (!grow(log->eval, REPORT_EVAL_NCOLS, log->n_eval, &ecap)) goto oom;
            for (int c = 0; c < REPORT_EVAL_NCOLS; c++) {
                double x = NAN;
                json_number(line, eval_names[c], &x);
                log->eval[c][log->n_eval] = x;
            }
            if (!isnan(log->eval[REPORT_EVAL_KID][log->n_eval])) log->has_kid = true;
            log->n_eval++;
            continue;
        }
        for (int c = 1; c < REPORT_NCOLS; c++)
            if (!json_number(line, report_col_names[c], &v[c])) v[c] = NAN;
        if (!grow(log->col, REPORT_NCOLS, log->rows, &cap)) goto oom;
        for (int c = 0; c < REPORT_NCOLS; c++) log->col[c][log->rows] = v[c];
        log->rows++;
    }
    free(line);
    fclose(f);
    if (s != GAN_OK) report_log_free(log);
    return s;
oom:
    free(line);
    fclose(f);
    report_log_free(log);
    return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory at line %lld", path,
                    (long long)lineno);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t report_log_pick(const report_log *log, int64_t max_points, int64_t *idx) {
    int64_t n = log->rows;
    if (n <= max_points) {
        for (int64_t i = 0; i < n; i++) idx[i] = i;
        return n;
    }
    static const int curves[] = {REPORT_LOSS_D, REPORT_LOSS_G, REPORT_D_REAL, REPORT_D_FAKE,
                                 REPORT_IMAGES_PER_S};
    enum { NCURVES = sizeof curves / sizeof curves[0], PER = 1 + 2 * NCURVES };
    int64_t buckets = max_points / PER;
    if (buckets < 1) buckets = 1;
    int64_t out = 0;
    for (int64_t b = 0; b < buckets; b++) {
        int64_t lo = n * b / buckets, hi = n * (b + 1) / buckets;
        if (lo >= hi) continue;
        int64_t pick[PER];
        int np = 0;
        pick[np++] = lo;
        for (int k = 0; k < NCURVES; k++) {
            const double *y = log->col[curves[k]];
            int64_t mn = lo, mx = lo;
            for (int64_t i = lo + 1; i < hi; i++) {
                if (y[i] < y[mn]) mn = i;
                if (y[i] > y[mx]) mx = i;
            }
            pick[np++] = mn;
            pick[np++] = mx;
        }
        qsort(pick, (size_t)np, sizeof pick[0], cmp_i64);
        for (int k = 0; k < np; k++)
            if (k == 0 || pick[k] != pick[k - 1]) idx[out++] = pick[k];
    }
    if (idx[out - 1] != n - 1) idx[out++] = n - 1;
    return out;
}

int64_t report_log_epochs(const report_log *log, int64_t *last_row, double *seconds) {
    int64_t ne = 0;
    double prev_end = 0;
    const double *ep = log->col[REPORT_EPOCH], *sec = log->col[REPORT_SECONDS];
    for (int64_t i = 0; i < log->rows; i++) {
        bool last = i + 1 == log->rows || ep[i + 1] != ep[i];
        if (!last) continue;
        double t = sec[i] - prev_end;
        if (t < 0) t = sec[i]; /* a resumed run: its clock starts again at 0 */
        last_row[ne] = i;
        seconds[ne] = t;
        prev_end = sec[i];
        ne++;
    }
    return ne;
}
