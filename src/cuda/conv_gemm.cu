/*
 * conv_gemm.cu - the GEMM path of the direct convolutions (conv_direct.cuh):
 * the layers' im2col method (src/layers/conv2d.c) run inside the backend,
 * so that conv_cudnn.cu can time it against cuDNN per shape and keep the
 * faster (the layers then plan no columns: CONV_DIRECT needs no work).
 *
 * For a group of G images, K = C k k, P = OH OW:
 *   forward: cols (K, G P) = im2col(x); t (Cout, G P) = w cols; y = t in
 *            NCHW, plus the bias (cmajor_to_nchw);
 *   data:    dt (Cout, G P) = dy channel-major; dcols (K, G P) = w^T dt;
 *            dx = col2im(dcols);
 *   weight:  dt as above, cols = im2col(x); dw = beta dw + dt cols^T for
 *            the first group, += for the others.
 * Math: fp32 and tf32 are the context's cuBLAS math (gan_cuda_gemm); bf16
 * writes cols and dt in bf16 straight from the fp32 tensors (one pass, no
 * copy), converts w to a bf16 copy, and multiplies bf16 x bf16 with fp32
 * accumulation into fp32 (t, dcols, dw), so only the operands are rounded.
 * Every step is deterministic (cuBLAS and the data movers; conv.cu).
 *
 * Work (planned by the caller, never allocated here), 256-byte aligned
 * parts: [bf16 w (forward, data; bf16 only)] [first operand] [second]:
 *   forward: cols (K, G P) in T, t (Cout, G P) fp32;
 *   data:    dt (Cout, G P) in T, dcols (K, G P) fp32;
 *   weight:  dt (Cout, G P) in T, cols (K, G P) in T;
 * T being float (fp32, tf32) or bf16.
 */
#include "conv_direct.cuh"

static size_t up(size_t bytes) {
    return (bytes + 255) & ~(size_t)255;
}

/* The column and transpose movers and the product for either T. */
static void im2col_to(gan_cuda_ctx *cu, float *cols, const float *x, int G,
                      const gan_conv_shape *cs) {
    gan_cuda_im2col(cu, cols, x, G, cs);
}
static void im2col_to(gan_cuda_ctx *cu, __nv_bfloat16 *cols, const float *x, int G,
                      const gan_conv_shape *cs) {
    gan_cuda_im2col_bf16(cu, cols, x, G, cs);
}
static void cmajor_to(gan_cuda_ctx *cu, float *t, const float *y, int G, int C, int P) {
    gan_cuda_nchw_to_cmajor(cu, t, y, G, C, P);
}
static void cmajor_to(gan_cuda_ctx *cu, __nv_bfloat16 *t, const float *y, int G, int C, int P) {
    gan_cuda_nchw_to_cmajor_bf16(cu, t, y, G, C, P);
}
static void mm(gan_cuda_ctx *cu, bool ta, bool tb, int M, int N, int K, const float *A, int lda,
               const float *B, int ldb, float beta, float *C, int ldc) {
    gan_cuda_gemm(cu, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}
static void mm(gan_cuda_ctx *cu, bool ta, bool tb, int M, int N, int K, const __nv_bfloat16 *A,
               int lda, const __nv_bfloat16 *B, int ldb, float beta, float *C, int ldc) {
    gan_cuda_gemm_bf16(cu, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

size_t gan_cuda_conv_gemm_work(const gan_conv_io *io, int G, bool bf16) {
    const gan_conv_shape *cs = &io->cs;
    size_t K = (size_t)cs->C * cs->k * cs->k, GP = (size_t)G * cs->OH * cs->OW;
    size_t t = bf16 ? 2 : 4, nw = (size_t)io->Cout * K;
    switch (io->op) {
    case GAN_CONV_OP_FWD: return (bf16 ? up(nw * 2) : 0) + up(K * GP * t) + up(io->Cout * GP * 4);
    case GAN_CONV_OP_DATA: return (bf16 ? up(nw * 2) : 0) + up(io->Cout * GP * t) + up(K * GP * 4);
    default: return up(io->Cout * GP * t) + up(K * GP * t);
    }
}

int gan_cuda_conv_gemm_group(const gan_conv_io *io, bool bf16, size_t cap, int most) {
    int G = most > 0 && most < io->N ? most : io->N;
    size_t fixed = gan_cuda_conv_gemm_work(io, 0, bf16);
    size_t per = gan_cuda_conv_gemm_work(io, 1, bf16) - fixed; /* >= one image, rounded */
    if (fixed < cap && per > 0 && (cap - fixed) / per < (size_t)G) G = (int)((cap - fixed) / per);
    if (G < 1) G = 1;
    while (G > 1 && gan_cuda_conv_gemm_work(io, G, bf16) > cap) G--;
    return G;
}

template <typename T>
static void run(gan_cuda_ctx *cu, const gan_conv_io *io, int G, char *work) {
    const gan_conv_shape *cs = &io->cs;
    int Cout = io->Cout, K = cs->C * cs->k * cs->k, P = cs->OH * cs->OW;
    size_t in_img = (size_t)cs->C * cs->H * cs->W, out_img = (size_t)Cout * P;
    size_t nw = (size_t)Cout * K;
    const T *w = NULL; /* forward, data: the weight as T */
    if (io->op != GAN_CONV_OP_FILTER) {
        if constexpr (sizeof(T) == 2) {
            T *bw = (T *)work;
            gan_cuda_to_bf16(cu, bw, io->b, nw);
            work += up(nw * sizeof(T));
            w = bw;
        } else {
            w = io->b;
        }
    }
    for (int n0 = 0; n0 < io->N; n0 += G) {
        int g = GAN_MIN(G, io->N - n0), gP = g * P;
        size_t first = up((io->op == GAN_CONV_OP_FWD ? (size_t)K : (size_t)Cout) * G * P *
                          sizeof(T));
        if (io->op == GAN_CONV_OP_FWD) {
            T *cols = (T *)work;
            float *t = (float *)(work + first);
            im2col_to(cu, cols, io->a + n0 * in_img, g, cs);
            mm(cu, false, false, Cout, gP, K, w, K, cols, gP, 0.0f, t, gP);
            gan_cuda_cmajor_to_nchw(cu, io->out + n0 * out_img, t, io->bias, g, Cout, P);
        } else if (io->op == GAN_CONV_OP_DATA) {
            T *dt = (T *)work;
            float *dcols = (float *)(work + first);
            cmajor_to(cu, dt, io->a + n0 * out_img, g, Cout, P);
            mm(cu, true, false, K, gP, Cout, w, K, dt, gP, 0.0f, dcols, gP);
            gan_cuda_col2im(cu, io->out + n0 * in_img, dcols, g, cs);
        } else {
            T *dt = (T *)work, *cols = (T *)(work + first);
            cmajor_to(cu, dt, io->b + n0 * out_img, g, Cout, P);
            im2col_to(cu, cols, io->a + n0 * in_img, g, cs);
            mm(cu, false, true, Cout, K, gP, dt, gP, cols, gP, n0 == 0 ? io->beta : 1.0f,
               io->out, K);
        }
    }
}

void gan_cuda_conv_gemm(gan_cuda_ctx *cu, const gan_conv_io *io, int G, bool bf16, void *work) {
    if (io->N <= 0 || G <= 0) return;
    if (bf16) run<__nv_bfloat16>(cu, io, G, (char *)work);
    else run<float>(cu, io, G, (char *)work);
}
