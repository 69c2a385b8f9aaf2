/*
 * fuzz_npy.c - the .npy reader (src/io/npy.c).
 */
#include "harness_util.h"
#include "io/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write("x.npy", data, size);
    gan_npy npy;
    if (!path || gan_npy_read(path, &npy) != GAN_OK) return 0;
    volatile uint8_t sink = 0;
    if (npy.nbytes) sink ^= ((const uint8_t *)npy.data)[npy.nbytes - 1];
    gan_npy_free(&npy);
    return 0;
}
