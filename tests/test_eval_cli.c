/*
 * test_eval_cli.c - `gan classifier`, `gan eval` and `gan train
 * --eval-every` end to end on a tiny synthetic dataset (10 classes of
 * blobs at different places, 1,000 training and 600 test images), with a
 * classifier trained in the test (2 epochs, a few seconds):
 *   - the classifier learns the blobs (test accuracy >= 90%) and is cached;
 *     its weights are the same at 1 and 2 threads;
 *   - the test split measured against itself: FID ~ 0, precision = recall
 *     = coverage = 1; the same images as float32 in [-1, 1], as an IDX file
 *     and as a PNG folder give the same numbers; one image repeated: recall
 *     and coverage near 0, one mode; uniform noise: FID far above the floor
 *     (real training images);
 *   - the JSON output is one valid object (strict parser, mini_json.h)
 *     holding the documented fields; the table names the metrics;
 *   - bad input is refused with one clear line: wrong image size, empty
 *     file, NaN pixels, floats outside [-1, 1], too few images, an unknown
 *     format, no --data;
 *   - a touched dataset file makes the cache stale (retrained, said so);
 *   - gan train --eval-every logs FID and coverage, keeps best.safetensors,
 *     and gan eval of that checkpoint gives the FID the log recorded.
 */
#define _POSIX_C_SOURCE 200809L
#include "data/idx.h"
#include "eval/classifier.h"
#include "io/image_folder.h"
#include "io/npy.h"
#include "mini_json.h"
#include "rng.h"
#include "test_util.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define N_TRAIN 1000
#define N_TEST 600
#define S 28

static char ds[512], cache[512];
static uint8_t *test_images; /* (N_TEST, S, S) */

static const char *gan_cli(void) {
    const char *p = getenv("GAN_CLI");
    return p ? p : "./gan";
}

/* Image i of class k: a bright disc of radius 2.5 at one of 10 places
 * (jittered by a pixel), on faint noise. */
static void blob(uint8_t *img, int k, uint64_t stream) {
    float u[4 + S * S];
    gan_rng_uniform(5, stream, u, 4 + S * S);
    float cx = 4.0f + 5.0f * (k % 5) + (u[0] < 0.33f ? -1.0f : u[0] < 0.66f ? 0.0f : 1.0f);
    float cy = 8.0f + 12.0f * (k / 5) + (u[1] < 0.33f ? -1.0f : u[1] < 0.66f ? 0.0f : 1.0f);
    float bright = 150.0f + 100.0f * u[2];
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            float d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            float v = d2 <= 6.25f ? bright : 30.0f * u[4 + y * S + x];
            img[y * S + x] = (uint8_t)v;
        }
}

/* The training split is stored class by class (as the digits are), the
 * test split interleaved. */
static void write_split(const char *prefix, int n, uint64_t base, bool by_class, uint8_t **keep) {
    uint8_t *img = malloc((size_t)n * S * S), *lab = malloc((size_t)n);
    for (int i = 0; i < n; i++) {
        lab[i] = (uint8_t)(by_class ? i * 10 / n : i % 10);
        blob(img + (size_t)i * S * S, lab[i], base + (uint64_t)i);
    }
    char path[600];
    int64_t dims[3] = {n, S, S};
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte", ds, prefix);
    CHECK_OK(gan_idx_write(path, img, 3, dims, false));
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte", ds, prefix);
    CHECK_OK(gan_idx_write(path, lab, 1, dims, false));
    free(lab);
    if (keep) *keep = img;
    else free(img);
}

/* Run `gan ARGS`; returns the exit code, output (stdout + stderr) in out. */
static int gan(const char *args, char *out, size_t cap) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s", gan_cli(), args);
    return test_run(cmd, out, cap);
}

