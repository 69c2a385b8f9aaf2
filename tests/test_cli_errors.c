/*
 * test_cli_errors.c - bad input to `gan` gives a one-line error that names
 * the file or flag, and a non-zero exit; never a crash.
 */
#define _POSIX_C_SOURCE 200809L
#include "gan.h"
#include "test_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *gan_cli(void) {
    const char *p = getenv("GAN_CLI");
    return p ? p : "./gan";
}

/* `gan ARGS` fails with one error line holding `needle`. */
static void expect_error(const char *args, const char *needle) {
    test_expect_cli_error(gan_cli(), args, needle);
}

/* The same, the arguments from a printf format. */
static void expect_errorf(const char *needle, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void expect_errorf(const char *needle, const char *fmt, ...) {
    va_list ap;
    char args[4096];
    va_start(ap, fmt);
    int n = vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    CHECK_MSG(n > 0 && (size_t)n < sizeof args, "arguments too long: %s", fmt);
    expect_error(args, needle);
}

/* An IDX labels file of n labels, label i = (i * 7) % mod. */
static void write_labels(const char *path, int n, int mod) {
    unsigned char *b = calloc(1, 8 + (size_t)n);
    unsigned char hdr[8] = {0, 0, 8, 1, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                            (unsigned char)(n >> 8), (unsigned char)n};
    memcpy(b, hdr, 8);
    for (int i = 0; i < n; i++) b[8 + i] = (unsigned char)((i * 7) % mod);
    test_write_file(path, b, 8 + (size_t)n);
    free(b);
}

/* A valid plain IDX images file of n images h x w. */
static void write_images(const char *path, int n, int h, int w) {
    size_t len = 16 + (size_t)n * h * w;
    unsigned char *b = calloc(1, len);
    unsigned char hdr[16] = {0, 0, 8, 3, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                             (unsigned char)(n >> 8), (unsigned char)n, 0, 0, 0,
                             (unsigned char)h, 0, 0, 0, (unsigned char)w};
    memcpy(b, hdr, 16);
    test_write_file(path, b, len);
    free(b);
}

int main(void) {
    const char *good = test_tmp_path_kept("good-images-idx3-ubyte");
    write_images(good, 100, 28, 28);

    expect_error("train", "--data is required");
    expect_error("train --data /nonexistent/folder", "/nonexistent/folder");
    expect_error("train --bogus 3", "unknown option '--bogus'");
    expect_error("frobnicate", "unknown command 'frobnicate'");
    /* bad values of the training flags name their flag */
    static const char *const bad_flags[][2] = { /* flags, what the error says */
        {"--batch-size 0", "--batch-size"},
        {"--batch-size -5", "--batch-size"},
        {"--batch-size abc", "--batch-size: expected an integer, got 'abc'"},
        {"--lr nan", "--lr"},
        {"--lr -1", "--lr"},
        {"--epochs 0", "--epochs"},
        {"--threads -2", "--threads"},
        {"--batch-size", "--batch-size needs a value"},
        {"--model resnet9000", "unknown model 'resnet9000'"},
        {"--loss sideways", "--loss: unknown loss 'sideways'"},
        {"--clip 0.1", "--clip: applies only to --loss wasserstein"},
        {"--loss wgan --clip -1", "--clip"},
        {"--d-steps 0", "--d-steps"},
        {"--lr-g 3", "--lr-g"},
        {"--lr-d 0x", "--lr-d: expected a finite number"},
        {"--ema 1.5", "--ema"},
        {"--ema-warmup maybe", "--ema-warmup: unknown value 'maybe' (one of: off, on)"},
        {"--label-smoothing 0.1 --loss hinge", "--label-smoothing"},
        {"--precision bf16", "--precision bf16 needs --device cuda (the CPU trains in fp32)"},
        {"--precision tf32", "--precision tf32 needs --device cuda"},
        {"--precision fp16", "--precision"},
        {"--tf32", "--tf32 needs --device cuda"},
    };
    for (size_t i = 0; i < sizeof bad_flags / sizeof bad_flags[0]; i++)
        expect_errorf(bad_flags[i][1], "train --data %s %s", good, bad_flags[i][0]);

    /* wrong image size for the model */
    const char *small = test_tmp_path_kept("small-images-idx3-ubyte");
    write_images(small, 100, 10, 12);
    expect_errorf("10x12", "train --data %s --out %s", small, test_tmp_path("r_small"));

    /* fewer images than one batch */
    const char *few = test_tmp_path_kept("few-images-idx3-ubyte");
    write_images(few, 10, 28, 28);
    expect_errorf("fewer than the batch size", "train --data %s --out %s", few, test_tmp_path("r_few"));

    /* truncated and corrupt files name the file */
    size_t n;
    unsigned char *bytes = test_read_file(good, &n);
    const char *trunc = test_tmp_path_kept("trunc-images-idx3-ubyte");
    test_write_file(trunc, bytes, n - 100);
    expect_errorf(trunc, "train --data %s --out %s", trunc, test_tmp_path("r_trunc"));
    bytes[3] = 1; /* idx1 magic */
    const char *magic = test_tmp_path_kept("magic-images-idx3-ubyte");
    test_write_file(magic, bytes, n);
    expect_errorf(magic, "train --data %s --out %s", magic, test_tmp_path("r_magic"));
    free(bytes);

    /* an output folder that cannot be written */
    expect_errorf("/proc/gan_cannot_write", "train --data %s --out /proc/gan_cannot_write --steps 1", good);
    const char *file_as_dir = test_tmp_path_kept("plainfile");
    test_write_file(file_as_dir, "x", 1);
    expect_errorf(file_as_dir, "train --data %s --out %s/sub --steps 1", good, file_as_dir);

    expect_errorf("--d-steps", "train --data %s --d-steps 20 --batch-size 16 --out %s", good,
                   test_tmp_path("r_dsteps"));

    /* conditional models: labels missing or out of range name the file */
    expect_errorf("no labels file", "train --data %s --model cgan --out %s", good,
                   test_tmp_path("r_nolabels"));
    const char *lab_images = test_tmp_path_kept("lab-images-idx3-ubyte");
    const char *lab_labels = test_tmp_path_kept("lab-labels-idx1-ubyte");
    write_images(lab_images, 100, 28, 28);
    write_labels(lab_labels, 100, 12);
    expect_errorf(lab_labels, "train --data %s --model cdcgan --out %s", lab_images,
                   test_tmp_path("r_badlabels"));
    expect_errorf("out of range", "train --data %s --model cdcgan --out %s", lab_images,
                   test_tmp_path("r_badlabels"));

    /* a run folder is not silently overwritten */
    const char *run = test_tmp_path_kept("run_once");
    char cmd[2048], out[4096];
    snprintf(cmd, sizeof cmd, "%s train --data %s --steps 2 --batch-size 16 --out %s --quiet",
             gan_cli(), good, run);
    CHECK_MSG(test_run(cmd, out, sizeof out) == 0, "tiny run failed: %s", out);
    expect_errorf("already holds a run", "train --data %s --steps 2 --batch-size 16 --out %s", good, run);

    /* resumed runs refuse contradicting training options; sampling flags
     * for classes need a conditional model, and a class of it */
    expect_errorf("--loss hinge contradicts the checkpoint", "train --resume %s --loss hinge --steps 4", run);
    expect_errorf("--ema 0.999 contradicts", "train --resume %s --ema 0.999 --steps 4", run);
    expect_errorf("--ema-warmup off contradicts the checkpoint",
                  "train --resume %s --ema-warmup off --steps 4", run);
    expect_errorf("--d-steps 2 contradicts", "train --resume %s --d-steps 2 --steps 4", run);
    expect_errorf("--precision bf16", "train --resume %s --precision bf16 --steps 4", run);
    expect_errorf("--augment cutout contradicts the checkpoint", "train --resume %s --augment cutout --steps 4", run);
    expect_errorf("--mirror 1 contradicts the checkpoint", "train --resume %s --mirror --steps 4", run);
    expect_errorf("--augment: augmentation: 'zoom' is not one of: color, translation, "
                       "cutout or none", "train --data %s --augment color,zoom", good);
    expect_errorf("--augment: augmentation: 'cutout' is named twice", "train --data %s --augment cutout,cutout", good);
    /* an augmented run resumes with the same list in another order, not with another */
    const char *arun = test_tmp_path_kept("run_aug");
    snprintf(cmd, sizeof cmd, "%s train --data %s --steps 2 --batch-size 16 --mirror --augment "
             "translation,cutout,color --out %s --quiet", gan_cli(), good, arun);
    CHECK_MSG(test_run(cmd, out, sizeof out) == 0, "tiny augmented run failed: %s", out);
    snprintf(cmd, sizeof cmd, "%s inspect %s", gan_cli(), arun);
    CHECK_MSG(test_run(cmd, out, sizeof out) == 0 &&
                  strstr(out, "mirror on, augment color,translation,cutout"),
              "inspect of an augmented run: %s", out);
    snprintf(cmd, sizeof cmd, "%s train --resume %s --steps 3 --mirror --augment "
             "cutout,color,translation --quiet", gan_cli(), arun);
    CHECK_MSG(test_run(cmd, out, sizeof out) == 0, "resume with the same augmentation: %s", out);
    expect_errorf("--augment none contradicts the checkpoint", "train --resume %s --augment none --steps 4", arun);
    expect_errorf("--class: model 'mlp'", "sample %s --class 3 --out %s", run, test_tmp_path("x.png"));
    expect_errorf("--class-grid: model 'mlp'", "sample %s --class-grid --out %s", run, test_tmp_path("x.png"));
    expect_errorf("is unconditional", "sample %s --labels balanced --out %s", run,
                   test_tmp_path("x-images-idx3-ubyte"));
    expect_errorf("--labels: 'sorted'", "sample %s --labels sorted --out %s", run, test_tmp_path("x.png"));
    expect_errorf("give one", "sample %s --class 1 --labels uniform --out %s", run,
                   test_tmp_path("x.png"));
    expect_errorf("--class: model 'mlp'", "interpolate %s --class 1 --out %s", run, test_tmp_path("w.gif"));
    const char *crun = test_tmp_path_kept("run_cond");
    snprintf(cmd, sizeof cmd, "%s train --data %s --model cgan --steps 1 --batch-size 16 "
             "--out %s --quiet", gan_cli(), lab_images, crun);
    write_labels(lab_labels, 100, 10);
    CHECK_MSG(test_run(cmd, out, sizeof out) == 0, "tiny cgan run failed: %s", out);
    expect_errorf("--class: 10 is out of range [0, 9]", "sample %s --class 10 --out %s", crun, test_tmp_path("x.png"));
    expect_errorf("--class: -1 is out of range", "sample %s --class -1 --out %s", crun, test_tmp_path("x.png"));
    expect_errorf("NAME-images-idx3-ubyte", "sample %s --labels uniform --out %s", crun,
                   test_tmp_path("x.npy"));
    expect_errorf("--n: --class-grid", "sample %s --class-grid --n 5 --out %s", crun,
                   test_tmp_path("x.png"));

    /* help works and exits 0 */
    snprintf(cmd, sizeof cmd, "%s train --help", gan_cli());
    CHECK(test_run(cmd, out, sizeof out) == 0 && strstr(out, "--batch-size"));
    return test_report();
}
