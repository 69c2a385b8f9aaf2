/*
 * key.h - the description of one key of the model language (a layer kind's
 * `kernel`, a train option's `lr`): its kind of value, default and range,
 * and a parsed value. Layer kinds carry their keys in their ops table
 * (layers/layer.h); the spec parser (src/spec) reads words against them.
 */
#ifndef GAN_SPEC_KEY_H
#define GAN_SPEC_KEY_H

#include <stdbool.h>
#include <stdint.h>

typedef enum spec_kind {
    SPEC_INT,    /* decimal integer within [lo, hi] */
    SPEC_NUMBER, /* decimal number (float) within lo..hi, ends open or closed */
    SPEC_U64,    /* decimal integer within [0, 2^64 - 1] */
    SPEC_BOOL,   /* true | false */
    SPEC_CHOICE, /* one of `choices` */
    SPEC_FLAGS   /* "none" or `choices` joined by commas, each at most once (a set of bits) */
} spec_kind;

typedef struct spec_key {
    const char *name;
    spec_kind kind;
    const char *def;            /* default, written as in a file; NULL: see `optional` */
    bool optional;              /* no default and not required (the kind decides) */
    double lo, hi;              /* range of INT and NUMBER */
    bool lo_open, hi_open;      /* NUMBER: the bound itself is excluded */
    const char *const *choices; /* CHOICE, FLAGS: NULL-terminated */
} spec_key;

/* A value of a key, as parsed (the member used follows the key's kind). */
typedef struct gan_spec_value {
    int64_t i;  /* integers */
    uint64_t u; /* unsigned 64-bit integers (seed) */
    float f;    /* numbers */
    bool b;     /* true / false */
    int e;      /* choices: index into the key's list; flags: bit i for choices[i] */
} gan_spec_value;

#endif
