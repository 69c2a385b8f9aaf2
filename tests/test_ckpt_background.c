/*
 * test_ckpt_background.c - the run loop's checkpoints written on a
 * background thread (src/ckpt_writer.c, run.c):
 *   - the in-memory copy is byte for byte the file gan_trainer_save_checkpoint
 *     writes, and gan_ckpt_size (the writer's reserve at a run's start) its size;
 *   - runs that checkpoint every step in the background end with the same
 *     file as a synchronous run (checkpoint_sync), and one stopped at step 7
 *     and resumed ends with it too; on_epoch always finds the checkpoint of
 *     the epoch's last step on disk, and comes once per epoch, in order;
 *   - a background write that fails (RLIMIT_FSIZE: EFBIG, as a full disk
 *     gives ENOSPC) ends the run with GAN_ERR_IO naming the file, the saved
 *     step is the previous checkpoint's, which still resumes, and no
 *     temporary file is left;
 *   - `gan train` killed (SIGKILL) at three points of its log (after a
 *     first checkpoint) while it checkpoints every step resumes from what is on disk, its log cut back to that
 *     step (no step logged twice), and ends with the uninterrupted run's
 *     checkpoint.
 */
#define _POSIX_C_SOURCE 200809L
#include "checkpoint.h"
#include "gan.h"
#include "test_util.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *spec_text = "image 1 28 28\nlatent 8\n"
                               "generator\n  dense 64\n  leaky_relu 0.2\n  dense 784\n  tanh\n"
                               "  reshape 1 28 28\n"
                               "discriminator\n  flatten\n  dense 64\n  leaky_relu 0.2\n  dense 1\n"
                               "train\n  batch_size 16\n  ema 0.99\n";

static gan_trainer *new_trainer(gan_dataset *data, int epochs) {
    gan_spec *spec = NULL;
    gan_trainer *t = test_spec_trainer(spec_text, "bg", data, &spec);
    gan_spec_free(spec);
    if (t) CHECK_OK(gan_trainer_set_schedule(t, epochs, 0));
    return t;
}

/* The copy the background writer writes is the file a synchronous save writes. */
static void check_snapshot_bytes(gan_dataset *data) {
    gan_trainer *t = new_trainer(data, 1);
    if (!t) return;
    gan_step_stats st;
    for (int i = 0; i < 3; i++) CHECK_OK(gan_trainer_step(t, &st));
    const char *path = test_tmp_path("snap.safetensors");
    CHECK_OK(gan_trainer_save_checkpoint(t, path));
    size_t n = 0;
    uint8_t *file = test_read_file(path, &n);
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0;
    CHECK_OK(gan_ckpt_snapshot(t, &buf, &cap, &len));
    CHECK_MSG(file && len == n && memcmp(file, buf, n) == 0, "snapshot of %zu bytes, file %zu",
              len, n);
    size_t size = 0;
    CHECK_OK(gan_ckpt_size(t, &size));
    CHECK_MSG(size == n && cap >= n, "size %zu, file %zu, buffer %zu", size, n, cap);
    uint8_t *first = buf;
    CHECK_OK(gan_trainer_step(t, &st));
    CHECK_OK(gan_ckpt_snapshot(t, &buf, &cap, &len)); /* same size: the buffer is reused */
    CHECK(buf == first && len == n && memcmp(file, buf, n) != 0);
    free(buf);
    free(file);
    gan_trainer_free(t);
}

typedef struct calls {
    const char *ckpt;
    int64_t spe, epochs_seen, stop_after;
    volatile sig_atomic_t stop;
    int64_t fsize_at; /* > 0: at this step, once the checkpoint of the step before is on
                         disk, limit the files of this process to 64 KiB */
} calls;

static void on_epoch(void *user, int64_t epoch, const gan_step_stats *mean, const char *samples) {
    calls *c = user;
    CHECK_MSG(epoch == c->epochs_seen + 1, "on_epoch %lld after %lld", (long long)epoch,
              (long long)c->epochs_seen);
    c->epochs_seen = epoch;
    gan_checkpoint_info info;
    CHECK_OK(gan_checkpoint_read_info(c->ckpt, &info));
    CHECK_MSG(info.step == epoch * c->spe, "on_epoch %lld found the checkpoint of step %lld",
              (long long)epoch, (long long)info.step);
    struct stat sb;
    CHECK_MSG(stat(samples, &sb) == 0 && sb.st_size > 0, "%s", samples);
    (void)mean;
}

/* Whether the checkpoint at ck->path is of step ck->step. */
typedef struct ckpt_at {
    const char *path;
    int64_t step;
} ckpt_at;

static bool checkpoint_is_at(void *ctx) {
    const ckpt_at *ck = ctx;
    gan_checkpoint_info info = {0};
    return gan_checkpoint_read_info(ck->path, &info) == GAN_OK && info.step == ck->step;
}

