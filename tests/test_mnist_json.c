/*
 * test_mnist_json.c - gan_convert_mnist_json (src/data/mnist_json.c): a
 * synthetic digits folder (5 samples per digit, known values written in
 * varied JSON number syntax and whitespace) is converted and loaded back with
 * gan_dataset_load: split sizes (floor(0.8 * 5) = 4 train, 1 test per digit),
 * order (digits 0..9, samples in file order), labels, rounding
 * (0.5 -> 128, 0.2 -> 51), gzip output in a folder created mkdir -p style.
 * Malformed JSON files are refused with GAN_ERR_FORMAT, naming the file and
 * the byte offset, and nothing is written.
 */
#define _POSIX_C_SOURCE 200809L
#include "gan.h"
#include "test_util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SAMPLES 5
#define PIXELS 784

/* Pixel p of sample s of digit d, as the converter must produce it. The
 * JSON text for it comes from json_value. */
static uint8_t expected_pixel(int d, int s, int p) {
    switch (p) {
    case 0: return 128;                    /* 0.5 */
    case 1: return 51;                     /* 0.2 */
    case 2: return (uint8_t)d;             /* d/255 */
    case 3: return (uint8_t)(100 + s);     /* (100+s)/255 */
    case 4: return 255;                    /* 1, 1.0E0, 1e+0 */
    case 5: return 0;                      /* 0, 0.0, -0, 1e-3 */
    case 6: return 64;                     /* 2.5e-1 -> 63.75 */
    case 7: return 254;                    /* 0.998 -> 254.49 */
    }
    return (uint8_t)((d * 31 + s * 7 + p) % 256);
}

/* The JSON text of pixel p; uses several number spellings. */
static void json_value(int d, int s, int p, char *buf, size_t cap) {
    static const char *one[] = {"1", "1.0E0", "1e+0", "1.000"};
    static const char *zero[] = {"0", "0.0", "-0", "1e-3", "0e5"};
    switch (p) {
    case 0: snprintf(buf, cap, "0.5"); return;
    case 1: snprintf(buf, cap, "0.2"); return;
    case 4: snprintf(buf, cap, "%s", one[(d + s) % 4]); return;
    case 5: snprintf(buf, cap, "%s", zero[(d + s) % 5]); return;
    case 6: snprintf(buf, cap, "2.5e-1"); return;
    case 7: snprintf(buf, cap, "0.998"); return;
    }
    snprintf(buf, cap, "%.17g", expected_pixel(d, s, p) / 255.0);
}

/* Write digits_dir/<d>.json with `samples` samples, whitespace varying. */
static void write_digit(const char *dir, int d, int samples) {
    char path[600];
    snprintf(path, sizeof path, "%s/%d.json", dir, d);
    FILE *f = fopen(path, "wb");
    CHECK_MSG(f != NULL, "cannot write %s", path);
    if (!f) return;
    fprintf(f, d % 2 ? "{ \"data\": [" : "\n{\"data\"\t:\r\n[ ");
    for (int s = 0; s < samples; s++)
        for (int p = 0; p < PIXELS; p++) {
            char v[40];
            json_value(d, s, p, v, sizeof v);
            fprintf(f, "%s%s", s || p ? (p % 50 ? "," : " ,\n ") : "", v);
        }
    fprintf(f, d % 2 ? "]}" : " ] }\n");
    fclose(f);
}

static void make_digits_dir(const char *dir) {
    mkdir(dir, 0777);
    for (int d = 0; d < 10; d++) write_digit(dir, d, SAMPLES);
}

static bool file_starts_gzip(const char *path) {
    size_t n = 0;
    uint8_t *b = test_read_file(path, &n);
    bool ok = b && n > 2 && b[0] == 0x1f && b[1] == 0x8b;
    free(b);
    return ok;
}

