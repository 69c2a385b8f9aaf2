/*
 * cmd_train.c - `gan train`: train a GAN, or resume one (--resume), in a run
 * folder. The flags become gan_train_options (train_flags.h) and
 * gan_run_options; the library's run loop (gan_train_run) does the rest,
 * and this file prints its progress and how it ended.
 *
 * Ctrl-C (SIGINT, SIGTERM): once the loop runs, it finishes the step, saves
 * a checkpoint and exits 130; before that (loading data, building the
 * model, preparing evaluations) the process exits 130 at once, saying that
 * nothing was saved.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "data_cli.h"
#include "progress.h"
#include "report.h" /* [report hook] */
#include "run_folder.h"
#include "train_eval.h" /* [eval hook] */
#include "train_flags.h"
#include "train_ranks.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------- signals */

static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t loop_running = 0;
static char interrupted_msg[1400] = "gan train: interrupted; nothing was saved\n";
static size_t interrupted_len;

static void on_signal(int sig) {
    if (loop_running) {
        stop_requested = sig;
        return;
    }
    ssize_t w = write(STDERR_FILENO, interrupted_msg, interrupted_len);
    (void)w;
    _exit(130);
}

static void catch_signals(void) {
    interrupted_len = strlen(interrupted_msg);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ------------------------------------------------------------- callbacks */

typedef struct train_ui {
    progress prog;
    bool quiet, resume, reported, started, ema_noted;
    const char *out, *ckpt;
    const gan_dataset *data;
    train_eval *eval; /* [eval hook] */
    gan_train_options opt; /* the run's options (the report names its device) */
    gan_trainer *trainer;  /* the report's generator between steps */
    int64_t total_steps;   /* the run's last step */
    report_pace pace;      /* when the report is refreshed next */
} train_ui;

/* Where step `step` leaves a run, counting from 1: "epoch 3 done" at an
 * epoch's end, else "in epoch 4, step 62 of 937". */
static void where(int64_t step, int64_t spe, char *buf, size_t cap) {
    if (step % spe == 0) snprintf(buf, cap, "epoch %lld done", (long long)(step / spe));
    else snprintf(buf, cap, "in epoch %lld, step %lld of %lld", (long long)(step / spe + 1),
                  (long long)(step % spe), (long long)spe);
}

/* With --ema: the average starts at the initial weights and after n steps
 * still holds a share of them (gan_ema_initial_share: decay^n without
 * warm-up, 37% at 1,000 steps of 0.999; with --ema-warmup on, 18% after the
 * first step and below 1% from step 4), so a short run's grids can be grey
 * noise. Say so (once) while that share is over 10%. */
static void ema_note(train_ui *ui, int64_t step) {
    if (ui->quiet || ui->ema_noted || ui->opt.ema <= 0) return;
    bool warmup = ui->opt.ema_warmup != 0;
    double share = gan_ema_initial_share(ui->opt.ema, warmup, step);
    if (share <= 0.1) return;
    int64_t below_warm = 1; /* the first step whose share is at most 10% */
    while (gan_ema_initial_share(ui->opt.ema, true, below_warm) > 0.1) below_warm++;
    int64_t below = warmup ? below_warm : (int64_t)ceil(log(0.1) / log(ui->opt.ema));
    char instead[96] = "";
    if (!warmup)
        snprintf(instead, sizeof instead, " (step %lld with --ema-warmup on, the default for new "
                 "runs)", (long long)below_warm);
    ui->ema_noted = true;
    progress_printf("gan train: note: the sample grids show the --ema %g average, which after "
                    "step %lld still holds %.0f%% of the initial (untrained) weights, so they "
                    "look grey; that share falls below 10%% at step %lld%s. `gan sample RUN "
                    "--no-ema` shows the trained generator itself.", ui->opt.ema,
                    (long long)step, 100 * share, (long long)below, instead);
}

static void on_start(void *user, gan_trainer *t, const gan_run_plan *plan) {
    train_ui *ui = user;
    gan_train_options o;
    gan_trainer_options(t, &o);
    char length[96];
    int64_t spe = plan->steps_per_epoch, total = plan->total_steps;
    if (total % spe == 0)
        snprintf(length, sizeof length, "%lld epochs (%lld steps)", (long long)(total / spe),
                 (long long)total);
    else
        snprintf(length, sizeof length, "%lld steps (%.2f epochs)", (long long)total,
                 (double)total / (double)spe);
    if (!ui->quiet)
        fprintf(stderr, "gan train: model %s, %lld images from %s, batch %d, %lld steps/epoch, "
                "%s, seed %llu, loss %s, on %s%s -> %s\n",
                gan_trainer_model_name(t), (long long)gan_dataset_count(ui->data),
                gan_dataset_path(ui->data), o.batch_size, (long long)spe, length,
                (unsigned long long)o.seed, gan_loss_name(o.loss),
                o.device != GAN_DEVICE_CUDA ? "cpu"
                : o.precision == GAN_PRECISION_BF16 ? "cuda (bf16)"
                : o.precision == GAN_PRECISION_TF32 ? "cuda (tf32)" : "cuda",
                train_ranks_describe(gan_trainer_comm(t)), ui->out);
    if ((o.mirror || o.augment) && !ui->quiet) {
        char aug[64];
        gan_augment_format(o.augment, aug, sizeof aug);
        fprintf(stderr, "gan train: augmentation: mirror %s, augment %s\n",
                o.mirror ? "on" : "off", aug);
    }
    if (ui->resume && !ui->quiet) {
        char at[96];
        where(plan->start_step, spe, at, sizeof at);
        fprintf(stderr, "gan train: resumed from %s after step %lld (%s)\n", ui->ckpt,
                (long long)plan->start_step, at);
    }
    ui->opt = o;
    ui->trainer = t;
    ui->total_steps = total;
    progress_begin(&ui->prog, plan->start_step, plan->epochs, spe, total, plan->images_per_step,
                   ui->quiet);
    ui->started = true;
    loop_running = 1;
}

static void on_step(void *user, const gan_step_stats *st) {
    progress_step(&((train_ui *)user)->prog, st);
}

static void on_log(void *user, const gan_step_stats *mean, double images_per_s) {
    progress_line(&((train_ui *)user)->prog, mean, images_per_s);
}

static void on_epoch(void *user, int64_t epoch, const gan_step_stats *mean, const char *samples) {
    train_ui *ui = user;
    progress_epoch(&ui->prog, epoch, mean, samples);
    ema_note(ui, mean->step);
    report_after_epoch(ui->out, &ui->opt, ui->trainer, ui->quiet, &ui->pace,
                       mean->step >= ui->total_steps); /* [report hook] */
}

static gan_status evaluate(void *user, gan_trainer *t, int64_t epoch, const gan_step_stats *mean,
                           char *line, size_t cap) { /* [eval hook] */
    train_ui *ui = user;
    if (train_eval_epoch(ui->eval, t, epoch, mean, line, cap)) return GAN_OK;
    ui->reported = true; /* train_eval printed the error */
    return GAN_ERR_IO;
}

/* ----------------------------------------------------------------- flags */

static void usage(cli_option *opts) {
    printf("usage: gan train --data PATH [--model NAME|FILE] [options]\n"
           "       gan train --resume RUN [--epochs N | --steps N] [--threads N] [--device D]\n\n"
           "Train a GAN (default: the seed MLP model) on a dataset: a folder of images,\n"
           "MNIST-named IDX files, CIFAR-10 batches, a .npy array or a prepared pack.\n"
           "Epochs and steps count from 1 (console, progress bar, log.jsonl, grids).\n"
           "--model names a preset or a model spec file (docs/model-spec.md); the file's\n"
           "`train` section gives defaults that the flags below override.\n"
           "--resume continues a stopped run exactly where its checkpoint left it.\n"
           "Exit status: 0 done, 1 failed, 2 usage error, 130 interrupted.\n\n"
           "options:\n");
    cli_print_options(opts);
}

/* "500" = every 500 steps, "2e" / "2epochs" = every 2 epochs (-2, as
 * gan_run_options.checkpoint_every counts epochs), "0" = only at the end.
 * False on a malformed value. */
static bool parse_every(const char *spec, int64_t *every) {
    char *end;
    errno = 0;
    long long n = strtoll(spec, &end, 10);
    if (end == spec || errno || n < 0) return false;
    if (*end == 0) *every = n;
    else if (strcmp(end, "e") == 0 || strcmp(end, "epoch") == 0 || strcmp(end, "epochs") == 0)
        *every = -n;
    else return false;
    return true;
}

/* The model's `train` section sits between the defaults and the flags: load
 * the model (for `data`'s shape once the data are loaded, NULL before), apply
 * its section to the defaults, then parse the flags again over them. A preset
 * written for the data's shape can carry another section than its file (the
 * resnet above 32 px: spec/auto.c), so the new run applies it twice: before
 * the data load (checking the flags) and after. Prints the error and returns
 * false if the model does not load. */
static bool apply_model_train(int argc, char **argv, cli_option *opts, const char *model,
                              const gan_dataset *data, gan_train_options *opt) {
    gan_spec *spec;
    gan_status s = data ? gan_spec_load_for_data(model, data, &spec) : gan_spec_load(model, &spec);
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
static bool same_model(const char *model, const char *ckpt, const gan_checkpoint_info *info) {
    gan_spec *given = NULL, *saved = NULL;
    gan_status s = gan_checkpoint_read_spec(ckpt, &saved);
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

/* --resume RUN: the checkpoint, checked against the flags; its dataset when
 * --data is not given. Returns 0 to go on, else the exit code. */
static int check_resume(const char *resume, const char *model, const train_flags *tf,
                        const cli_option *opts, const char *const *changeable, char *ckpt,
                        size_t cap, gan_checkpoint_info *info, const char **data_path) {
    if (cli_seen(opts, "out")) {
        cli_error("--out: a resumed run stays in its folder; drop --out");
        return 2;
    }
    if (!run_is_dir(resume)) {
        cli_error("--resume: %s: expected a run folder holding %s", resume, RUN_CHECKPOINT);
        return 2;
    }
    snprintf(ckpt, cap, "%s/%s", resume, RUN_CHECKPOINT);
    gan_status s = gan_checkpoint_read_info(ckpt, info);
    if (s != GAN_OK) return cli_fail(s);
    if (!info->has_options) {
        cli_error("%s: holds weights only, not a resumable checkpoint", ckpt);
        return 1;
    }
    if (cli_seen(opts, "model") && !same_model(model, ckpt, info)) return 2;
    if (!train_flags_agree(tf, opts, changeable, &info->opt, ckpt)) return 2;
    if (!*data_path) *data_path = info->data_path;
    if (!**data_path) {
        cli_error("%s: the checkpoint does not name its dataset; pass --data", ckpt);
        return 2;
    }
    return 0;
}

/* --resume: the data is shaped as the checkpoint's run shaped it (its
 * --resolution, --channels, --crop, --background); a flag that says
 * otherwise contradicts it. Prints the error and returns false. */
static bool resume_data_shape(const cli_option *opts, const gan_checkpoint_info *info,
                              gan_dataset_options *load, const char *ckpt) {
    const gan_dataset_options *was = &info->data_opt;
    static const char *const crops[] = {"center", "none"}, *const bgs[] = {"white", "black"};
    struct {
        const char *flag;
        int *given;
        int saved;
        const char *const *names;
    } f[] = {{"resolution", &load->resolution, was->resolution, NULL},
             {"channels", &load->channels, was->channels, NULL},
             {"crop", (int *)&load->crop, (int)was->crop, crops},
             {"background", (int *)&load->background, (int)was->background, bgs}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (!cli_seen(opts, f[i].flag)) {
            *f[i].given = f[i].saved;
            continue;
        }
        if (*f[i].given == f[i].saved) continue;
        char given[32], saved[32];
        snprintf(given, sizeof given, "%s", f[i].names ? f[i].names[*f[i].given & 1] : "");
        snprintf(saved, sizeof saved, "%s", f[i].names ? f[i].names[f[i].saved & 1] : "");
        if (!f[i].names) {
            snprintf(given, sizeof given, "%d", *f[i].given);
            snprintf(saved, sizeof saved, "%d", f[i].saved);
        }
        cli_error("--%s %s contradicts the checkpoint %s (its data was shaped with --%s %s); a "
                  "resumed run keeps its data's shape: drop the flag", f[i].flag, given, ckpt,
                  f[i].flag, saved);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------ train */

/* The schedule the flags ask for: --epochs alone trains that many epochs
 * (an earlier --steps limit goes), --steps alone that many steps (the
 * epochs grow to hold them), both: whichever ends first. */
static gan_status set_schedule(gan_trainer *t, const gan_train_options *opt,
                               const cli_option *opts) {
    bool epochs_given = cli_seen(opts, "epochs"), steps_given = cli_seen(opts, "steps");
    if (!epochs_given && !steps_given) return GAN_OK;
    gan_train_options cur;
    gan_trainer_options(t, &cur);
    int64_t epochs = epochs_given ? opt->epochs : cur.epochs;
    int64_t steps = steps_given ? opt->max_steps : epochs_given ? 0 : cur.max_steps;
    int64_t spe = gan_trainer_steps_per_epoch(t);
    if (steps_given && !epochs_given && steps > 0 && spe > 0 && (steps + spe - 1) / spe > epochs)
        epochs = (steps + spe - 1) / spe;
    return gan_trainer_set_schedule(t, epochs > 2147483647 ? 2147483647 : (int)epochs, steps);
}

/* --allow-change LIST: the option keys a resumed run may change ("lr":
 * lr, lr_g, lr_d; "epochs": epochs, max_steps, which --epochs and --steps
 * may always extend). Prints the error and returns false for an unknown
 * item. */
static bool parse_allow_change(const char *list, bool *lr) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    *lr = false;
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        if (strcmp(item, "lr") == 0) *lr = true;
        else if (strcmp(item, "epochs") != 0) {
            cli_error("--allow-change: '%s' is not lr or epochs (what a resumed run may change)",
                      item);
            return false;
        }
    }
    return true;
}

/* A new run from another's weights: --init-from RUN (both networks) or
 * --init-from-g RUN (the generator). */
typedef struct init_from {
    const char *run;
    bool g_only;
} init_from;

/* The trainer: new (from another run's weights with --init-from), or
 * resumed with a new --epochs / --steps and, allowed, learning rates; what
 * a resume changed goes into `note` (a log line) or stays "". */
static gan_status make_trainer(const char *resume, const char *ckpt, const char *model,
                               const gan_train_options *opt, const cli_option *opts,
                               const init_from *from, bool lr_changeable,
                               const gan_dataset *data, gan_comm *comm, gan_trainer **t,
                               char *note, size_t cap) {
    note[0] = 0;
    if (!resume) {
        gan_status s = gan_trainer_create_comm(model, opt, data, comm, t);
        if (s == GAN_OK && from->run) {
            char path[1200];
            run_checkpoint_path(from->run, path, sizeof path);
            s = gan_trainer_init_from(*t, path, from->g_only);
        }
        return s == GAN_OK ? set_schedule(*t, opt, opts) : s;
    }
    gan_status s = gan_trainer_resume_comm(ckpt, data, opt, comm, t);
    if (s != GAN_OK) return s;
    gan_train_options was, now;
    gan_trainer_options(*t, &was);
    if ((s = set_schedule(*t, opt, opts)) != GAN_OK) return s;
    if (lr_changeable) {
        bool lr = cli_seen(opts, "lr");
        float g = cli_seen(opts, "lr-g") ? opt->lr_g : lr ? opt->lr : was.lr_g;
        float d = cli_seen(opts, "lr-d") ? opt->lr_d : lr ? opt->lr : was.lr_d;
        if ((s = gan_trainer_set_learning_rates(*t, g, d)) != GAN_OK) return s;
    }
    gan_trainer_options(*t, &now);
    char changed[512] = "";
    size_t n = 0;
#define CHANGED(key, fmt, a, b)                                                                    \
    if ((a) != (b) && n < sizeof changed)                                                          \
        n += (size_t)snprintf(changed + n, sizeof changed - n, "%s\"" key "\": [" fmt ", " fmt "]", \
                              n ? ", " : "", a, b);
    CHANGED("lr_g", "%g", (double)was.lr_g, (double)now.lr_g)
    CHANGED("lr_d", "%g", (double)was.lr_d, (double)now.lr_d)
    CHANGED("epochs", "%d", was.epochs, now.epochs)
    CHANGED("max_steps", "%lld", (long long)was.max_steps, (long long)now.max_steps)
#undef CHANGED
    if (n)
        snprintf(note, cap, "{\"step\": %lld, \"event\": \"resume\", \"changed\": {%s}}",
                 (long long)gan_trainer_step_count(*t), changed);
    return GAN_OK;
}

/* A resumed run that has nothing left to do: say why, in the flags' words. */
static void already_done(const char *ckpt, gan_trainer *t, const cli_option *opts) {
    int64_t at = gan_trainer_step_count(t), total = gan_trainer_planned_steps(t);
    char here[96];
    where(at, gan_trainer_steps_per_epoch(t), here, sizeof here);
    gan_train_options o;
    gan_trainer_options(t, &o);
    if (!cli_seen(opts, "epochs") && !cli_seen(opts, "steps"))
        cli_error("%s: the run is complete (step %lld, %s); pass --epochs N or --steps N "
                  "beyond that to train further", ckpt, (long long)at, here);
    else
        cli_error("%s: the run is already at step %lld (%s) and --epochs %d%s ends at step "
                  "%lld; pass a larger --epochs or --steps", ckpt, (long long)at, here, o.epochs,
                  o.max_steps ? " with --steps" : "", (long long)total);
}


/* How the run ended, in one line (or two with an error); the exit code. */
static int report(gan_status s, const gan_run_result *res, const train_ui *ui,
                  const char *latest) {
    if (s != GAN_OK && !ui->reported) train_flags_report();
    char saved[1500];
    if (res->saved_step >= 0)
        snprintf(saved, sizeof saved, "the last checkpoint (step %lld) is intact in %s",
                 (long long)res->saved_step, ui->ckpt);
    else snprintf(saved, sizeof saved, "no checkpoint was saved");
    if (res->stopped && s == GAN_OK) {
        fprintf(stderr, "gan train: stopped by signal at step %lld; checkpoint saved to %s; "
                "resume with: gan train --resume %s\n", (long long)res->step, ui->ckpt, ui->out);
        return 130;
    }
    if (res->stopped) {
        fprintf(stderr, "gan train: stopped by signal at step %lld; %s\n", (long long)res->step,
                saved);
        return 130;
    }
    if (s != GAN_OK) { /* a failure while preparing the run needs no more words */
        if (ui->started) fprintf(stderr, "gan train: %s\n", saved);
        return 1;
    }
    if (!ui->quiet)
        fprintf(stderr, "gan train: done: step %lld in %.1f s; samples in %s, checkpoint in %s\n",
                (long long)res->step, res->seconds, latest, ui->ckpt);
    return 0;
}

static int train(int argc, char **argv, gan_comm **comm);

int cmd_train(int argc, char **argv) {
    gan_comm *comm = NULL;
    int rc = train(argc, argv, &comm);
    return train_ranks_close(comm, rc);
}

static int train(int argc, char **argv, gan_comm **comm) {
    catch_signals();
    gan_train_options opt;
    gan_train_options_default(&opt);
    gan_run_options ro;
    gan_run_options_default(&ro);
    const char *data_path = NULL, *out = "runs/train", *model = "mlp", *resume = NULL;
    const char *every_spec = "1e", *allow_change = NULL;
    init_from from = {0};
    const char *from_g = NULL;
    bool quiet = false, overwrite = false;
    train_eval_config eval_cfg = TRAIN_EVAL_DEFAULTS; /* [eval hook] */
    data_cli data_opts = {0};                         /* [data options] */
    train_flags tf;
    cli_option opts[TRAIN_FLAGS_MAX + 40] = {
        {"data", CLI_STRING, &data_path, "PATH", "dataset folder or images file (required; "
         "with --resume: the run's data by default)", 0},
        {"model", CLI_STRING, &model, "NAME|FILE", "a preset (mlp: the seed model; dcgan; resnet; "
         "cgan, cdcgan, cresnet: class-conditional, the data need labels) or a model spec file "
         "(docs/model-spec.md)", 0},
    };
    int n = 2 + train_flags_add(&tf, &opt, opts, 2);
    cli_option tail[] = {
        {"out", CLI_STRING, &out, "DIR", "run folder (default runs/train)", 0},
        {"resume", CLI_STRING, &resume, "RUN", "continue the run in folder RUN exactly where "
         "it stopped", 0},
        {"allow-change", CLI_STRING, &allow_change, "LIST", "with --resume: what may change, "
         "comma-separated: lr (--lr, --lr-g, --lr-d), epochs (--epochs, --steps); recorded in "
         "the log", 0},
        {"init-from", CLI_STRING, &from.run, "RUN", "a new run starting from RUN's weights (both "
         "networks; same shapes), with fresh optimizer state and its own options", 0},
        {"init-from-g", CLI_STRING, &from_g, "RUN", "the same for the generator only", 0},
        {"checkpoint-every", CLI_STRING, &every_spec, "N|Ne", "checkpoint every N steps or N "
         "epochs (default 1e; 0 = only at the end)", 0},
        {"overwrite", CLI_FLAG, &overwrite, NULL, "replace a run already in --out", 0},
        {"log-every", CLI_INT, &ro.log_every, "N", "steps between log lines (default 100)", 0},
        {"sample-rows", CLI_INT, &ro.sample_rows, "N", "sample grid is N x N images; conditional "
         "models: one row per class, N columns (default 8)", 0},
        {"upscale", CLI_INT, &ro.grid_scale, "K", "sample grids' pixels enlarged K x K, nearest "
         "neighbour (default: the smallest K that makes a grid at least 512 pixels wide)", 0},
        {"quiet", CLI_FLAG, &quiet, NULL, "print only errors", 0},
        TRAIN_EVAL_OPTIONS(eval_cfg), /* [eval hook] */
        DATA_CLI_OPTIONS(&data_opts), /* [data options] */
        {0},
    };
    _Static_assert(sizeof tail / sizeof *tail <= 38, "opts has no room for the tail");
    memcpy(opts + n, tail, sizeof tail);
    int parsed = cli_parse_command(argc, argv, 2, opts, usage, NULL, 0, NULL);
    if (parsed >= 0) return parsed;
    if (!resume && !apply_model_train(argc, argv, opts, model, NULL, &opt)) return 1;
    if (!train_flags_finish(&tf, opts)) return 2;
    if (ro.log_every < 1) {
        cli_error("--log-every: %d must be at least 1", ro.log_every);
        return 2;
    }
    if (ro.sample_rows < 1 || ro.sample_rows > 16) {
        cli_error("--sample-rows: %d is out of range [1, 16]", ro.sample_rows);
        return 2;
    }
    if (ro.grid_scale < 0 || ro.grid_scale > GAN_GRID_MAX_SCALE) {
        cli_error("--upscale: %d is out of range [1, %d]", ro.grid_scale, GAN_GRID_MAX_SCALE);
        return 2;
    }
    if (opt.allow_tf32 && opt.device != GAN_DEVICE_CUDA) {
        cli_error("--tf32 needs --device cuda");
        return 2;
    }
    if (opt.precision != GAN_PRECISION_FP32 && opt.device != GAN_DEVICE_CUDA) {
        cli_error("--precision %s needs --device cuda (the CPU trains in fp32)",
                  gan_precision_names[opt.precision]);
        return 2;
    }
    if (opt.allow_tf32 && cli_seen(opts, "precision") && opt.precision != GAN_PRECISION_TF32) {
        cli_error("--tf32 is --precision tf32: it contradicts --precision %s",
                  gan_precision_names[opt.precision]);
        return 2;
    }
    if (cli_seen(opts, "clip") && opt.loss != GAN_LOSS_WASSERSTEIN && !resume) {
        cli_error("--clip: applies only to --loss wasserstein (weight clipping)");
        return 2;
    }
    if (!train_eval_check(&eval_cfg)) return 2; /* [eval hook] */
    if (!parse_every(every_spec, &ro.checkpoint_every)) {
        cli_error("--checkpoint-every: '%s' is not N (steps) or Ne (epochs)", every_spec);
        return 2;
    }

    if (!train_ranks_open(opt.device, &quiet, comm)) return 1;
    bool lr_changeable = false;
    static const char *const lr_keys[] = {"lr", "lr_g", "lr_d", NULL};
    if (allow_change && !resume) {
        cli_error("--allow-change: applies to --resume");
        return 2;
    }
    if (allow_change && !parse_allow_change(allow_change, &lr_changeable)) return 2;
    if (from.run && from_g) {
        cli_error("--init-from and --init-from-g each name the weights to start from: give one");
        return 2;
    }
    if (from_g) from.run = from_g, from.g_only = true;
    if (from.run && resume) {
        cli_error("--%s: a resumed run continues its own weights; drop it or --resume",
                  from.g_only ? "init-from-g" : "init-from");
        return 2;
    }

    char ckpt[1200], latest[1200], note[768];
    gan_checkpoint_info info;
    if (resume) {
        int rc = check_resume(resume, model, &tf, opts, lr_changeable ? lr_keys : NULL, ckpt,
                              sizeof ckpt, &info, &data_path);
        if (rc) return rc;
        out = resume;
        snprintf(interrupted_msg, sizeof interrupted_msg, "gan train: interrupted before "
                 "training; nothing was saved (%s is unchanged, step %lld)\n", ckpt,
                 (long long)info.step);
        interrupted_len = strlen(interrupted_msg);
    } else if (!data_path) {
        cli_error("--data is required (a folder with MNIST-named IDX files, or an images file)");
        return 2;
    }
    snprintf(ckpt, sizeof ckpt, "%s/%s", out, RUN_CHECKPOINT);
    snprintf(latest, sizeof latest, "%s/%s", out, GAN_RUN_SAMPLES);
    train_ranks_watch(*comm, ckpt);
    if (resume) train_ranks_resume_note(*comm, info.ranks, ckpt);
    if (!resume && !overwrite && run_file_exists(ckpt)) {
        cli_error("%s already holds a run (%s); resume it with --resume %s, choose another "
                  "--out or pass --overwrite", out, RUN_CHECKPOINT, out);
        return 2;
    }

    gan_dataset *data = NULL;
    gan_trainer *t = NULL;
    gan_dataset_options data_load; /* [data options] */
    if (!data_cli_options(&data_opts, &data_load)) return 2;
    if (resume && !resume_data_shape(opts, &info, &data_load, ckpt)) return 2;
    data_load.threads = opt.threads > 0 ? opt.threads : 0; /* the trainer reports a bad --threads */
    gan_status s = data_cli_load(data_path, GAN_SPLIT_TRAIN, &data_load, quiet, &data);
    if (s == GAN_OK && !resume) /* [data options] a folder at a size the model takes */
        s = data_cli_fit_model(data_path, model, &data_load, quiet, &data);
    if (s == GAN_OK && !resume && /* the train section of the spec for the data's shape */
        !(apply_model_train(argc, argv, opts, model, data, &opt) &&
          train_flags_finish(&tf, opts))) {
        gan_dataset_free(data);
        return 1;
    }
    if (s == GAN_OK)
        s = make_trainer(resume, ckpt, model, &opt, opts, &from, lr_changeable, data, *comm, &t,
                         note, sizeof note);
    if (s != GAN_OK) { /* a trainer made before a later step failed (init-from, schedule) */
        gan_trainer_free(t);
        gan_dataset_free(data);
        train_flags_report();
        return 1;
    }
    int rc = 2;
    int64_t at = gan_trainer_step_count(t), total = gan_trainer_planned_steps(t);
    train_ui ui = {.quiet = quiet, .resume = resume != NULL, .out = out, .ckpt = ckpt,
                   .data = data};
    if (at >= total) {
        already_done(ckpt, t, opts);
        goto done;
    }
    rc = 1;
    if (!train_eval_begin(&eval_cfg, t, data, out, resume, quiet, &ui.eval)) /* [eval hook] */
        goto done;
    ro.out = out;
    ro.resume = resume != NULL;
    ro.stop = &stop_requested;
    ro.user = &ui;
    ro.on_start = on_start, ro.on_step = on_step, ro.on_log = on_log, ro.on_epoch = on_epoch;
    ro.evaluate = evaluate; /* [eval hook] */
    ro.log_note = note[0] ? note : NULL;
    /* Checkpoints in the background (a snapshot in memory, the size of the
     * checkpoint: +35 MB resident for the seed model) where a checkpoint's
     * write is a real share of an epoch: on a GPU (a seed epoch: 0.3 s; the
     * write: ~50 ms). On the CPU an epoch is 10 s or more, so the write is
     * synchronous and the memory stays free. GAN_CHECKPOINT_SYNC=1 / 0 forces
     * either. */
    const char *sync = getenv("GAN_CHECKPOINT_SYNC");
    gan_train_options topt;
    gan_trainer_options(t, &topt);
    ro.checkpoint_sync = sync && *sync ? strcmp(sync, "0") != 0 : topt.device != GAN_DEVICE_CUDA;
    if (note[0] && !quiet) fprintf(stderr, "gan train: resumed with changes: %s\n", note);
    gan_run_result res;
    s = gan_train_run(t, &ro, &res);
    if (ui.trainer) report_finish(out, &ui.opt, ui.trainer, ui.quiet, &ui.pace); /* [report hook] */
    progress_end(&ui.prog);
    rc = report(s, &res, &ui, latest);
done:
    train_eval_free(ui.eval); /* [eval hook] */
    gan_trainer_free(t);
    gan_dataset_free(data);
    return rc;
}
