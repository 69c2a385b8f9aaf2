/*
 * test_util.c - implementation of the tiny test harness (see test_util.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"
#include "gan.h"
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GAN_TEST_MIN(a, b) ((a) < (b) ? (a) : (b))

int test_failures = 0;
int test_checks = 0;

int test_report(void) {
    if (test_failures) {
        fprintf(stderr, "FAILED: %d of %d checks\n", test_failures, test_checks);
        return 1;
    }
    if (test_checks == 0) {
        fprintf(stderr, "FAILED: no checks ran\n");
        return 1;
    }
    fprintf(stderr, "ok: %d checks passed\n", test_checks);
    return 0;
}

const char *test_tmpdir(void) {
    static char dir[256];
    if (!dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/gan_test_XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            abort();
        }
    }
    return dir;
}

static char *rotating(void) {
    static char bufs[8][512];
    static int next = 0;
    next = (next + 1) % 8;
    return bufs[next];
}

const char *test_tmp_path(const char *name) {
    char *b = rotating();
    snprintf(b, 512, "%s/%s", test_tmpdir(), name);
    return b;
}

/* Write `spec` once to the kept temporary file `name`; its path. */
static const char *kept_spec(const char **path, const char *name, const char *spec) {
    if (!*path) {
        *path = test_tmp_path_kept(name);
        if (test_write_file(*path, spec, strlen(spec)) != 0) abort();
    }
    return *path;
}

const char *test_block_spec(void) {
    static const char *path;
    return kept_spec(&path, "blocks.gan",
                     "image 1 28 28\nlatent 100\nclasses 10\ngenerator\n"
                     "  dense 392\n  reshape 8 7 7\n"
                     "  residual\n    cond_batchnorm2d momentum=0.9 eps=1e-5\n    relu\n"
                     "    upsample2d\n    conv2d 8 kernel=3 padding=1\n"
                     "  shortcut\n    upsample2d\n    conv2d 8 kernel=1\n  end\n"
                     "  residual\n    batchnorm2d momentum=0.9 eps=1e-5\n    relu\n"
                     "    upsample2d\n    conv2d 4 kernel=3 padding=1\n"
                     "  shortcut\n    upsample2d\n    conv2d 4 kernel=1\n  end\n"
                     "  batchnorm2d\n  relu\n  conv2d 1 kernel=3 padding=1\n  tanh\n"
                     "discriminator\n"
                     "  residual\n    conv2d 8 kernel=3 padding=1 spectral_norm=true\n"
                     "    relu\n    avgpool2d\n"
                     "  shortcut\n    avgpool2d\n    conv2d 8 kernel=1 spectral_norm=true\n"
                     "  end\n"
                     "  residual\n    relu\n    conv2d 8 kernel=3 padding=1 spectral_norm=true\n"
                     "  end\n  relu\n  global_sum_pool\n  dense 1 spectral_norm=true\n"
                     "train\n  beta1 0.0\n  beta2 0.9\n  loss hinge\n");
}

const char *test_resnet_layers_spec(void) {
    static const char *path;
    static const char spec[] =
        "image 1 28 28\nlatent 100\nclasses 10\ngenerator\n"
        "  dense 392\n  reshape 8 7 7\n  cond_batchnorm2d\n  relu\n"
        "  upsample2d\n  conv_transpose2d 8 kernel=3 padding=1\n  avgpool2d\n"
        "  upsample2d 4\n  cond_batchnorm2d momentum=0.9 eps=1e-5\n"
        "  conv2d 1 kernel=3 padding=1\n  tanh\n"
        "discriminator\n  conv2d 8 kernel=3 padding=1 spectral_norm=true\n"
        "  leaky_relu 0.2\n  avgpool2d\n"
        "  conv_transpose2d 4 kernel=3 padding=1 spectral_norm=true\n"
        "  global_sum_pool\n  dense 1 spectral_norm=true\n";
    return kept_spec(&path, "resnet-layers.gan", spec);
}

const char *test_tmp_path_kept(const char *name) {
    static char pool[64][512];
    static int used = 0;
    if (used == 64) abort();
    snprintf(pool[used], sizeof pool[used], "%s/%s", test_tmpdir(), name);
    return pool[used++];
}

