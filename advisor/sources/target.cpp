#include "advisor/sources/target.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <set>

#include "advisor/sources/http_client.h"
#include "common/errors.h"
#include "common/text.h"

namespace wgtune {
namespace {

bool HasLabel(const promql::Labels& labels, std::string_view name) {
  return std::any_of(labels.begin(), labels.end(), [&](const auto& label) { return label.first == name; });
}

// Follows mutateSampleLabels and resolveConflictingExposedLabels in Prometheus's scrape.go:
// target labels win, and each clashing exposed label moves to the first free
// "exported_"-prefixed name.
promql::Labels TargetLabels(const ExpositionSample& sample, std::string_view job, std::string_view instance) {
  promql::Labels labels;
  labels.reserve(sample.labels.size() + 3);
  labels.emplace_back("__name__", sample.name);
  labels.emplace_back("job", job);
  labels.emplace_back("instance", instance);
  std::vector<std::pair<std::string, std::string>> conflicting;
  for (const auto& [name, value] : sample.labels) {
    if (value.empty()) continue;  // an empty label is an absent label
    if (name == "job" || name == "instance") {
      conflicting.emplace_back(name, value);
    } else {
      labels.emplace_back(name, value);
    }
  }
  for (auto& [name, value] : conflicting) {
    std::string exported = name;
    do {
      exported = "exported_" + exported;
    } while (HasLabel(labels, exported));
    // An exposed label already called exported_job is kept as it is; this one goes past it.
    labels.emplace_back(std::move(exported), std::move(value));
  }
  std::erase_if(labels, [](const auto& label) { return label.second.empty(); });  // empty job or instance
  std::sort(labels.begin(), labels.end());
  return labels;
}

// 10 → "10", 0.5 → "0.5": how Prometheus writes the timeout header (FormatFloat 'f', -1).
std::string ShortestDecimal(double value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
  return std::string(buffer, result.ptr);
}

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

promql::Vector SamplesFromExposition(const Exposition& exposition, std::string_view job, std::string_view instance) {
  promql::Vector samples;
  samples.reserve(exposition.samples.size());
  std::set<promql::Labels> seen;
  for (const ExpositionSample& sample : exposition.samples) {
    promql::Labels labels = TargetLabels(sample, job, instance);
    if (!seen.insert(labels).second) continue;
    samples.push_back(promql::Sample{std::move(labels), sample.value});
  }
  return samples;
}

std::string InstanceOf(std::string_view url) { return ParseHttpUrl(url).HostPort(); }

ScrapeResult Scrape(const std::string& url, std::string_view job, const HttpOptions& http) {
  std::string instance = InstanceOf(url);
  ScrapeResult result;
  result.timestamp_seconds = UnixNow();
  auto start = std::chrono::steady_clock::now();
  HttpResponse response;
  try {
    response = HttpGet(url, http,
                       {{"Accept", "text/plain;version=0.0.4"},
                        {"X-Prometheus-Scrape-Timeout-Seconds", ShortestDecimal(http.timeout_seconds)}});
  } catch (const HttpError& error) {
    throw ScrapeError("scrape " + std::string(error.what()));
  }
  if (response.status != 200) {
    // The start of the body usually says why (a 404 page, a panic message); all of it could
    // be megabytes.
    std::string reason = std::string(Trim(std::string_view(response.body).substr(0, 200)));
    throw ScrapeError("scrape " + url + ": HTTP " + std::to_string(response.status) +
                      (reason.empty() ? "" : ": " + reason));
  }
  Exposition exposition;
  try {
    exposition = ParseExposition(response.body);
  } catch (const ParseError& error) {
    throw ScrapeError("scrape " + url + ": " + error.what());
  }
  result.samples = SamplesFromExposition(exposition, job, instance);
  result.families = std::move(exposition.families);
  result.duration_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace wgtune
