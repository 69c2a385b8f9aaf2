/*
 * image_folder.h - a folder of numbered PNG files as a batch of images.
 *
 * Writing: images i = 0..N-1 of a uint8 N x C x H x W batch (C = 1 gray or
 * 3 RGB, planar) become DIR/000000.png, DIR/000001.png, ... (six digits, more
 * when N > 1,000,000, so names sort in image order), each written atomically.
 * The folder is created if missing (its parent must exist). To avoid mixing
 * a new batch with files of an older, larger one, a folder that already
 * holds any entry (other than . and ..) is refused with GAN_ERR_IO and
 * nothing is written.
 *
 * Reading: every regular file in DIR whose name ends in ".png" (any case)
 * and does not start with '.', in strcmp order of the names, is decoded with
 * gan_png_read; all must have the same width, height and channel count (the
 * first differing file is named in the error). Other files are ignored. A
 * folder without PNG files is an error. The result is uint8 N x C x H x W,
 * planar (NCHW), C = 1..4 as decoded (see png.h: palette images give 3 or 4).
 */
#ifndef GAN_IO_IMAGE_FOLDER_H
#define GAN_IO_IMAGE_FOLDER_H

#include "internal.h"

#define GAN_IMAGE_FOLDER_MAX_FILES 10000000 /* most PNG files read from one folder */
#define GAN_IMAGE_FOLDER_MAX_BYTES ((uint64_t)1 << 34)

/* Write `n` images (n x channels x height x width uint8, planar) into `dir`. */
gan_status gan_image_folder_write(const char *dir, const uint8_t *images, int n, int channels,
                                  int height, int width);

/* Read a folder of PNG files. On success *images is malloc'd (caller frees),
 * n x channels x height x width bytes; on failure it is NULL. */
gan_status gan_image_folder_read(const char *dir, uint8_t **images, int *n, int *channels,
                                 int *height, int *width);

#endif /* GAN_IO_IMAGE_FOLDER_H */
