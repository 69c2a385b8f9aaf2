/*
 * test_export_hex.c - gan_c_hex_float (src/export_c.c), the exporter's own
 * "%a" for weights: the same text as glibc's printf("%a", (double)v) for
 * zeros, both signs, every exponent of normal and subnormal floats, the
 * largest and smallest values, infinities and NaN, and 4 million random
 * bit patterns.
 */
#include "layers/layer.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int mismatches;

static void check_one(float v) {
    char want[64], got[64];
    int n = snprintf(want, sizeof want, "%a", (double)v);
    memset(got, 'Z', sizeof got);
    size_t len = gan_c_hex_float(v, got);
    bool same = (int)len == n && strcmp(got, want) == 0;
    if (!same && mismatches++ < 5) CHECK_MSG(same, "%a: \"%s\" (%zu), printf \"%s\"", (double)v, got, len, want);
}

static float from_bits(uint32_t b) {
    float v;
    memcpy(&v, &b, sizeof v);
    return v;
}

int main(void) {
    const float specials[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 2.0f, 3.0f, 0.1f, -0.1f, 1e-45f, 1e-40f,
                              1.17549435e-38f, 3.40282347e38f, -3.40282347e38f, INFINITY, -INFINITY, NAN};
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) check_one(specials[i]);
    for (uint32_t e = 0; e < 255; e++) /* every exponent, a few mantissas, both signs */
        for (uint32_t m = 0; m < 8; m++) {
            uint32_t mant = m == 0 ? 0 : m == 1 ? 1 : m == 2 ? 0x7fffff : m == 3 ? 0x400000 : m * 0x13579b;
            check_one(from_bits(e << 23 | (mant & 0x7fffff)));
            check_one(from_bits(1u << 31 | e << 23 | (mant & 0x7fffff)));
        }
    uint32_t x = 0x12345678u;
    for (int i = 0; i < 4000000; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        float v = from_bits(x);
        if (isfinite(v)) check_one(v);
    }
    CHECK_MSG(mismatches == 0, "%d values differ from printf's %%a", mismatches);
    return test_report();
}
