/*
 * cmd_sample.c - `gan sample`: generate images from a checkpoint into a PNG
 * grid, a folder of PNG files, a NumPy .npy file or an IDX file; for a
 * conditional model, of one class (--class), one row per class
 * (--class-grid), or a labelled dataset (--labels) that gan_dataset_load
 * reads back.
 */
#include "cli.h"
#include "image_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(cli_option *opts) {
    printf("usage: gan sample CHECKPOINT --out FILE [options]\n\n"
           "Generate images with the generator of CHECKPOINT (a checkpoint file or a run\n"
           "folder) in inference mode (its moving average when the run kept one, --ema).\n"
           "The format follows FILE's name:\n"
           "  *.png            one grid of all images\n"
           "  *.npy            NumPy uint8 array [N, H, W] (or [N, H, W, C] for colour)\n"
           "  *.idx, *.gz, *idx3-ubyte   IDX ubyte images (gzip-compressed for .gz)\n"
           "  DIR/ or no extension   a folder of PNG files 000000.png, 000001.png, ...\n"
           "Sample i depends only on (seed, i): the same seed gives the same images.\n"
           "Conditional models (cgan, cdcgan) take a class per image: --class NAME|K, one row\n"
           "per class with --class-grid, or --labels (default: balanced, image i of class\n"
           "i mod classes). With --labels the output is a dataset that `gan train --data`\n"
           "reads: a folder (train-images-idx3-ubyte + train-labels-idx1-ubyte) or a file\n"
           "NAME-images-idx3-ubyte[.gz] next to NAME-labels-idx1-ubyte[.gz].\n\n"
           "options:\n");
    cli_print_options(opts);
}

/* Which classes the images get, from --class, --class-grid and --labels. */
typedef struct class_choice {
    const char *cls_text; /* --class NAME|K, or NULL */
    int cls;             /* the class it names, or -1 */
    bool grid;           /* --class-grid */
    const char *labels;  /* --labels MODE, or NULL */
    gan_label_mode mode;
} class_choice;

/* The class flags need a conditional model, and --class one of its classes. */
static bool check_classes(const class_choice *cc, const cli_option *opts,
                          const gan_generator *g, const char *ckpt,
                          const gan_checkpoint_info *info) {
    int classes = gan_generator_num_classes(g);
    bool cls = cli_seen(opts, "class");
    const char *flag = cls ? "--class" : cc->grid ? "--class-grid" : cc->labels ? "--labels" : NULL;
    if (!flag) return true;
    if (!classes) {
        cli_error("%s: model '%s' of %s is unconditional: it has no classes", flag,
                  gan_generator_model_name(g), ckpt);
        return false;
    }
    char *end = NULL;
    long number = cls ? strtol(cc->cls_text, &end, 10) : 0;
    if (cls && cc->cls < 0 && end != cc->cls_text && *end == 0) { /* a number, not a class */
        cli_error("--class: %ld is out of range [0, %d] for model '%s'", number, classes - 1,
                  gan_generator_model_name(g));
        return false;
    }
    if (cls && cc->cls < 0) {
        char list[600] = "", name[256];
        for (int k = 0; k < info->class_count && strlen(list) < 400; k++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
                     gan_checkpoint_class_name(info, k, name, sizeof name));
        if (info->class_count)
            cli_error("--class: '%s' is not a class of %s (a name or an index 0 to %d: %s)",
                      cc->cls_text, ckpt, classes - 1, list);
        else
            cli_error("--class: '%s' is not an index 0 to %d (%s records no class names)",
                      cc->cls_text, classes - 1, ckpt);
        return false;
    }
    if (cls && cc->cls >= classes) {
        cli_error("--class: %d is out of range [0, %d] for model '%s'", cc->cls, classes - 1,
                  gan_generator_model_name(g));
        return false;
    }
    return true;
}

