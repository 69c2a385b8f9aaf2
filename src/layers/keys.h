/*
 * keys.h - spec keys that several layer kinds share (spec/key.h), with
 * their ranges. The ranges keep every shape inside int arithmetic: with at
 * most 2^26 values per sample (model.h), kernels, strides and paddings up to
 * 64, 16 and 64 cannot overflow a layer's shape inference.
 */
#ifndef GAN_LAYERS_KEYS_H
#define GAN_LAYERS_KEYS_H

#include "spec/key.h"

#define GAN_KEY_MAX_UNITS (1 << 26)
#define GAN_KEY_MAX_CHANNELS 65536

#define GAN_KEY_OUT(most) {"out", SPEC_INT, NULL, false, 1, most, false, false, NULL}
#define GAN_KEY_KERNEL {"kernel", SPEC_INT, NULL, false, 1, 64, false, false, NULL}
#define GAN_KEY_STRIDE {"stride", SPEC_INT, "1", false, 1, 16, false, false, NULL}
#define GAN_KEY_PADDING {"padding", SPEC_INT, "0", false, 0, 64, false, false, NULL}
#define GAN_KEY_SPECTRAL_NORM {"spectral_norm", SPEC_BOOL, "false", false, 0, 0, false, false, NULL}
#define GAN_KEY_MOMENTUM {"momentum", SPEC_NUMBER, "0.99", false, 0, 1, false, true, NULL}
#define GAN_KEY_EPS {"eps", SPEC_NUMBER, "1e-3", false, 0, 1, true, true, NULL}

#endif
