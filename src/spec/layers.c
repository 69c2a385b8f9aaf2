/*
 * layers.c - a layer line of a spec: its kind from the registry
 * (layers/registry.c), then its values by position and key=value checked
 * against the kind's keys (their defaults and ranges live in the kind's own
 * file), then the kind's configure. docs/model-spec.md lists the kinds for
 * users (tests/test_spec.c checks that it names every kind here).
 *
 * A spec may train on any backend, so it offers the registry's kinds except
 * those that need CPU-only kernels (GAN_LAYER_CPU_ONLY).
 */
#include "spec/syntax.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool in_spec(const gan_layer_ops *kind) {
    return !(kind->flags & GAN_LAYER_CPU_ONLY);
}

const gan_layer_ops *spec_layer_kind_find(const char *name) {
    const gan_layer_ops *kind = gan_layer_kind_find(name);
    return kind && in_spec(kind) ? kind : NULL;
}

int gan_spec_layer_kind_count(void) {
    int n = 0;
    for (int i = 0; i < gan_layer_kind_count(); i++) n += in_spec(gan_layer_kind_at(i));
    return n;
}

const char *gan_spec_layer_kind_name(int i) {
    for (int k = 0; k < gan_layer_kind_count(); k++) {
        const gan_layer_ops *kind = gan_layer_kind_at(k);
        if (in_spec(kind) && i-- == 0) return kind->name;
    }
    return NULL;
}

void spec_layer_kind_list(char *buf, size_t cap) {
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < gan_spec_layer_kind_count() && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "",
                                 gan_spec_layer_kind_name(i));
}

static void key_list(const spec_key *keys, char *buf, size_t cap) {
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < GAN_LAYER_MAX_KEYS && keys[i].name && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", keys[i].name);
}

#define FAIL(...) (snprintf(why, cap, __VA_ARGS__), false)

bool spec_layer_parse(const gan_layer_ops *kind, char **words, int n_words, int n_classes,
                      gan_layer *l, char *why, size_t cap) {
    const char *name = kind->name;
    char list[320], reason[320];
    int n_keys = 0;
    while (n_keys < GAN_LAYER_MAX_KEYS && kind->keys[n_keys].name) n_keys++;
    key_list(kind->keys, list, sizeof list);

    gan_spec_value v[GAN_LAYER_MAX_KEYS];
    bool given[GAN_LAYER_MAX_KEYS] = {0};
    int next_positional = 0;
    bool named = false;
    for (int i = 1; i < n_words; i++) {
        char *word = words[i], *eq = strchr(word, '=');
        int k;
        const char *text = word;
        if (eq) {
            *eq = 0;
            text = eq + 1;
            if (!*word) return FAIL("%s: '=%s' has no key", name, text);
            k = -1;
            for (int j = 0; j < n_keys; j++)
                if (strcmp(kind->keys[j].name, word) == 0) k = j;
            if (k < 0 && n_keys == 0)
                return FAIL("%s: unknown key '%s' (%s takes no values)", name, word, name);
            if (k < 0) return FAIL("%s: unknown key '%s' (keys: %s)", name, word, list);
            if (!*text) return FAIL("%s: %s= has no value", name, word);
            named = true;
        } else {
            if (n_keys == 0) return FAIL("%s: takes no values (got '%s')", name, word);
            if (kind->n_positional == 0)
                return FAIL("%s: value '%s' needs a key: write key=value (keys: %s)", name, word,
                            list);
            char by_position[64] = "";
            for (int j = 0; j < kind->n_positional; j++)
                snprintf(by_position + strlen(by_position), sizeof by_position -
                         strlen(by_position), "%s%s", j ? " " : "", kind->keys[j].name);
            if (named)
                return FAIL("%s: value '%s' after a key=value: values by position (%s) come "
                            "first", name, word, by_position);
            if (next_positional == n_keys)
                return FAIL("%s: unexpected value '%s': %s takes at most %d values (%s)", name,
                            word, name, n_keys, by_position);
            if (next_positional == kind->n_positional)
                return FAIL("%s: unexpected value '%s': only %s may be given by position, the "
                            "others as key=value (keys: %s)", name, word, by_position, list);
            k = next_positional++;
        }
        if (given[k]) return FAIL("%s: '%s' given twice", name, kind->keys[k].name);
        if (!spec_value_parse(&kind->keys[k], text, &v[k], reason, sizeof reason))
            return FAIL("%s: %s: %s", name, kind->keys[k].name, reason);
        given[k] = true;
    }
    for (int k = 0; k < n_keys; k++) {
        const spec_key *key = &kind->keys[k];
        if (given[k]) continue;
        if (key->def) {
            spec_value_parse(key, key->def, &v[k], reason, sizeof reason); /* defaults are valid */
        } else if (!key->optional) {
            char range[128];
            spec_value_describe(key, range, sizeof range);
            return FAIL("%s: missing '%s' (%s %s)", name, key->name,
                        key->kind == SPEC_CHOICE ? "one of:" : "a value in", range);
        } else {
            memset(&v[k], 0, sizeof v[k]);
        }
    }
    if ((kind->flags & GAN_LAYER_USES_LABELS) && n_classes == 0)
        return FAIL("%s: needs the number of classes: add 'classes N' before the sections", name);
    *l = (gan_layer){.ops = kind};
    if (!kind->configure(l, v, given, n_classes, reason, sizeof reason))
        return FAIL("%s: %s", name, reason);
    return true;
}

gan_status gan_spec_layer(gan_layer *l, const char *line, int n_classes) {
    char buf[GAN_SPEC_MAX_LINE + 1], why[768], *words[SPEC_MAX_WORDS];
    int n = 0;
    if (strlen(line) > GAN_SPEC_MAX_LINE)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "a layer line is at most %d bytes",
                        GAN_SPEC_MAX_LINE);
    snprintf(buf, sizeof buf, "%s", line);
    for (char *c = buf; *c;) {
        while (*c == ' ') *c++ = 0;
        if (!*c) break;
        if (n == SPEC_MAX_WORDS)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "'%s': more than %d words", line,
                            SPEC_MAX_WORDS);
        words[n++] = c;
        while (*c && *c != ' ') c++;
    }
    const gan_layer_ops *kind = n ? gan_layer_kind_find(words[0]) : NULL;
    if (!kind) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "'%s': no such layer kind", line);
    if (!spec_layer_parse(kind, words, n, n_classes, l, why, sizeof why))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s", why);
    return GAN_OK;
}
