/*
 * harness_util.c - temporary files for the fuzz harnesses (see harness_util.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "harness_util.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[512];

static void remove_tree(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    char sub[1024];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(sub);
        else unlink(sub);
    }
    closedir(d);
    rmdir(path);
}

static void cleanup(void) {
    if (*dir) remove_tree(dir);
}

const char *fuzz_dir(void) {
    if (*dir) return dir;
    const char *base = getenv("GAN_FUZZ_TMPDIR");
    struct stat st;
    if (!base) base = stat("/dev/shm", &st) == 0 && access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                                                                                : getenv("TMPDIR");
    if (!base) base = "/tmp";
    snprintf(dir, sizeof dir, "%s/gan-fuzz-XXXXXX", base);
    if (!mkdtemp(dir)) {
        snprintf(dir, sizeof dir, "/tmp/gan-fuzz-XXXXXX");
        if (!mkdtemp(dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
    }
    atexit(cleanup);
    return dir;
}

const char *fuzz_path(const char *name) {
    static char bufs[8][1024];
    static int next;
    char *b = bufs[next++ & 7];
    snprintf(b, sizeof bufs[0], "%s/%s", fuzz_dir(), name);
    return b;
}

const char *fuzz_write(const char *name, const void *data, size_t size) {
    const char *path = fuzz_path(name);
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    bool ok = fwrite(data, 1, size, f) == size;
    if (fclose(f) != 0) ok = false;
    return ok ? path : NULL;
}

const char *fuzz_empty_dir(const char *name) {
    const char *path = fuzz_path(name);
    remove_tree(path);
    mkdir(path, 0755);
    return path;
}

uint8_t fuzz_take_u8(fuzz_input *in) {
    if (!in->size) return 0;
    uint8_t v = in->data[0];
    in->data++, in->size--;
    return v;
}

uint32_t fuzz_take_u32(fuzz_input *in) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)fuzz_take_u8(in) << (8 * i);
    return v;
}
