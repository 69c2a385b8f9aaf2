/*
 * mpi_test_util.c - see mpi_test_util.h.
 */
#include "mpi_test_util.h"
#include "io/safetensors.h"

#include <stdlib.h>
#include <string.h>

const char *mpi_gan(int np) {
    static char buf[4][1024];
    static int slot;
    char *b = buf[slot++ % 4];
    const char *mpirun = getenv("GAN_MPIRUN"), *cli = getenv("GAN_CLI");
    snprintf(b, 1024, "%s -np %d -x OMP_NUM_THREADS=1 -x OPENBLAS_CORETYPE %s",
             mpirun ? mpirun : "mpirun", np, cli ? cli : "gan");
    return b;
}

const char *mpi_nobn_model(void) {
    static const char text[] = "image 1 28 28\nlatent 32\n\n"
                               "generator\n  dense 128\n  leaky_relu 0.2\n  dense 256\n"
                               "  leaky_relu 0.2\n  dense 784\n  tanh\n  reshape 1 28 28\n\n"
                               "discriminator\n  flatten\n  dense 256\n  leaky_relu 0.2\n"
                               "  dense 128\n  leaky_relu 0.2\n  dense 1\n";
    const char *path = test_tmp_path_kept("nobn.gan");
    CHECK(test_write_file(path, text, sizeof text - 1) == 0);
    return path;
}

const char *mpi_dataset(int n) {
    struct gan_dataset *d = test_synthetic_dataset("syn", n, 0);
    gan_dataset_free(d);
    return test_tmp_path_kept("syn-images-idx3-ubyte");
}

/* Both files' F32 tensors, pairwise: the worst relative error, or -1. */
static bool skipped(const char *name, const char *const *skip) {
    for (; skip && *skip; skip++)
        if (strstr(name, *skip)) return true;
    return false;
}

static double compare(const gan_st_file *fa, const gan_st_file *fb, double atol, double rtol,
                      const char *const *skip, char *worst, size_t cap) {
    if (gan_st_count(fa) != gan_st_count(fb)) return -1;
    double max = 0;
    for (size_t i = 0; i < gan_st_count(fa); i++) {
        const gan_st_tensor *a = gan_st_tensor_at(fa, i), *b = gan_st_find(fb, a->name);
        if (!b || a->nbytes != b->nbytes || a->dtype != b->dtype) return -1;
        if (skipped(a->name, skip)) continue;
        if (a->dtype != GAN_ST_F32 || (atol == 0 && rtol == 0)) { /* bits */
            if (memcmp(a->data, b->data, a->nbytes) == 0) continue;
            if (worst) snprintf(worst, cap, "%s", a->name);
            if (a->dtype != GAN_ST_F32) return -1;
            max = 1; /* F32 tensors of other bits */
            continue;
        }
        size_t n = a->nbytes / sizeof(float);
        float *x = malloc(a->nbytes + 1), *y = malloc(b->nbytes + 1);
        if (!x || !y) abort();
        memcpy(x, a->data, a->nbytes); /* the file's data may be unaligned */
        memcpy(y, b->data, b->nbytes);
        double e = test_max_rel_err(x, y, n, atol, rtol);
        if (e > max) {
            max = e;
            if (worst) snprintf(worst, cap, "%s", a->name);
        }
        free(x), free(y);
    }
    return max;
}

double mpi_checkpoint_diff(const char *a, const char *b, double atol, double rtol,
                           const char *const *skip, char *worst, size_t cap) {
    gan_st_file *fa = NULL, *fb = NULL;
    if (worst && cap) worst[0] = 0;
    double e = -1;
    if (gan_st_open(a, &fa) == GAN_OK && gan_st_open(b, &fb) == GAN_OK)
        e = compare(fa, fb, atol, rtol, skip, worst, cap);
    else fprintf(stderr, "%s\n", gan_last_error());
    if (fa) gan_st_close(fa);
    if (fb) gan_st_close(fb);
    return e;
}

bool mpi_checkpoint_same(const char *a, const char *b) {
    return mpi_checkpoint_diff(a, b, 0, 0, NULL, NULL, 0) == 0; /* tolerances 0: bits compared */
}
