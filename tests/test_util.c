/*
 * test_util.c - implementation of the tiny test harness (see test_util.h).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "test_util.h"
#include "gan.h"
#include "rng.h"
#include "trainer.h"

#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GAN_TEST_MIN(a, b) ((a) < (b) ? (a) : (b))

int test_failures = 0;
int test_checks = 0;

static char tmp_dir[256]; /* test_tmpdir's folder, made by process tmp_owner */
static pid_t tmp_owner;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* A passing test's temporary folder goes (the suite's runs would otherwise
 * fill the disk: some tests write hundreds of MiB of checkpoints); a failing
 * one's stays for a look, as does any with GAN_TEST_KEEP_TMP set. Only the
 * process that made it removes it (forked children report too). */
static void tmpdir_done(bool passed) {
    if (!tmp_dir[0] || tmp_owner != getpid()) return;
    const char *keep = getenv("GAN_TEST_KEEP_TMP");
    if (passed && !(keep && *keep)) nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    else fprintf(stderr, "test files kept in %s\n", tmp_dir);
}

int test_report(void) {
    if (test_failures) {
        fprintf(stderr, "FAILED: %d of %d checks\n", test_failures, test_checks);
        tmpdir_done(false);
        return 1;
    }
    if (test_checks == 0) {
        fprintf(stderr, "FAILED: no checks ran\n");
        tmpdir_done(false);
        return 1;
    }
    fprintf(stderr, "ok: %d checks passed\n", test_checks);
    tmpdir_done(true);
    return 0;
}

const char *test_tmpdir(void) {
    char *dir = tmp_dir;
    if (!dir[0]) {
        tmp_owner = getpid();
        const char *base = getenv("TMPDIR");
        snprintf(dir, sizeof tmp_dir, "%s/gan_test_XXXXXX", base && *base ? base : "/tmp");
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
                     "  end\n  relu\n  global_sum_pool\n  projection spectral_norm=true\n"
                     "train\n  beta1 0.0\n  beta2 0.9\n  loss hinge\n");
}

const char *test_attention_spec(void) {
    static const char *path;
    return kept_spec(&path, "attention.gan",
                     "image 1 28 28\nlatent 64\ngenerator\n"
                     "  dense 392\n  reshape 8 7 7\n  batchnorm2d\n  relu\n"
                     "  upsample2d\n  conv2d 8 kernel=3 padding=1\n"
                     "  self_attention 8 spectral_norm=true\n"
                     "  batchnorm2d\n  relu\n  upsample2d\n"
                     "  conv2d 1 kernel=3 padding=1\n  tanh\n"
                     "discriminator\n  conv2d 8 kernel=3 padding=1 spectral_norm=true\n"
                     "  leaky_relu 0.2\n  avgpool2d\n  self_attention 2 spectral_norm=true\n"
                     "  conv2d 16 kernel=3 padding=1 spectral_norm=true\n  leaky_relu 0.2\n"
                     "  avgpool2d\n  self_attention 8 spectral_norm=true\n"
                     "  global_sum_pool\n  dense 1 spectral_norm=true\n"
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
        "  leaky_relu 0.2\n  avgpool2d\n  minibatch_stddev 2\n"
        "  self_attention 4 spectral_norm=true\n"
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

const char *test_write_images(const char *name, int n, int side) {
    size_t len = 16 + (size_t)n * side * side;
    unsigned char *b = malloc(len);
    if (!b) return NULL;
    unsigned char hdr[16] = {0, 0, 8, 3, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                             (unsigned char)(n >> 8), (unsigned char)n, 0, 0, 0,
                             (unsigned char)side, 0, 0, 0, (unsigned char)side};
    memcpy(b, hdr, 16);
    for (size_t i = 16; i < len; i++) b[i] = (unsigned char)((i * 2654435761u) >> 24);
    const char *path = test_tmp_path_kept(name);
    int rc = test_write_file(path, b, len);
    free(b);
    return rc == 0 ? path : NULL;
}

const char *test_synthetic_images(const char *prefix, int n, int labels) {
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
    return path;
}

struct gan_dataset *test_synthetic_dataset(const char *prefix, int n, int labels) {
    gan_dataset *d = NULL;
    CHECK_OK(gan_dataset_load(test_synthetic_images(prefix, n, labels), GAN_SPLIT_TRAIN, &d));
    return d;
}

struct gan_dataset *test_load_shaped(const char *path, int channels, int resolution) {
    gan_dataset_options o;
    gan_dataset_options_default(&o);
    o.channels = channels;
    o.resolution = resolution;
    gan_dataset *d = NULL;
    CHECK_OK(gan_dataset_load_with(path, GAN_SPLIT_TRAIN, &o, &d));
    return d;
}

bool test_dataset_is(const struct gan_dataset *d, int64_t count, int c, int h, int w) {
    int dc, dh, dw;
    gan_dataset_shape(d, &dc, &dh, &dw);
    return gan_dataset_count(d) == count && dc == c && dh == h && dw == w;
}

const char *test_gan_cli(void) {
    const char *cli = getenv("GAN_CLI");
    if (!cli) fprintf(stderr, "GAN_CLI is not set\n");
    return cli;
}

gan_trainer *test_spec_trainer(const char *text, const char *name, gan_dataset *data,
                               gan_spec **spec) {
    char file[256];
    snprintf(file, sizeof file, "%s.gan", name);
    *spec = NULL;
    CHECK_OK(gan_spec_parse(text, strlen(text), file, name, spec));
    if (!*spec) return NULL;
    gan_train_options opt;
    gan_train_options_default(&opt);
    gan_spec_train_options(*spec, &opt);
    opt.threads = 1;
    gan_trainer *t = NULL;
    CHECK_OK(gan_trainer_create_spec(*spec, &opt, data, &t));
    return t;
}

void test_keep_grads(gan_trainer *t) {
    t->g.keep_grads = t->d.keep_grads = true;
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

bool test_wait_until(bool (*cond)(void *ctx), void *ctx, double poll, double seconds) {
    struct timespec start, now;
    struct timespec pause = {(time_t)poll, (long)((poll - (double)(time_t)poll) * 1e9)};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (cond(ctx)) return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double waited = (double)(now.tv_sec - start.tv_sec) +
                        1e-9 * (double)(now.tv_nsec - start.tv_nsec);
        if (waited > seconds) return false;
        nanosleep(&pause, NULL); /* the poll interval, not a wait for something */
    }
}

typedef struct file_text {
    const char *path, *text;
} file_text;

static bool file_has_text(void *ctx) {
    const file_text *ft = ctx;
    size_t n = 0;
    char *data = test_read_file(ft->path, &n);
    bool found = data && strstr(data, ft->text);
    free(data);
    return found;
}

bool test_wait_for_file_text(const char *path, const char *text, double seconds) {
    file_text ft = {path, text};
    return test_wait_until(file_has_text, &ft, 0.02, seconds);
}

bool test_catches_signal(int pid, int sig) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    bool yes = false;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "SigCgt:", 7) == 0) yes = (strtoull(line + 7, NULL, 16) >> (sig - 1)) & 1;
    if (f) fclose(f);
    return yes;
}

