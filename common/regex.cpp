#include "common/regex.h"

#include <re2/re2.h>

#include <cctype>
#include <vector>

namespace wgtune {
namespace {

using Groups = std::vector<re2::StringPiece>;

// The byte length of the UTF-8 sequence starting at text[pos], 1 for an invalid one and 0 at
// the end, as Go's utf8.DecodeRuneInString advances.
size_t RuneWidth(std::string_view text, size_t pos) {
  if (pos >= text.size()) return 0;
  const auto lead = static_cast<unsigned char>(text[pos]);
  size_t width = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 1;
  if (pos + width > text.size()) return 1;
  for (size_t i = 1; i < width; ++i) {
    if ((static_cast<unsigned char>(text[pos + i]) & 0xC0) != 0x80) return 1;
  }
  return width;
}

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Go's Regexp.Expand of `replacement` for one match.
void Expand(std::string& out, std::string_view replacement, const Groups& groups, const re2::RE2& re) {
  size_t i = 0;
  while (i < replacement.size()) {
    if (replacement[i] != '$') {
      out += replacement[i++];
      continue;
    }
    ++i;
    if (i < replacement.size() && replacement[i] == '$') {
      out += '$';
      ++i;
      continue;
    }
    const bool brace = i < replacement.size() && replacement[i] == '{';
    const size_t name_start = brace ? i + 1 : i;
    size_t name_end = name_start;
    while (name_end < replacement.size() && IsNameChar(replacement[name_end])) ++name_end;
    const bool closed = !brace || (name_end < replacement.size() && replacement[name_end] == '}');
    if (name_end == name_start || !closed) {
      out += '$';  // not a reference: the '$' is literal text
      continue;
    }
    const std::string name(replacement.substr(name_start, name_end - name_start));
    i = brace ? name_end + 1 : name_end;

    // A number names a group by index, unless a leading zero or a tenth digit makes it a name.
    int group = -1;
    if (name.find_first_not_of("0123456789") == std::string::npos && name.size() <= 9 &&
        (name[0] != '0' || name.size() == 1)) {
      group = std::stoi(name);
    } else if (auto it = re.NamedCapturingGroups().find(name); it != re.NamedCapturingGroups().end()) {
      group = it->second;
    }
    if (group >= 0 && static_cast<size_t>(group) < groups.size() && groups[group].data() != nullptr) {
      out.append(groups[group].data(), groups[group].size());
    }
  }
}

}  // namespace

Regex::Regex(std::string_view pattern) : pattern_(pattern) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto compiled = std::make_shared<const re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!compiled->ok()) throw RegexError(compiled->error());
  compiled_ = std::move(compiled);
}

bool Regex::FullMatch(std::string_view text) const {
  return re2::RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *compiled_);
}

bool Regex::Search(std::string_view text) const {
  return re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *compiled_);
}

std::optional<std::string> Regex::ExpandFullMatch(std::string_view text, std::string_view replacement) const {
  Groups groups(static_cast<size_t>(compiled_->NumberOfCapturingGroups()) + 1);
  const re2::StringPiece input(text.data(), text.size());
  if (!compiled_->Match(input, 0, input.size(), re2::RE2::ANCHOR_BOTH, groups.data(), static_cast<int>(groups.size()))) {
    return std::nullopt;
  }
  std::string out;
  Expand(out, replacement, groups, *compiled_);
  return out;
}

std::string Regex::ReplaceAll(std::string_view text, std::string_view replacement) const {
  Groups groups(static_cast<size_t>(compiled_->NumberOfCapturingGroups()) + 1);
  const re2::StringPiece input(text.data(), text.size());
  std::string out;
  size_t last_match_end = 0, search = 0;
  while (search <= text.size()) {
    // The whole text is the context, so ^ and \b see what lies before `search`, as in Go.
    if (!compiled_->Match(input, search, input.size(), re2::RE2::UNANCHORED, groups.data(),
                          static_cast<int>(groups.size()))) {
      break;
    }
    const size_t begin = static_cast<size_t>(groups[0].data() - input.data());
    const size_t end = begin + groups[0].size();
    out.append(text.substr(last_match_end, begin - last_match_end));
    // No replacement for an empty match right after a match: patterns that match both empty
    // and non-empty strings would otherwise replace twice.
    if (end > last_match_end || begin == 0) Expand(out, replacement, groups, *compiled_);
    last_match_end = end;
    const size_t width = RuneWidth(text, search);
    search = search + width > end ? search + width : search + 1 > end ? search + 1 : end;
  }
  if (last_match_end < text.size()) out.append(text.substr(last_match_end));
  return out;
}

}  // namespace wgtune
