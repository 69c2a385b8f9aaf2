/*
 * fuzz_spec.c - the model language (src/spec): parse (which also chains the
 * shapes and checks the parameter cap), copy, and read the train options.
 * Models are not built: a spec at the cap may rightly ask for gigabytes.
 */
#include "gan.h"
#include "harness_util.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gan_spec *s = NULL, *copy = NULL;
    if (gan_spec_parse((const char *)data, size, "fuzz.gan", "fuzz", &s) != GAN_OK) return 0;
    gan_train_options opt;
    gan_train_options_default(&opt);
    gan_spec_train_options(s, &opt);
    if (s->net[0].n_params + s->net[1].n_params > GAN_SPEC_MAX_PARAMS) __builtin_trap();
    if (gan_spec_copy(s, &copy) == GAN_OK) gan_spec_free(copy);
    gan_spec_free(s);
    return 0;
}
