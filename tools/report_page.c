/*
 * report_page.c - write RUN/report.html (report.h): gather the log, the
 * sample grids, `gan inspect`'s text and the live generator into one JSON
 * block, and fill the page template (web/report.html, compiled in with its
 * CSS, JS and uPlot) with it. Images and the WebAssembly module are inlined
 * as base64, so the page needs nothing but itself.
 */
#define _POSIX_C_SOURCE 200809L
#include "report.h"
#include "gan_report_assets.h"
#include "inspect.h"
#include "report_log.h"
#include "report_wasm.h"
#include "run_folder.h"

#define REPORT_MAX_GENERATOR_WEIGHTS (16 * 1024 * 1024) /* a page of at most ~90 MB */

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Rows drawn at most (report_log_pick keeps every curve's extremes). */
#define REPORT_MAX_POINTS 4000

/* A growing text buffer; `failed` latches a failure. With a sink (the page
 * being written), whatever passes PAGE_FLUSH_BYTES goes to the file, so the
 * page (8 MB with a live generator) is never in memory whole. */
#define PAGE_FLUSH_BYTES ((size_t)1 << 20)
typedef struct text {
    char *p;
    size_t len, cap;
    bool failed;
    gan_atomic_stream *sink;
    gan_status sink_status; /* the first failed write */
    size_t written;         /* bytes that went to the sink */
} text;

static void flush(text *t) {
    if (!t->sink || !t->len || t->failed) return;
    t->sink_status = gan_atomic_stream_write(t->sink, t->p, t->len);
    t->failed = t->sink_status != GAN_OK;
    t->written += t->len;
    t->len = 0;
}

static void add(text *t, const char *s, size_t n) {
    if (t->failed) return;
    if (t->sink && t->len + n > PAGE_FLUSH_BYTES) {
        flush(t);
        if (n >= PAGE_FLUSH_BYTES) { /* large: straight to the file */
            if (!t->failed) t->sink_status = gan_atomic_stream_write(t->sink, s, n);
            t->failed = t->sink_status != GAN_OK;
            t->written += n;
            return;
        }
    }
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1 << 16;
        while (cap < t->len + n + 1) cap *= 2;
        char *p = realloc(t->p, cap);
        if (!p) {
            t->failed = true;
            return;
        }
        t->p = p, t->cap = cap;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = 0;
}

static void adds(text *t, const char *s) { add(t, s, strlen(s)); }

static void addf(text *t, const char *fmt, ...) GAN_PRINTF(2, 3);
static void addf(text *t, const char *fmt, ...) {
    char b[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    if (n > 0) add(t, b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
}

static void add_number(text *t, double x) {
    if (isfinite(x)) addf(t, "%.9g", x);
    else adds(t, "null");
}

/* A JSON string; '<' as \u003c so that no "</script>" ends the block early. */
static void add_json_string(text *t, const char *s) {
    adds(t, "\"");
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\') addf(t, "\\%c", *c);
        else if (*c == '\n') adds(t, "\\n");
        else if (*c < 0x20 || *c == '<') addf(t, "\\u%04x", *c);
        else add(t, (const char *)c, 1);
    }
    adds(t, "\"");
}

static void add_html_escaped(text *t, const char *s) {
    for (; *s; s++) {
        if (*s == '<') adds(t, "&lt;");
        else if (*s == '>') adds(t, "&gt;");
        else if (*s == '&') adds(t, "&amp;");
        else if (*s == '"') adds(t, "&quot;");
        else add(t, s, 1);
    }
}

static void add_base64(text *t, const uint8_t *d, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) |
                     (i + 2 < n ? d[i + 2] : 0);
        q[0] = tab[v >> 18], q[1] = tab[v >> 12 & 63];
        q[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        q[3] = i + 2 < n ? tab[v & 63] : '=';
        add(t, q, 4);
    }
}

static bool slurp(const char *path, uint8_t **data, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    text b = {0};
    char chunk[1 << 16];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) add(&b, chunk, got);
    bool ok = !ferror(f) && !b.failed;
    fclose(f);
    if (!ok) free(b.p);
    *data = ok ? (uint8_t *)b.p : NULL;
    *len = ok ? b.len : 0;
    return ok;
}

