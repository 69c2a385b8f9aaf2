/*
 * atomic_file.c - temp-file + fsync + rename writes (see atomic_file.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "io/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* "<dest>.tmp.<pid>.<6 letters>": the pid says whether its writer still lives. */
static int make_temp(char *tmp, size_t cap, const char *path) {
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static unsigned counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid() << 32 ^
                 (uint64_t)__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED) * 0xBF58476D1CE4E5B9ull;
    for (int attempt = 0; attempt < 100; attempt++) {
        char rnd[7];
        for (int i = 0; i < 6; i++) {
            x ^= x >> 31, x *= 0x94D049BB133111EBull, x ^= x >> 29;
            rnd[i] = letters[x % (sizeof letters - 1)];
        }
        rnd[6] = 0;
        snprintf(tmp, cap, "%s.tmp.%ld.%s", path, (long)getpid(), rnd);
        /* 0666 less the umask, as for any new file: never 0600, even if killed next */
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

gan_status gan_atomic_open(gan_atomic_file *af, const char *path) {
    memset(af, 0, sizeof *af);
    if (!path || !*path) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "empty output path");
    if (strlen(path) >= sizeof af->path)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: path too long", path);
    strcpy(af->path, path);
    int fd = make_temp(af->tmp_path, sizeof af->tmp_path, path);
    if (fd < 0) return gan_fail(GAN_ERR_IO, "%s: cannot create file: %s", path, strerror(errno));
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

/* Whether `name` is a temporary file of a writer that is gone: "*.tmp.<pid>.<6>"
 * with no process <pid>, or an older version's "*.tmp.XXXXXX". */
static bool is_stale_temp(const char *name) {
    const char *tmp = NULL;
    for (const char *p = strstr(name, ".tmp."); p; p = strstr(p + 1, ".tmp.")) tmp = p;
    if (!tmp || tmp == name) return false;
    const char *rest = tmp + 5;
    size_t n = strlen(rest);
    const char *dot = strchr(rest, '.');
    if (!dot) return n == 6; /* older versions' mkstemp names */
    if (dot == rest || strlen(dot + 1) != 6) return false;
    long pid = 0;
    for (const char *p = rest; p < dot; p++) {
        if (*p < '0' || *p > '9' || pid > 100000000) return false;
        pid = pid * 10 + (*p - '0');
    }
    if (pid <= 0 || pid == (long)getpid()) return false;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Remove the stale temporary files in `dir` whose names start with `prefix`
 * (all of them when prefix is ""). */
static int clean_dir_prefix(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t np = strlen(prefix);
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, np) != 0 || !strstr(e->d_name, ".tmp.")) continue;
        if (!is_stale_temp(e->d_name)) continue;
        char full[2048];
        if (snprintf(full, sizeof full, "%s/%s", dir, e->d_name) >= (int)sizeof full) continue;
        struct stat st;
        if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) && unlink(full) == 0) removed++;
    }
    closedir(d);
    return removed;
}

int gan_atomic_clean_dir(const char *dir) {
    return clean_dir_prefix(dir && *dir ? dir : ".", "");
}

int gan_atomic_clean_stale(const char *path) {
    char a[1024], b[1024];
    if (!path || snprintf(a, sizeof a, "%s", path) >= (int)sizeof a) return 0;
    snprintf(b, sizeof b, "%s", path);
    char prefix[1100];
    snprintf(prefix, sizeof prefix, "%s.tmp.", basename(b));
    return clean_dir_prefix(dirname(a), prefix);
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

/* The public streaming form (gan.h): a gan_atomic_file on the heap. */
struct gan_atomic_stream {
    gan_atomic_file af;
};

gan_status gan_atomic_stream_open(const char *path, gan_atomic_stream **out) {
    *out = NULL;
    gan_atomic_stream *st = malloc(sizeof *st);
    if (!st) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    gan_atomic_clean_stale(path); /* what a killed earlier write of this file left */
    gan_status s = gan_atomic_open(&st->af, path);
    if (s != GAN_OK) {
        free(st);
        return s;
    }
    *out = st;
    return GAN_OK;
}

gan_status gan_atomic_stream_write(gan_atomic_stream *st, const void *data, size_t n) {
    return gan_atomic_write(&st->af, data, n);
}

gan_status gan_atomic_stream_commit(gan_atomic_stream *st) {
    gan_status s = gan_atomic_commit(&st->af);
    free(st);
    return s;
}

void gan_atomic_stream_abort(gan_atomic_stream *st) {
    if (!st) return;
    gan_atomic_abort(&st->af);
    free(st);
}
