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

/* Run `gan ARGS`; expect exit status in [1, 2] and `needle` in the output,
 * which must be exactly one line starting with "gan: error: ". */
static void expect_error(const char *args, const char *needle) {
    char cmd[2048], out[4096];
    snprintf(cmd, sizeof cmd, "%s %s", gan_cli(), args);
    int rc = test_run(cmd, out, sizeof out);
    CHECK_MSG(rc == 1 || rc == 2, "'%s' exited %d (expected 1 or 2): %s", args, rc, out);
    CHECK_MSG(strstr(out, needle) != NULL, "'%s': output lacks '%s': %s", args, needle, out);
    CHECK_MSG(strncmp(out, "gan: error: ", 12) == 0, "'%s': not an error line: %s", args, out);
    char *nl = strchr(out, '\n');
    CHECK_MSG(nl && nl[1] == 0, "'%s': error is not exactly one line: %s", args, out);
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

    /* a run folder is not silently overwritten */
    const char *run = test_tmp_path_kept("run_once");
    char cmd[2048], out[4096];
    snprintf(cmd, sizeof cmd, "%s train --data %s --steps 2 --batch-size 16 --out %s --quiet",
             gan_cli(), good, run);
    CHECK_MSG(test_run(cmd, out, sizeof out) == 0, "tiny run failed: %s", out);
    snprintf(args, sizeof args, "train --data %s --steps 2 --batch-size 16 --out %s", good, run);
    expect_error(args, "already holds a run");

    /* help works and exits 0 */
    snprintf(cmd, sizeof cmd, "%s train --help", gan_cli());
    CHECK(test_run(cmd, out, sizeof out) == 0 && strstr(out, "--batch-size"));
    return test_report();
}
