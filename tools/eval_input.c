/*
 * eval_input.c - read or generate the images that `gan eval` measures (see
 * eval_input.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "eval_input.h"
#include "run_folder.h"
#include "tool_util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define GEN_CHUNK 1000 /* images generated per call */
#define FLOAT_TOLERANCE 1e-3f

void eval_samples_free(eval_samples *s) {
    free(s->images);
    free(s->requested);
    s->images = NULL;
    s->requested = NULL;
}

static gan_status from_checkpoint(const char *path, int64_t n, uint64_t seed, eval_samples *out) {
    gan_generator *g;
    GAN_TRY(gan_generator_load(path, &g));
    out->kind = "checkpoint";
    snprintf(out->model, sizeof out->model, "%s", gan_generator_model_name(g));
    gan_generator_image_shape(g, &out->c, &out->h, &out->w);
    size_t per = (size_t)out->c * out->h * out->w, latent = (size_t)gan_generator_latent_dim(g);
    int chunk = (int)GAN_MIN(n, (int64_t)GEN_CHUNK);
    float *z = malloc((size_t)chunk * latent * sizeof *z), *img = malloc((size_t)chunk * per * sizeof *img);
    out->images = malloc((size_t)n * per);
    int classes = gan_generator_num_classes(g);
    /* a conditional model: balanced classes (sample i asks for class i mod K), kept as the
     * requested classes that the class accuracy compares the classifier's answers with */
    if (classes > 0) out->requested = malloc((size_t)n * sizeof *out->requested);
    gan_status s = z && img && out->images && (classes == 0 || out->requested)
                       ? GAN_OK
                       : gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory for %lld images", path,
                                  (long long)n);
    for (int64_t start = 0; s == GAN_OK && start < n; start += chunk) {
        int rows = (int)GAN_MIN((int64_t)chunk, n - start);
        gan_generator_noise(g, seed, start, rows, z);
        if (classes > 0) {
            int32_t *lab = out->requested + start;
            gan_generator_labels(g, GAN_LABELS_BALANCED, seed, start, rows, lab);
            s = gan_generator_generate_labeled(g, z, lab, rows, img);
        } else {
            s = gan_generator_generate(g, z, rows, img);
        }
        for (size_t i = 0; s == GAN_OK && i < (size_t)rows * per; i++) {
            if (!isfinite(img[i]))
                s = gan_fail(GAN_ERR_NUMERIC, "%s: the generator made a %s pixel in image %lld",
                             path, isnan(img[i]) ? "NaN" : "infinite",
                             (long long)(start + (int64_t)(i / per)));
            else out->images[(size_t)start * per + i] = gan_png_pixel_from_float(img[i]);
        }
    }
    out->n = n;
    free(z), free(img);
    gan_generator_free(g);
    return s;
}

/* Shape [N, H, W] or [N, H, W, C] of an array read from `path`. */
static gan_status array_shape(const char *path, int ndims, const int64_t *shape, eval_samples *out) {
    if (ndims != 3 && ndims != 4)
        return gan_fail(GAN_ERR_SHAPE, "%s: an array of %d dimensions; images must be [N, H, W] "
                        "or [N, H, W, C]", path, ndims);
    if (shape[0] == 0) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: holds no images", path);
    int64_t c = ndims == 4 ? shape[3] : 1;
    if (shape[1] < 1 || shape[1] > 4096 || shape[2] < 1 || shape[2] > 4096 || c < 1 || c > 4)
        return gan_fail(GAN_ERR_SHAPE, "%s: images of %lld x %lld x %lld are not images", path,
                        (long long)shape[1], (long long)shape[2], (long long)c);
    out->n = shape[0];
    out->h = (int)shape[1], out->w = (int)shape[2], out->c = (int)c;
    return GAN_OK;
}

/* out->images (n, C, H, W) from interleaved bytes (n, H, W, C). */
static gan_status planar_copy(const char *path, const uint8_t *src, eval_samples *out) {
    size_t hw = (size_t)out->h * out->w, per = hw * out->c;
    out->images = malloc((size_t)out->n * per);
    if (!out->images) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    for (size_t i = 0; i < (size_t)out->n; i++)
        for (int ch = 0; ch < out->c; ch++)
            for (size_t p = 0; p < hw; p++)
                out->images[i * per + ch * hw + p] = src[i * per + p * out->c + ch];
    return GAN_OK;
}

