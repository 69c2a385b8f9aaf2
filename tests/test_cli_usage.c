/*
 * test_cli_usage.c - the CLI as people use it (issue 17): one numbering
 * (epochs and steps from 1 in log.jsonl, grids and messages; `seconds`
 * continues across a resume), the schedule on --resume (--epochs after a
 * --steps run; the right words when there is nothing left to do), grids
 * enlarged by --upscale (default: at least 512 pixels wide), the EMA note
 * and `gan sample --no-ema`, `inspect` naming flatten and spectral norm and
 * sniffing files that are no checkpoint, `interpolate` refusing an output
 * name that is not .gif, `data info FILE` printing once, --eval-every on an
 * images file using its folder, and the caches of system datasets going to
 * the user's cache folder.
 */
#define _POSIX_C_SOURCE 200809L
#include "eval/eval_cache.h"
#include "gan.h"
#include "io/png.h"
#include "io/system_path.h"
#include "test_util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char tiny[] = "image 1 8 8\n"
                           "latent 8\n"
                           "generator\n"
                           "  dense 32\n"
                           "  leaky_relu 0.2\n"
                           "  dense 64\n"
                           "  tanh\n"
                           "  reshape 1 8 8\n"
                           "discriminator\n"
                           "  conv2d 4 kernel=3 stride=2 padding=1 spectral_norm=true\n"
                           "  leaky_relu 0.2\n"
                           "  flatten\n"
                           "  dense 1\n"
                           "train\n"
                           "  batch_size 16\n"
                           "  lr 1e-3\n";

static const char *cli, *dir, *model, *images;
static char out[65536];

#define run(...) test_runf(out, sizeof out, __VA_ARGS__)

/* The log's step lines: step, epoch and seconds of each (at most `cap`);
 * event lines (a resume's {"step", "event": "resume", ...}) are skipped. */
static int read_log(const char *run_dir, long long *step, long long *epoch, double *sec, int cap) {
    char path[1200];
    snprintf(path, sizeof path, "%s/log.jsonl", run_dir);
    char *text = test_read_file(path, NULL);
    int n = 0;
    for (char *p = text; p && *p && n < cap;) {
        char *s = strstr(p, "\"step\": "), *e = strstr(p, "\"epoch\": "),
             *t = strstr(p, "\"seconds\": "), *nl = strchr(p, '\n'), *ev = strstr(p, "\"event\"");
        if (nl && ev && ev < nl) {
            p = nl + 1;
            continue;
        }
        if (!s || !e || !t || !nl || t > nl) break;
        step[n] = atoll(s + 8), epoch[n] = atoll(e + 9), sec[n] = atof(t + 11);
        n++;
        p = nl + 1;
    }
    free(text);
    return n;
}

