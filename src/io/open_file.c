/*
 * open_file.c - non-blocking open of regular files only (see open_file.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "io/open_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t m) {
    if (S_ISDIR(m)) return "a folder";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a plain file";
}

gan_status gan_open_read(const char *path, int *fd, int *open_errno) {
    *fd = -1;
    *open_errno = 0;
    int d = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (d < 0) {
        *open_errno = errno;
        return gan_fail(GAN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(d, &st) != 0) {
        int e = errno;
        close(d);
        return gan_fail(GAN_ERR_IO, "%s: cannot read: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) { /* worded as a read() of a folder would be */
        close(d);
        return gan_fail(GAN_ERR_IO, "%s: cannot read: %s", path, strerror(EISDIR));
    }
    if (!S_ISREG(st.st_mode)) {
        close(d);
        return gan_fail(GAN_ERR_IO, "%s: is %s, not a regular file", path, file_kind(st.st_mode));
    }
    int flags = fcntl(d, F_GETFL);
    if (flags >= 0) fcntl(d, F_SETFL, flags & ~O_NONBLOCK);
    *fd = d;
    return GAN_OK;
}

gan_status gan_fopen_read(const char *path, FILE **f, int *open_errno) {
    *f = NULL;
    int fd;
    GAN_TRY(gan_open_read(path, &fd, open_errno));
    *f = fdopen(fd, "rb");
    if (!*f) {
        int e = errno;
        close(fd);
        return gan_fail(GAN_ERR_IO, "%s: cannot open: %s", path, strerror(e));
    }
    return GAN_OK;
}

gan_status gan_fopen_read_size(const char *path, FILE **f, uint64_t *size) {
    int open_errno;
    GAN_TRY(gan_fopen_read(path, f, &open_errno));
    struct stat st;
    if (fstat(fileno(*f), &st) != 0) {
        int e = errno;
        fclose(*f);
        *f = NULL;
        return gan_fail(GAN_ERR_IO, "%s: cannot read: %s", path, strerror(e));
    }
    *size = (uint64_t)st.st_size;
    return GAN_OK;
}

gan_status gan_read_file(const char *path, uint64_t max_bytes, const char *what, uint8_t **buf,
                         size_t *len) {
    *buf = NULL;
    *len = 0;
    FILE *f;
    uint64_t size;
    GAN_TRY(gan_fopen_read_size(path, &f, &size));
    if (size > max_bytes) {
        fclose(f);
        return gan_fail(GAN_ERR_FORMAT, "%s: file of %llu bytes is too large for %s", path,
                        (unsigned long long)size, what);
    }
    size_t n = (size_t)size;
    uint8_t *b = malloc(n ? n : 1);
    if (!b) {
        fclose(f);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes", path, n);
    }
    size_t got = n ? fread(b, 1, n, f) : 0;
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (got != n) {
        free(b);
        return gan_fail(GAN_ERR_IO, "%s: read error: %s", path, err ? strerror(err) : "short read");
    }
    *buf = b;
    *len = n;
    return GAN_OK;
}
