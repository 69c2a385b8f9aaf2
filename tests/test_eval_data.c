/*
 * test_eval_data.c - `gan eval` and `gan train --eval-every` on datasets
 * other than IDX folders, made here as small folders of PNG files and
 * .npy arrays (16 x 16 and 24 x 24 RGB: coloured discs of two kinds):
 *   - a folder with class subfolders and no test split: a sixth of each
 *     class is held out (20 of 120), a classifier is trained on the rest
 *     and cached (a second run trains nothing), the class metrics are there
 *     and images like the data score a far lower FID than noise;
 *   - a flat folder and an .npy array without labels: "labeled": false,
 *     no Inception Score or histogram, the table says why, and the random
 *     features still tell data-like images from noise; the same array with
 *     a labels file beside it is labeled;
 *   - shape: samples smaller than the data are refused with the flags that
 *     would load it at theirs, which work; a --resolution that disagrees
 *     with them is refused;
 *   - a CIFAR-10 folder (two classes of discs at 32 x 32) keeps its own test
 *     split, also when evaluated at --resolution 16; a prepared pack of the
 *     labeled folder (gan data prepare) is evaluated like the folder;
 *   - gan train --eval-every on a folder resized to 16 x 16 logs FID from
 *     the data as loaded (held-out sixth), and gan eval of best.safetensors
 *     loads the data at the run's recorded shape and gives the same FID.
 */
#define _POSIX_C_SOURCE 200809L
#include "io/npy.h"
#include "io/png.h"
#include "mini_json.h"
#include "rng.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char cache[700];

/* Image (side x side x 3, interleaved) of kind k: a red disc on the left
 * (k = 0) or a blue disc on the right (k = 1), jittered, on faint noise. */
static void disc(uint8_t *img, int side, int k, uint64_t stream) {
    float u[3 + 32 * 32 * 3];
    gan_rng_uniform(9, stream, u, 3 + (size_t)side * side * 3);
    float cx = side * (k ? 0.7f : 0.3f) + 2.0f * (u[0] - 0.5f);
    float cy = side * 0.5f + 2.0f * (u[1] - 0.5f), r = side * 0.2f;
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            for (int c = 0; c < 3; c++) {
                bool in = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
                float v = 40.0f * u[3 + (y * side + x) * 3 + c];
                if (in && c == (k ? 2 : 0)) v = 160.0f + 90.0f * u[2];
                img[(y * side + x) * 3 + c] = (uint8_t)v;
            }
}

/* n PNG files of kind i % 2 (or `kind` when >= 0) into dir. */
static void write_pngs(const char *dir, int n, int side, int kind, uint64_t base) {
    mkdir(dir, 0755);
    uint8_t img[24 * 24 * 3];
    for (int i = 0; i < n; i++) {
        char path[700];
        snprintf(path, sizeof path, "%s/img%03d.png", dir, i);
        disc(img, side, kind >= 0 ? kind : i % 2, base + (uint64_t)i);
        CHECK_OK(gan_png_write(path, img, side, side, 3));
    }
}

/* n images (n, side, side, 3) as .npy `path`: discs, or uniform noise. */
static void write_npy(const char *path, int n, int side, bool noise, uint64_t base) {
    size_t per = (size_t)side * side * 3;
    uint8_t *img = malloc((size_t)n * per);
    for (int i = 0; i < n; i++) {
        if (!noise) {
            disc(img + i * per, side, i % 2, base + (uint64_t)i);
            continue;
        }
        float u[24 * 24 * 3];
        gan_rng_uniform(11, base + (uint64_t)i, u, per);
        for (size_t j = 0; j < per; j++) img[i * per + j] = (uint8_t)(255.0f * u[j]);
    }
    int64_t shape[4] = {n, side, side, 3};
    CHECK_OK(gan_npy_write(path, GAN_NPY_U8, 4, shape, img));
    free(img);
}

/* `gan eval --json` of `samples` against `data`: exit status 0, valid JSON
 * (stdout) into js; stderr into err. */
