// rtnetlink's RTM_GETQDISC dump (exporter/sources/qdisc.h), given as a recording (the format of
// --collector.qdisc.replay-dir, exporter/wireguard/netlink_client.h), so the fixtures are the seeds.
#include "exporter/sources/qdisc.h"

#include <set>
#include <tuple>

#include "exporter/wireguard/netlink_client.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  std::vector<std::vector<uint8_t>> datagrams;
  if (!fuzz::Parses<ParseError>([&] { datagrams = DecodeNetlinkRecording(fuzz::Text(data, size), "fuzz"); })) return 0;
  std::vector<Qdisc> qdiscs;
  if (!fuzz::Parses<ParseError, NetlinkError>([&] { qdiscs = ParseQdiscDump(datagrams); })) return 0;
  std::set<std::tuple<int32_t, uint32_t, uint32_t>> seen;
  for (const Qdisc& qdisc : qdiscs) {
    fuzz::Check(qdisc.ifindex > 0, "an ifindex that is not positive");
    fuzz::Check(!qdisc.kind.empty() && qdisc.kind.size() <= 15, "TCA_KIND of a length the parser refuses");
    fuzz::Check(seen.emplace(qdisc.ifindex, qdisc.handle, qdisc.parent).second, "the same qdisc twice");
    QdiscHandleText(qdisc.handle);
    QdiscParentText(qdisc.parent);
  }
  return 0;
}
