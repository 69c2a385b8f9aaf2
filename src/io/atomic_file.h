/*
 * atomic_file.h - write a file so that readers see either the old content or
 * the complete new content, never a partial file.
 *
 * The data goes to a temporary file in the destination's folder, which is
 * flushed (fsync) and then renamed over the destination; the folder is synced
 * too. If anything fails (disk full, killed process) the destination is left
 * untouched and the temporary file is removed.
 *
 * The temporary file is "<destination>.tmp.<pid>.<6 letters>", created with
 * mode 0666 less the umask (like the destination), never 0600. A process
 * killed mid-write (SIGKILL) cannot remove its own: the next atomic write of
 * a safetensors file (checkpoints) removes those of its destination, and
 * gan_atomic_clean_dir removes all of a folder's (a run folder at start).
 * Only files whose process is gone are removed (and the "<name>.tmp.XXXXXX"
 * names of older versions, which carry no process id).
 */
#ifndef GAN_ATOMIC_FILE_H
#define GAN_ATOMIC_FILE_H

#include "internal.h"

#include <stdio.h>

typedef struct gan_atomic_file {
    FILE *f;
    char path[1024];     /* destination */
    char tmp_path[1100]; /* temporary file next to it */
    bool failed;         /* a write failed: commit will refuse */
} gan_atomic_file;

/* Open a temporary file next to `path`. On failure nothing is left behind. */
gan_status gan_atomic_open(gan_atomic_file *af, const char *path);

/* Append bytes; errors are remembered and reported (again) by commit. */
gan_status gan_atomic_write(gan_atomic_file *af, const void *data, size_t n);

/* Flush, fsync, close and rename into place. On failure the destination is
 * unchanged and the temporary file is removed. */
gan_status gan_atomic_commit(gan_atomic_file *af);

/* Close and remove the temporary file (after an error elsewhere). */
void gan_atomic_abort(gan_atomic_file *af);

/* Remove the temporary files left in `dir` by killed writers (see above).
 * Returns how many were removed; errors are ignored (best effort). */
int gan_atomic_clean_dir(const char *dir);

/* The same for the temporary files of one destination `path` only. */
int gan_atomic_clean_stale(const char *path);

/* Convenience: write one buffer atomically. */
gan_status gan_atomic_write_file(const char *path, const void *data, size_t n);

#endif
