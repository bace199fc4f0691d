#include "common/metrics_server.h"
#include "exporter/sampler.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

namespace wgtune {
namespace {

TEST(ListenAddressTest, ParsesNodeExporterForms) {
  EXPECT_EQ(ParseListenAddress(":10050").host, "");  // every address, IPv6 and IPv4
  EXPECT_EQ(ParseListenAddress(":10050").port, 10050);
  EXPECT_EQ(ParseListenAddress("127.0.0.1:9").host, "127.0.0.1");
  EXPECT_EQ(ParseListenAddress("[::1]:80").host, "::1");
  EXPECT_EQ(ParseListenAddress("[::]:10050").host, "::");
  EXPECT_EQ(ParseListenAddress("localhost:0").port, 0);
}

TEST(ListenAddressTest, RejectsMalformedAddresses) {
  for (const char* bad : {"10050", "host:", ":70000", "::1:80", "[::1:80", ":http"}) {
    EXPECT_THROW(ParseListenAddress(bad), std::invalid_argument) << bad;
  }
}

class OneSeries : public Collector {
 public:
  void Collect(MetricSet& out) override { out.Gauge("test_value", "A value.").Add({}, 42); }
};

// A MetricsServer serving a fixed text on 127.0.0.1 (and any further addresses), on its own thread.
class ServingServer {
 public:
  explicit ServingServer(MetricsServerOptions options = {}, std::vector<std::string> also = {}) {
    if (options.title.empty()) options.title = "wgtune test";
    server_ = std::make_unique<MetricsServer>(
        [text = std::make_shared<const std::string>("test_value 42\n")] { return text; }, std::move(options));
    port_ = server_->Bind(ParseListenAddress("127.0.0.1:0"));
    for (const std::string& address : also) ports_.push_back(server_->Bind(ParseListenAddress(address)));
    serving_ = std::thread([this] { server_->Serve(); });
  }
  ~ServingServer() {
    server_->Stop();
    serving_.join();
  }
  int port() const { return port_; }
  const std::vector<int>& more_ports() const { return ports_; }

 private:
  std::unique_ptr<MetricsServer> server_;
  int port_ = 0;
  std::vector<int> ports_;
  std::thread serving_;
};

// A raw TCP connection to 127.0.0.1:port, closed with the object.
class RawClient {
 public:
  explicit RawClient(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& data) { ASSERT_EQ(send(fd_, data.data(), data.size(), MSG_NOSIGNAL), ssize_t(data.size())); }
  // Everything until the server closes or `seconds` pass.
  std::string Receive(double seconds) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd watched{fd_, POLLIN, 0};
      if (poll(&watched, 1, 50) <= 0) continue;
      char chunk[4096];
      ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(chunk, static_cast<size_t>(n));
    }
    return out;
  }
  // Whether the server closed the connection within `seconds` (reading anything it sent).
  bool ClosedWithin(double seconds) {
    Receive(seconds);
    return closed_;
  }

 private:
  int fd_;
  bool connected_ = false;
  bool closed_ = false;
};

std::string WriteFile(const std::string& name, const std::string& content) {
  std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path) << content;
  return path;
}

TEST(MetricsServerTest, ServesTheLatestSampleAndALandingPage) {
  std::vector<NamedCollector> collectors;
  collectors.push_back({"one", std::make_unique<OneSeries>()});
  Sampler sampler(std::move(collectors), [] { return 0.0; }, 5);
  sampler.SampleOnce();
  MetricsServer server([&sampler] { return sampler.Exposition(); },
                       {"/metrics", "wgtune exporter", "WireGuard / NetBird network-tuning signals for Prometheus.", "", {}});
  int port = server.Bind(ParseListenAddress("127.0.0.1:0"));
  std::thread serving([&] { server.Serve(); });

  httplib::Client client("127.0.0.1", port);
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics->body.find("test_value 42\n"), std::string::npos);
  auto landing = client.Get("/");
  ASSERT_TRUE(landing);
  EXPECT_NE(landing->body.find("href=\"/metrics\""), std::string::npos);

  server.Stop();
  serving.join();
}

