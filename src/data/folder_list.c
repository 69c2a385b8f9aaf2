/*
 * folder_list.c - recursive listing of an image folder (see folder_list.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "data/folder_list.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct list_builder {
    folder_list *l;
    int64_t cap;
    const char *root;
} list_builder;

static gan_status list_add(list_builder *b, const char *rel, const struct stat *st) {
    folder_list *l = b->l;
    if (l->count == FOLDER_MAX_FILES)
        return gan_fail(GAN_ERR_FORMAT, "%s: more than %d files", b->root, FOLDER_MAX_FILES);
    if (l->count == b->cap) {
        int64_t nc = b->cap ? b->cap * 2 : 256;
        folder_file *nf = realloc(l->files, (size_t)nc * sizeof *nf);
        if (!nf) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory listing files", b->root);
        l->files = nf;
        b->cap = nc;
    }
    folder_file *f = &l->files[l->count];
    memset(f, 0, sizeof *f);
    GAN_TRY(dataset_strdup(rel, &f->rel, b->root));
    f->size = (int64_t)st->st_size;
    f->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    f->cls = -1;
    l->count++;
    return GAN_OK;
}

/* Walk root/rel (rel "" for the root itself). */
static gan_status list_walk(list_builder *b, const char *rel, int depth) {
    char dir[DATASET_PATH_MAX];
    if (!dataset_join(dir, b->root, *rel ? "/" : "", rel))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: path too long", b->root);
    DIR *d = opendir(dir);
    if (!d) return gan_fail(GAN_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
    gan_status s = GAN_OK;
    struct dirent *e;
    while (s == GAN_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char child_rel[DATASET_PATH_MAX], child[DATASET_PATH_MAX];
        if (!dataset_join(child_rel, rel, *rel ? "/" : "", e->d_name) ||
            !dataset_join(child, b->root, "/", child_rel)) {
            s = gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s/%s: path too long", dir, e->d_name);
            break;
        }
        struct stat st;
        if (stat(child, &st) != 0) continue; /* a dangling link: nothing to read */
        if (S_ISDIR(st.st_mode)) {
            if (depth >= FOLDER_MAX_DEPTH)
                s = gan_fail(GAN_ERR_FORMAT, "%s: folders nested deeper than %d (a link loop?)", child,
                             FOLDER_MAX_DEPTH);
            else
                s = list_walk(b, child_rel, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            s = list_add(b, child_rel, &st);
        }
    }
    closedir(d);
    return s;
}

/* Length of the first path component of rel, or 0 when rel has none (a file in the root). */
static size_t list_top_len(const char *rel) {
    const char *slash = strchr(rel, '/');
    return slash ? (size_t)(slash - rel) : 0;
}

/* By first path component (the class folder), then by the whole path: the
 * classes come out sorted by name ("a" before "a b") and each contiguous. */
static int list_cmp_files(const void *pa, const void *pb) {
    const char *a = ((const folder_file *)pa)->rel, *b = ((const folder_file *)pb)->rel;
    size_t na = list_top_len(a), nb = list_top_len(b);
    if (!na) na = strlen(a);
    if (!nb) nb = strlen(b);
    int c = memcmp(a, b, GAN_MIN(na, nb));
    if (c) return c;
    if (na != nb) return na < nb ? -1 : 1;
    return strcmp(a, b);
}

/* Classes: distinct top-level folders, in file order (already sorted). */
static gan_status list_classes(folder_list *l, const char *root) {
    bool any_root_file = false;
    for (int64_t i = 0; i < l->count; i++)
        if (list_top_len(l->files[i].rel) == 0) any_root_file = true;
    if (any_root_file || l->count == 0) return GAN_OK;
    for (int64_t i = 0; i < l->count; i++) {
        const char *rel = l->files[i].rel;
        size_t n = list_top_len(rel);
        int k = l->class_count - 1;
        if (k < 0 || strlen(l->classes[k]) != n || strncmp(l->classes[k], rel, n) != 0) {
            if (l->class_count == DATASET_MAX_CLASSES)
                return gan_fail(GAN_ERR_FORMAT, "%s: more than %d class folders (labels are one byte)", root,
                                DATASET_MAX_CLASSES);
            char **nc = realloc(l->classes, (size_t)(l->class_count + 1) * sizeof *nc);
            if (!nc) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", root);
            l->classes = nc;
            l->classes[l->class_count] = malloc(n + 1);
            if (!l->classes[l->class_count]) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", root);
            memcpy(l->classes[l->class_count], rel, n);
            l->classes[l->class_count][n] = 0;
            k = l->class_count++;
        }
        l->files[i].cls = k;
    }
    l->labelled = true;
    return GAN_OK;
}

gan_status folder_list_read(const char *root, folder_list *out) {
    memset(out, 0, sizeof *out);
    list_builder b = {out, 0, root};
    gan_status s = list_walk(&b, "", 0);
    if (s == GAN_OK) {
        if (out->count > 1) qsort(out->files, (size_t)out->count, sizeof *out->files, list_cmp_files);
        s = list_classes(out, root);
    }
    if (s != GAN_OK) folder_list_free(out);
    return s;
}

void folder_list_free(folder_list *l) {
    for (int64_t i = 0; i < l->count; i++) free(l->files[i].rel);
    free(l->files);
    for (int k = 0; k < l->class_count; k++) free(l->classes[k]);
    free(l->classes);
    memset(l, 0, sizeof *l);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

uint64_t folder_list_key(const folder_list *l, const char *salt) {
    uint64_t h = 14695981039346656037ull;
    h = fnv(h, salt, strlen(salt) + 1);
    for (int64_t i = 0; i < l->count; i++) {
        const folder_file *f = &l->files[i];
        h = fnv(h, f->rel, strlen(f->rel) + 1);
        h = fnv(h, &f->size, sizeof f->size);
        h = fnv(h, &f->mtime_ns, sizeof f->mtime_ns);
    }
    return h;
}
