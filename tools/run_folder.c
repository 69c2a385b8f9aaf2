/*
 * run_folder.c - files of a training run folder (see run_folder.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "run_folder.h"
#include "cli.h"

#include <stdio.h>
#include <sys/stat.h>

bool run_make_dirs(const char *path) {
    gan_status s = gan_make_dirs(path);
    if (s != GAN_OK) cli_fail(s);
    return s == GAN_OK;
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
