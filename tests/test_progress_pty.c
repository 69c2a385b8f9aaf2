/*
 * test_progress_pty.c - the progress bar on a terminal of 60, 80 and 200
 * columns (a pseudo-terminal whose size is set with TIOCSWINSZ): the output
 * is replayed through a small terminal model (\r, ESC[K, \n, printable
 * characters; a character past the last column wraps) and checked:
 *   - every drawing of the bar fits in the terminal's width (no wrap, so no
 *     stale half-lines pile up);
 *   - no message (an evaluation line, an error, an epoch summary) shares a
 *     line with the bar: each ends on a line of its own;
 *   - a run that ends inside an epoch counts steps ("step 62/300"), one of
 *     whole epochs counts epochs ("epoch 2/3").
 * Once in-process (tools/progress.c driven step by step, with a message and
 * an error in the middle of the bar) and once end to end (`gan train` on a
 * tiny model).
 */
#define _DEFAULT_SOURCE /* forkpty, TIOCGWINSZ: before progress.c defines it */
#include "../tools/cli.c"
#include "../tools/progress.c"
#include "../tools/run_folder.c"
#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>

/* ------------------------------------------------------- terminal model */

typedef struct screen {
    int width;
    char line[1024]; /* the current line as shown */
    int col;
    int bar_lines, message_lines, wraps_in_bar, mixed;
    char mixed_example[1100];
} screen;

static bool is_bar(const char *s) {
    return strstr(s, "ETA ") || strstr(s, "img/s") || strstr(s, " [#") || strstr(s, " [.");
}

static bool is_message(const char *s) {
    return strstr(s, "gan train:") || strstr(s, "gan: error:") || strstr(s, " done");
}

/* The line is final (a newline): classify it. */
static void end_line(screen *sc) {
    bool bar = is_bar(sc->line), msg = is_message(sc->line);
    if (bar && msg && !sc->mixed++)
        snprintf(sc->mixed_example, sizeof sc->mixed_example, "%s", sc->line);
    sc->bar_lines += bar && !msg;
    sc->message_lines += msg;
    sc->line[0] = 0;
    sc->col = 0;
}

static void feed(screen *sc, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\r') {
            sc->col = 0;
        } else if (c == '\n') {
            end_line(sc);
        } else if (c == '\033' && i + 2 < n && s[i + 1] == '[' && s[i + 2] == 'K') {
            sc->line[sc->col] = 0;
            i += 2;
        } else if ((unsigned char)c >= 32) {
            if (sc->col >= sc->width) { /* the terminal wraps: a new row begins */
                if (is_bar(sc->line)) sc->wraps_in_bar++;
                end_line(sc);
            }
            size_t len = strlen(sc->line);
            sc->line[sc->col] = c;
            if ((size_t)sc->col >= len) sc->line[sc->col + 1] = 0;
            sc->col++;
        }
    }
}

/* Run `child` on a pty of `width` columns; feed its output to `sc` until it
 * exits (deadline: 300 s). Returns its exit status. */
static int on_pty(int width, void (*child)(void *), void *arg, screen *sc) {
    *sc = (screen){.width = width};
    struct winsize ws = {.ws_row = 40, .ws_col = (unsigned short)width};
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, &ws);
    if (pid < 0) return -1;
    if (pid == 0) {
        unsetenv("COLUMNS");
        child(arg);
        _exit(0);
    }
    char buf[4096];
    double deadline = progress_now() + 300;
    for (;;) {
        struct pollfd pfd = {master, POLLIN, 0};
        int r = poll(&pfd, 1, 1000);
        if (r > 0) {
            ssize_t got = read(master, buf, sizeof buf);
            if (got <= 0) break; /* EIO: the child closed the terminal */
            feed(sc, buf, (size_t)got);
        } else if (progress_now() > deadline) {
            kill(pid, SIGKILL);
            break;
        }
    }
    if (sc->line[0]) end_line(sc);
    close(master);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* -------------------------------------------------- the bar in-process */

