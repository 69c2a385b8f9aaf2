/*
 * cudnn_lazy.h - cuDNN through a table of function pointers filled by dlopen
 * on first use (lazy_lib.h), as cublas_lazy.h does for cuBLAS: only a process
 * whose CUDA backend picks the cuDNN convolution path maps libcudnn (so
 * `gan --version`, CPU training and `gan sample` never do).
 *
 * Include this instead of <cudnn.h> (conv_cudnn.cu only). The usual names
 * call through the table (the macros below); a function used but missing
 * from GAN_CUDNN_FUNCS fails to link, since libcudnn is not linked.
 */
#ifndef GAN_CUDA_CUDNN_LAZY_H
#define GAN_CUDA_CUDNN_LAZY_H

#include "internal.h"

#include <cudnn.h>

/* X(exported symbol) */
#define GAN_CUDNN_FUNCS(X)                     \
    X(cudnnCreate)                             \
    X(cudnnDestroy)                            \
    X(cudnnSetStream)                          \
    X(cudnnGetErrorString)                     \
    X(cudnnCreateTensorDescriptor)             \
    X(cudnnDestroyTensorDescriptor)            \
    X(cudnnSetTensor4dDescriptor)              \
    X(cudnnCreateFilterDescriptor)             \
    X(cudnnDestroyFilterDescriptor)            \
    X(cudnnSetFilter4dDescriptor)              \
    X(cudnnCreateConvolutionDescriptor)        \
    X(cudnnDestroyConvolutionDescriptor)       \
    X(cudnnSetConvolution2dDescriptor)         \
    X(cudnnSetConvolutionMathType)             \
    X(cudnnFindConvolutionForwardAlgorithm)    \
    X(cudnnFindConvolutionBackwardDataAlgorithm) \
    X(cudnnFindConvolutionBackwardFilterAlgorithm) \
    X(cudnnConvolutionForward)                 \
    X(cudnnConvolutionBackwardData)            \
    X(cudnnConvolutionBackwardFilter)

struct gan_cudnn_table {
#define GAN_CUDNN_FIELD(sym) decltype(&::sym) sym;
    GAN_CUDNN_FUNCS(GAN_CUDNN_FIELD)
#undef GAN_CUDNN_FIELD
};
extern gan_cudnn_table gan_cudnn;

/* Load libcudnn.so.<major> (once) and fill the table; GAN_OK or the kept
 * failure (GAN_ERR_UNSUPPORTED, with one line naming the library). */
gan_status gan_cudnn_load(void);

#ifndef GAN_CUDNN_NO_REDIRECT
#define cudnnCreate gan_cudnn.cudnnCreate
#define cudnnDestroy gan_cudnn.cudnnDestroy
#define cudnnSetStream gan_cudnn.cudnnSetStream
#define cudnnGetErrorString gan_cudnn.cudnnGetErrorString
#define cudnnCreateTensorDescriptor gan_cudnn.cudnnCreateTensorDescriptor
#define cudnnDestroyTensorDescriptor gan_cudnn.cudnnDestroyTensorDescriptor
#define cudnnSetTensor4dDescriptor gan_cudnn.cudnnSetTensor4dDescriptor
#define cudnnCreateFilterDescriptor gan_cudnn.cudnnCreateFilterDescriptor
#define cudnnDestroyFilterDescriptor gan_cudnn.cudnnDestroyFilterDescriptor
#define cudnnSetFilter4dDescriptor gan_cudnn.cudnnSetFilter4dDescriptor
#define cudnnCreateConvolutionDescriptor gan_cudnn.cudnnCreateConvolutionDescriptor
#define cudnnDestroyConvolutionDescriptor gan_cudnn.cudnnDestroyConvolutionDescriptor
#define cudnnSetConvolution2dDescriptor gan_cudnn.cudnnSetConvolution2dDescriptor
#define cudnnSetConvolutionMathType gan_cudnn.cudnnSetConvolutionMathType
#define cudnnFindConvolutionForwardAlgorithm gan_cudnn.cudnnFindConvolutionForwardAlgorithm
#define cudnnFindConvolutionBackwardDataAlgorithm gan_cudnn.cudnnFindConvolutionBackwardDataAlgorithm
#define cudnnFindConvolutionBackwardFilterAlgorithm gan_cudnn.cudnnFindConvolutionBackwardFilterAlgorithm
#define cudnnConvolutionForward gan_cudnn.cudnnConvolutionForward
#define cudnnConvolutionBackwardData gan_cudnn.cudnnConvolutionBackwardData
#define cudnnConvolutionBackwardFilter gan_cudnn.cudnnConvolutionBackwardFilter
#endif

#endif /* GAN_CUDA_CUDNN_LAZY_H */
