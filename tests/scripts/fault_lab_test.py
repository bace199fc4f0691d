#!/usr/bin/env python3
"""The fault lab's first fault (issue 5), end to end: softnet backlog drops.

On a two-host wireguard-go mesh (tests/lab/wglab.py), tests/lab/faults.py enables RPS on the
receiver's underlay rx queue with the mask of every CPU and sets the host-wide
net.core.netdev_max_backlog to 4, then floods UDP through the tunnel. wgtune-exporter runs
inside the receiver's namespace, wgtune-advisor checks it from there; the advisor must report
softnet-backlog-drops with `sysctl -w net.core.netdev_max_backlog=10000`. Its `sysctl -w`
lines are applied as given, and a second flood must show no softnet drops and no finding.
A flood without the fault comes first, as the control.

Everything is put back, on failure too: the namespaces (and with them the RPS mask), the
daemons, exporter and iperf3, and every host-wide sysctl the lab changed (restored from a
journal by the next run if this one is SIGKILLed). Checked at the end: no namespace, socket
or wireguard-go of the lab left, netdev_max_backlog back at its value before the test.

Needs root, 2 CPUs or more, iproute2, wireguard-tools, wireguard-go and iperf3; exits 77
(skipped) otherwise. It changes a host-wide sysctl for about 15 s (backlog 4: loopback
traffic of other tests on the machine can drop meanwhile): run it alone (RUN_SERIAL).
Usage: fault_lab_test.py EXPORTER ADVISOR SOURCE_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

exporter_binary, advisor_binary, source = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(source, 'tests/lab'))
import faults  # noqa: E402
import wglab  # noqa: E402

PREFIX = 'wgf'
SKIP = 77


def leftovers(original_backlog):
    """What the lab left behind, as a list of complaints."""
    problems = []
    namespaces = subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True).stdout
    if PREFIX + '-' in namespaces:
        problems.append('namespaces left: ' + ' '.join(n.split()[0] for n in namespaces.splitlines()
                                                       if n.startswith(PREFIX + '-')))
    if os.path.isdir(wglab.UAPI_DIR):
        sockets = [n for n in os.listdir(wglab.UAPI_DIR) if n.startswith(PREFIX)]
        if sockets:
            problems.append('UAPI sockets left: %s' % sockets)
    # Other labs use the same overlay addresses: only what is the fault lab's own is looked for.
    for pattern in ('wireguard-go -f ' + PREFIX, 'uapi-dir=' + os.path.join(tempfile.gettempdir(), 'wgtune-faults-')):
        pids = subprocess.run(['pgrep', '-f', pattern], capture_output=True, text=True).stdout.split()
        if pids:
            problems.append('%r still running: %s' % (pattern, ' '.join(pids)))
    backlog = faults.read_sysctl('net.core.netdev_max_backlog')
    if backlog != original_backlog:
        problems.append('net.core.netdev_max_backlog is %s, was %s' % (backlog, original_backlog))
    if os.path.exists(os.path.join(faults.JOURNAL_DIR, 'sysctls.json')):
        problems.append('sysctl journal left in ' + faults.JOURNAL_DIR)
    return problems


def main():
    if os.geteuid() != 0:
        print('fault_lab_test: skipped, needs root (namespaces, tun devices, host-wide sysctls)')
        return SKIP
    missing = [tool for tool in ('ip', 'wg', 'wireguard-go', 'iperf3') if not shutil.which(tool)]
    if missing:
        print('fault_lab_test: skipped, missing %s' % ', '.join(missing))
        return SKIP
    if (os.cpu_count() or 1) < 2:
        print('fault_lab_test: skipped, RPS to another CPU needs 2 CPUs or more')
        return SKIP
    rules = os.path.join(source, 'rules')
    started = time.monotonic()
    original_backlog = None
    status = 1
    try:
        with faults.HostSysctls() as sysctls:
            # Read under the lock, after a journal of a killed run has been restored.
            original_backlog = sysctls.get('net.core.netdev_max_backlog')
            faults.clear_stale_mesh(PREFIX)
            with wglab.Mesh(hosts=2, prefix=PREFIX) as mesh:
                mesh.wait_for_handshakes()
                with faults.Exporter(mesh, 2, exporter_binary) as exporter:
                    result = faults.softnet_backlog_drops(mesh, sysctls, exporter, advisor_binary, rules)
        before, after = result['fault'], result['fixed']
        print('fault_lab_test: %s: %.1f drops/s → %.1f/s, %.1f → %.1f Mbit/s received, fixed by %s'
              % (faults.SOFTNET_RULE, before['softnet_dropped_per_second'], after['softnet_dropped_per_second'],
                 before['received_bits_per_second'] / 1e6, after['received_bits_per_second'] / 1e6,
                 '; '.join(result['applied'])))
        status = 0
    except AssertionError as error:
        print('fault_lab_test: FAILED: %s' % error)
    finally:
        if original_backlog is not None:
            problems = leftovers(original_backlog)
            if problems:
                print('fault_lab_test: FAILED to clean up: ' + '; '.join(problems))
                status = 1
        print('fault_lab_test: %.0f s' % (time.monotonic() - started))
    return status


if __name__ == '__main__':
    sys.exit(main())
