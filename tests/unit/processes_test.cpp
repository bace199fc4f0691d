#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "common/errors.h"
#include "exporter/collector.h"
#include "exporter/config.h"
#include "common/metric_set.h"
#include "exporter/sources/proc_comm.h"
#include "tests/unit/metric_testing.h"

namespace wgtune {

std::unique_ptr<Collector> NewProcessesCollector(const CollectorContext&);

namespace {

TEST(ProcCommParseTest, RemovesOnlyTheFinalNewline) {
  EXPECT_EQ(ParseComm("irqbalance\n"), "irqbalance");
  EXPECT_EQ(ParseComm("Web Content\n"), "Web Content");
  EXPECT_EQ(ParseComm(" lead\n"), " lead");
  EXPECT_EQ(ParseComm("two\nlines\n"), "two\nlines");  // prctl(PR_SET_NAME) accepts any byte
  EXPECT_EQ(ParseComm("\n"), "");
}

TEST(ProcCommParseTest, RejectsTextWithoutNewline) {
  EXPECT_THROW(ParseComm(""), ParseError);
  EXPECT_THROW(ParseComm("irqbalance"), ParseError);
}

TEST(ProcCommParseTest, WireGuardCryptInterface) {
  struct Case {
    const char* comm;
    std::optional<std::string_view> want;
  };
  const Case cases[] = {
      {"wg-crypt-wt0", "wt0"},                     // up to 6.8
      {"wg-crypt-netbir", "netbir"},               // netbird0, cut to 15 bytes
      {"wg-crypt-wt0+wg-crypt-wt0", "wt0"},        // rescuer at work
      {"wg-crypt-wt0-wg-crypt-wt0", "wt0"},        // rescuer after work
      {"wg-crypt-wg-mesh", "wg-mesh"},             // a '-' in the interface name
      {"kworker/R-wg-crypt-wt0", "wt0"},           // 6.10+
      {"kworker/R+wg-crypt-wt0", "wt0"},           // 6.10+, rescuer at work
      {"kworker/R-wg-cr", std::nullopt},           // 6.9: the name is lost
      {"kworker/0:3-wg-crypt-wt0", std::nullopt},  // a pool worker, not WireGuard's own
      {"kworker/u8:1+wg-crypt-wt0", std::nullopt},
      {"wg-crypt-", std::nullopt},
      {"wireguard-go", std::nullopt},
      {"irqbalance", std::nullopt},
      {"", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(WireGuardCryptInterface(c.comm), c.want) << c.comm;
  }
}


MetricSet CollectProcesses(const std::string& procfs, std::vector<std::string> names) {
  ExporterConfig config;
  config.processes = std::move(names);
  CollectorContext context{procfs, "/nonexistent/sys", &config};
  MetricSet metrics;
  NewProcessesCollector(context)->Collect(metrics);
  return metrics;
}

const std::string kProc = std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/processes/proc";

TEST(ProcessesCollectorTest, DefaultConfigLooksForIrqbalance) {
  ExporterConfig config;
  CollectorContext context{kProc, "/nonexistent/sys", &config};
  MetricSet metrics;
  NewProcessesCollector(context)->Collect(metrics);
  EXPECT_EQ(Series(metrics, "wgtune_process_running"), (std::map<Labels, double>{{{{"name", "irqbalance"}}, 1}}));
  EXPECT_EQ(Series(metrics, "wgtune_processes"), (std::map<Labels, double>{{{{"name", "irqbalance"}}, 1}}));
}

TEST(ProcessesCollectorTest, CountsConfiguredNamesAndCryptWorkers) {
  MetricSet metrics = CollectProcesses(kProc, {"irqbalance", "wireguard-go", "netbird", "ksoftirqd/0", "tuned",
                                               "irqbalance", "", "wireguard-go-with-a-long-name"});
  // Pid 2999 has no comm any more (it exited during the scan) and is skipped.
  // Absence is a real 0; duplicates and empty names are ignored; a name longer than 15
  // bytes is compared on its first 15, as the kernel cut the comm ("wireguard-go-wi").
  EXPECT_EQ(Series(metrics, "wgtune_process_running"), (std::map<Labels, double>{
                                                           {{{"name", "irqbalance"}}, 1},
                                                           {{{"name", "wireguard-go"}}, 1},
                                                           {{{"name", "netbird"}}, 1},
                                                           {{{"name", "ksoftirqd/0"}}, 1},
                                                           {{{"name", "tuned"}}, 0},
                                                           {{{"name", "wireguard-go-with-a-long-name"}}, 0},
                                                       }));
  EXPECT_EQ((Series(metrics, "wgtune_processes")[{{"name", "tuned"}}]), 0);
  EXPECT_EQ((Series(metrics, "wgtune_processes")[{{"name", "wireguard-go"}}]), 1);
  // The pool worker "kworker/0:3-wg-crypt-wt0" is not WireGuard's: one per interface.
  EXPECT_EQ(Series(metrics, "wgtune_wireguard_crypt_workers"), (std::map<Labels, double>{
                                                                   {{{"interface", "wt0"}}, 1},
                                                                   {{{"interface", "netbir"}}, 1},
                                                               }));
}

TEST(ProcessesCollectorTest, CountsEveryMatchingProcess) {
  MetricSet metrics = CollectProcesses(kProc, {"ksoftirqd/1", "bash", "kworker/0:3"});
  EXPECT_EQ(Series(metrics, "wgtune_processes"), (std::map<Labels, double>{
                                                     {{{"name", "ksoftirqd/1"}}, 1},
                                                     {{{"name", "bash"}}, 1},
                                                     {{{"name", "kworker/0:3"}}, 0},
                                                 }));
}

TEST(ProcessesCollectorTest, LongNameMatchesItsTruncatedComm) {
  // A comm is cut to 15 bytes: "wg-crypt-netbir" is what a process named
  // "wg-crypt-netbird0" would show.
  MetricSet metrics = CollectProcesses(kProc, {"wg-crypt-netbird0"});
  EXPECT_EQ(Series(metrics, "wgtune_processes"), (std::map<Labels, double>{{{{"name", "wg-crypt-netbird0"}}, 1}}));
}

TEST(ProcessesCollectorTest, NoProcfsMeansEverythingAbsentButTheAnswerZero) {
  MetricSet metrics = CollectProcesses(kProc + "/no-such-dir", {"irqbalance"});
  EXPECT_EQ(Series(metrics, "wgtune_process_running"), (std::map<Labels, double>{{{{"name", "irqbalance"}}, 0}}));
  EXPECT_TRUE(Series(metrics, "wgtune_wireguard_crypt_workers").empty());
}

// /proc mounted hidepid=invisible shows a user only its own processes, never pid 1: "irqbalance
// is not running" would be a guess, so the collector fails, naming the cause.
TEST(ProcessesCollectorTest, ProcWithoutPidOneHidesProcesses) {
  try {
    CollectProcesses(std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/processes/hidepid/proc", {"irqbalance"});
    ADD_FAILURE() << "no PermissionError";
  } catch (const PermissionError& error) {
    EXPECT_NE(std::string(error.what()).find("lists no pid 1 (/proc hides other users' processes, hidepid="),
              std::string::npos)
        << error.what();
  }
}

TEST(ProcessesCollectorTest, CommWithoutNewlineThrows) {
  EXPECT_THROW(
      CollectProcesses(std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/processes/malformed/proc", {"irqbalance"}),
      ParseError);
}

}  // namespace
}  // namespace wgtune