static void test_numbering_and_resume(void) {
    const char *r = test_tmp_path_kept("run");
    CHECK_MSG(run("%s train --data %s --model %s --steps 15 --log-every 5 --threads 1 --out %s",
                  cli, images, model, r) == 0, "%s", out);
    CHECK_MSG(strstr(out, "10 steps/epoch, 15 steps (1.50 epochs)"), "banner: %s", out);
    CHECK_MSG(strstr(out, "epoch 1/2 done"), "%s", out);
    CHECK_MSG(strstr(out, "step 15/15 done (epoch 2, 5 of its 10 steps)"), "%s", out);
    CHECK_MSG(!strstr(out, "epoch 2/2 done"), "a partial epoch called done: %s", out);
    long long step[32], epoch[32];
    double sec[32];
    int n = read_log(r, step, epoch, sec, 32);
    CHECK_MSG(n == 3 && step[0] == 5 && step[1] == 10 && step[2] == 15, "%d lines", n);
    for (int i = 0; i < n; i++)
        CHECK_MSG(epoch[i] == (step[i] - 1) / 10 + 1, "step %lld logged as epoch %lld", step[i],
                  epoch[i]);
    char path[1400];
    snprintf(path, sizeof path, "%s/samples/epoch_002.png", r);
    CHECK_MSG(access(path, F_OK) == 0, "no grid named after epoch 2");
    snprintf(path, sizeof path, "%s/samples/epoch_003.png", r);
    CHECK(access(path, F_OK) != 0);

    /* --epochs after a --steps run trains on to that epoch */
    CHECK_MSG(run("%s train --resume %s --epochs 3 --log-every 5 --threads 1", cli, r) == 0,
              "%s", out);
    CHECK_MSG(strstr(out, "resumed from") && strstr(out, "after step 15 (in epoch 2, step 5 of "
                                                         "10)"), "%s", out);
    CHECK_MSG(strstr(out, "3 epochs (30 steps)") && strstr(out, "epoch 3/3 done"), "%s", out);
    double before = n == 3 ? sec[2] : 0;
    n = read_log(r, step, epoch, sec, 32);
    CHECK_MSG(n == 6 && step[5] == 30 && epoch[5] == 3, "%d lines after the resume", n);
    for (int i = 1; i < n; i++)
        CHECK_MSG(sec[i] >= sec[i - 1], "seconds went back at step %lld: %g -> %g", step[i],
                  sec[i - 1], sec[i]);
    CHECK_MSG(n == 6 && sec[3] >= before, "the resumed clock restarted: %g after %g", sec[3],
              before);

    /* nothing left to do: said in the flags' words */
    CHECK(run("%s train --resume %s --threads 1", cli, r) == 2);
    CHECK_MSG(strstr(out, "the run is complete (step 30, epoch 3 done); pass --epochs N or "
                          "--steps N"), "%s", out);
    CHECK(run("%s train --resume %s --epochs 2 --threads 1", cli, r) == 2);
    CHECK_MSG(strstr(out, "already at step 30 (epoch 3 done) and --epochs 2 ends at step 20"),
              "%s", out);
    /* --steps alone may go past the recorded epochs */
    CHECK_MSG(run("%s train --resume %s --steps 35 --quiet --threads 1", cli, r) == 0, "%s", out);
    n = read_log(r, step, epoch, sec, 32);
    CHECK(n >= 1 && step[n - 1] == 35 && epoch[n - 1] == 4);

    /* inspect: flatten, spectral norm, the state counted from 1 */
    CHECK(run("%s inspect %s", cli, r) == 0);
    CHECK_MSG(strstr(out, " flatten ") && !strstr(out, "reshape 16") &&
              strstr(out, "conv2d+sn") && strstr(out, "spectral normalization") &&
              strstr(out, "training state: step 35, in epoch 4 (step 5 of 10)"), "%s", out);
}

/* A PNG's size, and its pixels (freed by the caller). */
static uint8_t *png(const char *path, int *w, int *h) {
    uint8_t *px = NULL;
    int c = 0;
    *w = *h = 0;
    CHECK_OK(gan_png_read(path, &px, w, h, &c));
    return px;
}

static void test_grids_and_ema(void) {
    const char *r = test_tmp_path_kept("ema");
    CHECK_MSG(run("%s train --data %s --model %s --steps 10 --ema 0.99 --ema-warmup off "
                  "--threads 1 --out %s", cli, images, model, r) == 0, "%s", out);
    CHECK_MSG(strstr(out, "note: the sample grids show the --ema 0.99 average") &&
              strstr(out, "still holds 90% of the initial") &&
              strstr(out, "below 10% at step 230 (step 2 with --ema-warmup on") &&
              strstr(out, "--no-ema"), "%s", out);
    /* with the warm-up (the default) the average holds 0.006% of them after 10 steps: no note */
    const char *rw = test_tmp_path_kept("ema_warm");
    CHECK_MSG(run("%s train --data %s --model %s --steps 10 --ema 0.99 --threads 1 --out %s", cli,
                  images, model, rw) == 0, "%s", out);
    CHECK_MSG(!strstr(out, "note: the sample grids"), "%s", out);
    char path[1400], a[1400], b[1400];
    int w, h, w2, h2;
    snprintf(path, sizeof path, "%s/samples.png", r);
    free(png(path, &w, &h));
    int k = gan_grid_auto_scale(8 * 10 + 2);
    CHECK_MSG(w == 82 * k && w >= GAN_GRID_MIN_WIDTH && w < GAN_GRID_MIN_WIDTH + 82,
              "grid of %d pixels", w);
    /* --upscale K: each pixel K x K */
    snprintf(a, sizeof a, "%s/a.png", dir);
    snprintf(b, sizeof b, "%s/b.png", dir);
    CHECK(run("%s sample %s --n 4 --upscale 1 --out %s", cli, r, a) == 0);
    CHECK(run("%s sample %s --n 4 --upscale 3 --out %s", cli, r, b) == 0);
    uint8_t *pa = png(a, &w, &h), *pb = png(b, &w2, &h2);
    CHECK(w == 22 && h == 22 && w2 == 66 && h2 == 66);
    int bad = 0;
    for (int y = 0; pa && pb && w2 == 3 * w && y < h2; y++)
        for (int x = 0; x < w2; x++) bad += pb[y * w2 + x] != pa[(y / 3) * w + x / 3];
    CHECK_MSG(bad == 0, "%d pixels are not their source pixel", bad);
    free(pa), free(pb);
    CHECK(run("%s sample %s --n 4 --upscale 17 --out %s", cli, r, b) == 2);
    /* --no-ema: the trained generator, not the average */
    CHECK(run("%s sample %s --n 4 --upscale 1 --no-ema --out %s", cli, r, b) == 0);
    CHECK_MSG(!test_same_file(a, b), "--no-ema gave the EMA's images");
    gan_generator *g = NULL;
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", r);
    CHECK_OK(gan_generator_load_trained(path, GAN_DEVICE_CPU, &g));
    CHECK(g && !gan_generator_uses_ema(g));
    gan_generator_free(g);
}

