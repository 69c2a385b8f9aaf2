/*
 * gzip_whole.h - one-call decoding of a whole gzip file with libdeflate, the
 * fast path of the IDX reader (src/data/idx.c).
 *
 * libdeflate decodes whole buffers only, about twice as fast as zlib's
 * inflate; it needs the compressed file in memory and the exact output size
 * up front. The caller (idx.c) learns that size from the IDX header, which it
 * has already decoded with zlib, and this file checks it against the gzip
 * trailer's ISIZE (the uncompressed size mod 2^32, written by the file's
 * author and so untrusted) and against the file's size (deflate expands at
 * most 1032:1), before anything of that size is allocated. Anything unusual
 * (several gzip members, corrupt data, a size that does not match, a file
 * that is not regular, no memory, a build without libdeflate) is not an
 * error here: the function returns NULL and the caller decodes with zlib's
 * streaming inflate, which reports the precise problem. Never prints.
 */
#ifndef GAN_DATA_GZIP_WHOLE_H
#define GAN_DATA_GZIP_WHOLE_H

#include <stddef.h>
#include <stdint.h>

/* Decode the gzip file open at `fd` (a regular file of `file_size` bytes,
 * read with pread from offset 0: the file position is not used) into a new
 * malloc'd buffer of exactly `out_size` bytes, when the file is a single gzip
 * member that decodes to exactly `out_size` bytes with a good CRC. Returns
 * NULL otherwise (see above). While it runs it holds the compressed file and
 * the output, and nothing else. */
uint8_t *gan_gzip_decode_whole(int fd, uint64_t file_size, size_t out_size);

/* True when the library was built with libdeflate (the fast path exists). */
int gan_gzip_whole_available(void);

#endif /* GAN_DATA_GZIP_WHOLE_H */
