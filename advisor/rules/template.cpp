#include "advisor/rules/template.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <utility>

#include "common/cpu_set.h"
#include "common/regex.h"
#include "common/text.h"

namespace wgtune {
namespace {

// ---------------------------------------------------------------------------------------------
// Values
//
// Go's text/template works on reflected Go values; the kinds wgtune templates meet are
// modelled here: nil, bool, int, float64, string, lists (query results, seq), maps (label maps,
// $params, args) and structs (the root data, query samples).

struct Value;
using List = std::vector<Value>;

struct Map {
  std::map<std::string, Value> entries;  // printed in key order, as Go's fmt does
  bool string_values = false;            // map[string]string: a missing key reads as ""
};

struct Struct {
  std::string type;  // "sample" or "data"
  std::vector<std::pair<std::string, Value>> fields;
};

struct Value {
  enum class Kind { kNil, kBool, kInt, kFloat, kString, kList, kMap, kStruct };
  Kind kind = Kind::kNil;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  std::string string;
  std::shared_ptr<const List> list;
  std::shared_ptr<const Map> map;
  std::shared_ptr<const Struct> object;

  static Value Bool(bool b) { Value v; v.kind = Kind::kBool; v.boolean = b; return v; }
  static Value Int(int64_t i) { Value v; v.kind = Kind::kInt; v.integer = i; return v; }
  static Value Float(double f) { Value v; v.kind = Kind::kFloat; v.number = f; return v; }
  static Value String(std::string s) { Value v; v.kind = Kind::kString; v.string = std::move(s); return v; }
  static Value Of(List l) { Value v; v.kind = Kind::kList; v.list = std::make_shared<const List>(std::move(l)); return v; }
  static Value Of(Map m) { Value v; v.kind = Kind::kMap; v.map = std::make_shared<const Map>(std::move(m)); return v; }
  static Value Of(Struct s) { Value v; v.kind = Kind::kStruct; v.object = std::make_shared<const Struct>(std::move(s)); return v; }

  bool IsNumber() const { return kind == Kind::kInt || kind == Kind::kFloat; }
  bool IsSample() const { return kind == Kind::kStruct && object->type == "sample"; }
};

using Kind = Value::Kind;

// The Go type a value stands for, as fmt's %!verb(type=value) and error messages name it.
std::string TypeName(const Value& v) {
  switch (v.kind) {
    case Kind::kNil: return "<nil>";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float64";
    case Kind::kString: return "string";
    case Kind::kList: return "[]interface {}";
    case Kind::kMap: return v.map->string_values ? "map[string]string" : "map[string]interface {}";
    case Kind::kStruct: return v.object->type == "sample" ? "*template.sample" : "struct";
  }
  return "?";
}

// Go's truth: false, 0, "", nil and empty collections are false.
bool Truth(const Value& v) {
  switch (v.kind) {
    case Kind::kNil: return false;
    case Kind::kBool: return v.boolean;
    case Kind::kInt: return v.integer != 0;
    case Kind::kFloat: return v.number != 0;
    case Kind::kString: return !v.string.empty();
    case Kind::kList: return !v.list->empty();
    case Kind::kMap: return !v.map->entries.empty();
    case Kind::kStruct: return true;
  }
  return false;
}

Value LabelMap(const promql::Labels& labels) {
  Map map;
  map.string_values = true;
  for (const auto& [name, value] : labels) map.entries[name] = Value::String(value);
  return Value::Of(std::move(map));
}

Value SampleValue(const promql::Sample& sample) {
  return Value::Of(Struct{"sample", {{"Labels", LabelMap(sample.labels)}, {"Value", Value::Float(sample.value)}}});
}

// A function's complaint; the executor prefixes the position and "error calling NAME: ".
struct FuncError {
  std::string message;
  bool bare = false;  // already says what failed: no "error calling NAME: " prefix
};

// ---------------------------------------------------------------------------------------------
// Number and value formatting: the one place that decides how users see values.

// Go's strconv.FormatFloat(|v|, 'g', -1, 64): shortest round-trip digits, %e notation when
// the decimal exponent is < -4 or >= 6 (the shortest-precision rule), else plain decimals:
// 0.97 → "0.97", 41200 → "41200", 1e6 → "1e+06", 1.5e-5 → "1.5e-05".
std::string ShortestG(double v, bool upper) {
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, std::fabs(v), std::chars_format::scientific);
  std::string_view sci(buffer, static_cast<size_t>(result.ptr - buffer));  // "4.12e+04"
  size_t e = sci.find('e');
  std::string digits(1, sci[0]);
  if (e > 1) digits += sci.substr(2, e - 2);
  int exp = std::stoi(std::string(sci.substr(e + 1)));
  std::string out;
  if (exp < -4 || exp >= 6) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += upper ? 'E' : 'e';
    out += exp < 0 ? '-' : '+';
    std::string mag = std::to_string(std::abs(exp));
    if (mag.size() < 2) mag = "0" + mag;
    return out + mag;
  }
  int dp = exp + 1;  // digits before the decimal point
  int nd = static_cast<int>(digits.size());
  if (dp <= 0) return "0." + std::string(static_cast<size_t>(-dp), '0') + digits;
  if (dp >= nd) return digits + std::string(static_cast<size_t>(dp - nd), '0');
  return digits.substr(0, static_cast<size_t>(dp)) + "." + digits.substr(static_cast<size_t>(dp));
}

