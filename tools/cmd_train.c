/*
 * cmd_train.c - `gan train`: train a GAN and write the run folder:
 *   OUT/log.jsonl                one JSON object per --log-every steps
 *   OUT/samples/epoch_NNN.png    grid from fixed noise, before training (000)
 *                                and after every epoch
 *   OUT/samples.png              the latest grid
 *   OUT/weights.safetensors      both networks, after every epoch and at the end
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "progress.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
    stop_requested = sig;
}

/* mkdir -p; prints an error naming the folder on failure. */
static bool make_dirs(const char *path) {
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        cli_error("--out: path too long");
        return false;
    }
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
                cli_error("%s: cannot create folder: %s", buf, strerror(errno));
                return false;
            }
            *p = c;
            if (!c) break;
        }
    }
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        cli_error("%s: not a folder", path);
        return false;
    }
    if (access(path, W_OK) != 0) {
        cli_error("%s: folder is not writable: %s", path, strerror(errno));
        return false;
    }
    return true;
}

static bool file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

typedef struct interval {
    double loss_d, loss_g, d_real, d_fake;
    int64_t steps;
    double start;
} interval;

static void usage(cli_option *opts) {
    printf("usage: gan train --data PATH [options]\n\n"
           "Train a GAN (default: the seed MLP model) on IDX images. PATH is a folder with\n"
           "MNIST-named files (train-images-idx3-ubyte[.gz], ...) or an images file.\n\n"
           "options:\n");
    cli_print_options(opts);
}

