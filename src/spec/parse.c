/*
 * parse.c - the grammar of a spec (docs/model-spec.md):
 *
 *   spec    := header section+            (in any order of sections)
 *   header  := ('image' C H W | 'latent' N | 'classes' N)*   each at most once
 *   section := ('generator' | 'discriminator') (layer | block)+ | 'train' option*
 *   layer   := KIND value* key=value*     (values by position first)
 *   block   := BLOCK_KIND layer* (BRANCH layer*)* 'end'   (model.h; no nesting;
 *              the branches in the kind's order, the first one named by
 *              the kind's word itself, a branch not written is the identity)
 *   option  := KEY value
 *
 * one item per line. Every syntax error is found in reading order and names
 * its line; then missing parts (no line); then the shapes (build.c).
 */
#include "spec/syntax.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SEC_NONE = -1, SEC_TRAIN = 2, N_SECTIONS = 3 };

static const char *const section_names[N_SECTIONS] = {"generator", "discriminator", "train"};

typedef struct parser {
    gan_spec *s;
    int section;                 /* SEC_NONE before the first section */
    int section_line[N_SECTIONS];
    int first_section_line;
    int image_line, latent_line, classes_line;
    int open_block;              /* 1 + the block being read in this section, 0 if none */
    int branch;                  /* its branch being read */
} parser;

#define FAIL(p, line, ...) spec_error(GAN_ERR_FORMAT, (p)->s->origin, (line), __VA_ARGS__)

static int find_word(const char *const *list, int n, const char *w) {
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], w) == 0) return i;
    return -1;
}

static void train_key_list(char *buf, size_t cap) {
    int n;
    const spec_train_key *k = spec_train_keys(&n);
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < n && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", k[i].key.name);
}

/* ---------------------------------------------------------------- header */

static const char *const header_words[] = {"image", "latent", "classes"};

static const spec_key image_keys[3] = {
    {"channels", SPEC_INT, NULL, false, 1, 65536, false, false, NULL},
    {"height", SPEC_INT, NULL, false, 1, 65536, false, false, NULL},
    {"width", SPEC_INT, NULL, false, 1, 65536, false, false, NULL},
};
static const spec_key latent_key = {"latent", SPEC_INT, NULL, false, 1, 1 << 20, false, false,
                                    NULL};
static const spec_key classes_key = {"classes", SPEC_INT, NULL, false, 1, 65536, false, false,
                                     NULL};

static gan_status parse_header(parser *p, const spec_line *ln, int which) {
    const char *w = ln->words[0];
    if (p->section != SEC_NONE)
        return FAIL(p, ln->number, "'%s' belongs to the header, before the first section "
                    "(line %d)", w, p->first_section_line);
    int *seen = which == 0 ? &p->image_line : which == 1 ? &p->latent_line : &p->classes_line;
    if (*seen) return FAIL(p, ln->number, "duplicate '%s' (first on line %d)", w, *seen);
    static const char *const usage[] = {"3 values: channels height width, e.g. 'image 1 28 28'",
                                        "1 value, e.g. 'latent 100'",
                                        "1 value, e.g. 'classes 10'"};
    int want = which == 0 ? 3 : 1;
    if (ln->n_words - 1 != want)
        return FAIL(p, ln->number, "%s: expects %s", w, usage[which]);
    gan_spec *s = p->s;
    char why[320];
    for (int i = 0; i < want; i++) {
        const spec_key *k = which == 0 ? &image_keys[i] : which == 1 ? &latent_key : &classes_key;
        gan_spec_value v;
        if (!spec_value_parse(k, ln->words[1 + i], &v, why, sizeof why))
            return which == 0 ? FAIL(p, ln->number, "image: %s: %s", k->name, why)
                              : FAIL(p, ln->number, "%s: %s", w, why);
        if (which == 0) s->image[i] = (int)v.i;
        else if (which == 1) s->latent_dim = (int)v.i;
        else s->n_classes = (int)v.i;
    }
    if (which == 0 && (int64_t)s->image[0] * s->image[1] * s->image[2] > GAN_MAX_SAMPLE_VALUES)
        return FAIL(p, ln->number, "image: %dx%dx%d is too large (at most %d values)",
                    s->image[0], s->image[1], s->image[2], GAN_MAX_SAMPLE_VALUES);
    *seen = ln->number;
    return GAN_OK;
}

/* ---------------------------------------------------------------- layers */

