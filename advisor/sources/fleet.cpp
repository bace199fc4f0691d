#include "advisor/sources/fleet.h"

#include <exception>

#include "advisor/sources/prometheus_api.h"
#include "advisor/sources/target.h"
#include "common/text.h"

namespace wgtune {

promql::Vector CachingSource::Select(const std::vector<promql::LabelMatcher>& matchers) {
  const std::string key = FormatSelector(matchers);
  auto it = cache_.find(key);
  if (it == cache_.end()) it = cache_.emplace(key, inner_.Select(matchers)).first;
  return it->second;
}

promql::Vector HostScope::Select(const std::vector<promql::LabelMatcher>& matchers) {
  promql::Vector all = fleet_.Select(matchers);
  promql::Vector mine;
  for (promql::Sample& sample : all) {
    if (promql::LabelValue(sample.labels, "instance") == instance_) mine.push_back(std::move(sample));
  }
  return mine;
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

std::vector<Host> PrometheusHosts(CachingSource& cache, const std::string& base_url, double time_seconds,
                                  double timeout_seconds) {
  std::vector<Host> hosts;
  for (const std::string& instance : Instances(base_url, "wgtune_scrape_collector_success", time_seconds, timeout_seconds)) {
    hosts.push_back(Host{instance, std::make_unique<HostScope>(cache, instance), ""});
  }
  return hosts;
}

}  // namespace wgtune
