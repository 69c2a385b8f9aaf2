/*
 * idx.h - reading and writing IDX files (the MNIST file format), plain or
 * gzip-compressed.
 *
 * An IDX file is a 4-byte magic number 0x00 0x00 TYPE NDIMS, then NDIMS
 * big-endian uint32 dimension sizes, then the elements in row-major order.
 * Only unsigned-byte elements (TYPE 0x08) are supported, with 1 to 4
 * dimensions: idx1-ubyte label files (N) and idx3-ubyte image files (N, H, W).
 *
 * The reader validates the header (magic, element type, every dimension > 0,
 * total size below GAN_IDX_MAX_BYTES) before it allocates anything, and then
 * requires the file to hold exactly the announced number of bytes: a short
 * file is "truncated", a long one has "trailing data". Gzip files are
 * recognised by their magic bytes (1f 8b), not by their name; as their size is
 * unknown up front, they are read incrementally and the buffer never grows
 * past the size the (capped) header announces. A gzip file may hold several
 * members (as gunzip allows); a stream cut before its CRC and length, corrupt
 * deflate data, a bad CRC and bytes after the last member are all refused.
 * Errors are GAN_ERR_IO (cannot open or read), GAN_ERR_FORMAT (malformed) or
 * GAN_ERR_UNSUPPORTED (a valid IDX element type other than unsigned byte).
 */
#ifndef GAN_DATA_IDX_H
#define GAN_DATA_IDX_H

#include "internal.h"

#define GAN_IDX_UBYTE 0x08                           /* the only element type supported */
#define GAN_IDX_MAX_BYTES ((uint64_t)1 << 32)        /* largest element data accepted */

/* gan_idx, gan_idx_read/write/free are public: see gan.h. */

/* Read an unsigned-byte IDX file with 1 to 4 dimensions. On failure *out is
 * left empty (data NULL) and the error names `path`. */
gan_status gan_idx_read(const char *path, gan_idx *out);

/* Like gan_idx_read, but the file must have exactly `ndims` dimensions (1:
 * labels, 3: images); the magic number is checked against 0x0000 08 ndims. */
gan_status gan_idx_read_ndims(const char *path, int ndims, gan_idx *out);

/* Free the data of `idx` and reset it (NULL is allowed). */
void gan_idx_free(gan_idx *idx);

/* Write `data` (the product of `dims` bytes) as an unsigned-byte IDX file with
 * `ndims` dimensions, gzip-compressed when `gzip` is true, atomically. */
gan_status gan_idx_write(const char *path, const uint8_t *data, int ndims, const int64_t *dims,
                         bool gzip);

#endif /* GAN_DATA_IDX_H */