/* `gan eval --json` of `file`: the JSON text (stdout only) into out. */
static bool eval_json(const char *file, const char *extra, char *out, size_t cap) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s eval --data %s --cache %s --quiet --json %s %s 2>/dev/null",
             gan_cli(), ds, cache, extra, file);
    FILE *p = popen(cmd, "r");
    size_t len = p ? fread(out, 1, cap - 1, p) : 0;
    out[len] = 0;
    int rc = p ? pclose(p) : -1;
    CHECK_MSG(rc == 0, "%s -> %d: %s", cmd, rc, out);
    bool ok = mini_json_valid(out);
    CHECK_MSG(ok, "not valid JSON: %s", out);
    return rc == 0 && ok;
}

static double get(const char *json, const char *path) {
    int kind;
    double v;
    mini_json_get(json, path, &kind, &v);
    CHECK_MSG(kind == MINI_JSON_NUMBER, "%s: not a number in %s", path, json);
    return kind == MINI_JSON_NUMBER ? v : NAN;
}

static const char *write_u8(const char *name, const uint8_t *img, int n, int h, int w) {
    const char *path = test_tmp_path_kept(name);
    int64_t shape[3] = {n, h, w};
    CHECK_OK(gan_npy_write(path, GAN_NPY_U8, 3, shape, img));
    return path;
}

static const char *write_f32(const char *name, const float *img, int n) {
    const char *path = test_tmp_path_kept(name);
    int64_t shape[3] = {n, S, S};
    CHECK_OK(gan_npy_write(path, GAN_NPY_F32, 3, shape, img));
    return path;
}

/* `gan ARGS` fails with one error line holding `needle`. */
static void expect_error(const char *args, const char *needle) {
    test_expect_cli_error(gan_cli(), args, needle);
}

static void check_classifier(void) {
    char args[2048], out[8192];
    snprintf(args, sizeof args, "classifier train --data %s --cache %s --epochs 2 --shift 0 "
             "--threads 2", ds, cache);
    int rc = gan(args, out, sizeof out);
    CHECK_MSG(rc == 0, "classifier train -> %d: %s", rc, out);
    CHECK(strstr(out, "epoch 2/2") != NULL && strstr(out, "test accuracy") != NULL);
    char path[600];
    snprintf(path, sizeof path, "%s/classifier.safetensors", cache);
    gan_classifier *c = NULL;
    CHECK_OK(gan_classifier_load(path, &c));
    if (c) {
        CHECK_MSG(c->info.test_accuracy >= 0.9, "blob classifier: test accuracy %.3f",
                  c->info.test_accuracy);
        CHECK(c->classes == 10 && c->info.train_count == N_TRAIN && c->info.test_count == N_TEST);
        CHECK(strstr(c->info.fingerprint, "t10k-images-idx3-ubyte:") != NULL);
    }
    gan_classifier_free(c);
    snprintf(path, sizeof path, "%s/reference.safetensors", cache);
    struct stat st;
    CHECK_MSG(stat(path, &st) == 0, "%s was not written", path);
}

/* The same weights at 1 and 2 threads (counter-based randomness, fixed
 * reduction orders); `gan classifier info` reads the file back. */
static void check_thread_independence(void) {
    char args[2048], out[8192];
    const char *a = test_tmp_path_kept("t1.safetensors"), *b = test_tmp_path_kept("t2.safetensors");
    for (int t = 1; t <= 2; t++) {
        snprintf(args, sizeof args, "classifier train --data %s --out %s --epochs 1 --threads %d "
                 "--quiet", ds, t == 1 ? a : b, t);
        int rc = gan(args, out, sizeof out);
        CHECK_MSG(rc == 0, "%s -> %d: %s", args, rc, out);
    }
    gan_classifier *c1 = NULL, *c2 = NULL;
    CHECK_OK(gan_classifier_load(a, &c1));
    CHECK_OK(gan_classifier_load(b, &c2));
    if (c1 && c2)
        CHECK_MSG(strcmp(c1->id, c2->id) == 0 && c1->info.test_accuracy == c2->info.test_accuracy,
                  "1 thread: %s, 2 threads: %s", c1->id, c2->id);
    gan_classifier_free(c1);
    gan_classifier_free(c2);
    snprintf(args, sizeof args, "classifier info %s", a);
    CHECK(gan(args, out, sizeof out) == 0 && strstr(out, "lenet-v1") && strstr(out, "accuracy.test"));
}