/* ------------------------------------------------------------ the log */

static void add_column(text *t, const char *name, const double *v, const int64_t *idx,
                       int64_t n) {
    addf(t, "\"%s\": [", name);
    for (int64_t i = 0; i < n; i++) {
        if (i) adds(t, ",");
        add_number(t, v[idx ? idx[i] : i]);
    }
    adds(t, "]");
}

static gan_status add_log(text *t, const report_log *log) {
    int64_t *idx = malloc((size_t)(log->rows + 1) * sizeof *idx);
    if (!idx) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "report: out of memory for the log");
    int64_t n = report_log_pick(log, REPORT_MAX_POINTS, idx);
    addf(t, "\"log\": {\"rows\": %lld, \"shown\": %lld", (long long)log->rows, (long long)n);
    for (int c = 0; c < REPORT_NCOLS; c++) {
        adds(t, ", ");
        add_column(t, report_col_names[c], log->col[c], idx, n);
    }
    adds(t, "},\n\"eval\": ");
    if (log->n_eval) {
        adds(t, "{");
        add_column(t, "step", log->eval[REPORT_EVAL_STEP], NULL, log->n_eval);
        adds(t, ", ");
        add_column(t, "epoch", log->eval[REPORT_EVAL_EPOCH], NULL, log->n_eval);
        adds(t, ", ");
        add_column(t, "fid", log->eval[REPORT_EVAL_FID], NULL, log->n_eval);
        adds(t, ", ");
        add_column(t, "coverage", log->eval[REPORT_EVAL_COVERAGE], NULL, log->n_eval);
        if (log->has_kid) {
            adds(t, ", ");
            add_column(t, "kid", log->eval[REPORT_EVAL_KID], NULL, log->n_eval);
        }
        adds(t, "}");
    } else {
        adds(t, "null");
    }
    adds(t, ",\n\"epochs\": [");
    int64_t *last = malloc((size_t)(log->rows + 1) * sizeof *last);
    double *secs = malloc((size_t)(log->rows + 1) * sizeof *secs);
    if (!last || !secs) {
        free(idx), free(last), free(secs);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "report: out of memory for the log");
    }
    int64_t ne = report_log_epochs(log, last, secs);
    for (int64_t e = 0; e < ne; e++) {
        int64_t r = last[e];
        addf(t, "%s{\"epoch\": %lld, \"step\": %lld, \"seconds\": ", e ? ", " : "",
             (long long)log->col[REPORT_EPOCH][r], (long long)log->col[REPORT_STEP][r]);
        add_number(t, secs[e]);
        adds(t, ", \"loss_d\": ");
        add_number(t, log->col[REPORT_LOSS_D][r]);
        adds(t, ", \"loss_g\": ");
        add_number(t, log->col[REPORT_LOSS_G][r]);
        adds(t, "}");
    }
    adds(t, "],\n\"summary\": {");
    double step = log->rows ? log->col[REPORT_STEP][log->rows - 1] : 0;
    double wall = log->rows ? log->col[REPORT_SECONDS][log->rows - 1] : NAN;
    double total = 0;
    for (int64_t e = 0; e < ne; e++) total += secs[e];
    addf(t, "\"step\": %.0f, \"epochs\": %lld, \"seconds\": ", step, (long long)ne);
    add_number(t, ne ? total : wall);
    int64_t best = -1;
    for (int64_t i = 0; i < log->n_eval; i++)
        if (best < 0 || log->eval[REPORT_EVAL_FID][i] < log->eval[REPORT_EVAL_FID][best]) best = i;
    if (best >= 0) {
        adds(t, ", \"best_fid\": ");
        add_number(t, log->eval[REPORT_EVAL_FID][best]);
        addf(t, ", \"best_fid_epoch\": %.0f", log->eval[REPORT_EVAL_EPOCH][best]);
    }
    adds(t, "}");
    free(idx), free(last), free(secs);
    return GAN_OK;
}

