#include "exporter/sampler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <string>

#include "common/errors.h"

namespace wgtune {
namespace {

// A collector that publishes the counter values it is given, one list per sample; an empty
// optional makes that sample fail.
class ScriptedCollector : public Collector {
 public:
  explicit ScriptedCollector(std::deque<std::optional<std::vector<double>>>* script) : script_(script) {}
  void Collect(MetricSet& out) override {
    auto values = script_->front();
    script_->pop_front();
    if (!values) throw ParseError("scripted failure");
    Family family = out.Counter("test_events_total", "Events.");
    for (size_t i = 0; i < values->size(); ++i) family.Add({{"cpu", std::to_string(i)}}, (*values)[i]);
  }
  std::vector<RateSpec> Rates() const override {
    return {{"test_events_total", "test_events_per_second", "Events per second."}};
  }
  void DeriveFromRates(const MetricSet& rates, MetricSet& out) const override {
    const auto* family = rates.Find("test_events_per_second");
    double sum = 0;
    for (const auto& metric : family->metric) sum += metric.gauge.value;
    out.Gauge("test_events_sum_per_second", "Sum.").Add({}, sum);
  }

 private:
  std::deque<std::optional<std::vector<double>>>* script_;
};

struct SamplerFixture {
  std::deque<std::optional<std::vector<double>>> script;
  std::deque<double> times;
  Sampler sampler;

  SamplerFixture()
      : sampler(MakeCollectors(&script), [this] { return NextTime(); }, 5) {}

  static std::vector<NamedCollector> MakeCollectors(std::deque<std::optional<std::vector<double>>>* script) {
    std::vector<NamedCollector> collectors;
    collectors.push_back({"scripted", std::make_unique<ScriptedCollector>(script)});
    return collectors;
  }
  double NextTime() {
    double t = times.front();
    times.pop_front();
    return t;
  }
  // One sample whose collector starts at `start` and ends at `end` (seconds).
  std::string Sample(std::optional<std::vector<double>> values, double start, double end) {
    script.push_back(std::move(values));
    times.push_back(start);
    times.push_back(end);
    sampler.SampleOnce();
    return *sampler.Exposition();
  }
};

bool Contains(const std::string& text, const std::string& line) { return text.find(line) != std::string::npos; }

TEST(SamplerTest, RatesAreAbsentBeforeTheSecondSample) {
  SamplerFixture f;
  std::string first = f.Sample(std::vector<double>{10, 20}, 0, 0.5);
  EXPECT_TRUE(Contains(first, "test_events_total{cpu=\"1\"} 20\n"));
  EXPECT_FALSE(Contains(first, "test_events_per_second"));
  EXPECT_FALSE(Contains(first, "test_events_sum_per_second"));
  EXPECT_TRUE(Contains(first, "wgtune_scrape_collector_success{collector=\"scripted\"} 1\n"));
  EXPECT_TRUE(Contains(first, "wgtune_scrape_collector_duration_seconds{collector=\"scripted\"} 0.5\n"));
}

TEST(SamplerTest, RateIsTheDeltaOverTheTimeBetweenSamples) {
  SamplerFixture f;
  f.Sample(std::vector<double>{10, 20}, 0, 1);
  std::string second = f.Sample(std::vector<double>{30, 20}, 5, 5);
  EXPECT_TRUE(Contains(second, "test_events_per_second{cpu=\"0\"} 5\n"));  // 20 events in 4 s
  EXPECT_TRUE(Contains(second, "test_events_per_second{cpu=\"1\"} 0\n"));
  EXPECT_TRUE(Contains(second, "test_events_sum_per_second 5\n"));
  EXPECT_TRUE(Contains(second, "# HELP test_events_per_second Events per second. Computed between the last two "
                               "samples, --sample.interval (5s) apart."));
}

TEST(SamplerTest, AFailedSampleCostsOnlyThatSample) {
  SamplerFixture f;
  f.Sample(std::vector<double>{10}, 0, 0);
  std::string failed = f.Sample(std::nullopt, 5, 5);
  EXPECT_TRUE(Contains(failed, "wgtune_scrape_collector_success{collector=\"scripted\"} 0\n"));
  EXPECT_FALSE(Contains(failed, "test_events_total"));
  // The next success computes its rate against the last success, 10 s earlier.
  std::string recovered = f.Sample(std::vector<double>{60}, 10, 10);
  EXPECT_TRUE(Contains(recovered, "wgtune_scrape_collector_success{collector=\"scripted\"} 1\n"));
  EXPECT_TRUE(Contains(recovered, "test_events_per_second{cpu=\"0\"} 5\n"));
}

TEST(SamplerTest, ACounterThatWentBackwardsHasNoRateThatInterval) {
  SamplerFixture f;
  f.Sample(std::vector<double>{4294967290.0, 7}, 0, 0);
  std::string wrapped = f.Sample(std::vector<double>{3, 17}, 5, 5);
  EXPECT_FALSE(Contains(wrapped, "test_events_per_second{cpu=\"0\"}"));
  EXPECT_TRUE(Contains(wrapped, "test_events_per_second{cpu=\"1\"} 2\n"));
}

TEST(SamplerTest, ASeriesThatAppearsHasNoRateUntilItsSecondSample) {
  SamplerFixture f;
  f.Sample(std::vector<double>{1}, 0, 0);
  std::string grown = f.Sample(std::vector<double>{6, 100}, 5, 5);
  EXPECT_TRUE(Contains(grown, "test_events_per_second{cpu=\"0\"} 1\n"));
  EXPECT_FALSE(Contains(grown, "test_events_per_second{cpu=\"1\"}"));
}

// Sets the wall clock when it is read, as time passing while a collector reads its sources.
class ClockSettingCollector : public Collector {
 public:
  ClockSettingCollector(double* wall, double at) : wall_(wall), at_(at) {}
  void Collect(MetricSet& out) override {
    *wall_ = at_;
    at_ += 5;
    out.Gauge("test_up", "Up.").Add({}, 1);
  }

