/*
 * train_flags.h - `gan train`'s flags for the training options, made from
 * the library's table of options (gan_train_option_at): one flag per row,
 * the values checked by the library and its messages reported with the
 * flags' names, and a resumed run's contradiction checks.
 */
#ifndef GAN_TRAIN_FLAGS_H
#define GAN_TRAIN_FLAGS_H

#include "cli.h"

#define TRAIN_FLAGS_MAX 32 /* rows of the table */

typedef struct train_flags {
    gan_train_options *opt;
    int first, count;                     /* the rows' entries in the option table */
    const char *text[TRAIN_FLAGS_MAX];    /* values of name-valued rows (loss, device) */
    bool set[TRAIN_FLAGS_MAX];            /* values of flag rows (tf32) */
} train_flags;

/* Write the rows' entries into opts[at ..] (room for TRAIN_FLAGS_MAX) and
 * return how many; parsed values land in *opt. */
int train_flags_add(train_flags *tf, gan_train_options *opt, cli_option *opts, int at);

/* After parsing: the name-valued and flag rows into *opt, then every option
 * checked (gan_train_options_check). Prints the error with the flag's name
 * and returns false on a bad value. */
bool train_flags_finish(train_flags *tf, const cli_option *opts);

/* Print the library's last error with the options named by their flags: its
 * leading key ("batch_size: ..." -> "--batch-size: ...") and keys with an
 * underscore anywhere ("x d_steps = 320" -> "x --d-steps = 320"). */
void train_flags_report(void);

/* With --resume: every flag given for an option the run keeps must equal
 * the checkpoint's value `saved`, but those whose key is in `changeable`
 * (NULL-terminated, or NULL: none; --allow-change). Prints the
 * contradiction and returns false otherwise. */
bool train_flags_agree(const train_flags *tf, const cli_option *opts, const char *const *changeable,
                       const gan_train_options *saved, const char *ckpt);

#endif
