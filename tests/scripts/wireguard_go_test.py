#!/usr/bin/env python3
"""The wireguard collector against a real userspace WireGuard: two wireguard-go daemons.

Builds a two-host lab out of network namespaces: a veth pair (192.0.2.1/24, 192.0.2.2/24)
as the underlay, wireguard-go in each namespace (wgt-a, wgt-b) configured with `wg set`,
tunnel addresses 100.64.0.1/10 and 100.64.0.2/10 with MTU 1280, and traffic across. The
exporter runs inside namespace A on 127.0.0.1 with --wireguard.uapi-dir=/var/run/wireguard
(wireguard-go puts every namespace's socket there, so it sees wgt-b's daemon too).

Checks: wgt-a is served by the userspace implementation; with the traffic stopped, a scrape
taken after a `wg show wgt-a dump` has the dump's public key, listen port, per-peer bytes and
latest handshake; the underlay is the veth the peer's endpoint routes through, with both
MTUs; the private key (base64 and hex) is nowhere in /metrics nor in the exporter's log; a
daemon killed with SIGKILL leaves a stale socket that shows as interface_up 0 while the
collector keeps serving wgt-a; SIGTERM stops the exporter cleanly.

Needs root, iproute2, wireguard-tools and wireguard-go. Everything it creates (namespaces,
daemons, sockets, key files) is removed in a `finally`, on SIGTERM too; traffic stays inside
the namespaces.
Usage: wireguard_go_test.py BINARY SOURCE_DIR
"""
import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from exposition import parse, stop, wait_for  # noqa: E402

binary, source = sys.argv[1], sys.argv[2]
UAPI_DIR = '/var/run/wireguard'
SAMPLE_INTERVAL = 0.5
TAG = str(os.getpid())
NS_A, NS_B = 'wgtune-a-' + TAG, 'wgtune-b-' + TAG
VETH_A, VETH_B = 'wgtva' + TAG[-8:], 'wgtvb' + TAG[-8:]  # interface names: 15 bytes at most
WG_A, WG_B = 'wgt-a', 'wgt-b'
PORT_A, PORT_B = 51820, 51821


def run(*args, ns=None, input=None):
    """Runs a command (inside network namespace `ns`) and returns its stdout; raises on failure."""
    command = (['ip', 'netns', 'exec', ns] if ns else []) + list(args)
    result = subprocess.run(command, input=input, capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise AssertionError('%s: exit %d: %s' % (' '.join(command), result.returncode, result.stderr.strip()))
    return result.stdout


def fetch_in(ns, url):
    """GETs `url` from inside namespace `ns`, where the exporter's loopback is."""
    program = 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())'
    return run(sys.executable, '-c', program, url, ns=ns)


def uapi_socket(name):
    return os.path.join(UAPI_DIR, name + '.sock')


def free_uapi_name(name):
    """Removes a stale socket of an earlier, killed run; refuses to touch a live daemon's."""
    path = uapi_socket(name)
    if not os.path.exists(path):
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except ConnectionRefusedError:
        os.unlink(path)
        return
    finally:
        probe.close()
    raise AssertionError('%s is served by a running daemon: is another run of this test going on?' % path)


def dump(ns, interface):
    """`wg show <interface> dump`: (device fields, {public key: peer fields})."""
    lines = run('wg', 'show', interface, 'dump', ns=ns).splitlines()
    device = lines[0].split('\t')
    peers = {}
    for line in lines[1:]:
        fields = line.split('\t')
        peers[fields[0]] = {'endpoint': fields[2], 'latest_handshake': int(fields[4]), 'rx': int(fields[5]),
                            'tx': int(fields[6])}
    return {'private_key': device[0], 'public_key': device[1], 'listen_port': int(device[2])}, peers


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def udp_exchange(count):
    """Sends `count` datagrams from A to B through the tunnel and waits for each echo."""
    server = ('import socket, sys\n'
              's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n'
              's.bind(("100.64.0.2", 9999)); s.settimeout(10)\n'
              'for _ in range(int(sys.argv[1])):\n'
              '    data, peer = s.recvfrom(2048); s.sendto(data, peer)\n')
    client = ('import socket, sys, time\n'
              's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)\n'
              'for i in range(int(sys.argv[1])):\n'
              '    payload = b"x" * 1000 + str(i).encode()\n'
              '    for attempt in range(5):\n'
              '        s.sendto(payload, ("100.64.0.2", 9999))\n'
              '        try:\n'
              '            if s.recvfrom(2048)[0] == payload: break\n'
              '        except socket.timeout: pass\n'
              '    else: sys.exit("no echo for datagram %d" % i)\n')
    echo = subprocess.Popen(['ip', 'netns', 'exec', NS_B, sys.executable, '-c', server, str(count)])
    try:
        time.sleep(0.3)
        run(sys.executable, '-c', client, str(count), ns=NS_A)
    finally:
        stop(echo)


