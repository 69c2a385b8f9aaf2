/*
 * test_mpi_kill.c - faults in the middle of a 2-rank run:
 *   - rank 1 killed (SIGKILL): every rank stops within a deadline, the
 *     launcher names the dead rank;
 *   - rank 1 frozen (SIGSTOP: alive, so the launcher sees nothing): the
 *     watchdog of rank 0 (GAN_COMM_TIMEOUT=30) says so and stops every rank;
 * and each time the last checkpoint loads and resumes. Waits on conditions
 * (the checkpoint's existence, the launcher's exit), never a fixed sleep.
 * The watchdog's limit (30 s) and the deadline for the run to stop after the
 * signal (180 s) hold on a busy machine: a rank descheduled for 10 s by other
 * processes is not a frozen rank.
 */
#include "mpi_test_util.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The conditions the test waits on (test_wait_until, polled every 20 ms
 * up to a generous deadline; no fixed sleep anywhere). */
typedef struct pid_file {
    const char *path; /* DIR/pid.RANK: written by the rank's shell, which then exec's gan */
    pid_t pid;
} pid_file;

static bool pid_written(void *ctx) {
    pid_file *f = ctx;
    char *text = test_read_file(f->path, NULL);
    long pid = text ? atol(text) : 0;
    free(text);
    f->pid = (pid_t)pid;
    return pid > 0;
}

/* The checkpoint exists (written atomically: whole once it is there). */
static bool file_exists(void *ctx) {
    return access(ctx, F_OK) == 0;
}

typedef struct child {
    pid_t pid;
    int status; /* exit status, 128 + signal, or -1 while running */
} child;

static bool exited(void *ctx) {
    child *c = ctx;
    int st;
    if (waitpid(c->pid, &st, WNOHANG) != c->pid) return false;
    c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return true;
}

#define FAULT_STOP_DEADLINE 180.0 /* seconds from the signal to the launcher's exit */

/* A 2-rank run in folder `name`; once its first checkpoint exists, rank 1
 * gets signal `sig`; the run must stop within 180 s with `expect` in its
 * output, and the checkpoint must load and resume. */
static void fault(const char *name, int sig, const char *expect, const char *expect2) {
    const char *cli = getenv("GAN_CLI");
    const char *data = mpi_dataset(640), *model = mpi_nobn_model();
    char run[1024], logf[1200], ckpt[1200], pids[1200], cmd[4096];
    snprintf(run, sizeof run, "%s", test_tmp_path_kept(name));
    snprintf(logf, sizeof logf, "%s.out", run);
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", run);
    snprintf(pids, sizeof pids, "%s.pids", run);
    CHECK(mkdir(pids, 0755) == 0);
    /* each rank's shell writes its pid, then becomes gan (exec keeps the pid) */
    snprintf(cmd, sizeof cmd, "exec %s -np 2 -x OMP_NUM_THREADS=1 -x GAN_COMM_TIMEOUT=30 sh -c "
             "'echo $$ > %s/pid.$OMPI_COMM_WORLD_RANK; exec %s train --data %s --model %s "
             "--epochs 1000000 --batch-size 32 --threads 1 --checkpoint-every 10 --out %s' > %s "
             "2>&1", getenv("GAN_MPIRUN"), pids, cli, data, model, run, logf);
    pid_t launcher = fork();
    if (launcher == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    CHECK(launcher > 0);
    char pid_path[1300];
    snprintf(pid_path, sizeof pid_path, "%s/pid.1", pids);
    pid_file rank1 = {pid_path, 0};
    CHECK_MSG(test_wait_until(pid_written, &rank1, 0.02, 120), "rank 1 never started");
    pid_t victim = rank1.pid;
    bool saved = test_wait_until(file_exists, ckpt, 0.02, 120);
    CHECK_MSG(saved, "no checkpoint within 120 s");
    if (victim > 0 && saved) kill(victim, sig);
    double t0 = now();
    child job = {launcher, -1};
    test_wait_until(exited, &job, 0.02, FAULT_STOP_DEADLINE);
    int rc = job.status;
    double took = now() - t0;
    if (rc < 0) { /* a hang: clean up what this test started */
        kill(launcher, SIGKILL);
        waitpid(launcher, NULL, 0);
    }
    if (sig == SIGSTOP && victim > 0) kill(victim, SIGKILL); /* if it outlived the job */
    fprintf(stderr, "%s: rank 1 got signal %d; the run stopped after %.1f s, exit status %d\n",
            name, sig, took, rc);
    CHECK_MSG(rc > 0, "the run did not stop within %.0f s (rc %d)", FAULT_STOP_DEADLINE, rc);
    size_t n;
    char *text = test_read_file(logf, &n);
    CHECK_MSG(text && strstr(text, expect) && strstr(text, expect2),
              "no message with '%s' and '%s': %s", expect, expect2, text ? text : "(no output)");
    free(text);

    /* the checkpoint is whole: it loads, and 2 ranks continue from it */
    char out[1 << 14];
    snprintf(cmd, sizeof cmd, "%s inspect %s", cli, run);
    CHECK_MSG(test_run(cmd, out, sizeof out) == 0 && strstr(out, "ranks: 2"), "%s", out);
    const char *p = strstr(out, "training state: step ");
    long step = p ? atol(p + 21) : 0;
    CHECK(step >= 10 && step % 10 == 0);
    snprintf(cmd, sizeof cmd, "%s train --resume %s --steps %ld --quiet", mpi_gan(2), run,
             step + 5);
    CHECK_MSG(test_run(cmd, out, sizeof out) == 0, "resume after the fault: %s", out);
}

int main(void) {
    if (!getenv("GAN_CLI") || !getenv("GAN_MPIRUN")) {
        fprintf(stderr, "GAN_CLI and GAN_MPIRUN must be set (CTest sets them)\n");
        return 1;
    }
    fault("killed", SIGKILL, "rank 1", "signal 9");
    fault("frozen", SIGSTOP, "no answer from the other ranks", "intact in");
    return test_report();
}
