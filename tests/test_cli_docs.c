/*
 * test_cli_docs.c - the docs cannot drift from the code: the README's
 * `gan train` options table lists exactly the flags of `gan train --help`;
 * docs/model-spec.md lists every preset and every spec `train` key, and its
 * error example for an unknown model is the text the code prints; the man
 * page (`gan manpage`) holds every option of every command and renders
 * without groff warnings; the bash completion completes commands, flags and
 * values; a mistyped flag or command gets "did you mean".
 */
#define _POSIX_C_SOURCE 200809L
#include "gan.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

static const char *cli(void) {
    const char *p = getenv("GAN_CLI");
    return p ? p : "./gan";
}

/* The source tree's file `name` (the fixtures are in tests/fixtures). */
static char *source_file(const char *name) {
    char path[1200];
    snprintf(path, sizeof path, "%s/../../%s", test_fixture_path(""), name);
    return test_read_file(path, NULL);
}

#define MAX_FLAGS 128
typedef struct flags {
    char name[MAX_FLAGS][48];
    int n;
} flags;

static bool has(const flags *f, const char *name) {
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->name[i], name) == 0) return true;
    return false;
}

static void add(flags *f, const char *p, size_t len) {
    char name[48];
    snprintf(name, sizeof name, "%.*s", (int)(len < 47 ? len : 47), p);
    if (!has(f, name) && f->n < MAX_FLAGS) snprintf(f->name[f->n++], 48, "%s", name);
}

/* Every "--name" in text[0 .. len). */
static void scan_flags(flags *f, const char *text, size_t len) {
    for (size_t i = 0; i + 2 < len; i++) {
        if (text[i] != '-' || text[i + 1] != '-' || (i && text[i - 1] == '-') ||
            text[i + 2] < 'a' || text[i + 2] > 'z')
            continue;
        size_t k = i + 2;
        while (k < len && ((text[k] >= 'a' && text[k] <= 'z') || (text[k] >= '0' &&
               text[k] <= '9') || text[k] == '-'))
            k++;
        if (k > i + 2) add(f, text + i + 2, k - i - 2);
        i = k;
    }
}

/* The flags `gan CMD --help` lists (lines "  --name ..."). */
static void help_flags(const char *cmd, flags *f) {
    char line[256], out[65536];
    snprintf(line, sizeof line, "%s %s --help", cli(), cmd);
    CHECK(test_run(line, out, sizeof out) == 0);
    f->n = 0;
    for (char *p = out; (p = strstr(p, "\n  --")); p += 3) {
        char *e = p + 5;
        while (*e && *e != ' ' && *e != '\n') e++;
        add(f, p + 5, (size_t)(e - p - 5));
    }
}

/* The flags in the first column of the markdown table after `heading`. */
static void table_flags(const char *doc, const char *heading, flags *f) {
    f->n = 0;
    const char *p = strstr(doc, heading);
    CHECK_MSG(p != NULL, "no '%s' in the document", heading);
    if (!p) return;
    p = strstr(p, "\n|");
    while (p && p[1] == '|') {
        const char *cell = p + 2, *end = cell;
        while (*end && *end != '\n' && !(*end == '|' && end[-1] != '\\')) end++;
        scan_flags(f, cell, (size_t)(end - cell));
        p = strchr(p + 1, '\n');
    }
}

static void check_readme(void) {
    char *readme = source_file("README.md");
    CHECK(readme != NULL);
    if (!readme) return;
    flags doc, help;
    table_flags(readme, "`gan train` options", &doc);
    help_flags("train", &help);
    CHECK(help.n > 30);
    for (int i = 0; i < help.n; i++)
        CHECK_MSG(has(&doc, help.name[i]), "README's gan train table lacks --%s", help.name[i]);
    for (int i = 0; i < doc.n; i++)
        CHECK_MSG(has(&help, doc.name[i]), "README's table has --%s, which gan train --help "
                  "does not list", doc.name[i]);
    free(readme);
}

