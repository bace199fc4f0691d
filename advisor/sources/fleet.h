// Where one evaluation of the advisor reads its hosts from: scraped targets or a Prometheus
// server, both seen as one SeriesSource per host (see rule_engine.h for why per host).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "advisor/promql/eval.h"
#include "advisor/sources/http_client.h"

namespace wgtune {

// Remembers the answer to each distinct selection (selector, time, range) for the life of one
// evaluation, split by host (instance label): a Prometheus server is asked once per selection
// however many rules, templates and hosts use it, and each host finds its own series without
// going through the rest of the fleet's, so evaluating N hosts costs N times one host. Not
// thread-safe.
class FleetCache {
 public:
  explicit FleetCache(promql::SeriesSource& fleet) : fleet_(fleet) {}
  promql::Vector Select(const std::string& instance, const std::vector<promql::LabelMatcher>& matchers,
                        promql::Timestamp time);
  promql::Matrix SelectRange(const std::string& instance, const std::vector<promql::LabelMatcher>& matchers,
                             promql::Timestamp time, promql::Timestamp range);

 private:
  template <typename Result>
  using ByInstance = std::unordered_map<std::string, Result>;

  promql::SeriesSource& fleet_;
  std::unordered_map<std::string, ByInstance<promql::Vector>> instant_;
  std::unordered_map<std::string, ByInstance<promql::Matrix>> ranges_;
};

// The series of one host (instance label) of a fleet.
class HostScope : public promql::SeriesSource {
 public:
  HostScope(FleetCache& fleet, std::string instance) : fleet_(fleet), instance_(std::move(instance)) {}
  promql::Vector Select(const std::vector<promql::LabelMatcher>& matchers, promql::Timestamp time) override {
    return fleet_.Select(instance_, matchers, time);
  }
  promql::Matrix SelectRange(const std::vector<promql::LabelMatcher>& matchers, promql::Timestamp time,
                             promql::Timestamp range) override {
    return fleet_.SelectRange(instance_, matchers, time, range);
  }

 private:
  FleetCache& fleet_;
  std::string instance_;
};

// One host of a Prometheus server, as an evaluation sees it.
struct Host {
  std::string instance;
  std::unique_ptr<promql::SeriesSource> source;  // null when error is set
  std::string error;
};

// "host:port" and "http://host:port" become "http://host:port/metrics"; URLs with a path
// stay as they are.
std::string TargetUrl(const std::string& target);

// The hosts (instance label values) of a Prometheus server that have wgtune-exporter series
// (wgtune_scrape_collector_success, which every exporter serves whatever its collectors),
// each scoped over one shared cache. `cache` must outlive the hosts.
std::vector<Host> PrometheusHosts(FleetCache& cache, const std::string& base_url, double time_seconds,
                                  const HttpOptions& http);

}  // namespace wgtune
