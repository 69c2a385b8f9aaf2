/*
 * comm_nccl.c - gan_comm over NCCL for GPU ranks (built when CMake finds
 * NCCL with CUDA and MPI): one process per GPU, each on GPU local_rank; the
 * ncclUniqueId goes from rank 0 to the others by MPI broadcast. allreduce
 * takes GPU buffers and is queued on the CUDA backend's stream, so it runs
 * in the kernels' order and a captured step graph holds it (NCCL >= 2.9);
 * host calls (allreduce_host, broadcast, barrier, abort) go over MPI.
 * libnccl is loaded with dlopen when the first NCCL communicator opens
 * (lazy_lib.h): a CPU run never maps its 200+ MB.
 */
#include "comm/comm.h"
#include "backend.h"
#include "lazy_lib.h"

#include <cuda_runtime.h>
#include <nccl.h>
#include <stdlib.h>

#ifndef GAN_NCCL_LIBDIR
#define GAN_NCCL_LIBDIR ""
#endif

/* The NCCL functions used, filled by the first gan_lazy_load(&nccl_lib). */
static struct {
    __typeof__(&ncclGetErrorString) GetErrorString;
    __typeof__(&ncclGetUniqueId) GetUniqueId;
    __typeof__(&ncclCommInitRank) CommInitRank;
    __typeof__(&ncclCommAbort) CommAbort;
    __typeof__(&ncclCommDestroy) CommDestroy;
    __typeof__(&ncclAllReduce) AllReduce;
} nccl_fn;

static const gan_lazy_sym nccl_syms[] = {
    {"ncclGetErrorString", (void **)&nccl_fn.GetErrorString}, {"ncclGetUniqueId", (void **)&nccl_fn.GetUniqueId},
    {"ncclCommInitRank", (void **)&nccl_fn.CommInitRank},     {"ncclCommAbort", (void **)&nccl_fn.CommAbort},
    {"ncclCommDestroy", (void **)&nccl_fn.CommDestroy},       {"ncclAllReduce", (void **)&nccl_fn.AllReduce},
};
static const char *const nccl_names[] = {"libnccl.so.2", "libnccl.so", NULL};
static gan_lazy_lib nccl_lib = GAN_LAZY_LIB_INIT("NCCL", nccl_names, GAN_NCCL_LIBDIR, nccl_syms,
                                                 sizeof nccl_syms / sizeof nccl_syms[0]);

typedef struct nccl_comm {
    gan_comm *mpi;
    ncclComm_t nccl;
} nccl_comm;

static gan_status nccl_check(ncclResult_t r, const char *what) {
    if (r == ncclSuccess) return GAN_OK;
    return gan_fail(GAN_ERR_DEVICE, "%s failed: %s", what, nccl_fn.GetErrorString(r));
}

static gan_status nccl_allreduce(gan_comm *c, float *buf, size_t n, gan_reduce op) {
    nccl_comm *m = c->impl;
    return nccl_check(nccl_fn.AllReduce(buf, buf, n, ncclFloat, op == GAN_REDUCE_MEAN ? ncclAvg : ncclSum,
                                    m->nccl, (cudaStream_t)gan_backend_cuda_stream()),
                      "ncclAllReduce");
}

static gan_status nccl_allreduce_host(gan_comm *c, float *buf, size_t n, gan_reduce op) {
    gan_comm *mpi = ((nccl_comm *)c->impl)->mpi;
    return mpi->allreduce_host(mpi, buf, n, op);
}

static gan_status nccl_broadcast(gan_comm *c, void *buf, size_t bytes, int root) {
    gan_comm *mpi = ((nccl_comm *)c->impl)->mpi;
    return mpi->broadcast(mpi, buf, bytes, root);
}

static gan_status nccl_barrier(gan_comm *c) {
    gan_comm *mpi = ((nccl_comm *)c->impl)->mpi;
    return mpi->barrier(mpi);
}

static void nccl_abort(gan_comm *c, int code) {
    nccl_comm *m = c->impl;
    if (m->nccl) nccl_fn.CommAbort(m->nccl);
    m->nccl = NULL;
    m->mpi->abort(m->mpi, code);
}

static void nccl_free(gan_comm *c) {
    nccl_comm *m = c->impl;
    if (m->nccl) nccl_fn.CommDestroy(m->nccl);
    m->mpi->free(m->mpi);
    free(m);
    free(c);
}

gan_status gan_comm_nccl_open(gan_comm *mpi, gan_comm **out) {
    *out = NULL;
    int gpus = 0;
    if (cudaGetDeviceCount(&gpus) != cudaSuccess || gpus < 1)
        return gan_fail(GAN_ERR_UNSUPPORTED, "rank %d: no CUDA GPU is visible", mpi->rank);
    GAN_TRY(gan_lazy_load(&nccl_lib));
    GAN_TRY(gan_backend_cuda_open(mpi->local_rank % gpus));
    ncclUniqueId id;
    if (mpi->rank == 0) GAN_TRY(nccl_check(nccl_fn.GetUniqueId(&id), "ncclGetUniqueId"));
    GAN_TRY(mpi->broadcast(mpi, &id, sizeof id, 0));
    gan_comm *c = calloc(1, sizeof *c);
    nccl_comm *m = calloc(1, sizeof *m);
    if (!c || !m) {
        free(c), free(m);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate a communicator");
    }
    m->mpi = mpi;
    gan_status s = nccl_check(nccl_fn.CommInitRank(&m->nccl, mpi->size, id, mpi->rank),
                              "ncclCommInitRank");
    if (s != GAN_OK) {
        free(c), free(m);
        return s;
    }
    *c = (gan_comm){.kind = "nccl", .rank = mpi->rank, .size = mpi->size,
                    .local_rank = mpi->local_rank, .device_buffers = true, .distributed = true,
                    .allreduce = nccl_allreduce, .allreduce_host = nccl_allreduce_host,
                    .broadcast = nccl_broadcast, .barrier = nccl_barrier, .abort = nccl_abort,
                    .free = nccl_free, .impl = m, .inner = mpi};
    *out = c;
    return GAN_OK;
}