static void check_model_spec(void) {
    char *doc = source_file("docs/model-spec.md");
    CHECK(doc != NULL);
    if (!doc) return;
    /* every preset has a row; every spec train key has a row */
    const char *presets[] = {"mlp", "dcgan", "cgan", "cdcgan"};
    char row[128], out[4096];
    for (size_t i = 0; i < sizeof presets / sizeof *presets; i++) {
        snprintf(row, sizeof row, "\n| `%s` |", presets[i]);
        CHECK_MSG(strstr(doc, row), "docs/model-spec.md has no preset row for %s", presets[i]);
        gan_spec *s = NULL;
        CHECK_MSG(gan_spec_load(presets[i], &s) == GAN_OK, "%s is not a preset", presets[i]);
        gan_spec_free(s);
    }
    int keys = 0;
    for (int i = 0; i < gan_train_option_count(); i++) {
        const gan_train_option *r = gan_train_option_at(i);
        if (!(r->where & GAN_OPTION_IN_SPEC)) continue;
        keys++;
        snprintf(row, sizeof row, "\n| `%s` | `%s` |", r->key, r->key);
        CHECK_MSG(strstr(doc, row), "docs/model-spec.md's train table lacks %s", r->key);
    }
    CHECK(keys >= 14);
    /* the error example is what the CLI prints */
    const char *images = test_write_images("docs-images", 8, 28);
    CHECK(images != NULL);
    snprintf(row, sizeof row, "%s train --data %s --model stylegan --out %s", cli(), images,
             test_tmp_path("docs-run"));
    CHECK(test_run(row, out, sizeof out) != 0);
    char *msg = strstr(out, "unknown model");
    char *nl = msg ? strchr(msg, '\n') : NULL;
    if (nl) *nl = 0;
    CHECK_MSG(msg && strstr(doc, msg), "docs/model-spec.md lacks the message '%s'",
              msg ? msg : out);
    free(doc);
}

/* The man page names every option of `gan CMD --help` and renders cleanly. */
static void check_manpage(void) {
    const char *man = test_tmp_path_kept("gan.1");
    char cmd[1400], out[8192];
    snprintf(cmd, sizeof cmd, "%s manpage > %s", cli(), man);
    CHECK(test_run(cmd, out, sizeof out) == 0);
    size_t len = 0;
    char *text = test_read_file(man, &len);
    CHECK(text && len > 1000 && strncmp(text, ".TH GAN 1", 9) == 0);
    const char *cmds[] = {"train", "sample", "interpolate", "inspect", "export", "report",
                          "eval", "classifier train", "data info", "data prepare"};
    for (size_t c = 0; text && c < sizeof cmds / sizeof *cmds; c++) {
        flags help;
        help_flags(cmds[c], &help);
        CHECK_MSG(help.n > 0, "gan %s --help lists no options", cmds[c]);
        for (int i = 0; i < help.n; i++) {
            char want[96];
            snprintf(want, sizeof want, "\\fB\\-\\-");
            size_t k = strlen(want);
            for (const char *p = help.name[i]; *p && k + 3 < sizeof want; p++) {
                if (*p == '-') want[k++] = '\\';
                want[k++] = *p;
            }
            want[k] = 0;
            CHECK_MSG(strstr(text, want), "the man page lacks --%s of gan %s", help.name[i],
                      cmds[c]);
        }
    }
    free(text);
    snprintf(cmd, sizeof cmd, "command -v groff >/dev/null || exit 0; "
             "groff -man -Tutf8 -ww -z %s 2>&1", man);
    CHECK(test_run(cmd, out, sizeof out) == 0);
    CHECK_MSG(out[0] == 0, "groff warns about the man page: %s", out);
}

/* The bash completion's replies for the words `line` (the last one is
 * completed). */
