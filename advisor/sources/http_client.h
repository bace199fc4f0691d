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
// - https verifies the server certificate against the system CA store, or against the CA of
//   the peer's client configuration (http_config.h), which also gives credentials, a client
//   certificate and headers; its files are read at every request, so rotation needs no restart.
// - Every request has an overall deadline (HttpOptions): a server that accepts and then never
//   answers, or sends headers and part of a body and stops, or trickles a byte a second, costs
//   the caller the timeout and no more. A watchdog thread per request closes the socket when it
//   passes (httplib's ClientImpl::stop, the one call it allows from another thread).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wgtune {

struct HttpClientConfig;

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

// How one request is made: its deadline and the peer's client configuration.
struct HttpOptions {
  using Clock = std::chrono::steady_clock;

  // A bare number is a timeout without configuration: what most callers and tests need.
  HttpOptions(double timeout = 10) : timeout_seconds(timeout) {}  // NOLINT(google-explicit-constructor)
  HttpOptions(double timeout, std::shared_ptr<const HttpClientConfig> client_config)
      : timeout_seconds(timeout), config(std::move(client_config)) {}

  // The same options, due no later than `time` (a daemon's next evaluation).
  HttpOptions By(Clock::time_point time) const;

  double timeout_seconds;                          // > 0: the whole exchange, connect to last byte
  std::shared_ptr<const HttpClientConfig> config;  // null: no credentials, system CAs
  std::optional<Clock::time_point> not_after;      // an absolute deadline besides the timeout
};

// Every failure before a response throws HttpError; one that ran out of time says
// "GET url: no complete answer within 10s". GET follows redirects unless the configuration's
// follow_redirects is false; POST never does. A configuration file that cannot be read now (a
// removed password file) throws HttpError naming the file.
HttpResponse HttpGet(const std::string& url, const HttpOptions& options, const HttpHeaders& headers = {});
HttpResponse HttpPost(const std::string& url, const std::string& body, const std::string& content_type,
                      const HttpOptions& options, const HttpHeaders& headers = {});

}  // namespace wgtune
