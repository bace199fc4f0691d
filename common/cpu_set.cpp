#include "common/cpu_set.h"

#include <algorithm>
#include <bit>
#include <cstdio>

#include "common/errors.h"
#include "common/text.h"

namespace wgtune {

CpuSet CpuSet::FromList(std::string_view list) {
  CpuSet set;
  list = Trim(list);
  if (list.empty()) return set;
  for (std::string_view range : Split(list, ',')) {
    range = Trim(range);
    size_t dash = range.find('-');
    auto first = ParseUint(range.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : ParseUint(range.substr(dash + 1));
    // 1<<22 CPUs is far beyond any kernel's NR_CPUS; it bounds memory on garbage input.
    if (!first || !last || *last < *first || *last >= (1u << 22)) {
      throw ParseError("malformed CPU list \"" + std::string(list) + "\"");
    }
    for (uint64_t cpu = *first; cpu <= *last; ++cpu) set.Add(static_cast<unsigned>(cpu));
  }
  return set;
}

CpuSet CpuSet::FromMask(std::string_view mask) {
  CpuSet set;
  std::vector<std::string_view> words = Split(Trim(mask), ',');
  unsigned bit = 0;
  for (auto it = words.rbegin(); it != words.rend(); ++it, bit += 32) {
    auto value = it->size() <= 8 ? ParseHex(*it) : std::nullopt;
    if (!value || bit >= (1u << 22)) throw ParseError("malformed CPU mask \"" + std::string(mask) + "\"");
    for (unsigned i = 0; i < 32; ++i) {
      if (*value & (uint64_t{1} << i)) set.Add(bit + i);
    }
  }
  return set;
}

CpuSet CpuSet::FirstN(unsigned count) {
  CpuSet set;
  for (unsigned cpu = 0; cpu < count; ++cpu) set.Add(cpu);
  return set;
}

void CpuSet::Add(unsigned cpu) {
  if (words_.size() <= cpu / 64) words_.resize(cpu / 64 + 1, 0);
  words_[cpu / 64] |= uint64_t{1} << (cpu % 64);
}

bool CpuSet::Contains(unsigned cpu) const {
  return cpu / 64 < words_.size() && (words_[cpu / 64] >> (cpu % 64) & 1);
}

unsigned CpuSet::Count() const {
  unsigned count = 0;
  for (uint64_t word : words_) count += static_cast<unsigned>(std::popcount(word));
  return count;
}

std::vector<unsigned> CpuSet::Cpus() const {
  std::vector<unsigned> cpus;
  for (size_t w = 0; w < words_.size(); ++w) {
    for (unsigned i = 0; i < 64; ++i) {
      if (words_[w] >> i & 1) cpus.push_back(static_cast<unsigned>(w * 64 + i));
    }
  }
  return cpus;
}

std::string CpuSet::ToList() const {
  std::string out;
  std::vector<unsigned> cpus = Cpus();
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out.push_back(',');
    out += std::to_string(cpus[i]);
    if (j > i) out += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

std::string CpuSet::ToMask() const {
  // Collect 32-bit words, least significant first, then print most significant first.
  std::vector<uint32_t> words32;
  for (uint64_t word : words_) {
    words32.push_back(static_cast<uint32_t>(word));
    words32.push_back(static_cast<uint32_t>(word >> 32));
  }
  while (!words32.empty() && words32.back() == 0) words32.pop_back();
  if (words32.empty()) return "0";
  std::string out;
  char buffer[16];
  for (size_t i = words32.size(); i-- > 0;) {
    // The leading word is unpadded ("f"); the following ones are zero-padded to 8 digits.
    std::snprintf(buffer, sizeof buffer, i + 1 == words32.size() ? "%x" : ",%08x", words32[i]);
    out += buffer;
  }
  return out;
}

bool CpuSet::operator==(const CpuSet& other) const {
  size_t n = std::max(words_.size(), other.words_.size());
  for (size_t i = 0; i < n; ++i) {
    uint64_t a = i < words_.size() ? words_[i] : 0;
    uint64_t b = i < other.words_.size() ? other.words_[i] : 0;
    if (a != b) return false;
  }
  return true;
}

}  // namespace wgtune
