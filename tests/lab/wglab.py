#!/usr/bin/env python3
"""A WireGuard mesh in network namespaces: N hosts running wireguard-go, like NetBird.

Each host is a network namespace (wgl-h1 … wgl-hN) with one veth leg on a shared bridge
(the underlay, 192.0.2.0/24, in namespace wgl-sw) and a wireguard-go interface named
wgl1 … wglN (names are unique across hosts because wireguard-go puts every UAPI socket in
one /var/run/wireguard, whatever the namespace). Overlay addresses are NetBird-like,
100.64.0.i/10, and the WireGuard MTU is 1280 unless told otherwise. Every peer knows every
other (full mesh), with its underlay endpoint and a 25 s keepalive. Each host's default route
goes out of its underlay veth (as on a cloud VM, where the default route's device carries the
tunnel), so that tools which find the underlay by the default route see eth0.

Everything is torn down on exit, also on error or SIGTERM: the namespaces (and with them
the veths and tun devices), the wireguard-go processes, their sockets, any iperf3.

    python3 tests/lab/wglab.py up [--hosts 2] [--mtu 1280]   # keeps the mesh until Ctrl-C
    python3 tests/lab/wglab.py baseline [--seconds 10] [--out DIR] [--advisor build/wgtune-advisor]
                                       # the field guide's five iperf3 scenarios (§2.1), through
                                       # wgtune-advisor baseline: DIR/<scenario>.json

As a module: `with Mesh(hosts=2) as mesh: mesh.run(1, ['ping', …])`.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
from exposition import stop  # noqa: E402  (SIGTERM, then SIGKILL)

UAPI_DIR = '/var/run/wireguard'
UNDERLAY = '192.0.2.%d'
OVERLAY = '100.64.0.%d'
LISTEN_PORT = 51820



def _listening(path):
    """Whether a unix socket at `path` accepts connections."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
            return True
        except OSError:
            return False


