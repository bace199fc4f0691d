#include "exporter/sources/irq_names.h"

#include <limits>

#include "common/text.h"

namespace wgtune {
namespace {

std::optional<unsigned> QueueNumber(std::string_view text) {
  std::optional<uint64_t> number = ParseUint(text);
  if (!number || *number > std::numeric_limits<unsigned>::max()) return std::nullopt;
  return static_cast<unsigned>(*number);
}

// `queue` is nullopt for a vector that serves every queue.
NicIrqName Queue(std::string driver, std::optional<unsigned> queue, std::string direction) {
  NicIrqName name;
  name.driver = std::move(driver);
  name.role = IrqRole::kQueue;
  name.queue = queue;
  name.direction = std::move(direction);
  return name;
}

NicIrqName Control(std::string driver) {
  NicIrqName name;
  name.driver = std::move(driver);
  name.role = IrqRole::kControl;
  return name;
}

// "<prefix><number>" → number, when `text` starts with `prefix` and the rest is a number.
std::optional<unsigned> NumberAfter(std::string_view text, std::string_view prefix) {
  if (!StartsWith(text, prefix)) return std::nullopt;
  return QueueNumber(text.substr(prefix.size()));
}

// Names of the form "<base>@pci:<address>" (mlx5, mlx4, mana, gve, ena's management).
std::optional<NicIrqName> ClassifyPciTagged(std::string_view base, std::string_view pci) {
  std::optional<NicIrqName> result;
  if (StartsWith(base, "mlx5_comp")) {
    if (auto queue = NumberAfter(base, "mlx5_comp")) result = Queue("mlx5_core", *queue, "rxtx");
  } else if (StartsWith(base, "mlx5_")) {
    result = Control("mlx5_core");  // mlx5_async<n>; before 5.x mlx5_pages_eq, mlx5_cmd_eq, mlx5_async_eq
  } else if (auto queue = NumberAfter(base, "mlx4-comp-")) {
    result = Queue("mlx4_core", *queue, "rxtx");
  } else if (base == "mlx4-async") {
    result = Control("mlx4_core");
  } else if (auto queue = NumberAfter(base, "mana_q")) {
    result = Queue("mana", *queue, "rxtx");
  } else if (base == "mana_hwc") {
    result = Control("mana");
  } else if (auto block = NumberAfter(base, "gve-ntfy-blk")) {
    result = Queue("gve", *block, "");
  } else if (base == "gve-mgmnt") {
    result = Control("gve");
  } else if (base == "ena-mgmnt") {
    result = Control("ena");
  }
  if (result && !pci.empty()) result->pci_address = std::string(pci);
  return result;
}

// "virtio<n>-<virtqueue>" and legacy INTx "virtio<n>".
std::optional<NicIrqName> ClassifyVirtio(std::string_view action) {
  size_t dash = action.find('-');
  std::string_view device = action.substr(0, dash);
  if (!NumberAfter(device, "virtio")) return std::nullopt;
  std::optional<NicIrqName> result;
  if (dash == std::string_view::npos) {
    result = Queue("virtio_net", std::nullopt, "rxtx");
    result->needs_netdev = true;
  } else {
    std::string_view virtqueue = action.substr(dash + 1);
    // virtio_net names its virtqueues "input.<q>" and "output.<q>"; virtio_console's are
    // "input" and "output" without a number, so the number is required.
    static constexpr struct {
      std::string_view prefix;
      std::string_view direction;
    } kQueues[] = {{"input.", "rx"}, {"output.", "tx"}, {"rx.", "rx"}, {"tx.", "tx"}};
    for (const auto& kind : kQueues) {
      if (auto queue = NumberAfter(virtqueue, kind.prefix)) {
        result = Queue("virtio_net", *queue, std::string(kind.direction));
        break;
      }
    }
    if (!result && virtqueue == "virtqueues") {
      result = Queue("virtio_net", std::nullopt, "rxtx");
      result->needs_netdev = true;
    } else if (!result && virtqueue == "config") {
      result = Control("virtio_net");
      result->needs_netdev = true;
    }
  }
  if (result) result->device_hint = std::string(device);
  return result;
}

// "[<driver>-]<netdev>-TxRx-<q>" and friends, and "<driver>-<pci>:misc".
std::optional<NicIrqName> ClassifyNetdevQueue(std::string_view action) {
  // Drivers that prefix their vector names with their own name (dev_driver_string()).
  static constexpr struct {
    std::string_view prefix;
    std::string_view driver;
  } kDriverPrefixes[] = {{"i40e-", "i40e"}, {"ice-", "ice"}, {"iavf-", "iavf"}};
  std::string_view driver;
  std::string_view rest = action;
  for (const auto& known : kDriverPrefixes) {
    if (StartsWith(action, known.prefix)) {
      driver = known.driver;
      rest = action.substr(known.prefix.size());
      break;
    }
  }
  if (!driver.empty()) {
    for (std::string_view suffix : {std::string_view(":misc"), std::string_view(":mbx")}) {
      if (EndsWith(rest, suffix) && rest.size() > suffix.size()) {
        NicIrqName name = Control(std::string(driver));
        name.pci_address = std::string(rest.substr(0, rest.size() - suffix.size()));
        return name;
      }
    }
  }

  size_t dash = rest.rfind('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::optional<unsigned> queue = QueueNumber(rest.substr(dash + 1));
  if (!queue) return std::nullopt;
  std::string_view head = rest.substr(0, dash);
  static constexpr struct {
    std::string_view suffix;
    std::string_view driver;  // when the suffix alone names the driver
    std::string_view direction;
  } kSuffixes[] = {{"-Tx-Rx", "ena", "rxtx"}, {"-TxRx", "", "rxtx"}, {"-rx", "", "rx"}, {"-tx", "", "tx"}};
  for (const auto& kind : kSuffixes) {
    if (!EndsWith(head, kind.suffix) || head.size() == kind.suffix.size()) continue;
    std::string_view device = head.substr(0, head.size() - kind.suffix.size());
    std::string name_driver(driver.empty() ? kind.driver : driver);
    // A netdev name cannot contain ':' (dev_valid_name()): this is i40e's flow director
    // sideband ("i40e-0000:18:00.0:fdir-TxRx-0"), not a traffic queue.
    if (size_t colon = device.rfind(':'); colon != std::string_view::npos) {
      NicIrqName name = Control(std::move(name_driver));
      if (colon > 0) name.pci_address = std::string(device.substr(0, colon));
      return name;
    }
    NicIrqName name = Queue(std::move(name_driver), *queue, std::string(kind.direction));
    name.device_hint = std::string(device);
    return name;
  }
  return std::nullopt;
}

}  // namespace

std::optional<NicIrqName> ClassifyIrqName(std::string_view action) {
  action = Trim(action);
  if (action.empty()) return std::nullopt;
  static constexpr std::string_view kPciTag = "@pci:";
  if (size_t tag = action.find(kPciTag); tag != std::string_view::npos) {
    return ClassifyPciTagged(action.substr(0, tag), action.substr(tag + kPciTag.size()));
  }
  if (StartsWith(action, "virtio")) {
    if (std::optional<NicIrqName> virtio = ClassifyVirtio(action)) return virtio;
  }
  return ClassifyNetdevQueue(action);
}

}  // namespace wgtune
