/*
 * commands.h - the table of `gan`'s commands: main() dispatches through it,
 * `gan --help` lists it, and the man page and shell completion (cli_docs.c)
 * are generated from it and from each command's option table.
 */
#ifndef GAN_COMMANDS_H
#define GAN_COMMANDS_H

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[1] is the command's name */
    const char *const *subcommands;    /* NULL-terminated, or NULL */
} cli_command;

extern const cli_command cli_commands[];
extern const int cli_command_count;

/* The command named `name`, or NULL. */
const cli_command *cli_command_find(const char *name);

/* `gan --help`: the commands and their summaries. */
void cli_commands_usage(void);

/* `gan completion bash|zsh` and `gan manpage` (cli_docs.c). */
int cmd_completion(int argc, char **argv);
int cmd_manpage(int argc, char **argv);

#endif
