#!/usr/bin/env python3
"""The wireguard collector against a real userspace WireGuard: the lab's wireguard-go mesh.

Builds a two-host mesh with tests/lab/wglab.py (namespaces on a bridged underlay,
wireguard-go on each with NetBird-like settings), sends real iperf3 traffic through the
tunnel, and runs the exporter inside host 1's namespace on 127.0.0.1 with
--wireguard.uapi-dir=/var/run/wireguard (wireguard-go puts every namespace's socket there,
so it sees host 2's daemon too).

Checks: host 1's interface is served by the userspace implementation; with the traffic
stopped, a scrape taken after a `wg show dump` has the dump's public key, listen port,
per-peer bytes and latest handshake; the underlay is the veth the peer's endpoint routes
through, with both MTUs; the private keys (base64 and hex) are nowhere in /metrics nor in the
exporter's log; an exporter run as nobody, which the root-only UAPI socket refuses, still
publishes host 1's interface from sysfs (userspace, its MTU, the default route's eth0 as the
underlay) with interface_up 0 and no peer series, and does not fail, and on it the advisor
still diagnoses what sysfs alone supports (wireguard-mtu-low, rps-disabled) and reports the
peer rules as not judged, for the backend that did not answer; a daemon killed with
SIGKILL leaves a stale socket that shows as interface_up 0 while the collector keeps serving
host 1; SIGTERM stops the exporter cleanly.

Needs root, iproute2, wireguard-tools, wireguard-go and iperf3. The lab removes everything it
created (namespaces, daemons, sockets), on failure and SIGTERM too; traffic stays inside the
namespaces.
Usage: wireguard_go_test.py BINARY SOURCE_DIR ADVISOR
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from exposition import parse, stop, wait_for  # noqa: E402

binary, source, advisor = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(source, 'tests/lab'))
import wglab  # noqa: E402

SAMPLE_INTERVAL = 0.5


def fetch_in(mesh, url):
    """GETs `url` from inside host 1's namespace, where the exporter's loopback is."""
    program = 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())'
    return mesh.run(1, [sys.executable, '-c', program, url], capture_output=True, check=True, timeout=30).stdout


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def main():
    if os.geteuid() != 0:
        sys.exit('wireguard_go_test: needs root (network namespaces, tun devices)')
    work = tempfile.mkdtemp(prefix='wgtune-wg-')
    exporter = None
    with wglab.Mesh(hosts=2, prefix='wge') as mesh:
        wg_a, wg_b = mesh.interface(1), mesh.interface(2)
        try:
            mesh.wait_for_handshakes()
            report = mesh.iperf3(1, 2, ['-P', '2'], 1)
            assert 'error' not in report and report['end']['sum_received']['bytes'] > 0, report.get('error')

            log_path = os.path.join(work, 'exporter.log')
            with open(log_path, 'w') as log:
                exporter = subprocess.Popen(
                    ['ip', 'netns', 'exec', mesh.namespace(1), binary, '--web.listen-address=127.0.0.1:0',
                     '--wireguard.uapi-dir=' + wglab.UAPI_DIR, '--sample.interval=%dms' % round(SAMPLE_INTERVAL * 1000),
                     '--log.level=debug'],
                    stderr=log)
            port = wait_for(lambda: re.search(r'msg=listening .*port=(\d+)', open(log_path).read()), 10,
                            'the listening log line')
            url = 'http://127.0.0.1:%s/metrics' % port.group(1)
            wait_for(lambda: 'wgtune_wireguard_peer_receive_bytes_per_second{' in fetch_in(mesh, url), 10,
                     'a sample with rates')

            # The traffic has stopped: a dump, a scrape of a later sample, and a second dump that
            # must equal the first (else a keepalive slipped in between: try again).
            for _attempt in range(5):
                device, peers = mesh.dump(1)
                time.sleep(3 * SAMPLE_INTERVAL)
                text = fetch_in(mesh, url)
                if mesh.dump(1) == (device, peers):
                    break
            else:
                raise AssertionError('%s kept changing: no quiet moment to compare in' % wg_a)
            samples = parse(text)

            assert value(samples, 'wgtune_scrape_collector_success', collector='wireguard') == 1, text
            assert value(samples, 'wgtune_wireguard_interface_info', interface=wg_a, implementation='userspace',
                         public_key=device['public_key']) == 1, 'interface_info of ' + wg_a
            assert device['public_key'] == mesh.public_key(1)
            assert value(samples, 'wgtune_wireguard_interface_up', interface=wg_a) == 1
            assert value(samples, 'wgtune_wireguard_listen_port', interface=wg_a) == device['listen_port'] == \
                wglab.LISTEN_PORT
            assert value(samples, 'wgtune_wireguard_peers', interface=wg_a) == len(peers) == 1
            assert value(samples, 'wgtune_wireguard_mtu_bytes', interface=wg_a) == mesh.mtu
            assert value(samples, 'wgtune_wireguard_underlay_info', interface=wg_a, device='eth0') == 1
            assert value(samples, 'wgtune_wireguard_underlay_mtu_bytes', interface=wg_a, device='eth0') == 1500
            for key, peer in peers.items():
                assert key == mesh.public_key(2)
                labels = {'interface': wg_a, 'public_key': key}
                assert value(samples, 'wgtune_wireguard_peer_receive_bytes_total', **labels) == peer['rx'], (peer, text)
                assert value(samples, 'wgtune_wireguard_peer_transmit_bytes_total', **labels) == peer['tx'], (peer, text)
                assert peer['rx'] > 100 * 1000 and peer['tx'] > 100 * 1000, peer  # the iperf3 run
                handshake = value(samples, 'wgtune_wireguard_peer_last_handshake_seconds', **labels)
                assert peer['latest_handshake'] > 0 and int(handshake) == peer['latest_handshake'], (handshake, peer)
                age = value(samples, 'wgtune_wireguard_peer_handshake_age_seconds', **labels)
                assert 0 <= age < 120, age
                assert value(samples, 'wgtune_wireguard_peer_endpoint_info', endpoint=peer['endpoint'], **labels) == 1
            # Host 2's socket is in the same directory: its daemon answers, its device lives in host 2.
            assert value(samples, 'wgtune_wireguard_interface_up', interface=wg_b) == 1
            assert value(samples, 'wgtune_wireguard_mtu_bytes', interface=wg_b) is None

            secrets = []
            for i in (1, 2):
                secrets += [mesh.private_key(i), base64.b64decode(mesh.private_key(i)).hex()]
            for secret in secrets:
                assert secret not in text, 'a private key in /metrics'

            # The same host to an exporter without root (run as a user, in a container): the UAPI
            # socket is root's, the backend cannot be read, and what the host shows still is.
            user_log = os.path.join(work, 'exporter-nobody.log')
            with open(user_log, 'w') as log:
                unprivileged = subprocess.Popen(
                    ['ip', 'netns', 'exec', mesh.namespace(1), 'setpriv', '--reuid=65534', '--regid=65534',
                     '--clear-groups', binary, '--web.listen-address=127.0.0.1:0',
                     '--wireguard.uapi-dir=' + wglab.UAPI_DIR, '--sample.interval=%dms' % round(SAMPLE_INTERVAL * 1000)],
                    stderr=log)
            try:
                user_port = wait_for(lambda: re.search(r'msg=listening .*port=(\d+)', open(user_log).read()), 10,
                                     "the unprivileged exporter's listening log line")
                user = parse(fetch_in(mesh, 'http://127.0.0.1:%s/metrics' % user_port.group(1)))
                assert 'permission denied' in open(user_log).read().lower(), open(user_log).read()
                assert value(user, 'wgtune_scrape_collector_success', collector='wireguard') == 1
                assert value(user, 'wgtune_wireguard_interface_up', interface=wg_a) == 0
                assert value(user, 'wgtune_wireguard_interface_info', interface=wg_a, implementation='userspace') == 1
                assert value(user, 'wgtune_wireguard_mtu_bytes', interface=wg_a) == mesh.mtu
                assert value(user, 'wgtune_wireguard_underlay_info', interface=wg_a, device='eth0') == 1
                assert value(user, 'wgtune_wireguard_underlay_mtu_bytes', interface=wg_a, device='eth0') == 1500
                assert value(user, 'wgtune_wireguard_peers', interface=wg_a) is None
                assert not [k for k in user if k[0].startswith('wgtune_wireguard_peer_')], 'peer series without a backend'
                # The advisor on that exporter: what sysfs supports is diagnosed, what needs the
                # peers is said not to be judged, and the host is not called tuned.
                checked = mesh.run(1, [advisor, 'check', '--rules', os.path.join(source, 'rules'), '--format', 'json',
                                       '--target', '127.0.0.1:%s' % user_port.group(1)],
                                   capture_output=True, timeout=60)
                assert checked.returncode == 1, (checked.returncode, checked.stdout[-2000:], checked.stderr[-2000:])
                report = json.loads(checked.stdout)
                fired = {(f['rule'], f['labels'].get('interface') or f['labels'].get('device')) for f in report['findings']}
                assert ('wireguard-mtu-low', wg_a) in fired and ('rps-disabled', 'eth0') in fired, fired
                blind = {n['rule']: n for n in report['hosts'][0]['not_judged']}
                assert blind['wireguard-handshake-stale']['cause'] == 'blind', blind
                assert wg_a + ': its WireGuard backend did not answer' in blind['wireguard-handshake-stale']['reason'], blind
                assert report['hosts'][0]['tuned'] is False
            finally:
                assert stop(unprivileged) == 0, 'the unprivileged exporter did not stop cleanly'

            # A daemon that dies hard leaves its socket behind: down, and the collector goes on.
            mesh.daemon(2).kill()
            mesh.daemon(2).wait()
            assert os.path.exists(os.path.join(wglab.UAPI_DIR, wg_b + '.sock')), \
                'wireguard-go removed its socket despite SIGKILL'
            down = wait_for(lambda: (lambda s: s if value(s, 'wgtune_wireguard_interface_up', interface=wg_b) == 0
                                     else None)(parse(fetch_in(mesh, url))), 10, wg_b + ' to be reported down')
            assert value(down, 'wgtune_scrape_collector_success', collector='wireguard') == 1
            assert value(down, 'wgtune_wireguard_interface_up', interface=wg_a) == 1

            if shutil.which('promtool'):
                check = subprocess.run(['promtool', 'check', 'metrics'], input=fetch_in(mesh, url),
                                       capture_output=True, text=True)
                assert check.returncode == 0, 'promtool check metrics: ' + check.stdout + check.stderr

            code = stop(exporter)
            exporter = None
            assert code == 0, 'exporter exited with %s after SIGTERM' % code
            log_text = open(log_path).read()
            assert wg_b in log_text, 'the failure of %s was not logged' % wg_b
            for secret in secrets:
                assert secret not in log_text, "a private key in the exporter's log"
            print('wireguard_go_test: %s matches `wg show dump` after iperf3 (rx %d, tx %d bytes), '
                  'stale %s reported down' % (wg_a, peers[mesh.public_key(2)]['rx'], peers[mesh.public_key(2)]['tx'],
                                              wg_b))
        finally:
            if exporter is not None:
                stop(exporter)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
