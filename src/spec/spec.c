/*
 * spec.c - where specs come from (a preset, a file, a name that is either),
 * copies, accessors, and the "<origin>:<line>: " form of every spec error.
 */
#include "presets.h"
#include "io/open_file.h"
#include "spec/syntax.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

gan_status spec_error(gan_status status, const char *origin, int line, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0) return gan_fail(status, "%s:%d: %s", origin, line, msg);
    return gan_fail(status, "%s: %s", origin, msg);
}

gan_status gan_spec_load_preset(const char *name, gan_spec **out) {
    *out = NULL;
    const gan_preset *p = gan_preset_find(name);
    if (!p) return GAN_ERR_INVALID_ARGUMENT;
    char origin[96];
    snprintf(origin, sizeof origin, "models/%s.gan", p->name);
    return gan_spec_parse(p->spec, strlen(p->spec), origin, p->name, out);
}

/* The model name of a file: its base name without ".gan", with characters
 * other than letters, digits, '_', '-' and '.' as '_', at most 63 bytes. */
static void name_from_path(const char *path, char *name, size_t cap) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".gan") == 0) n -= 4;
    if (n >= cap) n = cap - 1;
    for (size_t i = 0; i < n; i++) {
        char c = base[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        name[i] = ok ? c : '_';
    }
    name[n] = 0;
    if (n == 0) snprintf(name, cap, "model");
}

gan_status gan_spec_load_file(const char *path, gan_spec **out) {
    *out = NULL;
    FILE *f;
    int open_errno;
    GAN_TRY(gan_fopen_read(path, &f, &open_errno)); /* never blocks on a FIFO */
    char *buf = malloc(GAN_SPEC_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate %d bytes", GAN_SPEC_MAX_BYTES);
    }
    size_t n = fread(buf, 1, GAN_SPEC_MAX_BYTES + 1, f);
    int err = ferror(f) ? errno : 0;
    fclose(f);
    gan_status s;
    if (err) s = gan_fail(GAN_ERR_IO, "%s: cannot read: %s", path, strerror(err));
    else if (n > GAN_SPEC_MAX_BYTES)
        s = gan_fail(GAN_ERR_FORMAT, "%s: larger than %d bytes: not a model spec", path,
                     GAN_SPEC_MAX_BYTES);
    else {
        char name[64];
        name_from_path(path, name, sizeof name);
        s = gan_spec_parse(buf, n, path, name, out);
    }
    free(buf);
    return s;
}

gan_status gan_spec_load(const char *model, gan_spec **out) {
    *out = NULL;
    if (!model || !*model) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "no model given");
    if (strchr(model, '/') || strchr(model, '.')) return gan_spec_load_file(model, out);
    return gan_spec_load_preset(model, out);
}

gan_status gan_spec_copy(const gan_spec *spec, gan_spec **out) {
    *out = NULL;
    gan_spec *c = malloc(sizeof *c);
    if (c) {
        *c = *spec;
        c->text = malloc(spec->len + 1);
        c->origin = malloc(strlen(spec->origin) + 1);
    }
    if (!c || !c->text || !c->origin) {
        if (c) free(c->text), free(c->origin);
        free(c);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot copy a model spec");
    }
    memcpy(c->text, spec->text, spec->len + 1);
    memcpy(c->origin, spec->origin, strlen(spec->origin) + 1);
    *out = c;
    return GAN_OK;
}

void gan_spec_free(gan_spec *spec) {
    if (!spec) return;
    free(spec->text);
    free(spec->origin);
    free(spec);
}

const char *gan_spec_name(const gan_spec *spec) {
    return spec->name;
}

const char *gan_spec_text(const gan_spec *spec) {
    return spec->text;
}
