/*
 * make_seeds.c - writes the seed corpora of the harnesses whose inputs are
 * files gan.c itself writes (IDX, checkpoints, classifier and reference
 * files): `fuzz_make_seeds tests/fuzz/corpus`. The others (PNG, .npy, specs,
 * JSON, GIF arguments) are copied from tests/fixtures and models/ or written
 * by hand; tests/fuzz/README.md says which.
 */
#define _POSIX_C_SOURCE 200809L
#include "checkpoint.h"
#include "data/idx.h"
#include "eval/classifier.h"
#include "eval/reference.h"
#include "gan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *root;
static char scratch[] = "/tmp/gan-seeds-XXXXXX";

static void die(const char *what) {
    fprintf(stderr, "make_seeds: %s: %s\n", what, gan_last_error());
    exit(1);
}

static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) die(path);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*n + 1);
    if (fread(b, 1, *n, f) != *n) die(path);
    fclose(f);
    return b;
}

/* Write parts (NULL-terminated list of {data, len}) as corpus/<dir>/<name>. */
static void put(const char *dir, const char *name, const void *a, size_t na, const void *b,
                size_t nb) {
    char path[1024];
    mkdir(root, 0755);
    snprintf(path, sizeof path, "%s/%s", root, dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/%s", root, dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(a, 1, na, f) != na || (nb && fwrite(b, 1, nb, f) != nb) || fclose(f))
        die(path);
}

static const char *tmp(const char *name) {
    static char bufs[4][1024];
    static int next;
    char *b = bufs[next++ & 3];
    snprintf(b, sizeof bufs[0], "%s/%s", scratch, name);
    return b;
}

static void put_file(const char *dir, const char *name, const char *path) {
    size_t n;
    uint8_t *b = slurp(path, &n);
    put(dir, name, b, n, NULL, 0);
    free(b);
}

static void idx_seeds(void) {
    uint8_t px[8 * 16], lb[8];
    for (int i = 0; i < 8 * 16; i++) px[i] = (uint8_t)(i * 37);
    for (int i = 0; i < 8; i++) lb[i] = (uint8_t)(i % 3);
    int64_t dims[3] = {8, 4, 4}, ldims[1] = {8};
    if (gan_idx_write(tmp("i"), px, 3, dims, false) || gan_idx_write(tmp("l"), lb, 1, ldims, false) ||
        gan_idx_write(tmp("i.gz"), px, 3, dims, true))
        die("idx");
    size_t ni, nl;
    uint8_t *im = slurp(tmp("i"), &ni), *la = slurp(tmp("l"), &nl);
    /* fuzz_idx: byte 0 = the images' share of the rest */
    uint8_t cut = (uint8_t)((ni * 255 + (ni + nl) - 1) / (ni + nl));
    uint8_t *both = malloc(1 + ni + nl);
    both[0] = cut;
    memcpy(both + 1, im, ni);
    memcpy(both + 1 + ni, la, nl);
    put("idx", "images_labels", both, 1 + ni + nl, NULL, 0);
    put("idx", "images_only", "\xff", 1, im, ni);
    put_file("idx_gz", "images.gz", tmp("i.gz"));
    put("idx_gz", "images_plain", im, ni, NULL, 0);
    free(both);
    free(im);
    free(la);
}

static gan_dataset *dataset_4x4(bool labels) {
    uint8_t px[8 * 16], lb[8];
    for (int i = 0; i < 8 * 16; i++) px[i] = (uint8_t)(i * 37);
    for (int i = 0; i < 8; i++) lb[i] = (uint8_t)(i % 2);
    int64_t dims[3] = {8, 4, 4}, ldims[1] = {8};
    const char *dir = tmp(labels ? "labeled" : "plain");
    mkdir(dir, 0755);
    char p[1024];
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte", dir);
    if (gan_idx_write(p, px, 3, dims, false)) die("dataset");
    if (labels) {
        snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte", dir);
        if (gan_idx_write(p, lb, 1, ldims, false)) die("dataset");
        snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte", dir);
        if (gan_idx_write(p, px, 3, dims, false)) die("dataset");
        snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte", dir);
        if (gan_idx_write(p, lb, 1, ldims, false)) die("dataset");
    }
    gan_dataset *d = NULL;
    if (gan_dataset_load(dir, GAN_SPLIT_TRAIN, &d)) die("dataset");
    return d;
}

static void checkpoint_seed(const char *name, const char *spec_text, gan_dataset *d) {
    gan_spec *spec = NULL;
    if (gan_spec_parse(spec_text, strlen(spec_text), name, name, &spec)) die(name);
    gan_train_options opt;
    gan_train_options_default(&opt);
    gan_spec_train_options(spec, &opt);
    opt.threads = 1;
    gan_trainer *t = NULL;
    gan_step_stats st;
    if (gan_trainer_create_spec(spec, &opt, d, &t) || gan_trainer_step(t, &st) ||
        gan_trainer_save_checkpoint(t, tmp("ckpt")))
        die(name);
    put_file("checkpoint", name, tmp("ckpt"));
    put_file("safetensors", name, tmp("ckpt"));
    if (gan_trainer_save_weights(t, tmp("weights"))) die(name);
    char wname[128];
    snprintf(wname, sizeof wname, "%s_weights", name);
    put_file("checkpoint", wname, tmp("weights"));
    gan_trainer_free(t);
    gan_spec_free(spec);
}

static void eval_seeds(void) {
    gan_dataset *d = dataset_4x4(true);
    gan_classifier *c = NULL;
    if (gan_classifier_create(2, 1, 4, 4, 0.5f, 8, 1, &c)) die("classifier");
    snprintf(c->info.fingerprint, sizeof c->info.fingerprint, "train-images-idx3-ubyte:144:1.5");
    if (gan_classifier_save(c, tmp("cls"))) die("classifier save");
    put_file("classifier", "lenet_4x4", tmp("cls"));
    gan_eval_reference r;
    memset(&r, 0, sizeof r);
    if (gan_eval_reference_compute(c, d, &r)) die("reference");
    snprintf(r.classifier_id, sizeof r.classifier_id, "%s", c->id);
    snprintf(r.data_path, sizeof r.data_path, "data");
    snprintf(r.fingerprint, sizeof r.fingerprint,
             "t10k-images-idx3-ubyte:144:1764225000.123456789;t10k-labels-idx1-ubyte:16:17.5");
    if (gan_eval_reference_save(&r, tmp("ref"))) die("reference save");
    put_file("eval_cache", "reference_4x4", tmp("ref"));
    gan_eval_reference_free(&r);
    gan_classifier_free(c);
    gan_dataset_free(d);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_make_seeds tests/fuzz/corpus\n");
        return 2;
    }
    root = argv[1];
    if (!mkdtemp(scratch)) return 1;
    idx_seeds();
    gan_dataset *d = dataset_4x4(false);
    checkpoint_seed("mlp_4x4",
                    "image 1 4 4\nlatent 3\ngenerator\n  dense 8\n  leaky_relu 0.2\n"
                    "  batchnorm\n  dense 16\n  tanh\n  reshape 1 4 4\n"
                    "discriminator\n  flatten\n  dense 4\n  leaky_relu 0.2\n  dense 1\n"
                    "train\n  batch_size 4\n",
                    d);
    checkpoint_seed("conv_ema_4x4",
                    "image 1 4 4\nlatent 2\ngenerator\n  dense 32\n  reshape 2 4 4\n"
                    "  conv2d 1 kernel=3 padding=1\n  tanh\n"
                    "discriminator\n  conv2d 2 kernel=3 stride=2 padding=1\n  leaky_relu 0.2\n"
                    "  flatten\n  dense 1\n"
                    "train\n  batch_size 4\n  ema 0.9\n  loss hinge\n",
                    d);
    checkpoint_seed("mbstd_4x4", /* D with a layer that mixes rows: trained in two halves */
                    "image 1 4 4\nlatent 2\ngenerator\n  dense 16\n  tanh\n  reshape 1 4 4\n"
                    "discriminator\n  conv2d 2 kernel=3 stride=2 padding=1\n  leaky_relu 0.2\n"
                    "  minibatch_stddev 2\n  flatten\n  dense 1\n"
                    "train\n  batch_size 4\n",
                    d);
    gan_dataset_free(d);
    eval_seeds();
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
    return system(cmd) == 0 ? 0 : 1;
}