/* ------------------------------------------------------ sample grids */

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* samples/epoch_NNN.png in epoch order, as data: URIs. */
static void add_grids(text *t, const char *run_dir) {
    char dir[1200], path[1400];
    snprintf(dir, sizeof dir, "%s/samples", run_dir);
    int *epochs = NULL, n = 0, cap = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        int ep, used = 0;
        if (sscanf(e->d_name, "epoch_%d.png%n", &ep, &used) != 1 || ep < 0 ||
            used != (int)strlen(e->d_name))
            continue;
        if (n == cap) {
            int nc = cap ? cap * 2 : 64;
            int *p = realloc(epochs, (size_t)nc * sizeof *p);
            if (!p) break;
            epochs = p, cap = nc;
        }
        epochs[n++] = ep;
    }
    if (d) closedir(d);
    if (n) qsort(epochs, (size_t)n, sizeof *epochs, cmp_int);
    adds(t, "\"grids\": [");
    int shown = 0;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/epoch_%03d.png", dir, epochs[i]);
        uint8_t *png;
        size_t len;
        if (!slurp(path, &png, &len)) continue;
        addf(t, "%s{\"epoch\": %d, \"src\": \"data:image/png;base64,", shown++ ? ", " : "",
             epochs[i]);
        add_base64(t, png, len);
        adds(t, "\"}");
        free(png);
    }
    adds(t, "]");
    free(epochs);
}

/* A conditional model's class grid, as `gan sample --class-grid --seed 1`. */
static gan_status add_class_grid(text *t, gan_generator *g) {
    int classes = gan_generator_num_classes(g), cols = 8, n = classes * cols;
    int c, h, w, latent = gan_generator_latent_dim(g);
    gan_generator_image_shape(g, &c, &h, &w);
    float *z = malloc((size_t)n * latent * sizeof *z);
    float *img = malloc((size_t)n * c * h * w * sizeof *img);
    int32_t *labels = malloc((size_t)n * sizeof *labels);
    uint8_t *pix = NULL, *png = NULL;
    size_t png_len = 0;
    int gw, gh;
    gan_status s = z && img && labels ? GAN_OK
                                      : gan_fail(GAN_ERR_OUT_OF_MEMORY, "report: out of memory");
    if (s == GAN_OK) {
        gan_generator_noise(g, 1, 0, cols, z);
        for (int i = 0; i < n; i++) {
            memcpy(z + (size_t)i * latent, z + (size_t)(i % cols) * latent, latent * sizeof *z);
            labels[i] = i / cols;
        }
        s = gan_generator_generate_labeled(g, z, labels, n, img);
    }
    if (s == GAN_OK) s = gan_image_grid("class grid", img, n, c, h, w, cols, &pix, &gw, &gh);
    if (s == GAN_OK) s = gan_png_encode(pix, gw, gh, c, &png, &png_len);
    if (s == GAN_OK) {
        adds(t, "\"data:image/png;base64,");
        add_base64(t, png, png_len);
        adds(t, "\"");
    }
    free(z), free(img), free(labels), free(pix), free(png);
    return s;
}

/* ------------------------------------------------ model and generator */

static void add_inspect(text *t, const char *ckpt) {
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    gan_status s = f ? inspect_print(f, ckpt, false) : GAN_ERR_OUT_OF_MEMORY;
    if (f) fclose(f);
    adds(t, "\"inspect\": ");
    if (s == GAN_OK) {
        add_json_string(t, out);
    } else {
        char msg[700];
        snprintf(msg, sizeof msg, "gan inspect: %s", gan_last_error());
        add_json_string(t, msg);
    }
    free(out);
}