static void check_metrics(void) {
    static char js[65536], js2[65536];
    /* the test split against itself */
    const char *same = write_u8("same.npy", test_images, N_TEST, S, S);
    if (eval_json(same, "--no-floor", js, sizeof js)) {
        CHECK_MSG(fabs(get(js, "metrics.fid")) < 1e-3, "identical sets: FID %g",
                  get(js, "metrics.fid"));
        CHECK(get(js, "metrics.precision") == 1.0 && get(js, "metrics.recall") == 1.0);
        CHECK(get(js, "metrics.coverage") == 1.0 && get(js, "metrics.mode_coverage") == 1.0);
        CHECK(get(js, "metrics.n") == N_TEST && get(js, "samples.n") == N_TEST);
        int kind;
        mini_json_get(js, "floor", &kind, NULL);
        CHECK(kind == MINI_JSON_NULL);
        mini_json_get(js, "metrics.class_accuracy", &kind, NULL);
        CHECK(kind == MINI_JSON_NULL); /* not a conditional generator */
        mini_json_get(js, "samples.kind", &kind, NULL);
        CHECK(kind == MINI_JSON_OTHER);
    }
    /* the same images as the generator's float output */
    float *f = malloc((size_t)N_TEST * S * S * sizeof *f);
    for (size_t i = 0; i < (size_t)N_TEST * S * S; i++) f[i] = test_images[i] / 127.5f - 1.0f;
    const char *same_f = write_f32("same_f32.npy", f, N_TEST);
    if (eval_json(same_f, "--no-floor", js2, sizeof js2))
        CHECK(get(js2, "metrics.fid") == get(js, "metrics.fid") &&
              get(js2, "metrics.coverage") == get(js, "metrics.coverage"));

    /* ... and as an IDX file (gzip) and a folder of PNG files */
    const char *idx = test_tmp_path_kept("same.gz"), *pngs = test_tmp_path_kept("same_png");
    int64_t dims[3] = {N_TEST, S, S};
    CHECK_OK(gan_idx_write(idx, test_images, 3, dims, true));
    CHECK_OK(gan_image_folder_write(pngs, test_images, N_TEST, 1, S, S));
    if (eval_json(idx, "--no-floor", js2, sizeof js2))
        CHECK(get(js2, "metrics.fid") == get(js, "metrics.fid"));
    if (eval_json(pngs, "--no-floor --n 600", js2, sizeof js2))
        CHECK(get(js2, "metrics.fid") == get(js, "metrics.fid") && get(js2, "samples.n") == 600);

    /* one image repeated */
    uint8_t *rep = malloc((size_t)N_TEST * S * S);
    for (int i = 0; i < N_TEST; i++) memcpy(rep + (size_t)i * S * S, test_images, S * S);
    if (eval_json(write_u8("repeated.npy", rep, N_TEST, S, S), "--no-floor", js, sizeof js)) {
        CHECK_MSG(get(js, "metrics.recall") < 0.05, "repeated: recall %g", get(js, "metrics.recall"));
        CHECK_MSG(get(js, "metrics.coverage") < 0.05, "repeated: coverage %g",
                  get(js, "metrics.coverage"));
        CHECK(get(js, "metrics.modes_covered") == 1);
    }

    /* uniform noise, with the floor */
    float *u = malloc((size_t)N_TEST * S * S * sizeof *u);
    gan_rng_uniform(77, 1, u, (size_t)N_TEST * S * S);
    for (size_t i = 0; i < (size_t)N_TEST * S * S; i++) rep[i] = (uint8_t)(256.0f * u[i]);
    if (eval_json(write_u8("noise.npy", rep, N_TEST, S, S), "", js, sizeof js)) {
        double fid = get(js, "metrics.fid"), floor_fid = get(js, "floor.fid");
        CHECK_MSG(fid > 10.0 * floor_fid && fid > 1.0, "noise FID %g vs floor %g", fid, floor_fid);
        CHECK(get(js, "floor.n") == N_TEST && get(js, "floor.recall") > 0.5);
        CHECK_MSG(get(js, "floor.inception_score") > 3.0, "floor IS %g: class-pure splits?",
                  get(js, "floor.inception_score"));
        CHECK(get(js, "metrics.precision") < 0.05);
        CHECK_MSG(get(js, "metrics.kid_mean") > 0.1 && get(js, "floor.kid_mean") < 0.01,
                  "KID: noise %g, floor %g", get(js, "metrics.kid_mean"), get(js, "floor.kid_mean"));
    }
    /* the table */
    char args[2048], out[16384];
    snprintf(args, sizeof args, "eval --data %s --cache %s --quiet %s", ds, cache, same);
    CHECK(gan(args, out, sizeof out) == 0);
    CHECK_MSG(strstr(out, "FID") && strstr(out, "coverage") && strstr(out, "floor: 600 train") &&
                  strstr(out, "Inception Score"),
              "table: %s", out);
    free(f), free(rep), free(u);
}

