// Series from a Prometheus server, through its HTTP query API.
//
// When a Prometheus server already scrapes the hosts, the advisor evaluates its rules over
// what the server stores instead of scraping: the evaluator still does all the PromQL, and
// each selector it meets becomes one instant query (GET /api/v1/query) for exactly that
// selector at the evaluation time (a range selector returns the stored samples of its range). The server thus applies its own lookback and staleness
// handling, and the results are what `promtool query instant` would print. Pushing whole
// rule expressions to the server would be fewer round trips but would let two PromQL
// implementations disagree about the same rule; this way there is one.
//
// Contracts:
// - Every failure (no response, an HTTP error status, {"status":"error"}, a malformed body)
//   throws PrometheusApiError, whose message names the server and the query. A malformed
//   base URL or a non-positive timeout is the caller's error: std::invalid_argument.
// - PrometheusApiSource keeps no state between calls beyond its configuration, so Select may
//   be called from several threads at once.
// - The base URL may have a path prefix (http://host/prom); the API path is appended to it.
#pragma once

#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "advisor/promql/ast.h"
#include "advisor/promql/eval.h"
#include "advisor/promql/value.h"
#include "advisor/sources/http_client.h"

namespace wgtune {

class PrometheusApiError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The server gave no answer in time (down, refusing, too slow for the deadline) or said it is
// unavailable (502, 503, 504): an outage of the server, not a problem of the query.
class PrometheusUnavailableError : public PrometheusApiError {
 public:
  using PrometheusApiError::PrometheusApiError;
};

// The matchers as a PromQL selector in braces, in the given order:
// {__name__="x",device=~"eth.*"}. Values are quoted as PromQL double-quoted strings: \ " and
// newline escaped as \\ \" \n, other control characters as \r \t or \xNN, so that the server
// decodes exactly the value the parser produced. No matchers gives "{}", which Prometheus
// refuses; the evaluator always passes at least the metric name.
std::string FormatSelector(const std::vector<promql::LabelMatcher>& matchers);

// The instant query response body as a Vector: resultType "vector" gives one sample per
// result, labels from "metric" sorted and without empty values; "scalar" gives one sample
// without labels. Values may be "NaN", "+Inf" and "-Inf". Throws PrometheusApiError with
// "errorType: error" for {"status":"error"}, and on any other shape (matrix and string
// results, native histogram samples, malformed JSON). Warnings are ignored.
promql::Vector ParseQueryResponse(std::string_view json);

// The evaluation time as the API's `time` parameter: unix seconds with milliseconds, the
// resolution Prometheus stores ("1764064800.250").
std::string FormatQueryTime(double time_seconds);

// One instant query: GET <base_url>/api/v1/query?query=...&time=... .
promql::Vector QueryInstant(const std::string& base_url, std::string_view query, double time_seconds,
                            const HttpOptions& http);

// A body whose resultType is "matrix" (a range query, or an instant query of a range
// selector) as a Matrix: labels sorted and without empty values, as ParseQueryResponse, points
// in time order with the API's float seconds as milliseconds. Values may be "NaN", "+Inf"
// and "-Inf". Throws PrometheusApiError as ParseQueryResponse does: for {"status":"error"},
// any other result type, native histogram points ("histograms"), malformed JSON.
promql::Matrix ParseRangeQueryResponse(std::string_view json);

// One range query: GET <base_url>/api/v1/query_range?query=...&start=...&end=...&step=... .
// The server evaluates `query` at start, start+step, ... up to end, and refuses more than
// 11,000 points per series (its error is passed on). `step_seconds` must be positive.
promql::Matrix QueryRange(const std::string& base_url, std::string_view query, double start_seconds,
                          double end_seconds, double step_seconds, const HttpOptions& http);

// The samples of `selector` (FormatSelector's output) in [time - range, time], as the server
// stores them: GET <base_url>/api/v1/query?query=<selector>[<range>]&time=... .
promql::Matrix QueryRangeSelector(const std::string& base_url, const std::string& selector, double range_seconds,
                                  double time_seconds, const HttpOptions& http);

// Every selector the evaluator meets becomes one query for exactly that selector: an instant
// selector an instant query at the evaluation time (the server applies its lookback and
// staleness), a range selector the instant query of that selector with its range, whose
// samples the server returns as it stores them (the range functions are the evaluator's).
// Once the server has been found unavailable, every later Select throws that same error at
// once: an evaluation against a server that is down costs one timeout, not one per selector.
class PrometheusApiSource : public promql::SeriesSource {
 public:
  PrometheusApiSource(std::string base_url, HttpOptions http) : base_url_(std::move(base_url)), http_(std::move(http)) {}

  promql::Vector Select(const std::vector<promql::LabelMatcher>& matchers, promql::Timestamp time) override;
  promql::Matrix SelectRange(const std::vector<promql::LabelMatcher>& matchers, promql::Timestamp time,
                             promql::Timestamp range) override;

  const std::string& base_url() const { return base_url_; }
  // The error that found the server unavailable; "" while it answers.
  std::string unavailable() const;

 private:
  template <typename Query>
  auto Guarded(Query query);

  std::string base_url_;
  HttpOptions http_;
  mutable std::mutex mutex_;
  std::string unavailable_;  // guarded by mutex_
};

// The distinct non-empty `instance` values among the series of `selector` (any PromQL
// expression, typically wgtune_exporter_build_info) at `time_seconds`, sorted: the hosts
// to evaluate the rules for one by one. One query, count by (instance) (<selector>), so the
// server sends one series per host however many the selector matches.
std::vector<std::string> Instances(const std::string& base_url, std::string_view selector, double time_seconds,
                                   const HttpOptions& http);

}  // namespace wgtune
