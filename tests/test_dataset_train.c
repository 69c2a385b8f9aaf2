/*
 * test_dataset_train.c - training from a folder of images through the CLI.
 *
 * A tiny folder of 28 x 28 grey PNGs in three class subfolders (each class a
 * bar at its own place, plus noise) trains the conditional model cgan for a
 * few steps with the folder's labels: exit 0, one finite log line per step,
 * the samples written, and the folder's cache written (a second run reads
 * it). A folder of 64 x 64 RGB images cannot train a 28 x 28 spec file:
 * `gan train` must say so in one line and exit 1, not crash; the presets
 * follow the data (cdcgan at 3 x 32 x 32 with the three classes, `gan
 * inspect` shows it with the class names; `gan sample --class` takes a name
 * or an index; .npy samples are [N, 32, 32, 3]; --resume loads the data at the checkpoint's shape and refuses
 * another). With --resolution 28 --channels 1 the same RGB folder
 * trains the 28 x 28 preset. --strict on
 * a folder with a broken file is a one-line error, exit 1. A folder whose
 * own size a DCGAN cannot take is loaded at the nearest size it takes.
 */
#define _POSIX_C_SOURCE 200809L
#include "gan.h"
#include "io/png.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void make_folder(const char *root, int size, int channels, int per_class) {
    const char *classes[] = {"left", "middle", "right"};
    CHECK(mkdir(root, 0755) == 0);
    uint8_t *px = malloc((size_t)size * size * channels);
    uint32_t seed = 12345;
    for (int k = 0; k < 3; k++) {
        char dir[1200];
        snprintf(dir, sizeof dir, "%s/%s", root, classes[k]);
        CHECK(mkdir(dir, 0755) == 0);
        for (int i = 0; i < per_class; i++) {
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++) {
                    seed = seed * 1664525u + 1013904223u;
                    int bar = abs(x - (k + 1) * size / 4) < size / 10;
                    int v = (bar ? 220 : 20) + (int)(seed >> 28);
                    for (int c = 0; c < channels; c++)
                        px[((size_t)y * size + x) * channels + c] = (uint8_t)(c == 1 ? 255 - v : v);
                }
            char path[1300];
            snprintf(path, sizeof path, "%s/%03d.png", dir, i);
            CHECK_OK(gan_png_write(path, px, size, size, channels));
        }
    }
    free(px);
}

static int count_log_lines(const char *run) {
    char path[1200];
    snprintf(path, sizeof path, "%s/log.jsonl", run);
    size_t n = 0;
    char *log = test_read_file(path, &n);
    int lines = 0;
    for (char *p = log; p && (p = strstr(p, "\"loss_d\": ")); lines++) {
        double ld = NAN;
        CHECK(sscanf(p, "\"loss_d\": %lf", &ld) == 1 && isfinite(ld));
        p++;
    }
    free(log);
    return lines;
}

