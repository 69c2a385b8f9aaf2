/*
 * safetensors.h - read and write the safetensors tensor file format.
 *
 * File layout (https://github.com/huggingface/safetensors):
 *   8 bytes   N, the header length, unsigned little-endian
 *   N bytes   a JSON object (UTF-8):
 *               {"NAME": {"dtype": "F32", "shape": [a, b],
 *                         "data_offsets": [begin, end]}, ...,
 *                "__metadata__": {"key": "string value", ...}}
 *   rest      the data section: raw little-endian tensor bytes; offsets are
 *             relative to its start.
 *
 * Invariants of a valid file (all checked by gan_st_open):
 *   - N <= GAN_ST_MAX_HEADER and 8 + N <= file size;
 *   - the header is one JSON object (only whitespace may follow it); tensor
 *     entries have exactly the keys dtype, shape and data_offsets;
 *     "__metadata__", when present, maps keys to strings; no key appears
 *     twice in any object; strings are valid UTF-8 without NUL characters;
 *   - dtype is known; shape has at most GAN_ST_MAX_DIMS non-negative integer
 *     dimensions whose product (times the element size) does not overflow;
 *   - begin <= end <= data section size and end - begin = product * element
 *     size;
 *   - sorted by offsets, the tensors tile the data section exactly: no
 *     overlap, no gap, nothing left over at the end.
 *
 * The writer pads the header with spaces so the data section starts at a
 * multiple of 8 bytes and stores tensors in insertion order, back to back.
 * Tensor data pointers given to the reader's users are always aligned to
 * their element size, whatever the file's header length or tensor order.
 *
 * Host byte order must be little-endian (checked at compile time).
 */
#ifndef GAN_IO_SAFETENSORS_H
#define GAN_IO_SAFETENSORS_H

#include "internal.h"

#define GAN_ST_MAX_DIMS 8
#define GAN_ST_MAX_HEADER ((uint64_t)100 * 1000 * 1000) /* 100 MB */

/* Element types; gan_st_dtype_name gives the file's spelling ("F32", ...). */
typedef enum gan_st_dtype {
    GAN_ST_BOOL,
    GAN_ST_U8,
    GAN_ST_I8,
    GAN_ST_F8_E5M2,
    GAN_ST_F8_E4M3,
    GAN_ST_U16,
    GAN_ST_I16,
    GAN_ST_F16,
    GAN_ST_BF16,
    GAN_ST_U32,
    GAN_ST_I32,
    GAN_ST_F32,
    GAN_ST_U64,
    GAN_ST_I64,
    GAN_ST_F64,
    GAN_ST_DTYPE_COUNT
} gan_st_dtype;

/* "F32" etc., or "?" for an out-of-range value. */
const char *gan_st_dtype_name(gan_st_dtype dtype);

/* Bytes per element (0 for an out-of-range value). */
size_t gan_st_dtype_size(gan_st_dtype dtype);

/* ---------------------------------------------------------------- writer */

/* Collects tensors and metadata, then writes them in one atomic save. */
typedef struct gan_st_writer gan_st_writer;

gan_status gan_st_writer_create(gan_st_writer **out);

/* Free a writer (NULL is allowed). */
void gan_st_writer_free(gan_st_writer *w);

/* Add a tensor. The name is copied; `data` (product(shape) elements of
 * `dtype`, little-endian) is NOT copied and must stay valid until the last
 * gan_st_writer_save. ndims is 0..GAN_ST_MAX_DIMS (0 = scalar); data may be
 * NULL only when the tensor has no elements. Names must be non-empty valid
 * UTF-8, must not be "__metadata__" and must be unique (GAN_ERR_INVALID_ARGUMENT
 * otherwise). */
gan_status gan_st_writer_add(gan_st_writer *w, const char *name, gan_st_dtype dtype, int ndims,
                             const int64_t *shape, const void *data);

/* Set a metadata entry (both strings are copied; a key set twice keeps the
 * last value). Key and value must be valid UTF-8. */
gan_status gan_st_writer_set_metadata(gan_st_writer *w, const char *key, const char *value);

/* Write the file atomically: tensors in insertion order, metadata first in
 * the header in insertion order. */
gan_status gan_st_writer_save(const gan_st_writer *w, const char *path);