// The body of |v| for verb e/E/f/F/g/G with precision prec (-1: Go's default for the verb).
// Go and C agree on %e/%f/%.Ng, so std::to_chars (locale-free printf) does those.
std::string UnsignedFloat(double v, char verb, int prec, bool sharp = false) {
  double a = std::fabs(v);
  if (std::isinf(a)) return "Inf";
  char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(verb)));
  bool upper = verb != lower;
  if (sharp || lower == 'x') {
    // %#e/%#f/%#g keep the decimal point (and %#g its trailing zeros); %x is hexadecimal
    // mantissa and binary exponent. C's printf agrees with Go here but for the exponent of
    // %x, which Go writes with at least two digits (0x1.cp+01).
    if (lower != 'x' && prec < 0) prec = 6;
    std::string format = std::string("%") + (sharp ? "#" : "") + (prec >= 0 ? ".*" : "") + (lower == 'x' ? 'a' : verb);
    std::vector<char> buffer(static_cast<size_t>(std::max(prec, 0)) + 400);
    if (prec >= 0) std::snprintf(buffer.data(), buffer.size(), format.c_str(), prec, a);
    else std::snprintf(buffer.data(), buffer.size(), format.c_str(), a);
    std::string out = buffer.data();
    if (lower == 'x') {
      if (upper) for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      size_t p = out.find_first_of("pP");
      if (p != std::string::npos && out.size() - p == 3) out.insert(p + 2, "0");  // p+1 → p+01
    }
    return out;
  }
  if (lower == 'g' && prec < 0) return ShortestG(a, upper);
  if (prec < 0) prec = 6;
  if (lower == 'g' && prec == 0) prec = 1;
  std::vector<char> buffer(static_cast<size_t>(prec) + 400);  // 1e308 in %f: 309 digits
  std::chars_format format = lower == 'e' ? std::chars_format::scientific
                             : lower == 'f' ? std::chars_format::fixed
                                            : std::chars_format::general;
  auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), a, format, prec);
  std::string out(buffer.data(), result.ptr);
  if (upper) {
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// fmt's rendering of a float64 without flags: "-Inf", "+Inf" and "NaN" as Go writes them.
std::string FormatFloat(double v, char verb = 'g', int prec = -1) {
  if (std::isnan(v)) return "NaN";
  std::string body = UnsignedFloat(v, verb, prec);
  if (std::isinf(v)) return (v < 0 ? "-" : "+") + body;
  return std::signbit(v) ? "-" + body : body;
}

// A printf directive: %[flags][width][.precision]verb.
struct Spec {
  bool minus = false, plus = false, sharp = false, space = false, zero = false;
  bool plus_v = false;  // %+v: struct field names
  int width = -1;
  int prec = -1;
  char verb = 'v';
};

size_t RuneCount(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Pads to the width: on the right with '-', else on the left with spaces or, for '0', zeros
// (after the sign when the text is a number).
std::string Pad(std::string s, const Spec& spec, bool numeric) {
  size_t count = RuneCount(s);
  if (spec.width < 0 || count >= static_cast<size_t>(spec.width)) return s;
  size_t fill = static_cast<size_t>(spec.width) - count;
  if (spec.minus) return s + std::string(fill, ' ');
  if (!spec.zero) return std::string(fill, ' ') + s;
  size_t sign = numeric && !s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == ' ') ? 1 : 0;
  return s.substr(0, sign) + std::string(fill, '0') + s.substr(sign);
}

std::string SignFor(bool negative, const Spec& spec) {
  if (negative) return "-";
  if (spec.plus) return "+";
  if (spec.space) return " ";
  return "";
}

std::string FormatFloatSpec(double v, const Spec& spec, char verb) {
  if (std::isnan(v)) {
    Spec s = spec;
    s.zero = false;
    return Pad(spec.plus ? "+NaN" : spec.space ? " NaN" : "NaN", s, false);
  }
  std::string text = (std::isinf(v) && v > 0 && !spec.plus && !spec.space ? "+" : SignFor(std::signbit(v), spec)) +
                     UnsignedFloat(v, verb, spec.prec, spec.sharp);
  Spec s = spec;
  if (std::isinf(v)) s.zero = false;
  return Pad(text, s, true);
}

std::string FormatInt(int64_t v, const Spec& spec, char verb) {
  uint64_t magnitude = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  unsigned base = verb == 'x' || verb == 'X' ? 16 : verb == 'o' ? 8 : verb == 'b' ? 2 : 10;
  const char* digit_chars = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string digits;
  do {
    digits.insert(digits.begin(), digit_chars[magnitude % base]);
    magnitude /= base;
  } while (magnitude != 0);
  if (spec.prec >= 0) {
    if (spec.prec == 0 && v == 0) digits.clear();
    if (digits.size() < static_cast<size_t>(spec.prec)) digits.insert(0, static_cast<size_t>(spec.prec) - digits.size(), '0');
  }
  std::string prefix;
  if (spec.sharp) prefix = base == 16 ? (verb == 'X' ? "0X" : "0x") : base == 8 && digits[0] != '0' ? "0" : base == 2 ? "0b" : "";
  std::string sign = SignFor(v < 0, spec);
  Spec s = spec;
  if (spec.prec >= 0) s.zero = false;
  if (s.zero && !s.minus && s.width > 0) {
    size_t used = sign.size() + prefix.size() + digits.size();
    if (used < static_cast<size_t>(s.width)) digits.insert(0, static_cast<size_t>(s.width) - used, '0');
  }
  return Pad(sign + prefix + digits, s, true);
}

size_t RuneWidth(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t width = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  return std::min(width, s.size() - i);
}

std::string EncodeRune(uint32_t r) {
  std::string out;
  AppendUtf8(out, r);
  return out;
}


// `operand`: v is an operand of print/printf itself, not an element of a list or map nor a
// value the template prints; fmt writes a sample (a *template.sample) there as &{...}.
std::string FormatValue(const Value& v, const Spec& spec, bool operand = false);

// Go's "%!verb(type=value)" for an argument the verb does not apply to.
std::string BadVerb(const Value& v, char verb) {
  if (v.kind == Kind::kNil) return std::string("%!") + verb + "(<nil>)";
  return std::string("%!") + verb + "(" + TypeName(v) + "=" + FormatValue(v, Spec{}, true) + ")";
}

// fmt's formatting of one operand for one directive (%v when spec is default).
std::string FormatValue(const Value& v, const Spec& spec, bool operand) {
  char verb = spec.verb;
  switch (v.kind) {
    case Kind::kNil:
      return verb == 'v' ? Pad("<nil>", spec, false) : BadVerb(v, verb);
    case Kind::kBool:
      return verb == 'v' || verb == 't' ? Pad(v.boolean ? "true" : "false", spec, false) : BadVerb(v, verb);
    case Kind::kInt:
      switch (verb) {
        case 'v': case 'd': return FormatInt(v.integer, spec, 'd');
        case 'b': case 'o': case 'x': case 'X': return FormatInt(v.integer, spec, verb);
        case 'c': return Pad(EncodeRune(static_cast<uint32_t>(v.integer)), spec, false);
        case 'O': case 'q': case 'U':
          throw FuncError{std::string("verb %") + verb + " is not supported for int"};
        default: return BadVerb(v, verb);
      }
    case Kind::kFloat:
      switch (verb) {
        case 'v': return FormatFloatSpec(v.number, spec, 'g');
        case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'x': case 'X':
          return FormatFloatSpec(v.number, spec, verb == 'F' ? 'f' : verb);
        case 'b':
          throw FuncError{"verb %b is not supported for float64"};
        default: return BadVerb(v, verb);
      }
    case Kind::kString:
      switch (verb) {
        case 'v': case 's': {
          std::string s = v.string;
          if (spec.prec >= 0) {  // at most prec runes
            size_t runes = 0, i = 0;
            for (; i < s.size(); ++i) {
              if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && runes++ == static_cast<size_t>(spec.prec)) break;
            }
            s.resize(i);
          }
          return Pad(s, spec, false);
        }
        case 'q': return Pad(GoQuote(v.string), spec, false);
        case 'x': case 'X': {
          std::string out = spec.sharp ? (verb == 'x' ? "0x" : "0X") : "";
          const char* hex = verb == 'x' ? "0123456789abcdef" : "0123456789ABCDEF";
          for (char c : v.string) {
            out += hex[static_cast<unsigned char>(c) >> 4];
            out += hex[static_cast<unsigned char>(c) & 15];
          }
          return Pad(out, spec, false);
        }
        default: return BadVerb(v, verb);
      }
    case Kind::kList: {
      std::string out = "[";
      for (size_t i = 0; i < v.list->size(); ++i) {
        if (i) out += ' ';
        out += FormatValue((*v.list)[i], spec);
      }
      return out + "]";
    }
    case Kind::kMap: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [key, value] : v.map->entries) {
        if (!first) out += ' ';
        first = false;
        out += FormatValue(Value::String(key), spec) + ":" + FormatValue(value, spec);
      }
      return out + "]";
    }
    case Kind::kStruct: {
      std::string out = operand && v.IsSample() ? "&{" : "{";
      for (size_t i = 0; i < v.object->fields.size(); ++i) {
        if (i) out += ' ';
        if (spec.plus_v) out += v.object->fields[i].first + ":";
        out += FormatValue(v.object->fields[i].second, spec);
      }
      return out + "}";
    }
  }
  return "";
}

// %v: how a template prints a value ({{ x }}), and how join and errors show one.
std::string Format(const Value& v) { return FormatValue(v, Spec{}); }

// %v of an operand of print, println and printf.
std::string FormatOperand(const Value& v) { return FormatValue(v, Spec{}, true); }

// fmt.Sprintf for the verbs templates use. Mistakes print as Go prints them (%!d(string=x),
// %!d(MISSING), %!(EXTRA ...)); what this subset cannot do (argument indexes, %T, %p, ...)
// is an error rather than a silently different text.
std::string Sprintf(std::string_view format, const std::vector<Value>& args) {
  std::string out;
  size_t arg = 0;
  size_t i = 0;
  auto int_arg = [&](int& into, bool& ok) {  // '*' width or precision
    ok = arg < args.size() && args[arg].kind == Kind::kInt && std::llabs(args[arg].integer) <= 1000000;
    if (ok) into = static_cast<int>(args[arg].integer);
    ++arg;
  };
  while (i < format.size()) {
    size_t percent = format.find('%', i);
    out += format.substr(i, percent == std::string_view::npos ? std::string_view::npos : percent - i);
    if (percent == std::string_view::npos) break;
    i = percent + 1;
    Spec spec;
    for (; i < format.size(); ++i) {
      char c = format[i];
      if (c == '#') spec.sharp = true;
      else if (c == '0') spec.zero = !spec.minus;
      else if (c == '+') spec.plus = true;
      else if (c == '-') { spec.minus = true; spec.zero = false; }
      else if (c == ' ') spec.space = true;
      else break;
    }
    if (i < format.size() && format[i] == '[') throw FuncError{"printf argument indexes ([n]) are not supported"};
    if (i < format.size() && format[i] == '*') {
      bool ok;
      int width = 0;
      int_arg(width, ok);
      ++i;
      if (!ok) {
        out += "%!(BADWIDTH)";
      } else {
        if (width < 0) { spec.minus = true; spec.zero = false; width = -width; }
        spec.width = width;
      }
    } else {
      for (; i < format.size() && format[i] >= '0' && format[i] <= '9'; ++i) {
        spec.width = std::max(spec.width, 0) * 10 + (format[i] - '0');
        if (spec.width > 1000000) throw FuncError{"printf width too large"};
      }
    }
    if (i < format.size() && format[i] == '.') {
      ++i;
      spec.prec = 0;
      if (i < format.size() && format[i] == '*') {
        bool ok;
        int_arg(spec.prec, ok);
        ++i;
        if (!ok || spec.prec < 0) { spec.prec = -1; out += "%!(BADPREC)"; }
      } else {
        for (; i < format.size() && format[i] >= '0' && format[i] <= '9'; ++i) {
          spec.prec = spec.prec * 10 + (format[i] - '0');
          if (spec.prec > 1000000) throw FuncError{"printf precision too large"};
        }
      }
    }
    if (i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    unsigned char verb_byte = static_cast<unsigned char>(format[i]);
    if (verb_byte >= 0x80) throw FuncError{"printf verbs must be ASCII"};
    spec.verb = format[i++];
    if (spec.verb == '%') {
      out += '%';
      continue;
    }
    if (spec.verb == 'v') {  // as fmt does: %+v names struct fields, %#v is Go syntax
      if (spec.sharp) throw FuncError{"printf verb %#v is not supported"};
      spec.plus_v = spec.plus;
      spec.plus = false;
    }
    if (spec.verb == 'T' || spec.verb == 'p' || spec.verb == 'w') {
      throw FuncError{std::string("printf verb %") + spec.verb + " is not supported"};
    }
    if (arg >= args.size()) {
      out += std::string("%!") + spec.verb + "(MISSING)";
      continue;
    }
    out += FormatValue(args[arg++], spec, true);
  }
  if (arg < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = arg; k < args.size(); ++k) {
      if (k > arg) out += ", ";
      out += args[k].kind == Kind::kNil ? "<nil>" : TypeName(args[k]) + "=" + FormatOperand(args[k]);
    }
    out += ")";
  }
  return out;
}

