/*
 * image_jpeg.c - JPEG decoding with libjpeg-turbo (see image_jpeg.h). Errors
 * leave libjpeg through longjmp back to image_jpeg_load_rgba, which frees
 * what it allocated; nothing is printed. Without GAN_HAVE_LIBJPEG it only
 * says it is not available.
 */
#include "data/image_jpeg.h"

bool image_jpeg_is_jpeg(const uint8_t *buf, size_t len) {
    if (len < 2 || buf[0] != 0xff) return false;
    size_t i = 1;
    while (i < len && buf[i] == 0xff) i++;
    return i < len && buf[i] == 0xd8;
}

#ifdef GAN_HAVE_LIBJPEG

#include <setjmp.h>
#include <stdio.h> /* jpeglib.h needs FILE */
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

#if !defined(JCS_ALPHA_EXTENSIONS)
#error "libjpeg-turbo (JCS_EXT_RGBA) is needed; configure with -DGAN_LIBJPEG=OFF to use stb_image"
#endif

typedef struct jpeg_fail {
    struct jpeg_error_mgr mgr;
    jmp_buf back;
    char msg[JMSG_LENGTH_MAX];
} jpeg_fail;

static _Thread_local char jpeg_why[JMSG_LENGTH_MAX + 32];

static void jpeg_on_error(j_common_ptr c) {
    jpeg_fail *f = (jpeg_fail *)c->err;
    c->err->format_message(c, f->msg);
    longjmp(f->back, 1);
}

/* Level -1 is a warning about corrupt data: an error here. Trace messages
 * (level >= 0) are ignored. */
static void jpeg_on_message(j_common_ptr c, int level) {
    if (level < 0) jpeg_on_error(c);
}

bool image_jpeg_available(void) {
    return true;
}

uint8_t *image_jpeg_load_rgba(const uint8_t *buf, size_t len, int want_w, int want_h, const char **why) {
    struct jpeg_decompress_struct ci;
    jpeg_fail f;
    uint8_t *volatile px = NULL;
    uint8_t *volatile row4 = NULL; /* one CMYK row */
    *why = NULL;
    ci.err = jpeg_std_error(&f.mgr);
    f.mgr.error_exit = jpeg_on_error;
    f.mgr.emit_message = jpeg_on_message;
    f.msg[0] = 0;
    if (setjmp(f.back)) {
        snprintf(jpeg_why, sizeof jpeg_why, "corrupt JPEG: %s", f.msg);
        *why = jpeg_why;
        jpeg_destroy_decompress(&ci);
        free(px);
        free(row4);
        return NULL;
    }
    jpeg_create_decompress(&ci);
    jpeg_mem_src(&ci, buf, (unsigned long)len);
    jpeg_read_header(&ci, TRUE);
    if ((int64_t)ci.image_width != want_w || (int64_t)ci.image_height != want_h) {
        snprintf(jpeg_why, sizeof jpeg_why, "its frame is %u x %u, its header %d x %d", ci.image_width,
                 ci.image_height, want_w, want_h);
        *why = jpeg_why;
        jpeg_destroy_decompress(&ci);
        return NULL;
    }
    bool cmyk = ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK;
    ci.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_RGBA;
    jpeg_start_decompress(&ci);
    size_t w = ci.output_width, h = ci.output_height;
    px = malloc(w * h * 4);
    if (cmyk) row4 = malloc(w * 4);
    if (!px || (cmyk && !row4)) {
        snprintf(f.msg, sizeof f.msg, "out of memory for %zu x %zu pixels", w, h);
        longjmp(f.back, 1);
    }
    while (ci.output_scanline < ci.output_height) {
        uint8_t *out = px + (size_t)ci.output_scanline * w * 4;
        JSAMPROW row = cmyk ? row4 : out;
        jpeg_read_scanlines(&ci, &row, 1);
        for (size_t x = 0; cmyk && x < w; x++) {
            unsigned k = row4[4 * x + 3];
            for (int c = 0; c < 3; c++) { /* stb_image's stbi__blinn_8x8: x * k / 255, rounded */
                unsigned t = row4[4 * x + c] * k + 128;
                out[4 * x + c] = (uint8_t)((t + (t >> 8)) >> 8);
            }
            out[4 * x + 3] = 255;
        }
    }
    jpeg_finish_decompress(&ci);
    jpeg_destroy_decompress(&ci);
    free(row4);
    return px;
}

#else /* no libjpeg-turbo: stb_image decodes JPEGs */

bool image_jpeg_available(void) {
    return false;
}

uint8_t *image_jpeg_load_rgba(const uint8_t *buf, size_t len, int want_w, int want_h, const char **why) {
    (void)buf, (void)len, (void)want_w, (void)want_h;
    *why = "built without libjpeg-turbo";
    return 0;
}

#endif
