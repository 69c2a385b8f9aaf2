/*
 * run.c - the run loop (gan_train_run, gan.h): a trainer trained to its
 * planned step in a run folder, with log lines, sample grids, checkpoints,
 * evaluations and stop requests; what `gan train` does, for any C program.
 *
 * The folder's state stays resumable at every moment: the checkpoint is
 * written atomically (the previous one stays until the new one is whole),
 * the log is cut back to the checkpoint's step when a run resumes, and a
 * fresh run that fails before its first checkpoint removes the log it began.
 *
 * Checkpoints are written in the background (ckpt_writer.h; unless
 * ro->checkpoint_sync): at the step boundary the state is copied to host
 * memory, and a thread writes, syncs and renames the file while the next
 * steps train. The rules that keep the folder's promises:
 *   - res.saved_step moves to a checkpoint's step only once its file is on
 *     disk (renamed), so "the last checkpoint (step N) is intact" and the
 *     removal of a failed fresh run's log are about files that exist;
 *   - the log never needs to wait: its lines may run ahead of the file on
 *     disk (as they do between checkpoints anyway), and resuming cuts the
 *     log back to the step of the checkpoint actually on disk; a run killed
 *     while a write is in flight resumes from the one before, whose step
 *     the log is cut to;
 *   - on_epoch is called once the latest checkpoint saved at or before the
 *     epoch's end is on disk (the report reads it): if that write is still
 *     in flight, the call waits (with a copy of its arguments) and is made
 *     between steps once the write is done, in epoch order, and at the
 *     latest before the next checkpoint, the next on_epoch or the end;
 *   - one write at a time: the next checkpoint, a stop request's checkpoint
 *     and the end of the run wait for the write in flight; a failed write
 *     (a full disk) ends the run with its status, noticed between steps or
 *     at the latest there, its message naming the file, the previous
 *     checkpoint intact.
 *
 * Data-parallel runs (docs/distributed.md): every rank runs the loop in
 * step; rank 0 (the lead) alone writes the folder and calls the callbacks
 * (gated in one place: `lead`), and a stop request on any rank stops every
 * rank after the same step (voted once per step).
 */
#define _POSIX_C_SOURCE 200809L
#include "ckpt_writer.h"
#include "internal.h"
#include "io/atomic_file.h"
#include "io/open_file.h"
#include "trainer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RUN_PATH_MAX 1200

void gan_run_options_default(gan_run_options *ro) {
    *ro = (gan_run_options){.checkpoint_every = -1, .log_every = 100, .sample_rows = 8};
}

int64_t gan_trainer_planned_steps(const gan_trainer *t) {
    gan_train_options o;
    gan_trainer_options(t, &o);
    int64_t total = (int64_t)o.epochs * gan_trainer_steps_per_epoch(t);
    if (o.max_steps > 0 && o.max_steps < total) total = o.max_steps;
    return total;
}

gan_status gan_make_dirs(const char *path) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return gan_fail(GAN_ERR_IO, "%s: path too long", path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != 0) continue;
        char c = *p;
        *p = 0;
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return gan_fail(GAN_ERR_IO, "%s: cannot create folder: %s", buf, strerror(errno));
        *p = c;
        if (!c) break;
    }
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return gan_fail(GAN_ERR_IO, "%s: not a folder", path);
    if (access(path, W_OK) != 0)
        return gan_fail(GAN_ERR_IO, "%s: folder is not writable: %s", path, strerror(errno));
    return GAN_OK;
}

/* Keep only the lines of a log whose "step" is at most `step` (those up to
 * the checkpoint a run resumes from), rewriting it atomically; *seconds is
 * the last kept line's "seconds" (where the resumed clock goes on), 0 if
 * none. A missing log is fine. */
static gan_status truncate_log(const char *path, int64_t step, double *seconds) {
    FILE *f = fopen(path, "rb");
    if (!f) return GAN_OK;
    char *kept = NULL;
    size_t len = 0, cap = 0;
    char line[4096];
    gan_status s = GAN_OK;
    while (s == GAN_OK && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "\"step\": ");
        long long at = p ? strtoll(p + 8, NULL, 10) : -1;
        if (at < 0 || at > step) continue;
        const char *sec = strstr(line, "\"seconds\": ");
        if (sec) *seconds = strtod(sec + 11, NULL);
        size_t n = strlen(line);
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *grown = realloc(kept, cap);
            if (!grown) s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
            else kept = grown;
        }
        if (s == GAN_OK) memcpy(kept + len, line, n), len += n;
    }
    fclose(f);
    if (s == GAN_OK) s = gan_atomic_write_file(path, kept ? kept : "", len);
    free(kept);
    return s;
}

