/*
 * pack.h - the prepared pack format (layout in read_pack.c): a dataset as
 * held in memory, with class names and an optional cache key.
 */
#ifndef GAN_DATA_PACK_H
#define GAN_DATA_PACK_H

#include "data/dataset_internal.h"

/* Write d to path atomically, recording `key` (0 for an explicit pack). */
gan_status dataset_pack_write(const gan_dataset *d, const char *path, uint64_t key);

/* Read a pack into the empty d; *key (may be NULL) gets its cache key. */
gan_status dataset_pack_read(const char *path, gan_dataset *d, uint64_t *key);

#endif /* GAN_DATA_PACK_H */
