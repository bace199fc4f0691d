// `wgtune-advisor baseline`'s pure parts (advisor/workflow/baseline.h) over real iperf3 -J
// reports (tests/fixtures/iperf3/, captured from iperf3 3.12 on loopback: -P 2, -P 2 -R,
// -u -b 0 -l 1200, -u -b 0 -l 64, and a client against a port where nothing listened), and
// the child process it runs iperf3 with.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include "advisor/sources/target.h"
#include "advisor/workflow/baseline.h"
#include "advisor/workflow/child_process.h"
#include "common/exposition.h"
#include "common/tuning_config.h"
#include "tests/unit/error_testing.h"

namespace wgtune {
namespace {

std::string ReadSource(const std::string& relative) {
  std::ifstream in(std::string(WGTUNE_SOURCE_DIR) + "/" + relative);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(in.good() || in.eof()) << relative;
  return text.str();
}

std::string Iperf3Fixture(const std::string& name) { return ReadSource("tests/fixtures/iperf3/" + name + ".json"); }

promql::Vector Scraped(std::string_view exposition) {
  return SamplesFromExposition(ParseExposition(exposition), "wgtune", "127.0.0.1:9586");
}

// --- the scenario table ------------------------------------------------------------------

TEST(BaselineScenariosTest, AreTheFieldGuidesFiveInItsOrder) {
  // Field guide §2.1, the iperf3 arguments besides -c, -t and -J.
  const std::vector<std::pair<std::string, std::vector<std::string>>> guide = {
      {"tcp_fwd", {"-P", "8"}},
      {"tcp_rev", {"-P", "8", "-R"}},
      {"udp_1200", {"-u", "-b", "0", "-l", "1200"}},
      {"udp_64", {"-u", "-b", "0", "-l", "64"}},
      {"tcp_single", {"-P", "1"}},
  };
  const auto& scenarios = BaselineScenarios();
  ASSERT_EQ(scenarios.size(), guide.size());
  for (size_t i = 0; i < guide.size(); ++i) {
    EXPECT_EQ(scenarios[i].name, guide[i].first);
    EXPECT_EQ(std::vector<std::string>(scenarios[i].args.begin(), scenarios[i].args.end()), guide[i].second)
        << guide[i].first;
  }
}

TEST(BaselineScenariosTest, FindsByExactName) {
  ASSERT_NE(FindBaselineScenario("udp_64"), nullptr);
  EXPECT_EQ(FindBaselineScenario("udp_64")->name, "udp_64");
  EXPECT_EQ(FindBaselineScenario("udp"), nullptr);
  EXPECT_EQ(FindBaselineScenario("TCP_FWD"), nullptr);
  EXPECT_EQ(FindBaselineScenario(""), nullptr);
}

// --- iperf3 reports ----------------------------------------------------------------------

TEST(Iperf3ReportTest, ThroughputIsWhatTheReceiverGot) {
  struct Row {
    std::string fixture;
    double received;  // end.sum_received.bits_per_second of the file
    double sent;      // end.sum_sent.bits_per_second, which must not be taken
  };
  const std::vector<Row> rows = {
      {"tcp_P2", 10198532282.447338, 10370645626.505548},
      // -R: the client receives; sum_received is still the receiver's side.
      {"tcp_P2_R", 7287194870.31183, 7217052196.88101},
      // UDP at -b 0 lost 80% on loopback: the sender's rate is no throughput.
      {"udp_l1200", 122867393.68832703, 608550543.0701687},
      {"udp_l64", 10250337.921685228, 31936589.37570239},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.fixture);
    const nlohmann::ordered_json report = Iperf3Report(Iperf3Fixture(row.fixture), "", 0);
    EXPECT_DOUBLE_EQ(ReceivedBitsPerSecond(report), row.received);
    EXPECT_DOUBLE_EQ(report["end"]["sum_sent"]["bits_per_second"].get<double>(), row.sent);
  }
}

TEST(Iperf3ReportTest, KeepsTheReportVerbatimInItsOrder) {
  const std::string text = Iperf3Fixture("udp_l1200");
  const nlohmann::ordered_json report = Iperf3Report(text, "", 0);
  EXPECT_EQ(report, nlohmann::ordered_json::parse(text));
  EXPECT_EQ(report.begin().key(), "start");  // iperf3's order, not sorted
  EXPECT_EQ(report["start"]["test_start"]["protocol"], "UDP");
}

TEST(Iperf3ReportTest, IperfsOwnErrorIsTheMessageWhateverTheExitStatus) {
  // iperf3 3.12 exits 0 after "Connection refused" in -J mode: only the JSON tells.
  EXPECT_EQ(ErrorOf<Iperf3Error>([] { Iperf3Report(Iperf3Fixture("error_refused"), "", 0); }),
            "iperf3: unable to connect to server: Connection refused");
  EXPECT_EQ(ErrorOf<Iperf3Error>([] { Iperf3Report(Iperf3Fixture("error_refused"), "", 1); }),
            "iperf3: unable to connect to server: Connection refused");
}

TEST(Iperf3ReportTest, NoJsonReportsStatusAndStderr) {
  // Bad options: usage on stderr, nothing on stdout, exit 1.
  EXPECT_EQ(ErrorOf<Iperf3Error>([] { Iperf3Report("", "iperf3: unrecognized option '--bogus'\nUsage: ...\n", 1); }),
            "iperf3 exited with status 1 without a JSON report: iperf3: unrecognized option '--bogus'");
  EXPECT_EQ(ErrorOf<Iperf3Error>([] { Iperf3Report("{\"start\": {", "", 143); }),
            "iperf3 exited with status 143 without a JSON report: {\"start\": {");
  EXPECT_EQ(ErrorOf<Iperf3Error>([] { Iperf3Report("[1, 2]", "", 0); }),
            "iperf3 exited with status 0 without a JSON report: [1, 2]");
  EXPECT_EQ(ErrorOf<Iperf3Error>([] { Iperf3Report("", "", 0); }), "iperf3 exited with status 0 without a JSON report");
  // A report, but the process failed: not trusted.
  EXPECT_EQ(ErrorOf<Iperf3Error>([] { Iperf3Report(Iperf3Fixture("tcp_P2"), "killed\n", 137); }),
            "iperf3 exited with status 137: killed");
}

TEST(Iperf3ReportTest, MissingThroughputIsAnError) {
  for (const char* text : {R"({})", R"({"end": {}})", R"({"end": {"sum_received": {}}})", R"({"end": []})",
                           R"({"end": {"sum_received": {"bits_per_second": "fast"}}})"}) {
    SCOPED_TRACE(text);
    const nlohmann::ordered_json report = Iperf3Report(text, "", 0);
    EXPECT_NE(ErrorOf<Iperf3Error>([&] { ReceivedBitsPerSecond(report); }).find("end.sum_received.bits_per_second"),
              std::string::npos);
  }
}

// --- the exporter's view -----------------------------------------------------------------

constexpr std::string_view kLoaded = R"(# TYPE wgtune_wireguard_peer_receive_bytes_per_second gauge
wgtune_wireguard_peer_receive_bytes_per_second{interface="wg0",public_key="A"} 1000
wgtune_wireguard_peer_receive_bytes_per_second{interface="wg0",public_key="B"} 500
# TYPE wgtune_wireguard_peer_transmit_bytes_per_second gauge
wgtune_wireguard_peer_transmit_bytes_per_second{interface="wg0",public_key="A"} 100000
wgtune_wireguard_peer_transmit_bytes_per_second{interface="wg0",public_key="B"} 25000
# TYPE wgtune_cpu_mode_ratio gauge
wgtune_cpu_mode_ratio{cpu="0",mode="softirq"} 0.12
wgtune_cpu_mode_ratio{cpu="1",mode="softirq"} 0.41
wgtune_cpu_mode_ratio{cpu="1",mode="system"} 0.9
# TYPE wgtune_softnet_dropped_per_second gauge
wgtune_softnet_dropped_per_second{cpu="0"} 0.5
wgtune_softnet_dropped_per_second{cpu="1"} 1.5
# TYPE wgtune_network_receive_drop_per_second gauge
wgtune_network_receive_drop_per_second{device="eth0"} 2
wgtune_network_receive_drop_per_second{device="wg0"} 100
# TYPE wgtune_network_receive_missed_per_second gauge
wgtune_network_receive_missed_per_second{device="eth0"} 1
wgtune_network_receive_missed_per_second{device="wg0"} 100
# TYPE wgtune_network_underlay gauge
wgtune_network_underlay{device="eth0"} 1
)";

