/*
 * eval_setup.c - load or make the classifier and the reference statistics
 * of a dataset folder (see eval_setup.h).
 */
#define _XOPEN_SOURCE 700
#include "eval_setup.h"
#include "cli.h"
#include "run_folder.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void eval_setup_options_default(eval_setup_options *o) {
    memset(o, 0, sizeof *o);
    gan_classifier_options_default(&o->train);
}

/* Print the library's error; false. */
/* dst = the absolute path of `path` (or `path` itself when it cannot be
 * resolved). realpath's buffer form needs PATH_MAX bytes, which a fortified
 * build checks (and aborts on), so the library allocates the result. */
static void real_path(char *dst, size_t cap, const char *path) {
    char *real = realpath(path, NULL);
    snprintf(dst, cap, "%s", real ? real : path);
    free(real);
}

static bool failed(gan_status s) {
    cli_fail(s);
    return false;
}

static void on_epoch(void *ctx, const gan_classifier_epoch *e) {
    if (*(const bool *)ctx) return;
    fprintf(stderr, "gan classifier: epoch %d/%d: loss %.4f, train accuracy %.2f%% (shifted, "
            "dropout), test accuracy %.2f%%, %.0f s\n", e->epoch, e->epochs, e->loss,
            100.0 * e->train_accuracy, 100.0 * e->test_accuracy, e->seconds);
}

bool eval_setup_train(const char *data_dir, const gan_dataset *train, const gan_dataset *test,
                      const char *fingerprint, const eval_setup_options *o, gan_classifier **out) {
    if (!o->quiet)
        fprintf(stderr, "gan classifier: training the feature network (%s) on %lld images of "
                "%s, %d epochs, batch %d, seed %llu\n", GAN_CLASSIFIER_ARCH,
                (long long)gan_dataset_count(train), data_dir,
                gan_classifier_epochs(&o->train, gan_dataset_count(train)), o->train.batch_size,
                (unsigned long long)o->train.seed);
    bool quiet = o->quiet;
    gan_status s = gan_classifier_train(train, test, &o->train, on_epoch, &quiet, out);
    if (s != GAN_OK) {
        cli_fail(s);
        return false;
    }
    gan_classifier_info *i = &(*out)->info;
    real_path(i->data_path, sizeof i->data_path, data_dir);
    snprintf(i->fingerprint, sizeof i->fingerprint, "%s", fingerprint);
    if (!o->quiet)
        fprintf(stderr, "gan classifier: done in %.0f s: test accuracy %.2f%% (%lld images), "
                "train accuracy %.2f%%\n", i->seconds, 100.0 * i->test_accuracy,
                (long long)i->test_count, 100.0 * i->train_accuracy);
    return true;
}

/* The classifier: the named file, the valid cached one, or a new one. */
static bool open_classifier(eval_setup *e, const eval_setup_options *o) {
    gan_status s;
    if (o->classifier) {
        snprintf(e->classifier_path, sizeof e->classifier_path, "%s", o->classifier);
        if ((s = gan_classifier_load(o->classifier, &e->classifier)) != GAN_OK)
            return failed(s);
        char why[256];
        gan_eval_fingerprint_diff(e->classifier->info.fingerprint, e->fingerprint, why, sizeof why);
        if (*why && !o->quiet)
            fprintf(stderr, "gan eval: warning: %s was trained on other files than %s now holds "
                    "(%s)\n", o->classifier, e->data_dir, why);
        return true;
    }
    snprintf(e->classifier_path, sizeof e->classifier_path, "%s/%s", e->cache_dir,
             GAN_EVAL_CLASSIFIER_FILE);
    if (!o->retrain && run_file_exists(e->classifier_path)) {
        s = gan_classifier_load(e->classifier_path, &e->classifier);
        char why[512] = "";
        if (s != GAN_OK) snprintf(why, sizeof why, "%s", gan_last_error());
        else gan_eval_fingerprint_diff(e->classifier->info.fingerprint, e->fingerprint, why,
                                       sizeof why);
        if (!*why) {
            if (!o->quiet)
                fprintf(stderr, "gan eval: classifier %s (test accuracy %.2f%%)\n",
                        e->classifier_path, 100.0 * e->classifier->info.test_accuracy);
            return true;
        }
        if (!o->quiet)
            fprintf(stderr, "gan eval: the cached classifier is stale (%s): retraining\n", why);
        gan_classifier_free(e->classifier);
        e->classifier = NULL;
    } else if (!o->retrain && !o->quiet) {
        fprintf(stderr, "gan eval: no classifier cached for %s yet: training one (once per "
                "dataset)\n", e->data_dir);
    }
    if (!eval_setup_train(e->data_dir, e->train, e->test, e->fingerprint, o, &e->classifier))
        return false;
    e->trained = true;
    if ((s = gan_classifier_save(e->classifier, e->classifier_path)) != GAN_OK)
        return failed(s);
    if (!o->quiet) fprintf(stderr, "gan classifier: saved %s\n", e->classifier_path);
    return true;
}

