/*
 * export_c.c - write a generator as one self-contained C99 source file:
 * weights as constant arrays (hexadecimal float literals, so every bit is
 * kept), one plain loop nest per layer, and the same Philox4x32-10 +
 * Box-Muller noise as rng.c. The file needs only <math.h>, <stddef.h> and
 * <stdint.h>, so any C99 compiler builds it for any target. A conditional
 * model's functions take the class label after z. Each layer kind writes
 * its own loop nest (its export_c, layers/layer.h).
 */
#include "generator.h"
#include "io/atomic_file.h"
#include "layers/layer.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A text buffer that goes to `sink` (when set) each time it passes
 * EXPORT_FLUSH_BYTES, so a large generator's source (tens of MB of weight
 * literals) is never in memory whole; `failed` latches a failure. */
#define EXPORT_FLUSH_BYTES ((size_t)1 << 20)
struct gan_c_source {
    char *buf;
    size_t len, cap;
    bool failed;
    gan_atomic_file *sink;
    gan_status sink_status; /* the first failed write */
};
typedef struct gan_c_source text;

static void put_v(text *t, const char *fmt, va_list args) {
    if (t->failed) return;
    for (;;) {
        va_list ap;
        va_copy(ap, args);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            if (t->sink && t->len >= EXPORT_FLUSH_BYTES) {
                t->sink_status = gan_atomic_write(t->sink, t->buf, t->len);
                t->failed = t->sink_status != GAN_OK;
                t->len = 0;
            }
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 1 << 20;
        while (cap - t->len <= (size_t)n) cap *= 2;
        char *nb = realloc(t->buf, cap);
        if (!nb) {
            t->failed = true;
            return;
        }
        t->buf = nb, t->cap = cap;
    }
}

static void put(text *t, const char *fmt, ...) GAN_PRINTF(2, 3);
static void put(text *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    put_v(t, fmt, ap);
    va_end(ap);
}

/* put for the layers' export_c (layers/layer.h) */
void gan_c_put(gan_c_source *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    put_v(t, fmt, ap);
    va_end(ap);
}

size_t gan_c_hex_float(float v, char *out) {
    double d = v;
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    int biased = (int)((bits >> 52) & 0x7ff);
    if (biased == 0x7ff) return (size_t)snprintf(out, 32, "%a", d);
    char *p = out;
    if (bits >> 63) *p++ = '-';
    uint64_t m = bits & (((uint64_t)1 << 52) - 1);
    if (biased == 0) { /* zero: a float promoted to double is never subnormal */
        memcpy(p, "0x0p+0", 7);
        return (size_t)(p + 6 - out);
    }
    memcpy(p, "0x1", 3);
    p += 3;
    if (m) {
        int digits = 13;
        while ((m & 0xf) == 0) m >>= 4, digits--;
        *p++ = '.';
        for (int i = digits - 1; i >= 0; i--, m >>= 4) p[i] = "0123456789abcdef"[m & 0xf];
        p += digits;
    }
    int e = biased - 1023;
    *p++ = 'p';
    *p++ = e < 0 ? '-' : '+';
    unsigned ue = (unsigned)(e < 0 ? -e : e);
    char rev[8];
    int k = 0;
    do rev[k++] = (char)('0' + ue % 10), ue /= 10; while (ue);
    while (k) *p++ = rev[--k];
    *p = 0;
    return (size_t)(p - out);
}

/* The weights as hexadecimal literals, six a line; formatted by
 * gan_c_hex_float (vfprintf's "%a" took most of a large export's time). */
static void put_array(text *t, const char *p, int layer, const char *name, const float *v,
                      size_t n) {
    put(t, "static const float %s_l%d_%s[%zu] = {", p, layer, name, n);
    char line[6 * (32 + 6) + 8];
    for (size_t i = 0; i < n;) {
        size_t len = 0;
        for (size_t end = GAN_MIN(n, i + 6); i < end; i++) {
            const char *sep = i % 6 ? ", " : (i ? ",\n    " : "\n    ");
            size_t sl = strlen(sep);
            memcpy(line + len, sep, sl);
            len += sl;
            len += gan_c_hex_float(v[i], line + len);
        }
        put(t, "%.*s", (int)len, line);
    }
    put(t, "\n};\n");
}

