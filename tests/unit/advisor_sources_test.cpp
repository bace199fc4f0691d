#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <thread>

#include "advisor/sinks/alertmanager.h"
#include "advisor/sources/http_client.h"
#include "advisor/sources/http_config.h"
#include "advisor/sources/prometheus_api.h"
#include "advisor/sources/target.h"
#include "common/exposition.h"
#include "tests/unit/error_testing.h"

namespace wgtune {
namespace {

using promql::Labels;
using promql::LabelMatcher;
using promql::MatchOp;

bool Contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// ---- URLs --------------------------------------------------------------------------------

TEST(HttpUrlTest, ParsesSchemesHostsPortsAndPaths) {
  struct Case {
    const char* url;
    const char* scheme;
    const char* host;
    int port;
    const char* path;
  };
  const Case cases[] = {
      {"http://localhost:9586/metrics", "http", "localhost", 9586, "/metrics"},
      {"https://prom.example.com/prom", "https", "prom.example.com", 443, "/prom"},
      {"http://10.0.0.1", "http", "10.0.0.1", 80, "/"},
      {"HTTP://Host_1:80?collect[]=cpu", "http", "Host_1", 80, "/?collect[]=cpu"},
      {"http://h:9586/metrics?a=1&b=2", "http", "h", 9586, "/metrics?a=1&b=2"},
      {"http://[::1]:9090/api", "http", "::1", 9090, "/api"},
      {"https://[fe80::1:abcd]/", "https", "fe80::1:abcd", 443, "/"},
      {"http://[::ffff:10.0.0.1]:1", "http", "::ffff:10.0.0.1", 1, "/"},
      {"http://h:65535/metrics#fragment", "http", "h", 65535, "/metrics"},
  };
  for (const Case& c : cases) {
    HttpUrl url = ParseHttpUrl(c.url);
    EXPECT_EQ(url.scheme, c.scheme) << c.url;
    EXPECT_EQ(url.host, c.host) << c.url;
    EXPECT_EQ(url.port, c.port) << c.url;
    EXPECT_EQ(url.path, c.path) << c.url;
  }
}

TEST(HttpUrlTest, RejectsGarbage) {
  for (const char* bad : {"", "localhost:9090", "ftp://h/", "http:/h/", "http://", "http:///metrics", "http://:80/",
                          "http://h:/", "http://h:0/", "http://h:65536/", "http://h:x/", "http://h:+80/",
                          "http://::1:9090/", "http://[::1/", "http://[::1]x/", "http://[]/", "http://[g::1]/",
                          "http://[1.2.3.4]/", "http://user:pw@h/", "http://h /", "http://h/a b", "http://h/\n",
                          "http://h%41/", "http://h:80:80/"}) {
    EXPECT_THROW(ParseHttpUrl(bad), std::invalid_argument) << bad;
  }
  EXPECT_TRUE(Contains(ErrorOf<std::invalid_argument>([] { ParseHttpUrl("ftp://h/"); }), "\"ftp://h/\""));
}

TEST(HttpUrlTest, InstanceMakesTheDefaultPortExplicit) {
  EXPECT_EQ(InstanceOf("http://h/metrics"), "h:80");
  EXPECT_EQ(InstanceOf("https://h/metrics"), "h:443");
  EXPECT_EQ(InstanceOf("http://node1:9586/metrics"), "node1:9586");
  EXPECT_EQ(InstanceOf("http://[::1]:9586/metrics"), "[::1]:9586");
  EXPECT_EQ(InstanceOf("http://[2001:db8::1]/"), "[2001:db8::1]:80");
}

TEST(HttpUrlTest, JoinsPathsOntoBaseUrlsWithPrefixes) {
  EXPECT_EQ(JoinUrlPath("http://h:9090", "/api/v1/query"), "http://h:9090/api/v1/query");
  EXPECT_EQ(JoinUrlPath("http://h:9090/", "/api/v1/query"), "http://h:9090/api/v1/query");
  EXPECT_EQ(JoinUrlPath("http://h/prom", "/api/v1/query"), "http://h/prom/api/v1/query");
  EXPECT_EQ(JoinUrlPath("http://h/prom/", "api/v2/alerts"), "http://h/prom/api/v2/alerts");
  EXPECT_THROW(JoinUrlPath("http://h/prom?x=1", "/api"), std::invalid_argument);
  EXPECT_THROW(JoinUrlPath("h:9090", "/api"), std::invalid_argument);
}

TEST(HttpUrlTest, EncodesAllButUnreservedCharacters) {
  EXPECT_EQ(UrlEncode("abcXYZ019-._~"), "abcXYZ019-._~");
  EXPECT_EQ(UrlEncode("{__name__=\"x\"}"), "%7B__name__%3D%22x%22%7D");
  EXPECT_EQ(UrlEncode("a b+c&d=e/f?%"), "a%20b%2Bc%26d%3De%2Ff%3F%25");
  EXPECT_EQ(UrlEncode("\xc3\xa9\n"), "%C3%A9%0A");
}

// ---- Selectors and query responses ------------------------------------------------------

TEST(FormatSelectorTest, WritesMatchersAsPromqlSelectors) {
  struct Case {
    std::vector<LabelMatcher> matchers;
    const char* want;
  };
  const Case cases[] = {
      {{}, "{}"},
      {{{"__name__", MatchOp::kEqual, "x", 0}}, R"({__name__="x"})"},
      {{{"__name__", MatchOp::kEqual, "x", 0}, {"device", MatchOp::kRegexMatch, "eth.*", 0}},
       R"({__name__="x",device=~"eth.*"})"},
      {{{"a", MatchOp::kNotEqual, "", 0}, {"b", MatchOp::kRegexNoMatch, "lo|wg\\d+", 0}}, R"({a!="",b!~"lo|wg\\d+"})"},
      {{{"l", MatchOp::kEqual, "a\"b\\c\nd", 0}}, R"({l="a\"b\\c\nd"})"},
      {{{"l", MatchOp::kEqual, std::string("\t\r\x01\x7f", 4), 0}}, R"({l="\t\r\x01\x7f"})"},
      {{{"l", MatchOp::kEqual, "caf\xc3\xa9 'q' `b`", 0}}, "{l=\"caf\xc3\xa9 'q' `b`\"}"},
  };
  for (const Case& c : cases) EXPECT_EQ(FormatSelector(c.matchers), c.want);
}

TEST(ParseQueryResponseTest, ReadsVectorsWithSortedLabels) {
  promql::Vector vector = ParseQueryResponse(R"({"status":"success","data":{"resultType":"vector","result":[
      {"metric":{"__name__":"up","job":"wgtune","instance":"h:9586","empty":""},"value":[1764064800.25,"1"]},
      {"metric":{"instance":"h:9100","Zeta":"z"},"value":[1764064800.25,"-1.5e3"]}]},
      "warnings":["ignored"]})");
  ASSERT_EQ(vector.size(), 2u);
  EXPECT_EQ(vector[0].labels, (Labels{{"__name__", "up"}, {"instance", "h:9586"}, {"job", "wgtune"}}));
  EXPECT_EQ(vector[0].value, 1);
  EXPECT_EQ(vector[1].labels, (Labels{{"Zeta", "z"}, {"instance", "h:9100"}}));
  EXPECT_EQ(vector[1].value, -1500);
  EXPECT_TRUE(ParseQueryResponse(R"({"status":"success","data":{"resultType":"vector","result":[]}})").empty());
}

