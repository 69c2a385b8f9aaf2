/*
 * sniff.c - common file formats by their magic bytes (see sniff.h).
 */
#include "io/sniff.h"

#include <stdbool.h>
#include <string.h>

const char *gan_sniff_format(const uint8_t *h, size_t n) {
    static const struct {
        const char *magic;
        size_t len;
        const char *what;
    } known[] = {
        {"\x93NUMPY", 6, "a .npy array"},
        {"\x89PNG\r\n\x1a\n", 8, "a PNG image"},
        {"\xff\xd8\xff", 3, "a JPEG image"},
        {"GIF87a", 6, "a GIF image"},
        {"GIF89a", 6, "a GIF image"},
        {"BM", 2, "a BMP image"},
        {"\x1f\x8b", 2, "a gzip file"},
        {"PK\x03\x04", 4, "a zip archive (a PyTorch .pt file or an .npz?)"},
        {"GANPACK", 7, "a prepared dataset pack"},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (n >= known[i].len && memcmp(h, known[i].magic, known[i].len) == 0)
            return known[i].what;
    if (n >= 4 && h[0] == 0 && h[1] == 0 && h[2] == 0x08 && h[3] >= 1 && h[3] <= 4)
        return "an IDX file";
    if (n >= 2 && h[0] == 0x80 && h[1] >= 2 && h[1] <= 5)
        return "a Python pickle (a PyTorch file?)";
    bool text = n > 0;
    for (size_t i = 0; i < n; i++)
        if (h[i] < 9 || (h[i] > 13 && h[i] < 32) || h[i] > 126) text = false;
    return text ? "a text file" : NULL;
}