static const char *noise_code =
    "/* Philox4x32-10 and Box-Muller in double, exactly as gan.c's rng.c. */\n"
    "static void @P_philox(uint64_t seed, uint64_t stream, uint64_t index, uint32_t out[4]) {\n"
    "    uint32_t c0 = (uint32_t)index, c1 = (uint32_t)(index >> 32);\n"
    "    uint32_t c2 = (uint32_t)stream, c3 = (uint32_t)(stream >> 32);\n"
    "    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);\n"
    "    int round;\n"
    "    for (round = 0; round < 10; round++) {\n"
    "        uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;\n"
    "        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;\n"
    "        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;\n"
    "        c0 = hi1 ^ c1 ^ k0;\n"
    "        c1 = lo1;\n"
    "        c2 = hi0 ^ c3 ^ k1;\n"
    "        c3 = lo0;\n"
    "        k0 += 0x9E3779B9u;\n"
    "        k1 += 0xBB67AE85u;\n"
    "    }\n"
    "    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;\n"
    "}\n\n"
    "void @P_noise(uint64_t seed, uint64_t index, float *z) {\n"
    "    const double two_pi = 6.283185307179586476925286766559;\n"
    "    uint64_t stream = ((uint64_t)5 << 56) | (index & 0x00FFFFFFFFFFFFFFull);\n"
    "    size_t pair;\n"
    "    for (pair = 0; pair < (@L + 1) / 2; pair++) {\n"
    "        uint32_t r[4];\n"
    "        uint64_t a, b;\n"
    "        double u1, u2, radius;\n"
    "        @P_philox(seed, stream, pair, r);\n"
    "        a = ((uint64_t)r[0] << 32) | r[1];\n"
    "        b = ((uint64_t)r[2] << 32) | r[3];\n"
    "        u1 = (double)((a >> 11) + 1) * (1.0 / 9007199254740992.0);\n"
    "        u2 = (double)(b >> 11) * (1.0 / 9007199254740992.0);\n"
    "        radius = sqrt(-2.0 * log(u1));\n"
    "        z[pair * 2] = (float)(radius * cos(two_pi * u2));\n"
    "        if (pair * 2 + 1 < @L) z[pair * 2 + 1] = (float)(radius * sin(two_pi * u2));\n"
    "    }\n"
    "}\n\n";

/* Emit `tmpl` with @P replaced by the prefix and @L by the latent size. */
static void put_template(text *t, const char *tmpl, const char *p, int latent) {
    for (const char *c = tmpl; *c; c++) {
        if (c[0] == '@' && c[1] == 'P') put(t, "%s", p), c++;
        else if (c[0] == '@' && c[1] == 'L') put(t, "%d", latent), c++;
        else put(t, "%c", *c);
    }
}

/* The forward code of layer i, from x to y, written by its kind
 * (layers/layer.h); false if it cannot be exported. */
static bool put_layer(text *t, const char *p, int i, const gan_layer *l) {
    put(t, "    /* %d: %s (%d,%d,%d) -> (%d,%d,%d) */\n", i, gan_layer_name(l), l->in[0], l->in[1],
        l->in[2], l->out[0], l->out[1], l->out[2]);
    if (l->ops->flags & GAN_LAYER_INFERENCE_IDENTITY) return true;
    if (!l->ops->export_c || !l->ops->export_c(l, t, p, i)) return false;
    put(t, "    tmp = x, x = y, y = tmp;\n\n");
    return true;
}

/* The code of block b (layers from b->first): its input saved in c, each
 * branch run from it and joined into d, then x = d. */
static bool put_block(text *t, const char *p, const gan_model *m, const gan_block *b) {
    put(t, "    /* %s block */\n    for (k = 0; k < %d; k++) c[k] = x[k];\n", b->kind->name,
        b->in_size);
    int i = b->first;
    for (int k = 0; k < b->kind->n_branches; k++) {
        if (k) put(t, "    for (k = 0; k < %d; k++) x[k] = c[k];\n", b->in_size);
        put(t, "    /* branch %s */\n", b->kind->branch_names[k]);
        for (int j = 0; j < b->n[k]; j++, i++)
            if (!m->layers[i].is_view && !put_layer(t, p, i, &m->layers[i])) return false;
        if (k) put(t, "    for (k = 0; k < %d; k++) d[k] = d[k] %s x[k];\n", b->out_size,
                   b->kind->c_join);
        else put(t, "    for (k = 0; k < %d; k++) d[k] = x[k];\n", b->out_size);
    }
    put(t, "    for (k = 0; k < %d; k++) x[k] = d[k];\n\n", b->out_size);
    return true;
}

