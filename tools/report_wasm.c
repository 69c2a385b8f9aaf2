/*
 * report_wasm.c - compile a generator's exported C to WebAssembly for the
 * report page (see report_wasm.h): export, split code from weights, add the
 * page's entry points, run clang for wasm32-wasi, read the module back.
 */
#define _POSIX_C_SOURCE 200809L
#include "report_wasm.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* A growing byte buffer; `failed` latches an allocation failure. */
typedef struct buf {
    char *p;
    size_t len, cap;
    bool failed;
} buf;

static void buf_add(buf *b, const void *data, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void buf_str(buf *b, const char *s) { buf_add(b, s, strlen(s)); }

static bool read_file(const char *path, char **data, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    buf b = {0};
    char chunk[1 << 16];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) buf_add(&b, chunk, got);
    bool ok = !ferror(f) && !b.failed;
    fclose(f);
    if (!ok) free(b.p);
    *data = ok ? b.p : NULL;
    *len = ok ? b.len : 0;
    return ok;
}

static gan_status write_file(const char *path, const char *data, size_t len) {
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = false;
    return ok ? GAN_OK : gan_fail(GAN_ERR_IO, "report: cannot write %s", path);
}

/* The module's entry points (report_wasm.h), after the exported code. */
static const char *entry_points =
    "\n/* The report page's entry points (tools/report_wasm.c). */\n"
    "#define REPORT_EXPORT(name) __attribute__((export_name(#name)))\n"
    "static float report_z[GAN_LATENT];\n"
    "static float report_image[GAN_CHANNELS * GAN_HEIGHT * GAN_WIDTH];\n"
    "REPORT_EXPORT(z_ptr) float *report_z_ptr(void) { return report_z; }\n"
    "REPORT_EXPORT(image_ptr) float *report_image_ptr(void) { return report_image; }\n"
    "REPORT_EXPORT(noise) void report_noise(double seed, double index) {\n"
    "    gan_noise((uint64_t)seed, (uint64_t)index, report_z);\n"
    "}\n"
    "REPORT_EXPORT(weights_count) int report_weights_count(void) {\n"
    "    return (int)(sizeof report_weights / sizeof report_weights[0]);\n"
    "}\n"
    "REPORT_EXPORT(weight_ptr) float *report_weight_ptr(int i) { return report_weights[i]; }\n"
    "REPORT_EXPORT(weight_len) int report_weight_len(int i) { return report_weight_lens[i]; }\n";

/* A literal as gan export writes it ("0x1.8p+1", "-0x0p+0": printf's %a of
 * a float), parsed without strtof (which took a quarter of a report's
 * first build); anything else goes to strtof. *end as strtof sets it. */
static float parse_hex_float(const char *q, char **end) {
    const char *p = q;
    bool neg = *p == '-';
    if (neg) p++;
    if (p[0] != '0' || p[1] != 'x' || (p[2] != '0' && p[2] != '1')) return strtof(q, end);
    uint64_t m = (uint64_t)(p[2] - '0');
    int digits = 0;
    p += 3;
    if (*p == '.') {
        for (p++; digits < 13; p++, digits++) {
            int v = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
            if (v < 0) break;
            m = m << 4 | (uint64_t)v;
        }
    }
    if (*p != 'p' || (p[1] != '+' && p[1] != '-') || p[2] < '0' || p[2] > '9') return strtof(q, end);
    int e_neg = p[1] == '-', e = 0;
    for (p += 2; *p >= '0' && *p <= '9' && e < 10000; p++) e = e * 10 + (*p - '0');
    if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || *p == '.') return strtof(q, end);
    *end = (char *)p;
    double v = ldexp((double)m, (e_neg ? -e : e) - 4 * digits); /* exact: at most 53 bits */
    return (float)(neg ? -v : v);
}

/* Split the exported C, read line by line from `src`: every
 * "static const float NAME[N] = { literals };" becomes "static float NAME[N];"
 * in `code`, and the tables report_weights / report_weight_lens list the
 * arrays in order. The literals must be the model's weights `w` (nw floats)
 * in order, bit for bit: they are compared as they are read, never stored,
 * so the exported text (tens of MB for a large generator) is never in memory,
 * nor a copy of the weights (they are read from `g` a window at a time). */
