/*
 * test_spec_cli.c - models as text, end to end, with a small model of
 * 8x8 images written to a file:
 *   - library: a trainer built from the file saves its spec in checkpoints
 *     and weights files; with the file deleted, the generator loads from
 *     either alone and makes the same images, and the run resumes;
 *   - CLI: `gan train --model FILE` (the file's train section as defaults,
 *     flags win), `gan sample` / `gan export` without the file, `gan
 *     inspect` showing the spec (`--spec`: byte for byte), one error line
 *     "FILE:LINE: ..." for a bad file, and `--resume --model` accepting the
 *     same spec and refusing another;
 *   - a preset written for the data's shape (resnet at 48 px) trains with
 *     that spec's train section, under the flags.
 */
#include "gan.h"
#include "test_util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char tiny[] =
    "# tiny.gan - a small model for tests \xe2\x9c\x93\n"
    "image 1 8 8\n"
    "latent 16\n"
    "\n"
    "generator\n"
    "  dense 32\n"
    "  leaky_relu 0.2\n"
    "  batchnorm\n"
    "  dense 64\n"
    "  tanh\n"
    "  reshape 1 8 8\n"
    "discriminator\n"
    "  conv2d 4 kernel=3 stride=2 padding=1   # -> 4x4x4\n"
    "  leaky_relu 0.2\n"
    "  flatten\n"
    "  dense 1\n"
    "train\n"
    "  batch_size 16\n"
    "  lr 1e-3\n"
    "  seed 5\n";

static const char *cli;
static char out[65536];

/* Run a printf-formatted command; its output in `out`. */
#define run(...) test_runf(out, sizeof out, __VA_ARGS__)

static const char *write_images(int n) {
    size_t len = 16 + (size_t)n * 64;
    unsigned char *b = malloc(len);
    unsigned char hdr[16] = {0, 0, 8, 3, 0, 0, 0, (unsigned char)n, 0, 0, 0, 8, 0, 0, 0, 8};
    memcpy(b, hdr, 16);
    for (size_t i = 16; i < len; i++) b[i] = (unsigned char)((i * 2654435761u) >> 24);
    const char *path = test_tmp_path_kept("tiny-images-idx3-ubyte");
    CHECK(test_write_file(path, b, len) == 0);
    free(b);
    return path;
}

static void test_library(const char *images) {
    const char *model = test_tmp_path_kept("tiny.gan");
    const char *ck = test_tmp_path_kept("tiny.safetensors");
    const char *weights = test_tmp_path_kept("tiny-weights.safetensors");
    CHECK(test_write_file(model, tiny, sizeof tiny - 1) == 0);
    gan_dataset *data = NULL;
    gan_spec *spec = NULL;
    gan_trainer *t = NULL;
    CHECK_OK(gan_dataset_load(images, GAN_SPLIT_TRAIN, &data));
    CHECK_OK(gan_spec_load(model, &spec));
    if (!data || !spec) return;
    gan_train_options opt;
    gan_train_options_default(&opt);
    opt.threads = 1;
    gan_spec_train_options(spec, &opt);
    CHECK(opt.batch_size == 16 && opt.lr == 1e-3f && opt.seed == 5);
    CHECK_OK(gan_trainer_create_spec(spec, &opt, data, &t));
    gan_spec_free(spec);
    if (!t) return;
    for (int i = 0; i < 3; i++) CHECK_OK(gan_trainer_step(t, NULL));
    CHECK_OK(gan_trainer_save_checkpoint(t, ck));
    CHECK_OK(gan_trainer_save_weights(t, weights));
    float z[4 * 16], ref[4 * 64], img[4 * 64];
    for (int i = 0; i < 4 * 16; i++) z[i] = (float)((i * 37) % 11 - 5) / 5.0f;
    CHECK_OK(gan_trainer_generate(t, z, 4, ref));
    gan_trainer_free(t);

    CHECK(unlink(model) == 0); /* from here on the checkpoint is all there is */
    const char *files[2] = {ck, weights};
    for (int k = 0; k < 2; k++) {
        gan_generator *g = NULL;
        CHECK_OK(gan_generator_load(files[k], &g));
        if (!g) continue;
        CHECK(strcmp(gan_generator_model_name(g), "tiny") == 0);
        CHECK(strcmp(gan_spec_text(gan_generator_spec(g)), tiny) == 0);
        int c, h, w;
        gan_generator_image_shape(g, &c, &h, &w);
        CHECK(gan_generator_latent_dim(g) == 16 && c == 1 && h == 8 && w == 8);
        CHECK_OK(gan_generator_generate(g, z, 4, img));
        CHECK_MSG(memcmp(img, ref, sizeof img) == 0, "%s: other images", files[k]);
        gan_generator_free(g);
    }
    CHECK_OK(gan_trainer_resume(ck, data, 1, &t));
    if (t) {
        CHECK(gan_trainer_step_count(t) == 3);
        CHECK(strcmp(gan_spec_text(gan_trainer_spec(t)), tiny) == 0);
        CHECK_OK(gan_trainer_step(t, NULL));
    }
    gan_trainer_free(t);
    gan_dataset_free(data);
}