static void drive(void *arg) {
    bool partial = *(bool *)arg;
    progress p;
    int64_t spe = 100, total = partial ? 62 : 300;
    progress_begin(&p, 0, (total + spe - 1) / spe, spe, total, 64, false);
    for (int64_t s = 1; s <= total; s++) {
        gan_step_stats st = {.step = s, .epoch = (s - 1) / spe, .loss_d = 0.693f,
                             .loss_g = 0.7f, .d_real = 0.5f, .d_fake = 0.5f};
        p.last_draw = 0; /* draw every step */
        p.rate = 1234;
        progress_step(&p, &st);
        if (s == 30) progress_printf("gan train: eval after epoch 1: FID 12.345, coverage 0.5 "
                                     "(2000 images, 1.0 s) - best so far, saved best.safetensors");
        if (s == 40) cli_error("--x: an error in the middle of the bar");
        if (s % spe == 0 || s == total) progress_epoch(&p, st.epoch + 1, &st, "samples.png");
    }
    progress_end(&p);
    fflush(stderr);
}

static void check_in_process(int width) {
    for (int partial = 0; partial < 2; partial++) {
        bool part = partial;
        screen sc;
        CHECK(on_pty(width, drive, &part, &sc) == 0);
        CHECK_MSG(sc.wraps_in_bar == 0, "%d columns: the bar wrapped %d times", width,
                  sc.wraps_in_bar);
        CHECK_MSG(sc.mixed == 0, "%d columns: a message shares the bar's line: '%s'", width,
                  sc.mixed_example);
        CHECK_MSG(sc.message_lines >= 3, "%d columns: %d message lines", width, sc.message_lines);
        /* the text itself, at this width */
        progress p;
        progress_begin(&p, 0, part ? 1 : 3, 100, part ? 62 : 300, 64, true);
        gan_step_stats st = {.step = 62, .loss_d = 1, .loss_g = 1};
        char line[512];
        progress_format(&p, &st, width, line, sizeof line);
        progress_end(&p);
        CHECK_MSG((int)strlen(line) <= width - 1, "%d columns: '%s'", width, line);
        CHECK_MSG(strncmp(line, part ? "step 62/62" : "epoch 1/3", part ? 10 : 9) == 0,
                  "'%s'", line);
        CHECK_MSG(width < 80 || strstr(line, "ETA") , "%d columns, no ETA: '%s'", width, line);
    }
}

/* ------------------------------------------------------- `gan train` */

typedef struct train_args {
    const char *cli, *images, *model, *out, *extra;
} train_args;

static void train_child(void *arg) {
    const train_args *a = arg;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "exec %s train --data %s --model %s --threads 1 --out %s "
             "--overwrite %s", a->cli, a->images, a->model, a->out, a->extra);
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
}

static const char tiny[] = "image 1 8 8\nlatent 8\ngenerator\n  dense 32\n  leaky_relu 0.2\n"
                           "  dense 64\n  tanh\n  reshape 1 8 8\ndiscriminator\n  flatten\n"
                           "  dense 16\n  leaky_relu 0.2\n  dense 1\ntrain\n  batch_size 16\n";

/* `gan train` at `width` columns: a run that ends inside an epoch (with
 * the EMA note) or one of whole epochs. */
static void check_train(int width, const train_args *base, int kind) {
    const char *extras[] = {"--steps 25 --ema 0.99", "--epochs 3"};
    {
        train_args a = *base;
        a.extra = extras[kind];
        screen sc;
        CHECK_MSG(on_pty(width, train_child, &a, &sc) == 0, "gan train %s on a pty failed",
                  a.extra);
        CHECK_MSG(sc.wraps_in_bar == 0 && sc.mixed == 0, "%d columns, %s: %d wraps, mixed '%s'",
                  width, a.extra, sc.wraps_in_bar, sc.mixed_example);
        CHECK_MSG(sc.message_lines >= 3, "%d columns: %d message lines", width, sc.message_lines);
    }
}

int main(void) {
    int widths[] = {60, 80, 200};
    for (int i = 0; i < 3; i++) check_in_process(widths[i]);

    const char *cli_path = getenv("GAN_CLI") ? getenv("GAN_CLI") : "./gan";
    train_args a = {cli_path, test_write_images("pty-images-idx3-ubyte", 160, 8),
                    test_tmp_path_kept("pty.gan"), test_tmp_path_kept("pty-run"), ""};
    CHECK(a.images && test_write_file(a.model, tiny, sizeof tiny - 1) == 0);
    for (int i = 0; i < 3; i++) check_train(widths[i], &a, i % 2);
    /* off a terminal, the width comes from $COLUMNS, else 80 */
    if (!isatty(STDERR_FILENO)) {
        setenv("COLUMNS", "77", 1);
        CHECK(progress_columns() == 77);
        unsetenv("COLUMNS");
        CHECK(progress_columns() == 80);
    }
    return test_report();
}
