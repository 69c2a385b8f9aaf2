/*
 * test_init_from.c - fine-tuning and changes on resume:
 *   - gan_trainer_init_from loads exactly the other run's weights and
 *     running statistics (both networks, or G alone with D left at its own
 *     init), with fresh Adam state and step 0;
 *   - shapes that differ are an error naming the tensors and both shapes,
 *     and nothing is loaded; G-only needs only G to match;
 *   - `gan train --init-from RUN` / `--init-from-g RUN` through the CLI,
 *     and their misuse (both at once, with --resume);
 *   - `--resume RUN --lr X` contradicts the checkpoint unless
 *     `--allow-change lr`; with it the run continues at the new rate, the
 *     log records the change, inspect shows it, and the report still reads
 *     the log.
 */
#define _POSIX_C_SOURCE 200809L
#include "gan.h"
#include "test_util.h"
#include "trainer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* mlp's generator with a smaller discriminator */
static const char *OTHER_D =
    "image 1 28 28\nlatent 100\ngenerator\n  dense 256\n  leaky_relu 0.2\n  batchnorm\n"
    "  dense 512\n  leaky_relu 0.2\n  batchnorm\n  dense 1024\n  leaky_relu 0.2\n  batchnorm\n"
    "  dense 784\n  tanh\n  reshape 1 28 28\ndiscriminator\n  flatten\n  dense 64\n"
    "  leaky_relu 0.2\n  dense 1\n";

static bool same_floats(const float *a, const float *b, size_t n) {
    return memcmp(a, b, n * sizeof *a) == 0;
}

static bool all_zero(const float *a, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] != 0.0f) return false;
    return true;
}

static void check_library(const char *ckpt, const char *other_spec) {
    gan_train_options opt;
    gan_train_options_default(&opt);
    opt.threads = 1;
    opt.seed = 7; /* another init than the run's */
    gan_trainer *saved = NULL, *t = NULL, *fresh = NULL;
    /* the run's own weights, as a trainer without data */
    gan_spec *spec = NULL;
    CHECK_OK(gan_checkpoint_read_spec(ckpt, &spec));
    CHECK_OK(gan_trainer_create_for_spec(spec, &opt, &saved));
    CHECK_OK(gan_trainer_init_from(saved, ckpt, false));
    CHECK_OK(gan_trainer_create_for_spec(spec, &opt, &fresh));
    CHECK_OK(gan_trainer_create_for_spec(spec, &opt, &t));
    if (!saved || !fresh || !t) goto done;
    /* the run's G after 2 steps is not the seed-7 init */
    CHECK(!same_floats(saved->g.params, fresh->g.params, fresh->g.n_params));
    CHECK_OK(gan_trainer_init_from(t, ckpt, true)); /* G only */
    CHECK(same_floats(t->g.params, saved->g.params, t->g.n_params));
    CHECK(same_floats(t->g.state, saved->g.state, t->g.n_state)); /* batch-norm statistics */
    CHECK(same_floats(t->d.params, fresh->d.params, t->d.n_params));
    CHECK_OK(gan_trainer_init_from(t, ckpt, false)); /* both */
    CHECK(same_floats(t->d.params, saved->d.params, t->d.n_params));
    CHECK(t->g.adam_t == 0 && t->d.adam_t == 0 && gan_trainer_step_count(t) == 0);
    CHECK(all_zero(t->g.adam_m, t->g.n_params) && all_zero(t->d.adam_v, t->d.n_params));
    gan_train_options o;
    gan_trainer_options(t, &o);
    CHECK(o.seed == 7);
    gan_trainer_free(t);
    t = NULL;

    /* another discriminator: both networks refused, naming D's tensors; G alone loads */
    gan_spec *other = NULL;
    CHECK_OK(gan_spec_load(other_spec, &other));
    CHECK_OK(gan_trainer_create_for_spec(other, &opt, &t));
    if (t) {
        CHECK(gan_trainer_init_from(t, ckpt, false) == GAN_ERR_SHAPE);
        const char *e = gan_last_error();
        CHECK_MSG(strstr(e, "discriminator.1.weight [64, 784] here, [1024, 784] there") &&
                  strstr(e, "4 tensors") && !strstr(e, "generator.0"), "%s", e);
        CHECK(same_floats(t->g.params, fresh->g.params, t->g.n_params)); /* nothing loaded */
        CHECK_OK(gan_trainer_init_from(t, ckpt, true));
        CHECK(same_floats(t->g.params, saved->g.params, t->g.n_params));
    }
    gan_spec_free(other);
done:
    gan_spec_free(spec);
    gan_trainer_free(t);
    gan_trainer_free(saved);
    gan_trainer_free(fresh);
}

