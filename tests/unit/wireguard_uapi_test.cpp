#include "exporter/wireguard/uapi.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/errors.h"
#include "tests/unit/wireguard_testing.h"

namespace wgtune {
namespace {

using std::chrono::milliseconds;

const std::string kUapiFixtures = std::string(WGTUNE_SOURCE_DIR) + "/tests/fixtures/wireguard/uapi/";

std::string Fixture(const std::string& name) { return ReadTestFile(kUapiFixtures + name); }


std::map<std::string, WireGuardPeer> PeersByKey(const WireGuardDevice& device) {
  std::map<std::string, WireGuardPeer> peers;
  for (const WireGuardPeer& peer : device.peers) peers[peer.public_key] = peer;
  return peers;
}

// Every text field of the model, to look for key material in.
std::vector<std::string> Strings(const WireGuardDevice& device) {
  std::vector<std::string> strings = {device.name, device.public_key};
  for (const WireGuardPeer& peer : device.peers) {
    strings.push_back(peer.public_key);
    strings.push_back(peer.endpoint);
    strings.insert(strings.end(), peer.allowed_ips.begin(), peer.allowed_ips.end());
  }
  return strings;
}

TEST(ParseUapiGetTest, ReadsWireGuardGoVerbatim) {
  WireGuardDevice device = ParseUapiGet(Fixture("wireguard-go.get"));
  EXPECT_EQ(device.implementation, WireGuardImplementation::kUserspace);
  EXPECT_EQ(device.name, "");
  // Derived from private_key as wg(8) does: what `wg show wgr-a dump` printed.
  EXPECT_EQ(device.public_key, kDevicePublic);
  EXPECT_EQ(device.listen_port, 51820);
  EXPECT_EQ(device.fwmark, 0u);
  ASSERT_EQ(device.peers.size(), 4u);

  const WireGuardPeer& direct = device.peers[0];  // the answer's order
  EXPECT_EQ(direct.public_key, kPeerDirect);
  EXPECT_EQ(direct.endpoint, "192.0.2.2:51821");
  EXPECT_EQ(direct.last_handshake_seconds, 1795599700);
  EXPECT_EQ(direct.last_handshake_nanoseconds, 567953841);
  EXPECT_EQ(direct.rx_bytes, 124u);  // printed after tx_bytes=728
  EXPECT_EQ(direct.tx_bytes, 728u);
  EXPECT_EQ(direct.persistent_keepalive_seconds, 25);
  EXPECT_EQ(direct.allowed_ips, (std::vector<std::string>{"100.64.0.2/32", "fd00::2/128"}));
  EXPECT_EQ(direct.protocol_version, 1u);

  const WireGuardPeer& ipv6 = device.peers[1];
  EXPECT_EQ(ipv6.public_key, kPeerIpv6);
  EXPECT_EQ(ipv6.endpoint, "[2001:db8::5]:51820");
  EXPECT_EQ(ipv6.last_handshake_seconds, std::nullopt);  // 0: never
  EXPECT_EQ(ipv6.persistent_keepalive_seconds, 0);

  const WireGuardPeer& relayed = device.peers[2];
  EXPECT_EQ(relayed.public_key, kPeerRelayed);
  EXPECT_EQ(relayed.endpoint, "127.1.0.7:41000");
  EXPECT_EQ(relayed.tx_bytes, 296u);
  EXPECT_EQ(relayed.rx_bytes, 0u);
  EXPECT_EQ(relayed.allowed_ips.size(), 2u);

  const WireGuardPeer& silent = device.peers[3];
  EXPECT_EQ(silent.public_key, kPeerSilent);
  EXPECT_EQ(silent.endpoint, "");  // no endpoint line
  EXPECT_EQ(silent.last_handshake_seconds, std::nullopt);
}

TEST(ParseUapiGetTest, DerivesThePublicKeyAsRfc7748) {
  // RFC 7748 section 6.1: Alice's private key and public key, in hex and base64.
  WireGuardDevice device =
      ParseUapiGet("private_key=77076D0A7318A57D3C16C17251B26645DF4C2F87EBC0992AB177FBA51DB92C2A\nerrno=0\n\n");
  EXPECT_EQ(device.public_key, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
}

TEST(ParseUapiGetTest, PeerOrderOfTheDaemonDoesNotMatter) {
  WireGuardDevice first = ParseUapiGet(Fixture("wireguard-go.get"));
  WireGuardDevice second = ParseUapiGet(Fixture("wireguard-go-reordered.get"));
  ASSERT_NE(first.peers[0].public_key, second.peers[0].public_key);  // the recording is reordered
  std::map<std::string, WireGuardPeer> a = PeersByKey(first);
  std::map<std::string, WireGuardPeer> b = PeersByKey(second);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [key, peer] : a) {
    ASSERT_TRUE(b.count(key)) << key;
    EXPECT_EQ(b[key].endpoint, peer.endpoint);
    EXPECT_EQ(b[key].tx_bytes, peer.tx_bytes);
    EXPECT_EQ(b[key].rx_bytes, peer.rx_bytes);
    EXPECT_EQ(b[key].allowed_ips, peer.allowed_ips);
  }
  EXPECT_EQ(second.public_key, kDevicePublic);
}

TEST(ParseUapiGetTest, KeepsNoPrivateOrPresharedKey) {
  for (const char* fixture : {"wireguard-go.get", "wireguard-go-reordered.get"}) {
    WireGuardDevice device = ParseUapiGet(Fixture(fixture));
    for (const std::string& text : Strings(device)) {
      for (const char* secret : {kPrivateHex, kPrivateBase64, kPresharedHex, kPresharedBase64}) {
        EXPECT_EQ(text.find(secret), std::string::npos) << fixture << ": " << text;
      }
    }
  }
}

TEST(ParseUapiGetTest, IgnoresTheKeysOfForks) {
  // amneziawg-go adds device keys (jc, jmin, h1, ...) between fwmark and the peers.
  WireGuardDevice amnezia = ParseUapiGet(Fixture("amneziawg.get"));
  EXPECT_EQ(amnezia.public_key, "0XET4MUnpD5i5M1i7gm6oFydHT4YGWetCi0G7rwhawc=");
  ASSERT_EQ(amnezia.peers.size(), 1u);
  EXPECT_EQ(amnezia.peers[0].public_key, "+HCaNMY/23iTtQEdzZrh/KSEJD1rGj2hAQW8Q8Ra3n4=");
  EXPECT_EQ(amnezia.peers[0].rx_bytes, 8820u);
  EXPECT_EQ(amnezia.peers[0].tx_bytes, 9216u);

  // Unknown keys inside a peer belong to no one and are skipped too.
  WireGuardDevice device = ParseUapiGet(
      "listen_port=51820\n"
      "public_key=f8709a34c63fdb7893b5011dcd9ae1fca484243d6b1a3da10105bc43c45ade7e\n"
      "rx_bytes=5\n"
      "future_peer_key=anything=with=equals\n"
      "tx_bytes=6\n"
      "errno=0\n"
      "\n");
  ASSERT_EQ(device.peers.size(), 1u);
  EXPECT_EQ(device.peers[0].rx_bytes, 5u);
  EXPECT_EQ(device.peers[0].tx_bytes, 6u);
  EXPECT_EQ(device.public_key, "");  // no private_key: a device without a key
}

TEST(ParseUapiGetTest, ReadsBoringtunDialect) {
  WireGuardDevice device = ParseUapiGet(Fixture("boringtun.get"));
  EXPECT_EQ(device.public_key, "R2RFtElZYBT/KrVOjluxT8Bs27uk4Enhdyd0EE6Ynkk=");  // own_public_key
  EXPECT_EQ(device.fwmark, 51820u);
  ASSERT_EQ(device.peers.size(), 1u);
  const WireGuardPeer& peer = device.peers[0];
  EXPECT_EQ(peer.public_key, "RjD6fuSV+RZpELa+fadmFok6kWvb1kZXyp2tx8i2oHk=");
  EXPECT_EQ(peer.rx_bytes, 4096u);
  EXPECT_EQ(peer.tx_bytes, 5120u);
  EXPECT_EQ(peer.protocol_version, 0u);        // not reported
  EXPECT_EQ(peer.last_handshake_seconds, 17);  // boringtun's age, taken as written (documented)
}

TEST(ParseUapiGetTest, EmptyDeviceAndMissingFinalBlankLine) {
  WireGuardDevice device = ParseUapiGet("errno=0\n\n");
  EXPECT_TRUE(device.peers.empty());
  EXPECT_EQ(device.listen_port, 0);
  EXPECT_NO_THROW(ParseUapiGet("listen_port=1\nerrno=0\n"));
  EXPECT_NO_THROW(ParseUapiGet("listen_port=1\nerrno=0"));
}

struct BadAnswer {
  const char* name;
  std::string text;
  const char* message;  // part of the error message
  bool io_error = false;
};

const char kPeer[] = "public_key=946677325c9e6ebe79b3a683b245effe41e5fccfc46a2263519f8ee35fe38e4e\n";

TEST(ParseUapiGetTest, RejectsMalformedAnswers) {
  std::string recorded = Fixture("wireguard-go.get");
  const BadAnswer cases[] = {
      {"empty input", "", "no errno line"},
      {"truncated mid-answer", recorded.substr(0, recorded.size() / 2), "no errno line: the answer is truncated"},
      {"truncated before errno", recorded.substr(0, recorded.find("errno=")), "no errno line"},
      {"not enough fields", "listen_port\nerrno=0\n\n", "line 1: no '='"},
      {"empty key", "=5\nerrno=0\n\n", "line 1: empty key"},
      {"blank line before errno", "listen_port=1\n\nerrno=0\n\n", "line 2: blank line before errno="},
      {"text after errno", "errno=0\nlisten_port=1\n\n", "line 2: text after the errno line"},
      {"garbage listen_port", "listen_port=51x20\nerrno=0\n\n", "listen_port \"51x20\" is not a number"},
      {"listen_port out of range", "listen_port=70000\nerrno=0\n\n", "from 0 to 65535"},
      {"negative fwmark", "fwmark=-1\nerrno=0\n\n", "fwmark \"-1\""},
      {"garbage rx_bytes", std::string(kPeer) + "rx_bytes=12k\nerrno=0\n\n", "line 2: rx_bytes \"12k\""},
      {"rx_bytes above 2^64", std::string(kPeer) + "rx_bytes=18446744073709551616\nerrno=0\n\n", "rx_bytes"},
      {"nanoseconds of a second", std::string(kPeer) + "last_handshake_time_nsec=1000000000\nerrno=0\n\n",
       "from 0 to 999999999"},
      {"keepalive out of range", std::string(kPeer) + "persistent_keepalive_interval=65536\nerrno=0\n\n",
       "persistent_keepalive_interval"},
      {"short public key", "public_key=9466\nerrno=0\n\n", "public_key is not 64 hex digits"},
      {"public key not hex", "public_key=" + std::string(64, 'g') + "\nerrno=0\n\n", "public_key is not 64 hex"},
      {"own_public_key not hex", "own_public_key=xyz\nerrno=0\n\n", "own_public_key is not 64 hex"},
      {"peer key before a peer", "rx_bytes=5\nerrno=0\n\n", "rx_bytes before any public_key"},
      {"empty endpoint", std::string(kPeer) + "endpoint=\nerrno=0\n\n", "empty endpoint"},
      {"allowed_ip without prefix", std::string(kPeer) + "allowed_ip=100.64.0.2\nerrno=0\n\n",
       "is not an address/prefix length"},
      {"errno not a number", "errno=zero\n\n", "errno \"zero\" is not a number"},
      {"daemon refused (recorded)", Fixture("wireguard-go-einval.get"), "errno=-22 (Invalid argument)", true},
      {"daemon refused (boringtun sign)", "errno=5\n\n", "errno=5 (Input/output error)", true},
  };
  for (const BadAnswer& c : cases) {
    try {
      ParseUapiGet(c.text);
      ADD_FAILURE() << c.name << ": no error";
    } catch (const ParseError& error) {
      EXPECT_FALSE(c.io_error) << c.name << ": " << error.what();
      EXPECT_NE(std::string(error.what()).find(c.message), std::string::npos) << c.name << ": " << error.what();
    } catch (const IoError& error) {
      EXPECT_TRUE(c.io_error) << c.name << ": " << error.what();
      EXPECT_NE(std::string(error.what()).find(c.message), std::string::npos) << c.name << ": " << error.what();
    }
  }
}

TEST(ParseUapiGetTest, ErrorsNeverQuoteASecret) {
  // A private key one digit short, a preshared key that is not hex: neither appears in what
  // the exporter would log.
  std::string short_private = std::string(kPrivateHex).substr(1);
  std::vector<std::string> answers = {
      "private_key=" + short_private + "\nerrno=0\n\n",
      "private_key=" + short_private + "\n",
      "private_key=" + std::string(kPrivateHex) + "\nlisten_port=x\nerrno=0\n\n",
      "private_key=" + std::string(kPrivateHex) + "\n" + kPeer + "preshared_key=" + kPresharedHex + "zz\nerrno=1\n\n",
  };
  for (const std::string& answer : answers) {
    try {
      ParseUapiGet(answer);
      ADD_FAILURE() << "no error";
    } catch (const std::exception& error) {
      std::string message = error.what();
      EXPECT_EQ(message.find(short_private.substr(0, 16)), std::string::npos) << message;
      EXPECT_EQ(message.find(std::string(kPresharedHex).substr(0, 16)), std::string::npos) << message;
    }
  }
  // A malformed private key is an error (the public key cannot be had), named without its value.
  EXPECT_THROW(ParseUapiGet(answers[0]), ParseError);
  // A malformed preshared key is never looked at.
  EXPECT_NO_THROW(ParseUapiGet(std::string(kPeer) + "preshared_key=not-hex\nerrno=0\n\n"));
}

// The client, against a daemon on a real unix socket.

TEST(UapiGetTest, SendsGetAndStopsAtTheBlankLineAfterErrno) {
  ScratchDir dir;
  std::string answer = Fixture("wireguard-go.get");
  // 7-byte writes: "\nerrno=" and the final "\n\n" straddle reads.
  FakeUapiServer server(dir.File("wgt-a.sock"), answer, FakeUapiServer::Behaviour::kAnswer, 7);
  // The daemon keeps the connection open afterwards: reading to EOF would hang until timeout.
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(UapiGet(dir.File("wgt-a.sock"), milliseconds(5000)), answer);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(server.requests(), (std::vector<std::string>{"get=1\n\n"}));
}

TEST(UapiGetTest, ReadUapiDeviceNamesTheDevice) {
  ScratchDir dir;
  FakeUapiServer server(dir.File("wt0.sock"), Fixture("wireguard-go.get"));
  WireGuardDevice device = ReadUapiDevice(dir.path(), "wt0", milliseconds(2000));
  EXPECT_EQ(device.name, "wt0");
  EXPECT_EQ(device.public_key, kDevicePublic);
  EXPECT_EQ(device.peers.size(), 4u);
}

struct SocketFailure {
  const char* name;
  std::function<void(const ScratchDir&)> arrange;
  const char* message;
};

TEST(UapiGetTest, FailuresAreClearIoErrors) {
  const SocketFailure cases[] = {
      {"no socket", [](const ScratchDir&) {}, "the socket is gone"},
      {"stale socket of a dead daemon", [](const ScratchDir& dir) { MakeStaleSocket(dir.File("wt0.sock")); },
       "a stale socket left by a daemon that exited"},
  };
  for (const SocketFailure& c : cases) {
    ScratchDir dir;
    c.arrange(dir);
    try {
      UapiGet(dir.File("wt0.sock"), milliseconds(500));
      ADD_FAILURE() << c.name << ": no error";
    } catch (const IoError& error) {
      std::string message = error.what();
      EXPECT_NE(message.find(c.message), std::string::npos) << c.name << ": " << message;
      EXPECT_NE(message.find(dir.File("wt0.sock")), std::string::npos) << c.name << ": " << message;
    }
  }
}

TEST(UapiGetTest, SilentDaemonTimesOut) {
  ScratchDir dir;
  FakeUapiServer server(dir.File("wt0.sock"), "", FakeUapiServer::Behaviour::kSilent);
  auto start = std::chrono::steady_clock::now();
  try {
    UapiGet(dir.File("wt0.sock"), milliseconds(150));
    ADD_FAILURE() << "no error";
  } catch (const IoError& error) {
    EXPECT_NE(std::string(error.what()).find("no answer in time"), std::string::npos) << error.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(UapiGetTest, DaemonClosingEarlyIsATruncatedAnswer) {
  ScratchDir dir;
  FakeUapiServer server(dir.File("wt0.sock"), Fixture("wireguard-go.get"), FakeUapiServer::Behaviour::kCloseEarly);
  try {
    ReadUapiDevice(dir.path(), "wt0", milliseconds(2000));
    ADD_FAILURE() << "no error";
  } catch (const ParseError& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("truncated"), std::string::npos) << message;
    EXPECT_NE(message.find("wt0.sock"), std::string::npos) << message;
  }
}

TEST(UapiGetTest, RefusalOfTheDaemonIsAnIoError) {
  ScratchDir dir;
  FakeUapiServer server(dir.File("wt0.sock"), Fixture("wireguard-go-einval.get"));
  EXPECT_THROW(ReadUapiDevice(dir.path(), "wt0", milliseconds(2000)), IoError);
}

TEST(UapiGetTest, SocketPathTooLong) {
  EXPECT_THROW(UapiGet("/tmp/" + std::string(200, 'x') + ".sock", milliseconds(100)), IoError);
}

}  // namespace
}  // namespace wgtune
