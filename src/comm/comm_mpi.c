/*
 * comm_mpi.c - gan_comm over MPI_COMM_WORLD (built when CMake finds MPI).
 *
 * Errors are returned, not fatal (MPI_ERRORS_RETURN): a failed call becomes
 * GAN_ERR_IO with MPI's message, and the caller aborts every rank
 * (gan_comm_abort: MPI_Abort). A watchdog thread watches blocking calls: one
 * that lasts longer than the watchdog's limit (a rank died without its
 * launcher noticing, or hangs) calls the caller's on_timeout, then aborts.
 * Floats are reduced in float (MPI_FLOAT, MPI_SUM) to rank 0 and broadcast
 * from it, so that every rank holds the same bits whatever the number of
 * ranks; a mean divides the sum by the number of ranks.
 */
#define _POSIX_C_SOURCE 200809L
#include "comm/comm.h"

#include <mpi.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

typedef struct mpi_comm {
    pthread_t watchdog;
    bool watching;
    atomic_llong busy_since_ns;  /* when the blocking call in progress began; 0: none */
    atomic_bool stop;
} mpi_comm;

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *watch(void *arg) {
    gan_comm *c = arg;
    mpi_comm *m = c->impl;
    struct timespec tick = {0, 100000000}; /* 0.1 s */
    while (!atomic_load(&m->stop)) {
        nanosleep(&tick, NULL);
        long long since = atomic_load(&m->busy_since_ns);
        if (!since || c->watchdog_s <= 0) continue;
        double waited = (double)(now_ns() - since) * 1e-9;
        if (waited < c->watchdog_s) continue;
        if (c->on_timeout) c->on_timeout(c->timeout_user, c->rank, waited);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    return NULL;
}

static gan_status check(gan_comm *c, int rc, const char *what) {
    atomic_store(&((mpi_comm *)c->impl)->busy_since_ns, 0);
    if (rc == MPI_SUCCESS) return GAN_OK;
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    return gan_fail(GAN_ERR_IO, "rank %d: %s failed: %s (another rank stopped?)", c->rank, what,
                    msg);
}

static void busy(gan_comm *c) {
    atomic_store(&((mpi_comm *)c->impl)->busy_since_ns, now_ns());
}

static gan_status mpi_allreduce(gan_comm *c, float *buf, size_t n, gan_reduce op) {
    for (size_t at = 0; at < n;) { /* counts are ints */
        int part = n - at > (size_t)1 << 30 ? 1 << 30 : (int)(n - at);
        /* reduce to rank 0, then broadcast: every rank gets the same bits (an allreduce
         * may add in a different order on each rank when there are more than 2) */
        busy(c);
        void *send = c->rank == 0 ? MPI_IN_PLACE : (void *)(buf + at);
        GAN_TRY(check(c, MPI_Reduce(send, buf + at, part, MPI_FLOAT, MPI_SUM, 0, MPI_COMM_WORLD),
                      "MPI_Reduce"));
        busy(c);
        GAN_TRY(check(c, MPI_Bcast(buf + at, part, MPI_FLOAT, 0, MPI_COMM_WORLD), "MPI_Bcast"));
        at += (size_t)part;
    }
    if (op == GAN_REDUCE_MEAN && c->size > 1)
        for (size_t i = 0; i < n; i++) buf[i] /= (float)c->size;
    return GAN_OK;
}

static gan_status mpi_broadcast(gan_comm *c, void *buf, size_t bytes, int root) {
    if (bytes > (size_t)1 << 30)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "broadcast of %zu bytes: at most 1 GiB", bytes);
    busy(c);
    return check(c, MPI_Bcast(buf, (int)bytes, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
}

static gan_status mpi_barrier(gan_comm *c) {
    busy(c);
    return check(c, MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

static void mpi_abort(gan_comm *c, int code) {
    MPI_Abort(MPI_COMM_WORLD, code);
}

static void stop_watchdog(gan_comm *c) {
    mpi_comm *m = c->impl;
    if (!m->watching) return;
    atomic_store(&m->stop, true);
    pthread_join(m->watchdog, NULL);
    m->watching = false;
}

static void mpi_free(gan_comm *c) {
    stop_watchdog(c);
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
    free(c->impl);
    free(c);
}

gan_status gan_comm_mpi_open(gan_comm **out) {
    *out = NULL;
    int inited = 0, provided = 0;
    MPI_Initialized(&inited);
    if (!inited && MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS)
        return gan_fail(GAN_ERR_IO, "MPI_Init failed");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    gan_comm *c = calloc(1, sizeof *c);
    mpi_comm *m = calloc(1, sizeof *m);
    if (!c || !m) {
        free(c), free(m);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate a communicator");
    }
    *c = (gan_comm){.kind = "mpi", .distributed = true, .allreduce = mpi_allreduce,
                    .allreduce_host = mpi_allreduce, .broadcast = mpi_broadcast,
                    .barrier = mpi_barrier, .abort = mpi_abort, .free = mpi_free, .impl = m};
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    MPI_Comm local;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, c->rank, MPI_INFO_NULL,
                            &local) == MPI_SUCCESS) {
        MPI_Comm_rank(local, &c->local_rank);
        MPI_Comm_free(&local);
    }
    atomic_init(&m->busy_since_ns, 0);
    atomic_init(&m->stop, false);
    m->watching = pthread_create(&m->watchdog, NULL, watch, c) == 0;
    *out = c;
    return GAN_OK;
}
