/*
 * cmd_eval.c - `gan eval`: measure how good generated images are. The
 * images (a checkpoint's samples, an .npy / IDX file, a PNG folder;
 * eval_input.h) and the real test split go through the dataset's feature
 * classifier (eval_setup.h); the report (eval_report.h) gives FID, KID,
 * precision / recall / density / coverage, Inception Score, the predicted
 * class histogram and mode coverage, each next to its floor: the same
 * metrics for real training images against the test split. --parzen adds
 * the Parzen-window log-likelihood (Goodfellow et al. 2014).
 */
#include "cli.h"
#include "eval_input.h"
#include "eval_report.h"
#include "eval_setup.h"
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(cli_option *opts) {
    printf("usage: gan eval --data DIR SAMPLES [options]\n\n"
           "Measure images against DIR's test split with a classifier trained on DIR (cached;\n"
           "trained on first use). SAMPLES is a checkpoint or run folder (--n images are\n"
           "generated, as gan sample makes them), an .npy file (uint8 [N, H, W] or [N, H, W, C],\n"
           "or float32 in [-1, 1]), an IDX images file, or a folder of PNG files.\n"
           "Reports FID, KID, precision, recall, density, coverage (k = 3), Inception Score,\n"
           "predicted classes and mode coverage, and the floor: the same for as many real\n"
           "training images. Fields and definitions: docs/eval.md.\n\n"
           "options:\n");
    cli_print_options(opts);
}

/* Print the library's error; false. */
static bool failed(gan_status s) {
    cli_fail(s);
    return false;
}

/* features (n, d) and probabilities (n, K) of n images. */
static bool features_of(gan_classifier *c, const uint8_t *images, int64_t n, float **feat,
                        float **probs) {
    *feat = malloc((size_t)n * GAN_CLASSIFIER_FEATURES * sizeof **feat);
    *probs = malloc((size_t)n * c->classes * sizeof **probs);
    if (!*feat || !*probs) {
        cli_error("out of memory for the features of %lld images", (long long)n);
        return false;
    }
    gan_status s = gan_classifier_features(c, images, n, *feat, *probs);
    if (s != GAN_OK) return failed(s);
    return true;
}

/* The floor: as many training images as samples (at most the split). */
static bool floor_scores(eval_setup *e, int64_t n, const gan_eval_options *eo, gan_eval_scores *out) {
    int64_t n_train = gan_dataset_count(e->train), m = GAN_MIN(n, n_train);
    int ch, h, w;
    gan_dataset_shape(e->train, &ch, &h, &w);
    size_t per = (size_t)ch * h * w;
    uint32_t *idx = malloc((size_t)m * sizeof *idx);
    uint8_t *img = malloc((size_t)m * per);
    float *feat = NULL, *probs = NULL;
    bool ok = idx && img;
    if (!ok) cli_error("out of memory for the floor's %lld images", (long long)m);
    gan_status s = GAN_OK;
    if (ok && (s = gan_eval_subset(n_train, m, GAN_EVAL_USE_FLOOR, 0, idx)) != GAN_OK)
        ok = failed(s);
    if (ok) {
        gan_eval_gather(gan_dataset_pixels(e->train), per, idx, m, img);
        ok = features_of(e->classifier, img, m, &feat, &probs);
    }
    if (ok && (s = gan_eval_scores_compute(&e->ref, feat, probs, m, NULL, eo, out)) != GAN_OK)
        ok = failed(s);
    free(idx), free(img), free(feat), free(probs);
    return ok;
}

