/*
 * read_folder.c - a folder of PNG, JPEG and BMP files as a dataset, decoded
 * in parallel once and then cached as a pack.
 *
 * Steps: list the files (folder_list.c: recursive, sorted, classes from the
 * immediate subfolders); look for a cache keyed by the listing and the shape
 * options; otherwise, when the resolution or channels are not given, probe
 * every header in parallel to settle them (the data's own: the most common
 * shorter side; 3 channels when any image has colour); decode and shape every
 * image in parallel straight into the dataset's buffer (each decode checks
 * its header first: undecodable files are skipped, a header over the pixel
 * budget stops the load before that image's pixels are allocated), drop the
 * files that failed, and write the cache.
 *
 * The cache goes to opt->cache_dir, else ROOT/.gan-cache when that folder can
 * be made and ROOT is not in a system folder (gan_is_system_path), else
 * $XDG_CACHE_HOME/gan (or ~/.cache/gan); its file name is the
 * key in hex (outside the folder, prefixed by a hash of the folder's real
 * path). A cache that cannot be written is noted in the summary, not an error.
 */
#define _XOPEN_SOURCE 700
#include "data/dataset_internal.h"
#include "data/folder_list.h"
#include "data/image_jpeg.h"
#include "data/image_decode.h"
#include "data/pack.h"
#include "io/system_path.h"

#include <errno.h>
#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FOLDER_CACHE_VERSION "gan-folder-cache-1"

/* What happened to one file. */
typedef struct file_state {
    int w, h, comp;  /* from the header */
    gan_status st;   /* GAN_OK, or why it was skipped (or the fatal error) */
    char *reason;    /* the message when st != GAN_OK (malloc'd) */
} file_state;

static double folder_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void state_fail(file_state *f, gan_status st) {
    f->st = st;
    const char *m = gan_last_error();
    size_t n = strlen(m) + 1;
    f->reason = malloc(n);
    if (f->reason) memcpy(f->reason, m, n);
}

/* ------------------------------------------------------------ cache path */

static bool folder_mkdir(const char *dir) {
    return mkdir(dir, 0755) == 0 || errno == EEXIST;
}

/* mkdir -p for the XDG location (two levels at most below an existing one). */
static bool folder_mkdirs(const char *dir) {
    char tmp[DATASET_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            folder_mkdir(tmp);
            *p = '/';
        }
    return folder_mkdir(tmp);
}

static bool folder_writable(const char *dir) {
    char probe[DATASET_PATH_MAX];
    if (!dataset_join(probe, dir, "/.gan-write-probe", "")) return false;
    FILE *f = fopen(probe, "wb");
    if (!f) return false;
    fclose(f);
    remove(probe);
    return true;
}

/* The cache file for `key`; "" when there is no place for one. */
static void folder_cache_path(const char *root, const gan_dataset_options *opt, uint64_t key, char *out) {
    out[0] = 0;
    char dir[DATASET_PATH_MAX];
    bool inside = false;
    if (opt->cache_dir && *opt->cache_dir) {
        snprintf(dir, sizeof dir, "%s", opt->cache_dir);
        if (!folder_mkdirs(dir)) return;
    } else if (!gan_is_system_path(root) && dataset_join(dir, root, "/.gan-cache", "") &&
               folder_mkdir(dir) && folder_writable(dir)) {
        inside = true;
    } else {
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        if (xdg && *xdg) snprintf(dir, sizeof dir, "%s/gan", xdg);
        else if (home && *home) snprintf(dir, sizeof dir, "%s/.cache/gan", home);
        else return;
        if (!folder_mkdirs(dir)) return;
    }
    if (inside) {
        int n = snprintf(out, DATASET_PATH_MAX, "%s/%016llx.ganpack", dir, (unsigned long long)key);
        if (n < 0 || n >= DATASET_PATH_MAX) out[0] = 0;
        return;
    }
    char real[PATH_MAX];
    const char *where = realpath(root, real) ? real : root;
    uint64_t h = 14695981039346656037ull;
    for (const char *p = where; *p; p++) h = (h ^ (uint8_t)*p) * 1099511628211ull;
    int n = snprintf(out, DATASET_PATH_MAX, "%s/%016llx-%016llx.ganpack", dir, (unsigned long long)h,
                     (unsigned long long)key);
    if (n < 0 || n >= DATASET_PATH_MAX) out[0] = 0;
}

