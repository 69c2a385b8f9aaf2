/*
 * png.h - a small PNG encoder built on zlib alone (no libpng).
 *
 * Output: 8-bit grayscale (colour type 0) or 8-bit RGB (colour type 2),
 * non-interlaced. Each row gets the filter (None, Sub, Up, Average, Paeth)
 * with the smallest sum of absolute filtered bytes, the usual heuristic; the
 * filtered rows are deflated at zlib's default level (6) and stored in IDAT chunks of at most
 * GAN_PNG_IDAT_MAX bytes. Every chunk CRC is zlib's crc32 over type + data.
 *
 * The reader (png_read.c) decodes 8-bit gray, gray + alpha, RGB and RGBA,
 * palette images (1, 2, 4 or 8 bits per index; expanded to RGB, or to RGBA
 * when a tRNS chunk gives alpha values) and 1-, 2- or 4-bit gray (scaled to
 * 0..255), non-interlaced, with all five row filters. It refuses, with a
 * message naming the file: a bad signature, a chunk that runs past the end
 * of the file, a bad chunk CRC, a missing or malformed IHDR, 16-bit samples
 * and Adam7 interlacing (GAN_ERR_UNSUPPORTED), an unknown critical chunk,
 * sizes over GAN_PNG_MAX_SIDE / GAN_PNG_MAX_RAW, image data that is too short
 * or too long or corrupt, a palette index past the palette, and anything
 * after IEND. Sizes are checked before allocating, and the expected image
 * size must be reachable from the compressed size (deflate expands at most
 * ~1032:1), so a tiny hostile file cannot make it allocate gigabytes.
 * tRNS on gray or RGB images (a colour key) and all other ancillary chunks
 * (gAMA, iCCP, text, ...) are ignored.
 *
 * Pixels, both in and out, are row-major and interleaved: pixel (x, y), channel c is
 * pixels[(y * width + x) * channels + c]. The library's float images in
 * [-1, 1] (NCHW) are turned into PNG grids by gan_write_png_grid (gan.h),
 * implemented in png.c.
 */
#ifndef GAN_IO_PNG_H
#define GAN_IO_PNG_H

#include "internal.h"

/* Largest IDAT chunk payload the encoder writes (bigger streams are split). */
#define GAN_PNG_IDAT_MAX 65536

/* Largest width or height accepted, and largest raw (filtered) image size. */
#define GAN_PNG_MAX_SIDE 1000000
#define GAN_PNG_MAX_RAW ((size_t)1 << 31)

/* Encode `pixels` (height x width x channels bytes, channels 1 = gray or
 * 3 = RGB) as a complete PNG file in memory. On success *out is a malloc'd
 * buffer of *out_len bytes that the caller frees. */
gan_status gan_png_encode(const uint8_t *pixels, int width, int height, int channels,
                          uint8_t **out, size_t *out_len);

/* Encode and write a PNG file atomically (see io/atomic_file.h). */
gan_status gan_png_write(const char *path, const uint8_t *pixels, int width, int height,
                         int channels);

/* Largest PNG file the reader accepts. */
#define GAN_PNG_MAX_FILE ((size_t)1 << 31)

/* Decode a PNG held in memory (`name` is used in messages). On success
 * *pixels is malloc'd (caller frees): height x width x channels bytes,
 * interleaved, channels 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA). On
 * failure *pixels is NULL. */
gan_status gan_png_decode(const uint8_t *buf, size_t len, const char *name, uint8_t **pixels,
                          int *width, int *height, int *channels);

/* Read and decode a PNG file (see gan_png_decode); errors name `path`. */
gan_status gan_png_read(const char *path, uint8_t **pixels, int *width, int *height,
                        int *channels);

/* The grid gan_write_png_grid draws: image i sits in row i / cols, column
 * i % cols; the grid is cols * (W + 2) + 2 pixels wide and rows * (H + 2) + 2
 * high with rows = ceil(n / cols) (empty cells when n is not a multiple of
 * cols, or cols > n). NaN or infinite pixels are refused (GAN_ERR_NUMERIC)
 * before anything is written. Image borders and empty cells have this
 * value in every channel (dark grey), so that images whose background is
 * black (-1) or white (+1) both stand out from it. */
#define GAN_PNG_GRID_BORDER_VALUE 64
/* GAN_PNG_GRID_BORDER (2 pixels) is in gan.h. */

/* Map a float pixel in [-1, 1] to a byte: round((x + 1) * 127.5), clamped to
 * [0, 255]. The caller must have refused non-finite values. */
uint8_t gan_png_pixel_from_float(float x);

/* The grid of gan_write_png_grid in memory: *out (malloc'd, gw x gh x
 * channels bytes, interleaved) for the caller to free. `what` names the
 * output in error messages. */
gan_status gan_image_grid(const char *what, const float *images, int n, int channels,
                          int height, int width, int cols, uint8_t **out, int *gw, int *gh);

#endif /* GAN_IO_PNG_H */
