#include "common/metrics_server.h"

#include <httplib.h>

#include <stdexcept>

#include "common/text.h"

namespace wgtune {

ListenAddress ParseListenAddress(std::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) throw std::invalid_argument("listen address without port: " + std::string(address));
  std::string_view host = address.substr(0, colon);
  auto port = ParseUint(address.substr(colon + 1));
  if (!port || *port > 65535) throw std::invalid_argument("bad port in listen address: " + std::string(address));
  if (StartsWith(host, "[")) {
    if (!EndsWith(host, "]")) throw std::invalid_argument("bad IPv6 listen address: " + std::string(address));
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    throw std::invalid_argument("IPv6 listen address needs brackets: " + std::string(address));
  }
  return {host.empty() ? "0.0.0.0" : std::string(host), static_cast<int>(*port)};
}

MetricsServer::MetricsServer(ExpositionProvider exposition, std::string telemetry_path, std::string title,
                             std::string blurb)
    : server_(std::make_unique<httplib::Server>()) {
  // A scrape is a copy of a prepared string: two workers serve any scrape rate, where
  // httplib's default would start one thread per CPU on the very hosts being tuned.
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  server_->Get(telemetry_path, [exposition](const httplib::Request&, httplib::Response& response) {
    std::shared_ptr<const std::string> text = exposition();
    response.set_content(*text, "text/plain; version=0.0.4; charset=utf-8");
  });
  std::string landing =
      "<html><head><title>" + title + "</title></head><body><h1>" + title + "</h1>"
      "<p>" + blurb + "</p>"
      "<p><a href=\"" + telemetry_path + "\">Metrics</a></p></body></html>\n";
  server_->Get("/", [landing](const httplib::Request&, httplib::Response& response) {
    response.set_content(landing, "text/html; charset=utf-8");
  });
}

MetricsServer::~MetricsServer() = default;

void MetricsServer::Bind(const ListenAddress& address) {
  if (address.port == 0) {
    port_ = server_->bind_to_any_port(address.host);
  } else if (server_->bind_to_port(address.host, address.port)) {
    port_ = address.port;
  } else {
    port_ = -1;
  }
  if (port_ <= 0) {
    throw std::runtime_error("cannot listen on " + address.host + ":" + std::to_string(address.port));
  }
}

void MetricsServer::Serve() { server_->listen_after_bind(); }

void MetricsServer::Stop() { server_->stop(); }

}  // namespace wgtune
