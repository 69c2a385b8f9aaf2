/*
 * eval_report.h - what `gan eval` found, as a readable table or as one JSON
 * object (field names documented in docs/eval.md).
 */
#ifndef GAN_EVAL_REPORT_H
#define GAN_EVAL_REPORT_H

#include "eval/evaluate.h"
#include "eval_input.h"
#include "eval_setup.h"

#include <stdio.h>

typedef struct eval_report {
    const eval_samples *samples;
    const eval_setup *setup;
    uint64_t seed;                 /* noise seed of generated samples */
    gan_eval_scores scores;        /* the samples against the test split */
    bool has_floor;
    gan_eval_scores floor;         /* a training subset against the test split */
    bool has_parzen;
    gan_parzen_result parzen;
    double parzen_grid[GAN_PARZEN_DEFAULT_GRID]; /* validation mean per sigma */
    int64_t parzen_n_val;
    double seconds_load, seconds_features, seconds_metrics, seconds_floor, seconds_parzen;
    double seconds_total;
} eval_report;

void eval_report_table(FILE *f, const eval_report *r);
void eval_report_json(FILE *f, const eval_report *r);

/* The sigma grid of gan_parzen's default: logspace(-1, 0, 10). */
double eval_report_parzen_sigma(int i);

#endif