def check_tools():
    if os.geteuid() != 0:
        sys.exit('wireguard_go_test: needs root (network namespaces, tun devices)')
    missing = [tool for tool in ('ip', 'wg', 'wireguard-go') if shutil.which(tool) is None]
    if missing:
        sys.exit('wireguard_go_test: %s not found; run deploy/bootstrap.sh --test' % ', '.join(missing))


def main():
    check_tools()
    work = tempfile.mkdtemp(prefix='wgtune-wg-')
    daemons = {}
    exporter = None
    namespaces = []
    created_sockets = []

    def on_sigterm(signum, frame):
        raise SystemExit('wireguard_go_test: terminated')

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        for name in (WG_A, WG_B):
            free_uapi_name(name)
        for ns in (NS_A, NS_B):
            run('ip', 'netns', 'add', ns)
            namespaces.append(ns)
            run('ip', 'link', 'set', 'lo', 'up', ns=ns)
        run('ip', 'link', 'add', VETH_A, 'netns', NS_A, 'type', 'veth', 'peer', 'name', VETH_B, 'netns', NS_B)
        run('ip', 'addr', 'add', '192.0.2.1/24', 'dev', VETH_A, ns=NS_A)
        run('ip', 'addr', 'add', '192.0.2.2/24', 'dev', VETH_B, ns=NS_B)
        run('ip', 'link', 'set', VETH_A, 'up', ns=NS_A)
        run('ip', 'link', 'set', VETH_B, 'up', ns=NS_B)

        keys = {}
        for name in (WG_A, WG_B):
            private = run('wg', 'genkey').strip()
            key_file = os.path.join(work, name + '.key')
            with open(os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'w') as f:
                f.write(private + '\n')
            keys[name] = {'private': private, 'file': key_file, 'public': run('wg', 'pubkey', input=private).strip()}

        for name, ns in ((WG_A, NS_A), (WG_B, NS_B)):
            log = open(os.path.join(work, name + '.log'), 'w')
            daemons[name] = subprocess.Popen(['ip', 'netns', 'exec', ns, 'wireguard-go', '-f', name],
                                             stdout=log, stderr=log)
            created_sockets.append(uapi_socket(name))
            wait_for(lambda: os.path.exists(uapi_socket(name)), 10, name + "'s UAPI socket")

        for name, ns, port, peer, peer_port, address, peer_address, underlay_peer in (
                (WG_A, NS_A, PORT_A, WG_B, PORT_B, '100.64.0.1/10', '100.64.0.2/32', '192.0.2.2'),
                (WG_B, NS_B, PORT_B, WG_A, PORT_A, '100.64.0.2/10', '100.64.0.1/32', '192.0.2.1')):
            run('wg', 'set', name, 'private-key', keys[name]['file'], 'listen-port', str(port),
                'peer', keys[peer]['public'], 'endpoint', '%s:%d' % (underlay_peer, peer_port),
                'allowed-ips', peer_address, ns=ns)
            run('ip', 'addr', 'add', address, 'dev', name, ns=ns)
            run('ip', 'link', 'set', name, 'mtu', '1280', 'up', ns=ns)

        if shutil.which('ping'):
            run('ping', '-c', '3', '-i', '0.2', '-W', '2', '100.64.0.2', ns=NS_A)
        udp_exchange(20)

        log_path = os.path.join(work, 'exporter.log')
        with open(log_path, 'w') as log:
            exporter = subprocess.Popen(
                ['ip', 'netns', 'exec', NS_A, binary, '--web.listen-address=127.0.0.1:0',
                 '--wireguard.uapi-dir=' + UAPI_DIR, '--sample.interval=%s' % SAMPLE_INTERVAL, '--log.level=debug'],
                stderr=log)
        port = wait_for(lambda: re.search(r'msg=listening .*port=(\d+)', open(log_path).read()), 10,
                        'the listening log line')
        url = 'http://127.0.0.1:%s/metrics' % port.group(1)
        wait_for(lambda: 'wgtune_wireguard_peer_receive_bytes_per_second{' in fetch_in(NS_A, url), 10,
                 'a sample with rates')

        # The traffic has stopped: a dump, a scrape of a later sample, and a second dump that
        # must equal the first (else a keepalive slipped in between: try again).
        for attempt in range(5):
            device, peers = dump(NS_A, WG_A)
            time.sleep(3 * SAMPLE_INTERVAL)
            text = fetch_in(NS_A, url)
            if dump(NS_A, WG_A) == (device, peers):
                break
        else:
            raise AssertionError('wgt-a kept changing: no quiet moment to compare in')
        samples = parse(text)

        assert value(samples, 'wgtune_scrape_collector_success', collector='wireguard') == 1, text
        assert value(samples, 'wgtune_wireguard_interface_info', interface=WG_A, implementation='userspace',
                     public_key=device['public_key']) == 1, 'interface_info of wgt-a'
        assert device['public_key'] == keys[WG_A]['public']
        assert value(samples, 'wgtune_wireguard_interface_up', interface=WG_A) == 1
        assert value(samples, 'wgtune_wireguard_listen_port', interface=WG_A) == device['listen_port'] == PORT_A
        assert value(samples, 'wgtune_wireguard_peers', interface=WG_A) == len(peers) == 1
        assert value(samples, 'wgtune_wireguard_mtu_bytes', interface=WG_A) == 1280
        assert value(samples, 'wgtune_wireguard_underlay_info', interface=WG_A, device=VETH_A) == 1
        assert value(samples, 'wgtune_wireguard_underlay_mtu_bytes', interface=WG_A, device=VETH_A) == 1500
        for key, peer in peers.items():
            assert key == keys[WG_B]['public']
            labels = {'interface': WG_A, 'public_key': key}
            assert value(samples, 'wgtune_wireguard_peer_receive_bytes_total', **labels) == peer['rx'], (peer, text)
            assert value(samples, 'wgtune_wireguard_peer_transmit_bytes_total', **labels) == peer['tx'], (peer, text)
            assert peer['rx'] > 20 * 1000 and peer['tx'] > 20 * 1000, peer
            handshake = value(samples, 'wgtune_wireguard_peer_last_handshake_seconds', **labels)
            assert peer['latest_handshake'] > 0 and int(handshake) == peer['latest_handshake'], (handshake, peer)
            age = value(samples, 'wgtune_wireguard_peer_handshake_age_seconds', **labels)
            assert 0 <= age < 120, age
            assert value(samples, 'wgtune_wireguard_peer_endpoint_info', endpoint=peer['endpoint'], **labels) == 1
        # wgt-b's socket is in the same directory: its daemon answers, its device lives in B.
        assert value(samples, 'wgtune_wireguard_interface_up', interface=WG_B) == 1
        assert value(samples, 'wgtune_wireguard_mtu_bytes', interface=WG_B) is None

        private = keys[WG_A]['private']
        private_hex = base64.b64decode(private).hex()
        for secret in (private, private_hex, keys[WG_B]['private']):
            assert secret not in text, 'a private key in /metrics'

        # A daemon that dies hard leaves its socket behind: down, and the collector goes on.
        daemons[WG_B].kill()
        daemons[WG_B].wait()
        assert os.path.exists(uapi_socket(WG_B)), 'wireguard-go removed its socket despite SIGKILL'
        down = wait_for(lambda: (lambda s: s if value(s, 'wgtune_wireguard_interface_up', interface=WG_B) == 0
                                 else None)(parse(fetch_in(NS_A, url))), 10, 'wgt-b to be reported down')
        assert value(down, 'wgtune_scrape_collector_success', collector='wireguard') == 1
        assert value(down, 'wgtune_wireguard_interface_up', interface=WG_A) == 1

        if shutil.which('promtool'):
            check = subprocess.run(['promtool', 'check', 'metrics'], input=fetch_in(NS_A, url),
                                   capture_output=True, text=True)
            assert check.returncode == 0, 'promtool check metrics: ' + check.stdout + check.stderr

        code = stop(exporter)
        exporter = None
        assert code == 0, 'exporter exited with %s after SIGTERM' % code
        log_text = open(log_path).read()
        assert 'wgt-b' in log_text, 'the failure of wgt-b was not logged'
        for secret in (private, private_hex, keys[WG_B]['private']):
            assert secret not in log_text, "a private key in the exporter's log"
        print('wireguard_go_test: wgt-a matches `wg show dump` (rx %d, tx %d bytes), stale wgt-b reported down' %
              (peers[keys[WG_B]['public']]['rx'], peers[keys[WG_B]['public']]['tx']))
    finally:
        if exporter is not None:
            stop(exporter)
        for daemon in daemons.values():
            stop(daemon)
        for path in created_sockets:
            if os.path.exists(path):
                os.unlink(path)
        for ns in namespaces:
            subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
