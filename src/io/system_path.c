/*
 * system_path.c - see system_path.h.
 */
#define _XOPEN_SOURCE 700
#include "io/system_path.h"

#include <stdlib.h>
#include <string.h>

bool gan_is_system_path(const char *path) {
    static const char *const roots[] = {"/usr", "/opt", "/etc", "/srv", "/var/lib", "/lib",
                                        "/nix/store", "/gnu/store"};
    char *real = realpath(path, NULL);
    if (!real) return false;
    bool system = false;
    for (size_t i = 0; i < sizeof roots / sizeof roots[0] && !system; i++) {
        size_t n = strlen(roots[i]);
        system = strncmp(real, roots[i], n) == 0 && (real[n] == '/' || real[n] == 0);
    }
    free(real);
    return system;
}
