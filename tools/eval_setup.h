/*
 * eval_setup.h - what every evaluation of a dataset folder needs, taken
 * from the cache (src/eval/eval_cache.h) or made and cached: both splits,
 * the feature classifier, and the test split's reference features and
 * statistics. Shared by `gan classifier`, `gan eval` and `gan train
 * --eval-every`. Says on stderr what it reuses, trains or recomputes, and
 * why (unless quiet).
 */
#ifndef GAN_EVAL_SETUP_H
#define GAN_EVAL_SETUP_H

#include "eval/classifier.h"
#include "eval/reference.h"

#include <stdbool.h>

typedef struct eval_setup_options {
    const char *cache;            /* --cache DIR, or NULL: eval_cache.h's choice */
    const char *classifier;       /* a classifier file to use instead of the cache's, or NULL */
    bool retrain;                 /* train even when the cached classifier is valid */
    bool quiet;                   /* say nothing but errors */
    int threads;                  /* CPU threads (0 = all cores) */
    gan_classifier_options train; /* the recipe when a classifier is trained */
} eval_setup_options;

void eval_setup_options_default(eval_setup_options *o);

typedef struct eval_setup {
    char data_dir[1024];
    char cache_dir[1024];
    char classifier_path[1200];
    char reference_path[1200];
    char fingerprint[GAN_EVAL_FINGERPRINT_MAX];
    gan_dataset *train, *test;
    gan_classifier *classifier;
    gan_eval_reference ref;
    bool trained;                 /* the classifier was trained by this call */
} eval_setup;

/* Load or make everything for dataset folder `data_dir`. Prints an error
 * and returns false on failure (e is then closed). */
bool eval_setup_open(eval_setup *e, const char *data_dir, const eval_setup_options *o);

void eval_setup_close(eval_setup *e);

/* Train a classifier on data_dir's splits with `o->train`, printing one
 * line per epoch (unless quiet), and fill in its data path and
 * fingerprint. Used by eval_setup_open and `gan classifier train --out`. */
bool eval_setup_train(const char *data_dir, const gan_dataset *train, const gan_dataset *test,
                      const char *fingerprint, const eval_setup_options *o, gan_classifier **out);

#endif
