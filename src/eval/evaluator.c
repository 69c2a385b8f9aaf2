/*
 * evaluator.c - evaluation against one dataset folder (gan.h's
 * gan_evaluator): both splits, the feature classifier and the test split's
 * reference statistics, taken from the eval cache (eval_cache.h) when they
 * still describe the folder's files, else trained or computed and cached;
 * then the scores of image sets, the floor and the Parzen estimate. What it
 * reuses, trains or recomputes, and why, goes to the caller's note callback.
 */
#define _XOPEN_SOURCE 700
#include "eval/eval_data.h"
#include "eval/evaluate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct gan_evaluator {
    gan_evaluator_info info;
    gan_eval_data d;              /* the splits, fingerprint and cache folder */
    gan_classifier *classifier;
    gan_eval_reference ref;
    gan_eval_note_fn note;
    void *note_user;
};

static void note(gan_eval_note_fn fn, void *user, gan_eval_note_kind kind, const char *fmt, ...)
    GAN_PRINTF(4, 5);
static void note(gan_eval_note_fn fn, void *user, gan_eval_note_kind kind, const char *fmt, ...) {
    if (!fn) return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fn(user, kind, buf);
}

/* dst = the absolute path of `path` (or `path` itself when it cannot be
 * resolved). realpath's buffer form needs PATH_MAX bytes, which a fortified
 * build checks (and aborts on), so the library allocates the result. */
static void real_path(char *dst, size_t cap, const char *path) {
    char *real = realpath(path, NULL);
    snprintf(dst, cap, "%s", real ? real : path);
    free(real);
}

static bool file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

typedef struct note_to {
    gan_eval_note_fn fn;
    void *user;
} note_to;

static void on_epoch(void *ctx, const gan_classifier_epoch *e) {
    const note_to *n = ctx;
    note(n->fn, n->user, GAN_EVAL_NOTE_CLASSIFIER, "epoch %d/%d: loss %.4f, train accuracy "
         "%.2f%% (shifted, dropout), test accuracy %.2f%%, %.0f s", e->epoch, e->epochs, e->loss,
         100.0 * e->train_accuracy, 100.0 * e->test_accuracy, e->seconds);
}

/* Train on data_dir's loaded splits and record the folder and fingerprint. */
static gan_status train_on(const char *data_dir, const gan_dataset *train, const gan_dataset *test,
                           const char *fingerprint, const gan_classifier_options *opt,
                           gan_eval_note_fn fn, void *user, gan_classifier **out) {
    note(fn, user, GAN_EVAL_NOTE_CLASSIFIER, "training the feature network (%s) on %lld images "
         "of %s, %d epochs, batch %d, seed %llu", GAN_CLASSIFIER_ARCH,
         (long long)gan_dataset_count(train), data_dir,
         gan_classifier_epochs(opt, gan_dataset_count(train)), opt->batch_size,
         (unsigned long long)opt->seed);
    note_to n = {fn, user};
    GAN_TRY(gan_classifier_train(train, test, opt, on_epoch, &n, out));
    gan_classifier_info *i = &(*out)->info;
    real_path(i->data_path, sizeof i->data_path, data_dir);
    snprintf(i->fingerprint, sizeof i->fingerprint, "%s", fingerprint);
    note(fn, user, GAN_EVAL_NOTE_CLASSIFIER, "done in %.0f s: test accuracy %.2f%% (%lld "
         "images), train accuracy %.2f%%", i->seconds, 100.0 * i->test_accuracy,
         (long long)i->test_count, 100.0 * i->train_accuracy);
    return GAN_OK;
}

gan_status gan_classifier_train_folder(const char *data_dir, const gan_classifier_options *opt,
                                       gan_eval_note_fn fn, void *user, gan_classifier **out) {
    *out = NULL;
    gan_eval_data d; /* any dataset: its own test split, or a held-out sixth (eval_data.h) */
    GAN_TRY(gan_eval_data_open(data_dir, NULL, NULL, &d));
    gan_status s = d.labeled ? GAN_OK
                             : gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: no labels of two or more "
                                        "classes: a classifier cannot be trained on it", data_dir);
    if (s == GAN_OK) s = train_on(data_dir, d.train, d.test, d.fingerprint, opt, fn, user, out);
    gan_eval_data_free(&d);
    return s;
}

