/*
 * gif_palette.h - the colour table of an RGB GIF: median cut over every
 * frame's pixels, refined by k-means, and the exact nearest-colour map.
 *
 * Build: pixels are counted in a histogram of 6 bits per channel (each bin
 * keeping the exact sum of its pixels). Median cut (Heckbert 1982) starts
 * from one box holding every non-empty bin and, until there are 256 boxes
 * or none can be split, splits the box of largest squared error (sum over
 * its pixels of |colour - box mean|^2, from the bins' means) along the
 * channel of largest spread at the pixel-weighted median. Each box's colour
 * is the mean of its pixels. Two k-means (Lloyd) passes over the bins
 * then move each colour to the mean of the bins nearest to it. Frames of
 * at most 256 distinct colours get exactly those (in order of appearance).
 *
 * Map: a pixel gets the palette entry nearest to it in squared RGB
 * distance (ties: the lowest index), memoised per 24-bit colour, so equal
 * pixels get equal indices (no dithering: an animation does not crawl) and
 * the error is the palette's, not the map's.
 */
#ifndef GAN_IO_GIF_PALETTE_H
#define GAN_IO_GIF_PALETTE_H

#include "internal.h"

typedef struct gan_gif_palette {
    int size;             /* colours used (1..256) */
    uint8_t rgb[256][3];  /* entries >= size are black */
    uint8_t *map;         /* (1 << 24) memoised indices */
    uint8_t *known;       /* (1 << 21) bits: which map entries are set */
} gan_gif_palette;

/* The palette of n RGB frames (n x 3 x height x width, planar). `p` is
 * zeroed before the first build and may be built again (its tables are
 * reused); gan_gif_palette_free releases it. */
gan_status gan_gif_palette_build(const uint8_t *frames, size_t n, size_t height, size_t width,
                                 gan_gif_palette *p);

/* The index of the entry nearest to (r, g, b). */
uint8_t gan_gif_palette_index(gan_gif_palette *p, uint8_t r, uint8_t g, uint8_t b);

void gan_gif_palette_free(gan_gif_palette *p);

#endif /* GAN_IO_GIF_PALETTE_H */
