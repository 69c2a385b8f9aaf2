/*
 * lazy_lib.c - dlopen on first use (see lazy_lib.h).
 */
#include "lazy_lib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static gan_status lazy_try(gan_lazy_lib *lib) {
    char first_err[256] = "";
    for (const char *const *n = lib->names; *n && !lib->handle; n++) {
        lib->handle = dlopen(*n, RTLD_NOW | RTLD_LOCAL);
        if (!lib->handle && !first_err[0]) snprintf(first_err, sizeof first_err, "%s", dlerror());
        if (!lib->handle && lib->dir && lib->dir[0]) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", lib->dir, *n);
            lib->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        }
    }
    if (!lib->handle) {
        snprintf(lib->msg, sizeof lib->msg, "cannot load %s (%s): %s", lib->what, lib->names[0],
                 first_err[0] ? first_err : "no candidate file name");
        return GAN_ERR_UNSUPPORTED;
    }
    for (size_t i = 0; i < lib->n_syms; i++) {
        *lib->syms[i].slot = dlsym(lib->handle, lib->syms[i].name);
        if (!*lib->syms[i].slot) {
            snprintf(lib->msg, sizeof lib->msg, "%s (%s) lacks %s: a version older than this build's", lib->what,
                     lib->names[0], lib->syms[i].name);
            dlclose(lib->handle);
            lib->handle = NULL;
            return GAN_ERR_UNSUPPORTED;
        }
    }
    return GAN_OK;
}

gan_status gan_lazy_load(gan_lazy_lib *lib) {
    pthread_mutex_lock(&lib->lock);
    if (lib->state == 0) {
        lib->status = lazy_try(lib);
        lib->state = lib->status == GAN_OK ? 1 : -1;
    }
    gan_status s = lib->status;
    pthread_mutex_unlock(&lib->lock);
    if (s != GAN_OK) return gan_fail(s, "%s", lib->msg);
    return GAN_OK;
}
