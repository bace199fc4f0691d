// docs/metrics.md documents exactly the metrics the exporter serves, with their types.
//
// The golden end-to-end output is the reference for what is served; the exporter's own info
// families (ExporterInfo: build info, whose labels change with every commit, and the sample
// interval) are added by main() and not part of it.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "exporter/exporter_info.h"

namespace wgtune {
namespace {

std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(WGTUNE_SOURCE_DIR) + "/" + relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// name → type, from each regex match's groups 1 and 2.
std::map<std::string, std::string> Collect(const std::string& text, const std::regex& pattern) {
  std::map<std::string, std::string> found;
  for (std::sregex_iterator it(text.begin(), text.end(), pattern), end; it != end; ++it) {
    found[(*it)[1]] = (*it)[2];
  }
  return found;
}

TEST(MetricsDocTest, DocumentsEveryServedMetricWithItsType) {
  std::map<std::string, std::string> served =
      Collect(ReadSourceFile("tests/fixtures/e2e/golden.prom"), std::regex(R"(# TYPE (\S+) (\S+))"));
  ASSERT_GT(served.size(), 50u);
  // The exporter's own families, which main() adds and the golden host's sampler does not.
  const MetricSet info = ExporterInfo(5);
  for (const prometheus::MetricFamily& family : info.families()) {
    served[family.name] = family.type == prometheus::MetricType::Counter ? "counter" : "gauge";
  }
  std::map<std::string, std::string> documented =
      Collect(ReadSourceFile("docs/metrics.md"), std::regex(R"(\| `(wgtune_[a-z0-9_]+)` \| (\w+) \|)"));
  for (const auto& [name, type] : served) {
    auto it = documented.find(name);
    if (it == documented.end()) {
      ADD_FAILURE() << name << " is served but not in docs/metrics.md";
    } else {
      EXPECT_EQ(it->second, type) << name;
    }
  }
  for (const auto& [name, type] : documented) {
    EXPECT_TRUE(served.count(name)) << name << " is in docs/metrics.md but not served";
  }
}

}  // namespace
}  // namespace wgtune
