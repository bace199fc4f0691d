#include "common/metrics_server.h"
#include "exporter/sampler.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

namespace wgtune {
namespace {

TEST(ListenAddressTest, ParsesNodeExporterForms) {
  EXPECT_EQ(ParseListenAddress(":10050").host, "0.0.0.0");
  EXPECT_EQ(ParseListenAddress(":10050").port, 10050);
  EXPECT_EQ(ParseListenAddress("127.0.0.1:9").host, "127.0.0.1");
  EXPECT_EQ(ParseListenAddress("[::1]:80").host, "::1");
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

TEST(MetricsServerTest, ServesTheLatestSampleAndALandingPage) {
  std::vector<NamedCollector> collectors;
  collectors.push_back({"one", std::make_unique<OneSeries>()});
  Sampler sampler(std::move(collectors), [] { return 0.0; }, 5);
  sampler.SampleOnce();
  MetricsServer server([&sampler] { return sampler.Exposition(); }, "/metrics", "wgtune exporter",
                       "WireGuard / NetBird network-tuning signals for Prometheus.");
  server.Bind(ParseListenAddress("127.0.0.1:0"));
  std::thread serving([&] { server.Serve(); });

  httplib::Client client("127.0.0.1", server.port());
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics->body.find("test_value 42\n"), std::string::npos);
  auto landing = client.Get("/");
  ASSERT_TRUE(landing);
  EXPECT_NE(landing->body.find("href=\"/metrics\""), std::string::npos);
  auto missing = client.Get("/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  server.Stop();
  serving.join();
}

}  // namespace
}  // namespace wgtune
