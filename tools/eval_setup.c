/*
 * eval_setup.c - print the evaluator's notes and open it (eval_setup.h).
 */
#include "eval_setup.h"
#include "cli.h"

#include <stdio.h>

void eval_print_note(void *user, gan_eval_note_kind kind, const char *message) {
    fprintf(stderr, "gan %s: %s\n", kind == GAN_EVAL_NOTE_CLASSIFIER ? "classifier" : "eval",
            message);
}

bool eval_setup_open(const char *data_dir, gan_evaluator_options *o, bool quiet,
                     gan_evaluator **ev) {
    o->note = quiet ? NULL : eval_print_note;
    gan_status s = gan_evaluator_open(data_dir, o, ev);
    if (s != GAN_OK) cli_fail(s);
    return s == GAN_OK;
}

bool eval_setup_open_dataset(const gan_dataset *data, gan_evaluator_options *o, bool quiet,
                             gan_evaluator **ev) {
    o->note = quiet ? NULL : eval_print_note;
    gan_status s = gan_evaluator_open_dataset(data, o, ev);
    if (s != GAN_OK) cli_fail(s);
    return s == GAN_OK;
}
