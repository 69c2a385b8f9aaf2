/*
 * data_cli.c - dataset options and the reporting load (see data_cli.h).
 */
#include "data_cli.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool data_cli_options(const data_cli *d, gan_dataset_options *out) {
    gan_dataset_options_default(out);
    out->resolution = d->resolution;
    out->channels = d->channels;
    out->strict = d->strict;
    if (d->resolution < 0 || d->resolution > 4096) {
        cli_error("--resolution %d: expected 1..4096", d->resolution);
        return false;
    }
    if (d->channels != 0 && d->channels != 1 && d->channels != 3) {
        cli_error("--channels %d: expected 1 or 3", d->channels);
        return false;
    }
    if (d->crop && strcmp(d->crop, "center") == 0) out->crop = GAN_CROP_CENTER;
    else if (d->crop && strcmp(d->crop, "none") == 0) out->crop = GAN_CROP_NONE;
    else if (d->crop) {
        cli_error("--crop %s: expected center or none", d->crop);
        return false;
    }
    if (d->background && strcmp(d->background, "white") == 0) out->background = GAN_BACKGROUND_WHITE;
    else if (d->background && strcmp(d->background, "black") == 0) out->background = GAN_BACKGROUND_BLACK;
    else if (d->background) {
        cli_error("--background %s: expected white or black", d->background);
        return false;
    }
    return true;
}

typedef struct progress_state {
    bool tty;
    int shown; /* last percentage printed */
} progress_state;

static void data_cli_progress(void *user, int64_t done, int64_t total) {
    progress_state *p = user;
    int pct = total ? (int)(100 * done / total) : 100;
    if (pct == p->shown) return;
    p->shown = pct;
    if (p->tty) {
        int bar = pct / 4;
        fprintf(stderr, "\rgan: decoding %lld/%lld images [%.*s%*s] %3d%%", (long long)done, (long long)total,
                bar, "#########################", 25 - bar, "", pct);
        if (done == total) fputc('\n', stderr);
    } else if (pct % 25 == 0) {
        fprintf(stderr, "gan: decoding %lld/%lld images (%d%%)\n", (long long)done, (long long)total, pct);
    }
}

gan_status data_cli_load(const char *path, gan_split split, const gan_dataset_options *opt, bool quiet,
                         gan_dataset **out) {
    gan_dataset_options o = *opt;
    progress_state ps = {isatty(2) != 0, -1};
    if (!quiet) {
        o.progress = data_cli_progress;
        o.progress_user = &ps;
    }
    gan_status s = gan_dataset_load_with(path, split, &o, out);
    if (s != GAN_OK || quiet) return s;
    const gan_dataset_summary *sm = gan_dataset_get_summary(*out);
    if (sm->files == 0) return GAN_OK;
    int c, h, w;
    gan_dataset_shape(*out, &c, &h, &w);
    if (sm->cache_hit)
        fprintf(stderr, "gan: %s: %lld images read from the prepared cache %s\n", path,
                (long long)gan_dataset_count(*out), sm->cache_path);
    else
        fprintf(stderr, "gan: %s: decoded %lld images to %dx%dx%d (%lld not square, %lld enlarged)%s%s\n", path,
                (long long)gan_dataset_count(*out), c, h, w, (long long)sm->non_square, (long long)sm->smaller,
                sm->cache_written ? "; cache: " : "", sm->cache_written ? sm->cache_path : "");
    if (!sm->cache_hit && opt->resolution == 0)
        fprintf(stderr, "gan: %d x %d: the most common shorter side of the images%s; --resolution R "
                "chooses another (32 or 64 train much faster)\n", h, w,
                2 * sm->smaller > gan_dataset_count(*out) ? ", most were enlarged to it" : "");
    if (sm->cache_note[0]) fprintf(stderr, "gan: warning: no cache written: %s\n", sm->cache_note);
    if (sm->skipped) {
        fprintf(stderr, "gan: warning: skipped %lld of %lld files that are not decodable images:", (long long)sm->skipped,
                (long long)sm->files);
        for (int i = 0; i < GAN_DATASET_SUMMARY_NAMES && sm->skipped_names[i][0]; i++)
            fprintf(stderr, "%s %s", i ? ";" : "", sm->skipped_names[i]);
        fprintf(stderr, "%s\n", sm->skipped > GAN_DATASET_SUMMARY_NAMES ? "; ..." : "");
    }
    return GAN_OK;
}

gan_status data_cli_fit_model(const char *path, const char *model, gan_dataset_options *opt,
                              bool quiet, gan_dataset **data) {
    int c, h, w;
    gan_dataset_shape(*data, &c, &h, &w);
    if (opt->resolution != 0 || h != w || strcmp(gan_dataset_format(*data), "folder") != 0)
        return GAN_OK;
    int classes = gan_dataset_class_count(*data);
    gan_spec *sp = NULL;
    gan_status s = gan_spec_load_for_shape(model, c, h, w, classes, &sp);
    gan_spec_free(sp);
    if (s != GAN_ERR_SHAPE) return GAN_OK; /* fits, or fails for another reason, said later */
    /* the size nearest to h (in ratio; ties: the larger) that the model takes */
    int best = 0;
    for (int r = 8; r <= 1024; r++) {
        if (best && fabs(log((double)r / h)) > fabs(log((double)best / h))) continue;
        sp = NULL;
        bool ok = gan_spec_load_for_shape(model, c, r, r, classes, &sp) == GAN_OK;
        gan_spec_free(sp);
        if (ok) best = r;
    }
    if (!best) return GAN_OK;
    if (!quiet)
        fprintf(stderr, "gan: model '%s' cannot take %d x %d images; loading them at %d x %d, the "
                "nearest size it takes (--resolution R chooses)\n", model, h, w, best, best);
    gan_dataset_free(*data);
    *data = NULL;
    opt->resolution = best;
    return data_cli_load(path, GAN_SPLIT_TRAIN, opt, quiet, data);
}
