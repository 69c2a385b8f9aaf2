/*
 * test_cli_errors.c - bad input to `gan` gives a one-line error that names
 * the file or flag, and a non-zero exit; never a crash.
 */
#define _POSIX_C_SOURCE 200809L
#include "gan.h"
#include "test_util.h"

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
    char args[1024];
    const char *good = test_tmp_path_kept("good-images-idx3-ubyte");
    write_images(good, 100, 28, 28);

    expect_error("train", "--data is required");
    expect_error("train --data /nonexistent/folder", "/nonexistent/folder");
    expect_error("train --bogus 3", "unknown option '--bogus'");
    expect_error("frobnicate", "unknown command 'frobnicate'");
    snprintf(args, sizeof args, "train --data %s --batch-size 0", good);
    expect_error(args, "--batch-size");
    snprintf(args, sizeof args, "train --data %s --batch-size -5", good);
    expect_error(args, "--batch-size");
    snprintf(args, sizeof args, "train --data %s --batch-size abc", good);
    expect_error(args, "--batch-size: expected an integer, got 'abc'");
    snprintf(args, sizeof args, "train --data %s --lr nan", good);
    expect_error(args, "--lr");
    snprintf(args, sizeof args, "train --data %s --lr -1", good);
    expect_error(args, "--lr");
    snprintf(args, sizeof args, "train --data %s --epochs 0", good);
    expect_error(args, "--epochs");
    snprintf(args, sizeof args, "train --data %s --threads -2", good);
    expect_error(args, "--threads");
    snprintf(args, sizeof args, "train --data %s --batch-size", good);
    expect_error(args, "--batch-size needs a value");
    snprintf(args, sizeof args, "train --data %s --model resnet9000", good);
    expect_error(args, "unknown model 'resnet9000'");

    /* wrong image size for the model */
    const char *small = test_tmp_path_kept("small-images-idx3-ubyte");
    write_images(small, 100, 10, 12);
    snprintf(args, sizeof args, "train --data %s --out %s", small, test_tmp_path("r_small"));
    expect_error(args, "10x12");

    /* fewer images than one batch */
    const char *few = test_tmp_path_kept("few-images-idx3-ubyte");
    write_images(few, 10, 28, 28);
    snprintf(args, sizeof args, "train --data %s --out %s", few, test_tmp_path("r_few"));
    expect_error(args, "fewer than the batch size");

    /* truncated and corrupt files name the file */
    size_t n;
    unsigned char *bytes = test_read_file(good, &n);
    const char *trunc = test_tmp_path_kept("trunc-images-idx3-ubyte");
    test_write_file(trunc, bytes, n - 100);
    snprintf(args, sizeof args, "train --data %s --out %s", trunc, test_tmp_path("r_trunc"));
    expect_error(args, trunc);
    bytes[3] = 1; /* idx1 magic */
    const char *magic = test_tmp_path_kept("magic-images-idx3-ubyte");
    test_write_file(magic, bytes, n);
    snprintf(args, sizeof args, "train --data %s --out %s", magic, test_tmp_path("r_magic"));
    expect_error(args, magic);
    free(bytes);

    /* an output folder that cannot be written */
    snprintf(args, sizeof args, "train --data %s --out /proc/gan_cannot_write --steps 1", good);
    expect_error(args, "/proc/gan_cannot_write");
    const char *file_as_dir = test_tmp_path_kept("plainfile");
    test_write_file(file_as_dir, "x", 1);
    snprintf(args, sizeof args, "train --data %s --out %s/sub --steps 1", good, file_as_dir);
    expect_error(args, file_as_dir);

    /* the training options name their flag */
    snprintf(args, sizeof args, "train --data %s --loss sideways", good);
    expect_error(args, "--loss: unknown loss 'sideways'");
    snprintf(args, sizeof args, "train --data %s --clip 0.1", good);
    expect_error(args, "--clip: applies only to --loss wasserstein");
    snprintf(args, sizeof args, "train --data %s --loss wgan --clip -1", good);
    expect_error(args, "--clip");
    snprintf(args, sizeof args, "train --data %s --d-steps 0", good);
    expect_error(args, "--d-steps");
    snprintf(args, sizeof args, "train --data %s --lr-g 3", good);
    expect_error(args, "--lr-g");
    snprintf(args, sizeof args, "train --data %s --lr-d 0x", good);
    expect_error(args, "--lr-d: expected a finite number");
    snprintf(args, sizeof args, "train --data %s --ema 1.5", good);
    expect_error(args, "--ema");
    snprintf(args, sizeof args, "train --data %s --label-smoothing 0.1 --loss hinge", good);
    expect_error(args, "--label-smoothing");
    snprintf(args, sizeof args, "train --data %s --d-steps 20 --batch-size 16 --out %s", good,
             test_tmp_path("r_dsteps"));
    expect_error(args, "--d-steps");

    /* conditional models: labels missing or out of range name the file */
    snprintf(args, sizeof args, "train --data %s --model cgan --out %s", good,
             test_tmp_path("r_nolabels"));
    expect_error(args, "no labels file");
    const char *lab_images = test_tmp_path_kept("lab-images-idx3-ubyte");
    const char *lab_labels = test_tmp_path_kept("lab-labels-idx1-ubyte");
    write_images(lab_images, 100, 28, 28);
    write_labels(lab_labels, 100, 12);
    snprintf(args, sizeof args, "train --data %s --model cdcgan --out %s", lab_images,
             test_tmp_path("r_badlabels"));
    expect_error(args, lab_labels);
    expect_error(args, "out of range");

    /* a run folder is not silently overwritten */
    const char *run = test_tmp_path_kept("run_once");
    char cmd[2048], out[4096];
    snprintf(cmd, sizeof cmd, "%s train --data %s --steps 2 --batch-size 16 --out %s --quiet",
             gan_cli(), good, run);
    CHECK_MSG(test_run(cmd, out, sizeof out) == 0, "tiny run failed: %s", out);
    snprintf(args, sizeof args, "train --data %s --steps 2 --batch-size 16 --out %s", good, run);
    expect_error(args, "already holds a run");

    /* resumed runs refuse contradicting training options; sampling flags
     * for classes need a conditional model, and a class of it */
    snprintf(args, sizeof args, "train --resume %s --loss hinge --steps 4", run);
    expect_error(args, "--loss hinge contradicts the checkpoint");
    snprintf(args, sizeof args, "train --resume %s --ema 0.999 --steps 4", run);
    expect_error(args, "--ema 0.999 contradicts");
    snprintf(args, sizeof args, "train --resume %s --d-steps 2 --steps 4", run);
    expect_error(args, "--d-steps 2 contradicts");
    snprintf(args, sizeof args, "train --resume %s --augment cutout --steps 4", run);
    expect_error(args, "--augment cutout contradicts the checkpoint");
    snprintf(args, sizeof args, "train --resume %s --mirror --steps 4", run);
    expect_error(args, "--mirror 1 contradicts the checkpoint");
    snprintf(args, sizeof args, "train --data %s --augment color,zoom", good);
    expect_error(args, "--augment: augmentation: 'zoom' is not one of: color, translation, "
                       "cutout or none");
    snprintf(args, sizeof args, "train --data %s --augment cutout,cutout", good);
    expect_error(args, "--augment: augmentation: 'cutout' is named twice");
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
    snprintf(args, sizeof args, "train --resume %s --augment none --steps 4", arun);
    expect_error(args, "--augment none contradicts the checkpoint");
    snprintf(args, sizeof args, "sample %s --class 3 --out %s", run, test_tmp_path("x.png"));
    expect_error(args, "--class: model 'mlp'");
    snprintf(args, sizeof args, "sample %s --class-grid --out %s", run, test_tmp_path("x.png"));
    expect_error(args, "--class-grid: model 'mlp'");
    snprintf(args, sizeof args, "sample %s --labels balanced --out %s", run,
             test_tmp_path("x-images-idx3-ubyte"));
    expect_error(args, "is unconditional");
    snprintf(args, sizeof args, "sample %s --labels sorted --out %s", run, test_tmp_path("x.png"));
    expect_error(args, "--labels: 'sorted'");
    snprintf(args, sizeof args, "sample %s --class 1 --labels uniform --out %s", run,
             test_tmp_path("x.png"));
    expect_error(args, "give one");
    snprintf(args, sizeof args, "interpolate %s --class 1 --out %s", run, test_tmp_path("w.gif"));
    expect_error(args, "--class: model 'mlp'");
    const char *crun = test_tmp_path_kept("run_cond");
    snprintf(cmd, sizeof cmd, "%s train --data %s --model cgan --steps 1 --batch-size 16 "
             "--out %s --quiet", gan_cli(), lab_images, crun);
    write_labels(lab_labels, 100, 10);
    CHECK_MSG(test_run(cmd, out, sizeof out) == 0, "tiny cgan run failed: %s", out);
    snprintf(args, sizeof args, "sample %s --class 10 --out %s", crun, test_tmp_path("x.png"));
    expect_error(args, "--class: 10 is out of range [0, 9]");
    snprintf(args, sizeof args, "sample %s --class -1 --out %s", crun, test_tmp_path("x.png"));
    expect_error(args, "--class: -1 is out of range");
    snprintf(args, sizeof args, "sample %s --labels uniform --out %s", crun,
             test_tmp_path("x.npy"));
    expect_error(args, "NAME-images-idx3-ubyte");
    snprintf(args, sizeof args, "sample %s --class-grid --n 5 --out %s", crun,
             test_tmp_path("x.png"));
    expect_error(args, "--n: --class-grid");

    /* help works and exits 0 */
    snprintf(cmd, sizeof cmd, "%s train --help", gan_cli());
    CHECK(test_run(cmd, out, sizeof out) == 0 && strstr(out, "--batch-size"));
    return test_report();
}