static void on_step(void *user, const gan_step_stats *st) {
    calls *c = user;
    if (c->stop_after && st->step == c->stop_after) c->stop = 1;
    if (c->fsize_at && st->step == c->fsize_at) {
        /* the write of the step before may be in flight */
        ckpt_at ck = {c->ckpt, st->step - 1};
        CHECK_MSG(test_wait_until(checkpoint_is_at, &ck, 0.001, 60.0),
                  "the checkpoint of step %lld never came", (long long)st->step - 1);
        struct rlimit rl = {64 * 1024, 64 * 1024};
        setrlimit(RLIMIT_FSIZE, &rl);
    }
}

static gan_status run(gan_trainer *t, const char *dir, bool sync, bool resume, calls *c,
                      gan_run_result *res) {
    static char ckpt[1200];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", dir);
    c->ckpt = ckpt;
    c->spe = gan_trainer_steps_per_epoch(t);
    gan_run_options ro;
    gan_run_options_default(&ro);
    ro.out = dir, ro.resume = resume, ro.checkpoint_every = 1, ro.log_every = 3;
    ro.checkpoint_sync = sync, ro.user = c, ro.on_epoch = on_epoch, ro.on_step = on_step;
    ro.stop = &c->stop;
    return gan_train_run(t, &ro, res);
}

static void check_same_runs(gan_dataset *data) {
    char sync[1200], bg[1200], part[1200], a[1300], b[1300];
    snprintf(sync, sizeof sync, "%s/sync", test_tmpdir());
    snprintf(bg, sizeof bg, "%s/bg", test_tmpdir());
    snprintf(part, sizeof part, "%s/part", test_tmpdir());
    gan_run_result res;
    calls c = {0};
    gan_trainer *t = new_trainer(data, 3);
    if (!t) return;
    CHECK_OK(run(t, sync, true, false, &c, &res));
    CHECK(c.epochs_seen == 3 && res.saved_step == 3 * c.spe && res.step == res.saved_step);
    gan_trainer_free(t);

    c = (calls){0};
    t = new_trainer(data, 3);
    if (!t) return;
    CHECK_OK(run(t, bg, false, false, &c, &res));
    CHECK(c.epochs_seen == 3 && res.saved_step == 3 * c.spe && res.step == res.saved_step);
    gan_trainer_free(t);
    snprintf(a, sizeof a, "%s/checkpoint.safetensors", sync);
    snprintf(b, sizeof b, "%s/checkpoint.safetensors", bg);
    CHECK_MSG(test_same_file(a, b), "background checkpoints differ from synchronous ones");

    /* stopped after step 7 (its checkpoint waited for), resumed to the end */
    c = (calls){.stop_after = 7};
    t = new_trainer(data, 3);
    if (!t) return;
    CHECK_OK(run(t, part, false, false, &c, &res));
    CHECK(res.stopped && res.step == 7 && res.saved_step == 7);
    gan_trainer_free(t);
    snprintf(b, sizeof b, "%s/checkpoint.safetensors", part);
    t = NULL;
    CHECK_OK(gan_trainer_resume(b, data, 1, &t));
    if (!t) return;
    CHECK(gan_trainer_step_count(t) == 7);
    CHECK_OK(gan_trainer_set_schedule(t, 3, 0));
    c = (calls){.epochs_seen = 0};
    CHECK_OK(run(t, part, false, true, &c, &res));
    CHECK(c.epochs_seen == 3 && res.saved_step == 3 * c.spe);
    gan_trainer_free(t);
    CHECK_MSG(test_same_file(a, b), "stopped and resumed run differs from the whole run");
}

static int count_temps(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) n += strstr(e->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    return n;
}

/* Checkpoints every step; from step 5 on no file may grow past 64 KiB, so
 * the checkpoint of step 5 (about 220 KB) fails on the writer's thread. */
