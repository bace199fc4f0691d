#!/usr/bin/env python3
"""What the exporter needs, measured: it run as root and as nobody with and without capabilities
(setpriv), against a real wireguard-go mesh (tests/lab/wglab.py), in host 1's namespace.

Per run, after at least SAMPLES samples: every collector's wgtune_scrape_collector_success, the
metric families served, the WireGuard interfaces' interface_up, the process's user and effective
capabilities (/proc/<pid>/status), and the log. Checks:
- nobody without capabilities serves every family root serves (sysfs, /proc, /lib/modules,
  ethtool on the veth, the rtnetlink qdisc dump, /proc/*/comm) except what only the UAPI socket
  tells: wireguard-go's socket is 0700 root, so the peers are unknown (interface_up 0); the
  collector still succeeds, and the log says "wireguard: UAPI socket needs CAP_DAC_OVERRIDE"
  once per interface over all samples, and nothing else above info;
- CAP_NET_ADMIN alone (the systemd unit's set, for kernel WireGuard's netlink dump) changes
  nothing on this userspace host: the process runs with that one capability and sees the same;
- CAP_DAC_OVERRIDE alone serves exactly what root serves, peers included, without a warning;
- /proc mounted hidepid=invisible: the processes collector fails (it cannot tell that
  irqbalance is not running), logged once with the cause, every other collector succeeds;
- a backend that fails and comes back (host 2's daemon killed, its socket left, then started
  again) is logged once when it fails and once when it answers again;
- no private key of the mesh appears in any /metrics or log.
The kernel here has no WireGuard module, so the netlink EPERM path is tested in the unit tests
(WireGuardNetlinkReplay.ReadNamesTheInterfaceInErrors) from the kernel's error answer.

Needs root, iproute2, wireguard-tools, wireguard-go and setpriv (util-linux). The lab removes
everything it created (namespaces, daemons, sockets) and the proc mount, on failure too.
Usage: privilege_test.py EXPORTER SOURCE_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from exposition import parse, stop, wait_for  # noqa: E402

binary, source = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(source, 'tests/lab'))
import wglab  # noqa: E402

SAMPLES = 6
NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']


def with_capability(name):
    return NOBODY + ['--inh-caps=+' + name, '--ambient-caps=+' + name]


# Families only a WireGuard backend knows: absent when its UAPI socket refuses the exporter.
BACKEND_ONLY = re.compile(r'^wgtune_wireguard_(listen_port|peers|peer_.*)$')
CAPABILITIES = {0: '', 1 << 12: 'cap_net_admin', 1 << 1: 'cap_dac_override'}


def fetch_in(mesh, url):
    program = 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())'
    return mesh.run(1, [sys.executable, '-c', program, url], capture_output=True, check=True, timeout=30).stdout


def status_of(pid):
    fields = dict(line.split(':', 1) for line in open('/proc/%d/status' % pid).read().splitlines() if ':' in line)
    return int(fields['Uid'].split()[1]), int(fields['CapEff'].strip(), 16)


def start_exporter(mesh, log_path, prefix, extra=()):
    """Starts the exporter in host 1's namespace; returns (process, its /metrics URL)."""
    with open(log_path, 'w') as log:
        process = subprocess.Popen(
            ['ip', 'netns', 'exec', mesh.namespace(1)] + prefix +
            [binary, '--web.listen-address=127.0.0.1:0', '--wireguard.uapi-dir=' + wglab.UAPI_DIR,
             '--sample.interval=300ms', '--collector.processes.names=irqbalance', *extra],
            stderr=log)
    try:
        port = wait_for(lambda: re.search(r'msg=listening .*port=(\d+)', open(log_path).read()), 10,
                        log_path + ': the listening log line')
    except BaseException:
        stop(process)
        raise
    return process, 'http://127.0.0.1:%s/metrics' % port.group(1)


