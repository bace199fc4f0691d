#include "advisor/sinks/alertmanager.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "advisor/sources/http_client.h"
#include "common/text.h"

namespace wgtune {

std::string FormatRfc3339Millis(double unix_seconds) {
  using namespace std::chrono;
  if (!std::isfinite(unix_seconds)) throw std::invalid_argument("alert time must be finite");
  sys_time<milliseconds> time{milliseconds(std::llround(unix_seconds * 1000))};
  sys_days day = floor<days>(time);  // floor, not truncation, so times before 1970 stay right
  year_month_day date(day);
  hh_mm_ss clock(time - day);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()), static_cast<int>(clock.subseconds().count()));
  return buffer;
}

std::string AlertsToJson(const std::vector<Alert>& alerts) {
  // ordered_json keeps the keys in the order Prometheus writes them, which makes the body
  // easy to compare with one captured from Prometheus.
  nlohmann::ordered_json body = nlohmann::ordered_json::array();
  for (const Alert& alert : alerts) {
    nlohmann::ordered_json entry;
    entry["labels"] = nlohmann::ordered_json::object();
    for (const auto& [name, value] : alert.labels) entry["labels"][name] = value;
    entry["annotations"] = nlohmann::ordered_json::object();
    for (const auto& [name, value] : alert.annotations) entry["annotations"][name] = value;
    if (alert.starts_at != 0) entry["startsAt"] = FormatRfc3339Millis(alert.starts_at);
    if (alert.ends_at != 0) entry["endsAt"] = FormatRfc3339Millis(alert.ends_at);
    if (!alert.generator_url.empty()) entry["generatorURL"] = alert.generator_url;
    body.push_back(std::move(entry));
  }
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void PostAlerts(const std::string& alertmanager_url, const std::vector<Alert>& alerts, const HttpOptions& http) {
  if (alerts.empty()) return;
  std::string url = JoinUrlPath(alertmanager_url, "/api/v2/alerts");
  HttpResponse response;
  try {
    response = HttpPost(url, AlertsToJson(alerts), "application/json", http);
  } catch (const HttpError& error) {
    throw AlertmanagerError(std::string("alertmanager: ") + error.what(), 0);
  }
  if (response.status < 200 || response.status > 299) {
    // Alertmanager's 400 body is a short JSON or text reason ("start time must be before
    // end time"); cap it anyway in case a proxy answers with a whole page.
    std::string reason(Trim(std::string_view(response.body).substr(0, 500)));
    throw AlertmanagerError("alertmanager: POST " + url + ": HTTP " + std::to_string(response.status) +
                                (reason.empty() ? "" : ": " + reason),
                            response.status);
  }
}

}  // namespace wgtune
