#include "advisor/rules/loader.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "common/text.h"
#include "common/toml_file.h"

namespace wgtune {
namespace {

[[noreturn]] void Fail(const std::string& file, int64_t line, const std::string& id, const std::string& message) {
  std::string text = file + ":" + std::to_string(line) + ": ";
  if (!id.empty()) text += "rule " + id + ": ";
  throw RuleError(text + message);
}

int64_t LineOf(const toml::node& node) { return static_cast<int64_t>(node.source().begin.line); }
int64_t LineOf(const toml::key& key) { return static_cast<int64_t>(key.source().begin.line); }

std::string Quoted(std::string_view text) {
  std::string out = "\"";
  AppendEscaped(out, text);
  return out + "\"";
}

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    case toml::node_type::none: break;
  }
  return "none";
}

// Reads a file, or parses TOML text read from `path`; I/O and syntax errors become RuleErrors.
std::string ReadRuleFile(const std::string& path) {
  try {
    return ReadTomlFile(path);
  } catch (const TomlFileError& error) {
    throw RuleError(error.what());
  }
}

toml::table ParseRuleToml(std::string_view text, const std::string& path) {
  try {
    return ParseTomlText(text, path);
  } catch (const TomlFileError& error) {
    throw RuleError(error.what());
  }
}

std::string_view KindOf(const RuleParam& param) {
  return std::holds_alternative<double>(param) ? "number" : "string";
}

// A number or a string; nullopt for anything else.
std::optional<RuleParam> ToParam(const toml::node& node) {
  if (auto value = node.as_integer()) return RuleParam(static_cast<double>(value->get()));
  if (auto value = node.as_floating_point()) return RuleParam(value->get());
  if (auto value = node.as_string()) return RuleParam(value->get());
  return std::nullopt;
}

Rule ParseRule(const std::string& file, const toml::table& table) {
  Rule rule;
  rule.file = file;
  rule.line = LineOf(table);

  const toml::node* id_node = table.get("id");
  if (id_node == nullptr) Fail(file, rule.line, "", "rule has no id");
  if (!id_node->is_string()) Fail(file, LineOf(*id_node), "", "id must be a string, not " + std::string(TypeName(*id_node)));
  rule.id = id_node->as_string()->get();
  if (!IsKebabCase(rule.id)) {
    Fail(file, LineOf(*id_node), "",
         "id " + Quoted(rule.id) + " must be kebab-case (lowercase letters and digits joined by single hyphens)");
  }
  const std::string& id = rule.id;

  auto string_value = [&](const toml::node& node, std::string_view key) {
    if (!node.is_string()) {
      Fail(file, LineOf(node), id, std::string(key) + " must be a string, not " + std::string(TypeName(node)));
    }
    return node.as_string()->get();
  };

  bool have_severity = false, have_expr = false, have_summary = false, have_description = false,
       have_remediation = false;
  for (const auto& [key, node] : table) {
    const std::string_view name = key.str();
    if (name == "id") continue;
    if (name == "severity") {
      std::string value = string_value(node, name);
      if (value == "critical") rule.severity = Severity::kCritical;
      else if (value == "warning") rule.severity = Severity::kWarning;
      else if (value == "info") rule.severity = Severity::kInfo;
      else Fail(file, LineOf(node), id, "severity must be critical, warning or info, not " + Quoted(value));
      have_severity = true;
    } else if (name == "expr") {
      rule.expr = string_value(node, name);
      if (Trim(rule.expr).empty()) Fail(file, LineOf(node), id, "expr is empty");
      have_expr = true;
    } else if (name == "for") {
      std::string value = string_value(node, name);
      auto seconds = ParsePrometheusDuration(value);
      if (!seconds) {
        Fail(file, LineOf(node), id,
             "for must be a duration such as \"30s\", \"5m\" or \"1h30m\" (at most 292y), not " + Quoted(value));
      }
      rule.for_seconds = *seconds;
    } else if (name == "summary") {
      rule.summary = string_value(node, name);
      have_summary = true;
    } else if (name == "description") {
      rule.description = string_value(node, name);
      have_description = true;
    } else if (name == "remediation") {
      rule.remediation = string_value(node, name);
      have_remediation = true;
    } else if (name == "verify") {
      rule.verify = string_value(node, name);
    } else if (name == "guide") {
      rule.guide = string_value(node, name);
    } else if (name == "order") {
      auto value = node.as_integer();
      if (value == nullptr) Fail(file, LineOf(node), id, "order must be an integer, not " + std::string(TypeName(node)));
      rule.order = value->get();
    } else if (name == "needs") {
      const toml::array* needs = node.as_array();
      if (needs == nullptr) Fail(file, LineOf(node), id, "needs must be an array of PromQL strings, not " + std::string(TypeName(node)));
      for (const toml::node& need : *needs) rule.needs.push_back(string_value(need, "each of needs"));
    } else if (name == "cannot_judge") {
      const toml::array* list = node.as_array();
      if (list == nullptr || !list->is_array_of_tables()) {
        Fail(file, LineOf(node), id, "cannot_judge must be [[rule.cannot_judge]] tables with when and reason");
      }
      for (const toml::node& entry : *list) {
        const toml::table& table = *entry.as_table();
        CannotJudge blind;
        for (const auto& [entry_key, entry_node] : table) {
          if (entry_key.str() == "when") {
            blind.when = string_value(entry_node, "when");
          } else if (entry_key.str() == "reason") {
            blind.reason = string_value(entry_node, "reason");
          } else {
            Fail(file, LineOf(entry_key), id, "unknown key " + Quoted(entry_key.str()) + " in cannot_judge");
          }
        }
        if (blind.when.empty() || blind.reason.empty()) Fail(file, LineOf(entry), id, "cannot_judge needs when and reason");
        rule.cannot_judge.push_back(std::move(blind));
      }
    } else if (name == "params") {
      const toml::table* params = node.as_table();
      if (params == nullptr) Fail(file, LineOf(node), id, "params must be a table, not " + std::string(TypeName(node)));
      for (const auto& [param_key, param_node] : *params) {
        auto param = ToParam(param_node);
        if (!param) {
          Fail(file, LineOf(param_node), id,
               "param " + Quoted(param_key.str()) + " must be a number or a string, not " +
                   std::string(TypeName(param_node)));
        }
        rule.params.emplace(std::string(param_key.str()), std::move(*param));
      }
    } else {
      Fail(file, LineOf(key), id, "unknown key " + Quoted(name));
    }
  }

  auto require = [&](bool present, std::string_view key) {
    if (!present) Fail(file, rule.line, id, "missing required key " + Quoted(key));
  };
  require(have_severity, "severity");
  require(have_expr, "expr");
  require(have_summary, "summary");
  require(have_description, "description");
  require(have_remediation, "remediation");
  return rule;
}