static gan_status split_weights(FILE *src, buf *code, const gan_generator *g, size_t nw) {
    float win[4096];
    size_t win_at = 0, win_n = 0; /* win holds weights [win_at, win_at + win_n) */
    buf table = {0}, lens = {0};
    size_t n = 0, lcap = 0;
    char *line = NULL;
    ssize_t len;
    buf_str(&table, "static float *const report_weights[] = {");
    buf_str(&lens, "static const int report_weight_lens[] = {");
    const char *decl = "static const float ";
    gan_status s = GAN_OK;
    while (s == GAN_OK && (len = getline(&line, &lcap, src)) > 0) {
        if (strncmp(line, decl, strlen(decl)) != 0) {
            buf_add(code, line, (size_t)len);
            continue;
        }
        char name[128];
        unsigned long size = 0;
        if (sscanf(line + strlen(decl), "%127[A-Za-z0-9_][%lu]", name, &size) != 2 || size == 0) {
            s = gan_fail(GAN_ERR_FORMAT, "report: unexpected weight array in the exported C");
            break;
        }
        char text[256];
        snprintf(text, sizeof text, "static float %s[%lu];\n", name, size);
        buf_str(code, text);
        snprintf(text, sizeof text, "%s%s", n ? ", " : "", name);
        buf_str(&table, text);
        snprintf(text, sizeof text, "%s%lu", n ? ", " : "", size);
        buf_str(&lens, text);
        const char *q = strchr(line, '{');
        unsigned long k = 0;
        bool closed = false;
        if (q) q++;
        while (q && !closed && s == GAN_OK) {
            while (*q == ' ' || *q == ',' || *q == '\t' || *q == '\n' || *q == '\r') q++;
            if (*q == '}') {
                closed = true;
            } else if (!*q) { /* the array goes on on the next line */
                q = getline(&line, &lcap, src) > 0 ? line : NULL;
            } else {
                char *end;
                float v = parse_hex_float(q, &end);
                if (end == q || k == size || n + k >= nw) {
                    s = gan_fail(GAN_ERR_FORMAT, "report: weight array %s of the exported C is not "
                                 "the model's tensors in order (element %lu)", name, k);
                    break;
                }
                if (n + k < win_at || n + k >= win_at + win_n) {
                    win_at = n + k;
                    win_n = nw - win_at < 4096 ? nw - win_at : 4096;
                    gan_generator_weights_part(g, win_at, win_n, win);
                }
                if (memcmp(&v, &win[n + k - win_at], sizeof v) != 0)
                    s = gan_fail(GAN_ERR_FORMAT, "report: weight array %s of the exported C is not "
                                 "the model's tensors in order (element %lu)", name, k);
                k++;
                q = end;
            }
        }
        if (s == GAN_OK && (!closed || k != size))
            s = gan_fail(GAN_ERR_FORMAT, "report: weight array %s of the exported C is not %lu numbers",
                         name, size);
        n += size;
    }
    free(line);
    if (s == GAN_OK && n != nw)
        s = gan_fail(GAN_ERR_FORMAT, "report: the exported C holds %zu weights, the model %zu", n, nw);
    buf_str(&table, "};\n");
    buf_str(&lens, "};\n");
    buf_add(code, table.p, table.len);
    buf_add(code, lens.p, lens.len);
    if (s == GAN_OK && (code->failed || table.failed || lens.failed))
        s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "report: out of memory for the exported C");
    free(table.p), free(lens.p);
    return s;
}

/* Run argv (stdout and stderr into log_path); -1 if it could not start. */
static int run_compiler(char *const argv[], const char *log_path) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Whether `name` names an executable: itself when it has a '/', else in a
 * folder of PATH (as posix_spawnp looks). Asked before the export, so that a
 * machine without a compiler does not write tens of MB of C for nothing. */
