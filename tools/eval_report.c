/*
 * eval_report.c - print `gan eval`'s results: a table for people, or one
 * JSON object for programs (every field documented in docs/eval.md;
 * non-finite numbers are written as null).
 */
#include "eval_report.h"

#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------- table */

static void row(FILE *f, const char *name, const char *a, const char *b) {
    fprintf(f, "  %-22s %-20s %s\n", name, a, b);
}

static void num(char *buf, size_t cap, double v, const char *fmt) {
    if (isfinite(v)) snprintf(buf, cap, fmt, v);
    else snprintf(buf, cap, "-");
}

static void pm(char *buf, size_t cap, double v, double sd, int digits) {
    if (isfinite(v)) snprintf(buf, cap, "%.*f +- %.*f", digits, v, digits, sd);
    else snprintf(buf, cap, "-");
}

void eval_report_table(FILE *f, const eval_report *r) {
    const eval_samples *s = r->samples;
    const gan_evaluator_info *e = gan_evaluator_get_info(r->ev);
    const gan_classifier_info *ci = gan_classifier_get_info(gan_evaluator_classifier(r->ev));
    const gan_eval_scores *a = &r->scores, *b = r->has_floor ? &r->floor : NULL;
    char x[64], y[64];
    fprintf(f, "gan eval: %s (%s", s->path, s->kind);
    if (s->model[0]) fprintf(f, ", model %s, seed %llu", s->model, (unsigned long long)r->seed);
    fprintf(f, "): %lld images of %dx%dx%d\n", (long long)s->n, s->c, s->h, s->w);
    if (e->labeled)
        fprintf(f, "against: %s %s, %lld images; classifier %s (%s, test accuracy %.2f%%)\n\n",
                e->data_dir, e->held_out ? "held-out sixth (the data has no test split)"
                                         : "test split", (long long)e->reference_count,
                e->classifier_path, GAN_CLASSIFIER_ARCH, 100.0 * ci->test_accuracy);
    else
        fprintf(f, "against: %s %s, %lld images. The data has no labels: the features are "
                "those of %s with fixed random weights, not of a trained classifier, so FID, "
                "KID and PRDC measure distances in a random network's feature space (compare "
                "them with the floor, not with other datasets), and no class metrics "
                "(Inception Score, mode coverage) are computed\n\n", e->data_dir,
                e->held_out ? "held-out sixth" : "test split", (long long)e->reference_count,
                GAN_CLASSIFIER_ARCH);
    snprintf(y, sizeof y, "floor: %lld train", b ? (long long)b->n : 0LL);
    row(f, "metric", "samples", b ? y : "");
    row(f, "------", "-------", b ? "-----" : "");
#define BOTH(name, expr, fmt)                                                                      \
    do {                                                                                           \
        num(x, sizeof x, a->expr, fmt);                                                            \
        if (b) num(y, sizeof y, b->expr, fmt);                                                     \
        row(f, name, x, b ? y : "");                                                               \
    } while (0)
    BOTH("FID", fid, "%.3f");
    BOTH("  mean term", fid_mean_term, "%.3f");
    BOTH("  trace term", fid_trace_term, "%.3f");
    if (a->kid_subsets) {
        pm(x, sizeof x, 1000.0 * a->kid_mean, 1000.0 * a->kid_std, 3);
        if (b) pm(y, sizeof y, 1000.0 * b->kid_mean, 1000.0 * b->kid_std, 3);
        row(f, "KID x 1000", x, b ? y : "");
    }
    BOTH("precision (k=3)", precision, "%.4f");
    BOTH("recall (k=3)", recall, "%.4f");
    BOTH("density", density, "%.4f");
    BOTH("coverage", coverage, "%.4f");
    if (a->is_splits) {
        pm(x, sizeof x, a->inception_score, a->inception_score_std, 3);
        if (b) pm(y, sizeof y, b->inception_score, b->inception_score_std, 3);
        row(f, "Inception Score", x, b ? y : "");
        snprintf(x, sizeof x, "%d/%d (%.2f)", a->modes_covered, a->classes, a->mode_coverage);
        if (b) snprintf(y, sizeof y, "%d/%d (%.2f)", b->modes_covered, b->classes, b->mode_coverage);
        row(f, "mode coverage", x, b ? y : "");
        if (isfinite(a->class_accuracy)) {
            num(x, sizeof x, 100.0 * a->class_accuracy, "%.2f%%");
            row(f, "class accuracy", x, "");
        }
    }
#undef BOTH
    if (a->fid_rank_deficient)
        fprintf(f, "  (FID: %lld images do not exceed the %d features; the value is biased)\n",
                (long long)a->n, GAN_CLASSIFIER_FEATURES);
    if (a->is_splits) {
        fprintf(f, "\npredicted classes (samples%s):\n", b ? " / floor" : "");
        for (int k = 0; k < a->classes; k++) {
            double pa = 100.0 * (double)a->histogram[k] / (double)a->n;
            fprintf(f, "  %3d: %6lld (%5.1f%%)", k, (long long)a->histogram[k], pa);
            if (b) fprintf(f, "  / %6lld (%5.1f%%)", (long long)b->histogram[k],
                           100.0 * (double)b->histogram[k] / (double)b->n);
            fputc('\n', f);
        }
    }
    if (r->has_parzen) {
        const gan_parzen_scores *p = &r->parzen;
        fprintf(f, "\nParzen window (%lld generated images, pixels in [0, 1]): sigma %.4f (chosen "
                "on %lld training images, mean log-likelihood %.2f)\n", (long long)s->n, p->sigma,
                (long long)p->n_val, p->val_mean_ll);
        fprintf(f, "  test log-likelihood: %.2f +- %.2f (standard error, %lld test images)\n",
                p->mean_ll, p->std_err, (long long)e->reference_count);
    }
    fprintf(f, "\ntime: %.1f s (load/generate %.1f, features %.1f, metrics %.1f, floor %.1f, "
            "parzen %.1f)\n", r->seconds_total, r->seconds_load, r->scores.seconds_features,
            r->scores.seconds_metrics, r->seconds_floor, r->seconds_parzen);
}

