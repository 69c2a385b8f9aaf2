/*
 * image_resize.h - resizing interleaved uint8 images as Pillow does (box
 * filter when shrinking, triangle when enlarging; see image_resize.c).
 */
#ifndef GAN_DATA_IMAGE_RESIZE_H
#define GAN_DATA_IMAGE_RESIZE_H

#include <stdbool.h>
#include <stdint.h>

/* (sh, sw, C) -> (dh, dw, C); false when scratch memory runs out. */
bool image_resize(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh, int C);

#endif /* GAN_DATA_IMAGE_RESIZE_H */
