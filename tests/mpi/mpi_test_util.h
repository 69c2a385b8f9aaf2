/*
 * mpi_test_util.h - helpers of the `mpi` tests (tests/mpi/): `gan train`
 * under mpirun, and checkpoints compared tensor by tensor.
 */
#ifndef GAN_MPI_TEST_UTIL_H
#define GAN_MPI_TEST_UTIL_H

#include "test_util.h"

/* "MPIRUN -np N -x OMP_NUM_THREADS=1 GAN_CLI" ($GAN_MPIRUN, $GAN_CLI) into a
 * static buffer (rotating, 4 slots); the caller appends the arguments. */
const char *mpi_gan(int np);

/* A spec without batch norm (the seed MLP's layers, narrower), written once
 * to the temporary folder; its path. */
const char *mpi_nobn_model(void);

/* A synthetic dataset of n images (test_synthetic_dataset); its images file. */
const char *mpi_dataset(int n);

/* The largest |a - b| / (atol + rtol |b|) over every F32 tensor of two
 * checkpoints (which must hold the same tensors) but those whose name holds
 * a string of `skip` (NULL-terminated, or NULL); names the worst tensor in
 * worst[cap]. -1 when a file does not load or the tensors differ in name or
 * shape. */
double mpi_checkpoint_diff(const char *a, const char *b, double atol, double rtol,
                           const char *const *skip, char *worst, size_t cap);

/* Whether two checkpoints hold bit-identical tensors (metadata aside). */
bool mpi_checkpoint_same(const char *a, const char *b);

#endif