/* The state of one gan_train_run. */
typedef struct run {
    gan_trainer *t;
    const gan_run_options *ro;
    gan_run_result res;
    gan_run_plan plan;
    FILE *log;
    char ckpt[RUN_PATH_MAX], log_path[RUN_PATH_MAX], latest[RUN_PATH_MAX];
    char path[RUN_PATH_MAX];
    double start;            /* when the loop began */
    double before;           /* seconds of training before it (a resumed run's log) */
    int64_t iv_steps;        /* steps since the last log line, */
    double iv_start;         /* and when that line was written */
    bool lead;               /* rank 0: writes files, calls the callbacks */
    gan_comm *comm;          /* the trainer's ranks (NULL: one process) */
    bool stop_voted;         /* some rank was asked to stop */
    char ranks_key[32];      /* `, "ranks": N` ending each log line of N > 1 ranks, else "" */
    gan_ckpt_writer *writer; /* the lead's checkpoints (NULL on the other ranks) */
    int64_t writing_step;    /* the step of the checkpoint the writer has (pending or done) */
    int64_t submitted_step;  /* the last checkpoint saved (maybe not yet on disk), -1 none */
    bool deferred;           /* an on_epoch call waits for the write in flight: */
    int64_t deferred_epoch;  /* its arguments */
    gan_step_stats deferred_mean;
    char deferred_samples[RUN_PATH_MAX];
} run;

static gan_status write_grid(run *r, int64_t epoch) {
    if (!r->lead) return GAN_OK;
    snprintf(r->path, sizeof r->path, "%s/samples/epoch_%03lld.png", r->ro->out, (long long)epoch);
    return gan_trainer_write_samples_png_scaled(r->t, r->ro->sample_rows, r->ro->grid_scale,
                                                r->path);
}

/* RUN/samples.png, the latest grid: the same image as the epoch's grid just
 * written (r->path), so its bytes are copied rather than generated and
 * encoded again (a PNG encode of a 726 x 726 grid is about 10 ms). */
static gan_status write_latest(run *r) {
    if (!r->lead) return GAN_OK;
    uint8_t *png = NULL;
    size_t len = 0;
    gan_status s = gan_read_file(r->path, (uint64_t)1 << 31, "a sample grid", &png, &len);
    if (s == GAN_OK) s = gan_atomic_write_file(r->latest, png, len);
    free(png);
    return s;
}

/* The write in flight, once it is done (wait: wait for it): the saved step
 * moves to it, then the on_epoch call that waited for it is made. A failed
 * write returns its status. */
static gan_status settle(run *r, bool wait) {
    if (r->writer && gan_ckpt_writer_pending(r->writer)) {
        if (!wait && !gan_ckpt_writer_done(r->writer)) return GAN_OK;
        GAN_TRY(gan_ckpt_writer_wait(r->writer));
        r->res.saved_step = r->writing_step;
    }
    if (r->deferred) {
        r->deferred = false;
        r->ro->on_epoch(r->ro->user, r->deferred_epoch, &r->deferred_mean, r->deferred_samples);
    }
    return GAN_OK;
}

static gan_status save(run *r) {
    GAN_TRY(gan_trainer_dist_same_weights(r->t)); /* what rank 0 saves is every rank's */
    int64_t step = gan_trainer_step_count(r->t);
    r->submitted_step = step;
    if (!r->lead) {
        r->res.saved_step = step;
        return GAN_OK;
    }
    GAN_TRY(settle(r, true)); /* one write at a time */
    GAN_TRY(gan_ckpt_writer_submit(r->writer, r->t, r->ckpt));
    r->writing_step = step;
    if (!gan_ckpt_writer_pending(r->writer)) r->res.saved_step = step; /* written already */
    return GAN_OK;
}

/* Epoch `st->epoch + 1` ended: on_epoch now, or once the checkpoint write in
 * flight is done (the calls stay in epoch order). */