static gan_status add_generator(text *t, gan_generator *g, const report_options *opt,
                                report_result *res) {
    adds(t, "\"generator\": ");
    if (opt->no_generator) {
        snprintf(res->note, sizeof res->note, "left out (--no-generator)");
        adds(t, "null");
        return GAN_OK;
    }
    /* a live generator of a large model would make a page of hundreds of MB (an mlp on
     * 128 x 128 RGB images: 50 M weights, a 280 MB page) */
    size_t n_weights = gan_generator_weights_part(g, 0, 0, NULL);
    if (n_weights > REPORT_MAX_GENERATOR_WEIGHTS) {
        snprintf(res->note, sizeof res->note, "the generator has %zu weights, more than %d (the "
                 "page would be %.0f MB); gan sample makes its images", n_weights,
                 REPORT_MAX_GENERATOR_WEIGHTS, (double)n_weights * 4 * 4 / 3 / 1e6);
        adds(t, "null");
        return GAN_OK;
    }
    report_wasm w;
    gan_status s = report_wasm_build(g, &w, res->note, sizeof res->note);
    if (s != GAN_OK) return s;
    if (!w.module) {
        adds(t, "null");
        return GAN_OK;
    }
    int c, h, wd;
    gan_generator_image_shape(g, &c, &h, &wd);
    addf(t, "{\"latent\": %d, \"channels\": %d, \"height\": %d, \"width\": %d, \"classes\": %d, "
         "\"ema\": %s, \"step\": %lld, \"wasm\": \"", gan_generator_latent_dim(g), c, h, wd,
         gan_generator_num_classes(g), gan_generator_uses_ema(g) ? "true" : "false",
         (long long)gan_generator_step(g));
    add_base64(t, w.module, w.module_len);
    adds(t, "\", \"weights\": \"");
    /* a window at a time (3 floats' bytes per 4 letters: whole groups until the end) */
    float win[3 * 1024];
    for (size_t at = 0; at < w.n_weights; at += 3 * 1024) {
        size_t k = w.n_weights - at < 3 * 1024 ? w.n_weights - at : 3 * 1024;
        gan_generator_weights_part(g, at, k, win);
        add_base64(t, (const uint8_t *)win, k * sizeof(float));
    }
    adds(t, "\"}");
    res->has_generator = true;
    report_wasm_free(&w);
    return GAN_OK;
}

/* The device the run's earlier page recorded (in its head: the first
 * 64 KB are read), else "not recorded". */
static void earlier_device(const char *page, char *dev, size_t cap) {
    snprintf(dev, cap, "not recorded");
    FILE *f = fopen(page, "rb");
    if (!f) return;
    static char head[1 << 16];
    size_t len = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    head[len] = 0;
    const char *key = "<meta name=\"gan-device\" content=\"";
    char *p = strstr(head, key);
    if (p) {
        p += strlen(key);
        size_t k = strcspn(p, "\"");
        if (k > 0 && k < cap) snprintf(dev, cap, "%.*s", (int)k, p);
    }
}

/* What goes where the template says @@DATA@@: the page's JSON block. */
typedef struct page_data {
    const char *run_dir, *ckpt, *device;
    const report_log *log;
    gan_generator *g;
    const report_options *opt;
    report_result *res;
} page_data;

static gan_status add_data(text *data, const page_data *d);

/* Fill the template: every @@NAME@@ marker gets its text, @@DATA@@ written
 * by add_data straight into the page. */
static gan_status fill_template(text *page, const char *title, const char *device, const page_data *data) {
    const char *p = report_template_html;
    while (*p) {
        const char *m = strstr(p, "@@");
        const char *e = m ? strstr(m + 2, "@@") : NULL;
        if (!m || !e) {
            adds(page, p);
            break;
        }
        add(page, p, (size_t)(m - p));
        size_t n = (size_t)(e - m - 2);
        const char *name = m + 2;
#define IS(s) (n == strlen(s) && strncmp(name, s, n) == 0)
        if (IS("TITLE")) add_html_escaped(page, title);
        else if (IS("DEVICE")) add_html_escaped(page, device);
        else if (IS("DATA")) {
            gan_status s = add_data(page, data);
            if (s != GAN_OK) return s;
        }
        else if (IS("REPORT_CSS")) adds(page, report_css);
        else if (IS("REPORT_JS")) adds(page, report_js);
        else if (IS("UPLOT_JS")) adds(page, report_uplot_js);
        else if (IS("UPLOT_CSS")) adds(page, report_uplot_css);
        else add(page, m, (size_t)(e + 2 - m));
#undef IS
        p = e + 2;
    }
    return GAN_OK;
}

