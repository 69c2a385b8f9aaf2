/*
 * test_export_rgb.c - `gan export` of generators of colour images: a dcgan
 * and an mlp trained a few steps on 3x16x16 data (an .npy array [N, 16, 16,
 * 3]) are exported as C, compiled with -std=c99 -Wall -Wextra -pedantic
 * -Werror and run; their noise must equal the library's and their images
 * (CHW floats) those of `gan sample --float` (an .npy [N, H, W, C]) within
 * 1e-4, and the exported header constants say 3 x 16 x 16.
 */
#define _POSIX_C_SOURCE 200809L
#include "io/npy.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 10
#define C 3
#define S 16
#define PER (C * S * S)
#define LATENT 100

static char out[65536];

static const char main_src[] =
    "#include <stdio.h>\n#include <stdint.h>\n"
    "void g1_generate(const float *z, float *image);\n"
    "void g1_noise(uint64_t seed, uint64_t index, float *z);\n"
    "int main(int argc, char **argv) {\n"
    "    float z[100], img[768];\n    int i;\n    FILE *f = fopen(argv[1], \"wb\");\n"
    "    (void)argc;\n"
    "    for (i = 0; i < 10; i++) {\n"
    "        g1_noise(3, (uint64_t)i, z);\n        g1_generate(z, img);\n"
    "        fwrite(z, sizeof z, 1, f);\n        fwrite(img, sizeof img, 1, f);\n    }\n"
    "    return fclose(f) != 0;\n}\n";

static void check_model(const char *cli, const char *dir, const char *data, const char *model) {
    int rc = test_runf(out, sizeof out, "%s train --model %s --data %s --steps 3 --batch-size 16 "
                       "--threads 2 --quiet --out %s/%s", cli, model, data, dir, model);
    CHECK_MSG(rc == 0, "train %s -> %d: %s", model, rc, out);
    rc = test_runf(out, sizeof out, "%s export %s/%s --c %s/%s.c --prefix g1", cli, dir, model,
                   dir, model);
    CHECK_MSG(rc == 0, "export %s -> %d: %s", model, rc, out);
    char path[700];
    snprintf(path, sizeof path, "%s/%s.c", dir, model);
    size_t len = 0;
    char *src = test_read_file(path, &len);
    if (src) {
        char *text = malloc(len + 1);
        memcpy(text, src, len);
        text[len] = 0;
        CHECK_MSG(strstr(text, "G1_CHANNELS 3") && strstr(text, "G1_HEIGHT 16") &&
                      strstr(text, "G1_WIDTH 16"), "%s: shape constants", model);
        free(text);
    }
    free(src);
    rc = test_runf(out, sizeof out, "%s sample %s/%s --n %d --seed 3 --float --out %s/%s.npy",
                   cli, dir, model, N, dir, model);
    CHECK_MSG(rc == 0, "sample %s -> %d: %s", model, rc, out);
    rc = test_runf(out, sizeof out, "cc -std=c99 -Wall -Wextra -pedantic -Werror -O1 -o %s/%s.bin "
                   "%s/%s.c %s/main.c -lm && %s/%s.bin %s/%s.out", dir, model, dir, model, dir,
                   dir, model, dir, model);
    CHECK_MSG(rc == 0, "exported %s failed to build or run: %s", model, out);
    snprintf(path, sizeof path, "%s/%s.out", dir, model);
    float *go = test_read_file(path, &len);
    snprintf(path, sizeof path, "%s/%s.npy", dir, model);
    gan_npy arr = {0};
    CHECK_OK(gan_npy_read(path, &arr));
    bool ok = go && len == (size_t)N * (LATENT + PER) * sizeof(float) && arr.data &&
              arr.dtype == GAN_NPY_F32 && arr.ndims == 4 && arr.shape[0] == N &&
              arr.shape[1] == S && arr.shape[2] == S && arr.shape[3] == C;
    CHECK_MSG(ok, "%s: exported output or gan sample's .npy missing or malformed", model);
    if (ok) {
        float z[N * LATENT];
        gan_latent_noise(3, 0, N, LATENT, z);
        for (int i = 0; i < N; i++)
            CHECK_MSG(memcmp(go + i * (LATENT + PER), z + i * LATENT, sizeof(float) * LATENT) == 0,
                      "%s: exported noise %d differs from the library's", model, i);
        double worst = 0;
        const float *s = arr.data;
        for (int i = 0; i < N; i++)
            for (int c = 0; c < C; c++)
                for (int p = 0; p < S * S; p++) { /* ours CHW, the .npy HWC */
                    float e = go[i * (LATENT + PER) + LATENT + c * S * S + p];
                    worst = fmax(worst, fabs(e - s[(size_t)i * PER + (size_t)p * C + c]));
                }
        CHECK_MSG(worst < 1e-4, "exported %s differs from gan sample by %g", model, worst);
        fprintf(stderr, "export %s 3x16x16: largest pixel difference vs gan sample %.3g\n", model,
                worst);
    }
    gan_npy_free(&arr);
    free(go);
}

int main(void) {
    const char *cli = test_gan_cli();
    if (!cli) return test_report();
    const char *dir = test_tmpdir();
    /* 64 colour images: a random colour gradient each */
    uint8_t *img = malloc((size_t)64 * PER);
    for (int i = 0; i < 64; i++)
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                for (int c = 0; c < C; c++)
                    img[(((size_t)i * S + y) * S + x) * C + c] =
                        (uint8_t)((i * 37 + c * 80 + x * (c + 3) + y * (5 - c)) % 256);
    char data[600], path[600];
    snprintf(data, sizeof data, "%s/rgb.npy", dir);
    int64_t shape[4] = {64, S, S, C};
    CHECK_OK(gan_npy_write(data, GAN_NPY_U8, 4, shape, img));
    free(img);
    snprintf(path, sizeof path, "%s/main.c", dir);
    CHECK(test_write_file(path, main_src, strlen(main_src)) == 0);
    check_model(cli, dir, data, "dcgan");
    check_model(cli, dir, data, "mlp");
    return test_report();
}
