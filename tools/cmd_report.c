/*
 * cmd_report.c - `gan report RUN`: write the run's training report
 * (RUN/report.html, see report.h), or print its summary with --text.
 */
#include "cli.h"
#include "report.h"

#include <stdio.h>

static void usage(cli_option *opts) {
    printf("usage: gan report RUN [--text] [options]\n\n"
           "Write RUN/report.html: one self-contained page (no network, opens from file://)\n"
           "with the training curves, the FID curve of --eval-every, the sample grid of each\n"
           "epoch, the model and options, the time per epoch, and a live generator compiled\n"
           "to WebAssembly (needs clang with wasi-libc). gan train refreshes it after each\n"
           "epoch. --text prints a summary with sparklines instead.\n\noptions:\n");
    cli_print_options(opts);
}

int cmd_report(int argc, char **argv) {
    bool as_text = false, no_generator = false;
    int width = 48;
    const char *device = NULL;
    cli_option opts[] = {
        {"text", CLI_FLAG, &as_text, NULL, "print a summary and sparkline curves instead", 0},
        {"width", CLI_INT, &width, "N", "--text: sparkline width in characters (default 48)", 0},
        {"no-generator", CLI_FLAG, &no_generator, NULL, "leave out the live generator", 0},
        {"device", CLI_STRING, &device, "NAME", "the device to name in the page (default: what "
         "gan train recorded)", 0},
        {0},
    };
    const char *pos[1];
    int npos;
    bool help;
    if (!cli_parse(argc, argv, 2, opts, pos, 1, &npos, &help)) return 2;
    if (help) {
        usage(opts);
        return 0;
    }
    if (npos != 1) {
        cli_error("expected one RUN folder (see gan report --help)");
        return 2;
    }
    if (width < 8 || width > 512) {
        cli_error("--width: %d is out of range [8, 512]", width);
        return 2;
    }
    if (as_text) {
        gan_status s = report_print_text(stdout, pos[0], width);
        return s == GAN_OK ? 0 : cli_fail(s);
    }
    report_options o = {.device = device, .no_generator = no_generator};
    report_result r;
    gan_status s = report_write(pos[0], &o, &r);
    if (s != GAN_OK) return cli_fail(s);
    fprintf(stderr, "gan report: %s/report.html (%.1f MB)%s%s\n", pos[0], r.bytes / 1e6,
            r.has_generator ? ", with the live generator" : "; no live generator: ",
            r.has_generator ? "" : r.note);
    return 0;
}
