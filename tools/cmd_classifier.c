/*
 * cmd_classifier.c - `gan classifier train`: train the feature network that
 * `gan eval` measures images with (gan.h's gan_classifier) on a dataset's
 * labeled training split, and cache it with the test split's reference
 * statistics (or write it to --out). `gan classifier info FILE` shows what
 * a classifier file holds.
 */
#include "cli.h"
#include "eval_setup.h"

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

static void print_metadata(void *user, const char *key, const char *value) {
    printf("  %-20s %s\n", key, value);
}

static int info(const char *path) {
    gan_classifier *c;
    gan_status s = gan_classifier_load(path, &c);
    if (s != GAN_OK) return cli_fail(s);
    printf("%s: %s, %d classes, %zu parameters\n", path, GAN_CLASSIFIER_ARCH,
           gan_classifier_classes(c), gan_classifier_param_count(c));
    gan_classifier_free(c);
    if ((s = gan_file_metadata(path, print_metadata, NULL)) != GAN_OK) return cli_fail(s);
    return 0;
}

/* The line saying where a classifier went and how well it does. */
static void print_accuracy(const char *path, const gan_classifier *c) {
    const gan_classifier_info *i = gan_classifier_get_info(c);
    printf("%s: test accuracy %.2f%% (%lld images), train accuracy %.2f%%\n", path,
           100.0 * i->test_accuracy, (long long)i->test_count, 100.0 * i->train_accuracy);
}

int cmd_classifier(int argc, char **argv) {
    gan_evaluator_options o;
    gan_evaluator_options_default(&o);
    const char *data = NULL, *out = NULL;
    int threads = 0;
    bool quiet = false;
    cli_option opts[] = {
        {"data", CLI_STRING, &data, "PATH", "a labeled dataset gan train takes: IDX or CIFAR-10 "
         "folder (their test split), folder of class subfolders, .npy with labels, prepared pack "
         "(a fixed random sixth held out) (required)", 0, "is required (a labeled dataset)"},
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
        {"threads", CLI_INT, &threads, "N", "CPU threads (default 0 = all cores)", 0},
        {"quiet", CLI_FLAG, &quiet, NULL, "print only errors", 0},
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
    if (!cli_check_required(opts)) return 2;
    if (out && o.cache) {
        cli_error("--out and --cache: choose one (--out writes only the classifier)");
        return 2;
    }
    gan_backend_cpu_set_threads(threads);
    if (!out) {
        o.retrain = true;
        gan_evaluator *ev;
        if (!eval_setup_open(data, &o, quiet, &ev)) return 1;
        print_accuracy(gan_evaluator_get_info(ev)->classifier_path, gan_evaluator_classifier(ev));
        gan_evaluator_free(ev);
        return 0;
    }
    gan_classifier *c;
    gan_status s = gan_classifier_train_folder(data, &o.train, quiet ? NULL : eval_print_note,
                                               NULL, &c);
    if (s == GAN_OK) s = gan_classifier_save(c, out);
    if (s == GAN_OK) print_accuracy(out, c);
    else cli_fail(s);
    gan_classifier_free(c);
    return s == GAN_OK ? 0 : 1;
}
