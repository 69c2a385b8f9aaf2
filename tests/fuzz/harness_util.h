/*
 * harness_util.h - helpers shared by the fuzz harnesses (tests/fuzz/README.md):
 * most readers take a path, so a harness writes its input into a private
 * temporary folder (under /dev/shm when there is one: no disk traffic) and
 * reads it back through the library.
 */
#ifndef GAN_FUZZ_HARNESS_UTIL_H
#define GAN_FUZZ_HARNESS_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The process's temporary folder (created on first use, removed at exit). */
const char *fuzz_dir(void);

/* Write `size` bytes to fuzz_dir()/name (replacing it); returns the path in a
 * static buffer (rotating, 8 slots), or NULL when the write failed. */
const char *fuzz_write(const char *name, const void *data, size_t size);

/* fuzz_dir()/name without writing anything (same rotating buffer). */
const char *fuzz_path(const char *name);

/* Empty folder fuzz_dir()/name (created, or emptied of plain files). */
const char *fuzz_empty_dir(const char *name);

/* Little-endian reads from the front of the input, consuming bytes (0 when
 * the input is exhausted). */
typedef struct fuzz_input {
    const uint8_t *data;
    size_t size;
} fuzz_input;
uint32_t fuzz_take_u32(fuzz_input *in);
uint8_t fuzz_take_u8(fuzz_input *in);

#endif
