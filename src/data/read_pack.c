/*
 * read_pack.c - the prepared pack: a dataset stored as it is held in memory,
 * read in one go. Written by gan_dataset_write (`gan data prepare`) and by
 * the folder reader as its cache.
 *
 * Layout (integers little-endian):
 *   0   8 bytes  magic "GANPACK1"
 *   8   u32      header bytes (64)
 *   12  u32      C (1 or 3)
 *   16  u32      H
 *   20  u32      W
 *   24  u64      N
 *   32  u32      class count K (0..256)
 *   36  u32      1 when labels follow the pixels, else 0
 *   40  u64      bytes of class names (K NUL-terminated UTF-8 strings)
 *   48  u64      cache key (folder caches: a hash of the file list and shape
 *                options; 0 for an explicit pack)
 *   56  u64      bytes of the load summary (folder caches: text lines "files N",
 *                "skipped N", "non_square N", "smaller N", "skip PATH: reason";
 *                0 for an explicit pack)
 *   64           class names, summary, pixels (N, C, H, W) uint8, labels (N)
 * The file must be exactly that long; sizes are checked before allocating.
 */
#define _POSIX_C_SOURCE 200809L
#include "data/dataset_internal.h"
#include "io/open_file.h"
#include "data/pack.h"
#include "io/atomic_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PACK_MAGIC "GANPACK1"
#define PACK_HEADER 64
#define PACK_MAX_BYTES ((uint64_t)1 << 36)
#define PACK_MAX_NAMES ((uint64_t)1 << 20)

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = v << 8 | p[i];
    return v;
}
static uint64_t get64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* The summary block of a cache (malloc'd text, *len bytes), or NULL. */
static char *pack_summary_text(const gan_dataset_summary *sm, size_t *len) {
    size_t cap = 256 + GAN_DATASET_SUMMARY_NAMES * (sizeof sm->skipped_names[0] + 8);
    char *t = malloc(cap);
    if (!t) return NULL;
    int n = snprintf(t, cap, "files %lld\nskipped %lld\nnon_square %lld\nsmaller %lld\n", (long long)sm->files,
                     (long long)sm->skipped, (long long)sm->non_square, (long long)sm->smaller);
    for (int i = 0; i < GAN_DATASET_SUMMARY_NAMES && sm->skipped_names[i][0]; i++)
        n += snprintf(t + n, cap - (size_t)n, "skip %s\n", sm->skipped_names[i]);
    *len = (size_t)n;
    return t;
}

static void pack_summary_parse(char *t, gan_dataset_summary *sm) {
    int skips = 0;
    char *save = NULL;
    for (char *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        long long v;
        if (sscanf(line, "files %lld", &v) == 1) sm->files = v;
        else if (sscanf(line, "skipped %lld", &v) == 1) sm->skipped = v;
        else if (sscanf(line, "non_square %lld", &v) == 1) sm->non_square = v;
        else if (sscanf(line, "smaller %lld", &v) == 1) sm->smaller = v;
        else if (strncmp(line, "skip ", 5) == 0 && skips < GAN_DATASET_SUMMARY_NAMES)
            snprintf(sm->skipped_names[skips++], sizeof sm->skipped_names[0], "%s", line + 5);
    }
}

gan_status dataset_pack_write(const gan_dataset *d, const char *path, uint64_t key) {
    if (!d || !path) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "gan_dataset_write: NULL argument");
    size_t summary_len = 0;
    char *summary = key ? pack_summary_text(&d->summary, &summary_len) : NULL;
    if (key && !summary) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    uint64_t names = 0;
    for (int k = 0; k < d->class_count; k++) names += strlen(d->class_names[k]) + 1;
    uint8_t h[PACK_HEADER] = {0};
    memcpy(h, PACK_MAGIC, 8);
    put32(h + 8, PACK_HEADER);
    put32(h + 12, (uint32_t)d->channels);
    put32(h + 16, (uint32_t)d->height);
    put32(h + 20, (uint32_t)d->width);
    put64(h + 24, (uint64_t)d->count);
    put32(h + 32, (uint32_t)d->class_count);
    put32(h + 36, d->labels ? 1u : 0u);
    put64(h + 40, names);
    put64(h + 48, key);
    put64(h + 56, summary_len);
    gan_atomic_file af;
    gan_status s = gan_atomic_open(&af, path);
    if (s != GAN_OK) {
        free(summary);
        return s;
    }
    gan_atomic_write(&af, h, sizeof h);
    for (int k = 0; k < d->class_count; k++) gan_atomic_write(&af, d->class_names[k], strlen(d->class_names[k]) + 1);
    if (summary) gan_atomic_write(&af, summary, summary_len);
    free(summary);
    size_t px = (size_t)d->count * (size_t)d->channels * (size_t)d->height * (size_t)d->width;
    gan_atomic_write(&af, d->pixels, px);
    if (d->labels) gan_atomic_write(&af, d->labels, (size_t)d->count);
    return gan_atomic_commit(&af);
}

gan_status gan_dataset_write(const gan_dataset *data, const char *path) {
    return dataset_pack_write(data, path, 0);
}

