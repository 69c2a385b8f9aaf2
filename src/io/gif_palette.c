/*
 * gif_palette.c - median-cut colour table and nearest-colour map of RGB
 * GIFs (see gif_palette.h).
 */
#include "io/gif_palette.h"

#include <stdlib.h>
#include <string.h>

#define BITS 6
#define SIDE (1 << BITS)
#define BINS (SIDE * SIDE * SIDE)
#define MAX_COLOURS 256
#define KMEANS_PASSES 2

typedef struct bin {
    double mean[3]; /* of its pixels */
    double count;
    double key;     /* the channel a split sorts by */
} bin;

typedef struct box {
    int lo, hi;     /* bins [lo, hi) of the bin array */
    double sse;     /* squared error around the box mean */
    double mean[3];
    double count;
} box;

static int by_key(const void *a, const void *b) {
    double x = ((const bin *)a)->key, y = ((const bin *)b)->key;
    return (x > y) - (x < y);
}

static void box_stats(const bin *bins, box *bx) {
    double s[3] = {0, 0, 0}, n = 0;
    for (int i = bx->lo; i < bx->hi; i++) {
        for (int c = 0; c < 3; c++) s[c] += bins[i].mean[c] * bins[i].count;
        n += bins[i].count;
    }
    bx->count = n;
    for (int c = 0; c < 3; c++) bx->mean[c] = s[c] / n;
    bx->sse = 0;
    for (int i = bx->lo; i < bx->hi; i++)
        for (int c = 0; c < 3; c++) {
            double d = bins[i].mean[c] - bx->mean[c];
            bx->sse += bins[i].count * d * d;
        }
}

/* Split box k at the weighted median of its widest channel; false when it
 * holds one bin. */
static bool split(bin *bins, box *boxes, int k, int *nbox) {
    box *bx = &boxes[k];
    if (bx->hi - bx->lo < 2) return false;
    double var[3] = {0, 0, 0};
    for (int i = bx->lo; i < bx->hi; i++)
        for (int c = 0; c < 3; c++) {
            double d = bins[i].mean[c] - bx->mean[c];
            var[c] += bins[i].count * d * d;
        }
    int ch = var[1] >= var[0] && var[1] >= var[2] ? 1 : var[0] >= var[2] ? 0 : 2;
    for (int i = bx->lo; i < bx->hi; i++) bins[i].key = bins[i].mean[ch];
    qsort(bins + bx->lo, (size_t)(bx->hi - bx->lo), sizeof *bins, by_key);
    double half = bx->count / 2, acc = 0;
    int at = bx->lo + 1;
    for (int i = bx->lo; i < bx->hi - 1; i++) {
        acc += bins[i].count;
        at = i + 1;
        if (acc >= half) break;
    }
    box b2 = {at, bx->hi, 0, {0, 0, 0}, 0};
    bx->hi = at;
    box_stats(bins, bx);
    box_stats(bins, &b2);
    boxes[(*nbox)++] = b2;
    return true;
}

static int nearest(const double (*pal)[3], int size, const double *c) {
    int best = 0;
    double bd = 1e300;
    for (int k = 0; k < size; k++) {
        double d = 0;
        for (int ch = 0; ch < 3; ch++) d += (pal[k][ch] - c[ch]) * (pal[k][ch] - c[ch]);
        if (d < bd) bd = d, best = k;
    }
    return best;
}

/* Lloyd passes over the bins: each colour becomes the mean of its bins. */
static void kmeans(const bin *bins, int nbins, double (*pal)[3], int size) {
    double *acc = malloc((size_t)size * 4 * sizeof *acc);
    if (!acc) return; /* the median-cut colours stay */
    for (int pass = 0; pass < KMEANS_PASSES; pass++) {
        memset(acc, 0, (size_t)size * 4 * sizeof *acc);
        for (int i = 0; i < nbins; i++) {
            double *a = acc + 4 * nearest((const double (*)[3])pal, size, bins[i].mean);
            for (int c = 0; c < 3; c++) a[c] += bins[i].mean[c] * bins[i].count;
            a[3] += bins[i].count;
        }
        for (int k = 0; k < size; k++)
            if (acc[4 * k + 3] > 0)
                for (int c = 0; c < 3; c++) pal[k][c] = acc[4 * k + c] / acc[4 * k + 3];
    }
    free(acc);
}