static bool eval_json(const char *data, const char *samples, const char *extra, char *js,
                      size_t cap, char *err, size_t ecap) {
    const char *errf = test_tmp_path("eval.err");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s eval --data %s --cache %s --json --threads 2 %s %s 2>%s",
             test_gan_cli(), data, cache, extra, samples, errf);
    FILE *p = popen(cmd, "r");
    size_t len = p ? fread(js, 1, cap - 1, p) : 0;
    js[len] = 0;
    int rc = p ? pclose(p) : -1;
    size_t n = 0;
    char *e = test_read_file(errf, &n);
    snprintf(err, ecap, "%.*s", e ? (int)n : 0, e ? e : "");
    free(e);
    CHECK_MSG(rc == 0, "%s -> %d: %s %s", cmd, rc, js, err);
    bool ok = mini_json_valid(js);
    CHECK_MSG(ok, "not valid JSON: %s", js);
    return rc == 0 && ok;
}

static double num(const char *js, const char *path) {
    int kind;
    double v = NAN;
    mini_json_get(js, path, &kind, &v);
    CHECK_MSG(kind == MINI_JSON_NUMBER, "%s: not a number in %s", path, js);
    return kind == MINI_JSON_NUMBER ? v : NAN;
}

static int kind_of(const char *js, const char *path) {
    int kind = -1;
    mini_json_get(js, path, &kind, NULL);
    return kind;
}

static bool has(const char *js, const char *text) { return strstr(js, text) != NULL; }

static char js[65536], err[16384];

static void check_labeled_folder(const char *like, const char *noise) {
    const char *dir = test_tmp_path_kept("classes");
    char sub[600];
    mkdir(dir, 0755);
    snprintf(sub, sizeof sub, "%s/red", dir);
    write_pngs(sub, 60, 16, 0, 0);
    snprintf(sub, sizeof sub, "%s/blue", dir);
    write_pngs(sub, 60, 16, 1, 100);
    double fid_like = NAN;
    if (eval_json(dir, like, "--no-floor --classifier-epochs 3", js, sizeof js, err, sizeof err)) {
        CHECK_MSG(has(js, "\"labeled\": true") && has(js, "\"test_split\": \"held-out sixth\""),
                  "labeled folder: %s", js);
        CHECK(num(js, "data.test_count") == 20 && num(js, "data.train_count") == 100);
        CHECK(num(js, "classifier.classes") == 2);
        CHECK_MSG(num(js, "classifier.test_accuracy") >= 0.9, "accuracy %g",
                  num(js, "classifier.test_accuracy"));
        CHECK(isfinite(num(js, "metrics.inception_score")) && num(js, "metrics.mode_coverage") == 1);
        CHECK_MSG(has(err, "held out") && has(err, "of each class"), "notes: %s", err);
        fid_like = num(js, "metrics.fid");
    }
    /* the cache: nothing trained again, the same numbers */
    if (eval_json(dir, like, "--no-floor", js, sizeof js, err, sizeof err)) {
        CHECK_MSG(!has(err, "training"), "second run trained again: %s", err);
        CHECK(num(js, "metrics.fid") == fid_like);
    }
    if (eval_json(dir, noise, "--no-floor", js, sizeof js, err, sizeof err))
        CHECK_MSG(num(js, "metrics.fid") > 5.0 * fid_like, "noise FID %g, data-like %g",
                  num(js, "metrics.fid"), fid_like);

    /* gan classifier train --out on the same folder: the same held-out sixth */
    char out[16384], file[700];
    snprintf(file, sizeof file, "%s", test_tmp_path_kept("folder-classifier.safetensors"));
    int rc = test_runf(out, sizeof out, "%s classifier train --data %s --out %s --epochs 3 --quiet",
                       test_gan_cli(), dir, file);
    CHECK_MSG(rc == 0 && has(out, "(20 images)"), "classifier train --out on a folder: rc %d: %s",
              rc, out);
    rc = test_runf(out, sizeof out, "%s classifier info %s", test_gan_cli(), file);
    CHECK_MSG(rc == 0 && has(out, "classes"), "classifier info: rc %d: %s", rc, out);
}

