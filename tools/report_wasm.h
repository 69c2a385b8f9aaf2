/*
 * report_wasm.h - the report page's live generator: a run's generator as
 * WebAssembly, built from the C that `gan export` writes.
 *
 * The exported C is split in two: its code, with every weight array turned
 * into a zero-filled one, is compiled by clang for wasm32-wasi (wasi-libc's
 * libm for tanhf, log, sin, cos); its weights (the arrays' hexadecimal
 * literals, bit for bit) go into the page beside the module, which copies
 * them in. So the module depends only on the architecture: it is built once
 * per process and model, and each epoch's page only swaps the weights.
 *
 * The module imports nothing and exports memory and
 *   z_ptr(), image_ptr()            the latent vector and the output (CHW)
 *   noise(seed, index)              fills z as `gan sample --seed` does
 *   generate(label)                 image = G(z) (label: conditional models)
 *   weights_count(), weight_ptr(i), weight_len(i)   where the weights go
 *
 * The compiler is $GAN_WASM_CC when set, else the first of clang, clang-19
 * .. clang-14 that runs. Without one (or without wasi-libc) the build says
 * why in `note` and returns GAN_OK with no module: the page is still written.
 */
#ifndef GAN_REPORT_WASM_H
#define GAN_REPORT_WASM_H

#include "gan.h"

#include <stddef.h>
#include <stdint.h>

typedef struct report_wasm {
    uint8_t *module;      /* the .wasm file (NULL: none, see note) */
    size_t module_len;
    size_t n_weights;     /* the generator's weights (gan_generator_weights_part), which
                           * the module's arrays take in order */
} report_wasm;

gan_status report_wasm_build(const gan_generator *g, report_wasm *out, char *note,
                             size_t note_cap);
void report_wasm_free(report_wasm *w);

#endif
