/*
 * loss.c - CPU kernels of the losses: binary cross-entropy from logits
 * (bce_logits, returning its sums to the caller) and the GAN loss terms that
 * every loss of gan_loss is built from (loss_acc: value, reported output and
 * gradient); the CPU twin of src/cuda/loss.cu. Semantics:
 * backend_kernels.def.
 *
 * Determinism: loss sums run over the elements in order on one thread (n is
 * a batch of discriminator outputs).
 */
#include "cpu_common.h"

#include <math.h>

double gan_cpu_bce_logits(void *ctx, float *dl, const float *l, const float *t, size_t n,
                          float scale, double *prob_sum) {
    double loss = 0, probs = 0;
    for (size_t i = 0; i < n; i++) {
        float z = l[i];
        float e = expf(-fabsf(z));
        float p = z >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e); /* sigmoid, no overflow */
        loss += (double)(fmaxf(z, 0.0f) - z * t[i] + log1pf(e));
        probs += p;
        if (dl) dl[i] = scale * (p - t[i]);
    }
    if (prob_sum) *prob_sum = probs;
    return loss;
}

/* loss_acc (a helper: loss_terms calls no other table entry, which
 * scripts/count_kernels.sh counts) */
static void loss_acc(float *dl, const float *l, size_t n, gan_loss_term term, float t,
                     float scale, float *sums) {
    double loss = 0, reported = 0;
    for (size_t i = 0; i < n; i++) {
        float z = l[i], f = 0.0f, g = 0.0f, r = z;
        switch (term) {
        case GAN_LOSS_TERM_BCE:
        case GAN_LOSS_TERM_NEG_BCE: {
            float e = expf(-fabsf(z));
            float p = z >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e); /* sigmoid, no overflow */
            f = fmaxf(z, 0.0f) - z * t + log1pf(e);
            g = p - t;
            if (term == GAN_LOSS_TERM_NEG_BCE) f = -f, g = -g;
            r = p;
            break;
        }
        case GAN_LOSS_TERM_SQUARE: {
            float d = z - t;
            f = 0.5f * d * d;
            g = d;
            break;
        }
        case GAN_LOSS_TERM_HINGE: {
            float m = 1.0f - t * z;
            f = m > 0.0f ? m : 0.0f;
            g = m > 0.0f ? -t : 0.0f;
            break;
        }
        case GAN_LOSS_TERM_LINEAR:
            f = t * z;
            g = t;
            break;
        }
        loss += (double)f;
        reported += (double)r;
        if (dl) dl[i] = scale * g;
    }
    sums[0] += (float)loss;
    sums[1] += (float)reported;
}

void gan_cpu_loss_acc(void *ctx, float *dl, const float *l, size_t n, gan_loss_term term, float t,
                      float scale, float *sums) {
    loss_acc(dl, l, n, term, t, scale, sums);
}

void gan_cpu_loss_terms(void *ctx, float *dl, float *l, size_t n, int parts,
                        gan_loss_term term_a, float t_a, float *sums_a, gan_loss_term term_b,
                        float t_b, float *sums_b, float scale, const float *bias, float *db) {
    size_t rows = (size_t)parts * n;
    if (bias) /* bias_forward's (N, 1) */
        for (size_t i = 0; i < rows; i++) l[i] = l[i] + bias[0];
    loss_acc(dl, l, n, term_a, t_a, scale, sums_a);
    if (parts == 2) loss_acc(dl ? dl + n : NULL, l + n, n, term_b, t_b, scale, sums_b);
    if (bias && db && dl) { /* bias_backward's (N, 1): a float sum over the rows in order */
        float acc = 0.0f;
        for (size_t i = 0; i < rows; i++) acc += dl[i];
        db[0] += acc;
    }
}