TEST(LoadViewTest, EvaluatesTheColumnsOnOneScrape) {
  const LoadView view = EvaluateLoadView(Scraped(kLoaded), 1000);
  ASSERT_EQ(view.size(), 4u);
  ASSERT_TRUE(view[0] && view[1] && view[2] && view[3]);
  EXPECT_DOUBLE_EQ(*view[0], 8 * 125000.0);  // the busier direction, both peers
  EXPECT_DOUBLE_EQ(*view[1], 0.41);          // the top core's softirq, not its system time
  EXPECT_DOUBLE_EQ(*view[2], 30 * 2.0);
  EXPECT_DOUBLE_EQ(*view[3], 30 * 3.0);  // the underlay only
}

TEST(LoadViewTest, AColumnWithoutSeriesHasNoValue) {
  // A just-started exporter: no rates yet; no underlay known either.
  const LoadView view = EvaluateLoadView(Scraped("# TYPE wgtune_cpu_mode_ratio gauge\n"
                                                 "wgtune_cpu_mode_ratio{cpu=\"0\",mode=\"softirq\"} 0.25\n"),
                                         1000);
  EXPECT_FALSE(view[0]);
  ASSERT_TRUE(view[1]);
  EXPECT_DOUBLE_EQ(*view[1], 0.25);
  EXPECT_FALSE(view[2]);
  EXPECT_FALSE(view[3]);
}

