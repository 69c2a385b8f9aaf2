/*
 * gif.h - an animated GIF89a writer (grayscale or RGB frames).
 *
 * Frames are uint8, N x C x H x W (planar, NCHW like the rest of the
 * library), C = 1 (gray) or 3 (RGB). The file holds:
 *   "GIF89a", a logical screen of (W * scale) x (H * scale) with one
 *   256-entry global colour table, the NETSCAPE2.0 application extension
 *   (loop count 0 = forever) when opt->loop is set, then for each frame a
 *   graphic control extension (its delay, disposal "do not dispose", no
 *   transparency), an image descriptor covering the whole screen and its
 *   LZW-compressed indices, and the trailer 0x3B.
 *
 * Palette: gray frames use entry i = (i, i, i), so gray pixels are stored
 * exactly. RGB frames use a fixed 6 x 7 x 6 colour cube (252 entries; red and
 * blue have 6 levels, green 7): index = 42 r + 6 g + b with r = round(R * 5 /
 * 255), g = round(G * 6 / 255), b = round(B * 5 / 255), level k of an L-level
 * channel being round(k * 255 / (L - 1)); the last 4 entries are black and
 * unused. Frames are mapped with ordered dithering (a 4 x 4 Bayer matrix at
 * the source pixel's position): per channel, level = floor(v (L - 1) / 255 +
 * (2 t + 1) / 32) with t the matrix entry, so a flat colour between two
 * levels becomes a fine pattern whose mean is that colour, not a band of
 * the nearer level. Ordered, not error diffusion, so that a pixel that
 * does not change between frames keeps its index (no crawling noise in an
 * animation), and pure colours (levels) map exactly.
 *
 * LZW: minimum code size 8, clear code 256, end code 257, variable-width
 * codes from 9 up to 12 bits; when the code table is full a clear code is
 * sent and the table starts again. Data goes in sub-blocks of up to 255
 * bytes.
 *
 * Upscaling by an integer `scale` repeats each pixel scale x scale times
 * (nearest neighbour). The file is written atomically.
 */
#ifndef GAN_IO_GIF_H
#define GAN_IO_GIF_H

#include "internal.h"

#define GAN_GIF_MAX_SIDE 65535                   /* a GIF's width and height are 16-bit */
#define GAN_GIF_MAX_PIXELS ((uint64_t)1 << 32)   /* largest N * W * H after scaling */
#define GAN_GIF_MAX_SCALE 64

/* gan_gif_options and gan_gif_write are public: see gan.h. */


/* Palette index of an RGB pixel, nearest level per channel; exposed for
 * tests. */
uint8_t gan_gif_rgb_index(uint8_t r, uint8_t g, uint8_t b);

/* The same, ordered-dithered for source position (x, y) (see above): what
 * RGB frames are written with. */
uint8_t gan_gif_rgb_index_dithered(uint8_t r, uint8_t g, uint8_t b, size_t x, size_t y);

/* The colour of palette entry i for gray (channels 1) or RGB (channels 3)
 * frames, as 3 bytes into rgb. */
void gan_gif_palette_entry(int channels, int i, uint8_t rgb[3]);

/* Encode `n` frames (n x channels x height x width uint8, planar) as a
 * complete GIF file in memory; *out is malloc'd (caller frees), *out_len
 * bytes. opt may be NULL for the defaults. */
gan_status gan_gif_encode(const uint8_t *frames, int n, int channels, int height, int width,
                          const gan_gif_options *opt, uint8_t **out, size_t *out_len);

/* Encode and write atomically; errors name `path`. */
gan_status gan_gif_write(const char *path, const uint8_t *frames, int n, int channels,
                         int height, int width, const gan_gif_options *opt);

#endif /* GAN_IO_GIF_H */