// fmt.Sprint: operands in %v, with a space between two operands when neither is a string.
std::string Sprint(const std::vector<Value>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0 && args[i].kind != Kind::kString && args[i - 1].kind != Kind::kString) out += ' ';
    out += FormatOperand(args[i]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Lexer (text/template/parse/lex.go)

enum class Tok {
  kText, kLeftDelim, kRightDelim, kIdentifier, kField, kVariable, kDot, kString, kNumber, kBool, kNil,
  kPipe, kLeftParen, kRightParen, kDeclare, kAssign, kComma,
  kIf, kElse, kEnd, kRange, kWith, kTemplate, kUnsupported, kEOF,
};

struct Token {
  Tok kind;
  size_t pos;
  std::string text;           // text: the (trimmed) text; strings: decoded; others: as written
  bool space_before = false;  // separates `$x .a` (two operands) from `$x.a` (a field chain)
};

bool IsSpaceChar(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

class Lexer {
 public:
  Lexer(std::string_view src, const std::function<std::string(size_t)>& where) : src_(src), where_(where) {}

  std::vector<Token> Run() {
    size_t i = 0;
    bool trim_next = false;
    while (i <= src_.size()) {
      size_t open = src_.find("{{", i);
      size_t end = open == std::string_view::npos ? src_.size() : open;
      bool trim_left = open != std::string_view::npos && open + 3 < src_.size() && src_[open + 2] == '-' &&
                       IsSpaceChar(src_[open + 3]);
      size_t text_begin = i, text_end = end;
      if (trim_next) while (text_begin < text_end && IsSpaceChar(src_[text_begin])) ++text_begin;
      if (trim_left) while (text_end > text_begin && IsSpaceChar(src_[text_end - 1])) --text_end;
      if (text_end > text_begin) Emit(Tok::kText, text_begin, std::string(src_.substr(text_begin, text_end - text_begin)));
      if (open == std::string_view::npos) break;
      size_t p = open + 2 + (trim_left ? 2 : 0);
      if (src_.compare(p, 2, "/*") == 0) {
        i = Comment(open, p, trim_next);
      } else {
        Emit(Tok::kLeftDelim, open, "{{");
        i = Action(open, p, trim_next);
      }
    }
    Emit(Tok::kEOF, src_.size(), "");
    return std::move(tokens_);
  }

 private:
  [[noreturn]] void Fail(size_t pos, const std::string& message) { throw TemplateError(where_(pos) + ": " + message); }

  void Emit(Tok kind, size_t pos, std::string text, bool space_before = false) {
    tokens_.push_back(Token{kind, pos, std::move(text), space_before});
  }

  // After the right delimiter (and its trim marker, if any); sets trim_next.
  size_t CloseDelim(size_t p, bool& trim_next) {
    size_t q = p;
    while (q < src_.size() && IsSpaceChar(src_[q])) ++q;
    if (q > p && src_.compare(q, 3, "-}}") == 0) {
      trim_next = true;
      return q + 3;
    }
    if (src_.compare(p, 2, "}}") == 0) {
      trim_next = false;
      return p + 2;
    }
    return std::string_view::npos;
  }

  size_t Comment(size_t open, size_t p, bool& trim_next) {
    size_t close = src_.find("*/", p + 2);
    if (close == std::string_view::npos) Fail(open, "unclosed comment");
    size_t q = close + 2;
    if (q + 1 < src_.size() && IsSpaceChar(src_[q]) && src_.compare(q + 1, 3, "-}}") == 0) {
      trim_next = true;
      return q + 4;
    }
    if (src_.compare(q, 2, "}}") == 0) {
      trim_next = false;
      return q + 2;
    }
    Fail(open, "comment ends before closing delimiter");
  }

  size_t Action(size_t open, size_t p, bool& trim_next) {
    int parens = 0;
    bool space = false;
    for (;;) {
      size_t closed = CloseDelim(p, trim_next);  // " -}}" or "}}"
      if (closed != std::string_view::npos) {
        if (parens > 0) Fail(p, "unclosed left paren");
        Emit(Tok::kRightDelim, p, "}}");
        return closed;
      }
      if (p < src_.size() && IsSpaceChar(src_[p])) {
        while (p < src_.size() && IsSpaceChar(src_[p])) ++p;
        space = true;
        continue;
      }
      if (p >= src_.size()) Fail(open, "unclosed action");
      char c = src_[p];
      size_t start = p;
      bool space_before = std::exchange(space, false);
      if (c == '"') {
        Emit(Tok::kString, start, Quoted(p, '"'), space_before);
      } else if (c == '\'') {  // a character constant is the int of its rune, as in Go
        std::string rune = Quoted(p, '\'');
        if (rune.empty() || RuneWidth(rune, 0) != rune.size()) Fail(start, "malformed character constant");
        uint32_t code = static_cast<unsigned char>(rune[0]);
        if (rune.size() > 1) {
          code &= 0x7Fu >> rune.size();
          for (size_t k = 1; k < rune.size(); ++k) code = code << 6 | (static_cast<unsigned char>(rune[k]) & 0x3F);
        }
        Emit(Tok::kNumber, start, std::to_string(code), space_before);
      } else if (c == '`') {
        size_t close = src_.find('`', p + 1);
        if (close == std::string_view::npos) Fail(start, "unterminated raw quoted string");
        Emit(Tok::kString, start, std::string(src_.substr(p + 1, close - p - 1)), space_before);
        p = close + 1;
      } else if (c == '$') {
        p = Word(p + 1);
        Emit(Tok::kVariable, start, std::string(src_.substr(start, p - start)), space_before);
      } else if (c == '.' && !(p + 1 < src_.size() && src_[p + 1] >= '0' && src_[p + 1] <= '9')) {
        p = Word(p + 1);
        Emit(p == start + 1 ? Tok::kDot : Tok::kField, start, std::string(src_.substr(start, p - start)), space_before);
      } else if (c == '.' || c == '+' || c == '-' || (c >= '0' && c <= '9')) {
        p = Number(p);
        Emit(Tok::kNumber, start, std::string(src_.substr(start, p - start)), space_before);
      } else if (IsAlnum(c)) {
        p = Word(p);
        std::string word(src_.substr(start, p - start));
        Tok kind = Tok::kIdentifier;
        if (word == "true" || word == "false") kind = Tok::kBool;
        else if (word == "nil") kind = Tok::kNil;
        else if (word == "if") kind = Tok::kIf;
        else if (word == "else") kind = Tok::kElse;
        else if (word == "end") kind = Tok::kEnd;
        else if (word == "range") kind = Tok::kRange;
        else if (word == "with") kind = Tok::kWith;
        else if (word == "template") kind = Tok::kTemplate;
        else if (word == "define" || word == "block" || word == "break" || word == "continue") kind = Tok::kUnsupported;
        Emit(kind, start, std::move(word), space_before);
      } else if (c == '|') {
        Emit(Tok::kPipe, start, "|", space_before), ++p;
      } else if (c == '(') {
        Emit(Tok::kLeftParen, start, "(", space_before), ++p, ++parens;
      } else if (c == ')') {
        if (--parens < 0) Fail(start, "unexpected right paren");
        Emit(Tok::kRightParen, start, ")", space_before), ++p;
      } else if (c == ',') {
        Emit(Tok::kComma, start, ",", space_before), ++p;
      } else if (c == ':') {
        if (src_.compare(p, 2, ":=") != 0) Fail(start, "expected :=");
        Emit(Tok::kDeclare, start, ":=", space_before), p += 2;
      } else if (c == '=') {
        Emit(Tok::kAssign, start, "=", space_before), ++p;
      } else {
        Fail(start, std::string("unrecognized character in action: '") + c + "'");
      }
    }
  }

  // An alphanumeric run, which must end at a terminator (space, delimiter, . , | : ( )).
  size_t Word(size_t p) {
    while (p < src_.size() && IsAlnum(src_[p])) ++p;
    CheckTerminator(p);
    return p;
  }

  void CheckTerminator(size_t p) {
    if (p >= src_.size() || IsSpaceChar(src_[p])) return;
    if (std::string_view(".,|:()").find(src_[p]) != std::string_view::npos) return;
    if (src_.compare(p, 2, "}}") == 0) return;
    Fail(p, std::string("bad character '") + src_[p] + "'");
  }

  size_t Number(size_t p) {
    size_t start = p;
    if (src_[p] == '+' || src_[p] == '-') ++p;
    std::string_view digits = "0123456789_";
    if (p < src_.size() && src_[p] == '0' && p + 1 < src_.size()) {
      char prefix = static_cast<char>(std::tolower(static_cast<unsigned char>(src_[p + 1])));
      if (prefix == 'x') digits = "0123456789abcdefABCDEF_", p += 2;
      else if (prefix == 'o') digits = "01234567_", p += 2;
      else if (prefix == 'b') digits = "01_", p += 2;
    }
    auto run = [&](std::string_view set) { while (p < src_.size() && set.find(src_[p]) != std::string_view::npos) ++p; };
    run(digits);
    if (p < src_.size() && src_[p] == '.') ++p, run(digits);
    if (digits.size() == 11 && p < src_.size() && (src_[p] == 'e' || src_[p] == 'E')) {
      ++p;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
      run("0123456789_");
    }
    if (p < src_.size() && IsAlnum(src_[p])) {
      Fail(start, "bad number syntax: \"" + std::string(src_.substr(start, p + 1 - start)) + "\"");
    }
    return p;
  }

  // A Go interpreted string literal ("...") or character constant ('x'), starting at src_[p]
  // == quote; decodes the escapes and advances p past it.
  std::string Quoted(size_t& p, char quote) {
    const size_t start = p;
    GoLiteral literal = ReadGoLiteral(src_, start);
    if (literal.error == GoLiteral::Error::kUnterminated) {
      Fail(start, quote == '"' ? "unterminated quoted string" : "unterminated character constant");
    }
    if (literal.error == GoLiteral::Error::kBadEscape) Fail(start, "invalid escape in quoted string");
    p = literal.end;
    return std::move(literal.value);
  }

  std::string_view src_;
  const std::function<std::string(size_t)>& where_;
  std::vector<Token> tokens_;
};

// ---------------------------------------------------------------------------------------------
// Parse tree

struct Pipeline;

// An operand: a function name, ., nil, a literal, a variable or field chain, or a
// parenthesized pipeline (with an optional field chain after it).
struct Expr {
  enum class Type { kFunction, kDot, kNil, kLiteral, kVariable, kField, kPipe };
  Type type;
  size_t pos;
  std::string name;                 // function or variable name ("$x")
  std::vector<std::string> fields;  // .a.b after a variable, dot or parenthesized pipeline
  Value literal;
  std::shared_ptr<Pipeline> pipe;
};

struct Command {
  size_t pos;
  std::vector<Expr> args;  // args[0] is the function or the operand
};

struct Pipeline {
  size_t pos;
  std::vector<std::string> decl;  // $x := / $x = / $i, $e :=
  bool is_assign = false;
  std::vector<Command> cmds;
};

struct Node {
  enum class Type { kText, kAction, kIf, kRange, kWith, kTemplate };
  Type type;
  size_t pos;
  std::string text;  // kText: the text; kTemplate: the called template's name
  std::shared_ptr<Pipeline> pipe;
  std::vector<Node> body, else_body;
};

// ---------------------------------------------------------------------------------------------
// Functions

struct CallContext {
  const TemplateQuery& query;
};

using Args = std::vector<Value>;
using FunctionImpl = Value (*)(Args& args, const CallContext& ctx);

struct Function {
  int min_args;
  int max_args;  // -1: variadic
  FunctionImpl impl;
};

const std::map<std::string, Function, std::less<>>& Functions();

[[noreturn]] void WrongType(size_t index, const char* expected, const Value& got) {
  throw FuncError{"wrong type for argument " + std::to_string(index + 1) + "; expected " + expected + "; got " +
                  TypeName(got)};
}

const std::string& StringArg(const Args& args, size_t i) {
  if (args[i].kind != Kind::kString) WrongType(i, "string", args[i]);
  return args[i].string;
}

const List& ListArg(const Args& args, size_t i) {
  if (args[i].kind != Kind::kList) WrongType(i, "a list (query result)", args[i]);
  return *args[i].list;
}

const Struct& SampleArg(const Args& args, size_t i) {
  if (!args[i].IsSample()) WrongType(i, "*template.sample", args[i]);
  return *args[i].object;
}

// Prometheus's convertToFloat: numbers, and strings parsed as strconv.ParseFloat does.
double FloatArg(const Args& args, size_t i) {
  const Value& v = args[i];
  if (v.kind == Kind::kFloat) return v.number;
  if (v.kind == Kind::kInt) return static_cast<double>(v.integer);
  if (v.kind == Kind::kString) {
    std::string_view s = v.string;
    if (!s.empty() && s[0] == '+' && s.size() > 1 && s[1] != '-') s.remove_prefix(1);
    if (auto parsed = ParseDouble(s)) return *parsed;
    throw FuncError{"strconv.ParseFloat: parsing " + GoQuote(v.string) + ": invalid syntax"};
  }
  throw FuncError{"can't convert " + TypeName(v) + " to float"};
}

// An int, or a float with no fractional part (query values are float64).
int64_t WholeArg(const Args& args, size_t i) {
  const Value& v = args[i];
  if (v.kind == Kind::kInt) return v.integer;
  if (v.kind == Kind::kFloat) {
    if (std::isfinite(v.number) && v.number == std::trunc(v.number) && std::fabs(v.number) < 9.0e18) {
      return static_cast<int64_t>(v.number);
    }
    throw FuncError{"argument " + std::to_string(i + 1) + " must be a whole number; got " + Format(v)};
  }
  WrongType(i, "number", v);
}

const Value& Field(const Struct& s, std::string_view name) {
  for (const auto& [field, value] : s.fields) {
    if (field == name) return value;
  }
  throw FuncError{"no field " + std::string(name)};
}

std::string SampleLabel(const Struct& sample, const std::string& name) {
  const Map& labels = *Field(sample, "Labels").map;
  auto it = labels.entries.find(name);
  return it == labels.entries.end() ? "" : it->second.string;
}

// Label values that are plain decimal numbers ("2", "10", "-1.5") order numerically.
bool IsDecimal(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  size_t digits = 0, dot = 0;
  for (char c : s) {
    if (c >= '0' && c <= '9') ++digits;
    else if (c == '.' && dot++ == 0) continue;
    else return false;
  }
  return digits > 0 && s.front() != '.' && s.back() != '.';
}

int CompareLabelValues(const std::string& a, const std::string& b) {
  if (a != b && IsDecimal(a) && IsDecimal(b)) {
    double x = *ParseDouble(a), y = *ParseDouble(b);
    if (x != y) return x < y ? -1 : 1;
  }
  return a.compare(b) < 0 ? -1 : a == b ? 0 : 1;
}

bool LabelsLess(const promql::Labels& a, const promql::Labels& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i].first != b[i].first) return a[i].first < b[i].first;
    if (int c = CompareLabelValues(a[i].second, b[i].second)) return c < 0;
  }
  return a.size() < b.size();
}

