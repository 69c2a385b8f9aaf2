/*
 * eval_cache.c - dataset fingerprints and the choice of the cache folder of
 * `gan eval` (see eval_cache.h).
 */
#define _XOPEN_SOURCE 700
#include "eval/eval_cache.h"
#include "io/system_path.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const fingerprint_files[] = {
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte"};

gan_status gan_eval_fingerprint(const char *data_dir, char *out, size_t cap) {
    struct stat st;
    if (stat(data_dir, &st) != 0)
        return gan_fail(GAN_ERR_IO, "%s: %s", data_dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: evaluation needs a dataset folder (with "
                        "train-* and t10k-* IDX files), not a file", data_dir);
    size_t len = 0;
    out[0] = 0;
    for (int i = 0; i < 4; i++)
        for (int gz = 0; gz < 2; gz++) {
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/%s%s", data_dir, fingerprint_files[i], gz ? ".gz" : "");
            if (stat(path, &st) != 0 || S_ISDIR(st.st_mode)) continue;
            int k = snprintf(out + len, cap - len, "%s%s:%lld:%lld.%09ld;", fingerprint_files[i],
                             gz ? ".gz" : "", (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                             (long)st.st_mtim.tv_nsec);
            if (k < 0 || (size_t)k >= cap - len)
                return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: fingerprint too long", data_dir);
            len += (size_t)k;
        }
    if (len == 0)
        return gan_fail(GAN_ERR_IO, "%s: no train-images-idx3-ubyte[.gz] or t10k-* files here",
                        data_dir);
    return GAN_OK;
}

/* The per-user fallback folder $XDG_CACHE_HOME/gan/eval-<h> (or ~/.cache/...). */
static gan_status user_cache_dir(const char *data_dir, uint64_t h, char *out, size_t cap) {
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int k;
    if (xdg && *xdg) k = snprintf(out, cap, "%s/gan/eval-%016llx", xdg, (unsigned long long)h);
    else if (home && *home)
        k = snprintf(out, cap, "%s/.cache/gan/eval-%016llx", home, (unsigned long long)h);
    else
        return gan_fail(GAN_ERR_IO, "%s is not writable and neither $XDG_CACHE_HOME nor $HOME "
                        "is set; name a cache folder", data_dir);
    if (k < 0 || (size_t)k >= cap) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "cache path too long");
    return gan_make_dirs(out);
}

/* Entry `i` of a fingerprint: name, size, time; false past the end. */
static bool fp_entry(const char *fp, int i, char *name, size_t cap, long long *size, char *time,
                     size_t tcap) {
    for (; i > 0 && fp; i--) {
        fp = strchr(fp, ';');
        if (fp) fp++;
    }
    if (!fp || !*fp) return false;
    const char *c1 = strchr(fp, ':'), *end = strchr(fp, ';');
    if (!c1 || !end || c1 > end) return false;
    const char *c2 = strchr(c1 + 1, ':');
    if (!c2 || c2 > end) return false;
    snprintf(name, cap, "%.*s", (int)(c1 - fp), fp);
    *size = strtoll(c1 + 1, NULL, 10);
    snprintf(time, tcap, "%.*s", (int)(end - c2 - 1), c2 + 1);
    return true;
}

static bool fp_find(const char *fp, const char *name, long long *size, char *time, size_t tcap) {
    char n[128];
    for (int i = 0; fp_entry(fp, i, n, sizeof n, size, time, tcap); i++)
        if (strcmp(n, name) == 0) return true;
    return false;
}

void gan_eval_fingerprint_diff(const char *was, const char *now, char *why, size_t cap) {
    why[0] = 0;
    if (strcmp(was, now) == 0) return;
    char name[128], t1[40], t2[40];
    long long s1, s2;
    for (int i = 0; fp_entry(now, i, name, sizeof name, &s2, t2, sizeof t2); i++) {
        if (!fp_find(was, name, &s1, t1, sizeof t1)) {
            snprintf(why, cap, "%s is new", name);
            return;
        }
        if (s1 != s2) {
            snprintf(why, cap, "%s: size %lld -> %lld bytes", name, s1, s2);
            return;
        }
        if (strcmp(t1, t2) != 0) {
            if (t1[0] == '#') /* a content hash (gan_eval_data's fingerprints) */
                snprintf(why, cap, "%s: changed (content hash %s -> %s)", name, t1 + 1, t2 + 1);
            else snprintf(why, cap, "%s: modified (mtime %s -> %s)", name, t1, t2);
            return;
        }
    }
    for (int i = 0; fp_entry(was, i, name, sizeof name, &s1, t1, sizeof t1); i++)
        if (!fp_find(now, name, &s2, t2, sizeof t2)) {
            snprintf(why, cap, "%s was removed", name);
            return;
        }
    snprintf(why, cap, "the dataset files differ");
}

static bool dir_usable(const char *path) {
    struct stat st;
    if (stat(path, &st) == 0) return S_ISDIR(st.st_mode) && access(path, W_OK) == 0;
    return mkdir(path, 0755) == 0;
}

gan_status gan_eval_cache_dir(const char *data_dir, const char *override, char *out, size_t cap,
                              bool *used_fallback) {
    if (used_fallback) *used_fallback = false;
    if (!override || !*override) override = getenv("GAN_EVAL_CACHE");
    if (override && *override) {
        if (snprintf(out, cap, "%s", override) >= (int)cap)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: path too long", override);
        return gan_make_dirs(out);
    }
    if (snprintf(out, cap, "%s/%s", data_dir, GAN_EVAL_CACHE_SUBDIR) >= (int)cap)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: path too long", data_dir);
    if (!gan_is_system_path(data_dir) && access(data_dir, W_OK) == 0 && dir_usable(out))
        return GAN_OK;

    /* fallback: a per-user cache keyed by the dataset's real path and sizes */
    char real[PATH_MAX], fp[GAN_EVAL_FINGERPRINT_MAX];
    if (!realpath(data_dir, real)) snprintf(real, sizeof real, "%s", data_dir);
    GAN_TRY(gan_eval_fingerprint(data_dir, fp, sizeof fp));
    uint64_t h = gan_fnv1a64(GAN_FNV1A64_BASIS, real, strlen(real));
    char name[128], t[40];
    long long size;
    for (int i = 0; fp_entry(fp, i, name, sizeof name, &size, t, sizeof t); i++)
        for (int b = 0; b < 8; b++) {
            unsigned char byte = (unsigned char)(size >> (8 * b)); /* little-endian on any host */
            h = gan_fnv1a64(h, &byte, 1);
        }
    if (used_fallback) *used_fallback = true;
    return user_cache_dir(data_dir, h, out, cap);
}

gan_status gan_eval_cache_dir_keyed(const char *base_dir, const char *name, const char *override,
                                    char *out, size_t cap, bool *used_fallback) {
    if (used_fallback) *used_fallback = false;
    if (!override || !*override) override = getenv("GAN_EVAL_CACHE");
    if (override && *override) {
        if (snprintf(out, cap, "%s", override) >= (int)cap)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: path too long", override);
        return gan_make_dirs(out);
    }
    char top[PATH_MAX];
    if (snprintf(top, sizeof top, "%s/%s", base_dir, GAN_EVAL_CACHE_SUBDIR) >= (int)sizeof top ||
        snprintf(out, cap, "%s/%s", top, name) >= (int)cap)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: path too long", base_dir);
    if (!gan_is_system_path(base_dir) && access(base_dir, W_OK) == 0 && dir_usable(top) &&
        dir_usable(out))
        return GAN_OK;
    char real[PATH_MAX];
    if (!realpath(base_dir, real)) snprintf(real, sizeof real, "%s", base_dir);
    uint64_t h = gan_fnv1a64(GAN_FNV1A64_BASIS, real, strlen(real));
    h = gan_fnv1a64(gan_fnv1a64(h, "/", 1), name, strlen(name));
    if (used_fallback) *used_fallback = true;
    return user_cache_dir(base_dir, h, out, cap);
}
