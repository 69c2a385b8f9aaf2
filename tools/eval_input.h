/*
 * eval_input.h - the images `gan eval` measures, from whatever SAMPLES
 * names, as uint8 (N, C, H, W):
 *   a checkpoint file or a run folder: N images generated with
 *     gan_generator_* from the latent vectors of (seed, 0 .. N-1), exactly
 *     the images `gan sample --n N --seed S` writes;
 *   FILE.npy: uint8 [N, H, W] or [N, H, W, C]; or float32 of the same
 *     shapes holding the generator's raw output in [-1, 1] (`gan sample
 *     --float`), converted as the PNG writer does, round((x + 1) * 127.5);
 *   an IDX ubyte file (plain or gzip): [N, H, W] or [N, H, W, C];
 *   a folder of PNG files (io/image_folder.h).
 * The kind is told by the content (magic bytes), not the name. Refused with
 * a message naming the file: empty files, zero images, NaN or infinite
 * pixels, float pixels outside [-1, 1], unknown formats, and fewer images
 * than asked for.
 */
#ifndef GAN_EVAL_INPUT_H
#define GAN_EVAL_INPUT_H

#include "gan.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct eval_samples {
    uint8_t *images;     /* (n, c, h, w) */
    int64_t n;
    int c, h, w;
    const char *kind;    /* "checkpoint", "npy-uint8", "npy-float32", "idx", "png-folder" */
    char path[1200];     /* the file or folder read */
    char model[64];      /* checkpoints: the model name */
    int32_t *requested;  /* (n) classes asked of a conditional generator, or NULL */
} eval_samples;

/* Read or generate the images of `spec`. A checkpoint gives `n` images
 * (n >= 1) from `seed`; a file gives its first `n` images, or all of them
 * when n == 0. */
gan_status eval_samples_load(const char *spec, int64_t n, uint64_t seed, eval_samples *out);

void eval_samples_free(eval_samples *s);

#endif