def after_samples(mesh, url, count, what):
    """The text of /metrics once `count` more samples have been taken."""
    seen = set()

    def enough_samples():
        text = fetch_in(mesh, url)
        stamp = re.search(r'^wgtune_exporter_sample_timestamp_seconds (\S+)$', text, re.M)
        if stamp:
            seen.add(stamp.group(1))
        return text if len(seen) >= count + 1 else None
    return wait_for(enough_samples, 30, what + ': %d samples' % count)


def run_exporter(mesh, work, name, prefix, extra=()):
    """Runs the exporter for SAMPLES samples; returns (samples, families, uid, capabilities, log)."""
    log_path = os.path.join(work, name + '.log')
    process, url = start_exporter(mesh, log_path, prefix, extra)
    try:
        text = after_samples(mesh, url, SAMPLES, name)
        uid, capabilities = status_of(process.pid)
    finally:
        stop(process)
    samples = parse(text)
    families = {key[0] for key in samples}
    return samples, families, uid, capabilities, open(log_path).read(), text


def recovery(mesh, work):
    """A backend that fails and comes back: one line when it starts failing, one when it answers
    again, however many samples lie between. Host 2's daemon is killed (its socket stays, nobody
    listens) and started again, under an exporter run as nobody with CAP_DAC_OVERRIDE."""
    wg = mesh.interface(2)
    log_path = os.path.join(work, 'recovery.log')
    process, url = start_exporter(mesh, log_path, with_capability('dac_override'))
    try:
        assert value(parse(after_samples(mesh, url, 2, 'recovery: up')), 'wgtune_wireguard_interface_up',
                     interface=wg) == 1
        mesh.daemon(2).kill()
        mesh.daemon(2).wait()
        mesh.daemons.pop(2)
        down = parse(after_samples(mesh, url, SAMPLES, 'recovery: down'))
        assert value(down, 'wgtune_wireguard_interface_up', interface=wg) == 0
        mesh.start_daemon(2)
        mesh.configure_interface(2)
        wait_for(lambda: value(parse(fetch_in(mesh, url)), 'wgtune_wireguard_interface_up', interface=wg) == 1, 10,
                 'recovery: ' + wg + ' up again')
        after_samples(mesh, url, SAMPLES, 'recovery: up again')
    finally:
        stop(process)
    log = open(log_path).read()
    unreadable = 'msg="wireguard: interface unreadable" interface=%s ' % wg
    again = 'msg="wireguard: interface readable again" interface=%s ' % wg
    assert log.count(unreadable) == 1 and log.count(again) == 1, log
    assert log.index(unreadable) < log.index(again), log
    print('recovery: ' + ' | '.join(line for line in log.splitlines() if unreadable in line or again in line))


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def warnings(log):
    """The log lines above info."""
    return [line for line in log.splitlines() if re.search(r'level=(warn|error)', line)]


