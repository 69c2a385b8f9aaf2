/*
 * system_path.h - whether a folder lies in the system's part of the file
 * system (/usr, /opt, ...), after symlinks: the caches of a dataset found
 * there (data/fashion -> /usr/share/datasets/...) go to the user's cache
 * folder instead of into the system's folders.
 */
#ifndef GAN_IO_SYSTEM_PATH_H
#define GAN_IO_SYSTEM_PATH_H

#include <stdbool.h>

/* Whether `path`, resolved (realpath), is under /usr, /opt, /etc, /srv,
 * /var/lib, /lib, /nix/store or /gnu/store. */
bool gan_is_system_path(const char *path);

#endif