TEST(RunConfigurationTest, KnobsAreTheExportersOwnLinesAndHashToItsFingerprint) {
  const RunConfiguration configuration = ConfigurationOf(Scraped(ReadSource("tests/fixtures/e2e/golden.prom")));
  ASSERT_TRUE(configuration.fingerprint);
  EXPECT_EQ(*configuration.fingerprint, "fd5a2bda723b8206");
  ASSERT_FALSE(configuration.knobs.empty());
  EXPECT_TRUE(std::is_sorted(configuration.knobs.begin(), configuration.knobs.end()));
  // The scraper's target labels would change every line and the hash.
  for (const std::string& line : configuration.knobs) {
    EXPECT_EQ(line.find("instance="), std::string::npos) << line;
    EXPECT_EQ(line.find("job="), std::string::npos) << line;
  }
  EXPECT_EQ(TuningFingerprint(configuration.knobs), *configuration.fingerprint);
  // Loads and rates never enter.
  for (const std::string& line : configuration.knobs) {
    EXPECT_EQ(line.find("_per_second"), std::string::npos) << line;
    EXPECT_EQ(line.find("nf_conntrack_entries"), std::string::npos) << line;
  }
}

TEST(RunConfigurationTest, AnExporterWithoutTheFingerprintHasNone) {
  const RunConfiguration configuration =
      ConfigurationOf(Scraped("# TYPE wgtune_network_mtu_bytes gauge\nwgtune_network_mtu_bytes{device=\"wg0\"} 1280\n"));
  EXPECT_FALSE(configuration.fingerprint);
  EXPECT_EQ(configuration.knobs, std::vector<std::string>{"wgtune_network_mtu_bytes{device=\"wg0\"} 1280"});
}

// --- which scrapes describe the run, and their means ------------------------------------

TEST(RunWindowTest, TheExportersIntervalIsReadFromItsScrape) {
  EXPECT_EQ(ExporterSampleInterval(Scraped("wgtune_exporter_sample_interval_seconds 2.5\n")), 2.5);
  // An older exporter, or nonsense: the caller falls back to the default.
  EXPECT_EQ(ExporterSampleInterval(Scraped("wgtune_cpus{state=\"online\"} 4\n")), std::nullopt);
  EXPECT_EQ(ExporterSampleInterval(Scraped("wgtune_exporter_sample_interval_seconds 0\n")), std::nullopt);
  EXPECT_EQ(ExporterSampleInterval(Scraped("wgtune_exporter_sample_interval_seconds NaN\n")), std::nullopt);
}

TEST(RunWindowTest, WarmupIsOurFirstIntervalPlusTheExportersWindow) {
  EXPECT_DOUBLE_EQ(WarmupSeconds(1, 1), 2);
  EXPECT_DOUBLE_EQ(WarmupSeconds(2, 1), 3);
  // Scraping faster than the exporter samples: its rates at t may start 2E before t.
  EXPECT_DOUBLE_EQ(WarmupSeconds(1, 5), 10);
  EXPECT_DOUBLE_EQ(WarmupSeconds(0.5, 1), 2);
}

TEST(RunWindowTest, OnlyScrapesWhollyInsideTheRun) {
  const double started = 1000, seconds = 10, warmup = 2;
  struct Row {
    double at, duration;
    bool inside;
  };
  for (const Row& row : std::vector<Row>{{0.0, 0.01, false},  // the start
                                         {1.99, 0.01, false},  // still in the warm-up
                                         {2.0, 0.01, true},
                                         {9.0, 0.5, true},
                                         {9.99, 0.01, true},  // ends exactly at -t
                                         {9.995, 0.01, false},  // its answer comes after -t
                                         {10.5, 0.01, false},
                                         {-1.0, 0.01, false}}) {
    EXPECT_EQ(InsideRun(ViewSample{started + row.at, row.duration, {}}, started, seconds, warmup), row.inside)
        << row.at;
  }
}

