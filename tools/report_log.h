/*
 * report_log.h - a run's log.jsonl as columns, for the report page and
 * `gan report --text`.
 *
 * Training lines (written every --log-every steps and at each epoch's end)
 * carry step, epoch (0-based epoch of that step), loss_d, loss_g, d_real,
 * d_fake, images_per_s and seconds; evaluation lines (--eval-every) carry
 * eval_fid, eval_coverage and the 1-based epoch they follow, and optionally
 * eval_kid.
 */
#ifndef GAN_REPORT_LOG_H
#define GAN_REPORT_LOG_H

#include "gan.h"

#include <stdint.h>

enum report_col {
    REPORT_STEP, REPORT_EPOCH, REPORT_LOSS_D, REPORT_LOSS_G, REPORT_D_REAL, REPORT_D_FAKE,
    REPORT_IMAGES_PER_S, REPORT_SECONDS, REPORT_NCOLS
};
enum report_eval_col { REPORT_EVAL_STEP, REPORT_EVAL_EPOCH, REPORT_EVAL_FID,
                       REPORT_EVAL_COVERAGE, REPORT_EVAL_KID, REPORT_EVAL_NCOLS };

extern const char *const report_col_names[REPORT_NCOLS];

typedef struct report_log {
    int64_t rows;                      /* training lines */
    double *col[REPORT_NCOLS];         /* (rows) each */
    int64_t n_eval;                    /* evaluation lines */
    double *eval[REPORT_EVAL_NCOLS];   /* (n_eval) each; KID is NaN where absent */
    bool has_kid;
} report_log;

/* Read `path` (a missing file is an empty log). Lines that are not JSON
 * objects with a step are refused with the line number. */
gan_status report_log_read(const char *path, report_log *log);
void report_log_free(report_log *log);

/* The rows to draw: all of them when rows <= max_points, else per bucket of
 * rows the first row and the rows holding each curve's minimum and maximum
 * (loss_d, loss_g, d_real, d_fake, images_per_s), in order, plus the last
 * row, so no extreme is lost. Writes indices into idx (room for rows) and
 * returns their count. */
int64_t report_log_pick(const report_log *log, int64_t max_points, int64_t *idx);

/* Per epoch (0-based e, from the training lines): the last line of the
 * epoch and the wall time it took (seconds since the previous epoch's last
 * line; a resumed run's clock restarts, so its first epoch counts from 0).
 * Returns the number of epochs; last_row and seconds hold room for it. */
int64_t report_log_epochs(const report_log *log, int64_t *last_row, double *seconds);

#endif
