/*
 * fuzz_eval_cache.c - the cached reference statistics of `gan eval`
 * (src/eval/reference.c) and the fingerprint comparison that decides
 * whether a cached file is stale (src/eval/eval_cache.c), fed the file's
 * own fingerprint against the input's second half.
 */
#include "eval/eval_cache.h"
#include "eval/reference.h"
#include "harness_util.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write("reference.safetensors", data, size);
    gan_eval_reference r;
    memset(&r, 0, sizeof r);
    char now[GAN_EVAL_FINGERPRINT_MAX];
    size_t n = size / 2 < sizeof now - 1 ? size / 2 : sizeof now - 1;
    memcpy(now, data + size - n, n);
    now[n] = 0;
    char why[512];
    if (path && gan_eval_reference_load(path, &r) == GAN_OK) {
        gan_eval_fingerprint_diff(r.fingerprint, now, why, sizeof why);
        gan_eval_reference_free(&r);
    } else {
        char was[GAN_EVAL_FINGERPRINT_MAX];
        size_t m = size - n < sizeof was - 1 ? size - n : sizeof was - 1;
        memcpy(was, data, m);
        was[m] = 0;
        gan_eval_fingerprint_diff(was, now, why, sizeof why);
    }
    return 0;
}
