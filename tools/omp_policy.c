/*
 * omp_policy.c - how the CLI's OpenMP threads wait: see omp_policy.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "omp_policy.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_omp_policy_apply(char **argv) {
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return; /* the user's choice */
    const char *mine = getenv("GAN_OMP_POLICY");
    if (mine && strcmp(mine, "libgomp") == 0) return; /* keep libgomp's default (benchmarks) */
    if (setenv("GOMP_SPINCOUNT", CLI_OMP_SPINCOUNT, 1) != 0) return;
    /* libgomp has read its environment before main(): start again with it set.
       Same process id, same arguments; if exec fails, go on as we are. */
    execv("/proc/self/exe", argv);
    unsetenv("GOMP_SPINCOUNT");
}