void test_fill_uniform(float *v, size_t n, uint64_t stream, float lo, float hi, float avoid) {
    gan_rng_uniform(42, stream, v, n);
    for (size_t i = 0; i < n; i++) {
        v[i] = lo + (hi - lo) * v[i];
        if (fabsf(v[i]) < avoid) v[i] = v[i] < 0 ? -avoid : avoid; /* keep off kinks */
    }
}

double test_probe_loss(gan_model *m, const float *x, const float *r, int N, bool train) {
    gan_model_set_rng_counter(m, 0); /* the same dropout mask every time */
    const float *y = gan_model_forward(m, x, N, train);
    double L = 0;
    for (size_t i = 0; i < (size_t)N * m->out_size; i++) L += (double)r[i] * y[i];
    return L;
}

void test_check_fused_same(const char *what, gan_model *fused, gan_model *plain, int N) {
    bool any = false;
    for (int i = 0; i < plain->n_layers; i++)
        any |= plain->layers[i].fused || plain->layers[i].act.on || plain->layers[i].bias_deferred;
    CHECK_MSG(!any, "%s: keep_outputs fused", what);
    gan_model_init(fused, 7, 0);
    gan_model_init(plain, 7, 0);
    size_t nx = (size_t)N * fused->in_size, ny = (size_t)N * fused->out_size, bad = 0;
    float *x = malloc(nx * sizeof *x), *dy = malloc(ny * sizeof *dy);
    float *y[2] = {malloc(ny * sizeof(float)), malloc(ny * sizeof(float))};
    float *dx[2] = {malloc(nx * sizeof(float)), malloc(nx * sizeof(float))};
    if (!x || !dy || !y[0] || !y[1] || !dx[0] || !dx[1]) abort();
    test_fill_uniform(x, nx, 5, -1.5f, 1.5f, 0.0f);
    test_fill_uniform(dy, ny, 6, -1.0f, 1.0f, 0.0f);
    gan_model *ms[2] = {fused, plain};
    for (int want_dx = 0; want_dx < 2; want_dx++) {
        for (int j = 0; j < 2; j++) {
            gan_model_zero_grads(ms[j]);
            memcpy(y[j], gan_model_forward(ms[j], x, N, true), ny * sizeof(float));
            const float *g = gan_model_backward(ms[j], dy, N, true, want_dx);
            if (want_dx) memcpy(dx[j], g, nx * sizeof(float));
        }
        bad += memcmp(y[0], y[1], ny * sizeof(float)) != 0;
        bad += want_dx && memcmp(dx[0], dx[1], nx * sizeof(float)) != 0;
        bad += memcmp(fused->grads, plain->grads, fused->n_params * sizeof(float)) != 0;
    }
    free(x), free(dy), free(y[0]), free(y[1]), free(dx[0]), free(dx[1]);
    CHECK_MSG(bad == 0, "%s: %zu of output, dx, parameter gradients differ from the unfused "
              "model", what, bad);
}

