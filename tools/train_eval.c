/*
 * train_eval.c - periodic FID / coverage evaluation during `gan train`, and
 * the best-FID checkpoint (see train_eval.h).
 *
 * Everything an evaluation needs (latent vectors, image buffers, the
 * evaluator: classifier and test statistics) is set up once in
 * train_eval_begin, on the dataset as training loaded it (any format, its
 * shape): the test split is the format's own, read from the same folder at
 * the same shape, or a held-out sixth of the training data. The latent vectors are those of gan_generator_noise
 * for (seed, 0 .. n-1), so `gan eval --n N --seed S RUN/best.safetensors`
 * measures the same images the log's best line did (up to KID/floor, which
 * the hook skips).
 */
#define _POSIX_C_SOURCE 200809L
#include "train_eval.h"
#include "eval_setup.h"
#include "progress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct train_eval {
    train_eval_config cfg;
    gan_evaluator *ev;
    bool quiet;
    char best_path[1200], best_json[1200];
    int latent;
    size_t per;          /* C H W */
    float *z;            /* (n, latent) */
    float *img;          /* (n, C, H, W) generator output */
    uint8_t *bytes;      /* (n, C, H, W) as the PNG writer rounds them */
    double best_fid;     /* lowest FID so far (INFINITY before the first) */
};

void train_eval_free(train_eval *te) {
    if (!te) return;
    gan_evaluator_free(te->ev);
    free(te->z), free(te->img), free(te->bytes);
    free(te);
}

/* The best FID of an earlier part of the run (OUT/best.json), if any. */
static double read_best(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return INFINITY;
    char buf[512];
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[got] = 0;
    const char *p = strstr(buf, "\"fid\": ");
    double fid = p ? strtod(p + 7, NULL) : INFINITY;
    return isfinite(fid) ? fid : INFINITY;
}

bool train_eval_check(const train_eval_config *cfg) {
    if (cfg->every < 0) {
        cli_error("--eval-every: %d must not be negative", cfg->every);
        return false;
    }
    if (cfg->every && (cfg->n < GAN_EVAL_MIN_SAMPLES || cfg->n > 100000)) {
        cli_error("--eval-n: %d is out of range [%d, 100000]", cfg->n, GAN_EVAL_MIN_SAMPLES);
        return false;
    }
    return true;
}

bool train_eval_begin(const train_eval_config *cfg, gan_trainer *t, const gan_dataset *data,
                      const char *out, bool resume, bool quiet, train_eval **ptr) {
    *ptr = NULL;
    if (cfg->every == 0) return true;
    train_eval *te = calloc(1, sizeof *te);
    if (!te) {
        cli_error("out of memory");
        return false;
    }
    te->cfg = *cfg;
    te->quiet = quiet;
    gan_evaluator_options so;
    gan_evaluator_options_default(&so);
    so.cache = cfg->cache;
    gan_train_options topt;
    gan_trainer_options(t, &topt);
    gan_backend_cpu_set_threads(topt.threads);
    if (!eval_setup_open_dataset(data, &so, quiet, &te->ev)) {
        free(te);
        return false;
    }
    const gan_evaluator_info *in = gan_evaluator_get_info(te->ev);
    te->per = (size_t)in->channels * in->height * in->width;
    te->latent = gan_trainer_latent_dim(t);
    size_t n = (size_t)cfg->n;
    te->z = malloc(n * te->latent * sizeof *te->z);
    te->img = malloc(n * te->per * sizeof *te->img);
    te->bytes = malloc(n * te->per);
    if (!te->z || !te->img || !te->bytes) {
        cli_error("--eval-n: out of memory for %d images", cfg->n);
        train_eval_free(te);
        return false;
    }
    gan_latent_noise(cfg->seed, 0, (int)n, te->latent, te->z);
    snprintf(te->best_path, sizeof te->best_path, "%s/best.safetensors", out);
    snprintf(te->best_json, sizeof te->best_json, "%s/best.json", out);
    te->best_fid = resume ? read_best(te->best_json) : INFINITY;
    *ptr = te;
    return true;
}

static bool save_best(train_eval *te, gan_trainer *t, int64_t epoch, int64_t step, double fid) {
    gan_status s = gan_trainer_save_checkpoint(t, te->best_path);
    if (s == GAN_OK) {
        char buf[256];
        int len = snprintf(buf, sizeof buf, "{\"step\": %lld, \"epoch\": %lld, \"fid\": %.10g, "
                           "\"eval_n\": %d, \"eval_seed\": %llu}\n", (long long)step,
                           (long long)epoch, fid, te->cfg.n, (unsigned long long)te->cfg.seed);
        s = gan_atomic_write_file(te->best_json, buf, (size_t)len);
    }
    if (s != GAN_OK) cli_fail(s);
    return s == GAN_OK;
}

bool train_eval_epoch(train_eval *te, gan_trainer *t, int64_t epoch, const gan_step_stats *mean,
                      char *line, size_t cap) {
    if (!te || epoch % te->cfg.every != 0) return true;
    double t0 = progress_now();
    int n = te->cfg.n;
    gan_status s = gan_trainer_generate(t, te->z, n, te->img);
    for (size_t i = 0; s == GAN_OK && i < (size_t)n * te->per; i++) {
        if (!isfinite(te->img[i]))
            s = gan_fail(GAN_ERR_NUMERIC, "eval at epoch %lld: the generator made a non-finite "
                         "pixel", (long long)epoch);
        else te->bytes[i] = gan_png_pixel_from_float(te->img[i]);
    }
    gan_eval_options eo;
    gan_eval_options_default(&eo);
    eo.kid = false, eo.prdc_all = false, eo.classes = false;
    gan_eval_scores sc;
    if (s == GAN_OK) s = gan_evaluator_score(te->ev, te->bytes, n, NULL, &eo, &sc);
    if (s != GAN_OK) {
        cli_fail(s);
        return false;
    }
    double fid = sc.fid, secs = progress_now() - t0;
    bool best = fid < te->best_fid;
    snprintf(line, cap, "{\"step\": %lld, \"epoch\": %lld, \"loss_d\": %.6f, \"loss_g\": %.6f, "
             "\"eval_fid\": %.6f, \"eval_coverage\": %.6f, \"eval_n\": %d, "
             "\"eval_seconds\": %.3f, \"eval_best\": %s}", (long long)mean->step,
             (long long)epoch, mean->loss_d, mean->loss_g, fid, sc.coverage, n, secs,
             best ? "true" : "false");
    if (!te->quiet)
        progress_printf("gan train: eval after epoch %lld: FID %.3f, coverage %.4f (%d images, "
                        "%.1f s)%s", (long long)epoch, fid, sc.coverage, n, secs,
                best ? " - best so far, saved best.safetensors" : "");
    if (best) {
        if (!save_best(te, t, epoch, mean->step, fid)) return false;
        te->best_fid = fid;
    }
    return true;
}