static gan_status epoch_done(run *r, const gan_step_stats *st) {
    if (r->deferred) GAN_TRY(settle(r, true));
    if (r->writer && gan_ckpt_writer_pending(r->writer)) {
        r->deferred = true;
        r->deferred_epoch = st->epoch + 1;
        r->deferred_mean = *st;
        memcpy(r->deferred_samples, r->path, sizeof r->path);
        return GAN_OK;
    }
    r->ro->on_epoch(r->ro->user, st->epoch + 1, st, r->path);
    return GAN_OK;
}

/* The end of the loop (status s): the write in flight waited for; on
 * success the on_epoch call waiting for it made. A failure keeps the
 * first status and message, and the saved step of a write that finished. */
static gan_status finish(run *r, gan_status s) {
    if (!r->writer) return s;
    if (s == GAN_OK) return settle(r, true);
    if (!gan_ckpt_writer_pending(r->writer)) return s;
    char message[1024];
    snprintf(message, sizeof message, "%s", gan_last_error());
    if (gan_ckpt_writer_wait(r->writer) == GAN_OK) r->res.saved_step = r->writing_step;
    return gan_fail(s, "%s", message);
}

static bool stop_requested(const run *r) {
    return r->stop_voted || (r->ro->stop && *r->ro->stop);
}

/* With several ranks: whether any rank was asked to stop (collective, once
 * per step), so that all stop after the same step. */
static gan_status vote_stop(run *r) {
    if (gan_comm_size(r->comm) < 2) return GAN_OK;
    float stop = r->ro->stop && *r->ro->stop;
    GAN_TRY(gan_comm_allreduce(r->comm, &stop, 1, GAN_REDUCE_SUM));
    r->stop_voted = stop > 0.0f;
    return GAN_OK;
}

/* The folder, the log and (fresh runs) the first grid. */
static gan_status begin(run *r) {
    const gan_run_options *ro = r->ro;
    snprintf(r->ckpt, sizeof r->ckpt, "%s/%s", ro->out, GAN_RUN_CHECKPOINT);
    snprintf(r->log_path, sizeof r->log_path, "%s/%s", ro->out, GAN_RUN_LOG);
    snprintf(r->latest, sizeof r->latest, "%s/%s", ro->out, GAN_RUN_SAMPLES);
    int64_t start = gan_trainer_step_count(r->t);
    r->res.step = start;
    r->res.saved_step = r->submitted_step = ro->resume ? start : -1;
    if (ro->log_every < 1)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "log interval %d: must be at least 1",
                        ro->log_every);
    if (ro->sample_rows < 1 || ro->sample_rows > 16)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "sample grid rows %d: out of range [1, 16]",
                        ro->sample_rows);
    gan_train_options o;
    gan_trainer_options(r->t, &o);
    int64_t spe = gan_trainer_steps_per_epoch(r->t), total = gan_trainer_planned_steps(r->t);
    r->plan = (gan_run_plan){start, total, spe, (total + spe - 1) / spe,
                             o.batch_size * o.d_steps};
    if (start >= total)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: the run is already at step %lld of %lld",
                        r->ckpt, (long long)start, (long long)total);
    if (!r->lead) return GAN_OK;
    snprintf(r->path, sizeof r->path, "%s/samples", ro->out);
    GAN_TRY(gan_make_dirs(ro->out));
    GAN_TRY(gan_make_dirs(r->path));
    gan_atomic_clean_dir(ro->out); /* temporary files of writes killed in an earlier run */
    gan_atomic_clean_dir(r->path);
    if (ro->resume) GAN_TRY(truncate_log(r->log_path, start, &r->before));
    r->log = fopen(r->log_path, ro->resume ? "a" : "w");
    if (!r->log) return gan_fail(GAN_ERR_IO, "%s: cannot write: %s", r->log_path, strerror(errno));
    if (!ro->resume) GAN_TRY(write_grid(r, 0));
    if (ro->log_note) {
        fprintf(r->log, "%s\n", ro->log_note);
        fflush(r->log);
    }
    return GAN_OK;
}

/* A log line of the means since the previous one (on a GPU the losses come
 * back here), then the evaluation at an epoch's end. */
