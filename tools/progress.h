/*
 * progress.h - training progress on stderr: a live one-line bar on a
 * terminal, plain periodic lines otherwise.
 *
 * The bar is one line, cut to the terminal's width (TIOCGWINSZ, else
 * $COLUMNS, else 80) and redrawn in place with \r and clear-to-end; every
 * other message while it shows goes through progress_printf, which clears
 * the bar, prints the message on its own line and draws the bar again.
 * Epochs and steps count from 1: "epoch 3/10" is the third epoch, "step
 * 62/300" the 62nd step. A run that ends inside an epoch (--steps) counts
 * steps instead of pretending to finish the epoch.
 */
#ifndef GAN_PROGRESS_H
#define GAN_PROGRESS_H

#include "gan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct progress {
    bool tty;               /* live bar (stderr is a terminal) */
    bool quiet;             /* print nothing but errors */
    bool by_steps;          /* the run ends inside an epoch: the bar counts steps */
    bool drawn;             /* the bar is on the terminal's current line */
    int64_t total_steps;
    int64_t steps_per_epoch;
    int64_t epochs;
    int batch;
    double start;           /* seconds (monotonic) when training began */
    double last_draw;
    int64_t last_step;      /* step of the previous rate measurement */
    double last_time;
    double rate;            /* images per second, smoothed */
    gan_step_stats last;    /* the last step drawn (for redrawing after a message) */
} progress;

double progress_now(void);

/* The terminal's width in columns: TIOCGWINSZ on stderr, else $COLUMNS,
 * else 80. */
int progress_columns(void);

/* `epochs` counts the last, maybe partial, epoch; `start_step` is where a
 * resumed run begins. Makes `p` the bar progress_printf clears and redraws. */
void progress_begin(progress *p, int64_t start_step, int64_t epochs, int64_t steps_per_epoch,
                    int64_t total_steps, int batch, bool quiet);

/* Called after every step; draws at most ~10 times a second on a terminal. */
void progress_step(progress *p, const gan_step_stats *st);

/* The bar's text for step `st` at `columns` (no more than columns - 1
 * characters), into buf[cap]; for tests and progress_step. */
void progress_format(const progress *p, const gan_step_stats *st, int columns, char *buf,
                     size_t cap);

/* A plain line (used every --log-every steps when not on a terminal). */
void progress_line(progress *p, const gan_step_stats *st, double images_per_s);

/* End-of-epoch summary line (both modes); `epoch` counts from 1. */
void progress_epoch(progress *p, int64_t epoch, const gan_step_stats *st, const char *samples);

/* printf to stderr on a line of its own (a newline is added): the bar, if
 * shown, is cleared first and drawn again after. Usable with no bar. */
void progress_printf(const char *fmt, ...) GAN_PRINTF(1, 2);

void progress_end(progress *p);

#endif
