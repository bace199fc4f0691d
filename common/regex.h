// Regular expressions as Prometheus and node_exporter read them: RE2 syntax, the syntax of Go's
// regexp package, run by Google's RE2 library (Debian libre2-dev).
//
// Every regex a user writes goes through this one type: PromQL label matchers and
// label_replace, the templates' match and reReplaceAll, the exporter's include flags. RE2
// matches in time linear in the text, never backtracks, and refuses constructs Go refuses
// (backreferences, lookaround), so a pattern that works in Prometheus works here and a
// pattern that fails there fails here, with RE2's message.
//
// Contracts: construction compiles once and throws RegexError on an invalid pattern; a Regex
// is immutable afterwards and may be shared and used from several threads at once (RE2 is
// thread-safe); copies share the compiled program.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace wgtune {

// RE2's description of what is wrong ("missing ): (a"), without the pattern.
class RegexError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class Regex {
 public:
  explicit Regex(std::string_view pattern);

  // Whether the whole text matches, as Prometheus's ^(?:re)$ label matchers.
  bool FullMatch(std::string_view text) const;
  // Whether the pattern matches anywhere in the text, as Go's MatchString.
  bool Search(std::string_view text) const;

  // When the whole text matches, `replacement` with its references expanded (label_replace);
  // nullopt otherwise. References are Go's Regexp.Expand: $1, ${1}, $name, ${name}, $$ for a
  // '$'. A name is the longest run of letters, digits and '_' ("$1x" is the group named "1x");
  // unknown or unmatched groups expand to nothing, a '$' without a valid reference stays.
  std::optional<std::string> ExpandFullMatch(std::string_view text, std::string_view replacement) const;

  // Go's Regexp.ReplaceAllString: every non-overlapping match replaced by `replacement`,
  // expanded as above; an empty match right after a match is not replaced.
  std::string ReplaceAll(std::string_view text, std::string_view replacement) const;

  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  std::shared_ptr<const re2::RE2> compiled_;  // the pattern as written, unanchored
};

}  // namespace wgtune