static bool runnable(const char *name) {
    if (strchr(name, '/')) return access(name, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    char full[1024];
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        if (n > 0 && n + strlen(name) + 2 <= sizeof full) {
            memcpy(full, p, n);
            full[n] = '/';
            strcpy(full + n + 1, name);
            struct stat st;
            if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
                return true;
        }
        p += n;
        if (*p == ':') p++;
    }
    return false;
}

/* The module of the last build, keyed by the model spec and whether the
 * weights are the moving average: the exported code depends on nothing else,
 * so a later epoch of the same run reuses it without exporting again. A
 * build that found no compiler, or that the compiler refused, is kept too
 * (`note`, no module): a later epoch says the same without exporting tens
 * of MB of C again (about 170 ms an epoch for the seed model) and starting
 * every candidate compiler. */
static struct {
    char *key;
    uint8_t *module;
    size_t len;
    char *note; /* the build's note when it made no module */
} cache;

/* Keep this build's outcome (module or note) for `key`, which it takes. */
static void cache_keep(char *key, uint8_t *module, size_t len, const char *note) {
    char *n = note ? strdup(note) : NULL;
    if (note && !n) { /* out of memory: keep nothing */
        free(key), free(module);
        return;
    }
    char *old_key = cache.key, *old_note = cache.note;
    uint8_t *old_module = cache.module;
    cache.key = key, cache.module = module, cache.len = len, cache.note = n;
    free(old_key);
    free(old_module);
    free(old_note);
}

static char *cache_key(const gan_generator *g) {
    const char *spec = gan_spec_text(gan_generator_spec(g));
    const char *cc = getenv("GAN_WASM_CC"); /* a kept failure is this compiler's */
    if (!cc) cc = "";
    size_t n = strlen(spec) + strlen(cc) + 64;
    char *k = malloc(n);
    if (k) snprintf(k, n, "%s\n#ema %d classes %d cc %s", spec, gan_generator_uses_ema(g) ? 1 : 0,
                    gan_generator_num_classes(g), cc);
    return k;
}

/* The note of a build that found no compiler to run, kept for `key` (taken). */
static void no_compiler(char *note, size_t cap, bool env_given, char *key) {
    snprintf(note, cap, "no C compiler for WebAssembly: %s (install clang, lld, wasi-libc and "
             "libclang-rt-dev-wasm32: scripts/setup.sh does)",
             env_given ? "GAN_WASM_CC does not run" : "clang is not installed");
    cache_keep(key, NULL, 0, note);
}

static void note_compile_error(char *note, size_t cap, const char *cc, const char *log_path) {
    char *log = NULL;
    size_t len = 0;
    read_file(log_path, &log, &len);
    char first[200] = "";
    if (log) {
        const char *e = strstr(log, "error");
        const char *start = e ? e : log;
        size_t k = strcspn(start, "\n");
        snprintf(first, sizeof first, "%.*s", (int)(k < 190 ? k : 190), start);
    }
    snprintf(note, cap, "%s --target=wasm32-wasi failed (%s); install clang, lld, wasi-libc and "
             "libclang-rt-dev-wasm32 (scripts/setup.sh does)", cc, first[0] ? first : "no output");
    free(log);
}

