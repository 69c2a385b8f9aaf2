/*
 * train_ranks.h - `gan train` under an MPI launcher (docs/distributed.md):
 * the communicator, what the lead (rank 0) alone prints, the watchdog's
 * message, and how a failing rank stops the others.
 */
#ifndef GAN_TRAIN_RANKS_H
#define GAN_TRAIN_RANKS_H

#include "gan.h"

#include <stdbool.h>

/* Open the process's communicator for `device` (a single process unless
 * mpirun started it); prints the error and returns false on failure. The
 * ranks other than 0 become quiet. */
bool train_ranks_open(gan_device device, bool *quiet, gan_comm **comm);

/* Arm the watchdog: a collective call blocked for GAN_COMM_TIMEOUT seconds
 * (default 300) prints one line naming the rank and `ckpt`, then stops
 * every rank. Nothing for a single process. */
void train_ranks_watch(gan_comm *comm, const char *ckpt);

/* A resumed checkpoint written by another number of ranks: say so (the run
 * goes on, no longer bit-identical to one never stopped). */
void train_ranks_resume_note(const gan_comm *comm, int saved_ranks, const char *ckpt);

/* " over 2 ranks (mpi)" for the start line, "" for one process. */
const char *train_ranks_describe(const gan_comm *comm);

/* The end of `gan train` with exit code rc: a failed rank of several stops
 * every rank (gan_comm_abort), else the communicator is closed. */
int train_ranks_close(gan_comm *comm, int rc);

#endif
