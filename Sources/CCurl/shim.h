// libcurl (libcurl4-openssl-dev) plus typed wrappers, for the OwnerClient that trusts a private CA (CurlTransfer).
//
// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: each argument type the client
// passes gets a wrapper of its own here. Everything else (files, header lines, errors) stays in Swift.
#include <curl/curl.h>

/// curl_global_init with libcurl's default flags, whose macro Swift does not import.
static inline CURLcode privdnn_curl_global_init(void) { return curl_global_init(CURL_GLOBAL_DEFAULT); }

/// curl_easy_setopt for an option that takes a long.
static inline CURLcode privdnn_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt for an option that takes a string (libcurl copies it) or NULL.
static inline CURLcode privdnn_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt for an option that takes a pointer libcurl keeps until the transfer ends (a FILE *, a list,
/// a buffer, a callback's data).
static inline CURLcode privdnn_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt for an option that takes a curl_off_t (a size that may pass 2 GiB).
static inline CURLcode privdnn_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt for a callback option with the write callback's signature (CURLOPT_HEADERFUNCTION too).
static inline CURLcode privdnn_curl_set_write_function(CURL *handle, CURLoption option, curl_write_callback value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_getinfo for CURLINFO_RESPONSE_CODE: the last response's HTTP status.
static inline CURLcode privdnn_curl_response_code(CURL *handle, long *status) {
    return curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, status);
}
