/*
 * loss.c - the adversarial losses (gan_loss, gan.h): their names, and how
 * each one is built from the backend's loss terms (gan_loss_spec,
 * trainer.h).
 *
 * Every loss is a sum of per-output terms f(D(.); target) over D's real
 * half, D's fake half and G's batch:
 *   loss               D real          D fake           G               D weight
 *   non-saturating     BCE(1 - s)      BCE(0)           BCE(1)          1/2
 *   minimax            BCE(1 - s)      BCE(0)           -BCE(0)         1/2
 *   least-squares      (l - 1)^2 / 2   (l - 0)^2 / 2    (l - 1)^2 / 2   1
 *   hinge              max(0, 1 - l)   max(0, 1 + l)    -l              1
 *   wasserstein        -l              +l               -l              1
 * with s the label smoothing; D's loss = weight * (sum of both halves) / B,
 * G's loss = (sum of G's terms) / B. -BCE(0) = log(1 - sigmoid(l)).
 */
#include "trainer.h"

#include <string.h>

static const char *const loss_names[] = {"non-saturating", "minimax", "least-squares", "hinge",
                                         "wasserstein"};
#define N_LOSSES ((int)(sizeof loss_names / sizeof loss_names[0]))

const char *gan_loss_name(gan_loss loss) {
    return (int)loss >= 0 && (int)loss < N_LOSSES ? loss_names[loss] : NULL;
}

gan_status gan_loss_parse(const char *name, gan_loss *out) {
    static const struct {
        const char *alias;
        gan_loss loss;
    } aliases[] = {{"ns", GAN_LOSS_NONSATURATING},
                   {"lsgan", GAN_LOSS_LEAST_SQUARES},
                   {"wgan", GAN_LOSS_WASSERSTEIN}};
    for (int i = 0; name && i < N_LOSSES; i++)
        if (strcmp(name, loss_names[i]) == 0) {
            *out = (gan_loss)i;
            return GAN_OK;
        }
    for (size_t i = 0; name && i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(name, aliases[i].alias) == 0) {
            *out = aliases[i].loss;
            return GAN_OK;
        }
    return gan_fail(GAN_ERR_INVALID_ARGUMENT, "--loss: unknown loss '%s' (available: "
                    "non-saturating, minimax, least-squares, hinge, wasserstein)",
                    name ? name : "");
}

gan_loss_spec gan_loss_spec_of(const gan_train_options *o) {
    float real = 1.0f - o->label_smoothing;
    switch (o->loss) {
    case GAN_LOSS_MINIMAX:
        return (gan_loss_spec){GAN_LOSS_TERM_BCE, GAN_LOSS_TERM_BCE, GAN_LOSS_TERM_NEG_BCE,
                               real, 0.0f, 0.0f, true, true};
    case GAN_LOSS_LEAST_SQUARES:
        return (gan_loss_spec){GAN_LOSS_TERM_SQUARE, GAN_LOSS_TERM_SQUARE,
                               GAN_LOSS_TERM_SQUARE, 1.0f, 0.0f, 1.0f, false, false};
    case GAN_LOSS_HINGE:
        return (gan_loss_spec){GAN_LOSS_TERM_HINGE, GAN_LOSS_TERM_HINGE, GAN_LOSS_TERM_LINEAR,
                               1.0f, -1.0f, -1.0f, false, false};
    case GAN_LOSS_WASSERSTEIN:
        return (gan_loss_spec){GAN_LOSS_TERM_LINEAR, GAN_LOSS_TERM_LINEAR,
                               GAN_LOSS_TERM_LINEAR, -1.0f, 1.0f, -1.0f, false, false};
    case GAN_LOSS_NONSATURATING:
    default:
        return (gan_loss_spec){GAN_LOSS_TERM_BCE, GAN_LOSS_TERM_BCE, GAN_LOSS_TERM_BCE, real,
                               0.0f, 1.0f, true, true};
    }
}
