#include "exporter/ethtool/ethtool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/errors.h"
#include "common/files.h"
#include "exporter/collector.h"
#include "exporter/config.h"
#include "exporter/sampler.h"
#include "tests/unit/metric_testing.h"

namespace wgtune {

std::unique_ptr<Collector> NewEthtoolCollector(const CollectorContext&);
std::unique_ptr<Collector> NewEthtoolCollector(const CollectorContext&, std::unique_ptr<EthtoolTransport>);

namespace {

// ---------------------------------------------------------------------------------------------
// Answer bytes, laid out as include/uapi/linux/ethtool.h lays out the structs (x86-64).

class Bytes {
 public:
  Bytes& U32(uint32_t value) { return Append(&value, sizeof value); }
  Bytes& U64(uint64_t value) { return Append(&value, sizeof value); }
  Bytes& Text(const std::string& text, size_t width) {
    std::vector<uint8_t> field(width, 0);
    std::memcpy(field.data(), text.data(), std::min(text.size(), width));
    return Append(field.data(), width);
  }
  Bytes& Zeros(size_t count) {
    data_.insert(data_.end(), count, 0);
    return *this;
  }
  operator std::vector<uint8_t>() const { return data_; }
  std::vector<uint8_t> Vec() const { return data_; }
  std::vector<uint8_t> Take(size_t count) const { return {data_.begin(), data_.begin() + count}; }

