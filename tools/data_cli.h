/*
 * data_cli.h - the dataset options shared by `gan train` and `gan data`:
 * --resolution, --channels, --crop, --background, --strict, and a load that
 * shows decoding progress and prints the one summary warning (skipped files,
 * cache location).
 */
#ifndef GAN_DATA_CLI_H
#define GAN_DATA_CLI_H

#include "cli.h"

typedef struct data_cli {
    int resolution;
    int channels;
    const char *crop;       /* "center" | "none" */
    const char *background; /* "white" | "black" */
    bool strict;
} data_cli;

/* Entries for a cli_option table (splice into the array literal). */
#define DATA_CLI_OPTIONS(d)                                                                           \
    {"resolution", CLI_INT, &(d)->resolution, "R", "images become R x R (default: the data's own)", 0}, \
    {"channels", CLI_INT, &(d)->channels, "1|3", "grey or RGB (default: the data's own)", 0},         \
    {"crop", CLI_STRING, &(d)->crop, "center|none", "non-square images: centre crop (default) or "     \
     "letterbox", 0},                                                                               \
    {"background", CLI_STRING, &(d)->background, "white|black", "colour under transparent pixels "     \
     "(default white)", 0},                                                                         \
    {"strict", CLI_FLAG, &(d)->strict, NULL, "an undecodable file in a folder is an error, not a "     \
     "warning", 0}

/* The options as gan_dataset_options; prints the error and returns false
 * for a bad --crop or --background value. */
bool data_cli_options(const data_cli *d, gan_dataset_options *out);

/* Load with a progress line on stderr (unless quiet) and the summary:
 * where the cache is, and one warning naming up to 5 skipped files.
 * Returns the status; the caller reports a failure with cli_fail. */
gan_status data_cli_load(const char *path, gan_split split, const gan_dataset_options *opt, bool quiet,
                         gan_dataset **out);

/* A folder loaded at its own size (opt->resolution 0) that preset `model`
 * cannot take (a DCGAN needs s x 2^k pixels, s in 4..7) is loaded again at
 * the nearest size it takes, said on stderr; opt->resolution records it.
 * GAN_OK and nothing done otherwise. */
gan_status data_cli_fit_model(const char *path, const char *model, gan_dataset_options *opt,
                              bool quiet, gan_dataset **data);

#endif /* GAN_DATA_CLI_H */
