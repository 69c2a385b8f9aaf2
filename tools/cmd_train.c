/*
 * cmd_train.c - `gan train`: train a GAN, or resume one (--resume), and write
 * the run folder (run_folder.h): checkpoint, log, sample grids.
 */
#define _POSIX_C_SOURCE 200809L
#include "checkpoint.h"
#include "cli.h"
#include "data_cli.h"
#include "progress.h"
#include "run_folder.h"
#include "train_eval.h" /* [eval hook] */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
    stop_requested = sig;
}

typedef struct interval {
    int64_t steps;
    double start;
} interval;

static void usage(cli_option *opts) {
    printf("usage: gan train --data PATH [--model NAME|FILE] [options]\n"
           "       gan train --resume RUN [--epochs N | --steps N] [--threads N] [--device D]\n\n"
           "Train a GAN (default: the seed MLP model) on IDX images. PATH is a folder with\n"
           "MNIST-named files (train-images-idx3-ubyte[.gz], ...) or an images file.\n"
           "--model names a preset or a model spec file (docs/model-spec.md); the file's\n"
           "`train` section gives defaults that the flags below override.\n"
           "--resume continues a stopped run exactly where its checkpoint left it.\n\n"
           "options:\n");
    cli_print_options(opts);
}

/* "500" = every 500 steps, "2e" / "2epochs" = every 2 epochs, "0" = only at
 * the end. Returns the interval in steps (0 = end only) or -1 on error. */
static int64_t parse_every(const char *spec, int64_t steps_per_epoch) {
    char *end;
    errno = 0;
    long long n = strtoll(spec, &end, 10);
    if (end == spec || errno || n < 0) return -1;
    if (*end == 0) return n;
    if (strcmp(end, "e") == 0 || strcmp(end, "epoch") == 0 || strcmp(end, "epochs") == 0)
        return n * steps_per_epoch;
    return -1;
}

/* "given" and "saved" values of a flag that contradicts the checkpoint. */
typedef struct clash {
    char given[64], saved[64];
} clash;

static bool float_clash(clash *c, float given, float saved) {
    if (given == saved) return false;
    snprintf(c->given, sizeof c->given, "%g", given);
    snprintf(c->saved, sizeof c->saved, "%g", saved);
    return true;
}

static bool int_clash(clash *c, long long given, long long saved) {
    if (given == saved) return false;
    snprintf(c->given, sizeof c->given, "%lld", given);
    snprintf(c->saved, sizeof c->saved, "%lld", saved);
    return true;
}

static bool str_clash(clash *c, const char *given, const char *saved) {
    if (strcmp(given, saved) == 0) return false;
    snprintf(c->given, sizeof c->given, "%s", given);
    snprintf(c->saved, sizeof c->saved, "%s", saved);
    return true;
}

/* The resumable-run flags that must agree with the checkpoint (--model:
 * same_model). */
static bool check_contradictions(const cli_option *opts, const gan_train_options *o,
                                 const gan_ckpt_info *info, const char *ckpt) {
    const gan_train_options *i = &info->opt;
    for (const cli_option *c = opts; c->name; c++) {
        if (!c->seen) continue;
        const char *n = c->name;
        clash k;
        bool bad = (strcmp(n, "batch-size") == 0 && int_clash(&k, o->batch_size, i->batch_size)) ||
                   (strcmp(n, "lr") == 0 && float_clash(&k, o->lr, i->lr)) ||
                   (strcmp(n, "lr-g") == 0 && float_clash(&k, o->lr_g, i->lr_g)) ||
                   (strcmp(n, "lr-d") == 0 && float_clash(&k, o->lr_d, i->lr_d)) ||
                   (strcmp(n, "beta1") == 0 && float_clash(&k, o->beta1, i->beta1)) ||
                   (strcmp(n, "beta2") == 0 && float_clash(&k, o->beta2, i->beta2)) ||
                   (strcmp(n, "adam-eps") == 0 && float_clash(&k, o->adam_eps, i->adam_eps)) ||
                   (strcmp(n, "loss") == 0 &&
                    str_clash(&k, gan_loss_name(o->loss), gan_loss_name(i->loss))) ||
                   (strcmp(n, "clip") == 0 && float_clash(&k, o->clip, i->clip)) ||
                   (strcmp(n, "d-steps") == 0 && int_clash(&k, o->d_steps, i->d_steps)) ||
                   (strcmp(n, "label-smoothing") == 0 &&
                    float_clash(&k, o->label_smoothing, i->label_smoothing)) ||
                   (strcmp(n, "ema") == 0 && float_clash(&k, o->ema, i->ema));
        if (strcmp(n, "seed") == 0 && o->seed != i->seed) {
            snprintf(k.given, sizeof k.given, "%llu", (unsigned long long)o->seed);
            snprintf(k.saved, sizeof k.saved, "%llu", (unsigned long long)i->seed);
            bad = true;
        }
        if (!bad) continue;
        cli_error("--%s %s contradicts the checkpoint %s (%s %s); a resumed run keeps its "
                  "options: drop the flag, or start a new run", n, k.given, ckpt, n, k.saved);
        return false;
    }
    return true;
}

