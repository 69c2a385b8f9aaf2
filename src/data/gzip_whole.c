/*
 * gzip_whole.c - decoding a whole single-member gzip file with libdeflate
 * (see gzip_whole.h). Without libdeflate (GAN_HAVE_LIBDEFLATE undefined) it
 * always declines, and idx.c inflates with zlib.
 */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE, pread */
#include "data/gzip_whole.h"

#ifdef GAN_HAVE_LIBDEFLATE

#include <errno.h>
#include <libdeflate.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define GZIP_MIN_FILE 18u            /* 10-byte header + 8-byte trailer (CRC, ISIZE) */
#define GZIP_MAX_RATIO 1032u         /* deflate's largest expansion: 258 bytes from 2 bits */
#define GZIP_MAX_FILE ((uint64_t)1 << 32) /* compressed files above this: stream with zlib */
#define GZIP_READ_CHUNK ((size_t)1 << 30)

/* Read `n` bytes at `offset`; false on a short read or an error. */
static int gzip_pread_all(int fd, uint8_t *buf, size_t n, uint64_t offset) {
    size_t done = 0;
    while (done < n) {
        size_t want = n - done < GZIP_READ_CHUNK ? n - done : GZIP_READ_CHUNK;
        ssize_t r = pread(fd, buf + done, want, (off_t)(offset + done));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return 0;
        done += (size_t)r;
    }
    return 1;
}

/* Ask for transparent huge pages on the 2 MiB-aligned part of a large malloc'd
 * buffer: a 47 MB buffer written once costs 11,500 page faults with 4 KiB pages,
 * a quarter of the decoding time in a VM. Advice only: failure is ignored. */
static void gzip_advise_huge(void *p, size_t n) {
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)1 << 21;
    uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t b = ((uintptr_t)p + n) & ~(huge - 1);
    if (b > a) (void)madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

static uint32_t gzip_le32_get(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

uint8_t *gan_gzip_decode_whole(int fd, uint64_t file_size, size_t out_size) {
    if (file_size < GZIP_MIN_FILE || file_size > GZIP_MAX_FILE || file_size > SIZE_MAX) return NULL;
    /* the trailer's ISIZE must agree with the size the IDX header announces,
     * and the file must be large enough to expand to it */
    uint8_t trailer[4];
    if (!gzip_pread_all(fd, trailer, 4, file_size - 4)) return NULL;
    if (gzip_le32_get(trailer) != (uint32_t)out_size) return NULL;
    if ((uint64_t)out_size / GZIP_MAX_RATIO > file_size) return NULL;

    /* The compressed copy is mapped, not malloc'd: glibc raises its mmap
     * threshold to the size of a freed mmap'd chunk, and later allocations of
     * up to 26 MB would then come from the heap and stay resident. */
    size_t in_len = (size_t)file_size;
    void *map = mmap(NULL, in_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) return NULL;
    uint8_t *in = map;
    gzip_advise_huge(in, in_len);
    uint8_t *out = NULL;
    struct libdeflate_decompressor *d = NULL;
    if (gzip_pread_all(fd, in, in_len, 0) && (out = malloc(out_size ? out_size : 1)) &&
        (gzip_advise_huge(out, out_size), d = libdeflate_alloc_decompressor())) {
        size_t in_used = 0, out_len = 0;
        enum libdeflate_result r = libdeflate_gzip_decompress_ex(d, in, in_len, out, out_size, &in_used, &out_len);
        /* one member, all of the file, exactly the size announced */
        if (r != LIBDEFLATE_SUCCESS || in_used != in_len || out_len != out_size) {
            free(out);
            out = NULL;
        }
    } else {
        free(out);
        out = NULL;
    }
    if (d) libdeflate_free_decompressor(d);
    munmap(map, in_len);
    return out;
}

int gan_gzip_whole_available(void) {
    return 1;
}

#else /* no libdeflate: always decline */

uint8_t *gan_gzip_decode_whole(int fd, uint64_t file_size, size_t out_size) {
    (void)fd;
    (void)file_size;
    (void)out_size;
    return 0;
}

int gan_gzip_whole_available(void) {
    return 0;
}

#endif
