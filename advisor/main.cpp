// wgtune-advisor: evaluates the TOML rules over wgtune-exporter metrics and reports what to
// change on each host (check), keeps Alertmanager informed (run), writes the persistent form of
// the fixes (persist), checks rule files (lint), exports them for Prometheus (export
// prometheus-rules), answers one PromQL query over the same sources (query), the way the rules
// see them, and runs the guide's method (§7): the iperf3 baseline with the exporter's view
// (baseline) and the comparison table of configurations (compare).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "advisor/engine/alert_tracker.h"
#include "advisor/engine/lint.h"
#include "advisor/engine/metric_catalog.h"
#include "advisor/engine/rule_engine.h"
#include "advisor/promql/eval.h"
#include "advisor/promql/parser.h"
#include "advisor/rules/loader.h"
#include "advisor/sinks/alert_backlog.h"
#include "advisor/sinks/alertmanager.h"
#include "advisor/sinks/persistence.h"
#include "advisor/sinks/prometheus_rules.h"
#include "advisor/sinks/report.h"
#include "advisor/sinks/rules_doc.h"
#include "advisor/sources/fleet.h"
#include "advisor/sources/http_config.h"
#include "advisor/sources/prometheus_api.h"
#include "advisor/sources/targets.h"
#include "advisor/workflow/baseline_runner.h"
#include "advisor/workflow/comparison.h"
#include "advisor/workflow/prometheus_history.h"
#include "advisor/workflow/run_files.h"
#include "common/cli.h"
#include "common/condition_log.h"
#include "common/duration.h"
#include "common/logging.h"
#include "common/metric_set.h"
#include "common/metrics_server.h"
#include "common/stop_signals.h"
#include "common/text.h"

namespace wgtune {
namespace {

constexpr int kExitClean = 0;
constexpr int kExitFindings = 1;
constexpr int kExitError = 2;

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Options {
  std::string rules_dir;
  std::string params_file;
  std::vector<std::string> targets;
  std::string prometheus;
  double scrape_timeout = 10;
  std::string format = "text";
  double wait_for_rates = 30;
  std::string window;  // --window: "" for the default
  std::vector<std::string> alertmanagers;
  double interval = 30;
  std::vector<std::string> listen_addresses = {":10051"};
  std::string web_config_file;
  std::string telemetry_path = "/metrics";
  std::string runbook_base_url = WGTUNE_RUNBOOK_URL;
  std::string external_url;
  std::string query;
  double query_time = 0;
  std::string output_dir;
  // compare
  std::vector<std::string> runs;
  std::string compare_format = "markdown";
  std::string since = "6h", range_start, range_end, step = "15s";
  std::vector<std::string> compare_instances;
  // baseline
  std::string baseline_server;
  int baseline_port = 5201;
  std::string baseline_target;
  int baseline_seconds = 30;
  std::vector<std::string> baseline_scenarios;
  std::string baseline_out;
  std::string baseline_iperf3 = "iperf3";
  std::string baseline_sample_interval = "1s", baseline_exporter_interval;  // "": as the exporter publishes it
  std::string log_level = "info";
  std::string log_format = "logfmt";
  // Client configuration files (Prometheus's http_config), one per kind of peer, and the
  // request options made of them and --scrape.timeout.
  std::string prometheus_http_config, alertmanager_http_config, target_http_config;
  HttpOptions prometheus_http, alertmanager_http, target_http;
};

// Each kind of peer's request options: --scrape.timeout and its --*.http-config-file, read and
// checked now (a bad file is an error before anything runs).
void LoadHttpConfigs(Options& options) {
  auto load = [&](const char* flag, const std::string& path) {
    if (path.empty()) return HttpOptions(options.scrape_timeout);
    try {
      return HttpOptions(options.scrape_timeout, std::make_shared<const HttpClientConfig>(LoadHttpClientConfigFile(path)));
    } catch (const HttpConfigError& error) {
      throw CLI::ValidationError(flag, error.what());
    }
  };
  options.prometheus_http = load("--prometheus.http-config-file", options.prometheus_http_config);
  options.alertmanager_http = load("--alertmanager.http-config-file", options.alertmanager_http_config);
  options.target_http = load("--target.http-config-file", options.target_http_config);
}

constexpr const char* kHttpConfigHelp =
    " client configuration: a file in Prometheus's http_config format (basic_auth, authorization, tls_config...)";

// --rules, else the installed rules, else ./rules (a source checkout).
std::string RulesDirectory(const Options& options) {
  if (!options.rules_dir.empty()) return options.rules_dir;
  if (std::filesystem::is_directory(WGTUNE_RULES_DIR)) return WGTUNE_RULES_DIR;
  return "rules";
}

RuleSet LoadRules(const Options& options) {
  RuleSet set = LoadRuleDirectory(RulesDirectory(options));
  if (!options.params_file.empty()) ApplyParamOverrides(set.rules, options.params_file);
  return set;
}

double Seconds(const std::string& text) { return *ParsePrometheusDuration(text); }

void AddSourceOptions(CLI::App& command, Options& options, std::string& scrape_timeout) {
  // One value per flag, accumulated: so that a positional argument (the query's expression,
  // which may start with '-') is never taken as one more target.
  auto* target = command.add_option("--target", options.targets,
                                    "Exporter to scrape directly: host:port or URL (repeatable); the default source")
                     ->allow_extra_args(false);
  auto* prometheus = command.add_option("--prometheus", options.prometheus,
                                        "Prometheus server to evaluate through (its HTTP API), for a whole fleet");
  target->excludes(prometheus);
  command.add_option("--target.http-config-file", options.target_http_config, std::string("The exporters'") + kHttpConfigHelp)
      ->excludes(prometheus);
  command.add_option("--prometheus.http-config-file", options.prometheus_http_config,
                     std::string("The Prometheus server's") + kHttpConfigHelp)
      ->excludes(target);
  command.add_option("--scrape.timeout", scrape_timeout, "Timeout of one scrape or API request, all of it")
      ->check(DurationValidator())
      ->capture_default_str();
}

// The commands that evaluate need somewhere to read hosts from.
void RequireSource(const Options& options, const std::string& command) {
  if (options.targets.empty() && options.prometheus.empty()) {
    throw CLI::ValidationError(command, "one of --target or --prometheus is required");
  }
}

// How the rules see one host in one evaluation.
struct HostView {
  std::string instance;
  promql::SeriesSource* source = nullptr;  // null when error is set
  std::string error;
  double time = 0;                         // the evaluation instant
  const RuleEngine* engine = nullptr;      // the rules, with this host's window
};

// One evaluation of every host of the configured source.
struct Evaluation {
  std::vector<HostReport> hosts;
  double time = 0;
};

Evaluation EvaluateViews(const std::vector<HostView>& views, double time) {
  Evaluation evaluation;
  evaluation.time = time;
  for (const HostView& view : views) {
    HostReport report;
    report.instance = view.instance;
    report.error = view.error;
    if (report.error.empty()) {
      HostEvaluation result = view.engine->Evaluate(*view.source, view.instance, view.time);
      report.findings = std::move(result.findings);
      report.failures = std::move(result.failures);
      report.not_judged = std::move(result.not_judged);
    }
    evaluation.hosts.push_back(std::move(report));
  }
  return evaluation;
}

// The rules with `window` (seconds) as every rule's $window, built once per distinct window.
class EnginesByWindow {
 public:
  explicit EnginesByWindow(const RuleSet& rules) : rules_(rules) {}
  const RuleEngine& For(std::optional<double> window) {
    const std::string key = window ? FormatPrometheusDuration(*window) : "";
    auto it = engines_.find(key);
    if (it == engines_.end()) {
      RuleSet rules = rules_;
      if (window) SetParamWhereDefined(rules.rules, "window", key);
      it = engines_.emplace(key, std::make_unique<RuleEngine>(rules)).first;
    }
    return *it->second;
  }