/* Check one loaded split against expected_pixel. */
static void check_split(const char *out_dir, gan_split split) {
    bool test = split == GAN_SPLIT_TEST;
    int per_digit = test ? SAMPLES - SAMPLES * 8 / 10 : SAMPLES * 8 / 10;
    CHECK(per_digit == (test ? 1 : 4));
    gan_dataset *data = NULL;
    CHECK_OK(gan_dataset_load(out_dir, split, &data));
    if (!data) return;
    int c = 0, h = 0, w = 0;
    gan_dataset_shape(data, &c, &h, &w);
    CHECK_MSG(gan_dataset_count(data) == 10 * per_digit, "count %lld", (long long)gan_dataset_count(data));
    CHECK(c == 1 && h == 28 && w == 28);
    CHECK(file_starts_gzip(gan_dataset_path(data)));
    const uint8_t *px = gan_dataset_pixels(data), *labels = gan_dataset_labels(data);
    CHECK(labels != NULL);
    if (gan_dataset_count(data) != 10 * per_digit || !labels) {
        gan_dataset_free(data);
        return;
    }
    int bad = 0;
    for (int d = 0; d < 10; d++)
        for (int k = 0; k < per_digit; k++) {
            int i = d * per_digit + k, s = test ? SAMPLES * 8 / 10 + k : k;
            CHECK_MSG(labels[i] == d, "image %d: label %d, expected %d", i, labels[i], d);
            for (int p = 0; p < PIXELS; p++)
                if (px[(size_t)(i * PIXELS + p)] != expected_pixel(d, s, p) && bad++ < 10)
                    CHECK_MSG(0, "image %d (digit %d sample %d) pixel %d: %d, expected %d", i, d, s, p,
                              px[(size_t)(i * PIXELS + p)], expected_pixel(d, s, p));
        }
    CHECK_MSG(bad == 0, "%d wrong pixels", bad);
    CHECK(px[0] == 128 && px[1] == 51); /* rounding: 0.5 -> 128, 0.2 -> 51 */
    gan_dataset_free(data);
}

static void test_convert(void) {
    char digits[512], out[512];
    snprintf(digits, sizeof digits, "%s/digits", test_tmpdir());
    snprintf(out, sizeof out, "%s/out/a/b", test_tmpdir()); /* parents missing */
    make_digits_dir(digits);
    CHECK_OK(gan_convert_mnist_json(digits, out));
    check_split(out, GAN_SPLIT_TRAIN);
    check_split(out, GAN_SPLIT_TEST);
    /* Converting again over existing files works. */
    CHECK_OK(gan_convert_mnist_json(digits, out));
    check_split(out, GAN_SPLIT_TEST);
}

/* Uneven counts: digit d has d+1 samples -> floor(0.8 (d+1)) train. */
static void test_uneven(void) {
    char digits[512], out[512];
    snprintf(digits, sizeof digits, "%s/uneven", test_tmpdir());
    snprintf(out, sizeof out, "%s/uneven_out", test_tmpdir());
    mkdir(digits, 0777);
    for (int d = 0; d < 10; d++) write_digit(digits, d, d + 1);
    CHECK_OK(gan_convert_mnist_json(digits, out));
    int64_t train = 0, test = 0;
    for (int d = 0; d < 10; d++) {
        train += (d + 1) * 8 / 10;
        test += (d + 1) - (d + 1) * 8 / 10;
    }
    CHECK(train == 40 && test == 15);
    gan_dataset *data = NULL;
    CHECK_OK(gan_dataset_load(out, GAN_SPLIT_TRAIN, &data));
    if (data) {
        CHECK(gan_dataset_count(data) == train);
        const uint8_t *l = gan_dataset_labels(data);
        /* digit 0 (1 sample) has no train image, digit 1 has 1, digit 2 has 2 */
        CHECK(l && l[0] == 1 && l[1] == 2 && l[2] == 2 && l[3] == 3 && l[train - 1] == 9);
        CHECK(gan_dataset_pixels(data)[3] == 100); /* first sample of digit 1 */
        gan_dataset_free(data);
    }
    CHECK_OK(gan_dataset_load(out, GAN_SPLIT_TEST, &data));
    if (data) {
        CHECK(gan_dataset_count(data) == test);
        const uint8_t *l = gan_dataset_labels(data);
        /* digit 0: its only sample; digit 4 (5 samples): sample 4 */
        CHECK(l && l[0] == 0 && l[1] == 1 && l[test - 1] == 9);
        CHECK(gan_dataset_pixels(data)[3] == 100);
        CHECK(gan_dataset_pixels(data)[PIXELS + 3] == 101); /* digit 1, its sample 1 */
        gan_dataset_free(data);
    }
}

/* Replace 3.json with `text` and expect a refusal naming it and `what`. */
static void expect_bad_json(const char *digits, const char *text, const char *what, gan_status status) {
    char path[600], out[600];
    snprintf(path, sizeof path, "%s/3.json", digits);
    CHECK(test_write_file(path, text, strlen(text)) == 0);
    snprintf(out, sizeof out, "%s/bad_out", test_tmpdir());
    gan_status s = gan_convert_mnist_json(digits, out);
    const char *msg = gan_last_error();
    CHECK_MSG(s == status, "%.60s: status %s (%s)", text, gan_status_string(s), msg);
    CHECK_MSG(strstr(msg, path) != NULL, "%.60s: message does not name the file: %s", text, msg);
    CHECK_MSG(strstr(msg, what) != NULL, "%.60s: message lacks \"%s\": %s", text, what, msg);
    CHECK_MSG(access(out, F_OK) != 0, "%.60s: output written despite the error", text);
}

