/*
 * run_folder.c - files of a training run folder (see run_folder.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "run_folder.h"
#include "cli.h"
#include "io/atomic_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool run_make_dirs(const char *path) {
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        cli_error("%s: path too long", path);
        return false;
    }
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
                cli_error("%s: cannot create folder: %s", buf, strerror(errno));
                return false;
            }
            *p = c;
            if (!c) break;
        }
    }
    if (!run_is_dir(path)) {
        cli_error("%s: not a folder", path);
        return false;
    }
    if (access(path, W_OK) != 0) {
        cli_error("%s: folder is not writable: %s", path, strerror(errno));
        return false;
    }
    gan_atomic_clean_dir(path); /* temporary files of writes killed in an earlier run */
    return true;
}

bool run_file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

bool run_is_dir(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

void run_checkpoint_path(const char *path, char *buf, size_t cap) {
    if (run_is_dir(path)) snprintf(buf, cap, "%s/%s", path, RUN_CHECKPOINT);
    else snprintf(buf, cap, "%s", path);
}

bool run_truncate_log(const char *log_path, int64_t step) {
    FILE *f = fopen(log_path, "rb");
    if (!f) return true;
    char *kept = NULL;
    size_t len = 0, cap = 0;
    char line[4096];
    bool ok = true;
    while (ok && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "\"step\": ");
        long long s = p ? strtoll(p + 8, NULL, 10) : -1;
        if (s < 0 || s > step) continue;
        size_t n = strlen(line);
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *nk = realloc(kept, cap);
            if (!nk) ok = false;
            else kept = nk;
        }
        if (ok) memcpy(kept + len, line, n), len += n;
    }
    fclose(f);
    gan_status s = ok ? gan_atomic_write_file(log_path, kept ? kept : "", len)
                      : GAN_ERR_OUT_OF_MEMORY;
    free(kept);
    if (s != GAN_OK) {
        if (ok) cli_fail(s);
        else cli_error("%s: out of memory", log_path);
        return false;
    }
    return true;
}