 private:
  const RuleSet& rules_;
  std::map<std::string, std::unique_ptr<RuleEngine>> engines_;
};

std::optional<double> WindowFlag(const Options& options) {
  if (options.window.empty()) return std::nullopt;
  return Seconds(options.window);
}

// The hosts of a Prometheus server, evaluated now over the window of --window (else the rules').
// A server that went away during the evaluation fails it as a whole (PrometheusUnavailableError)
// rather than as a failure of every rule that was still to ask: its hosts were not read.
// `http` may carry a deadline (run's next evaluation).
Evaluation EvaluatePrometheus(EnginesByWindow& engines, const Options& options, const HttpOptions& http) {
  const double now = UnixNow();
  PrometheusApiSource api(options.prometheus, http);
  FleetCache cache(api);
  std::vector<Host> hosts = PrometheusHosts(cache, options.prometheus, now, http);
  std::vector<HostView> views;
  for (Host& host : hosts) views.push_back({host.instance, host.source.get(), host.error, now, &engines.For(WindowFlag(options))});
  Evaluation evaluation = EvaluateViews(views, now);
  if (std::string why = api.unavailable(); !why.empty()) throw PrometheusUnavailableError(why);
  return evaluation;
}

// check and persist over --target: scrapes over one window (--window, else the exporter's
// sample interval: the guide's "sample, sleep 5, sample again, diff"), then each host evaluated
// at its newest sample. An exporter that publishes its sample times gives one sample per
// interval, each at its exact time: its window is exactly the span between them, so that two
// samples make an exact difference. Other targets are polled (four times a second) and
// evaluated over the window asked, as Prometheus evaluates over its scrapes. A just-started
// exporter (no answer yet) is waited for up to --wait-for-rates beyond the window.
Evaluation EvaluateTargetsOnce(EnginesByWindow& engines, const Options& options) {
  const std::optional<double> window_flag = WindowFlag(options);
  const double longest = std::max(window_flag.value_or(0), engines.For(std::nullopt).LongestRange());
  TargetSet targets(options.targets, promql::ToTimestamp(longest + 60), nullptr, options.target_http);
  auto wanted = [&](const TargetHost& host) { return window_flag.value_or(host.sample_interval.value_or(5)); };
  // A span within 5 % of the window is the window: exporter samples are taken an interval apart
  // give or take a millisecond.
  auto ready = [&](const TargetHost& host) { return host.scraped && host.HistorySeconds() >= 0.95 * wanted(host); };
  targets.ScrapeAll();
  double longest_wanted = 0;
  for (const TargetHost& host : targets.hosts()) longest_wanted = std::max(longest_wanted, wanted(host));
  const double deadline = UnixNow() + longest_wanted + options.wait_for_rates;
  for (;;) {
    bool all_ready = true;
    for (const TargetHost& host : targets.hosts()) all_ready = all_ready && ready(host);
    if (all_ready || UnixNow() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    targets.ScrapeIf([&](const TargetHost& host) { return !ready(host); });
  }
  std::vector<HostView> views;
  double newest = 0;
  for (TargetHost& host : targets.hosts()) {
    HostView view{host.instance, host.history.get(), host.error, 0, nullptr};
    if (!host.scraped) {
      view.source = nullptr;
    } else {
      view.error.clear();  // read before; a later failed scrape leaves the window shorter
      view.time = static_cast<double>(host.history->times().back()) / 1000;
      newest = std::max(newest, view.time);
      const double span = host.HistorySeconds();
      view.engine = &engines.For(host.exporter_sample_times && span > 0 ? std::optional<double>(span)
                                                                         : std::optional<double>(wanted(host)));
    }
    views.push_back(std::move(view));
  }
  return EvaluateViews(views, newest > 0 ? newest : UnixNow());
}

Evaluation EvaluateOnce(EnginesByWindow& engines, const Options& options) {
  return options.prometheus.empty() ? EvaluateTargetsOnce(engines, options)
                                    : EvaluatePrometheus(engines, options, options.prometheus_http);
}

int Check(const Options& options) {
  RequireSource(options, "check");
  const RuleSet rules = LoadRules(options);
  EnginesByWindow engines(rules);
  Evaluation evaluation = EvaluateOnce(engines, options);
  if (options.format == "json") {
    std::cout << JsonReport(evaluation.hosts);
  } else if (options.format == "markdown") {
    std::cout << MarkdownReport(evaluation.hosts);
  } else {
    std::cout << TextReport(evaluation.hosts);
  }
  if (!options.prometheus.empty() && evaluation.hosts.empty()) {
    std::cerr << "wgtune-advisor: " << options.prometheus << " has no wgtune_scrape_collector_success series: no wgtune-exporter host to check\n";
    return kExitError;
  }
  int code = kExitClean;
  for (const HostReport& host : evaluation.hosts) {
    if (!host.error.empty() || !host.failures.empty()) return kExitError;
    if (!IsTuned(host)) code = kExitFindings;
  }
  return code;
}

// The persistence files of every host read: printed with a header line each, or written
// under DIR/<instance>/ with the host's paths below it, for review.
int Persist(const Options& options) {
  RequireSource(options, "persist");
  const RuleSet rules = LoadRules(options);
  EnginesByWindow engines(rules);
  Evaluation evaluation = EvaluateOnce(engines, options);
  int code = kExitClean;
  for (const HostReport& host : evaluation.hosts) {
    if (!host.error.empty()) {
      std::cerr << "wgtune-advisor: " << host.instance << ": not read: " << host.error << "\n";
      code = kExitError;
      continue;
    }
    auto files = PersistenceFiles(PlanPersistence(host.findings), host.instance);
    if (files.empty()) std::cerr << "wgtune-advisor: " << host.instance << ": nothing to persist\n";
    for (const auto& [path, content] : files) {
      if (options.output_dir.empty()) {
        std::cout << "# ==> " << host.instance << " " << path << " <==\n" << content << "\n";
        continue;
      }
      std::filesystem::path target = std::filesystem::path(options.output_dir) / host.instance /
                                     std::filesystem::path(path).relative_path();
      std::filesystem::create_directories(target.parent_path());
      std::ofstream out(target);
      out << content;
      out.close();
      if (!out) throw std::runtime_error("cannot write " + target.string());
      if (content.rfind("#!", 0) == 0) {
        std::filesystem::permissions(target, std::filesystem::perms::owner_exec | std::filesystem::perms::group_exec |
                                                 std::filesystem::perms::others_exec,
                                     std::filesystem::perm_options::add);
      }
      std::cerr << "wgtune-advisor: wrote " << target.string() << "\n";
    }
  }
  return code;
}

int Lint(const Options& options) {
  const std::string dir = RulesDirectory(options);
  std::vector<std::string> problems;
  size_t rule_count = 0;
  try {
    RuleSet set = LoadRules(options);
    rule_count = set.rules.size();
    problems = LintRules(set, ExporterMetricNames());
  } catch (const RuleError& error) {
    problems.push_back(error.what());
  }
  for (const std::string& problem : problems) std::cerr << problem << "\n";
  if (!problems.empty()) return kExitError;
  std::cout << dir << ": " << rule_count << " rules, no problems\n";
  return kExitClean;
}

int ExportPrometheusRules(const Options& options) {
  RuleSet rules = LoadRules(options);
  if (std::optional<double> window = WindowFlag(options)) {
    SetParamWhereDefined(rules.rules, "window", FormatPrometheusDuration(*window));
  }
  RuleEngine engine(rules);
  std::cout << PrometheusRulesYaml(engine, options.runbook_base_url);
  return kExitClean;
}

// Prometheus's /api/v1/query answer, so that tools (and our differential test) read both alike.
int Query(const Options& options) {
  const double time = options.query_time > 0 ? options.query_time : UnixNow();
  std::unique_ptr<promql::Expr> tree = promql::ParseExpr(options.query);
  promql::Value result;
  if (!options.prometheus.empty()) {
    PrometheusApiSource source(options.prometheus, options.prometheus_http);
    result = promql::Evaluate(*tree, source, time);
  } else {
    promql::Vector all;
    TargetSet targets(options.targets, 0, nullptr, options.target_http);
    targets.ScrapeAll();
    for (TargetHost& host : targets.hosts()) {
      if (!host.error.empty()) throw std::runtime_error(host.instance + ": " + host.error);
      promql::Vector samples = host.history->Select({}, host.history->times().back());
      all.insert(all.end(), samples.begin(), samples.end());
    }
    // One scrape of each target, taken as of the evaluation instant.
    promql::MemorySource source(std::move(all));
    result = promql::Evaluate(*tree, source, time);
  }
  auto value_text = [](double value) {
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", value);
    return std::string(text);
  };
  auto metric = [](const promql::Labels& labels) {
    nlohmann::json metric = nlohmann::json::object();
    for (const auto& [name, value] : labels) metric[name] = value;
    return metric;
  };
  nlohmann::json series = nlohmann::json::array();
  std::string type = "vector";
  if (result.type == promql::ValueType::kMatrix) {
    type = "matrix";
    for (const promql::Series& one : result.matrix) {
      nlohmann::json values = nlohmann::json::array();
      for (const promql::Point& point : one.points) values.push_back({static_cast<double>(point.t) / 1000, value_text(point.v)});
      series.push_back({{"metric", metric(one.labels)}, {"values", values}});
    }
  } else if (result.type == promql::ValueType::kScalar) {
    series.push_back({{"metric", nlohmann::json::object()}, {"value", {time, value_text(result.scalar)}}});
  } else if (result.type == promql::ValueType::kVector) {
    for (const promql::Sample& sample : result.vector) {
      series.push_back({{"metric", metric(sample.labels)}, {"value", {time, value_text(sample.value)}}});
    }
  } else {
    throw promql::EvalError("position 0: a string is not a vector");
  }
  std::cout << nlohmann::json{{"status", "success"}, {"data", {{"resultType", type}, {"result", series}}}}.dump()
            << "\n";
  return kExitClean;
}

// The guide's comparison table (§7.1): from baseline run directories, in the order given, or
// from a Prometheus server's history, one row per host and interval of constant configuration.
int Compare(const Options& options) {
  std::vector<ComparisonRow> rows;
  if (!options.runs.empty()) {
    rows = ReadRunDirectories(options.runs);
    AssignChanges(rows);
  } else if (!options.prometheus.empty()) {
    auto time_argument = [](const std::string& flag, const std::string& text) {
      std::optional<double> time = ParseTimeArgument(text);
      if (!time) throw CLI::ValidationError(flag, "not an RFC 3339 time or unix seconds: " + text);
      return *time;
    };
    HistoryRange range;
    range.base_url = options.prometheus;
    range.end = options.range_end.empty() ? UnixNow() : time_argument("--end", options.range_end);
    range.start = options.range_start.empty() ? range.end - Seconds(options.since)
                                              : time_argument("--start", options.range_start);
    range.step = Seconds(options.step);
    range.instances = options.compare_instances;
    range.http = options.prometheus_http;
    if (!(range.step > 0)) throw CLI::ValidationError("--step", "must be positive");
    if (!(range.end > range.start)) throw CLI::ValidationError("--start", "must be before --end");
    rows = ReadPrometheusHistory(range);
  } else {
    throw CLI::ValidationError("compare", "one of --runs or --prometheus is required");
  }
  std::cout << (options.compare_format == "json" ? JsonComparison(rows) : MarkdownComparison(rows));
  return kExitClean;
}

// The guide's iperf3 scenarios (§2.1), each with the exporter's view while it ran: one line per
// scenario as it finishes, one run file per scenario under --out. Exit 2 if any failed.
int Baseline(const Options& options) {
  BaselineOptions baseline;
  baseline.server = options.baseline_server;
  baseline.port = options.baseline_port;
  baseline.seconds = options.baseline_seconds;
  baseline.scenarios = options.baseline_scenarios;
  baseline.out_dir = options.baseline_out;
  baseline.iperf3 = options.baseline_iperf3;
  if (!options.baseline_target.empty()) baseline.target = options.baseline_target;
  baseline.target_http_config = options.target_http.config;
  baseline.sample_interval = Seconds(options.baseline_sample_interval);
  if (!options.baseline_exporter_interval.empty()) {
    baseline.exporter_interval = Seconds(options.baseline_exporter_interval);
    if (!(*baseline.exporter_interval > 0)) throw CLI::ValidationError("--exporter.sample-interval", "must be positive");
  }
  if (!(baseline.sample_interval > 0)) throw CLI::ValidationError("--sample.interval", "must be positive");
  bool failed = false;
  RunBaseline(baseline, [&](const ScenarioOutcome& outcome) {
    if (outcome.run) {
      std::cout << BaselineRunLine(*outcome.run) << std::endl;
      std::cerr << "wgtune-advisor: wrote " << outcome.file << "\n";
    } else {
      std::cout << outcome.scenario << ": FAILED: " << outcome.error << std::endl;
      failed = true;
    }
  });
  return failed ? kExitError : kExitClean;
}

// The advisor's own /metrics after an evaluation.
std::string RenderAdvisorMetrics(const RuleEngine& engine, const AlertTracker& tracker, const Evaluation& evaluation,
                                 double duration, const std::map<std::string, std::pair<double, double>>& notifications,
                                 const std::map<std::string, double>& rule_failures, double evaluations) {
  MetricSet out;
  out.Gauge("wgtune_advisor_build_info", "A metric with a constant value 1 labeled by version and revision of wgtune-advisor.")
      .Add({{"version", WGTUNE_VERSION}, {"revision", WGTUNE_REVISION}}, 1);
  out.Gauge("wgtune_advisor_rules", "Rules loaded.").Add({}, static_cast<double>(engine.rules().size()));
  std::map<std::pair<std::string, std::string>, std::array<double, 2>> counts;  // (rule, severity) → pending, firing
  for (const CompiledRule& compiled : engine.rules()) counts[{compiled.rule.id, std::string(SeverityName(compiled.rule.severity))}];
  Family finding = out.Gauge("wgtune_advisor_finding",
                             "A pending or firing finding, labeled by rule, severity, state and the object's labels; value 1.");
  for (const auto& [key, tracked] : tracker.alerts()) {
    if (tracked.state == AlertState::kResolved) continue;
    const bool firing = tracked.state == AlertState::kFiring;
    const std::string severity(SeverityName(tracked.finding.severity));
    counts[{tracked.finding.rule, severity}][firing ? 1 : 0] += 1;
    Labels labels = {{"rule", tracked.finding.rule}, {"severity", severity}, {"state", firing ? "firing" : "pending"}};
    for (const auto& [name, value] : tracked.finding.labels) labels.push_back({name, value});
    finding.Add(std::move(labels), 1);
  }
  Family findings = out.Gauge("wgtune_advisor_findings", "Findings per rule, severity and state (pending until the rule's for has passed).");
  for (const auto& [key, count] : counts) {
    findings.Add({{"rule", key.first}, {"severity", key.second}, {"state", "pending"}}, count[0]);
    findings.Add({{"rule", key.first}, {"severity", key.second}, {"state", "firing"}}, count[1]);
  }
  Family blind = out.Gauge("wgtune_advisor_not_judged",
                           "A rule that could not judge a host at the last evaluation, labeled by why (cause: "
                           "collector-failed, collector-missing, absent, blind, history); value 1.");
  for (const HostReport& host : evaluation.hosts) {
    for (const NotJudged& rule : host.not_judged) {
      blind.Add({{"instance", host.instance}, {"rule", rule.rule}, {"cause", rule.cause}}, 1);
    }
  }
  Family up = out.Gauge("wgtune_advisor_host_up", "Whether the host could be read at the last evaluation (1) or not (0).");
  for (const HostReport& host : evaluation.hosts) up.Add({{"instance", host.instance}}, host.error.empty() ? 1 : 0);
  out.Gauge("wgtune_advisor_evaluation_duration_seconds", "Time the last evaluation took, reading the hosts included.")
      .Add({}, duration);
  out.Gauge("wgtune_advisor_last_evaluation_timestamp_seconds", "Unix time of the last evaluation.").Add({}, evaluation.time);
  out.Counter("wgtune_advisor_evaluations_total", "Evaluations since the advisor started.").Add({}, evaluations);
  Family failures = out.Counter("wgtune_advisor_rule_failures_total", "Evaluations of a rule on a host that failed.");
  for (const CompiledRule& compiled : engine.rules()) {
    auto it = rule_failures.find(compiled.rule.id);
    failures.Add({{"rule", compiled.rule.id}}, it == rule_failures.end() ? 0 : it->second);
  }
  Family sent = out.Counter("wgtune_advisor_notifications_total", "Posts of alerts to an Alertmanager.");
  Family failed = out.Counter("wgtune_advisor_notifications_failed_total", "Posts of alerts to an Alertmanager that failed.");
  for (const auto& [url, count] : notifications) {
    sent.Add({{"alertmanager", url}}, count.first);
    failed.Add({{"alertmanager", url}}, count.second);
  }
  return RenderText(out.families());
}

// When the next scrape of the targets is due: once per exporter sample (the shortest interval
// any of them publishes, 5 s if none does), never less often than once per evaluation. Without
// targets (Prometheus scrapes), never before the evaluation.
std::chrono::steady_clock::time_point NextScrape(const TargetSet* targets, double interval) {
  double every = interval;
  if (targets != nullptr) {
    for (const TargetHost& host : targets->hosts()) every = std::min(every, host.sample_interval.value_or(5));
  }
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(every));
}

// The outages of run's peers: one line when a peer goes down ("alertmanager down", with the
// error that began it) and one when it is back ("alertmanager recovered", with how long it was
// gone); in between, whatever the errors say, only debug lines.
class PeerOutages {
 public:
  void Failed(const std::string& kind, const std::string& peer, const std::string& error) {
    log_.Begin(kind + " " + peer, kind + " down", {{kind, peer}}, error);
  }
  void Succeeded(const std::string& kind, const std::string& peer) {
    log_.End(kind + " " + peer, kind + " recovered", {{kind, peer}});
  }

