#include "exporter/sources/interrupts.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "common/errors.h"
#include "common/files.h"
#include "exporter/collector.h"
#include "exporter/config.h"
#include "exporter/sampler.h"
#include "tests/unit/metric_testing.h"

namespace wgtune {

std::unique_ptr<Collector> NewInterruptsCollector(const CollectorContext&);

namespace {

// ---------------------------------------------------------------------------------------
// The parser.

struct RowWant {
  std::string irq;
  bool numeric;
  std::vector<uint64_t> counts;
  std::string chip;
  std::string hwirq;
  std::string flow;
  std::string actions;
};

auto Tie(const InterruptRow& row) {
  return std::tie(row.irq, row.numeric, row.counts, row.chip, row.hwirq, row.flow, row.actions);
}
auto Tie(const RowWant& row) {
  return std::tie(row.irq, row.numeric, row.counts, row.chip, row.hwirq, row.flow, row.actions);
}

struct ParseCase {
  std::string name;
  std::string input;
  bool ok;
  std::vector<unsigned> cpus = {};
  std::vector<RowWant> rows = {};
};

// Headers as show_interrupts() prints them for 2, 4 and 8 online CPUs (nr_irqs < 1000).
const std::string kHeader2 = "           CPU0       CPU1       \n";
const std::string kHeader4 = "           CPU0       CPU1       CPU2       CPU3       \n";
const std::string kHeader8 =
    "           CPU0       CPU1       CPU2       CPU3       CPU4       CPU5       CPU6       CPU7       \n";

const std::vector<ParseCase>& ParseCases() {
  static const std::vector<ParseCase> cases = {
      {"empty input", "", false},
      {"only blank lines", "\n  \n", false},
      {"header field that is not CPU<n>", "           CPU0       CPUx       \n", false},
      {"header CPUs out of order", "           CPU1       CPU0       \n", false},
      {"header CPU repeated", "           CPU0       CPU0       \n", false},
      {"no colon after the IRQ name",
       kHeader2 + " 34         154       9690  PCI-MSI 16385-edge      virtio0-input.0\n", false},
      {"no colon after the IRQ name, colon in the action",
       kHeader2 + " 34        154       9690  Hyper-V PCIe MSI 2701534461953-edge      mlx5_comp0@pci:4ea0:00:02.0\n",
       false},
      {"empty IRQ name", kHeader2 + "   :        154       9690  PCI-MSI 16385-edge      virtio0-input.0\n", false},
      {"not enough counts",
       kHeader4 + " 34:        154       9690  Hyper-V PCIe MSI 2701534461953-edge      mlx5_comp0\n", false},
      {"numbered row with no counts at all", kHeader2 + " 34:\n", false},
      {"garbage count", kHeader2 + " 34:        154       96x0  Hyper-V PCIe MSI 2701534461953-edge      mlx5_comp0\n",
       false},
      {"negative count", kHeader2 + " 34:        -154       9690  PCI-MSI 16385-edge      virtio0-input.0\n", false},
      {"count beyond 64 bits",
       kHeader2 + " 34: 99999999999999999999       9690  PCI-MSI 16385-edge      virtio0-input.0\n", false},
      {"garbage count in a named row", kHeader2 + "NMI:          0         1x   Non-maskable interrupts\n", false},

      // The excerpts of shared/kernel-formats.md, verbatim, under a header of their width.
      {"Hyper-V PCIe MSI, chip name with spaces",
       kHeader2 + " 34:        154       9690  Hyper-V PCIe MSI 2701534461953-edge      mlx5_comp0@pci:4ea0:00:02.0\n",
       true,
       {0, 1},
       {{"34", true, {154, 9690}, "Hyper-V PCIe MSI", "2701534461953", "edge", "mlx5_comp0@pci:4ea0:00:02.0"}}},
      {"6.2+ per-device MSI-X domain",
       kHeader2 + " 99:        324          0  IR-PCI-MSIX-0000:01:00.0    1-edge      mlx5_comp0@pci:0000:01:00.0\n",
       true,
       {0, 1},
       {{"99", true, {324, 0}, "IR-PCI-MSIX-0000:01:00.0", "1", "edge", "mlx5_comp0@pci:0000:01:00.0"}}},
      {"virtio_net on 4.x",
       kHeader4 + " 36:          0        335         37          0   PCI-MSI 16385-edge      virtio0-input.0\n",
       true,
       {0, 1, 2, 3},
       {{"36", true, {0, 335, 37, 0}, "PCI-MSI", "16385", "edge", "virtio0-input.0"}}},
      {"ENA on x86",
       kHeader4 + " 28:    1482671          0          0   35400719   PCI-MSI 81921-edge      eth0-Tx-Rx-0\n",
       true,
       {0, 1, 2, 3},
       {{"28", true, {1482671, 0, 0, 35400719}, "PCI-MSI", "81921", "edge", "eth0-Tx-Rx-0"}}},
      {"arm64 ITS with a 10-digit count",
       kHeader8 +
           " 58:          0          0 1195697946        437          0          0          0          0   ITS-MSI "
           "81921 Edge      eth0-Tx-Rx-0\n",
       true,
       {0, 1, 2, 3, 4, 5, 6, 7},
       {{"58", true, {0, 0, 1195697946, 437, 0, 0, 0, 0}, "ITS-MSI", "81921", "Edge", "eth0-Tx-Rx-0"}}},
      {"arm64 IPI row, count right after the colon",
       kHeader8 + "IPI0:2768808080 2844211768 2878602432 2730576120 2723524623 3349096412 2717389879 2154252810       "
                  "Rescheduling interrupts\n",
       true,
       {0, 1, 2, 3, 4, 5, 6, 7},
       {{"IPI0",
         false,
         {2768808080, 2844211768, 2878602432, 2730576120, 2723524623, 3349096412, 2717389879, 2154252810},
         "",
         "",
         "",
         "Rescheduling interrupts"}}},
      {"3.10 chip and flow fused, no hwirq",
       kHeader8 + "28:     123648          0          0          0          0          0          0          0   "
                  "PCI-MSI-edge      mlx5_comp0@pci:8b76:00:02.0\n",
       true,
       {0, 1, 2, 3, 4, 5, 6, 7},
       {{"28", true, {123648, 0, 0, 0, 0, 0, 0, 0}, "PCI-MSI", "", "edge", "mlx5_comp0@pci:8b76:00:02.0"}}},
      {"ERR carries one count",
       kHeader4 + "ERR:          0\n",
       true,
       {0, 1, 2, 3},
       {{"ERR", false, {0}, "", "", "", ""}}},
      {"MIS carries one count",
       kHeader4 + "MIS:          7\n",
       true,
       {0, 1, 2, 3},
       {{"MIS", false, {7}, "", "", "", ""}}},
      {"arm64 Err",
       kHeader8 + "Err:          0\n",
       true,
       {0, 1, 2, 3, 4, 5, 6, 7},
       {{"Err", false, {0}, "", "", "", ""}}},

      // Other real shapes.
      {"offline CPU: columns follow the header",
       "           CPU0       CPU1       CPU3       \n"
       " 25:    2238714          0         18   PCI-MSI 49153-edge      virtio0-input.0\n",
       true,
       {0, 1, 3},
       {{"25", true, {2238714, 0, 18}, "PCI-MSI", "49153", "edge", "virtio0-input.0"}}},
      {"x86 named rows",
       kHeader2 + "NMI:          0          0   Non-maskable interrupts\n"
                  "LOC:   41085047   50837785   Local timer interrupts\n"
                  "HYP:    8944529    7245935   Hypervisor callback interrupts\n",
       true,
       {0, 1},
       {{"NMI", false, {0, 0}, "", "", "", "Non-maskable interrupts"},
        {"LOC", false, {41085047, 50837785}, "", "", "", "Local timer interrupts"},
        {"HYP", false, {8944529, 7245935}, "", "", "", "Hypervisor callback interrupts"}}},
      {"IO-APIC fasteoi",
       kHeader2 + "  9:          0          0   IO-APIC   9-fasteoi   acpi\n",
       true,
       {0, 1},
       {{"9", true, {0, 0}, "IO-APIC", "9", "fasteoi", "acpi"}}},
      {"3.10 IO-APIC fused",
       kHeader2 + "  9:          0          0   IO-APIC-fasteoi   acpi\n",
       true,
       {0, 1},
       {{"9", true, {0, 0}, "IO-APIC", "", "fasteoi", "acpi"}}},
      {"arm64 GICv3 level",
       kHeader2 + " 11:    5623734    9013156     GICv3  27 Level     arch_timer\n",
       true,
       {0, 1},
       {{"11", true, {5623734, 9013156}, "GICv3", "27", "Level", "arch_timer"}}},
      {"6.2+ in a VM, 3-wide hwirq",
       kHeader2 + " 40:       1830          0  PCI-MSIX-0000:00:04.0   1-edge      gve-ntfy-blk0@pci:0000:00:04.0\n",
       true,
       {0, 1},
       {{"40", true, {1830, 0}, "PCI-MSIX-0000:00:04.0", "1", "edge", "gve-ntfy-blk0@pci:0000:00:04.0"}}},
      {"newest Hyper-V chip name",
       kHeader2 + " 25:    5402117          0  HV-PCI-MSIX-5582:00:00.0   1-edge      mana_q0@pci:5582:00:00.0\n",
       true,
       {0, 1},
       {{"25", true, {5402117, 0}, "HV-PCI-MSIX-5582:00:00.0", "1", "edge", "mana_q0@pci:5582:00:00.0"}}},
      {"shared line",
       kHeader2 + "122:          0          0  IR-PCI-MSI-0000:00:1c.0   0-edge      PCIe PME, pciehp\n",
       true,
       {0, 1},
       {{"122", true, {0, 0}, "IR-PCI-MSI-0000:00:1c.0", "0", "edge", "PCIe PME, pciehp"}}},
      {"action name with spaces",
       kHeader2 + "145:          0      82211  IR-PCI-MSIX-0000:00:14.3    1-edge      iwlwifi: queue 1\n",
       true,
       {0, 1},
       {{"145", true, {0, 82211}, "IR-PCI-MSIX-0000:00:14.3", "1", "edge", "iwlwifi: queue 1"}}},
      {"no domain: flow alone",
       kHeader2 + " 48:   31594633          0   xen-dyn    -event     eth0\n",
       true,
       {0, 1},
       {{"48", true, {31594633, 0}, "xen-dyn", "", "event", "eth0"}}},
      {"3.x Xen MSI-X fused",
       kHeader2 + " 61:    9913002          0  xen-pirq-msi-x     eth0-TxRx-0\n",
       true,
       {0, 1},
       {{"61", true, {9913002, 0}, "xen-pirq", "", "msi-x", "eth0-TxRx-0"}}},
      {"no action (freed)",
       kHeader2 + " 40:          0          0  PCI-MSI 524288-edge\n",
       true,
       {0, 1},
       {{"40", true, {0, 0}, "PCI-MSI", "524288", "edge", ""}}},
      {"no flow printed: split before the action",
       kHeader2 + "  7:    1234567          0      MIPS   7  timer\n",
       true,
       {0, 1},
       {{"7", true, {1234567, 0}, "MIPS", "7", "", "timer"}}},
      {"largest u32 count",
       kHeader2 + " 34: 4294967295          0  PCI-MSI 16385-edge      virtio0-input.0\n",
       true,
       {0, 1},
       {{"34", true, {4294967295, 0}, "PCI-MSI", "16385", "edge", "virtio0-input.0"}}},
      {"named row without counts",
       kHeader2 + "FIQ:              usb_fiq\n",
       true,
       {0, 1},
       {{"FIQ", false, {}, "", "", "", "usb_fiq"}}},
      {"4-digit IRQ column",
       "            CPU0       CPU1       \n"
       "1050:     571282          0  IR-PCI-MSI 50331648-edge      nvme0q0\n"
       " NMI:          0          0   Non-maskable interrupts\n",
       true,
       {0, 1},
       {{"1050", true, {571282, 0}, "IR-PCI-MSI", "50331648", "edge", "nvme0q0"},
        {"NMI", false, {0, 0}, "", "", "", "Non-maskable interrupts"}}},
      {"header only", kHeader2, true, {0, 1}, {}},
      {"no trailing newline",
       "           CPU0       \n  9:          3   IO-APIC   9-fasteoi   acpi",
       true,
       {0},
       {{"9", true, {3}, "IO-APIC", "9", "fasteoi", "acpi"}}},
  };
  return cases;
}

TEST(InterruptsParseTest, Table) {
  for (const ParseCase& c : ParseCases()) {
    SCOPED_TRACE(c.name);
    if (!c.ok) {
      EXPECT_THROW(ParseInterrupts(c.input), ParseError);
      continue;
    }
    ProcInterrupts got = ParseInterrupts(c.input);
    EXPECT_EQ(got.cpus, c.cpus);
    ASSERT_EQ(got.rows.size(), c.rows.size());
    for (size_t i = 0; i < c.rows.size(); ++i) EXPECT_EQ(Tie(got.rows[i]), Tie(c.rows[i])) << "row " << i;
  }
}

TEST(InterruptsParseTest, ErrorNamesTheLineAndTheProblem) {
  try {
    ParseInterrupts(kHeader4 + " 34:        154       9690  Hyper-V PCIe MSI 2701534461953-edge      mlx5_comp0\n");
    FAIL() << "no ParseError";
  } catch (const ParseError& error) {
    EXPECT_STREQ(error.what(), "interrupts line 2: IRQ 34: field 3 \"Hyper-V\" is not a count");
  }
  try {
    ParseInterrupts(kHeader4 + " 34:        154\n");
    FAIL() << "no ParseError";
  } catch (const ParseError& error) {
    EXPECT_STREQ(error.what(), "interrupts line 2: IRQ 34: 1 counts, want 4 (one per CPU of the header)");
  }
}

// Every fixture parses, with the header's CPUs and the expected numbers of rows.
TEST(InterruptsParseTest, Fixtures) {
  struct FixtureCase {
    std::string name;
    size_t cpus;
    unsigned last_cpu;
    size_t numbered;
    size_t named;
  };
  const std::vector<FixtureCase> cases = {
      {"azure-mlx5-5.15", 4, 3, 11, 22}, {"baremetal-mlx5-6.5", 8, 7, 32, 19}, {"virtio-offline-4.15", 3, 3, 17, 15},
      {"rhel7-mlx5-3.10", 8, 7, 18, 16}, {"graviton-ena-5.10", 8, 7, 21, 8},   {"xeon-i40e-5.4", 40, 39, 22, 19},
      {"azure-mana-6.8", 8, 7, 12, 22},
  };
  for (const FixtureCase& c : cases) {
    SCOPED_TRACE(c.name);
    ProcInterrupts got = ParseInterrupts(
        ReadFile(std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/interrupts/" + c.name + "/proc/interrupts"));
    EXPECT_EQ(got.cpus.size(), c.cpus);
    EXPECT_EQ(got.cpus.back(), c.last_cpu);
    size_t numbered = 0;
    for (const InterruptRow& row : got.rows) {
      if (!row.numeric) continue;
      ++numbered;
      EXPECT_EQ(row.counts.size(), c.cpus) << "IRQ " << row.irq;
      EXPECT_FALSE(row.flow.empty()) << "IRQ " << row.irq;
      EXPECT_FALSE(row.actions.empty()) << "IRQ " << row.irq;
    }
    EXPECT_EQ(numbered, c.numbered);
    EXPECT_EQ(got.rows.size() - numbered, c.named);
  }
}

// ---------------------------------------------------------------------------------------
// The collector over fixture trees laid out like / of the host.

std::string FixtureRoot(const std::string& name) {
  return std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/interrupts/" + name;
}

CollectorContext Context(const std::string& name, const ExporterConfig* config = nullptr) {
  CollectorContext context;
  context.procfs = FixtureRoot(name) + "/proc";
  context.sysfs = FixtureRoot(name) + "/sys";
  context.config = config;
  return context;
}

MetricSet CollectFixture(const std::string& name, const ExporterConfig* config = nullptr) {
  MetricSet out;
  NewInterruptsCollector(Context(name, config))->Collect(out);
  return out;
}



// The distinct values of one label over a family's series, in order of appearance.
std::vector<std::string> LabelValues(const MetricSet& set, const std::string& family, const std::string& name) {
  std::vector<std::string> values;
  const prometheus::MetricFamily* found = set.Find(family);
  if (found == nullptr) return values;
  for (const auto& metric : found->metric) {
    for (const Label& label : metric.label) {
      if (label.name == name && std::find(values.begin(), values.end(), label.value) == values.end()) {
        values.push_back(label.value);
      }
    }
  }
  return values;
}

// The rates the sampler would publish if every counter had grown from 0 in `seconds`.
MetricSet RatesSinceBoot(const MetricSet& set, double seconds) {
  MetricSet rates;
  Family rate = rates.Gauge("wgtune_interrupts_per_second", "test");
  for (const auto& metric : set.Find("wgtune_interrupts_total")->metric) {
    rate.Add(metric.label, metric.counter.value / seconds);
  }
  return rates;
}

// As the sampler does: Collect() a sample, then derive from that sample's rates.
MetricSet Derive(const CollectorContext& context, const MetricSet& rates) {
  std::unique_ptr<Collector> collector = NewInterruptsCollector(context);
  MetricSet sample, out;
  collector->Collect(sample);
  collector->DeriveFromRates(rates, out);
  return out;
}

MetricSet Derive(const std::string& name, const MetricSet& rates) { return Derive(Context(name), rates); }

Labels Series(const std::string& irq, const std::string& cpu, const std::string& device, const std::string& queue) {
  return {{"irq", irq}, {"cpu", cpu}, {"device", device}, {"queue", queue}};
}

TEST(InterruptsCollectorTest, AzureMlx5HotCpu) {
  MetricSet set = CollectFixture("azure-mlx5-5.15");
  const prometheus::MetricFamily* total = set.Find("wgtune_interrupts_total");
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->type, prometheus::MetricType::Counter);
  // async0 and comp0-3, one series per CPU; timer, i8042, acpi are not NIC vectors.
  EXPECT_EQ(SeriesCount(set, "wgtune_interrupts_total"), 5u * 4);
  EXPECT_EQ(LabelValues(set, "wgtune_interrupts_total", "irq"),
            (std::vector<std::string>{"33", "34", "35", "36", "37"}));
  EXPECT_EQ(Value(set, "wgtune_interrupts_total",
                  Series("34", "1", "enP20128s1", "0")),
            96897512);
  EXPECT_EQ(Value(set, "wgtune_interrupts_total",
                  Series("37", "3", "enP20128s1", "3")),
            0);
  EXPECT_EQ(Value(set, "wgtune_interrupts_total",
                  Series("33", "1", "enP20128s1", "")),
            2171);

  EXPECT_EQ(Value(set, "wgtune_interrupt_affinity_info",
                  {{"irq", "34"},
                   {"name", "mlx5_comp0@pci:4ea0:00:02.0"},
                   {"driver", "mlx5_core"},
                   {"device", "enP20128s1"},
                   {"queue", "0"},
                   {"affinity", "1"},
                   {"effective_affinity", "1"}}),
            1);
  EXPECT_EQ(Value(set, "wgtune_interrupt_affinity_info",
                  {{"irq", "33"},
                   {"name", "mlx5_async0@pci:4ea0:00:02.0"},
                   {"driver", "mlx5_core"},
                   {"device", "enP20128s1"},
                   {"queue", ""},
                   {"affinity", "0-3"},
                   {"effective_affinity", "1"}}),
            1);
  EXPECT_EQ(Value(set, "wgtune_interrupt_effective_cpus", {{"irq", "33"}, {"device", "enP20128s1"}, {"queue", ""}}), 1);
  EXPECT_EQ(SeriesCount(set, "wgtune_interrupt_effective_cpus"), 5u);
}

TEST(InterruptsCollectorTest, AzureMlx5BusiestCpuExcludesControlVectors) {
  MetricSet rates = RatesSinceBoot(CollectFixture("azure-mlx5-5.15"), 100);
  MetricSet derived = Derive("azure-mlx5-5.15", rates);
  // comp0-3 only; async0's 2183 interrupts are left out.
  const double cpu1 = 96897512.0 + 88123457 + 91200551 + 84567893;
  const double total = cpu1 + 154 + 12 + 3 + 7;
  EXPECT_DOUBLE_EQ(
      *Value(derived, "wgtune_nic_interrupts_per_second", {{"device", "enP20128s1"}, {"driver", "mlx5_core"}}),
      total / 100);
  EXPECT_DOUBLE_EQ(*Value(derived, "wgtune_nic_interrupts_busiest_cpu_ratio",
                          {{"device", "enP20128s1"}, {"driver", "mlx5_core"}, {"cpu", "1"}}),
                   cpu1 / total);
  EXPECT_EQ(SeriesCount(derived, "wgtune_nic_interrupts_busiest_cpu_ratio"), 1u);
}

TEST(InterruptsCollectorTest, BareMetal62DriverFromSysfs) {
  MetricSet set = CollectFixture("baremetal-mlx5-6.5");
  // 9 mlx5 vectors and 4 igb queues; igb's "eno1" vector, nvme, ahci, PCIe PME are not.
  EXPECT_EQ(SeriesCount(set, "wgtune_interrupts_total"), 13u * 8);
  EXPECT_EQ(Value(set, "wgtune_interrupts_total",
                  Series("135", "0", "enp1s0f0np0", "0")),
            9272794);
  // "eno1-TxRx-1" does not name its driver: it comes from /sys/class/net/eno1/device/driver.
  EXPECT_EQ(Value(set, "wgtune_interrupts_total", Series("145", "5", "eno1", "1")), 64356);
  EXPECT_EQ(Value(set, "wgtune_interrupt_effective_cpus", {{"irq", "146"}, {"device", "eno1"}, {"queue", "2"}}), 1);
  EXPECT_EQ(LabelValues(set, "wgtune_interrupts_total", "device"), (std::vector<std::string>{"enp1s0f0np0", "eno1"}));

  MetricSet derived = Derive("baremetal-mlx5-6.5", RatesSinceBoot(set, 1));
  EXPECT_EQ(SeriesCount(derived, "wgtune_nic_interrupts_per_second"), 2u);
  ASSERT_TRUE(Value(derived, "wgtune_nic_interrupts_busiest_cpu_ratio",
                    {{"device", "enp1s0f0np0"}, {"driver", "mlx5_core"}, {"cpu", "0"}}));
}

TEST(InterruptsCollectorTest, VirtioWithOfflineCpu) {
  MetricSet set = CollectFixture("virtio-offline-4.15");
  EXPECT_EQ(LabelValues(set, "wgtune_interrupts_total", "cpu"), (std::vector<std::string>{"0", "1", "3"}));
  EXPECT_EQ(Value(set, "wgtune_interrupts_total", Series("27", "3", "eth0", "1")),
            48213);
  EXPECT_EQ(Value(set, "wgtune_interrupts_total", Series("24", "0", "eth0", "")), 0);
  EXPECT_EQ(Value(set, "wgtune_interrupts_total", Series("32", "3", "eth1", "")),
            77120);
  // A shared legacy line: the NIC's name, not uhci_hcd's.
  EXPECT_EQ(Value(set, "wgtune_interrupts_total", Series("10", "1", "eth2", "")), 3211);
  // virtio1 is a block device: neither its config vector nor its request queue is exported.
  EXPECT_EQ(LabelValues(set, "wgtune_interrupts_total", "irq"),
            (std::vector<std::string>{"10", "24", "25", "26", "27", "28", "31", "32"}));
  EXPECT_EQ(Value(set, "wgtune_interrupt_effective_cpus", {{"irq", "32"}, {"device", "eth1"}, {"queue", ""}}), 1);

  MetricSet derived = Derive("virtio-offline-4.15", RatesSinceBoot(set, 1));
  EXPECT_EQ(Value(derived, "wgtune_nic_interrupts_per_second", {{"device", "eth0"}, {"driver", "virtio_net"}}),
            2238714.0 + 18 + 941 + 12 + 48213 + 301);
  EXPECT_EQ(Value(derived, "wgtune_nic_interrupts_busiest_cpu_ratio",
                  {{"device", "eth1"}, {"driver", "virtio_net"}, {"cpu", "3"}}),
            1);
  EXPECT_EQ(Value(derived, "wgtune_nic_interrupts_busiest_cpu_ratio",
                  {{"device", "eth0"}, {"driver", "virtio_net"}, {"cpu", "0"}}),
            (2238714.0 + 941) / (2238714.0 + 18 + 941 + 12 + 48213 + 301));
}

TEST(InterruptsCollectorTest, Rhel7WithoutEffectiveAffinity) {
  MetricSet set = CollectFixture("rhel7-mlx5-3.10");
  EXPECT_EQ(SeriesCount(set, "wgtune_interrupts_total"), 11u * 8);
  EXPECT_EQ(
      Value(set, "wgtune_interrupts_total", Series("28", "0", "eth1", "0")),
      123648);
  EXPECT_EQ(Value(set, "wgtune_interrupt_affinity_info",
                  {{"irq", "26"},
                   {"name", "mlx5_cmd_eq@pci:8b76:00:02.0"},
                   {"driver", "mlx5_core"},
                   {"device", "eth1"},
                   {"queue", ""},
                   {"affinity", "0-7"},
                   {"effective_affinity", ""}}),
            1);
  // No effective_affinity_list before 4.13: the count comes from smp_affinity_list.
  EXPECT_EQ(Value(set, "wgtune_interrupt_effective_cpus", {{"irq", "26"}, {"device", "eth1"}, {"queue", ""}}), 8);
  EXPECT_EQ(Value(set, "wgtune_interrupt_effective_cpus", {{"irq", "30"}, {"device", "eth1"}, {"queue", "2"}}), 1);
}

TEST(InterruptsCollectorTest, GravitonEna) {
  MetricSet set = CollectFixture("graviton-ena-5.10");
  EXPECT_EQ(SeriesCount(set, "wgtune_interrupts_total"), 9u * 8);
  EXPECT_EQ(Value(set, "wgtune_interrupts_total", Series("58", "2", "eth0", "0")), 1195697946);
  // The management vector is found by its PCI address.
  EXPECT_EQ(Value(set, "wgtune_interrupts_total", Series("57", "0", "eth0", "")),
            0);
  // IPI rows are not per-IRQ series.
  EXPECT_EQ(LabelValues(set, "wgtune_interrupts_total", "irq").front(), "57");
  EXPECT_EQ(Value(set, "wgtune_interrupt_affinity_info",
                  {{"irq", "58"},
                   {"name", "eth0-Tx-Rx-0"},
                   {"driver", "ena"},
                   {"device", "eth0"},
                   {"queue", "0"},
                   {"affinity", "2"},
                   {"effective_affinity", "2"}}),
            1);

  MetricSet derived = Derive("graviton-ena-5.10", RatesSinceBoot(set, 1));
  ASSERT_TRUE(
      Value(derived, "wgtune_nic_interrupts_busiest_cpu_ratio", {{"device", "eth0"}, {"driver", "ena"}, {"cpu", "2"}}));
  EXPECT_GT(
      *Value(derived, "wgtune_nic_interrupts_busiest_cpu_ratio", {{"device", "eth0"}, {"driver", "ena"}, {"cpu", "2"}}),
      0.9);
}

TEST(InterruptsCollectorTest, FortyCpuI40e) {
  MetricSet set = CollectFixture("xeon-i40e-5.4");
  // misc, 8 queues, flow director sideband; 40 CPUs each.
  EXPECT_EQ(SeriesCount(set, "wgtune_interrupts_total"), 10u * 40);
  EXPECT_EQ(LabelValues(set, "wgtune_interrupts_total", "cpu").size(), 40u);
  EXPECT_EQ(Value(set, "wgtune_interrupts_total", Series("141", "39", "ens1f0", "0")), 0);
  EXPECT_EQ(Value(set, "wgtune_interrupts_total", Series("140", "0", "ens1f0", "")),
            2213);
  EXPECT_EQ(Value(set, "wgtune_interrupt_affinity_info",
                  {{"irq", "140"},
                   {"name", "i40e-0000:18:00.0:misc"},
                   {"driver", "i40e"},
                   {"device", "ens1f0"},
                   {"queue", ""},
                   {"affinity", "0-9,20-29"},
                   {"effective_affinity", "0"}}),
            1);
  EXPECT_TRUE(
      Value(set, "wgtune_interrupts_total", Series("149", "8", "ens1f0", "")));
}

TEST(InterruptsCollectorTest, AzureManaBalanced) {
  MetricSet set = CollectFixture("azure-mana-6.8");
  EXPECT_EQ(SeriesCount(set, "wgtune_interrupts_total"), 9u * 8);
  EXPECT_EQ(
      Value(set, "wgtune_interrupts_total", Series("25", "0", "enP30832s1", "0")),
      5402117);
  EXPECT_EQ(
      Value(set, "wgtune_interrupts_total", Series("24", "0", "enP30832s1", "")),
      0);
  MetricSet derived = Derive("azure-mana-6.8", RatesSinceBoot(set, 1));
  const double total = 5402117.0 + 4993610 + 5120987 + 5301452 + 4877209 + 5089913 + 5233008 + 4950376;
  EXPECT_EQ(Value(derived, "wgtune_nic_interrupts_busiest_cpu_ratio",
                  {{"device", "enP30832s1"}, {"driver", "mana"}, {"cpu", "0"}}),
            5402117.0 / total);
}

TEST(InterruptsCollectorTest, UnresolvedDeviceIsGroupedByPciAddress) {
  // A VF that vanished during host servicing: its IRQs remain, the interface does not.
  CollectorContext context = Context("azure-mlx5-5.15");
  context.sysfs = FixtureRoot("does-not-exist");
  MetricSet set;
  NewInterruptsCollector(context)->Collect(set);
  EXPECT_EQ(
      Value(set, "wgtune_interrupts_total", Series("34", "1", "", "0")),
      96897512);
  MetricSet derived = Derive(context, RatesSinceBoot(set, 1));
  EXPECT_TRUE(
      Value(derived, "wgtune_nic_interrupts_per_second", {{"device", "4ea0:00:02.0"}, {"driver", "mlx5_core"}}));
}

TEST(InterruptsCollectorTest, IdleNicHasNoBusiestCpu) {
  MetricSet rates = RatesSinceBoot(CollectFixture("azure-mlx5-5.15"), 1);
  for (auto& metric : const_cast<prometheus::MetricFamily*>(rates.Find("wgtune_interrupts_per_second"))->metric) {
    metric.gauge.value = 0;
  }
  MetricSet derived = Derive("azure-mlx5-5.15", rates);
  EXPECT_EQ(Value(derived, "wgtune_nic_interrupts_per_second", {{"device", "enP20128s1"}, {"driver", "mlx5_core"}}), 0);
  EXPECT_EQ(SeriesCount(derived, "wgtune_nic_interrupts_busiest_cpu_ratio"), 0u);
  EXPECT_EQ(SeriesCount(Derive("azure-mlx5-5.15", MetricSet()), "wgtune_nic_interrupts_per_second"), 0u);
}

TEST(InterruptsCollectorTest, IncludeRegexAddsNames) {
  ExporterConfig config;
  config.interrupts_include = "^nvme0q[1-2]$";
  MetricSet set = CollectFixture("baremetal-mlx5-6.5", &config);
  EXPECT_EQ(SeriesCount(set, "wgtune_interrupts_total"), 15u * 8);
  EXPECT_EQ(Value(set, "wgtune_interrupts_total", Series("127", "1", "", "")), 590018);
  // Built-in names keep their classification.
  EXPECT_TRUE(Value(set, "wgtune_interrupts_total",
                    Series("135", "0", "enp1s0f0np0", "0")));
  MetricSet derived = Derive(Context("baremetal-mlx5-6.5", &config), RatesSinceBoot(set, 1));
  EXPECT_EQ(Value(derived, "wgtune_nic_interrupts_per_second", {{"device", ""}, {"driver", "unknown"}}),
            560221.0 + 590018);
}

TEST(InterruptsCollectorTest, IncludeRegexVouchesForAmbiguousVirtioNames) {
  ExporterConfig config;
  config.interrupts_include = "virtio1-";
  MetricSet set = CollectFixture("virtio-offline-4.15", &config);
  EXPECT_EQ(Value(set, "wgtune_interrupts_total", Series("29", "0", "", "")), 0);
  EXPECT_EQ(Value(set, "wgtune_interrupts_total", Series("30", "0", "", "")), 88312);
}

TEST(InterruptsCollectorTest, InvalidIncludeRegexIsRejected) {
  ExporterConfig config;
  config.interrupts_include = "mlx5_comp[";
  EXPECT_THROW(NewInterruptsCollector(Context("azure-mlx5-5.15", &config)), std::invalid_argument);
}

TEST(InterruptsCollectorTest, MalformedOrMissingSourcesThrow) {
  MetricSet out;
  EXPECT_THROW(NewInterruptsCollector(Context("malformed-counts"))->Collect(out), ParseError);
  EXPECT_THROW(NewInterruptsCollector(Context("malformed-affinity"))->Collect(out), ParseError);
  EXPECT_THROW(NewInterruptsCollector(Context("does-not-exist"))->Collect(out), IoError);
}

TEST(InterruptsCollectorTest, MalformedAffinityErrorNamesTheFile) {
  MetricSet out;
  try {
    NewInterruptsCollector(Context("malformed-affinity"))->Collect(out);
    FAIL() << "no ParseError";
  } catch (const ParseError& error) {
    EXPECT_NE(std::string(error.what()).find("irq/34/smp_affinity_list"), std::string::npos) << error.what();
  }
}

// Through the sampler: the declared rate is published, and the derived families with it.
TEST(InterruptsCollectorTest, SamplerPublishesRatesAndShares) {
  std::vector<NamedCollector> collectors;
  collectors.push_back({"interrupts", NewInterruptsCollector(Context("azure-mlx5-5.15"))});
  double now = 0;
  Sampler sampler(
      std::move(collectors), [&] { return now += 1; }, 5);
  sampler.SampleOnce();
  EXPECT_EQ(sampler.Exposition()->find("wgtune_interrupts_per_second"), std::string::npos);
  sampler.SampleOnce();
  std::string text = *sampler.Exposition();
  EXPECT_NE(text.find("wgtune_interrupts_per_second{irq=\"34\",cpu=\"1\",device=\"enP20128s1\",queue=\"0\"} 0"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("wgtune_nic_interrupts_per_second{device=\"enP20128s1\",driver=\"mlx5_core\"} 0"),
            std::string::npos)
      << text;
  // Nothing moved between the two samples: no busiest CPU to name.
  EXPECT_EQ(text.find("wgtune_nic_interrupts_busiest_cpu_ratio{"), std::string::npos);
}

}  // namespace
}  // namespace wgtune