static gan_status parse_layer(parser *p, spec_line *ln) {
    const char *name = ln->words[0];
    const gan_layer_ops *kind = spec_layer_kind_find(name);
    char list[320], why[768];
    if (!kind) {
        spec_layer_kind_list(list, sizeof list);
        return FAIL(p, ln->number, "unknown layer '%s' (layers: %s)", name, list);
    }
    gan_spec_net *net = &p->s->net[p->section];
    if (net->n_layers == GAN_MAX_LAYERS)
        return FAIL(p, ln->number, "%s: more than %d layers", section_names[p->section],
                    GAN_MAX_LAYERS);
    if (!spec_layer_parse(kind, ln->words, ln->n_words, p->s->n_classes,
                          &net->layers[net->n_layers], why, sizeof why))
        return FAIL(p, ln->number, "%s", why);
    net->lines[net->n_layers++] = ln->number;
    if (p->open_block) net->blocks[p->open_block - 1].n[p->branch]++;
    return GAN_OK;
}

/* ---------------------------------------------------------------- blocks */

/* A block's opening word, a branch word, or 'end': true (with *st) when the
 * line was one of them. */
static bool parse_block_word(parser *p, const spec_line *ln, gan_status *st) {
    const char *w = ln->words[0];
    gan_spec_net *net = &p->s->net[p->section];
    gan_block *open = p->open_block ? &net->blocks[p->open_block - 1] : NULL;
    const gan_block_kind *kind = gan_block_kind_find(w);
    int branch = -1;
    for (int k = 0; open && k < open->kind->n_branches; k++)
        if (strcmp(open->kind->branch_names[k], w) == 0) branch = k;
    bool end = strcmp(w, "end") == 0;
    if (!kind && branch < 0 && !end) return false;
    *st = GAN_OK;
    if (ln->n_words > 1)
        *st = FAIL(p, ln->number, "'%s' takes no values (got '%s'); its layers go on the lines "
                   "below", w, ln->words[1]);
    else if (kind && open)
        *st = FAIL(p, ln->number, "a %s block inside the %s block of line %d (blocks do not "
                   "nest; close it with 'end')", w, open->kind->name,
                   net->block_lines[p->open_block - 1]);
    else if (kind && net->n_blocks == GAN_MAX_BLOCKS)
        *st = FAIL(p, ln->number, "%s: more than %d blocks", section_names[p->section],
                   GAN_MAX_BLOCKS);
    else if (kind) {
        net->blocks[net->n_blocks] = (gan_block){.kind = kind, .first = net->n_layers};
        net->block_lines[net->n_blocks] = ln->number;
        p->open_block = ++net->n_blocks;
        p->branch = 0;
    } else if (branch >= 0 && branch <= p->branch)
        *st = FAIL(p, ln->number, "'%s' after '%s': the branches of a %s block come in the "
                   "order %s, %s", w, open->kind->branch_names[p->branch], open->kind->name,
                   open->kind->branch_names[0], open->kind->branch_names[1]);
    else if (branch >= 0)
        p->branch = branch;
    else if (!open)
        *st = FAIL(p, ln->number, "'end' without a block to close");
    else if (open->first == net->n_layers)
        *st = FAIL(p, ln->number, "the %s block of line %d has no layers", open->kind->name,
                   net->block_lines[p->open_block - 1]);
    else
        p->open_block = 0;
    return true;
}

/* A block left open when its section ends. */
static gan_status check_closed(parser *p) {
    if (!p->open_block || p->section < 0 || p->section == SEC_TRAIN) return GAN_OK;
    const gan_spec_net *net = &p->s->net[p->section];
    return FAIL(p, net->block_lines[p->open_block - 1], "the %s block has no 'end'",
                net->blocks[p->open_block - 1].kind->name);
}

/* ----------------------------------------------------------------- train */

static gan_status parse_train(parser *p, const spec_line *ln) {
    const char *w = ln->words[0];
    int n;
    const spec_train_key *keys = spec_train_keys(&n);
    int k = -1;
    for (int i = 0; i < n; i++)
        if (strcmp(keys[i].key.name, w) == 0) k = i;
    char list[320], why[320];
    if (k < 0) {
        train_key_list(list, sizeof list);
        const char *eq = strchr(w, '=');
        if (eq)
            return FAIL(p, ln->number, "train: write '%.*s %s' (a key, a space, a value), not "
                        "'%s'", (int)(eq - w), w, eq + 1, w);
        return FAIL(p, ln->number, "train: unknown key '%s' (keys: %s)", w, list);
    }
    gan_spec *s = p->s;
    if (s->train_line[k])
        return FAIL(p, ln->number, "train: duplicate '%s' (first on line %d)", w,
                    s->train_line[k]);
    if (ln->n_words != 2)
        return FAIL(p, ln->number, "train: '%s' takes one value (got %d)", w, ln->n_words - 1);
    if (!spec_value_parse(&keys[k].key, ln->words[1], &s->train[k], why, sizeof why))
        return FAIL(p, ln->number, "train: %s: %s", w, why);
    s->train_line[k] = ln->number;
    return GAN_OK;
}