static gan_status log_line(run *r, bool epoch_end, gan_step_stats *st) {
    const gan_run_options *ro = r->ro;
    gan_step_stats mean;
    GAN_TRY(gan_trainer_take_stats(r->t, &mean));
    double now = gan_now_seconds();
    double ips = (double)r->iv_steps * r->plan.images_per_step / (now - r->iv_start);
    r->iv_steps = 0;
    r->iv_start = now;
    *st = mean;
    if (!r->lead) return GAN_OK;
    fprintf(r->log,
            "{\"step\": %lld, \"epoch\": %lld, \"loss_d\": %.6f, \"loss_g\": %.6f, "
            "\"d_real\": %.6f, \"d_fake\": %.6f, \"images_per_s\": %.1f, \"seconds\": %.3f%s}\n",
            (long long)mean.step, (long long)mean.epoch + 1, mean.loss_d, mean.loss_g,
            mean.d_real, mean.d_fake, ips, r->before + (now - r->start), r->ranks_key);
    fflush(r->log);
    if (ro->on_log) ro->on_log(ro->user, &mean, ips);
    if (epoch_end && ro->evaluate) {
        char line[1024] = "";
        GAN_TRY(ro->evaluate(ro->user, r->t, st->epoch + 1, &mean, line, sizeof line));
        if (*line) {
            fprintf(r->log, "%s\n", line);
            fflush(r->log);
        }
    }
    return GAN_OK;
}

static gan_status loop(run *r) {
    const gan_run_options *ro = r->ro;
    int64_t spe = r->plan.steps_per_epoch, total = r->plan.total_steps;
    int64_t every = ro->checkpoint_every < 0 ? -ro->checkpoint_every * spe : ro->checkpoint_every;
    gan_step_stats st = {.step = r->plan.start_step};
    while (st.step < total && !stop_requested(r)) {
        GAN_TRY(gan_trainer_step(r->t, &st));
        GAN_TRY(vote_stop(r));
        GAN_TRY(settle(r, false)); /* a checkpoint write that ended since */
        r->res.step = st.step;
        r->iv_steps++;
        if (ro->on_step) ro->on_step(ro->user, &st);
        bool epoch_end = st.step % spe == 0 || st.step == total;
        if (st.step % ro->log_every == 0 || epoch_end) GAN_TRY(log_line(r, epoch_end, &st));
        if (epoch_end) {
            GAN_TRY(write_grid(r, st.epoch + 1));
            GAN_TRY(write_latest(r));
        }
        /* the checkpoint first, so on_epoch sees a complete run folder */
        bool last = st.step >= total || stop_requested(r);
        if (last || (every > 0 && st.step % every == 0)) GAN_TRY(save(r));
        if (epoch_end && ro->on_epoch) GAN_TRY(epoch_done(r, &st));
    }
    if (r->submitted_step != gan_trainer_step_count(r->t)) return save(r);
    return GAN_OK;
}

gan_status gan_train_run(gan_trainer *t, const gan_run_options *ro, gan_run_result *result) {
    run r = {.t = t, .ro = ro, .comm = gan_trainer_comm(t)};
    r.lead = gan_comm_rank(r.comm) == 0;
    if (gan_comm_size(r.comm) > 1)
        snprintf(r.ranks_key, sizeof r.ranks_key, ", \"ranks\": %d", gan_comm_size(r.comm));
    gan_run_options quiet;
    if (!r.lead) { /* the other ranks: no callbacks (no output, no evaluation) */
        quiet = *ro;
        quiet.on_start = NULL, quiet.on_step = NULL, quiet.on_log = NULL;
        quiet.on_epoch = NULL, quiet.evaluate = NULL;
        r.ro = ro = &quiet;
    }
    gan_status s = ro->out ? begin(&r)
                           : gan_fail(GAN_ERR_INVALID_ARGUMENT, "no run folder given");
    if (s == GAN_OK && r.lead) s = gan_ckpt_writer_create(!ro->checkpoint_sync, &r.writer);
    if (s == GAN_OK && r.writer) gan_ckpt_writer_reserve(r.writer, t); /* while it trains */
    if (s == GAN_OK) {
        if (ro->on_start) ro->on_start(ro->user, t, &r.plan);
        r.start = r.iv_start = gan_now_seconds();
        s = finish(&r, loop(&r));
        r.res.seconds = gan_now_seconds() - r.start;
    }
    gan_ckpt_writer_free(r.writer); /* nothing in flight: finish waited */
    r.res.stopped = stop_requested(&r);
    if (r.log && fclose(r.log) != 0 && s == GAN_OK)
        s = gan_fail(GAN_ERR_IO, "%s: write failed", r.log_path);
    /* a fresh run with no checkpoint leaves no log: the folder holds no run */
    if (r.log && s != GAN_OK && r.res.saved_step < 0) remove(r.log_path);
    if (result) *result = r.res;
    return s;
}
