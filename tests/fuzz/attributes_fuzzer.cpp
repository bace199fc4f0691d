// The small files of /proc and /sys, one parser each, chosen by the input's first byte (the
// seeds carry it, tests/fuzz/make_seeds.py ATTRIBUTE_SELECTORS), the rest being the file:
//   0 uevent  1 operstate  2 a net class number (mtu, ifindex)  3 rps_cpus  4 queue names (one a
//   line)  5 sysctl: 3 numbers (tcp_rmem)  6 sysctl: 1 number  7 sysctl: 1 word  8 sysctl: words
//   9 comm  10 an IRQ action name  11 osrelease  12 /proc/modules  13 modules.builtin
//   14 modules.dep  15 a module path
// Other selectors wrap around (selector % 16).
#include <string>
#include <vector>

#include "common/errors.h"
#include "common/text.h"
#include "exporter/sources/irq_names.h"
#include "exporter/sources/kernel_modules.h"
#include "exporter/sources/kernel_osrelease.h"
#include "exporter/sources/modules_builtin.h"
#include "exporter/sources/modules_dep.h"
#include "exporter/sources/net_class.h"
#include "exporter/sources/proc_comm.h"
#include "exporter/sources/proc_modules.h"
#include "exporter/sources/sysctl.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wgtune;
  // Not a structured binding: clang 14 cannot capture one in a lambda.
  const fuzz::Selected input = fuzz::Select(data, size);
  const uint8_t selector = input.selector;
  const std::string_view text = input.rest;
  switch (selector % 16) {
    case 0:
      fuzz::Parses<ParseError>([&] {
        Uevent uevent = ParseUevent("uevent", text);
        for (const auto& [key, value] : uevent.values) fuzz::Check(uevent.Value(key) == value, "uevent Value");
      });
      break;
    case 1:
      fuzz::Parses<ParseError>([&] {
        OperState state = ParseOperState("operstate", text);
        fuzz::Check(ParseOperState("operstate", OperStateName(state)) == state, "operstate name round trip");
      });
      break;
    case 2:
      fuzz::Parses<ParseError>([&] {
        uint64_t number = ParseNetClassNumber("mtu", text);
        fuzz::Check(ParseNetClassNumber("mtu", std::to_string(number)) == number, "number round trip");
      });
      break;
    case 3:
      fuzz::Parses<ParseError>([&] { ParseRpsCpus("rps_cpus", text); });
      break;
    case 4: {
      std::vector<std::string> names;
      for (std::string_view line : SplitLines(text)) names.emplace_back(line);
      fuzz::Parses<ParseError>([&] { ParseQueueNames("queues", names); });
      break;
    }
    case 5:
      fuzz::Parses<ParseError>([&] { ParseSysctlNumbers("tcp_rmem", text, 3); });
      break;
    case 6:
      fuzz::Parses<ParseError>([&] { ParseSysctlNumber("netdev_max_backlog", text); });
      break;
    case 7:
      fuzz::Parses<ParseError>([&] { ParseSysctlWord("default_qdisc", text); });
      break;
    case 8:
      fuzz::Parses<ParseError>([&] { ParseSysctlWords("tcp_available_congestion_control", text); });
      break;
    case 9:
      fuzz::Parses<ParseError>([&] {
        std::string_view comm = ParseComm(text);
        WireGuardCryptInterface(comm);
      });
      break;
    case 10:
      ClassifyIrqName(text);
      break;
    case 11:
      fuzz::Parses<ParseError>([&] { ParseKernelRelease(text); });
      break;
    case 12:
      fuzz::Parses<ParseError>([&] { ParseProcModules(text); });
      break;
    case 13:
      fuzz::Parses<ParseError>([&] { ParseModulesBuiltin(text); });
      break;
    case 14:
      fuzz::Parses<ParseError>([&] { ParseModulesDep(text); });
      break;
    case 15:
      ModuleNameOfPath(text, true);
      ModuleNameOfPath(text, false);
      NormalizeModuleName(text);
      break;
  }
  return 0;
}
