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
#include "options.h"
#include "trainer.h"

#include <string.h>

/* One row per loss, in gan_loss's order: its name, its alias, its terms
 * (D real, D fake, G) with their targets (the real target is 1 - label
 * smoothing where `smooth`), the D weight 1/2 and the reported outputs. */
static const struct loss_row {
    const char *name, *alias;
    gan_loss_term real, fake, gen;
    float t_real, t_fake, t_gen;
    bool smooth, half, probability;
} losses[] = {
    {"non-saturating", "ns", GAN_LOSS_TERM_BCE, GAN_LOSS_TERM_BCE, GAN_LOSS_TERM_BCE, 1.0f, 0.0f,
     1.0f, true, true, true},
    {"minimax", NULL, GAN_LOSS_TERM_BCE, GAN_LOSS_TERM_BCE, GAN_LOSS_TERM_NEG_BCE, 1.0f, 0.0f,
     0.0f, true, true, true},
    {"least-squares", "lsgan", GAN_LOSS_TERM_SQUARE, GAN_LOSS_TERM_SQUARE, GAN_LOSS_TERM_SQUARE,
     1.0f, 0.0f, 1.0f, false, false, false},
    {"hinge", NULL, GAN_LOSS_TERM_HINGE, GAN_LOSS_TERM_HINGE, GAN_LOSS_TERM_LINEAR, 1.0f, -1.0f,
     -1.0f, false, false, false},
    {"wasserstein", "wgan", GAN_LOSS_TERM_LINEAR, GAN_LOSS_TERM_LINEAR, GAN_LOSS_TERM_LINEAR,
     -1.0f, 1.0f, -1.0f, false, false, false},
};
#define N_LOSSES ((int)(sizeof losses / sizeof losses[0]))

const char *const gan_loss_names[] = {"non-saturating", "minimax", "least-squares", "hinge",
                                      "wasserstein", NULL};
_Static_assert(sizeof gan_loss_names / sizeof gan_loss_names[0] == N_LOSSES + 1,
               "one name per loss row");

const char *gan_loss_name(gan_loss loss) {
    return (int)loss >= 0 && (int)loss < N_LOSSES ? losses[loss].name : NULL;
}

gan_status gan_loss_parse(const char *name, gan_loss *out) {
    for (int i = 0; name && i < N_LOSSES; i++)
        if (strcmp(name, losses[i].name) == 0 ||
            (losses[i].alias && strcmp(name, losses[i].alias) == 0)) {
            *out = (gan_loss)i;
            return GAN_OK;
        }
    return gan_fail(GAN_ERR_INVALID_ARGUMENT, "unknown loss '%s' (available: non-saturating, "
                    "minimax, least-squares, hinge, wasserstein)", name ? name : "");
}

gan_loss_spec gan_loss_spec_of(const gan_train_options *o) {
    int i = (int)o->loss >= 0 && (int)o->loss < N_LOSSES ? (int)o->loss : 0;
    const struct loss_row *r = &losses[i];
    float t_real = r->smooth ? r->t_real - o->label_smoothing : r->t_real;
    return (gan_loss_spec){r->real, r->fake, r->gen, t_real, r->t_fake, r->t_gen, r->half,
                           r->probability};
}
