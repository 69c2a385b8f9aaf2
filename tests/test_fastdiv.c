/*
 * test_fastdiv.c - gan_fastdiv (src/fastdiv.h), the multiply-and-shift
 * division the CUDA kernels use for element indices, against `/` and `%`: every
 * divisor below 4,100 over small and top-of-range dividends, the divisors the
 * models use (planes, rows, channels), powers of two and their neighbours,
 * and the largest divisors, each over edge and pseudo-random dividends.
 */
#include "fastdiv.h"
#include "test_util.h"

#include <stdint.h>

static uint64_t state = 0x9e3779b97f4a7c15ull;

static unsigned next_random(void) { /* xorshift64* */
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return (unsigned)((state * 0x2545f4914f6cdd1dull) >> 32);
}

static int wrong;

static void check_one(gan_fastdiv f, unsigned n) {
    unsigned want = n / f.d, got = gan_fastdiv_q(f, n);
    if (got != want && wrong++ < 10)
        fprintf(stderr, "%u / %u: fastdiv %u, expected %u\n", n, f.d, got, want);
    unsigned want_mod = n % f.d, got_mod = gan_fastdiv_mod(f, n);
    if (got_mod != want_mod && wrong++ < 10)
        fprintf(stderr, "%u %% %u: fastdiv %u, expected %u\n", n, f.d, got_mod, want_mod);
}

/* n around 0, around multiples of d near the top of the range, and random. */
static void check_divisor(unsigned d, int randoms) {
    gan_fastdiv f = gan_fastdiv_make(d);
    for (unsigned n = 0; n < 3000; n++) check_one(f, n);
    for (unsigned n = 0xffffffffu; n > 0xffffffffu - 3000; n--) check_one(f, n);
    unsigned top = 0xffffffffu / d * d; /* the largest multiple of d */
    for (unsigned k = 0; k < 4 && top >= (unsigned)k * d; k++) {
        unsigned m = top - k * d;
        check_one(f, m);
        if (m) check_one(f, m - 1);
        if (m < 0xffffffffu) check_one(f, m + 1);
    }
    for (int i = 0; i < randoms; i++) check_one(f, next_random());
}

int main(void) {
    for (unsigned d = 1; d < 4100; d++) check_divisor(d, 200);
    /* planes and rows of the models' tensors: 7x7, 14x14, 28x28, 64x64, ... */
    static const unsigned shapes[] = {49, 196, 784, 3136, 4096, 12544, 16384, 65536, 200704,
                                      802816, 3211264, 12845056};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) check_divisor(shapes[i], 100000);
    for (unsigned b = 1; b < 32; b++) {
        unsigned p = 1u << b;
        check_divisor(p - 1, 20000);
        check_divisor(p, 20000);
        check_divisor(p + 1, 20000);
    }
    check_divisor(0xffffffffu, 100000);
    check_divisor(0xfffffffeu, 100000);
    check_divisor(0x80000001u, 100000);
    for (int i = 0; i < 2000; i++) check_divisor(next_random() | 1u, 200);
    CHECK_MSG(wrong == 0, "%d quotients or remainders differ from / and %%", wrong);
    /* 0 is taken as 1, not a division by zero */
    CHECK(gan_fastdiv_q(gan_fastdiv_make(0), 12345u) == 12345u);
    return test_report();
}