static void check_errors(void) {
    char args[2048];
    const char *q = "--quiet";
    uint8_t *big = calloc((size_t)N_TEST, 32 * 32);
    snprintf(args, sizeof args, "eval --data %s --cache %s %s %s", ds, cache, q,
             write_u8("big.npy", big, N_TEST, 32, 32));
    expect_error(args, "32x32");
    const char *empty = test_tmp_path_kept("empty.npy");
    test_write_file(empty, "", 0);
    snprintf(args, sizeof args, "eval --data %s --cache %s %s %s", ds, cache, q, empty);
    expect_error(args, "empty file");
    float *f = calloc((size_t)N_TEST * S * S, sizeof *f);
    f[3 * S * S + 17] = NAN;
    snprintf(args, sizeof args, "eval --data %s --cache %s %s %s", ds, cache, q,
             write_f32("nan.npy", f, N_TEST));
    expect_error(args, "image 3 has a NaN pixel");
    f[3 * S * S + 17] = 3.0f;
    snprintf(args, sizeof args, "eval --data %s --cache %s %s %s", ds, cache, q,
             write_f32("range.npy", f, N_TEST));
    expect_error(args, "[-1, 1]");
    snprintf(args, sizeof args, "eval --data %s --cache %s %s %s", ds, cache, q,
             write_u8("few.npy", test_images, 100, S, S));
    expect_error(args, "too few");
    const char *text = test_tmp_path_kept("notes.txt");
    test_write_file(text, "hello, world\n", 13);
    snprintf(args, sizeof args, "eval --data %s --cache %s %s %s", ds, cache, q, text);
    expect_error(args, "not a checkpoint");
    snprintf(args, sizeof args, "eval %s", text);
    expect_error(args, "--data is required");
    snprintf(args, sizeof args, "eval --data %s/missing --cache %s %s %s", ds, cache, q,
             test_tmp_path_kept("same.npy"));
    expect_error(args, "missing: no such file");
    free(big), free(f);
}

static void check_stale_cache(void) {
    char path[600], args[2048], out[16384];
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte", ds);
    struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
    CHECK(utimensat(AT_FDCWD, path, ts, 0) == 0);
    snprintf(args, sizeof args, "eval --data %s --cache %s --no-floor --classifier-epochs 2 %s",
             ds, cache, test_tmp_path_kept("same.npy"));
    int rc = gan(args, out, sizeof out);
    CHECK_MSG(rc == 0 && strstr(out, "stale") && strstr(out, "t10k-labels-idx1-ubyte: modified") &&
                  strstr(out, "retraining"),
              "stale cache -> %d: %s", rc, out);
    rc = gan(args, out, sizeof out);
    CHECK_MSG(rc == 0 && !strstr(out, "stale") && !strstr(out, "training"),
              "valid cache -> %d: %s", rc, out);
}

