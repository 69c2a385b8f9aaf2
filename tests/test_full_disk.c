/*
 * test_full_disk.c - writes that run out of space (here: past RLIMIT_FSIZE,
 * which fails write() with EFBIG as a full disk fails it with ENOSPC) end
 * with a clear error naming the file, leave the previous file as it was and
 * leave no temporary file behind: checkpoints, sample PNGs, prepared IDX
 * datasets, and `gan train` itself. scripts/full_disk_test.sh does the same
 * on a real full tmpfs (root only).
 */
#define _POSIX_C_SOURCE 200809L
#include "data/idx.h"
#include "gan.h"
#include "test_util.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *spec_text = "image 1 28 28\nlatent 8\n"
                               "generator\n  dense 64\n  leaky_relu 0.2\n  dense 784\n  tanh\n"
                               "  reshape 1 28 28\n"
                               "discriminator\n  flatten\n  dense 64\n  leaky_relu 0.2\n  dense 1\n"
                               "train\n  batch_size 8\n";

static int count_temps(void) {
    DIR *d = opendir(test_tmpdir());
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) n += strstr(e->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    return n;
}

/* What the child reports through its exit code. */
enum { CHILD_FAILED_CLEANLY = 10, CHILD_WROTE = 11, CHILD_BAD_MESSAGE = 12 };

/* In a child limited to `limit` bytes per file: run write(which) and report. */
static int limited_child(long limit, gan_trainer *t, int which, const char *path) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN); /* write() then fails with EFBIG instead of a signal */
        struct rlimit rl = {(rlim_t)limit, (rlim_t)limit};
        setrlimit(RLIMIT_FSIZE, &rl);
        gan_status s;
        if (which == 0) s = gan_trainer_save_checkpoint(t, path);
        else if (which == 1) s = gan_trainer_write_samples_png(t, 8, path);
        else {
            static uint8_t px[100 * 784];
            int64_t dims[3] = {100, 28, 28};
            s = gan_idx_write(path, px, 3, dims, false);
        }
        if (s == GAN_OK) _exit(CHILD_WROTE);
        const char *msg = gan_last_error();
        bool clear = s == GAN_ERR_IO && strstr(msg, path) && strstr(msg, "File too large");
        if (!clear) fprintf(stderr, "message: %s\n", msg);
        _exit(clear ? CHILD_FAILED_CLEANLY : CHILD_BAD_MESSAGE);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The file at `path` is written in full, then a limited rewrite must fail
 * and leave it as it was. */
static void check_kind(gan_trainer *t, int which, const char *name) {
    const char *path = test_tmp_path_kept(name);
    CHECK_MSG(limited_child(1L << 30, t, which, path) == CHILD_WROTE, "%s: first write", name);
    size_t n0 = 0, n1 = 0;
    char *before = test_read_file(path, &n0);
    CHECK(before && n0 > 2048);
    int rc = limited_child(1024, t, which, path);
    CHECK_MSG(rc == CHILD_FAILED_CLEANLY, "%s: limited write: child status %d", name, rc);
    char *after = test_read_file(path, &n1);
    CHECK_MSG(after && n1 == n0 && memcmp(before, after, n0) == 0, "%s: previous file changed",
              name);
    CHECK_MSG(count_temps() == 0, "%s: temporary file left", name);
    free(before);
    free(after);
}

int main(void) {
    gan_dataset *data = test_synthetic_dataset("disk", 32, 0);
    gan_spec *spec;
    gan_trainer *t = test_spec_trainer(spec_text, "d", data, &spec);
    gan_step_stats st;
    if (t) CHECK_OK(gan_trainer_step(t, &st));
    if (t) {
        check_kind(t, 0, "checkpoint.safetensors");
        check_kind(t, 1, "samples.png");
        check_kind(t, 2, "prepared-images-idx3-ubyte");
    }
    gan_trainer_free(t);
    gan_spec_free(spec);

    /* `gan train --resume` whose checkpoint no longer fits: one clear line,
       a failing exit status, the previous checkpoint intact, no temporary file */
    const char *cli = getenv("GAN_CLI");
    if (cli) {
        const char *model = test_tmp_path_kept("d.gan");
        CHECK(test_write_file(model, spec_text, strlen(spec_text)) == 0);
        const char *run = test_tmp_path_kept("run");
        char cmd[4096], out[8192], ckpt[1024];
        snprintf(cmd, sizeof cmd, "%s train --data %s --model %s --out %s --steps 2 --threads 1 "
                 "--quiet", cli, gan_dataset_path(data), model, run);
        int rc = test_run(cmd, out, sizeof out);
        CHECK_MSG(rc == 0, "rc %d: %s", rc, out);
        snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", run);
        size_t n0 = 0, n1 = 0;
        char *before = test_read_file(ckpt, &n0);
        CHECK(before && n0 > 100 * 1024);
        /* 64 KiB per file: the log and the PNG fit, the ~220 KB checkpoint does not */
        snprintf(cmd, sizeof cmd, "trap '' XFSZ; ulimit -f 64; %s train --resume %s --steps 4 "
                 "--threads 1 --quiet", cli, run);
        rc = test_run(cmd, out, sizeof out);
        CHECK_MSG(rc != 0 && strstr(out, "checkpoint.safetensors") &&
                  strstr(out, "File too large"), "rc %d: %s", rc, out);
        char *after = test_read_file(ckpt, &n1);
        CHECK_MSG(after && n1 == n0 && memcmp(before, after, n0) == 0, "checkpoint changed");
        snprintf(cmd, sizeof cmd, "find %s -name '*.tmp.*' | grep -q .", run);
        CHECK_MSG(test_run(cmd, out, sizeof out) != 0, "temporary file left in %s", run);
        free(before);
        free(after);
    }
    gan_dataset_free(data);
    return test_report();
}
