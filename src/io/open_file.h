/*
 * open_file.h - open a file of outside data for reading without ever
 * blocking: a FIFO (`gan train --data FIFO`), a device or a folder is
 * refused with one line naming the file, before anything is read.
 *
 * The file is opened with O_NONBLOCK (opening a FIFO with no writer would
 * wait for ever), checked with fstat, and O_NONBLOCK is then cleared.
 */
#ifndef GAN_IO_OPEN_FILE_H
#define GAN_IO_OPEN_FILE_H

#include "internal.h"

#include <stdio.h>

/* Open `path` read-only; it must be a regular file. On success *fd is the
 * descriptor. When open() itself fails, *open_errno is its errno (the status
 * is GAN_ERR_IO, message "<path>: cannot open: <reason>") so that callers may
 * word that case their own way; for a file that is not regular *open_errno is
 * 0 and the message says what it is ("<path>: is a FIFO, not a regular file"). */
gan_status gan_open_read(const char *path, int *fd, int *open_errno);

/* The same as a FILE* ("rb"). */
gan_status gan_fopen_read(const char *path, FILE **f, int *open_errno);

/* gan_fopen_read, and the file's size in bytes (fstat). */
gan_status gan_fopen_read_size(const char *path, FILE **f, uint64_t *size);

/* Read the whole of regular file `path` into a malloc'd buffer: *buf (never
 * NULL on success, even for an empty file) of *len bytes. A file larger than
 * max_bytes is refused with GAN_ERR_FORMAT, "<path>: file of N bytes is too
 * large for <what>" (what: "an image", "a PNG"). */
gan_status gan_read_file(const char *path, uint64_t max_bytes, const char *what, uint8_t **buf,
                         size_t *len);

#endif /* GAN_IO_OPEN_FILE_H */
