/*
 * cli_docs.c - `gan manpage` (gan.1, troff) and `gan completion bash|zsh`,
 * generated from the same tables as --help: commands.c's list and each
 * command's option table, read by running the command with --help while
 * cli_capture_help records the table it parses (its usage text is caught
 * from stdout). The build runs both and `cmake --install` installs them,
 * so the man page and the completion cannot drift from --help.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One command's (or subcommand's) help: its usage text up to "options:",
 * and its options. */
typedef struct help_page {
    char name[64]; /* "train", "data info" */
    char *text;
    cli_help_capture opts;
} help_page;

/* Run `gan CMD [SUB] --help` with stdout caught in a temporary file. */
static bool read_help(const cli_command *c, const char *sub, help_page *h) {
    snprintf(h->name, sizeof h->name, "%s%s%s", c->name, sub ? " " : "", sub ? sub : "");
    char *argv[] = {"gan", (char *)c->name, (char *)sub, "--help", NULL};
    if (!sub) argv[2] = "--help", argv[3] = NULL;
    int argc = sub ? 4 : 3;
    FILE *tmp = tmpfile();
    if (!tmp) return false;
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fileno(tmp), STDOUT_FILENO);
    cli_capture_help(&h->opts);
    c->run(argc, argv);
    cli_capture_help(NULL);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    long len = ftell(tmp);
    h->text = calloc(1, len > 0 ? (size_t)len + 1 : 1);
    rewind(tmp);
    if (h->text && len > 0 && fread(h->text, 1, (size_t)len, tmp) != (size_t)len) h->text[0] = 0;
    fclose(tmp);
    if (!h->text) return false;
    char *cut = strstr(h->text, "\noptions:\n");
    if (cut) cut[1] = 0;
    return true;
}

/* Every page: commands without subcommands, and each subcommand. */
static int read_pages(help_page **out) {
    help_page *p = calloc(64, sizeof *p);
    int n = 0;
    for (int i = 0; p && i < cli_command_count; i++) {
        const cli_command *c = &cli_commands[i];
        if (c->run == cmd_completion || c->run == cmd_manpage) continue;
        if (!c->subcommands) {
            if (read_help(c, NULL, &p[n])) n++;
            continue;
        }
        for (const char *const *s = c->subcommands; *s && n < 64; s++)
            if (read_help(c, *s, &p[n])) n++;
    }
    *out = p;
    return n;
}

static void free_pages(help_page *p, int n) {
    for (int i = 0; i < n; i++) free(p[i].text);
    free(p);
}

/* ---------------------------------------------------------------- manpage */

/* Text in troff: backslashes escaped, '-' as \-, a leading '.' or '\''
 * made harmless. */
static void troff(FILE *f, const char *s, bool line_start) {
    for (; *s; s++) {
        if (line_start && (*s == '.' || *s == '\'')) fputs("\\&", f);
        line_start = *s == '\n';
        if (*s == '\\') fputs("\\e", f);
        else if (*s == '-') fputs("\\-", f);
        else fputc(*s, f);
    }
}