Value Query(Args& args, const CallContext& ctx) {
  const std::string& expr = StringArg(args, 0);
  promql::Vector vector;
  if (!ctx.query) throw FuncError{"error executing query " + GoQuote(expr) + ": no query engine", true};
  try {
    vector = ctx.query(expr);
  } catch (const std::exception& e) {
    throw FuncError{"error executing query " + GoQuote(expr) + ": " + e.what(), true};
  }
  std::stable_sort(vector.begin(), vector.end(),
                   [](const promql::Sample& a, const promql::Sample& b) { return LabelsLess(a.labels, b.labels); });
  List list;
  for (const auto& sample : vector) list.push_back(SampleValue(sample));
  return Value::Of(std::move(list));
}

Value First(Args& args, const CallContext&) {
  const List& list = ListArg(args, 0);
  if (list.empty()) throw FuncError{"first() called on vector with no elements"};
  return list.front();
}

Value LabelFn(Args& args, const CallContext&) { return Value::String(SampleLabel(SampleArg(args, 1), StringArg(args, 0))); }
Value ValueFn(Args& args, const CallContext&) { return Field(SampleArg(args, 0), "Value"); }
Value StrValue(Args& args, const CallContext&) { return Value::String(SampleLabel(SampleArg(args, 0), "__value__")); }

Value ArgsFn(Args& args, const CallContext&) {
  Map map;
  for (size_t i = 0; i < args.size(); ++i) map.entries["arg" + std::to_string(i)] = args[i];
  return Value::Of(std::move(map));
}

Value SortByLabel(Args& args, const CallContext&) {
  const std::string& label = StringArg(args, 0);
  List list = ListArg(args, 1);
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].IsSample()) throw FuncError{"sortByLabel: element " + std::to_string(i) + " is not a sample"};
  }
  std::stable_sort(list.begin(), list.end(), [&](const Value& a, const Value& b) {
    return SampleLabel(*a.object, label) < SampleLabel(*b.object, label);
  });
  return Value::Of(std::move(list));
}

// Go's %.4g, the precision of every humanize function.
std::string G4(double v) { return FormatFloat(v, 'g', 4); }

std::string SmallPrefix(double& v) {
  std::string prefix;
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return prefix;
}