static gan_status add_data(text *data, const page_data *d) {
    gan_status s;
    gan_generator *g = d->g;
    report_result *res = d->res;
    char when[64];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&now, &tm));
    adds(data, "{\"version\": ");
    add_json_string(data, GAN_VERSION);
    adds(data, ", \"written\": ");
    add_json_string(data, when);
    adds(data, ", \"run\": ");
    add_json_string(data, d->run_dir);
    adds(data, ", \"device\": ");
    add_json_string(data, d->device);
    adds(data, ", \"model\": ");
    add_json_string(data, g ? gan_generator_model_name(g) : "");
    adds(data, ",\n");
    if ((s = add_log(data, d->log)) != GAN_OK) return s;
    adds(data, ",\n");
    add_grids(data, d->run_dir);
    adds(data, ",\n\"class_grid\": ");
    if (g && gan_generator_num_classes(g) > 0) {
        if ((s = add_class_grid(data, g)) != GAN_OK) return s;
    } else {
        adds(data, "null");
    }
    adds(data, ",\n");
    if (g) {
        add_inspect(data, d->ckpt);
        adds(data, ",\n");
        if ((s = add_generator(data, g, d->opt, res)) != GAN_OK) return s;
    } else {
        snprintf(res->note, sizeof res->note, "no checkpoint yet (%.400s)", d->ckpt);
        adds(data, "\"inspect\": null, \"inspect_note\": \"No checkpoint yet.\", "
                   "\"generator\": null");
    }
    adds(data, ",\n\"generator_note\": ");
    char why[600];
    snprintf(why, sizeof why, "No live generator in this page: %s.", res->note);
    add_json_string(data, why);
    adds(data, "}");
    return GAN_OK;
}

/* The page's generator: the running trainer's own when the checkpoint holds
 * the trainer's current step (so the same weights; on the CPU), else the
 * checkpoint's, loaded. */
static gan_status report_generator(const char *ckpt, gan_trainer *t, gan_generator **g) {
    if (t) {
        static gan_checkpoint_info info; /* 9 KB; gan train's thread only */
        if (gan_checkpoint_read_info(ckpt, &info) == GAN_OK && info.step == gan_trainer_step_count(t) &&
            gan_trainer_generator(t, g) == GAN_OK)
            return GAN_OK;
    }
    return gan_generator_load(ckpt, g);
}

gan_status report_write(const char *run_dir, const report_options *opt_in, report_result *res) {
    report_options opt = opt_in ? *opt_in : (report_options){0};
    memset(res, 0, sizeof *res);
    char log_path[1200], ckpt[1200], page_path[1200], device[128];
    snprintf(log_path, sizeof log_path, "%s/log.jsonl", run_dir);
    snprintf(page_path, sizeof page_path, "%s/report.html", run_dir);
    run_checkpoint_path(run_dir, ckpt, sizeof ckpt);
    if (!run_is_dir(run_dir))
        return gan_fail(GAN_ERR_IO, "%s: not a run folder", run_dir);
    if (opt.device) snprintf(device, sizeof device, "%s", opt.device);
    else earlier_device(page_path, device, sizeof device);

    report_log log;
    gan_status s = report_log_read(log_path, &log);
    if (s != GAN_OK) return s;
    gan_generator *g = NULL;
    if (run_file_exists(ckpt) && (s = report_generator(ckpt, opt.trainer, &g)) != GAN_OK) {
        report_log_free(&log);
        return s;
    }
    /* the page is written as it is made (text's sink), atomically */
    gan_atomic_stream *af = NULL;
    s = gan_atomic_stream_open(page_path, &af);
    text page = {.sink = af};
    if (s == GAN_OK) {
        const char *title = strrchr(run_dir, '/');
        title = title && title[1] ? title + 1 : run_dir;
        page_data pd = {run_dir, ckpt, device, &log, g, &opt, res};
        s = fill_template(&page, title, device, &pd);
        if (s == GAN_OK) flush(&page);
        if (s == GAN_OK && page.failed)
            s = page.sink_status != GAN_OK ? page.sink_status
                                           : gan_fail(GAN_ERR_OUT_OF_MEMORY, "report: out of memory for %s", page_path);
        if (s == GAN_OK) {
            res->bytes = page.written;
            s = gan_atomic_stream_commit(af);
        } else {
            gan_atomic_stream_abort(af);
        }
    }
    gan_generator_free(g);
    report_log_free(&log);
    free(page.p);
    return s;
}
