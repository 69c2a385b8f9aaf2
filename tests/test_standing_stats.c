/*
 * test_standing_stats.c - gan_generator_standing_stats (BigGAN's standing
 * statistics) and `gan sample --standing-stats B`:
 *   - every batch norm's running mean and variance (batchnorm, batchnorm2d,
 *     cond_batchnorm2d) become the mean of B training-mode batches'
 *     statistics: checked against the same batches run one at a time on a
 *     fresh load with momentum 0 (which leaves each batch's own statistics);
 *   - the same arguments give the same bytes, another seed other ones; the
 *     images change and stay in [-1, 1]; the layers' momentum is restored;
 *   - a conditional generator draws its labels (uniform) for the batches;
 *   - out-of-range batches or rows and a trainer's own generator are refused,
 *     and the CLI flag out of range is a one-line usage error.
 */
#define _POSIX_C_SOURCE 200809L
#include "gan.h"
#include "generator.h"
#include "model.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *spec_plain =
    "image 1 28 28\nlatent 6\n"
    "generator\n  dense 64\n  leaky_relu 0.2\n  batchnorm\n  dense 392\n  reshape 2 14 14\n"
    "  batchnorm2d momentum=0.9 eps=1e-5\n  relu\n  upsample2d\n  conv2d 1 kernel=3 padding=1\n"
    "  tanh\n"
    "discriminator\n  flatten\n  dense 16\n  leaky_relu 0.2\n  dense 1\n"
    "train\n  batch_size 8\n  ema 0.9\n";

static const char *spec_cond =
    "image 1 28 28\nlatent 6\nclasses 10\n"
    "generator\n  dense 392\n  reshape 2 14 14\n  cond_batchnorm2d momentum=0.9 eps=1e-5\n  relu\n"
    "  upsample2d\n  conv2d 1 kernel=3 padding=1\n  tanh\n"
    "discriminator\n  flatten\n  label embedding 4\n  dense 16\n  leaky_relu 0.2\n  dense 1\n"
    "train\n  batch_size 8\n";

/* A checkpoint of `spec` after a few steps on synthetic data. */
static const char *make_checkpoint(const char *spec_text, const char *name, int labels) {
    gan_dataset *data = test_synthetic_dataset(name, 32, labels);
    gan_spec *spec = NULL;
    gan_trainer *t = data ? test_spec_trainer(spec_text, name, data, &spec) : NULL;
    gan_step_stats st;
    for (int i = 0; t && i < 5; i++) CHECK_OK(gan_trainer_step(t, &st));
    char file[256];
    snprintf(file, sizeof file, "%s.safetensors", name);
    const char *ckpt = test_tmp_path_kept(file);
    if (t) CHECK_OK(gan_trainer_save_checkpoint(t, ckpt));
    if (t) { /* a trainer's own generator is refused */
        gan_generator *tg = NULL;
        CHECK_OK(gan_trainer_generator(t, &tg));
        if (tg) CHECK(gan_generator_standing_stats(tg, 2, 0, 1) == GAN_ERR_UNSUPPORTED);
        gan_generator_free(tg);
    }
    gan_trainer_free(t);
    gan_spec_free(spec);
    gan_dataset_free(data);
    return ckpt;
}

/* The running statistics of every batch norm of g, concatenated (n values). */
static float *running_stats(gan_generator *g, size_t *n) {
    gan_model *m = &g->model;
    size_t cap = 0;
    for (int i = 0; i < m->n_layers; i++) cap += m->layers[i].n_state;
    float *v = malloc((cap ? cap : 1) * sizeof *v);
    *n = 0;
    for (int i = 0; v && i < m->n_layers; i++) {
        gan_layer_tensor ts[GAN_LAYER_MAX_TENSORS];
        int k = m->layers[i].ops->tensors(&m->layers[i], ts, GAN_LAYER_MAX_TENSORS);
        for (int j = 0; j < k; j++)
            if (strncmp(ts[j].name, "running_", 8) == 0) {
                memcpy(v + *n, ts[j].data, ts[j].size * sizeof *v);
                *n += ts[j].size;
            }
    }
    return v;
}

static float *generate(gan_generator *g, int n) {
    int c, h, w, latent = gan_generator_latent_dim(g);
    gan_generator_image_shape(g, &c, &h, &w);
    float *z = malloc((size_t)n * latent * sizeof *z);
    float *img = malloc((size_t)n * c * h * w * sizeof *img);
    int32_t *labels = gan_generator_num_classes(g) ? malloc((size_t)n * sizeof *labels) : NULL;
    gan_generator_noise(g, 7, 0, n, z);
    if (labels) gan_generator_labels(g, GAN_LABELS_BALANCED, 7, 0, n, labels);
    CHECK_OK(gan_generator_generate_labeled(g, z, labels, n, img));
    free(z);
    free(labels);
    return img;
}

