/*
 * status.c - status names and the per-thread "last error" message.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char gan__message[1024];

const char *gan_status_string(gan_status status) {
    switch (status) {
    case GAN_OK: return "ok";
    case GAN_ERR_INVALID_ARGUMENT: return "invalid argument";
    case GAN_ERR_OUT_OF_MEMORY: return "out of memory";
    case GAN_ERR_IO: return "input/output error";
    case GAN_ERR_FORMAT: return "malformed file";
    case GAN_ERR_SHAPE: return "shape mismatch";
    case GAN_ERR_NUMERIC: return "numerical error";
    case GAN_ERR_UNSUPPORTED: return "unsupported";
    }
    return "unknown status";
}

const char *gan_last_error(void) {
    return gan__message[0] ? gan__message : "no error";
}

gan_status gan_fail(gan_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(gan__message, sizeof gan__message, fmt, ap);
    va_end(ap);
    return status;
}

gan_status gan_fail_prefix(gan_status status, const char *prefix) {
    char old[sizeof gan__message];
    memcpy(old, gan__message, sizeof old);
    snprintf(gan__message, sizeof gan__message, "%s: %s", prefix, old);
    return status;
}