static gan_status build_source(const gan_generator *g, const char *p, text *t) {
    const gan_model *m = &g->model;
    int c = m->out[0], h = m->out[1], w = m->out[2];
    int work = m->in_size, bufs = m->n_blocks ? 4 : 2; /* blocks: their input and join too */
    for (int i = 0; i < m->n_layers; i++) work = GAN_MAX(work, m->layers[i].out_size);
    for (int k = 0; k < m->n_blocks; k++) work = GAN_MAX(work, m->blocks[k].out_size);
    char up[64];
    size_t n = strlen(p);
    for (size_t i = 0; i <= n; i++) up[i] = (char)toupper((unsigned char)p[i]);

    put(t, "/*\n * Generator of a gan.c model, exported by gan.c %s: model '%s', %lld training "
           "steps.\n *\n", GAN_VERSION, g->info.model, (long long)g->info.step);
    int classes = g->spec->n_classes;
    const char *lp = classes ? ", int label" : "", *la = classes ? ", label" : "";
    put(t, " * Self-contained C99 (only libm). API:\n"
           " *   %s_generate(z%s, image)        z: %s_LATENT floats; image: %s_CHANNELS x\n"
           " *                                %s_HEIGHT x %s_WIDTH floats in [-1, 1] (CHW).\n"
           " *                                Uses static work memory (not re-entrant).\n"
           " *   %s_generate_r(z%s, image, work) re-entrant; work: %s_WORK_FLOATS floats.\n"
           " *   %s_noise(seed, index, z)     the latent vector of sample `index` of `seed`,\n"
           " *                                as `gan sample --seed SEED` makes it.\n",
        p, la, up, up, up, up, p, la, up, p);
    if (classes)
        put(t, " * The model is conditional: label is the class, 0 .. %s_CLASSES - 1.\n", up);
    put(t, " * Pixels: byte = round((x + 1) * 127.5), clamped to [0, 255].\n */\n");
    put(t, "#include <math.h>\n#include <stddef.h>\n#include <stdint.h>\n\n");
    put(t, "#define %s_LATENT %d\n#define %s_CHANNELS %d\n#define %s_HEIGHT %d\n"
           "#define %s_WIDTH %d\n#define %s_WORK_FLOATS %d\n",
        up, m->in_size, up, c, up, h, up, w, up, bufs * work);
    if (classes) put(t, "#define %s_CLASSES %d\n", up, classes);
    put(t, "\nvoid %s_generate_r(const float *z%s, float *image, float *work);\n"
           "void %s_generate(const float *z%s, float *image);\n"
           "void %s_noise(uint64_t seed, uint64_t index, float *z);\n\n", p, lp, p, lp, p);

    for (int i = 0; i < m->n_layers; i++) {
        gan_layer_tensor ts[GAN_LAYER_MAX_TENSORS];
        int k = m->layers[i].ops->tensors(&m->layers[i], ts, GAN_LAYER_MAX_TENSORS);
        for (int j = 0; j < k; j++) put_array(t, p, i, ts[j].name, ts[j].data, ts[j].size);
    }
    put(t, "\nvoid %s_generate_r(const float *z%s, float *image, float *work) {\n"
           "    float *x, *y, *tmp, *a = work, *b = work + %d;\n    int o, k;\n"
           "    (void)o, (void)k;\n", p, lp, work);
    if (m->n_blocks) put(t, "    float *c = work + %d, *d = work + %d;\n", 2 * work, 3 * work);
    put(t, "    for (k = 0; k < %d; k++) a[k] = z[k];\n"
           "    x = a, y = b;\n\n", m->in_size);
    for (int k = 0; k < m->n_blocks; k++)
        if (!m->blocks[k].kind->c_join)
            return gan_fail(GAN_ERR_UNSUPPORTED, "export: a %s block (layer %d) cannot be "
                            "exported to C yet", m->blocks[k].kind->name, m->blocks[k].first);
    for (int i = 0; i < m->n_layers; i++) {
        const gan_layer *l = &m->layers[i];
        const gan_block *b = m->block_of[i] ? &m->blocks[m->block_of[i] - 1] : NULL;
        if (b) {
            if (!put_block(t, p, m, b))
                return gan_fail(GAN_ERR_UNSUPPORTED, "export: a layer of the %s block at "
                                "layer %d cannot be exported to C yet", b->kind->name, i);
            for (int k = 0; k < b->kind->n_branches; k++) i += b->n[k];
            i--; /* the loop's i++ */
            continue;
        }
        if (l->is_view) continue;
        if (!put_layer(t, p, i, l))
            return gan_fail(GAN_ERR_UNSUPPORTED, "export: layer %d (%s) cannot be exported to C "
                            "yet", i, gan_layer_name(l));
    }
    put(t, "    for (k = 0; k < %d; k++) image[k] = x[k];\n}\n\n", c * h * w);
    put(t, "void %s_generate(const float *z%s, float *image) {\n"
           "    static float work[%d];\n    %s_generate_r(z%s, image, work);\n}\n\n", p, lp,
        bufs * work, p, la);
    put_template(t, noise_code, p, m->in_size);
    if (t->failed && t->sink_status != GAN_OK) return t->sink_status; /* a write failed: its message */
    return t->failed ? gan_fail(GAN_ERR_OUT_OF_MEMORY, "export: out of memory") : GAN_OK;
}

gan_status gan_generator_export_c(const gan_generator *g, const char *path, const char *prefix) {
    size_t n = prefix ? strlen(prefix) : 0;
    bool ok = n > 0 && n < 40 && (isalpha((unsigned char)prefix[0]) || prefix[0] == '_');
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)prefix[i]) || prefix[i] == '_';
    if (!ok)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "export: prefix '%s' is not a C identifier of "
                        "1 to 39 characters", prefix ? prefix : "");
    if (!g->model.be->host_memory)
        return gan_fail(GAN_ERR_UNSUPPORTED, "export: load the generator on the CPU "
                        "(gan_generator_load) to export it");
    gan_atomic_file af;
    gan_atomic_clean_stale(path); /* what a killed earlier export of this file left */
    GAN_TRY(gan_atomic_open(&af, path));
    text t = {.sink = &af};
    gan_status s = build_source(g, prefix, &t);
    if (s == GAN_OK) s = gan_atomic_write(&af, t.buf, t.len);
    free(t.buf);
    if (s == GAN_OK) return gan_atomic_commit(&af);
    gan_atomic_abort(&af);
    return s;
}