const char *test_fixture_path(const char *name) {
    const char *dir = getenv("GAN_TEST_FIXTURES");
    char *b = rotating();
    snprintf(b, 512, "%s/%s", dir ? dir : "fixtures", name);
    return b;
}

int test_write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = n ? fwrite(data, 1, n, f) : 0;
    int rc = fclose(f);
    return (w == n && rc == 0) ? 0 : -1;
}

void *test_read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(len > 0 ? (size_t)len + 1 : 1);
    if (buf && len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    if (buf) buf[len > 0 ? len : 0] = 0; /* text files can be searched with strstr */
    fclose(f);
    if (buf && n) *n = (size_t)len;
    return buf;
}

double test_max_rel_err(const float *a, const float *b, size_t n, double atol, double rtol) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]) / (atol + rtol * fabs((double)b[i]));
        if (!(d <= worst)) worst = d; /* NaN propagates as "infinitely bad" */
        if (isnan(d)) return INFINITY;
    }
    return worst;
}

int test_run(const char *cmd, char *out, size_t cap) {
    char full[4096];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    if (!p) return -1;
    size_t len = 0;
    char tmp[1024];
    size_t got;
    while ((got = fread(tmp, 1, sizeof tmp, p)) > 0) {
        if (out && len + 1 < cap) {
            size_t k = GAN_TEST_MIN(got, cap - 1 - len);
            memcpy(out + len, tmp, k);
            len += k;
        }
    }
    if (out && cap) out[len] = 0;
    int st = pclose(p);
    if (st == -1) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

struct gan_dataset *test_synthetic_dataset(const char *prefix, int n, int labels) {
    char name[256];
    if (labels) {
        unsigned char *l = malloc(8 + (size_t)n);
        unsigned char lh[8] = {0, 0, 8, 1, 0, 0, (unsigned char)(n >> 8), (unsigned char)n};
        memcpy(l, lh, 8);
        for (int i = 0; i < n; i++) l[8 + i] = (unsigned char)(i % 10);
        snprintf(name, sizeof name, "%s-labels-idx1-ubyte", prefix);
        CHECK(test_write_file(test_tmp_path_kept(name), l, 8 + (size_t)n) == 0);
        free(l);
    }
    size_t len = 16 + (size_t)n * 784;
    unsigned char *b = malloc(len);
    unsigned char hdr[16] = {0, 0, 8, 3, 0, 0, (unsigned char)(n >> 8), (unsigned char)n,
                             0, 0, 0, 28, 0, 0, 0, 28};
    memcpy(b, hdr, 16);
    for (size_t i = 16; i < len; i++) b[i] = (unsigned char)((i * 2654435761u) >> 24);
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", prefix);
    const char *path = test_tmp_path_kept(name);
    CHECK(test_write_file(path, b, len) == 0);
    free(b);
    gan_dataset *d = NULL;
    CHECK_OK(gan_dataset_load(path, GAN_SPLIT_TRAIN, &d));
    return d;
}

gan_status test_trainer_for_model(const char *model, const gan_train_options *opt,
                                  gan_trainer **out) {
    *out = NULL;
    gan_spec *spec = NULL;
    gan_status s = gan_spec_load(model, &spec);
    if (s == GAN_OK) s = gan_trainer_create_for_spec(spec, opt, out);
    gan_spec_free(spec);
    return s;
}

bool test_wait_for_file_text(const char *path, const char *text, double seconds) {
    struct timespec start, now, pause = {0, 20 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        size_t n = 0;
        char *data = test_read_file(path, &n);
        bool found = data && strstr(data, text);
        free(data);
        if (found) return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double waited = (double)(now.tv_sec - start.tv_sec) +
                        1e-9 * (double)(now.tv_nsec - start.tv_nsec);
        if (waited > seconds) return false;
        nanosleep(&pause, NULL); /* poll: a condition, not a fixed wait */
    }
}

bool test_same_file(const char *a, const char *b) {
    size_t na = 0, nb = 0;
    void *da = test_read_file(a, &na), *db = test_read_file(b, &nb);
    bool same = da && db && na == nb && memcmp(da, db, na) == 0;
    free(da);
    free(db);
    return same;
}