/* ----------------------------------------------------------------- JSON */

static void jstr(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

static void jnum(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "%.10g", v);
    else fputs("null", f);
}

static void jkey(FILE *f, const char *key, bool *first) {
    if (!*first) fputs(", ", f);
    *first = false;
    jstr(f, key);
    fputs(": ", f);
}

static void jmetrics(FILE *f, const gan_eval_scores *m) {
    bool first = true;
    fputc('{', f);
    jkey(f, "n", &first), fprintf(f, "%lld", (long long)m->n);
    jkey(f, "n_real", &first), fprintf(f, "%lld", (long long)m->n_real);
    jkey(f, "fid", &first), jnum(f, m->fid);
    jkey(f, "fid_mean_term", &first), jnum(f, m->fid_mean_term);
    jkey(f, "fid_trace_term", &first), jnum(f, m->fid_trace_term);
    jkey(f, "fid_rank_deficient", &first), fputs(m->fid_rank_deficient ? "true" : "false", f);
    jkey(f, "kid_mean", &first), jnum(f, m->kid_mean);
    jkey(f, "kid_std", &first), jnum(f, m->kid_std);
    jkey(f, "kid_subsets", &first), fprintf(f, "%d", m->kid_subsets);
    jkey(f, "kid_subset_size", &first), fprintf(f, "%d", m->kid_subset_size);
    jkey(f, "precision", &first), jnum(f, m->precision);
    jkey(f, "recall", &first), jnum(f, m->recall);
    jkey(f, "density", &first), jnum(f, m->density);
    jkey(f, "coverage", &first), jnum(f, m->coverage);
    jkey(f, "k", &first), fprintf(f, "%d", m->k);
    jkey(f, "inception_score", &first), jnum(f, m->inception_score);
    jkey(f, "inception_score_std", &first), jnum(f, m->inception_score_std);
    jkey(f, "is_splits", &first), fprintf(f, "%d", m->is_splits);
    jkey(f, "class_histogram", &first);
    fputc('[', f);
    for (int k = 0; m->is_splits && k < m->classes; k++)
        fprintf(f, "%s%lld", k ? ", " : "", (long long)m->histogram[k]);
    fputc(']', f);
    jkey(f, "modes_covered", &first), fprintf(f, "%d", m->modes_covered);
    jkey(f, "mode_coverage", &first), jnum(f, m->mode_coverage);
    jkey(f, "class_accuracy", &first), jnum(f, m->class_accuracy);
    fputc('}', f);
}

