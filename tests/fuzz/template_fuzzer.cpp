// The advisor's templates (advisor/rules/template.h): parsed, then executed over a finding's
// data, a query function and a library of named templates, as rule texts run. Found here first:
// the 13-byte `{{$:=0}}{{.}}` read freed memory (regressions/template/).
#include "advisor/rules/template.h"

#include "tests/fuzz/fuzz_target.h"

namespace {

wgtune::promql::Vector Query(const std::string& expr) {
  if (expr.empty()) throw std::runtime_error("empty query");
  if (expr == "empty") return {};
  return {{{{"__name__", "wgtune_cpus"}, {"device", "eth0"}, {"queue", "2"}}, 4},
          {{{"__name__", "wgtune_cpus"}, {"device", "eth0"}, {"queue", "10"}}, 0.5}};
}

const wgtune::TemplateLibrary& Library() {
  static const wgtune::TemplateLibrary library = [] {
    wgtune::TemplateLibrary named;
    named.emplace("dot", wgtune::Template("{{ . }}"));
    named.emplace("loop", wgtune::Template("{{ template \"loop\" . }}"));
    named.emplace("mask", wgtune::Template("{{ cpumask 4 }} {{ $labels.device }}"));
    return named;
  }();
  return library;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  std::optional<Template> parsed;
  if (!fuzz::Parses<TemplateError>([&] { parsed.emplace(fuzz::Text(data, size)); })) return 0;
  parsed->FunctionNames();
  parsed->TemplateNames();
  parsed->LiteralQueries();
  TemplateData finding;
  finding.labels = {{"device", "eth0"}, {"instance", "host:10050"}, {"queue", "2"}};
  finding.value = 0.97;
  finding.params = {{"threshold", 0.9}, {"mode", std::string("auto")}};
  fuzz::Parses<TemplateError>([&] { parsed->Execute(finding, Query, &Library()); });
  return 0;
}
