/*
 * cmd_sample.c - `gan sample`: generate images from a checkpoint into a PNG
 * grid, a folder of PNG files, a NumPy .npy file or an IDX file.
 */
#include "cli.h"
#include "image_out.h"
#include "run_folder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(cli_option *opts) {
    printf("usage: gan sample CHECKPOINT --out FILE [options]\n\n"
           "Generate images with the generator of CHECKPOINT (a checkpoint file or a run\n"
           "folder) in inference mode. The format follows FILE's name:\n"
           "  *.png            one grid of all images\n"
           "  *.npy            NumPy uint8 array [N, H, W] (or [N, H, W, C] for colour)\n"
           "  *.idx, *.gz      IDX ubyte images (gzip-compressed for .gz)\n"
           "  DIR/ or no extension   a folder of PNG files 000000.png, 000001.png, ...\n"
           "Sample i depends only on (seed, i): the same seed gives the same images.\n\n"
           "options:\n");
    cli_print_options(opts);
}

int cmd_sample(int argc, char **argv) {
    const char *out = NULL, *noise_out = NULL, *device = "cpu";
    int n = 64, cols = 0;
    uint64_t seed = 1;
    bool as_float = false;
    cli_option opts[] = {
        {"out", CLI_STRING, &out, "FILE", "output file or folder (required)", 0},
        {"n", CLI_INT, &n, "N", "number of images (default 64)", 0},
        {"seed", CLI_UINT64, &seed, "S", "noise seed (default 1)", 0},
        {"cols", CLI_INT, &cols, "N", "columns of a PNG grid (default: square)", 0},
        {"float", CLI_FLAG, &as_float, NULL, "with .npy: the raw float32 output in [-1, 1] "
         "instead of bytes", 0},
        {"save-noise", CLI_STRING, &noise_out, "FILE.npy", "also write the latent vectors "
         "(float32 [N, latent])", 0},
        {"device", CLI_STRING, &device, "D", "cpu (default) or cuda: where the generator runs", 0},
        {0},
    };
    const char *pos[1];
    int npos;
    bool help;
    if (!cli_parse(argc, argv, 2, opts, pos, 1, &npos, &help)) return 2;
    if (help) {
        usage(opts);
        return 0;
    }
    if (npos != 1) {
        cli_error("expected one CHECKPOINT (a checkpoint file or a run folder)");
        return 2;
    }
    if (!out) {
        cli_error("--out is required (FILE.png, FILE.npy, FILE.idx, FILE.gz or a folder)");
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
    if (cols == 0) cols = (int)ceil(sqrt((double)n));
    int dev;
    if (!cli_parse_device(device, &dev)) return 2;

    char ckpt[1200];
    run_checkpoint_path(pos[0], ckpt, sizeof ckpt);
    gan_generator *g;
    gan_status s = gan_generator_load_on(ckpt, dev, &g);
    if (s != GAN_OK) return cli_fail(s);
    int c, h, w, latent = gan_generator_latent_dim(g);
    gan_generator_image_shape(g, &c, &h, &w);
    float *z = malloc((size_t)n * latent * sizeof *z);
    float *img = malloc((size_t)n * c * h * w * sizeof *img);
    int rc = 1;
    if (!z || !img) {
        cli_error("out of memory for %d images", n);
        goto done;
    }
    gan_generator_noise(g, seed, 0, n, z);
    if ((s = gan_generator_generate(g, z, n, img)) != GAN_OK ||
        (s = as_float ? image_out_write_float_npy(out, img, n, c, h, w)
                      : image_out_write(out, img, n, c, h, w, cols)) != GAN_OK ||
        (noise_out && (s = image_out_write_noise(noise_out, z, n, latent)) != GAN_OK)) {
        cli_fail(s);
        goto done;
    }
    fprintf(stderr, "gan sample: %d images (seed %llu) -> %s\n", n, (unsigned long long)seed, out);
    rc = 0;
done:
    free(z);
    free(img);
    gan_generator_free(g);
    return rc;
}
