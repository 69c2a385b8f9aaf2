/*
 * norm.cu - per-feature reductions over the batch rows of an (N, F) matrix:
 * the bias gradient (also through a fused activation: bias_act_backward)
 * and batch normalization (training forward, backward; also taking the
 * bias and activation of the layer before in the same kernel:
 * bias_act_batchnorm_forward_train, batchnorm_backward_bias_act).
 *
 * One block owns COLS consecutive features and runs ROWS threads down the
 * rows of each: thread (tx, ty) sums rows ty, ty + ROWS, ... of feature
 * f0 + tx (a warp reads COLS consecutive floats of a row: coalesced), then
 * the ROWS partial sums are added in a fixed order. Results are therefore
 * deterministic run to run. Batch statistics are two-pass like the CPU
 * reference: the mean first, then the mean of squared deviations, so there
 * is no cancellation from E[x^2] - E[x]^2.
 *
 * Many rows (N > SPLIT_ROWS): the rows are also cut into S pieces (S from
 * the shapes only), one block per (features, piece), each writing its
 * double partial sums to its own slots of the context's partials; a second (and
 * third) kernel adds the S partials of a feature in order and applies the
 * result. Still deterministic, and more blocks keep the GPU busy.
 */
#include "cuda_common.cuh"

#define COLS 32
#define ROWS 16

/* Sum of each thread column's partial `v` over ty; every thread gets its
 * feature's total. `red` is the block's (ROWS, COLS + 1) scratch. */
__device__ static float column_total(float v, float (*red)[COLS + 1]) {
    int tx = threadIdx.x, ty = threadIdx.y;
    red[ty][tx] = v;
    __syncthreads();
    if (ty == 0) {
        float s = red[0][tx];
        for (int r = 1; r < ROWS; r++) s += red[r][tx];
        red[0][tx] = s;
    }
    __syncthreads();
    float total = red[0][tx];
    __syncthreads(); /* red may be reused right after */
    return total;
}

__global__ void bias_backward_kernel(float *__restrict__ db, const float *__restrict__ dy, int N,
                                     int F) {
    __shared__ float red[ROWS][COLS + 1];
    int f = blockIdx.x * COLS + threadIdx.x;
    bool live = f < F;
    float acc = 0.0f;
    if (live)
        for (int n = threadIdx.y; n < N; n += ROWS) acc += dy[(size_t)n * F + f];
    float total = column_total(acc, red);
    if (live && threadIdx.y == 0) db[f] += total;
}

/* dz = dy act'(y) (low: the slope for y <= 0, 1 without an activation) */
__device__ static float act_grad(float dy, float y, float low, bool tanh) {
    return tanh ? dy * (1.0f - y * y) : y > 0.0f ? dy : low * dy;
}

/* bias_backward_kernel with dz formed and written on the way (db may be NULL) */
__global__ void bias_act_backward_kernel(float *dz, float *__restrict__ db, const float *dy,
                                         const float *y, int N, int F, float low,
                                         bool tanh) { /* dz may be y or dy */
    __shared__ float red[ROWS][COLS + 1];
    int f = blockIdx.x * COLS + threadIdx.x;
    bool live = f < F;
    float acc = 0.0f;
    if (live)
        for (int n = threadIdx.y; n < N; n += ROWS) {
            size_t i = (size_t)n * F + f;
            float d = act_grad(dy[i], y[i], low, tanh);
            dz[i] = d;
            acc += d;
        }
    float total = column_total(acc, red);
    if (live && threadIdx.y == 0 && db) db[f] += total;
}

/* dz alone, element-wise (the many-rows path, before bias_backward) */
__global__ void act_backward_kernel(float *dz, const float *dy, const float *y, size_t n,
                                    float low, bool tanh) { /* dz may be y or dy */
    GAN_CUDA_GRID_STRIDE(i, n)
        dz[i] = act_grad(dy[i], y[i], low, tanh);
}

/* With x_bias, x = act(x + x_bias) first, in place, as bias_act_forward_kernel
 * rounds it (slope x_low, or tanh): bias_act_batchnorm_forward_train. Each
 * thread reads back only the elements it wrote. */
