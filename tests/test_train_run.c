/*
 * test_train_run.c - the run loop in the library (gan_train_run) and the
 * ways `gan train` ends:
 *   - a C program trains as the CLI does: callbacks in order, a stop
 *     request saves and returns, and the resumed run's checkpoint is
 *     bit-identical to an uninterrupted run's;
 *   - a run that fails before its first checkpoint says no checkpoint was
 *     saved (never "intact"), leaves no log, and a rerun of the same
 *     command starts again (library and CLI);
 *   - SIGINT at any moment from the handler's installation on (data
 *     loading included) ends with exit 130 and one line saying what was
 *     saved;
 *   - usage errors, range errors of every option included, exit 2.
 */
#define _POSIX_C_SOURCE 200809L
#include "gan.h"
#include "test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *cli;
static char out[65536];

typedef struct calls {
    int start, steps, logs, epochs;
    int64_t stop_after;
    volatile sig_atomic_t stop;
    int64_t last_step;
} calls;

static void on_start(void *user, gan_trainer *t, const gan_run_plan *plan) {
    calls *c = user;
    c->start++;
    CHECK(plan->steps_per_epoch == gan_trainer_steps_per_epoch(t));
    CHECK(plan->start_step == gan_trainer_step_count(t));
}

static void on_step(void *user, const gan_step_stats *st) {
    calls *c = user;
    CHECK_MSG(st->step == c->last_step + 1 || c->last_step == 0, "step %lld after %lld",
              (long long)st->step, (long long)c->last_step);
    c->last_step = st->step;
    c->steps++;
    if (c->stop_after && st->step == c->stop_after) c->stop = 1;
}

static void on_log(void *user, const gan_step_stats *mean, double ips) {
    ((calls *)user)->logs++;
    CHECK(ips > 0);
}

static void on_epoch(void *user, int64_t epoch, const gan_step_stats *mean, const char *samples) {
    ((calls *)user)->epochs++;
    struct stat sb;
    CHECK_MSG(stat(samples, &sb) == 0 && sb.st_size > 0, "%s", samples);
}

static gan_trainer *new_trainer(const gan_dataset *data) {
    gan_train_options o;
    gan_train_options_default(&o);
    o.batch_size = 16;
    o.threads = 2;
    o.epochs = 2;
    gan_trainer *t = NULL;
    CHECK_OK(gan_trainer_create("mlp", &o, data, &t));
    return t;
}

static int count_lines(const char *path) {
    size_t n = 0;
    char *text = test_read_file(path, &n);
    int lines = 0;
    for (size_t i = 0; text && i < n; i++) lines += text[i] == '\n';
    free(text);
    return lines;
}

/* A whole run, and one stopped at step 7 then resumed: the same checkpoint. */
static void check_library_run(const gan_dataset *data) {
    const char *dir = test_tmpdir();
    char whole[1200], part[1200], a[1300], b[1300];
    snprintf(whole, sizeof whole, "%s/lib_whole", dir);
    snprintf(part, sizeof part, "%s/lib_part", dir);

    calls c = {0};
    gan_run_options ro;
    gan_run_options_default(&ro);
    ro.out = whole, ro.log_every = 5, ro.user = &c;
    ro.on_start = on_start, ro.on_step = on_step, ro.on_log = on_log, ro.on_epoch = on_epoch;
    gan_trainer *t = new_trainer(data);
    if (!t) return;
    int64_t spe = gan_trainer_steps_per_epoch(t); /* 200 / 16 = 12 */
    gan_run_result res;
    CHECK_OK(gan_train_run(t, &ro, &res));
    CHECK(res.step == 2 * spe && res.saved_step == res.step && !res.stopped);
    CHECK(c.start == 1 && c.steps == 2 * spe && c.epochs == 2);
    CHECK_MSG(c.logs == 6, "%d log lines", c.logs); /* steps 5, 10, 12, 17, 22, 24 */
    snprintf(a, sizeof a, "%s/log.jsonl", whole);
    CHECK(count_lines(a) == c.logs);
    snprintf(a, sizeof a, "%s/samples/epoch_000.png", whole);
    struct stat sb;
    CHECK(stat(a, &sb) == 0 && sb.st_size > 0);
    gan_trainer_free(t);

    /* stop after step 7: the checkpoint of step 7, then resume to the end */
    c = (calls){.stop_after = 7};
    ro.out = part, ro.stop = &c.stop;
    t = new_trainer(data);
    if (!t) return;
    CHECK_OK(gan_train_run(t, &ro, &res));
    CHECK(res.stopped && res.step == 7 && res.saved_step == 7);
    gan_trainer_free(t);
    snprintf(a, sizeof a, "%s/checkpoint.safetensors", part);
    t = NULL;
    CHECK_OK(gan_trainer_resume(a, data, 2, &t));
    if (!t) return;
    CHECK(gan_trainer_step_count(t) == 7);
    c = (calls){.last_step = 7};
    ro.stop = NULL, ro.resume = true;
    CHECK_OK(gan_train_run(t, &ro, &res));
    CHECK(res.step == 2 * spe && !res.stopped);
    gan_trainer_free(t);
    snprintf(b, sizeof b, "%s/checkpoint.safetensors", whole);
    CHECK_MSG(test_same_file(a, b), "stopped and resumed run differs from the whole run");
    snprintf(a, sizeof a, "%s/log.jsonl", part);
    snprintf(b, sizeof b, "%s/log.jsonl", whole);
    CHECK_MSG(count_lines(a) == count_lines(b), "log of %d lines, whole run %d", count_lines(a),
              count_lines(b));

    /* a run already at its end is refused, naming the step */
    t = NULL;
    snprintf(a, sizeof a, "%s/checkpoint.safetensors", part);
    CHECK_OK(gan_trainer_resume(a, data, 2, &t));
    if (t) CHECK(gan_train_run(t, &ro, &res) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(gan_last_error(), "already at step 24"));
    gan_trainer_free(t);
}