TEST(ParseQueryResponseTest, ReadsNanAndInfinities) {
  auto value = [](const std::string& text) {
    promql::Vector vector = ParseQueryResponse(
        R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,")" + text +
        R"("]}]}})");
    EXPECT_EQ(vector.size(), 1u);
    return vector.empty() ? 0.0 : vector[0].value;
  };
  EXPECT_TRUE(std::isnan(value("NaN")));
  EXPECT_EQ(value("+Inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(value("-Inf"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(value("0.1"), 0.1);
}

TEST(ParseQueryResponseTest, ReadsScalarsAsOneUnlabelledSample) {
  promql::Vector vector =
      ParseQueryResponse(R"({"status":"success","data":{"resultType":"scalar","result":[1764064800,"42"]}})");
  ASSERT_EQ(vector.size(), 1u);
  EXPECT_TRUE(vector[0].labels.empty());
  EXPECT_EQ(vector[0].value, 42);
}

TEST(ParseQueryResponseTest, ReportsErrorsAndMalformedResponses) {
  std::string error = ErrorOf<PrometheusApiError>([] {
    ParseQueryResponse(R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:2: parse error"})");
  });
  EXPECT_EQ(error, "bad_data: invalid parameter \"query\": 1:2: parse error");
  for (const char* bad : {
           "", "not json", "[]", R"({"status":"success"})", R"({"status":"pending","data":{}})",
           R"({"status":"success","data":{"resultType":"matrix","result":[]}})",
           R"({"status":"success","data":{"resultType":"string","result":[1,"s"]}})",
           R"({"status":"success","data":{"resultType":"vector","result":{}}})",
           R"({"status":"success","data":{"resultType":"vector","result":[{"value":[1,"1"]}]}})",
           R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,1]}]}})",
           R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"one"]}]}})",
           R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1]}]}})",
           R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":1},"value":[1,"1"]}]}})",
           R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{}]}]}})",
           R"({"status":"success","data":{"resultType":"scalar","result":"1"}})",
       }) {
    EXPECT_THROW(ParseQueryResponse(bad), PrometheusApiError) << bad;
  }
}

