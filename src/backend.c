/*
 * backend.c - the backend-neutral part of the kernel table: the supports
 * query, generated from backend_kernels.def like the table itself, so a
 * caller asks before using a kernel a backend may lack (an entry that is
 * NULL) and gets a status with a message instead of a NULL call.
 */
#include "backend.h"
#include "internal.h"

static const char *const kernel_names[GAN_K_COUNT] = {
#define GAN_KERNEL(group, fn, cpu, cuda, ret, params) #fn,
#include "backend_kernels.def"
};

static const gan_kernel_group kernel_groups[GAN_K_COUNT] = {
#define GAN_KERNEL(group, fn, cpu, cuda, ret, params) GAN_KERNEL_GROUP_##group,
#include "backend_kernels.def"
};

static const char *const group_names[] = {"network", "direct convolution", "classifier",
                                          "trainer", "memory", "synchronised batch norm"};

const char *gan_kernel_name(gan_kernel k) {
    return (unsigned)k < GAN_K_COUNT ? kernel_names[k] : "(no such kernel)";
}

gan_kernel_group gan_kernel_group_of(gan_kernel k) {
    return (unsigned)k < GAN_K_COUNT ? kernel_groups[k] : GAN_KERNEL_GROUP_NETWORK;
}

bool gan_backend_supports(const gan_backend *be, gan_kernel k) {
    if (!be) return false;
    switch (k) {
#define GAN_KERNEL(group, fn, cpu, cuda, ret, params)                                              \
    case GAN_K_##fn: return be->fn != NULL;
#include "backend_kernels.def"
    default: return false;
    }
}

bool gan_backend_supports_group(const gan_backend *be, gan_kernel_group group) {
    for (int k = 0; k < GAN_K_COUNT; k++)
        if (kernel_groups[k] == group && !gan_backend_supports(be, (gan_kernel)k)) return false;
    return true;
}

gan_status gan_backend_require(const gan_backend *be, gan_kernel k, const char *user) {
    if (gan_backend_supports(be, k)) return GAN_OK;
    if ((unsigned)k >= GAN_K_COUNT)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: kernel id %d does not exist", user, (int)k);
    return gan_fail(GAN_ERR_UNSUPPORTED, "%s: the %s backend has no %s kernel (%s kernels)", user,
                    be ? be->name : "(none)", kernel_names[k], group_names[kernel_groups[k]]);
}
