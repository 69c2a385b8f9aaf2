/*
 * gif.h - an animated GIF89a writer (grayscale or RGB frames).
 *
 * Frames are uint8, N x C x H x W (planar, NCHW like the rest of the
 * library), C = 1 (gray) or 3 (RGB). The file holds:
 *   "GIF89a", a logical screen of (W * scale) x (H * scale) with one
 *   256-entry global colour table, the NETSCAPE2.0 application extension
 *   (loop count 0 = forever) when opt->loop is set, then for each frame a
 *   graphic control extension (its delay, disposal "do not dispose", no
 *   transparency), an image descriptor covering the whole screen (RGB:
 *   with a 256-entry local colour table) and its LZW-compressed indices,
 *   and the trailer 0x3B.
 *
 * Palette: gray frames use entry i = (i, i, i), so gray pixels are stored
 * exactly. Each RGB frame gets its own table (io/gif_palette.h: median cut
 * refined by k-means, or the frame's own colours when there are at most
 * 256), as a local colour table of its image descriptor (frame 0's is also
 * the global table); each pixel is mapped to its nearest entry without
 * dithering (no crawling noise in an animation). One table per frame
 * because an interpolation's frames together fill a volume of colour space
 * that 256 colours cover coarsely: mean error per channel value on 4 x 4
 * grids of emoji morphing over 24 frames 2.84 with one table, 1.59 with one
 * per frame, 11.18 with the fixed 6 x 7 x 6 cube and ordered dithering used
 * before (tests/test_gif.c has a synthetic case: 5.2, 2.7 and 15.9).
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


/* Encode `n` frames (n x channels x height x width uint8, planar) as a
 * complete GIF file in memory; *out is malloc'd (caller frees), *out_len
 * bytes. opt may be NULL for the defaults. */
gan_status gan_gif_encode(const uint8_t *frames, int n, int channels, int height, int width,
                          const gan_gif_options *opt, uint8_t **out, size_t *out_len);

/* Encode and write atomically; errors name `path`. */
gan_status gan_gif_write(const char *path, const uint8_t *frames, int n, int channels,
                         int height, int width, const gan_gif_options *opt);

#endif /* GAN_IO_GIF_H */
