/*
 * progress.c - the live progress bar and plain progress lines (see
 * progress.h).
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* TIOCGWINSZ */
#endif
#include "progress.h"
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static progress *active; /* the bar progress_printf clears and redraws */

double progress_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int progress_columns(void) {
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *env = getenv("COLUMNS");
    int n = env ? atoi(env) : 0;
    return n > 0 ? n : 80;
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

/* Clear the bar's line (the cursor stays at its start). */
static void clear(progress *p) {
    if (p && p->drawn) {
        fputs("\r\033[K", stderr);
        p->drawn = false;
    }
}

static void clear_active(void) {
    clear(active);
}

void progress_begin(progress *p, int64_t start_step, int64_t epochs, int64_t steps_per_epoch,
                    int64_t total_steps, int batch, bool quiet) {
    *p = (progress){0};
    p->tty = isatty(STDERR_FILENO);
    p->quiet = quiet;
    p->epochs = epochs;
    p->steps_per_epoch = steps_per_epoch > 0 ? steps_per_epoch : 1;
    p->total_steps = total_steps;
    p->by_steps = total_steps % p->steps_per_epoch != 0;
    p->batch = batch;
    p->last_step = start_step;
    p->start = p->last_time = p->last_draw = progress_now();
    active = p;
    cli_before_message = clear_active;
}

static void update_rate(progress *p, int64_t step, double now) {
    if (now - p->last_time < 0.5) return;
    double r = (double)(step - p->last_step) * p->batch / (now - p->last_time);
    p->rate = p->rate > 0 ? 0.7 * p->rate + 0.3 * r : r;
    p->last_step = step;
    p->last_time = now;
}

/* The bar's parts, from the most to the least needed; they are shown in
 * `order` of place. */
enum { PART_HEAD, PART_COUNT, PART_ETA, PART_LOSS_D, PART_LOSS_G, PART_RATE, PART_DX, PART_DGZ,
       N_PARTS };

void progress_format(const progress *p, const gan_step_stats *st, int columns, char *buf,
                     size_t cap) {
    int64_t in_epoch = (st->step - 1) % p->steps_per_epoch + 1;
    int64_t epoch = (st->step - 1) / p->steps_per_epoch + 1;
    char part[N_PARTS][64];
    if (p->by_steps) {
        snprintf(part[PART_HEAD], 64, "step %lld/%lld", (long long)st->step,
                 (long long)p->total_steps);
        snprintf(part[PART_COUNT], 64, "epoch %lld (%lld/%lld)", (long long)epoch,
                 (long long)in_epoch, (long long)p->steps_per_epoch);
    } else {
        snprintf(part[PART_HEAD], 64, "epoch %lld/%lld", (long long)epoch, (long long)p->epochs);
        snprintf(part[PART_COUNT], 64, "%lld/%lld", (long long)in_epoch,
                 (long long)p->steps_per_epoch);
    }
    char eta[32];
    double left = p->rate > 0 ? (double)(p->total_steps - st->step) * p->batch / p->rate : -1;
    format_duration(eta, sizeof eta, left);
    snprintf(part[PART_ETA], 64, "ETA %s", eta);
    snprintf(part[PART_LOSS_D], 64, "loss_d %.3f", st->loss_d);
    snprintf(part[PART_LOSS_G], 64, "loss_g %.3f", st->loss_g);
    snprintf(part[PART_RATE], 64, "%.0f img/s", p->rate);
    snprintf(part[PART_DX], 64, "D(x) %.2f", st->d_real);
    snprintf(part[PART_DGZ], 64, "D(G(z)) %.2f", st->d_fake);
    /* the parts that fit, most needed first; two spaces between parts */
    int room = columns - 1, used = 0;
    bool shown[N_PARTS] = {0};
    for (int i = 0; i < N_PARTS; i++) {
        int len = (int)strlen(part[i]) + (used ? 2 : 0);
        if (used + len > room) break;
        shown[i] = true;
        used += len;
    }
    /* then the bar, [####....], with what room is left (10 to 30 cells) */
    int cells = room - used - 3;
    if (cells > 30) cells = 30;
    bool bar = cells >= 10;
    double frac = p->by_steps ? (double)st->step / (double)p->total_steps
                              : (double)in_epoch / (double)p->steps_per_epoch;
    static const int order[N_PARTS] = {PART_HEAD, PART_COUNT, PART_LOSS_D, PART_LOSS_G,
                                       PART_DX,   PART_DGZ,   PART_RATE,   PART_ETA};
    size_t n = 0;
    buf[0] = 0;
    for (int k = 0; k < N_PARTS && n + 1 < cap; k++) {
        int i = order[k];
        if (!shown[i]) continue;
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "  " : "", part[i]);
        if (i == PART_HEAD && bar && n + (size_t)cells + 4 < cap) {
            int filled = (int)(cells * frac);
            buf[n++] = ' ', buf[n++] = '[';
            for (int c = 0; c < cells; c++) buf[n++] = c < filled ? '#' : '.';
            buf[n++] = ']', buf[n] = 0;
        }
    }
    if (n > (size_t)room && room >= 0) buf[room] = 0; /* a terminal narrower than the head */
}

static void draw(progress *p) {
    char line[512];
    int columns = progress_columns();
    progress_format(p, &p->last, columns < 500 ? columns : 500, line, sizeof line);
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
    p->drawn = true;
}

void progress_step(progress *p, const gan_step_stats *st) {
    double now = progress_now();
    update_rate(p, st->step, now);
    p->last = *st;
    if (p->quiet || !p->tty || (now - p->last_draw < 0.1 && st->step != p->total_steps)) return;
    p->last_draw = now;
    draw(p);
}

void progress_printf(const char *fmt, ...) {
    progress *p = active;
    bool redraw = p && p->drawn;
    clear(p);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (redraw) draw(p);
    else fflush(stderr);
}

void progress_line(progress *p, const gan_step_stats *st, double images_per_s) {
    if (p->quiet || p->tty) return;
    fprintf(stderr,
            "step %lld/%lld  epoch %lld  loss_d %.4f  loss_g %.4f  D(x) %.3f  D(G(z)) %.3f  "
            "%.0f img/s\n",
            (long long)st->step, (long long)p->total_steps,
            (long long)((st->step - 1) / p->steps_per_epoch + 1), st->loss_d, st->loss_g,
            st->d_real, st->d_fake, images_per_s);
}

void progress_epoch(progress *p, int64_t epoch, const gan_step_stats *st, const char *samples) {
    if (p->quiet) return;
    char el[32], what[128];
    format_duration(el, sizeof el, progress_now() - p->start);
    int64_t in_epoch = (st->step - 1) % p->steps_per_epoch + 1;
    if (in_epoch == p->steps_per_epoch)
        snprintf(what, sizeof what, "epoch %lld/%lld done", (long long)epoch,
                 (long long)p->epochs);
    else /* a run that ends inside an epoch */
        snprintf(what, sizeof what, "step %lld/%lld done (epoch %lld, %lld of its %lld steps)",
                 (long long)st->step, (long long)p->total_steps, (long long)epoch,
                 (long long)in_epoch, (long long)p->steps_per_epoch);
    clear(p); /* the next step draws the bar again */
    fprintf(stderr, "%s in %s total: loss_d %.4f loss_g %.4f  -> %s\n", what, el, st->loss_d,
            st->loss_g, samples);
}

void progress_end(progress *p) {
    clear(p);
    fflush(stderr);
    if (active == p) active = NULL, cli_before_message = NULL;
}