TEST(RunWindowTest, MeansOverTheScrapesInsideWhereEachColumnHadAValue) {
  const double started = 1000;
  auto sample = [&](double at, LoadView view) { return ViewSample{started + at, 0.01, view}; };
  const std::vector<ViewSample> samples = {
      sample(1, {1e9, 0.99, 3000, 3000}),  // warm-up: idle before, out
      sample(2, {100e6, 0.2, 0, std::nullopt}),
      sample(3, {200e6, 0.4, 30, std::nullopt}),
      sample(4, {std::nullopt, 0.6, 60, std::nullopt}),  // a failed-over rate: absent
      sample(5, {1e3, 0.0, 9000, 9000}),  // after -t: out
  };
  const LoadViewMeans means = MeanLoadView(samples, started, 5, 2);
  EXPECT_EQ(means.samples, 3);
  ASSERT_TRUE(means.means[0] && means.means[1] && means.means[2]);
  EXPECT_DOUBLE_EQ(*means.means[0], 150e6);
  EXPECT_DOUBLE_EQ(*means.means[1], 0.4);
  EXPECT_DOUBLE_EQ(*means.means[2], 30);
  EXPECT_FALSE(means.means[3]);  // no scrape inside had it: unknown, not 0

  const LoadViewMeans none = MeanLoadView(samples, started, 5, 10);
  EXPECT_EQ(none.samples, 0);
  for (const auto& mean : none.means) EXPECT_FALSE(mean);
}

// --- the run file ------------------------------------------------------------------------

BaselineRun UdpRun() {
  BaselineRun run;
  run.scenario = "udp_1200";
  run.iperf3_args = {"-u", "-b", "0", "-l", "1200"};
  run.server = "100.64.0.2";
  run.started = 1764079000.5;
  run.seconds = 30;
  run.iperf3 = Iperf3Report(Iperf3Fixture("udp_l1200"), "", 0);
  run.throughput_bits_per_second = ReceivedBitsPerSecond(run.iperf3);
  return run;
}

TEST(BaselineRunJsonTest, WithoutAnExporter) {
  const nlohmann::ordered_json file = BaselineRunJson(UdpRun());
  std::vector<std::string> keys;
  for (const auto& [key, value] : file.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"format", "scenario", "iperf3_args", "server", "started", "seconds",
                                            "fingerprint", "knobs", "throughput_bits_per_second", "iperf3",
                                            "exporter"}));
  EXPECT_EQ(file["format"], "wgtune-baseline/1");
  EXPECT_EQ(file["scenario"], "udp_1200");
  EXPECT_EQ(file["iperf3_args"], nlohmann::ordered_json({"-u", "-b", "0", "-l", "1200"}));
  EXPECT_EQ(file["server"], "100.64.0.2");
  EXPECT_DOUBLE_EQ(file["started"].get<double>(), 1764079000.5);
  EXPECT_TRUE(file["seconds"].is_number_integer());
  EXPECT_EQ(file["seconds"], 30);
  EXPECT_TRUE(file["fingerprint"].is_null());
  EXPECT_EQ(file["knobs"], nlohmann::ordered_json::array());
  EXPECT_DOUBLE_EQ(file["throughput_bits_per_second"].get<double>(), 122867393.68832703);
  EXPECT_EQ(file["iperf3"], nlohmann::ordered_json::parse(Iperf3Fixture("udp_l1200")));
  EXPECT_TRUE(file["exporter"].is_null());
  // What is written reads back the same.
  EXPECT_EQ(nlohmann::ordered_json::parse(file.dump(1)), file);
}

