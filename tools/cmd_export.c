/*
 * cmd_export.c - `gan export`: write a checkpoint's generator as one
 * self-contained C99 file (weights as constant arrays, only libm).
 */
#include "cli.h"
#include "run_folder.h"

#include <stdio.h>

int cmd_export(int argc, char **argv) {
    const char *out = NULL, *prefix = "gan";
    cli_option opts[] = {
        {"c", CLI_STRING, &out, "FILE.c", "the C file to write (required)", 0},
        {"prefix", CLI_STRING, &prefix, "NAME", "prefix of the exported names (default gan: "
         "gan_generate, gan_noise, GAN_LATENT, ...)", 0},
        {0},
    };
    const char *pos[1];
    int npos;
    bool help;
    if (!cli_parse(argc, argv, 2, opts, pos, 1, &npos, &help)) return 2;
    if (help) {
        printf("usage: gan export CHECKPOINT --c FILE.c [--prefix NAME]\n\n"
               "Write the generator of CHECKPOINT as one C99 source file that any C compiler\n"
               "builds (only libm): NAME_generate(z, image) and NAME_noise(seed, index, z),\n"
               "which gives the latent vectors of `gan sample --seed SEED`.\n\noptions:\n");
        cli_print_options(opts);
        return 0;
    }
    if (npos != 1 || !out) {
        cli_error(npos != 1 ? "expected one CHECKPOINT (a checkpoint file or a run folder)"
                            : "--c FILE.c is required");
        return 2;
    }
    char path[1200];
    run_checkpoint_path(pos[0], path, sizeof path);
    gan_generator *g;
    gan_status s = gan_generator_load(path, &g);
    if (s == GAN_OK) s = gan_generator_export_c(g, out, prefix);
    gan_generator_free(g);
    if (s != GAN_OK) return cli_fail(s);
    fprintf(stderr, "gan export: generator of %s -> %s (%s_generate, %s_noise)\n", path, out,
            prefix, prefix);
    return 0;
}