 private:
  double* wall_;
  double at_;
};

TEST(SamplerTest, SampleTimestampIsTheWallClockAfterTheLastCollector) {
  double wall = 0;
  std::vector<NamedCollector> collectors;
  collectors.push_back({"first", std::make_unique<ClockSettingCollector>(&wall, 1764050000.25)});
  collectors.push_back({"second", std::make_unique<ClockSettingCollector>(&wall, 1764050000.75)});
  double monotonic = 0;
  Sampler sampler(std::move(collectors), [&] { return monotonic += 0.25; }, 5, {}, [&] { return wall; });
  sampler.SampleOnce();
  std::string first = *sampler.Exposition();
  EXPECT_TRUE(Contains(first, "# TYPE wgtune_exporter_sample_timestamp_seconds gauge\n"
                              "wgtune_exporter_sample_timestamp_seconds 1764050000.75\n"))
      << first;
  sampler.SampleOnce();
  EXPECT_TRUE(Contains(*sampler.Exposition(), "wgtune_exporter_sample_timestamp_seconds 1764050005.75\n"));
}

TEST(SamplerTest, SampleTimestampDefaultsToTheSystemClock) {
  SamplerFixture f;
  auto before = std::chrono::system_clock::now();
  std::string text = f.Sample(std::vector<double>{1}, 0, 0);
  auto after = std::chrono::system_clock::now();
  const std::string prefix = "\nwgtune_exporter_sample_timestamp_seconds ";
  size_t at = text.find(prefix);
  ASSERT_NE(at, std::string::npos) << text;
  double stamp = std::stod(text.substr(at + prefix.size()));
  EXPECT_GE(stamp, std::chrono::duration<double>(before.time_since_epoch()).count() - 1e-3);
  EXPECT_LE(stamp, std::chrono::duration<double>(after.time_since_epoch()).count() + 1e-3);
}

}  // namespace
}  // namespace wgtune
