/*
 * main.c - the `gan` command-line tool: dispatch to subcommands.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void usage(void) {
    printf("gan %s - generative adversarial networks in C\n\n"
           "usage: gan <command> [options]\n\n"
           "commands:\n"
           "  train      train a GAN on an image dataset\n"
           "  data       prepare and inspect datasets (convert, info)\n\n"
           "Run 'gan <command> --help' for a command's options.\n",
           GAN_VERSION);
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage();
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("gan %s\n", GAN_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "train") == 0) return cmd_train(argc, argv);
    if (strcmp(argv[1], "data") == 0) return cmd_data(argc, argv);
    cli_error("unknown command '%s' (commands: train, data; see 'gan --help')", argv[1]);
    return 2;
}
