/*
 * train_ranks.c - `gan train` under an MPI launcher: see train_ranks.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "train_ranks.h"
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char timeout_msg[1500];

bool train_ranks_open(gan_device device, bool *quiet, gan_comm **comm) {
    gan_status s = gan_comm_open(device, comm);
    if (s != GAN_OK) return cli_fail(s), false;
    if (gan_comm_rank(*comm) != 0) *quiet = true;
    return true;
}

static void on_timeout(void *user, int rank, double seconds) {
    char line[1700];
    int n = snprintf(line, sizeof line, "gan train: rank %d: no answer from the other ranks for "
                     "%.0f s (a rank stopped or hangs); stopping every rank; %s\n", rank, seconds,
                     timeout_msg);
    ssize_t w = write(STDERR_FILENO, line, n > 0 && (size_t)n < sizeof line ? (size_t)n : 0);
    (void)w;
}

void train_ranks_watch(gan_comm *comm, const char *ckpt) {
    if (gan_comm_size(comm) < 2) return;
    const char *env = getenv("GAN_COMM_TIMEOUT");
    double seconds = env ? atof(env) : 300.0;
    snprintf(timeout_msg, sizeof timeout_msg, "the last checkpoint written is intact in %s", ckpt);
    gan_comm_set_watchdog(comm, seconds > 0 ? seconds : 300.0, on_timeout, NULL);
}

void train_ranks_resume_note(const gan_comm *comm, int saved_ranks, const char *ckpt) {
    int ranks = gan_comm_size(comm);
    if (saved_ranks == ranks || gan_comm_rank(comm) != 0) return;
    fprintf(stderr, "gan train: note: %s was written by %d rank%s, this run has %d: it goes on "
            "from the same weights, but is not bit-identical to a run of %d never stopped\n",
            ckpt, saved_ranks, saved_ranks == 1 ? "" : "s", ranks, saved_ranks);
}

const char *train_ranks_describe(const gan_comm *comm) {
    static char buf[64];
    buf[0] = 0;
    if (strcmp(gan_comm_kind(comm), "single") != 0)
        snprintf(buf, sizeof buf, " over %d rank%s (%s)", gan_comm_size(comm),
                 gan_comm_size(comm) == 1 ? "" : "s", gan_comm_kind(comm));
    return buf;
}

int train_ranks_close(gan_comm *comm, int rc) {
    if (rc != 0 && rc != 2 && rc != 130 && gan_comm_size(comm) > 1) {
        fflush(NULL);
        gan_comm_abort(comm, rc); /* the other ranks may be waiting for this one */
    }
    gan_comm_free(comm);
    return rc;
}