static void test_cli(const char *images) {
    const char *dir = test_tmpdir();
    const char *model = test_tmp_path_kept("cli-tiny.gan");
    const char *common = "--quiet --threads 1 --checkpoint-every 0";
    CHECK(test_write_file(model, tiny, sizeof tiny - 1) == 0);

    CHECK_MSG(run("%s train --data %s --model %s --steps 3 --out %s/run1 %s", cli, images, model,
                  dir, common) == 0, "%s", out);
    CHECK(unlink(model) == 0);
    CHECK_MSG(run("%s sample %s/run1 --n 4 --out %s/run1/x.png", cli, dir, dir) == 0, "%s", out);
    char path[1024];
    snprintf(path, sizeof path, "%s/run1/x.png", dir);
    CHECK(access(path, F_OK) == 0);
    CHECK_MSG(run("%s export %s/run1 --c %s/gen.c", cli, dir, dir) == 0, "%s", out);
    CHECK_MSG(run("%s inspect %s/run1", cli, dir) == 0, "%s", out);
    CHECK_MSG(strstr(out, "model: cli-tiny, latent 16 -> image 1x8x8") &&
                  strstr(out, "batch_size 16, lr 0.001,") && strstr(out, "seed 5,") &&
                  strstr(out, "model spec (gan inspect --spec prints it alone):\n# tiny.gan"),
              "%s", out);
    CHECK(run("%s inspect %s/run1 --spec", cli, dir) == 0);
    CHECK_MSG(strcmp(out, tiny) == 0, "inspect --spec printed:\n%s", out);

    /* flags win over the train section */
    CHECK(test_write_file(model, tiny, sizeof tiny - 1) == 0);
    CHECK_MSG(run("%s train --data %s --model %s --steps 2 --batch-size 8 --seed 9 --out "
                  "%s/run2 %s", cli, images, model, dir, common) == 0, "%s", out);
    CHECK(run("%s inspect %s/run2", cli, dir) == 0);
    CHECK_MSG(strstr(out, "batch_size 8, lr 0.001,") && strstr(out, "seed 9,"), "%s", out);

    /* resume: the same spec is no contradiction, another one is */
    CHECK_MSG(run("%s train --resume %s/run1 --model %s --steps 4 %s", cli, dir, model, common) ==
                  0, "%s", out);
    const char *other = test_tmp_path_kept("other.gan");
    const char *changed = "image 1 8 8\nlatent 16\ngenerator\n  dense 64\n  reshape 1 8 8\n"
                          "discriminator\n  flatten\n  dense 1\n";
    CHECK(test_write_file(other, changed, strlen(changed)) == 0);
    CHECK(run("%s train --resume %s/run1 --model %s --steps 6", cli, dir, other) == 2);
    CHECK_MSG(strstr(out, "contradicts the checkpoint") && strstr(out, "model cli-tiny"), "%s",
              out);

    /* a bad file: one line, FILE:LINE */
    const char *bad = test_tmp_path_kept("bad.gan");
    const char *text = "image 1 8 8\nlatent 16\ngenerator\n  dense 64\n  reshape 1 8 8\n"
                       "discriminator\n  conv2d 4 kernel=3 strid=2\n  flatten\n  dense 1\n";
    CHECK(test_write_file(bad, text, strlen(text)) == 0);
    CHECK(run("%s train --data %s --model %s --out %s/run3", cli, images, bad, dir) == 1);
    char expect[1200];
    snprintf(expect, sizeof expect, "gan: error: %s:7: conv2d: unknown key 'strid' (keys: out, "
             "kernel, stride, padding, spectral_norm)\n", bad);
    CHECK_MSG(strcmp(out, expect) == 0, "got %s", out);
    CHECK(run("%s train --data %s --model %s/missing.gan --out %s/run3", cli, images, dir, dir) ==
          1);
    CHECK_MSG(strstr(out, "missing.gan: cannot open: No such file or directory"), "%s", out);
    snprintf(path, sizeof path, "%s/run3", dir);
    CHECK(access(path, F_OK) != 0); /* nothing written */
}

/* A preset written for the data's shape trains with that spec's own train
 * section, not its file's: the resnet above 32 px (lr 1e-4, translation and
 * cutout; spec/auto.c), on four 48x48 RGB images in a .npy file. */
static void test_preset_for_shape(void) {
    const char *dir = test_tmpdir();
    const char *npy = test_tmp_path_kept("rgb48.npy");
    const int64_t shape[4] = {4, 48, 48, 3};
    size_t len = 4 * 48 * 48 * 3;
    unsigned char *b = malloc(len);
    for (size_t i = 0; i < len; i++) b[i] = (unsigned char)((i * 2654435761u) >> 24);
    CHECK_OK(gan_npy_write(npy, GAN_NPY_U8, 4, shape, b));
    free(b);
    CHECK_MSG(run("%s train --data %s --model resnet --steps 1 --batch-size 2 --out %s/rn48 "
                  "--quiet --threads 1 --checkpoint-every 0", cli, npy, dir) == 0, "%s", out);
    CHECK(run("%s inspect %s/rn48", cli, dir) == 0);
    CHECK_MSG(strstr(out, "batch_size 2, lr 0.0001,") &&
                  strstr(out, "mirror off, augment translation,cutout\n") &&
                  strstr(out, "  lr 1e-4\n"),
              "%s", out);
    /* flags still win over it */
    CHECK_MSG(run("%s train --data %s --model resnet --steps 1 --batch-size 2 --lr 3e-4 --augment "
                  "none --out %s/rn48b --quiet --threads 1 --checkpoint-every 0", cli, npy, dir) ==
                  0, "%s", out);
    CHECK(run("%s inspect %s/rn48b", cli, dir) == 0);
    CHECK_MSG(strstr(out, "lr 0.0003,") && !strstr(out, "mirror off, augment "), "%s", out);
}

int main(void) {
    cli = test_gan_cli();
    if (!cli) return 1;
    const char *images = write_images(64);
    test_library(images);
    test_cli(images);
    test_preset_for_shape();
    return test_report();
}
