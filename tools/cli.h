/*
 * cli.h - pieces shared by the `gan` subcommands: a table-driven long-option
 * parser with strict value checking, and error reporting.
 *
 * Only the CLI prints and exits; it turns libgan's status codes and
 * gan_last_error() messages into one-line errors and exit codes.
 */
#ifndef GAN_CLI_H
#define GAN_CLI_H

#include "gan.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum cli_type { CLI_STRING, CLI_INT, CLI_INT64, CLI_UINT64, CLI_FLOAT, CLI_FLAG } cli_type;

typedef struct cli_option {
    const char *name; /* without the leading "--" */
    cli_type type;
    void *value;      /* const char **, int *, int64_t *, uint64_t *, float *, bool * */
    const char *arg;  /* placeholder shown in help, e.g. "N" */
    const char *help;
    bool seen;
    const char *required; /* non-NULL: the option must be given; leaving it out is the
                             usage error "--NAME <required>" */
} cli_option;

/* Parse argv[first..argc-1] against `opts` (ended by a {0} entry). Both
 * "--name value" and "--name=value" work. Positional arguments are stored
 * in positional[] (up to max_positional). Prints a one-line error naming
 * the option and returns false on any problem; sets *want_help on --help. */
bool cli_parse(int argc, char **argv, int first, cli_option *opts, const char **positional,
               int max_positional, int *n_positional, bool *want_help);

/* While a capture is set (NULL ends it), cli_parse copies the option table
 * it parses into it when it meets --help: how cli_docs.c reads every
 * command's options to generate the man page and shell completion. */
#define CLI_CAPTURE_MAX 128
typedef struct cli_help_capture {
    cli_option opts[CLI_CAPTURE_MAX];
    int n;
} cli_help_capture;
void cli_capture_help(cli_help_capture *c);

/* Whether option `name` was given on the command line. */
bool cli_seen(const cli_option *opts, const char *name);

/* The start of every command: parse argv[first..], print `usage` on --help.
 * Returns -1 to go on (positional[0 .. *n_positional) set; positional may be
 * NULL with max_positional 0), else the exit code to return (0 after
 * --help, 2 on a usage error). */
int cli_parse_command(int argc, char **argv, int first, cli_option *opts,
                      void (*usage)(cli_option *), const char **positional, int max_positional,
                      int *n_positional);

/* The start of every command that takes one CHECKPOINT (a checkpoint file or
 * a run folder) and options: parse, print `usage` on --help, refuse a
 * missing or extra positional, then a missing required option. Returns -1 to
 * go on, with the checkpoint file meant in checkpoint[cap] (a run folder's
 * checkpoint.safetensors), else the exit code to return (0 after --help, 2
 * on a usage error). */
int cli_parse_checkpoint(int argc, char **argv, cli_option *opts, void (*usage)(cli_option *),
                         char *checkpoint, size_t cap);

/* Refuse a missing required option (cli_option.required) with its usage
 * error; false then. */
bool cli_check_required(const cli_option *opts);

/* Print option help for a table. */
void cli_print_options(const cli_option *opts);

/* Mistyped names within this edit distance get "did you mean ...?". */
#define CLI_SUGGEST_DISTANCE 2

/* Levenshtein distance of two names (SIZE_MAX beyond 64 characters). */
size_t cli_edit_distance(const char *a, const char *b);

/* The name of names[0 .. n) closest to `word` within CLI_SUGGEST_DISTANCE
 * (the first of equals), or NULL. */
const char *cli_closest(const char *word, const char *const *names, int n);

/* Called (when set) before cli_error prints: the progress bar clears its
 * line there, so that an error never shares it. */
extern void (*cli_before_message)(void);

/* Print "gan: error: <msg>" to stderr. */
void cli_error(const char *fmt, ...);

/* Print the library's last error as "gan: error: ..." and return exit code 1. */
int cli_fail(gan_status status);

/* `--device NAME` ("cpu" or "cuda") as a gan_device; prints the error and
 * returns false for any other name. */
bool cli_parse_device(const char *name, int *device);

/* Subcommands. */
int cmd_train(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_interpolate(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_classifier(int argc, char **argv);
int cmd_eval(int argc, char **argv);

#endif
