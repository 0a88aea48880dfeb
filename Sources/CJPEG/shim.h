// libjpeg (libjpeg62-turbo-dev) plus two small wrappers.
//
// libjpeg reports fatal errors through error_exit, whose default calls exit(). The only portable way to
// recover is setjmp/longjmp, which Swift cannot express, so the whole decode/encode call sits in a C function
// here: on error it copies libjpeg's message into `message` and returns non-zero. The caller frees `*pixels`
// with free().
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

struct privdnn_jpeg_error {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char *message;
    size_t message_size;
};

static void privdnn_jpeg_error_exit(j_common_ptr info) {
    struct privdnn_jpeg_error *error = (struct privdnn_jpeg_error *)info->err;
    char text[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, text);
    if (error->message && error->message_size > 0) {
        strncpy(error->message, text, error->message_size - 1);
        error->message[error->message_size - 1] = 0;
    }
    longjmp(error->jump, 1);
}

// A premature end of data is only a warning to libjpeg (it pads with grey); treat it as fatal, as PIL does
// ("image file is truncated"). Other warnings, such as extraneous bytes before a marker, are tolerated as PIL does.
static void privdnn_jpeg_emit_message(j_common_ptr info, int level) {
    if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) privdnn_jpeg_error_exit(info);
}

/// Decodes a JPEG held in memory to interleaved 8-bit RGB (greyscale is expanded to RGB, as PIL's convert("RGB")).
/// Returns 0 on success, 2 (with the header's size in `*width`, `*height`) for an image of more than `max_pixels`
/// pixels, 1 for any other error.
static inline int privdnn_jpeg_decode_rgb(const unsigned char *data, unsigned long size,
                                          unsigned long long max_pixels, unsigned char **pixels, int *width,
                                          int *height, char *message, size_t message_size) {
    struct jpeg_decompress_struct info;
    struct privdnn_jpeg_error error;
    unsigned char *volatile buffer = NULL;  // the pointer itself is volatile: it must survive the longjmp
    *pixels = NULL;
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = privdnn_jpeg_error_exit;
    error.manager.emit_message = privdnn_jpeg_emit_message;
    error.message = message;
    error.message_size = message_size;
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        free((void *)buffer);
        return 1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, size);
    // The header's size is the file's own claim: a few bytes can announce 65,535 x 65,535 pixels (12 GiB of RGB,
    // more as progressive coefficients). Refuse sizes beyond max_pixels before anything is allocated for them, and
    // cap libjpeg's own working memory (it reports an error instead of going past it).
    info.mem->max_memory_to_use = 1L << 30;
    jpeg_read_header(&info, TRUE);
    if ((unsigned long long)info.image_width * info.image_height > max_pixels) {
        *width = (int)info.image_width;
        *height = (int)info.image_height;
        jpeg_destroy_decompress(&info);
        return 2;
    }
    info.out_color_space = JCS_RGB;
    jpeg_start_decompress(&info);
    size_t stride = (size_t)info.output_width * 3;
    buffer = (unsigned char *)malloc(stride * info.output_height);
    if (!buffer) {
        strncpy(message, "out of memory", message_size - 1);
        jpeg_destroy_decompress(&info);
        return 1;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = (JSAMPROW)(buffer + stride * info.output_scanline);
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    *width = (int)info.output_width;
    *height = (int)info.output_height;
    jpeg_destroy_decompress(&info);
    *pixels = (unsigned char *)buffer;
    return 0;
}

/// Encodes interleaved 8-bit RGB to a JPEG in memory (used to build test fixtures). Free `*output` with free().
static inline int privdnn_jpeg_encode_rgb(const unsigned char *pixels, int width, int height, int quality,
                                          unsigned char **output, unsigned long *output_size, char *message,
                                          size_t message_size) {
    struct jpeg_compress_struct info;
    struct privdnn_jpeg_error error;
    *output = NULL;
    *output_size = 0;
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = privdnn_jpeg_error_exit;
    error.message = message;
    error.message_size = message_size;
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&info);
        free(*output);
        *output = NULL;
        return 1;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, output, output_size);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = 3;
    info.in_color_space = JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)info.next_scanline * (size_t)width * 3);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    return 0;
}
