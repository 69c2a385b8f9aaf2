/*
 * cmd_eval.c - `gan eval`: measure how good generated images are. The
 * images (a checkpoint's samples, an .npy / IDX file, a PNG folder;
 * eval_input.h) and the real test split (the dataset's own, or a held-out
 * sixth; any format the readers take, loaded at the shape of the run being
 * evaluated unless --resolution / --channels say otherwise) go through the
 * dataset's feature classifier (gan.h's gan_evaluator; random weights for
 * unlabeled data); the report (eval_report.h) gives FID, KID,
 * precision / recall / density / coverage, Inception Score, the predicted
 * class histogram and mode coverage, each next to its floor: the same
 * metrics for real training images against the test split. --parzen adds
 * the Parzen-window log-likelihood (Goodfellow et al. 2014).
 */
#include "cli.h"
#include "data_cli.h"
#include "eval_input.h"
#include "eval_report.h"
#include "eval_setup.h"
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(cli_option *opts) {
    printf("usage: gan eval --data PATH SAMPLES [options]\n\n"
           "Measure images against PATH's test split with a classifier trained on PATH (cached;\n"
           "trained on first use). PATH is any dataset gan train takes (IDX or CIFAR-10 folder,\n"
           "folder of images, .npy, prepared pack); without a test split a fixed random sixth\n"
           "is held out; without labels the features come from a fixed random-weight network\n"
           "and no class metrics are computed. The data is shaped as the evaluated run was\n"
           "trained (a checkpoint records it), else kept as it is, unless --resolution or\n"
           "--channels say otherwise. SAMPLES is a checkpoint or run folder (--n images are\n"
           "generated, as gan sample makes them), an .npy file (uint8 [N, H, W] or [N, H, W, C],\n"
           "or float32 in [-1, 1]), an IDX images file, or a folder of PNG files.\n"
           "Reports FID, KID, precision, recall, density, coverage (k = 3), Inception Score,\n"
           "predicted classes and mode coverage, and the floor: the same for as many real\n"
           "training images. Fields and definitions: docs/eval.md.\n\n"
           "options:\n");
    cli_print_options(opts);
}

/* Load the dataset at the shape the samples need: the flags' when given,
 * else the run's (a checkpoint records the shape it was trained at), else
 * the data's own. */
static bool eval_load_data(const char *path, const eval_samples *smp, bool shape_given,
                           gan_dataset_options *shape, bool quiet, gan_dataset **out) {
    gan_checkpoint_info *ci = NULL;
    if (!shape_given && strcmp(smp->kind, "checkpoint") == 0 && (ci = malloc(sizeof *ci)) &&
        gan_checkpoint_read_info(smp->path, ci) == GAN_OK) {
        shape->resolution = ci->data_opt.resolution, shape->channels = ci->data_opt.channels;
        shape->crop = ci->data_opt.crop, shape->background = ci->data_opt.background;
    }
    free(ci);
    gan_status s = data_cli_load(path, GAN_SPLIT_TRAIN, shape, quiet, out);
    if (s != GAN_OK) cli_fail(s);
    return s == GAN_OK;
}

int cmd_eval(int argc, char **argv) {
    gan_evaluator_options so;
    gan_evaluator_options_default(&so);
    data_cli dc = {0};
    const char *data = NULL;
    int threads = 0;
    bool quiet = false;
    int64_t n = 10000, n_val = 1000;
    uint64_t seed = 1;
    bool json = false, parzen = false, no_floor = false;
    cli_option opts[] = {
        {"data", CLI_STRING, &data, "PATH", "the dataset: IDX / CIFAR-10 folder, image folder, "
         ".npy or prepared pack (required)", 0, "is required (the dataset whose test split the "
         "images are compared with)"},
        DATA_CLI_OPTIONS(&dc),
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
        {"threads", CLI_INT, &threads, "N", "CPU threads (default 0 = all cores)", 0},
        {"quiet", CLI_FLAG, &quiet, NULL, "print only errors on stderr", 0},
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
    if (!cli_check_required(opts)) return 2;
    if (n < 1 || n > 1000000) {
        cli_error("--n: %lld is out of range [1, 1000000]", (long long)n);
        return 2;
    }
    bool n_given = false, shape_given = false;
    for (cli_option *o = opts; o->name; o++) {
        if (strcmp(o->name, "n") == 0) n_given = o->seen;
        if (strcmp(o->name, "resolution") == 0 || strcmp(o->name, "channels") == 0)
            shape_given |= o->seen;
    }
    gan_dataset_options shape;
    if (!data_cli_options(&dc, &shape)) return 2;
    shape.threads = threads;

    double t0 = progress_now();
    gan_backend_cpu_set_threads(threads);
    eval_samples smp;
    gan_status s = eval_samples_load(pos[0], n_given ? n : 0, seed, &smp);
    if (s != GAN_OK) {
        cli_fail(s);
        return 1;
    }
    gan_dataset *real = NULL;
    gan_evaluator *ev = NULL;
    if (!eval_load_data(data, &smp, shape_given, &shape, quiet, &real)) {
        eval_samples_free(&smp);
        return 1;
    }
    int rc = 1;
    if (!eval_setup_open_dataset(real, &so, quiet, &ev)) goto done;
    const gan_evaluator_info *in = gan_evaluator_get_info(ev);
    eval_report r = {.ev = ev, .seed = seed};
    r.samples = &smp;
    r.seconds_load = progress_now() - t0;
    gan_eval_options eo;
    gan_eval_options_default(&eo);
    if (smp.c != in->channels || smp.h != in->height || smp.w != in->width) {
        char hint[96] = "";
        if (smp.h == smp.w && (smp.c == 1 || smp.c == 3))
            snprintf(hint, sizeof hint, " (--resolution %d --channels %d loads it at theirs)",
                     smp.h, smp.c);
        cli_error("%s: images are %dx%d with %d channel%s; %s holds %dx%d with %d channel%s%s",
                  smp.path, smp.h, smp.w, smp.c, smp.c == 1 ? "" : "s", data, in->height,
                  in->width, in->channels, in->channels == 1 ? "" : "s", hint);
        goto done;
    }
    if (smp.n < eo.min_samples) {
        cli_error("%s: %lld image%s: too few to mean anything; the metrics need at least %lld "
                  "(10,000 for figures to compare)", smp.path, (long long)smp.n,
                  smp.n == 1 ? "" : "s", (long long)eo.min_samples);
        goto done;
    }
    if (parzen && (n_val < 1 || n_val >= in->train_count)) {
        cli_error("--parzen-val: %lld is out of range [1, %lld)", (long long)n_val,
                  (long long)in->train_count);
        goto done;
    }
    if (!quiet)
        fprintf(stderr, "gan eval: measuring %lld images of %s\n", (long long)smp.n, smp.path);
    if ((s = gan_evaluator_score(ev, smp.images, smp.n, smp.requested, &eo, &r.scores)) !=
        GAN_OK) {
        cli_fail(s);
        goto done;
    }
    if (!no_floor) {
        double t = progress_now();
        if ((s = gan_evaluator_floor(ev, smp.n, &eo, &r.floor)) != GAN_OK) {
            cli_fail(s);
            goto done;
        }
        r.has_floor = true;
        r.seconds_floor = progress_now() - t;
    }
    if (parzen) {
        double t = progress_now();
        if ((s = gan_evaluator_parzen(ev, smp.images, smp.n, n_val, &r.parzen)) != GAN_OK) {
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
    eval_samples_free(&smp);
    gan_evaluator_free(ev);
    gan_dataset_free(real);
    return rc;
}
