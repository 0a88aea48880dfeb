#ifndef PRIVDNN_CCURL_H
#define PRIVDNN_CCURL_H

#include <stddef.h>

/// The size of the buffer `privdnn_http_transfer` writes its error message into (libcurl's CURL_ERROR_SIZE).
#define PRIVDNN_HTTP_ERROR_SIZE 256

/// One HTTP exchange through libcurl with an easy handle of its own: GET (`upload_path` NULL) or POST of the
/// file `upload_path` (streamed from disk), the answer's body streamed to `download_path`, whatever its status.
///
/// Exists because FoundationNetworking's URLSession on Linux (libcurl underneath) offers no way to trust a
/// certificate authority of one's own; here `ca_file` (PEM, NULL: libcurl's default trust) is the only trust of
/// this exchange, and nothing process-wide changes.
///
/// - headers: `header_count` request header lines ("Name: value").
/// - status: the final HTTP status (0 when no answer came).
/// - response_headers: the final response's header lines as received, NUL-terminated, cut at
///   `response_headers_size - 1` bytes (earlier `100 Continue` headers are dropped).
/// - error: libcurl's or the file system's one-line message when the exchange failed.
/// - Returns: 0 when an answer came (any status); libcurl's error code (> 0) when none did; -1 when a file could
///   not be opened, read or written.
int privdnn_http_transfer(
    const char *url, const char *const *headers, size_t header_count, const char *upload_path,
    const char *download_path, const char *ca_file, long timeout_seconds, long *status, char *response_headers,
    size_t response_headers_size, char *error);

/// libcurl's code for a server certificate that did not verify (CURLE_PEER_FAILED_VERIFICATION).
extern const int privdnn_http_untrusted_certificate;

#endif