static void complete(const char *script, const char *line, char *out, size_t cap) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "bash -c 'source %s; COMP_WORDS=(%s); "
             "COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _gan; echo \"${COMPREPLY[*]}\"'", script,
             line);
    CHECK(test_run(cmd, out, cap) == 0);
}

static void check_completion(void) {
    const char *script = test_tmp_path_kept("gan.bash");
    char cmd[1400], out[8192];
    snprintf(cmd, sizeof cmd, "%s completion bash > %s", cli(), script);
    CHECK(test_run(cmd, out, sizeof out) == 0);
    complete(script, "gan tr", out, sizeof out);
    CHECK_MSG(strcmp(out, "train\n") == 0, "gan tr<TAB>: %s", out);
    complete(script, "gan train --batch", out, sizeof out);
    CHECK_MSG(strcmp(out, "--batch-size\n") == 0, "gan train --batch<TAB>: %s", out);
    complete(script, "gan train --loss h", out, sizeof out);
    CHECK_MSG(strcmp(out, "hinge\n") == 0, "--loss h<TAB>: %s", out);
    complete(script, "gan train --ema-w", out, sizeof out);
    CHECK_MSG(strcmp(out, "--ema-warmup\n") == 0, "gan train --ema-w<TAB>: %s", out);
    complete(script, "gan train --ema-warmup o", out, sizeof out);
    CHECK_MSG(strcmp(out, "off on\n") == 0, "--ema-warmup o<TAB>: %s", out);
    complete(script, "gan data i", out, sizeof out);
    CHECK_MSG(strcmp(out, "info\n") == 0, "gan data i<TAB>: %s", out);
    complete(script, "gan sample run --no-e", out, sizeof out);
    CHECK_MSG(strcmp(out, "--no-ema\n") == 0, "gan sample --no-e<TAB>: %s", out);
    snprintf(cmd, sizeof cmd, "%s completion zsh", cli());
    CHECK(test_run(cmd, out, sizeof out) == 0);
    CHECK(strncmp(out, "#compdef gan", 12) == 0 && strstr(out, "'--batch-size["));
    snprintf(cmd, sizeof cmd, "command -v zsh >/dev/null || exit 0; %s completion zsh | zsh -n",
             cli());
    CHECK(test_run(cmd, out, sizeof out) == 0);
    snprintf(cmd, sizeof cmd, "%s completion fish", cli());
    CHECK(test_run(cmd, out, sizeof out) == 2 && strstr(out, "'fish' is not a shell"));
}

/* "did you mean" within edit distance 2, for flags and commands; nothing
 * suggested for a word far from every name. */
static void check_suggestions(void) {
    struct {
        const char *args, *want;
        int rc;
    } cases[] = {
        {"train --bach-size 3", "unknown option '--bach-size'; did you mean --batch-size?", 2},
        {"train --batchsize=3", "did you mean --batch-size?", 2},
        {"train -epochs 3", "unknown option '-epochs'; did you mean --epochs?", 2},
        {"sample run --seeed 3", "did you mean --seed?", 2},
        {"train --frobnicate", "unknown option '--frobnicate' (see --help)", 2},
        {"trian", "unknown command 'trian'; did you mean 'gan train'?", 2},
        {"sampel", "did you mean 'gan sample'?", 2},
        {"frobnicate", "unknown command 'frobnicate' (see 'gan --help'", 2},
        {"data inof x", "unknown data command 'inof'; did you mean 'info'?", 2},
        {"classifier trian", "did you mean 'train'?", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char cmd[512], out[4096];
        snprintf(cmd, sizeof cmd, "%s %s", cli(), cases[i].args);
        int rc = test_run(cmd, out, sizeof out);
        CHECK_MSG(rc == cases[i].rc && strstr(out, cases[i].want),
                  "gan %s: exit %d, '%s' (expected '%s')", cases[i].args, rc, out,
                  cases[i].want);
    }
}

int main(void) {
    check_readme();
    check_model_spec();
    check_manpage();
    check_completion();
    check_suggestions();
    return test_report();
}