__global__ void batchnorm_forward_train_kernel(
    float *__restrict__ y, float *__restrict__ mean, float *__restrict__ rstd,
    float *__restrict__ running_mean, float *__restrict__ running_var, float *x,
    const float *__restrict__ x_bias, float x_low, bool x_tanh,
    const float *__restrict__ gamma, const float *__restrict__ beta, int N, int F, float momentum,
    float eps, float low) {
    __shared__ float red[ROWS][COLS + 1];
    int f = blockIdx.x * COLS + threadIdx.x;
    bool live = f < F;
    float inv_n = 1.0f / (float)N;

    float acc = 0.0f;
    if (live) {
        float xb = x_bias ? x_bias[f] : 0.0f;
        for (int n = threadIdx.y; n < N; n += ROWS) {
            size_t i = (size_t)n * F + f;
            float v = x[i];
            if (x_bias) {
                float z = v + xb;
                v = x_tanh ? tanhf(z) : z > 0.0f ? z : x_low * z;
                x[i] = v;
            }
            acc += v;
        }
    }
    float mu = column_total(acc, red) * inv_n;

    acc = 0.0f;
    if (live)
        for (int n = threadIdx.y; n < N; n += ROWS) {
            float d = x[(size_t)n * F + f] - mu;
            acc += d * d;
        }
    float var = column_total(acc, red) * inv_n;
    if (!live) return; /* no barrier below */

    float r = 1.0f / sqrtf(var + eps);
    float scale = gamma[f] * r;
    if (threadIdx.y == 0) {
        mean[f] = mu;
        rstd[f] = r;
        running_mean[f] = momentum * running_mean[f] + (1.0f - momentum) * mu;
        running_var[f] = momentum * running_var[f] + (1.0f - momentum) * var;
    }
    float b = beta[f];
    for (int n = threadIdx.y; n < N; n += ROWS) {
        size_t i = (size_t)n * F + f;
        float z = (x[i] - mu) * scale + b;
        y[i] = z > 0.0f ? z : low * z;
    }
}

/* dy through a fused activation of slope low for z <= 0 (1: none), z the
 * forward's value recomputed from x (shift: beta, 0 without activation) */
__device__ static inline float through_act(float dy, float x, float mu, float scale, float shift,
                                           float low) {
    return (x - mu) * scale + shift > 0.0f ? dy : low * dy;
}

/* With x_on, dx then goes through the activation of the layer before (its
 * output x; slope x_low, or tanh) and x_db += its column sums, as
 * bias_act_backward_kernel forms and adds them: batchnorm_backward_bias_act. */
__global__ void batchnorm_backward_kernel(float *__restrict__ dx, float *__restrict__ dgamma,
                                          float *__restrict__ dbeta, const float *__restrict__ dy,
                                          const float *__restrict__ x,
                                          const float *__restrict__ mean,
                                          const float *__restrict__ rstd,
                                          const float *__restrict__ gamma,
                                          const float *__restrict__ beta, int N, int F,
                                          float low, bool x_on, float *__restrict__ x_db,
                                          float x_low, bool x_tanh) {
    __shared__ float red[ROWS][COLS + 1];
    int f = blockIdx.x * COLS + threadIdx.x;
    bool live = f < F;
    float inv_n = 1.0f / (float)N;
    float mu = live ? mean[f] : 0.0f, r = live ? rstd[f] : 0.0f;
    float scale = live ? gamma[f] * r : 0.0f, shift = live && low != 1.0f ? beta[f] : 0.0f;

    float acc_dy = 0.0f, acc_dy_xhat = 0.0f;
    if (live)
        for (int n = threadIdx.y; n < N; n += ROWS) {
            size_t i = (size_t)n * F + f;
            float xhat = (x[i] - mu) * r;
            float d = through_act(dy[i], x[i], mu, scale, shift, low);
            acc_dy += d;
            acc_dy_xhat += d * xhat;
        }
    float sum_dy = column_total(acc_dy, red);
    float sum_dy_xhat = column_total(acc_dy_xhat, red);

    float acc_db = 0.0f;
    if (live) {
        if (threadIdx.y == 0) {
            if (dbeta) dbeta[f] += sum_dy;
            if (dgamma) dgamma[f] += sum_dy_xhat;
        }
        float g = dx ? gamma[f] : 0.0f;
        for (int n = threadIdx.y; dx && n < N; n += ROWS) {
            size_t i = (size_t)n * F + f;
            float xhat = (x[i] - mu) * r;
            float d = through_act(dy[i], x[i], mu, scale, shift, low);
            float v = g * r * (d - inv_n * sum_dy - xhat * inv_n * sum_dy_xhat);
            if (x_on) {
                v = act_grad(v, x[i], x_low, x_tanh);
                acc_db += v;
            }
            dx[i] = v;
        }
    }
    if (!x_on) return;
    float total = column_total(acc_db, red); /* x_on is the whole block's: every thread here */
    if (live && threadIdx.y == 0 && x_db) x_db[f] += total;
}

