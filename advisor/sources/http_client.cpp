#include "advisor/sources/http_client.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "advisor/sources/http_config.h"
#include "common/text.h"

namespace wgtune {
namespace {

[[noreturn]] void BadUrl(std::string_view url, std::string_view why) {
  throw std::invalid_argument("invalid URL \"" + std::string(url) + "\": " + std::string(why));
}

bool IsAsciiAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool IsHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int ParsePort(std::string_view url, std::string_view text) {
  std::optional<uint64_t> port = ParseUint(text);
  // ParseUint accepts only digits, so "+80" and " 80" are refused here too.
  if (!port || *port == 0 || *port > 65535) BadUrl(url, "port must be 1-65535");
  return static_cast<int>(*port);
}

// httplib's connect, read and write timeouts, as its (seconds, microseconds) take them.
void SetTimeouts(httplib::ClientImpl& client, double seconds_left) {
  auto seconds = static_cast<time_t>(seconds_left);
  auto micros = static_cast<time_t>((seconds_left - static_cast<double>(seconds)) * 1e6);
  client.set_connection_timeout(seconds, micros);
  client.set_read_timeout(seconds, micros);
  client.set_write_timeout(seconds, micros);
}

std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// The first address of `host` as text: httplib's host-to-address map takes numeric addresses
// only, and tls_config.server_name needs the connection to go to the URL's host while TLS names
// another.
std::string ResolveHost(const std::string& url, const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
    throw HttpError(url + ": " + host + ": " + gai_strerror(rc));
  }
  char text[INET6_ADDRSTRLEN] = "";
  const void* address = found->ai_family == AF_INET6
                            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr)
                            : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr);
  inet_ntop(found->ai_family, address, text, sizeof text);
  freeaddrinfo(found);
  return text;
}

