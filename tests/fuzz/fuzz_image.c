/*
 * fuzz_image.c - libFuzzer harness for the image decoder entry point
 * (src/data/image_decode.c: header probe with the pixel budget, stb_image's
 * PNG/JPEG/BMP decoders) and the shaping that follows it in a folder load
 * (alpha over the background, crop, resize to 16 x 16 and to 40 x 40).
 *
 * Seeds: tests/fuzz/corpus/image/ (every variant of tests/fixtures/images).
 * By hand:
 *   clang -g -O1 -fsanitize=fuzzer,address -Iinclude -Isrc tests/fuzz/fuzz_image.c \
 *       src/data/image_decode.c src/data/image_resize.c src/data/image_stb.c src/status.c -lm -o fuzz_image
 *   ./fuzz_image -max_total_time=60 tests/fuzz/corpus/image
 */
#include "data/image_decode.h"

#include <stdlib.h>

#define FUZZ_MAX_PIXELS ((int64_t)1 << 20) /* keeps each input fast and small */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    image_rgba img;
    if (image_decode(data, size, "fuzz", FUZZ_MAX_PIXELS, &img) != GAN_OK) return 0;
    static uint8_t out[3 * 40 * 40];
    image_shape_opts small = {16, 3, GAN_CROP_CENTER, GAN_BACKGROUND_WHITE};
    image_shape_opts large = {40, 1, GAN_CROP_NONE, GAN_BACKGROUND_BLACK};
    image_shape(img.px, img.width, img.height, &small, out);
    image_shape(img.px, img.width, img.height, &large, out);
    image_rgba_free(&img);
    return 0;
}