static dim3 column_grid(int F) {
    return dim3((unsigned)((F + COLS - 1) / COLS));
}

/* ------------------------------------------------- many rows: S pieces */

#define SPLIT_ROWS 256 /* rows per piece, roughly */
#define MAX_SPLITS 64

/* Pieces of N rows for F features (1: the one-kernel path). */
static int splits(int N, int F) {
    int S = (N + SPLIT_ROWS - 1) / SPLIT_ROWS;
    int most = (int)(GAN_CUDA_PARTIALS / 2 / (size_t)F);
    if (S > MAX_SPLITS) S = MAX_SPLITS;
    if (S > most) S = most;
    return S < 1 ? 1 : S;
}

/* Double version of column_total. */
__device__ static double column_total_d(double v, double (*red)[COLS + 1]) {
    int tx = threadIdx.x, ty = threadIdx.y;
    red[ty][tx] = v;
    __syncthreads();
    if (ty == 0) {
        double s = red[0][tx];
        for (int r = 1; r < ROWS; r++) s += red[r][tx];
        red[0][tx] = s;
    }
    __syncthreads();
    double total = red[0][tx];
    __syncthreads();
    return total;
}

/* Sum of feature f's S partials (slots s F + f), in order. */
__device__ static double feature_total(const double *part, int f, int F, int S) {
    double t = 0.0;
    for (int s = 0; s < S; s++) t += part[(size_t)s * F + f];
    return t;
}

/* What a piece sums: the values, the squared deviations from the mean of
 * part_mean's totals, or (backward) dy and dy * xhat into two slots. */
enum piece_sum { SUM_VALUES, SUM_SQUARED_DEVIATIONS, SUM_BACKWARD };

template <piece_sum WHAT>
__global__ void piece_sums_kernel(double *__restrict__ part0, double *__restrict__ part1,
                                  const float *__restrict__ v, const float *__restrict__ x,
                                  const double *__restrict__ part_mean,
                                  const float *__restrict__ mean, const float *__restrict__ rstd,
                                  const float *__restrict__ gamma, const float *__restrict__ beta,
                                  float low, int N, int F, int S) {
    __shared__ double red[ROWS][COLS + 1];
    int f = blockIdx.x * COLS + threadIdx.x, s = blockIdx.y;
    bool live = f < F;
    int n0 = (int)((long long)N * s / S), n1 = (int)((long long)N * (s + 1) / S);
    float inv_n = 1.0f / (float)N, mu = 0.0f, r = 0.0f;
    if (live && WHAT == SUM_SQUARED_DEVIATIONS)
        mu = (float)feature_total(part_mean, f, F, S) * inv_n;
    float scale = 0.0f, shift = 0.0f;
    if (live && WHAT == SUM_BACKWARD) {
        mu = mean[f], r = rstd[f], scale = gamma[f] * r;
        shift = low != 1.0f ? beta[f] : 0.0f;
    }
    double a = 0.0, b = 0.0;
    if (live)
        for (int n = n0 + threadIdx.y; n < n1; n += ROWS) {
            size_t i = (size_t)n * F + f;
            if (WHAT == SUM_VALUES) a += v[i];
            if (WHAT == SUM_SQUARED_DEVIATIONS) {
                float d = v[i] - mu;
                a += d * d;
            }
            if (WHAT == SUM_BACKWARD) {
                float xhat = (x[i] - mu) * r;
                float d = through_act(v[i], x[i], mu, scale, shift, low);
                a += d;
                b += d * xhat;
            }
        }
    double ta = column_total_d(a, red);
    double tb = WHAT == SUM_BACKWARD ? column_total_d(b, red) : 0.0;
    if (live && threadIdx.y == 0) {
        part0[(size_t)s * F + f] = ta;
        if (WHAT == SUM_BACKWARD) part1[(size_t)s * F + f] = tb;
    }
}

