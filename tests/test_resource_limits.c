/*
 * test_resource_limits.c - hostile sizes are refused before anything big is
 * allocated: a spec's total parameter count is capped (GAN_SPEC_MAX_PARAMS),
 * and a small checkpoint whose embedded spec asks for a big model fails on
 * its size (generator load, resume, `gan inspect`) quickly and without
 * growing the process by more than a few MB.
 */
#define _POSIX_C_SOURCE 200809L
#include "checkpoint.h"
#include "io/safetensors.h"
#include "spec/spec.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const char *tiny_spec = "image 1 28 28\nlatent 4\n"
                               "generator\n  dense 784\n  tanh\n  reshape 1 28 28\n"
                               "discriminator\n  flatten\n  dense 1\n"
                               "train\n  batch_size 8\n";

static long max_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Copy checkpoint `src` to `dst` with its metadata `spec` replaced by `spec`. */
static void rewrite_spec(const char *src, const char *dst, const char *spec) {
    gan_st_file *f = NULL;
    gan_st_writer *w = NULL;
    CHECK_OK(gan_st_open(src, &f));
    CHECK_OK(gan_st_writer_create(&w));
    if (!f || !w) return;
    for (size_t i = 0; i < gan_st_count(f); i++) {
        const gan_st_tensor *t = gan_st_tensor_at(f, i);
        CHECK_OK(gan_st_writer_add(w, t->name, t->dtype, t->ndims, t->shape, t->data));
    }
    for (size_t i = 0; i < gan_st_metadata_count(f); i++) {
        const char *k, *v;
        CHECK_OK(gan_st_metadata_at(f, i, &k, &v));
        CHECK_OK(gan_st_writer_set_metadata(w, k, strcmp(k, "spec") == 0 ? spec : v));
    }
    CHECK_OK(gan_st_writer_save(w, dst));
    gan_st_writer_free(w);
    gan_st_close(f);
}

/* Loading `path` as a generator and resuming it both fail fast, with a
 * message holding `why`, and the process stays small. */
static void check_refused(const char *path, const gan_dataset *data, const char *why) {
    long rss0 = max_rss_kb();
    double t0 = now_s();
    gan_generator *g = NULL;
    CHECK(gan_generator_load(path, &g) != GAN_OK);
    CHECK_MSG(strstr(gan_last_error(), why), "message: %s", gan_last_error());
    gan_generator_free(g);
    gan_trainer *t = NULL;
    CHECK(gan_trainer_resume(path, data, 1, &t) != GAN_OK);
    CHECK_MSG(strstr(gan_last_error(), why), "message: %s", gan_last_error());
    gan_trainer_free(t);
    double dt = now_s() - t0;
    long grew = max_rss_kb() - rss0;
    CHECK_MSG(dt < 10.0, "took %.1f s", dt);
    CHECK_MSG(grew < 64 * 1024, "peak RSS grew by %ld KB", grew);
}