static void check_failed_write(gan_dataset *data) {
    char dir[1200], ckpt[1300];
    snprintf(dir, sizeof dir, "%s/full", test_tmpdir());
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", dir);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN); /* write() then fails with EFBIG */
        calls c = {.fsize_at = 5};
        gan_trainer *t = new_trainer(data, 3);
        gan_run_result res;
        gan_status s = t ? run(t, dir, false, false, &c, &res) : GAN_OK;
        const char *msg = gan_last_error();
        CHECK_MSG(s == GAN_ERR_IO && strstr(msg, ckpt) && strstr(msg, "File too large"),
                  "status %d: %s", (int)s, msg);
        CHECK_MSG(res.saved_step == 4 && res.step >= 5 && res.step < 3 * c.spe,
                  "saved step %lld, step %lld", (long long)res.saved_step, (long long)res.step);
        gan_trainer_free(t);
        _exit(test_report() == 0 ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    CHECK_MSG(count_temps(dir) == 0, "temporary file left in %s", dir);
    gan_trainer *t = NULL;
    CHECK_OK(gan_trainer_resume(ckpt, data, 1, &t));
    CHECK(t && gan_trainer_step_count(t) == 4);
    gan_trainer_free(t);
}

/* The steps of log.jsonl's lines, in order (at most cap); how many. */
static int log_steps(const char *path, long long *steps, int cap) {
    size_t n = 0;
    char *text = test_read_file(path, &n);
    int k = 0;
    for (char *p = text; p && (p = strstr(p, "\"step\": ")) != NULL && k < cap; p += 8)
        steps[k++] = strtoll(p + 8, NULL, 10);
    free(text);
    return k;
}

/* `gan train` killed (checkpointing every step) once its log reaches a
 * trial's step, then resumed: the uninterrupted run's checkpoint, every step
 * logged once. True when the run was killed (false: it ended first). */
#define KILL_STEPS 200

/* A `gan train` child to kill once its checkpoint exists and its log has
 * `steps` lines, unless it ends first (then ended, status). */
typedef struct run_watch {
    pid_t pid;
    const char *ckpt, *log;
    int steps;
    int status;
    bool ended;
} run_watch;

static bool run_reached(void *ctx) {
    run_watch *w = ctx;
    long long got[KILL_STEPS + 1];
    struct stat sb;
    if (stat(w->ckpt, &sb) == 0 && log_steps(w->log, got, KILL_STEPS) >= w->steps) return true;
    w->ended = waitpid(w->pid, &w->status, WNOHANG) == w->pid;
    return w->ended;
}
static bool check_kill(const char *cli, const char *images, const char *model, const char *whole,
                       int trial) {
    static const int kill_at[] = {3, 40, 120}; /* logged steps before the kill */
    char dir[1200], ckpt[1300], log[1300], steps[32];
    snprintf(dir, sizeof dir, "%s/killed%d", test_tmpdir(), trial);
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", dir);
    snprintf(log, sizeof log, "%s/log.jsonl", dir);
    snprintf(steps, sizeof steps, "%d", KILL_STEPS);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("GAN_CHECKPOINT_SYNC", "0", 1); /* background writes on the CPU too */
        execl(cli, cli, "train", "--data", images, "--model", model, "--out", dir, "--steps",
              steps, "--checkpoint-every", "1", "--log-every", "1", "--threads", "1", "--quiet",
              (char *)NULL);
        _exit(127);
    }
    /* wait (60 s at most) for a first checkpoint on disk and the trial's step
     * in the log, or for the run's end */
    long long got[KILL_STEPS + 1];
    run_watch w = {pid, ckpt, log, kill_at[trial], 0, false};
    test_wait_until(run_reached, &w, 0.001, 60.0);
    int status = w.status;
    bool ended = w.ended;
    if (!ended) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    if (WIFEXITED(status)) { /* it finished first: nothing was killed */
        CHECK_MSG(WEXITSTATUS(status) == 0, "trial %d: gan train exited with %d", trial,
                  WEXITSTATUS(status));
        fprintf(stderr, "kill trial %d: the run ended first\n", trial);
        return false;
    }
    gan_checkpoint_info info;
    CHECK_OK(gan_checkpoint_read_info(ckpt, &info));
    fprintf(stderr, "kill trial %d: killed after the checkpoint of step %lld\n", trial,
            (long long)info.step);
    char out[8192];
    int rc = test_runf(out, sizeof out, "GAN_CHECKPOINT_SYNC=0 %s train --resume %s --steps %d "
                       "--log-every 1 --threads 1 --quiet", cli, dir, KILL_STEPS);
    CHECK_MSG(rc == 0, "resume: rc %d: %s", rc, out);
    char b[1300];
    snprintf(b, sizeof b, "%s/checkpoint.safetensors", whole);
    CHECK_MSG(test_same_file(ckpt, b), "trial %d: killed and resumed run differs", trial);
    int n = log_steps(log, got, KILL_STEPS + 1);
    bool once = n == KILL_STEPS;
    for (int i = 0; i < n && once; i++) once = got[i] == i + 1;
    CHECK_MSG(once, "trial %d: the log has %d lines, not steps 1..%d once each", trial, n,
              KILL_STEPS);
    CHECK_MSG(count_temps(dir) == 0, "temporary file left in %s", dir);
    return true;
}

int main(void) {
    setenv("GAN_WASM_CC", "/bin/false", 1); /* the CLI's report: no live generator to compile */
    gan_dataset *data = test_synthetic_dataset("bg", 200, 0);
    if (!data) return test_report();
    check_snapshot_bytes(data);
    check_same_runs(data);
    check_failed_write(data);

    const char *cli = getenv("GAN_CLI");
    if (cli) {
        const char *model = test_tmp_path_kept("bg.gan");
        CHECK(test_write_file(model, spec_text, strlen(spec_text)) == 0);
        char whole[1200], out[8192];
        snprintf(whole, sizeof whole, "%s/whole", test_tmpdir());
        int rc = test_runf(out, sizeof out, "%s train --data %s --model %s --out %s --steps %d "
                           "--checkpoint-every 1 --log-every 1 --threads 1 --quiet", cli,
                           gan_dataset_path(data), model, whole, KILL_STEPS);
        CHECK_MSG(rc == 0, "rc %d: %s", rc, out);
        int killed = 0;
        for (int trial = 0; trial < 3; trial++)
            killed += check_kill(cli, gan_dataset_path(data), model, whole, trial);
        CHECK_MSG(killed > 0, "no kill trial caught gan train running");
    }
    gan_dataset_free(data);
    return test_report();
}