__global__ void bias_finish_kernel(float *__restrict__ db, const double *__restrict__ part0, int F,
                                   int S) {
    int f = blockIdx.x * blockDim.x + threadIdx.x;
    if (f < F) db[f] += (float)feature_total(part0, f, F, S);
}

__global__ void batchnorm_apply_kernel(float *__restrict__ y, float *__restrict__ mean,
                                       float *__restrict__ rstd, float *__restrict__ running_mean,
                                       float *__restrict__ running_var,
                                       const float *__restrict__ x,
                                       const float *__restrict__ gamma,
                                       const float *__restrict__ beta,
                                       const double *__restrict__ part0,
                                       const double *__restrict__ part1, int N, int F, int S,
                                       float momentum, float eps, float low) {
    int f = blockIdx.x * COLS + threadIdx.x, s = blockIdx.y;
    if (f >= F) return;
    float inv_n = 1.0f / (float)N;
    float mu = (float)feature_total(part0, f, F, S) * inv_n;
    float var = (float)feature_total(part1, f, F, S) * inv_n;
    float r = 1.0f / sqrtf(var + eps);
    if (s == 0 && threadIdx.y == 0) {
        mean[f] = mu;
        rstd[f] = r;
        running_mean[f] = momentum * running_mean[f] + (1.0f - momentum) * mu;
        running_var[f] = momentum * running_var[f] + (1.0f - momentum) * var;
    }
    float scale = gamma[f] * r, b = beta[f];
    int n0 = (int)((long long)N * s / S), n1 = (int)((long long)N * (s + 1) / S);
    for (int n = n0 + threadIdx.y; n < n1; n += ROWS) {
        size_t i = (size_t)n * F + f;
        float z = (x[i] - mu) * scale + b;
        y[i] = z > 0.0f ? z : low * z;
    }
}

__global__ void batchnorm_backward_apply_kernel(float *__restrict__ dx, float *__restrict__ dgamma,
                                                float *__restrict__ dbeta,
                                                const float *__restrict__ dy,
                                                const float *__restrict__ x,
                                                const float *__restrict__ mean,
                                                const float *__restrict__ rstd,
                                                const float *__restrict__ gamma,
                                                const float *__restrict__ beta,
                                                const double *__restrict__ part0,
                                                const double *__restrict__ part1, int N, int F,
                                                int S, float low) {
    int f = blockIdx.x * COLS + threadIdx.x, s = blockIdx.y;
    if (f >= F) return;
    float sum_dy = (float)feature_total(part0, f, F, S);
    float sum_dy_xhat = (float)feature_total(part1, f, F, S);
    if (s == 0 && threadIdx.y == 0) {
        if (dbeta) dbeta[f] += sum_dy;
        if (dgamma) dgamma[f] += sum_dy_xhat;
    }
    if (!dx) return;
    float inv_n = 1.0f / (float)N, mu = mean[f], r = rstd[f], g = gamma[f];
    float scale = g * r, shift = low != 1.0f ? beta[f] : 0.0f;
    int n0 = (int)((long long)N * s / S), n1 = (int)((long long)N * (s + 1) / S);
    for (int n = n0 + threadIdx.y; n < n1; n += ROWS) {
        size_t i = (size_t)n * F + f;
        float xhat = (x[i] - mu) * r;
        float d = through_act(dy[i], x[i], mu, scale, shift, low);
        dx[i] = g * r * (d - inv_n * sum_dy - xhat * inv_n * sum_dy_xhat);
    }
}

