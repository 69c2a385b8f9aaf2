/*
 * test_dataset_folder.c - a folder of images as a dataset (src/data/
 * read_folder.c, folder_list.c, read_pack.c), on a copy of
 * tests/fixtures/images/folder:
 *   cats/a.png (20x20 RGBA), cats/b.jpg (30x20), cats/nested/c.bmp (12x16 grey),
 *   cats/.y.png (hidden), dogs/d.PNG (20x20 grey+alpha), dogs/e.jpeg
 *   (40x40 progressive), dogs/broken.png (a PNG signature and zeros),
 *   dogs/notes.txt, .hidden/x.png (hidden folder).
 * Checked: classes sorted from the subfolders, labels, the data's own shape
 * (most common shorter side 20, colour -> 3 channels), the summary (7 files,
 * 2 skipped and named, 2 non-square, 1 enlarged), pixels equal to decoding
 * the file alone, --strict, the cache (written inside the folder, hit on the
 * second load, missed after a file changes or the shape options change),
 * gan_dataset_write + load of the pack, no classes once an image lies in
 * the root, and the one-line errors: empty folder, no decodable image, a
 * decompression bomb, a missing path.
 */
#define _POSIX_C_SOURCE 200809L
#include "data/image_decode.h"
#include "gan.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

static char dir[1024];

static gan_dataset *load(const gan_dataset_options *o) {
    gan_dataset *d = NULL;
    CHECK_OK(gan_dataset_load_with(dir, GAN_SPLIT_TRAIN, o, &d));
    return d;
}

/* The file decoded and shaped alone equals image i of the dataset. */
static void check_image(const gan_dataset *d, int64_t i, const char *rel, const gan_dataset_options *o) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    uint8_t *buf = NULL;
    size_t len = 0;
    image_rgba img = {0};
    CHECK_OK(image_read_file(path, &buf, &len));
    CHECK_OK(image_decode(buf, len, path, 0, &img));
    int c, h, w;
    gan_dataset_shape(d, &c, &h, &w);
    size_t per = (size_t)c * h * w;
    uint8_t *want = malloc(per);
    image_shape_opts so = {h, c, o ? o->crop : GAN_CROP_CENTER, o ? o->background : GAN_BACKGROUND_WHITE};
    CHECK_OK(image_shape(img.px, img.width, img.height, &so, want));
    CHECK_MSG(img.px && memcmp(gan_dataset_pixels(d) + (size_t)i * per, want, per) == 0, "image %lld is not %s",
              (long long)i, rel);
    free(want);
    image_rgba_free(&img);
    free(buf);
}