def main():
    if os.geteuid() != 0:
        print('privilege_test: needs root (network namespaces, setpriv); skipped')
        sys.exit(77)
    if shutil.which('setpriv') is None:
        sys.exit('privilege_test: setpriv not found (util-linux)')
    work = tempfile.mkdtemp(prefix='wgtune-privilege-')
    os.chmod(work, 0o755)  # nobody reaches the proc mount inside it
    hidden_proc = os.path.join(work, 'proc')
    os.mkdir(hidden_proc)
    mounted = False
    try:
        with wglab.Mesh(hosts=2, prefix='wgv') as mesh:
            interfaces = [mesh.interface(1), mesh.interface(2)]
            mesh.wait_for_handshakes()
            runs = {
                'root': run_exporter(mesh, work, 'root', []),
                'nobody': run_exporter(mesh, work, 'nobody', NOBODY),
                'nobody+net_admin': run_exporter(mesh, work, 'nobody-net-admin', with_capability('net_admin')),
                'nobody+dac_override': run_exporter(mesh, work, 'nobody-dac-override',
                                                    with_capability('dac_override')),
            }
            subprocess.run(['mount', '-t', 'proc', '-o', 'hidepid=invisible', 'proc', hidden_proc], check=True)
            mounted = True
            runs['nobody, hidepid'] = run_exporter(mesh, work, 'nobody-hidepid', NOBODY,
                                                   ['--path.procfs=' + hidden_proc])

            # What each run measured, for the log of the test.
            for name, (samples, families, uid, capabilities, log, _) in runs.items():
                failed = sorted(labels for (metric, labels), v in samples.items()
                                if metric == 'wgtune_scrape_collector_success' and v == 0)
                print('%-20s uid=%-5d caps=%-16s families=%3d failed=%s up=%s' % (
                    name, uid, CAPABILITIES.get(capabilities, hex(capabilities)), len(families),
                    [dict(f)['collector'] for f in failed],
                    [value(samples, 'wgtune_wireguard_interface_up', interface=i) for i in interfaces]))
                for line in warnings(log):
                    print('    ' + line)
            print('served by root only: ' + ' '.join(sorted(runs['root'][1] - runs['nobody'][1])))

            root = runs['root']
            assert root[2] == 0
            expected_unprivileged = {f for f in root[1] if not BACKEND_ONLY.match(f)}
            assert expected_unprivileged != root[1], 'the root run served no peer families'

            for name in ('root', 'nobody', 'nobody+net_admin', 'nobody+dac_override', 'nobody, hidepid'):
                samples, families, uid, capabilities, log, text = runs[name]
                if name != 'root':
                    assert uid == 65534, (name, uid)
                for (metric, labels), v in samples.items():
                    if metric != 'wgtune_scrape_collector_success':
                        continue
                    collector = dict(labels)['collector']
                    want = 0 if (name == 'nobody, hidepid' and collector == 'processes') else 1
                    assert v == want, '%s: collector %s success %s' % (name, collector, v)
                for i in (1, 2):
                    assert mesh.private_key(i) not in text and mesh.private_key(i) not in log, name

            assert runs['nobody'][3] == 0 and runs['nobody, hidepid'][3] == 0
            assert runs['nobody+net_admin'][3] == 1 << 12, hex(runs['nobody+net_admin'][3])
            assert runs['nobody+dac_override'][3] == 1 << 1, hex(runs['nobody+dac_override'][3])

            # Everything but the peers without a capability; all of it with CAP_DAC_OVERRIDE.
            for name in ('nobody', 'nobody+net_admin'):
                samples, families, _, _, log, _ = runs[name]
                assert families == expected_unprivileged, (name, sorted(families ^ expected_unprivileged))
                for interface in interfaces:
                    assert value(samples, 'wgtune_wireguard_interface_up', interface=interface) == 0, (name, interface)
                    line = 'msg="wireguard: UAPI socket needs CAP_DAC_OVERRIDE" interface=%s ' % interface
                    assert log.count(line) == 1, '%s: %d lines %r over %d samples:\n%s' % (
                        name, log.count(line), line, SAMPLES, log)
                    assert 'mode 0700' in log and 'needs CAP_DAC_OVERRIDE' in log
                assert len(warnings(log)) == 2, (name, warnings(log))
            for name in ('root', 'nobody+dac_override'):
                samples, families, _, _, log, _ = runs[name]
                assert families == root[1], (name, sorted(families ^ root[1]))
                for interface in interfaces:
                    assert value(samples, 'wgtune_wireguard_interface_up', interface=interface) == 1, (name, interface)
                assert warnings(log) == [], (name, warnings(log))
            dac = runs['nobody+dac_override'][0]
            for i in (1, 2):
                assert value(dac, 'wgtune_wireguard_interface_info', interface=mesh.interface(i),
                             implementation='userspace', public_key=mesh.public_key(i)) == 1, i

            samples, families, _, _, log, _ = runs['nobody, hidepid']
            failures = [line for line in warnings(log) if 'msg="collector failed" collector=processes' in line]
            assert len(failures) == 1 and 'hidepid' in failures[0], log
            assert 'wgtune_process_running' not in families
            subprocess.run(['umount', hidden_proc], check=True)
            mounted = False

            recovery(mesh, work)
    finally:
        if mounted:
            subprocess.run(['umount', hidden_proc], check=False)
        shutil.rmtree(work, ignore_errors=True)
    print('privilege: ok')


main()
