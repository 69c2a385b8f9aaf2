/*
 * syntax.h - the pieces of the spec parser, private to src/spec:
 *   lex.c      text -> lines of words (byte checks, comments, line length)
 *   value.c    one word -> a checked value of a key (strict numbers, ranges)
 *   layers.c   a layer line -> a layer, by its kind's keys (layers/registry.c)
 *   train.c    the table of train keys: gan_train_options fields
 *   parse.c    the grammar (header, sections), then the shape check (build.c)
 * Every error is "<origin>:<line>: <message>" (spec_error).
 */
#ifndef GAN_SPEC_SYNTAX_H
#define GAN_SPEC_SYNTAX_H

#include "spec/spec.h"

#define SPEC_MAX_WORDS 32 /* words on one line */

/* Record "<origin>:<line>: <message>" (line 0: "<origin>: <message>"). */
gan_status spec_error(gan_status status, const char *origin, int line, const char *fmt, ...)
    GAN_PRINTF(4, 5);

/* ------------------------------------------------------------------- lex */

typedef struct spec_lexer {
    const char *origin;
    const char *text;
    size_t len, pos;
    int line;          /* number of the last line read */
} spec_lexer;

/* The words of one line that has any (blank and comment-only lines are
 * skipped). Words point into buf. */
typedef struct spec_line {
    int number;
    int n_words;
    char *words[SPEC_MAX_WORDS];
    char buf[GAN_SPEC_MAX_LINE + 1];
} spec_line;

void spec_lex_init(spec_lexer *lx, const char *origin, const char *text, size_t len);

/* Read the next line with words into *line; *got = false at the end. */
gan_status spec_lex_next(spec_lexer *lx, spec_line *line, bool *got);

/* ----------------------------------------------------------------- value */

/* spec_key and gan_spec_value: spec/key.h */

/* Parse `word` as a value of `key`. On failure write why (e.g. "'4x' is not
 * an integer", "0 is out of range [1, 64]") and return false. */
bool spec_value_parse(const spec_key *key, const char *word, gan_spec_value *v, char *why,
                      size_t cap);

/* Write the key's range or choices ("[1, 64]", "(0, 1)", "true or false") */
void spec_value_describe(const spec_key *key, char *buf, size_t cap);

/* ---------------------------------------------------------------- layers */

/* The kind named `name` that a spec can name (the registry's kinds that
 * every backend runs), or NULL. */
const gan_layer_ops *spec_layer_kind_find(const char *name);

/* "dense, conv2d, ..." */
void spec_layer_kind_list(char *buf, size_t cap);

/* One layer line, words[0] being the name of `kind`: values by position,
 * then key=value, then the defaults, the kind's own checks, and the layer
 * constructed into *l. words[] may be changed. On failure write why
 * ("conv2d: missing 'kernel' (a value in [1, 64])") and return false. */
bool spec_layer_parse(const gan_layer_ops *kind, char **words, int n_words, int n_classes,
                      gan_layer *l, char *why, size_t cap);

/* ----------------------------------------------------------------- train */

/* The kind of C field a train key writes follows its kind: INT -> int,
 * NUMBER -> float, U64 -> uint64_t, BOOL -> bool, CHOICE -> int (index). */
typedef struct spec_train_key {
    spec_key key;
    size_t offset; /* offsetof(gan_train_options, field) */
} spec_train_key;

/* The train keys: table[0 .. *n - 1]. */
const spec_train_key *spec_train_keys(int *n);

/* ----------------------------------------------------------------- build */

/* Chain both networks' shapes and check their ends (after the grammar). */
gan_status spec_check_shapes(gan_spec *spec);

/* "784" for a flat (F, 1, 1) shape, else "CxHxW". */
const char *spec_shape_str(const int s[3], char *buf, size_t cap);

#endif
