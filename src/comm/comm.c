/*
 * comm.c - gan_comm (gan.h): the public calls, the single-process
 * communicator, and the choice of transport (gan_comm_open).
 */
#include "comm/comm.h"

#include <stdlib.h>
#include <string.h>

static gan_status single_reduce(gan_comm *c, float *buf, size_t n, gan_reduce op) {
    return GAN_OK; /* one rank: the sum and the mean of one value are the value */
}

static gan_status single_broadcast(gan_comm *c, void *buf, size_t bytes, int root) {
    return GAN_OK;
}

static gan_status single_barrier(gan_comm *c) {
    return GAN_OK;
}

static void single_abort(gan_comm *c, int code) {
}

static void single_free(gan_comm *c) {
    free(c);
}

gan_comm *gan_comm_single_new(void) {
    gan_comm *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    *c = (gan_comm){.kind = "single", .rank = 0, .size = 1, .allreduce = single_reduce,
                    .allreduce_host = single_reduce, .broadcast = single_broadcast,
                    .barrier = single_barrier, .abort = single_abort, .free = single_free};
    return c;
}

bool gan_comm_launched(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK",
                                       "MPI_LOCALNRANKS", NULL};
    for (int i = 0; vars[i]; i++)
        if (getenv(vars[i])) return true;
    return false;
}

gan_status gan_comm_open(gan_device device, gan_comm **out) {
    *out = NULL;
    if (!gan_comm_launched()) {
        if (!(*out = gan_comm_single_new()))
            return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate a communicator");
        return GAN_OK;
    }
#ifndef GAN_HAVE_MPI
    return gan_fail(GAN_ERR_UNSUPPORTED, "started by an MPI launcher, but this gan.c was built "
                    "without MPI (install libopenmpi-dev and rebuild)");
#else
    gan_comm *mpi;
    GAN_TRY(gan_comm_mpi_open(&mpi));
    if (device != GAN_DEVICE_CUDA) {
        *out = mpi;
        return GAN_OK;
    }
#ifdef GAN_HAVE_NCCL
    gan_status s = gan_comm_nccl_open(mpi, out);
    if (s != GAN_OK) mpi->free(mpi);
    return s;
#else
    mpi->free(mpi);
    return gan_fail(GAN_ERR_UNSUPPORTED, "GPU ranks need NCCL, and this gan.c was built without "
                    "it (NCCL comes with the CUDA toolkit: nccl.h, libnccl)");
#endif
#endif
}

int gan_comm_rank(const gan_comm *c) {
    return c ? c->rank : 0;
}

int gan_comm_size(const gan_comm *c) {
    return c ? c->size : 1;
}

const char *gan_comm_kind(const gan_comm *c) {
    return c ? c->kind : "single";
}

gan_status gan_comm_allreduce(gan_comm *c, float *buf, size_t n, gan_reduce op) {
    return c ? c->allreduce_host(c, buf, n, op) : GAN_OK;
}

gan_status gan_comm_broadcast(gan_comm *c, void *buf, size_t bytes, int root) {
    if (c && (root < 0 || root >= c->size))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "broadcast from rank %d: there are %d ranks",
                        root, c->size);
    return c ? c->broadcast(c, buf, bytes, root) : GAN_OK;
}

gan_status gan_comm_barrier(gan_comm *c) {
    return c ? c->barrier(c) : GAN_OK;
}

void gan_comm_abort(gan_comm *c, int code) {
    if (c) c->abort(c, code);
}

void gan_comm_set_watchdog(gan_comm *c, double seconds,
                           void (*on_timeout)(void *user, int rank, double seconds), void *user) {
    if (!c) return;
    c->watchdog_s = seconds;
    c->on_timeout = on_timeout;
    c->timeout_user = user;
    gan_comm_set_watchdog(c->inner, seconds, on_timeout, user);
}

void gan_comm_free(gan_comm *c) {
    if (c) c->free(c);
}
