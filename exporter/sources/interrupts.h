// Parser of /proc/interrupts: per-CPU counts of every hardware interrupt line.
//
// Source: kernel/irq/proc.c show_interrupts() for numbered IRQs, and the architecture's
// arch_show_interrupts() (arch/x86/kernel/irq.c, arch/arm64/kernel/smp.c) for the named
// rows after them; Documentation/filesystems/proc.rst ("1.2 Kernel data", interrupts).
//
//             CPU0       CPU1
//   34:        154       9690  Hyper-V PCIe MSI 2701534461953-edge      mlx5_comp0@pci:4ea0:00:02.0
//   99:        324          0  IR-PCI-MSIX-0000:01:00.0    1-edge      mlx5_comp0@pci:0000:01:00.0
//   28:     123648          0   PCI-MSI-edge      mlx5_comp0@pci:8b76:00:02.0
//   58:          0 1195697946   ITS-MSI 81921 Edge      eth0-Tx-Rx-0
//  NMI:          0          0   Non-maskable interrupts
//  IPI0:2768808080 2844211768       Rescheduling interrupts
//  ERR:          0
//
// The header names one "CPUn" per ONLINE CPU; the numbers can have gaps (an offline CPU),
// so count columns are mapped to CPUs by the header, never by position. A numbered row has
// one "%10u" count (a u32 that wraps) per header CPU, then:
//   - the chip name, which can contain spaces ("Hyper-V PCIe MSI") and, since 6.2, the
//     device ("IR-PCI-MSIX-0000:01:00.0");
//   - the hwirq, when the IRQ has a domain (4.x+), right-aligned;
//   - the flow: x86 prints the handler name fused to the hwirq ("81921-edge", "9-fasteoi"),
//     3.10 fuses it to the chip ("PCI-MSI-edge", "IO-APIC-fasteoi"), without a domain it
//     stands alone ("-event"); arm64 and other GENERIC_IRQ_SHOW_LEVEL architectures print
//     "Edge" or "Level" as a word of its own;
//   - the action names, joined with ", " when the line is shared ("PCIe PME, pciehp").
// Since neither chip nor action has a fixed number of words, the row is split at the flow
// token. A row without a recognisable flow (an architecture that prints none) is split at
// the last run of two or more spaces, which the kernel prints before the action names.
//
// Named rows ("NMI", "LOC", "IPI0", "ERR", "MIS", "Err", ...) carry up to one count per CPU
// (ERR/MIS/Err carry one: a global count; Raspberry Pi's "FIQ:" carries none) and a
// description. arm64 prints "IPI0:" with no space before a 10-digit count.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wgtune {

struct InterruptRow {
  std::string irq;       // the text before the colon: "34", "NMI", "IPI0", "ERR"
  bool numeric = false;  // a numbered IRQ (as in /proc/irq/<irq>/), not a named row
  // One per CPU of the header, in the same order. Named rows may have fewer (ERR has one).
  std::vector<uint64_t> counts;
  // Numbered rows only; each "" when the kernel printed none.
  std::string chip;   // "Hyper-V PCIe MSI", "IR-PCI-MSIX-0000:01:00.0", "PCI-MSI", "ITS-MSI"
  std::string hwirq;  // "2701534461953", "1", "81921"
  std::string flow;   // "edge", "fasteoi", "event", "Edge", "Level"
  // Numbered rows: the action names as printed ("mlx5_comp0@pci:4ea0:00:02.0",
  // "PCIe PME, pciehp"). Named rows: the description ("Non-maskable interrupts").
  std::string actions;
};

struct ProcInterrupts {
  std::vector<unsigned> cpus;  // from the header, in column order
  std::vector<InterruptRow> rows;
};

// Parses the whole file. Throws ParseError ("interrupts line 3: ...") when there is no
// header, when the header has a field that is not "CPU<n>", when a line has no colon after
// its IRQ name, when a numbered row has fewer counts than the header has CPUs, or when a
// count is not a number.
ProcInterrupts ParseInterrupts(std::string_view text);

}  // namespace wgtune
