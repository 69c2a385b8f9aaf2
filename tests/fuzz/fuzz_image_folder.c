/*
 * fuzz_image_folder.c - folders of PNG files (src/io/image_folder.c): the
 * input is cut into files at each "\x89PNG" signature after the first byte
 * (so seeds of several PNGs stay several files), written as 0000.png,
 * 0001.png, ..., and the folder read back.
 */
#include "harness_util.h"
#include "io/image_folder.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_empty_dir("folder");
    size_t start = 0;
    int files = 0;
    for (size_t i = 1; i <= size && files < MAX_FILES; i++) {
        bool cut = i == size || (i + 4 <= size && memcmp(data + i, "\x89PNG", 4) == 0);
        if (!cut) continue;
        char name[64];
        snprintf(name, sizeof name, "folder/%04d.png", files++);
        fuzz_write(name, data + start, i - start);
        start = i;
    }
    uint8_t *images = NULL;
    int n, c, h, w;
    if (gan_image_folder_read(fuzz_path("folder"), &images, &n, &c, &h, &w) == GAN_OK) {
        volatile uint8_t sink = images[(size_t)n * c * h * w - 1];
        (void)sink;
        free(images);
    }
    return 0;
}