int main(void) {
    const char *cli = getenv("GAN_CLI");
    CHECK_MSG(cli != NULL, "GAN_CLI is not set");
    if (!cli) return test_report();
    gan_dataset *data = test_synthetic_dataset("ft", 128, 1);
    gan_dataset_free(data);
    char images[1100], a[1100], b[1100], spec[1100], cmd[8192], out[8192], ckpt[1200];
    snprintf(images, sizeof images, "%s", test_tmp_path("ft-images-idx3-ubyte"));
    snprintf(a, sizeof a, "%s", test_tmp_path_kept("run_a"));
    snprintf(b, sizeof b, "%s", test_tmp_path_kept("run_b"));
    snprintf(spec, sizeof spec, "%s", test_tmp_path_kept("other_d.gan"));
    CHECK(test_write_file(spec, OTHER_D, strlen(OTHER_D)) == 0);
    const char *common = "--batch-size 32 --threads 1 --quiet --log-every 1";

    snprintf(cmd, sizeof cmd, "%s train --data %s --steps 2 %s --out %s", cli, images, common, a);
    int rc = test_run(cmd, out, sizeof out);
    CHECK_MSG(rc == 0, "run A: exit %d: %s", rc, out);
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", a);
    check_library(ckpt, spec);

    /* the CLI: a new run from A's weights, its own options */
    rc = test_runf(out, sizeof out, "%s train --data %s --init-from %s --lr 1e-3 --steps 1 %s --out %s",
                   cli, images, a, common, b);
    CHECK_MSG(rc == 0, "--init-from: exit %d: %s", rc, out);
    rc = test_runf(out, sizeof out, "%s inspect %s", cli, b);
    CHECK_MSG(rc == 0 && strstr(out, "training state: step 1,") && strstr(out, "lr 0.001") &&
              strstr(out, "Adam steps: generator 1, discriminator 1"), "%s", out);
    rc = test_runf(out, sizeof out, "%s train --data %s --model %s --init-from-g %s --steps 1 %s --out %s "
                   "--overwrite", cli, images, spec, a, common, b);
    CHECK_MSG(rc == 0, "--init-from-g: exit %d: %s", rc, out);
    rc = test_runf(out, sizeof out, "%s train --data %s --model %s --init-from %s --steps 1 %s --out %s "
                   "--overwrite", cli, images, spec, a, common, b);
    CHECK_MSG(rc == 1 && strstr(out, "discriminator.1.weight") && strchr(out, '\n') == out + strlen(out) - 1,
              "mismatch: exit %d: %s", rc, out);
    rc = test_runf(out, sizeof out, "%s train --data %s --init-from %s --init-from-g %s --out %s", cli,
                   images, a, a, b);
    CHECK_MSG(rc == 2 && strstr(out, "give one"), "exit %d: %s", rc, out);
    rc = test_runf(out, sizeof out, "%s train --resume %s --init-from %s", cli, a, a);
    CHECK_MSG(rc == 2 && strstr(out, "--init-from"), "exit %d: %s", rc, out);

    /* --resume with another learning rate: only when allowed, and logged */
    rc = test_runf(out, sizeof out, "%s train --resume %s --lr 1e-3 --steps 3 --quiet", cli, a);
    CHECK_MSG(rc == 2 && strstr(out, "--lr 0.001 contradicts") && strstr(out, "--allow-change lr"),
              "exit %d: %s", rc, out);
    rc = test_runf(out, sizeof out, "%s train --resume %s --lr 1e-3 --steps 3 --allow-change lr,tempo", cli, a);
    CHECK_MSG(rc == 2 && strstr(out, "'tempo' is not lr or epochs"), "exit %d: %s", rc, out);
    rc = test_runf(out, sizeof out, "%s train --resume %s --lr 1e-3 --steps 3 --allow-change lr,epochs "
                   "--threads 1 --quiet", cli, a);
    CHECK_MSG(rc == 0, "allowed change: exit %d: %s", rc, out);
    char log_path[1200];
    snprintf(log_path, sizeof log_path, "%s/log.jsonl", a);
    size_t n = 0;
    char *log = test_read_file(log_path, &n);
    CHECK_MSG(log && strstr(log, "{\"step\": 2, \"event\": \"resume\", \"changed\": {\"lr_g\": "
                                 "[0.0002, 0.001], \"lr_d\": [0.0002, 0.001], \"max_steps\": [2, 3]}}"),
              "%s", log ? log : "(no log)");
    free(log);
    rc = test_runf(out, sizeof out, "%s inspect %s", cli, a);
    CHECK_MSG(rc == 0 && strstr(out, "step 3,") && strstr(out, "lr_g 0.001, lr_d 0.001"), "%s", out);
    rc = test_runf(out, sizeof out, "%s report %s --text", cli, a);
    CHECK_MSG(rc == 0, "report with a note in the log: exit %d: %s", rc, out);
    return test_report();
}