int cmd_manpage(int argc, char **argv) {
    if (argc > 2) {
        printf("usage: gan manpage > gan.1\n\nPrint the man page (troff), made from the same "
               "tables as --help.\n");
        return strcmp(argv[2], "--help") == 0 ? 0 : 2;
    }
    help_page *pages;
    int n = read_pages(&pages);
    printf(".TH GAN 1 \"\" \"gan.c %s\" \"User Commands\"\n"
           ".SH NAME\ngan \\- generative adversarial networks in C\n"
           ".SH SYNOPSIS\n.B gan\n.I command\n[options]\n"
           ".SH DESCRIPTION\nTrain GANs for image generation on the CPU (OpenBLAS/OpenMP) "
           "or an NVIDIA GPU, sample, evaluate, inspect and export them. Options are long "
           "(\\fB\\-\\-name value\\fR or \\fB\\-\\-name=value\\fR); a mistyped option or "
           "command gets a suggestion.\n.SH COMMANDS\n", GAN_VERSION);
    for (int i = 0; i < cli_command_count; i++) {
        printf(".TP\n.B %s\n", cli_commands[i].name);
        troff(stdout, cli_commands[i].summary, true);
        printf("\n");
    }
    for (int i = 0; i < n; i++) {
        printf(".SH \"GAN ");
        for (const char *c = pages[i].name; *c; c++)
            putchar(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
        printf("\"\n.nf\n");
        troff(stdout, pages[i].text, true);
        printf(".fi\n");
        for (int k = 0; k < pages[i].opts.n; k++) {
            const cli_option *o = &pages[i].opts.opts[k];
            printf(".TP\n\\fB\\-\\-");
            troff(stdout, o->name, false);
            printf("\\fR");
            if (o->type != CLI_FLAG) {
                printf(" \\fI");
                troff(stdout, o->arg ? o->arg : "VALUE", false);
                printf("\\fR");
            }
            printf("\n");
            troff(stdout, o->help, true);
            printf("\n");
        }
    }
    printf(".SH EXIT STATUS\n0 done; 1 failed (a file, the data, training); 2 usage error; "
           "130 interrupted (Ctrl\\-C, SIGTERM).\n"
           ".SH ENVIRONMENT\n.TP\n.B XDG_CACHE_HOME\ncaches of decoded image folders and "
           "eval classifiers for read\\-only or system datasets ($XDG_CACHE_HOME/gan, "
           "else ~/.cache/gan)\n.TP\n.B COLUMNS\nthe progress bar's width when the terminal "
           "does not say\n"
           ".SH SEE ALSO\nREADME.md and docs/ of gan.c; \\fBgan <command> \\-\\-help\\fR.\n");
    free_pages(pages, n);
    return 0;
}

/* ------------------------------------------------------------- completion */

/* Values an option takes from a fixed list (shell words), or NULL. */
static const char *choices(const char *name) {
    static char losses[256];
    if (strcmp(name, "loss") == 0) {
        size_t len = 0;
        for (int i = 0; gan_loss_name((gan_loss)i) && len + 40 < sizeof losses; i++)
            len += (size_t)snprintf(losses + len, sizeof losses - len, "%s%s", i ? " " : "",
                                    gan_loss_name((gan_loss)i));
        return losses;
    }
    if (strcmp(name, "device") == 0) return "cpu cuda";
    if (strcmp(name, "model") == 0) return "mlp dcgan cgan cdcgan";
    if (strcmp(name, "crop") == 0) return "center none";
    if (strcmp(name, "background") == 0) return "white black";
    if (strcmp(name, "channels") == 0) return "1 3";
    for (int i = 0; i < gan_train_option_count(); i++) { /* --init, --ema-warmup, ... */
        const gan_train_option *r = gan_train_option_at(i);
        if (r->type != GAN_OPTION_CHOICE || strcmp(r->flag, name) != 0) continue;
        static char words[256];
        size_t len = 0;
        for (int k = 0; r->choices[k] && len + 40 < sizeof words; k++)
            len += (size_t)snprintf(words + len, sizeof words - len, "%s%s", k ? " " : "",
                                    r->choices[k]);
        return words;
    }
    return NULL;
}

/* Whether an option's value is a path (complete file names). */
static bool takes_path(const cli_option *o) {
    const char *a = o->arg ? o->arg : "";
    return o->type == CLI_STRING && (strstr(a, "FILE") || strstr(a, "DIR") || strstr(a, "PATH") ||
                                     strstr(a, "RUN") || strstr(a, "SRC") || strstr(a, ".gif"));
}

static void bash_words(const cli_help_capture *c) {
    for (int k = 0; k < c->n; k++) printf("%s--%s", k ? " " : "", c->opts[k].name);
}

static void bash(help_page *pages, int n) {
    printf("# bash completion for gan (generated by `gan completion bash`)\n"
           "_gan() {\n"
           "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
           "    local cmd=\"${COMP_WORDS[1]}\" opts=\"\" values=\"\"\n"
           "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
           "        COMPREPLY=($(compgen -W \"");
    for (int i = 0; i < cli_command_count; i++) printf("%s%s", i ? " " : "", cli_commands[i].name);
    printf(" --help --version\" -- \"$cur\"))\n        return\n    fi\n    case \"$cmd\" in\n");
    for (int i = 0; i < cli_command_count; i++) {
        const cli_command *c = &cli_commands[i];
        printf("    %s)\n", c->name);
        if (c->run == cmd_completion) printf("        opts=\"bash zsh\" ;;\n");
        else if (!c->subcommands) {
            for (int p = 0; p < n; p++)
                if (strcmp(pages[p].name, c->name) == 0) {
                    printf("        opts=\"");
                    bash_words(&pages[p].opts);
                    printf("\"\n");
                }
            printf("        ;;\n");
        } else {
            printf("        if [ \"$COMP_CWORD\" -eq 2 ]; then\n            COMPREPLY=($(compgen "
                   "-W \"");
            for (const char *const *s = c->subcommands; *s; s++)
                printf("%s%s", s == c->subcommands ? "" : " ", *s);
            printf("\" -- \"$cur\"))\n            return\n        fi\n"
                   "        case \"${COMP_WORDS[2]}\" in\n");
            for (const char *const *s = c->subcommands; *s; s++) {
                char full[64];
                snprintf(full, sizeof full, "%s %s", c->name, *s);
                printf("        %s) opts=\"", *s);
                for (int p = 0; p < n; p++)
                    if (strcmp(pages[p].name, full) == 0) bash_words(&pages[p].opts);
                printf("\" ;;\n");
            }
            printf("        esac ;;\n");
        }
    }
    printf("    esac\n    case \"$prev\" in\n");
    const char *names[] = {"loss", "device", "model", "crop", "background", "channels"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        printf("    --%s) values=\"%s\" ;;\n", names[i], choices(names[i]));
    for (int i = 0; i < gan_train_option_count(); i++) { /* --init, --ema-warmup, ... */
        const gan_train_option *r = gan_train_option_at(i);
        if (r->type == GAN_OPTION_CHOICE)
            printf("    --%s) values=\"%s\" ;;\n", r->flag, choices(r->flag));
    }
    printf("    esac\n"
           "    if [ -n \"$values\" ]; then\n"
           "        COMPREPLY=($(compgen -W \"$values\" -- \"$cur\"))\n"
           "        [ \"$prev\" = --model ] && COMPREPLY+=($(compgen -f -- \"$cur\"))\n"
           "    elif [[ \"$cur\" == -* ]]; then\n"
           "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
           "    else\n"
           "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
           "    fi\n"
           "}\n"
           "complete -o filenames -F _gan gan\n");
}

/* A zsh _arguments description: no quotes, brackets or colons left raw. */
static void zsh_text(const char *s) {
    for (; *s; s++) {
        if (*s == '\'') fputs("'\\''", stdout);
        else if (*s == '[' || *s == ']' || *s == ':' || *s == '\\') printf("\\%c", *s);
        else fputc(*s, stdout);
    }
}

static void zsh_arguments(const help_page *p, int shift) {
    printf("            shift %d words; (( CURRENT -= %d ))\n            _arguments -s", shift,
           shift);
    for (int k = 0; k < p->opts.n; k++) {
        const cli_option *o = &p->opts.opts[k];
        printf(" \\\n                '--%s[", o->name);
        zsh_text(o->help);
        printf("]");
        if (o->type != CLI_FLAG) {
            printf(":");
            zsh_text(o->arg ? o->arg : "VALUE");
            const char *ch = choices(o->name);
            if (ch) printf(":(%s)", ch);
            else printf(":%s", takes_path(o) ? "_files" : " ");
        }
        printf("'");
    }
    printf(" \\\n                '*:file:_files'\n");
}

static void zsh(help_page *pages, int n) {
    printf("#compdef gan\n# zsh completion for gan (generated by `gan completion zsh`)\n"
           "_gan() {\n    local -a commands\n    commands=(\n");
    for (int i = 0; i < cli_command_count; i++) {
        printf("        '%s:", cli_commands[i].name);
        zsh_text(cli_commands[i].summary);
        printf("'\n");
    }
    printf("    )\n    if (( CURRENT == 2 )); then\n        _describe -t commands 'gan command' "
           "commands\n        return\n    fi\n    case $words[2] in\n");
    for (int i = 0; i < cli_command_count; i++) {
        const cli_command *c = &cli_commands[i];
        printf("        %s)\n", c->name);
        if (c->run == cmd_completion) {
            printf("            _values shell bash zsh ;;\n");
            continue;
        }
        if (!c->subcommands) {
            for (int p = 0; p < n; p++)
                if (strcmp(pages[p].name, c->name) == 0) zsh_arguments(&pages[p], 1);
            printf("            ;;\n");
            continue;
        }
        printf("            if (( CURRENT == 3 )); then\n                _values '%s command'",
               c->name);
        for (const char *const *s = c->subcommands; *s; s++) printf(" %s", *s);
        printf("\n                return\n            fi\n            case $words[3] in\n");
        for (const char *const *s = c->subcommands; *s; s++) {
            char full[64];
            snprintf(full, sizeof full, "%s %s", c->name, *s);
            printf("            %s)\n", *s);
            for (int p = 0; p < n; p++)
                if (strcmp(pages[p].name, full) == 0) zsh_arguments(&pages[p], 2);
            printf("            ;;\n");
        }
        printf("            esac ;;\n");
    }
    printf("    esac\n}\n_gan \"$@\"\n");
}

int cmd_completion(int argc, char **argv) {
    const char *shell = argc == 3 ? argv[2] : "";
    if (strcmp(shell, "bash") != 0 && strcmp(shell, "zsh") != 0) {
        printf("usage: gan completion bash|zsh\n\nPrint the shell completion script. "
               "`cmake --install` installs both; by hand:\n"
               "  bash: source <(gan completion bash)\n"
               "  zsh:  gan completion zsh > ~/.zfunc/_gan  (a folder on $fpath)\n");
        if (strcmp(shell, "--help") == 0) return 0;
        if (argc >= 3) cli_error("completion: '%s' is not a shell (bash or zsh)", shell);
        return 2;
    }
    help_page *pages;
    int n = read_pages(&pages);
    if (strcmp(shell, "bash") == 0) bash(pages, n);
    else zsh(pages, n);
    free_pages(pages, n);
    return 0;
}