void gan_cuda_bias_backward(void *ctx, float *db, const float *dy, int N, int F) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (F <= 0 || N <= 0) return;
    int S = splits(N, F);
    if (S > 1) {
        double *part0 = cu->partials;
        piece_sums_kernel<SUM_VALUES><<<dim3(column_grid(F).x, S), dim3(COLS, ROWS), 0,
                                        cu->stream>>>(part0, NULL, dy, NULL, NULL, NULL,
                                                           NULL, NULL, NULL, 1.0f, N, F, S);
        GAN_CUDA_LAUNCHED(cu, "piece_sums_kernel<SUM_VALUES>");
        bias_finish_kernel<<<(F + 255) / 256, 256, 0, cu->stream>>>(db, part0, F, S);
        GAN_CUDA_LAUNCHED(cu, "bias_finish_kernel");
        return;
    }
    bias_backward_kernel<<<column_grid(F), dim3(COLS, ROWS), 0, cu->stream>>>(db, dy, N, F);
    GAN_CUDA_LAUNCHED(cu, "bias_backward_kernel");
}

void gan_cuda_bias_act_backward(void *ctx, float *dz, float *db, const float *dy, const float *y,
                                int N, int F, gan_act act) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (F <= 0 || N <= 0) return;
    float low = act.on && !act.tanh ? act.slope : 1.0f;
    bool tanh = act.on && act.tanh;
    if (splits(N, F) > 1) { /* many rows: dz, then the bias gradient's own pieces */
        size_t n = (size_t)N * (size_t)F;
        act_backward_kernel<<<gan_cuda_blocks(cu, n, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                              cu->stream>>>(dz, dy, y, n, low, tanh);
        GAN_CUDA_LAUNCHED(cu, "act_backward_kernel");
        if (db) gan_cuda_bias_backward(ctx, db, dz, N, F);
        return;
    }
    bias_act_backward_kernel<<<column_grid(F), dim3(COLS, ROWS), 0, cu->stream>>>(dz, db, dy, y,
                                                                                  N, F, low, tanh);
    GAN_CUDA_LAUNCHED(cu, "bias_act_backward_kernel");
}

void gan_cuda_batchnorm_forward_train(void *ctx, float *y, float *mean, float *rstd,
                                      float *running_mean, float *running_var, const float *x,
                                      const float *gamma, const float *beta, int N, int F,
                                      float momentum, float eps, gan_act act) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (F <= 0 || N <= 0) return;
    float low = act.on ? act.slope : 1.0f;
    int S = splits(N, F);
    if (S > 1) {
        double *part0 = cu->partials, *part1 = cu->partials + GAN_CUDA_PARTIALS / 2;
        dim3 grid(column_grid(F).x, S), block(COLS, ROWS);
        piece_sums_kernel<SUM_VALUES><<<grid, block, 0, cu->stream>>>(
            part0, NULL, x, NULL, NULL, NULL, NULL, NULL, NULL, 1.0f, N, F, S);
        GAN_CUDA_LAUNCHED(cu, "piece_sums_kernel<SUM_VALUES>");
        piece_sums_kernel<SUM_SQUARED_DEVIATIONS><<<grid, block, 0, cu->stream>>>(
            part1, NULL, x, NULL, part0, NULL, NULL, NULL, NULL, 1.0f, N, F, S);
        GAN_CUDA_LAUNCHED(cu, "piece_sums_kernel<SUM_SQUARED_DEVIATIONS>");
        batchnorm_apply_kernel<<<grid, block, 0, cu->stream>>>(
            y, mean, rstd, running_mean, running_var, x, gamma, beta, part0, part1, N, F, S,
            momentum, eps, low);
        GAN_CUDA_LAUNCHED(cu, "batchnorm_apply_kernel");
        return;
    }
    batchnorm_forward_train_kernel<<<column_grid(F), dim3(COLS, ROWS), 0, cu->stream>>>(
        y, mean, rstd, running_mean, running_var, (float *)x, NULL, 1.0f, false, gamma, beta, N,
        F, momentum, eps, low);
    GAN_CUDA_LAUNCHED(cu, "batchnorm_forward_train_kernel");
}