Value Humanize(Args& args, const CallContext&) {
  double v = FloatArg(args, 0);
  if (v == 0 || std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  if (std::fabs(v) >= 1) {
    std::string prefix;
    for (const char* p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return Value::String(G4(v) + prefix);
  }
  std::string prefix = SmallPrefix(v);
  return Value::String(G4(v) + prefix);
}

Value Humanize1024(Args& args, const CallContext&) {
  double v = FloatArg(args, 0);
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  std::string prefix;
  for (const char* p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return Value::String(G4(v) + prefix);
}

Value HumanizeDuration(Args& args, const CallContext&) {
  double v = FloatArg(args, 0);
  if (std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  if (v == 0) return Value::String(G4(v) + "s");
  if (std::fabs(v) >= 1) {
    std::string sign = v < 0 ? "-" : "";
    v = std::fabs(v);
    int64_t duration = v >= 9.2e18 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(v);
    int64_t seconds = duration % 60, minutes = duration / 60 % 60, hours = duration / 3600 % 24, days = duration / 86400;
    auto s = [](int64_t n) { return std::to_string(n); };
    if (days != 0) return Value::String(sign + s(days) + "d " + s(hours) + "h " + s(minutes) + "m " + s(seconds) + "s");
    if (hours != 0) return Value::String(sign + s(hours) + "h " + s(minutes) + "m " + s(seconds) + "s");
    if (minutes != 0) return Value::String(sign + s(minutes) + "m " + s(seconds) + "s");
    return Value::String(sign + G4(v) + "s");
  }
  std::string prefix = SmallPrefix(v);
  return Value::String(G4(v) + prefix + "s");
}

Value HumanizePercentage(Args& args, const CallContext&) { return Value::String(G4(FloatArg(args, 0) * 100) + "%"); }

enum class Case { kLower, kUpper, kTitle };

// strings.ToLower, ToUpper and Title (the first letter of each word upper-cased; words are
// separated by anything but letters, digits and '_') for ASCII and Latin-1 letters; other
// characters pass through unchanged.
std::string ChangeCase(std::string s, Case mode) {
  bool word_start = true;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool convert = mode != Case::kTitle || word_start;
    bool upper = mode != Case::kLower;
    if (c < 0x80) {
      if (convert && upper && c >= 'a' && c <= 'z') s[i] = static_cast<char>(c - 32);
      if (convert && !upper && c >= 'A' && c <= 'Z') s[i] = static_cast<char>(c + 32);
      word_start = !IsAlnum(static_cast<char>(c));
      continue;
    }
    if (c == 0xC3 && i + 1 < s.size() && convert) {  // U+00C0..U+00FE: À..Þ ↔ à..þ, but × and ÷
      unsigned char d = static_cast<unsigned char>(s[i + 1]);
      if (upper && d >= 0xA0 && d <= 0xBE && d != 0xB7) s[i + 1] = static_cast<char>(d - 0x20);
      if (!upper && d >= 0x80 && d <= 0x9E && d != 0x97) s[i + 1] = static_cast<char>(d + 0x20);
    }
    word_start = false;
    i += RuneWidth(s, i) - 1;
  }
  return s;
}

Value Title(Args& args, const CallContext&) { return Value::String(ChangeCase(StringArg(args, 0), Case::kTitle)); }
Value ToUpper(Args& args, const CallContext&) { return Value::String(ChangeCase(StringArg(args, 0), Case::kUpper)); }
Value ToLower(Args& args, const CallContext&) { return Value::String(ChangeCase(StringArg(args, 0), Case::kLower)); }

// RE2, the engine behind Go's regexp (common/regex.h).
Regex CompileRegex(std::string_view pattern) {
  try {
    return Regex(pattern);
  } catch (const RegexError& e) {
    throw FuncError{"error parsing regexp: " + std::string(e.what())};  // RE2 names the fragment at fault
  }
}

Value Match(Args& args, const CallContext&) {
  return Value::Bool(CompileRegex(StringArg(args, 0)).Search(StringArg(args, 1)));
}

// regexp.ReplaceAllString.
Value ReReplaceAll(Args& args, const CallContext&) {
  return Value::String(CompileRegex(StringArg(args, 0)).ReplaceAll(StringArg(args, 2), StringArg(args, 1)));
}

// text/template's comparison kinds.
enum class Basic { kBool, kInt, kFloat, kString, kOther, kNil };
Basic BasicKind(const Value& v) {
  switch (v.kind) {
    case Kind::kBool: return Basic::kBool;
    case Kind::kInt: return Basic::kInt;
    case Kind::kFloat: return Basic::kFloat;
    case Kind::kString: return Basic::kString;
    case Kind::kNil: return Basic::kNil;
    default: return Basic::kOther;
  }
}

[[noreturn]] void Incompatible(const Value& a, const Value& b) {
  throw FuncError{"incompatible types for comparison (" + TypeName(a) + " and " + TypeName(b) +
                  "; a float constant needs a decimal point: 0.0)"};
}

bool Equal(const Value& a, const Value& b) {
  Basic ka = BasicKind(a), kb = BasicKind(b);
  if (ka != kb) {
    if (ka != Basic::kNil && kb != Basic::kNil) Incompatible(a, b);
    return false;
  }
  switch (ka) {
    case Basic::kBool: return a.boolean == b.boolean;
    case Basic::kInt: return a.integer == b.integer;
    case Basic::kFloat: return a.number == b.number;
    case Basic::kString: return a.string == b.string;
    case Basic::kNil: return true;
    case Basic::kOther: break;
  }
  throw FuncError{"non-comparable type " + TypeName(a)};
}

bool Less(const Value& a, const Value& b) {
  Basic ka = BasicKind(a), kb = BasicKind(b);
  if (ka == Basic::kBool || ka == Basic::kOther || ka == Basic::kNil || kb == Basic::kBool || kb == Basic::kOther ||
      kb == Basic::kNil) {
    throw FuncError{"invalid type for comparison"};
  }
  if (ka != kb) Incompatible(a, b);
  if (ka == Basic::kInt) return a.integer < b.integer;
  if (ka == Basic::kFloat) return a.number < b.number;
  return a.string < b.string;
}

Value Eq(Args& args, const CallContext&) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (Equal(args[0], args[i])) return Value::Bool(true);
  }
  return Value::Bool(false);
}
Value Ne(Args& args, const CallContext&) { return Value::Bool(!Equal(args[0], args[1])); }
Value Lt(Args& args, const CallContext&) { return Value::Bool(Less(args[0], args[1])); }
Value Le(Args& args, const CallContext&) { return Value::Bool(Less(args[0], args[1]) || Equal(args[0], args[1])); }
Value Gt(Args& args, const CallContext&) { return Value::Bool(!(Less(args[0], args[1]) || Equal(args[0], args[1]))); }
Value Ge(Args& args, const CallContext&) { return Value::Bool(!Less(args[0], args[1])); }
Value Not(Args& args, const CallContext&) { return Value::Bool(!Truth(args[0])); }

Value Len(Args& args, const CallContext&) {
  const Value& v = args[0];
  switch (v.kind) {
    case Kind::kString: return Value::Int(static_cast<int64_t>(v.string.size()));
    case Kind::kList: return Value::Int(static_cast<int64_t>(v.list->size()));
    case Kind::kMap: return Value::Int(static_cast<int64_t>(v.map->entries.size()));
    case Kind::kNil: throw FuncError{"len of nil pointer"};
    default: throw FuncError{"len of type " + TypeName(v)};
  }
}

Value Index(Args& args, const CallContext&) {
  Value item = args[0];
  for (size_t i = 1; i < args.size(); ++i) {
    const Value& key = args[i];
    if (item.kind == Kind::kList || item.kind == Kind::kString) {
      if (key.kind != Kind::kInt) {
        throw FuncError{"cannot index slice/array with type " + TypeName(key)};
      }
      size_t size = item.kind == Kind::kList ? item.list->size() : item.string.size();
      if (key.integer < 0 || static_cast<uint64_t>(key.integer) >= size) {
        throw FuncError{"index out of range: " + std::to_string(key.integer)};
      }
      item = item.kind == Kind::kList ? (*item.list)[static_cast<size_t>(key.integer)]
                                      : Value::Int(static_cast<unsigned char>(item.string[static_cast<size_t>(key.integer)]));
    } else if (item.kind == Kind::kMap) {
      if (key.kind != Kind::kString) throw FuncError{"value has type " + TypeName(key) + "; should be string"};
      auto it = item.map->entries.find(key.string);
      item = it != item.map->entries.end() ? it->second : item.map->string_values ? Value::String("") : Value();
    } else if (item.kind == Kind::kNil) {
      throw FuncError{"index of untyped nil"};
    } else {
      throw FuncError{"can't index item of type " + TypeName(item)};
    }
  }
  return item;
}

Value Print(Args& args, const CallContext&) { return Value::String(Sprint(args)); }
Value Printf(Args& args, const CallContext&) {
  std::vector<Value> rest(args.begin() + 1, args.end());
  return Value::String(Sprintf(StringArg(args, 0), rest));
}
Value Println(Args& args, const CallContext&) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) out += (i ? " " : "") + FormatOperand(args[i]);
  return Value::String(out + "\n");
}

// wgtune arithmetic: two ints give an int, anything else a float64.
enum class Op { kAdd, kSub, kMul, kDiv };
Value Arithmetic(Args& args, Op op) {
  for (size_t i = 0; i < 2; ++i) {
    if (!args[i].IsNumber()) WrongType(i, "number", args[i]);
  }
  if (args[0].kind == Kind::kInt && args[1].kind == Kind::kInt) {
    int64_t a = args[0].integer, b = args[1].integer, r = 0;
    bool overflow = false;
    switch (op) {
      case Op::kAdd: overflow = __builtin_add_overflow(a, b, &r); break;
      case Op::kSub: overflow = __builtin_sub_overflow(a, b, &r); break;
      case Op::kMul: overflow = __builtin_mul_overflow(a, b, &r); break;
      case Op::kDiv:
        if (b == 0) throw FuncError{"integer division by zero"};
        overflow = a == std::numeric_limits<int64_t>::min() && b == -1;
        if (!overflow) r = a / b;
        break;
    }
    if (overflow) throw FuncError{"integer overflow"};
    return Value::Int(r);
  }
  double a = args[0].kind == Kind::kInt ? static_cast<double>(args[0].integer) : args[0].number;
  double b = args[1].kind == Kind::kInt ? static_cast<double>(args[1].integer) : args[1].number;
  switch (op) {
    case Op::kAdd: return Value::Float(a + b);
    case Op::kSub: return Value::Float(a - b);
    case Op::kMul: return Value::Float(a * b);
    case Op::kDiv:
      if (b == 0) throw FuncError{"division by zero"};
      return Value::Float(a / b);
  }
  return Value();
}
Value Add(Args& args, const CallContext&) { return Arithmetic(args, Op::kAdd); }
Value Sub(Args& args, const CallContext&) { return Arithmetic(args, Op::kSub); }
Value Mul(Args& args, const CallContext&) { return Arithmetic(args, Op::kMul); }
Value Div(Args& args, const CallContext&) { return Arithmetic(args, Op::kDiv); }

Value Mod(Args& args, const CallContext&) {
  int64_t a = WholeArg(args, 0), b = WholeArg(args, 1);
  if (b == 0) throw FuncError{"integer division by zero"};
  if (b == -1) return Value::Int(0);
  return Value::Int(a % b);
}

// int: truncates floats toward zero and parses strings ("12", "12.7").
Value IntFn(Args& args, const CallContext&) {
  const Value& v = args[0];
  if (v.kind == Kind::kInt) return v;
  double d = 0;
  if (v.kind == Kind::kFloat) {
    d = v.number;
  } else if (v.kind == Kind::kString) {
    if (auto i = ParseInt(v.string)) return Value::Int(*i);
    auto parsed = ParseDouble(v.string);
    if (!parsed) throw FuncError{"cannot convert " + GoQuote(v.string) + " to int"};
    d = *parsed;
  } else {
    WrongType(0, "number or string", v);
  }
  if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) throw FuncError{"cannot convert " + Format(Value::Float(d)) + " to int"};
  return Value::Int(static_cast<int64_t>(d));
}

// Bounds CPU numbers like CpuSet::FromList does (1<<22 is far beyond any NR_CPUS).
constexpr int64_t kMaxCpus = int64_t{1} << 22;