int cmd_eval(int argc, char **argv) {
    eval_setup_options so;
    eval_setup_options_default(&so);
    const char *data = NULL;
    int64_t n = 10000, n_val = 1000;
    uint64_t seed = 1;
    bool json = false, parzen = false, no_floor = false;
    cli_option opts[] = {
        {"data", CLI_STRING, &data, "DIR", "dataset folder with labeled train-* and t10k-* IDX "
         "files (required)", 0},
        {"n", CLI_INT64, &n, "N", "images: generated from a checkpoint (default 10000), or the "
         "first N of a file (default: all)", 0},
        {"seed", CLI_UINT64, &seed, "S", "noise seed of generated images (default 1)", 0},
        {"json", CLI_FLAG, &json, NULL, "print one JSON object instead of the table", 0},
        {"parzen", CLI_FLAG, &parzen, NULL, "also the Parzen-window log-likelihood of the test "
         "split", 0},
        {"parzen-val", CLI_INT64, &n_val, "N", "training images that choose Parzen's sigma "
         "(default 1000)", 0},
        {"no-floor", CLI_FLAG, &no_floor, NULL, "skip the floor (real training images)", 0},
        {"cache", CLI_STRING, &so.cache, "DIR", "cache folder of the classifier and the test "
         "statistics (default DIR/.gan-eval, or $GAN_EVAL_CACHE)", 0},
        {"classifier", CLI_STRING, &so.classifier, "FILE", "use this classifier file (from gan "
         "classifier train --out)", 0},
        {"classifier-epochs", CLI_INT, &so.train.epochs, "N", "epochs when a classifier must be "
         "trained (default: as gan classifier train)", 0},
        {"threads", CLI_INT, &so.threads, "N", "CPU threads (default 0 = all cores)", 0},
        {"quiet", CLI_FLAG, &so.quiet, NULL, "print only errors on stderr", 0},
        {0},
    };
    const char *pos[1];
    int npos;
    int parsed = cli_parse_command(argc, argv, 2, opts, usage, pos, 1, &npos);
    if (parsed >= 0) return parsed;
    if (npos != 1) {
        cli_error("expected one SAMPLES (a checkpoint, run folder, .npy, IDX file or PNG folder)");
        return 2;
    }
    if (!data) {
        cli_error("--data is required (the dataset folder whose test split the images are "
                  "compared with)");
        return 2;
    }
    if (n < 1 || n > 1000000) {
        cli_error("--n: %lld is out of range [1, 1000000]", (long long)n);
        return 2;
    }
    bool n_given = false;
    for (cli_option *o = opts; o->name; o++)
        if (strcmp(o->name, "n") == 0) n_given = o->seen;

    double t0 = progress_now();
    eval_setup e;
    if (!eval_setup_open(&e, data, &so)) return 1;
    eval_report r = {.setup = &e, .seed = seed, .parzen_n_val = n_val};
    eval_samples smp;
    float *feat = NULL, *probs = NULL;
    int rc = 1;
    gan_status s = eval_samples_load(pos[0], n_given ? n : 0, seed, &smp);
    if (s != GAN_OK) {
        cli_fail(s);
        eval_setup_close(&e);
        return 1;
    }
    r.samples = &smp;
    r.seconds_load = progress_now() - t0;
    int dc, dh, dw;
    gan_dataset_shape(e.test, &dc, &dh, &dw);
    gan_eval_options eo;
    gan_eval_options_default(&eo);
    if (smp.c != dc || smp.h != dh || smp.w != dw) {
        cli_error("%s: images are %dx%d with %d channel%s; %s holds %dx%d with %d channel%s",
                  smp.path, smp.h, smp.w, smp.c, smp.c == 1 ? "" : "s", data, dh, dw, dc,
                  dc == 1 ? "" : "s");
        goto done;
    }
    if (smp.n < eo.min_samples) {
        cli_error("%s: %lld image%s: too few to mean anything; the metrics need at least %lld "
                  "(10,000 for figures to compare)", smp.path, (long long)smp.n,
                  smp.n == 1 ? "" : "s", (long long)eo.min_samples);
        goto done;
    }
    if (parzen && (n_val < 1 || n_val >= gan_dataset_count(e.train))) {
        cli_error("--parzen-val: %lld is out of range [1, %lld)", (long long)n_val,
                  (long long)gan_dataset_count(e.train));
        goto done;
    }
    if (!so.quiet)
        fprintf(stderr, "gan eval: measuring %lld images of %s\n", (long long)smp.n, smp.path);
    double t = progress_now();
    if (!features_of(e.classifier, smp.images, smp.n, &feat, &probs)) goto done;
    r.seconds_features = progress_now() - t;
    t = progress_now();
    if ((s = gan_eval_scores_compute(&e.ref, feat, probs, smp.n, smp.requested, &eo, &r.scores)) !=
        GAN_OK) {
        cli_fail(s);
        goto done;
    }
    r.seconds_metrics = progress_now() - t;
    if (!no_floor) {
        t = progress_now();
        if (!floor_scores(&e, smp.n, &eo, &r.floor)) goto done;
        r.has_floor = true;
        r.seconds_floor = progress_now() - t;
    }
    if (parzen) {
        t = progress_now();
        if ((s = gan_eval_parzen(smp.images, smp.n, e.train, e.test, n_val, &r.parzen,
                                 r.parzen_grid)) != GAN_OK) {
            cli_fail(s);
            goto done;
        }
        r.has_parzen = true;
        r.seconds_parzen = progress_now() - t;
    }
    r.seconds_total = progress_now() - t0;
    if (json) eval_report_json(stdout, &r);
    else eval_report_table(stdout, &r);
    rc = fflush(stdout) == 0 ? 0 : 1;
done:
    free(feat), free(probs);
    eval_samples_free(&smp);
    eval_setup_close(&e);
    return rc;
}