void gan_cuda_bias_act_batchnorm_forward_train(void *ctx, float *y, float *mean, float *rstd,
                                               float *running_mean, float *running_var, float *x,
                                               const float *x_bias, gan_act x_act,
                                               const float *gamma, const float *beta, int N,
                                               int F, float momentum, float eps, gan_act act) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (F <= 0 || N <= 0) return;
    if (splits(N, F) > 1) { /* many rows: the two kernels in turn */
        gan_cuda_bias_act_forward(ctx, x, x_bias, N, F, x_act);
        gan_cuda_batchnorm_forward_train(ctx, y, mean, rstd, running_mean, running_var, x, gamma,
                                         beta, N, F, momentum, eps, act);
        return;
    }
    batchnorm_forward_train_kernel<<<column_grid(F), dim3(COLS, ROWS), 0, cu->stream>>>(
        y, mean, rstd, running_mean, running_var, x, x_bias,
        x_act.on && !x_act.tanh ? x_act.slope : 1.0f, x_act.on && x_act.tanh, gamma, beta, N, F,
        momentum, eps, act.on ? act.slope : 1.0f);
    GAN_CUDA_LAUNCHED(cu, "batchnorm_forward_train_kernel");
}

void gan_cuda_batchnorm_backward(void *ctx, float *dx, float *dgamma, float *dbeta, const float *dy,
                                 const float *x, const float *mean, const float *rstd,
                                 const float *gamma, const float *beta, int N, int F, gan_act act) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (F <= 0 || N <= 0) return;
    float low = act.on ? act.slope : 1.0f;
    int S = splits(N, F);
    if (S > 1) {
        double *part0 = cu->partials, *part1 = cu->partials + GAN_CUDA_PARTIALS / 2;
        dim3 grid(column_grid(F).x, S), block(COLS, ROWS);
        piece_sums_kernel<SUM_BACKWARD><<<grid, block, 0, cu->stream>>>(
            part0, part1, dy, x, NULL, mean, rstd, gamma, beta, low, N, F, S);
        GAN_CUDA_LAUNCHED(cu, "piece_sums_kernel<SUM_BACKWARD>");
        batchnorm_backward_apply_kernel<<<grid, block, 0, cu->stream>>>(
            dx, dgamma, dbeta, dy, x, mean, rstd, gamma, beta, part0, part1, N, F, S, low);
        GAN_CUDA_LAUNCHED(cu, "batchnorm_backward_apply_kernel");
        return;
    }
    batchnorm_backward_kernel<<<column_grid(F), dim3(COLS, ROWS), 0, cu->stream>>>(
        dx, dgamma, dbeta, dy, x, mean, rstd, gamma, beta, N, F, low, false, NULL, 1.0f, false);
    GAN_CUDA_LAUNCHED(cu, "batchnorm_backward_kernel");
}

void gan_cuda_batchnorm_backward_bias_act(void *ctx, float *dx, float *x_db, float *dgamma,
                                          float *dbeta, const float *dy, const float *x,
                                          const float *mean, const float *rstd,
                                          const float *gamma, const float *beta, int N, int F,
                                          gan_act act, gan_act x_act) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (F <= 0 || N <= 0) return;
    if (splits(N, F) > 1) { /* many rows: the two kernels in turn, dx in place */
        gan_cuda_batchnorm_backward(ctx, dx, dgamma, dbeta, dy, x, mean, rstd, gamma, beta, N, F,
                                    act);
        gan_cuda_bias_act_backward(ctx, dx, x_db, dx, x, N, F, x_act);
        return;
    }
    batchnorm_backward_kernel<<<column_grid(F), dim3(COLS, ROWS), 0, cu->stream>>>(
        dx, dgamma, dbeta, dy, x, mean, rstd, gamma, beta, N, F, act.on ? act.slope : 1.0f, true,
        x_db, x_act.on && !x_act.tanh ? x_act.slope : 1.0f, x_act.on && x_act.tanh);
    GAN_CUDA_LAUNCHED(cu, "batchnorm_backward_kernel");
}
