/*
 * test_sample_threads.c - `gan sample --threads N`: the images are the same
 * bytes at 1 and 2 threads, and an out-of-range count is a usage error.
 */
#define _POSIX_C_SOURCE 200809L
#include "gan.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

static const char *spec_text = "image 1 28 28\nlatent 8\n"
                               "generator\n  dense 64\n  leaky_relu 0.2\n  batchnorm\n"
                               "  dense 784\n  tanh\n  reshape 1 28 28\n"
                               "discriminator\n  flatten\n  dense 16\n  leaky_relu 0.2\n"
                               "  dense 1\n"
                               "train\n  batch_size 8\n";

int main(void) {
    const char *cli = test_gan_cli();
    if (!cli) return 1;
    gan_dataset *data = test_synthetic_dataset("threads", 16, 0);
    gan_spec *spec;
    gan_trainer *t = test_spec_trainer(spec_text, "t", data, &spec);
    gan_step_stats st;
    for (int i = 0; t && i < 3; i++) CHECK_OK(gan_trainer_step(t, &st));
    const char *ckpt = test_tmp_path_kept("t.safetensors");
    if (t) CHECK_OK(gan_trainer_save_checkpoint(t, ckpt));
    gan_trainer_free(t);
    gan_spec_free(spec);
    gan_dataset_free(data);

    char cmd[2048], out[4096];
    const char *files[2] = {test_tmp_path_kept("one.npy"), test_tmp_path_kept("two.npy")};
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd, "%s sample %s --out %s --float --n 300 --threads %d", cli, ckpt,
                 files[i], i + 1);
        int rc = test_run(cmd, out, sizeof out);
        CHECK_MSG(rc == 0, "rc %d: %s", rc, out);
    }
    size_t n1 = 0, n2 = 0;
    char *a = test_read_file(files[0], &n1), *b = test_read_file(files[1], &n2);
    CHECK(a && b && n1 == n2 && n1 > 300 * 784 * 4 && memcmp(a, b, n1) == 0);
    free(a);
    free(b);

    snprintf(cmd, sizeof cmd, "%s sample %s --out %s --threads -1", cli, ckpt,
             test_tmp_path_kept("bad.png"));
    int rc = test_run(cmd, out, sizeof out);
    CHECK_MSG(rc == 2 && strstr(out, "--threads: -1 is out of range"), "rc %d: %s", rc, out);
    return test_report();
}