TEST(FormatQueryTimeTest, WritesMilliseconds) {
  EXPECT_EQ(FormatQueryTime(1764064800), "1764064800.000");
  EXPECT_EQ(FormatQueryTime(1764064800.25), "1764064800.250");
  EXPECT_THROW(FormatQueryTime(std::nan("")), std::invalid_argument);
}

// ---- Target labels ------------------------------------------------------------------------

TEST(SamplesFromExpositionTest, AddsTargetLabelsLikePrometheus) {
  Exposition exposition = ParseExposition(
      "# HELP a A counter.\n"
      "# TYPE a counter\n"
      "a{device=\"eth0\"} 1\n"
      "a{job=\"exp\",instance=\"x:1\",exported_job=\"old\"} 2\n"
      "b{empty=\"\",zone=\"z\"} 3\n"
      "a{device=\"eth0\"} 4\n"
      "c{job=\"\"} 5 1700000000000\n");
  promql::Vector samples = SamplesFromExposition(exposition, "wgtune", "h:9586");
  ASSERT_EQ(samples.size(), 4u);  // the second a{device="eth0"} is a duplicate
  EXPECT_EQ(samples[0].labels,
            (Labels{{"__name__", "a"}, {"device", "eth0"}, {"instance", "h:9586"}, {"job", "wgtune"}}));
  EXPECT_EQ(samples[0].value, 1);
  // job clashes twice (exported_job is taken by an exposed label), instance once.
  EXPECT_EQ(samples[1].labels, (Labels{{"__name__", "a"},
                                       {"exported_exported_job", "exp"},
                                       {"exported_instance", "x:1"},
                                       {"exported_job", "old"},
                                       {"instance", "h:9586"},
                                       {"job", "wgtune"}}));
  EXPECT_EQ(samples[2].labels, (Labels{{"__name__", "b"}, {"instance", "h:9586"}, {"job", "wgtune"}, {"zone", "z"}}));
  // An empty exposed job is an absent one: no clash. The timestamp is ignored.
  EXPECT_EQ(samples[3].labels, (Labels{{"__name__", "c"}, {"instance", "h:9586"}, {"job", "wgtune"}}));
  EXPECT_EQ(samples[3].value, 5);
}

TEST(SamplesFromExpositionTest, LeavesOutEmptyTargetLabels) {
  Exposition exposition = ParseExposition("a{instance=\"x\"} 1\n");
  promql::Vector samples = SamplesFromExposition(exposition, "", "h:1");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].labels, (Labels{{"__name__", "a"}, {"exported_instance", "x"}, {"instance", "h:1"}}));
}