void ParseTemplates(const std::string& file, const toml::node& node, RuleSet& set) {
  const toml::table* table = node.as_table();
  if (table == nullptr) Fail(file, LineOf(node), "", "templates must be a table of name = \"text\"");
  for (const auto& [key, value] : *table) {
    const std::string name(key.str());
    if (!value.is_string()) {
      Fail(file, LineOf(value), "", "template " + Quoted(name) + " must be a string, not " + std::string(TypeName(value)));
    }
    NamedTemplate named{name, value.as_string()->get(), file, LineOf(key)};
    auto [it, inserted] = set.templates.emplace(name, named);
    if (!inserted) {
      Fail(file, named.line, "",
           "template " + Quoted(name) + " defined twice, first at " + it->second.file + ":" + std::to_string(it->second.line));
    }
  }
}

void ParseRuleFile(const RuleFileText& source, RuleSet& set) {
  const std::string& file = source.path;
  std::vector<Rule>& rules = set.rules;
  toml::table root = ParseRuleToml(source.text, file);
  for (const auto& [key, node] : root) {
    if (key.str() == "templates") {
      ParseTemplates(file, node, set);
      continue;
    }
    if (key.str() != "rule") {
      Fail(file, LineOf(key), "",
           "unknown top-level key " + Quoted(key.str()) + " (rules are [[rule]] tables, shared texts a [templates] table)");
    }
    const toml::array* array = node.as_array();
    if (array == nullptr) Fail(file, LineOf(node), "", "rule must be an array of tables ([[rule]])");
    for (const toml::node& element : *array) {
      const toml::table* table = element.as_table();
      if (table == nullptr) Fail(file, LineOf(element), "", "rule must be an array of tables ([[rule]])");
      rules.push_back(ParseRule(file, *table));
    }
  }
}

}  // namespace

bool IsKebabCase(std::string_view id) {
  if (id.empty() || id.front() < 'a' || id.front() > 'z' || id.back() == '-') return false;
  char previous = 0;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && previous != '-');
    if (!ok) return false;
    previous = c;
  }
  return true;
}


RuleSet LoadRuleFiles(const std::vector<std::string>& paths) {
  std::vector<RuleFileText> files;
  for (const std::string& path : paths) files.push_back({path, ReadRuleFile(path)});
  return ParseRuleFiles(files);
}

