/*
 * train_flags.c - `gan train`'s flags from the table of training options
 * (see train_flags.h).
 */
#include "train_flags.h"

#include <stdio.h>
#include <string.h>

static cli_type cli_type_of(gan_option_type type) {
    switch (type) {
    case GAN_OPTION_INT: return CLI_INT;
    case GAN_OPTION_INT64: return CLI_INT64;
    case GAN_OPTION_UINT64: return CLI_UINT64;
    case GAN_OPTION_FLOAT: return CLI_FLOAT;
    case GAN_OPTION_BOOL: return CLI_FLAG;
    default: return CLI_STRING; /* loss, device, augment: by name */
    }
}

int train_flags_add(train_flags *tf, gan_train_options *opt, cli_option *opts, int at) {
    *tf = (train_flags){.opt = opt, .first = at};
    int n = gan_train_option_count();
    for (int i = 0; i < n && i < TRAIN_FLAGS_MAX; i++) {
        const gan_train_option *r = gan_train_option_at(i);
        cli_type type = cli_type_of(r->type);
        void *value = type == CLI_STRING ? (void *)&tf->text[i]
                      : type == CLI_FLAG ? (void *)&tf->set[i]
                                         : (void *)((char *)opt + r->offset);
        opts[at + i] = (cli_option){r->flag, type, value, r->arg, r->help, false};
    }
    tf->count = n < TRAIN_FLAGS_MAX ? n : TRAIN_FLAGS_MAX;
    return tf->count;
}

/* The row whose key is the word at msg[0 .. len), or NULL. */
static const gan_train_option *row_named(const char *word, size_t len) {
    for (int i = 0; i < gan_train_option_count(); i++) {
        const gan_train_option *r = gan_train_option_at(i);
        if (strlen(r->key) == len && strncmp(word, r->key, len) == 0) return r;
    }
    return NULL;
}

static bool word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* The message's option keys as flags: the leading "key:" and, anywhere,
 * keys that cannot be plain words (those with an underscore: "d_steps"). */
void train_flags_report(void) {
    const char *msg = gan_last_error();
    char buf[2048];
    size_t n = 0;
    for (const char *p = msg; *p && n + 40 < sizeof buf;) {
        size_t len = 0;
        while (word_char(p[len])) len++;
        const gan_train_option *r = len && (p == msg || !word_char(p[-1])) ? row_named(p, len)
                                                                           : NULL;
        bool leading = r && p == msg && p[len] == ':';
        if (r && (leading || memchr(p, '_', len))) {
            n += (size_t)snprintf(buf + n, sizeof buf - n, "--%s", r->flag);
            p += len;
        } else if (len) {
            size_t k = len < sizeof buf - n - 1 ? len : sizeof buf - n - 1;
            memcpy(buf + n, p, k), n += k, p += len;
        } else {
            buf[n++] = *p++;
        }
    }
    buf[n] = 0;
    cli_error("%s", buf);
}

bool train_flags_finish(train_flags *tf, const cli_option *opts) {
    for (int i = 0; i < tf->count; i++) {
        const gan_train_option *r = gan_train_option_at(i);
        int *field = (int *)((char *)tf->opt + r->offset);
        if (r->type == GAN_OPTION_BOOL && tf->set[i]) *field = 1;
        if (!tf->text[i]) continue;
        if (r->type == GAN_OPTION_LOSS && gan_loss_parse(tf->text[i], (gan_loss *)field) != GAN_OK) {
            cli_error("--%s: %s", r->flag, gan_last_error());
            return false;
        }
        if (r->type == GAN_OPTION_DEVICE && !cli_parse_device(tf->text[i], field)) return false;
        if (r->type == GAN_OPTION_AUGMENT && gan_augment_parse(tf->text[i], field) != GAN_OK) {
            cli_error("--%s: %s", r->flag, gan_last_error());
            return false;
        }
        if (r->type == GAN_OPTION_CHOICE) {
            *field = gan_train_option_choice(r, tf->text[i]);
            if (*field < 0) {
                char list[256] = "";
                for (int k = 0; r->choices[k]; k++)
                    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
                             r->choices[k]);
                cli_error("--%s: unknown value '%s' (one of: %s)", r->flag, tf->text[i], list);
                return false;
            }
        }
    }
    if (gan_train_options_check(tf->opt) != GAN_OK) {
        train_flags_report();
        return false;
    }
    return true;
}

static bool listed(const char *const *list, const char *key) {
    for (int i = 0; list && list[i]; i++)
        if (strcmp(list[i], key) == 0) return true;
    return false;
}

bool train_flags_agree(const train_flags *tf, const cli_option *opts, const char *const *changeable,
                       const gan_train_options *saved, const char *ckpt) {
    for (int i = 0; i < tf->count; i++) {
        const gan_train_option *r = gan_train_option_at(i);
        if (!opts[tf->first + i].seen || !(r->where & GAN_OPTION_KEPT) ||
            listed(changeable, r->key) || gan_train_option_equal(r, tf->opt, saved))
            continue;
        char given[64], was[64];
        gan_train_option_format(r, tf->opt, given, sizeof given);
        gan_train_option_format(r, saved, was, sizeof was);
        cli_error("--%s %s contradicts the checkpoint %s (%s %s); a resumed run keeps its "
                  "options: drop the flag, start a new run%s", r->flag, given, ckpt, r->flag,
                  was, strncmp(r->key, "lr", 2) == 0 ? ", or pass --allow-change lr" : "");
        return false;
    }
    return true;
}