int cmd_train(int argc, char **argv) {
    gan_train_options opt;
    gan_train_options_default(&opt);
    const char *data_path = NULL, *out = "runs/train", *model = "mlp";
    int epochs = 10, log_every = 100, sample_rows = 8;
    int64_t max_steps = 0;
    bool quiet = false, overwrite = false;
    cli_option opts[] = {
        {"data", CLI_STRING, &data_path, "PATH", "dataset folder or images file (required)", 0},
        {"model", CLI_STRING, &model, "NAME", "architecture preset: mlp (the seed model)", 0},
        {"epochs", CLI_INT, &epochs, "N", "passes over the data (default 10)", 0},
        {"steps", CLI_INT64, &max_steps, "N", "stop after N steps in total (default: no limit)", 0},
        {"batch-size", CLI_INT, &opt.batch_size, "N", "images per step (default 64)", 0},
        {"lr", CLI_FLOAT, &opt.lr, "X", "Adam learning rate (default 2e-4)", 0},
        {"beta1", CLI_FLOAT, &opt.beta1, "X", "Adam beta1 (default 0.5)", 0},
        {"beta2", CLI_FLOAT, &opt.beta2, "X", "Adam beta2 (default 0.999)", 0},
        {"adam-eps", CLI_FLOAT, &opt.adam_eps, "X", "Adam epsilon (default 1e-7)", 0},
        {"seed", CLI_UINT64, &opt.seed, "N", "random seed: weights, noise, data order (default 1)", 0},
        {"threads", CLI_INT, &opt.threads, "N", "CPU threads (default 0 = all cores)", 0},
        {"out", CLI_STRING, &out, "DIR", "run folder (default runs/train)", 0},
        {"overwrite", CLI_FLAG, &overwrite, NULL, "replace a run already in --out", 0},
        {"log-every", CLI_INT, &log_every, "N", "steps between log lines (default 100)", 0},
        {"sample-rows", CLI_INT, &sample_rows, "N", "sample grid is N x N images (default 8)", 0},
        {"quiet", CLI_FLAG, &quiet, NULL, "print only errors", 0},
        {0},
    };
    const char *pos[1];
    int npos;
    bool help;
    if (!cli_parse(argc, argv, 2, opts, pos, 0, &npos, &help)) return 2;
    if (help) {
        usage(opts);
        return 0;
    }
    if (!data_path) {
        cli_error("--data is required (a folder with MNIST-named IDX files, or an images file)");
        return 2;
    }
    if (epochs < 1) {
        cli_error("--epochs: %d must be at least 1", epochs);
        return 2;
    }
    if (max_steps < 0) {
        cli_error("--steps: %lld must not be negative", (long long)max_steps);
        return 2;
    }
    if (log_every < 1) {
        cli_error("--log-every: %d must be at least 1", log_every);
        return 2;
    }
    if (sample_rows < 1 || sample_rows > 16) {
        cli_error("--sample-rows: %d is out of range [1, 16]", sample_rows);
        return 2;
    }

    gan_dataset *data = NULL;
    gan_trainer *t = NULL;
    gan_status s = gan_dataset_load(data_path, GAN_SPLIT_TRAIN, &data);
    if (s != GAN_OK) return cli_fail(s);
    s = gan_trainer_create(model, &opt, data, &t);
    if (s != GAN_OK) {
        gan_dataset_free(data);
        return cli_fail(s);
    }

    char path[1200], log_path[1200], weights_path[1200];
    snprintf(log_path, sizeof log_path, "%s/log.jsonl", out);
    snprintf(weights_path, sizeof weights_path, "%s/weights.safetensors", out);
    int rc = 1;
    FILE *log = NULL;
    if (!overwrite && (file_exists(log_path) || file_exists(weights_path))) {
        cli_error("%s already holds a run (log.jsonl or weights.safetensors); choose another "
                  "--out or pass --overwrite", out);
        goto done;
    }
    snprintf(path, sizeof path, "%s/samples", out);
    if (!make_dirs(out) || !make_dirs(path)) goto done;
    log = fopen(log_path, "w");
    if (!log) {
        cli_error("%s: cannot write: %s", log_path, strerror(errno));
        goto done;
    }

    int64_t spe = gan_trainer_steps_per_epoch(t);
    int64_t total = (int64_t)epochs * spe;
    if (max_steps > 0 && max_steps < total) total = max_steps;
    int64_t n_epochs = (total + spe - 1) / spe;
    if (!quiet)
        fprintf(stderr, "gan train: model %s, %lld images from %s, batch %d, %lld steps/epoch, "
                "%lld epochs, seed %llu -> %s\n", model, (long long)gan_dataset_count(data),
                gan_dataset_path(data), opt.batch_size, (long long)spe, (long long)n_epochs,
                (unsigned long long)opt.seed, out);

    snprintf(path, sizeof path, "%s/samples/epoch_000.png", out);
    if ((s = gan_trainer_write_samples_png(t, sample_rows, path)) != GAN_OK) {
        cli_fail(s);
        goto done;
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    progress prog;
    progress_begin(&prog, n_epochs, spe, total, opt.batch_size, quiet);
    interval iv = {.start = prog.start};
    gan_step_stats st = {0};
    for (int64_t step = 0; step < total && !stop_requested; step++) {
        s = gan_trainer_step(t, &st);
        if (s != GAN_OK) {
            progress_end(&prog);
            cli_fail(s);
            goto done;
        }
        iv.loss_d += st.loss_d, iv.loss_g += st.loss_g;
        iv.d_real += st.d_real, iv.d_fake += st.d_fake;
        iv.steps++;
        progress_step(&prog, &st);
        bool epoch_end = st.step % spe == 0 || st.step == total;
        if (st.step % log_every == 0 || epoch_end) {
            double now = progress_now();
            double ips = (double)iv.steps * opt.batch_size / (now - iv.start);
            gan_step_stats mean = st;
            mean.loss_d = (float)(iv.loss_d / iv.steps), mean.loss_g = (float)(iv.loss_g / iv.steps);
            mean.d_real = (float)(iv.d_real / iv.steps), mean.d_fake = (float)(iv.d_fake / iv.steps);
            fprintf(log,
                    "{\"step\": %lld, \"epoch\": %lld, \"loss_d\": %.6f, \"loss_g\": %.6f, "
                    "\"d_real\": %.6f, \"d_fake\": %.6f, \"images_per_s\": %.1f, "
                    "\"seconds\": %.3f}\n",
                    (long long)st.step, (long long)st.epoch, mean.loss_d, mean.loss_g,
                    mean.d_real, mean.d_fake, ips, now - prog.start);
            fflush(log);
            progress_line(&prog, &mean, ips);
            iv = (interval){.start = now};
        }
        if (epoch_end) {
            snprintf(path, sizeof path, "%s/samples/epoch_%03lld.png", out,
                     (long long)st.epoch + 1);
            char latest[1200];
            snprintf(latest, sizeof latest, "%s/samples.png", out);
            if ((s = gan_trainer_write_samples_png(t, sample_rows, path)) != GAN_OK ||
                (s = gan_trainer_write_samples_png(t, sample_rows, latest)) != GAN_OK ||
                (s = gan_trainer_save_weights(t, weights_path)) != GAN_OK) {
                progress_end(&prog);
                cli_fail(s);
                goto done;
            }
            progress_epoch(&prog, st.epoch, &st, path);
        }
    }
    progress_end(&prog);
    if ((s = gan_trainer_save_weights(t, weights_path)) != GAN_OK) {
        cli_fail(s);
        goto done;
    }
    if (stop_requested) {
        fprintf(stderr, "gan train: stopped by signal after step %lld; weights saved to %s\n",
                (long long)st.step, weights_path);
        rc = 130;
        goto done;
    }
    if (!quiet)
        fprintf(stderr, "gan train: done: %lld steps in %.1f s; samples in %s/samples.png, "
                "weights in %s\n", (long long)st.step, progress_now() - prog.start, out,
                weights_path);
    rc = 0;
done:
    if (log && fclose(log) != 0 && rc == 0) {
        cli_error("%s: write failed", log_path);
        rc = 1;
    }
    gan_trainer_free(t);
    gan_dataset_free(data);
    return rc;
}