gan_status report_wasm_build(const gan_generator *g, report_wasm *out, char *note,
                             size_t note_cap) {
    memset(out, 0, sizeof *out);
    note[0] = 0;
    const char *tmp_root = getenv("TMPDIR");
    char dir[512], c_path[600], src_path[600], wasm_path[600], log_path[600];
    snprintf(dir, sizeof dir, "%s/gan-report-XXXXXX", tmp_root && *tmp_root ? tmp_root : "/tmp");
    if (!mkdtemp(dir))
        return gan_fail(GAN_ERR_IO, "report: cannot make a temporary folder %s: %s", dir,
                        strerror(errno));
    snprintf(c_path, sizeof c_path, "%s/export.c", dir);
    snprintf(src_path, sizeof src_path, "%s/live.c", dir);
    snprintf(wasm_path, sizeof wasm_path, "%s/live.wasm", dir);
    snprintf(log_path, sizeof log_path, "%s/cc.log", dir);

    char *key = cache_key(g);
    buf code = {0};
    gan_status s = GAN_OK;
    if (!key) {
        s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "report: out of memory");
        goto done;
    }
    if (cache.key && strcmp(cache.key, key) == 0 && cache.note) {
        snprintf(note, note_cap, "%s", cache.note);
        goto done;
    }
    if (cache.key && strcmp(cache.key, key) == 0) {
        out->module = malloc(cache.len);
        if (!out->module) {
            s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "report: out of memory");
            goto done;
        }
        memcpy(out->module, cache.module, cache.len);
        out->module_len = cache.len;
        out->n_weights = gan_generator_weights_part(g, 0, 0, NULL);
        goto done;
    }
    const char *env_cc = getenv("GAN_WASM_CC");
    const char *candidates[] = {"clang", "clang-19", "clang-18", "clang-17", "clang-16",
                                "clang-15", "clang-14"};
    const char *found[sizeof candidates / sizeof candidates[0]];
    int n_found = 0;
    if (env_cc && *env_cc) {
        if (runnable(env_cc)) found[n_found++] = env_cc;
    } else {
        for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
            if (runnable(candidates[i])) found[n_found++] = candidates[i];
    }
    if (n_found == 0) {
        no_compiler(note, note_cap, env_cc && *env_cc, key);
        key = NULL;
        goto done;
    }
    s = gan_generator_export_c(g, c_path, "gan");
    if (s != GAN_OK) {
        snprintf(note, note_cap, "gan export cannot write this generator as C: %s",
                 gan_last_error());
        s = GAN_OK;
        goto done;
    }
    /* the weights from the model; the exported C must hold the same (split_weights) */
    out->n_weights = gan_generator_weights_part(g, 0, 0, NULL);
    FILE *exported = fopen(c_path, "rb");
    if (!exported) {
        s = gan_fail(GAN_ERR_IO, "report: cannot read back %s", c_path);
        goto done;
    }
    s = split_weights(exported, &code, g, out->n_weights);
    fclose(exported);
    if (s != GAN_OK) goto done;
    buf_str(&code, entry_points);
    buf_str(&code, gan_generator_num_classes(g)
                       ? "REPORT_EXPORT(generate) void report_generate(int label) {\n"
                         "    gan_generate(report_z, label, report_image);\n}\n"
                       : "REPORT_EXPORT(generate) void report_generate(int label) {\n"
                         "    (void)label;\n    gan_generate(report_z, report_image);\n}\n");
    if (code.failed) {
        s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "report: out of memory for the generator's code");
        goto done;
    }
    if ((s = write_file(src_path, code.p, code.len)) != GAN_OK) goto done;

    const char *used = NULL;
    int rc = -1;
    for (int i = 0; i < n_found && rc < 0; i++) {
        const char *cc = found[i];
        char *argv[] = {(char *)cc, "--target=wasm32-wasi", "-O2", "-nostartfiles",
                        "-Wl,--no-entry", "-o", wasm_path, src_path, "-lm", NULL};
        rc = run_compiler(argv, log_path);
        used = cc;
    }
    if (rc < 0) {
        no_compiler(note, note_cap, env_cc && *env_cc, key);
        key = NULL;
        goto done;
    }
    char *module = NULL;
    size_t mlen = 0;
    if (rc != 0 || !read_file(wasm_path, &module, &mlen)) {
        note_compile_error(note, note_cap, used, log_path);
        cache_keep(key, NULL, 0, note);
        key = NULL;
        goto done;
    }
    out->module = (uint8_t *)module;
    out->module_len = mlen;
    uint8_t *keep = malloc(mlen);
    if (keep) {
        memcpy(keep, module, mlen);
        cache_keep(key, keep, mlen, NULL);
        key = NULL;
    }
done:
    if (!out->module) out->n_weights = 0;
    free(code.p);
    free(key);
    unlink(c_path), unlink(src_path), unlink(wasm_path), unlink(log_path);
    rmdir(dir);
    return s;
}

void report_wasm_free(report_wasm *w) {
    free(w->module);
    memset(w, 0, sizeof *w);
}