/* ------------------------------------------------------------- the file */

static gan_status parse_line(parser *p, spec_line *ln) {
    const char *w = ln->words[0];
    int sec = find_word(section_names, N_SECTIONS, w);
    if (sec >= 0) {
        if (ln->n_words > 1)
            return FAIL(p, ln->number, "'%s' takes no values (got '%s'); its %s go on the "
                        "lines below", w, ln->words[1], sec == SEC_TRAIN ? "options" : "layers");
        if (p->section_line[sec])
            return FAIL(p, ln->number, "duplicate section '%s' (first on line %d)", w,
                        p->section_line[sec]);
        GAN_TRY(check_closed(p));
        p->section_line[sec] = ln->number;
        if (!p->first_section_line) p->first_section_line = ln->number;
        if (sec != SEC_TRAIN) p->s->net[sec].line = ln->number;
        p->section = sec;
        return GAN_OK;
    }
    int header = find_word(header_words, 3, w);
    if (header >= 0) return parse_header(p, ln, header);
    if (p->section == SEC_TRAIN) return parse_train(p, ln);
    gan_status st;
    if (p->section != SEC_NONE && parse_block_word(p, ln, &st)) return st;
    if (p->section != SEC_NONE) return parse_layer(p, ln);

    int n;
    const spec_train_key *keys = spec_train_keys(&n);
    for (int i = 0; i < n; i++)
        if (strcmp(keys[i].key.name, w) == 0)
            return FAIL(p, ln->number, "'%s' outside a section: training options go under "
                        "'train'", w);
    if (spec_layer_kind_find(w))
        return FAIL(p, ln->number, "'%s' outside a section: layers go under 'generator' or "
                    "'discriminator'", w);
    return FAIL(p, ln->number, "unknown word '%s' (expected image, latent, classes or a "
                "section: generator, discriminator, train)", w);
}

static gan_status parse_all(parser *p) {
    gan_spec *s = p->s;
    spec_lexer lx;
    spec_lex_init(&lx, s->origin, s->text, s->len);
    spec_line *ln = malloc(sizeof *ln);
    if (!ln) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate a line buffer");
    bool got, any = false;
    gan_status st;
    while ((st = spec_lex_next(&lx, ln, &got)) == GAN_OK && got) {
        any = true;
        if ((st = parse_line(p, ln)) != GAN_OK) break;
    }
    free(ln);
    GAN_TRY(st);
    GAN_TRY(check_closed(p));
    if (!any)
        return FAIL(p, 0, "empty model spec (nothing but blank lines and comments)");
    if (!p->image_line)
        return FAIL(p, 0, "missing 'image C H W' (the image shape, e.g. 'image 1 28 28')");
    if (!p->latent_line)
        return FAIL(p, 0, "missing 'latent N' (the generator's input size, e.g. 'latent 100')");
    for (int i = 0; i < 2; i++) {
        if (!s->net[i].line) return FAIL(p, 0, "missing section '%s'", section_names[i]);
        if (!s->net[i].n_layers)
            return FAIL(p, s->net[i].line, "section '%s' has no layers", section_names[i]);
    }
    return spec_check_shapes(s);
}

static char *dup_bytes(const char *src, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, src, n);
        d[n] = 0;
    }
    return d;
}

gan_status gan_spec_parse(const char *text, size_t len, const char *origin, const char *name,
                          gan_spec **out) {
    *out = NULL;
    if (!origin) origin = "<spec>";
    if (len > GAN_SPEC_MAX_BYTES)
        return spec_error(GAN_ERR_FORMAT, origin, 0, "%zu bytes: a model spec is at most %d",
                          len, GAN_SPEC_MAX_BYTES);
    gan_spec *s = calloc(1, sizeof *s);
    if (s) s->text = dup_bytes(text, len), s->origin = dup_bytes(origin, strlen(origin));
    if (!s || !s->text || !s->origin) {
        gan_spec_free(s);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate a model spec");
    }
    s->len = len;
    snprintf(s->name, sizeof s->name, "%s", name && *name ? name : "model");
    parser p = {.s = s, .section = SEC_NONE};
    gan_status st = parse_all(&p);
    if (st != GAN_OK) {
        gan_spec_free(s);
        return st;
    }
    *out = s;
    return GAN_OK;
}