static void check_train_hook(void) {
    char run[600], args[2048], out[16384];
    snprintf(run, sizeof run, "%s", test_tmp_path_kept("run"));
    snprintf(args, sizeof args, "train --data %s --epochs 2 --eval-every 1 --eval-n 500 "
             "--eval-cache %s --out %s --quiet --threads 2", ds, cache, run);
    int rc = gan(args, out, sizeof out);
    CHECK_MSG(rc == 0, "train --eval-every -> %d: %s", rc, out);
    char path[700];
    snprintf(path, sizeof path, "%s/log.jsonl", run);
    FILE *f = fopen(path, "r");
    int evals = 0, lines = 0;
    double best = INFINITY;
    char line[2048];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        lines++;
        CHECK_MSG(mini_json_valid(line), "log line is not JSON: %s", line);
        if (!strstr(line, "eval_fid")) continue;
        evals++;
        double fid = get(line, "eval_fid");
        CHECK(get(line, "eval_coverage") >= 0 && get(line, "eval_n") == 500);
        if (fid < best) best = fid;
    }
    if (f) fclose(f);
    CHECK_MSG(evals == 2 && lines > 2, "%d eval lines of %d", evals, lines);
    snprintf(path, sizeof path, "%s/best.json", run);
    size_t n = 0;
    char *raw = test_read_file(path, &n), bj[512] = "";
    if (raw) snprintf(bj, sizeof bj, "%.*s", (int)n, raw); /* test_read_file adds no NUL */
    free(raw);
    CHECK_MSG(fabs(get(bj, "fid") - best) < 1e-5, "best.json: %s", bj);
    /* gan eval of the best checkpoint: the same images, the same FID */
    static char js[65536];
    snprintf(path, sizeof path, "%s/best.safetensors", run);
    if (eval_json(path, "--n 500 --seed 1 --no-floor", js, sizeof js)) {
        /* (gan_generator and the trainer batch the generator differently: a
         * pixel may round the other way) */
        CHECK_MSG(fabs(get(js, "metrics.fid") - best) < 1e-4 * best, "eval of best: FID %.6f, log %.6f",
                  get(js, "metrics.fid"), best);
        CHECK(get(js, "samples.seed") == 1 && get(js, "samples.n") == 500);
    }
    /* a run folder works as SAMPLES too */
    if (eval_json(run, "--n 500", js, sizeof js)) CHECK(get(js, "floor.n") == 500);
    /* --resume with --eval-every: the run recorded its images file; evaluation
     * uses that file's folder (the dataset folder given to the first run) */
    snprintf(args, sizeof args, "train --resume %s --epochs 3 --eval-every 1 --eval-n 500 "
             "--eval-cache %s --threads 2", run, cache);
    rc = gan(args, out, sizeof out);
    CHECK_MSG(rc == 0 && strstr(out, "eval after epoch 3"), "resume --eval-every -> %d: %s", rc,
              out);
}

/* The checker itself: it must refuse what is not JSON. */
static void check_parser(void) {
    CHECK(mini_json_valid("{\"a\": [1, -2.5e3, true, null, \"x\\n\"], \"b\": {}}"));
    const char *bad[] = {"{\"a\": 1,}", "{\"a\": NaN}", "{\"a\": nan}", "[1 2]", "{\"a\" 1}",
                         "{\"a\": 01}", "{\"a\": 1.}", "{\"a\": \"\t\"}", "{} {}", "{\"a\": inf}",
                         "", "{\"a\": \"\\x\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(!mini_json_valid(bad[i]), "accepted: %s", bad[i]);
    int kind;
    double v;
    CHECK(mini_json_get("{\"m\": {\"f\": 2.5, \"fx\": 1}}", "m.f", &kind, &v) &&
          kind == MINI_JSON_NUMBER && v == 2.5);
}

int main(void) {
    check_parser();
    snprintf(ds, sizeof ds, "%s", test_tmp_path_kept("blobs"));
    snprintf(cache, sizeof cache, "%s", test_tmp_path_kept("cache"));
    mkdir(ds, 0755);
    write_split("train", N_TRAIN, 0, true, NULL);
    write_split("t10k", N_TEST, 1000000, false, &test_images);
    check_classifier();
    check_thread_independence();
    check_metrics();
    check_errors();
    check_stale_cache();
    check_train_hook();
    free(test_images);
    return test_report();
}
