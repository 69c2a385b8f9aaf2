/*
 * train.c - the keys of a spec's `train` section: each names a field of
 * gan_train_options, with the range that gan_trainer_create accepts.
 *
 * To add an option: add its field to gan_train_options, then one row here
 * (a CHOICE key writes the index of the word into an int field, e.g.
 * {"loss", SPEC_CHOICE, ..., loss_names} -> opt->loss), then document it in
 * docs/model-spec.md. The key is the `gan train` flag without "--" and with
 * '_' for '-' (batch_size <-> --batch-size), and a flag given on the command
 * line wins over the spec.
 */
#include "spec/syntax.h"

#include <stddef.h>
#include <string.h>

#define OPT(field) offsetof(gan_train_options, field)

/* the names of gan_loss, in its order (gan_loss_name) */
static const char *const loss_names[] = {"non-saturating", "minimax", "least-squares", "hinge",
                                         "wasserstein", NULL};

static const spec_train_key keys[] = {
    {{"batch_size", SPEC_INT, NULL, false, 1, 65536, false, false, NULL}, OPT(batch_size)},
    {{"lr", SPEC_NUMBER, NULL, false, 0, 1, true, true, NULL}, OPT(lr)},
    {{"beta1", SPEC_NUMBER, NULL, false, 0, 1, false, true, NULL}, OPT(beta1)},
    {{"beta2", SPEC_NUMBER, NULL, false, 0, 1, false, true, NULL}, OPT(beta2)},
    {{"adam_eps", SPEC_NUMBER, NULL, false, 0, 1, true, true, NULL}, OPT(adam_eps)},
    {{"seed", SPEC_U64, NULL, false, 0, 0, false, false, NULL}, OPT(seed)},
    {{"epochs", SPEC_INT, NULL, false, 1, 2147483647.0, false, false, NULL}, OPT(epochs)},
    {{"loss", SPEC_CHOICE, NULL, false, 0, 0, false, false, loss_names}, OPT(loss)},
    {{"clip", SPEC_NUMBER, NULL, false, 0, 100, true, false, NULL}, OPT(clip)},
    {{"lr_g", SPEC_NUMBER, NULL, false, 0, 1, true, true, NULL}, OPT(lr_g)},
    {{"lr_d", SPEC_NUMBER, NULL, false, 0, 1, true, true, NULL}, OPT(lr_d)},
    {{"d_steps", SPEC_INT, NULL, false, 1, 100, false, false, NULL}, OPT(d_steps)},
    {{"label_smoothing", SPEC_NUMBER, NULL, false, 0, 0.5, false, true, NULL},
     OPT(label_smoothing)},
    {{"ema", SPEC_NUMBER, NULL, false, 0, 1, false, true, NULL}, OPT(ema)},
};

_Static_assert(sizeof keys / sizeof keys[0] <= GAN_SPEC_MAX_TRAIN, "raise GAN_SPEC_MAX_TRAIN");
_Static_assert(sizeof(gan_loss) == sizeof(int), "the loss key writes an int");

const spec_train_key *spec_train_keys(int *n) {
    *n = (int)(sizeof keys / sizeof keys[0]);
    return keys;
}

void gan_spec_train_options(const gan_spec *spec, gan_train_options *opt) {
    int n;
    const spec_train_key *k = spec_train_keys(&n);
    for (int i = 0; i < n; i++) {
        if (!spec->train_line[i]) continue;
        char *field = (char *)opt + k[i].offset;
        const gan_spec_value *v = &spec->train[i];
        switch (k[i].key.kind) {
        case SPEC_INT: {
            int x = (int)v->i;
            memcpy(field, &x, sizeof x);
            break;
        }
        case SPEC_NUMBER: memcpy(field, &v->f, sizeof v->f); break;
        case SPEC_U64: memcpy(field, &v->u, sizeof v->u); break;
        case SPEC_BOOL: memcpy(field, &v->b, sizeof v->b); break;
        case SPEC_CHOICE: memcpy(field, &v->e, sizeof v->e); break; /* an int-sized enum */
        }
    }
}
