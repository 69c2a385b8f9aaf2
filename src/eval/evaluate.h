/*
 * evaluate.h - the scores `gan eval` reports for one set of images against
 * the test split's reference (reference.h), from their classifier features
 * and class probabilities: FID, KID, precision / recall / density /
 * coverage, Inception Score, the histogram of predicted classes and the
 * mode coverage (and the class accuracy of a conditional generator); plus
 * deterministic subsets of a split and the Parzen-window estimate on pixels.
 * The metric definitions are in metrics.h; the CLI's field names and their
 * meaning in docs/eval.md.
 */
#ifndef GAN_EVAL_EVALUATE_H
#define GAN_EVAL_EVALUATE_H

#include "eval/metrics.h"
#include "eval/reference.h"

/* Uses of the GAN_RNG_CLASSIFIER stream (classifier.h) by evaluation. */
#define GAN_EVAL_USE_FLOOR 2  /* the training subset of the floor */
#define GAN_EVAL_USE_PARZEN 3 /* Parzen's validation images */

/* gan_eval_options and gan_eval_scores are in gan.h. */

/* Scores of n images (features (n, ref->d), probs (n, ref->classes)) against
 * the reference. KID is computed on features divided by one constant, their
 * RMS over the reference rows (sqrt(mean |r|^2 / d)), so that the cubic
 * kernel (x.y / d + 1)^3 sees values of order 1 as with Inception features;
 * FID and PRDC use the features as they are. `requested` (n labels, may be NULL) are the classes a
 * conditional generator was asked for. n < opt->min_samples is refused with
 * GAN_ERR_INVALID_ARGUMENT and a message saying why. */
gan_status gan_eval_scores_compute(const gan_eval_reference *ref, const float *features,
                                   const float *probs, int64_t n, const int32_t *requested,
                                   const gan_eval_options *opt, gan_eval_scores *out);

/* idx (m) = the first m of a Fisher-Yates shuffle of 0 .. n-1 with stream
 * gan_rng_stream(GAN_RNG_CLASSIFIER, use << 40) of `seed`, in shuffled
 * order (not sorted: a split stored class by class, as the digits are,
 * would give class-pure parts to the Inception Score). m <= n. */
gan_status gan_eval_subset(int64_t n, int64_t m, int use, uint64_t seed, uint32_t *idx);

/* Copy images idx[0..m-1] of (n, per) bytes into out (m, per). */
void gan_eval_gather(const uint8_t *images, size_t per, const uint32_t *idx, int64_t m,
                     uint8_t *out);

/* The Parzen-window log-likelihood of `test`'s images (Goodfellow et al.
 * 2014) under a window centred on the n_gen generated images `gen` (n_gen,
 * C H W bytes), pixels scaled to [0, 1]; sigma chosen on the grid
 * logspace(-1, 0, 10) by the mean log-likelihood of n_val images of `train`
 * (gan_eval_subset, use GAN_EVAL_USE_PARZEN, seed 0), with each sigma's
 * validation mean. */
gan_status gan_eval_parzen(const uint8_t *gen, int64_t n_gen, const gan_dataset *train,
                           const gan_dataset *test, int64_t n_val, gan_parzen_scores *out);

#endif /* GAN_EVAL_EVALUATE_H */
