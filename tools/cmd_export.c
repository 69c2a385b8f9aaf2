/*
 * cmd_export.c - `gan export`: write a checkpoint's generator as one
 * self-contained C99 file (weights as constant arrays, only libm).
 */
#include "cli.h"

#include <stdio.h>

static void usage(cli_option *opts) {
    printf("usage: gan export CHECKPOINT --c FILE.c [--prefix NAME]\n\n"
           "Write the generator of CHECKPOINT as one C99 source file that any C compiler\n"
           "builds (only libm): NAME_generate(z, image) and NAME_noise(seed, index, z),\n"
           "which gives the latent vectors of `gan sample --seed SEED`.\n\noptions:\n");
    cli_print_options(opts);
}

int cmd_export(int argc, char **argv) {
    const char *out = NULL, *prefix = "gan";
    cli_option opts[] = {
        {"c", CLI_STRING, &out, "FILE.c", "the C file to write (required)", 0,
         "FILE.c is required"},
        {"prefix", CLI_STRING, &prefix, "NAME", "prefix of the exported names (default gan: "
         "gan_generate, gan_noise, GAN_LATENT, ...)", 0},
        {0},
    };
    char path[1200];
    int parsed = cli_parse_checkpoint(argc, argv, opts, usage, path, sizeof path);
    if (parsed >= 0) return parsed;
    gan_generator *g;
    gan_status s = gan_generator_load(path, &g);
    if (s == GAN_OK) s = gan_generator_export_c(g, out, prefix);
    gan_generator_free(g);
    if (s != GAN_OK) return cli_fail(s);
    fprintf(stderr, "gan export: generator of %s -> %s (%s_generate, %s_noise)\n", path, out,
            prefix, prefix);
    return 0;
}