static void check_unlabeled(const char *like, const char *noise) {
    const char *flat = test_tmp_path_kept("flat");
    write_pngs(flat, 120, 16, -1, 300);
    double fid_like = NAN;
    if (eval_json(flat, like, "", js, sizeof js, err, sizeof err)) {
        CHECK_MSG(has(js, "\"labeled\": false"), "flat folder: %s", js);
        CHECK(kind_of(js, "metrics.inception_score") == MINI_JSON_NULL);
        CHECK(kind_of(js, "metrics.mode_coverage") == MINI_JSON_NULL);
        CHECK(has(js, "\"class_histogram\": []"));
        CHECK(num(js, "data.test_count") == 20 && isfinite(num(js, "floor.fid")));
        CHECK_MSG(has(err, "no labels") && has(err, "random weights"), "notes: %s", err);
        fid_like = num(js, "metrics.fid");
    }
    if (eval_json(flat, noise, "--no-floor", js, sizeof js, err, sizeof err))
        CHECK_MSG(num(js, "metrics.fid") > 5.0 * fid_like, "random features: noise FID %g, "
                  "data-like %g", num(js, "metrics.fid"), fid_like);
    char out[16384];
    int rc = test_runf(out, sizeof out, "%s eval --data %s --cache %s --no-floor --quiet %s",
                       test_gan_cli(), flat, cache, like);
    CHECK_MSG(rc == 0 && has(out, "no labels") && !has(out, "\n  Inception Score"), "table: %s", out);
    rc = test_runf(out, sizeof out, "%s classifier train --data %s --out %s/c.safetensors --quiet",
                   test_gan_cli(), flat, flat);
    CHECK_MSG(rc == 1 && has(out, "no labels of two or more classes"),
              "classifier train on unlabeled data: rc %d: %s", rc, out);

    /* an .npy array: unlabeled, then labeled by a labels file beside it */
    char dir[600], path[700], lab[700];
    snprintf(dir, sizeof dir, "%s", test_tmp_path_kept("npy"));
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/data.npy", dir);
    write_npy(path, 120, 16, false, 500);
    if (eval_json(path, like, "--no-floor", js, sizeof js, err, sizeof err))
        CHECK_MSG(has(js, "\"labeled\": false") && num(js, "data.test_count") == 20, "npy: %s", js);
    uint8_t labels[120];
    for (int i = 0; i < 120; i++) labels[i] = (uint8_t)(i % 2);
    int64_t n = 120;
    snprintf(lab, sizeof lab, "%s/data_labels.npy", dir);
    CHECK_OK(gan_npy_write(lab, GAN_NPY_U8, 1, &n, labels));
    if (eval_json(path, like, "--no-floor --classifier-epochs 3", js, sizeof js, err, sizeof err))
        CHECK_MSG(has(js, "\"labeled\": true") && num(js, "classifier.classes") == 2 &&
                      isfinite(num(js, "metrics.inception_score")),
                  "labeled npy: %s", js);
}

static void check_shape(const char *like) {
    const char *big = test_tmp_path_kept("big");
    write_pngs(big, 120, 24, -1, 700);
    /* 16 x 16 samples: the data is loaded at their shape when asked */
    char args[2048];
    snprintf(args, sizeof args, "eval --data %s --cache %s --quiet %s", big, cache, like);
    test_expect_cli_error(test_gan_cli(), args, "holds 24x24 with 3 channels (--resolution 16 "
                          "--channels 3 loads it at theirs)");
    if (eval_json(big, like, "--no-floor --resolution 16", js, sizeof js, err, sizeof err))
        CHECK(has(js, "\"image_shape\": [3, 16, 16]"));
    snprintf(args, sizeof args, "eval --data %s --cache %s --resolution 20 --quiet %s", big,
             cache, like);
    test_expect_cli_error(test_gan_cli(), args, "20x20");

    /* train at 16 x 16 with --eval-every, then evaluate the run */
    const char *run = test_tmp_path_kept("run");
    char out[16384];
    int rc = test_runf(out, sizeof out, "%s train --data %s --resolution 16 --epochs 2 "
                       "--eval-every 1 --eval-n 500 --eval-cache %s --out %s --quiet --threads 2",
                       test_gan_cli(), big, cache, run);
    CHECK_MSG(rc == 0, "train --eval-every on a folder -> %d: %s", rc, out);
    char path[700], line[4096];
    snprintf(path, sizeof path, "%s/log.jsonl", run);
    FILE *f = fopen(path, "r");
    int evals = 0;
    double best = INFINITY;
    while (f && fgets(line, sizeof line, f)) {
        if (!has(line, "eval_fid")) continue;
        evals++;
        double fid = num(line, "eval_fid");
        if (fid < best) best = fid;
    }
    if (f) fclose(f);
    CHECK_MSG(evals == 2 && isfinite(best), "%d eval lines, best FID %g", evals, best);
    snprintf(path, sizeof path, "%s/best.safetensors", run);
    if (eval_json(big, path, "--n 500 --seed 1 --no-floor", js, sizeof js, err, sizeof err)) {
        CHECK_MSG(has(js, "\"image_shape\": [3, 16, 16]"), "the run's shape: %s", js);
        CHECK_MSG(fabs(num(js, "metrics.fid") - best) < 1e-4 * best + 1e-6,
                  "eval of best: FID %.6f, log %.6f", num(js, "metrics.fid"), best);
        CHECK(has(js, "\"labeled\": false") && num(js, "data.test_count") == 20);
    }
}