/* A valid one-image array body ("v,v,...") with `first` as the first value. */
static char *one_image(const char *prefix, const char *first, const char *suffix, int count) {
    size_t cap = strlen(prefix) + strlen(suffix) + strlen(first) + 2 * (size_t)count + 8;
    char *b = malloc(cap);
    strcpy(b, prefix);
    strcat(b, first);
    for (int i = 1; i < count; i++) strcat(b, ",0");
    strcat(b, suffix);
    return b;
}

static void test_malformed(void) {
    char digits[512];
    snprintf(digits, sizeof digits, "%s/bad", test_tmpdir());
    make_digits_dir(digits);
    static const struct {
        const char *first, *what;
    } values[] = {
        {"1.5", "byte 10: value 1.5 is outside [0, 1]"},
        {"-0.1", "value -0.1 is outside [0, 1]"},
        {"1e999", "value 1e999 is outside [0, 1]"},
        {"01", "byte 11: expected no leading zero"},
        {".5", "byte 10: expected a number, found '.'"},
        {"1.", "byte 12: expected a digit after '.'"},
        {"+1", "expected a number, found '+'"},
        {"1e", "expected a digit in the exponent"},
        {"NaN", "expected a number, found 'N'"},
        {"Infinity", "expected a number"},
        {"\"0\"", "expected a number, found '\"'"},
        {"[0]", "expected a number, found '['"},
        {"0,", "expected a number, found ','"},
        {"0 0", "expected ',' or ']' in the data array, found '0'"},
        {"null", "expected a number"},
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char *text = one_image("{\"data\": [", values[i].first, "]}", PIXELS);
        expect_bad_json(digits, text, values[i].what, GAN_ERR_FORMAT);
        free(text);
    }
    /* one image of zeros with another count or another ending */
    static const struct {
        const char *suffix;
        int count;
        const char *what;
    } shapes[] = {
        {"]}", PIXELS - 1, "783 values in \"data\", not a positive multiple of 784"},
        {"]}", PIXELS + 1, "785 values"},
        {"], \"x\": 1}", PIXELS, "expected '}'"},
        {"]} x", PIXELS, "expected the end of the file"},
        {"]", PIXELS, "found the end of the file"},
        {",]}", PIXELS, "expected a number, found ']'"},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        char *t = one_image("{\"data\": [", "0", shapes[i].suffix, shapes[i].count);
        expect_bad_json(digits, t, shapes[i].what, GAN_ERR_FORMAT);
        free(t);
    }
    expect_bad_json(digits, "", "byte 0: expected '{'", GAN_ERR_FORMAT);
    expect_bad_json(digits, "{\"data\": []}", "0 values", GAN_ERR_FORMAT);
    expect_bad_json(digits, "{\"dat\": [0]}", "byte 5: expected the key \"data\"", GAN_ERR_FORMAT);
    expect_bad_json(digits, "{\"data\" [0]}", "byte 8: expected ':'", GAN_ERR_FORMAT);
    expect_bad_json(digits, "{\"data\": 0}", "expected '['", GAN_ERR_FORMAT);
    expect_bad_json(digits, "[0]", "byte 0: expected '{'", GAN_ERR_FORMAT);
    expect_bad_json(digits, "{\"data\": [0\x01]}", "found byte 0x01", GAN_ERR_FORMAT);

    /* A missing digit file. */
    char path[600];
    snprintf(path, sizeof path, "%s/3.json", digits);
    unlink(path);
    gan_status s = gan_convert_mnist_json(digits, test_tmp_path("bad_out"));
    CHECK(s == GAN_ERR_IO);
    CHECK(strstr(gan_last_error(), path) && strstr(gan_last_error(), "no such file or directory"));
    CHECK(gan_convert_mnist_json(NULL, "x") == GAN_ERR_INVALID_ARGUMENT);

    /* An output path that is a file, not a folder. */
    write_digit(digits, 3, SAMPLES);
    const char *file = test_tmp_path("a_file");
    CHECK(test_write_file(file, "x", 1) == 0);
    s = gan_convert_mnist_json(digits, file);
    CHECK(s == GAN_ERR_IO && strstr(gan_last_error(), file));
}

int main(void) {
    test_convert();
    test_uneven();
    test_malformed();
    return test_report();
}
