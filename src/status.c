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
    case GAN_ERR_DEVICE: return "device error";
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
    size_t cap = sizeof gan__message - 1;
    size_t plen = strlen(prefix);
    if (plen + 2 > cap) plen = cap - 2;
    size_t keep = strlen(gan__message);
    if (keep > cap - plen - 2) keep = cap - plen - 2;
    memmove(gan__message + plen + 2, gan__message, keep);
    gan__message[plen + 2 + keep] = 0;
    memcpy(gan__message, prefix, plen);
    gan__message[plen] = ':';
    gan__message[plen + 1] = ' ';
    return status;
}
