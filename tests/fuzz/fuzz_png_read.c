/*
 * fuzz_png_read.c - the PNG decoder (src/io/png_read.c), from memory and
 * from a file.
 */
#include "harness_util.h"
#include "io/png.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *px = NULL;
    int w, h, c;
    if (gan_png_decode(data, size, "fuzz.png", &px, &w, &h, &c) == GAN_OK) {
        volatile uint8_t sink = px[(size_t)w * h * c - 1];
        (void)sink;
        free(px);
    }
    const char *path = fuzz_write("x.png", data, size);
    if (path && gan_png_read(path, &px, &w, &h, &c) == GAN_OK) free(px);
    return 0;
}
