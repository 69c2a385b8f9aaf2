/*
 * augment_names.c - the names of the augmentations (gan_augment, gan.h) and
 * sets of names written as comma-separated lists ("translation,cutout" or
 * "none"), for the option, the spec's `augment` key and checkpoints.
 */
#include "options.h"

#include <stdio.h>
#include <string.h>

const char *const gan_augment_names[] = {"color", "translation", "cutout", NULL};

bool gan_name_set_parse(const char *const *names, const char *text, int *mask, char *why,
                        size_t cap) {
    char list[160]; /* "a, b, c or none" */
    size_t used = 0;
    list[0] = 0;
    for (int i = 0; names[i] && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
    if (used < sizeof list) snprintf(list + used, sizeof list - used, " or none");
    *mask = 0;
    if (!text || !*text) {
        snprintf(why, cap, "an empty list (one or more of: %s)", list);
        return false;
    }
    if (strcmp(text, "none") == 0) return true;
    int got = 0;
    for (const char *p = text;;) {
        size_t len = strcspn(p, ",");
        int bit = -1;
        for (int i = 0; names[i]; i++)
            if (strlen(names[i]) == len && strncmp(p, names[i], len) == 0) bit = i;
        if (bit < 0) {
            snprintf(why, cap, "'%.*s' is not one of: %s", (int)(len < 64 ? len : 64), p, list);
            return false;
        }
        if (got & (1 << bit)) {
            snprintf(why, cap, "'%s' is named twice", names[bit]);
            return false;
        }
        got |= 1 << bit;
        if (!p[len]) break;
        p += len + 1;
    }
    *mask = got;
    return true;
}

gan_status gan_augment_parse(const char *text, int *out) {
    char why[256];
    int mask;
    if (!gan_name_set_parse(gan_augment_names, text, &mask, why, sizeof why))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "augmentation: %s", why);
    *out = mask;
    return GAN_OK;
}

void gan_augment_format(int set, char *buf, size_t cap) {
    size_t used = 0;
    if (cap) buf[0] = 0;
    for (int i = 0; gan_augment_names[i] && used < cap; i++)
        if (set & (1 << i))
            used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? "," : "",
                                     gan_augment_names[i]);
    if (used == 0) snprintf(buf, cap, "none");
}