def sh(*args, check=True, capture=False, input=None):
    result = subprocess.run(list(args), check=False, text=True, input=input,
                            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    if check and result.returncode != 0:
        raise RuntimeError('%s failed (%d): %s' % (' '.join(args), result.returncode, result.stderr.strip()))
    return result.stdout if capture else result


class Mesh:
    def __init__(self, hosts=2, mtu=1280, prefix='wgl', keepalive=25):
        if hosts < 2:
            raise ValueError('a mesh needs at least 2 hosts')
        self.hosts, self.mtu, self.prefix, self.keepalive = hosts, mtu, prefix, keepalive
        self.switch = prefix + '-sw'
        self.processes = []
        self.keys = {}  # host → (private, public)
        self.daemons = {}  # host → its wireguard-go process
        self._previous_sigterm = None

    # Names of host i (1-based).
    def namespace(self, i):
        return '%s-h%d' % (self.prefix, i)

    def interface(self, i):
        return '%s%d' % (self.prefix, i)

    def underlay_ip(self, i):
        return UNDERLAY % i

    def overlay_ip(self, i):
        return OVERLAY % i

    def public_key(self, i):
        return self.keys[i][1]

    def private_key(self, i):
        return self.keys[i][0]

    def run(self, i, argv, **kwargs):
        """Runs a command in host i's namespace; returns CompletedProcess (text)."""
        return subprocess.run(['ip', 'netns', 'exec', self.namespace(i)] + list(argv), text=True, **kwargs)

    def spawn(self, i, argv, **kwargs):
        """Starts a process in host i's namespace; it is stopped at teardown."""
        process = subprocess.Popen(['ip', 'netns', 'exec', self.namespace(i)] + list(argv), **kwargs)
        self.processes.append(process)
        return process

    def __enter__(self):
        self._previous_sigterm = signal.signal(signal.SIGTERM, self._on_sigterm)
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _on_sigterm(self, signum, frame):
        self.close()
        sys.exit(128 + signum)

    def _build(self):
        for i in range(1, self.hosts + 1):
            if os.path.exists(os.path.join(UAPI_DIR, self.interface(i) + '.sock')):
                raise RuntimeError('%s already has a UAPI socket: is another lab running?' % self.interface(i))
        sh('ip', 'netns', 'add', self.switch)
        sh('ip', 'netns', 'exec', self.switch, 'ip', 'link', 'add', 'br0', 'type', 'bridge')
        sh('ip', 'netns', 'exec', self.switch, 'ip', 'link', 'set', 'br0', 'up')
        for i in range(1, self.hosts + 1):
            ns = self.namespace(i)
            sh('ip', 'netns', 'add', ns)
            sh('ip', 'link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', 'h%d' % i,
               'netns', self.switch)
            sh('ip', 'netns', 'exec', self.switch, 'ip', 'link', 'set', 'h%d' % i, 'master', 'br0', 'up')
            for command in (['ip', 'link', 'set', 'lo', 'up'],
                            ['ip', 'addr', 'add', self.underlay_ip(i) + '/24', 'dev', 'eth0'],
                            ['ip', 'link', 'set', 'eth0', 'up'],
                            # Nothing answers at .254: no lab traffic leaves 192.0.2.0/24 and 100.64/10.
                            ['ip', 'route', 'add', 'default', 'via', UNDERLAY % 254, 'dev', 'eth0']):
                sh('ip', 'netns', 'exec', ns, *command)
            private = sh('wg', 'genkey', capture=True).strip()
            public = sh('wg', 'pubkey', capture=True, input=private + '\n').strip()
            self.keys[i] = (private, public)
        for i in range(1, self.hosts + 1):
            self.start_daemon(i)
            self.configure_interface(i)

    def start_daemon(self, i):
        """Starts host i's wireguard-go and configures its key and peers (not its addresses)."""
        ns, wg = self.namespace(i), self.interface(i)
        # -f: stay in the foreground, so that the lab owns the process and can stop it.
        self.daemons[i] = self.spawn(i, ['wireguard-go', '-f', wg], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        sock = os.path.join(UAPI_DIR, wg + '.sock')
        deadline = time.monotonic() + 10
        # Listening, not only there: a daemon killed before leaves its socket behind, which the
        # new one replaces.
        while not _listening(sock):
            if time.monotonic() > deadline:
                raise RuntimeError('wireguard-go did not listen on ' + sock)
            time.sleep(0.05)
        with tempfile.NamedTemporaryFile('w') as key:
            key.write(self.private_key(i) + '\n')
            key.flush()
            sh('ip', 'netns', 'exec', ns, 'wg', 'set', wg, 'listen-port', str(LISTEN_PORT), 'private-key', key.name)
        for j in range(1, self.hosts + 1):
            if j != i:
                self.add_peer(i, j)

    def add_peer(self, i, j):
        """Configures host j as a peer of host i (endpoint, allowed IP, keepalive)."""
        sh('ip', 'netns', 'exec', self.namespace(i), 'wg', 'set', self.interface(i), 'peer', self.public_key(j),
           'endpoint', '%s:%d' % (self.underlay_ip(j), LISTEN_PORT),
           'allowed-ips', self.overlay_ip(j) + '/32',
           'persistent-keepalive', str(self.keepalive))

    def stop_daemon(self, i):
        """Stops host i's wireguard-go: its tun device and UAPI socket go with it, the peers' view
        of it keeps the last handshake. start_daemon(i) brings it back (the addresses and MTU of
        its interface then have to be set again: the tun device is new)."""
        stop(self.daemons.pop(i))
        try:
            os.unlink(os.path.join(UAPI_DIR, self.interface(i) + '.sock'))
        except FileNotFoundError:
            pass

    def configure_interface(self, i, mtu=None):
        """Host i's overlay address, MTU and link up, as after building (for a restarted daemon)."""
        ns, wg = self.namespace(i), self.interface(i)
        sh('ip', 'netns', 'exec', ns, 'ip', 'addr', 'replace', self.overlay_ip(i) + '/10', 'dev', wg)
        sh('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', wg, 'mtu', str(mtu or self.mtu), 'up')

    def wait_for_handshakes(self, seconds=10):
        """Waits until every host has completed a handshake with every peer (the keepalive
        starts them as soon as the peers are configured)."""
        deadline = time.monotonic() + seconds
        for i in range(1, self.hosts + 1):
            while not all(peer['latest_handshake'] > 0 for peer in self.dump(i)[1].values()):
                if time.monotonic() > deadline:
                    raise RuntimeError('host %d has not completed a handshake with every peer' % i)
                time.sleep(0.1)

    def dump(self, i):
        """`wg show <iface> dump` of host i: ({public_key, listen_port}, {peer key: {...}})."""
        lines = self.run(i, ['wg', 'show', self.interface(i), 'dump'], capture_output=True, check=True).stdout.splitlines()
        _private, public, port = lines[0].split('\t')[:3]  # the interface's own line; its key stays here
        peers = {}
        for line in lines[1:]:
            key, _psk, endpoint, allowed, handshake, rx, tx, keepalive = line.split('\t')
            peers[key] = {'endpoint': endpoint, 'allowed_ips': allowed, 'latest_handshake': int(handshake),
                          'rx': int(rx), 'tx': int(tx), 'keepalive': keepalive}
        return {'public_key': public, 'listen_port': int(port)}, peers

    def daemon(self, i):
        """Host i's wireguard-go process."""
        return self.daemons[i]

    def iperf3(self, client, server, args, seconds):
        """One iperf3 run from host `client` to host `server` over the tunnel; its JSON."""
        server_process = self.spawn(server, ['iperf3', '-s', '-1', '-B', self.overlay_ip(server)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 5
            while True:
                result = self.run(client, ['iperf3', '-c', self.overlay_ip(server), '-t', str(seconds), '-J'] + args,
                                  capture_output=True)
                report = json.loads(result.stdout or '{}')
                if 'error' not in report or time.monotonic() > deadline:
                    return report
                time.sleep(0.2)  # the server was not listening yet
        finally:
            stop(server_process)

    def iperf3_background(self, client, server, args, seconds):
        """Starts `iperf3(client, server, args, seconds)` in a thread and returns at once, so that
        the caller can measure while the traffic flows. The handle's wait(timeout) returns the
        JSON report (an exception of the run is raised there); started is its monotonic start."""
        return _BackgroundIperf3(self, client, server, args, seconds)

    def close(self):
        for process in reversed(self.processes):
            stop(process)
        self.processes = []
        for i in range(1, self.hosts + 1):
            sh('ip', 'netns', 'del', self.namespace(i), check=False)
            try:
                os.unlink(os.path.join(UAPI_DIR, self.interface(i) + '.sock'))
            except FileNotFoundError:
                pass
        sh('ip', 'netns', 'del', self.switch, check=False)
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None


class _BackgroundIperf3:
    """One Mesh.iperf3 run in a daemon thread (its server is a mesh process, stopped at
    teardown like the others, which also ends a client still running)."""

    def __init__(self, mesh, client, server, args, seconds):
        self.seconds = seconds
        self._report, self._error = None, None
        self.started = time.monotonic()
        self._thread = threading.Thread(target=self._run, args=(mesh, client, server, list(args), seconds),
                                        name='iperf3 %d→%d' % (client, server), daemon=True)
        self._thread.start()

    def _run(self, mesh, client, server, args, seconds):
        try:
            self._report = mesh.iperf3(client, server, args, seconds)
        except BaseException as error:  # handed to wait()
            self._error = error

    def running(self):
        return self._thread.is_alive()

    def wait(self, timeout=None):
        self._thread.join(self.seconds + 30 if timeout is None else timeout)
        if self._thread.is_alive():
            raise RuntimeError('iperf3 did not finish within its time')
        if self._error is not None:
            raise self._error
        return self._report


def advisor_baseline(mesh, advisor, out, seconds, scenarios=(), target=None, client=1, server=2, log=print):
    """`wgtune-advisor baseline` (the guide's scenarios, §2.1) from host `client` against an
    iperf3 server on host `server`'s overlay address, with `target` (an exporter reachable from
    the client) as its view; the run files go to `out`. All five scenarios unless given."""
    iperf3 = mesh.spawn(server, ['iperf3', '-s', '-B', mesh.overlay_ip(server)], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
    try:
        argv = [advisor, 'baseline', '--server', mesh.overlay_ip(server), '--seconds', str(seconds),
                '--sample.interval', '1s', '--out', out]
        argv += ['--target', target] if target else []
        for scenario in scenarios:
            argv += ['--scenario', scenario]
        deadline = time.monotonic() + 5
        while ':5201' not in mesh.run(server, ['ss', '-Hltn', 'sport = :5201'], capture_output=True).stdout:
            if time.monotonic() > deadline:
                raise RuntimeError('the iperf3 server of host %d does not answer' % server)
            time.sleep(0.2)
        result = mesh.run(client, argv, capture_output=True, timeout=(len(scenarios) or 5) * (seconds + 30))
        for line in result.stdout.splitlines():
            log('  ' + line)
        if result.returncode != 0:
            raise RuntimeError('wgtune-advisor baseline exited %d: %s' % (result.returncode, result.stderr.strip()))
    finally:
        stop(iperf3)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('command', choices=['up', 'baseline'])
    parser.add_argument('--hosts', type=int, default=2)
    parser.add_argument('--mtu', type=int, default=1280)
    parser.add_argument('--seconds', type=int, default=10)
    parser.add_argument('--out', default='baseline')
    parser.add_argument('--advisor', default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                          '..', '..', 'build', 'wgtune-advisor'))
    args = parser.parse_args()
    with Mesh(hosts=args.hosts, mtu=args.mtu) as mesh:
        mesh.wait_for_handshakes()
        if args.command == 'up':
            print('mesh up: %s' % ', '.join('%s (%s, %s)' % (mesh.namespace(i), mesh.underlay_ip(i),
                                                                mesh.overlay_ip(i)) for i in range(1, args.hosts + 1)))
            print('ip netns exec %s bash   # a shell on host 1; Ctrl-C here tears the mesh down' % mesh.namespace(1))
            try:
                signal.pause()
            except KeyboardInterrupt:
                pass
        else:
            advisor_baseline(mesh, os.path.abspath(args.advisor), os.path.abspath(args.out), args.seconds)
            print('run files in %s; the table: %s compare --runs %s' % (args.out, args.advisor, args.out))


if __name__ == '__main__':
    main()