void gan_evaluator_options_default(gan_evaluator_options *opt) {
    memset(opt, 0, sizeof *opt);
    gan_classifier_options_default(&opt->train);
}

/* Unlabeled data: the features of a fixed random-weight network. */
static gan_status random_classifier(gan_evaluator *e) {
    gan_evaluator_info *in = &e->info;
    GAN_TRY(gan_classifier_create(2, in->channels, in->height, in->width, 0.0f, 256,
                                  GAN_EVAL_RANDOM_SEED, &e->classifier));
    snprintf(in->classifier_path, sizeof in->classifier_path, "(random weights, seed %d)",
             GAN_EVAL_RANDOM_SEED);
    e->classifier->info.train_count = gan_dataset_count(e->d.train);
    e->classifier->info.test_count = gan_dataset_count(e->d.test);
    note(e->note, e->note_user, GAN_EVAL_NOTE_CLASSIFIER, "%s has no labels (or one class): no "
         "classifier can be trained, so the features are those of %s with fixed random weights "
         "(seed %d); FID, KID and PRDC compare those, and the class metrics (Inception Score, "
         "mode coverage) are not computed", in->data_dir, GAN_CLASSIFIER_ARCH, GAN_EVAL_RANDOM_SEED);
    return GAN_OK;
}

/* The classifier: the named file, the valid cached one, or a new one. */
static gan_status open_classifier(gan_evaluator *e, const gan_evaluator_options *o) {
    gan_evaluator_info *in = &e->info;
    char why[512] = "";
    if (!in->labeled && !o->classifier) return random_classifier(e);
    if (o->classifier) {
        snprintf(in->classifier_path, sizeof in->classifier_path, "%s", o->classifier);
        GAN_TRY(gan_classifier_load(o->classifier, &e->classifier));
        gan_eval_fingerprint_diff(e->classifier->info.fingerprint, e->d.fingerprint, why, sizeof why);
        if (*why)
            note(e->note, e->note_user, GAN_EVAL_NOTE_CACHE, "warning: %s was trained on other "
                 "files than %s now holds (%s)", o->classifier, in->data_dir, why);
        return GAN_OK;
    }
    snprintf(in->classifier_path, sizeof in->classifier_path, "%s/%s", in->cache_dir,
             GAN_EVAL_CLASSIFIER_FILE);
    if (!o->retrain && file_exists(in->classifier_path)) {
        gan_status s = gan_classifier_load(in->classifier_path, &e->classifier);
        if (s != GAN_OK) snprintf(why, sizeof why, "%s", gan_last_error());
        else gan_eval_fingerprint_diff(e->classifier->info.fingerprint, e->d.fingerprint, why,
                                       sizeof why);
        if (!*why) {
            note(e->note, e->note_user, GAN_EVAL_NOTE_CACHE, "classifier %s (test accuracy "
                 "%.2f%%)", in->classifier_path, 100.0 * e->classifier->info.test_accuracy);
            return GAN_OK;
        }
        note(e->note, e->note_user, GAN_EVAL_NOTE_CACHE, "the cached classifier is stale (%s): "
             "retraining", why);
        gan_classifier_free(e->classifier);
        e->classifier = NULL;
    } else if (!o->retrain) {
        note(e->note, e->note_user, GAN_EVAL_NOTE_CACHE, "no classifier cached for %s yet: "
             "training one (once per dataset)", in->data_dir);
    }
    GAN_TRY(train_on(in->data_dir, e->d.train, e->d.test, e->d.fingerprint, &o->train, e->note,
                     e->note_user, &e->classifier));
    in->trained = true;
    GAN_TRY(gan_classifier_save(e->classifier, in->classifier_path));
    note(e->note, e->note_user, GAN_EVAL_NOTE_CLASSIFIER, "saved %s", in->classifier_path);
    return GAN_OK;
}

