// /proc/net/route (exporter/sources/net_route.h) and the underlay lookup over it
// (exporter/wireguard/underlay.h).
#include "exporter/sources/net_route.h"

#include "common/errors.h"
#include "exporter/wireguard/underlay.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  Routes routes;
  if (!fuzz::Parses<ParseError>([&] { routes = ParseRoutes(fuzz::Text(data, size)); })) return 0;
  FindDefaultRouteInterface(routes);
  for (std::string_view endpoint : {"192.0.2.1:51820", "10.0.0.7:1", "[2001:db8::1]:51820", "", "x"}) {
    EndpointRouteInterface(routes, endpoint);
  }
  return 0;
}