// ---- Alertmanager JSON ------------------------------------------------------------------

TEST(AlertsToJsonTest, FormatsRfc3339WithMilliseconds) {
  EXPECT_EQ(FormatRfc3339Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(1795600800), "2026-11-25T10:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(1709251199.999), "2024-02-29T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Millis(1709251199.9996), "2024-03-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(1.25), "1970-01-01T00:00:01.250Z");
  EXPECT_EQ(FormatRfc3339Millis(-0.5), "1969-12-31T23:59:59.500Z");
  EXPECT_THROW(FormatRfc3339Millis(std::numeric_limits<double>::infinity()), std::invalid_argument);
}

TEST(AlertsToJsonTest, WritesPrometheusNotifierBodies) {
  Alert full;
  full.labels = {{"severity", "warning"}, {"alertname", "SoftnetDrops"}, {"instance", "h:9586"}};
  full.annotations = {{"summary", "drops \"high\"\non cpu0"}, {"description", "d"}};
  full.starts_at = 1795600800;
  full.ends_at = 1795601100.25;
  full.generator_url = "http://advisor/rules#softnet-drops";
  Alert bare;
  bare.labels = {{"alertname", "X"}};
  EXPECT_EQ(AlertsToJson({full, bare}),
            R"([{"labels":{"alertname":"SoftnetDrops","instance":"h:9586","severity":"warning"},)"
            R"("annotations":{"description":"d","summary":"drops \"high\"\non cpu0"},)"
            R"("startsAt":"2026-11-25T10:00:00.000Z","endsAt":"2026-11-25T10:05:00.250Z",)"
            R"("generatorURL":"http://advisor/rules#softnet-drops"},)"
            R"({"labels":{"alertname":"X"},"annotations":{}}])");
  EXPECT_EQ(AlertsToJson({}), "[]");
  Alert invalid_utf8;
  invalid_utf8.labels = {{"alertname", "bad\xff"}};
  EXPECT_EQ(AlertsToJson({invalid_utf8}), "[{\"labels\":{\"alertname\":\"bad\xef\xbf\xbd\"},\"annotations\":{}}]");
}

// ---- Against real HTTP servers ----------------------------------------------------------

