// Scraping an exporter directly, the way a Prometheus server would.
//
// Without a Prometheus server the advisor reads /metrics itself and evaluates its rules over
// what one scrape returned. For rules written against Prometheus to mean the same thing here,
// the scraped samples must get the labels Prometheus would store: the target labels `job` and
// `instance` attached, clashing exposed labels renamed to exported_<name> (honor_labels:
// false, the default), empty label values dropped. SamplesFromExposition does that as a pure
// function; Scrape adds the HTTP request.
//
// Contracts:
// - Reentrant; Scrape opens its own connection, so several targets may be scraped at once.
// - Scrape throws ScrapeError for every failure of the scrape itself (no response, non-200,
//   unparsable body), never returning a partial result: like Prometheus, a failed scrape
//   yields no samples. A malformed URL or timeout is the caller's error: std::invalid_argument.
// - Exposition timestamps are ignored, as in a wgtune-exporter's output there are none: when
//   the data was sampled is the exporter's wgtune_exporter_sample_timestamp_seconds, which the
//   advisor's history of scrapes (targets.h) places them by.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "advisor/promql/value.h"
#include "advisor/sources/http_client.h"
#include "common/exposition.h"

namespace wgtune {

// "scrape http://host:9586/metrics: HTTP 500: ..." or "...: exposition line 3: ...".
class ScrapeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Each exposed sample as Prometheus would store it, in the order of the exposition, each
// label set sorted and with `__name__`, `job` and `instance`. An exposed label clashing with
// a target label is renamed exported_<name> (exported_exported_<name> if that is taken too,
// as scrape.go resolves it). A series exposed twice keeps its first sample: Prometheus
// rejects the later ones as "duplicate sample for timestamp" and stores the first.
promql::Vector SamplesFromExposition(const Exposition& exposition, std::string_view job, std::string_view instance);

// The instance label Prometheus gives a target at this URL: "host:port", the default port
// made explicit ("http://h/metrics" → "h:80"), IPv6 bracketed ("[::1]:9586").
// Throws std::invalid_argument on a malformed URL.
std::string InstanceOf(std::string_view url);

struct ScrapeResult {
  promql::Vector samples;                  // SamplesFromExposition of the body
  std::vector<ExpositionFamily> families;  // HELP and TYPE, for reports
  double timestamp_seconds = 0;            // unix time when the request started
  double duration_seconds = 0;             // wall time of request and parse (scrape_duration_seconds)
};

// GETs `url` with `Accept: text/plain;version=0.0.4` (the format Prometheus falls back to,
// and the one ParseExposition reads) and the X-Prometheus-Scrape-Timeout-Seconds header
// Prometheus sends; labels the samples with `job` and InstanceOf(url).
ScrapeResult Scrape(const std::string& url, std::string_view job, const HttpOptions& http);

}  // namespace wgtune
