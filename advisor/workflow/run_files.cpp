#include "advisor/workflow/run_files.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

namespace wgtune {
namespace {

using nlohmann::json;

// The guide's five scenarios (§2.1) in the order it runs them.
constexpr std::array<std::string_view, 5> kScenarioOrder = {"tcp_fwd", "tcp_rev", "udp_1200", "udp_64", "tcp_single"};

size_t ScenarioRank(std::string_view scenario) {
  auto it = std::find(kScenarioOrder.begin(), kScenarioOrder.end(), scenario);
  return static_cast<size_t>(it - kScenarioOrder.begin());
}

class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {}

  [[noreturn]] void Fail(const std::string& what) const { throw RunFileError(path_ + ": " + what); }

  const json& Member(const json& object, const std::string& name, const std::string& where = "") const {
    auto it = object.find(name);
    if (it == object.end()) Fail("no \"" + where + name + "\"");
    return *it;
  }

  double Number(const json& object, const std::string& name, const std::string& where = "") const {
    const json& value = Member(object, name, where);
    if (!value.is_number()) Fail("\"" + where + name + "\" is not a number");
    return value.get<double>();
  }

  std::optional<double> NumberOrNull(const json& object, const std::string& name, const std::string& where = "") const {
    const json& value = Member(object, name, where);
    if (value.is_null()) return std::nullopt;
    if (!value.is_number()) Fail("\"" + where + name + "\" is neither a number nor null");
    return value.get<double>();
  }

  std::string String(const json& object, const std::string& name) const {
    const json& value = Member(object, name);
    if (!value.is_string()) Fail("\"" + name + "\" is not a string");
    return value.get<std::string>();
  }

 private:
  const std::string& path_;
};

bool IsFingerprint(std::string_view text) {
  return text.size() == 16 && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
         });
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RunFileError(path.string() + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw RunFileError(path.string() + ": read error");
  return text.str();
}

std::string LastComponent(const std::string& directory) {
  std::filesystem::path path(directory);
  if (!path.has_filename()) path = path.parent_path();  // "runs/rps/" → "runs/rps"
  std::string name = path.filename().string();
  return name.empty() || name == "." || name == ".." ? directory : name;
}

}  // namespace

ComparisonRow ParseRunFile(std::string_view json_text, const std::string& path, const std::string& config) {
  Reader reader(path);
  json body = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) reader.Fail("not JSON");
  if (!body.is_object()) reader.Fail("not a JSON object");
  const json& format = reader.Member(body, "format");
  if (format != kRunFileFormat) {
    reader.Fail("format " + format.dump() + ", want \"" + std::string(kRunFileFormat) + "\"");
  }
  ComparisonRow row;
  row.config = config;
  row.source = path;
  row.scenario = reader.String(body, "scenario");
  if (row.scenario.empty()) reader.Fail("\"scenario\" is empty");
  row.start = reader.Number(body, "started");
  const double seconds = reader.Number(body, "seconds");
  if (seconds < 0) reader.Fail("\"seconds\" is negative");
  row.end = row.start + seconds;
  row.throughput = reader.NumberOrNull(body, "throughput_bits_per_second");  // null: iperf3 reported none

  const json& fingerprint = reader.Member(body, "fingerprint");
  if (!fingerprint.is_null()) {
    if (!fingerprint.is_string() || !IsFingerprint(fingerprint.get_ref<const std::string&>())) {
      reader.Fail("\"fingerprint\" is neither null nor 16 lower-case hex digits: " + fingerprint.dump());
    }
    row.fingerprint = fingerprint.get<std::string>();
  }
  const json& knobs = reader.Member(body, "knobs");
  if (!knobs.is_array()) reader.Fail("\"knobs\" is not an array");
  std::vector<std::string> lines;
  for (const json& line : knobs) {
    if (!line.is_string()) reader.Fail("\"knobs\" has a member that is not a string: " + line.dump());
    lines.push_back(line.get<std::string>());
  }
  // Without an exporter there is neither fingerprint nor knobs: the configuration is unknown,
  // which is not the same as a configuration without knobs.
  if (row.fingerprint || !lines.empty()) {
    std::sort(lines.begin(), lines.end());
    row.knobs = std::move(lines);
  }

  const json& exporter = reader.Member(body, "exporter");
  if (!exporter.is_null()) {
    if (!exporter.is_object()) reader.Fail("\"exporter\" is neither an object nor null");
    const double samples = reader.Number(exporter, "samples", "exporter.");
    if (samples < 0) reader.Fail("\"exporter.samples\" is negative");
    row.load_samples = static_cast<size_t>(samples);
    row.load_state = LoadState::kUnderLoad;
    for (size_t i = 0; i < kLoadViewColumns.size(); ++i) {
      row.load[i] = reader.NumberOrNull(exporter, std::string(kLoadViewColumns[i].key), "exporter.");
    }
  }
  return row;
}

std::vector<ComparisonRow> ReadRunDirectories(const std::vector<std::string>& directories) {
  std::map<std::string, int> name_count;
  for (const std::string& directory : directories) name_count[LastComponent(directory)] += 1;
  std::vector<ComparisonRow> rows;
  for (const std::string& directory : directories) {
    std::error_code error;
    std::vector<std::filesystem::path> files;
    std::filesystem::directory_iterator it(directory, error);
    if (error) throw RunFileError(directory + ": cannot read the directory: " + error.message());
    for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
      if (error) throw RunFileError(directory + ": cannot read the directory: " + error.message());
      if (it->path().extension() == ".json") files.push_back(it->path());
    }
    if (files.empty()) throw RunFileError(directory + ": no run files (*.json)");
    std::string config = LastComponent(directory);
    if (name_count[config] > 1) config = directory;
    std::vector<ComparisonRow> run;
    for (const std::filesystem::path& file : files) run.push_back(ParseRunFile(ReadFile(file), file.string(), config));
    std::sort(run.begin(), run.end(), [](const ComparisonRow& a, const ComparisonRow& b) {
      return std::make_pair(ScenarioRank(a.scenario), a.scenario) < std::make_pair(ScenarioRank(b.scenario), b.scenario);
    });
    rows.insert(rows.end(), std::make_move_iterator(run.begin()), std::make_move_iterator(run.end()));
  }
  return rows;
}

}  // namespace wgtune
