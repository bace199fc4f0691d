#include "advisor/sources/targets.h"

#include <cmath>
#include <exception>
#include <thread>

#include "advisor/sources/fleet.h"

namespace wgtune {
namespace {

std::optional<double> ExporterGauge(const promql::Vector& samples, std::string_view name) {
  for (const promql::Sample& sample : samples) {
    if (promql::LabelValue(sample.labels, "__name__") == name) return sample.value;
  }
  return std::nullopt;
}

}  // namespace

std::pair<promql::Timestamp, bool> SampleTime(const ScrapeResult& scrape) {
  std::optional<double> sampled = ExporterGauge(scrape.samples, "wgtune_exporter_sample_timestamp_seconds");
  if (sampled && std::isfinite(*sampled) && *sampled > 0) return {promql::ToTimestamp(*sampled), true};
  return {promql::ToTimestamp(scrape.timestamp_seconds), false};
}

std::optional<double> ExporterSampleInterval(const promql::Vector& samples) {
  std::optional<double> interval = ExporterGauge(samples, "wgtune_exporter_sample_interval_seconds");
  if (interval && !(std::isfinite(*interval) && *interval > 0)) return std::nullopt;
  return interval;
}

double TargetHost::HistorySeconds() const {
  if (!history || history->times().size() < 2) return 0;
  return static_cast<double>(history->times().back() - history->times().front()) / 1000;
}

TargetSet::TargetSet(const std::vector<std::string>& targets, promql::Timestamp retention, ScrapeHistory::Keep keep,
                     HttpOptions http)
    : http_(std::move(http)) {
  for (const std::string& target : targets) {
    TargetHost host;
    host.url = TargetUrl(target);
    host.instance = target;
    try {
      host.instance = InstanceOf(host.url);
    } catch (const std::exception& error) {
      host.error = error.what();  // every scrape will say so again
    }
    host.history = std::make_unique<ScrapeHistory>(retention, keep);
    hosts_.push_back(std::move(host));
  }
}

void TargetSet::ScrapeAll() {
  ScrapeIf([](const TargetHost&) { return true; });
}

void TargetSet::ScrapeIf(const std::function<bool(const TargetHost&)>& wanted) {
  std::vector<TargetHost*> due;
  for (TargetHost& host : hosts_) {
    if (wanted(host)) due.push_back(&host);
  }
  if (!parallel_ || due.size() == 1) {
    for (TargetHost* host : due) Scrape(*host);
    return;
  }
  // Each thread touches its own host only; Scrape catches everything.
  std::vector<std::thread> scrapes;
  scrapes.reserve(due.size());
  for (TargetHost* host : due) scrapes.emplace_back([this, host] { Scrape(*host); });
  for (std::thread& scrape : scrapes) scrape.join();
}

void TargetSet::Scrape(TargetHost& host) {
  try {
    ScrapeResult scrape = wgtune::Scrape(host.url, "wgtune", http_);
    host.error.clear();
    host.scraped = true;
    host.sample_interval = ExporterSampleInterval(scrape.samples);
    const auto [time, from_exporter] = SampleTime(scrape);
    host.exporter_sample_times = from_exporter;
    host.history->Append(time, std::move(scrape.samples));
  } catch (const std::exception& error) {
    host.error = error.what();
  }
}

}  // namespace wgtune
