// Sending the advisor's findings to an Alertmanager, as Prometheus sends firing alerts.
//
// A rule that fires becomes an alert posted to Alertmanager's API v2 (POST /api/v2/alerts),
// so that the routes, silences, inhibitions and receivers already set up for Prometheus
// alerts apply to the advisor's too. The body is what Prometheus's notifier sends: a JSON
// array of alerts with labels, annotations, RFC 3339 start and end times and a generator URL.
// Alertmanager resolves an alert whose endsAt has passed, so a caller that re-posts every
// evaluation with endsAt a few intervals ahead (as Prometheus does) gets alerts that resolve
// by themselves when the rule stops firing.
//
// Contracts:
// - AlertsToJson is pure; PostAlerts opens its own connection and is reentrant.
// - PostAlerts throws AlertmanagerError for every failure: no response, or a status other
//   than 2xx (Alertmanager answers 400 with the reason for an invalid alert). A malformed
//   URL or timeout is the caller's error: std::invalid_argument.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "advisor/sources/http_client.h"

namespace wgtune {

class AlertmanagerError : public std::runtime_error {
 public:
  AlertmanagerError(const std::string& message, int status) : std::runtime_error(message), status_(status) {}
  // The HTTP status Alertmanager answered with; 0 when no response arrived.
  int status() const { return status_; }

 private:
  int status_;
};

struct Alert {
  std::map<std::string, std::string> labels;       // identify the alert; alertname at least
  std::map<std::string, std::string> annotations;  // summary, description, ...
  double starts_at = 0;                            // unix seconds; 0 = unset (omitted)
  double ends_at = 0;                              // unix seconds; 0 = unset (omitted)
  std::string generator_url;                       // "" = unset (omitted)
};

// Unix seconds as RFC 3339 in UTC with milliseconds: 1795600800.5 →
// "2026-11-25T10:00:00.500Z". Rounds to the nearest millisecond. Throws
// std::invalid_argument for a non-finite time.
std::string FormatRfc3339Millis(double unix_seconds);

// The body of POST /api/v2/alerts, compact, keys in Prometheus's order:
// [{"labels":{...},"annotations":{...},"startsAt":"...","endsAt":"...","generatorURL":"..."}].
// labels and annotations are always written ({} when empty); unset times and generator URL
// are left out, and Alertmanager fills them in (startsAt: now; endsAt: now + resolve_timeout).
// Invalid UTF-8 is replaced by U+FFFD rather than failing the whole batch.
std::string AlertsToJson(const std::vector<Alert>& alerts);

// POSTs AlertsToJson(alerts) to <alertmanager_url>/api/v2/alerts (the URL may carry a path
// prefix) as application/json. An empty batch sends nothing.
void PostAlerts(const std::string& alertmanager_url, const std::vector<Alert>& alerts, const HttpOptions& http);

}  // namespace wgtune
