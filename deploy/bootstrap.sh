#!/usr/bin/env bash
# Sets up a Debian 12 machine for wgtune and builds it in ./build.
#
#   deploy/bootstrap.sh          build dependencies, then configure and build
#   deploy/bootstrap.sh --test   also the real peers the test suite talks to
#                                (Prometheus and promtool, node_exporter, …)
#
# Every dependency is a Debian package; nothing is downloaded from elsewhere. Packages that
# are already installed are not touched, so a second run only rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."

build_packages=(build-essential cmake pkg-config git
  prometheus-cpp-dev libcpp-httplib-dev libspdlog-dev libtomlplusplus-dev libgtest-dev
  nlohmann-json3-dev libcli11-dev libssl-dev libre2-dev libyaml-cpp-dev libcrypt-dev)
# systemd (systemd-analyze) and util-linux (setpriv): the unit and least-privilege tests; clang-14 and
# its sanitizer and libFuzzer runtimes: tests/sanitize.sh (ASan+UBSan, fuzz targets).
test_packages=(prometheus prometheus-alertmanager prometheus-node-exporter python3 iproute2 iputils-ping wireguard-go wireguard-tools iperf3 ethtool openssl
  systemd util-linux clang-14 libclang-rt-14-dev)

wanted=("${build_packages[@]}")
if [[ "${1:-}" == "--test" ]]; then
  wanted+=("${test_packages[@]}")
fi

missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "bootstrap: installing ${missing[*]}" >&2
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
cmake --build build -j "$(nproc)" >&2
