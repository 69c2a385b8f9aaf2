/*
 * test_checkpoint.c - checkpoints: every tensor survives a save/load round
 * trip; a run stopped and resumed ends bit-identical to one never stopped,
 * at any thread count, also with the other options (a moving average of G,
 * several D steps per G step, per-network rates, another loss, label
 * smoothing, mirror and augmentation), for a conditional model, for
 * self-attention (whose generator gan export refuses) and for the resnet
 * and cresnet presets; the EMA warm-up (--ema-warmup, on by default) is kept,
 * and a checkpoint from before it (no options.ema_warmup: the fuzz corpus's
 * conv_ema_4x4, or a new one with the key removed) resumes bit-exactly with
 * it off; truncated, corrupt and hostile
 * checkpoints (lying metadata, missing tensors, wrong dtypes or shapes, NaN
 * weights) are refused with a message naming the file, by the trainer and
 * the generator; a save that hits a full disk leaves the previous checkpoint
 * intact.
 */
#include "checkpoint.h"
#include "data/idx.h"
#include "generator.h"
#include "test_util.h"
#include "trainer.h"

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* n images; with `labels`, a labels file of classes i mod 10 next to them. */
static gan_dataset *make_dataset_labeled(int n, bool labels) {
    return test_synthetic_dataset(labels ? "lab" : "ckpt", n, labels);
}

static gan_dataset *make_dataset(int n) {
    return make_dataset_labeled(n, false);
}

