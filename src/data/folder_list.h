/*
 * folder_list.h - the files of an image folder, found recursively, with the
 * class (immediate subfolder) of each and the cache key of the listing.
 */
#ifndef GAN_DATA_FOLDER_LIST_H
#define GAN_DATA_FOLDER_LIST_H

#include "data/dataset_internal.h"

#define FOLDER_MAX_FILES 20000000
#define FOLDER_MAX_DEPTH 32

typedef struct folder_file {
    char *rel;          /* path below the root, '/'-separated */
    int64_t size;       /* bytes */
    int64_t mtime_ns;   /* modification time */
    int cls;            /* class index, or -1 (a file directly in the root) */
} folder_file;

typedef struct folder_list {
    folder_file *files; /* (count) sorted by rel (strcmp) */
    int64_t count;
    char **classes;     /* (class_count) immediate subfolders holding files, sorted */
    int class_count;
    bool labelled;      /* every file lies in a subfolder (and there is one) */
} folder_list;

/* List `root`: every regular file (symlinks followed) whose name does not
 * start with '.', in folders whose names do not start with '.'. */
gan_status folder_list_read(const char *root, folder_list *out);

void folder_list_free(folder_list *l);

/* FNV-1a over the file list, sizes, mtimes and `salt` (the shape options). */
uint64_t folder_list_key(const folder_list *l, const char *salt);

#endif /* GAN_DATA_FOLDER_LIST_H */