/* ------------------------------------------------------------ decoding */

static int folder_cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The data's own size: the most common shorter side (ties: the larger),
 * at most 4096. 0 on allocation failure. */
static int folder_own_resolution(const folder_list *l, const file_state *fs) {
    int *sides = malloc((size_t)(l->count ? l->count : 1) * sizeof *sides);
    if (!sides) return 0;
    int64_t n = 0;
    for (int64_t i = 0; i < l->count; i++)
        if (fs[i].st == GAN_OK) sides[n++] = GAN_MIN(fs[i].w, fs[i].h);
    qsort(sides, (size_t)n, sizeof *sides, folder_cmp_int);
    int best = 0;
    int64_t best_n = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j < n && sides[j] == sides[i]) j++;
        if (j - i >= best_n) {
            best = sides[i];
            best_n = j - i;
        }
        i = j;
    }
    free(sides);
    return GAN_MIN(best, 4096);
}

typedef struct folder_job {
    const char *root;
    const folder_list *l;
    file_state *fs;
    const gan_dataset_options *opt;
    int threads;
} folder_job;

static void folder_progress(const folder_job *j, int64_t done, double *last) {
    if (!j->opt->progress) return;
    double t = folder_now();
    if (t - *last < 0.2 && done < j->l->count) return;
    *last = t;
    j->opt->progress(j->opt->progress_user, done, j->l->count);
}

/* Pass 1: every header. Returns the first fatal error (over budget), if any. */
static gan_status folder_probe_all(const folder_job *j) {
    int64_t fatal = -1;
    const int64_t n = j->l->count;
#pragma omp parallel for schedule(dynamic, 32) num_threads(j->threads)
    for (int64_t i = 0; i < n; i++) {
        char path[DATASET_PATH_MAX];
        file_state *f = &j->fs[i];
        if (!dataset_join(path, j->root, "/", j->l->files[i].rel)) {
            gan_fail(GAN_ERR_IO, "%s/%s: path too long", j->root, j->l->files[i].rel);
            state_fail(f, GAN_ERR_IO);
            continue;
        }
        gan_status s = image_probe_file(path, j->opt->max_pixels, &f->w, &f->h, &f->comp);
        if (s != GAN_OK) state_fail(f, s);
        if (s == GAN_ERR_SHAPE || s == GAN_ERR_OUT_OF_MEMORY) {
#pragma omp critical(folder_fatal)
            if (fatal < 0 || i < fatal) fatal = i;
        }
    }
    if (fatal >= 0) return gan_fail(j->fs[fatal].st, "%s", j->fs[fatal].reason ? j->fs[fatal].reason : "error");
    return GAN_OK;
}

/* Pass 2: decode and shape file i into out[slot[i]]. */
static gan_status folder_decode_all(const folder_job *j, const image_shape_opts *so, const int64_t *slot,
                                    uint8_t *out) {
    const int64_t n = j->l->count;
    const size_t per = (size_t)so->channels * (size_t)so->resolution * (size_t)so->resolution;
    int64_t done = 0, fatal = -1;
    double last = folder_now();
#pragma omp parallel for schedule(dynamic, 8) num_threads(j->threads)
    for (int64_t i = 0; i < n; i++) {
        file_state *f = &j->fs[i];
        if (f->st == GAN_OK) {
            char path[DATASET_PATH_MAX];
            dataset_join(path, j->root, "/", j->l->files[i].rel);
            uint8_t *buf = NULL;
            size_t len = 0;
            image_rgba img = {0};
            gan_status s = image_read_file(path, &buf, &len);
            if (s == GAN_OK) s = image_decode(buf, len, path, j->opt->max_pixels, &img);
            free(buf);
            if (s == GAN_OK) {
                f->w = img.width;
                f->h = img.height;
                f->comp = img.source_channels;
            }
            if (s == GAN_OK) s = image_shape(img.px, img.width, img.height, so, out + (size_t)slot[i] * per);
            image_rgba_free(&img);
            if (s != GAN_OK) state_fail(f, s);
            if (s == GAN_ERR_SHAPE || s == GAN_ERR_OUT_OF_MEMORY) {
#pragma omp critical(folder_fatal)
                if (fatal < 0 || i < fatal) fatal = i;
            }
        }
        int64_t d;
#pragma omp atomic capture
        d = ++done;
        if (omp_get_thread_num() == 0) folder_progress(j, d, &last);
    }
    folder_progress(j, n, &last);
    if (fatal >= 0) return gan_fail(j->fs[fatal].st, "%s", j->fs[fatal].reason ? j->fs[fatal].reason : "error");
    return GAN_OK;
}

