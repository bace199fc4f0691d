// Which IRQ action names (the last column of /proc/interrupts) belong to a NIC, and what
// the name says about the queue behind it.
//
// A driver names each vector it requests (request_irq()'s `name`); the names below are the
// formats of the drivers met on cloud VMs and bare metal, from their sources:
//
//   mlx5_core   "mlx5_comp<q>@pci:<pci>"  queue    "mlx5_async<n>@pci:<pci>" control
//               (drivers/net/ethernet/mellanox/mlx5/core/pci_irq.c; before 5.x eq.c named
//               the control vectors "mlx5_pages_eq", "mlx5_cmd_eq", "mlx5_async_eq")
//   mlx4_core   "mlx4-comp-<q>@pci:<pci>" queue    "mlx4-async@pci:<pci>" control
//   mana        "mana_q<q>@pci:<pci>"     queue    "mana_hwc@pci:<pci>"   control
//               (drivers/net/ethernet/microsoft/mana/gdma_main.c)
//   gve         "gve-ntfy-blk<n>@pci:<pci>" queue  "gve-mgmnt@pci:<pci>"  control
//               (notify blocks serve TX queues first, then RX: the name alone has no direction)
//   ena         "<netdev>-Tx-Rx-<q>"      queue    "ena-mgmnt@pci:<pci>"  control
//   i40e, ice, iavf
//               "<driver>-<netdev>-TxRx-<q>" (also -rx-, -tx-) queue
//               "<driver>-<pci>:misc" (iavf ":mbx"), i40e's flow director sideband
//               "i40e-<pci>:fdir-TxRx-<n>" control
//   ixgbe, igb, ixgbevf, e1000e, bnxt_en, ...
//               "<netdev>-TxRx-<q>", "<netdev>-rx-<q>", "<netdev>-tx-<q>" queue; the driver is
//               not in the name (the collector reads it from sysfs)
//   virtio_net  "virtio<n>-input.<q>" (rx), "virtio<n>-output.<q>" (tx), also "-rx.<q>" and
//               "-tx.<q>"; "virtio<n>-config" control; "virtio<n>-virtqueues", one vector
//               for every queue when MSI-X vectors are short; "virtio<n>", legacy INTx
//               (drivers/virtio/virtio_pci_common.c)
//
// Azure's synthetic hv_netvsc NIC has no per-queue IRQ line (its VMBus channel interrupts
// are counted in HYP); its traffic IRQs are on the VF (mlx5 or mana).
//
// "virtio<n>-config", "virtio<n>-virtqueues" and "virtio<n>" are printed for every virtio
// device (block, balloon, rng too), so the name alone does not prove a NIC: such results
// have `needs_netdev` set, and the caller keeps them only when virtio<n> is a network
// interface's device.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wgtune {

enum class IrqRole {
  kQueue,    // carries a queue's (or all queues') packets
  kControl,  // management, command or async events; leave alone (§4.2)
};

struct NicIrqName {
  std::string driver;  // kernel driver name ("mlx5_core", "mana", "ena", "i40e",
                       // "virtio_net"); "" when the name does not say
  IrqRole role = IrqRole::kQueue;
  std::optional<unsigned> queue;           // queue or notify-block number
  std::optional<std::string> pci_address;  // "4ea0:00:02.0", as in /sys/bus/pci/devices
  // The network interface ("eth0", "enP1s15") or the virtio device ("virtio0") named.
  std::optional<std::string> device_hint;
  std::string direction;  // "rx", "tx", "rxtx", or "" when unknown
  bool needs_netdev = false;
};

// Classifies one action name (one of a shared line's ", "-separated names). nullopt for
// names of anything but a NIC ("nvme0q1", "ahci[0000:00:1f.2]", "i8042", "timer").
// Pure and cheap (no regex, no allocation beyond the result).
std::optional<NicIrqName> ClassifyIrqName(std::string_view action);

}  // namespace wgtune