 private:
  Bytes& Append(const void* bytes, size_t size) {
    const uint8_t* begin = static_cast<const uint8_t*>(bytes);
    data_.insert(data_.end(), begin, begin + size);
    return *this;
  }
  std::vector<uint8_t> data_;
};

std::vector<uint8_t> DriverInfoAnswer(const std::string& driver, const std::string& version, const std::string& fw,
                                      const std::string& bus, uint32_t n_stats) {
  return Bytes()
      .U32(0x03)
      .Text(driver, 32)
      .Text(version, 32)
      .Text(fw, 32)
      .Text(bus, 32)
      .Text("", 32)
      .Zeros(12)
      .U32(0)
      .U32(n_stats)
      .U32(0)
      .U32(0)
      .U32(0);
}

std::vector<uint8_t> RingAnswer(uint32_t rx_max, uint32_t tx_max, uint32_t rx, uint32_t tx) {
  return Bytes().U32(0x10).U32(rx_max).U32(0).U32(0).U32(tx_max).U32(rx).U32(0).U32(0).U32(tx);
}

std::vector<uint8_t> ChannelsAnswer(uint32_t max_combined, uint32_t combined) {
  return Bytes().U32(0x3c).U32(0).U32(0).U32(1).U32(max_combined).U32(0).U32(0).U32(1).U32(combined);
}

std::vector<uint8_t> StringSetAnswer(uint64_t mask, const std::vector<uint32_t>& counts) {
  Bytes bytes;
  bytes.U32(0x37).U32(0).U64(mask);
  for (uint32_t count : counts) bytes.U32(count);
  return bytes;
}

std::vector<uint8_t> StringsAnswer(const std::vector<std::string>& names) {
  Bytes bytes;
  bytes.U32(0x1b).U32(1).U32(static_cast<uint32_t>(names.size()));
  for (const std::string& name : names) bytes.Text(name, 32);
  return bytes;
}

std::vector<uint8_t> StatisticsAnswer(const std::vector<uint64_t>& values) {
  Bytes bytes;
  bytes.U32(0x1d).U32(static_cast<uint32_t>(values.size()));
  for (uint64_t value : values) bytes.U64(value);
  return bytes;
}

std::vector<uint8_t> RxnfcAnswer(uint32_t command, uint32_t flow_type, uint64_t data) {
  return Bytes().U32(command).U32(flow_type).U64(data).Zeros(176);
}

std::vector<uint8_t> FeatureStringsAnswer(const std::vector<std::string>& names) {
  Bytes bytes;
  bytes.U32(0x1b).U32(4).U32(static_cast<uint32_t>(names.size()));
  for (const std::string& name : names) bytes.Text(name, 32);
  return bytes;
}

// GFEATURES: `size` as the kernel announces it, then the blocks {available, requested, active,
// never_changed}.
std::vector<uint8_t> FeaturesAnswer(uint32_t size, const std::vector<std::array<uint32_t, 4>>& blocks) {
  Bytes bytes;
  bytes.U32(0x3a).U32(size);
  for (const auto& block : blocks) bytes.U32(block[0]).U32(block[1]).U32(block[2]).U32(block[3]);
  return bytes;
}

std::vector<uint8_t> IndirectionAnswer(const std::vector<uint32_t>& table) {
  Bytes bytes;
  bytes.U32(0x38).U32(static_cast<uint32_t>(table.size()));
  for (uint32_t queue : table) bytes.U32(queue);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Decoders

TEST(EthtoolDecodeTest, DriverInfo) {
  EthtoolDriverInfo info = DecodeDriverInfo(
      DriverInfoAnswer("mlx5_core", "5.15.0-1057-azure", "16.31.1014 (MSF0000000012)", "7870:00:02.0", 148));
  EXPECT_EQ(info.driver, "mlx5_core");
  EXPECT_EQ(info.version, "5.15.0-1057-azure");
  EXPECT_EQ(info.firmware_version, "16.31.1014 (MSF0000000012)");
  EXPECT_EQ(info.bus_info, "7870:00:02.0");
  EXPECT_EQ(info.n_stats, 148u);

  // A field filled to its 32 bytes has no NUL; bytes a label cannot hold become '?'.
  std::string full(32, 'v');
  EthtoolDriverInfo odd = DecodeDriverInfo(DriverInfoAnswer("ena", full, "fw\x01\xff", "", 0));
  EXPECT_EQ(odd.version, full);
  EXPECT_EQ(odd.firmware_version, "fw??");
  EXPECT_EQ(odd.bus_info, "");

  EXPECT_THROW(DecodeDriverInfo({}), ParseError);  // empty input
  std::vector<uint8_t> answer = DriverInfoAnswer("veth", "1.0", "", "", 0);
  EXPECT_THROW(DecodeDriverInfo(std::span(answer).first(195)), ParseError);  // not enough bytes
  answer[0] = 0x04;
  EXPECT_THROW(DecodeDriverInfo(answer), ParseError);  // another command's answer
}

TEST(EthtoolDecodeTest, RingParamAndChannels) {
  EthtoolRings rings = DecodeRingParam(RingAnswer(16384, 1024, 1024, 512));
  EXPECT_EQ(rings.rx_max, 16384u);
  EXPECT_EQ(rings.tx_max, 1024u);
  EXPECT_EQ(rings.rx, 1024u);
  EXPECT_EQ(rings.tx, 512u);
  EXPECT_EQ(rings.rx_mini_max, 0u);
  EXPECT_THROW(DecodeRingParam({}), ParseError);
  EXPECT_THROW(DecodeRingParam(Bytes().U32(0x10).Vec()), ParseError);
  EXPECT_THROW(DecodeRingParam(ChannelsAnswer(8, 4)), ParseError);  // same size, other command

  EthtoolChannels channels = DecodeChannels(ChannelsAnswer(8, 4));
  EXPECT_EQ(channels.max_combined, 8u);
  EXPECT_EQ(channels.combined, 4u);
  EXPECT_EQ(channels.max_other, 1u);
  EXPECT_EQ(channels.other, 1u);
  EXPECT_EQ(channels.max_rx, 0u);
  EXPECT_THROW(DecodeChannels({}), ParseError);
  std::vector<uint8_t> channels_answer = ChannelsAnswer(8, 4);
  EXPECT_THROW(DecodeChannels(std::span(channels_answer).first(35)), ParseError);
}

TEST(EthtoolDecodeTest, StringSetCount) {
  struct Case {
    std::string name;
    std::vector<uint8_t> answer;
    bool ok;
    std::optional<uint32_t> want;
  };
  const std::vector<Case> cases = {
      {"empty input", {}, false, std::nullopt},
      {"statistics only", StringSetAnswer(1 << 1, {228}), true, 228},
      // ETH_SS_TEST (bit 0) comes first in data[], the statistics second.
      {"test and statistics", StringSetAnswer(0b11, {5, 228}), true, 228},
      {"no statistics: the kernel cleared the bit", StringSetAnswer(0, {}), true, std::nullopt},
      {"not enough counts for the mask", StringSetAnswer(0b11, {5}), false, std::nullopt},
      {"another command", Bytes().U32(0x1b).U32(0).U64(2).U32(1), false, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    if (!c.ok) {
      EXPECT_THROW(DecodeStringSetCount(c.answer, kEthtoolStringSetStatistics), ParseError);
      continue;
    }
    EXPECT_EQ(DecodeStringSetCount(c.answer, kEthtoolStringSetStatistics), c.want);
  }
}

TEST(EthtoolDecodeTest, StringsAndStatistics) {
  std::string longest(32, 'x');  // a name that fills its slot has no NUL
  EXPECT_EQ(DecodeStrings(StringsAnswer({"rx_out_of_buffer", "rx0_packets", longest})),
            (std::vector<std::string>{"rx_out_of_buffer", "rx0_packets", longest}));
  EXPECT_EQ(DecodeStrings(StringsAnswer({})), std::vector<std::string>{});
  EXPECT_THROW(DecodeStrings({}), ParseError);
  std::vector<uint8_t> strings = StringsAnswer({"a", "b"});
  EXPECT_THROW(DecodeStrings(std::span(strings).first(strings.size() - 1)), ParseError);  // not enough names
  // Room for more entries than announced (the caller's headroom) is not an error.
  strings.resize(strings.size() + 320, 0);
  EXPECT_EQ(DecodeStrings(strings).size(), 2u);

  EXPECT_EQ(DecodeStatistics(StatisticsAnswer({18734, 0, UINT64_MAX})), (std::vector<uint64_t>{18734, 0, UINT64_MAX}));
  EXPECT_THROW(DecodeStatistics({}), ParseError);
  std::vector<uint8_t> values = StatisticsAnswer({1, 2});
  EXPECT_THROW(DecodeStatistics(std::span(values).first(20)), ParseError);
  values[0] = 0x1b;
  EXPECT_THROW(DecodeStatistics(values), ParseError);
}

TEST(EthtoolDecodeTest, RxnfcAndIndirection) {
  EXPECT_EQ(DecodeRxnfcData(RxnfcAnswer(0x29, 2, 0xf0), kEthtoolGetRxFlowHash), 0xf0u);
  EXPECT_EQ(DecodeRxnfcData(RxnfcAnswer(0x2d, 0, 8), kEthtoolGetRxRings), 8u);
  // The struct's original definition: cmd, flow_type, data.
  EXPECT_EQ(DecodeRxnfcData(Bytes().U32(0x29).U32(2).U64(0x30).Take(16), kEthtoolGetRxFlowHash), 0x30u);
  EXPECT_THROW(DecodeRxnfcData(Bytes().U32(0x29).U32(2).U32(0x30).Take(12), kEthtoolGetRxFlowHash), ParseError);
  EXPECT_THROW(DecodeRxnfcData(RxnfcAnswer(0x2d, 0, 8), kEthtoolGetRxFlowHash), ParseError);

  EXPECT_EQ(DecodeIndirectionSize(Bytes().U32(0x38).U32(128).Vec()), 128u);
  EXPECT_EQ(DecodeIndirection(IndirectionAnswer({0, 1, 2, 3, 0})), (std::vector<uint32_t>{0, 1, 2, 3, 0}));
  EXPECT_THROW(DecodeIndirection(Bytes().U32(0x38).U32(128).Vec()), ParseError);  // the size-0 answer has no table
  EXPECT_THROW(DecodeIndirectionSize(Bytes().U32(0x38).Take(4)), ParseError);
}

TEST(EthtoolDecodeTest, Features) {
  std::vector<EthtoolFeatureBlock> blocks =
      DecodeFeatures(FeaturesAnswer(2, {{0x4001, 0x4000, 0x4021, 0x3400}, {0x8000002, 0, 0x2, 0}}));
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].available, 0x4001u);
  EXPECT_EQ(blocks[0].requested, 0x4000u);
  EXPECT_EQ(blocks[0].active, 0x4021u);
  EXPECT_EQ(blocks[0].never_changed, 0x3400u);
  EXPECT_EQ(blocks[1].available, 0x8000002u);
  EXPECT_EQ(blocks[1].active, 0x2u);
  EXPECT_EQ(DecodeFeatures(FeaturesAnswer(0, {})).size(), 0u);
  EXPECT_THROW(DecodeFeatures({}), ParseError);                          // empty input
  EXPECT_THROW(DecodeFeatures(Bytes().U32(0x3a).Take(4)), ParseError);   // no size
  EXPECT_THROW(DecodeFeatures(FeaturesAnswer(2, {{1, 1, 1, 0}})), ParseError);  // fewer blocks than announced
  EXPECT_THROW(DecodeFeatures(Bytes().U32(0x3b).U32(0).Vec()), ParseError);  // another command's answer
}

TEST(EthtoolDecodeTest, FlowHashFields) {
  struct Case {
    uint64_t bits;
    std::string fields;
    bool ports;
  };
  const Case cases[] = {
      {0x30, "sd", false},    {0xf0, "sdfn", true},           {0x70, "sdf", false},
      {0, "", false},         {0xfe, "mvtsdfn", true},        {0x80000000, "r", false},
      {0x1f0, "sdfne", true}, {uint64_t{1} << 40, "", false},  // no letter for it
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FlowHashFields(c.bits), c.fields) << c.bits;
    EXPECT_EQ(FlowHashIncludesPorts(c.bits), c.ports) << c.bits;
  }
}

TEST(EthtoolDecodeTest, AnswerLength) {
  std::vector<uint8_t> strings = StringsAnswer({"a", "b"});
  strings.resize(strings.size() + 640, 0);
  EXPECT_EQ(EthtoolAnswerLength(strings), 12u + 2 * 32);
  std::vector<uint8_t> values = StatisticsAnswer({1, 2, 3});
  values.resize(values.size() + 64, 0);
  EXPECT_EQ(EthtoolAnswerLength(values), 8u + 3 * 8);
  EXPECT_EQ(EthtoolAnswerLength(StringSetAnswer(0b11, {5, 9})), 16u + 2 * 4);
  // The size-0 probe of GRXFHINDIR: the header announces 128 entries the buffer has no room for.
  EXPECT_EQ(EthtoolAnswerLength(Bytes().U32(0x38).U32(128).Vec()), 8u);
  EXPECT_EQ(EthtoolAnswerLength(ChannelsAnswer(8, 4)), 36u);
  // GFEATURES asked for one block of the kernel's two: the header says 2, the buffer holds 1.
  EXPECT_EQ(EthtoolAnswerLength(FeaturesAnswer(2, {{1, 1, 1, 0}})), 8u + 16);
  EXPECT_EQ(EthtoolAnswerLength(FeaturesAnswer(2, {{1, 1, 1, 0}, {0, 0, 0, 0}})), 8u + 2 * 16);
  EXPECT_EQ(EthtoolAnswerLength({}), 0u);
}

// ---------------------------------------------------------------------------------------------
// Statistic names

TEST(EthtoolStatisticNameTest, Table) {
  struct Case {
    std::string raw;
    std::string name;
    std::string queue;
  };
  const Case cases[] = {
      // ENA
      {"queue_3_rx_page_alloc_fail", "rx_page_alloc_fail", "3"},
      {"queue_0_tx_queue_stop", "tx_queue_stop", "0"},
      {"queue_9_xdp_tx_cnt", "xdp_tx_cnt", "9"},
      {"bw_in_allowance_exceeded", "bw_in_allowance_exceeded", ""},
      {"ena_admin_q_aborted_cmd", "ena_admin_q_aborted_cmd", ""},
      // virtio_net before 6.10, veth, hv_netvsc, Intel
      {"rx_queue_3_drops", "rx_drops", "3"},
      {"rx_queue_12_xdp_drops", "rx_xdp_drops", "12"},
      {"tx_queue_0_xdp_xmit_errors", "tx_xdp_xmit_errors", "0"},
      {"tx_queue_1_tx_timeouts", "tx_tx_timeouts", "1"},
      // mlx5 and virtio_net 6.10+
      {"rx3_drops", "rx_drops", "3"},
      {"rx0_buff_alloc_err", "rx_buff_alloc_err", "0"},
      {"tx15_dropped", "tx_dropped", "15"},
      {"ch2_eq_rearm", "ch_eq_rearm", "2"},
      {"rx1_hw_drops", "rx_hw_drops", "1"},
      {"rx010_drops", "rx_drops", "10"},
      // gve
      {"rx_dropped_pkt[3]", "rx_dropped_pkt", "3"},
      // Global: sums over queues, priorities, CPUs, digits that are not a queue.
      {"tx_queue_dropped", "tx_queue_dropped", ""},
      {"tx_queue_stopped", "tx_queue_stopped", ""},
      {"rx_out_of_buffer", "rx_out_of_buffer", ""},
      {"rx_prio0_discards", "rx_prio0_discards", ""},
      {"rx_discards_phy", "rx_discards_phy", ""},
      {"rx_buffer_passed_thres_phy", "rx_buffer_passed_thres_phy", ""},
      {"cpu0_vf_rx_packets", "cpu0_vf_rx_packets", ""},
      {"rx_65_to_127_bytes_phy", "rx_65_to_127_bytes_phy", ""},
      {"ptp_tx0_packets", "ptp_tx0_packets", ""},
      {"os2bmc_rx_by_bmc", "os2bmc_rx_by_bmc", ""},
      {"peer_ifindex", "peer_ifindex", ""},
      // Shapes that almost match.
      {"rx3_", "rx3_", ""},
      {"rx_queue_3_", "rx_queue_3_", ""},
      {"queue_3", "queue_3", ""},
      {"_queue_3_drops", "_queue_3_drops", ""},
      {"rx_queue_x_drops", "rx_queue_x_drops", ""},
      {"rx_queue_99999999999_drops", "rx_queue_99999999999_drops", ""},
      {"drops[]", "drops[]", ""},
      {"[3]", "[3]", ""},
      {"", "", ""},
  };
  for (const Case& c : cases) {
    StatisticName got = SplitStatisticName(c.raw);
    EXPECT_EQ(got.name, c.name) << c.raw;
    EXPECT_EQ(got.queue, c.queue) << c.raw;
  }
}

// ---------------------------------------------------------------------------------------------
// The recording format

TEST(EthtoolRecordingTest, ParseTable) {
  struct Case {
    std::string name;
    std::string input;
    bool ok;
    size_t answers = 0;
  };
  const std::vector<Case> cases = {
      {"empty input", "", true, 0},
      {"comments and blank lines", "# eth0\n\n   \n# more\n", true, 0},
      {"an answer", "GCHANNELS 3c000000 00000000000000000000000008000000 00000000000000000000000004000000\n", true, 1},
      {"an errno", "GRINGPARAM errno 95\n", true, 1},
      {"a selector", "GRXFH flow_type=2 errno 95\nGRXFHINDIR size=0 3800000080000000\n", true, 2},
      {"a later line replaces", "GCHANNELS errno 95\nGCHANNELS errno 22\n", true, 1},
      {"unknown command", "GFOO 00\n", false},
      {"lower case command", "gchannels 3c000000\n", false},
      {"missing selector", "GSTRINGS 1b000000\n", false},
      {"wrong selector", "GSTRINGS flow_type=1 1b000000\n", false},
      {"bad selector number", "GSTRINGS string_set=x 1b000000\n", false},
      {"not enough fields", "GDRVINFO\n", false},
      {"selector without answer", "GRXFH flow_type=2\n", false},
      {"odd hex digits", "GCHANNELS 3c00000\n", false},
      {"garbage hex", "GCHANNELS 3c0000zz\n", false},
      {"0x prefix", "GCHANNELS 0x3c000000\n", false},
      {"errno without number", "GCHANNELS errno\n", false},
      {"errno zero", "GCHANNELS errno 0\n", false},
      {"errno garbage", "GCHANNELS errno 9x\n", false},
      {"errno with extra field", "GCHANNELS errno 95 96\n", false},
      {"answer shorter than the struct", "GCHANNELS 3c00000000000000\n", false},
      {"another command's answer", "GRXRINGS 29" + std::string(382, '0') + "\n", false},
      {"fewer names than announced", "GSTRINGS string_set=1 1b0000000100000002000000 " + std::string(64, '0') + "\n",
       false},
      {"as many names as announced", "GSTRINGS string_set=1 1b0000000100000002000000 " + std::string(128, '0') + "\n",
       true, 1},
      {"features as asked", "GFEATURES size=2 3a00000002000000 " + std::string(64, '0') + "\n", true, 1},
      // Asked for one block of two, the kernel writes one: what an exporter asking too few records.
      {"fewer features asked than announced", "GFEATURES size=1 3a00000002000000 " + std::string(32, '0') + "\n",
       true, 1},
      {"fewer feature blocks than asked", "GFEATURES size=2 3a00000002000000 " + std::string(32, '0') + "\n", false},
      {"features without size", "GFEATURES 3a00000002000000\n", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    if (!c.ok) {
      EXPECT_THROW(ParseEthtoolRecording("eth0.ethtool", c.input), ParseError);
      continue;
    }
    EXPECT_EQ(ParseEthtoolRecording("eth0.ethtool", c.input).size(), c.answers);
  }
}

TEST(EthtoolRecordingTest, ParsedValues) {
  EthtoolRecording recording =
      ParseEthtoolRecording("eth0.ethtool",
                            "GSSET_INFO sset_mask=2 37000000000000000200000000000000 e4000000\n"
                            "GRXFH flow_type=2 errno 95\n");
  const EthtoolRecordedAnswer& info = recording.at({kEthtoolGetStringSetInfo, 2});
  EXPECT_EQ(info.error, 0);
  EXPECT_EQ(info.bytes, StringSetAnswer(2, {228}));
  EXPECT_EQ(recording.at({kEthtoolGetRxFlowHash, 2}).error, 95);
  EXPECT_EQ(recording.count({kEthtoolGetRxFlowHash, 6}), 0u);
}

TEST(EthtoolRecordingTest, ErrorNamesTheFileAndLine) {
  try {
    ParseEthtoolRecording("dir/eth0.ethtool", "# header\nGCHANNELS errno 95\nGCHANNELS zz\n");
    FAIL() << "no ParseError";
  } catch (const ParseError& error) {
    EXPECT_STREQ(error.what(), "dir/eth0.ethtool line 3: not hex: \"zz\"");
  }
}

TEST(EthtoolRecordingTest, FormatRoundTrips) {
  EthtoolRecording recording;
  recording[{kEthtoolGetDriverInfo, std::nullopt}] = {DriverInfoAnswer("veth", "1.0", "", "", 10), 0};
  recording[{kEthtoolGetStrings, 1}] = {StringsAnswer({"peer_ifindex", "rx_queue_0_drops"}), 0};
  recording[{kEthtoolGetStatistics, std::nullopt}] = {StatisticsAnswer({4, 2}), 0};
  recording[{kEthtoolGetRxIndirection, 0}] = {{}, EOPNOTSUPP};
  std::string text = FormatEthtoolRecording("veth0", recording);
  EXPECT_NE(text.find("GSTRINGS string_set=1 1b0000000100000002000000 706565725f"), std::string::npos) << text;
  EXPECT_NE(text.find("GSTATS 1d00000002000000 0400000000000000 0200000000000000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("GRXFHINDIR size=0 errno 95\n"), std::string::npos) << text;
  EthtoolRecording parsed = ParseEthtoolRecording("veth0.ethtool", text);
  ASSERT_EQ(parsed.size(), recording.size());
  for (const auto& [key, answer] : recording) {
    EXPECT_EQ(parsed.at(key).bytes, answer.bytes);
    EXPECT_EQ(parsed.at(key).error, answer.error);
  }
}

// ---------------------------------------------------------------------------------------------
// Transports and typed calls

// Answers from an in-memory recording per interface, as the replay does from files; `before`
// runs ahead of every call (to change the answers between two calls of one read).
class FakeTransport : public EthtoolTransport {
 public:
  std::map<std::string, EthtoolRecording> answers;
  std::function<void(const std::string& ifname, uint32_t command)> before;
  std::vector<std::pair<uint32_t, size_t>> calls;  // command, buffer size

  void Set(const std::string& ifname, EthtoolRecordingKey key, std::vector<uint8_t> bytes) {
    answers[ifname][key] = {std::move(bytes), 0};
  }
  void Fail(const std::string& ifname, EthtoolRecordingKey key, int error) { answers[ifname][key] = {{}, error}; }

  int Ioctl(const std::string& ifname, void* data, size_t size) override {
    std::span<uint8_t> buffer(static_cast<uint8_t*>(data), size);
    EthtoolRecordingKey key = EthtoolRequestKey(buffer);
    calls.emplace_back(key.command, size);
    if (before) before(ifname, key.command);
    auto device = answers.find(ifname);
    if (device == answers.end()) return -ENODEV;
    auto found = device->second.find(key);
    if (found == device->second.end()) return -EOPNOTSUPP;
    if (found->second.error != 0) return -found->second.error;
    std::memcpy(buffer.data(), found->second.bytes.data(), std::min(size, found->second.bytes.size()));
    return 0;
  }
};

const EthtoolRecordingKey kSsetInfo{kEthtoolGetStringSetInfo, 2};
const EthtoolRecordingKey kStrings{kEthtoolGetStrings, 1};
const EthtoolRecordingKey kStats{kEthtoolGetStatistics, std::nullopt};
const EthtoolRecordingKey kChannels{kEthtoolGetChannels, std::nullopt};
const EthtoolRecordingKey kDriver{kEthtoolGetDriverInfo, std::nullopt};

void SetStatistics(FakeTransport& fake, const std::string& ifname, const std::vector<std::string>& names,
                   const std::vector<uint64_t>& values) {
  fake.Set(ifname, kSsetInfo, StringSetAnswer(2, {static_cast<uint32_t>(names.size())}));
  fake.Set(ifname, kStrings, StringsAnswer(names));
  fake.Set(ifname, kStats, StatisticsAnswer(values));
}

TEST(EthtoolTest, StatisticsPairNamesWithValuesInDriverOrder) {
  FakeTransport fake;
  SetStatistics(fake, "eth0", {"rx_queue_0_drops", "rx_queue_1_drops", "tx_queue_0_kicks"}, {0, 3, 99});
  Ethtool ethtool(fake);
  std::optional<std::vector<EthtoolStatistic>> statistics = ethtool.Statistics("eth0");
  ASSERT_TRUE(statistics);
  ASSERT_EQ(statistics->size(), 3u);
  EXPECT_EQ((*statistics)[1].name, "rx_queue_1_drops");
  EXPECT_EQ((*statistics)[1].value, 3u);
  EXPECT_EQ((*statistics)[2].value, 99u);
  // The kernel writes the driver's current count whatever the buffer holds: leave room.
  ASSERT_EQ(fake.calls.size(), 3u);
  EXPECT_GE(fake.calls[1].second, 12u + 32 * 2 * 3);
  EXPECT_GE(fake.calls[2].second, 8u + 8 * 2 * 3);
}

TEST(EthtoolTest, StatisticsAreAbsentWhenTheCountChangesBetweenCalls) {
  FakeTransport fake;
  SetStatistics(fake, "eth0", {"rx_queue_0_drops", "tx_queue_0_kicks"}, {1, 2});
  // ethtool -L combined 2 lands between GSSET_INFO and GSTRINGS.
  fake.Set("eth0", kStrings,
           StringsAnswer({"rx_queue_0_drops", "rx_queue_1_drops", "tx_queue_0_kicks", "tx_queue_1_kicks"}));
  Ethtool ethtool(fake);
  EXPECT_EQ(ethtool.Statistics("eth0"), std::nullopt);

  // ... or between GSTRINGS and GSTATS.
  SetStatistics(fake, "eth0", {"rx_queue_0_drops", "tx_queue_0_kicks"}, {1, 2});
  fake.Set("eth0", kStats, StatisticsAnswer({1, 2, 3}));
  EXPECT_EQ(ethtool.Statistics("eth0"), std::nullopt);

  // The next read is consistent again.
  SetStatistics(fake, "eth0", {"rx_queue_0_drops", "tx_queue_0_kicks"}, {1, 2});
  ASSERT_TRUE(ethtool.Statistics("eth0"));
  EXPECT_EQ(ethtool.Statistics("eth0")->size(), 2u);
}

TEST(EthtoolTest, StatisticsOfADriverWithoutThem) {
  FakeTransport fake;
  fake.Set("docker0", kSsetInfo, StringSetAnswer(0, {}));  // the kernel cleared the bit
  fake.Set("dummy0", kSsetInfo, StringSetAnswer(2, {0}));
  Ethtool ethtool(fake);
  EXPECT_EQ(ethtool.Statistics("docker0"), std::nullopt);
  std::optional<std::vector<EthtoolStatistic>> none = ethtool.Statistics("dummy0");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  fake.Set("eth0", kSsetInfo, StringSetAnswer(2, {0xffffffff}));  // no driver has 4 billion
  EXPECT_THROW(ethtool.Statistics("eth0"), ParseError);
}

TEST(EthtoolTest, ErrnoDecidesAbsentOrFailed) {
  FakeTransport fake;
  Ethtool ethtool(fake);
  for (int error : {EOPNOTSUPP, EINVAL, ENODEV, EPERM}) {
    fake.Fail("eth0", kChannels, error);
    EXPECT_EQ(ethtool.Channels("eth0"), std::nullopt) << error;
  }
  EXPECT_EQ(ethtool.DriverInfo("gone0"), std::nullopt);  // no such interface: ENODEV
  fake.Fail("eth0", kChannels, EIO);
  try {
    ethtool.Channels("eth0");
    FAIL() << "no IoError";
  } catch (const IoError& error) {
    EXPECT_STREQ(error.what(), "ethtool GCHANNELS on eth0: Input/output error");
  }
  fake.Set("eth0", kChannels, RingAnswer(1024, 1024, 1024, 1024));  // another command's answer
  EXPECT_THROW(ethtool.Channels("eth0"), ParseError);
}

TEST(EthtoolTest, IndirectionAsksTheSizeThenTheTable) {
  FakeTransport fake;
  fake.Set("eth0", {kEthtoolGetRxIndirection, 0}, Bytes().U32(0x38).U32(4));
  fake.Set("eth0", {kEthtoolGetRxIndirection, 4}, IndirectionAnswer({0, 1, 0, 1}));
  Ethtool ethtool(fake);
  EXPECT_EQ(ethtool.Indirection("eth0"), (std::vector<uint32_t>{0, 1, 0, 1}));
  ASSERT_EQ(fake.calls.size(), 2u);
  EXPECT_EQ(fake.calls[0].second, 8u);
  EXPECT_EQ(fake.calls[1].second, 8u + 4 * 4);

  // Resized in between: the kernel answers EINVAL to the old size.
  fake.Set("eth0", {kEthtoolGetRxIndirection, 0}, Bytes().U32(0x38).U32(8));
  EXPECT_EQ(ethtool.Indirection("eth0"), std::nullopt);
  fake.Fail("eth0", {kEthtoolGetRxIndirection, 0}, EOPNOTSUPP);
  EXPECT_EQ(ethtool.Indirection("eth0"), std::nullopt);
}

TEST(EthtoolTest, HashAndRings) {
  FakeTransport fake;
  fake.Set("eth0", {kEthtoolGetRxFlowHash, kEthtoolUdpV4Flow}, RxnfcAnswer(0x29, 2, 0x30));
  fake.Set("eth0", {kEthtoolGetRxRings, std::nullopt}, RxnfcAnswer(0x2d, 0, 4));
  Ethtool ethtool(fake);
  EXPECT_EQ(ethtool.UdpV4Hash("eth0"), 0x30u);
  EXPECT_EQ(ethtool.RxRings("eth0"), 4u);
  EXPECT_EQ(ethtool.Rings("eth0"), std::nullopt);
}

const EthtoolRecordingKey kFeatureSetInfo{kEthtoolGetStringSetInfo, 16};
const EthtoolRecordingKey kFeatureStrings{kEthtoolGetStrings, 4};

// Feature bits as a 5.15 kernel names them, the first 40 of its 64, bit 2 without a name.
const std::vector<std::string> kFeatureNames = {
    "tx-scatter-gather", "tx-checksum-ipv4", "", "tx-checksum-ip-generic", "tx-checksum-ipv6", "highdma",
    "tx-scatter-gather-fraglist", "tx-vlan-hw-insert", "rx-vlan-hw-parse", "rx-vlan-filter", "vlan-challenged",
    "tx-generic-segmentation", "tx-lockless", "netns-local", "rx-gro", "rx-lro", "tx-tcp-segmentation",
    "tx-gso-robust", "tx-tcp-ecn-segmentation", "tx-tcp-mangleid-segmentation", "tx-tcp6-segmentation",
    "tx-fcoe-segmentation", "tx-gre-segmentation", "tx-gre-csum-segmentation", "tx-ipxip4-segmentation",
    "tx-ipxip6-segmentation", "tx-udp_tnl-segmentation", "tx-udp_tnl-csum-segmentation", "tx-gso-partial",
    "tx-tunnel-remcsum-segmentation", "tx-sctp-segmentation", "tx-esp-segmentation", "", "tx-udp-segmentation",
    "tx-gso-list", "tx-checksum-fcoe-crc", "tx-checksum-sctp", "fcoe-mtu", "rx-ntuple-filter", "rx-hashing"};

void SetFeatures(FakeTransport& fake, const std::string& ifname, const std::vector<std::string>& names,
                 const std::vector<std::array<uint32_t, 4>>& blocks) {
  fake.Set(ifname, kFeatureSetInfo, StringSetAnswer(16, {static_cast<uint32_t>(names.size())}));
  fake.Set(ifname, kFeatureStrings, FeatureStringsAnswer(names));
  fake.Set(ifname, {kEthtoolGetFeatures, static_cast<uint32_t>(blocks.size())},
           FeaturesAnswer(static_cast<uint32_t>(blocks.size()), blocks));
}

const EthtoolFeature* FindFeature(const std::vector<EthtoolFeature>& features, const std::string& name) {
  for (const EthtoolFeature& feature : features) {
    if (feature.name == name) return &feature;
  }
  return nullptr;
}

TEST(EthtoolTest, FeaturesAreTheBitsOfTheirBlocksByName) {
  FakeTransport fake;
  // rx-gro (bit 14) available and on; highdma (5) on but fixed; vlan-challenged (10) and
  // tx-lockless (12) never changed, tx-lockless on; tx-udp-segmentation (33, block 1 bit 1)
  // available and on; rx-hashing (39, block 1 bit 7) available, requested, not active.
  SetFeatures(fake, "eth0", kFeatureNames,
              {{1u << 14, 1u << 14, 1u << 14 | 1u << 5 | 1u << 12, 1u << 10 | 1u << 12 | 1u << 13},
               {1u << 1 | 1u << 7, 1u << 1 | 1u << 7, 1u << 1, 0}});
  Ethtool ethtool(fake);
  std::optional<std::vector<EthtoolFeature>> features = ethtool.Features("eth0");
  ASSERT_TRUE(features);
  EXPECT_EQ(features->size(), 38u);  // 40 bits, two without a name
  for (const EthtoolFeature& feature : *features) EXPECT_FALSE(feature.name.empty());
  const EthtoolFeature* gro = FindFeature(*features, "rx-gro");
  ASSERT_NE(gro, nullptr);
  EXPECT_TRUE(gro->active);
  EXPECT_TRUE(gro->changeable());
  const EthtoolFeature* highdma = FindFeature(*features, "highdma");
  ASSERT_NE(highdma, nullptr);
  EXPECT_TRUE(highdma->active);
  EXPECT_FALSE(highdma->changeable());
  const EthtoolFeature* lockless = FindFeature(*features, "tx-lockless");
  ASSERT_NE(lockless, nullptr);
  EXPECT_TRUE(lockless->never_changed);
  EXPECT_FALSE(lockless->changeable());
  const EthtoolFeature* uso = FindFeature(*features, "tx-udp-segmentation");
  ASSERT_NE(uso, nullptr);
  EXPECT_TRUE(uso->active);
  EXPECT_TRUE(uso->changeable());
  const EthtoolFeature* hashing = FindFeature(*features, "rx-hashing");
  ASSERT_NE(hashing, nullptr);
  EXPECT_FALSE(hashing->active);
  EXPECT_TRUE(hashing->requested);
  EXPECT_TRUE(hashing->changeable());
  const EthtoolFeature* gso_list = FindFeature(*features, "tx-gso-list");  // bit 34: nothing set
  ASSERT_NE(gso_list, nullptr);
  EXPECT_FALSE(gso_list->active);
  EXPECT_FALSE(gso_list->changeable());
  // Asked: the count, the names (with room for more), then the two blocks the names fill.
  ASSERT_EQ(fake.calls.size(), 3u);
  EXPECT_GE(fake.calls[1].second, 12u + 32 * 40);
  EXPECT_EQ(fake.calls[2], (std::pair<uint32_t, size_t>{kEthtoolGetFeatures, 8u + 2 * 16}));
}

TEST(EthtoolTest, FeaturesAreAbsentWhenTheCountsDisagree) {
  FakeTransport fake;
  Ethtool ethtool(fake);
  // GSTRINGS names another number of bits than GSSET_INFO counted.
  SetFeatures(fake, "eth0", kFeatureNames, {{1, 1, 1, 0}, {0, 0, 0, 0}});
  fake.Set("eth0", kFeatureSetInfo, StringSetAnswer(16, {64}));
  fake.Set("eth0", {kEthtoolGetFeatures, 2}, FeaturesAnswer(2, {{1, 1, 1, 0}, {0, 0, 0, 0}}));
  EXPECT_EQ(ethtool.Features("eth0"), std::nullopt);
  // GFEATURES needs three blocks for what its names fill in two.
  SetFeatures(fake, "eth0", kFeatureNames, {{1, 1, 1, 0}, {0, 0, 0, 0}});
  fake.Set("eth0", {kEthtoolGetFeatures, 2}, FeaturesAnswer(3, {{1, 1, 1, 0}, {0, 0, 0, 0}}));
  EXPECT_EQ(ethtool.Features("eth0"), std::nullopt);
  // Consistent again.
  SetFeatures(fake, "eth0", kFeatureNames, {{1, 1, 1, 0}, {0, 0, 0, 0}});
  ASSERT_TRUE(ethtool.Features("eth0"));
  EXPECT_TRUE(FindFeature(*ethtool.Features("eth0"), "tx-scatter-gather")->active);
  // No such string set (the kernel cleared the bit) or a driver refusing: absent.
  fake.Set("eth0", kFeatureSetInfo, StringSetAnswer(0, {}));
  EXPECT_EQ(ethtool.Features("eth0"), std::nullopt);
  fake.Fail("eth0", kFeatureSetInfo, EOPNOTSUPP);
  EXPECT_EQ(ethtool.Features("eth0"), std::nullopt);
  fake.Set("eth0", kFeatureSetInfo, StringSetAnswer(16, {1u << 20}));  // no kernel has a million
  EXPECT_THROW(ethtool.Features("eth0"), ParseError);
}

TEST(EthtoolTest, SocketTransportOnTheRunningKernel) {
  SocketEthtoolTransport socket;
  Ethtool ethtool(socket);
  // A name the kernel cannot have is absent without a syscall.
  EXPECT_EQ(ethtool.DriverInfo("a-name-longer-than-ifnamsiz"), std::nullopt);
  // The loopback device has no channels in any kernel.
  EXPECT_EQ(ethtool.Channels("lo"), std::nullopt);
  // Every device has features, lo too: GRO among them, and loopback on but fixed.
  std::optional<std::vector<EthtoolFeature>> features = ethtool.Features("lo");
  ASSERT_TRUE(features);
  EXPECT_NE(FindFeature(*features, "rx-gro"), nullptr);
  const EthtoolFeature* loopback = FindFeature(*features, "loopback");
  ASSERT_NE(loopback, nullptr);
  EXPECT_TRUE(loopback->active);
  EXPECT_FALSE(loopback->changeable());
}

// A temporary directory, removed with its content.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "wgtune-ethtool-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

TEST(EthtoolReplayTest, ServesRecordedAnswers) {
  TempDir dir;
  WriteText(dir.path() + "/eth0.ethtool",
            FormatEthtoolRecording("eth0", {{{kEthtoolGetChannels, std::nullopt}, {ChannelsAnswer(4, 2), 0}},
                                            {{kEthtoolGetRingParam, std::nullopt}, {{}, EBUSY}},
                                            {{kEthtoolGetRxIndirection, 0}, {Bytes().U32(0x38).U32(128), 0}}}));
  ReplayEthtoolTransport replay(dir.path());
  Ethtool ethtool(replay);
  ASSERT_TRUE(ethtool.Channels("eth0"));
  EXPECT_EQ(ethtool.Channels("eth0")->combined, 2u);
  EXPECT_THROW(ethtool.Rings("eth0"), IoError);          // a recorded errno the kernel may return
  EXPECT_EQ(ethtool.UdpV4Hash("eth0"), std::nullopt);    // not recorded: EOPNOTSUPP
  EXPECT_EQ(ethtool.Indirection("eth0"), std::nullopt);  // size 128 not recorded: EINVAL
  EXPECT_EQ(ethtool.DriverInfo("eth1"), std::nullopt);   // no file: ENODEV

  std::vector<uint8_t> buffer = Bytes().U32(0x38).U32(0);
  EXPECT_EQ(replay.Ioctl("eth0", buffer.data(), buffer.size()), 0);
  EXPECT_EQ(buffer, Bytes().U32(0x38).U32(128).Vec());
  buffer = Bytes().U32(0x38).U32(64);  // GRXFHINDIR of a size not recorded
  EXPECT_EQ(replay.Ioctl("eth0", buffer.data(), buffer.size()), -EINVAL);
  buffer = Bytes().U32(0x3c).U32(0);
  EXPECT_EQ(replay.Ioctl("eth1", buffer.data(), buffer.size()), -ENODEV);
  // A recorded answer longer than the buffer is cut to it.
  std::vector<uint8_t> small(8, 0);
  small[0] = 0x3c;
  EXPECT_EQ(replay.Ioctl("eth0", small.data(), small.size()), 0);
  EXPECT_EQ(small, Bytes().U32(0x3c).U32(0).Take(8));

  WriteText(dir.path() + "/eth0.ethtool", "GCHANNELS 3c00\nGBROKEN 00\n");
  EXPECT_THROW(ethtool.Channels("eth0"), ParseError);
}

// ---------------------------------------------------------------------------------------------
// The collector over fixture hosts

std::string FixtureRoot(const std::string& host) {
  return std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/ethtool/" + host;
}

CollectorContext HostContext(const std::string& host, ExporterConfig& config) {
  config.ethtool_replay_dir = FixtureRoot(host) + "/ethtool";
  CollectorContext context;
  context.procfs = FixtureRoot(host) + "/proc";
  context.sysfs = FixtureRoot(host) + "/sys";
  context.config = &config;
  return context;
}

MetricSet CollectHost(const std::string& host, ExporterConfig config = {}) {
  MetricSet out;
  NewEthtoolCollector(HostContext(host, config))->Collect(out);
  return out;
}

constexpr char kStatistics[] = "wgtune_ethtool_statistics_total";

Labels Stat(const std::string& device, const std::string& name, const std::string& queue) {
  return {{"device", device}, {"name", name}, {"queue", queue}};
}

// Series of every family whose device label is `device`.
size_t SeriesOfDevice(const MetricSet& set, const std::string& device) {
  size_t count = 0;
  for (const auto& family : set.families()) {
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) count += label.name == "device" && label.value == device;
    }
  }
  return count;
}

// The statistics series of one device, name/queue → value.
std::map<std::pair<std::string, std::string>, double> StatisticsOf(const MetricSet& set, const std::string& device) {
  std::map<std::pair<std::string, std::string>, double> found;
  for (const auto& [labels, value] : Series(set, kStatistics)) {
    if (labels[0].value == device) found[{labels[1].value, labels[2].value}] = value;
  }
  return found;
}

TEST(EthtoolCollectorTest, AzureMlx5VirtualFunction) {
  MetricSet set = CollectHost("azure-mlx5");
  const std::string vf = "enP30832s1";
  EXPECT_EQ(Value(set, "wgtune_ethtool_info",
                  {{"device", vf},
                   {"driver", "mlx5_core"},
                   {"version", "5.15.0-1057-azure"},
                   {"firmware_version", "16.31.1014 (MSF0000000012)"},
                   {"bus_info", "7870:00:02.0"}}),
            1);
  // The default filter keeps drops and errors; per-channel names are split into name and queue.
  EXPECT_EQ(Value(set, kStatistics, Stat(vf, "rx_out_of_buffer", "")), 18734);
  EXPECT_EQ(Value(set, kStatistics, Stat(vf, "rx_buff_alloc_err", "")), 7);
  EXPECT_EQ(Value(set, kStatistics, Stat(vf, "rx_buff_alloc_err", "2")), 7);
  EXPECT_EQ(Value(set, kStatistics, Stat(vf, "rx_buff_alloc_err", "0")), 0);
  EXPECT_EQ(Value(set, kStatistics, Stat(vf, "tx_queue_dropped", "")), 0);
  EXPECT_EQ(Value(set, kStatistics, Stat(vf, "tx_dropped", "3")), 0);
  EXPECT_EQ(Value(set, kStatistics, Stat(vf, "rx_steer_missed_packets", "")), 0);
  EXPECT_EQ(Value(set, kStatistics, Stat(vf, "rx_packets", "")), std::nullopt);  // filtered out
  EXPECT_EQ(Value(set, kStatistics, Stat(vf, "rx_packets", "0")), std::nullopt);
  EXPECT_EQ(StatisticsOf(set, vf).size(), 10u + 4 * 4 + 4 * 2);

  EXPECT_EQ(Value(set, "wgtune_ethtool_ring_entries", {{"device", vf}, {"ring", "rx"}, {"setting", "current"}}), 1024);
  EXPECT_EQ(Value(set, "wgtune_ethtool_ring_entries", {{"device", vf}, {"ring", "rx"}, {"setting", "maximum"}}), 8192);
  EXPECT_EQ(Value(set, "wgtune_ethtool_ring_entries", {{"device", vf}, {"ring", "tx"}, {"setting", "current"}}), 1024);
  EXPECT_EQ(Value(set, "wgtune_ethtool_channels", {{"device", vf}, {"type", "combined"}, {"setting", "current"}}), 4);
  EXPECT_EQ(Value(set, "wgtune_ethtool_channels", {{"device", vf}, {"type", "combined"}, {"setting", "maximum"}}), 8);
  // rx, tx and other have a maximum of 0: n/a, no series.
  EXPECT_EQ(Value(set, "wgtune_ethtool_channels", {{"device", vf}, {"type", "rx"}, {"setting", "maximum"}}),
            std::nullopt);

  // The VF hashes UDP on addresses only: one WireGuard peer pair lands on one queue.
  EXPECT_EQ(Value(set, "wgtune_ethtool_udp4_hash_fields_info", {{"device", vf}, {"fields", "sd"}}), 1);
  EXPECT_EQ(Value(set, "wgtune_ethtool_udp4_hash_includes_ports", {{"device", vf}}), 0);
  EXPECT_EQ(Value(set, "wgtune_ethtool_rss_indirection_entries", {{"device", vf}}), 128);
  for (const char* queue : {"0", "1", "2", "3"}) {
    EXPECT_EQ(Value(set, "wgtune_ethtool_rss_indirection_share_ratio", {{"device", vf}, {"queue", queue}}), 0.25);
  }
  EXPECT_EQ(Value(set, "wgtune_ethtool_rss_indirection_share_ratio", {{"device", vf}, {"queue", "4"}}), std::nullopt);

  // The synthetic NIC: hv_netvsc; its per-CPU statistics are not split as queues.
  EXPECT_EQ(Value(set, "wgtune_ethtool_info",
                  {{"device", "eth0"},
                   {"driver", "hv_netvsc"},
                   {"version", "5.15.0-1057-azure"},
                   {"firmware_version", "N/A"},
                   {"bus_info", ""}}),
            1);
  EXPECT_EQ(Value(set, kStatistics, Stat("eth0", "rx_xdp_drop", "3")), 0);
  EXPECT_EQ(Value(set, kStatistics, Stat("eth0", "vf_tx_dropped", "")), 0);
  EXPECT_EQ(Value(set, "wgtune_ethtool_udp4_hash_fields_info", {{"device", "eth0"}, {"fields", "sdfn"}}), 1);
  EXPECT_EQ(Value(set, "wgtune_ethtool_udp4_hash_includes_ports", {{"device", "eth0"}}), 1);
  EXPECT_EQ(Value(set, "wgtune_ethtool_ring_entries", {{"device", "eth0"}, {"ring", "rx"}, {"setting", "maximum"}}),
            18811);

  // Kernel WireGuard and loopback: nothing.
  EXPECT_EQ(SeriesOfDevice(set, "wt0"), 0u);
  EXPECT_EQ(SeriesOfDevice(set, "lo"), 0u);
}

TEST(EthtoolCollectorTest, VirtioWithoutRssAndAVeth) {
  MetricSet set = CollectHost("kvm-virtio");
  EXPECT_EQ(Value(set, "wgtune_ethtool_info",
                  {{"device", "eth0"},
                   {"driver", "virtio_net"},
                   {"version", "1.0.0"},
                   {"firmware_version", ""},
                   {"bus_info", "0000:00:04.0"}}),
            1);
  EXPECT_EQ(Value(set, kStatistics, Stat("eth0", "rx_drops", "1")), 3);
  EXPECT_EQ(Value(set, kStatistics, Stat("eth0", "rx_drops", "0")), 0);
  EXPECT_EQ(Value(set, kStatistics, Stat("eth0", "rx_xdp_drops", "1")), 0);
  EXPECT_EQ(Value(set, kStatistics, Stat("eth0", "tx_xdp_tx_drops", "0")), 0);
  EXPECT_EQ(Value(set, kStatistics, Stat("eth0", "tx_tx_timeouts", "1")), 0);
  EXPECT_EQ(StatisticsOf(set, "eth0").size(), 2u * 4);
  EXPECT_EQ(Value(set, "wgtune_ethtool_channels", {{"device", "eth0"}, {"type", "combined"}, {"setting", "current"}}),
            2);
  EXPECT_EQ(Value(set, "wgtune_ethtool_channels", {{"device", "eth0"}, {"type", "combined"}, {"setting", "maximum"}}),
            4);
  EXPECT_EQ(Value(set, "wgtune_ethtool_ring_entries", {{"device", "eth0"}, {"ring", "tx"}, {"setting", "maximum"}}),
            256);
  // No RSS in this virtio device: the operations are absent, not failures.
  EXPECT_EQ(SeriesCount(set, "wgtune_ethtool_udp4_hash_fields_info"), 0u);
  EXPECT_EQ(SeriesCount(set, "wgtune_ethtool_udp4_hash_includes_ports"), 0u);
  EXPECT_EQ(SeriesCount(set, "wgtune_ethtool_rss_indirection_entries"), 0u);
  EXPECT_EQ(SeriesCount(set, "wgtune_ethtool_rss_indirection_share_ratio"), 0u);

  // A container's veth is asked too: separate rx and tx channels, no rings.
  const std::string veth = "veth3f2a1b0";
  EXPECT_EQ(
      Value(set, "wgtune_ethtool_info",
            {{"device", veth}, {"driver", "veth"}, {"version", "1.0"}, {"firmware_version", ""}, {"bus_info", ""}}),
      1);
  EXPECT_EQ(Value(set, kStatistics, Stat(veth, "rx_drops", "0")), 2);
  EXPECT_EQ(Value(set, kStatistics, Stat(veth, "peer_ifindex", "")), std::nullopt);
  EXPECT_EQ(Value(set, "wgtune_ethtool_channels", {{"device", veth}, {"type", "rx"}, {"setting", "current"}}), 1);
  EXPECT_EQ(Value(set, "wgtune_ethtool_channels", {{"device", veth}, {"type", "tx"}, {"setting", "maximum"}}), 4);
  EXPECT_EQ(Value(set, "wgtune_ethtool_channels", {{"device", veth}, {"type", "combined"}, {"setting", "current"}}),
            std::nullopt);
  EXPECT_EQ(Value(set, "wgtune_ethtool_ring_entries", {{"device", veth}, {"ring", "rx"}, {"setting", "current"}}),
            std::nullopt);

  // A bridge answers, but is not a NIC.
  EXPECT_EQ(SeriesOfDevice(set, "docker0"), 0u);
}

// virtio_net renamed its per-queue statistics in 6.10 (rx_queue_1_drops became rx1_drops): both
// namings make the same series, so dashboards and rules survive a kernel upgrade.
TEST(EthtoolCollectorTest, VirtioNamesBeforeAndAfter610MakeTheSameSeries) {
  std::map<Labels, double> before = Series(CollectHost("kvm-virtio"), kStatistics);
  std::map<Labels, double> after = Series(CollectHost("kvm-virtio-6.12"), kStatistics);
  std::erase_if(before, [](const auto& series) { return series.first[0].value != "eth0"; });
  EXPECT_EQ(after.size(), 8u);
  EXPECT_EQ(after.at(Stat("eth0", "rx_drops", "1")), 3);
  // 6.10 also dropped the doubled tx in tx_queue_N_tx_timeouts.
  EXPECT_EQ(before.erase(Stat("eth0", "tx_tx_timeouts", "0")) + before.erase(Stat("eth0", "tx_tx_timeouts", "1")), 2u);
  EXPECT_EQ(after.erase(Stat("eth0", "tx_timeouts", "0")) + after.erase(Stat("eth0", "tx_timeouts", "1")), 2u);
  EXPECT_EQ(before, after);
}

TEST(EthtoolCollectorTest, AwsEnaAllowanceCounters) {
  ExporterConfig config;
  config.ethtool_metrics_include = "allowance_exceeded|alloc_fail";
  MetricSet set = CollectHost("aws-ena", config);
  EXPECT_EQ(Value(set, "wgtune_ethtool_info",
                  {{"device", "eth0"},
                   {"driver", "ena"},
                   {"version", "6.1.72-96.166.amzn2023.x86_64"},
                   {"firmware_version", ""},
                   {"bus_info", "0000:00:05.0"}}),
            1);
  EXPECT_EQ(Value(set, kStatistics, Stat("eth0", "bw_in_allowance_exceeded", "")), 1520);
  EXPECT_EQ(Value(set, kStatistics, Stat("eth0", "pps_allowance_exceeded", "")), 310);
  EXPECT_EQ(Value(set, kStatistics, Stat("eth0", "conntrack_allowance_exceeded", "")), 0);
  EXPECT_EQ(Value(set, kStatistics, Stat("eth0", "rx_page_alloc_fail", "5")), 4);
  EXPECT_EQ(Value(set, kStatistics, Stat("eth0", "rx_skb_alloc_fail", "7")), 0);
  EXPECT_EQ(StatisticsOf(set, "eth0").size(), 5u + 8 * 2);

  EXPECT_EQ(Value(set, "wgtune_ethtool_ring_entries", {{"device", "eth0"}, {"ring", "rx"}, {"setting", "maximum"}}),
            16384);
  EXPECT_EQ(Value(set, "wgtune_ethtool_ring_entries", {{"device", "eth0"}, {"ring", "tx"}, {"setting", "maximum"}}),
            1024);
  EXPECT_EQ(Value(set, "wgtune_ethtool_channels", {{"device", "eth0"}, {"type", "combined"}, {"setting", "current"}}),
            8);
  EXPECT_EQ(Value(set, "wgtune_ethtool_udp4_hash_includes_ports", {{"device", "eth0"}}), 1);
  EXPECT_EQ(SeriesCount(set, "wgtune_ethtool_rss_indirection_share_ratio"), 8u);
  EXPECT_EQ(Value(set, "wgtune_ethtool_rss_indirection_share_ratio", {{"device", "eth0"}, {"queue", "7"}}), 0.125);
}

TEST(EthtoolCollectorTest, MetricsIncludeFilter) {
  ExporterConfig config;
  config.ethtool_metrics_include = "^rx_out_of_buffer$";
  MetricSet only = CollectHost("azure-mlx5", config);
  EXPECT_EQ(SeriesCount(only, kStatistics), 1u);
  EXPECT_EQ(Value(only, kStatistics, Stat("enP30832s1", "rx_out_of_buffer", "")), 18734);

  // The regex sees the driver's name, before the queue is split out.
  config.ethtool_metrics_include = "^rx2_";
  MetricSet queue = CollectHost("azure-mlx5", config);
  EXPECT_EQ(SeriesCount(queue, kStatistics), 10u);
  EXPECT_EQ(Value(queue, kStatistics, Stat("enP30832s1", "rx_packets", "2")), 6041201);

  // hv_netvsc's own drop counters; its per-CPU counters keep their names.
  config.ethtool_metrics_include = "no_memory|no_space|cpu0_vf_rx_packets";
  MetricSet netvsc = CollectHost("azure-mlx5", config);
  EXPECT_EQ(SeriesCount(netvsc, kStatistics), 4u);
  EXPECT_EQ(Value(netvsc, kStatistics, Stat("eth0", "tx_no_space", "")), 41);
  EXPECT_EQ(Value(netvsc, kStatistics, Stat("eth0", "rx_no_memory", "")), 0);
  EXPECT_EQ(Value(netvsc, kStatistics, Stat("eth0", "cpu0_vf_rx_packets", "")), 6026672);

  config.ethtool_metrics_include = "";  // everything
  MetricSet all = CollectHost("aws-ena", config);
  EXPECT_EQ(SeriesCount(all, kStatistics), 12u + 8 * (15 + 19) + 5);

  config.ethtool_metrics_include = "rx_(";
  EXPECT_THROW(CollectHost("aws-ena", config), std::invalid_argument);
}

TEST(EthtoolCollectorTest, FamiliesAndRates) {
  MetricSet set = CollectHost("aws-ena");
  const prometheus::MetricFamily* statistics = set.Find(kStatistics);
  ASSERT_NE(statistics, nullptr);
  EXPECT_EQ(statistics->type, prometheus::MetricType::Counter);
  ASSERT_NE(set.Find("wgtune_ethtool_rss_indirection_share_ratio"), nullptr);
  EXPECT_EQ(set.Find("wgtune_ethtool_rss_indirection_share_ratio")->type, prometheus::MetricType::Gauge);
  for (const auto& family : set.families()) {
    EXPECT_EQ(family.help.find_first_of("\\\n"), std::string::npos) << family.name;
    EXPECT_EQ(family.name.rfind("wgtune_ethtool_", 0), 0u) << family.name;
  }
  ExporterConfig config;
  std::vector<RateSpec> rates = NewEthtoolCollector(HostContext("aws-ena", config))->Rates();
  ASSERT_EQ(rates.size(), 1u);
  EXPECT_EQ(rates[0].counter, kStatistics);
  EXPECT_EQ(rates[0].rate, "wgtune_ethtool_statistics_per_second");
}

constexpr char kEnabled[] = "wgtune_ethtool_feature_enabled";
constexpr char kChangeable[] = "wgtune_ethtool_feature_changeable";

Labels Feature(const std::string& device, const std::string& feature) {
  return {{"device", device}, {"feature", feature}};
}

// {enabled, changeable} of a feature; nullopt for either series absent.
std::pair<std::optional<double>, std::optional<double>> FeatureState(const MetricSet& set, const std::string& device,
                                                                     const std::string& feature) {
  return {Value(set, kEnabled, Feature(device, feature)), Value(set, kChangeable, Feature(device, feature))};
}

using State = std::pair<std::optional<double>, std::optional<double>>;
const State kOnChangeable{1, 1};
const State kOffChangeable{0, 1};
const State kOffFixed{0, 0};
const State kOnFixed{1, 0};

// The features of one device, feature → enabled.
std::map<std::string, double> FeaturesOf(const MetricSet& set, const std::string& device) {
  std::map<std::string, double> found;
  for (const auto& [labels, value] : Series(set, kEnabled)) {
    if (labels[0].value == device) found[labels[1].value] = value;
  }
  return found;
}

TEST(EthtoolCollectorTest, FeaturesOfTheFixtureHosts) {
  MetricSet azure = CollectHost("azure-mlx5");
  const std::string vf = "enP30832s1";
  // The default: GRO, hardware GRO, GRO lists, UDP GRO forwarding and segmentation offloads.
  EXPECT_EQ(FeaturesOf(azure, vf), (std::map<std::string, double>{{"rx-gro", 1},
                                                                  {"rx-gro-hw", 0},
                                                                  {"rx-gro-list", 0},
                                                                  {"rx-udp-gro-forwarding", 0},
                                                                  {"tx-generic-segmentation", 1},
                                                                  {"tx-tcp-segmentation", 1},
                                                                  {"tx-udp-segmentation", 1}}));
  EXPECT_EQ(FeatureState(azure, vf, "rx-gro"), kOnChangeable);
  // Off on every host until set: what the advisor will turn on where the host forwards.
  EXPECT_EQ(FeatureState(azure, vf, "rx-udp-gro-forwarding"), kOffChangeable);
  EXPECT_EQ(FeatureState(azure, vf, "rx-gro-hw"), kOffFixed);  // mlx5 before SHAMPO
  EXPECT_EQ(FeatureState(azure, vf, "tx-udp-segmentation"), kOnChangeable);
  // hv_netvsc: no UDP segmentation in the synthetic NIC, no hardware GRO.
  EXPECT_EQ(FeatureState(azure, "eth0", "tx-udp-segmentation"), kOffFixed);
  EXPECT_EQ(FeatureState(azure, "eth0", "rx-gro-hw"), kOffFixed);
  EXPECT_EQ(FeatureState(azure, "eth0", "tx-tcp-segmentation"), kOnChangeable);
  EXPECT_EQ(FeatureState(azure, "eth0", "rx-gro-list"), kOffChangeable);
  EXPECT_EQ(SeriesCount(azure, kEnabled), 2u * 7);
  EXPECT_EQ(SeriesCount(azure, kChangeable), 2u * 7);
  EXPECT_TRUE(FeaturesOf(azure, "wt0").empty());

  MetricSet virtio = CollectHost("kvm-virtio");
  EXPECT_EQ(FeatureState(virtio, "eth0", "rx-gro-hw"), kOffFixed);
  EXPECT_EQ(FeatureState(virtio, "eth0", "tx-udp-segmentation"), kOffFixed);  // no USO before 6.2
  EXPECT_EQ(FeatureState(virtio, "eth0", "tx-tcp-segmentation"), kOnChangeable);
  // A veth has GRO off (without XDP) and every software segmentation on.
  EXPECT_EQ(FeatureState(virtio, "veth3f2a1b0", "rx-gro"), kOffChangeable);
  EXPECT_EQ(FeatureState(virtio, "veth3f2a1b0", "tx-udp-segmentation"), kOnChangeable);
  EXPECT_TRUE(FeaturesOf(virtio, "docker0").empty());
  // 6.12 with a device offering UDP segmentation (VIRTIO_NET_F_HOST_USO).
  EXPECT_EQ(FeatureState(CollectHost("kvm-virtio-6.12"), "eth0", "tx-udp-segmentation"), kOnChangeable);
  // ENA segments nothing in hardware.
  MetricSet ena = CollectHost("aws-ena");
  EXPECT_EQ(FeatureState(ena, "eth0", "tx-tcp-segmentation"), kOffFixed);
  EXPECT_EQ(FeatureState(ena, "eth0", "tx-generic-segmentation"), kOnChangeable);
}

TEST(EthtoolCollectorTest, FeaturesIncludeFilter) {
  ExporterConfig config;
  config.ethtool_features_include = ".*";
  MetricSet all = CollectHost("azure-mlx5", config);
  EXPECT_EQ(FeaturesOf(all, "enP30832s1").size(), 62u);  // 64 bits, two without a name
  EXPECT_EQ(FeatureState(all, "enP30832s1", "highdma"), kOnFixed);
  EXPECT_EQ(FeatureState(all, "enP30832s1", "netns-local"), kOffFixed);  // never changed
  MetricSet veth = CollectHost("kvm-virtio", config);
  EXPECT_EQ(FeatureState(veth, "veth3f2a1b0", "tx-lockless"), kOnFixed);
  // 6.12 made LLTX a device flag: the kernel names no tx-lockless, and there is no such series.
  MetricSet newer = CollectHost("kvm-virtio-6.12", config);
  EXPECT_EQ(FeaturesOf(newer, "eth0").size(), 61u);
  EXPECT_EQ(FeatureState(newer, "eth0", "tx-lockless"), (State{std::nullopt, std::nullopt}));

  // Matched anywhere in the name, as node_exporter's include flags.
  config.ethtool_features_include = "gro";
  EXPECT_EQ(FeaturesOf(CollectHost("azure-mlx5", config), "eth0"),
            (std::map<std::string, double>{
                {"rx-gro", 1}, {"rx-gro-hw", 0}, {"rx-gro-list", 0}, {"rx-udp-gro-forwarding", 0}}));

  config.ethtool_features_include = "rx-(";
  try {
    CollectHost("azure-mlx5", config);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("--collector.ethtool.features-include"), std::string::npos)
        << error.what();
  }
}

// A copy of a fixture host that a test may change.
class HostCopy {
 public:
  explicit HostCopy(const std::string& host) {
    std::filesystem::copy(FixtureRoot(host), dir_.path(),
                          std::filesystem::copy_options::recursive | std::filesystem::copy_options::copy_symlinks);
  }
  std::string sysfs() const { return dir_.path() + "/sys"; }
  std::string replay() const { return dir_.path() + "/ethtool"; }
  CollectorContext Context(ExporterConfig& config) const {
    config.ethtool_replay_dir = replay();
    CollectorContext context;
    context.sysfs = sysfs();
    context.config = &config;
    return context;
  }