static bool option_seen(const cli_option *opts, const char *name) {
    for (const cli_option *c = opts; c->name; c++)
        if (strcmp(c->name, name) == 0) return c->seen;
    return false;
}

/* The model's `train` section sits between the defaults and the flags: load
 * the model, apply its section to the defaults, then parse the flags again
 * over them. Prints the error and returns false if the model does not load. */
static bool apply_model_train(int argc, char **argv, cli_option *opts, const char *model,
                              gan_train_options *opt) {
    gan_spec *spec;
    gan_status s = gan_spec_load(model, &spec);
    if (s != GAN_OK) return cli_fail(s), false;
    gan_train_options_default(opt);
    gan_spec_train_options(spec, opt);
    gan_spec_free(spec);
    for (cli_option *c = opts; c->name; c++) c->seen = false;
    const char *pos[1];
    int npos;
    bool help;
    return cli_parse(argc, argv, 2, opts, pos, 0, &npos, &help);
}

/* With --resume --model M: whether M is the checkpoint's model (the same
 * spec text; a model that does not load is another one). Prints the error
 * and returns false if not. */
static bool same_model(const char *model, const char *ckpt, const gan_st_file *f,
                       const gan_ckpt_info *info) {
    gan_spec *given = NULL, *saved = NULL;
    gan_status s = gan_ckpt_read_spec(f, info, &saved);
    bool same = s == GAN_OK && gan_spec_load(model, &given) == GAN_OK &&
                strcmp(gan_spec_text(given), gan_spec_text(saved)) == 0;
    if (s != GAN_OK) cli_fail(s);
    else if (!same)
        cli_error("--model %s contradicts the checkpoint %s (model %s, another spec); a resumed "
                  "run keeps its model: drop the flag, or start a new run", model, ckpt,
                  info->model);
    gan_spec_free(given);
    gan_spec_free(saved);
    return same;
}