// An httplib::Server on 127.0.0.1 and an ephemeral port, serving from its own thread for the
// lifetime of the object. Handlers are registered through server() before the first request.
class FakeServer {
 public:
  FakeServer() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    EXPECT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the listening loop runs, so wait for it or teardown could hang.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeServer() {
    server_.stop();
    thread_.join();
  }
  httplib::Server& server() { return server_; }
  int port() const { return port_; }
  std::string Url(std::string_view path) const { return "http://127.0.0.1:" + std::to_string(port_) + std::string(path); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

class HttpTest : public ::testing::Test {
 protected:
  FakeServer fake_;
};

// A port on which nothing listens: bound (so nobody else takes it) but never listen()ed, so
// connecting is refused.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~ClosedPort() { close(fd_); }
  std::string Url(std::string_view path) const { return "http://127.0.0.1:" + std::to_string(port_) + std::string(path); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(HttpTest, ScrapesAnExposition) {
  std::string accept, timeout_header;
  fake_.server().Get("/metrics", [&](const httplib::Request& request, httplib::Response& response) {
    accept = request.get_header_value("Accept");
    timeout_header = request.get_header_value("X-Prometheus-Scrape-Timeout-Seconds");
    response.set_content(
        "# HELP wgtune_exporter_build_info Build.\n# TYPE wgtune_exporter_build_info gauge\n"
        "wgtune_exporter_build_info{version=\"0.1.0\"} 1\nnode_load1 0.5\n",
        "text/plain; version=0.0.4; charset=utf-8");
  });
  double before = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  ScrapeResult result = Scrape(fake_.Url("/metrics"), "wgtune", 2.5);
  EXPECT_EQ(accept, "text/plain;version=0.0.4");
  EXPECT_EQ(timeout_header, "2.5");
  std::string instance = "127.0.0.1:" + std::to_string(fake_.port());
  ASSERT_EQ(result.samples.size(), 2u);
  EXPECT_EQ(result.samples[0].labels, (Labels{{"__name__", "wgtune_exporter_build_info"},
                                              {"instance", instance},
                                              {"job", "wgtune"},
                                              {"version", "0.1.0"}}));
  EXPECT_EQ(result.samples[1].labels, (Labels{{"__name__", "node_load1"}, {"instance", instance}, {"job", "wgtune"}}));
  EXPECT_EQ(result.samples[1].value, 0.5);
  ASSERT_EQ(result.families.size(), 1u);
  EXPECT_EQ(result.families[0].type, "gauge");
  EXPECT_GE(result.timestamp_seconds, before - 1);
  EXPECT_LT(result.timestamp_seconds, before + 60);
  EXPECT_GE(result.duration_seconds, 0);
  EXPECT_LT(result.duration_seconds, 60);
}

TEST_F(HttpTest, ScrapeReportsErrorStatusesAndBadBodies) {
  fake_.server().Get("/broken", [](const httplib::Request&, httplib::Response& response) {
    response.status = 500;
    response.set_content("collector panicked\n", "text/plain");
  });
  fake_.server().Get("/garbage", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("<html>\n", "text/html");
  });
  std::string error = ErrorOf<ScrapeError>([&] { Scrape(fake_.Url("/broken"), "wgtune", 5); });
  EXPECT_EQ(error, "scrape " + fake_.Url("/broken") + ": HTTP 500: collector panicked");
  error = ErrorOf<ScrapeError>([&] { Scrape(fake_.Url("/garbage"), "wgtune", 5); });
  EXPECT_TRUE(Contains(error, fake_.Url("/garbage") + ": exposition line 1")) << error;
  error = ErrorOf<ScrapeError>([&] { Scrape(fake_.Url("/missing"), "wgtune", 5); });
  EXPECT_TRUE(Contains(error, "HTTP 404")) << error;
}

TEST(HttpClientTest, ConnectionRefusedNamesTheUrlAndHttplibError) {
  ClosedPort closed;
  std::string error = ErrorOf<HttpError>([&] { HttpGet(closed.Url("/metrics"), 5); });
  EXPECT_EQ(error, "GET " + closed.Url("/metrics") + ": Connection");
  error = ErrorOf<ScrapeError>([&] { Scrape(closed.Url("/metrics"), "wgtune", 5); });
  EXPECT_EQ(error, "scrape GET " + closed.Url("/metrics") + ": Connection");
  EXPECT_THROW(HttpGet(closed.Url("/"), 0), std::invalid_argument);
}

TEST_F(HttpTest, TimesOutOnSlowServers) {
  fake_.server().Get("/slow", [](const httplib::Request&, httplib::Response& response) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    response.set_content("a 1\n", "text/plain");
  });
  auto start = std::chrono::steady_clock::now();
  std::string error = ErrorOf<HttpError>([&] { HttpGet(fake_.Url("/slow"), 0.1); });
  EXPECT_EQ(error, "GET " + fake_.Url("/slow") + ": no complete answer within 0.1s");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(450));
}

// A TCP server on 127.0.0.1 that answers each connection with `answer(fd, stopping)` in a
// thread of its own: for servers that misbehave in ways httplib::Server cannot (stop in the
// middle of a body, trickle bytes). `answer` returns when `stopping` is set.
class RawServer {
 public:
  using Answer = std::function<void(int fd, const std::atomic<bool>& stopping)>;
  explicit RawServer(Answer answer) : answer_(std::move(answer)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(listen(listener_, 16), 0);
    socklen_t length = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    accepting_ = std::thread([this] {
      while (!stopping_) {
        pollfd ready{listener_, POLLIN, 0};
        if (poll(&ready, 1, 20) <= 0) continue;
        int fd = accept(listener_, nullptr, nullptr);
        if (fd < 0) continue;
        connections_.emplace_back([this, fd] {
          answer_(fd, stopping_);
          close(fd);
        });
      }
    });
  }
  ~RawServer() {
    stopping_ = true;
    accepting_.join();
    for (std::thread& connection : connections_) connection.join();
    close(listener_);
  }
  std::string Url(std::string_view path) const { return "http://127.0.0.1:" + std::to_string(port_) + std::string(path); }

