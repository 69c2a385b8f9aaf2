/*
 * progress.c - the live progress bar and plain progress lines.
 */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double progress_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void format_duration(char *buf, size_t n, double s) {
    if (s < 0 || s > 1e8) {
        snprintf(buf, n, "--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, n, "%lds", t);
}

void progress_begin(progress *p, int64_t epochs, int64_t steps_per_epoch, int64_t total_steps,
                    int batch, bool quiet) {
    *p = (progress){0};
    p->tty = isatty(STDERR_FILENO);
    p->quiet = quiet;
    p->epochs = epochs;
    p->steps_per_epoch = steps_per_epoch;
    p->total_steps = total_steps;
    p->batch = batch;
    p->start = p->last_time = p->last_draw = progress_now();
}

static void update_rate(progress *p, int64_t step, double now) {
    if (now - p->last_time < 0.5) return;
    double r = (double)(step - p->last_step) * p->batch / (now - p->last_time);
    p->rate = p->rate > 0 ? 0.7 * p->rate + 0.3 * r : r;
    p->last_step = step;
    p->last_time = now;
}

void progress_step(progress *p, const gan_step_stats *st) {
    double now = progress_now();
    update_rate(p, st->step, now);
    if (p->quiet || !p->tty || (now - p->last_draw < 0.1 && st->step != p->total_steps)) return;
    p->last_draw = now;
    int64_t in_epoch = (st->step - 1) % p->steps_per_epoch + 1;
    int width = 24, filled = (int)(width * in_epoch / p->steps_per_epoch);
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
    bar[width] = 0;
    char eta[32];
    double left = p->rate > 0 ? (double)(p->total_steps - st->step) * p->batch / p->rate : -1;
    format_duration(eta, sizeof eta, left);
    fprintf(stderr,
            "\r\033[Kepoch %lld/%lld [%s] %lld/%lld  loss_d %.3f  loss_g %.3f  D(x) %.2f  "
            "D(G(z)) %.2f  %.0f img/s  ETA %s",
            (long long)st->epoch + 1, (long long)p->epochs, bar, (long long)in_epoch,
            (long long)p->steps_per_epoch, st->loss_d, st->loss_g, st->d_real, st->d_fake,
            p->rate, eta);
    fflush(stderr);
}

void progress_line(progress *p, const gan_step_stats *st, double images_per_s) {
    if (p->quiet || p->tty) return;
    fprintf(stderr,
            "step %lld/%lld  epoch %lld  loss_d %.4f  loss_g %.4f  D(x) %.3f  D(G(z)) %.3f  "
            "%.0f img/s\n",
            (long long)st->step, (long long)p->total_steps, (long long)st->epoch + 1, st->loss_d,
            st->loss_g, st->d_real, st->d_fake, images_per_s);
}

void progress_epoch(progress *p, int64_t epoch, const gan_step_stats *st, const char *samples) {
    if (p->quiet) return;
    char el[32];
    format_duration(el, sizeof el, progress_now() - p->start);
    fprintf(stderr, "%sepoch %lld/%lld done in %s total: loss_d %.4f loss_g %.4f  -> %s\n",
            p->tty ? "\r\033[K" : "", (long long)epoch + 1, (long long)p->epochs, el, st->loss_d,
            st->loss_g, samples);
}

void progress_end(progress *p) {
    if (!p->quiet && p->tty) fputs("\r\033[K", stderr);
}
