/*
 * cmd_interpolate.c - `gan interpolate`: an animated GIF of walks through
 * the latent space, by spherical interpolation (slerp) between random
 * points, looping back to the first (the seed's "animation" application).
 * For a conditional model each walk keeps one class: --class K, or walk j
 * class j mod classes.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "run_folder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* out = slerp(a, b, t): along the great circle between a and b, with the
 * norm interpolated linearly; straight lerp when a and b are (anti)parallel. */
static void slerp(const float *a, const float *b, float t, float *out, int n) {
    double na = 0, nb = 0, dot = 0;
    for (int i = 0; i < n; i++) na += (double)a[i] * a[i], nb += (double)b[i] * b[i],
                                dot += (double)a[i] * b[i];
    double c = dot / (sqrt(na) * sqrt(nb) + 1e-30);
    c = c > 1 ? 1 : c < -1 ? -1 : c;
    double omega = acos(c), so = sin(omega);
    double wa = 1 - t, wb = t;
    if (so > 1e-6) wa = sin((1 - t) * omega) / so, wb = sin(t * omega) / so;
    for (int i = 0; i < n; i++) out[i] = (float)(wa * a[i] + wb * b[i]);
}

static void usage(cli_option *opts) {
    printf("usage: gan interpolate CHECKPOINT --out walk.gif [options]\n\n"
           "Animate GRID x GRID walks through the generator's latent space: each walk\n"
           "visits POINTS random latent vectors (the samples of `gan sample --seed S`)\n"
           "by spherical interpolation and loops back to its first point. For a\n"
           "conditional model each walk keeps one class (--class K, else walk j shows\n"
           "class j mod classes).\n\noptions:\n");
    cli_print_options(opts);
}

