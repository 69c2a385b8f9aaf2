/*
 * test_mpi_nccl.c - GPU ranks over NCCL (label "cuda;mpi"; exit 77, skipped,
 * where no GPU opens): `mpirun -np 1 gan train --device cuda` runs every
 * reduction through NCCL (and the step graph captures them), and a sum over
 * one rank is the value itself, so it must end bit-identical to
 * `gan train --device cuda` without mpirun, for the seed model and for
 * dcgan; the checkpoint records "ranks: 1". (Several GPUs: docs/distributed.md.)
 * Both runs take cuBLAS's products (GAN_CUDA_GEMM=blas): the default times
 * each product's algorithm per process, and two processes may choose
 * differently (src/cuda/gemm_lt.cu).
 */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include "mpi_test_util.h"

#include <stdlib.h>
#include <string.h>

static char out[1 << 15];

static void same_as_single(const char *data, const char *model, const char *name) {
    char one[1024], nccl[1100], cmd[4096];
    snprintf(one, sizeof one, "%s", test_tmp_path_kept(name));
    snprintf(nccl, sizeof nccl, "%s_nccl", one);
    const char *args = "--device cuda --steps 40 --batch-size 64 --log-every 10 --quiet";
    snprintf(cmd, sizeof cmd, "%s train --data %s --model %s %s --out %s", getenv("GAN_CLI"),
             data, model, args, one);
    CHECK_MSG(test_run(cmd, out, sizeof out) == 0, "%s", out);
    snprintf(cmd, sizeof cmd, "%s train --data %s --model %s %s --out %s", mpi_gan(1), data,
             model, args, nccl);
    CHECK_MSG(test_run(cmd, out, sizeof out) == 0, "%s", out);
    char a[1200], b[1200];
    snprintf(a, sizeof a, "%s/checkpoint.safetensors", one);
    snprintf(b, sizeof b, "%s/checkpoint.safetensors", nccl);
    CHECK_MSG(mpi_checkpoint_same(a, b), "%s: 1 NCCL rank differs from one process", model);
    snprintf(cmd, sizeof cmd, "%s inspect %s", getenv("GAN_CLI"), nccl);
    CHECK(test_run(cmd, out, sizeof out) == 0 && strstr(out, "ranks: 1"));
}

int main(void) {
    if (!getenv("GAN_CLI") || !getenv("GAN_MPIRUN")) {
        fprintf(stderr, "GAN_CLI and GAN_MPIRUN must be set (CTest sets them)\n");
        return 1;
    }
    setenv("GAN_CUDA_GEMM", "blas", 1); /* inherited by gan train and mpirun's local ranks */
    const char *data = mpi_dataset(1280), *model = mpi_nobn_model();
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s train --data %s --model %s --device cuda --steps 1 --out %s",
             getenv("GAN_CLI"), data, model, test_tmp_path_kept("probe"));
    if (test_run(cmd, out, sizeof out) != 0) {
        const char *req = getenv("GAN_TEST_REQUIRE_CUDA");
        if (req && *req && strcmp(req, "0") != 0) {
            fprintf(stderr, "GAN_TEST_REQUIRE_CUDA is set but: %s\n", out);
            return 1;
        }
        fprintf(stderr, "skipped: no GPU: %s\n", out);
        return 77;
    }
    same_as_single(data, model, "nobn");
    same_as_single(data, "dcgan", "dcgan");
    return test_report();
}