/* The reference statistics: cached when they match the classifier and data. */
static gan_status open_reference(gan_evaluator *e) {
    gan_evaluator_info *in = &e->info;
    snprintf(in->reference_path, sizeof in->reference_path, "%s/%s", in->cache_dir,
             GAN_EVAL_REFERENCE_FILE);
    if (file_exists(in->reference_path)) {
        char why[512] = "";
        gan_status s = gan_eval_reference_load(in->reference_path, &e->ref);
        if (s != GAN_OK) snprintf(why, sizeof why, "%s", gan_last_error());
        else if (strcmp(e->ref.classifier_id, e->classifier->id) != 0)
            snprintf(why, sizeof why, "made with classifier %s, now %s", e->ref.classifier_id,
                     e->classifier->id);
        else gan_eval_fingerprint_diff(e->ref.fingerprint, e->d.fingerprint, why, sizeof why);
        if (!*why) return GAN_OK;
        gan_eval_reference_free(&e->ref);
        note(e->note, e->note_user, GAN_EVAL_NOTE_CACHE, "the cached test statistics are stale "
             "(%s): recomputing", why);
    }
    GAN_TRY(gan_eval_reference_compute(e->classifier, e->d.test, &e->ref));
    real_path(e->ref.data_path, sizeof e->ref.data_path, in->data_dir);
    snprintf(e->ref.fingerprint, sizeof e->ref.fingerprint, "%s", e->d.fingerprint);
    GAN_TRY(gan_eval_reference_save(&e->ref, in->reference_path));
    note(e->note, e->note_user, GAN_EVAL_NOTE_CACHE, "test split statistics (%lld images) saved "
         "to %s", (long long)e->ref.n, in->reference_path);
    return GAN_OK;
}

/* Everything once e->d holds the splits. */
static gan_status open_all(gan_evaluator *e, const gan_evaluator_options *o) {
    gan_evaluator_info *in = &e->info;
    snprintf(in->cache_dir, sizeof in->cache_dir, "%s", e->d.cache_dir);
    in->labeled = e->d.labeled;
    in->held_out = e->d.held_out;
    gan_dataset_shape(e->d.test, &in->channels, &in->height, &in->width);
    if (e->d.cache_fallback)
        note(e->note, e->note_user, GAN_EVAL_NOTE_CACHE, "%s is not writable; caching in %s",
             in->data_dir, in->cache_dir);
    if (e->d.held_out)
        note(e->note, e->note_user, GAN_EVAL_NOTE_CACHE, "%s has no test split: %lld of its %lld "
             "images (a fixed random sixth%s) are held out as one", in->data_dir,
             (long long)gan_dataset_count(e->d.test),
             (long long)(gan_dataset_count(e->d.test) + gan_dataset_count(e->d.train)),
             in->labeled ? " of each class" : "");
    GAN_TRY(open_classifier(e, o));
    GAN_TRY(open_reference(e));
    in->train_count = gan_dataset_count(e->d.train);
    in->test_count = gan_dataset_count(e->d.test);
    in->reference_count = e->ref.n;
    return GAN_OK;
}

static gan_status new_evaluator(const char *data_dir, const gan_evaluator_options *opt,
                                gan_evaluator **out) {
    *out = calloc(1, sizeof **out);
    if (!*out) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "eval: out of memory");
    snprintf((*out)->info.data_dir, sizeof (*out)->info.data_dir, "%s", data_dir);
    (*out)->note = opt->note;
    (*out)->note_user = opt->note_user;
    return GAN_OK;
}

gan_status gan_evaluator_open(const char *data_dir, const gan_evaluator_options *opt,
                              gan_evaluator **out) {
    *out = NULL;
    gan_evaluator *e;
    GAN_TRY(new_evaluator(data_dir, opt, &e));
    gan_status s = gan_eval_data_open(data_dir, opt->data, opt->cache, &e->d);
    if (s == GAN_OK) s = open_all(e, opt);
    if (s == GAN_OK) *out = e;
    else gan_evaluator_free(e);
    return s;
}

