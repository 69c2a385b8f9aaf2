/*
 * test_fifo_inputs.c - readers of outside data never block on a FIFO or a
 * device: each refuses it at once with one line naming the file
 * (src/io/open_file.c). A reader that blocked would hang here; alarm() turns
 * that into a failure instead of a test that never ends.
 */
#define _POSIX_C_SOURCE 200809L
#include "data/idx.h"
#include "io/image_folder.h"
#include "io/npy.h"
#include "io/png.h"
#include "io/safetensors.h"
#include "spec/spec.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void check_refused(gan_status s, const char *path, const char *what) {
    CHECK_MSG(s == GAN_ERR_IO, "%s: status %d", path, (int)s);
    CHECK_MSG(strstr(gan_last_error(), path) && strstr(gan_last_error(), what), "message: %s",
              gan_last_error());
}

int main(void) {
    alarm(120); /* a blocked open() would otherwise hang for ever */
    const char *fifo = test_tmp_path_kept("train-images-idx3-ubyte");
    CHECK(mkfifo(fifo, 0644) == 0);

    gan_idx idx;
    check_refused(gan_idx_read(fifo, &idx), fifo, "is a FIFO");
    gan_dataset *d = NULL;
    check_refused(gan_dataset_load(fifo, GAN_SPLIT_TRAIN, &d), fifo, "is a FIFO");
    gan_st_file *st = NULL;
    check_refused(gan_st_open(fifo, &st), fifo, "is a FIFO");
    gan_npy npy;
    check_refused(gan_npy_read(fifo, &npy), fifo, "is a FIFO");
    uint8_t *px = NULL;
    int w, h, c;
    check_refused(gan_png_read(fifo, &px, &w, &h, &c), fifo, "is a FIFO");
    gan_spec *spec = NULL;
    check_refused(gan_spec_load_file(fifo, &spec), fifo, "is a FIFO");
    gan_generator *g = NULL;
    check_refused(gan_generator_load(fifo, &g), fifo, "is a FIFO");

    /* a device */
    check_refused(gan_st_open("/dev/zero", &st), "/dev/zero", "is a character device");
    check_refused(gan_idx_read("/dev/zero", &idx), "/dev/zero", "is a character device");

    /* a dataset folder whose images file is a FIFO */
    const char *dir = test_tmp_path_kept("fifo_data");
    char path[1024];
    CHECK(mkdir(dir, 0755) == 0);
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte", dir);
    CHECK(mkfifo(path, 0644) == 0);
    check_refused(gan_dataset_load(dir, GAN_SPLIT_TRAIN, &d), path, "is a FIFO");

    /* the CLI: `gan train --data FIFO` ends at once with one line */
    const char *cli = getenv("GAN_CLI");
    if (cli) {
        char cmd[2048], out[4096];
        snprintf(cmd, sizeof cmd, "%s train --data %s --out %s --steps 1", cli, fifo,
                 test_tmp_path_kept("run"));
        int rc = test_run(cmd, out, sizeof out);
        CHECK_MSG(rc != 0 && strstr(out, "is a FIFO, not a regular file"), "rc %d: %s", rc, out);
        CHECK_MSG(strchr(out, '\n') == out + strlen(out) - 1, "more than one line: %s", out);
    }
    return test_report();
}
