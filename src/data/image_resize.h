/*
 * image_resize.h - resizing interleaved uint8 images as Pillow does (box
 * filter when shrinking, triangle when enlarging; see image_resize.c).
 *
 * The source is a frame: a (fw x fh) field of one background value with a
 * block of content inside it whose rows are produced one at a time by a
 * callback. The frame is never materialised, so a letterboxed 16000 x 20
 * image (a 16000 x 16000 square) costs memory for its content and one row,
 * not for the square: memory is O(content + fw + fh + dw * dh * C).
 */
#ifndef GAN_DATA_IMAGE_RESIZE_H
#define GAN_DATA_IMAGE_RESIZE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct image_frame {
    int fw, fh;                 /* the frame's size (the image being resized) */
    int cx, cy, cw, ch;         /* the content block inside it (cw, ch >= 1, within the frame) */
    uint8_t bg;                 /* every channel of every pixel outside the block */
    /* Write content row y (0 <= y < ch) as cw pixels of C interleaved bytes
       to out. Called once per row, in order. */
    void (*row)(void *ctx, int y, uint8_t *out);
    void *ctx;
} image_frame;

/* frame (fh, fw, C) -> dst (dh, dw, C); false when scratch memory runs out.
 * The result is what resizing the materialised frame would give, bit for bit. */
bool image_resize_frame(const image_frame *f, uint8_t *dst, int dw, int dh, int C);

#endif /* GAN_DATA_IMAGE_RESIZE_H */