gan_status gan_gif_palette_build(const uint8_t *frames, size_t n, size_t height, size_t width,
                                 gan_gif_palette *p) {
    p->size = 0;
    memset(p->rgb, 0, sizeof p->rgb);
    double *sum = calloc((size_t)BINS * 4, sizeof *sum); /* r, g, b, count */
    box *boxes = malloc(MAX_COLOURS * sizeof *boxes);
    if (!p->map) p->map = malloc((size_t)1 << 24);
    if (!p->known) p->known = calloc((size_t)1 << 21, 1);
    else memset(p->known, 0, (size_t)1 << 21);
    bin *bins = NULL;
    if (!sum || !boxes || !p->map || !p->known) {
        free(sum), free(boxes);
        gan_gif_palette_free(p);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "gif: cannot allocate the colour table");
    }
    size_t plane = height * width;
    int distinct = 0; /* exact colours, while at most MAX_COLOURS */
    for (size_t f = 0; f < n; f++) {
        const uint8_t *r = frames + f * 3 * plane, *g = r + plane, *b = g + plane;
        for (size_t i = 0; i < plane; i++) {
            uint32_t key = (uint32_t)r[i] << 16 | (uint32_t)g[i] << 8 | b[i];
            if (distinct <= MAX_COLOURS && !(p->known[key >> 3] & (1u << (key & 7)))) {
                p->known[key >> 3] |= (uint8_t)(1u << (key & 7));
                if (distinct < MAX_COLOURS) {
                    p->rgb[distinct][0] = r[i], p->rgb[distinct][1] = g[i], p->rgb[distinct][2] = b[i];
                    p->map[key] = (uint8_t)distinct;
                }
                distinct++;
            }
            double *s = sum + 4 * (((size_t)(r[i] >> (8 - BITS)) << (2 * BITS)) |
                                   ((size_t)(g[i] >> (8 - BITS)) << BITS) | (b[i] >> (8 - BITS)));
            s[0] += r[i], s[1] += g[i], s[2] += b[i], s[3] += 1;
        }
    }
    if (distinct <= MAX_COLOURS) { /* few colours: each exactly (the map is filled) */
        p->size = GAN_MAX(distinct, 1);
        free(sum), free(boxes);
        return GAN_OK;
    }
    memset(p->known, 0, (size_t)1 << 21);
    memset(p->rgb, 0, sizeof p->rgb);
    int nbins = 0;
    for (size_t i = 0; i < BINS; i++) nbins += sum[4 * i + 3] > 0;
    bins = malloc((size_t)GAN_MAX(nbins, 1) * sizeof *bins);
    if (!bins) {
        free(sum), free(boxes);
        gan_gif_palette_free(p);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "gif: cannot allocate the colour table");
    }
    for (size_t i = 0, j = 0; i < BINS; i++) {
        double c = sum[4 * i + 3];
        if (c == 0) continue;
        bins[j] = (bin){{sum[4 * i] / c, sum[4 * i + 1] / c, sum[4 * i + 2] / c}, c, 0};
        j++;
    }
    free(sum);
    int nbox = 1;
    boxes[0] = (box){0, nbins, 0, {0, 0, 0}, 0};
    box_stats(bins, &boxes[0]);
    while (nbox < MAX_COLOURS) {
        int k = -1;
        for (int i = 0; i < nbox; i++)
            if (boxes[i].hi - boxes[i].lo > 1 && (k < 0 || boxes[i].sse > boxes[k].sse)) k = i;
        if (k < 0 || !split(bins, boxes, k, &nbox)) break;
    }
    double pal[MAX_COLOURS][3];
    for (int k = 0; k < nbox; k++)
        for (int c = 0; c < 3; c++) pal[k][c] = boxes[k].mean[c];
    if (nbins > nbox) kmeans(bins, nbins, pal, nbox);
    p->size = nbox;
    for (int k = 0; k < nbox; k++)
        for (int c = 0; c < 3; c++) p->rgb[k][c] = (uint8_t)(pal[k][c] + 0.5);
    free(bins), free(boxes);
    return GAN_OK;
}

uint8_t gan_gif_palette_index(gan_gif_palette *p, uint8_t r, uint8_t g, uint8_t b) {
    uint32_t key = (uint32_t)r << 16 | (uint32_t)g << 8 | b;
    if (p->known[key >> 3] & (1u << (key & 7))) return p->map[key];
    int best = 0, bd = 1 << 30;
    for (int k = 0; k < p->size; k++) {
        int dr = p->rgb[k][0] - r, dg = p->rgb[k][1] - g, db = p->rgb[k][2] - b;
        int d = dr * dr + dg * dg + db * db;
        if (d < bd) bd = d, best = k;
    }
    p->map[key] = (uint8_t)best;
    p->known[key >> 3] |= (uint8_t)(1u << (key & 7));
    return (uint8_t)best;
}

void gan_gif_palette_free(gan_gif_palette *p) {
    if (!p) return;
    free(p->map), free(p->known);
    p->map = p->known = NULL;
}
