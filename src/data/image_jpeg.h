/*
 * image_jpeg.h - JPEG decoding with libjpeg-turbo (Debian libjpeg62-turbo-dev)
 * when the build found it; stb_image (image_stb.c) decodes JPEGs otherwise.
 *
 * Why not stb for JPEG: Debian's stb_image 2.27 (and upstream since) shifts by
 * a negative-derived count in stbi__grow_buffer_unsafe after a Huffman code
 * that matches no table (undefined behaviour, found by tests/fuzz/fuzz_image;
 * the reproducer is tests/fuzz/known/image/jpeg-negative-code-bits-shift.jpg),
 * which no check on the file before decoding can rule out. libjpeg-turbo is
 * fuzzed continuously (OSS-Fuzz), decodes as Pillow does (the tests' fixtures
 * come from Pillow) and is faster. Its warnings about corrupt data (extraneous
 * bytes, a premature end) are errors here, as for stb.
 */
#ifndef GAN_DATA_IMAGE_JPEG_H
#define GAN_DATA_IMAGE_JPEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether libjpeg-turbo decodes JPEGs in this build. */
bool image_jpeg_available(void);

/* Whether buf starts as stb_image recognises a JPEG: FF, any FF fill bytes, D8. */
bool image_jpeg_is_jpeg(const uint8_t *buf, size_t len);

/* Decode a JPEG to RGBA8 (h, w, 4) in a malloc'd buffer, refusing it (NULL,
 * *why set, nothing allocated for the pixels) unless its frame is exactly
 * want_w x want_h (the size the caller checked against its budget). Grey
 * and RGB/YCbCr JPEGs as libjpeg-turbo converts them; CMYK and YCCK ones
 * with the Adobe (inverted) convention, R = C * K / 255, as stb_image does. */
uint8_t *image_jpeg_load_rgba(const uint8_t *buf, size_t len, int want_w, int want_h, const char **why);

#endif /* GAN_DATA_IMAGE_JPEG_H */