/* Fill the summary's counts and names from the file states. */
static void folder_summarize(const folder_list *l, const file_state *fs, int R, gan_dataset_summary *sm) {
    sm->files = l->count;
    int named = 0;
    for (int64_t i = 0; i < l->count; i++) {
        if (fs[i].st != GAN_OK) {
            sm->skipped++;
            if (named < GAN_DATASET_SUMMARY_NAMES)
                snprintf(sm->skipped_names[named++], sizeof sm->skipped_names[0], "%s",
                         fs[i].reason ? fs[i].reason : l->files[i].rel);
            continue;
        }
        if (fs[i].w != fs[i].h) sm->non_square++;
        if (GAN_MIN(fs[i].w, fs[i].h) < R) sm->smaller++;
    }
}

static gan_status folder_decode(const char *root, const folder_list *l, const gan_dataset_options *opt,
                                gan_dataset *d) {
    file_state *fs = calloc((size_t)(l->count ? l->count : 1), sizeof *fs);
    int64_t *slot = malloc((size_t)(l->count ? l->count : 1) * sizeof *slot);
    if (!fs || !slot) {
        free(fs);
        free(slot);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", root);
    }
    folder_job j = {root, l, fs, opt, opt->threads ? opt->threads : omp_get_max_threads()};
    /* with the shape given, one pass decodes (each decode checks its header first);
       otherwise the headers settle the data's own shape before anything is decoded */
    bool shape_given = opt->resolution && opt->channels;
    gan_status s = shape_given ? GAN_OK : folder_probe_all(&j);
    int64_t ok = 0;
    for (int64_t i = 0; i < l->count; i++) slot[i] = fs[i].st == GAN_OK ? ok++ : -1;
    if (s == GAN_OK && ok == 0) {
        int64_t first = -1;
        for (int64_t i = 0; i < l->count && first < 0; i++)
            if (fs[i].reason) first = i;
        if (l->count == 0)
            s = gan_fail(GAN_ERR_IO, "%s: no dataset in this folder: no image files (PNG, JPEG, BMP) in it "
                         "or its subfolders, no train-images-idx3-ubyte or train-images-idx3-ubyte.gz (IDX), "
                         "no data_batch_1.bin (CIFAR-10)", root);
        else
            s = gan_fail(GAN_ERR_FORMAT, "%s: none of its %lld files is a decodable image (first: %s)", root,
                         (long long)l->count, first >= 0 && fs[first].reason ? fs[first].reason : "?");
    }
    image_shape_opts so = {opt->resolution, opt->channels, opt->crop, opt->background};
    if (s == GAN_OK) {
        if (!so.resolution) so.resolution = folder_own_resolution(l, fs);
        if (!so.resolution) s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", root);
        if (!so.channels) {
            so.channels = 1;
            for (int64_t i = 0; i < l->count; i++)
                if (fs[i].st == GAN_OK && fs[i].comp >= 3) so.channels = 3;
        }
        uint64_t per = (uint64_t)so.channels * (uint64_t)so.resolution * (uint64_t)so.resolution;
        if (s != GAN_OK) {
        } else if (per * (uint64_t)ok > ((uint64_t)1 << 36))
            s = gan_fail(GAN_ERR_SHAPE, "%s: %lld images of %dx%dx%d are too large to hold in memory", root,
                         (long long)ok, so.channels, so.resolution, so.resolution);
        else if (!(d->pixels = malloc((size_t)(per * (uint64_t)ok))))
            s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %llu bytes for the images", root,
                         (unsigned long long)(per * (uint64_t)ok));
    }
    if (s == GAN_OK) s = folder_decode_all(&j, &so, slot, d->pixels);
    if (s == GAN_OK) {
        /* drop the images that failed in pass 2 (a header that decoded, a body that did not) */
        size_t per = (size_t)so.channels * (size_t)so.resolution * (size_t)so.resolution;
        int64_t n = 0;
        if (l->labelled && !(d->labels = malloc((size_t)ok))) s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", root);
        for (int64_t i = 0; i < l->count && s == GAN_OK; i++) {
            if (slot[i] < 0 || fs[i].st != GAN_OK) continue;
            if (n != slot[i]) memmove(d->pixels + (size_t)n * per, d->pixels + (size_t)slot[i] * per, per);
            if (d->labels) d->labels[n] = (uint8_t)l->files[i].cls;
            n++;
        }
        d->count = n;
        d->channels = so.channels;
        d->height = d->width = so.resolution;
        folder_summarize(l, fs, so.resolution, &d->summary);
        if (s == GAN_OK && n == 0)
            s = gan_fail(GAN_ERR_FORMAT, "%s: none of its %lld files is a decodable image (first: %s)", root,
                         (long long)l->count, d->summary.skipped_names[0]);
    }
    for (int64_t i = 0; i < l->count; i++) free(fs[i].reason);
    free(fs);
    free(slot);
    if (s == GAN_OK && l->labelled) s = dataset_set_classes(d, l->class_count, (const char *const *)l->classes);
    return s;
}

