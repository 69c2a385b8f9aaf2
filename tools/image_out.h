/*
 * image_out.h - write generated images (floats in [-1, 1], N x C x H x W) in
 * the format that the output name asks for (see image_out_write).
 */
#ifndef GAN_IMAGE_OUT_H
#define GAN_IMAGE_OUT_H

#include "gan.h"

#include <stdbool.h>

/* FILE.png: one grid of `cols` columns; FILE.npy: uint8 [N, H, W] or [N, H,
 * W, C]; FILE.idx / FILE.gz / a name holding "idx3-ubyte": IDX ubyte [N, H,
 * W] (C = 1) or [N, H, W, C] (gzip for .gz); a name ending in '/', an
 * existing folder or a name without extension: a folder (new or empty) of
 * PNG files 000000.png, ... Non-finite pixels are refused. A grid's pixels
 * are enlarged `scale` times (0: to at least GAN_GRID_MIN_WIDTH pixels). */
gan_status image_out_write(const char *path, const float *images, int n, int c, int h, int w,
                           int cols, int scale);

/* Images with their class labels as a dataset that gan_dataset_load reads
 * back: into a folder (a name ending in '/', an existing folder or a name
 * without extension; created if needed) as train-images-idx3-ubyte and
 * train-labels-idx1-ubyte, or into a file whose name holds "images-idx3"
 * (gzip for .gz) with the labels in the same name with "labels-idx1" in its
 * place. Labels are 0..255. The labels file's path goes to labels_path. */
gan_status image_out_write_labeled(const char *path, const float *images, const int32_t *labels,
                                   int n, int c, int h, int w, char *labels_path, size_t cap);

/* The raw generator output as float32 .npy in [-1, 1], [N, H, W] or [N, H,
 * W, C]. */
gan_status image_out_write_float_npy(const char *path, const float *images, int n, int c,
                                     int h, int w);

/* Latent vectors as float32 .npy [n, latent]. */
gan_status image_out_write_noise(const char *path, const float *z, int n, int latent);

/* Convert to uint8 (round((x + 1) * 127.5), clamped), interleaved [N, H, W,
 * C] or planar [N, C, H, W]; GAN_ERR_NUMERIC for a non-finite pixel. *out is
 * malloc'd. */
gan_status image_out_to_bytes(const char *path, const float *images, size_t n, int c, int h,
                              int w, bool interleaved, uint8_t **out);

#endif
