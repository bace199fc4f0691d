// The advisor's HTTP client: one blocking request at a time over cpp-httplib.
//
// The advisor talks HTTP to three kinds of servers (exporters it scrapes, a Prometheus
// server's query API, an Alertmanager) and all three are addressed by a URL the operator
// wrote on the command line, possibly with a path prefix (a Prometheus behind a reverse proxy
// at http://host/prom). httplib wants host, port and path apart and reports failures as an
// enum, so this wrapper parses URLs once, strictly, and turns every failure into an exception
// whose message names the URL, which is what the operator needs to see. httplib stays out of
// this header so that its includers do not compile it.
//
// Contracts:
// - Every function is reentrant: each request opens its own connection and shares no state,
//   so callers may run requests from several threads at once.
// - Malformed URLs throw std::invalid_argument ("invalid URL \"...\": why"); a request that
//   gets no HTTP response (refused, timed out, TLS failure) throws HttpError. Any response,
//   whatever its status, is returned: the caller decides what a 404 or a 500 means.
// - https verifies the server certificate against the system CA store.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wgtune {

// A request failed before an HTTP response arrived. The message is
// "GET http://host:port/path: Connection" with httplib's name for the error.
class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HttpUrl {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // without the brackets of an IPv6 literal
  int port = 0;        // explicit, or 80/443 by scheme
  std::string path;    // never empty: "/" at least; keeps a query string ("/metrics?x=1")

  // "host:port" with an IPv6 literal bracketed, as in Prometheus's instance label.
  std::string HostPort() const;
};

// Parses "http[s]://host[:port][/path][?query]". A fragment is dropped (never sent anyway).
// Rejects other schemes, credentials in the authority, unbracketed IPv6, empty or
// out-of-range ports, blanks and control characters.
HttpUrl ParseHttpUrl(std::string_view url);

// Appends `path` ("/api/v1/query") to a base URL that may carry a path prefix, without
// doubling the slash: ("http://h:9090/prom/", "/api/v1/query") →
// "http://h:9090/prom/api/v1/query". The base must not have a query string or fragment.
std::string JoinUrlPath(std::string_view base_url, std::string_view path);

// Percent-encodes everything but the RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~),
// so the result is safe as a query parameter value whatever it holds.
std::string UrlEncode(std::string_view text);

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  std::string body;          // decompressed if the server sent gzip, deflate or brotli
  std::string content_type;  // the Content-Type header, "" when absent
};

// `timeout_seconds` (> 0) bounds the connect and every single read and write, not the whole
// exchange: httplib has no overall deadline. GET follows redirects; POST does not.
HttpResponse HttpGet(const std::string& url, double timeout_seconds, const HttpHeaders& headers = {});
HttpResponse HttpPost(const std::string& url, const std::string& body, const std::string& content_type,
                      double timeout_seconds, const HttpHeaders& headers = {});

}  // namespace wgtune