TEST(MetricsServerTest, OnlyGetAndHeadOfTheTwoPaths) {
  ServingServer server;
  httplib::Client client("127.0.0.1", server.port());
  auto missing = client.Get("/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto post = client.Post("/metrics", "x=1", "application/x-www-form-urlencoded");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");
  auto put = client.Put("/", "", "text/plain");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 405);
  auto head = client.Head("/metrics");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  EXPECT_EQ(head->get_header_value("Content-Length"), "14");
  // A method the parser does not know is a 400, at once.
  RawClient raw(server.port());
  raw.Send("BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(raw.Receive(2).substr(0, 12), "HTTP/1.1 400");
}

// 200 clients that connect and never send, and 20 that send half a request header a byte at
// a time: cpp-httplib's own server gave each a worker and a scrape waited for all of them.
TEST(MetricsServerTest, IdleAndSlowClientsDoNotStallAScrape) {
  ServingServer server;
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 200; ++i) {
    idle.push_back(std::make_unique<RawClient>(server.port()));
    ASSERT_TRUE(idle.back()->connected());
  }
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(std::make_unique<RawClient>(server.port()));
    slow.back()->Send("GET /metrics HTTP/1.1\r\nHo");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the server see them all
  for (auto& client : slow) client->Send("s");
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    httplib::Client client("127.0.0.1", server.port());
    client.set_read_timeout(5, 0);
    auto metrics = client.Get("/metrics");
    ASSERT_TRUE(metrics) << "scrape " << i << ": " << httplib::to_string(metrics.error());
    EXPECT_EQ(metrics->status, 200);
  }
  // Five scrapes well within one second, where the old server never answered before its
  // 5 s read timeout.
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);
  // The idle connections were kept meanwhile (below the connection cap, within the deadline).
  EXPECT_FALSE(idle.front()->ClosedWithin(0.05));
}

TEST(MetricsServerTest, HeaderDeadlineClosesSlowClients) {
  MetricsServerOptions options;
  options.limits.header_timeout_seconds = 0.3;
  ServingServer server(options);
  RawClient slow(server.port());
  slow.Send("GET /metrics HTTP/1.1\r\n");
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(slow.ClosedWithin(3));
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GT(took, 0.2);
  EXPECT_LT(took, 2.0);
}

TEST(MetricsServerTest, OversizedHeadersAreRefused) {
  MetricsServerOptions options;
  options.limits.max_header_bytes = 4096;
  ServingServer server(options);
  RawClient big(server.port());
  big.Send("GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(5000, 'a') + "\r\n\r\n");
  std::string answer = big.Receive(2);
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 431") << answer;
  // Just under the limit is served.
  RawClient fits(server.port());
  fits.Send("GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(3000, 'a') + "\r\n\r\n");
  EXPECT_EQ(fits.Receive(0.5).substr(0, 12), "HTTP/1.1 200");
}

TEST(MetricsServerTest, FullServerClosesTheLongestWaitingFirst) {
  MetricsServerOptions options;
  options.limits.max_connections = 4;
  ServingServer server(options);
  std::vector<std::unique_ptr<RawClient>> waiting;
  for (int i = 0; i < 4; ++i) {
    waiting.push_back(std::make_unique<RawClient>(server.port()));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // a clear order of arrival
  }
  RawClient scraper(server.port());
  scraper.Send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(scraper.Receive(0.5).substr(0, 12), "HTTP/1.1 200");
  EXPECT_TRUE(waiting[0]->ClosedWithin(1));
  for (int i = 1; i < 4; ++i) EXPECT_FALSE(waiting[i]->ClosedWithin(0.05)) << i;
}

TEST(MetricsServerTest, KeepAliveIsBoundedInRequests) {
  MetricsServerOptions options;
  options.limits.max_requests_per_connection = 2;
  ServingServer server(options);
  RawClient client(server.port());
  // Two requests pipelined in one write: both answered, the second closing the connection.
  client.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string answers = client.Receive(2);
  EXPECT_NE(answers.find("Keep-Alive: timeout=60, max=2"), std::string::npos) << answers;
  EXPECT_NE(answers.find("Connection: close"), std::string::npos) << answers;
  EXPECT_NE(answers.find("test_value 42"), std::string::npos) << answers;
  EXPECT_TRUE(client.ClosedWithin(1));
}

TEST(MetricsServerTest, AnEmptyHostIsEveryAddressIpv4AndIpv6) {
  MetricsServer server([] { return std::make_shared<const std::string>("x 1\n"); }, MetricsServerOptions{});
  int port = server.Bind(ParseListenAddress(":0"));
  std::thread serving([&] { server.Serve(); });
  for (const char* host : {"127.0.0.1", "::1"}) {
    httplib::Client client(host, port);
    auto metrics = client.Get("/metrics");
    EXPECT_TRUE(metrics && metrics->status == 200) << host;
  }
  server.Stop();
  serving.join();
}

TEST(MetricsServerTest, KeptAliveConnectionsCloseWhenIdle) {
  MetricsServerOptions options;
  options.limits.idle_timeout_seconds = 0.3;
  ServingServer server(options);
  RawClient client(server.port());
  client.Send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(client.Receive(0.1).substr(0, 12), "HTTP/1.1 200");
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.ClosedWithin(3));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);
}

