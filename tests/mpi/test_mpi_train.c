/*
 * test_mpi_train.c - `mpirun -np 2 gan train` on the CPU against one
 * process (docs/distributed.md):
 *   - a model without batch norm: 2 ranks end within a float tolerance of
 *     one process of the same global batch (not bit-exact: each rank's
 *     gradient is a partial sum over its rows and MPI adds the two partial
 *     sums, where one process sums all rows in one matrix product: the same
 *     terms in another order), and the log's losses agree;
 *   - the log lines, the checkpoint and `gan inspect` record "ranks: 2";
 *   - 2 ranks resumed from a 2-rank checkpoint end bit-identical to 2 ranks
 *     never stopped; a resume with another number of ranks says so;
 *   - dcgan (batch norm in both networks) with --sync-bn: after 3 steps 2
 *     ranks are within a float tolerance of one process (batch statistics
 *     over the global batch; E[x^2] - mean^2 summed over ranks instead of
 *     two passes, and the sums' order), and far closer to it than 2 ranks
 *     with per-rank batch norm, which normalise each half batch on its own.
 *     Not compared: the biases of the layers just before a batch norm
 *     (generator.0, generator.4, discriminator.2) and their Adam moments:
 *     batch norm cancels a bias, so its exact gradient is 0 and what
 *     remains is rounding noise, which Adam scales to steps of the full
 *     learning rate in any direction (in one process and in N ranks alike);
 *     the networks' outputs do not depend on those values;
 *   - ranks with different options are refused at start, naming the rank.
 */
#include "mpi_test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char out[1 << 16];

/* gan train on `np` ranks (0: one process without mpirun) with `args`. */
static int train(int np, const char *args) {
    char cmd[4096];
    const char *cli = getenv("GAN_CLI");
    if (np == 0) snprintf(cmd, sizeof cmd, "%s train %s", cli ? cli : "gan", args);
    else snprintf(cmd, sizeof cmd, "%s train %s", mpi_gan(np), args);
    int rc = test_run(cmd, out, sizeof out);
    if (rc != 0) fprintf(stderr, "%s\n-> %d\n%s\n", cmd, rc, out);
    return rc;
}

/* The losses of the log's lines agree within rtol (the last line's). */
static void check_logs_close(const char *a, const char *b, double rtol) {
    size_t na, nb;
    char *la = test_read_file(a, &na), *lb = test_read_file(b, &nb);
    CHECK(la && lb);
    if (!la || !lb) return;
    const char *pa = strstr(la, "\"loss_d\": "), *pb = strstr(lb, "\"loss_d\": ");
    int lines = 0;
    while (pa && pb) {
        double da = atof(pa + 10), db = atof(pb + 10);
        CHECK_MSG(fabs(da - db) <= rtol * fabs(db) + 1e-6, "loss_d %g vs %g", da, db);
        pa = strstr(pa + 1, "\"loss_d\": "), pb = strstr(pb + 1, "\"loss_d\": ");
        lines++;
    }
    CHECK(lines >= 1 && !pa && !pb);
    free(la), free(lb);
}

static void test_equal_without_batchnorm(const char *data, const char *model) {
    char args[2048], one[1024], two[1024];
    snprintf(one, sizeof one, "%s", test_tmp_path_kept("one"));
    snprintf(two, sizeof two, "%s", test_tmp_path_kept("two"));
    const char *common = "--steps 30 --batch-size 32 --threads 1 --log-every 10 --quiet";
    snprintf(args, sizeof args, "--data %s --model %s %s --out %s", data, model, common, one);
    CHECK(train(0, args) == 0);
    snprintf(args, sizeof args, "--data %s --model %s %s --out %s", data, model, common, two);
    CHECK(train(2, args) == 0);
    char a[1200], b[1200], worst[128];
    snprintf(a, sizeof a, "%s/checkpoint.safetensors", one);
    snprintf(b, sizeof b, "%s/checkpoint.safetensors", two);
    /* |diff| <= 1e-6 + 1e-4 |w|: 30 Adam steps of lr 2e-4 from gradients that differ in
     * their last bits (measured: under 2% of it) */
    double e = mpi_checkpoint_diff(a, b, 1e-6, 1e-4, NULL, worst, sizeof worst);
    CHECK_MSG(e >= 0 && e <= 1.0, "2 ranks vs 1 process: worst %s at %g of the tolerance",
              worst, e);
    fprintf(stderr, "2 ranks vs 1 process, 30 steps: worst tensor %s at %.3g of the tolerance "
            "(1e-6 + 1e-4 |w|)\n", worst, e);
    snprintf(a, sizeof a, "%s/log.jsonl", one);
    snprintf(b, sizeof b, "%s/log.jsonl", two);
    check_logs_close(a, b, 1e-3);

    char cmd[1400];
    size_t n;
    char *log = test_read_file(b, &n);
    CHECK_MSG(log && strstr(log, "\"ranks\": 2}\n"), "the 2-rank log does not say so");
    free(log);
    log = test_read_file(a, &n);
    CHECK(log && !strstr(log, "ranks"));
    free(log);
    snprintf(cmd, sizeof cmd, "%s inspect %s", getenv("GAN_CLI"), two);
    CHECK(test_run(cmd, out, sizeof out) == 0 && strstr(out, "ranks: 2"));
    snprintf(cmd, sizeof cmd, "%s inspect %s", getenv("GAN_CLI"), one);
    CHECK(test_run(cmd, out, sizeof out) == 0 && strstr(out, "ranks: 1"));
}

