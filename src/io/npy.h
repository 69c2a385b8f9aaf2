/*
 * npy.h - read and write NumPy .npy files (uint8 and float32 arrays).
 *
 * File layout (numpy.lib.format):
 *   6 bytes   magic "\x93NUMPY"
 *   2 bytes   version major, minor: 1.0, 2.0 or 3.0
 *   2 or 4    header length H, little-endian (uint16 for 1.0, uint32 for
 *             2.0 and 3.0)
 *   H bytes   an ASCII (3.0: UTF-8) Python dict literal, padded with spaces
 *             and ended by '\n':
 *               {'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }
 *   rest      the elements, row-major (C order).
 *
 * The writer produces version 1.0, C order, descr '|u1' (uint8) or '<f4'
 * (float32, little-endian), with the header padded so that the data starts
 * at a multiple of 64 bytes, as numpy does; the file is written atomically.
 *
 * The reader accepts versions 1.0, 2.0 and 3.0 and parses the dict strictly:
 * exactly the keys 'descr', 'fortran_order' and 'shape', each once, in any
 * order (an optional trailing comma and spaces are allowed, strings may use '
 * or " quotes); descr must be '|u1', '<u1' or '<f4'; fortran_order must be
 * False; shape is a tuple of 0..GAN_NPY_MAX_DIMS non-negative integers. The
 * header must end with '\n' and hold nothing but spaces after the dict. The
 * data size (product of the shape times the element size, checked for
 * overflow and capped at GAN_NPY_MAX_BYTES) must equal the bytes left in the
 * file, and this is checked before the data is allocated. Anything else is
 * refused: GAN_ERR_FORMAT for a malformed file, GAN_ERR_UNSUPPORTED for a
 * valid .npy that this reader does not handle (another dtype, big-endian,
 * Fortran order, too many dimensions), each with "PATH: <problem>".
 *
 * Host byte order must be little-endian (checked at compile time).
 */
#ifndef GAN_IO_NPY_H
#define GAN_IO_NPY_H

#include "internal.h"

#define GAN_NPY_MAX_HEADER ((uint32_t)1 << 20)       /* largest header length accepted */
#define GAN_NPY_MAX_BYTES ((uint64_t)1 << 36)        /* largest data section accepted */

/* gan_npy_dtype is public: see gan.h. */

/* Bytes per element (1 or 4; 0 for an unknown value). */
size_t gan_npy_dtype_size(gan_npy_dtype dtype);

/* gan_npy, gan_npy_read/write/free are public: see gan.h. */

/* Write `data` (the product of `shape` elements of `dtype`) as a version 1.0
 * .npy file, atomically. ndims is 0..GAN_NPY_MAX_DIMS; data may be NULL only
 * when the array has no elements. */
gan_status gan_npy_write(const char *path, gan_npy_dtype dtype, int ndims, const int64_t *shape,
                         const void *data);

/* Read a .npy file. On failure *out is left empty (data NULL) and the
 * message names `path`. Free with gan_npy_free. */
gan_status gan_npy_read(const char *path, gan_npy *out);

/* Free the data of `npy` and reset it (NULL is allowed). */
void gan_npy_free(gan_npy *npy);

#endif /* GAN_IO_NPY_H */