static void test_folder(void) {
    gan_dataset *d = load(NULL);
    if (!d) return;
    int c, h, w;
    gan_dataset_shape(d, &c, &h, &w);
    CHECK_MSG(gan_dataset_count(d) == 5 && c == 3 && h == 20 && w == 20, "%lld images of %dx%dx%d",
              (long long)gan_dataset_count(d), c, h, w);
    CHECK(strcmp(gan_dataset_format(d), "folder") == 0);
    CHECK(gan_dataset_class_count(d) == 2);
    CHECK(gan_dataset_class_name(d, 0) && strcmp(gan_dataset_class_name(d, 0), "cats") == 0);
    CHECK(gan_dataset_class_name(d, 1) && strcmp(gan_dataset_class_name(d, 1), "dogs") == 0);
    const uint8_t *l = gan_dataset_labels(d);
    CHECK(l && l[0] == 0 && l[1] == 0 && l[2] == 0 && l[3] == 1 && l[4] == 1);
    const gan_dataset_summary *sm = gan_dataset_get_summary(d);
    CHECK_MSG(sm->files == 7 && sm->skipped == 2 && sm->non_square == 2 && sm->smaller == 1,
              "files %lld skipped %lld non-square %lld smaller %lld", (long long)sm->files, (long long)sm->skipped,
              (long long)sm->non_square, (long long)sm->smaller);
    CHECK(strstr(sm->skipped_names[0], "broken.png") && strstr(sm->skipped_names[1], "notes.txt") &&
          !sm->skipped_names[2][0]);
    CHECK(!sm->cache_hit && sm->cache_written && strstr(sm->cache_path, "/.gan-cache/"));
    /* order: cats/a.png, cats/b.jpg, cats/nested/c.bmp, dogs/d.PNG, dogs/e.jpeg */
    check_image(d, 0, "cats/a.png", NULL);
    check_image(d, 1, "cats/b.jpg", NULL);
    check_image(d, 2, "cats/nested/c.bmp", NULL);
    check_image(d, 3, "dogs/d.PNG", NULL);
    check_image(d, 4, "dogs/e.jpeg", NULL);
    size_t bytes = (size_t)gan_dataset_count(d) * 3 * 20 * 20;
    uint8_t *first = malloc(bytes);
    memcpy(first, gan_dataset_pixels(d), bytes);
    gan_dataset_free(d);

    /* second load: from the cache, same pixels, labels, classes and summary */
    d = load(NULL);
    if (d) {
        sm = gan_dataset_get_summary(d);
        CHECK(sm->cache_hit && !sm->cache_written && sm->skipped == 2 && strstr(sm->skipped_names[0], "broken.png"));
        CHECK(gan_dataset_count(d) == 5 && memcmp(gan_dataset_pixels(d), first, bytes) == 0);
        CHECK(gan_dataset_class_count(d) == 2 && strcmp(gan_dataset_class_name(d, 1), "dogs") == 0);
        CHECK(gan_dataset_labels(d) && gan_dataset_labels(d)[4] == 1);
        CHECK(strcmp(gan_dataset_path(d), dir) == 0 && strcmp(gan_dataset_format(d), "folder") == 0);
        gan_dataset_free(d);
    }
    free(first);

    /* other shape options: another cache entry, decoded again */
    gan_dataset_options o;
    gan_dataset_options_default(&o);
    o.resolution = 8;
    o.channels = 1;
    o.crop = GAN_CROP_NONE;
    o.background = GAN_BACKGROUND_BLACK;
    d = load(&o);
    if (d) {
        gan_dataset_shape(d, &c, &h, &w);
        CHECK(c == 1 && h == 8 && w == 8 && !gan_dataset_get_summary(d)->cache_hit);
        CHECK(gan_dataset_get_summary(d)->smaller == 0); /* every shorter side is at least 12 */
        check_image(d, 1, "cats/b.jpg", &o);
        gan_dataset_free(d);
    }

    /* a changed file (mtime) invalidates the cache */
    char path[1200];
    snprintf(path, sizeof path, "%s/cats/a.png", dir);
    struct timeval tv[2] = {{1000000000, 0}, {1000000000, 0}};
    CHECK(utimes(path, tv) == 0);
    d = load(NULL);
    if (d) {
        CHECK(!gan_dataset_get_summary(d)->cache_hit && gan_dataset_count(d) == 5);
        gan_dataset_free(d);
    }
    /* a cache that cannot be used (no_cache) is neither read nor written */
    gan_dataset_options_default(&o);
    o.no_cache = true;
    d = load(&o);
    if (d) {
        CHECK(!gan_dataset_get_summary(d)->cache_hit && !gan_dataset_get_summary(d)->cache_written);
        gan_dataset_free(d);
    }

    /* strict: the skipped files are an error naming the first */
    gan_dataset_options_default(&o);
    o.strict = true;
    d = NULL;
    CHECK(gan_dataset_load_with(dir, GAN_SPLIT_TRAIN, &o, &d) == GAN_ERR_FORMAT && !d);
    CHECK_MSG(strstr(gan_last_error(), "2 of 7 files") && strstr(gan_last_error(), "broken.png"), "%s",
              gan_last_error());
    /* a folder has one split */
    CHECK(gan_dataset_load(dir, GAN_SPLIT_TEST, &d) == GAN_ERR_INVALID_ARGUMENT && !d);
}