/* CIFAR-10 batches of discs (record: label, then R, G and B planes of 32 x 32). */
static void write_cifar(const char *path, int n, uint64_t base) {
    uint8_t img[32 * 32 * 3], *rec = malloc((size_t)n * 3073);
    for (int i = 0; i < n; i++) {
        disc(img, 32, i % 2, base + (uint64_t)i);
        rec[(size_t)i * 3073] = (uint8_t)(i % 2);
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < 32 * 32; p++) rec[(size_t)i * 3073 + 1 + c * 1024 + p] = img[p * 3 + c];
    }
    CHECK(test_write_file(path, rec, (size_t)n * 3073) == 0);
    free(rec);
}

static void check_cifar_and_pack(const char *like) {
    const char *dir = test_tmp_path_kept("cifar");
    char path[700];
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/data_batch_1.bin", dir);
    write_cifar(path, 100, 900);
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    write_cifar(path, 30, 990);
    if (eval_json(dir, like, "--no-floor --resolution 16 --classifier-epochs 3", js, sizeof js,
                  err, sizeof err))
        CHECK_MSG(has(js, "\"labeled\": true") && has(js, "\"test_split\": \"own\"") &&
                      num(js, "data.test_count") == 30 && num(js, "data.train_count") == 100 &&
                      has(js, "\"image_shape\": [3, 16, 16]") && !has(err, "held out"),
                  "cifar: %s %s", js, err);
    /* a prepared pack of the labeled folder */
    const char *pack = test_tmp_path_kept("classes.ganpack");
    char out[16384];
    int rc = test_runf(out, sizeof out, "%s data prepare %s/classes --out %s 2>&1",
                       test_gan_cli(), test_tmpdir(), pack);
    CHECK_MSG(rc == 0, "data prepare -> %d: %s", rc, out);
    if (eval_json(pack, like, "--no-floor --classifier-epochs 3", js, sizeof js, err, sizeof err))
        CHECK_MSG(has(js, "\"labeled\": true") && num(js, "data.test_count") == 20 &&
                      num(js, "classifier.classes") == 2, "pack: %s", js);
}

int main(void) {
    char like[700], noise[700];
    snprintf(like, sizeof like, "%s", test_tmp_path_kept("like.npy"));
    snprintf(noise, sizeof noise, "%s", test_tmp_path_kept("noise.npy"));
    write_npy(like, 500, 16, false, 10000);
    write_npy(noise, 500, 16, true, 20000);
    /* each part gets its own cache folder */
    snprintf(cache, sizeof cache, "%s", test_tmp_path_kept("cache1"));
    check_labeled_folder(like, noise);
    snprintf(cache, sizeof cache, "%s", test_tmp_path_kept("cache2"));
    check_unlabeled(like, noise);
    snprintf(cache, sizeof cache, "%s", test_tmp_path_kept("cache3"));
    check_shape(like);
    snprintf(cache, sizeof cache, "%s", test_tmp_path_kept("cache4"));
    check_cifar_and_pack(like);
    return test_report();
}