static void test_refusals(void) {
    const char *r = test_tmp_path_kept("run");
    /* interpolate writes GIF only */
    CHECK(run("%s interpolate %s --out %s/walk.png", cli, r, dir) == 2);
    CHECK_MSG(strstr(out, "--out") && strstr(out, "animated GIF, not .png"), "%s", out);
    char gif[1400];
    snprintf(gif, sizeof gif, "%s/walk.gif", dir);
    CHECK(run("%s interpolate %s --out %s --points 2 --steps 2 --grid 1", cli, r, gif) == 0);
    char *g = test_read_file(gif, NULL);
    CHECK(g && memcmp(g, "GIF89a", 6) == 0);
    free(g);
    /* inspect names what a file is when it is not a checkpoint */
    const char *npy = test_tmp_path_kept("x.npy");
    static const char head[] = "\x93NUMPY\x01\x00v\x00{'descr': '|u1', 'fortran_order': False, "
                               "'shape': (2,), }";
    CHECK(test_write_file(npy, head, sizeof head - 1) == 0);
    CHECK(run("%s inspect %s", cli, npy) == 1);
    CHECK_MSG(strstr(out, "x.npy: not a checkpoint (it is a .npy array)"), "%s", out);
    CHECK(run("%s sample %s --out %s/x.png", cli, images, dir) == 1);
    CHECK_MSG(strstr(out, "not a checkpoint (it is an IDX file)"), "%s", out);
    /* data info of a file: one line */
    CHECK(run("%s data info %s 2>/dev/null", cli, images) == 0);
    char *nl = strchr(out, '\n');
    CHECK_MSG(nl && nl[1] == 0 && strstr(out, "160 images"), "%s", out);
    /* --eval-every with an images file (no test split beside it, no labels)
     * holds out a sixth and uses random-weight features, saying so */
    CHECK(run("%s train --data %s --model %s --steps 2 --eval-every 1 --threads 1 --out %s/ev",
              cli, images, model, dir) == 0);
    CHECK_MSG(strstr(out, "has no test split: 26 of its 160 images") && strstr(out, "no labels") &&
                  strstr(out, "eval after epoch 1: FID"), "%s", out);
}

static void test_system_caches(void) {
    const char *link = test_tmp_path_kept("sys");
    CHECK(symlink("/usr/share", link) == 0);
    CHECK(gan_is_system_path("/usr/share") && gan_is_system_path("/usr") && gan_is_system_path(link));
    CHECK(!gan_is_system_path(dir) && !gan_is_system_path("/"));
    /* data/fashion: a link to Debian's /usr/share/datasets (scripts/setup.sh) */
    char fashion[1200];
    const char *data = getenv("GAN_DATA_DIR");
    snprintf(fashion, sizeof fashion, "%s/fashion", data ? data : "data");
    if (!gan_is_system_path(fashion)) return;
    setenv("XDG_CACHE_HOME", dir, 1);
    unsetenv("GAN_EVAL_CACHE");
    char where[1200], want[1200];
    bool fallback = false;
    CHECK_OK(gan_eval_cache_dir(fashion, NULL, where, sizeof where, &fallback));
    snprintf(want, sizeof want, "%s/gan/eval-", dir);
    CHECK_MSG(fallback && strncmp(where, want, strlen(want)) == 0, "cache of %s in %s", fashion,
              where);
}

int main(void) {
    cli = getenv("GAN_CLI") ? getenv("GAN_CLI") : "./gan";
    dir = test_tmpdir();
    images = test_write_images("tiny-images-idx3-ubyte", 160, 8); /* 10 steps per epoch */
    CHECK(images != NULL);
    model = test_tmp_path_kept("tiny.gan");
    CHECK(test_write_file(model, tiny, sizeof tiny - 1) == 0);
    test_numbering_and_resume();
    test_grids_and_ema();
    test_refusals();
    test_system_caches();
    return test_report();
}
