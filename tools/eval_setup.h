/*
 * eval_setup.h - the CLI's side of gan.h's evaluator (shared by `gan
 * classifier`, `gan eval` and `gan train --eval-every`): the library's notes
 * on what it reuses, trains or recomputes, and why, printed on stderr as
 * "gan classifier: ..." or "gan eval: ..." lines.
 */
#ifndef GAN_EVAL_SETUP_H
#define GAN_EVAL_SETUP_H

#include "gan.h"

#include <stdbool.h>

/* A gan_eval_note_fn that prints the note on stderr. */
void eval_print_note(void *user, gan_eval_note_kind kind, const char *message);

/* gan_evaluator_open with the notes printed (none when quiet). Prints the
 * error and returns false on failure. */
bool eval_setup_open(const char *data_dir, gan_evaluator_options *o, bool quiet,
                     gan_evaluator **ev);

/* The same with gan_evaluator_open_dataset (data borrowed). */
bool eval_setup_open_dataset(const gan_dataset *data, gan_evaluator_options *o, bool quiet,
                             gan_evaluator **ev);

#endif