int cmd_train(int argc, char **argv) {
    gan_train_options opt;
    gan_train_options_default(&opt);
    const char *data_path = NULL, *out = "runs/train", *model = "mlp", *resume = NULL;
    const char *every_spec = "1e", *device = "cpu", *loss_name = NULL;
    int log_every = 100, sample_rows = 8;
    bool quiet = false, overwrite = false, tf32 = false;
    train_eval_config eval_cfg = TRAIN_EVAL_DEFAULTS; /* [eval hook] */
    train_eval *eval_hook = NULL;                     /* [eval hook] */
    data_cli data_opts = {0};                         /* [data options] */
    cli_option opts[] = {
        {"data", CLI_STRING, &data_path, "PATH", "dataset folder or images file (required; "
         "with --resume: the run's data by default)", 0},
        {"model", CLI_STRING, &model, "NAME|FILE", "a preset (mlp: the seed model; dcgan; cgan, "
         "cdcgan: class-conditional, the data need labels) or a model spec file "
         "(docs/model-spec.md)", 0},
        {"epochs", CLI_INT, &opt.epochs, "N", "passes over the data (default 10)", 0},
        {"steps", CLI_INT64, &opt.max_steps, "N", "stop after N steps in total (default: no limit)", 0},
        {"batch-size", CLI_INT, &opt.batch_size, "N", "images per step (default 64)", 0},
        {"lr", CLI_FLOAT, &opt.lr, "X", "Adam learning rate (default 2e-4)", 0},
        {"beta1", CLI_FLOAT, &opt.beta1, "X", "Adam beta1 (default 0.5)", 0},
        {"beta2", CLI_FLOAT, &opt.beta2, "X", "Adam beta2 (default 0.999)", 0},
        {"adam-eps", CLI_FLOAT, &opt.adam_eps, "X", "Adam epsilon (default 1e-7)", 0},
        {"lr-g", CLI_FLOAT, &opt.lr_g, "X", "learning rate of the generator (default: --lr)", 0},
        {"lr-d", CLI_FLOAT, &opt.lr_d, "X", "learning rate of the discriminator (default: --lr)",
         0},
        {"loss", CLI_STRING, &loss_name, "NAME", "non-saturating (default), minimax, "
         "least-squares, hinge or wasserstein", 0},
        {"clip", CLI_FLOAT, &opt.clip, "C", "--loss wasserstein: clip D's weights to [-C, C] "
         "after each D step (default 0.01)", 0},
        {"d-steps", CLI_INT, &opt.d_steps, "K", "discriminator steps per generator step, each "
         "on its own real batch (default 1)", 0},
        {"label-smoothing", CLI_FLOAT, &opt.label_smoothing, "X", "one-sided: D's target for "
         "real images is 1 - X (cross-entropy losses; default 0)", 0},
        {"ema", CLI_FLOAT, &opt.ema, "DECAY", "keep a moving average of G's weights (e.g. "
         "0.999), used for samples, sample, interpolate, export (default: none)", 0},
        {"seed", CLI_UINT64, &opt.seed, "N", "random seed: weights, noise, data order (default 1)", 0},
        {"threads", CLI_INT, &opt.threads, "N", "CPU threads (default 0 = all cores)", 0},
        {"device", CLI_STRING, &device, "D", "cpu (default) or cuda (the first NVIDIA GPU)", 0},
        {"tf32", CLI_FLAG, &tf32, NULL, "with --device cuda: let matrix products use TF32 "
         "tensor cores (faster, 10-bit mantissa inputs)", 0},
        {"out", CLI_STRING, &out, "DIR", "run folder (default runs/train)", 0},
        {"resume", CLI_STRING, &resume, "RUN", "continue the run in folder RUN (or from a "
         "checkpoint file) exactly where it stopped", 0},
        {"checkpoint-every", CLI_STRING, &every_spec, "N|Ne", "checkpoint every N steps or N "
         "epochs (default 1e; 0 = only at the end)", 0},
        {"overwrite", CLI_FLAG, &overwrite, NULL, "replace a run already in --out", 0},
        {"log-every", CLI_INT, &log_every, "N", "steps between log lines (default 100)", 0},
        {"sample-rows", CLI_INT, &sample_rows, "N", "sample grid is N x N images; conditional "
         "models: one row per class, N columns (default 8)", 0},
        {"quiet", CLI_FLAG, &quiet, NULL, "print only errors", 0},
        TRAIN_EVAL_OPTIONS(eval_cfg), /* [eval hook] */
        DATA_CLI_OPTIONS(&data_opts), /* [data options] */
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
    if (!resume && !apply_model_train(argc, argv, opts, model, &opt)) return 1;
    if (opt.epochs < 1) {
        cli_error("--epochs: %d must be at least 1", opt.epochs);
        return 2;
    }
    if (opt.max_steps < 0) {
        cli_error("--steps: %lld must not be negative", (long long)opt.max_steps);
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
    if (!cli_parse_device(device, &opt.device)) return 2;
    opt.allow_tf32 = tf32;
    if (tf32 && opt.device != GAN_DEVICE_CUDA) {
        cli_error("--tf32 needs --device cuda");
        return 2;
    }
    /* a --loss flag over the model's train section (or the default) */
    if (loss_name && gan_loss_parse(loss_name, &opt.loss) != GAN_OK) {
        cli_error("%s", gan_last_error());
        return 2;
    }
    if (option_seen(opts, "clip") && opt.loss != GAN_LOSS_WASSERSTEIN && !resume) {
        cli_error("--clip: applies only to --loss wasserstein (weight clipping)");
        return 2;
    }
    if (parse_every(every_spec, 1) < 0) {
        cli_error("--checkpoint-every: '%s' is not N (steps) or Ne (epochs)", every_spec);
        return 2;
    }

    char ckpt[1200], log_path[1200], path[1200], latest[1200];
    gan_ckpt_info info;
    if (resume) {
        if (option_seen(opts, "out")) {
            cli_error("--out: a resumed run stays in its folder; drop --out");
            return 2;
        }
        run_checkpoint_path(resume, ckpt, sizeof ckpt);
        if (run_is_dir(resume)) out = resume;
        else {
            cli_error("--resume: %s: expected a run folder holding %s", resume, RUN_CHECKPOINT);
            return 2;
        }
        gan_st_file *f = NULL;
        gan_status s = gan_st_open(ckpt, &f);
        if (s == GAN_OK) s = gan_ckpt_read_info(f, &info);
        if (s == GAN_OK && !info.has_options)
            s = gan_fail(GAN_ERR_FORMAT, "%s: holds weights only, not a resumable checkpoint", ckpt);
        bool model_ok = s != GAN_OK || !option_seen(opts, "model") ||
                        same_model(model, ckpt, f, &info);
        gan_st_close(f);
        if (s != GAN_OK) return cli_fail(s);
        if (!model_ok) return 2;
        if (!check_contradictions(opts, &opt, &info, ckpt)) return 2;
        if (!data_path) data_path = info.data_path;
        if (!*data_path) {
            cli_error("%s: the checkpoint does not name its dataset; pass --data", ckpt);
            return 2;
        }
    } else if (!data_path) {
        cli_error("--data is required (a folder with MNIST-named IDX files, or an images file)");
        return 2;
    }

    snprintf(ckpt, sizeof ckpt, "%s/%s", out, RUN_CHECKPOINT);
    snprintf(log_path, sizeof log_path, "%s/log.jsonl", out);
    snprintf(latest, sizeof latest, "%s/samples.png", out);
    if (!resume && !overwrite && (run_file_exists(log_path) || run_file_exists(ckpt))) {
        cli_error("%s already holds a run (log.jsonl or %s); resume it with --resume %s, "
                  "choose another --out or pass --overwrite", out, RUN_CHECKPOINT, out);
        return 2;
    }

    gan_dataset *data = NULL;
    gan_trainer *t = NULL;
    gan_dataset_options data_load; /* [data options] */
    if (!data_cli_options(&data_opts, &data_load)) return 2;
    data_load.threads = opt.threads > 0 ? opt.threads : 0; /* the trainer reports a bad --threads */
    gan_status s = data_cli_load(data_path, GAN_SPLIT_TRAIN, &data_load, quiet, &data);
    if (s != GAN_OK) return cli_fail(s);
    if (resume) {
        s = gan_trainer_resume_on(ckpt, data, &opt, &t);
        if (s == GAN_OK && (option_seen(opts, "epochs") || option_seen(opts, "steps"))) {
            gan_train_options saved;
            gan_trainer_options(t, &saved);
            s = gan_trainer_set_schedule(t, option_seen(opts, "epochs") ? opt.epochs : saved.epochs,
                                         option_seen(opts, "steps") ? opt.max_steps
                                                                    : saved.max_steps);
        }
    } else {
        s = gan_trainer_create(model, &opt, data, &t);
    }
    if (s != GAN_OK) {
        gan_dataset_free(data);
        return cli_fail(s);
    }
    int dev = opt.device;
    gan_trainer_options(t, &opt);

    int rc = 1;
    FILE *log = NULL;
    int64_t spe = gan_trainer_steps_per_epoch(t);
    int64_t start = gan_trainer_step_count(t);
    int64_t total = (int64_t)opt.epochs * spe;
    if (opt.max_steps > 0 && opt.max_steps < total) total = opt.max_steps;
    int64_t n_epochs = (total + spe - 1) / spe;
    int64_t every = parse_every(every_spec, spe);
    if (start >= total) {
        cli_error("%s: the run is already at step %lld of %lld; pass a larger --epochs or "
                  "--steps to train further", ckpt, (long long)start, (long long)total);
        rc = 2;
        goto done;
    }
    snprintf(path, sizeof path, "%s/samples", out);
    if (!run_make_dirs(out) || !run_make_dirs(path)) goto done;
    if (resume && !run_truncate_log(log_path, start)) goto done;
    if (!train_eval_begin(&eval_cfg, t, data_path, out, resume, quiet, &eval_hook)) /* [eval hook] */
        goto done;
    log = fopen(log_path, resume ? "a" : "w");
    if (!log) {
        cli_error("%s: cannot write: %s", log_path, strerror(errno));
        goto done;
    }
    if (!quiet)
        fprintf(stderr, "gan train: model %s, %lld images from %s, batch %d, %lld steps/epoch, "
                "%lld epochs, seed %llu, loss %s, on %s -> %s\n",
                gan_trainer_model_name(t), (long long)gan_dataset_count(data),
                gan_dataset_path(data), opt.batch_size, (long long)spe, (long long)n_epochs,
                (unsigned long long)opt.seed, gan_loss_name(opt.loss),
                dev == GAN_DEVICE_CUDA ? (opt.allow_tf32 ? "cuda (tf32)" : "cuda") : "cpu", out);
    if (resume && !quiet)
        fprintf(stderr, "gan train: resumed from %s at step %lld (epoch %lld)\n", ckpt,
                (long long)start, (long long)(start / spe));

    if (!resume) {
        snprintf(path, sizeof path, "%s/samples/epoch_000.png", out);
        if ((s = gan_trainer_write_samples_png(t, sample_rows, path)) != GAN_OK) {
            cli_fail(s);
            goto done;
        }
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    progress prog;
    int step_images = opt.batch_size * opt.d_steps; /* real images per step */
    progress_begin(&prog, n_epochs, spe, total, step_images, quiet);
    prog.last_step = start;
    interval iv = {.start = prog.start};
    gan_step_stats st = {.step = start};
    int64_t saved_at = start;
    while (st.step < total && !stop_requested) {
        if ((s = gan_trainer_step(t, &st)) != GAN_OK) goto failed;
        iv.steps++;
        progress_step(&prog, &st);
        bool epoch_end = st.step % spe == 0 || st.step == total;
        if (st.step % log_every == 0 || epoch_end) {
            /* the means since the last line (on a GPU: the losses come back here) */
            gan_step_stats mean;
            if ((s = gan_trainer_take_stats(t, &mean)) != GAN_OK) goto failed;
            double now = progress_now();
            double ips = (double)iv.steps * step_images / (now - iv.start);
            fprintf(log,
                    "{\"step\": %lld, \"epoch\": %lld, \"loss_d\": %.6f, \"loss_g\": %.6f, "
                    "\"d_real\": %.6f, \"d_fake\": %.6f, \"images_per_s\": %.1f, "
                    "\"seconds\": %.3f}\n",
                    (long long)mean.step, (long long)mean.epoch, mean.loss_d, mean.loss_g,
                    mean.d_real, mean.d_fake, ips, now - prog.start);
            fflush(log);
            progress_line(&prog, &mean, ips);
            iv = (interval){.start = now};
            if (epoch_end && !train_eval_epoch(eval_hook, t, st.epoch + 1, &mean, log)) { /* [eval hook] */
                progress_end(&prog);
                goto done;
            }
            st = mean;
        }
        if (epoch_end) {
            snprintf(path, sizeof path, "%s/samples/epoch_%03lld.png", out,
                     (long long)st.epoch + 1);
            if ((s = gan_trainer_write_samples_png(t, sample_rows, path)) != GAN_OK ||
                (s = gan_trainer_write_samples_png(t, sample_rows, latest)) != GAN_OK)
                goto failed;
            progress_epoch(&prog, st.epoch, &st, path);
        }
        if (every > 0 && st.step % every == 0 && st.step < total) {
            if ((s = gan_trainer_save_checkpoint(t, ckpt)) != GAN_OK) goto failed;
            saved_at = st.step;
        }
    }
    progress_end(&prog);
    if ((s = gan_trainer_save_checkpoint(t, ckpt)) != GAN_OK) {
        cli_fail(s);
        fprintf(stderr, "gan train: the previous checkpoint (step %lld) is intact in %s\n",
                (long long)saved_at, ckpt);
        goto done;
    }
    if (stop_requested) {
        fprintf(stderr, "gan train: stopped by signal at step %lld; checkpoint saved to %s\n"
                "gan train: resume with: gan train --resume %s\n", (long long)st.step, ckpt, out);
        rc = 130;
        goto done;
    }
    if (!quiet)
        fprintf(stderr, "gan train: done: step %lld in %.1f s; samples in %s, checkpoint in %s\n",
                (long long)st.step, progress_now() - prog.start, latest, ckpt);
    rc = 0;
    goto done;
failed: /* a step, a sample grid or a checkpoint failed mid-run */
    progress_end(&prog);
    cli_fail(s);
    fprintf(stderr, "gan train: the last checkpoint (step %lld) is intact in %s\n",
            (long long)saved_at, ckpt);
done:
    if (log && fclose(log) != 0 && rc == 0) {
        cli_error("%s: write failed", log_path);
        rc = 1;
    }
    train_eval_free(eval_hook); /* [eval hook] */
    gan_trainer_free(t);
    gan_dataset_free(data);
    return rc;
}
