#include "advisor/sources/fleet.h"

#include <exception>

#include "advisor/sources/prometheus_api.h"
#include "advisor/sources/target.h"
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

std::vector<Host> ScrapeHosts(const std::vector<std::string>& targets, double timeout_seconds) {
  std::vector<Host> hosts;
  for (const std::string& target : targets) {
    const std::string url = TargetUrl(target);
    Host host;
    host.instance = target;  // until the URL is known to be good
    try {
      host.instance = InstanceOf(url);
      ScrapeResult scrape = Scrape(url, "wgtune", timeout_seconds);
      host.rates_pending = RatesPending(scrape.samples);
      host.source = std::make_unique<promql::MemorySource>(std::move(scrape.samples));
    } catch (const std::exception& error) {
      host.error = error.what();
    }
    hosts.push_back(std::move(host));
  }
  return hosts;
}

bool RatesPending(const promql::Vector& samples) {
  bool counters = false;
  for (const promql::Sample& sample : samples) {
    std::string_view name = promql::LabelValue(sample.labels, "__name__");
    if (!StartsWith(name, "wgtune_")) continue;
    // Only rates: some shares (_ratio) come from one sample, such as the RSS table's.
    if (EndsWith(name, "_per_second")) return false;
    if (EndsWith(name, "_total")) counters = true;
  }
  return counters;
}

std::vector<Host> PrometheusHosts(FleetCache& cache, const std::string& base_url, double time_seconds,
                                  double timeout_seconds) {
  std::vector<Host> hosts;
  for (const std::string& instance : Instances(base_url, "wgtune_scrape_collector_success", time_seconds, timeout_seconds)) {
    hosts.push_back(Host{instance, std::make_unique<HostScope>(cache, instance), ""});
  }
  return hosts;
}

}  // namespace wgtune
