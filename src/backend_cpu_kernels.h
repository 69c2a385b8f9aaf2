/*
 * backend_cpu_kernels.h - CPU kernels defined outside backend_cpu.c, for its
 * kernel table: convolution layout kernels (backend_cpu_conv.c), channel
 * batch normalization (backend_cpu_bn2d.c), and dropout, spectral
 * normalization, label conditioning, the training loop's batch loading and
 * step counter (backend_cpu_misc.c), max pooling and softmax cross-entropy
 * (backend_cpu_classify.c), and GAN loss terms, weight averaging and clipping
 * (backend_cpu_gan.c). Semantics are documented once, in backend.h.
 */
#ifndef GAN_BACKEND_CPU_KERNELS_H
#define GAN_BACKEND_CPU_KERNELS_H

#include "backend.h"

/* The backend's gemm (backend_cpu_gemm.c): an own AVX-512 kernel where built
 * for AVX-512, else OpenBLAS. */
void gan_cpu_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* Direct convolutions (backend_cpu_conv_direct.c; backend.h has their
 * semantics). They are fast only in AVX-512 builds, where the kernel table
 * has them (GAN_CPU_CONV2D); elsewhere they are plain loops and the table's
 * entries are NULL, so the layers use im2col and OpenBLAS instead. */
#if defined(__AVX512F__)
#define GAN_CPU_CONV2D(fn) fn
#else
#define GAN_CPU_CONV2D(fn) NULL
#endif
void gan_cpu_conv2d_forward(float *y, const float *x, const float *w, const float *b, int N,
                            const gan_conv_shape *cs, int Cout);
void gan_cpu_conv2d_backward_data(float *dx, const float *dy, const float *w, int N,
                                  const gan_conv_shape *cs, int Cout);
void gan_cpu_conv2d_backward_weight(float *dw, const float *x, const float *dy, int N,
                                    const gan_conv_shape *cs, int Cout, float beta);
void gan_cpu_im2col(float *cols, const float *x, int G, const gan_conv_shape *cs);
void gan_cpu_col2im(float *x, const float *cols, int G, const gan_conv_shape *cs);
void gan_cpu_nchw_to_cmajor(float *t, const float *y, int G, int C, int P);
void gan_cpu_cmajor_to_nchw(float *y, const float *t, const float *b, int G, int C, int P);
void gan_cpu_channel_bias_forward(float *y, const float *b, int N, int C, int P);
void gan_cpu_channel_bias_backward(float *db, const float *dy, int N, int C, int P);

void gan_cpu_batchnorm2d_forward_train(float *y, float *mean, float *rstd, float *running_mean,
                                       float *running_var, const float *x, const float *gamma,
                                       const float *beta, int N, int C, int P, float momentum,
                                       float eps);
void gan_cpu_batchnorm2d_forward_infer(float *y, const float *x, const float *running_mean,
                                       const float *running_var, const float *gamma,
                                       const float *beta, int N, int C, int P, float eps);
void gan_cpu_batchnorm2d_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                                  const float *x, const float *mean, const float *rstd,
                                  const float *gamma, int N, int C, int P);

void gan_cpu_dropout_forward(float *y, const float *x, size_t n, float p, uint64_t seed,
                             uint64_t stream);
void gan_cpu_dropout_backward(float *dx, const float *dy, size_t n, float p, uint64_t seed,
                              uint64_t stream);
void gan_cpu_spectral_norm_forward(float *w, float *sigma, float *u, float *v,
                                   const float *w_orig, int rows, int cols, bool power_iteration,
                                   float eps);
void gan_cpu_spectral_norm_backward(float *dw_orig, const float *dw, const float *w,
                                    const float *u, const float *v, const float *sigma, int rows,
                                    int cols);
void gan_cpu_label_concat_forward(float *y, const float *x, const int32_t *labels,
                                  const float *table, int N, int C, int P, int n_classes, int D);
void gan_cpu_label_concat_backward(float *dx, float *dtable, const float *dy,
                                   const int32_t *labels, int N, int C, int P, int n_classes,
                                   int D);
void gan_cpu_load_batch_u8(float *rows, int32_t *labels, const uint8_t *pixels,
                           const uint8_t *pixel_labels, const uint32_t *order,
                           const int64_t *step, int64_t per_epoch, int K, int k, int B,
                           size_t img);
void gan_cpu_step_advance(int64_t *step, uint64_t *stream, uint64_t stream_base);

void gan_cpu_maxpool2d_forward(float *y, const float *x, int N, const gan_conv_shape *cs);
void gan_cpu_maxpool2d_backward(float *dx, const float *x, const float *y, const float *dy, int N,
                                const gan_conv_shape *cs);
double gan_cpu_softmax_xent(float *dl, const float *l, const int32_t *labels, int N, int K,
                            float scale, int64_t *correct);
void gan_cpu_loss_acc(float *dl, const float *l, size_t n, gan_loss_term term, float t,
                      float scale, float *sums);
void gan_cpu_ema_update(float *avg, const float *x, size_t n, float decay);
void gan_cpu_clamp(float *x, size_t n, float lo, float hi);

#endif