  // Reads the request's head, then sends `text`, `pause` between chunks of `chunk` bytes.
  static void Send(int fd, const std::atomic<bool>& stopping, std::string_view text, size_t chunk,
                   std::chrono::milliseconds pause) {
    char buffer[4096];
    (void)!recv(fd, buffer, sizeof buffer, 0);
    for (size_t at = 0; at < text.size() && !stopping; at += chunk) {
      (void)!send(fd, text.data() + at, std::min(chunk, text.size() - at), MSG_NOSIGNAL);
      std::this_thread::sleep_for(pause);
    }
  }
  static void Hang(const std::atomic<bool>& stopping) {
    while (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

 private:
  Answer answer_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accepting_;
  std::vector<std::thread> connections_;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The deadline is the whole exchange's: a server that stops in the middle of a body, or
// trickles its answer a few bytes at a time (each read well inside any per-read timeout), costs
// the timeout and no more.
TEST(HttpDeadlineTest, ServersThatHangOrTrickleCostTheTimeout) {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4000\r\n\r\n";
  struct Case {
    const char* name;
    RawServer::Answer answer;
  };
  const Case cases[] = {
      {"headers and part of the body, then nothing",
       [&](int fd, const std::atomic<bool>& stopping) {
         RawServer::Send(fd, stopping, head + "a_metric 1\n", 4096, std::chrono::milliseconds(0));
         RawServer::Hang(stopping);
       }},
      {"the body a byte at a time",
       [&](int fd, const std::atomic<bool>& stopping) {
         RawServer::Send(fd, stopping, head + std::string(4000, '#'), 1, std::chrono::milliseconds(20));
       }},
      {"the headers a byte at a time",
       [&](int fd, const std::atomic<bool>& stopping) {
         RawServer::Send(fd, stopping, "HTTP/1.1 200 OK\r\n" + std::string(4000, 'X'), 1, std::chrono::milliseconds(20));
       }},
      {"accepts and never answers", [&](int, const std::atomic<bool>& stopping) { RawServer::Hang(stopping); }},
  };
  for (const Case& c : cases) {
    RawServer server(c.answer);
    auto start = std::chrono::steady_clock::now();
    std::string error = ErrorOf<HttpError>([&] { HttpGet(server.Url("/metrics"), 0.6); });
    const double took = SecondsSince(start);
    EXPECT_EQ(error, "GET " + server.Url("/metrics") + ": no complete answer within 0.6s") << c.name;
    EXPECT_GE(took, 0.55) << c.name;
    EXPECT_LT(took, 1.2) << c.name;
    // A scrape says it failed, with the same reason.
    error = ErrorOf<ScrapeError>([&] { Scrape(server.Url("/metrics"), "wgtune", 0.3); });
    EXPECT_TRUE(Contains(error, "no complete answer within 0.3s")) << c.name << ": " << error;
  }
}

// The configuration's credentials and headers go with every request to the configured peer,
// and not to another host a redirect leads to (as Go's client drops them).
TEST_F(HttpTest, SendsConfiguredCredentialsToThePeerOnly) {
  FakeServer elsewhere;
  std::string here_auth, here_org, there_auth = "unset";
  fake_.server().Get("/api", [&](const httplib::Request& request, httplib::Response& response) {
    here_auth = request.get_header_value("Authorization");
    here_org = request.get_header_value("X-Org");
    response.set_content("ok", "text/plain");
  });
  fake_.server().Get("/away", [&](const httplib::Request&, httplib::Response& response) {
    response.set_redirect(elsewhere.Url("/landed"));
  });
  elsewhere.server().Get("/landed", [&](const httplib::Request& request, httplib::Response& response) {
    there_auth = request.get_header_value("Authorization");
    response.set_content("landed", "text/plain");
  });
  auto config = std::make_shared<const HttpClientConfig>(ParseHttpClientConfig(
      "basic_auth: {username: advisor, password: 'p:w'}\nhttp_headers: {X-Org: {values: [mesh]}}\n", "c.yml"));
  EXPECT_EQ(HttpGet(fake_.Url("/api"), HttpOptions(5, config)).body, "ok");
  EXPECT_EQ(here_auth, "Basic YWR2aXNvcjpwOnc=");  // advisor:p:w
  EXPECT_EQ(here_org, "mesh");
  EXPECT_EQ(HttpGet(fake_.Url("/away"), HttpOptions(5, config)).body, "landed");
  EXPECT_EQ(there_auth, "");
  // follow_redirects: false hands the redirect itself to the caller.
  auto no_follow = std::make_shared<const HttpClientConfig>(ParseHttpClientConfig("follow_redirects: false\n", "c.yml"));
  EXPECT_EQ(HttpGet(fake_.Url("/away"), HttpOptions(5, no_follow)).status, 302);
}

TEST(HttpDeadlineTest, AnAbsoluteDeadlineShortensTheTimeout) {
  RawServer server([](int fd, const std::atomic<bool>& stopping) { RawServer::Hang(stopping); });
  auto start = std::chrono::steady_clock::now();
  HttpOptions options = HttpOptions(30).By(start + std::chrono::milliseconds(400));
  std::string error = ErrorOf<HttpError>([&] { HttpPost(server.Url("/api/v2/alerts"), "[]", "application/json", options); });
  EXPECT_TRUE(Contains(error, "POST " + server.Url("/api/v2/alerts") + ": no complete answer within 0.4")) << error;
  EXPECT_LT(SecondsSince(start), 1.0);
  // Already past: no connection is even tried.
  error = ErrorOf<HttpError>([&] { HttpGet(server.Url("/"), HttpOptions(30).By(start)); });
  EXPECT_TRUE(Contains(error, "no complete answer within 0s")) << error;
  // By keeps the earlier of two deadlines.
  EXPECT_EQ(options.By(start + std::chrono::hours(1)).not_after, options.not_after);
}

TEST_F(HttpTest, PrometheusSourceQueriesTheSelectorAtItsTime) {
  std::string query, time, target;
  fake_.server().Get("/prom/api/v1/query", [&](const httplib::Request& request, httplib::Response& response) {
    query = request.get_param_value("query");
    time = request.get_param_value("time");
    target = request.target;
    response.set_content(R"({"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"__name__":"wgtune_softnet_dropped_total","instance":"h:9586","cpu":"1"},"value":[1764064800.25,"+Inf"]}]}})",
                         "application/json");
  });
  PrometheusApiSource source(fake_.Url("/prom/"), 5);
  promql::Vector vector = source.Select({{"__name__", MatchOp::kEqual, "wgtune_softnet_dropped_total", 0},
                                         {"cpu", MatchOp::kRegexMatch, "0|1", 0},
                                         {"note", MatchOp::kNotEqual, "a \"b\"+c", 0}},
                                        1764064800250);
  EXPECT_EQ(query, R"({__name__="wgtune_softnet_dropped_total",cpu=~"0|1",note!="a \"b\"+c"})");
  EXPECT_EQ(time, "1764064800.250");
  EXPECT_TRUE(Contains(target, "/prom/api/v1/query?query=%7B__name__%3D%22wgtune_softnet_dropped_total%22%2Ccpu")) << target;
  ASSERT_EQ(vector.size(), 1u);
  EXPECT_EQ(vector[0].labels, (Labels{{"__name__", "wgtune_softnet_dropped_total"}, {"cpu", "1"}, {"instance", "h:9586"}}));
  EXPECT_TRUE(std::isinf(vector[0].value));
}