int cmd_sample(int argc, char **argv) {
    const char *out = NULL, *noise_out = NULL, *device = "cpu";
    int n = 64, cols = 0, threads = 0, upscale = 0, standing = 0;
    uint64_t seed = 1;
    bool as_float = false, no_ema = false;
    class_choice cc = {.cls = -1};
    cli_option opts[] = {
        {"class", CLI_STRING, &cc.cls_text, "NAME|K", "conditional models: all images of one "
         "class, by name (a folder's subfolder, see gan inspect) or index", 0},
        {"class-grid", CLI_FLAG, &cc.grid, NULL, "conditional models: one row per class of "
         "--cols images (default 8); column j uses sample j's noise", 0},
        {"labels", CLI_STRING, &cc.labels, "MODE", "conditional models: balanced (image i of "
         "class i mod classes) or uniform (random, from the seed); writes the labels too", 0},
        {"out", CLI_STRING, &out, "FILE", "output file or folder (required)", 0,
         "is required (FILE.png, FILE.npy, FILE.idx, FILE.gz or a folder)"},
        {"n", CLI_INT, &n, "N", "number of images (default 64)", 0},
        {"seed", CLI_UINT64, &seed, "S", "noise seed (default 1)", 0},
        {"cols", CLI_INT, &cols, "N", "columns of a PNG grid (default: square)", 0},
        {"upscale", CLI_INT, &upscale, "K", "a PNG grid's pixels enlarged K x K, nearest "
         "neighbour (default: the smallest K that makes it at least 512 pixels wide)", 0},
        {"float", CLI_FLAG, &as_float, NULL, "with .npy: the raw float32 output in [-1, 1] "
         "instead of bytes", 0},
        {"save-noise", CLI_STRING, &noise_out, "FILE.npy", "also write the latent vectors "
         "(float32 [N, latent])", 0},
        {"device", CLI_STRING, &device, "D", "cpu (default) or cuda: where the generator runs", 0},
        {"threads", CLI_INT, &threads, "N", "CPU threads (default 0 = all cores)", 0},
        {"no-ema", CLI_FLAG, &no_ema, NULL, "use the trained generator, not the moving "
         "average that a run with --ema keeps (which starts at the initial weights)", 0},
        {"standing-stats", CLI_INT, &standing, "B", "batch norm's running statistics "
         "recomputed first, as the mean of B batches' statistics of this generator in "
         "training mode (BigGAN's standing statistics; default 0 = the checkpoint's)", 0},
        {0},
    };
    char ckpt[1200];
    int rc0 = cli_parse_checkpoint(argc, argv, opts, usage, ckpt, sizeof ckpt);
    if (rc0 >= 0) return rc0;
    int picked = (cli_seen(opts, "class") ? 1 : 0) + (cc.grid ? 1 : 0) + (cc.labels ? 1 : 0);
    if (picked > 1) {
        cli_error("--class, --class-grid and --labels each choose the classes: give one");
        return 2;
    }
    if (cc.labels && strcmp(cc.labels, "balanced") == 0) cc.mode = GAN_LABELS_BALANCED;
    else if (cc.labels && strcmp(cc.labels, "uniform") == 0) cc.mode = GAN_LABELS_UNIFORM;
    else if (cc.labels) {
        cli_error("--labels: '%s' is not balanced or uniform", cc.labels);
        return 2;
    }
    if (cc.grid && cli_seen(opts, "n")) {
        cli_error("--n: --class-grid makes one row of --cols images per class; drop --n");
        return 2;
    }
    if (cc.labels && as_float) {
        cli_error("--float: --labels writes an IDX dataset (bytes); drop --float");
        return 2;
    }
    if (n < 1 || n > 1000000) {
        cli_error("--n: %d is out of range [1, 1000000]", n);
        return 2;
    }
    if (cols < 0 || cols > 1000) {
        cli_error("--cols: %d is out of range [1, 1000]", cols);
        return 2;
    }
    size_t out_len = strlen(out);
    if (as_float && (out_len < 4 || strcmp(out + out_len - 4, ".npy") != 0)) {
        cli_error("--float needs an --out FILE.npy");
        return 2;
    }
    if (upscale < 0 || upscale > GAN_GRID_MAX_SCALE) {
        cli_error("--upscale: %d is out of range [1, %d]", upscale, GAN_GRID_MAX_SCALE);
        return 2;
    }
    if (standing < 0 || standing > 100000) {
        cli_error("--standing-stats: %d is out of range [0, 100000]", standing);
        return 2;
    }
    if (threads < 0 || threads > 1024) {
        cli_error("--threads: %d is out of range [0, 1024]", threads);
        return 2;
    }
    int dev;
    if (!cli_parse_device(device, &dev)) return 2;
    gan_backend_cpu_set_threads(threads);

    gan_generator *g;
    gan_status s = no_ema ? gan_generator_load_trained(ckpt, dev, &g)
                          : gan_generator_load_on(ckpt, dev, &g);
    if (s == GAN_OK && standing) s = gan_generator_standing_stats(g, standing, 0, seed);
    if (s != GAN_OK) {
        gan_generator_free(g);
        return cli_fail(s);
    }
    gan_checkpoint_info info;
    if ((s = gan_checkpoint_read_info(ckpt, &info)) != GAN_OK) {
        gan_generator_free(g);
        return cli_fail(s);
    }
    if (cc.cls_text) cc.cls = gan_checkpoint_class_index(&info, cc.cls_text);
    if (!check_classes(&cc, opts, g, ckpt, &info)) {
        gan_generator_free(g);
        return 2;
    }
    int classes = gan_generator_num_classes(g);
    if (cc.grid) {
        if (cols == 0) cols = 8;
        n = classes * cols;
    }
    if (cols == 0) cols = (int)ceil(sqrt((double)n));
    int c, h, w, latent = gan_generator_latent_dim(g);
    gan_generator_image_shape(g, &c, &h, &w);
    float *z = malloc((size_t)n * latent * sizeof *z);
    float *img = malloc((size_t)n * c * h * w * sizeof *img);
    int32_t *labels = classes ? malloc((size_t)n * sizeof *labels) : NULL;
    char labels_path[1300] = "";
    int rc = 1;
    if (!z || !img || (classes && !labels)) {
        cli_error("out of memory for %d images", n);
        goto done;
    }
    if (cc.grid) { /* row r: class r; column j: the noise of sample j */
        gan_generator_noise(g, seed, 0, cols, z);
        for (int i = 0; i < n; i++) {
            memcpy(z + (size_t)i * latent, z + (size_t)(i % cols) * latent, latent * sizeof *z);
            labels[i] = i / cols;
        }
    } else {
        gan_generator_noise(g, seed, 0, n, z);
        if (classes) gan_generator_labels(g, cc.mode, seed, 0, n, labels);
        for (int i = 0; classes && cc.cls >= 0 && i < n; i++) labels[i] = cc.cls;
    }
    if ((s = gan_generator_generate_labeled(g, z, labels, n, img)) != GAN_OK ||
        (s = cc.labels ? image_out_write_labeled(out, img, labels, n, c, h, w, labels_path,
                                                 sizeof labels_path)
             : as_float ? image_out_write_float_npy(out, img, n, c, h, w)
                        : image_out_write(out, img, n, c, h, w, cols, upscale)) != GAN_OK ||
        (noise_out && (s = image_out_write_noise(noise_out, z, n, latent)) != GAN_OK)) {
        cli_fail(s);
        goto done;
    }
    char what[320] = "";
    if (cc.grid) snprintf(what, sizeof what, ", one row per class");
    else if (cc.cls >= 0) {
        char name[256];
        gan_checkpoint_class_name(&info, cc.cls, name, sizeof name);
        snprintf(what, sizeof what, ", class %d%s%s%s", cc.cls, *name ? " (" : "", name,
                 *name ? ")" : "");
    }
    else if (classes)
        snprintf(what, sizeof what, ", labels %s",
                 cc.mode == GAN_LABELS_UNIFORM ? "uniform" : "balanced");
    fprintf(stderr, "gan sample: %d images (seed %llu%s) -> %s%s%s\n", n,
            (unsigned long long)seed, what, out, labels_path[0] ? " + " : "", labels_path);
    rc = 0;
done:
    free(z);
    free(img);
    free(labels);
    gan_generator_free(g);
    return rc;
}
