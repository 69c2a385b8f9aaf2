/*
 * train_minimal.c - train the seed GAN with libgan as `gan train` does, in a
 * few lines: load a dataset, make a trainer, run the library's run loop
 * (log.jsonl, sample grids, checkpoint in OUT), write one more sample grid.
 *
 *   cc train_minimal.c $(pkg-config --cflags --libs gan) -o train_minimal
 *   ./train_minimal DATA OUT [STEPS]
 *
 * DATA is a folder of MNIST-named IDX files (or an images file); STEPS
 * (default 20) is how long to train. Ctrl-C stops after the current step,
 * with a checkpoint that `gan train --resume OUT` continues.
 */
#include <gan.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static volatile sig_atomic_t stop = 0;

static void on_signal(int sig) {
    stop = sig;
}

static void on_log(void *user, const gan_step_stats *mean, double images_per_s) {
    (void)user;
    printf("step %lld: loss_d %.4f loss_g %.4f (%.0f images/s)\n", (long long)mean->step,
           mean->loss_d, mean->loss_g, images_per_s);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s DATA OUT [STEPS]\n", argv[0]);
        return 2;
    }
    gan_train_options opt;
    gan_train_options_default(&opt);
    opt.max_steps = argc > 3 ? atoll(argv[3]) : 20;

    gan_dataset *data = NULL;
    gan_trainer *t = NULL;
    if (gan_dataset_load(argv[1], GAN_SPLIT_TRAIN, &data) != GAN_OK ||
        gan_trainer_create("mlp", &opt, data, &t) != GAN_OK) {
        fprintf(stderr, "error: %s\n", gan_last_error());
        gan_dataset_free(data);
        return 1;
    }

    gan_run_options run;
    gan_run_options_default(&run);
    run.out = argv[2];
    run.log_every = 10;
    run.stop = &stop;
    run.on_log = on_log;
    signal(SIGINT, on_signal);

    gan_run_result result;
    char samples[1024];
    snprintf(samples, sizeof samples, "%s/final.png", argv[2]);
    gan_status s = gan_train_run(t, &run, &result);
    if (s == GAN_OK) s = gan_trainer_write_samples_png(t, 8, samples);
    if (s != GAN_OK) fprintf(stderr, "error: %s\n", gan_last_error());
    else printf("trained %lld steps; samples in %s\n", (long long)result.step, samples);
    gan_trainer_free(t);
    gan_dataset_free(data);
    return s == GAN_OK ? 0 : 1;
}
