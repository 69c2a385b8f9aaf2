/*
 * fuzz_gif.c - the GIF writer's inputs (src/io/gif.c, gif_lzw.c): frame
 * count, channels, size, scale and delays from the input's first bytes
 * (hostile values included), the pixels from the rest (repeated to fill).
 * The encoder must refuse bad arguments and encode everything else.
 */
#include "harness_util.h"
#include "io/gif.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_input in = {data, size};
    int n = (int8_t)fuzz_take_u8(&in);         /* -128 .. 127 */
    int c = (int8_t)fuzz_take_u8(&in) % 5;     /* -4 .. 4 */
    int h = (int16_t)(fuzz_take_u8(&in) | fuzz_take_u8(&in) << 8) % 80;
    int w = (int16_t)(fuzz_take_u8(&in) | fuzz_take_u8(&in) << 8) % 80;
    gan_gif_options opt;
    gan_gif_options_default(&opt);
    opt.scale = (int8_t)fuzz_take_u8(&in) % 80;
    opt.delay_cs = (int32_t)fuzz_take_u32(&in);
    opt.loop = fuzz_take_u8(&in) & 1;
    int per_frame = fuzz_take_u8(&in) & 1;
    size_t count = n > 0 && c > 0 && h > 0 && w > 0 ? (size_t)n * c * h * w : 0;
    /* keep each run small: the encoder rightly takes up to 2^32 output pixels */
    if (count > (1u << 20) || (opt.scale > 1 && count * opt.scale * opt.scale > (1u << 22))) return 0;
    uint8_t *frames = malloc(count ? count : 1);
    int *delays = malloc(sizeof(int) * (n > 0 ? n : 1));
    if (!frames || !delays) abort();
    for (size_t i = 0; i < count; i++) frames[i] = in.size ? in.data[i % in.size] : (uint8_t)i;
    for (int i = 0; i < n; i++) delays[i] = in.size ? (int)in.data[i % in.size] * 300 - 2000 : i;
    if (per_frame) opt.delays_cs = delays;
    uint8_t *gif = NULL;
    size_t len = 0;
    if (gan_gif_encode(frames, n, c, h, w, &opt, &gif, &len) == GAN_OK) {
        if (len < 14 || memcmp(gif, "GIF89a", 6) != 0 || gif[len - 1] != 0x3b) __builtin_trap();
        free(gif);
    }
    free(frames);
    free(delays);
    return 0;
}
