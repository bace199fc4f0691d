#include "exporter/wireguard/keys.h"

#include <array>

namespace wgtune {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string EncodeKeyBase64(std::span<const uint8_t, kWireGuardKeyLength> key) {
  std::string out;
  out.reserve(44);
  size_t i = 0;
  for (; i + 3 <= key.size(); i += 3) {
    uint32_t group = (uint32_t{key[i]} << 16) | (uint32_t{key[i + 1]} << 8) | key[i + 2];
    out.push_back(kAlphabet[(group >> 18) & 63]);
    out.push_back(kAlphabet[(group >> 12) & 63]);
    out.push_back(kAlphabet[(group >> 6) & 63]);
    out.push_back(kAlphabet[group & 63]);
  }
  // 32 = 3 * 10 + 2: two bytes left, which base64 writes as three characters and one "=".
  uint32_t group = (uint32_t{key[i]} << 16) | (uint32_t{key[i + 1]} << 8);
  out.push_back(kAlphabet[(group >> 18) & 63]);
  out.push_back(kAlphabet[(group >> 12) & 63]);
  out.push_back(kAlphabet[(group >> 6) & 63]);
  out.push_back('=');
  return out;
}

std::optional<std::string> HexKeyToBase64(std::string_view hex) {
  if (hex.size() != 2 * kWireGuardKeyLength) return std::nullopt;
  std::array<uint8_t, kWireGuardKeyLength> key{};
  for (size_t i = 0; i < key.size(); ++i) {
    int high = HexDigit(hex[2 * i]);
    int low = HexDigit(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    key[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return EncodeKeyBase64(key);
}

}  // namespace wgtune
