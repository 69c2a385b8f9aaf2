/*
 * main.c - the `gan` command-line tool: dispatch to subcommands
 * (commands.c's table), "did you mean" for a mistyped one.
 */
#include "cli.h"
#include "commands.h"
#include "omp_policy.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    cli_omp_policy_apply(argv); /* OpenMP threads that do not spin against a busy machine */
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        cli_commands_usage();
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("gan %s\n", GAN_VERSION);
        return 0;
    }
    const cli_command *c = cli_command_find(argv[1]);
    if (c) return c->run(argc, argv);
    const char *names[64];
    for (int i = 0; i < cli_command_count && i < 64; i++) names[i] = cli_commands[i].name;
    const char *near = cli_closest(argv[1], names, cli_command_count);
    if (near) cli_error("unknown command '%s'; did you mean 'gan %s'?", argv[1], near);
    else cli_error("unknown command '%s' (see 'gan --help' for the commands)", argv[1]);
    return 2;
}