static bool same_floats(const float *a, const float *b, size_t n) {
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* Everything a resume must restore, compared bit for bit. */
static bool same_state(const gan_trainer *a, const gan_trainer *b) {
    const gan_model *ma[2] = {&a->g, &a->d}, *mb[2] = {&b->g, &b->d};
    for (int i = 0; i < 2; i++) {
        size_t n = ma[i]->n_params;
        if (n != mb[i]->n_params || !same_floats(ma[i]->params, mb[i]->params, n) ||
            !same_floats(ma[i]->adam_m, mb[i]->adam_m, n) ||
            !same_floats(ma[i]->adam_v, mb[i]->adam_v, n) ||
            !same_floats(ma[i]->state, mb[i]->state, ma[i]->n_state) ||
            ma[i]->adam_t != mb[i]->adam_t)
            return false;
    }
    if (a->has_ema != b->has_ema) return false;
    if (a->has_ema && (!same_floats(a->g_ema.params, b->g_ema.params, a->g.n_params) ||
                       !same_floats(a->g_ema.state, b->g_ema.state, a->g.n_state)))
        return false;
    return a->step == b->step;
}

static void train(gan_trainer *t, int steps) {
    gan_step_stats st;
    for (int i = 0; i < steps; i++) CHECK_OK(gan_trainer_step(t, &st));
}

/* ------------------------------------------------------------ rewriting */

/* Copy checkpoint `src` to `dst`, letting `edit` change each tensor (return
 * false to drop it) and overriding metadata key `mkey` with `mval`. */
typedef bool (*edit_fn)(gan_st_tensor *t, void *buf);
static void rewrite(const char *src, const char *dst, edit_fn edit, const char *mkey,
                    const char *mval) {
    gan_st_file *f = NULL;
    CHECK_OK(gan_st_open(src, &f));
    if (!f) return;
    gan_st_writer *w = NULL;
    CHECK_OK(gan_st_writer_create(&w));
    size_t n = gan_st_count(f);
    void **bufs = calloc(n, sizeof *bufs);
    for (size_t i = 0; i < n; i++) {
        gan_st_tensor t = *gan_st_tensor_at(f, i);
        bufs[i] = malloc(t.nbytes + 16);
        if (t.nbytes) memcpy(bufs[i], t.data, t.nbytes);
        if (edit && !edit(&t, bufs[i])) continue;
        CHECK_OK(gan_st_writer_add(w, t.name, t.dtype, t.ndims, t.shape, bufs[i]));
    }
    for (size_t i = 0; i < gan_st_metadata_count(f); i++) {
        const char *k, *v;
        CHECK_OK(gan_st_metadata_at(f, i, &k, &v));
        if (mkey && strcmp(k, mkey) == 0) {
            if (mval) CHECK_OK(gan_st_writer_set_metadata(w, k, mval));
        } else {
            CHECK_OK(gan_st_writer_set_metadata(w, k, v));
        }
    }
    CHECK_OK(gan_st_writer_save(w, dst));
    gan_st_writer_free(w);
    for (size_t i = 0; i < n; i++) free(bufs[i]);
    free(bufs);
    gan_st_close(f);
}

static const char *target;
static bool drop_target(gan_st_tensor *t, void *buf) {
    return strcmp(t->name, target) != 0;
}
static bool nan_in_target(gan_st_tensor *t, void *buf) {
    if (strcmp(t->name, target) == 0) ((float *)buf)[3] = NAN;
    return true;
}
static bool reshape_target(gan_st_tensor *t, void *buf) {
    if (strcmp(t->name, target) == 0) { /* [out, in] -> [in, out]: same bytes, wrong layout */
        int64_t s = t->shape[0];
        t->shape[0] = t->shape[1], t->shape[1] = s;
    }
    return true;
}
static bool retype_target(gan_st_tensor *t, void *buf) {
    if (strcmp(t->name, target) == 0) t->dtype = GAN_ST_I32; /* same size as F32 */
    return true;
}

/* Both loaders refuse `path`, each with a message naming it. */
static void expect_refused(const char *path, const char *what, const char *needle) {
    gan_dataset *d = make_dataset(256);
    gan_trainer *t = NULL;
    gan_status s = gan_trainer_resume(path, d, 1, &t);
    CHECK_MSG(s != GAN_OK && t == NULL, "%s: resume accepted it", what);
    CHECK_MSG(strstr(gan_last_error(), path) != NULL, "%s: message '%s' lacks the path", what,
              gan_last_error());
    if (needle)
        CHECK_MSG(strstr(gan_last_error(), needle) != NULL, "%s: message '%s' lacks '%s'", what,
                  gan_last_error(), needle);
    gan_generator *g = NULL;
    if (strcmp(what, "optimizer moment missing") != 0 && strcmp(what, "step mismatch") != 0) {
        s = gan_generator_load(path, &g);
        CHECK_MSG(s != GAN_OK && g == NULL, "%s: generator load accepted it", what);
    }
    gan_generator_free(g);
    gan_trainer_free(t);
    gan_dataset_free(d);
}

/* A model with residual blocks (test_block_spec: conditional BN in a block,
 * spectral norm, a projection head, hinge loss, an EMA) stopped after 5 steps and resumed is
 * bit-identical to one run 9 steps; its checkpoint names the block tensors
 * PyTorch's way. */
static void test_blocks_resume(void) {
    gan_dataset *ld = make_dataset_labeled(256, true);
    gan_train_options o;
    gan_train_options_default(&o);
    o.batch_size = 16;
    o.threads = 1;
    o.ema = 0.9f;
    o.loss = GAN_LOSS_HINGE;
    o.beta1 = 0.0f, o.beta2 = 0.9f;
    gan_trainer *whole = NULL, *half = NULL, *rest = NULL;
    CHECK_OK(gan_trainer_create(test_block_spec(), &o, ld, &whole));
    CHECK_OK(gan_trainer_create(test_block_spec(), &o, ld, &half));
    if (whole && half) {
        train(whole, 9);
        train(half, 5);
        const char *mid = test_tmp_path_kept("mid_blocks.safetensors");
        CHECK_OK(gan_trainer_save_checkpoint(half, mid));
        gan_st_file *f = NULL;
        CHECK_OK(gan_st_open(mid, &f));
        CHECK(f && gan_st_find(f, "generator.2.main.0.weight") &&
              gan_st_find(f, "generator_ema.3.shortcut.1.bias") &&
              gan_st_find(f, "discriminator.0.shortcut.1.weight_orig") &&
              gan_st_find(f, "discriminator.1.main.1.weight_u") &&
              gan_st_find(f, "discriminator.4.embed.weight_orig") &&
              gan_st_find(f, "discriminator.4.linear.weight_v"));
        gan_st_close(f);
        CHECK_OK(gan_trainer_resume(mid, ld, 2, &rest));
        if (rest) {
            train(rest, 4);
            CHECK_MSG(same_state(whole, rest), "blocks: resume is not bit-exact");
        }
    }
    gan_trainer_free(whole);
    gan_trainer_free(half);
    gan_trainer_free(rest);
    gan_dataset_free(ld);
}

/* A checkpoint from before --ema-warmup (no options.ema_warmup) resumes with
 * the warm-up off: a run of 9 steps with it off equals 5 steps, a checkpoint
 * without the key, and 4 more; the same checkpoint with the key (new files
 * say "on" or "off") resumes with the saved value. */
static void test_ema_warmup_keys(void) {
    gan_dataset *d = make_dataset(256);
    gan_train_options o;
    gan_train_options_default(&o);
    CHECK(o.ema_warmup == 1); /* new runs: on */
    o.batch_size = 32;
    o.threads = 1;
    o.ema = 0.99f;
    o.ema_warmup = 0;
    gan_trainer *whole = NULL, *half = NULL, *rest = NULL;
    CHECK_OK(gan_trainer_create("mlp", &o, d, &whole));
    CHECK_OK(gan_trainer_create("mlp", &o, d, &half));
    if (whole && half) {
        train(whole, 9);
        train(half, 5);
        const char *mid = test_tmp_path_kept("mid_nowarm.safetensors");
        const char *old = test_tmp_path_kept("old_nowarm.safetensors");
        CHECK_OK(gan_trainer_save_checkpoint(half, mid));
        gan_st_file *f = NULL;
        CHECK_OK(gan_st_open(mid, &f));
        const char *v = f ? gan_st_metadata(f, "options.ema_warmup") : NULL;
        CHECK_MSG(v && strcmp(v, "off") == 0, "options.ema_warmup = %s", v ? v : "(none)");
        gan_st_close(f);
        rewrite(mid, old, NULL, "options.ema_warmup", NULL);
        CHECK_OK(gan_trainer_resume(old, d, 2, &rest));
        if (rest) {
            gan_train_options ro;
            gan_trainer_options(rest, &ro);
            CHECK_MSG(ro.ema_warmup == 0, "a file without options.ema_warmup resumed with it on");
            train(rest, 4);
            CHECK_MSG(same_state(whole, rest), "resume without options.ema_warmup is not "
                      "bit-exact with the warm-up off");
        }
        gan_trainer_free(rest);
        rest = NULL;
        /* the key present: its value wins (here "on", unlike the run: the EMA differs) */
        rewrite(mid, old, NULL, "options.ema_warmup", "on");
        CHECK_OK(gan_trainer_resume(old, d, 1, &rest));
        if (rest) {
            gan_train_options ro;
            gan_trainer_options(rest, &ro);
            CHECK(ro.ema_warmup == 1);
            train(rest, 4);
            CHECK(same_floats(rest->g.params, whole->g.params, whole->g.n_params) &&
                  !same_floats(rest->g_ema.params, whole->g_ema.params, whole->g.n_params));
        }
        gan_trainer_free(rest);
        rewrite(mid, old, NULL, "options.ema_warmup", "maybe");
        expect_refused(old, "bad ema_warmup", "options.ema_warmup");
    }
    gan_trainer_free(whole);
    gan_trainer_free(half);
    gan_dataset_free(d);
}

/* The fuzz corpus's conv_ema_4x4, written before --ema-warmup (ema 0.9, one
 * step done), resumes on its 8 images with the warm-up off: the next update
 * uses 0.9 (with the warm-up, step 2 would use 0.25). */
static void test_corpus_ema(void) {
    char path[1200];
    snprintf(path, sizeof path, "%s/../fuzz/corpus/checkpoint/conv_ema_4x4",
             test_fixture_path(""));
    uint8_t px[8 * 16]; /* tests/fuzz/make_seeds.c's dataset_4x4 */
    for (int i = 0; i < 8 * 16; i++) px[i] = (uint8_t)(i * 37);
    int64_t dims[3] = {8, 4, 4};
    const char *dir = test_tmp_path_kept("corpus4x4");
    char idx[1400];
    snprintf(idx, sizeof idx, "mkdir -p %s", dir);
    CHECK(system(idx) == 0);
    snprintf(idx, sizeof idx, "%s/train-images-idx3-ubyte", dir);
    CHECK_OK(gan_idx_write(idx, px, 3, dims, false));
    gan_dataset *d = NULL;
    CHECK_OK(gan_dataset_load(dir, GAN_SPLIT_TRAIN, &d));
    gan_trainer *t = NULL;
    if (d) CHECK_OK(gan_trainer_resume(path, d, 1, &t));
    if (t) {
        gan_train_options o;
        gan_trainer_options(t, &o);
        CHECK(o.ema == 0.9f && o.ema_warmup == 0 && t->has_ema && t->step == 1);
        size_t n = t->g.n_params;
        float *before = malloc(n * sizeof *before);
        memcpy(before, t->g_ema.params, n * sizeof *before);
        train(t, 1);
        bool ok = true;
        for (size_t i = 0; i < n; i++)
            ok &= t->g_ema.params[i] == 0.9f * before[i] + (1.0f - 0.9f) * t->g.params[i];
        CHECK_MSG(ok, "conv_ema_4x4: the resumed EMA did not use the decay 0.9");
        free(before);
    }
    gan_trainer_free(t);
    gan_dataset_free(d);
}

/* The ResNet presets as they train (their train sections: hinge loss, Adam
 * betas 0 and 0.9, EMA 0.999), at batch 2 to stay short on a CPU: 1 step,
 * a checkpoint, 1 more step after resuming equals 2 steps never stopped. */
static void test_preset_resume(const char *preset) {
    gan_dataset *ld = make_dataset_labeled(64, true);
    gan_spec *spec = NULL;
    CHECK_OK(gan_spec_load(preset, &spec));
    gan_train_options o;
    gan_train_options_default(&o);
    if (spec) gan_spec_train_options(spec, &o);
    gan_spec_free(spec);
    CHECK_MSG(o.loss == GAN_LOSS_HINGE && o.ema > 0.0f, "%s: not its recipe", preset);
    o.batch_size = 2;
    o.threads = 2;
    gan_trainer *whole = NULL, *half = NULL, *rest = NULL;
    CHECK_OK(gan_trainer_create(preset, &o, ld, &whole));
    CHECK_OK(gan_trainer_create(preset, &o, ld, &half));
    if (whole && half) {
        train(whole, 2);
        train(half, 1);
        char name[64];
        snprintf(name, sizeof name, "mid_%s.safetensors", preset);
        const char *mid = test_tmp_path_kept(name);
        CHECK_OK(gan_trainer_save_checkpoint(half, mid));
        CHECK_OK(gan_trainer_resume(mid, ld, 2, &rest));
        if (rest) {
            train(rest, 1);
            CHECK_MSG(same_state(whole, rest), "%s: resume is not bit-exact", preset);
        }
    }
    gan_trainer_free(whole);
    gan_trainer_free(half);
    gan_trainer_free(rest);
    gan_dataset_free(ld);
}

/* Every tensor of a model, concatenated in gan_model_each_tensor's order:
 * the reference that gan_generator_weights(_part) must equal. */
typedef struct tensor_cat {
    float *all;
    size_t n;
} tensor_cat;

static gan_status cat_tensor(void *ctx, const char *name, const gan_layer_tensor *t) {
    (void)name;
    tensor_cat *c = ctx;
    if (c->all) memcpy(c->all + c->n, t->data, t->size * sizeof(float));
    c->n += t->size;
    return GAN_OK;
}

/* gan_generator_weights and gan_generator_weights_part: every tensor of the
 * generator (all of a self-attention layer's 13 with spectral norm), and any
 * window of that bit for bit, across tensor boundaries and cut at the end
 * (the report streams the weights so). */
static void weights_parts(const gan_generator *g) {
    tensor_cat ref = {NULL, 0};
    CHECK_OK(gan_model_each_tensor(&g->model, cat_tensor, &ref));
    ref.all = malloc((ref.n ? ref.n : 1) * sizeof(float));
    ref.n = 0;
    if (ref.all) CHECK_OK(gan_model_each_tensor(&g->model, cat_tensor, &ref));
    float *all = NULL;
    size_t n = 0;
    CHECK_OK(gan_generator_weights(g, &all, &n));
    CHECK_MSG(n > 0 && n == ref.n && gan_generator_weights_part(g, 0, 0, NULL) == n,
              "the generator has %zu weights, its tensors %zu", n, ref.n);
    CHECK(all && ref.all && n == ref.n && memcmp(all, ref.all, n * sizeof(float)) == 0);
    free(ref.all);
    float *part = all ? malloc((n + 7) * sizeof *part) : NULL;
    const size_t widths[] = {1, 7, 100, 4096, n};
    for (size_t i = 0; part && i < sizeof widths / sizeof widths[0]; i++) {
        size_t wd = widths[i], bad = 0;
        for (size_t at = 0; at < n; at += wd) {
            size_t k = n - at < wd ? n - at : wd;
            for (size_t j = 0; j < 7; j++) part[k + j] = -7.0f; /* past the window: untouched */
            CHECK(gan_generator_weights_part(g, at, wd, part) == n);
            if (memcmp(part, all + at, k * sizeof *part) != 0 || part[k] != -7.0f) bad++;
        }
        CHECK_MSG(bad == 0, "%zu windows of %zu weights differ from the whole copy", bad, wd);
    }
    free(part);
    free(all);
}

/* Self-attention in both networks (in D with spectral norm on f, g, h): a
 * resume is bit-exact, the checkpoint names the normalized tensors, and gan
 * export refuses the generator, naming the layer. */
static void test_attention(void) {
    const char *path = test_tmp_path_kept("attention.gan");
    const char *spec = "image 1 28 28\nlatent 8\ngenerator\n  dense 98\n  reshape 2 7 7\n"
                       "  self_attention 1\n  upsample2d 4\n"
                       "  conv2d 1 kernel=3 padding=1\n  tanh\ndiscriminator\n  avgpool2d 4\n"
                       "  self_attention spectral_norm=true\n  flatten\n"
                       "  dense 1\n";
    CHECK(test_write_file(path, spec, strlen(spec)) == 0);
    gan_dataset *d = make_dataset(64);
    gan_train_options o;
    gan_train_options_default(&o);
    o.batch_size = 4;
    o.threads = 1;
    gan_trainer *whole = NULL, *half = NULL, *rest = NULL;
    CHECK_OK(gan_trainer_create(path, &o, d, &whole));
    CHECK_OK(gan_trainer_create(path, &o, d, &half));
    if (whole && half) {
        train(whole, 5);
        train(half, 3);
        const char *mid = test_tmp_path_kept("mid_attention.safetensors");
        CHECK_OK(gan_trainer_save_checkpoint(half, mid));
        gan_st_file *f = NULL;
        CHECK_OK(gan_st_open(mid, &f));
        CHECK(f && gan_st_find(f, "generator.2.h.weight") && gan_st_find(f, "generator.2.gamma") &&
              !gan_st_find(f, "generator.2.h.weight_u") &&
              gan_st_find(f, "discriminator.1.f.weight_orig") &&
              gan_st_find(f, "discriminator.1.f.weight_v") &&
              gan_st_find(f, "discriminator.1.h.weight_u") &&
              !gan_st_find(f, "discriminator.1.f.weight"));
        gan_st_close(f);
        CHECK_OK(gan_trainer_resume(mid, d, 2, &rest));
        if (rest) {
            train(rest, 2);
            CHECK_MSG(same_state(whole, rest), "attention: resume is not bit-exact");
        }
        gan_generator *g = NULL;
        CHECK_OK(gan_generator_load(mid, &g));
        if (g) weights_parts(g);
        if (g) {
            CHECK(gan_generator_export_c(g, test_tmp_path("att.c"), "att") ==
                  GAN_ERR_UNSUPPORTED);
            CHECK_MSG(strstr(gan_last_error(), "layer 2 (self_attention) cannot be exported"),
                      "%s", gan_last_error());
        }
        gan_generator_free(g);
    }
    gan_trainer_free(whole);
    gan_trainer_free(half);
    gan_trainer_free(rest);
    /* the same in G with spectral norm: 13 tensors in one layer */
    const char *sn_path = test_tmp_path_kept("attention_sn.gan");
    const char *sn_spec = "image 1 28 28\nlatent 8\ngenerator\n  dense 98\n  reshape 2 7 7\n"
                          "  self_attention 1 spectral_norm=true\n  upsample2d 4\n"
                          "  conv2d 1 kernel=3 padding=1\n  tanh\ndiscriminator\n  flatten\n"
                          "  dense 1\n";
    CHECK(test_write_file(sn_path, sn_spec, strlen(sn_spec)) == 0);
    gan_trainer *sn = NULL;
    CHECK_OK(gan_trainer_create(sn_path, &o, d, &sn));
    if (sn) {
        train(sn, 1);
        gan_generator *g = NULL;
        CHECK_OK(gan_trainer_generator(sn, &g));
        if (g) weights_parts(g);
        gan_generator_free(g);
    }
    gan_trainer_free(sn);
    gan_dataset_free(d);
}

int main(void) {
    test_ema_warmup_keys();
    test_corpus_ema();
    test_attention();
    test_blocks_resume();
    test_preset_resume("resnet");
    test_preset_resume("cresnet");
    gan_dataset *data = make_dataset(256);
    gan_train_options opt;
    gan_train_options_default(&opt);
    opt.batch_size = 32; /* 8 steps per epoch: the runs below cross epochs */
    opt.threads = 1;
    opt.seed = 7;
    const char *ck = test_tmp_path_kept("a.safetensors");

    /* round trip: every tensor, moment, counter */
    gan_trainer *a = NULL, *b = NULL;
    CHECK_OK(gan_trainer_create("mlp", &opt, data, &a));
    train(a, 5);
    CHECK_OK(gan_trainer_save_checkpoint(a, ck));
    CHECK_OK(gan_trainer_resume(ck, data, 1, &b));
    CHECK(b && same_state(a, b));
    if (b) CHECK(b->last.loss_d == a->last.loss_d && b->last.loss_g == a->last.loss_g);
    gan_train_options ob;
    if (b) gan_trainer_options(b, &ob);
    CHECK(b && ob.seed == 7 && ob.batch_size == 32 && ob.lr == opt.lr && ob.beta1 == opt.beta1 &&
          ob.adam_eps == opt.adam_eps);
    gan_trainer_free(b);
    b = NULL;

    /* a full disk while saving (simulated with RLIMIT_FSIZE: writes past
     * 64 KB fail with EFBIG) leaves the previous checkpoint intact and no
     * temporary file behind */
    {
        size_t before_len = 0;
        void *before = test_read_file(ck, &before_len);
        train(a, 1);
        struct rlimit old, small = {64 * 1024, 64 * 1024};
        CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
        small.rlim_max = old.rlim_max;
        void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
        CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
        gan_status s = gan_trainer_save_checkpoint(a, ck);
        CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
        signal(SIGXFSZ, prev);
        CHECK_MSG(s == GAN_ERR_IO, "save under a full disk returned %d", (int)s);
        CHECK(strstr(gan_last_error(), "a.safetensors") != NULL);
        size_t after_len = 0;
        void *after = test_read_file(ck, &after_len);
        CHECK(before && after && before_len == after_len && memcmp(before, after, after_len) == 0);
        free(before);
        free(after);
        int files = 0;
        DIR *dir = opendir(test_tmpdir());
        for (struct dirent *e; dir && (e = readdir(dir));)
            if (strstr(e->d_name, "a.safetensors")) files++;
        if (dir) closedir(dir);
        CHECK_MSG(files == 1, "%d files named like the checkpoint after the failed save", files);
        gan_trainer *c = NULL;
        CHECK_OK(gan_trainer_resume(ck, data, 1, &c));
        CHECK(c && gan_trainer_step_count(c) == 5); /* the old state */
        gan_trainer_free(c);
        CHECK_OK(gan_trainer_save_checkpoint(a, ck)); /* room again: the save works */
    }

    /* exact resume: 20 straight steps == 9 steps, save, resume, 11 steps;
     * at 1 and 2 threads, and switching thread counts across the resume */
    int thread_pairs[3][2] = {{1, 1}, {2, 2}, {1, 2}};
    for (int k = 0; k < 3; k++) {
        gan_trainer *whole = NULL, *half = NULL, *rest = NULL;
        opt.threads = thread_pairs[k][0];
        CHECK_OK(gan_trainer_create("mlp", &opt, data, &whole));
        CHECK_OK(gan_trainer_create("mlp", &opt, data, &half));
        if (!whole || !half) break;
        train(whole, 20);
        train(half, 9);
        const char *mid = test_tmp_path_kept("mid.safetensors");
        CHECK_OK(gan_trainer_save_checkpoint(half, mid));
        gan_trainer_free(half);
        CHECK_OK(gan_trainer_resume(mid, data, thread_pairs[k][1], &rest));
        if (rest) {
            CHECK(gan_trainer_step_count(rest) == 9);
            train(rest, 11);
            CHECK_MSG(same_state(whole, rest), "resume with threads %d -> %d is not bit-exact",
                      thread_pairs[k][0], thread_pairs[k][1]);
        }
        gan_trainer_free(whole);
        gan_trainer_free(rest);
    }

    /* exact resume with the other options: EMA, K = 2 D steps, own rates,
     * minimax with label smoothing; and hinge for the conditional cgan */
    for (int k = 0; k < 2; k++) {
        gan_dataset *ld = k ? make_dataset_labeled(256, true) : data;
        gan_train_options xo = opt;
        xo.threads = 1;
        xo.ema = 0.9f;
        xo.d_steps = 2;
        xo.lr_g = 3e-4f;
        xo.lr_d = 1e-4f;
        xo.loss = k ? GAN_LOSS_HINGE : GAN_LOSS_MINIMAX;
        xo.label_smoothing = k ? 0.0f : 0.1f;
        const char *model = k ? "cgan" : "mlp";
        gan_trainer *whole = NULL, *half = NULL, *rest = NULL;
        CHECK_OK(gan_trainer_create(model, &xo, ld, &whole));
        CHECK_OK(gan_trainer_create(model, &xo, ld, &half));
        if (!whole || !half) break;
        train(whole, 9);
        train(half, 5);
        const char *mid = test_tmp_path_kept(k ? "mid_c.safetensors" : "mid_x.safetensors");
        CHECK_OK(gan_trainer_save_checkpoint(half, mid));
        gan_trainer_free(half);
        CHECK_OK(gan_trainer_resume(mid, ld, 2, &rest));
        if (rest) {
            gan_train_options ro;
            gan_trainer_options(rest, &ro);
            CHECK(ro.ema == xo.ema && ro.ema_warmup == 1 && ro.d_steps == 2 && ro.lr_g == xo.lr_g &&
                  ro.lr_d == xo.lr_d && ro.loss == xo.loss &&
                  ro.label_smoothing == xo.label_smoothing && ro.clip == xo.clip);
            CHECK(rest->has_ema && gan_trainer_num_classes(rest) == (k ? 10 : 0));
            train(rest, 4);
            CHECK_MSG(same_state(whole, rest), "%s: resume with EMA and d-steps 2 is not "
                      "bit-exact", model);
        }
        /* the generator of a checkpoint with an EMA is the EMA */
        gan_generator *ge = NULL;
        CHECK_OK(gan_generator_load(mid, &ge));
        if (ge) {
            CHECK(gan_generator_uses_ema(ge));
            CHECK(gan_generator_num_classes(ge) == (k ? 10 : 0));
            gan_trainer *again = NULL;
            CHECK_OK(gan_trainer_resume(mid, ld, 1, &again));
            if (again)
                CHECK(same_floats(ge->model.params, again->g_ema.params, again->g.n_params) &&
                      !same_floats(ge->model.params, again->g.params, again->g.n_params));
            gan_trainer_free(again);
        }
        gan_generator_free(ge);
        /* a missing EMA tensor is refused, naming it */
        const char *bad_ema = test_tmp_path_kept(k ? "bad_ema_c.safetensors"
                                                   : "bad_ema_x.safetensors");
        target = k ? "generator_ema.0.weight" : "generator_ema.3.bias";
        rewrite(mid, bad_ema, drop_target, NULL, NULL);
        gan_trainer *t = NULL;
        CHECK(gan_trainer_resume(bad_ema, ld, 1, &t) != GAN_OK && !t);
        CHECK_MSG(strstr(gan_last_error(), target), "%s", gan_last_error());
        ge = NULL;
        CHECK(gan_generator_load(bad_ema, &ge) != GAN_OK && !ge);
        /* a checkpoint of another number of classes is refused */
        rewrite(mid, bad_ema, NULL, "num_classes", k ? "7" : "10");
        CHECK(gan_trainer_resume(bad_ema, ld, 1, &t) != GAN_OK && !t);
        CHECK_MSG(strstr(gan_last_error(), "classes"), "%s", gan_last_error());
        CHECK(gan_generator_load(bad_ema, &ge) != GAN_OK && !ge);
        rewrite(mid, bad_ema, NULL, "options.loss", "sideways");
        CHECK(gan_trainer_resume(bad_ema, ld, 1, &t) != GAN_OK && !t);
        CHECK_MSG(strstr(gan_last_error(), "options.loss"), "%s", gan_last_error());
        gan_trainer_free(whole);
        gan_trainer_free(rest);
        if (k) gan_dataset_free(ld);
    }

    /* exact resume with mirror and augmentation: the dcgan (D with batch norm: real and
     * fake batches apart) with all three ops, and the mlp with 2 D steps per G step and
     * translation only; resumed at another thread count */
    for (int k = 0; k < 2; k++) {
        gan_train_options ao = opt;
        ao.threads = 1;
        ao.batch_size = 16; /* 16 steps per epoch (8 with 2 D steps): the runs cross one */
        ao.mirror = 1;
        ao.augment = k ? GAN_AUGMENT_TRANSLATION
                       : GAN_AUGMENT_COLOR | GAN_AUGMENT_TRANSLATION | GAN_AUGMENT_CUTOUT;
        ao.d_steps = k ? 2 : 1;
        const char *model = k ? "mlp" : "dcgan";
        int before = k ? 5 : 3, after = k ? 6 : 3;
        gan_trainer *whole = NULL, *half = NULL, *rest = NULL, *plain = NULL;
        CHECK_OK(gan_trainer_create(model, &ao, data, &whole));
        CHECK_OK(gan_trainer_create(model, &ao, data, &half));
        if (!whole || !half) break;
        train(whole, before + after);
        train(half, before);
        const char *mid = test_tmp_path_kept(k ? "mid_aug_m.safetensors" : "mid_aug_d.safetensors");
        CHECK_OK(gan_trainer_save_checkpoint(half, mid));
        gan_trainer_free(half);
        CHECK_OK(gan_trainer_resume(mid, data, 2, &rest));
        if (rest) {
            gan_train_options ro;
            gan_trainer_options(rest, &ro);
            CHECK(ro.mirror == 1 && ro.augment == ao.augment);
            train(rest, after);
            CHECK_MSG(same_state(whole, rest), "%s: resume with mirror and augment is not "
                      "bit-exact", model);
        }
        /* and the augmentation did something: without it the run ends elsewhere */
        ao.mirror = 0, ao.augment = 0;
        CHECK_OK(gan_trainer_create(model, &ao, data, &plain));
        if (plain) {
            train(plain, before + after);
            CHECK(!same_state(whole, plain));
        }
        /* a checkpoint with a bad augmentation list is refused naming the key */
        const char *bad = test_tmp_path_kept(k ? "bad_aug_m.safetensors" : "bad_aug_d.safetensors");
        rewrite(mid, bad, NULL, "options.augment", "color,zoom");
        gan_trainer *t = NULL;
        CHECK(gan_trainer_resume(bad, data, 1, &t) != GAN_OK && !t);
        CHECK_MSG(strstr(gan_last_error(), "options.augment"), "%s", gan_last_error());
        gan_trainer_free(whole);
        gan_trainer_free(rest);
        gan_trainer_free(plain);
    }

    /* the generator API sees the same generator as the trainer */
    gan_generator *g = NULL;
    CHECK_OK(gan_generator_load(ck, &g));
    if (g) {
        CHECK(gan_generator_latent_dim(g) == 100);
        int c, h, w;
        gan_generator_image_shape(g, &c, &h, &w);
        CHECK(c == 1 && h == 28 && w == 28);
        CHECK(same_floats(g->model.params, a->g.params, a->g.n_params));
        CHECK(same_floats(g->model.state, a->g.state, a->g.n_state));
        float z[3 * 100], z2[100], x1[3 * 784], x2[3 * 784];
        gan_generator_noise(g, 5, 0, 3, z);
        gan_generator_noise(g, 5, 2, 1, z2);
        CHECK(same_floats(z + 200, z2, 100)); /* sample i depends on (seed, i) only */
        CHECK_OK(gan_generator_generate(g, z, 3, x1));
        CHECK_OK(gan_trainer_generate(a, z, 3, x2));
        CHECK(same_floats(x1, x2, 3 * 784));
    }
    gan_generator_free(g);

    /* a dataset of another size is refused */
    gan_dataset *other = make_dataset(300);
    CHECK(gan_trainer_resume(ck, other, 1, &b) == GAN_ERR_SHAPE && !b);
    CHECK(strstr(gan_last_error(), "256 images") != NULL);
    gan_dataset_free(other);

    /* truncated at many offsets: all refused, no crash (ASan build too) */
    size_t len = 0;
    unsigned char *bytes = test_read_file(ck, &len);
    CHECK(bytes && len > 1000);
    uint64_t hlen = 0;
    if (bytes) memcpy(&hlen, bytes, 8);
    const char *cut = test_tmp_path_kept("cut.safetensors");
    int refused = 0, tried = 0;
    for (size_t off = 0; bytes && off < len; off += off < 8 + hlen + 64 ? 7 : len / 23 + 1) {
        CHECK(test_write_file(cut, bytes, off) == 0);
        gan_trainer *t = NULL;
        gan_generator *gg = NULL;
        tried++;
        if (gan_trainer_resume(cut, data, 1, &t) != GAN_OK && !t &&
            gan_generator_load(cut, &gg) != GAN_OK && !gg && strstr(gan_last_error(), cut))
            refused++;
        gan_trainer_free(t);
        gan_generator_free(gg);
    }
    CHECK_MSG(refused == tried, "%d of %d truncated checkpoints refused", refused, tried);
    free(bytes);

    /* hostile or damaged content, one defect at a time */
    const char *bad = test_tmp_path_kept("bad.safetensors");
    target = "generator.3.weight";
    rewrite(ck, bad, drop_target, NULL, NULL);
    expect_refused(bad, "tensor missing", "generator.3.weight");
    target = "optimizer.discriminator.1.weight.exp_avg_sq";
    rewrite(ck, bad, drop_target, NULL, NULL);
    expect_refused(bad, "optimizer moment missing", "exp_avg_sq");
    target = "generator.6.weight";
    rewrite(ck, bad, nan_in_target, NULL, NULL);
    expect_refused(bad, "NaN weight", "NaN");
    rewrite(ck, bad, reshape_target, NULL, NULL);
    expect_refused(bad, "transposed shape", "shape");
    rewrite(ck, bad, retype_target, NULL, NULL);
    expect_refused(bad, "wrong dtype", "dtype");
    /* files written before specs: the model's name decides (a preset, never a file) */
    const char *old = test_tmp_path_kept("old.safetensors");
    rewrite(ck, old, NULL, "spec", NULL);
    {
        gan_dataset *d = make_dataset(256);
        gan_trainer *t = NULL;
        gan_generator *gen = NULL;
        CHECK_OK(gan_trainer_resume(old, d, 1, &t));
        CHECK_OK(gan_generator_load(old, &gen));
        CHECK(gen && strcmp(gan_generator_model_name(gen), "mlp") == 0);
        CHECK(gen && strstr(gan_spec_text(gan_generator_spec(gen)), "leaky_relu 0.2") != NULL);
        gan_generator_free(gen);
        gan_trainer_free(t);
        gan_dataset_free(d);
    }
    /* one metadata entry changed (NULL: dropped), then refused with `want` */
    static const struct {
        bool from_old;
        const char *key, *value, *what, *want;
    } edits[] = {
        {true, "model", "no-such-model", "unknown model", "no-such-model"},
        {true, "model", "../models/mlp.gan", "model name as a path", "unknown model '../models/mlp.gan'"},
        /* a spec that does not parse, or that contradicts the metadata */
        {false, "spec", "image 1 28 28\nlatent 100\ngenerator\n  dense 784 strid=2\n", "bad spec",
         "bad.safetensors:spec:4: dense: unknown key 'strid'"},
        {false, "spec", "", "empty spec", "bad.safetensors:spec: empty model spec"},
        {false, "latent_dim", "64", "latent size", "do not match the model"},
        {false, "format", NULL, "no format", "format"},
        {false, "options.batch_size", "32x", "bad option", "options.batch_size"},
        {false, "options.lr", "nan", "NaN option", "options.lr"},
        {false, "state.step", "99", "step mismatch", "disagree"},
        {false, "format_version", "99", "future version", "version"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        rewrite(edits[i].from_old ? old : ck, bad, NULL, edits[i].key, edits[i].value);
        expect_refused(bad, edits[i].what, edits[i].want);
    }
    /* header length that lies (huge, and past the end of the file) */
    unsigned char hdr[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}'};
    CHECK(test_write_file(bad, hdr, 10) == 0);
    expect_refused(bad, "huge header length", NULL);
    unsigned char lie[12] = {200, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' '};
    CHECK(test_write_file(bad, lie, 12) == 0);
    expect_refused(bad, "header past end", NULL);
    /* overlapping tensors: two entries pointing at the same bytes */
    const char *ov = "{\"generator.0.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                     "\"generator.0.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    size_t ovl = strlen(ov);
    unsigned char *ovf = calloc(1, 8 + ovl + 8);
    ovf[0] = (unsigned char)ovl;
    memcpy(ovf + 8, ov, ovl);
    CHECK(test_write_file(bad, ovf, 8 + ovl + 8) == 0);
    free(ovf);
    expect_refused(bad, "overlapping tensors", NULL);

    gan_trainer_free(a);
    gan_dataset_free(data);
    return test_report();
}