int main(void) {
    const char *cli = getenv("GAN_CLI");
    CHECK_MSG(cli != NULL, "GAN_CLI is not set");
    if (!cli) return test_report();
    char grey[1100], rgb[1100], run[1100], cmd[4096], out[8192];
    snprintf(grey, sizeof grey, "%s", test_tmp_path("grey_folder"));
    snprintf(rgb, sizeof rgb, "%s", test_tmp_path("rgb_folder"));
    make_folder(grey, 28, 1, 16);
    make_folder(rgb, 64, 3, 6);

    /* 1 x 28 x 28 folder with classes: cgan trains on the folder's labels */
    snprintf(run, sizeof run, "%s", test_tmp_path("run_cgan"));
    snprintf(cmd, sizeof cmd, "%s train --data %s --model cgan --steps 3 --log-every 1 --batch-size 16 "
             "--threads 1 --sample-rows 2 --out %s", cli, grey, run);
    int rc = test_run(cmd, out, sizeof out);
    CHECK_MSG(rc == 0, "cgan on a folder: exit %d: %s", rc, out);
    CHECK_MSG(strstr(out, "decoded 48 images to 1x28x28") && strstr(out, ".gan-cache/"), "%s", out);
    CHECK(count_log_lines(run) == 3);
    char path[1300];
    snprintf(path, sizeof path, "%s/samples.png", run);
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size > 0);
    /* the second run starts from the cache */
    rc = test_runf(out, sizeof out, "%s train --data %s --model cgan --steps 1 --batch-size 16 --threads 1 "
                   "--sample-rows 2 --out %s --overwrite", cli, grey, run);
    CHECK_MSG(rc == 0 && strstr(out, "read from the prepared cache"), "exit %d: %s", rc, out);

    /* 3 x 64 x 64 against a 1x28x28 spec file: a clear one-line error, exit 1 */
    snprintf(run, sizeof run, "%s", test_tmp_path("run_rgb"));
    rc = test_runf(out, sizeof out, "%s train --data %s --model %s/../../models/dcgan.gan --steps 1 "
                   "--threads 1 --quiet --out %s", cli, rgb, getenv("GAN_TEST_FIXTURES"), run);
    CHECK_MSG(rc == 1 && strstr(out, "3x64x64") && strstr(out, "1x28x28"), "exit %d: %s", rc, out);
    CHECK_MSG(strchr(out, '\n') == out + strlen(out) - 1, "not one line: %s", out);
    /* the presets follow the data: cdcgan at 3 x 32 x 32 with the folder's 3 classes */
    rc = test_runf(out, sizeof out, "%s train --data %s --model cdcgan --resolution 32 --init dcgan "
                   "--steps 2 --log-every 1 --batch-size 8 --threads 1 --sample-rows 3 --quiet --out %s",
                   cli, rgb, run);
    CHECK_MSG(rc == 0, "cdcgan on RGB 32 px: exit %d: %s", rc, out);
    CHECK(count_log_lines(run) == 2);
    rc = test_runf(out, sizeof out, "%s inspect %s", cli, run);
    CHECK_MSG(rc == 0 && strstr(out, "image 3 32 32") && strstr(out, "classes 3") &&
              strstr(out, "128x8x8") && strstr(out, "init dcgan"), "exit %d: %s", rc, out);
    /* the class names and the data's shape are kept in the checkpoint */
    CHECK_MSG(strstr(out, "0 left, 1 middle, 2 right") && strstr(out, "resolution 32"), "%s", out);
    char png[1300];
    snprintf(png, sizeof png, "%s/middle.png", run);
    rc = test_runf(out, sizeof out, "%s sample %s --class middle --n 2 --threads 1 --out %s", cli, run, png);
    CHECK_MSG(rc == 0 && strstr(out, "class 1 (middle)") && stat(png, &st) == 0, "exit %d: %s", rc, out);
    rc = test_runf(out, sizeof out, "%s sample %s --class 2 --n 2 --threads 1 --out %s", cli, run, png);
    CHECK_MSG(rc == 0 && strstr(out, "class 2 (right)"), "exit %d: %s", rc, out);
    /* colour samples as .npy [N, H, W, C] */
    char npy[1300];
    snprintf(npy, sizeof npy, "%s/two.npy", run);
    rc = test_runf(out, sizeof out, "%s sample %s --n 2 --threads 1 --out %s", cli, run, npy);
    size_t npy_len = 0;
    char *npy_bytes = rc == 0 ? test_read_file(npy, &npy_len) : NULL;
    CHECK_MSG(npy_bytes && npy_len == 128 + 2 * 32 * 32 * 3 &&
              strstr(npy_bytes + 10, "'shape': (2, 32, 32, 3)"), "exit %d: %s", rc, out);
    free(npy_bytes);
    rc = test_runf(out, sizeof out, "%s sample %s --class centre --n 2 --out %s", cli, run, png);
    CHECK_MSG(rc == 2 && strstr(out, "'centre' is not a class") && strstr(out, "left, middle, right"),
              "exit %d: %s", rc, out);
    rc = test_runf(out, sizeof out, "%s sample %s --class 3 --n 2 --out %s", cli, run, png);
    CHECK_MSG(rc == 2 && strstr(out, "out of range [0, 2]"), "exit %d: %s", rc, out);
    /* --resume loads the data at the run's shape; another shape contradicts it */
    rc = test_runf(out, sizeof out, "%s train --resume %s --resolution 16 --steps 3 --quiet", cli, run);
    CHECK_MSG(rc == 2 && strstr(out, "--resolution 16 contradicts") && strstr(out, "--resolution 32"),
              "exit %d: %s", rc, out);
    rc = test_runf(out, sizeof out, "%s train --resume %s --steps 3 --threads 1 --quiet", cli, run);
    CHECK_MSG(rc == 0, "resume at the run's shape: exit %d: %s", rc, out);
    CHECK(count_log_lines(run) == 3);
    /* ... which trains once shaped to 1 x 28 x 28 */
    rc = test_runf(out, sizeof out, "%s train --data %s --model cgan --resolution 28 --channels 1 --steps 2 "
                   "--log-every 1 --batch-size 8 --threads 1 --sample-rows 2 --quiet --out %s --overwrite", cli, rgb, run);
    CHECK_MSG(rc == 0, "shaped RGB folder: exit %d: %s", rc, out);
    CHECK(count_log_lines(run) == 2);

    /* --strict with a broken file: one line, exit 1; without it: a warning naming it */
    snprintf(path, sizeof path, "%s/left/broken.png", rgb);
    CHECK(test_write_file(path, "\x89PNG\r\n\x1a\n", 8) == 0);
    rc = test_runf(out, sizeof out, "%s train --data %s --model cgan --resolution 28 --channels 1 --steps 1 "
                   "--batch-size 8 --threads 1 --quiet --strict --out %s --overwrite", cli, rgb, run);
    CHECK_MSG(rc == 1 && strstr(out, "broken.png") && strstr(out, "strict"), "exit %d: %s", rc, out);
    rc = test_runf(out, sizeof out, "%s data info %s --resolution 28 --channels 1", cli, rgb);
    CHECK_MSG(rc == 0 && strstr(out, "warning: skipped 1 of 19 files") && strstr(out, "broken.png") &&
              strstr(out, "left:6 middle:6 right:6"), "exit %d: %s", rc, out);

    /* a folder of 36 x 36 images (not s x 2^k) and --model dcgan without --resolution: loaded
     * at the nearest size a DCGAN takes, 40 = 5 x 2^3, said; the checkpoint keeps it */
    char odd[1100];
    snprintf(odd, sizeof odd, "%s", test_tmp_path("odd_folder"));
    make_folder(odd, 36, 3, 4);
    snprintf(run, sizeof run, "%s", test_tmp_path("run_odd"));
    rc = test_runf(out, sizeof out, "%s train --data %s --model dcgan --steps 1 --batch-size 8 "
                   "--threads 1 --out %s", cli, odd, run);
    CHECK_MSG(rc == 0 && strstr(out, "cannot take 36 x 36 images; loading them at 40 x 40"),
              "dcgan on 36 px: exit %d: %s", rc, out);
    rc = test_runf(out, sizeof out, "%s inspect %s", cli, run);
    CHECK_MSG(rc == 0 && strstr(out, "3x40x40"), "inspect: %s", out);
    return test_report();
}