static gan_status float_to_bytes(const char *path, const float *x, eval_samples *out,
                                  uint8_t **bytes) {
    size_t per = (size_t)out->h * out->w * out->c, total = (size_t)out->n * per;
    for (size_t i = 0; i < total; i++) {
        if (!isfinite(x[i]))
            return gan_fail(GAN_ERR_NUMERIC, "%s: image %zu has a %s pixel", path, i / per,
                            isnan(x[i]) ? "NaN" : "infinite");
        if (x[i] < -1.0f - FLOAT_TOLERANCE || x[i] > 1.0f + FLOAT_TOLERANCE)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: image %zu has the pixel value %g; "
                            "float32 images must hold the generator's output in [-1, 1]", path,
                            i / per, (double)x[i]);
    }
    if (!(*bytes = malloc(total))) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    for (size_t i = 0; i < total; i++) (*bytes)[i] = gan_png_pixel_from_float(x[i]);
    return GAN_OK;
}

static gan_status from_npy(const char *path, eval_samples *out) {
    gan_npy a;
    GAN_TRY(gan_npy_read(path, &a));
    gan_status s = array_shape(path, a.ndims, a.shape, out);
    uint8_t *bytes = NULL;
    out->kind = a.dtype == GAN_NPY_F32 ? "npy-float32" : "npy-uint8";
    if (s == GAN_OK && a.dtype == GAN_NPY_F32) s = float_to_bytes(path, a.data, out, &bytes);
    if (s == GAN_OK) s = planar_copy(path, bytes ? bytes : a.data, out);
    free(bytes);
    gan_npy_free(&a);
    return s;
}

static gan_status from_idx(const char *path, eval_samples *out) {
    gan_idx a;
    GAN_TRY(gan_idx_read(path, &a));
    out->kind = "idx";
    gan_status s = array_shape(path, a.ndims, a.dims, out);
    if (s == GAN_OK) s = planar_copy(path, a.data, out);
    gan_idx_free(&a);
    return s;
}

static gan_status from_png_folder(const char *path, eval_samples *out) {
    int n;
    out->kind = "png-folder";
    GAN_TRY(gan_image_folder_read(path, &out->images, &n, &out->c, &out->h, &out->w));
    out->n = n;
    return GAN_OK;
}

/* The first bytes of a file, to tell its kind. */
static gan_status sniff(const char *path, unsigned char *head, size_t *got) {
    FILE *f = fopen(path, "rb");
    if (!f) return gan_fail(GAN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    *got = fread(head, 1, 16, f);
    fclose(f);
    if (*got == 0) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: empty file", path);
    return GAN_OK;
}

gan_status eval_samples_load(const char *spec, int64_t n, uint64_t seed, eval_samples *out) {
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(spec, &st) != 0)
        return gan_fail(GAN_ERR_IO, "%s: %s", spec, errno == ENOENT ? "no such file or folder"
                                                                    : strerror(errno));
    gan_status s;
    if (S_ISDIR(st.st_mode)) {
        run_checkpoint_path(spec, out->path, sizeof out->path);
        if (run_file_exists(out->path)) {
            s = from_checkpoint(out->path, n > 0 ? n : 10000, seed, out);
        } else {
            snprintf(out->path, sizeof out->path, "%s", spec);
            s = from_png_folder(spec, out);
        }
    } else {
        snprintf(out->path, sizeof out->path, "%s", spec);
        unsigned char h[16];
        size_t got = 0;
        GAN_TRY(sniff(spec, h, &got));
        if (got >= 6 && memcmp(h, "\x93NUMPY", 6) == 0) s = from_npy(spec, out);
        else if (got >= 4 && ((h[0] == 0x1f && h[1] == 0x8b) || (h[0] == 0 && h[1] == 0 && h[2] == 8)))
            s = from_idx(spec, out);
        else if (got >= 8 && memcmp(h, "\x89PNG", 4) == 0)
            s = gan_fail(GAN_ERR_UNSUPPORTED, "%s: one PNG file (a grid?) cannot be measured; "
                         "write single images with gan sample --out DIR/ and pass DIR", spec);
        else if (got >= 9 && h[8] == '{')
            s = from_checkpoint(spec, n > 0 ? n : 10000, seed, out);
        else
            s = gan_fail(GAN_ERR_FORMAT, "%s: not a checkpoint, .npy, IDX file or PNG folder",
                         spec);
    }
    if (s == GAN_OK && n > 0 && out->n < n)
        s = gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: holds %lld images, --n asks for %lld", spec,
                     (long long)out->n, (long long)n);
    if (s == GAN_OK && n > 0) out->n = n; /* the first n */
    if (s != GAN_OK) eval_samples_free(out);
    return s;
}
