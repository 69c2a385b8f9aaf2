/*
 * presets.c - the table of built-in models (see presets.h). The texts come
 * from the generated header gan_builtin_models.h (each models/NAME.gan as bytes).
 */
#include "presets.h"

#include <stdio.h>
#include <string.h>

#include "gan_builtin_models.h"

#define N_PRESETS ((int)(sizeof gan_builtin_presets / sizeof gan_builtin_presets[0]))

int gan_preset_count(void) {
    return N_PRESETS;
}

const gan_preset *gan_preset_at(int i) {
    return i >= 0 && i < N_PRESETS ? &gan_builtin_presets[i] : NULL;
}

const gan_preset *gan_preset_find(const char *name) {
    char list[256] = "";
    for (int i = 0; i < N_PRESETS; i++) {
        if (strcmp(gan_builtin_presets[i].name, name) == 0) return &gan_builtin_presets[i];
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                 gan_builtin_presets[i].name);
    }
    gan_fail(GAN_ERR_INVALID_ARGUMENT, "unknown model '%s' (presets: %s; a model spec file is "
             "named by a path with a '/' or a '.', e.g. ./%s or %s.gan)", name, list, name, name);
    return NULL;
}