int cmd_interpolate(int argc, char **argv) {
    const char *out = NULL, *frames_dir = NULL;
    int points = 4, steps = 16, grid = 4, scale = 3, delay = 8;
    uint64_t seed = 1;
    int cls = -1;
    cli_option opts[] = {
        {"class", CLI_INT, &cls, "K", "conditional models: every walk of class K", 0},
        {"out", CLI_STRING, &out, "FILE.gif", "the animated GIF (required)", 0,
         "FILE.gif is required"},
        {"seed", CLI_UINT64, &seed, "S", "noise seed of the points (default 1)", 0},
        {"points", CLI_INT, &points, "K", "points per walk (default 4)", 0},
        {"steps", CLI_INT, &steps, "F", "frames between two points (default 16)", 0},
        {"grid", CLI_INT, &grid, "R", "show R x R walks side by side (default 4)", 0},
        {"scale", CLI_INT, &scale, "N", "enlarge pixels N times (default 3)", 0},
        {"delay", CLI_INT, &delay, "CS", "centiseconds per frame (default 8)", 0},
        {"frames-dir", CLI_STRING, &frames_dir, "DIR", "also write every frame as a PNG", 0},
        {0},
    };
    char path[1200];
    int rc0 = cli_parse_checkpoint(argc, argv, opts, usage, path, sizeof path);
    if (rc0 >= 0) return rc0;
    size_t len = strlen(out);
    if (len < 4 || strcasecmp(out + len - 4, ".gif") != 0) {
        const char *dot = strrchr(out, '.');
        cli_error("--out %s: interpolate writes an animated GIF, not %s; name it *.gif "
                  "(--frames-dir DIR also writes every frame as a PNG)", out,
                  dot && !strchr(dot, '/') ? dot : "a file without the .gif extension");
        return 2;
    }
    struct { const char *name; int v, lo, hi; } ranges[] = {
        {"points", points, 2, 64}, {"steps", steps, 1, 256}, {"grid", grid, 1, 16},
        {"scale", scale, 1, 8}, {"delay", delay, 1, 1000}};
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++)
        if (ranges[i].v < ranges[i].lo || ranges[i].v > ranges[i].hi) {
            cli_error("--%s: %d is out of range [%d, %d]", ranges[i].name, ranges[i].v,
                      ranges[i].lo, ranges[i].hi);
            return 2;
        }
    if (frames_dir && !run_make_dirs(frames_dir)) return 1;

    gan_generator *g;
    gan_status s = gan_generator_load(path, &g);
    if (s != GAN_OK) return cli_fail(s);
    int classes = gan_generator_num_classes(g);
    if (cli_seen(opts, "class") && (!classes || cls < 0 || cls >= classes)) {
        if (!classes)
            cli_error("--class: model '%s' of %s is unconditional: it has no classes",
                      gan_generator_model_name(g), path);
        else
            cli_error("--class: %d is out of range [0, %d] for model '%s'", cls, classes - 1,
                      gan_generator_model_name(g));
        gan_generator_free(g);
        return 2;
    }
    int c, h, w, latent = gan_generator_latent_dim(g), walks = grid * grid;
    int32_t labels[16 * 16];
    for (int j = 0; j < walks; j++) labels[j] = !classes ? 0 : cls >= 0 ? cls : j % classes;
    gan_generator_image_shape(g, &c, &h, &w);
    int n_frames = points * steps;
    int gw = grid * (w + GAN_PNG_GRID_BORDER) + GAN_PNG_GRID_BORDER;
    int gh = grid * (h + GAN_PNG_GRID_BORDER) + GAN_PNG_GRID_BORDER;
    size_t frame_bytes = (size_t)gw * gh * c;
    float *keys = malloc((size_t)walks * points * latent * sizeof *keys);
    float *z = malloc((size_t)walks * latent * sizeof *z);
    float *img = malloc((size_t)walks * c * h * w * sizeof *img);
    uint8_t *frames = malloc(frame_bytes * n_frames);
    int rc = 1;
    if (!keys || !z || !img || !frames) {
        cli_error("out of memory for %d frames of %dx%d", n_frames, gw, gh);
        goto done;
    }
    gan_generator_noise(g, seed, 0, walks * points, keys);
    for (int f = 0; f < n_frames; f++) {
        int seg = f / steps;
        float t = (float)(f % steps) / (float)steps;
        for (int j = 0; j < walks; j++) {
            const float *a = keys + ((size_t)j * points + seg) * latent;
            const float *b = keys + ((size_t)j * points + (seg + 1) % points) * latent;
            slerp(a, b, t, z + (size_t)j * latent, latent);
        }
        uint8_t *cells;
        int cw, ch;
        if ((s = gan_generator_generate_labeled(g, z, classes ? labels : NULL, walks, img)) !=
                GAN_OK ||
            (s = gan_image_grid(out, img, walks, c, h, w, grid, &cells, &cw, &ch)) != GAN_OK) {
            cli_fail(s);
            goto done;
        }
        /* interleaved grid -> the planar frame the GIF writer takes */
        uint8_t *fr = frames + (size_t)f * frame_bytes;
        for (int ci = 0; ci < c; ci++)
            for (size_t p = 0; p < (size_t)gw * gh; p++) fr[ci * (size_t)gw * gh + p] = cells[p * c + ci];
        if (frames_dir) {
            char fp[1300];
            snprintf(fp, sizeof fp, "%s/frame_%04d.png", frames_dir, f);
            s = gan_png_write(fp, cells, gw, gh, c);
        }
        free(cells);
        if (s != GAN_OK) {
            cli_fail(s);
            goto done;
        }
    }
    gan_gif_options go;
    gan_gif_options_default(&go);
    go.delay_cs = delay;
    go.scale = scale;
    if ((s = gan_gif_write(out, frames, n_frames, c, gh, gw, &go)) != GAN_OK) {
        cli_fail(s);
        goto done;
    }
    fprintf(stderr, "gan interpolate: %d frames of %d walks (seed %llu) -> %s\n", n_frames, walks,
            (unsigned long long)seed, out);
    rc = 0;
done:
    free(keys);
    free(z);
    free(img);
    free(frames);
    gan_generator_free(g);
    return rc;
}
