/*
 * test_atomic_file.c - atomic writes (src/io/atomic_file.c): temporary files
 * are created at 0666 less the umask (never 0600), and those a killed writer
 * left behind are removed by the next safetensors save of the same file and
 * by gan_atomic_clean_dir, while a live process's are kept.
 */
#define _POSIX_C_SOURCE 200809L
#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "test_util.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Number of files in `dir` whose names start with `prefix` and hold ".tmp.". */
static int count_temps(const char *dir, const char *prefix, char *first, size_t cap) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && strstr(e->d_name, ".tmp.")) {
            if (n++ == 0 && first) snprintf(first, cap, "%s/%s", dir, e->d_name);
        }
    if (d) closedir(d);
    return n;
}

/* A child that opens an atomic write of `path`, writes some bytes and is
 * killed with SIGKILL before it can commit or clean up. */
static void killed_writer(const char *path) {
    pid_t pid = fork();
    if (pid == 0) {
        gan_atomic_file af;
        if (gan_atomic_open(&af, path) != GAN_OK) _exit(3);
        gan_atomic_write(&af, "partial", 7);
        fflush(af.f);
        raise(SIGKILL);
        _exit(4);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d", status);
}

int main(void) {
    umask(022);
    const char *dir = test_tmpdir();
    const char *ckpt = test_tmp_path_kept("ckpt.safetensors");
    CHECK_OK(gan_atomic_write_file(ckpt, "old", 3));
    struct stat st;
    CHECK(stat(ckpt, &st) == 0 && (st.st_mode & 0777) == 0644);

    /* a killed write leaves its temporary file, at 0644 (not 0600) */
    killed_writer(ckpt);
    char tmp[2048] = "";
    CHECK(count_temps(dir, "ckpt.safetensors.tmp.", tmp, sizeof tmp) == 1);
    CHECK_MSG(stat(tmp, &st) == 0 && (st.st_mode & 0777) == 0644, "%s: mode %o", tmp,
              (unsigned)(st.st_mode & 0777));
    size_t n = 0;
    char *old = test_read_file(ckpt, &n);
    CHECK(old && n == 3 && memcmp(old, "old", 3) == 0); /* the destination is untouched */
    free(old);

    /* a temporary file of a live process (our parent) and an older version's
       name, and one of another destination */
    char live[2048], legacy[2048];
    snprintf(live, sizeof live, "%s.tmp.%ld.abcdef", ckpt, (long)getppid());
    snprintf(legacy, sizeof legacy, "%s.tmp.Zx81Qa", ckpt);
    CHECK(test_write_file(live, "x", 1) == 0);
    CHECK(test_write_file(legacy, "x", 1) == 0);
    const char *other = test_tmp_path_kept("samples.png");
    killed_writer(other);
    CHECK(count_temps(dir, "samples.png.tmp.", NULL, 0) == 1);

    /* the next save of the checkpoint removes its stale temporary files only */
    gan_st_writer *w = NULL;
    CHECK_OK(gan_st_writer_create(&w));
    float v = 1.0f;
    int64_t shape[1] = {1};
    CHECK_OK(gan_st_writer_add(w, "x", GAN_ST_F32, 1, shape, &v));
    CHECK_OK(gan_st_writer_save(w, ckpt));
    gan_st_writer_free(w);
    CHECK(access(tmp, F_OK) != 0);
    CHECK(access(legacy, F_OK) != 0);
    CHECK(access(live, F_OK) == 0);
    CHECK(count_temps(dir, "ckpt.safetensors.tmp.", NULL, 0) == 1); /* the live one */
    CHECK(count_temps(dir, "samples.png.tmp.", NULL, 0) == 1);

    /* cleaning the folder removes the other destination's, keeps the live one */
    CHECK(gan_atomic_clean_dir(dir) == 1);
    CHECK(count_temps(dir, "samples.png.tmp.", NULL, 0) == 0);
    CHECK(access(live, F_OK) == 0);
    CHECK(gan_atomic_clean_dir(dir) == 0);
    unlink(live);

    /* names that only look similar are never touched */
    const char *plain = test_tmp_path_kept("notes.tmp.txt");
    CHECK(test_write_file(plain, "keep", 4) == 0);
    CHECK(gan_atomic_clean_dir(dir) == 0);
    CHECK(access(plain, F_OK) == 0);
    return test_report();
}