static gan_status pack_bad(FILE *f, const char *path, const char *what) {
    fclose(f);
    return gan_fail(GAN_ERR_FORMAT, "%s: %s", path, what);
}

gan_status dataset_pack_read(const char *path, gan_dataset *d, uint64_t *key) {
    FILE *f = NULL;
    int open_errno;
    GAN_TRY(gan_fopen_read(path, &f, &open_errno));
    uint8_t h[PACK_HEADER];
    if (fread(h, 1, sizeof h, f) != sizeof h) return pack_bad(f, path, "truncated pack header");
    if (memcmp(h, PACK_MAGIC, 8) != 0) return pack_bad(f, path, "not a gan.c pack (bad magic)");
    uint32_t hb = get32(h + 8), C = get32(h + 12), H = get32(h + 16), W = get32(h + 20);
    uint64_t N = get64(h + 24), names = get64(h + 40), summary = get64(h + 56);
    uint32_t K = get32(h + 32), has_labels = get32(h + 36);
    if (hb != PACK_HEADER) return pack_bad(f, path, "unknown pack version (header size)");
    if ((C != 1 && C != 3) || H < 1 || W < 1 || H > 65536 || W > 65536 || K > DATASET_MAX_CLASSES ||
        has_labels > 1 || names > PACK_MAX_NAMES || summary > PACK_MAX_NAMES || N > PACK_MAX_BYTES)
        return pack_bad(f, path, "bad pack header (shape, classes or sizes out of range)");
    uint64_t per = (uint64_t)C * H * W;
    if (N && per > PACK_MAX_BYTES / N) return pack_bad(f, path, "pack too large");
    uint64_t px = per * N, total = PACK_HEADER + names + summary + px + (has_labels ? N : 0);
    if (fseek(f, 0, SEEK_END) != 0) return pack_bad(f, path, "cannot seek");
    long end = ftell(f);
    if (end < 0 || (uint64_t)end != total) {
        fclose(f);
        return gan_fail(GAN_ERR_FORMAT, "%s: pack is %ld bytes, its header announces %llu (%s)", path, end,
                        (unsigned long long)total, (uint64_t)end < total ? "truncated" : "trailing data");
    }
    fseek(f, PACK_HEADER, SEEK_SET);
    char *nb = malloc(names + 1), *sb = malloc(summary + 1);
    uint8_t *pixels = malloc(px ? px : 1);
    uint8_t *labels = has_labels ? malloc(N ? N : 1) : NULL;
    gan_status s = GAN_OK;
    if (!nb || !sb || !pixels || (has_labels && !labels))
        s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %llu bytes", path, (unsigned long long)total);
    else if (fread(nb, 1, names, f) != names || fread(sb, 1, summary, f) != summary || fread(pixels, 1, px, f) != px ||
             (labels && fread(labels, 1, N, f) != N))
        s = gan_fail(GAN_ERR_IO, "%s: read error", path);
    fclose(f);
    const char *list[DATASET_MAX_CLASSES];
    if (s == GAN_OK) {
        nb[names] = 0;
        uint64_t at = 0;
        for (uint32_t k = 0; k < K && s == GAN_OK; k++) {
            if (at >= names) s = gan_fail(GAN_ERR_FORMAT, "%s: class names end early", path);
            else {
                list[k] = nb + at;
                at += strlen(nb + at) + 1;
            }
        }
        if (s == GAN_OK && at != names) s = gan_fail(GAN_ERR_FORMAT, "%s: class name bytes do not add up", path);
    }
    if (s == GAN_OK && labels && K)
        for (uint64_t i = 0; i < N; i++)
            if (labels[i] >= K) {
                s = gan_fail(GAN_ERR_FORMAT, "%s: label %d of image %llu is not below the %u classes", path,
                             labels[i], (unsigned long long)i, K);
                break;
            }
    if (s == GAN_OK) s = dataset_set_classes(d, (int)K, list);
    if (s == GAN_OK) s = dataset_strdup(path, &d->path, path);
    if (s == GAN_OK && labels) s = dataset_strdup(path, &d->labels_path, path);
    if (s == GAN_OK) {
        sb[summary] = 0;
        pack_summary_parse(sb, &d->summary);
    }
    free(nb);
    free(sb);
    if (s != GAN_OK) {
        free(pixels);
        free(labels);
        return s;
    }
    d->count = (int64_t)N;
    d->channels = (int)C;
    d->height = (int)H;
    d->width = (int)W;
    d->pixels = pixels;
    d->labels = labels;
    if (key) *key = get64(h + 48);
    return GAN_OK;
}

static bool pack_sniff(const char *path, const struct stat *st, const uint8_t *head, size_t n) {
    return n >= 8 && memcmp(head, PACK_MAGIC, 8) == 0;
}

static gan_status pack_load(const char *path, gan_split split, const gan_dataset_options *opt, gan_dataset *d) {
    if (split != GAN_SPLIT_TRAIN)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: a prepared pack has one split (train)", path);
    return dataset_pack_read(path, d, NULL);
}

const dataset_reader dataset_reader_pack = {"pack", pack_sniff, pack_load};