/* ------------------------------------------------------------ the reader */

static bool folder_sniff(const char *path, const struct stat *st, const uint8_t *head, size_t n) {
    return S_ISDIR(st->st_mode);
}

static gan_status folder_strict_check(const char *root, const gan_dataset_summary *sm) {
    if (sm->skipped == 0) return GAN_OK;
    return gan_fail(GAN_ERR_FORMAT, "%s: %lld of %lld files could not be decoded (strict), first: %s", root,
                    (long long)sm->skipped, (long long)sm->files, sm->skipped_names[0]);
}

static gan_status folder_load(const char *root, gan_split split, const gan_dataset_options *opt, gan_dataset *d) {
    if (split != GAN_SPLIT_TRAIN)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: a folder of images has one split (train)", root);
    folder_list l;
    GAN_TRY(folder_list_read(root, &l));
    char salt[160];
    /* JPEGs decode a little differently with libjpeg-turbo than with stb_image
       (image_jpeg.h): a cache made by one is not the other's */
    snprintf(salt, sizeof salt, "%s r%d c%d crop%d bg%d px%lld%s", FOLDER_CACHE_VERSION, opt->resolution,
             opt->channels, (int)opt->crop, (int)opt->background, (long long)opt->max_pixels,
             image_jpeg_available() ? " jpeg-turbo" : "");
    uint64_t key = folder_list_key(&l, salt);
    key += key == 0; /* 0 means "no key" in a pack */
    char cache[DATASET_PATH_MAX] = "";
    if (!opt->no_cache) folder_cache_path(root, opt, key, cache);
    gan_status s = GAN_OK;
    uint64_t stored = 0;
    if (cache[0] && dataset_is_file(cache) && dataset_pack_read(cache, d, &stored) == GAN_OK && stored == key) {
        d->summary.cache_hit = true;
        snprintf(d->summary.cache_path, sizeof d->summary.cache_path, "%s", cache);
    } else {
        dataset_clear(d);
        s = folder_decode(root, &l, opt, d);
        if (s == GAN_OK && cache[0]) {
            if (dataset_pack_write(d, cache, key) == GAN_OK) {
                d->summary.cache_written = true;
                snprintf(d->summary.cache_path, sizeof d->summary.cache_path, "%s", cache);
            } else {
                snprintf(d->summary.cache_note, sizeof d->summary.cache_note, "%s", gan_last_error());
            }
        } else if (s == GAN_OK && !opt->no_cache) {
            snprintf(d->summary.cache_note, sizeof d->summary.cache_note,
                     "no writable place for a cache (%s/.gan-cache, $XDG_CACHE_HOME/gan)", root);
        }
    }
    folder_list_free(&l);
    d->format = dataset_reader_folder.name;
    free(d->path);
    d->path = NULL;
    free(d->labels_path);
    d->labels_path = NULL;
    if (s == GAN_OK) s = dataset_strdup(root, &d->path, root);
    if (s == GAN_OK && d->labels) s = dataset_strdup(root, &d->labels_path, root);
    if (s == GAN_OK && opt->strict) s = folder_strict_check(root, &d->summary);
    return s;
}

const dataset_reader dataset_reader_folder = {"folder", folder_sniff, folder_load};
