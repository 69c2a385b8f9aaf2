/*
 * commands.c - the table of `gan`'s commands (see commands.h).
 */
#include "commands.h"
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char *const data_subcommands[] = {"info", "prepare", "convert-mnist-json", NULL};
static const char *const classifier_subcommands[] = {"train", "info", NULL};

const cli_command cli_commands[] = {
    {"train", "train a GAN on an image dataset", cmd_train, NULL},
    {"sample", "generate images from a checkpoint (PNG, folder, .npy, IDX)", cmd_sample, NULL},
    {"interpolate", "animate a walk through the latent space (GIF)", cmd_interpolate, NULL},
    {"inspect", "show what a checkpoint holds", cmd_inspect, NULL},
    {"export", "write a generator as a standalone C file", cmd_export, NULL},
    {"report", "write a run's training report page (or --text: a summary)", cmd_report, NULL},
    {"eval", "measure generated images: FID, KID, precision/recall, IS, ...", cmd_eval, NULL},
    {"classifier", "train the feature network that eval uses", cmd_classifier,
     classifier_subcommands},
    {"data", "prepare and inspect datasets (info, prepare, convert-mnist-json)", cmd_data,
     data_subcommands},
    {"completion", "print shell completion (bash or zsh)", cmd_completion, NULL},
    {"manpage", "print the man page gan.1 (troff)", cmd_manpage, NULL},
};
const int cli_command_count = (int)(sizeof cli_commands / sizeof cli_commands[0]);

const cli_command *cli_command_find(const char *name) {
    for (int i = 0; i < cli_command_count; i++)
        if (strcmp(cli_commands[i].name, name) == 0) return &cli_commands[i];
    return NULL;
}

void cli_commands_usage(void) {
    printf("gan %s - generative adversarial networks in C\n\n"
           "usage: gan <command> [options]\n\ncommands:\n", GAN_VERSION);
    for (int i = 0; i < cli_command_count; i++)
        printf("  %-12s %s\n", cli_commands[i].name, cli_commands[i].summary);
    printf("\nRun 'gan <command> --help' for a command's options.\n");
}