TEST(BaselineRunJsonTest, WithTheExportersView) {
  BaselineRun run = UdpRun();
  run.exporter_target = "http://127.0.0.1:10050/metrics";
  run.configuration = {"0f3c9a0000000001", {"wgtune_network_mtu_bytes{device=\"wg0\"} 1280"}};
  run.exporter.samples = 28;
  run.exporter.means = {1.3e8, 0.41, 0.0, std::nullopt};
  const nlohmann::ordered_json file = BaselineRunJson(run);
  EXPECT_EQ(file["fingerprint"], "0f3c9a0000000001");
  EXPECT_EQ(file["knobs"], nlohmann::ordered_json({"wgtune_network_mtu_bytes{device=\"wg0\"} 1280"}));
  const nlohmann::ordered_json& exporter = file["exporter"];
  std::vector<std::string> keys;
  for (const auto& [key, value] : exporter.items()) keys.push_back(key);
  std::vector<std::string> want = {"target", "samples"};
  for (const LoadViewColumn& column : kLoadViewColumns) want.emplace_back(column.key);
  EXPECT_EQ(keys, want);
  EXPECT_EQ(exporter["target"], "http://127.0.0.1:10050/metrics");
  EXPECT_EQ(exporter["samples"], 28);
  EXPECT_DOUBLE_EQ(exporter["throughput_bits_per_second"].get<double>(), 1.3e8);
  EXPECT_DOUBLE_EQ(exporter["top_core_softirq_ratio"].get<double>(), 0.41);
  EXPECT_EQ(exporter["softnet_drops_per_30s"], 0.0);  // measured zero stays a number
  EXPECT_TRUE(exporter["nic_drops_per_30s"].is_null());  // no such series: null
}

TEST(BaselineRunJsonTest, NonFiniteNumbersBecomeNull) {
  BaselineRun run = UdpRun();
  run.throughput_bits_per_second = std::numeric_limits<double>::quiet_NaN();
  run.exporter_target = "http://h:1/metrics";
  run.exporter.means = {std::numeric_limits<double>::infinity(), std::nullopt, std::nullopt, std::nullopt};
  const nlohmann::ordered_json file = BaselineRunJson(run);
  EXPECT_TRUE(file["throughput_bits_per_second"].is_null());
  EXPECT_TRUE(file["exporter"]["throughput_bits_per_second"].is_null());
}

TEST(BaselineRunLineTest, SaysIperfsAndTheExportersThroughput) {
  BaselineRun run = UdpRun();
  EXPECT_EQ(BaselineRunLine(run), "udp_1200: iperf3 122.9 Mbit/s");
  run.exporter_target = "http://h:1/metrics";
  run.exporter.samples = 3;
  run.exporter.means = {130.04e6, 0.412, 0.0, std::nullopt};
  EXPECT_EQ(BaselineRunLine(run),
            "udp_1200: iperf3 122.9 Mbit/s | exporter (3 scrapes): WireGuard throughput 130.0 Mbit/s, "
            "top core %soft 41.2%, softnet drops/30s 0.0, NIC drops/30s n/a");
  run.exporter.samples = 0;
  EXPECT_EQ(BaselineRunLine(run),
            "udp_1200: iperf3 122.9 Mbit/s | exporter (0 scrapes): none inside the run (make --seconds longer)");
}

// --- the child process -------------------------------------------------------------------

TEST(ChildProcessTest, CapturesBothStreamsAndTheExitStatus) {
  ChildProcess child({"sh", "-c", "echo out; echo err >&2; exit 3"});
  const ChildResult result = child.Wait();
  EXPECT_EQ(result.exit_status, 3);
  EXPECT_EQ(result.out, "out\n");
  EXPECT_EQ(result.err, "err\n");
}

TEST(ChildProcessTest, OutputLargerThanAPipeDoesNotBlock) {
  ChildProcess child({"sh", "-c", "head -c 1000000 /dev/zero; head -c 300000 /dev/zero >&2"});
  const ChildResult result = child.Wait();
  EXPECT_EQ(result.exit_status, 0);
  EXPECT_EQ(result.out.size(), 1000000u);
  EXPECT_EQ(result.err.size(), 300000u);
}

TEST(ChildProcessTest, WaitUntilTimesOutThenTerminateEndsIt) {
  const auto started = std::chrono::steady_clock::now();
  ChildProcess child({"sleep", "30"});
  EXPECT_FALSE(child.WaitUntil(std::chrono::steady_clock::now() + std::chrono::milliseconds(100)));
  child.Terminate();
  EXPECT_EQ(child.Wait().exit_status, 128 + 15);  // SIGTERM
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(ChildProcessTest, AProgramThatIsNotThereIsAClearError) {
  EXPECT_EQ(ErrorOf<std::runtime_error>([] { ChildProcess({"wgtune-no-such-program"}); }),
            "wgtune-no-such-program: not found in PATH");
  EXPECT_EQ(ErrorOf<std::runtime_error>([] { ChildProcess({"/nonexistent/iperf3"}); }),
            "/nonexistent/iperf3: not found or not executable");
  EXPECT_FALSE(FindExecutable("wgtune-no-such-program"));
  ASSERT_TRUE(FindExecutable("sh"));
  EXPECT_EQ(FindExecutable("sh")->back(), 'h');
}

}  // namespace
}  // namespace wgtune
