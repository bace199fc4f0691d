#include "advisor/sources/prometheus_api.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/duration.h"
#include "advisor/sources/http_client.h"
#include "common/text.h"

namespace wgtune {
namespace {

using nlohmann::json;

std::string_view OperatorText(promql::MatchOp op) {
  switch (op) {
    case promql::MatchOp::kEqual: return "=";
    case promql::MatchOp::kNotEqual: return "!=";
    case promql::MatchOp::kRegexMatch: return "=~";
    case promql::MatchOp::kRegexNoMatch: return "!~";
  }
  return "=";
}


[[noreturn]] void Malformed(std::string_view why) {
  throw PrometheusApiError("malformed query response: " + std::string(why));
}

// Go's strconv.FormatFloat writes "NaN", "+Inf", "-Inf"; from_chars takes all but the "+".
double ParseSampleValue(const json& value) {
  if (!value.is_string()) Malformed("sample value is not a string");
  std::string_view text = value.get_ref<const std::string&>();
  if (StartsWith(text, "+")) text.remove_prefix(1);
  std::optional<double> number = ParseDouble(text);
  if (!number) Malformed("invalid sample value \"" + value.get<std::string>() + "\"");
  return *number;
}

// [timestamp, "value"]: the timestamp is the evaluation time, which the caller knows.
double ParsePoint(const json& point) {
  if (!point.is_array() || point.size() != 2) Malformed("a sample value must be [time, \"value\"]");
  return ParseSampleValue(point[1]);
}

promql::Labels ParseMetric(const json& metric) {
  if (!metric.is_object()) Malformed("\"metric\" is not an object");
  promql::Labels labels;
  labels.reserve(metric.size());
  for (const auto& [name, value] : metric.items()) {
    if (!value.is_string()) Malformed("label " + name + " is not a string");
    if (value.get_ref<const std::string&>().empty()) continue;
    labels.emplace_back(name, value.get<std::string>());
  }
  std::sort(labels.begin(), labels.end());
  return labels;
}

const json& Member(const json& object, const char* name) {
  if (!object.is_object()) Malformed(std::string("no \"") + name + "\": not an object");
  auto it = object.find(name);
  if (it == object.end()) Malformed(std::string("no \"") + name + "\"");
  return *it;
}

std::string StringMember(const json& object, const char* name) {
  const json& member = Member(object, name);
  if (!member.is_string()) Malformed(std::string("\"") + name + "\" is not a string");
  return member.get<std::string>();
}

// errorType and error of an error body; "" for whatever is missing or not a string, so that a
// strange error body still yields a message rather than a JSON exception.
std::string ErrorText(const json& body) {
  auto text = [&](const char* name) {
    auto it = body.find(name);
    return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  return text("errorType") + ": " + text("error");
}

// Prometheus answers 400, 422 and 503 with an error body worth more than the status, so the
// body is tried first; anything else is reported by status with the start of the body.
[[noreturn]] void FailHttp(const HttpResponse& response) {
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  auto status = body.find("status");  // end() for anything but an object
  if (status != body.end() && *status == "error") {
    throw PrometheusApiError("HTTP " + std::to_string(response.status) + ": " + ErrorText(body));
  }
  std::string start(Trim(std::string_view(response.body).substr(0, 200)));
  throw PrometheusApiError("HTTP " + std::to_string(response.status) + (start.empty() ? "" : ": " + start));
}

// GETs `url` and parses the body with `parse`; every failure becomes a PrometheusApiError
// that starts with `context` (the server and the query).
template <typename Parse>
auto GetApi(const std::string& url, const std::string& context, const HttpOptions& http, Parse parse) {
  try {
    HttpResponse response = HttpGet(url, http);
    if (response.status != 200) {
      try {
        FailHttp(response);
      } catch (const PrometheusApiError& error) {
        if (response.status >= 502 && response.status <= 504) throw PrometheusUnavailableError(context + error.what());
        throw;
      }
    }
    return parse(response.body);
  } catch (const HttpError& error) {
    throw PrometheusUnavailableError(context + error.what());
  } catch (const PrometheusUnavailableError&) {
    throw;
  } catch (const PrometheusApiError& error) {
    throw PrometheusApiError(context + error.what());
  }
}

}  // namespace

std::string FormatSelector(const std::vector<promql::LabelMatcher>& matchers) {
  std::string out = "{";
  for (size_t i = 0; i < matchers.size(); ++i) {
    if (i > 0) out += ',';
    out += matchers[i].name;
    out += OperatorText(matchers[i].op);
    out += GoQuote(matchers[i].value);
  }
  out += '}';
  return out;
}

promql::Vector ParseQueryResponse(std::string_view text) {
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) Malformed("not JSON");
  std::string status = StringMember(body, "status");
  if (status == "error") {
    throw PrometheusApiError(ErrorText(body));
  }
  if (status != "success") Malformed("status \"" + status + "\"");
  const json& data = Member(body, "data");
  std::string type = StringMember(data, "resultType");
  const json& result = Member(data, "result");
  if (type == "scalar") return promql::Vector{promql::Sample{{}, ParsePoint(result)}};
  if (type != "vector") Malformed("result type \"" + type + "\", want vector or scalar");
  if (!result.is_array()) Malformed("\"result\" is not an array");
  promql::Vector vector;
  vector.reserve(result.size());
  for (const json& series : result) {
    promql::Labels labels = ParseMetric(Member(series, "metric"));
    if (!series.contains("value") && series.contains("histogram")) {
      // Prometheus 2.40+ native histograms have no float value; no rule reads them.
      Malformed("native histogram samples are not supported");
    }
    vector.push_back(promql::Sample{std::move(labels), ParsePoint(Member(series, "value"))});
  }
  return vector;
}

std::string FormatQueryTime(double time_seconds) {
  if (!std::isfinite(time_seconds)) throw std::invalid_argument("evaluation time must be finite");
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, time_seconds, std::chars_format::fixed, 3);
  return std::string(buffer, result.ptr);
}