 private:
  ConditionLog log_{{}, {.reason_changes_are_news = false, .duration_field = "down_for"}};
};

// run over --target: each host evaluated now over its own recent scrapes.
Evaluation EvaluateTargetsNow(TargetSet& targets, const RuleEngine& engine) {
  const double now = UnixNow();
  std::vector<HostView> views;
  for (TargetHost& host : targets.hosts()) {
    views.push_back({host.instance, host.scraped ? host.history.get() : nullptr, host.scraped ? "" : host.error, now, &engine});
  }
  return EvaluateViews(views, now);
}

int Run(const Options& options) {
  RequireSource(options, "run");
  RuleSet rules = LoadRules(options);
  // Every event between two evaluations counts: no rule looks at less than an interval.
  std::optional<double> window = WindowFlag(options);
  if (window && *window < options.interval) {
    throw CLI::ValidationError("--window", "must be at least --interval (" + FormatSeconds(options.interval) +
                                               "), or events between evaluations go unseen");
  }
  for (Rule& rule : rules.rules) {
    auto param = rule.params.find("window");
    if (param == rule.params.end() || !std::holds_alternative<std::string>(param->second)) continue;
    std::optional<double> seconds = ParsePrometheusDuration(std::get<std::string>(param->second));
    if (seconds && *seconds < options.interval) param->second = FormatPrometheusDuration(options.interval);
  }
  EnginesByWindow engines(rules);
  const RuleEngine& engine = engines.For(window);
  // Over --target, the advisor keeps the scrapes its rules' ranges need, one per exporter sample.
  std::unique_ptr<TargetSet> targets;
  if (!options.targets.empty()) {
    targets = std::make_unique<TargetSet>(options.targets,
                                          promql::ToTimestamp(engine.LongestRange() + 2 * options.interval + 10),
                                          engine.RangeSeriesFilter(), options.target_http);
    targets->set_parallel(true);  // a hung exporter must not hold the others or the schedule
  }
  StopSignals stop_signals;  // before any thread starts

  std::map<std::string, double> for_seconds;
  for (const CompiledRule& compiled : engine.rules()) for_seconds[compiled.rule.id] = compiled.rule.for_seconds;
  AlertTracker tracker({options.interval, 900, options.runbook_base_url, options.external_url});

  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  auto exposition = std::make_shared<const std::string>(
      "# wgtune-advisor: no evaluation yet\n");
  // A bad listen address or web configuration throws std::invalid_argument: Main's one line, exit 2.
  std::unique_ptr<MetricsServer> server = StartMetricsServer(
      options.listen_addresses,
      [&] {
        std::lock_guard lock(mutex);
        return exposition;
      },
      {options.telemetry_path, "wgtune advisor", "Findings of the wgtune rules, sent to Alertmanager.",
       options.web_config_file, HttpLimits{}},
      {{"rules", std::to_string(engine.rules().size())}, {"interval", FormatSeconds(options.interval)}});

  std::thread evaluating([&] {
    std::map<std::string, std::pair<double, double>> notifications;
    std::map<std::string, double> rule_failures;
    // Outages are logged when they begin and when they end, not at every evaluation.
    PeerOutages outages;
    std::map<std::string, AlertBacklog> backlogs;
    for (const std::string& url : options.alertmanagers) notifications[url];
    double evaluations = 0;
    using Clock = std::chrono::steady_clock;
    const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.interval));
    auto next_evaluation = Clock::now();
    std::unique_lock lock(mutex);
    while (!stopping) {
      lock.unlock();
      // No peer delays an evaluation past its interval: reading the hosts gets three quarters
      // of it, the posts to Alertmanager what is left until the next one is due; scrapes
      // between evaluations end before the next one is due.
      const bool due = Clock::now() >= next_evaluation;
      const auto reads_by = due ? next_evaluation + interval * 3 / 4 : next_evaluation;
      if (targets) {
        targets->set_not_after(reads_by);
        targets->ScrapeAll();
      }
      if (!due) {
        lock.lock();
        wake.wait_until(lock, std::min(next_evaluation, NextScrape(targets.get(), options.interval)),
                        [&] { return stopping; });
        continue;
      }
      next_evaluation += interval;
      // An evaluation that fell behind (a suspended host) starts the schedule again from now.
      if (next_evaluation < Clock::now()) next_evaluation = Clock::now() + interval;
      const auto started = Clock::now();
      Evaluation evaluation;
      try {
        evaluation = targets ? EvaluateTargetsNow(*targets, engine)
                             : EvaluatePrometheus(engines, options, options.prometheus_http.By(reads_by));
        if (!targets) outages.Succeeded("prometheus", options.prometheus);
      } catch (const PrometheusUnavailableError& error) {
        outages.Failed("prometheus", options.prometheus, error.what());
        evaluation.time = UnixNow();
      } catch (const std::exception& error) {
        Log(spdlog::level::err, "evaluation failed", {{"err", error.what()}});
        evaluation.time = UnixNow();
      }
      std::vector<Finding> findings;
      std::set<std::string> read;
      std::set<std::pair<std::string, std::string>> not_judged;
      for (HostReport& host : evaluation.hosts) {
        if (!host.error.empty()) {
          outages.Failed("host", host.instance, host.error);
          continue;
        }
        outages.Succeeded("host", host.instance);
        read.insert(host.instance);
        for (const NotJudged& blind : host.not_judged) not_judged.insert({blind.instance, blind.rule});
        for (const RuleFailure& failure : host.failures) {
          rule_failures[failure.rule] += 1;
          Log(spdlog::level::warn, "rule failed", {{"rule", failure.rule}, {"instance", failure.instance}, {"err", failure.message}});
        }
        findings.insert(findings.end(), host.findings.begin(), host.findings.end());
      }
      tracker.Update(findings, read, for_seconds, evaluation.time, not_judged);
      const std::vector<Alert> alerts = tracker.AlertsToSend(evaluation.time);
      // Every Alertmanager at once, each with its own backlog: one that hangs delays no other.
      const size_t count = options.alertmanagers.size();
      std::vector<std::vector<Alert>> batches(count);
      std::vector<std::string> errors(count);
      std::vector<std::thread> posts;
      const HttpOptions post_http = options.alertmanager_http.By(next_evaluation);
      for (size_t i = 0; i < count; ++i) {
        batches[i] = backlogs[options.alertmanagers[i]].Batch(alerts);
        if (batches[i].empty()) continue;
        posts.emplace_back([&, i] {
          try {
            PostAlerts(options.alertmanagers[i], batches[i], post_http);
          } catch (const std::exception& error) {
            errors[i] = error.what();
          }
        });
      }
      for (std::thread& post : posts) post.join();
      for (size_t i = 0; i < count; ++i) {
        if (batches[i].empty()) continue;
        const std::string& url = options.alertmanagers[i];
        notifications[url].first += 1;
        if (errors[i].empty()) {
          backlogs[url].Delivered();
          outages.Succeeded("alertmanager", url);
        } else {
          notifications[url].second += 1;
          backlogs[url].Failed(batches[i], UnixNow());
          outages.Failed("alertmanager", url, errors[i]);
        }
      }
      evaluations += 1;
      const double duration = std::chrono::duration<double>(Clock::now() - started).count();
      auto text = std::make_shared<const std::string>(
          RenderAdvisorMetrics(engine, tracker, evaluation, duration, notifications, rule_failures, evaluations));
      lock.lock();
      exposition = text;
      wake.wait_until(lock, std::min(next_evaluation, NextScrape(targets.get(), options.interval)),
                      [&] { return stopping; });
    }
  });
  stop_signals.Watch([&] {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    server->Stop();
  });
  server->Serve();
  stop_signals.StopAndJoin();
  evaluating.join();
  return kExitClean;
}