int64_t CountArg(const Args& args, size_t i, int64_t limit, const char* what) {
  int64_t n = WholeArg(args, i);
  if (n < 0 || n > limit) {
    throw FuncError{std::string(what) + " must be between 0 and " + std::to_string(limit) + "; got " + std::to_string(n)};
  }
  return n;
}

Value Seq(Args& args, const CallContext&) {
  int64_t n = CountArg(args, 0, 1 << 20, "seq count");
  List list;
  for (int64_t i = 0; i < n; ++i) list.push_back(Value::Int(i));
  return Value::Of(std::move(list));
}

Value Cpumask(Args& args, const CallContext&) {
  return Value::String(CpuSet::FirstN(static_cast<unsigned>(CountArg(args, 0, kMaxCpus, "CPU count"))).ToMask());
}

Value Cpubit(Args& args, const CallContext&) {
  CpuSet set;
  set.Add(static_cast<unsigned>(CountArg(args, 0, kMaxCpus - 1, "CPU number")));
  return Value::String(set.ToMask());
}

Value Join(Args& args, const CallContext&) {
  const std::string& separator = StringArg(args, 0);
  if (args[1].kind == Kind::kNil) return Value::String("");
  std::string out;
  const List& list = ListArg(args, 1);
  for (size_t i = 0; i < list.size(); ++i) out += (i ? separator : "") + Format(list[i]);
  return Value::String(out);
}

Value Default(Args& args, const CallContext&) { return Truth(args[1]) ? args[1] : args[0]; }

Value Unreachable(Args&, const CallContext&) { return Value(); }  // and/or: the executor evaluates them

const std::map<std::string, Function, std::less<>>& Functions() {
  static const auto* functions = new std::map<std::string, Function, std::less<>>{
      // Go builtins
      {"and", {1, -1, Unreachable}},  {"or", {1, -1, Unreachable}},  {"not", {1, 1, Not}},
      {"len", {1, 1, Len}},           {"index", {1, -1, Index}},     {"eq", {2, -1, Eq}},
      {"ne", {2, 2, Ne}},             {"lt", {2, 2, Lt}},            {"le", {2, 2, Le}},
      {"gt", {2, 2, Gt}},             {"ge", {2, 2, Ge}},            {"print", {0, -1, Print}},
      {"printf", {1, -1, Printf}},    {"println", {0, -1, Println}},
      // Prometheus
      {"query", {1, 1, Query}},       {"first", {1, 1, First}},      {"label", {2, 2, LabelFn}},
      {"value", {1, 1, ValueFn}},     {"strvalue", {1, 1, StrValue}}, {"sortByLabel", {2, 2, SortByLabel}},
      {"humanize", {1, 1, Humanize}}, {"humanize1024", {1, 1, Humanize1024}},
      {"humanizeDuration", {1, 1, HumanizeDuration}}, {"humanizePercentage", {1, 1, HumanizePercentage}},
      {"title", {1, 1, Title}},       {"toUpper", {1, 1, ToUpper}},  {"toLower", {1, 1, ToLower}},
      {"match", {2, 2, Match}},       {"reReplaceAll", {3, 3, ReReplaceAll}}, {"args", {0, -1, ArgsFn}},
      // wgtune
      {"add", {2, 2, Add}},           {"sub", {2, 2, Sub}},          {"mul", {2, 2, Mul}},
      {"div", {2, 2, Div}},           {"mod", {2, 2, Mod}},          {"int", {1, 1, IntFn}},
      {"seq", {1, 1, Seq}},           {"cpumask", {1, 1, Cpumask}},  {"cpubit", {1, 1, Cpubit}},
      {"join", {2, 2, Join}},         {"default", {2, 2, Default}},
  };
  return *functions;
}

// ---------------------------------------------------------------------------------------------
// Parser (text/template/parse/parse.go)

