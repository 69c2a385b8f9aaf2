/*
 * cli.c - long-option parsing and error printing for the `gan` tool.
 */
#include "cli.h"
#include "run_folder.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void (*cli_before_message)(void);

void cli_error(const char *fmt, ...) {
    if (cli_before_message) cli_before_message();
    va_list ap;
    va_start(ap, fmt);
    fputs("gan: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_fail(gan_status status) {
    cli_error("%s", gan_last_error());
    return status == GAN_OK ? 0 : 1;
}

size_t cli_edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return (size_t)-1;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *cli_closest(const char *word, const char *const *names, int n) {
    const char *best = NULL;
    size_t best_d = CLI_SUGGEST_DISTANCE + 1;
    for (int i = 0; i < n; i++) {
        size_t d = cli_edit_distance(word, names[i]);
        if (d < best_d) best = names[i], best_d = d;
    }
    return best;
}

/* The option of `opts` closest to `word` (within CLI_SUGGEST_DISTANCE), or NULL. */
static const char *closest_option(const cli_option *opts, const char *word) {
    const char *names[256];
    int n = 0;
    for (const cli_option *o = opts; o->name && n < 256; o++) names[n++] = o->name;
    return cli_closest(word, names, n);
}

bool cli_parse_device(const char *name, int *device) {
    if (strcmp(name, "cpu") == 0) *device = GAN_DEVICE_CPU;
    else if (strcmp(name, "cuda") == 0) *device = GAN_DEVICE_CUDA;
    else {
        cli_error("--device: '%s' is not a device (cpu or cuda)", name);
        return false;
    }
    return true;
}

static bool parse_value(cli_option *o, const char *text) {
    char *end = NULL;
    errno = 0;
    switch (o->type) {
    case CLI_STRING:
        if (!*text) {
            cli_error("--%s: empty value", o->name);
            return false;
        }
        *(const char **)o->value = text;
        return true;
    case CLI_INT:
    case CLI_INT64: {
        long long v = strtoll(text, &end, 10);
        if (!*text || *end || errno) {
            cli_error("--%s: expected an integer, got '%s'", o->name, text);
            return false;
        }
        if (o->type == CLI_INT) {
            if (v < -2147483647LL || v > 2147483647LL) {
                cli_error("--%s: %s is out of range", o->name, text);
                return false;
            }
            *(int *)o->value = (int)v;
        } else {
            *(int64_t *)o->value = v;
        }
        return true;
    }
    case CLI_UINT64: {
        if (text[0] == '-') {
            cli_error("--%s: expected a non-negative integer, got '%s'", o->name, text);
            return false;
        }
        unsigned long long v = strtoull(text, &end, 10);
        if (!*text || *end || errno) {
            cli_error("--%s: expected a non-negative integer, got '%s'", o->name, text);
            return false;
        }
        *(uint64_t *)o->value = v;
        return true;
    }
    case CLI_FLOAT: {
        float v = strtof(text, &end);
        if (!*text || *end || errno || !isfinite(v)) {
            cli_error("--%s: expected a finite number, got '%s'", o->name, text);
            return false;
        }
        *(float *)o->value = v;
        return true;
    }
    case CLI_FLAG:
        break;
    }
    return false;
}

static cli_help_capture *capture;

void cli_capture_help(cli_help_capture *c) {
    capture = c;
    if (c) c->n = 0;
}

bool cli_parse(int argc, char **argv, int first, cli_option *opts, const char **positional,
               int max_positional, int *n_positional, bool *want_help) {
    *n_positional = 0;
    *want_help = false;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *want_help = true;
            for (const cli_option *o = opts; capture && o->name && capture->n < CLI_CAPTURE_MAX;
                 o++)
                capture->opts[capture->n++] = *o;
            return true;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == 0) {
            if (a[0] == '-' && a[1] != 0) {
                const char *near = closest_option(opts, a + 1);
                if (near) cli_error("unknown option '%s'; did you mean --%s?", a, near);
                else cli_error("unknown option '%s' (options are long, like --batch-size; see "
                               "--help)", a);
                return false;
            }
            if (*n_positional >= max_positional) {
                cli_error("unexpected argument '%s'", a);
                return false;
            }
            positional[(*n_positional)++] = a;
            continue;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        cli_option *o = NULL;
        for (cli_option *p = opts; p->name; p++)
            if (strlen(p->name) == len && strncmp(p->name, name, len) == 0) o = p;
        if (!o) {
            char word[128];
            snprintf(word, sizeof word, "%.*s", (int)(len < 100 ? len : 100), name);
            const char *near = closest_option(opts, word);
            if (near) cli_error("unknown option '--%s'; did you mean --%s?", word, near);
            else cli_error("unknown option '--%s' (see --help)", word);
            return false;
        }
        if (o->seen) {
            cli_error("--%s given twice", o->name);
            return false;
        }
        o->seen = true;
        if (o->type == CLI_FLAG) {
            if (eq) {
                cli_error("--%s takes no value", o->name);
                return false;
            }
            *(bool *)o->value = true;
            continue;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc) {
                cli_error("--%s needs a value (%s)", o->name, o->arg ? o->arg : "VALUE");
                return false;
            }
            value = argv[++i];
        }
        if (!parse_value(o, value)) return false;
    }
    return true;
}

bool cli_seen(const cli_option *opts, const char *name) {
    for (const cli_option *o = opts; o->name; o++)
        if (strcmp(o->name, name) == 0) return o->seen;
    return false;
}

void cli_print_options(const cli_option *opts) {
    for (const cli_option *o = opts; o->name; o++) {
        char left[64];
        if (o->type == CLI_FLAG)
            snprintf(left, sizeof left, "--%s", o->name);
        else
            snprintf(left, sizeof left, "--%s %s", o->name, o->arg ? o->arg : "VALUE");
        printf("  %-24s %s\n", left, o->help);
    }
}

int cli_parse_command(int argc, char **argv, int first, cli_option *opts,
                      void (*usage)(cli_option *), const char **positional, int max_positional,
                      int *n_positional) {
    const char *unused[1];
    int n = 0;
    bool help;
    if (!cli_parse(argc, argv, first, opts, positional ? positional : unused, max_positional, &n,
                   &help))
        return 2;
    if (n_positional) *n_positional = n;
    if (help) {
        usage(opts);
        return 0;
    }
    return -1;
}

int cli_parse_checkpoint(int argc, char **argv, cli_option *opts, void (*usage)(cli_option *),
                         char *checkpoint, size_t cap) {
    const char *pos[1];
    int npos;
    int rc = cli_parse_command(argc, argv, 2, opts, usage, pos, 1, &npos);
    if (rc >= 0) return rc;
    if (npos != 1) {
        cli_error("expected one CHECKPOINT (a checkpoint file or a run folder)");
        return 2;
    }
    run_checkpoint_path(pos[0], checkpoint, cap);
    return cli_check_required(opts) ? -1 : 2;
}

bool cli_check_required(const cli_option *opts) {
    for (const cli_option *o = opts; o->name; o++)
        if (o->required && !o->seen) {
            cli_error("--%s %s", o->name, o->required);
            return false;
        }
    return true;
}
