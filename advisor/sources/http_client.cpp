#include "advisor/sources/http_client.h"

#include <httplib.h>

#include <cmath>
#include <memory>
#include <optional>

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

// One connection per request. ClientImpl and SSLClient rather than the "universal"
// httplib::Client because the latter splits "scheme://host:port" with a regex that only
// accepts decimal digits inside IPv6 brackets, so [fe80::1] would not parse.
std::unique_ptr<httplib::ClientImpl> Connect(const std::string& url, const HttpUrl& parsed, double timeout_seconds) {
  if (!(timeout_seconds > 0) || !std::isfinite(timeout_seconds)) {
    throw std::invalid_argument("HTTP timeout must be a positive number of seconds");
  }
  std::unique_ptr<httplib::ClientImpl> client;
  if (parsed.scheme == "https") {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    client = std::make_unique<httplib::SSLClient>(parsed.host, parsed.port);
#else
    throw HttpError(url + ": https is not supported by this build of cpp-httplib");
#endif
  } else {
    client = std::make_unique<httplib::ClientImpl>(parsed.host, parsed.port);
  }
  auto seconds = static_cast<time_t>(timeout_seconds);
  auto micros = static_cast<time_t>((timeout_seconds - static_cast<double>(seconds)) * 1e6);
  client->set_connection_timeout(seconds, micros);
  client->set_read_timeout(seconds, micros);
  client->set_write_timeout(seconds, micros);
  return client;
}

httplib::Headers ToHttplib(const HttpHeaders& headers) {
  httplib::Headers out;
  // Prometheus identifies itself too; an exporter's access log then says who scraped it.
  out.emplace("User-Agent", "wgtune-advisor");
  for (const auto& [name, value] : headers) out.emplace(name, value);
  return out;
}

HttpResponse Finish(std::string_view method, const std::string& url, httplib::Result result) {
  if (!result) {
    throw HttpError(std::string(method) + " " + url + ": " + httplib::to_string(result.error()));
  }
  return HttpResponse{result->status, std::move(result->body), result->get_header_value("Content-Type")};
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

HttpResponse HttpGet(const std::string& url, double timeout_seconds, const HttpHeaders& headers) {
  HttpUrl parsed = ParseHttpUrl(url);
  auto client = Connect(url, parsed, timeout_seconds);
  // Prometheus follows redirects when scraping (follow_redirects defaults to true), and a
  // Prometheus behind a proxy may redirect /prom to /prom/.
  client->set_follow_location(true);
  return Finish("GET", url, client->Get(parsed.path, ToHttplib(headers)));
}

HttpResponse HttpPost(const std::string& url, const std::string& body, const std::string& content_type,
                      double timeout_seconds, const HttpHeaders& headers) {
  HttpUrl parsed = ParseHttpUrl(url);
  auto client = Connect(url, parsed, timeout_seconds);
  return Finish("POST", url, client->Post(parsed.path, ToHttplib(headers), body, content_type));
}

}  // namespace wgtune