const std::vector<std::string>& PredefinedVariables() {
  static const std::vector<std::string> names = {"$", "$labels", "$value", "$params", "$externalLabels", "$externalURL"};
  return names;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, const std::function<std::string(size_t)>& where)
      : tokens_(std::move(tokens)), where_(where), vars_(PredefinedVariables()) {}

  std::vector<Node> Run(std::set<std::string>& functions, std::vector<std::string>& queries,
                        std::set<std::string>& templates) {
    functions_ = &functions;
    queries_ = &queries;
    templates_ = &templates;
    Ending ending;
    std::vector<Node> list = List(ending);
    if (ending.kind == Tok::kEnd) Fail(ending.pos, "unexpected {{end}}");
    if (ending.kind == Tok::kElse) Fail(ending.pos, "unexpected {{else}}");
    return list;
  }

 private:
  struct Ending {
    Tok kind = Tok::kEOF;
    size_t pos = 0;
  };

  [[noreturn]] void Fail(size_t pos, const std::string& message) { throw TemplateError(where_(pos) + ": " + message); }

  const Token& Peek(size_t ahead = 0) const { return tokens_[std::min(next_ + ahead, tokens_.size() - 1)]; }
  const Token& Next() { return tokens_[std::min(next_++, tokens_.size() - 1)]; }

  static std::string Describe(const Token& t) {
    switch (t.kind) {
      case Tok::kEOF: return "EOF";
      case Tok::kRightDelim: return "}}";
      case Tok::kString: return GoQuote(t.text);
      default: return "\"" + t.text + "\"";
    }
  }

  void Expect(Tok kind, const char* context) {
    const Token& t = Next();
    if (t.kind != kind) Fail(t.pos, "unexpected " + Describe(t) + " in " + context);
  }

  // Nodes up to {{end}}, {{else}} or the end of the text, which `ending` reports. After
  // {{else}}, a following `if` is left unread (else if).
  std::vector<Node> List(Ending& ending) {
    std::vector<Node> list;
    for (;;) {
      const Token& t = Next();
      if (t.kind == Tok::kEOF) {
        ending = {Tok::kEOF, t.pos};
        return list;
      }
      if (t.kind == Tok::kText) {
        list.push_back(Node{Node::Type::kText, t.pos, t.text, nullptr, {}, {}});
        continue;
      }
      const Token& keyword = Next();  // after {{
      switch (keyword.kind) {
        case Tok::kEnd:
          Expect(Tok::kRightDelim, "end");
          ending = {Tok::kEnd, keyword.pos};
          return list;
        case Tok::kElse:
          if (Peek().kind != Tok::kIf) Expect(Tok::kRightDelim, "else");
          ending = {Tok::kElse, keyword.pos};
          return list;
        case Tok::kIf:
        case Tok::kRange:
        case Tok::kWith:
          list.push_back(Control(keyword));
          break;
        case Tok::kTemplate:
          list.push_back(TemplateCall(keyword));
          break;
        case Tok::kUnsupported:
          Fail(keyword.pos, "{{" + keyword.text + "}} is not supported" +
                                (keyword.text == "define" || keyword.text == "block"
                                     ? ": named templates come from the rule files' [templates]"
                                     : ""));
        default: {
          --next_;
          auto pipe = ParsePipeline("command", Tok::kRightDelim);
          list.push_back(Node{Node::Type::kAction, keyword.pos, "", std::move(pipe), {}, {}});
        }
      }
    }
  }

  // {{ template "name" }} or {{ template "name" pipeline }}.
  Node TemplateCall(const Token& keyword) {
    const Token& name = Next();
    if (name.kind != Tok::kString) Fail(name.pos, "unexpected " + Describe(name) + " in template clause");
    templates_->insert(name.text);
    Node node{Node::Type::kTemplate, keyword.pos, name.text, nullptr, {}, {}};
    if (Peek().kind == Tok::kRightDelim) {
      Next();
    } else {
      node.pipe = ParsePipeline("template clause", Tok::kRightDelim);
    }
    return node;
  }

  Node Control(const Token& keyword) {
    Node::Type type = keyword.kind == Tok::kIf ? Node::Type::kIf : keyword.kind == Tok::kRange ? Node::Type::kRange
                                                                                                : Node::Type::kWith;
    std::string context = keyword.text;
    size_t scope = vars_.size();
    Node node{type, keyword.pos, "", ParsePipeline(context, Tok::kRightDelim), {}, {}};
    Ending ending;
    node.body = List(ending);
    if (ending.kind == Tok::kElse) {
      if (Peek().kind == Tok::kIf && type != Node::Type::kIf) {
        Fail(Peek().pos, "{{else if}} is only allowed in {{if}}, not in {{" + context + "}}");
      }
      if (Peek().kind == Tok::kIf) {  // {{else if ...}}: an if nested in the else branch, sharing our {{end}}
        node.else_body.push_back(Control(Next()));
        ending.kind = Tok::kEnd;
      } else {
        node.else_body = List(ending);
        if (ending.kind == Tok::kElse) Fail(ending.pos, "expected {{end}}; found {{else}}");
      }
    }
    if (ending.kind == Tok::kEOF) Fail(keyword.pos, "{{" + context + "}} has no matching {{end}}");
    vars_.resize(scope);
    return node;
  }

  std::shared_ptr<Pipeline> ParsePipeline(const std::string& context, Tok end) {
    auto pipe = std::make_shared<Pipeline>();
    pipe->pos = Peek().pos;
    // Declarations: $x :=, $x =, and in range $i, $e :=.
    if (Peek().kind == Tok::kVariable &&
        (Peek(1).kind == Tok::kDeclare || Peek(1).kind == Tok::kAssign || Peek(1).kind == Tok::kComma)) {
      for (;;) {
        const Token& var = Next();
        pipe->decl.push_back(var.text);
        const Token& op = Next();
        if (op.kind == Tok::kComma) {
          if (context != "range" || pipe->decl.size() > 1) Fail(op.pos, "too many declarations in " + context);
          if (Peek().kind != Tok::kVariable) Fail(Peek().pos, "range can only initialize variables");
          continue;
        }
        pipe->is_assign = op.kind == Tok::kAssign;
        break;
      }
      for (const auto& name : pipe->decl) {
        if (pipe->is_assign) {
          CheckVariable(name, pipe->pos);
        } else {
          vars_.push_back(name);
        }
      }
    }
    for (;;) {
      const Token& t = Peek();
      if (t.kind == end) {
        Next();
        break;
      }
      if (t.kind == Tok::kEOF) Fail(t.pos, "unclosed action");
      pipe->cmds.push_back(ParseCommand(end));
      if (Peek().kind == Tok::kPipe) {
        Next();
        if (Peek().kind == end) Fail(Peek().pos, "missing command after |");
      }
    }
    if (pipe->cmds.empty()) Fail(pipe->pos, "missing value for " + context);
    CheckPipeline(*pipe);
    return pipe;
  }

  Command ParseCommand(Tok end) {
    Command cmd{Peek().pos, {}};
    while (Peek().kind != Tok::kPipe && Peek().kind != end) {
      cmd.args.push_back(Operand());
    }
    if (cmd.args.empty()) Fail(cmd.pos, "missing value for command");
    return cmd;
  }

  void CheckVariable(const std::string& name, size_t pos) {
    if (std::find(vars_.rbegin(), vars_.rend(), name) == vars_.rend()) Fail(pos, "undefined variable \"" + name + "\"");
  }

  void FieldChain(Expr& expr) {
    while (Peek().kind == Tok::kField && !Peek().space_before) expr.fields.push_back(Next().text.substr(1));
  }

  Expr Operand() {
    const Token& t = Next();
    Expr expr{Expr::Type::kLiteral, t.pos, "", {}, Value(), nullptr};
    switch (t.kind) {
      case Tok::kIdentifier:
        if (Functions().find(t.text) == Functions().end()) Fail(t.pos, "function \"" + t.text + "\" not defined");
        expr.type = Expr::Type::kFunction;
        expr.name = t.text;
        functions_->insert(t.text);
        break;
      case Tok::kDot: expr.type = Expr::Type::kDot; break;
      case Tok::kNil: expr.type = Expr::Type::kNil; break;
      case Tok::kBool: expr.literal = Value::Bool(t.text == "true"); break;
      case Tok::kString: expr.literal = Value::String(t.text); break;
      case Tok::kNumber: expr.literal = Number(t); break;
      case Tok::kVariable:
        CheckVariable(t.text, t.pos);
        expr.type = Expr::Type::kVariable;
        expr.name = t.text;
        FieldChain(expr);
        break;
      case Tok::kField:
        expr.type = Expr::Type::kField;
        expr.fields.push_back(t.text.substr(1));
        FieldChain(expr);
        break;
      case Tok::kLeftParen:
        expr.type = Expr::Type::kPipe;
        expr.pipe = ParsePipeline("parenthesized pipeline", Tok::kRightParen);
        FieldChain(expr);
        break;
      default:
        Fail(t.pos, "unexpected " + Describe(t) + " in operand");
    }
    if (Peek().kind == Tok::kField && !Peek().space_before) Fail(Peek().pos, "unexpected " + Peek().text + " after operand");
    return expr;
  }

  // Go's number literals: ints (decimal, 0x, 0o, 0b, leading-0 octal) and float64s
  // (with '.', or an exponent). A literal with '.' or an exponent is a float64.
  Value Number(const Token& t) {
    std::string text;
    for (char c : t.text) if (c != '_') text += c;
    std::string_view body = text;
    bool negative = !body.empty() && body[0] == '-';
    if (!body.empty() && (body[0] == '-' || body[0] == '+')) body.remove_prefix(1);
    bool is_hex = body.size() > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X');
    if (!is_hex && body.find_first_of(".eE") != std::string_view::npos) {
      if (auto d = ParseDouble(body)) return Value::Float(negative ? -*d : *d);
    } else if (!body.empty()) {
      int base = 10;
      if (body.size() > 1 && body[0] == '0') {
        char p = static_cast<char>(std::tolower(static_cast<unsigned char>(body[1])));
        base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
        body.remove_prefix(p == 'x' || p == 'o' || p == 'b' ? 2 : 1);
      }
      uint64_t magnitude = 0;
      auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), magnitude, base);
      if (ec == std::errc() && ptr == body.data() + body.size() && !body.empty() &&
          magnitude <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (negative ? 1 : 0)) {
        return Value::Int(negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude));
      }
      if (ec == std::errc::result_out_of_range || (ec == std::errc() && ptr == body.data() + body.size())) {
        Fail(t.pos, "integer overflow: \"" + t.text + "\"");
      }
    }
    Fail(t.pos, "illegal number syntax: \"" + t.text + "\"");
  }

  // Argument counts (known statically), and which commands may follow a |.
  void CheckPipeline(const Pipeline& pipe) {
    for (size_t stage = 0; stage < pipe.cmds.size(); ++stage) {
      const Command& cmd = pipe.cmds[stage];
      const Expr& head = cmd.args[0];
      if (head.type != Expr::Type::kFunction) {
        if (stage > 0) Fail(cmd.pos, "non executable command in pipeline stage " + std::to_string(stage + 1));
        if (head.type == Expr::Type::kNil) Fail(head.pos, "nil is not a command");
        if (cmd.args.size() > 1) Fail(cmd.args[1].pos, "can't give argument to non-function");
        continue;
      }
      int given = static_cast<int>(cmd.args.size()) - 1 + (stage > 0 ? 1 : 0);
      CheckArgCount(head, given);
      for (size_t i = 1; i < cmd.args.size(); ++i) {
        if (cmd.args[i].type == Expr::Type::kFunction) CheckArgCount(cmd.args[i], 0);  // a bare name is a call
      }
      // LiteralQueries: query "x", and "x" | query.
      if (head.name == "query") {
        if (cmd.args.size() == 2 && IsStringLiteral(cmd.args[1])) AddQuery(cmd.args[1].literal.string);
        if (stage > 0 && cmd.args.size() == 1 && pipe.cmds[stage - 1].args.size() == 1 &&
            IsStringLiteral(pipe.cmds[stage - 1].args[0])) {
          AddQuery(pipe.cmds[stage - 1].args[0].literal.string);
        }
      }
    }
  }

  static bool IsStringLiteral(const Expr& e) { return e.type == Expr::Type::kLiteral && e.literal.kind == Kind::kString; }

  void AddQuery(const std::string& q) {
    if (std::find(queries_->begin(), queries_->end(), q) == queries_->end()) queries_->push_back(q);
  }

  void CheckArgCount(const Expr& fn, int given) {
    const Function& f = Functions().find(fn.name)->second;
    if (given < f.min_args || (f.max_args >= 0 && given > f.max_args)) {
      std::string want = f.max_args < 0 ? "at least " + std::to_string(f.min_args)
                         : f.min_args == f.max_args ? std::to_string(f.min_args)
                                                    : std::to_string(f.min_args) + " to " + std::to_string(f.max_args);
      Fail(fn.pos, "wrong number of args for " + fn.name + ": want " + want + " got " + std::to_string(given));
    }
  }

  std::vector<Token> tokens_;
  size_t next_ = 0;
  const std::function<std::string(size_t)>& where_;
  std::vector<std::string> vars_;
  std::set<std::string>* functions_ = nullptr;
  std::vector<std::string>* queries_ = nullptr;
  std::set<std::string>* templates_ = nullptr;
};

}  // namespace

struct Template::Impl {
  std::string source;
  std::vector<Node> root;
  std::set<std::string> functions;
  std::vector<std::string> queries;
  std::set<std::string> templates;
  std::function<std::string(size_t)> where;  // byte offset → "line L col C" (1-based)
};

// Lets the executor run the library's templates.
struct TemplateAccess {
  using Impl = Template::Impl;
  static const Impl& Of(const Template& t) { return *t.impl_; }
};

namespace {

// ---------------------------------------------------------------------------------------------
// Executor (text/template/exec.go)

// A call chain of named templates deeper than this is a template calling itself.
constexpr int kMaxTemplateDepth = 32;

// Not wrapped again by each caller on the way out.
class TemplateDepthError : public TemplateError {
 public:
  using TemplateError::TemplateError;
};

using Variables = std::vector<std::pair<std::string, Value>>;

// $ and the predefined variables for a finding's data; the first is $, the data itself.
Variables DataVariables(const TemplateData& data) {
  Map params;
  for (const auto& [name, param] : data.params) {
    params.entries[name] = std::holds_alternative<double>(param) ? Value::Float(std::get<double>(param))
                                                                 : Value::String(std::get<std::string>(param));
  }
  Map external;
  external.string_values = true;
  Value labels = LabelMap(data.labels), value = Value::Float(data.value), params_value = Value::Of(std::move(params));
  Value external_value = Value::Of(std::move(external));
  Value url = Value::String("");
  // Prometheus's AlertTemplateData, plus Params.
  Value dot = Value::Of(Struct{"data", {{"Labels", labels}, {"ExternalLabels", external_value}, {"ExternalURL", url},
                                        {"Value", value}, {"Params", params_value}}});
  return {{"$", dot}, {"$labels", labels}, {"$value", value}, {"$params", params_value},
          {"$externalLabels", external_value}, {"$externalURL", url}};
}

class Executor {
 public:
  Executor(const TemplateAccess::Impl& impl, const TemplateQuery& query, const TemplateLibrary* library, int depth)
      : impl_(impl), where_(impl.where), ctx_{query}, library_(library), depth_(depth) {}