static void check_generator(const char *ckpt, const char *what) {
    const int B = 3, rows = 8;
    gan_generator *g = NULL, *g2 = NULL, *ref = NULL, *other = NULL;
    CHECK_OK(gan_generator_load(ckpt, &g));
    CHECK_OK(gan_generator_load(ckpt, &g2));
    CHECK_OK(gan_generator_load(ckpt, &ref));
    CHECK_OK(gan_generator_load(ckpt, &other));
    if (!g || !g2 || !ref || !other) return;
    gan_model *m = &g->model;
    float momentum[GAN_MAX_LAYERS];
    for (int i = 0; i < m->n_layers; i++) momentum[i] = m->layers[i].momentum;
    size_t n0 = 0;
    float *before = running_stats(g, &n0);
    float *img_before = generate(g, 16);
    CHECK_MSG(n0 > 0, "%s: no running statistics", what);

    CHECK_OK(gan_generator_standing_stats(g, B, rows, 5));
    for (int i = 0; i < m->n_layers; i++)
        CHECK_MSG(m->layers[i].momentum == momentum[i], "%s: layer %d's momentum not restored",
                  what, i);
    CHECK_OK(gan_generator_standing_stats(g2, B, rows, 5));
    CHECK_OK(gan_generator_standing_stats(other, B, rows, 6));
    size_t n1 = 0, n2 = 0, n3 = 0;
    float *after = running_stats(g, &n1), *again = running_stats(g2, &n2);
    float *seed6 = running_stats(other, &n3);
    CHECK(n1 == n0 && n2 == n0 && n3 == n0);
    CHECK_MSG(memcmp(after, again, n0 * sizeof *after) == 0, "%s: not repeatable", what);
    CHECK_MSG(memcmp(after, seed6, n0 * sizeof *after) != 0, "%s: the seed changes nothing", what);
    CHECK_MSG(memcmp(after, before, n0 * sizeof *after) != 0, "%s: nothing changed", what);

    /* the reference: batch k alone (momentum 0 leaves its own statistics), averaged */
    double *mean = calloc(n0, sizeof *mean);
    gan_model *rm = &ref->model;
    size_t latent = (size_t)gan_generator_latent_dim(ref);
    int classes = gan_generator_num_classes(ref);
    float *z = malloc(rows * latent * sizeof *z);
    int32_t labels[8];
    for (int i = 0; i < rm->n_layers; i++)
        if (rm->layers[i].n_state) rm->layers[i].momentum = 0.0f;
    for (int k = 0; k < B; k++) {
        int64_t at = ((int64_t)1 << 40) + (int64_t)k * rows;
        gan_latent_noise(5, at, rows, (int)latent, z);
        memcpy(rm->acts[0], z, rows * latent * sizeof *z);
        if (classes) {
            gan_generator_labels(ref, GAN_LABELS_UNIFORM, 5, at, rows, labels);
            memcpy(ref->labels, labels, sizeof labels);
        }
        gan_model_set_labels(rm, classes ? ref->labels : NULL);
        gan_model_forward(rm, rm->acts[0], rows, true);
        size_t nk = 0;
        float *sk = running_stats(ref, &nk);
        for (size_t j = 0; j < n0 && nk == n0; j++) mean[j] += sk[j] / B;
        free(sk);
    }
    gan_model_set_labels(rm, NULL);
    double worst = 0;
    for (size_t j = 0; j < n0; j++) {
        double e = fabs(after[j] - mean[j]) / (1e-6 + fabs(mean[j]));
        if (e > worst) worst = e;
    }
    CHECK_MSG(worst < 1e-5, "%s: standing statistics off the mean of the batches by %.3g "
              "(relative)", what, worst);

    float *img_after = generate(g, 16);
    int c, h, w;
    gan_generator_image_shape(g, &c, &h, &w);
    size_t ni = (size_t)16 * c * h * w;
    bool differ = false, in_range = true;
    for (size_t j = 0; j < ni; j++) {
        if (img_after[j] != img_before[j]) differ = true;
        if (!(img_after[j] >= -1.0f && img_after[j] <= 1.0f)) in_range = false;
    }
    CHECK_MSG(differ && in_range, "%s: images differ %d, in range %d", what, differ, in_range);

    CHECK(gan_generator_standing_stats(g, 0, rows, 1) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_generator_standing_stats(g, 100001, rows, 1) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_generator_standing_stats(g, 1, m->max_batch + 1, 1) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_generator_standing_stats(g, 1, -1, 1) == GAN_ERR_INVALID_ARGUMENT);
    CHECK_OK(gan_generator_standing_stats(g, 1, 0, 1)); /* 0 rows: the run's batch size */

    free(before), free(after), free(again), free(seed6), free(mean), free(z);
    free(img_before), free(img_after);
    gan_generator_free(g), gan_generator_free(g2), gan_generator_free(ref);
    gan_generator_free(other);
}

int main(void) {
    const char *cli = test_gan_cli();
    if (!cli) return 1;
    const char *plain = make_checkpoint(spec_plain, "standing_plain", 0);
    const char *cond = make_checkpoint(spec_cond, "standing_cond", 1);
    if (plain) check_generator(plain, "plain (ema)");
    if (cond) check_generator(cond, "conditional");

    char cmd[2048], out[4096];
    const char *a = test_tmp_path_kept("standing_a.npy"), *b = test_tmp_path_kept("plain.npy");
    snprintf(cmd, sizeof cmd, "%s sample %s --out %s --float --n 40 --standing-stats 4", cli,
             plain, a);
    int rc = test_run(cmd, out, sizeof out);
    CHECK_MSG(rc == 0, "rc %d: %s", rc, out);
    snprintf(cmd, sizeof cmd, "%s sample %s --out %s --float --n 40", cli, plain, b);
    rc = test_run(cmd, out, sizeof out);
    CHECK_MSG(rc == 0, "rc %d: %s", rc, out);
    size_t na = 0, nb = 0;
    char *da = test_read_file(a, &na), *db = test_read_file(b, &nb);
    CHECK(da && db && na == nb && memcmp(da, db, na) != 0);
    free(da), free(db);
    snprintf(cmd, sizeof cmd, "%s sample %s --out %s --standing-stats -2", cli, plain, a);
    rc = test_run(cmd, out, sizeof out);
    CHECK_MSG(rc == 2 && strstr(out, "--standing-stats: -2 is out of range"), "rc %d: %s", rc,
              out);
    return test_report();
}