#define GRADCHECK_EPS 1e-2f

void test_gradcheck_model(const char *what, gan_model *m, int N, float x_avoid, bool train) {
    size_t nx = (size_t)N * m->in_size, ny = (size_t)N * m->out_size;
    float *x = malloc(nx * sizeof *x), *r = malloc(ny * sizeof *r);
    float *dx = malloc(nx * sizeof *dx), *dp = malloc((m->n_params + 1) * sizeof *dp);
    float *noise = malloc((m->n_params + 1) * sizeof *noise);
    test_fill_uniform(x, nx, 1, -1.5f, 1.5f, x_avoid);
    test_fill_uniform(r, ny, 2, -1.0f, 1.0f, 0.0f);
    test_fill_uniform(noise, m->n_params, 3, -0.3f, 0.3f, 0.0f);
    for (size_t i = 0; i < m->n_params; i++) m->params[i] += noise[i];
    for (int i = 0; i < 8; i++) test_probe_loss(m, x, r, N, true); /* power iterations, if any */

    test_probe_loss(m, x, r, N, train);
    gan_model_zero_grads(m);
    const float *g = gan_model_backward(m, r, N, true, true);
    memcpy(dx, g, nx * sizeof *dx);
    memcpy(dp, m->grads, m->n_params * sizeof *dp);

    int bad = 0;
    for (size_t i = 0; i < nx + m->n_params; i++) {
        float *v = i < nx ? &x[i] : &m->params[i - nx];
        float analytic = i < nx ? dx[i] : dp[i - nx];
        float keep = *v;
        *v = keep + GRADCHECK_EPS;
        double lp = test_probe_loss(m, x, r, N, train);
        *v = keep - GRADCHECK_EPS;
        double lm = test_probe_loss(m, x, r, N, train);
        *v = keep;
        double num = (lp - lm) / (2.0 * GRADCHECK_EPS);
        if (fabs(num - analytic) > 2e-3 + 1e-2 * fabs(num) && bad++ < 5)
            fprintf(stderr, "%s: %s[%zu] analytic %.6f numeric %.6f\n", what,
                    i < nx ? "dx" : "dparam", i < nx ? i : i - nx, analytic, num);
    }
    CHECK_MSG(bad == 0, "%s: %d gradient mismatches", what, bad);

    if (m->n_params) { /* parameter gradients accumulate */
        test_probe_loss(m, x, r, N, train);
        gan_model_backward(m, r, N, true, false);
        double worst = 0;
        for (size_t i = 0; i < m->n_params; i++)
            worst = fmax(worst, fabs(m->grads[i] - 2.0f * dp[i]) / (1e-6 + fabs(dp[i])));
        CHECK_MSG(worst < 1e-4, "%s: gradients do not accumulate (%.3g)", what, worst);
    }
    free(x), free(r), free(dx), free(dp), free(noise);
}

bool test_same_file(const char *a, const char *b) {
    size_t na = 0, nb = 0;
    void *da = test_read_file(a, &na), *db = test_read_file(b, &nb);
    bool same = da && db && na == nb && memcmp(da, db, na) == 0;
    free(da);
    free(db);
    return same;
}

int test_runf(char *out, size_t cap, const char *fmt, ...) {
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return test_run(cmd, out, cap);
}

void test_expect_cli_error(const char *cli, const char *args, const char *needle) {
    char out[4096];
    int rc = test_runf(out, sizeof out, "%s %s", cli, args);
    CHECK_MSG(rc == 1 || rc == 2, "'%s' exited %d (expected 1 or 2): %s", args, rc, out);
    CHECK_MSG(strstr(out, needle) != NULL, "'%s': output lacks '%s': %s", args, needle, out);
    CHECK_MSG(strncmp(out, "gan: error: ", 12) == 0, "'%s': not an error line: %s", args, out);
    char *nl = strchr(out, '\n');
    CHECK_MSG(nl && nl[1] == 0, "'%s': error is not exactly one line: %s", args, out);
}

double test_gemm_dot(bool ta, bool tb, const float *A, int lda, const float *B, int ldb, int m,
                     int n, int K) {
    double s = 0;
    for (int k = 0; k < K; k++)
        s += (double)(ta ? A[(size_t)k * lda + m] : A[(size_t)m * lda + k]) *
             (tb ? B[(size_t)n * ldb + k] : B[(size_t)k * ldb + n]);
    return s;
}
