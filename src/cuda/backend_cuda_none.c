/*
 * backend_cuda_none.c - the CUDA backend's entry points in a build without
 * CUDA (GAN_CUDA=OFF): every request fails cleanly with GAN_ERR_UNSUPPORTED,
 * so `--device cuda` can say why instead of failing to link.
 */
#include "backend.h"
#include "internal.h"

gan_status gan_backend_cuda_init(int device) {
    return gan_fail(GAN_ERR_UNSUPPORTED,
                    "this build of gan.c has no CUDA backend (configure with -DGAN_CUDA=ON and a "
                    "CUDA toolkit)");
}

const gan_backend *gan_backend_cuda(void) {
    return NULL;
}

gan_status gan_backend_cuda_set_math(gan_cuda_math math) {
    return gan_fail(GAN_ERR_UNSUPPORTED, "this build of gan.c has no CUDA backend");
}

bool gan_backend_cuda_has_cudnn(void) {
    return false;
}

size_t gan_backend_cuda_conv_report(char *buf, size_t cap) {
    if (cap) buf[0] = '\0';
    return 0;
}

size_t gan_backend_cuda_gemm_report(char *buf, size_t cap) {
    if (cap) buf[0] = '\0';
    return 0;
}

void gan_backend_cuda_shutdown(void) {}

void *gan_backend_cuda_stream(void) {
    return NULL;
}

gan_status gan_backend_cuda_open(int device) {
    return gan_backend_cuda_init(device);
}

void gan_backend_cuda_memory(size_t *in_use, size_t *peak) {
    if (in_use) *in_use = 0;
    if (peak) *peak = 0;
}
