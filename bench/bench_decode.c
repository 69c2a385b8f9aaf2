/*
 * bench_decode.c - how fast gan.c turns a folder of images into a dataset.
 *
 *   bench_decode DIR [--resolution R] [--channels C] [--threads N] [--repeats K] [--libpng]
 *
 * Prints one JSON object per measurement (bench_decode.py reads them):
 *   prepare: gan_dataset_load_with on DIR with the cache off (list, probe,
 *            decode with stb_image, shape, pack into memory), N threads;
 *   cached:  the same load reading the cache written by one cached load;
 *   decode:  decoding every file alone (RGBA, one thread, files read into
 *            memory first) with stb_image, and with libpng's simplified API
 *            when built with it (--libpng; the comparison behind the choice
 *            of stb_image, see bench/RESULTS.md).
 * Times are wall-clock seconds, the best of K repeats.
 */
#define _POSIX_C_SOURCE 200809L
#include "data/folder_list.h"
#include "data/image_decode.h"
#include "gan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef BENCH_HAVE_LIBPNG
#include <png.h>
#endif

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int die(const char *what) {
    fprintf(stderr, "bench_decode: %s: %s\n", what, gan_last_error());
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_decode DIR [--resolution R] [--channels C] [--threads N] [--repeats K] [--libpng]\n");
        return 2;
    }
    const char *dir = argv[1];
    gan_dataset_options o;
    gan_dataset_options_default(&o);
    int repeats = 3;
    bool libpng = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--resolution") == 0 && i + 1 < argc) o.resolution = atoi(argv[++i]);
        else if (strcmp(argv[i], "--channels") == 0 && i + 1 < argc) o.channels = atoi(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) o.threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) repeats = atoi(argv[++i]);
        else if (strcmp(argv[i], "--libpng") == 0) libpng = true;
        else {
            fprintf(stderr, "bench_decode: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    gan_dataset *d = NULL;
    double best = 1e30;
    int64_t n = 0;
    int c = 0, h = 0, w = 0;
    for (int r = 0; r < repeats; r++) {
        gan_dataset_options u = o;
        u.no_cache = true;
        double t = now();
        if (gan_dataset_load_with(dir, GAN_SPLIT_TRAIN, &u, &d) != GAN_OK) return die(dir);
        t = now() - t;
        best = t < best ? t : best;
        n = gan_dataset_count(d);
        gan_dataset_shape(d, &c, &h, &w);
        gan_dataset_free(d);
    }
    printf("{\"what\": \"prepare\", \"images\": %lld, \"shape\": \"%dx%dx%d\", \"threads\": %d, \"seconds\": %.4f, "
           "\"images_per_s\": %.1f}\n", (long long)n, c, h, w, o.threads, best, (double)n / best);
    if (gan_dataset_load_with(dir, GAN_SPLIT_TRAIN, &o, &d) != GAN_OK) return die(dir);
    gan_dataset_free(d);
    best = 1e30;
    for (int r = 0; r < repeats; r++) {
        double t = now();
        if (gan_dataset_load_with(dir, GAN_SPLIT_TRAIN, &o, &d) != GAN_OK) return die(dir);
        t = now() - t;
        best = t < best ? t : best;
        if (!gan_dataset_get_summary(d)->cache_hit) fprintf(stderr, "bench_decode: cache not used\n");
        gan_dataset_free(d);
    }
    printf("{\"what\": \"cached\", \"images\": %lld, \"seconds\": %.4f, \"images_per_s\": %.1f}\n", (long long)n, best,
           (double)n / best);

    /* decoding alone: every file read into memory first */
    folder_list l;
    if (folder_list_read(dir, &l) != GAN_OK) return die(dir);
    uint8_t **buf = calloc((size_t)l.count, sizeof *buf);
    size_t *len = calloc((size_t)l.count, sizeof *len);
    for (int64_t i = 0; i < l.count; i++) {
        char path[DATASET_PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, l.files[i].rel);
        if (image_read_file(path, &buf[i], &len[i]) != GAN_OK) return die(path);
    }
    best = 1e30;
    for (int r = 0; r < repeats; r++) {
        double t = now();
        for (int64_t i = 0; i < l.count; i++) {
            image_rgba img;
            if (image_decode(buf[i], len[i], l.files[i].rel, 0, &img) == GAN_OK) image_rgba_free(&img);
        }
        t = now() - t;
        best = t < best ? t : best;
    }
    printf("{\"what\": \"decode\", \"library\": \"stb_image\", \"images\": %lld, \"seconds\": %.4f, "
           "\"images_per_s\": %.1f}\n", (long long)l.count, best, (double)l.count / best);
#ifdef BENCH_HAVE_LIBPNG
    if (libpng) {
        best = 1e30;
        for (int r = 0; r < repeats; r++) {
            double t = now();
            for (int64_t i = 0; i < l.count; i++) {
                png_image im;
                memset(&im, 0, sizeof im);
                im.version = PNG_IMAGE_VERSION;
                if (!png_image_begin_read_from_memory(&im, buf[i], len[i])) continue;
                im.format = PNG_FORMAT_RGBA;
                uint8_t *px = malloc(PNG_IMAGE_SIZE(im));
                if (px) png_image_finish_read(&im, NULL, px, 0, NULL);
                png_image_free(&im);
                free(px);
            }
            t = now() - t;
            best = t < best ? t : best;
        }
        printf("{\"what\": \"decode\", \"library\": \"libpng\", \"images\": %lld, \"seconds\": %.4f, "
               "\"images_per_s\": %.1f}\n", (long long)l.count, best, (double)l.count / best);
    }
#else
    if (libpng) fprintf(stderr, "bench_decode: built without libpng\n");
#endif
    for (int64_t i = 0; i < l.count; i++) free(buf[i]);
    free(buf);
    free(len);
    folder_list_free(&l);
    return 0;
}
