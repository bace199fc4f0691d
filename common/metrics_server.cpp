#include "common/metrics_server.h"

#include <httplib.h>

namespace wgtune {

// cpp-httplib's request parser and response writer, without its sockets: HttpServer hands it
// one request at a time through process_request (protected in httplib::Server, hence the
// subclass). Every request is answered by the pre-routing handler, so httplib's own routing
// (file mounts, bodies) is never reached.
class MetricsServer::Router : public httplib::Server {
 public:
  using httplib::Server::process_request;
};

MetricsServer::MetricsServer(ExpositionProvider exposition, MetricsServerOptions options)
    : exposition_(std::move(exposition)),
      options_(std::move(options)),
      settings_(options_.web_config_file),
      router_(std::make_unique<Router>()) {
  router_->set_keep_alive_timeout(static_cast<time_t>(options_.limits.idle_timeout_seconds));
  router_->set_keep_alive_max_count(options_.limits.max_requests_per_connection);
  const std::string landing =
      "<html><head><title>" + options_.title + "</title></head><body><h1>" + options_.title + "</h1>"
      "<p>" + options_.blurb + "</p>"
      "<p><a href=\"" + options_.telemetry_path + "\">Metrics</a></p></body></html>\n";
  router_->set_pre_routing_handler([this, landing](const httplib::Request& request, httplib::Response& response) {
    // exporter-toolkit's order (web/handler.go): the configuration, its headers, then
    // authentication, before anything about the path.
    std::shared_ptr<const WebSnapshot> settings = settings_.Current();
    if (!settings) {
      response.status = 500;
      response.set_content("Internal Server Error\n", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    for (const auto& [name, value] : settings->config.headers) response.set_header(name, value);
    const auto& users = settings->config.basic_auth_users;
    if (!users.empty()) {
      auto credentials = ParseBasicAuthorization(request.get_header_value("Authorization"));
      if (!credentials || !settings_.auth_cache().Allowed(users, credentials->first, credentials->second)) {
        response.status = 401;
        response.set_header("WWW-Authenticate", "Basic");
        response.set_content("Unauthorized\n", "text/plain; charset=utf-8");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    bool metrics = request.path == options_.telemetry_path;
    if (!metrics && request.path != "/") {
      response.status = 404;
      response.set_content("Not Found\n", "text/plain; charset=utf-8");
    } else if (request.method != "GET" && request.method != "HEAD") {
      response.status = 405;
      response.set_header("Allow", "GET, HEAD");
      response.set_content("Method Not Allowed\n", "text/plain; charset=utf-8");
    } else if (metrics) {
      std::shared_ptr<const std::string> text = exposition_();
      response.set_content(*text, "text/plain; version=0.0.4; charset=utf-8");
    } else {
      response.set_content(landing, "text/html; charset=utf-8");
    }
    return httplib::Server::HandlerResponse::Handled;
  });

  ServeRequest serve = [this](httplib::Stream& stream, bool last) {
    bool parsed = false, close_after = last, closed = false;
    bool written = router_->process_request(stream, last, closed, [&](httplib::Request& request) {
      parsed = true;
      // A body is never read: after a request that has one, the connection cannot be reused.
      bool body = (request.has_header("Content-Length") && request.get_header_value("Content-Length") != "0") ||
                  request.has_header("Transfer-Encoding");
      if (body || (request.method != "GET" && request.method != "HEAD")) {
        close_after = true;
        request.headers.erase("Connection");
        request.headers.emplace("Connection", "close");  // so that the response says so
      }
    });
    // Not parsed: a malformed request, answered 400/414; what follows it cannot be trusted.
    return written && parsed && !closed && !close_after;
  };
  TlsContextSource tls;
  if (settings_.tls()) {
    tls = [this]() -> SslContext {
      std::shared_ptr<const WebSnapshot> current = settings_.Current();
      return current ? current->tls : nullptr;
    };
  }
  server_ = std::make_unique<HttpServer>(options_.limits, std::move(serve), std::move(tls));
}

MetricsServer::~MetricsServer() = default;

int MetricsServer::Bind(const ListenAddress& address) { return server_->Bind(address); }

void MetricsServer::Serve() { server_->Serve(); }

void MetricsServer::Stop() { server_->Stop(); }

std::unique_ptr<MetricsServer> StartMetricsServer(const std::vector<std::string>& listen_addresses,
                                                  ExpositionProvider exposition, MetricsServerOptions options,
                                                  const LogFields& fields) {
  std::vector<ListenAddress> parsed;
  for (const std::string& address : listen_addresses) {
    try {
      parsed.push_back(ParseListenAddress(address));
    } catch (const std::invalid_argument& error) {
      throw std::invalid_argument(std::string("--web.listen-address: ") + error.what());
    }
  }
  std::unique_ptr<MetricsServer> server;
  try {
    server = std::make_unique<MetricsServer>(std::move(exposition), std::move(options));
  } catch (const std::exception& error) {
    throw std::invalid_argument(std::string("--web.config.file: ") + error.what());
  }
  for (size_t i = 0; i < parsed.size(); ++i) {
    int port = server->Bind(parsed[i]);
    LogFields logged = {{"address", listen_addresses[i]}, {"port", std::to_string(port)},
                        {"tls", server->tls() ? "true" : "false"}};
    logged.insert(logged.end(), fields.begin(), fields.end());
    Log(spdlog::level::info, "listening", logged);
  }
  return server;
}

}  // namespace wgtune
