/*
 * fuzz_idx_gz.c - gzip-compressed IDX files (src/data/idx.c): the input as a
 * .gz file as it is (corrupt streams, truncation, trailing garbage), then
 * the input gzip-compressed by zlib (valid streams of hostile IDX content).
 */
#include "data/idx.h"
#include "harness_util.h"

#include <stdlib.h>
#include <zlib.h>

static void read_idx(const char *path) {
    gan_idx idx;
    if (path && gan_idx_read(path, &idx) == GAN_OK) gan_idx_free(&idx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    read_idx(fuzz_write("raw-images-idx3-ubyte.gz", data, size));

    z_stream z = {0};
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
    size_t cap = deflateBound(&z, size) + 64;
    uint8_t *gz = malloc(cap);
    if (gz) {
        z.next_in = (Bytef *)data;
        z.avail_in = (uInt)size;
        z.next_out = gz;
        z.avail_out = (uInt)cap;
        if (deflate(&z, Z_FINISH) == Z_STREAM_END)
            read_idx(fuzz_write("z-images-idx3-ubyte.gz", gz, cap - z.avail_out));
        free(gz);
    }
    deflateEnd(&z);
    return 0;
}