RuleSet ParseRuleFiles(const std::vector<RuleFileText>& files) {
  RuleSet set;
  for (const RuleFileText& file : files) ParseRuleFile(file, set);
  std::map<std::string_view, const Rule*> seen;
  for (const Rule& rule : set.rules) {
    auto [it, inserted] = seen.emplace(rule.id, &rule);
    if (!inserted) {
      Fail(rule.file, rule.line, rule.id,
           "duplicate id, first defined at " + it->second->file + ":" + std::to_string(it->second->line));
    }
  }
  return set;
}

RuleSet LoadRuleDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> paths;
  std::error_code error;
  fs::directory_iterator it(dir, error);
  if (error) throw RuleError(dir + ": cannot list rule directory: " + error.message());
  for (const fs::directory_entry& entry : it) {
    if (entry.path().extension() != ".toml") continue;
    std::error_code status_error;
    if (!entry.is_regular_file(status_error)) continue;
    paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return LoadRuleFiles(paths);
}

void ApplyParamOverrides(std::vector<Rule>& rules, const std::string& override_toml_path) {
  const std::string& file = override_toml_path;
  toml::table root = ParseRuleToml(ReadRuleFile(file), file);
  std::vector<std::pair<RuleParam*, RuleParam>> changes;  // validated first, applied together
  for (const auto& [key, node] : root) {
    if (key.str() != "params") {
      Fail(file, LineOf(key), "", "unknown top-level key " + Quoted(key.str()) + " (overrides are [params.<rule-id>])");
    }
    const toml::table* by_rule = node.as_table();
    if (by_rule == nullptr) Fail(file, LineOf(node), "", "params must be a table of [params.<rule-id>] tables");
    for (const auto& [rule_key, rule_node] : *by_rule) {
      const std::string id(rule_key.str());
      auto rule = std::find_if(rules.begin(), rules.end(), [&](const Rule& r) { return r.id == id; });
      if (rule == rules.end()) Fail(file, LineOf(rule_key), "", "override of unknown rule " + Quoted(id));
      const toml::table* overrides = rule_node.as_table();
      if (overrides == nullptr) {
        Fail(file, LineOf(rule_node), id, "params.<rule-id> must be a table, not " + std::string(TypeName(rule_node)));
      }
      for (const auto& [param_key, param_node] : *overrides) {
        const std::string name(param_key.str());
        auto current = rule->params.find(name);
        if (current == rule->params.end()) Fail(file, LineOf(param_key), id, "unknown param " + Quoted(name));
        auto value = ToParam(param_node);
        if (!value || value->index() != current->second.index()) {
          Fail(file, LineOf(param_node), id,
               "param " + Quoted(name) + " must be a " + std::string(KindOf(current->second)) + ", not " +
                   std::string(TypeName(param_node)));
        }
        changes.emplace_back(&current->second, std::move(*value));
      }
    }
  }
  for (auto& [target, value] : changes) *target = std::move(value);
}

void SetParamWhereDefined(std::vector<Rule>& rules, const std::string& name, const RuleParam& value) {
  for (Rule& rule : rules) {
    auto param = rule.params.find(name);
    if (param != rule.params.end()) param->second = value;
  }
}

std::string ParamText(const RuleParam& param) {
  if (const auto* text = std::get_if<std::string>(&param)) return *text;
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, std::get<double>(param));
  return std::string(buffer, result.ptr);
}

std::string ExpandParams(const Rule& rule) { return ExpandParams(rule, rule.expr); }

std::string ExpandParams(const Rule& rule, const std::string& expr) {
  std::string out;
  out.reserve(expr.size());
  for (size_t i = 0; i < expr.size();) {
    const bool starts_name = expr[i] == '$' && i + 1 < expr.size() &&
                             (std::isalpha(static_cast<unsigned char>(expr[i + 1])) || expr[i + 1] == '_');
    if (!starts_name) {
      out += expr[i++];
      continue;
    }
    size_t end = i + 1;
    while (end < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[end])) || expr[end] == '_')) ++end;
    const std::string name = expr.substr(i + 1, end - i - 1);
    auto param = rule.params.find(name);
    if (param == rule.params.end()) {
      Fail(rule.file, rule.line, rule.id, (&expr == &rule.expr ? "expr" : "\"" + expr + "\"") + " uses $" + name +
                                              ", which is not a param");
    }
    out += ParamText(param->second);
    i = end;
  }
  return out;
}

}  // namespace wgtune
