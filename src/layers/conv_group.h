/*
 * conv_group.h - how many images a convolution layer puts in one matrix
 * product. Larger groups give the backend's gemm wider matrices (more
 * parallel slabs); the columns (the layer's work, layer.h) grow with the
 * group, so it is capped.
 * The group is a function of shapes and max_batch only, never of threads.
 */
#ifndef GAN_LAYERS_CONV_GROUP_H
#define GAN_LAYERS_CONV_GROUP_H

#include <stddef.h>

#define GAN_CONV_COLS_CAP ((size_t)1 << 22) /* floats of columns per group (16 MiB) */

/* Images per group when one image needs `cols_per_image` column floats. */
static inline int gan_conv_group(size_t cols_per_image, int max_batch) {
    size_t g = GAN_CONV_COLS_CAP / (cols_per_image ? cols_per_image : 1);
    if (g < 1) g = 1;
    if (g > (size_t)max_batch) g = (size_t)max_batch;
    return (int)g;
}

#endif
