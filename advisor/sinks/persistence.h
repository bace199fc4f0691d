// Making the advisor's fixes survive a reboot (field guide §8), derived from the remediation
// commands themselves, so that what is persisted is exactly what was advised:
//   sysctl -w name=value          → a line of /etc/sysctl.d/99-netbird-tuning.conf (§8.1)
//   echo ... > /sys|/proc/irq ...,
//   ethtool, tc, ip link set (but
//   not mtu)                      → /usr/local/sbin/network-tune.sh, run at boot by
//                                   network-tuning.service (§8.2)
//   ip link set <wg> mtu N        → the NetBird MTU setting, netbird up --mtu N (§8.3)
//   systemctl disable ...         → persistent by itself; run once
// Other commands (probes such as ping, notes) need no persisting.
//
// `wgtune-advisor persist` writes these files for a human to review and install: the advisor
// never changes a host by itself.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "advisor/engine/finding.h"

namespace wgtune {

enum class PersistKind { kNone, kSysctl, kBootScript, kNetbirdMtu, kOnce };

// How one remediation command line is made persistent.
PersistKind ClassifyCommand(const std::string& command);

// What a set of findings asks to keep, in the findings' order, each setting and command once.
struct PersistencePlan {
  std::vector<std::pair<std::string, std::string>> sysctls;  // name, value (first finding wins)
  std::vector<std::string> boot_commands;
  std::vector<std::string> once_commands;                   // systemctl ...
  std::string netbird_mtu;                                   // "" when no MTU change
};

PersistencePlan PlanPersistence(const std::vector<Finding>& findings);

// The files of the plan: (path on the host, content), empty plan parts left out.
std::vector<std::pair<std::string, std::string>> PersistenceFiles(const PersistencePlan& plan, const std::string& instance);

// One finding's persistence in a line or a few (for the reports).
std::vector<std::string> PersistHints(const std::string& remediation);

}  // namespace wgtune
