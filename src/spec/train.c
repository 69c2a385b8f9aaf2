/*
 * train.c - the keys of a spec's `train` section: the rows of the training
 * options table (options.h) marked for the spec, each writing its field of
 * gan_train_options, with the range that gan_trainer_create accepts.
 *
 * The key is the field's name (batch_size); a `gan train` flag given on the
 * command line wins over the spec.
 */
#include "options.h"
#include "spec/syntax.h"

#include <stddef.h>
#include <string.h>

#define SPEC_KIND_INT SPEC_INT
#define SPEC_KIND_INT64 SPEC_INT
#define SPEC_KIND_FLOAT SPEC_NUMBER
#define SPEC_KIND_UINT64 SPEC_U64
#define SPEC_KIND_LOSS SPEC_CHOICE
#define SPEC_KIND_BOOL SPEC_BOOL
#define SPEC_KIND_AUGMENT SPEC_FLAGS
#define SPEC_KIND_INIT SPEC_CHOICE
#define SPEC_CHOICES_INIT gan_init_names
#define SPEC_KIND_ONOFF SPEC_CHOICE
#define SPEC_CHOICES_ONOFF gan_onoff_names
#define SPEC_CHOICES_INT NULL
#define SPEC_CHOICES_INT64 NULL
#define SPEC_CHOICES_FLOAT NULL
#define SPEC_CHOICES_UINT64 NULL
#define SPEC_CHOICES_LOSS gan_loss_names
#define SPEC_CHOICES_BOOL NULL
#define SPEC_CHOICES_AUGMENT gan_augment_names

/* a row with spec 1 becomes a key; the others expand to nothing */
#define SPEC_ROW_0(field, type, lo, hi, lo_open, hi_open)
#define SPEC_ROW_1(field, type, lo, hi, lo_open, hi_open)                                          \
    {{#field, SPEC_KIND_##type, NULL, false, lo, hi, lo_open, hi_open, SPEC_CHOICES_##type},      \
     offsetof(gan_train_options, field)},
#define KEY(field, flag, type, def, lo, hi, lo_open, hi_open, zero_unset, spec, where, arg, help) \
    SPEC_ROW_##spec(field, type, lo, hi, lo_open, hi_open)

static const spec_train_key keys[] = {GAN_TRAIN_OPTIONS(KEY)};

_Static_assert(sizeof keys / sizeof keys[0] <= GAN_SPEC_MAX_TRAIN, "raise GAN_SPEC_MAX_TRAIN");

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
        case SPEC_BOOL: { /* an int option (GAN_OPTION_BOOL) */
            int x = v->b;
            memcpy(field, &x, sizeof x);
            break;
        }
        case SPEC_CHOICE: /* an int-sized enum */
        case SPEC_FLAGS: memcpy(field, &v->e, sizeof v->e); break; /* an int set of bits */
        }
    }
}