int Main(int argc, char** argv) {
  Options options;
  std::string scrape_timeout = "10s", wait_for_rates = "30s", interval = "30s";
  CLI::App app{"wgtune-advisor: finds what limits WireGuard throughput on each host and says how to fix it"};
  app.set_version_flag("--version", std::string("wgtune-advisor ") + WGTUNE_VERSION + " (" + WGTUNE_REVISION + ")");
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--rules", options.rules_dir, "Rules directory (default: " WGTUNE_RULES_DIR ", then ./rules)");
  app.add_option("--rules.params", options.params_file, "Site TOML overriding rule params: [params.<rule-id>]");
  AddLoggingOptions(app, options.log_level, options.log_format);
  app.add_option("--runbook.base-url", options.runbook_base_url, "Alerts' runbook_url is this plus #<rule id>")
      ->capture_default_str();

  CLI::App* check = app.add_subcommand("check", "Evaluate once and report findings; exit 0 nothing to fix, 1 findings, 2 error");
  AddSourceOptions(*check, options, scrape_timeout);
  check->add_option("--format", options.format, "text, json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}))
      ->capture_default_str();
  check->add_option("--window", options.window,
                    "With --target: how long to watch each exporter (default: its sample interval); with "
                    "--prometheus: the rules' window (default: theirs, 1m)")
      ->check(DurationValidator());
  check->add_option("--wait-for-rates", wait_for_rates,
                    "How long beyond the window to wait for a just-started exporter to answer")
      ->check(DurationValidator())
      ->capture_default_str();

  CLI::App* run = app.add_subcommand("run", "Evaluate every interval, post alerts to Alertmanager, serve /metrics");
  AddSourceOptions(*run, options, scrape_timeout);
  run->add_option("--alertmanager", options.alertmanagers, "Alertmanager base URL (repeatable: every one gets every alert)")
      ->allow_extra_args(false);
  run->add_option("--alertmanager.http-config-file", options.alertmanager_http_config,
                  std::string("The Alertmanagers'") + kHttpConfigHelp);
  run->add_option("--interval", interval, "Evaluation interval")->check(DurationValidator())->capture_default_str();
  run->add_option("--window", options.window,
                  "The rules' window, at least --interval (default: theirs, 1m, raised to --interval)")
      ->check(DurationValidator());
  run->add_option("--web.listen-address", options.listen_addresses,
                  "Addresses to serve /metrics on (repeatable; [::]:PORT for IPv6)")
      ->capture_default_str();
  run->add_option("--web.config.file", options.web_config_file,
                  "Path to a configuration file that can enable TLS or authentication (exporter-toolkit's format)");
  run->add_option("--web.telemetry-path", options.telemetry_path, "Path of the metrics")->capture_default_str();
  run->add_option("--web.external-url", options.external_url, "URL of this advisor, sent as the alerts' generatorURL");

  CLI::App* persist = app.add_subcommand(
      "persist", "Write the files that keep this host's fixes across reboots (sysctl.d, boot script and unit, NetBird MTU)");
  AddSourceOptions(*persist, options, scrape_timeout);
  persist->add_option("--output-dir", options.output_dir,
                      "Write the files under DIR/<instance>/ (with their host paths) instead of printing them");
  persist->add_option("--window", options.window, "As for check")->check(DurationValidator());
  persist->add_option("--wait-for-rates", wait_for_rates, "How long beyond the window to wait for a just-started exporter")
      ->check(DurationValidator())
      ->capture_default_str();

  CLI::App* lint = app.add_subcommand("lint", "Check rule files: TOML, expressions, templates, metric names; exit 2 on any problem");
  CLI::App* export_command = app.add_subcommand("export", "Export the rules for other tools");
  export_command->require_subcommand(1);
  CLI::App* prometheus_rules =
      export_command->add_subcommand("prometheus-rules", "The rules as a Prometheus alerting-rules YAML file");
  prometheus_rules->add_option("--window", options.window,
                               "The rules' window (default: theirs, 1m; at least 4 scrape intervals)")
      ->check(DurationValidator());
  CLI::App* rules_markdown =
      export_command->add_subcommand("rules-markdown", "The rules' runbook as Markdown (docs/rules.md)");

  CLI::App* query = app.add_subcommand("query", "Evaluate one PromQL expression as the rules see the data; JSON as Prometheus's API");
  AddSourceOptions(*query, options, scrape_timeout);
  query->add_option("expr", options.query, "PromQL expression")->required();
  query->add_option("--time", options.query_time, "Evaluation time, unix seconds (default: now)");

  CLI::App* compare = app.add_subcommand(
      "compare", "The guide's comparison table (§7.1) of configurations: from baseline run files or a Prometheus history");
  auto* compare_runs = compare->add_option("--runs", options.runs,
                                           "Baseline run directories (baseline --out), compared in this order");
  auto* compare_prometheus = compare->add_option("--prometheus", options.prometheus,
                                                 "Prometheus server whose history of the hosts to compare");
  compare_runs->excludes(compare_prometheus);
  compare->add_option("--prometheus.http-config-file", options.prometheus_http_config,
                      std::string("The Prometheus server's") + kHttpConfigHelp)
      ->excludes(compare_runs);
  compare->add_option("--format", options.compare_format, "markdown or json")
      ->check(CLI::IsMember({"markdown", "json"}))
      ->capture_default_str();
  auto* compare_since = compare->add_option("--since", options.since, "With --prometheus: the range starts this long before --end")
                            ->check(DurationValidator())
                            ->capture_default_str();
  compare->add_option("--start", options.range_start, "With --prometheus: range start, RFC 3339 or unix seconds")
      ->excludes(compare_since);
  compare->add_option("--end", options.range_end, "With --prometheus: range end, RFC 3339 or unix seconds (default: now)");
  compare->add_option("--step", options.step, "With --prometheus: range query resolution")
      ->check(DurationValidator())
      ->capture_default_str();
  compare->add_option("--instance", options.compare_instances, "With --prometheus: only this instance (repeatable)")
      ->allow_extra_args(false);
  compare->add_option("--scrape.timeout", scrape_timeout, "Timeout of one API request")
      ->check(DurationValidator())
      ->capture_default_str();

  CLI::App* baseline = app.add_subcommand(
      "baseline", "The guide's iperf3 scenarios (§2.1) with the exporter's view of each; one run file per scenario");
  std::vector<std::string> scenario_names;
  for (const BaselineScenario& scenario : BaselineScenarios()) scenario_names.emplace_back(scenario.name);
  baseline->add_option("--server", options.baseline_server, "iperf3 server (iperf3 -s) to measure against")->required();
  baseline->add_option("--port", options.baseline_port, "Its port")->check(CLI::Range(1, 65535))->capture_default_str();
  baseline->add_option("--target", options.baseline_target,
                       "Exporter of this host, scraped while each scenario runs: host:port or URL (default: none)");
  baseline->add_option("--target.http-config-file", options.target_http_config, std::string("The exporter's") + kHttpConfigHelp);
  baseline->add_option("--seconds", options.baseline_seconds, "Length of each scenario (iperf3 -t)")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  baseline->add_option("--scenario", options.baseline_scenarios, "Scenario to run (repeatable, in this order; default: all five)")
      ->check(CLI::IsMember(scenario_names))
      ->allow_extra_args(false);
  baseline->add_option("--out", options.baseline_out, "Directory of the run files (DIR/<scenario>.json)")->required();
  baseline->add_option("--iperf3", options.baseline_iperf3, "iperf3 binary")->capture_default_str();
  baseline->add_option("--sample.interval", options.baseline_sample_interval, "Time between scrapes of the exporter")
      ->check(DurationValidator())
      ->capture_default_str();
  baseline->add_option("--exporter.sample-interval", options.baseline_exporter_interval,
                       "The exporter's --sample.interval: how far back its rates reach (scrapes whose rates start "
                       "before the scenario are left out); default: as the exporter publishes it, else 5s")
      ->check(DurationValidator());

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return ExitForParseError(app, error, "wgtune-advisor");
  }
  options.scrape_timeout = Seconds(scrape_timeout);
  options.wait_for_rates = Seconds(wait_for_rates);
  options.interval = Seconds(interval);
  ConfigureLogging(options.log_level, options.log_format);
  try {
    LoadHttpConfigs(options);
    if (check->parsed()) return Check(options);
    if (run->parsed()) return Run(options);
    if (lint->parsed()) return Lint(options);
    if (persist->parsed()) return Persist(options);
    if (prometheus_rules->parsed()) return ExportPrometheusRules(options);
    if (rules_markdown->parsed()) {
      std::cout << RulesMarkdown(RuleEngine(LoadRules(options)));
      return kExitClean;
    }
    if (query->parsed()) return Query(options);
    if (baseline->parsed()) return Baseline(options);
    if (compare->parsed()) return Compare(options);
  } catch (const CLI::ValidationError& error) {
    std::cerr << "wgtune-advisor: " << error.what() << "\n";
    return kExitError;
  } catch (const std::exception& error) {
    std::cerr << "wgtune-advisor: " << error.what() << "\n";
    return kExitError;
  }
  return kExitError;
}

}  // namespace
}  // namespace wgtune

int main(int argc, char** argv) { return wgtune::Main(argc, argv); }
