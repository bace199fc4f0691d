#include "exporter/sources/irq_names.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace wgtune {
namespace {

auto Tie(const NicIrqName& name) {
  return std::tie(name.driver, name.role, name.queue, name.pci_address, name.device_hint, name.direction,
                  name.needs_netdev);
}

struct Want {
  std::string driver;
  IrqRole role;
  std::optional<unsigned> queue;
  std::optional<std::string> pci;
  std::optional<std::string> device;
  std::string direction;
  bool needs_netdev = false;
};

struct ClassifyCase {
  std::string input;
  std::optional<Want> want;  // nullopt: not a NIC vector
};

constexpr IrqRole kQueue = IrqRole::kQueue;
constexpr IrqRole kControl = IrqRole::kControl;
constexpr std::nullopt_t kNone = std::nullopt;

const std::vector<ClassifyCase>& Cases() {
  static const std::vector<ClassifyCase> cases = {
      // mlx5: Azure VF (PCI domain 4ea0) and bare metal.
      {"mlx5_comp0@pci:4ea0:00:02.0", Want{"mlx5_core", kQueue, 0, "4ea0:00:02.0", kNone, "rxtx"}},
      {"mlx5_comp3@pci:0000:01:00.0", Want{"mlx5_core", kQueue, 3, "0000:01:00.0", kNone, "rxtx"}},
      {"mlx5_comp63@pci:0000:01:00.1", Want{"mlx5_core", kQueue, 63, "0000:01:00.1", kNone, "rxtx"}},
      {"mlx5_async0@pci:0000:01:00.0", Want{"mlx5_core", kControl, kNone, "0000:01:00.0", kNone, ""}},
      // Before 5.x the control EQs had names of their own.
      {"mlx5_pages_eq@pci:8b76:00:02.0", Want{"mlx5_core", kControl, kNone, "8b76:00:02.0", kNone, ""}},
      {"mlx5_cmd_eq@pci:8b76:00:02.0", Want{"mlx5_core", kControl, kNone, "8b76:00:02.0", kNone, ""}},
      {"mlx5_async_eq@pci:8b76:00:02.0", Want{"mlx5_core", kControl, kNone, "8b76:00:02.0", kNone, ""}},
      {"mlx4-comp-2@pci:0002:00:02.0", Want{"mlx4_core", kQueue, 2, "0002:00:02.0", kNone, "rxtx"}},
      {"mlx4-async@pci:0002:00:02.0", Want{"mlx4_core", kControl, kNone, "0002:00:02.0", kNone, ""}},
      // Azure MANA.
      {"mana_q0@pci:7870:00:00.0", Want{"mana", kQueue, 0, "7870:00:00.0", kNone, "rxtx"}},
      {"mana_q15@pci:7870:00:00.0", Want{"mana", kQueue, 15, "7870:00:00.0", kNone, "rxtx"}},
      {"mana_hwc@pci:7870:00:00.0", Want{"mana", kControl, kNone, "7870:00:00.0", kNone, ""}},
      // virtio_net: per-queue vectors, config, one shared vector, legacy INTx.
      {"virtio0-input.0", Want{"virtio_net", kQueue, 0, kNone, "virtio0", "rx"}},
      {"virtio0-output.0", Want{"virtio_net", kQueue, 0, kNone, "virtio0", "tx"}},
      {"virtio12-input.15", Want{"virtio_net", kQueue, 15, kNone, "virtio12", "rx"}},
      {"virtio1-rx.0", Want{"virtio_net", kQueue, 0, kNone, "virtio1", "rx"}},
      {"virtio1-tx.3", Want{"virtio_net", kQueue, 3, kNone, "virtio1", "tx"}},
      {"virtio0-config", Want{"virtio_net", kControl, kNone, kNone, "virtio0", "", true}},
      {"virtio0-virtqueues", Want{"virtio_net", kQueue, kNone, kNone, "virtio0", "rxtx", true}},
      {"virtio3", Want{"virtio_net", kQueue, kNone, kNone, "virtio3", "rxtx", true}},
      // AWS ENA.
      {"eth0-Tx-Rx-0", Want{"ena", kQueue, 0, kNone, "eth0", "rxtx"}},
      {"ens5-Tx-Rx-7", Want{"ena", kQueue, 7, kNone, "ens5", "rxtx"}},
      {"ena-mgmnt@pci:0000:00:05.0", Want{"ena", kControl, kNone, "0000:00:05.0", kNone, ""}},
      // Intel: the netdev-named drivers (ixgbe, igb, e1000e, bnxt_en) and i40e/ice/iavf.
      {"eth0-TxRx-0", Want{"", kQueue, 0, kNone, "eth0", "rxtx"}},
      {"eno1-rx-1", Want{"", kQueue, 1, kNone, "eno1", "rx"}},
      {"eno1-tx-1", Want{"", kQueue, 1, kNone, "eno1", "tx"}},
      {"i40e-enP1s15-TxRx-0", Want{"i40e", kQueue, 0, kNone, "enP1s15", "rxtx"}},
      {"i40e-ens1f0-rx-2", Want{"i40e", kQueue, 2, kNone, "ens1f0", "rx"}},
      {"i40e-0001:00:0f.0:misc", Want{"i40e", kControl, kNone, "0001:00:0f.0", kNone, ""}},
      {"i40e-0000:18:00.0:fdir-TxRx-0", Want{"i40e", kControl, kNone, "0000:18:00.0", kNone, ""}},
      {"ice-ens1f0-TxRx-3", Want{"ice", kQueue, 3, kNone, "ens1f0", "rxtx"}},
      {"ice-0000:3b:00.0:misc", Want{"ice", kControl, kNone, "0000:3b:00.0", kNone, ""}},
      {"iavf-0000:00:06.0:mbx", Want{"iavf", kControl, kNone, "0000:00:06.0", kNone, ""}},
      // Google gVNIC: notify blocks serve TX then RX queues, so no direction.
      {"gve-ntfy-blk0@pci:0000:00:04.0", Want{"gve", kQueue, 0, "0000:00:04.0", kNone, ""}},
      {"gve-mgmnt@pci:0000:00:04.0", Want{"gve", kControl, kNone, "0000:00:04.0", kNone, ""}},
      // Surrounding whitespace, as between shared names, is ignored.
      {"  mlx5_comp1@pci:4ea0:00:02.0 ", Want{"mlx5_core", kQueue, 1, "4ea0:00:02.0", kNone, "rxtx"}},

      // Not NIC vectors.
      {"", kNone},
      {"nvme0q1", kNone},
      {"nvme0q0", kNone},
      {"ahci[0000:00:1f.2]", kNone},
      {"i8042", kNone},
      {"acpi", kNone},
      {"timer", kNone},
      {"hv_stimer", kNone},
      {"iwlwifi: queue 1", kNone},
      {"PCIe PME", kNone},
      {"xhci_hcd", kNone},
      {"dmar0", kNone},
      {"snd_hda_intel:card0", kNone},
      {"vfio-msix[0](0000:3b:00.0)", kNone},
      {"virtio1-req.0", kNone},    // virtio_blk
      {"virtio2-request", kNone},  // virtio_scsi
      {"virtio4-input", kNone},    // virtio_console: no queue number
      {"virtiofoo-input.0", kNone},
      {"virtio", kNone},
      {"eno1", kNone},  // igb's "other" vector is the bare netdev name
      {"-TxRx-0", kNone},
      {"eth0-TxRx-", kNone},
      {"eth0-TxRx-x", kNone},
      {"mlx5_compX@pci:0000:01:00.0", kNone},
      {"mana_qX@pci:7870:00:00.0", kNone},
      {"nvme0q1@pci:0000:02:00.0", kNone},
  };
  return cases;
}

TEST(ClassifyIrqNameTest, Table) {
  for (const ClassifyCase& c : Cases()) {
    SCOPED_TRACE("\"" + c.input + "\"");
    std::optional<NicIrqName> got = ClassifyIrqName(c.input);
    ASSERT_EQ(got.has_value(), c.want.has_value());
    if (!got) continue;
    NicIrqName want;
    want.driver = c.want->driver;
    want.role = c.want->role;
    want.queue = c.want->queue;
    want.pci_address = c.want->pci;
    want.device_hint = c.want->device;
    want.direction = c.want->direction;
    want.needs_netdev = c.want->needs_netdev;
    EXPECT_EQ(Tie(*got), Tie(want));
  }
}

}  // namespace
}  // namespace wgtune