TEST_F(HttpTest, PrometheusSourceReportsApiAndHttpErrors) {
  fake_.server().Get("/api/v1/query", [](const httplib::Request& request, httplib::Response& response) {
    response.status = 400;
    response.set_content(R"({"status":"error","errorType":"bad_data","error":"vector selector must contain at least one non-empty matcher"})",
                         "application/json");
  });
  PrometheusApiSource source(fake_.Url(""), 5);
  std::string error = ErrorOf<PrometheusApiError>([&] { source.Select({}, 1764064800000); });
  EXPECT_EQ(error, "prometheus " + fake_.Url("") +
                       ": query {}: HTTP 400: bad_data: vector selector must contain at least one non-empty matcher");

  PrometheusApiSource wrong_path(fake_.Url("/nothing"), 5);
  error = ErrorOf<PrometheusApiError>([&] { wrong_path.Select({{"__name__", MatchOp::kEqual, "up", 0}}, 1764064800000); });
  EXPECT_TRUE(Contains(error, "HTTP 404")) << error;

  ClosedPort closed;
  PrometheusApiSource down(closed.Url(""), 5);
  error = ErrorOf<PrometheusApiError>([&] { down.Select({{"__name__", MatchOp::kEqual, "up", 0}}, 1764064800000); });
  EXPECT_TRUE(Contains(error, ": Connection")) << error;
}

