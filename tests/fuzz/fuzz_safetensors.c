/*
 * fuzz_safetensors.c - the safetensors reader (src/io/safetensors.c): open,
 * walk every tensor and metadata entry, fetch each tensor as F32.
 */
#include "harness_util.h"
#include "io/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write("x.safetensors", data, size);
    gan_st_file *f = NULL;
    if (!path || gan_st_open(path, &f) != GAN_OK) return 0;
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < gan_st_count(f); i++) {
        const gan_st_tensor *t = gan_st_tensor_at(f, i);
        if (t->nbytes) sink ^= ((const uint8_t *)t->data)[t->nbytes - 1];
        const float *p;
        if (gan_st_get_f32(f, t->name, t->ndims, t->shape, &p) == GAN_OK && t->nbytes >= 4)
            sink ^= (uint8_t)(p[0] != p[0]);
        if (gan_st_find(f, t->name) == NULL) __builtin_trap(); /* every listed name is found */
    }
    for (size_t i = 0; i < gan_st_metadata_count(f); i++) {
        const char *k, *v;
        if (gan_st_metadata_at(f, i, &k, &v) == GAN_OK) sink ^= (uint8_t)(k[0] ^ v[0]);
    }
    gan_st_close(f);
    return 0;
}