 private:
  TempDir dir_;
};

TEST(EthtoolCollectorTest, MalformedRecordingFailsTheSample) {
  HostCopy host("kvm-virtio");
  ExporterConfig config;
  std::unique_ptr<Collector> collector = NewEthtoolCollector(host.Context(config));
  MetricSet good;
  collector->Collect(good);
  EXPECT_EQ(Value(good, kStatistics, Stat("eth0", "rx_drops", "1")), 3);

  std::string path = host.replay() + "/eth0.ethtool";
  std::string original = ReadFile(path);
  WriteText(path, original + "GCHANNELS 3c000000zz\n");
  MetricSet broken;
  EXPECT_THROW(collector->Collect(broken), ParseError);

  // A well-formed line whose answer is shorter than the struct: a broken answer.
  WriteText(path, original + "GCHANNELS 3c00000000000000\n");
  EXPECT_THROW(collector->Collect(broken), ParseError);

  // The statistics count announces more names than the answer holds.
  WriteText(path, original + "GSTRINGS string_set=1 1b0000000100000064000000\n");
  EXPECT_THROW(collector->Collect(broken), ParseError);
}

TEST(EthtoolCollectorTest, DeviceThatVanishesMidReadIsSkipped) {
  HostCopy host("azure-mlx5");
  ExporterConfig config;
  auto replay = std::make_unique<ReplayEthtoolTransport>(host.replay());
  // The VF goes away (Azure host servicing) between its channels and its statistics.
  class Vanishing : public EthtoolTransport {
   public:
    Vanishing(std::unique_ptr<EthtoolTransport> inner, std::string sysfs)
        : inner_(std::move(inner)), sysfs_(std::move(sysfs)) {}
    int Ioctl(const std::string& ifname, void* data, size_t size) override {
      uint32_t command;
      std::memcpy(&command, data, sizeof command);
      if (ifname == "enP30832s1" && command == kEthtoolGetStringSetInfo) {
        std::filesystem::remove(sysfs_ + "/class/net/enP30832s1");
        gone_ = true;
      }
      if (gone_ && ifname == "enP30832s1") return -ENODEV;
      return inner_->Ioctl(ifname, data, size);
    }

   private:
    std::unique_ptr<EthtoolTransport> inner_;
    std::string sysfs_;
    bool gone_ = false;
  };
  MetricSet set;
  NewEthtoolCollector(host.Context(config), std::make_unique<Vanishing>(std::move(replay), host.sysfs()))->Collect(set);
  EXPECT_EQ(SeriesOfDevice(set, "enP30832s1"), 0u);
  EXPECT_GT(SeriesOfDevice(set, "eth0"), 10u);
}

// One physical eth0 whose statistics a test scripts.
struct ScriptedHost {
  HostCopy host{"kvm-virtio"};
  FakeTransport* fake = nullptr;
  ExporterConfig config;