void eval_report_json(FILE *f, const eval_report *r) {
    const eval_samples *s = r->samples;
    const gan_evaluator_info *e = gan_evaluator_get_info(r->ev);
    const gan_classifier *c = gan_evaluator_classifier(r->ev);
    const gan_classifier_info *ci = gan_classifier_get_info(c);
    bool first = true, inner;
    fputc('{', f);
    jkey(f, "gan_c_version", &first), jstr(f, GAN_VERSION);
    jkey(f, "labeled", &first), fputs(e->labeled ? "true" : "false", f);

    jkey(f, "samples", &first), fputc('{', f), inner = true;
    jkey(f, "source", &inner), jstr(f, s->path);
    jkey(f, "kind", &inner), jstr(f, s->kind);
    jkey(f, "n", &inner), fprintf(f, "%lld", (long long)s->n);
    jkey(f, "image_shape", &inner), fprintf(f, "[%d, %d, %d]", s->c, s->h, s->w);
    jkey(f, "model", &inner);
    if (s->model[0]) jstr(f, s->model);
    else fputs("null", f);
    jkey(f, "seed", &inner);
    if (s->model[0]) fprintf(f, "%llu", (unsigned long long)r->seed);
    else fputs("null", f);
    fputc('}', f);

    jkey(f, "data", &first), fputc('{', f), inner = true;
    jkey(f, "path", &inner), jstr(f, e->data_dir);
    jkey(f, "train_count", &inner), fprintf(f, "%lld", (long long)e->train_count);
    jkey(f, "test_count", &inner), fprintf(f, "%lld", (long long)e->test_count);
    jkey(f, "test_split", &inner), jstr(f, e->held_out ? "held-out sixth" : "own");
    jkey(f, "image_shape", &inner), fprintf(f, "[%d, %d, %d]", e->channels, e->height, e->width);
    fputc('}', f);

    jkey(f, "classifier", &first), fputc('{', f), inner = true;
    jkey(f, "path", &inner), jstr(f, e->classifier_path);
    jkey(f, "arch", &inner), jstr(f, GAN_CLASSIFIER_ARCH);
    jkey(f, "id", &inner), jstr(f, gan_classifier_id(c));
    jkey(f, "classes", &inner), fprintf(f, "%d", gan_classifier_classes(c));
    jkey(f, "feature_dim", &inner), fprintf(f, "%d", GAN_CLASSIFIER_FEATURES);
    jkey(f, "test_accuracy", &inner), jnum(f, ci->test_accuracy);
    jkey(f, "train_accuracy", &inner), jnum(f, ci->train_accuracy);
    fputc('}', f);

    jkey(f, "metrics", &first), jmetrics(f, &r->scores);
    jkey(f, "floor", &first);
    if (r->has_floor) jmetrics(f, &r->floor);
    else fputs("null", f);

    jkey(f, "parzen", &first);
    if (r->has_parzen) {
        const gan_parzen_scores *p = &r->parzen;
        fputc('{', f), inner = true;
        jkey(f, "sigma", &inner), jnum(f, p->sigma);
        jkey(f, "mean_log_likelihood", &inner), jnum(f, p->mean_ll);
        jkey(f, "std_err", &inner), jnum(f, p->std_err);
        jkey(f, "val_mean_log_likelihood", &inner), jnum(f, p->val_mean_ll);
        jkey(f, "n_generated", &inner), fprintf(f, "%lld", (long long)s->n);
        jkey(f, "n_validation", &inner), fprintf(f, "%lld", (long long)p->n_val);
        jkey(f, "n_test", &inner), fprintf(f, "%lld", (long long)e->reference_count);
        jkey(f, "sigma_grid", &inner), fputc('[', f);
        for (int i = 0; i < GAN_PARZEN_DEFAULT_GRID; i++) {
            if (i) fputs(", ", f);
            jnum(f, p->sigma_grid[i]);
        }
        fputc(']', f);
        jkey(f, "val_grid", &inner), fputc('[', f);
        for (int i = 0; i < GAN_PARZEN_DEFAULT_GRID; i++) {
            if (i) fputs(", ", f);
            jnum(f, p->val_grid[i]);
        }
        fputs("]}", f);
    } else {
        fputs("null", f);
    }

    jkey(f, "seconds", &first), fputc('{', f), inner = true;
    jkey(f, "total", &inner), jnum(f, r->seconds_total);
    jkey(f, "load", &inner), jnum(f, r->seconds_load);
    jkey(f, "features", &inner), jnum(f, r->scores.seconds_features);
    jkey(f, "metrics", &inner), jnum(f, r->scores.seconds_metrics);
    jkey(f, "floor", &inner), jnum(f, r->seconds_floor);
    jkey(f, "parzen", &inner), jnum(f, r->seconds_parzen);
    fputs("}}\n", f);
}