  // Runs the template with `vars` ($ first, then the predefined ones) and dot = $.
  std::string Run(Variables vars) {
    vars_ = std::move(vars);
    globals_.assign(vars_.begin() + 1, vars_.end());
    // Dot is a copy, never a reference into vars_: a declaration ({{$x := 0}}, even of $ itself)
    // grows vars_ and would move it, and an assignment to $ ({{$ = 0}}) does not change dot in Go.
    const Value dot = vars_[0].second;
    Walk(impl_.root, dot);
    return std::move(out_);
  }

 private:
  [[noreturn]] void Fail(size_t pos, const std::string& message) { throw TemplateError(where_(pos) + ": " + message); }

  void Walk(const std::vector<Node>& list, const Value& dot) {
    for (const Node& node : list) {
      switch (node.type) {
        case Node::Type::kText:
          out_ += node.text;
          break;
        case Node::Type::kAction: {
          Value v = EvalPipeline(*node.pipe, dot);
          if (node.pipe->decl.empty()) out_ += v.kind == Kind::kNil ? "<no value>" : Format(v);
          break;
        }
        case Node::Type::kIf:
        case Node::Type::kWith: {
          size_t mark = vars_.size();
          Value v = EvalPipeline(*node.pipe, dot);
          if (Truth(v)) {
            Walk(node.body, node.type == Node::Type::kWith ? v : dot);
          } else {
            Walk(node.else_body, dot);
          }
          vars_.resize(mark);
          break;
        }
        case Node::Type::kRange:
          Range(node, dot);
          break;
        case Node::Type::kTemplate:
          CallTemplate(node, dot);
          break;
      }
    }
  }

  // {{ template "name" arg }}: the named template runs with dot and $ set to arg, as in Go,
  // and with the finding's $labels, $value and $params.
  void CallTemplate(const Node& node, const Value& dot) {
    Value arg = node.pipe ? EvalPipeline(*node.pipe, dot) : Value();
    auto callee = library_ ? library_->find(node.text) : TemplateLibrary::const_iterator();
    if (!library_ || callee == library_->end()) Fail(node.pos, "no template \"" + node.text + "\" in the library");
    if (depth_ + 1 >= kMaxTemplateDepth) {
      throw TemplateDepthError(where_(node.pos) + ": template \"" + node.text + "\" nested more than " +
                               std::to_string(kMaxTemplateDepth) + " deep (does it call itself?)");
    }
    Variables vars = {{"$", arg}};
    vars.insert(vars.end(), globals_.begin(), globals_.end());
    try {
      out_ += Executor(TemplateAccess::Of(callee->second), ctx_.query, library_, depth_ + 1).Run(std::move(vars));
    } catch (const TemplateDepthError&) {
      throw;
    } catch (const TemplateError& e) {
      Fail(node.pos, "in template \"" + node.text + "\": " + e.what());
    }
  }

  void Range(const Node& node, const Value& dot) {
    size_t mark = vars_.size();
    Value v = EvalPipeline(*node.pipe, dot);
    const auto& decl = node.pipe->decl;
    size_t iteration_mark = vars_.size();
    auto iterate = [&](const Value& key, const Value& elem) {
      if (decl.size() == 1) SetVariable(decl[0], elem, node.pos);
      if (decl.size() == 2) {
        SetVariable(decl[0], key, node.pos);
        SetVariable(decl[1], elem, node.pos);
      }
      Walk(node.body, elem);
      vars_.resize(iteration_mark);
    };
    bool empty = true;
    if (v.kind == Kind::kList) {
      for (size_t i = 0; i < v.list->size(); ++i) iterate(Value::Int(static_cast<int64_t>(i)), (*v.list)[i]);
      empty = v.list->empty();
    } else if (v.kind == Kind::kMap) {
      for (const auto& [key, elem] : v.map->entries) iterate(Value::String(key), elem);
      empty = v.map->entries.empty();
    } else if (v.kind != Kind::kNil) {
      Fail(node.pipe->pos, "range can't iterate over " + Format(v));
    }
    if (empty) Walk(node.else_body, dot);
    vars_.resize(mark);
  }

  void SetVariable(const std::string& name, const Value& v, size_t pos) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) {
        it->second = v;
        return;
      }
    }
    Fail(pos, "undefined variable: " + name);
  }

  const Value& Variable(const std::string& name, size_t pos) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) return it->second;
    }
    Fail(pos, "undefined variable: " + name);
  }

  Value EvalPipeline(const Pipeline& pipe, const Value& dot) {
    Value v;
    for (size_t i = 0; i < pipe.cmds.size(); ++i) v = EvalCommand(pipe.cmds[i], dot, i > 0 ? &v : nullptr);
    for (const auto& name : pipe.decl) {
      if (pipe.is_assign) {
        SetVariable(name, v, pipe.pos);
      } else {
        vars_.emplace_back(name, v);
      }
    }
    return v;
  }

  Value EvalCommand(const Command& cmd, const Value& dot, const Value* piped) {
    const Expr& head = cmd.args[0];
    if (head.type == Expr::Type::kFunction) return Call(head, cmd.args, dot, piped);
    return EvalArg(head, dot);
  }

  Value EvalArg(const Expr& e, const Value& dot) {
    switch (e.type) {
      case Expr::Type::kFunction: return Call(e, {}, dot, nullptr);  // a bare name calls it without arguments
      case Expr::Type::kDot: return dot;
      case Expr::Type::kNil: return Value();
      case Expr::Type::kLiteral: return e.literal;
      case Expr::Type::kVariable: return Fields(Variable(e.name, e.pos), e, e.name);
      case Expr::Type::kField: return Fields(dot, e, "");
      case Expr::Type::kPipe: return Fields(EvalPipeline(*e.pipe, dot), e, "(...)");
    }
    return Value();
  }

  // Follows .a.b: struct fields, map keys (missing keys give the map's zero value, as with
  // Prometheus's missingkey=zero).
  Value Fields(Value v, const Expr& e, std::string path) {
    for (const std::string& name : e.fields) {
      if (v.kind == Kind::kStruct) {
        const auto& fields = v.object->fields;
        auto it = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == name; });
        if (it == fields.end()) Fail(e.pos, "can't evaluate field " + name + " in type " + TypeName(v));
        v = it->second;
      } else if (v.kind == Kind::kMap) {
        auto it = v.map->entries.find(name);
        v = it != v.map->entries.end() ? it->second : v.map->string_values ? Value::String("") : Value();
      } else if (v.kind == Kind::kNil) {
        Fail(e.pos, "nil pointer evaluating " + (path.empty() ? "." : path) + "." + name);
      } else {
        Fail(e.pos, "can't evaluate field " + name + " in type " + TypeName(v));
      }
      path += "." + name;
    }
    return v;
  }

  Value Call(const Expr& fn, const std::vector<Expr>& cmd_args, const Value& dot, const Value* piped) {
    if (fn.name == "and" || fn.name == "or") {  // short-circuit: return the deciding operand
      bool want = fn.name == "or";
      Value v;
      for (size_t i = 1; i < cmd_args.size(); ++i) {
        v = EvalArg(cmd_args[i], dot);
        if (Truth(v) == want) return v;
      }
      return piped ? *piped : v;
    }
    Args args;
    for (size_t i = 1; i < cmd_args.size(); ++i) args.push_back(EvalArg(cmd_args[i], dot));
    if (piped) args.push_back(*piped);
    const Function& f = Functions().find(fn.name)->second;
    try {
      return f.impl(args, ctx_);
    } catch (const FuncError& e) {
      Fail(fn.pos, e.bare ? e.message : "error calling " + fn.name + ": " + e.message);
    }
  }

  const TemplateAccess::Impl& impl_;
  const std::function<std::string(size_t)>& where_;
  CallContext ctx_;
  const TemplateLibrary* library_;
  int depth_;
  Variables vars_;
  Variables globals_;  // the predefined variables, which named templates see too
  std::string out_;
};

}  // namespace

Template::Template(std::string_view source) : impl_(std::make_unique<Impl>()) {
  impl_->source = std::string(source);
  impl_->where = [src = std::string_view(impl_->source)](size_t pos) {
    size_t line = 1, line_start = 0;
    for (size_t i = 0; i < pos && i < src.size(); ++i) {
      if (src[i] == '\n') ++line, line_start = i + 1;
    }
    return "line " + std::to_string(line) + " col " + std::to_string(pos - line_start + 1);
  };
  Lexer lexer(impl_->source, impl_->where);
  Parser parser(lexer.Run(), impl_->where);
  impl_->root = parser.Run(impl_->functions, impl_->queries, impl_->templates);
}

Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

std::string Template::Execute(const TemplateData& data, const TemplateQuery& query,
                              const TemplateLibrary* library) const {
  return Executor(*impl_, query, library, 0).Run(DataVariables(data));
}

std::set<std::string> Template::FunctionNames() const { return impl_->functions; }

std::set<std::string> Template::TemplateNames() const { return impl_->templates; }

std::vector<std::string> Template::LiteralQueries() const { return impl_->queries; }

bool IsPrometheusTemplateFunction(std::string_view name) {
  static const std::set<std::string, std::less<>> names = {
      // text/template builtins (Go 1.19)
      "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf", "println", "urlquery",
      "eq", "ge", "gt", "le", "lt", "ne",
      // prometheus/template/template.go (2.42)
      "query", "first", "label", "value", "strvalue", "args", "reReplaceAll", "safeHtml", "match", "title", "toUpper",
      "toLower", "graphLink", "tableLink", "sortByLabel", "stripPort", "humanize", "humanize1024", "humanizeDuration",
      "humanizePercentage", "humanizeTimestamp", "toTime", "pathPrefix", "externalURL", "parseDuration"};
  return names.count(name) > 0;
}

}  // namespace wgtune
