/*
 * atomic_file.c - temp-file + fsync + rename writes (see atomic_file.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "io/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

gan_status gan_atomic_open(gan_atomic_file *af, const char *path) {
    memset(af, 0, sizeof *af);
    if (!path || !*path) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "empty output path");
    if (strlen(path) >= sizeof af->path)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: path too long", path);
    strcpy(af->path, path);
    snprintf(af->tmp_path, sizeof af->tmp_path, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(af->tmp_path);
    if (fd < 0) return gan_fail(GAN_ERR_IO, "%s: cannot create file: %s", path, strerror(errno));
    fchmod(fd, 0644);
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        int e = errno;
        close(fd);
        unlink(af->tmp_path);
        return gan_fail(GAN_ERR_IO, "%s: cannot open file: %s", path, strerror(e));
    }
    return GAN_OK;
}

gan_status gan_atomic_write(gan_atomic_file *af, const void *data, size_t n) {
    if (af->failed) return gan_fail(GAN_ERR_IO, "%s: earlier write failed", af->path);
    if (n && fwrite(data, 1, n, af->f) != n) {
        af->failed = true;
        return gan_fail(GAN_ERR_IO, "%s: write failed: %s", af->path, strerror(errno));
    }
    return GAN_OK;
}

static void sync_parent_dir(const char *path) {
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", path);
    int dfd = open(dirname(copy), O_RDONLY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

gan_status gan_atomic_commit(gan_atomic_file *af) {
    if (!af->f) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: file is not open", af->path);
    int err = 0;
    if (af->failed) err = EIO;
    if (!err && fflush(af->f) != 0) err = errno;
    if (!err && fsync(fileno(af->f)) != 0) err = errno;
    if (fclose(af->f) != 0 && !err) err = errno;
    af->f = NULL;
    if (!err && rename(af->tmp_path, af->path) != 0) err = errno;
    if (err) {
        unlink(af->tmp_path);
        return gan_fail(GAN_ERR_IO, "%s: write failed: %s", af->path, strerror(err));
    }
    sync_parent_dir(af->path);
    return GAN_OK;
}

void gan_atomic_abort(gan_atomic_file *af) {
    if (af->f) {
        fclose(af->f);
        af->f = NULL;
        unlink(af->tmp_path);
    }
}

gan_status gan_atomic_write_file(const char *path, const void *data, size_t n) {
    gan_atomic_file af;
    GAN_TRY(gan_atomic_open(&af, path));
    gan_status s = gan_atomic_write(&af, data, n);
    if (s != GAN_OK) {
        gan_atomic_abort(&af);
        return s;
    }
    return gan_atomic_commit(&af);
}
