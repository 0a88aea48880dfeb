#include "CCurl.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const int privdnn_http_untrusted_certificate = CURLE_PEER_FAILED_VERIFICATION;

/// curl_global_init once per process (FoundationNetworking calls it too; libcurl counts the calls).
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_code = CURLE_OK;
static void global_init(void) { global_code = curl_global_init(CURL_GLOBAL_DEFAULT); }

/// Where the response's header lines go.
struct header_buffer {
    char *bytes;
    size_t size;
    size_t used;
};

/// Keeps the final response's header lines: a status line starts the buffer over, so that the headers of a
/// `100 Continue` (sent before the upload) do not mix with the answer's. Lines past the buffer are dropped, not an
/// error: the client reads a few short fields.
static size_t keep_header(char *data, size_t size, size_t count, void *user) {
    struct header_buffer *buffer = user;
    size_t n = size * count;
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) buffer->used = 0;
    size_t room = buffer->size - 1 - buffer->used;
    size_t take = n < room ? n : room;
    memcpy(buffer->bytes + buffer->used, data, take);
    buffer->used += take;
    buffer->bytes[buffer->used] = 0;
    return n;
}

/// Copies a one-line message into `error`.
static void say(char *error, const char *what, const char *path) {
    snprintf(error, PRIVDNN_HTTP_ERROR_SIZE, "%s %s: %s", what, path, strerror(errno));
}

int privdnn_http_transfer(
    const char *url, const char *const *headers, size_t header_count, const char *upload_path,
    const char *download_path, const char *ca_file, long timeout_seconds, long *status, char *response_headers,
    size_t response_headers_size, char *error) {
    *status = 0;
    error[0] = 0;
    if (response_headers_size > 0) response_headers[0] = 0;
    pthread_once(&global_once, global_init);
    if (global_code != CURLE_OK) {
        snprintf(error, PRIVDNN_HTTP_ERROR_SIZE, "%s", curl_easy_strerror(global_code));
        return (int)global_code;
    }
    FILE *in = NULL, *out = NULL;
    struct curl_slist *list = NULL;
    CURL *handle = NULL;
    int result = -1;
    if (upload_path && !(in = fopen(upload_path, "rb"))) {
        say(error, "cannot read", upload_path);
        goto done;
    }
    if (!(out = fopen(download_path, "wb"))) {
        say(error, "cannot write", download_path);
        goto done;
    }
    struct stat info;
    if (in && fstat(fileno(in), &info) != 0) {
        say(error, "cannot read", upload_path);
        goto done;
    }
    for (size_t i = 0; i < header_count; i++) {
        struct curl_slist *longer = curl_slist_append(list, headers[i]);
        if (!longer) {
            snprintf(error, PRIVDNN_HTTP_ERROR_SIZE, "out of memory");
            goto done;
        }
        list = longer;
    }
    if (!(handle = curl_easy_init())) {
        snprintf(error, PRIVDNN_HTTP_ERROR_SIZE, "libcurl could not make a handle");
        goto done;
    }
    struct header_buffer buffer = {response_headers, response_headers_size, 0};
    curl_easy_setopt(handle, CURLOPT_URL, url);
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
    // No signals (other threads run), no redirects, no scheme but HTTP(S): the client talks to one service.
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(handle, CURLOPT_TIMEOUT, timeout_seconds);
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, keep_header);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, &buffer);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, out);  // libcurl's default writer: fwrite
    if (ca_file) {
        // The given CAs only: no compiled-in bundle or directory beside them, so that the file decides.
        curl_easy_setopt(handle, CURLOPT_CAINFO, ca_file);
        curl_easy_setopt(handle, CURLOPT_CAPATH, NULL);
    }
    if (in) {
        curl_easy_setopt(handle, CURLOPT_POST, 1L);
        curl_easy_setopt(handle, CURLOPT_READDATA, in);  // libcurl's default reader: fread
        curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)info.st_size);
    }
    CURLcode code = curl_easy_perform(handle);
    if (code != CURLE_OK) {
        if (!error[0]) snprintf(error, PRIVDNN_HTTP_ERROR_SIZE, "%s", curl_easy_strerror(code));
        result = (int)code;
        goto done;
    }
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, status);
    result = 0;
done:
    if (handle) curl_easy_cleanup(handle);
    curl_slist_free_all(list);
    if (in) fclose(in);
    if (out && fclose(out) != 0 && result == 0) {
        say(error, "cannot write", download_path);
        result = -1;
    }
    return result;
}