/* A whole write: a writer filled by fill(ctx, w) (tensors and metadata),
 * saved to `path`, freed. */
gan_status gan_st_write(const char *path, gan_status (*fill)(void *ctx, gan_st_writer *w),
                        void *ctx);

/* The bytes gan_st_writer_save would write (the same file), into *buf of
 * *cap bytes, grown with realloc only when too small, to 4 KiB more than
 * needed (so a buffer reused for files of about one size, as a run's
 * checkpoints are, is allocated once); *len: the file's size. The
 * tensors' data is copied: the writer's sources may change afterwards.
 * buf NULL: only *len is set. */
gan_status gan_st_writer_serialize(const gan_st_writer *w, uint8_t **buf, size_t *cap,
                                   size_t *len);

/* gan_st_write into memory: a writer filled by fill(ctx, w), serialized
 * (gan_st_writer_serialize), freed. */
gan_status gan_st_serialize(gan_status (*fill)(void *ctx, gan_st_writer *w), void *ctx,
                            uint8_t **buf, size_t *cap, size_t *len);

/* ---------------------------------------------------------------- reader */

/* A safetensors file read into memory and validated. */
typedef struct gan_st_file gan_st_file;

/* A view of one tensor; valid until gan_st_close. `data` is aligned to the
 * element size (it is NULL when nbytes is 0). */
typedef struct gan_st_tensor {
    const char *name;
    gan_st_dtype dtype;
    int ndims;
    int64_t shape[GAN_ST_MAX_DIMS];
    const void *data;
    size_t nbytes;
} gan_st_tensor;

/* Read and validate a whole file. GAN_ERR_IO when it cannot be read,
 * GAN_ERR_FORMAT ("PATH: <problem>") for any violation of the invariants
 * above, GAN_ERR_OUT_OF_MEMORY when it does not fit in memory. */
gan_status gan_st_open(const char *path, gan_st_file **out);

/* Free everything (NULL is allowed). */
void gan_st_close(gan_st_file *f);

/* The path given to gan_st_open. */
const char *gan_st_path(const gan_st_file *f);

/* Number of tensors, and tensor i in file order (by data offset), or NULL
 * when i is out of range. */
size_t gan_st_count(const gan_st_file *f);
const gan_st_tensor *gan_st_tensor_at(const gan_st_file *f, size_t i);

/* The tensor called `name`, or NULL. */
const gan_st_tensor *gan_st_find(const gan_st_file *f, const char *name);

/* Fetch a tensor that must exist with this dtype and shape: GAN_ERR_FORMAT
 * when it is missing or has another dtype ("PATH: tensor 'x' has dtype I64,
 * expected F32"), GAN_ERR_SHAPE when its shape differs ("PATH: tensor 'x' has
 * shape [3, 4], expected [4, 3]"). *data receives the aligned data. */
gan_status gan_st_get(const gan_st_file *f, const char *name, gan_st_dtype dtype, int ndims,
                      const int64_t *shape, const void **data);
gan_status gan_st_get_f32(const gan_st_file *f, const char *name, int ndims,
                          const int64_t *shape, const float **data);

/* The caller has copied `data` (nbytes of a tensor of this file) and needs
 * it no more for now: when the file is mapped, its whole pages leave memory
 * (a later use reads them again from the file). Loading tensor after tensor
 * so keeps about one tensor of the file resident, not the whole file.
 * Nothing happens for a file read into memory. */
void gan_st_release(const gan_st_file *f, const void *data, size_t nbytes);

/* Metadata value for `key`, or NULL. */
const char *gan_st_metadata(const gan_st_file *f, const char *key);

/* Copy the value of metadata `key` into out (cap bytes); GAN_ERR_FORMAT
 * naming the file and key when it is missing or too long. */
gan_status gan_st_metadata_copy(const gan_st_file *f, const char *key, char *out, size_t cap);

/* Number of metadata entries, and entry i (in header order): returns
 * GAN_ERR_INVALID_ARGUMENT when i is out of range. */
size_t gan_st_metadata_count(const gan_st_file *f);
gan_status gan_st_metadata_at(const gan_st_file *f, size_t i, const char **key,
                              const char **value);

#endif /* GAN_IO_SAFETENSORS_H */