promql::Vector QueryInstant(const std::string& base_url, std::string_view query, double time_seconds,
                            const HttpOptions& http) {
  std::string url = JoinUrlPath(base_url, "/api/v1/query") + "?query=" + UrlEncode(query) +
                    "&time=" + FormatQueryTime(time_seconds);
  std::string context = "prometheus " + base_url + ": query " + std::string(query) + ": ";
  return GetApi(url, context, http, ParseQueryResponse);
}

promql::Matrix ParseRangeQueryResponse(std::string_view text) {
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) Malformed("not JSON");
  std::string status = StringMember(body, "status");
  if (status == "error") throw PrometheusApiError(ErrorText(body));
  if (status != "success") Malformed("status \"" + status + "\"");
  const json& data = Member(body, "data");
  std::string type = StringMember(data, "resultType");
  if (type != "matrix") Malformed("result type \"" + type + "\", want matrix");
  const json& result = Member(data, "result");
  if (!result.is_array()) Malformed("\"result\" is not an array");
  promql::Matrix matrix;
  matrix.reserve(result.size());
  for (const json& series : result) {
    promql::Series out{ParseMetric(Member(series, "metric")), {}};
    if (!series.contains("values") && series.contains("histograms")) {
      Malformed("native histogram samples are not supported");
    }
    const json& values = Member(series, "values");
    if (!values.is_array()) Malformed("\"values\" is not an array");
    out.points.reserve(values.size());
    for (const json& point : values) {
      if (!point.is_array() || point.size() != 2 || !point[0].is_number()) {
        Malformed("a range point must be [time, \"value\"]");
      }
      out.points.push_back(promql::Point{promql::ToTimestamp(point[0].get<double>()), ParseSampleValue(point[1])});
    }
    matrix.push_back(std::move(out));
  }
  return matrix;
}

promql::Matrix QueryRange(const std::string& base_url, std::string_view query, double start_seconds,
                          double end_seconds, double step_seconds, const HttpOptions& http) {
  if (!(step_seconds > 0)) throw std::invalid_argument("range query step must be positive");
  std::string url = JoinUrlPath(base_url, "/api/v1/query_range") + "?query=" + UrlEncode(query) +
                    "&start=" + FormatQueryTime(start_seconds) + "&end=" + FormatQueryTime(end_seconds) +
                    "&step=" + FormatQueryTime(step_seconds);
  std::string context = "prometheus " + base_url + ": range query " + std::string(query) + ": ";
  return GetApi(url, context, http, ParseRangeQueryResponse);
}

promql::Matrix QueryRangeSelector(const std::string& base_url, const std::string& selector, double range_seconds,
                                  double time_seconds, const HttpOptions& http) {
  const std::string query = selector + "[" + FormatPrometheusDuration(range_seconds) + "]";
  std::string url =
      JoinUrlPath(base_url, "/api/v1/query") + "?query=" + UrlEncode(query) + "&time=" + FormatQueryTime(time_seconds);
  std::string context = "prometheus " + base_url + ": query " + query + ": ";
  return GetApi(url, context, http, ParseRangeQueryResponse);
}

template <typename Query>
auto PrometheusApiSource::Guarded(Query query) {
  {
    std::lock_guard lock(mutex_);
    if (!unavailable_.empty()) throw PrometheusUnavailableError(unavailable_);
  }
  try {
    return query();
  } catch (const PrometheusUnavailableError& error) {
    std::lock_guard lock(mutex_);
    if (unavailable_.empty()) unavailable_ = error.what();
    throw;
  }
}

std::string PrometheusApiSource::unavailable() const {
  std::lock_guard lock(mutex_);
  return unavailable_;
}

promql::Vector PrometheusApiSource::Select(const std::vector<promql::LabelMatcher>& matchers, promql::Timestamp time) {
  return Guarded([&] { return QueryInstant(base_url_, FormatSelector(matchers), static_cast<double>(time) / 1000, http_); });
}

promql::Matrix PrometheusApiSource::SelectRange(const std::vector<promql::LabelMatcher>& matchers,
                                                promql::Timestamp time, promql::Timestamp range) {
  return Guarded([&] {
    return QueryRangeSelector(base_url_, FormatSelector(matchers), static_cast<double>(range) / 1000,
                              static_cast<double>(time) / 1000, http_);
  });
}

std::vector<std::string> Instances(const std::string& base_url, std::string_view selector, double time_seconds,
                                   const HttpOptions& http) {
  std::string query = "count by (instance) (" + std::string(selector) + ")";
  std::vector<std::string> instances;
  for (const promql::Sample& sample : QueryInstant(base_url, query, time_seconds, http)) {
    for (const auto& [name, value] : sample.labels) {
      if (name == "instance") instances.push_back(value);  // empty values are already dropped
    }
  }
  std::sort(instances.begin(), instances.end());
  instances.erase(std::unique(instances.begin(), instances.end()), instances.end());
  return instances;
}

}  // namespace wgtune