TEST(MetricsServerTest, ListensOnEveryAddressIncludingIpv6) {
  ServingServer server({}, {"[::1]:0"});
  httplib::Client v4("127.0.0.1", server.port());
  auto four = v4.Get("/metrics");
  ASSERT_TRUE(four);
  EXPECT_EQ(four->status, 200);
  httplib::Client v6("::1", server.more_ports().at(0));
  auto six = v6.Get("/metrics");
  ASSERT_TRUE(six) << httplib::to_string(six.error());
  EXPECT_EQ(six->status, 200);
}

// exporter-toolkit's test user carol (password carol123) and dave (dave123).
constexpr const char* kUsersCarol =
    "basic_auth_users:\n  carol: $2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu\n"
    "http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n";
constexpr const char* kUsersDave =
    "basic_auth_users:\n  dave: $2y$10$2UXri9cIDdgeKjBo4Rlpx.U3ZLDV8X1IxKmsfOvhcM5oXQt/mLmXq\n";

TEST(MetricsServerTest, BasicAuthFromTheWebConfigFileReReadWhenItChanges) {
  MetricsServerOptions options;
  options.web_config_file = WriteFile("wgtune-web-auth.yml", kUsersCarol);
  ServingServer server(options);
  httplib::Client client("127.0.0.1", server.port());
  auto anonymous = client.Get("/metrics");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(anonymous->get_header_value("WWW-Authenticate"), "Basic");
  EXPECT_EQ(anonymous->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(anonymous->body.find("test_value"), std::string::npos);
  client.set_basic_auth("carol", "wrong");
  auto wrong = client.Get("/metrics");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  client.set_basic_auth("carol", "carol123");
  auto good = client.Get("/metrics");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200);
  EXPECT_NE(good->body.find("test_value 42"), std::string::npos);
  EXPECT_EQ(good->get_header_value("X-Content-Type-Options"), "nosniff");

  // The file changes: carol is gone, dave comes, without a restart (as exporter-toolkit re-reads it).
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  WriteFile("wgtune-web-auth.yml", kUsersDave);
  auto gone = client.Get("/metrics");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 401);
  client.set_basic_auth("dave", "dave123");
  auto dave = client.Get("/metrics");
  ASSERT_TRUE(dave);
  EXPECT_EQ(dave->status, 200);
  // Broken on disk: 500 until mended, as exporter-toolkit answers.
  WriteFile("wgtune-web-auth.yml", "basic_auth_users: [\n");
  auto broken = client.Get("/metrics");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 500);
  WriteFile("wgtune-web-auth.yml", kUsersDave);
  auto mended = client.Get("/metrics");
  ASSERT_TRUE(mended);
  EXPECT_EQ(mended->status, 200);
}

TEST(MetricsServerTest, BadWebConfigFileAtStartNamesIt) {
  MetricsServerOptions options;
  options.web_config_file = WriteFile("wgtune-web-bad.yml", "tls_server_config:\n  cert_file: nowhere.crt\n  key_file: nowhere.key\n");
  auto make = [&] { MetricsServer server([] { return std::make_shared<const std::string>(); }, options); };
  try {
    make();
    FAIL() << "accepted";
  } catch (const std::exception& error) {
    EXPECT_NE(std::string(error.what()).find("nowhere.crt"), std::string::npos) << error.what();
  }
  options.web_config_file = testing::TempDir() + "/wgtune-web-missing.yml";
  EXPECT_THROW(make(), std::exception);
}

}  // namespace
}  // namespace wgtune
