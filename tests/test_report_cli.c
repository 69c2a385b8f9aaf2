/*
 * test_report_cli.c - `gan report` and the report that `gan train` keeps,
 * run as a user would (the page itself is driven in Chromium by
 * tests/report/test_report_browser.js):
 *   gan train writes RUN/report.html, atomically, holding every log line
 *     and every epoch's grid; its page (built from the trainer's own
 *     generator) is byte for byte the page `gan report` builds from the
 *     checkpoint afterwards, but for the time it was written (the seed
 *     model, and a conditional model with an EMA generator);
 *   gan report --text: the last losses of the log and one sparkline each;
 *   without a WebAssembly compiler the page is written without the live
 *     generator and gan report says why;
 *   100,000 log lines are drawn as at most a few thousand, keeping each
 *     curve's extremes;
 *   a bad log line is refused with its file and line number.
 */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *cli;
static char out[65536];

/* Run a printf-formatted command; its output in `out`. */
#define run(...) test_runf(out, sizeof out, __VA_ARGS__)

static int count_lines(const char *text, const char *needle) {
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++) n++;
    return n;
}

/* The integer after `key` in text, or -1. */
static long long number_after(const char *text, const char *key) {
    const char *p = strstr(text, key);
    return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static bool has_tmp_leftover(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    bool found = false;
    while (d && (e = readdir(d)))
        if (strncmp(e->d_name, "report.html.tmp", 15) == 0) found = true;
    if (d) closedir(d);
    return found;
}

/* Blank the page's "written" time (in place). */
static void blank_written(char *html) {
    char *p = strstr(html, "\"written\": \"");
    if (!p) return;
    for (p += 12; *p && *p != '"'; p++) *p = 'X';
}

/* The page `gan train` wrote in run_dir equals the one `gan report` writes
 * from the checkpoint, but for its time. */
static void check_same_as_report(const char *run_dir, const char *label) {
    char page[1300];
    snprintf(page, sizeof page, "%s/report.html", run_dir);
    size_t n1 = 0, n2 = 0;
    char *a = test_read_file(page, &n1);
    CHECK_MSG(a && run("%s report %s", cli, run_dir) == 0, "%s: %s", label, out);
    char *b = test_read_file(page, &n2);
    if (a && b) {
        blank_written(a);
        blank_written(b);
        CHECK_MSG(n1 == n2 && memcmp(a, b, n1) == 0, "%s: gan train's page (%zu bytes) differs from "
                  "gan report's (%zu bytes)", label, n1, n2);
        CHECK_MSG(strstr(a, "\"wasm\": \""), "%s: no live generator in the page", label);
    }
    free(a);
    free(b);
}

int main(void) {
    cli = test_gan_cli();
    if (!cli) return 1;
    /* 256 synthetic images: 8 steps per epoch at batch 32 */
    int n_img = 256;
    const char *data = test_synthetic_images("r", n_img, 0);
    const char *dir = test_tmpdir();
    char run_dir[1200], page[1300], log_path[1300];
    snprintf(run_dir, sizeof run_dir, "%s/run", dir);
    snprintf(page, sizeof page, "%s/report.html", run_dir);
    snprintf(log_path, sizeof log_path, "%s/log.jsonl", run_dir);

    /* ---- gan train keeps the report */
    CHECK(run("%s train --data %s --batch-size 32 --epochs 3 --log-every 3 --threads 2 --quiet "
              "--out %s", cli, data, run_dir) == 0);
    size_t n;
    char *html = test_read_file(page, &n), *log = test_read_file(log_path, &n);
    CHECK_MSG(html && log, "gan train wrote no %s", page);
    if (!html || !log) return test_report();
    int rows = count_lines(log, "\"loss_d\"");
    CHECK(rows == 10); /* steps 3, 6, 8 (epoch end), 9, 12, 15, 16, 18, 21, 24 */
    CHECK_MSG(number_after(html, "\"rows\": ") == rows && number_after(html, "\"shown\": ") == rows,
              "rows %lld shown %lld, log %d", number_after(html, "\"rows\": "),
              number_after(html, "\"shown\": "), rows);
    for (int e = 0; e <= 3; e++) {
        char key[64];
        snprintf(key, sizeof key, "{\"epoch\": %d, \"src\": \"data:image/png;base64,", e);
        CHECK_MSG(strstr(html, key), "no grid of epoch %d in the page", e);
    }
    CHECK(strstr(html, "<meta name=\"gan-device\" content=\"cpu\">"));
    CHECK(strstr(html, "generator: input 100")); /* gan inspect's text */
    CHECK(!has_tmp_leftover(run_dir));
    free(html);
    check_same_as_report(run_dir, "seed model");

    /* ---- a conditional model with an EMA generator: the same page too */
    char cond_dir[1200];
    snprintf(cond_dir, sizeof cond_dir, "%s/cond", dir);
    CHECK(run("%s train --data %s --model cgan --ema 0.9 --batch-size 32 --epochs 1 --threads 2 "
              "--quiet --out %s", cli, test_synthetic_images("rc", n_img, 10), cond_dir) == 0);
    check_same_as_report(cond_dir, "cgan with --ema");

    /* ---- --text: the log's last losses and a sparkline per curve */
    CHECK(run("%s report %s --text --width 20", cli, run_dir) == 0);
    const char *last = strrchr(log, '{');
    double loss_d = strtod(strstr(last, "\"loss_d\": ") + 10, NULL);
    char want[64];
    snprintf(want, sizeof want, "last: loss_d %.4f", loss_d);
    CHECK_MSG(strstr(out, want), "no '%s' in:\n%s", want, out);
    CHECK(strstr(out, "3 epochs") && strstr(out, "step 24"));
    CHECK(strstr(out, "loss_g") && strstr(out, "D(G(z))") && strstr(out, "s/epoch"));
    CHECK(strstr(out, "\u2581") && strstr(out, "\u2588")); /* the lowest and highest bars */
    free(log);

    /* ---- no WebAssembly compiler: the page without the live generator */
    CHECK(run("GAN_WASM_CC=%s/no-such-cc %s report %s", dir, cli, run_dir) == 0);
    CHECK_MSG(strstr(out, "no live generator") && strstr(out, "GAN_WASM_CC does not run"), "%s",
              out);
    html = test_read_file(page, &n);
    CHECK(html && strstr(html, "\"generator\": null") && strstr(html, "GAN_WASM_CC does not run"));
    CHECK(html && strstr(html, "<meta name=\"gan-device\" content=\"cpu\">")); /* kept */
    free(html);

    /* ---- gan train without a compiler, many short epochs: the page is
     * refreshed at a pace (report.h, REPORT_PACE) and the compiler's absence is
     * kept from the first epoch (report_wasm.c), yet the final page holds every
     * epoch's grid and log line, says why it has no generator, and is the page
     * gan report writes */
    char many[1200];
    snprintf(many, sizeof many, "%s/many", dir);
    CHECK(run("GAN_WASM_CC=%s/no-such-cc %s train --data %s --batch-size 64 --epochs 12 "
              "--threads 2 --out %s", dir, cli, test_synthetic_images("rm", 64, 0), many) == 0);
    CHECK_MSG(count_lines(out, "has no live generator") == 1, "%s", out);
    snprintf(page, sizeof page, "%s/report.html", many);
    snprintf(log_path, sizeof log_path, "%s/log.jsonl", many);
    html = test_read_file(page, &n);
    char *many_log = test_read_file(log_path, &n);
    CHECK(html && many_log);
    if (html && many_log) {
        CHECK(number_after(html, "\"rows\": ") == count_lines(many_log, "\"loss_d\""));
        CHECK(count_lines(many_log, "\"loss_d\"") == 12);
        for (int e = 0; e <= 12; e++) {
            char key[64];
            snprintf(key, sizeof key, "{\"epoch\": %d, \"src\": \"data:image/png;base64,", e);
            CHECK_MSG(strstr(html, key), "no grid of epoch %d in the page", e);
        }
        CHECK(strstr(html, "\"generator\": null") && strstr(html, "GAN_WASM_CC does not run"));
        blank_written(html);
        char *again = NULL;
        CHECK(run("GAN_WASM_CC=%s/no-such-cc %s report %s", dir, cli, many) == 0);
        again = test_read_file(page, &n);
        if (again) blank_written(again);
        CHECK_MSG(again && strcmp(html, again) == 0, "gan train's last page differs from gan report's");
        free(again);
    }
    free(html);
    free(many_log);

    /* ---- 100,000 log lines: a few thousand drawn, the extremes kept */
    char big[1200], big_log[1300];
    snprintf(big, sizeof big, "%s/big", dir);
    snprintf(big_log, sizeof big_log, "%s/log.jsonl", big);
    CHECK(run("mkdir -p %s", big) == 0);
    FILE *f = fopen(big_log, "w");
    CHECK(f != NULL);
    for (int i = 1; f && i <= 100000; i++) {
        double d = i == 31337 ? 987.654321 : i == 77777 ? -5.4321 : 0.5 + 0.1 * ((i * 7919) % 13) / 13;
        fprintf(f, "{\"step\": %d, \"epoch\": %d, \"loss_d\": %.6f, \"loss_g\": %.6f, "
                "\"d_real\": 0.6, \"d_fake\": 0.4, \"images_per_s\": %.1f, \"seconds\": %.3f}\n",
                i * 10, (i - 1) / 1000 + 1, d, 1.0 + (i % 17) * 0.01, i == 50001 ? 123456.7 : 1000.0,
                i * 0.01);
    }
    if (f) fclose(f);
    CHECK(run("%s report %s --no-generator", cli, big) == 0);
    snprintf(page, sizeof page, "%s/report.html", big);
    html = test_read_file(page, &n);
    CHECK(html != NULL);
    if (html) {
        long long shown = number_after(html, "\"shown\": ");
        CHECK(number_after(html, "\"rows\": ") == 100000);
        CHECK_MSG(shown > 100 && shown <= 4001, "shown %lld", shown);
        CHECK(strstr(html, "987.654321") && strstr(html, "-5.4321") && strstr(html, "123456.7"));
        CHECK(strstr(html, "No checkpoint yet"));
    }
    free(html);
    CHECK(run("%s report %s --text", cli, big) == 0);
    CHECK(strstr(out, "100000 log lines") && strstr(out, "100 epochs"));

    /* ---- refusals */
    f = fopen(big_log, "a");
    if (f) fputs("not json\n", f), fclose(f);
    CHECK(run("%s report %s", cli, big) == 1);
    CHECK_MSG(strstr(out, "log.jsonl:100001: not a log line"), "%s", out);
    CHECK(run("%s report %s/missing", cli, dir) == 1);
    CHECK(strstr(out, "not a run folder"));
    CHECK(run("%s report", cli) == 2);
    return test_report();
}
