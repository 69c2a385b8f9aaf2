/*
 * progress.h - training progress on stderr: a live one-line bar on a
 * terminal, plain periodic lines otherwise.
 */
#ifndef GAN_PROGRESS_H
#define GAN_PROGRESS_H

#include "gan.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct progress {
    bool tty;               /* live bar (stderr is a terminal) */
    bool quiet;             /* print nothing but errors */
    int64_t total_steps;
    int64_t steps_per_epoch;
    int64_t epochs;
    int batch;
    double start;           /* seconds (monotonic) when training began */
    double last_draw;
    int64_t last_step;      /* step of the previous rate measurement */
    double last_time;
    double rate;            /* images per second, smoothed */
} progress;

double progress_now(void);

void progress_begin(progress *p, int64_t epochs, int64_t steps_per_epoch, int64_t total_steps,
                    int batch, bool quiet);

/* Called after every step; draws at most ~10 times a second on a terminal. */
void progress_step(progress *p, const gan_step_stats *st);

/* A plain line (used every --log-every steps when not on a terminal). */
void progress_line(progress *p, const gan_step_stats *st, double images_per_s);

/* End-of-epoch summary line (both modes). */
void progress_epoch(progress *p, int64_t epoch, const gan_step_stats *st, const char *samples);

void progress_end(progress *p);

#endif
