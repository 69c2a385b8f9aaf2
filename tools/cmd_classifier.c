/*
 * cmd_classifier.c - `gan classifier train`: train the feature network that
 * `gan eval` measures images with (src/eval/classifier.h) on a dataset's
 * labeled training split, and cache it with the test split's reference
 * statistics (or write it to --out). `gan classifier info FILE` shows what
 * a classifier file holds.
 */
#include "cli.h"
#include "eval_setup.h"
#include "io/safetensors.h"

#include <stdio.h>
#include <string.h>

static void usage(cli_option *opts) {
    printf("usage: gan classifier train --data DIR [--out FILE] [options]\n"
           "       gan classifier info FILE\n\n"
           "Train the small convolutional classifier whose features `gan eval` compares\n"
           "(FID, KID, precision/recall, ...) on DIR's labeled training split, and report\n"
           "its test accuracy. Without --out it is cached where `gan eval` looks for it\n"
           "(DIR/.gan-eval/ or --cache DIR; see docs/eval.md), together with the test split's\n"
           "reference features; `gan eval` trains one itself when none is cached.\n\n"
           "options:\n");
    cli_print_options(opts);
}

static int info(const char *path) {
    gan_st_file *f;
    gan_status s = gan_st_open(path, &f);
    if (s != GAN_OK) return cli_fail(s);
    gan_classifier *c;
    s = gan_classifier_load(path, &c);
    if (s != GAN_OK) {
        gan_st_close(f);
        return cli_fail(s);
    }
    printf("%s: %s, %d classes, %zu parameters\n", path, GAN_CLASSIFIER_ARCH, c->classes,
           c->model.n_params);
    for (size_t i = 0; i < gan_st_metadata_count(f); i++) {
        const char *k, *v;
        if (gan_st_metadata_at(f, i, &k, &v) == GAN_OK) printf("  %-20s %s\n", k, v);
    }
    gan_classifier_free(c);
    gan_st_close(f);
    return 0;
}

int cmd_classifier(int argc, char **argv) {
    eval_setup_options o;
    eval_setup_options_default(&o);
    const char *data = NULL, *out = NULL;
    cli_option opts[] = {
        {"data", CLI_STRING, &data, "DIR", "dataset folder with labeled train-* and t10k-* IDX "
         "files (required)", 0},
        {"out", CLI_STRING, &out, "FILE", "write the classifier here instead of the cache", 0},
        {"cache", CLI_STRING, &o.cache, "DIR", "cache folder (default DIR/.gan-eval, or "
         "$GAN_EVAL_CACHE)", 0},
        {"epochs", CLI_INT, &o.train.epochs, "N", "passes over the training split (default: "
         "ceil(600000 / images) in [10, 30])", 0},
        {"batch-size", CLI_INT, &o.train.batch_size, "N", "images per step (default 64)", 0},
        {"lr", CLI_FLOAT, &o.train.lr, "X", "peak Adam learning rate, cosine-decayed (default "
         "1e-3)", 0},
        {"dropout", CLI_FLOAT, &o.train.dropout, "P", "dropout before the last layer (default "
         "0.5; P/2 after the convolutions)", 0},
        {"shift", CLI_INT, &o.train.max_shift, "N", "augmentation: random shifts of up to N "
         "pixels (default 1; 0 = none)", 0},
        {"seed", CLI_UINT64, &o.train.seed, "S", "random seed (default 1)", 0},
        {"threads", CLI_INT, &o.threads, "N", "CPU threads (default 0 = all cores)", 0},
        {"quiet", CLI_FLAG, &o.quiet, NULL, "print only errors", 0},
        {0},
    };
    if (argc < 3 || strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0) {
        usage(opts);
        return argc < 3 ? 2 : 0;
    }
    if (strcmp(argv[2], "info") == 0) {
        if (argc == 4 && (strcmp(argv[3], "--help") == 0 || strcmp(argv[3], "-h") == 0)) {
            printf("usage: gan classifier info FILE\n\nShow what an eval classifier file "
                   "holds.\n");
            return 0;
        }
        if (argc != 4) {
            cli_error("usage: gan classifier info FILE");
            return 2;
        }
        return info(argv[3]);
    }
    if (strcmp(argv[2], "train") != 0) {
        const char *names[] = {"train", "info"};
        const char *near = cli_closest(argv[2], names, 2);
        if (near) cli_error("unknown classifier command '%s'; did you mean '%s'?", argv[2], near);
        else cli_error("unknown classifier command '%s' (commands: train, info)", argv[2]);
        return 2;
    }
    int parsed = cli_parse_command(argc, argv, 3, opts, usage, NULL, 0, NULL);
    if (parsed >= 0) return parsed;
    if (!data) {
        cli_error("--data is required (a dataset folder with labeled train-* and t10k-* files)");
        return 2;
    }
    if (out && o.cache) {
        cli_error("--out and --cache: choose one (--out writes only the classifier)");
        return 2;
    }
    if (!out) {
        o.retrain = true;
        eval_setup e;
        if (!eval_setup_open(&e, data, &o)) return 1;
        printf("%s: test accuracy %.2f%% (%lld images), train accuracy %.2f%%\n",
               e.classifier_path, 100.0 * e.classifier->info.test_accuracy,
               (long long)e.classifier->info.test_count, 100.0 * e.classifier->info.train_accuracy);
        eval_setup_close(&e);
        return 0;
    }
    gan_backend_cpu_set_threads(o.threads);
    char fp[GAN_EVAL_FINGERPRINT_MAX];
    gan_dataset *train = NULL, *test = NULL;
    gan_classifier *c = NULL;
    gan_status s = gan_eval_fingerprint(data, fp, sizeof fp);
    if (s == GAN_OK) s = gan_dataset_load(data, GAN_SPLIT_TRAIN, &train);
    if (s == GAN_OK) s = gan_dataset_load(data, GAN_SPLIT_TEST, &test);
    int rc = 1;
    if (s != GAN_OK) cli_fail(s);
    else if (eval_setup_train(data, train, test, fp, &o, &c)) {
        if ((s = gan_classifier_save(c, out)) != GAN_OK) cli_fail(s);
        else {
            printf("%s: test accuracy %.2f%% (%lld images), train accuracy %.2f%%\n", out,
                   100.0 * c->info.test_accuracy, (long long)c->info.test_count,
                   100.0 * c->info.train_accuracy);
            rc = 0;
        }
    }
    gan_classifier_free(c);
    gan_dataset_free(train);
    gan_dataset_free(test);
    return rc;
}
