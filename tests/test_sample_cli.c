/*
 * test_sample_cli.c - the commands around checkpoints, run as a user would:
 *   gan train --checkpoint-every / --resume (bit-exact, also after SIGINT),
 *     and its refusals (contradicting options, nothing left to do);
 *   gan sample: deterministic, every format read back and compared with the
 *     library's own generation;
 *   gan export: the C file compiles with -std=c99 -Wall -Wextra -pedantic
 *     -Werror and gives the same noise and images as the library;
 *   gan interpolate and gan inspect.
 */
#define _POSIX_C_SOURCE 200809L
#include "data/idx.h"
#include "gan.h"
#include "io/image_folder.h"
#include "io/npy.h"
#include "io/png.h"
#include "test_util.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *cli;
static char out[65536];

/* Run a printf-formatted command; its output in `out`. */
#define run(...) test_runf(out, sizeof out, __VA_ARGS__)

static uint8_t to_byte(float x) {
    float v = roundf((x + 1.0f) * 127.5f);
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

int main(void) {
    cli = test_gan_cli();
    if (!cli) return 1;
    /* 256 synthetic images: 8 steps per epoch at batch 32 */
    int n_img = 256;
    const char *data = test_synthetic_images("s", n_img, 0);
    const char *dir = test_tmpdir();
    const char *common = "--batch-size 32 --quiet --threads 2";

    /* ---- train, resume, refusals */
    CHECK(run("%s train --data %s %s --steps 20 --out %s/whole", cli, data, common, dir) == 0);
    CHECK(run("%s train --data %s %s --steps 9 --checkpoint-every 4 --out %s/part", cli, data,
              common, dir) == 0);
    CHECK(run("%s train --data %s %s --steps 9 --out %s/part", cli, data, common, dir) == 2);
    CHECK(strstr(out, "already holds a run") && strstr(out, "--resume"));
    CHECK(run("%s train --resume %s/part --lr 0.001 --steps 20", cli, dir) == 2);
    CHECK_MSG(strstr(out, "--lr 0.001 contradicts the checkpoint"), "%s", out);
    CHECK(run("%s train --resume %s/part --model nope --steps 20", cli, dir) == 2);
    CHECK(strstr(out, "contradicts"));
    CHECK(run("%s train --resume %s/part", cli, dir) == 2); /* planned 9 steps, all done */
    CHECK_MSG(strstr(out, "the run is complete (step 9, in epoch 2, step 1 of 8)"), "%s", out);
    CHECK(run("%s train --resume %s/nothing-here --steps 20", cli, dir) != 0);
    CHECK(run("%s train --resume %s/part --steps 20 --threads 1 --quiet", cli, dir) == 0);
    char a[1400], c[1400];
    snprintf(a, sizeof a, "%s/whole/checkpoint.safetensors", dir);
    snprintf(c, sizeof c, "%s/part/checkpoint.safetensors", dir);
    CHECK_MSG(test_same_file(a, c), "resumed run's checkpoint differs from the uninterrupted one");
    snprintf(c, sizeof c, "%s/part/log.jsonl", dir);
    size_t loglen = 0;
    char *log = test_read_file(c, &loglen);
    CHECK(log && strstr(log, "\"step\": 9,") && strstr(log, "\"step\": 20,"));
    free(log);

    /* ---- SIGINT: finish the step, checkpoint, exit 130; the resumed run
     * matches an uninterrupted run of the same length */
    char run_dir[1200], cmd[2048];
    snprintf(run_dir, sizeof run_dir, "%s/intr", dir);
    snprintf(cmd, sizeof cmd, "exec %s train --data %s %s --epochs 100000 --out %s 2>%s/intr.err",
             cli, data, common, run_dir, dir);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    /* interrupt once training runs: when the first log line is out (a
     * generous deadline, so that a busy machine only makes it wait) */
    snprintf(c, sizeof c, "%s/log.jsonl", run_dir);
    CHECK_MSG(test_wait_for_file_text(c, "\"step\": ", 300.0), "no log line in %s", c);
    kill(pid, SIGINT);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d", status);
    snprintf(c, sizeof c, "%s/intr.err", dir);
    char *err = test_read_file(c, &loglen);
    CHECK_MSG(err && strstr(err, "resume with: gan train --resume"), "%s", err ? err : "");
    free(err);
    snprintf(c, sizeof c, "%s/checkpoint.safetensors", run_dir);
    gan_dataset *ds = NULL;
    gan_trainer *t = NULL;
    CHECK_OK(gan_dataset_load(data, GAN_SPLIT_TRAIN, &ds));
    CHECK_OK(gan_trainer_resume(c, ds, 1, &t));
    long long stopped = t ? (long long)gan_trainer_step_count(t) : -1;
    CHECK_MSG(stopped > 0, "stopped at step %lld", stopped);
    gan_trainer_free(t);
    gan_dataset_free(ds);
    CHECK(run("%s train --resume %s --steps %lld --quiet", cli, run_dir, stopped + 7) == 0);
    CHECK(run("%s train --data %s %s --epochs 100000 --steps %lld --out %s/intr_whole", cli, data,
              common, stopped + 7, dir) == 0);
    snprintf(a, sizeof a, "%s/intr_whole/checkpoint.safetensors", dir);
    CHECK_MSG(test_same_file(a, c), "run resumed after SIGINT at step %lld differs", stopped);

    /* ---- sample: deterministic, each format equals the library's output */
    char ck[1400];
    snprintf(ck, sizeof ck, "%s", a); /* intr_whole's checkpoint */
    gan_generator *g = NULL;
    CHECK_OK(gan_generator_load(ck, &g));
    if (!g) return test_report();
    enum { N = 10 };
    float z[N * 100], img[N * 784];
    uint8_t want[N * 784];
    gan_generator_noise(g, 3, 0, N, z);
    CHECK_OK(gan_generator_generate(g, z, N, img));
    for (int i = 0; i < N * 784; i++) want[i] = to_byte(img[i]);

    CHECK(run("%s sample %s --n %d --seed 3 --out %s/s1.npy --save-noise %s/z.npy", cli, ck, N,
              dir, dir) == 0);
    CHECK(run("%s sample %s/intr_whole --n %d --seed 3 --out %s/s2.npy", cli, dir, N, dir) == 0);
    snprintf(a, sizeof a, "%s/s1.npy", dir);
    snprintf(c, sizeof c, "%s/s2.npy", dir);
    CHECK(test_same_file(a, c));
    gan_npy arr = {0};
    CHECK_OK(gan_npy_read(a, &arr));
    CHECK(arr.dtype == GAN_NPY_U8 && arr.ndims == 3 && arr.shape[0] == N && arr.shape[1] == 28 &&
          arr.shape[2] == 28 && arr.data && memcmp(arr.data, want, sizeof want) == 0);
    gan_npy_free(&arr);
    snprintf(a, sizeof a, "%s/z.npy", dir);
    CHECK_OK(gan_npy_read(a, &arr));
    CHECK(arr.dtype == GAN_NPY_F32 && arr.ndims == 2 && arr.shape[0] == N &&
          arr.shape[1] == 100 && arr.data && memcmp(arr.data, z, sizeof z) == 0);
    gan_npy_free(&arr);
    CHECK(run("%s sample %s --n %d --seed 4 --out %s/s3.npy", cli, ck, N, dir) == 0);
    snprintf(c, sizeof c, "%s/s3.npy", dir);
    CHECK(!test_same_file(a, c));

    const char *idx_names[2] = {"s.idx", "s.idx.gz"};
    for (int k = 0; k < 2; k++) {
        CHECK(run("%s sample %s --n %d --seed 3 --out %s/%s", cli, ck, N, dir, idx_names[k]) == 0);
        snprintf(a, sizeof a, "%s/%s", dir, idx_names[k]);
        gan_idx idx = {0};
        CHECK_OK(gan_idx_read(a, &idx));
        CHECK(idx.ndims == 3 && idx.dims[0] == N && idx.gzip == (k == 1) && idx.data &&
              memcmp(idx.data, want, sizeof want) == 0);
        gan_idx_free(&idx);
    }
    CHECK(run("%s sample %s --n %d --seed 3 --out %s/folder", cli, ck, N, dir) == 0);
    snprintf(a, sizeof a, "%s/folder", dir);
    uint8_t *fold = NULL;
    int fn = 0, fc = 0, fh = 0, fw = 0;
    CHECK_OK(gan_image_folder_read(a, &fold, &fn, &fc, &fh, &fw));
    CHECK(fold && fn == N && fc == 1 && fh == 28 && fw == 28 &&
          memcmp(fold, want, sizeof want) == 0);
    free(fold);
    CHECK(run("%s sample %s --n %d --seed 3 --cols 5 --upscale 1 --out %s/grid.png", cli, ck, N, dir) == 0);
    snprintf(a, sizeof a, "%s/grid.png", dir);
    uint8_t *px = NULL;
    int pw = 0, ph = 0, pc = 0;
    CHECK_OK(gan_png_read(a, &px, &pw, &ph, &pc));
    CHECK(pw == 5 * 30 + 2 && ph == 2 * 30 + 2 && pc == 1);
    if (px && pw == 152) /* image 6 sits in row 1, column 1 */
        for (int y = 0; y < 28; y++)
            CHECK(memcmp(px + (size_t)(32 + y) * pw + 32, want + 6 * 784 + y * 28, 28) == 0);
    free(px);
    CHECK(run("%s sample %s --n 4 --out %s/x.bmp", cli, ck, dir) != 0);
    CHECK(strstr(out, "unknown output format"));
    CHECK(run("%s sample %s --n 0 --out %s/x.png", cli, ck, dir) == 2);

    /* ---- export: strict C99, same noise and images */
    CHECK(run("%s export %s --c %s/gen.c --prefix g1", cli, ck, dir) == 0);
    snprintf(a, sizeof a, "%s/main.c", dir);
    const char *main_src =
        "#include <stdio.h>\n#include <stdint.h>\n"
        "void g1_generate(const float *z, float *image);\n"
        "void g1_noise(uint64_t seed, uint64_t index, float *z);\n"
        "int main(int argc, char **argv) {\n"
        "    float z[100], img[784];\n    int i;\n    FILE *f = fopen(argv[1], \"wb\");\n"
        "    (void)argc;\n"
        "    for (i = 0; i < 10; i++) {\n"
        "        g1_noise(3, (uint64_t)i, z);\n        g1_generate(z, img);\n"
        "        fwrite(z, sizeof z, 1, f);\n        fwrite(img, sizeof img, 1, f);\n    }\n"
        "    return fclose(f) != 0;\n}\n";
    CHECK(test_write_file(a, main_src, strlen(main_src)) == 0);
    int rc = run("cc -std=c99 -Wall -Wextra -pedantic -Werror -O2 -o %s/gen %s/gen.c %s/main.c "
                 "-lm && %s/gen %s/gen.out", dir, dir, dir, dir, dir);
    CHECK_MSG(rc == 0, "exported C failed to build or run: %s", out);
    snprintf(a, sizeof a, "%s/gen.out", dir);
    size_t gl = 0;
    float *go = test_read_file(a, &gl);
    CHECK(go && gl == (size_t)N * 884 * sizeof(float));
    if (go && gl == (size_t)N * 884 * sizeof(float)) {
        double worst = 0;
        for (int i = 0; i < N; i++) {
            CHECK(memcmp(go + i * 884, z + i * 100, 100 * sizeof(float)) == 0);
            for (int p = 0; p < 784; p++)
                worst = fmax(worst, fabs(go[i * 884 + 100 + p] - img[i * 784 + p]));
        }
        CHECK_MSG(worst < 1e-4, "exported generator differs by %g", worst);
        fprintf(stderr, "export: largest pixel difference vs the library %.3g\n", worst);
    }
    free(go);
    gan_generator_free(g);

    /* export of a convolutional generator (dcgan: conv_transpose2d, batchnorm2d, relu) */
    CHECK(run("%s train --model dcgan --data %s %s --steps 3 --out %s/dc", cli, data, common,
              dir) == 0);
    CHECK(run("%s export %s/dc --c %s/dc.c --prefix g1", cli, dir, dir) == 0);
    CHECK(run("%s sample %s/dc --n %d --seed 3 --float --out %s/dc.npy", cli, dir, N, dir) == 0);
    rc = run("cc -std=c99 -Wall -Wextra -pedantic -Werror -O1 -o %s/dcgen %s/dc.c %s/main.c -lm "
             "&& %s/dcgen %s/dc.out", dir, dir, dir, dir, dir);
    CHECK_MSG(rc == 0, "exported dcgan failed to build or run: %s", out);
    snprintf(a, sizeof a, "%s/dc.out", dir);
    go = test_read_file(a, &gl);
    snprintf(a, sizeof a, "%s/dc.npy", dir);
    CHECK_OK(gan_npy_read(a, &arr));
    if (go && gl == (size_t)N * 884 * sizeof(float) && arr.data && arr.dtype == GAN_NPY_F32) {
        double worst = 0;
        for (int i = 0; i < N; i++)
            for (int p = 0; p < 784; p++)
                worst = fmax(worst, fabs(go[i * 884 + 100 + p] - ((float *)arr.data)[i * 784 + p]));
        CHECK_MSG(worst < 1e-4, "exported dcgan differs by %g", worst);
        fprintf(stderr, "export dcgan: largest pixel difference vs gan sample %.3g\n", worst);
    } else {
        CHECK_MSG(0, "exported dcgan output missing or malformed");
    }
    gan_npy_free(&arr);
    free(go);

    /* ---- interpolate and inspect */
    CHECK(run("%s interpolate %s --out %s/w.gif --points 3 --steps 2 --grid 2 --frames-dir "
              "%s/frames", cli, ck, dir, dir) == 0);
    snprintf(a, sizeof a, "%s/w.gif", dir);
    size_t gifl = 0;
    char *gif = test_read_file(a, &gifl);
    CHECK(gif && gifl > 100 && memcmp(gif, "GIF89a", 6) == 0 && gif[gifl - 1] == 0x3b);
    free(gif);
    snprintf(a, sizeof a, "%s/frames", dir);
    uint8_t *frames = NULL;
    CHECK_OK(gan_image_folder_read(a, &frames, &fn, &fc, &fh, &fw));
    CHECK(fn == 6 && fw == 2 * 30 + 2);
    if (frames && fn == 6) /* a loop: frame 0 sits at point 0, frames differ */
        CHECK(memcmp(frames, frames + (size_t)fh * fw, (size_t)fh * fw) != 0);
    free(frames);
    CHECK(run("%s inspect %s", cli, ck) == 0);
    char expect[64];
    snprintf(expect, sizeof expect, "step %lld", stopped + 7);
    CHECK_MSG(strstr(out, expect) && strstr(out, "1,489,936") && strstr(out, "batch_size 32") &&
              strstr(out, "Adam steps"), "%s", out);
    snprintf(a, sizeof a, "%s/s1.npy", dir);
    CHECK(run("%s inspect %s", cli, a) == 1);
    CHECK(strstr(out, "s1.npy"));
    return test_report();
}
