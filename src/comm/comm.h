/*
 * comm.h - the inside of a gan_comm (gan.h): the seam between data-parallel
 * training and the transports that carry it. One implementation per file:
 * comm.c (a single process, and the choice), comm_mpi.c (MPI, CPU ranks on
 * one or many hosts), comm_nccl.c (NCCL between GPUs, one process per GPU,
 * bootstrapped over MPI).
 *
 * Two kinds of buffers: `allreduce` takes the trainer's buffers, in the
 * memory of the backend the communicator was opened for (device_buffers:
 * GPU memory, enqueued on the CUDA backend's stream so a step graph can
 * capture it); `allreduce_host`, `broadcast` and `barrier` work on host
 * memory and block.
 */
#ifndef GAN_COMM_H
#define GAN_COMM_H

#include "internal.h"

struct gan_comm {
    const char *kind;       /* "single", "mpi", "nccl" */
    int rank, size;
    int local_rank;         /* rank among the processes of this host (its GPU) */
    bool device_buffers;    /* allreduce takes GPU memory */
    bool distributed;       /* started by an MPI launcher: the trainer reduces even with
                               one rank (so one GPU exercises the NCCL path) */
    gan_status (*allreduce)(gan_comm *c, float *buf, size_t n, gan_reduce op);
    gan_status (*allreduce_host)(gan_comm *c, float *buf, size_t n, gan_reduce op);
    gan_status (*broadcast)(gan_comm *c, void *buf, size_t bytes, int root);
    gan_status (*barrier)(gan_comm *c);
    void (*abort)(gan_comm *c, int code);
    void (*free)(gan_comm *c);
    void *impl;
    gan_comm *inner;        /* the MPI communicator an NCCL one runs its host calls on */
    /* the watchdog (comm_mpi.c): a blocking call that lasts longer than
     * watchdog_s calls on_timeout, then aborts every rank */
    double watchdog_s;
    void (*on_timeout)(void *user, int rank, double seconds);
    void *timeout_user;
};

/* A single process: every reduction is the identity. */
gan_comm *gan_comm_single_new(void);

/* Whether an MPI launcher (mpirun, srun) started this process. */
bool gan_comm_launched(void);

/* MPI_COMM_WORLD (MPI_Init on first use, errors returned, not fatal). */
gan_status gan_comm_mpi_open(gan_comm **out);

/* NCCL over the GPUs of MPI_COMM_WORLD's ranks: opens the CUDA backend on
 * GPU local_rank, exchanges the ncclUniqueId over `mpi` (which it keeps for
 * host calls and frees with itself). */
gan_status gan_comm_nccl_open(gan_comm *mpi, gan_comm **out);

#endif