  std::unique_ptr<Collector> MakeCollector() {
    for (const char* virtual_device : {"docker0", "veth3f2a1b0"}) {
      std::filesystem::remove(host.sysfs() + "/class/net/" + virtual_device);
    }
    auto transport = std::make_unique<FakeTransport>();
    fake = transport.get();
    fake->Set("eth0", kDriver, DriverInfoAnswer("virtio_net", "1.0.0", "", "0000:00:04.0", 2));
    fake->Set("eth0", kChannels, ChannelsAnswer(4, 2));
    SetStatistics(*fake, "eth0", {"rx_queue_0_drops", "rx_queue_1_drops"}, {0, 3});
    return NewEthtoolCollector(host.Context(config), std::move(transport));
  }
};

TEST(EthtoolCollectorTest, ChangedStatisticsCountCostsOnlyTheStatistics) {
  ScriptedHost scripted;
  std::unique_ptr<Collector> collector = scripted.MakeCollector();
  scripted.fake->Set("eth0", kStrings, StringsAnswer({"rx_queue_0_drops", "rx_queue_1_drops", "rx_queue_2_drops"}));
  MetricSet during;
  collector->Collect(during);
  EXPECT_EQ(SeriesCount(during, kStatistics), 0u);
  EXPECT_EQ(
      Value(during, "wgtune_ethtool_channels", {{"device", "eth0"}, {"type", "combined"}, {"setting", "current"}}), 2);

  SetStatistics(*scripted.fake, "eth0", {"rx_queue_0_drops", "rx_queue_1_drops", "rx_queue_2_drops"}, {0, 3, 1});
  MetricSet after;
  collector->Collect(after);
  EXPECT_EQ(Value(after, kStatistics, Stat("eth0", "rx_drops", "2")), 1);
}

// A kernel names its features: one that does not know a feature (rx-udp-gro-forwarding came with
// 5.12) has no such series, not a 0.
TEST(EthtoolCollectorTest, AFeatureTheKernelDoesNotNameIsAbsent) {
  ScriptedHost scripted;
  std::unique_ptr<Collector> collector = scripted.MakeCollector();
  // The first 40 bits of a 5.15 kernel: no rx-gro-hw (55), rx-gro-list (57), rx-udp-gro-forwarding (59).
  SetFeatures(*scripted.fake, "eth0", kFeatureNames, {{1u << 14 | 1u << 11, 1u << 14 | 1u << 11, 1u << 14 | 1u << 11, 0},
                                                      {0, 0, 0, 0}});
  MetricSet set;
  collector->Collect(set);
  EXPECT_EQ(FeaturesOf(set, "eth0"), (std::map<std::string, double>{{"rx-gro", 1},
                                                                    {"tx-generic-segmentation", 1},
                                                                    {"tx-tcp-segmentation", 0},
                                                                    {"tx-udp-segmentation", 0}}));
  EXPECT_EQ(FeatureState(set, "eth0", "rx-udp-gro-forwarding"), (State{std::nullopt, std::nullopt}));
  EXPECT_EQ(FeatureState(set, "eth0", "tx-tcp-segmentation"), kOffFixed);
}

TEST(EthtoolCollectorTest, RepeatedStatisticNamesMakeOneSeries) {
  ScriptedHost scripted;
  std::unique_ptr<Collector> collector = scripted.MakeCollector();
  SetStatistics(*scripted.fake, "eth0", {"rx_queue_0_drops", "rx0_drops", "", "tx_errors"}, {5, 6, 7, 8});
  MetricSet set;
  collector->Collect(set);
  EXPECT_EQ(SeriesCount(set, kStatistics), 2u);
  EXPECT_EQ(Value(set, kStatistics, Stat("eth0", "rx_drops", "0")), 5);
  EXPECT_EQ(Value(set, kStatistics, Stat("eth0", "tx_errors", "")), 8);
}

TEST(EthtoolCollectorTest, SamplerPublishesPerQueueRates) {
  ScriptedHost scripted;
  std::vector<NamedCollector> collectors;
  collectors.push_back({"ethtool", scripted.MakeCollector()});
  std::vector<double> times = {0, 0, 5, 5};
  size_t next = 0;
  Sampler sampler(
      std::move(collectors), [&] { return times[std::min(next++, times.size() - 1)]; }, 5);
  sampler.SampleOnce();
  SetStatistics(*scripted.fake, "eth0", {"rx_queue_0_drops", "rx_queue_1_drops"}, {0, 13});
  sampler.SampleOnce();
  std::string text = *sampler.Exposition();
  EXPECT_NE(text.find("wgtune_ethtool_statistics_per_second{device=\"eth0\",name=\"rx_drops\",queue=\"1\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("wgtune_ethtool_statistics_total{device=\"eth0\",name=\"rx_drops\",queue=\"1\"} 13\n"),
            std::string::npos);
}

// The recorder, run under the collector over a fixture, writes that fixture back: the format
// round-trips, and the fixtures hold exactly the requests the collector makes.
TEST(EthtoolRecordingTest, RecordingAFixtureHostReproducesIt) {
  for (const char* name : {"azure-mlx5", "kvm-virtio", "kvm-virtio-6.12", "aws-ena"}) {
    SCOPED_TRACE(name);
    const std::string host = name;
    TempDir out;
    ExporterConfig config;
    ReplayEthtoolTransport replay(FixtureRoot(host) + "/ethtool");
    auto recorder = std::make_unique<RecordingEthtoolTransport>(replay, out.path());
    MetricSet set;
    NewEthtoolCollector(HostContext(host, config), std::move(recorder))->Collect(set);
    std::vector<std::string> fixtures = ListDirectory(FixtureRoot(host) + "/ethtool");
    EXPECT_EQ(ListDirectory(out.path()), fixtures);
    for (const std::string& file : fixtures) {
      SCOPED_TRACE(file);
      EthtoolRecording want = ParseEthtoolRecording(file, ReadFile(FixtureRoot(host) + "/ethtool/" + file));
      EthtoolRecording got = ParseEthtoolRecording(file, ReadFile(out.path() + "/" + file));
      ASSERT_EQ(got.size(), want.size());
      for (const auto& [key, answer] : want) {
        ASSERT_EQ(got.count(key), 1u) << EthtoolCommandName(key.command);
        EXPECT_EQ(got.at(key).bytes, answer.bytes) << EthtoolCommandName(key.command);
        EXPECT_EQ(got.at(key).error, answer.error) << EthtoolCommandName(key.command);
      }
    }
  }
}

}  // namespace
}  // namespace wgtune