/* The first epoch's grid cannot be written (a folder holds its name): the
 * run fails before any checkpoint. */
static void check_library_failure(const gan_dataset *data) {
    char run[1200], blocker[1300], log[1300];
    snprintf(run, sizeof run, "%s/lib_fail", test_tmpdir());
    snprintf(blocker, sizeof blocker, "%s/samples/epoch_001.png/x", run);
    CHECK_OK(gan_make_dirs(blocker));
    gan_run_options ro;
    gan_run_options_default(&ro);
    ro.out = run;
    gan_trainer *t = new_trainer(data);
    if (!t) return;
    gan_run_result res;
    CHECK(gan_train_run(t, &ro, &res) != GAN_OK);
    CHECK_MSG(res.saved_step == -1 && res.step == gan_trainer_steps_per_epoch(t),
              "saved %lld, step %lld", (long long)res.saved_step, (long long)res.step);
    snprintf(log, sizeof log, "%s/log.jsonl", run);
    CHECK_MSG(access(log, F_OK) != 0, "a failed run left %s", log);
    gan_trainer_free(t);
}

/* Run `gan ARGS` (printf-formatted); its output in `out`. */
#define run_cli(fmt, ...) test_runf(out, sizeof out, "%s " fmt, cli, __VA_ARGS__)

/* The same through the CLI: one error, "no checkpoint was saved", and the
 * same command runs once the obstacle is gone. */
static void check_cli_failure(const char *images) {
    char run[1200], blocker[1300];
    snprintf(run, sizeof run, "%s/cli_fail", test_tmpdir());
    snprintf(blocker, sizeof blocker, "%s/samples/epoch_001.png/x", run);
    CHECK_OK(gan_make_dirs(blocker));
    const char *args = "--batch-size 16 --threads 2 --epochs 1 --quiet";
    CHECK(run_cli("train --data %s %s --out %s", images, args, run) == 1);
    CHECK_MSG(strstr(out, "no checkpoint was saved") && !strstr(out, "intact"), "%s", out);
    snprintf(blocker, sizeof blocker, "rm -r %s/samples/epoch_001.png", run);
    CHECK(system(blocker) == 0);
    CHECK_MSG(run_cli("train --data %s %s --out %s", images, args, run) == 0, "rerun: %s", out);
    CHECK(run_cli("train --resume %s --epochs 2 --quiet", run) == 0);

    /* a run killed before its first checkpoint (SIGKILL: nothing can clean up)
     * leaves a log and no checkpoint: that is no run to refuse to replace */
    snprintf(run, sizeof run, "%s/cli_killed", test_tmpdir());
    CHECK_OK(gan_make_dirs(run));
    snprintf(blocker, sizeof blocker, "%s/log.jsonl", run);
    CHECK(test_write_file(blocker, "", 0) == 0);
    CHECK_MSG(run_cli("train --data %s %s --out %s", images, args, run) == 0, "%s", out);
}

/* A child `gan train` that the SIGINT trials wait on. */
typedef struct child {
    pid_t pid;
    bool exited; /* it ended before the condition held */
    int status;
} child;

/* The condition: the child has installed its SIGINT handler (or ended). */
static bool handler_installed(void *ctx) {
    child *c = ctx;
    if (waitpid(c->pid, &c->status, WNOHANG) == c->pid) return c->exited = true;
    return test_catches_signal((int)c->pid, SIGINT);
}

