/*
 * class_scores.c - scores from a classifier's class probabilities on
 * generated samples: the Inception Score (Salimans et al. 2016), the
 * histogram of predicted classes, mode coverage, and the accuracy of the
 * predicted class against the class requested of a conditional generator.
 * Definitions in metrics.h. Everything runs in one thread in row order (n K
 * work), in double.
 */
#include "eval/eval_internal.h"

#include <math.h>
#include <stdlib.h>

#define GAN_PROB_SUM_TOL 1e-3

static gan_status check_probs(const gan_features *p) {
    GAN_TRY(gan_features_check(p, 1, "class scores: probabilities"));
    if (p->d < 2)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                        "class scores: probabilities have %d column, need at least 2 classes",
                        p->d);
    for (int64_t i = 0; i < p->n; i++) {
        const float *row = p->x + (size_t)i * p->d;
        double sum = 0.0;
        for (int k = 0; k < p->d; k++) {
            if (row[k] < 0.0f || row[k] > 1.0f)
                return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                                "class scores: probabilities: %g at row %lld, column %d is "
                                "outside [0, 1] (logits instead of softmax output?)",
                                row[k], (long long)i, k);
            sum += row[k];
        }
        if (fabs(sum - 1.0) > GAN_PROB_SUM_TOL)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                            "class scores: probabilities: row %lld sums to %.6f, not 1",
                            (long long)i, sum);
    }
    return GAN_OK;
}

static int argmax(const float *row, int k) {
    int best = 0;
    for (int j = 1; j < k; j++)
        if (row[j] > row[best]) best = j;
    return best;
}

/* exp(mean over rows [r0, r1) of KL(p(y|x) || p(y))); py is K scratch. */
static double split_score(const gan_features *p, int64_t r0, int64_t r1, double *py) {
    const int K = p->d;
    for (int k = 0; k < K; k++) py[k] = 0.0;
    for (int64_t i = r0; i < r1; i++)
        for (int k = 0; k < K; k++) py[k] += p->x[(size_t)i * K + k];
    for (int k = 0; k < K; k++) py[k] /= (double)(r1 - r0);
    double kl_sum = 0.0;
    for (int64_t i = r0; i < r1; i++) {
        double kl = 0.0;
        for (int k = 0; k < K; k++) {
            double q = p->x[(size_t)i * K + k];
            if (q > 0.0) kl += q * (log(q) - log(py[k]));
        }
        kl_sum += kl;
    }
    return exp(kl_sum / (double)(r1 - r0));
}

gan_status gan_class_scores_compute(const gan_features *probs, const int32_t *requested, int splits,
                                    int64_t *histogram, gan_class_scores *out) {
    if (!out) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "class scores: NULL result");
    GAN_TRY(check_probs(probs));
    const int64_t n = probs->n;
    const int K = probs->d;
    if (splits < 1 || splits > n)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                        "class scores: %d splits for %lld rows, need "
                        "1 to the row count",
                        splits, (long long)n);
    if (requested)
        for (int64_t i = 0; i < n; i++)
            if (requested[i] < 0 || requested[i] >= K)
                return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                                "class scores: requested class %d at row %lld, need 0 to %d",
                                (int)requested[i], (long long)i, K - 1);
    double *py = malloc((size_t)K * sizeof *py);
    int64_t *hist = calloc((size_t)K, sizeof *hist);
    double *scores = malloc((size_t)splits * sizeof *scores);
    if (!py || !hist || !scores) {
        free(py), free(hist), free(scores);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "class scores: out of memory (%d classes)", K);
    }
    double mean = 0.0, var = 0.0;
    for (int s = 0; s < splits; s++) {
        int64_t r0 = s * n / splits, r1 = (s + 1) * n / splits;
        scores[s] = split_score(probs, r0, r1, py);
        mean += scores[s];
    }
    mean /= splits;
    for (int s = 0; s < splits; s++) var += (scores[s] - mean) * (scores[s] - mean);
    var /= splits;

    int64_t correct = 0;
    for (int64_t i = 0; i < n; i++) {
        int c = argmax(probs->x + (size_t)i * K, K);
        hist[c]++;
        if (requested) correct += c == requested[i];
    }
    int covered = 0;
    for (int k = 0; k < K; k++) covered += 2 * K * hist[k] >= n; /* hist >= n / (2K) */
    if (histogram)
        for (int k = 0; k < K; k++) histogram[k] = hist[k];
    out->inception_score = mean;
    out->inception_score_std = sqrt(var);
    out->splits = splits;
    out->modes_covered = covered;
    out->mode_coverage = (double)covered / K;
    out->accuracy = requested ? (double)correct / (double)n : NAN;
    free(py), free(hist), free(scores);
    return GAN_OK;
}
