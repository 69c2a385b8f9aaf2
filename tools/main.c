/*
 * main.c - the `gan` command-line tool: dispatch to subcommands.
 */
#include "cli.h"
#include "omp_policy.h"

#include <stdio.h>
#include <string.h>

static void usage(void) {
    printf("gan %s - generative adversarial networks in C\n\n"
           "usage: gan <command> [options]\n\n"
           "commands:\n"
           "  train      train a GAN on an image dataset\n"
           "  sample     generate images from a checkpoint (PNG, folder, .npy, IDX)\n"
           "  interpolate  animate a walk through the latent space (GIF)\n"
           "  inspect    show what a checkpoint holds\n"
           "  export     write a generator as a standalone C file\n"
           "  report     write a run's training report page (or --text: a summary)\n"
           "  eval       measure generated images: FID, KID, precision/recall, IS, ...\n"
           "  classifier train the feature network that eval uses\n"
           "  data       prepare and inspect datasets (convert, info)\n\n"
           "Run 'gan <command> --help' for a command's options.\n",
           GAN_VERSION);
}

int main(int argc, char **argv) {
    cli_omp_policy_apply(argv); /* OpenMP threads that do not spin against a busy machine */
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
    if (strcmp(argv[1], "sample") == 0) return cmd_sample(argc, argv);
    if (strcmp(argv[1], "interpolate") == 0) return cmd_interpolate(argc, argv);
    if (strcmp(argv[1], "inspect") == 0) return cmd_inspect(argc, argv);
    if (strcmp(argv[1], "export") == 0) return cmd_export(argc, argv);
    if (strcmp(argv[1], "report") == 0) return cmd_report(argc, argv);
    if (strcmp(argv[1], "eval") == 0) return cmd_eval(argc, argv);
    if (strcmp(argv[1], "classifier") == 0) return cmd_classifier(argc, argv);
    cli_error("unknown command '%s' (commands: train, sample, interpolate, inspect, export, "
              "report, eval, classifier, data; see 'gan --help')", argv[1]);
    return 2;
}
