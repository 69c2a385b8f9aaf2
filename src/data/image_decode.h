/*
 * image_decode.h - one PNG, JPEG or BMP file (in memory) to RGBA8 pixels,
 * and the shaping of decoded pixels into a dataset image.
 *
 * Decoding checks the header first (own PNG/BMP/JPEG size reader, then
 * stb_image's info): a file that no decoder recognises is GAN_ERR_FORMAT, and
 * a header claiming more than `max_pixels` pixels is GAN_ERR_SHAPE before any
 * pixel memory is allocated (a decompression bomb). A recognised file that fails to decode (corrupt,
 * truncated) is GAN_ERR_FORMAT. Every message starts with `name`.
 *
 * Shaping (image_shape) takes RGBA8 (h, w, 4) to (C, R, R) planar uint8:
 *   1. alpha is composited over the background: v = (c*a + bg*(255-a) + 127) / 255;
 *   2. C = 1: grey = (19595 R + 38470 G + 7471 B + 32768) >> 16 (ITU-R 601-2,
 *      Pillow's convert("L")); C = 3: RGB;
 *   3. square: centre crop to the shorter side s (offset floor((w-s)/2),
 *      floor((h-s)/2)), or letterbox into the longer side (image centred the
 *      same way, padding the background colour);
 *   4. resize the square to R x R as Pillow does (image_resize.c): box filter
 *      (area averaging) when shrinking, triangle (bilinear) when enlarging;
 *      the identity when the sizes match. The square is never built: rows are
 *      shaped and resized one at a time, so a letterboxed 16151 x 20 image
 *      costs memory for a few rows, not for 16151 x 16151 pixels.
 */
#ifndef GAN_DATA_IMAGE_DECODE_H
#define GAN_DATA_IMAGE_DECODE_H

#include "internal.h"

#define IMAGE_MAX_FILE_BYTES ((uint64_t)1 << 30) /* larger files are not read */
#define IMAGE_PROBE_BYTES ((size_t)1 << 18)       /* bytes of a file its header is looked for in */

/* A decoded image. */
typedef struct image_rgba {
    int width, height;
    int source_channels; /* 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA (as the file stores them) */
    uint8_t *px;         /* (height, width, 4) RGBA; free with image_rgba_free */
} image_rgba;

/* Header only: size and source channels, with the pixel budget checked. */
gan_status image_probe(const uint8_t *buf, size_t len, const char *name, int64_t max_pixels,
                       int *width, int *height, int *channels);

/* image_probe on the first IMAGE_PROBE_BYTES of a file (a JPEG whose size
 * marker comes later, after a huge EXIF block, is "not an image"). An empty
 * file is GAN_ERR_FORMAT, an unreadable one GAN_ERR_IO. */
gan_status image_probe_file(const char *path, int64_t max_pixels, int *width, int *height, int *channels);

/* Decode (probing first). On failure out->px is NULL. */
gan_status image_decode(const uint8_t *buf, size_t len, const char *name, int64_t max_pixels,
                        image_rgba *out);

void image_rgba_free(image_rgba *img);

/* Read a whole file (at most IMAGE_MAX_FILE_BYTES) into a malloc'd buffer.
 * A zero-byte file is GAN_ERR_FORMAT ("empty file"). */
gan_status image_read_file(const char *path, uint8_t **buf, size_t *len);

/* How decoded pixels become a dataset image. */
typedef struct image_shape_opts {
    int resolution;            /* R >= 1 */
    int channels;              /* 1 or 3 */
    gan_crop crop;
    gan_background background;
} image_shape_opts;

/* RGBA8 (h, w, 4) -> dst (channels, R, R), planar. Allocates scratch. */
gan_status image_shape(const uint8_t *rgba, int w, int h, const image_shape_opts *o, uint8_t *dst);

#endif /* GAN_DATA_IMAGE_DECODE_H */
