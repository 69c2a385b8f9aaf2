/*
 * test_slow_train.c - short training runs of the seed GAN on real data
 * (Fashion-MNIST and the converted digits) through the `gan` CLI:
 *   - the run succeeds and writes log.jsonl, sample grids and weights;
 *   - every logged loss is finite and D(x), D(G(z)) are probabilities;
 *   - the samples change between the start and the end of training;
 *   - the same seed gives bit-identical weights with 1 and 2 threads,
 *     and another seed gives different weights.
 */
#define _POSIX_C_SOURCE 200809L
#include "gan.h"
#include "io/safetensors.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *gan_cli(void) {
    const char *p = getenv("GAN_CLI");
    return p ? p : "./gan";
}

static const char *data_dir(const char *name) {
    static char buf[2][512];
    static int k;
    const char *base = getenv("GAN_DATA_DIR");
    k ^= 1;
    snprintf(buf[k], sizeof buf[k], "%s/%s", base ? base : "data", name);
    return buf[k];
}

static int train(const char *data, const char *out, int steps, int threads, int seed) {
    char cmd[2048], log[8192];
    snprintf(cmd, sizeof cmd,
             "%s train --data %s --steps %d --threads %d --seed %d --log-every 25 --out %s "
             "--overwrite --quiet",
             gan_cli(), data, steps, threads, seed, out);
    int rc = test_run(cmd, log, sizeof log);
    if (rc != 0) fprintf(stderr, "%s\n-> exit %d: %s\n", cmd, rc, log);
    return rc;
}

/* Parse log.jsonl: all numbers finite, probabilities in [0, 1]. */
static int check_log(const char *run) {
    char path[600];
    snprintf(path, sizeof path, "%s/log.jsonl", run);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "%s missing", path);
    if (!f) return 0;
    char line[1024];
    int lines = 0;
    long long last_step = 0;
    while (fgets(line, sizeof line, f)) {
        long long step, epoch;
        double ld, lg, dr, df, ips, sec;
        int n = sscanf(line,
                       "{\"step\": %lld, \"epoch\": %lld, \"loss_d\": %lf, \"loss_g\": %lf, "
                       "\"d_real\": %lf, \"d_fake\": %lf, \"images_per_s\": %lf, "
                       "\"seconds\": %lf}",
                       &step, &epoch, &ld, &lg, &dr, &df, &ips, &sec);
        CHECK_MSG(n == 8, "bad log line: %s", line);
        CHECK(step > last_step);
        CHECK(isfinite(ld) && isfinite(lg) && ld > 0 && lg > 0);
        CHECK(dr >= 0 && dr <= 1 && df >= 0 && df <= 1);
        CHECK(ips > 0 && sec > 0);
        last_step = step;
        lines++;
    }
    fclose(f);
    return lines;
}

static bool same_file(const char *a, const char *b) {
    size_t na, nb;
    void *x = test_read_file(a, &na), *y = test_read_file(b, &nb);
    bool same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x), free(y);
    return same;
}

int main(void) {
    const char *fashion = data_dir("fashion");
    const char *run1 = test_tmp_path_kept("fashion_t2");
    CHECK(train(fashion, run1, 200, 2, 5) == 0);
    CHECK_MSG(check_log(run1) == 8, "expected 8 log lines (every 25 of 200 steps)");
    char a[700], b[700];
    snprintf(a, sizeof a, "%s/samples/epoch_000.png", run1);
    snprintf(b, sizeof b, "%s/samples.png", run1);
    size_t na = 0, nb = 0;
    void *pa = test_read_file(a, &na), *pb = test_read_file(b, &nb);
    CHECK_MSG(pa && pb && na > 1000 && nb > 1000, "sample grids missing");
    CHECK_MSG(!(pa && pb && na == nb && memcmp(pa, pb, na) == 0), "samples did not change");
    free(pa), free(pb);

    snprintf(a, sizeof a, "%s/checkpoint.safetensors", run1);
    gan_st_file *w = NULL;
    CHECK_OK(gan_st_open(a, &w));
    if (w) {
        const float *p = NULL;
        CHECK_OK(gan_st_get_f32(w, "generator.0.weight", 2, (int64_t[]){256, 100}, &p));
        CHECK_OK(gan_st_get_f32(w, "discriminator.7.weight", 2, (int64_t[]){1, 256}, &p));
        CHECK_OK(gan_st_get_f32(w, "generator.8.running_var", 1, (int64_t[]){1024}, &p));
        CHECK(gan_st_metadata(w, "model") && strcmp(gan_st_metadata(w, "model"), "mlp") == 0);
        CHECK(gan_st_metadata(w, "state.step") && strcmp(gan_st_metadata(w, "state.step"), "200") == 0);
        gan_st_close(w);
    }

    /* determinism across thread counts, and seeds matter */
    const char *run2 = test_tmp_path_kept("fashion_t1");
    const char *run3 = test_tmp_path_kept("fashion_seed6");
    CHECK(train(fashion, run2, 200, 1, 5) == 0);
    CHECK(train(fashion, run3, 50, 2, 6) == 0);
    snprintf(b, sizeof b, "%s/checkpoint.safetensors", run2);
    CHECK_MSG(same_file(a, b), "weights differ between --threads 1 and --threads 2");
    const char *run4 = test_tmp_path_kept("fashion_seed5_50");
    CHECK(train(fashion, run4, 50, 2, 5) == 0);
    snprintf(a, sizeof a, "%s/checkpoint.safetensors", run3);
    snprintf(b, sizeof b, "%s/checkpoint.safetensors", run4);
    CHECK_MSG(!same_file(a, b), "seeds 5 and 6 gave identical weights");

    /* the converted npm digits train too */
    const char *run5 = test_tmp_path_kept("digits");
    CHECK(train(data_dir("digits"), run5, 100, 2, 1) == 0);
    CHECK(check_log(run5) == 4);
    return test_report();
}
