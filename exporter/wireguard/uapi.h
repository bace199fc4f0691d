// The userspace WireGuard backend: the cross-platform configuration protocol ("UAPI") that
// wireguard-go, NetBird in userspace mode and boringtun serve on a unix socket.
//
// Source: https://www.wireguard.com/xplatform/#configuration-protocol; wireguard-go
// device/uapi.go (IpcGetOperation, IpcHandle); wireguard-tools src/ipc-uapi.h
// (userspace_get_device) and src/ipc-uapi-unix.h. A client connects to
// <dir>/<interface>.sock (AF_UNIX stream, root only: the socket is mode 0700 in a 0755
// /var/run/wireguard), writes "get=1\n\n" and reads "key=value" lines:
//
//   private_key=a867cbca…7550          device lines first; the private key, never the public
//   listen_port=51820
//   fwmark=51820                       only when set
//   public_key=946677…8e4e             starts a peer; every later line belongs to it
//   preshared_key=f1b707…29d2          always present; all zeros when unset
//   protocol_version=1
//   endpoint=192.0.2.2:51821           or [2001:db8::5]:51820; absent when unknown
//   last_handshake_time_sec=1795599700 Unix time; 0 and 0: never
//   last_handshake_time_nsec=567953841
//   tx_bytes=728                       wireguard-go prints tx before rx
//   rx_bytes=124
//   persistent_keepalive_interval=25   seconds, 0 = off
//   allowed_ip=100.64.0.2/32           repeated, one per prefix
//   errno=0                            then a blank line ends the answer
//
// Keys are lowercase hex. Peers come in the daemon's map order, which changes between
// answers. Forks add keys (amneziawg's jc, jmin, h1…; boringtun's own_public_key, the device's
// public key in hex), so unknown keys are ignored. The daemon keeps the connection open for
// the next request, so the answer ends at the blank line after errno=, not at EOF. A failed
// request is answered "errno=-22\n\n" (wireguard-go: a negative errno; boringtun: positive).
// Known limit: boringtun (as of its device/api.rs) prints the time since the handshake in
// last_handshake_time_sec, not a Unix time; it is taken as written.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "exporter/wireguard/device.h"

namespace wgtune {

// Parses a complete answer to get=1. The device's public key is derived from private_key
// (the protocol carries no public key of the device); private_key and preshared_key are
// otherwise skipped: not stored, not copied, and no error message quotes them. name is left
// empty and implementation is kUserspace.
//
// Throws ParseError ("uapi line 7: ...") on a line without '=', a blank line before errno, a
// key or number that is not of its documented form, a peer line before any public_key, or an
// answer without an errno line (truncated); IoError when errno is not 0 (the daemon refused).
WireGuardDevice ParseUapiGet(std::string_view answer);

// Sends get=1 to the UAPI socket at `socket_path` and returns the raw answer, up to and
// including the blank line after errno= (or whatever arrived before the daemon closed the
// connection: the parser then reports the truncation). The whole exchange gives up after
// `timeout`. The answer holds the device's private key: the caller wipes it when parsed.
//
// Throws IoError naming the socket and saying what failed: the socket is gone (ENOENT), the
// exporter may not connect (PermissionError, EACCES: the socket is 0700, its daemon's, and
// connecting takes its owner or CAP_DAC_OVERRIDE), nobody listens (ECONNREFUSED:
// a stale socket left by a daemon that died), the daemon is too busy (EAGAIN) or silent
// (timeout), or the answer exceeds 64 MiB.
std::string UapiGet(const std::string& socket_path, std::chrono::milliseconds timeout);

// UapiGet, then ParseUapiGet, with the answer wiped afterwards; name is set to `interface`.
// The socket is <uapi_dir>/<interface>.sock.
WireGuardDevice ReadUapiDevice(const std::string& uapi_dir, const std::string& interface,
                               std::chrono::milliseconds timeout);

}  // namespace wgtune
