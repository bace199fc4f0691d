#!/usr/bin/env python3
"""The WireGuard lab carries real traffic and cleans up after itself.

Builds a 3-host wireguard-go mesh, checks that every host handshook with every peer, runs
the field guide's five baseline scenarios (§2.1) for one second each through the tunnel with
`wgtune-advisor baseline` (wglab.advisor_baseline, as `wglab.py baseline` does), checks each
run file has traffic, and that nothing of the lab is left afterwards.
Usage: lab_baseline_test.py ADVISOR SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

advisor = os.path.abspath(sys.argv[1])
sys.path.insert(0, os.path.join(sys.argv[2], 'tests/lab'))
import wglab  # noqa: E402

PREFIX = 'wgb'

with tempfile.TemporaryDirectory() as out:
    with wglab.Mesh(hosts=3, prefix=PREFIX) as mesh:
        mesh.wait_for_handshakes()
        for i in range(1, 4):
            _device, peers = mesh.dump(i)
            assert len(peers) == 2, peers
            assert all(p['latest_handshake'] > 0 for p in peers.values()), peers
        wglab.advisor_baseline(mesh, advisor, out, 1)
    names = sorted(name[:-len('.json')] for name in os.listdir(out))
    assert names == ['tcp_fwd', 'tcp_rev', 'tcp_single', 'udp_1200', 'udp_64'], names
    for name in names:
        run = json.load(open(os.path.join(out, name + '.json')))
        assert 'error' not in run['iperf3'], (name, run['iperf3'].get('error'))
        assert run['throughput_bits_per_second'] > 0, (name, run['throughput_bits_per_second'])
        assert run['iperf3']['end']['sum_received']['bytes'] > 0, (name, run['iperf3']['end']['sum_received'])

namespaces = subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True).stdout
assert PREFIX + '-' not in namespaces, 'namespaces left behind: ' + namespaces
left = [n for n in os.listdir(wglab.UAPI_DIR) if n.startswith(PREFIX)] if os.path.isdir(wglab.UAPI_DIR) else []
assert not left, 'UAPI sockets left behind: %s' % left
assert subprocess.run(['pgrep', '-f', 'wireguard-go -f ' + PREFIX], capture_output=True).returncode == 1, \
    'wireguard-go left running'
print('lab_baseline_test: 3-host mesh, 5 scenarios with traffic, nothing left behind')