int main(void) {
    /* the spec's total is capped: 4 -> 8,000,000 -> 784 is 6.3 billion parameters */
    const char *huge = "image 1 28 28\nlatent 4\n"
                       "generator\n  dense 8000000\n  dense 784\n  reshape 1 28 28\n"
                       "discriminator\n  flatten\n  dense 1\n";
    gan_spec *spec = NULL;
    CHECK(gan_spec_parse(huge, strlen(huge), "huge.gan", "huge", &spec) == GAN_ERR_SHAPE);
    CHECK_MSG(strstr(gan_last_error(), "parameters") && strstr(gan_last_error(), "at most"),
              "message: %s", gan_last_error());
    CHECK(spec == NULL);
    /* at the cap itself a spec is fine: 1 -> 2^27 - 1 (2^28 - 2 parameters) */
    char at_cap[512];
    snprintf(at_cap, sizeof at_cap, "image 1 1 1\nlatent 1\ngenerator\n  dense %d\n  dense 1\n"
             "  reshape 1 1 1\ndiscriminator\n  flatten\n  dense 1\n", (1 << 26) - 1);
    CHECK_OK(gan_spec_parse(at_cap, strlen(at_cap), "cap.gan", "cap", &spec));
    if (spec) CHECK(spec->net[0].n_params + spec->net[1].n_params <= GAN_SPEC_MAX_PARAMS);
    gan_spec_free(spec);
    spec = NULL;

    /* a real, small checkpoint of the tiny model */
    gan_dataset *data = test_synthetic_dataset("limits", 16, 0);
    gan_trainer *t = test_spec_trainer(tiny_spec, "tiny", data, &spec);
    gan_step_stats st;
    if (t) CHECK_OK(gan_trainer_step(t, &st));
    const char *good = test_tmp_path_kept("good.safetensors");
    if (t) CHECK_OK(gan_trainer_save_checkpoint(t, good));
    gan_trainer_free(t);
    gan_spec_free(spec);
    gan_generator *g = NULL;
    CHECK_OK(gan_generator_load(good, &g)); /* the untouched file loads */
    gan_generator_free(g);

    /* its spec says 4 -> 8,000,000 -> 784: refused by the cap */
    const char *capped = test_tmp_path_kept("capped.safetensors");
    rewrite_spec(good, capped, huge);
    check_refused(capped, data, "parameters");

    /* 4 -> 100,000 -> 784 (79 million parameters, under the cap) in a file of
       a few KB: refused on the file's size before the model is built */
    const char *big = "image 1 28 28\nlatent 4\n"
                      "generator\n  dense 100000\n  dense 784\n  tanh\n  reshape 1 28 28\n"
                      "discriminator\n  flatten\n  dense 1\n";
    const char *small = test_tmp_path_kept("small.safetensors");
    rewrite_spec(good, small, big);
    check_refused(small, data, "bytes of tensors");

    /* few parameters but huge images (784 x 784 from two strided transposed
       convolutions) in a small weights file: loading a generator plans fewer
       rows per pass instead of 256 rows of activations (2.5 GB), so it fails on
       the tensor shapes while staying small */
    const char *wide = "image 1 784 784\nlatent 4\n"
                       "generator\n  dense 4\n  reshape 1 2 2\n"
                       "  conv_transpose2d 1 kernel=32 stride=16\n"
                       "  conv_transpose2d 1 kernel=32 stride=16\n  tanh\n"
                       "discriminator\n  flatten\n  dense 1\n";
    const char *weights = test_tmp_path_kept("weights.safetensors");
    const char *wide_path = test_tmp_path_kept("wide.safetensors");
    t = test_spec_trainer(tiny_spec, "tiny", data, &spec);
    if (t) CHECK_OK(gan_trainer_save_weights(t, weights));
    gan_trainer_free(t);
    gan_spec_free(spec);
    rewrite_spec(weights, wide_path, wide);
    long rss0 = max_rss_kb();
    g = NULL;
    gan_status ws = gan_generator_load(wide_path, &g);
    CHECK_MSG(ws == GAN_ERR_FORMAT || ws == GAN_ERR_SHAPE, "status %d: %s", (int)ws, gan_last_error());
    CHECK_MSG(strstr(gan_last_error(), "generator.0.weight"), "message: %s", gan_last_error());
    gan_generator_free(g);
    CHECK_MSG(max_rss_kb() - rss0 < 600 * 1024, "peak RSS grew by %ld KB", max_rss_kb() - rss0);

    /* the CLI's inspect says so in one line too */
    const char *cli = getenv("GAN_CLI");
    if (cli) {
        char cmd[2048], out[4096];
        snprintf(cmd, sizeof cmd, "%s inspect %s", cli, small);
        double t0 = now_s();
        int rc = test_run(cmd, out, sizeof out);
        CHECK_MSG(rc != 0 && strstr(out, "bytes of tensors"), "rc %d: %s", rc, out);
        CHECK(now_s() - t0 < 20.0);
    }
    gan_dataset_free(data);
    return test_report();
}
