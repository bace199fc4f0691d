// The whole exporter over a fixture host, compared with a golden /metrics file.
//
// tests/fixtures/e2e/sample1 is a host at the first sample; sample2 holds only the files
// whose counters changed 5 s later. Beside /proc, /sys and /lib/modules the tree holds recorded
// ethtool answers (ethtool/, make_recordings.py), kernel WireGuard dumps and the qdisc dump
// (netlink/, make_wireguard_dumps.py). The test copies sample1 to a temporary root, samples,
// copies sample2 over it, samples again, and compares the full exposition with
// tests/fixtures/e2e/golden.prom (raw counters, rates, shares, self metrics). The clocks are
// scripted, so rates, durations and the sample timestamp are exact. WGTUNE_UPDATE_GOLDEN=1 rewrites the golden file.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "exporter/collector.h"
#include "exporter/config.h"
#include "exporter/sampler.h"

namespace wgtune {
namespace {

namespace fs = std::filesystem;

const fs::path kFixtures = fs::path(WGTUNE_SOURCE_DIR) / "tests/fixtures/e2e";

std::string ReadWhole(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Copies a fixture tree, keeping symbolic links as links (sysfs is made of them).
void CopyTree(const fs::path& from, const fs::path& to) {
  fs::copy(from, to,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks | fs::copy_options::overwrite_existing);
}

std::string RunTwoSamples(const fs::path& root) {
  ExporterConfig config;
  config.procfs = (root / "proc").string();
  config.sysfs = (root / "sys").string();
  config.rootfs = root.string();  // lib/modules
  config.processes = {"irqbalance", "wireguard-go"};
  // Sources that are not files replay recordings kept in the fixture tree; no userspace
  // WireGuard socket of this machine may join in.
  config.ethtool_replay_dir = (root / "ethtool").string();
  config.wireguard_netlink_replay_dir = (root / "netlink").string();
  config.qdisc_replay_dir = (root / "netlink").string();
  config.wireguard_uapi_dir = (root / "run/wireguard").string();
  for (const CollectorInfo& info : AllCollectors()) config.collectors[info.name] = true;

  double now = 0;  // seconds since the first sample; the wall clock reads 1764050000 + now
  auto unix_time = [&now] { return 1764050000.0 + now; };
  Sampler sampler(CreateEnabledCollectors(config, unix_time), [&now] { return now; }, 5, {}, unix_time);
  CopyTree(kFixtures / "sample1", root);
  sampler.SampleOnce();
  now = 5;
  CopyTree(kFixtures / "sample2", root);
  sampler.SampleOnce();
  return *sampler.Exposition();
}

TEST(GoldenTest, FullExpositionOverTheFixtureHostMatchesTheGoldenFile) {
  fs::path root = fs::path(testing::TempDir()) / "wgtune-e2e-root";
  fs::remove_all(root);
  fs::create_directories(root);
  std::string exposition = RunTwoSamples(root);
  fs::remove_all(root);

  // The recorded WireGuard dumps carry the device's private key and a preshared key, as the
  // kernel sends them (make_wireguard_dumps.py): neither may leave the process.
  for (const char* secret : {"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=", "77076d0a7318a57d3c16c17251b26645",
                             "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "000102030405060708090a0b0c0d0e0f"}) {
    EXPECT_EQ(exposition.find(secret), std::string::npos) << "a WireGuard key leaked: " << secret;
  }

  fs::path golden = kFixtures / "golden.prom";
  if (const char* update = std::getenv("WGTUNE_UPDATE_GOLDEN"); update && std::string(update) == "1") {
    std::ofstream(golden) << exposition;
    GTEST_SKIP() << "rewrote " << golden;
  }
  std::string expected = ReadWhole(golden);
  ASSERT_FALSE(expected.empty()) << golden << " is missing; run with WGTUNE_UPDATE_GOLDEN=1";
  // Compare line by line for a readable failure.
  std::istringstream want(expected), got(exposition);
  std::string want_line, got_line;
  int line = 0;
  while (true) {
    bool more_want = static_cast<bool>(std::getline(want, want_line));
    bool more_got = static_cast<bool>(std::getline(got, got_line));
    ++line;
    if (!more_want && !more_got) break;
    ASSERT_EQ(more_got ? got_line : "<end>", more_want ? want_line : "<end>") << "golden.prom line " << line;
  }
}

}  // namespace
}  // namespace wgtune