// One connection per request, set up from the configuration as it is now (its files read
// again). ClientImpl and SSLClient rather than the "universal" httplib::Client because the
// latter splits "scheme://host:port" with a regex that only accepts decimal digits inside IPv6
// brackets, so [fe80::1] would not parse.
std::unique_ptr<httplib::ClientImpl> Connect(const std::string& url, const HttpUrl& parsed, const HttpClientConfig* config,
                                             httplib::Headers& headers) {
  std::unique_ptr<httplib::ClientImpl> client;
  if (parsed.scheme == "https") {
    const HttpTlsConfig tls = config != nullptr ? config->tls : HttpTlsConfig{};
    // With server_name, TLS (SNI, the certificate's name) is about that name while the
    // connection goes to the URL's host, as Go's tls.Config.ServerName has it.
    auto ssl = std::make_unique<httplib::SSLClient>(tls.server_name.empty() ? parsed.host : tls.server_name, parsed.port);
    if (!tls.server_name.empty()) {
      ssl->set_hostname_addr_map({{tls.server_name, ResolveHost(url, parsed.host)}});
      headers.emplace("Host", parsed.port == 443 ? parsed.HostPort().substr(0, parsed.HostPort().rfind(':')) : parsed.HostPort());
    }
    SSL_CTX* context = ssl->ssl_context();
    if (context == nullptr) throw HttpError(url + ": cannot create a TLS context: " + OpenSslError());
    if (tls.min_version != 0) SSL_CTX_set_min_proto_version(context, tls.min_version);
    if (tls.max_version != 0) SSL_CTX_set_max_proto_version(context, tls.max_version);
    if (!tls.cert_file.empty()) {
      if (SSL_CTX_use_certificate_chain_file(context, tls.cert_file.c_str()) != 1) {
        throw HttpError(url + ": " + config->source + ": tls_config.cert_file " + tls.cert_file + ": " + OpenSslError());
      }
      if (SSL_CTX_use_PrivateKey_file(context, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
          SSL_CTX_check_private_key(context) != 1) {
        throw HttpError(url + ": " + config->source + ": tls_config.key_file " + tls.key_file + ": " + OpenSslError());
      }
    }
    // Only the configured CA, as Prometheus's RootCAs: a certificate the system trusts is not
    // enough for a peer whose CA the configuration names.
    if (!tls.ca_file.empty()) ssl->set_ca_cert_path(tls.ca_file.c_str());
    ssl->enable_server_certificate_verification(!tls.insecure_skip_verify);
    client = std::move(ssl);
  } else {
    client = std::make_unique<httplib::ClientImpl>(parsed.host, parsed.port);
  }
  // Redirects are followed here (Exchange), under the same deadline and without credentials
  // for another host.
  client->set_follow_location(false);
  return client;
}

httplib::Headers ToHttplib(const HttpHeaders& headers, const HttpClientConfig* config) {
  httplib::Headers out;
  // Prometheus identifies itself too; an exporter's access log then says who scraped it.
  out.emplace("User-Agent", "wgtune-advisor");
  for (const auto& [name, value] : headers) out.emplace(name, value);
  if (config != nullptr) {
    try {
      for (auto& [name, value] : RequestHeaders(*config)) out.emplace(std::move(name), std::move(value));
    } catch (const HttpConfigError& error) {
      throw HttpError(error.what());
    }
  }
  return out;
}

// Closes the request's socket from its own thread when the deadline passes: the one way to end
// a read that httplib's per-read timeout never ends (a server trickling a byte a second).
class Watchdog {
 public:
  Watchdog(httplib::ClientImpl& client, HttpOptions::Clock::time_point deadline)
      : thread_([this, &client, deadline] {
          std::unique_lock lock(mutex_);
          if (!finished_.wait_until(lock, deadline, [this] { return done_; })) {
            fired_ = true;
            lock.unlock();
            client.stop();
          }
        }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() { Finish(); }

  // Ends the watch; whether the deadline had passed and the socket was closed.
  bool Finish() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    finished_.notify_one();
    if (thread_.joinable()) thread_.join();
    return fired_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable finished_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

std::string FormatTimeout(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", seconds);
  return std::string(text) + "s";
}

// Where a redirect's Location points, against the URL that answered with it.
std::string RedirectTarget(const HttpUrl& from, const std::string& location) {
  if (location.find("://") != std::string::npos) return location;
  const std::string origin = from.scheme + "://" + from.HostPort();
  if (StartsWith(location, "/")) return origin + location;
  std::string base = from.path.substr(0, from.path.find('?'));
  return origin + base.substr(0, base.rfind('/') + 1) + location;
}

// One exchange with its redirects (GET only), all under one deadline.
HttpResponse Exchange(std::string_view method, const std::string& url, const std::string* body,
                      const std::string& content_type, const HttpOptions& options, const HttpHeaders& extra) {
  if (!(options.timeout_seconds > 0) || !std::isfinite(options.timeout_seconds)) {
    throw std::invalid_argument("HTTP timeout must be a positive number of seconds");
  }
  auto deadline = HttpOptions::Clock::now() + std::chrono::duration_cast<HttpOptions::Clock::duration>(
                                                  std::chrono::duration<double>(options.timeout_seconds));
  double allowed = options.timeout_seconds;
  if (options.not_after && *options.not_after < deadline) {
    deadline = *options.not_after;
    allowed = std::max(0.0, std::chrono::duration<double>(deadline - HttpOptions::Clock::now()).count());
  }
  const bool follow = body == nullptr && (options.config == nullptr || options.config->follow_redirects);
  std::string current = url;
  HttpUrl first = ParseHttpUrl(url);
  for (int redirects = 0;; ++redirects) {
    HttpUrl parsed = ParseHttpUrl(current);
    const std::string what = std::string(method) + " " + current;
    const double left = std::chrono::duration<double>(deadline - HttpOptions::Clock::now()).count();
    if (left <= 0) throw HttpError(what + ": no complete answer within " + FormatTimeout(allowed));
    // Credentials go to the host they were configured for: Go's client drops them too when a
    // redirect leads elsewhere.
    const bool same_host = parsed.HostPort() == first.HostPort() && parsed.scheme == first.scheme;
    httplib::Headers headers = ToHttplib(extra, same_host ? options.config.get() : nullptr);
    auto client = Connect(current, parsed, same_host ? options.config.get() : nullptr, headers);
    // A little beyond the deadline, so that the watchdog, not a per-read timeout that ends a
    // moment early, ends a hung exchange and the error says why.
    SetTimeouts(*client, left + 0.25);
    httplib::Result result = [&] {
      Watchdog watchdog(*client, deadline);
      httplib::Result answer = body == nullptr ? client->Get(parsed.path, headers)
                                               : client->Post(parsed.path, headers, *body, content_type);
      if (watchdog.Finish() && !answer) {
        throw HttpError(what + ": no complete answer within " + FormatTimeout(allowed));
      }
      return answer;
    }();
    if (!result) {
      if (HttpOptions::Clock::now() >= deadline) {
        throw HttpError(what + ": no complete answer within " + FormatTimeout(allowed));
      }
      std::string why = httplib::to_string(result.error());
      if (result.error() == httplib::Error::SSLServerVerification) {
        auto* ssl = dynamic_cast<httplib::SSLClient*>(client.get());
        long verify = ssl != nullptr ? ssl->get_openssl_verify_result() : X509_V_OK;
        // X509_V_OK with a verification failure: the certificate is for another name.
        const HttpClientConfig* config = same_host ? options.config.get() : nullptr;
        const std::string name = config != nullptr && !config->tls.server_name.empty() ? config->tls.server_name : parsed.host;
        why += verify == X509_V_OK ? ": certificate is not valid for " + name
                                   : std::string(": ") + X509_verify_cert_error_string(verify);
      }
      throw HttpError(what + ": " + why);
    }
    const int status = result->status;
    if (follow && status >= 300 && status <= 399 && status != 304 && result->has_header("Location")) {
      if (redirects == 10) throw HttpError(what + ": stopped after 10 redirects");
      current = RedirectTarget(parsed, result->get_header_value("Location"));
      continue;
    }
    return HttpResponse{status, std::move(result->body), result->get_header_value("Content-Type")};
  }
}

}  // namespace

std::string HttpUrl::HostPort() const {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

HttpUrl ParseHttpUrl(std::string_view url) {
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) BadUrl(url, "blank or control character");
  }
  size_t separator = url.find("://");
  if (separator == std::string_view::npos) BadUrl(url, "want http://host:port/path");
  HttpUrl parsed;
  parsed.scheme = Lower(url.substr(0, separator));
  if (parsed.scheme != "http" && parsed.scheme != "https") BadUrl(url, "scheme must be http or https");

  std::string_view rest = url.substr(separator + 3);
  rest = rest.substr(0, rest.find('#'));
  size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view path = authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) BadUrl(url, "credentials in URLs are not supported");

  std::string_view port;
  bool has_port = false;
  if (StartsWith(authority, "[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) BadUrl(url, "unterminated IPv6 address");
    std::string_view host = authority.substr(1, close - 1);
    if (host.find(':') == std::string_view::npos) BadUrl(url, "invalid IPv6 address");
    for (char c : host) {
      if (!IsHexDigit(c) && c != ':' && c != '.') BadUrl(url, "invalid IPv6 address");
    }
    parsed.host = host;
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') BadUrl(url, "unexpected text after the IPv6 address");
      port = after.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = authority.find(':');
    std::string_view host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      has_port = true;
      if (port.find(':') != std::string_view::npos) BadUrl(url, "an IPv6 address must be in brackets");
    }
    if (host.empty()) BadUrl(url, "missing host");
    for (char c : host) {
      if (!IsAsciiAlnum(c) && c != '-' && c != '.' && c != '_') BadUrl(url, "invalid character in host");
    }
    parsed.host = host;
  }
  parsed.port = has_port ? ParsePort(url, port) : (parsed.scheme == "https" ? 443 : 80);

  if (path.empty()) {
    parsed.path = "/";
  } else if (path.front() == '?') {
    parsed.path = "/" + std::string(path);
  } else {
    parsed.path = path;
  }
  return parsed;
}

std::string JoinUrlPath(std::string_view base_url, std::string_view path) {
  ParseHttpUrl(base_url);  // for the error message, before anything is built on it
  if (base_url.find_first_of("?#") != std::string_view::npos) {
    BadUrl(base_url, "a base URL must not have a query string or fragment");
  }
  while (EndsWith(base_url, "/")) base_url.remove_suffix(1);
  while (StartsWith(path, "/")) path.remove_prefix(1);
  return std::string(base_url) + "/" + std::string(path);
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (IsAsciiAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

HttpOptions HttpOptions::By(Clock::time_point time) const {
  HttpOptions options = *this;
  options.not_after = not_after ? std::min(*not_after, time) : time;
  return options;
}

// Prometheus follows redirects when scraping (follow_redirects defaults to true), and a
// Prometheus behind a proxy may redirect /prom to /prom/.
HttpResponse HttpGet(const std::string& url, const HttpOptions& options, const HttpHeaders& headers) {
  return Exchange("GET", url, nullptr, "", options, headers);
}

HttpResponse HttpPost(const std::string& url, const std::string& body, const std::string& content_type,
                      const HttpOptions& options, const HttpHeaders& headers) {
  return Exchange("POST", url, &body, content_type, options, headers);
}

}  // namespace wgtune
