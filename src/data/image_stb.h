/*
 * image_stb.h - thin wrappers over the stb_image copy compiled in image_stb.c (so no other file includes the stb headers).
 */
#ifndef GAN_DATA_IMAGE_STB_H
#define GAN_DATA_IMAGE_STB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Width, height and channels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA) from the
 * header of a PNG, JPEG or BMP file in memory, without decoding pixels. */
bool image_stb_info(const uint8_t *buf, size_t len, int *w, int *h, int *comp);

/* Decode to RGBA8 (h, w, 4), or NULL (image_stb_failure says why). 16-bit
 * PNGs are reduced to their high byte; CMYK JPEGs are converted to RGB. */
uint8_t *image_stb_load_rgba(const uint8_t *buf, size_t len, int *w, int *h);

/* Free pixels from image_stb_load_rgba. */
void image_stb_free(uint8_t *pixels);

/* Why the last decode in this thread failed. */
const char *image_stb_failure(void);

#endif /* GAN_DATA_IMAGE_STB_H */
