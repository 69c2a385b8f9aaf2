/*
 * test_slow_memory.c - a short `gan train` of the seed model on the digits
 * (7,996 images of 28x28) stays under a generous peak resident size, read
 * from the child's rusage (ru_maxrss), over what `gan --version` holds, and
 * `gan --version` itself stays small (cuBLAS and NCCL are loaded only when
 * asked for: a CUDA build's --version took 225 MB when they were linked).
 * Measured 2026-12-06 (CUDA build): --version 8 MB, this run 86 MB (both
 * networks with Adam state 47 MB; the report after the run builds a network
 * at a time and streams its page). Later the same day (CPU build): 76 MB over
 * --version's 6 MB, down 4 MB since the report streams the live generator's
 * weights from the loaded generator (gan_generator_weights_part) instead of
 * copying them whole. The report's WebAssembly compiler (clang,
 * a child of gan whose ~100 MB would count in ru_maxrss) is switched off
 * here with GAN_WASM_CC=/bin/false: the bound is on gan's own memory. Holding
 * the images as float32, writing whole worst-case arenas, building the page
 * or a checkpoint's copy in memory and the like push it over the bound.
 * And in this process: a 64 MB arena costs no resident memory until written
 * (it is zero without a memset), and does once written.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* wait4 */
#include "arena.h"
#include "test_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PEAK_BOUND_MB 85     /* over --version's */
#define VERSION_BOUND_MB 64 /* gan --version */

static long self_peak_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

/* An arena is zeroed without touching its pages. */
static void test_arena_untouched(void) {
    long before = self_peak_mb();
    gan_arena a;
    CHECK(gan_arena_init(&a, (size_t)64 << 20) == GAN_OK);
    float *p = gan_arena_floats(&a, ((size_t)64 << 20) / sizeof(float));
    CHECK(p != NULL);
    if (!p) return;
    CHECK(p[0] == 0.0f && p[((size_t)16 << 20) - 1] == 0.0f); /* reads map the zero page */
    long untouched = self_peak_mb();
    CHECK_MSG(untouched - before < 16, "a fresh 64 MB arena raised the peak by %ld MB",
              untouched - before);
    for (size_t i = 0; i < ((size_t)16 << 20); i += 1024) p[i] = 1.0f; /* every page */
    long touched = self_peak_mb();
    CHECK_MSG(touched - before >= 48, "writing 64 MB raised the peak by only %ld MB",
              touched - before);
    gan_arena_free(&a);
}

/* Peak resident size (MB) of the CLI run with these arguments; -1 if it failed. */
static long child_peak_mb(const char *cli, char *const argv[]) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        execv(cli, argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    pid_t got;
    do got = wait4(pid, &status, 0, &ru);
    while (got < 0 && errno == EINTR);
    CHECK_MSG(got == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "%s %s exited with status %d", cli, argv[1], status);
    if (got != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
    return ru.ru_maxrss / 1024; /* kilobytes on Linux */
}

int main(void) {
    test_arena_untouched();
    const char *cli = getenv("GAN_CLI");
    const char *base = getenv("GAN_DATA_DIR");
    char data[512], out[] = "/tmp/gan_test_memXXXXXX";
    snprintf(data, sizeof data, "%s/digits", base ? base : "data");
    CHECK(mkdtemp(out) != NULL);
    const char *exe = cli ? cli : "./gan";
    /* what the binary holds before it does anything: the bound is on training's share */
    setenv("GAN_WASM_CC", "/bin/false", 1); /* no clang child in the figures */
    char *version[] = {"gan", "--version", NULL};
    long base_mb = child_peak_mb(exe, version);
    CHECK_MSG(base_mb > 0 && base_mb < VERSION_BOUND_MB, "gan --version: peak resident size %ld MB, bound %d MB",
              base_mb, VERSION_BOUND_MB);
    char *train[] = {"gan", "train", "--data", data, "--steps", "60", "--threads", "2", "--out",
                     out, "--overwrite", "--quiet", NULL};
    long peak_mb = child_peak_mb(exe, train);
    printf("peak resident size of gan train: %ld MB, of gan --version: %ld MB (bound on the "
           "difference %d MB)\n", peak_mb, base_mb, PEAK_BOUND_MB);
    CHECK_MSG(base_mb > 0 && peak_mb > 0 && peak_mb - base_mb < PEAK_BOUND_MB,
              "peak resident size %ld MB over the start-up's %ld MB, bound %d MB", peak_mb,
              base_mb, PEAK_BOUND_MB);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", out);
    CHECK(system(cmd) == 0);
    return test_report();
}