static void test_pack(void) {
    gan_dataset *d = load(NULL), *p = NULL;
    if (!d) return;
    const char *pack = test_tmp_path("emoji.ganpack");
    CHECK_OK(gan_dataset_write(d, pack));
    CHECK_OK(gan_dataset_load(pack, GAN_SPLIT_TRAIN, &p));
    if (p) {
        int c, h, w;
        gan_dataset_shape(p, &c, &h, &w);
        CHECK(strcmp(gan_dataset_format(p), "pack") == 0 && gan_dataset_count(p) == 5 && c == 3 && h == 20);
        CHECK(memcmp(gan_dataset_pixels(p), gan_dataset_pixels(d), (size_t)5 * 3 * 20 * 20) == 0);
        CHECK(memcmp(gan_dataset_labels(p), gan_dataset_labels(d), 5) == 0);
        CHECK(gan_dataset_class_count(p) == 2 && strcmp(gan_dataset_class_name(p, 0), "cats") == 0);
        CHECK(gan_dataset_get_summary(p)->files == 0); /* an explicit pack carries no load summary */
        gan_dataset_free(p);
    }
    /* reshaping a pack on load */
    p = test_load_shaped(pack, 1, 10);
    CHECK(p && test_dataset_is(p, 5, 1, 10, 10));
    gan_dataset_free(p);
    /* a truncated pack */
    size_t n = 0;
    uint8_t *bytes = test_read_file(pack, &n);
    const char *cut = test_tmp_path("cut.ganpack");
    CHECK(bytes && test_write_file(cut, bytes, n - 3) == 0);
    CHECK(gan_dataset_load(cut, GAN_SPLIT_TRAIN, &p) == GAN_ERR_FORMAT && strstr(gan_last_error(), "truncated"));
    free(bytes);
    gan_dataset_free(d);
}

static void test_errors(void) {
    gan_dataset *d = NULL;
    char cmd[4096], empty[1100];
    snprintf(empty, sizeof empty, "%s", test_tmp_path("empty_folder"));
    CHECK(mkdir(empty, 0755) == 0);
    CHECK(gan_dataset_load(empty, GAN_SPLIT_TRAIN, &d) == GAN_ERR_IO && !d);
    CHECK_MSG(strstr(gan_last_error(), "no image files") && strstr(gan_last_error(), "train-images-idx3-ubyte"),
              "%s", gan_last_error());
    /* only broken files */
    snprintf(cmd, sizeof cmd, "mkdir -p %s/junk/x && cp %s/empty.png %s/truncated.png %s/not_an_image.png %s/junk/x/",
             test_tmpdir(), test_fixture_path("images/hostile"), test_fixture_path("images/hostile"),
             test_fixture_path("images/hostile"), test_tmpdir());
    CHECK(test_run(cmd, NULL, 0) == 0);
    CHECK(gan_dataset_load(test_tmp_path("junk"), GAN_SPLIT_TRAIN, &d) == GAN_ERR_FORMAT && !d);
    CHECK_MSG(strstr(gan_last_error(), "none of its 3 files is a decodable image"), "%s", gan_last_error());
    /* an image directly in the root folder: no classes (not every image has a class folder) */
    snprintf(cmd, sizeof cmd, "cp %s/cats/a.png %s/root.png", dir, dir);
    CHECK(test_run(cmd, NULL, 0) == 0);
    CHECK_OK(gan_dataset_load(dir, GAN_SPLIT_TRAIN, &d));
    if (d) {
        CHECK(gan_dataset_count(d) == 6 && !gan_dataset_labels(d) && gan_dataset_class_count(d) == 0);
        gan_dataset_free(d);
    }
    /* a bomb among good files stops the load with its name */
    snprintf(cmd, sizeof cmd, "cp %s/bomb.png %s/", test_fixture_path("images/hostile"), dir);
    CHECK(test_run(cmd, NULL, 0) == 0);
    CHECK(gan_dataset_load(dir, GAN_SPLIT_TRAIN, &d) == GAN_ERR_SHAPE && !d);
    CHECK_MSG(strstr(gan_last_error(), "bomb.png") && strstr(gan_last_error(), "100000 x 100000") &&
              !strchr(gan_last_error(), '\n'), "%s", gan_last_error());
    CHECK(gan_dataset_load(test_tmp_path("missing"), GAN_SPLIT_TRAIN, &d) == GAN_ERR_IO &&
          strstr(gan_last_error(), "no such file"));
}

int main(void) {
    snprintf(dir, sizeof dir, "%s", test_tmp_path("folder"));
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "cp -r %s %s", test_fixture_path("images/folder"), dir);
    CHECK(test_run(cmd, NULL, 0) == 0);
    test_folder();
    test_pack();
    test_errors();
    return test_report();
}
