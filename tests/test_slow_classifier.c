/*
 * test_slow_classifier.c - the eval classifier on the real digits (7,996
 * training, 2,004 test images) through `gan classifier train --out`: it
 * must reach 98.5% test accuracy with the default recipe, its file must
 * load back with the same accuracy in its metadata, and measuring the test
 * split against itself must give FID ~ 0 and full coverage.
 */
#define _POSIX_C_SOURCE 200809L
#include "eval/classifier.h"
#include "mini_json.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *gan_cli(void) {
    const char *p = getenv("GAN_CLI");
    return p ? p : "./gan";
}

int main(void) {
    const char *base = getenv("GAN_DATA_DIR");
    char data[512], cmd[4096], out[16384];
    snprintf(data, sizeof data, "%s/digits", base ? base : "data");
    const char *clf = test_tmp_path_kept("digits.safetensors");
    snprintf(cmd, sizeof cmd, "%s classifier train --data %s --out %s --threads 2", gan_cli(),
             data, clf);
    int rc = test_run(cmd, out, sizeof out);
    CHECK_MSG(rc == 0, "%s -> %d: %s", cmd, rc, out);
    fprintf(stderr, "%s", out);
    gan_classifier *c = NULL;
    CHECK_OK(gan_classifier_load(clf, &c));
    if (c) {
        CHECK_MSG(c->info.test_accuracy >= 0.985, "digits classifier: test accuracy %.4f < 0.985",
                  c->info.test_accuracy);
        CHECK(c->info.train_count == 7996 && c->info.test_count == 2004 && c->classes == 10);
    }
    gan_classifier_free(c);

    /* the test split against itself, through an IDX file of it */
    snprintf(cmd, sizeof cmd, "%s eval --data %s --classifier %s --cache %s --quiet --json "
             "--no-floor %s/t10k-images-idx3-ubyte.gz 2>&1", gan_cli(), data, clf,
             test_tmp_path_kept("cache"), data);
    rc = test_run(cmd, out, sizeof out);
    int kind;
    double fid, coverage;
    CHECK_MSG(rc == 0 && mini_json_get(out, "metrics.fid", &kind, &fid), "%s -> %d: %s", cmd, rc,
              out);
    mini_json_get(out, "metrics.coverage", &kind, &coverage);
    CHECK_MSG(fabs(fid) < 1e-3 && coverage == 1.0, "test split vs itself: FID %g, coverage %g",
              fid, coverage);
    return test_report();
}
