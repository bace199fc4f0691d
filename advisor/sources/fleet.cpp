#include "advisor/sources/fleet.h"

#include <exception>

#include "advisor/sources/prometheus_api.h"
#include "common/text.h"

namespace wgtune {

namespace {

// The answer to one selection, split by instance: computed on first use.
template <typename Result, typename Fetch>
Result HostShare(std::unordered_map<std::string, std::unordered_map<std::string, Result>>& cache,
                 const std::string& key, const std::string& instance, Fetch fetch) {
  auto it = cache.find(key);
  if (it == cache.end()) {
    std::unordered_map<std::string, Result> hosts;
    for (auto& series : fetch()) {
      hosts[std::string(promql::LabelValue(series.labels, "instance"))].push_back(std::move(series));
    }
    it = cache.emplace(key, std::move(hosts)).first;
  }
  auto host = it->second.find(instance);
  return host == it->second.end() ? Result{} : host->second;
}

}  // namespace

promql::Vector FleetCache::Select(const std::string& instance, const std::vector<promql::LabelMatcher>& matchers,
                                  promql::Timestamp time) {
  return HostShare(instant_, FormatSelector(matchers) + "@" + std::to_string(time), instance,
                   [&] { return fleet_.Select(matchers, time); });
}

promql::Matrix FleetCache::SelectRange(const std::string& instance, const std::vector<promql::LabelMatcher>& matchers,
                                       promql::Timestamp time, promql::Timestamp range) {
  return HostShare(ranges_, FormatSelector(matchers) + "[" + std::to_string(range) + "]@" + std::to_string(time),
                   instance, [&] { return fleet_.SelectRange(matchers, time, range); });
}

std::string TargetUrl(const std::string& target) {
  std::string url = target;
  if (url.find("://") == std::string::npos) url = "http://" + url;
  const size_t authority = url.find("://") + 3;
  if (url.find('/', authority) == std::string::npos) url += "/metrics";
  return url;
}

std::vector<Host> PrometheusHosts(FleetCache& cache, const std::string& base_url, double time_seconds,
                                  const HttpOptions& http) {
  std::vector<Host> hosts;
  for (const std::string& instance : Instances(base_url, "wgtune_scrape_collector_success", time_seconds, http)) {
    hosts.push_back(Host{instance, std::make_unique<HostScope>(cache, instance), ""});
  }
  return hosts;
}

}  // namespace wgtune
