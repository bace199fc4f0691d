// Parser of one sysctl value: the content of a file under /proc/sys.
//
// Source: kernel/sysctl.c (proc_dointvec, proc_doulongvec_minmax, proc_dostring) and
// Documentation/admin-guide/sysctl/net.rst. A numeric sysctl prints its values in decimal,
// several of them separated by a TAB ("4096\t131072\t6291456\n" for net.ipv4.tcp_rmem); a
// string sysctl prints its text and a newline ("bbr\n"), a list of words separated by spaces
// for the "available" ones ("reno cubic bbr\n"). Any run of whitespace separates fields here,
// so a value written back by hand with spaces parses the same.
//
// The parsers take the sysctl's dotted name only to say which one was malformed; they read
// no file. Each throws ParseError ("sysctl net.core.rmem_max: ...") when the text does not
// have the shape asked for.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wgtune {

// Exactly `count` decimal integers (negative allowed, unsigned up to 2^64-1), as doubles:
// the exporter publishes nothing else, and sysctl values stay far below 2^53.
std::vector<double> ParseSysctlNumbers(std::string_view name, std::string_view text, size_t count);

// One decimal integer ("1000\n").
double ParseSysctlNumber(std::string_view name, std::string_view text);

// Exactly one word ("fq_codel\n").
std::string ParseSysctlWord(std::string_view name, std::string_view text);

// One or more words ("reno cubic bbr\n"), in file order.
std::vector<std::string> ParseSysctlWords(std::string_view name, std::string_view text);

}  // namespace wgtune
