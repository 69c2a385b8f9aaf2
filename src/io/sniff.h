/*
 * sniff.h - what a file is, from its first bytes: so that a reader handed
 * the wrong kind of file says "not a checkpoint (it is a .npy array)"
 * instead of a parse error about a header length.
 */
#ifndef GAN_IO_SNIFF_H
#define GAN_IO_SNIFF_H

#include <stddef.h>
#include <stdint.h>

/* "a .npy array", "a PNG image", ... for a known format's magic bytes in
 * head[0 .. n), else NULL. */
const char *gan_sniff_format(const uint8_t *head, size_t n);

#endif
