/*
 * cmd_inspect.c - `gan inspect`: what a checkpoint holds: the architecture
 * with shapes and parameter counts, the classes of a conditional model, the
 * training state, options (losses, rates, EMA), version, and the model spec
 * it carries (--spec prints only that, to reuse it).
 */
#include "cli.h"
#include "inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What `gan inspect` prints, into `out`; the report page shows it too. */
gan_status inspect_print(FILE *out, const char *path, bool spec_only) {
    char *text = NULL;
    gan_status s = gan_checkpoint_describe(path, spec_only, &text);
    if (s == GAN_OK) fputs(text, out);
    free(text);
    return s;
}

static void usage(cli_option *opts) {
    printf("usage: gan inspect CHECKPOINT [--spec]\n\nShow the architecture, training state, "
           "options, version and model spec stored in a checkpoint (a file or a run "
           "folder).\n\noptions:\n");
    cli_print_options(opts);
}

int cmd_inspect(int argc, char **argv) {
    bool spec_only = false;
    cli_option opts[] = {
        {"spec", CLI_FLAG, &spec_only, NULL, "print only the model spec (a file that "
         "`gan train --model FILE` reads)", 0},
        {0},
    };
    char path[1200];
    int parsed = cli_parse_checkpoint(argc, argv, opts, usage, path, sizeof path);
    if (parsed >= 0) return parsed;
    gan_status s = inspect_print(stdout, path, spec_only);
    return s == GAN_OK ? 0 : cli_fail(s);
}
