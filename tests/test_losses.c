/*
 * test_losses.c - the adversarial losses:
 *   - every loss term of the backend (loss_acc): value and reported output
 *     against its formula in double, gradient against the formula and
 *     against central differences of the kernel's own value, sums that
 *     accumulate, dl = NULL allowed;
 *   - every gan_loss as the trainer assembles it (gan_loss_spec_of, its D
 *     weight and scales): D's and G's loss against the formulas of gan.h
 *     written out in double, and the gradient dl that reaches D's outputs
 *     against central differences of that loss (value and gradient);
 *   - the trainer's reported loss_d, loss_g, d_real, d_fake for each loss
 *     (and with label smoothing) against the formulas on the logits of an
 *     identical trainer; Wasserstein clipping keeps D's parameters in
 *     [-clip, clip]; with a D whose layer mixes rows (minibatch_stddev),
 *     the real and fake batches go through D separately;
 *   - ema_update and clamp.
 */
#include "backend.h"
#include "rng.h"
#include "test_util.h"
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double softplus(double z) { /* log(1 + e^z), stable */
    return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

static double sigmoid(double z) {
    return 1.0 / (1.0 + exp(-z));
}

/* One term's value f(l; t) and derivative in double. */
static double term_value(gan_loss_term term, double l, double t, double *grad, double *rep) {
    *rep = l;
    switch (term) {
    case GAN_LOSS_TERM_BCE: /* -t log s(l) - (1 - t) log(1 - s(l)) */
        *grad = sigmoid(l) - t, *rep = sigmoid(l);
        return t * softplus(-l) + (1 - t) * softplus(l);
    case GAN_LOSS_TERM_NEG_BCE:
        *grad = t - sigmoid(l), *rep = sigmoid(l);
        return -(t * softplus(-l) + (1 - t) * softplus(l));
    case GAN_LOSS_TERM_SQUARE:
        *grad = l - t;
        return 0.5 * (l - t) * (l - t);
    case GAN_LOSS_TERM_HINGE:
        *grad = 1 - t * l > 0 ? -t : 0;
        return fmax(0.0, 1 - t * l);
    case GAN_LOSS_TERM_LINEAR:
        *grad = t;
        return t * l;
    }
    return NAN;
}

static const char *term_names[] = {"bce", "neg_bce", "square", "hinge", "linear"};

static void check_terms(void) {
    const gan_backend *be = gan_backend_cpu();
    enum { N = 10 };
    float l[N] = {-60.0f, -7.5f, -2.0f, -0.6f, -0.2f, 0.3f, 0.8f, 1.7f, 6.0f, 80.0f};
    float dl[N];
    struct { gan_loss_term term; float t; } cases[] = {
        {GAN_LOSS_TERM_BCE, 1.0f},     {GAN_LOSS_TERM_BCE, 0.0f},
        {GAN_LOSS_TERM_BCE, 0.8f},     {GAN_LOSS_TERM_NEG_BCE, 0.0f},
        {GAN_LOSS_TERM_SQUARE, 1.0f},  {GAN_LOSS_TERM_SQUARE, 0.0f},
        {GAN_LOSS_TERM_HINGE, 1.0f},   {GAN_LOSS_TERM_HINGE, -1.0f},
        {GAN_LOSS_TERM_LINEAR, 1.0f},  {GAN_LOSS_TERM_LINEAR, -1.0f},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        gan_loss_term term = cases[c].term;
        float t = cases[c].t, scale = 0.25f;
        const char *name = term_names[term];
        float sums[2] = {1.5f, -2.0f}; /* accumulate onto what is there */
        be->loss_acc(be->ctx, dl, l, N, term, t, scale, sums);
        double want = 0, want_rep = 0;
        for (int i = 0; i < N; i++) {
            double g = 0, rep = 0;
            want += term_value(term, l[i], t, &g, &rep);
            want_rep += rep;
            CHECK_MSG(fabs(dl[i] - scale * g) <= 1e-6 * (1 + fabs(scale * g)),
                      "%s t=%g: dl[%d] = %g, expected %g", name, t, i, dl[i], scale * g);
            /* central differences of the kernel's own value, off the kinks */
            bool kink = term == GAN_LOSS_TERM_HINGE && fabs(1 - t * l[i]) < 0.05;
            if (fabs(l[i]) < 20 && !kink) {
                float h = 1e-2f, lp = l[i] + h, lm = l[i] - h, fp[2] = {0}, fm[2] = {0};
                be->loss_acc(be->ctx, NULL, &lp, 1, term, t, 1.0f, fp);
                be->loss_acc(be->ctx, NULL, &lm, 1, term, t, 1.0f, fm);
                double num = scale * ((double)fp[0] - fm[0]) / (2.0 * h);
                CHECK_MSG(fabs(num - dl[i]) < 2e-4 * (1 + fabs(num)),
                          "%s t=%g: numeric %g vs analytic %g at l=%g", name, t, num, dl[i],
                          l[i]);
            }
        }
        CHECK_MSG(fabs((sums[0] - 1.5) - want) <= 1e-5 * (1 + fabs(want)),
                  "%s t=%g: loss sum %.7g, expected %.7g", name, t, sums[0] - 1.5, want);
        CHECK_MSG(fabs((sums[1] + 2.0) - want_rep) <= 1e-5 * (1 + fabs(want_rep)),
                  "%s t=%g: reported sum %.7g, expected %.7g", name, t, sums[1] + 2.0, want_rep);
        CHECK(isfinite(sums[0]) && isfinite(sums[1]));
    }
    /* BCE term == the bce_logits kernel, bit for bit (the seed's loss) */
    float tt[N], dl2[N], sums[2] = {0, 0};
    for (int i = 0; i < N; i++) tt[i] = 1.0f;
    be->bce_logits(be->ctx, dl2, l, tt, N, 0.125f, NULL);
    be->loss_acc(be->ctx, dl, l, N, GAN_LOSS_TERM_BCE, 1.0f, 0.125f, sums);
    CHECK(memcmp(dl, dl2, sizeof dl) == 0);
}

/* The losses of gan.h, written out in double from D's outputs: real (B),
 * fake (B) for D's step, gen (B) for G's step. */
static void formulas(gan_loss loss, float smooth, const float *real, const float *fake,
                     const float *gen, int B, double *ld, double *lg) {
    double a = 0, b = 0, g = 0, t = 1.0 - smooth;
    for (int i = 0; i < B; i++) {
        double x = real[i], y = fake[i], z = gen[i];
        switch (loss) {
        case GAN_LOSS_NONSATURATING:
        case GAN_LOSS_MINIMAX: /* BCE, targets 1 - s and 0 */
            a += -(t * log(sigmoid(x)) + (1 - t) * log(1 - sigmoid(x)));
            b += -log(1 - sigmoid(y));
            g += loss == GAN_LOSS_MINIMAX ? log(1 - sigmoid(z)) : -log(sigmoid(z));
            break;
        case GAN_LOSS_LEAST_SQUARES:
            a += 0.5 * (x - 1) * (x - 1), b += 0.5 * y * y, g += 0.5 * (z - 1) * (z - 1);
            break;
        case GAN_LOSS_HINGE:
            a += fmax(0, 1 - x), b += fmax(0, 1 + y), g += -z;
            break;
        case GAN_LOSS_WASSERSTEIN:
            a += -x, b += y, g += -z;
            break;
        }
    }
    bool bce = loss == GAN_LOSS_NONSATURATING || loss == GAN_LOSS_MINIMAX;
    *ld = bce ? (a + b) / (2.0 * B) : a / B + b / B; /* BCE: mean over the 2B rows */
    *lg = g / B;
}

/* The trainer's assembly (trainer.c d_step / g_step / finish_iteration)
 * applied to given outputs. */
static void assembled(const gan_loss_spec *ls, const float *real, const float *fake,
                      const float *gen, int B, float *dl_d, float *dl_g, double *ld, double *lg) {
    const gan_backend *be = gan_backend_cpu();
    float s[GAN_SUM_COUNT] = {0};
    float scale = ls->half ? 1.0f / (2.0f * (float)B) : 1.0f / (float)B;
    be->loss_acc(be->ctx, dl_d, real, (size_t)B, ls->real, ls->t_real, scale, s + GAN_SUM_REAL);
    be->loss_acc(be->ctx, dl_d ? dl_d + B : NULL, fake, (size_t)B, ls->fake, ls->t_fake, scale,
                 s + GAN_SUM_FAKE);
    be->loss_acc(be->ctx, dl_g, gen, (size_t)B, ls->gen, ls->t_gen, 1.0f / (float)B, s + GAN_SUM_GEN);
    *ld = (ls->half ? 0.5 : 1.0) * ((double)s[GAN_SUM_REAL] + s[GAN_SUM_FAKE]) / B;
    *lg = (double)s[GAN_SUM_GEN] / B;
}

static void check_losses(void) {
    enum { B = 6 };
    float out[3 * B];
    gan_rng_uniform(3, 1, out, 3 * B);
    for (int i = 0; i < 3 * B; i++) out[i] = 4.0f * out[i] - 2.0f;
    out[0] = 1.0f - 0.3f; /* near, not at, the hinge's kink */
    for (int k = 0; k <= GAN_LOSS_WASSERSTEIN; k++) {
        gan_loss loss = (gan_loss)k;
        for (int sm = 0; sm < 2; sm++) {
            float smooth = sm ? 0.1f : 0.0f;
            if (sm && loss != GAN_LOSS_NONSATURATING && loss != GAN_LOSS_MINIMAX) continue;
            gan_train_options o;
            gan_train_options_default(&o);
            o.loss = loss;
            o.label_smoothing = smooth;
            gan_loss_spec ls = gan_loss_spec_of(&o);
            float *real = out, *fake = out + B, *gen = out + 2 * B, dl_d[2 * B], dl_g[B];
            double ld, lg, want_d, want_g;
            assembled(&ls, real, fake, gen, B, dl_d, dl_g, &ld, &lg);
            formulas(loss, smooth, real, fake, gen, B, &want_d, &want_g);
            CHECK_MSG(fabs(ld - want_d) < 1e-5 * (1 + fabs(want_d)),
                      "%s (smoothing %g): loss_d %.7g, formula %.7g", gan_loss_name(loss), smooth,
                      ld, want_d);
            CHECK_MSG(fabs(lg - want_g) < 1e-5 * (1 + fabs(want_g)),
                      "%s: loss_g %.7g, formula %.7g", gan_loss_name(loss), lg, want_g);
            /* the gradient reaching D's outputs = d(formula)/d(output) */
            for (int i = 0; i < 3 * B; i++) {
                float keep = out[i], h = 1e-2f;
                double dp, gp, dm, gm;
                out[i] = keep + h;
                formulas(loss, smooth, real, fake, gen, B, &dp, &gp);
                out[i] = keep - h;
                formulas(loss, smooth, real, fake, gen, B, &dm, &gm);
                out[i] = keep;
                double num = i < 2 * B ? (dp - dm) / (2.0 * h) : (gp - gm) / (2.0 * h);
                float ana = i < 2 * B ? dl_d[i] : dl_g[i - 2 * B];
                CHECK_MSG(fabs(num - ana) < 1e-4 * (1 + fabs(num)),
                          "%s (smoothing %g): d loss / d output %d: analytic %g numeric %g",
                          gan_loss_name(loss), smooth, i, ana, num);
            }
        }
    }
}

/* A trainer's reported statistics equal the formulas on D's outputs. */
static void check_trainer_stats(void) {
    enum { B = 8 };
    for (int k = 0; k <= GAN_LOSS_WASSERSTEIN + 1; k++) {
        gan_train_options o;
        gan_train_options_default(&o);
        o.batch_size = B;
        o.threads = 1;
        o.loss = k <= GAN_LOSS_WASSERSTEIN ? (gan_loss)k : GAN_LOSS_NONSATURATING;
        if (k > GAN_LOSS_WASSERSTEIN) o.label_smoothing = 0.2f;
        o.clip = 0.05f;
        gan_trainer *a = NULL, *b = NULL;
        CHECK_OK(test_trainer_for_model("mlp", &o, &a));
        CHECK_OK(test_trainer_for_model("mlp", &o, &b));
        if (!a || !b) return;
        gan_trainer *tr[2] = {a, b};
        for (int j = 0; j < 2; j++) {
            gan_rng_uniform(11, 1, gan_trainer_real_rows(tr[j]), (size_t)B * 784);
            for (size_t i = 0; i < (size_t)B * 784; i++)
                gan_trainer_real_rows(tr[j])[i] = 2.0f * gan_trainer_real_rows(tr[j])[i] - 1.0f;
            gan_rng_normal(11, 2, gan_trainer_noise(tr[j]), (size_t)B * 100);
        }
        /* a: D's outputs before its update, as the D step sees them */
        const float *fake = gan_model_forward(&a->g, gan_trainer_noise(a), B, true);
        memcpy(gan_trainer_real_rows(a) + (size_t)B * 784, fake, sizeof(float) * B * 784);
        float logits[2 * B];
        memcpy(logits, gan_model_forward(&a->d, a->d.acts[0], 2 * B, true), sizeof logits);
        gan_step_stats st;
        CHECK_OK(gan_trainer_step_batch(b, &st));
        /* b's G step logits are still in D's output */
        const float *gen = b->d.acts[b->d.n_layers];
        double ld, lg;
        formulas(o.loss, o.label_smoothing, logits, logits + B, gen, B, &ld, &lg);
        bool prob = o.loss == GAN_LOSS_NONSATURATING || o.loss == GAN_LOSS_MINIMAX;
        double dr = 0, df = 0;
        for (int i = 0; i < B; i++) {
            dr += prob ? sigmoid(logits[i]) : logits[i];
            df += prob ? sigmoid(logits[B + i]) : logits[B + i];
        }
        const char *name = gan_loss_name(o.loss);
        CHECK_MSG(fabs(st.loss_d - ld) < 1e-5 * (1 + fabs(ld)), "%s: loss_d %.7g, formula %.7g",
                  name, st.loss_d, ld);
        CHECK_MSG(fabs(st.loss_g - lg) < 1e-5 * (1 + fabs(lg)), "%s: loss_g %.7g, formula %.7g",
                  name, st.loss_g, lg);
        CHECK_MSG(fabs(st.d_real - dr / B) < 1e-5 && fabs(st.d_fake - df / B) < 1e-5,
                  "%s: d_real %g (%g), d_fake %g (%g)", name, st.d_real, dr / B, st.d_fake,
                  df / B);
        /* clipping: only for the Wasserstein loss, and then everywhere */
        float worst = 0;
        for (size_t i = 0; i < b->d.n_params; i++) worst = fmaxf(worst, fabsf(b->d.params[i]));
        if (o.loss == GAN_LOSS_WASSERSTEIN)
            CHECK_MSG(worst <= 0.05f, "wasserstein: |D weight| up to %g > clip 0.05", worst);
        else
            CHECK_MSG(worst > 0.05f, "%s: D's weights look clipped (max %g)", name, worst);
        gan_trainer_free(a);
        gan_trainer_free(b);
    }
}

/* A D with a layer that mixes rows (minibatch_stddev): the trainer runs the real and the
 * fake batch through D separately, so D(x) and D(G(z)) are the means of D on each batch
 * alone, not of D on [real; fake] (where the groups of 4 would take two rows of each). */
static void check_rows_mixing_split(void) {
    enum { B = 8 };
    static const char spec[] = "image 1 28 28\nlatent 100\ngenerator\n  dense 784\n  tanh\n"
                               "  reshape 1 28 28\ndiscriminator\n"
                               "  conv2d 4 kernel=4 stride=2 padding=1\n  leaky_relu 0.2\n"
                               "  minibatch_stddev 4\n  flatten\n  dense 1\n";
    const char *path = test_tmp_path("mbstd.gan");
    CHECK(test_write_file(path, spec, strlen(spec)) == 0);
    gan_train_options o;
    gan_train_options_default(&o);
    o.batch_size = B;
    o.threads = 1;
    o.loss = GAN_LOSS_WASSERSTEIN; /* D's outputs reported as they are */
    o.clip = 100.0f;
    gan_trainer *a = NULL, *b = NULL;
    CHECK_OK(test_trainer_for_model(path, &o, &a));
    CHECK_OK(test_trainer_for_model(path, &o, &b));
    if (!a || !b) goto done;
    gan_trainer *tr[2] = {a, b};
    for (int j = 0; j < 2; j++) {
        gan_rng_uniform(12, 1, gan_trainer_real_rows(tr[j]), (size_t)B * 784);
        gan_rng_normal(12, 2, gan_trainer_noise(tr[j]), (size_t)B * 100);
    }
    const float *fake = gan_model_forward(&a->g, gan_trainer_noise(a), B, true);
    float *rows = gan_trainer_real_rows(a);
    memcpy(rows + (size_t)B * 784, fake, sizeof(float) * B * 784);
    double dr = 0, df = 0, mixed = 0;
    const float *l = gan_model_forward(&a->d, rows, B, true);
    for (int i = 0; i < B; i++) dr += l[i];
    l = gan_model_forward(&a->d, rows + (size_t)B * 784, B, true);
    for (int i = 0; i < B; i++) df += l[i];
    l = gan_model_forward(&a->d, rows, 2 * B, true);
    for (int i = 0; i < B; i++) mixed += l[i];
    gan_step_stats st;
    CHECK_OK(gan_trainer_step_batch(b, &st));
    CHECK_MSG(fabs(st.d_real - dr / B) < 1e-5 && fabs(st.d_fake - df / B) < 1e-5,
              "minibatch_stddev: d_real %g (alone %g), d_fake %g (alone %g)", st.d_real, dr / B,
              st.d_fake, df / B);
    CHECK_MSG(fabs(mixed - dr) / B > 1e-3, "minibatch_stddev: D on [real; fake] gives D(x) %g, "
              "as D on the real rows alone (%g): the check cannot tell them apart", mixed / B,
              dr / B);
done:
    gan_trainer_free(a);
    gan_trainer_free(b);
}

static void check_ema_clamp(void) {
    const gan_backend *be = gan_backend_cpu();
    enum { N = 40000 }; /* several chunks */
    float *avg = malloc(N * sizeof *avg), *x = malloc(N * sizeof *x);
    for (int i = 0; i < N; i++) avg[i] = (float)i, x[i] = (float)(N - i);
    be->ema_update(be->ctx, avg, x, N, 0.75f, NULL);
    bool ok = true;
    for (int i = 0; i < N; i++) ok &= avg[i] == 0.75f * (float)i + 0.25f * (float)(N - i);
    CHECK_MSG(ok, "ema_update differs from decay * avg + (1 - decay) * x");
    for (int i = 0; i < N; i++) x[i] = (float)(i - N / 2) * 1e-4f;
    be->clamp(be->ctx, x, N, -0.5f, 0.25f);
    ok = true;
    for (int i = 0; i < N; i++) {
        float want = fminf(fmaxf((float)(i - N / 2) * 1e-4f, -0.5f), 0.25f);
        ok &= x[i] == want;
    }
    CHECK_MSG(ok, "clamp");
    free(avg);
    free(x);
}

int main(void) {
    gan_backend_cpu_set_threads(2);
    check_terms();
    check_losses();
    check_trainer_stats();
    check_rows_mixing_split();
    check_ema_clamp();
    /* names round-trip; aliases; unknown names named */
    for (int k = 0; k <= GAN_LOSS_WASSERSTEIN; k++) {
        gan_loss l = (gan_loss)-1;
        CHECK_OK(gan_loss_parse(gan_loss_name((gan_loss)k), &l));
        CHECK(l == (gan_loss)k);
    }
    gan_loss l;
    CHECK(gan_loss_parse("wgan", &l) == GAN_OK && l == GAN_LOSS_WASSERSTEIN);
    CHECK(gan_loss_parse("lsgan", &l) == GAN_OK && l == GAN_LOSS_LEAST_SQUARES);
    CHECK(gan_loss_parse("bogus", &l) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(gan_last_error(), "bogus") && strstr(gan_last_error(), "hinge"));
    CHECK(gan_loss_name((gan_loss)99) == NULL);
    return test_report();
}