static void test_sync_bn(const char *data) {
    char args[2048], one[1024], sync[1024], local[1024];
    snprintf(one, sizeof one, "%s", test_tmp_path_kept("dcgan_one"));
    snprintf(sync, sizeof sync, "%s", test_tmp_path_kept("dcgan_sync"));
    snprintf(local, sizeof local, "%s", test_tmp_path_kept("dcgan_local"));
    const char *common = "--model dcgan --steps 3 --batch-size 16 --threads 1 --quiet";
    snprintf(args, sizeof args, "--data %s %s --out %s", data, common, one);
    CHECK(train(0, args) == 0);
    snprintf(args, sizeof args, "--data %s %s --out %s --sync-bn", data, common, sync);
    CHECK(train(2, args) == 0);
    snprintf(args, sizeof args, "--data %s %s --out %s", data, common, local);
    CHECK(train(2, args) == 0);
    char a[1200], b[1200], c[1200], worst[128], worst_local[128];
    snprintf(a, sizeof a, "%s/checkpoint.safetensors", sync);
    snprintf(b, sizeof b, "%s/checkpoint.safetensors", one);
    snprintf(c, sizeof c, "%s/checkpoint.safetensors", local);
    /* every other tensor, running statistics included: |diff| <= 1e-5 + 1e-3 |w| */
    static const char *const noise[] = {"generator.0.bias", "generator.4.bias",
                                        "discriminator.2.bias", NULL};
    double e = mpi_checkpoint_diff(a, b, 1e-5, 1e-3, noise, worst, sizeof worst);
    double e_local = mpi_checkpoint_diff(c, b, 1e-5, 1e-3, noise, worst_local,
                                         sizeof worst_local);
    fprintf(stderr, "dcgan, 3 steps, 2 ranks vs 1 process: --sync-bn worst %s at %.3g of the "
            "tolerance (1e-5 + 1e-3 |w|); per-rank batch norm worst %s at %.3g\n", worst, e,
            worst_local, e_local);
    CHECK_MSG(e >= 0 && e <= 1.0, "--sync-bn: worst %s at %g of the tolerance", worst, e);
    CHECK_MSG(e_local > 10 * e, "per-rank batch norm (%g) is not far from one process (%g)",
              e_local, e);
    snprintf(a, sizeof a, "%s/log.jsonl", sync);
    snprintf(b, sizeof b, "%s/log.jsonl", one);
    check_logs_close(a, b, 1e-3);
}

static void test_resume(const char *data, const char *model) {
    char args[2048], full[1024], part[1024];
    snprintf(full, sizeof full, "%s", test_tmp_path_kept("full"));
    snprintf(part, sizeof part, "%s", test_tmp_path_kept("part"));
    const char *common = "--batch-size 32 --threads 1 --quiet --checkpoint-every 0";
    snprintf(args, sizeof args, "--data %s --model %s %s --steps 24 --out %s", data, model,
             common, full);
    CHECK(train(2, args) == 0);
    snprintf(args, sizeof args, "--data %s --model %s %s --steps 10 --out %s", data, model,
             common, part);
    CHECK(train(2, args) == 0);
    snprintf(args, sizeof args, "--resume %s --steps 24 --threads 1 --quiet", part);
    CHECK(train(2, args) == 0);
    char a[1200], b[1200];
    snprintf(a, sizeof a, "%s/checkpoint.safetensors", full);
    snprintf(b, sizeof b, "%s/checkpoint.safetensors", part);
    CHECK_MSG(mpi_checkpoint_same(a, b), "2 ranks resumed at step 10 differ from 2 ranks never "
              "stopped");

    /* one process resuming a 2-rank run goes on, and says it is another run */
    snprintf(args, sizeof args, "--resume %s --steps 26 --threads 1", part);
    CHECK(train(0, args) == 0);
    CHECK_MSG(strstr(out, "was written by 2 ranks, this run has 1"), "%s", out);
}

static void test_mismatch_refused(const char *data, const char *model) {
    char cmd[4096];
    const char *cli = getenv("GAN_CLI"), *mpirun = getenv("GAN_MPIRUN");
    const char *dir = test_tmp_path_kept("mismatch");
    /* MPMD: rank 0 and rank 1 given different learning rates */
    snprintf(cmd, sizeof cmd, "%s -x OMP_NUM_THREADS=1 -np 1 %s train --data %s --model %s "
             "--steps 5 --batch-size 32 --out %s --lr 1e-4 : -np 1 %s train --data %s --model "
             "%s --steps 5 --batch-size 32 --out %s --lr 2e-4", mpirun, cli, data, model, dir,
             cli, data, model, dir);
    int rc = test_run(cmd, out, sizeof out);
    CHECK_MSG(rc != 0 && strstr(out, "rank 1 has other training options"), "rc %d: %s", rc, out);
    /* a batch that does not split over the ranks */
    snprintf(cmd, sizeof cmd, "--data %s --model %s --steps 5 --batch-size 33 --out %s", data,
             model, dir);
    CHECK(train(2, cmd) != 0 && strstr(out, "does not split evenly over 2 ranks"));
}

int main(void) {
    if (!getenv("GAN_CLI") || !getenv("GAN_MPIRUN")) {
        fprintf(stderr, "GAN_CLI and GAN_MPIRUN must be set (CTest sets them)\n");
        return 1;
    }
    const char *data = mpi_dataset(640), *model = mpi_nobn_model();
    test_equal_without_batchnorm(data, model);
    test_resume(data, model);
    test_mismatch_refused(data, model);
    test_sync_bn(data);
    return test_report();
}
