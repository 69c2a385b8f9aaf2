/*
 * test_lazy_libs.c - cuBLAS and NCCL are loaded on first use (src/lazy_lib.h):
 *   - `gan --version` and a CPU `gan sample` load neither (the dynamic
 *     loader's own log, LD_DEBUG=files, names every object it maps);
 *   - this process maps libcublas only once gan_cublas_load runs (CUDA
 *     builds), and every function of the table resolves, as every one of
 *     cuBLASLt's does (gan_cublaslt_load);
 *   - a library that is not there: GAN_ERR_UNSUPPORTED with one line naming
 *     it, kept for later calls (no second attempt).
 */
#define _GNU_SOURCE
#include "lazy_lib.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether /proc/self/maps names `needle` (read in pieces: its size is 0). */
static bool self_maps(const char *needle) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    bool found = false, any = false;
    while (f && fgets(line, sizeof line, f)) {
        any = true;
        found = found || strstr(line, needle);
    }
    if (f) fclose(f);
    CHECK_MSG(any, "cannot read /proc/self/maps");
    return found;
}

/* The CLI with these arguments maps neither library. */
static void check_cli_maps_none(const char *cli, const char *args) {
    char out[1 << 16];
    int rc = test_runf(out, sizeof out, "LD_DEBUG=files %s %s 2>&1", cli, args);
    CHECK_MSG(rc == 0, "gan %s: exit %d: %.300s", args, rc, out);
    CHECK_MSG(strstr(out, "file=") != NULL, "gan %s: no LD_DEBUG output (not glibc?)", args);
    CHECK_MSG(!strstr(out, "libcublas") && !strstr(out, "libnccl") && !strstr(out, "libcudnn"),
              "gan %s loaded a CUDA library: %.300s", args, strstr(out, "libcu") ? strstr(out, "libcu") : out);
}

static void *fake_fn;
static const gan_lazy_sym fake_syms[] = {{"fake_function", &fake_fn}};
static const char *const fake_names[] = {"libgan-test-no-such-library.so.7", NULL};
static gan_lazy_lib fake_lib = GAN_LAZY_LIB_INIT("FakeLib", fake_names, "/nonexistent", fake_syms, 1);

static void *strlen_fn;
static const gan_lazy_sym libc_syms[] = {{"strlen", &strlen_fn}, {"gan_no_such_function", &fake_fn}};
static const char *const libc_names[] = {"libc.so.6", NULL};
static gan_lazy_lib libc_lib = GAN_LAZY_LIB_INIT("libc", libc_names, NULL, libc_syms, 2);

int main(void) {
    /* a missing library: one line naming it; the failure is kept */
    CHECK(gan_lazy_load(&fake_lib) == GAN_ERR_UNSUPPORTED);
    const char *msg = gan_last_error();
    CHECK_MSG(strstr(msg, "FakeLib") && strstr(msg, "libgan-test-no-such-library.so.7") && !strchr(msg, '\n'),
              "message: %s", msg);
    CHECK(gan_lazy_load(&fake_lib) == GAN_ERR_UNSUPPORTED);
    CHECK(fake_fn == NULL);
    /* a library without one of the functions: named */
    CHECK(gan_lazy_load(&libc_lib) == GAN_ERR_UNSUPPORTED);
    CHECK_MSG(strstr(gan_last_error(), "gan_no_such_function") != NULL, "message: %s", gan_last_error());

    CHECK(!self_maps("libcublas"));
    CHECK(!self_maps("libnccl"));
#if defined(GAN_HAVE_CUDA)
    /* the toolkit this was built with has libcublas: it loads, all of the table */
    CHECK_MSG(gan_cublas_load() == GAN_OK, "%s", gan_last_error());
    CHECK(self_maps("libcublas"));
    CHECK(gan_cublas_load() == GAN_OK);
    /* and libcublasLt's table (src/cuda/cublaslt_lazy.h, the products' plans) */
    CHECK_MSG(gan_cublaslt_load() == GAN_OK, "%s", gan_last_error());
    CHECK(self_maps("libcublasLt"));
    CHECK(gan_cublaslt_load() == GAN_OK);
#endif

    const char *cli = test_gan_cli();
    if (cli) {
        check_cli_maps_none(cli, "--version");
        /* CPU training and sampling on synthetic images */
        char args[2048];
        const char *data = test_synthetic_images("lazy", 64, 0), *dir = test_tmpdir();
        snprintf(args, sizeof args, "train --data %s --steps 2 --batch-size 32 --threads 1 --quiet --out %s/run",
                 data, dir);
        check_cli_maps_none(cli, args);
        snprintf(args, sizeof args, "sample %s/run --n 4 --out %s/s.png", dir, dir);
        check_cli_maps_none(cli, args);
    }
    return test_report();
}