/* SIGINT as soon as `gan train` catches it (it then loads data, builds the
 * model or has started training, depending on the machine): exit 130 and
 * one line saying what was saved, true whatever the moment. */
static void check_sigint_early(const char *images, int trial) {
    char run[1200], err[1300];
    snprintf(run, sizeof run, "%s/intr_early%d", test_tmpdir(), trial);
    snprintf(err, sizeof err, "%s.err", run);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, 2) < 0) _exit(127);
        execl(cli, cli, "train", "--data", images, "--out", run, "--epochs", "1000", "--quiet",
              (char *)NULL);
        _exit(127);
    }
    /* polled every millisecond so that the signal comes early, often while
     * the data load; 300 s is a deadline for a busy machine, not a wait */
    child c = {pid, false, 0};
    bool installed = test_wait_until(handler_installed, &c, 0.001, 300.0);
    CHECK_MSG(installed && !c.exited, "gan train %s before it caught SIGINT",
              c.exited ? "ended" : "ran for 300 s");
    int status = c.status;
    if (!c.exited) {
        kill(pid, SIGINT);
        waitpid(pid, &status, 0);
    }
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d", status);
    size_t n = 0;
    char *text = test_read_file(err, &n);
    int lines = count_lines(err);
    bool nothing = text && strstr(text, "nothing was saved");
    bool saved = text && strstr(text, "checkpoint saved to");
    CHECK_MSG(lines == 1 && (nothing || saved), "stderr: %s", text ? text : "(none)");
    snprintf(err, sizeof err, "%s/checkpoint.safetensors", run);
    CHECK_MSG(nothing ? access(err, F_OK) != 0 : access(err, F_OK) == 0, "%s: %s", err,
              nothing ? "saved though nothing was said" : "missing");
    fprintf(stderr, "SIGINT trial %d: %s", trial, text ? text : "");
    free(text);
}

/* Usage errors exit 2: range errors of every option, from the library's
 * table or the CLI's own. */
static void check_exit_codes(const char *images) {
    static const char *const bad[][2] = {
        {"--batch-size 0", "--batch-size: 0 is out of range [1, 65536]"},
        {"--threads -1", "--threads: -1 is out of range [0, 1024]"},
        {"--lr 2", "--lr: 2 is out of range (0, 1)"},
        {"--ema 1", "--ema: 1 is out of range [0, 1)"},
        {"--d-steps 0", "--d-steps: 0 is out of range [1, 100]"},
        {"--label-smoothing 0.1 --loss hinge", "--label-smoothing: applies to the cross-entropy"},
        {"--steps -1", "--steps: -1 must not be negative"},
        {"--epochs 0", "--epochs: 0 must be at least 1"},
        {"--sample-rows 0", "--sample-rows: 0 is out of range [1, 16]"},
        {"--log-every 0", "--log-every: 0 must be at least 1"},
        {"--lr nan", "--lr: expected a finite number"},
        {"--loss sideways", "--loss: unknown loss 'sideways'"},
        {"--device tpu", "--device: 'tpu' is not a device"},
        {"--eval-every -1", "--eval-every: -1 must not be negative"},
        {"--eval-every 1 --eval-n 5", "--eval-n: 5 is out of range"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = run_cli("train --data %s --out %s/never %s", images, test_tmpdir(), bad[i][0]);
        CHECK_MSG(rc == 2, "%s: exit %d: %s", bad[i][0], rc, out);
        CHECK_MSG(strstr(out, bad[i][1]), "%s: '%s' lacks '%s'", bad[i][0], out, bad[i][1]);
    }
}

int main(void) {
    cli = getenv("GAN_CLI");
    CHECK_MSG(cli != NULL, "GAN_CLI is not set");
    gan_dataset *data = test_synthetic_dataset("run", 200, 0);
    if (!data || !cli) return test_report();
    const char *images = gan_dataset_path(data);
    check_library_run(data);
    check_library_failure(data);
    check_cli_failure(images);
    check_exit_codes(images);
    /* a real dataset makes the loading phase long enough to be hit often */
    char fashion[1200];
    const char *dir = getenv("GAN_DATA_DIR");
    snprintf(fashion, sizeof fashion, "%s/fashion", dir ? dir : "data");
    struct stat sb;
    const char *big = stat(fashion, &sb) == 0 ? fashion : images;
    for (int trial = 0; trial < 3; trial++) check_sigint_early(trial ? images : big, trial);
    gan_dataset_free(data);
    return test_report();
}
