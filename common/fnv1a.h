// FNV-1a, 64 bits (http://www.isthe.com/chongo/tech/comp/fnv/), over a sequence of strings.
//
// The exporter's one non-cryptographic hash: the sampler keys a counter's series by their label
// list with it, and the tuning fingerprint (tuning_config.h) is one. It is stable across
// builds, platforms and runs (std::hash is not), which the fingerprint needs: two hosts with the
// same configuration must print the same value. Not for anything an adversary chooses.
#pragma once

#include <cstdint>
#include <string_view>

namespace wgtune {

class Fnv1a64 {
 public:
  // Adds the bytes of `text`, then a 0xff byte (never part of UTF-8 text) as a separator, so
  // that ("ab", "c") and ("a", "bc") hash differently.
  void Add(std::string_view text) {
    for (unsigned char c : text) Mix(c);
    Mix(0xff);
  }

  uint64_t value() const { return hash_; }

 private:
  void Mix(unsigned char c) { hash_ = (hash_ ^ c) * 1099511628211ull; }

  uint64_t hash_ = 14695981039346656037ull;
};

}  // namespace wgtune