TEST_F(HttpTest, InstancesListsTheHostsOfASelector) {
  std::string query;
  fake_.server().Get("/api/v1/query", [&](const httplib::Request& request, httplib::Response& response) {
    query = request.get_param_value("query");
    response.set_content(R"({"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"instance":"b:9586"},"value":[1,"1"]},
        {"metric":{"instance":"a:9586"},"value":[1,"2"]},
        {"metric":{},"value":[1,"1"]}]}})",
                         "application/json");
  });
  EXPECT_EQ(Instances(fake_.Url(""), "wgtune_exporter_build_info", 1764064800, 5),
            (std::vector<std::string>{"a:9586", "b:9586"}));
  EXPECT_EQ(query, "count by (instance) (wgtune_exporter_build_info)");
}

TEST_F(HttpTest, PostsAlertsToAlertmanager) {
  std::string body, content_type, method;
  fake_.server().Post("/am/api/v2/alerts", [&](const httplib::Request& request, httplib::Response& response) {
    body = request.body;
    method = request.method;
    content_type = request.get_header_value("Content-Type");
    response.status = 200;
  });
  Alert alert;
  alert.labels = {{"alertname", "SoftnetDrops"}};
  alert.starts_at = 1795600800;
  PostAlerts(fake_.Url("/am"), {alert}, 5);
  EXPECT_EQ(method, "POST");
  EXPECT_EQ(content_type, "application/json");
  EXPECT_EQ(body, AlertsToJson({alert}));
}

TEST_F(HttpTest, AlertmanagerRejectionsSurfaceAsErrors) {
  int requests = 0;
  fake_.server().Post("/api/v2/alerts", [&](const httplib::Request&, httplib::Response& response) {
    ++requests;
    response.status = 400;
    response.set_content("\"start time must be before end time\"\n", "application/json");
  });
  Alert alert;
  alert.labels = {{"alertname", "X"}};
  try {
    PostAlerts(fake_.Url("/"), {alert}, 5);
    ADD_FAILURE() << "no exception";
  } catch (const AlertmanagerError& error) {
    EXPECT_EQ(error.status(), 400);
    EXPECT_EQ(std::string(error.what()), "alertmanager: POST " + fake_.Url("/api/v2/alerts") +
                                             ": HTTP 400: \"start time must be before end time\"");
  }
  PostAlerts(fake_.Url("/"), {}, 5);  // nothing to send: no request
  EXPECT_EQ(requests, 1);

  ClosedPort closed;
  try {
    PostAlerts(closed.Url(""), {alert}, 5);
    ADD_FAILURE() << "no exception";
  } catch (const AlertmanagerError& error) {
    EXPECT_EQ(error.status(), 0);
    EXPECT_TRUE(Contains(error.what(), "Connection")) << error.what();
  }
}

}  // namespace
}  // namespace wgtune
