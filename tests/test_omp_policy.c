/*
 * test_omp_policy.c - the CLI's OpenMP waiting policy (tools/omp_policy.c):
 * with neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT set, `gan` runs again with
 * GOMP_SPINCOUNT=300 before doing anything (libgomp reports its settings on
 * each load with OMP_DISPLAY_ENV=verbose: 300000, then 300); a user's own
 * setting is kept (one load), and GAN_OMP_POLICY=libgomp keeps the default.
 */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int count(const char *s, const char *what) {
    int n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what)) n++;
    return n;
}

int main(void) {
    const char *cli = test_gan_cli();
    if (!cli) return 1;
    char cmd[2048], out[65536];
    snprintf(cmd, sizeof cmd, "env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u GAN_OMP_POLICY "
             "OMP_DISPLAY_ENV=verbose %s --version", cli);
    int rc = test_run(cmd, out, sizeof out);
    CHECK_MSG(rc == 0 && strstr(out, "gan "), "rc %d: %s", rc, out);
    CHECK_MSG(count(out, "GOMP_SPINCOUNT = '300000'") == 1 && count(out, "GOMP_SPINCOUNT = '300'") == 1,
              "%s", out);
    const char *first = strstr(out, "'300000'"), *second = strstr(out, "'300'");
    CHECK(first && second && first < second);

    snprintf(cmd, sizeof cmd, "env -u OMP_WAIT_POLICY GOMP_SPINCOUNT=7 OMP_DISPLAY_ENV=verbose "
             "%s --version", cli);
    rc = test_run(cmd, out, sizeof out);
    CHECK_MSG(rc == 0 && count(out, "GOMP_SPINCOUNT = '7'") == 1 &&
              count(out, "GOMP_SPINCOUNT") == 1, "rc %d: %s", rc, out);

    snprintf(cmd, sizeof cmd, "env -u GOMP_SPINCOUNT OMP_WAIT_POLICY=active "
             "OMP_DISPLAY_ENV=verbose %s --version", cli);
    rc = test_run(cmd, out, sizeof out);
    CHECK_MSG(rc == 0 && count(out, "OMP_WAIT_POLICY = 'ACTIVE'") == 1 &&
              count(out, "GOMP_SPINCOUNT") == 1, "rc %d: %s", rc, out);

    snprintf(cmd, sizeof cmd, "env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT GAN_OMP_POLICY=libgomp "
             "OMP_DISPLAY_ENV=verbose %s --version", cli);
    rc = test_run(cmd, out, sizeof out);
    CHECK_MSG(rc == 0 && count(out, "GOMP_SPINCOUNT = '300000'") == 1 &&
              count(out, "GOMP_SPINCOUNT") == 1, "rc %d: %s", rc, out);
    return test_report();
}