/* The reference statistics: cached when they match the classifier and data. */
static bool open_reference(eval_setup *e, const eval_setup_options *o) {
    snprintf(e->reference_path, sizeof e->reference_path, "%s/%s", e->cache_dir,
             GAN_EVAL_REFERENCE_FILE);
    if (run_file_exists(e->reference_path)) {
        char why[512] = "";
        gan_status s = gan_eval_reference_load(e->reference_path, &e->ref);
        if (s != GAN_OK) snprintf(why, sizeof why, "%s", gan_last_error());
        else if (strcmp(e->ref.classifier_id, e->classifier->id) != 0)
            snprintf(why, sizeof why, "made with classifier %s, now %s", e->ref.classifier_id,
                     e->classifier->id);
        else gan_eval_fingerprint_diff(e->ref.fingerprint, e->fingerprint, why, sizeof why);
        if (!*why) return true;
        gan_eval_reference_free(&e->ref);
        if (!o->quiet)
            fprintf(stderr, "gan eval: the cached test statistics are stale (%s): recomputing\n",
                    why);
    }
    gan_status s = gan_eval_reference_compute(e->classifier, e->test, &e->ref);
    if (s != GAN_OK) return failed(s);
    real_path(e->ref.data_path, sizeof e->ref.data_path, e->data_dir);
    snprintf(e->ref.fingerprint, sizeof e->ref.fingerprint, "%s", e->fingerprint);
    if ((s = gan_eval_reference_save(&e->ref, e->reference_path)) != GAN_OK)
        return failed(s);
    if (!o->quiet)
        fprintf(stderr, "gan eval: test split statistics (%lld images) saved to %s\n",
                (long long)e->ref.n, e->reference_path);
    return true;
}

bool eval_setup_open(eval_setup *e, const char *data_dir, const eval_setup_options *o) {
    memset(e, 0, sizeof *e);
    snprintf(e->data_dir, sizeof e->data_dir, "%s", data_dir);
    gan_backend_cpu_set_threads(o->threads);
    bool fallback;
    gan_status s = gan_eval_fingerprint(data_dir, e->fingerprint, sizeof e->fingerprint);
    if (s == GAN_OK) s = gan_dataset_load(data_dir, GAN_SPLIT_TRAIN, &e->train);
    if (s == GAN_OK) s = gan_dataset_load(data_dir, GAN_SPLIT_TEST, &e->test);
    if (s == GAN_OK && !gan_dataset_labels(e->train))
        s = gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: the training split has no labels "
                     "(train-labels-idx1-ubyte[.gz]); the eval classifier needs them", data_dir);
    if (s == GAN_OK)
        s = gan_eval_cache_dir(data_dir, o->cache, e->cache_dir, sizeof e->cache_dir, &fallback);
    if (s != GAN_OK) {
        cli_fail(s);
        eval_setup_close(e);
        return false;
    }
    if (fallback && !o->quiet)
        fprintf(stderr, "gan eval: %s is not writable; caching in %s\n", data_dir, e->cache_dir);
    if (!open_classifier(e, o) || !open_reference(e, o)) {
        eval_setup_close(e);
        return false;
    }
    return true;
}

void eval_setup_close(eval_setup *e) {
    gan_dataset_free(e->train);
    gan_dataset_free(e->test);
    gan_classifier_free(e->classifier);
    gan_eval_reference_free(&e->ref);
    e->train = e->test = NULL;
    e->classifier = NULL;
}
