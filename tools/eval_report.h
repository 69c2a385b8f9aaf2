/*
 * eval_report.h - what `gan eval` found, as a readable table or as one JSON
 * object (field names documented in docs/eval.md).
 */
#ifndef GAN_EVAL_REPORT_H
#define GAN_EVAL_REPORT_H

#include "eval_input.h"

#include <stdio.h>

typedef struct eval_report {
    const eval_samples *samples;
    const gan_evaluator *ev;       /* the dataset, classifier and reference measured against */
    uint64_t seed;                 /* noise seed of generated samples */
    gan_eval_scores scores;        /* the samples against the test split */
    bool has_floor;
    gan_eval_scores floor;         /* a training subset against the test split */
    bool has_parzen;
    gan_parzen_scores parzen;
    double seconds_load, seconds_floor, seconds_parzen; /* features, metrics: in scores */
    double seconds_total;
} eval_report;

void eval_report_table(FILE *f, const eval_report *r);
void eval_report_json(FILE *f, const eval_report *r);

#endif
