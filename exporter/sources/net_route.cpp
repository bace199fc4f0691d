#include "exporter/sources/net_route.h"

#include <arpa/inet.h>

#include <array>
#include <bit>
#include <cstring>

#include "common/errors.h"
#include "common/text.h"

namespace wgtune {
namespace {

[[noreturn]] void Fail(size_t line, const std::string& what) {
  throw ParseError("net/route line " + std::to_string(line) + ": " + what);
}

enum Column { kIface, kDestination, kGateway, kFlags, kMetric, kMask, kColumnCount };
constexpr std::array<std::string_view, kColumnCount> kColumnNames = {"Iface",  "Destination", "Gateway",
                                                                     "Flags", "Metric",      "Mask"};

uint32_t ParseHexField(size_t line, std::string_view column, std::string_view field) {
  std::optional<uint64_t> value = field.size() <= 8 ? ParseHex(field) : std::nullopt;
  if (!value) Fail(line, std::string(column) + " \"" + std::string(field) + "\" is not a 32-bit hex number");
  return static_cast<uint32_t>(*value);
}

uint32_t ParseMetric(size_t line, std::string_view field) {
  std::optional<int64_t> value = ParseInt(field);
  if (!value || *value < INT32_MIN || *value > UINT32_MAX) {
    Fail(line, "Metric \"" + std::string(field) + "\" is not a 32-bit number");
  }
  // The kernel prints the u32 priority with "%d": wrap negative values back.
  return static_cast<uint32_t>(*value);
}

}  // namespace

Routes ParseRoutes(std::string_view text) {
  Routes routes;
  std::array<size_t, kColumnCount> index{};
  size_t header_fields = 0;
  size_t number = 0;
  ForEachLine(text, [&](std::string_view line) {
    ++number;
    std::vector<std::string_view> fields = SplitFields(line);
    if (number == 1) {
      header_fields = fields.size();
      for (size_t column = 0; column < kColumnCount; ++column) {
        size_t i = 0;
        while (i < fields.size() && fields[i] != kColumnNames[column]) ++i;
        if (i == fields.size()) Fail(number, "header has no column " + std::string(kColumnNames[column]));
        index[column] = i;
      }
      return;
    }
    if (fields.empty()) return;
    if (fields.size() != header_fields) {
      Fail(number, std::to_string(fields.size()) + " fields, header has " + std::to_string(header_fields));
    }
    Route route;
    route.interface = std::string(fields[index[kIface]]);
    route.destination = ParseHexField(number, "Destination", fields[index[kDestination]]);
    route.gateway = ParseHexField(number, "Gateway", fields[index[kGateway]]);
    route.flags = ParseHexField(number, "Flags", fields[index[kFlags]]);
    route.metric = ParseMetric(number, fields[index[kMetric]]);
    route.mask = ParseHexField(number, "Mask", fields[index[kMask]]);
    routes.push_back(std::move(route));
  });
  if (number == 0) Fail(1, "empty, want a header line");
  return routes;
}

std::optional<Ipv4Address> ParseIpv4Address(std::string_view text) {
  // inet_pton wants a NUL-terminated string; 15 characters is the longest dotted quad.
  if (text.empty() || text.size() > 15) return std::nullopt;
  char buffer[16] = {};
  std::memcpy(buffer, text.data(), text.size());
  Ipv4Address address;
  if (inet_pton(AF_INET, buffer, address.data()) != 1) return std::nullopt;
  return address;
}

std::optional<std::string> FindRouteInterface(const Routes& routes, Ipv4Address address) {
  // Destination and Mask are the network-order bytes read as a host integer; the address
  // read the same way compares with them bit for bit on any byte order.
  uint32_t as_printed;
  std::memcpy(&as_printed, address.data(), sizeof as_printed);
  const Route* best = nullptr;
  int best_length = -1;
  for (const Route& route : routes) {
    if ((route.flags & kRtfUp) == 0 || (as_printed & route.mask) != route.destination) continue;
    int length = std::popcount(route.mask);
    if (length > best_length || (length == best_length && route.metric < best->metric)) {
      best = &route;
      best_length = length;
    }
  }
  if (best == nullptr || (best->flags & kRtfReject) != 0 || best->interface == "*") return std::nullopt;
  return best->interface;
}

std::optional<std::string> FindDefaultRouteInterface(const Routes& routes) {
  const Route* best = nullptr;
  for (const Route& route : routes) {
    bool is_default = route.destination == 0 && route.mask == 0 && (route.flags & kRtfUp) != 0 &&
                      (route.flags & kRtfReject) == 0 && route.interface != "*";
    if (is_default && (best == nullptr || route.metric < best->metric)) best = &route;
  }
  if (best == nullptr) return std::nullopt;
  return best->interface;
}

}  // namespace wgtune