gan_status gan_evaluator_open_dataset(const gan_dataset *data, const gan_evaluator_options *opt,
                                      gan_evaluator **out) {
    *out = NULL;
    gan_evaluator *e;
    GAN_TRY(new_evaluator(gan_dataset_path(data), opt, &e));
    gan_status s = gan_eval_data_open_loaded(data, opt->cache, &e->d);
    if (s == GAN_OK) /* the dataset's folder, as gan eval --data names it */
        snprintf(e->info.data_dir, sizeof e->info.data_dir, "%s", e->d.source);
    if (s == GAN_OK) s = open_all(e, opt);
    if (s == GAN_OK) *out = e;
    else gan_evaluator_free(e);
    return s;
}

void gan_evaluator_free(gan_evaluator *e) {
    if (!e) return;
    gan_eval_data_free(&e->d);
    gan_classifier_free(e->classifier);
    gan_eval_reference_free(&e->ref);
    free(e);
}

const gan_evaluator_info *gan_evaluator_get_info(const gan_evaluator *e) { return &e->info; }

const gan_classifier *gan_evaluator_classifier(const gan_evaluator *e) { return e->classifier; }

gan_status gan_evaluator_score(gan_evaluator *e, const uint8_t *images, int64_t n,
                               const int32_t *requested, const gan_eval_options *opt,
                               gan_eval_scores *out) {
    float *feat = malloc((size_t)n * GAN_CLASSIFIER_FEATURES * sizeof *feat);
    float *probs = malloc((size_t)n * e->classifier->classes * sizeof *probs);
    gan_status s = feat && probs ? GAN_OK
                                 : gan_fail(GAN_ERR_OUT_OF_MEMORY, "eval: out of memory for the "
                                            "features of %lld images", (long long)n);
    double t0 = gan_now_seconds(), t1 = t0;
    gan_eval_options o = *opt;
    if (!e->info.labeled) o.classes = false; /* a random network's classes mean nothing */
    if (s == GAN_OK) s = gan_classifier_features(e->classifier, images, n, feat, probs);
    if (s == GAN_OK) {
        t1 = gan_now_seconds();
        s = gan_eval_scores_compute(&e->ref, feat, probs, n, requested, &o, out);
    }
    out->seconds_features = t1 - t0;
    out->seconds_metrics = gan_now_seconds() - t1;
    free(feat), free(probs);
    return s;
}

gan_status gan_evaluator_floor(gan_evaluator *e, int64_t n, const gan_eval_options *opt,
                               gan_eval_scores *out) {
    int64_t n_train = gan_dataset_count(e->d.train), m = GAN_MIN(n, n_train);
    size_t per = (size_t)e->info.channels * e->info.height * e->info.width;
    uint32_t *idx = malloc((size_t)m * sizeof *idx);
    uint8_t *img = malloc((size_t)m * per);
    gan_status s = idx && img ? GAN_OK
                              : gan_fail(GAN_ERR_OUT_OF_MEMORY, "eval: out of memory for the "
                                         "floor's %lld images", (long long)m);
    if (s == GAN_OK) s = gan_eval_subset(n_train, m, GAN_EVAL_USE_FLOOR, 0, idx);
    if (s == GAN_OK) {
        gan_eval_gather(gan_dataset_pixels(e->d.train), per, idx, m, img);
        /* a small training split (a folder of a few hundred images) still gets its floor,
         * of all its images */
        gan_eval_options o = *opt;
        if (m < n) o.min_samples = GAN_MIN(o.min_samples, GAN_MAX(m, (int64_t)o.k + 2));
        s = gan_evaluator_score(e, img, m, NULL, &o, out);
    }
    free(idx), free(img);
    return s;
}

gan_status gan_evaluator_parzen(gan_evaluator *e, const uint8_t *images, int64_t n,
                                int64_t n_val, gan_parzen_scores *out) {
    return gan_eval_parzen(images, n, e->d.train, e->d.test, n_val, out);
}
