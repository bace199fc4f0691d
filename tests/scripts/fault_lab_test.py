#!/usr/bin/env python3
"""The fault lab (issue 5), end to end: every fault of tests/lab/faults.py.

On a two-host wireguard-go mesh (tests/lab/wglab.py), each fault is induced for real, the
exporter of the host where it shows is read by wgtune-advisor check, which must report the
fault's rule with the expected fix in its remediation; the remediation is applied as given
(host-wide sysctls journaled, the rest inside the host's namespace) and a second observation
must show the rule gone. The faults: userspace WireGuard, WireGuard MTU 1280 and 1500 on a
1500 underlay, UDP receive-buffer errors, tun transmit drops, RPS off, RFS off, softnet backlog
drops, a peer that never completes a handshake. Userspace WireGuard is diagnosed but cannot be
cleared here (no WireGuard module in this kernel): the test requires exactly that, the
remediation's `modprobe wireguard` failing.

Everything is put back, on failure too: the namespaces (and with them RPS masks, MTUs and
qdiscs), the daemons, exporters and iperf3, and every host-wide sysctl the lab changed
(restored from a journal by the next run if this one is SIGKILLed). Checked at the end: no
namespace, socket or process of the lab left, the host-wide sysctls back at their values.

Needs root, 2 CPUs or more, iproute2, iputils-ping, wireguard-tools, wireguard-go and iperf3;
exits 77 (skipped) otherwise. It changes host-wide sysctls for seconds at a time (backlog 4,
rmem_default 16384: other traffic on the machine can drop meanwhile): run it alone (RUN_SERIAL).
Usage: fault_lab_test.py EXPORTER ADVISOR SOURCE_DIR
"""
import os
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


def leftovers(original):
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
    for name, value in original.items():
        now = faults.read_sysctl(name)
        if now != value:
            problems.append('%s is %s, was %s' % (name, now, value))
    if os.path.exists(os.path.join(faults.JOURNAL_DIR, 'sysctls.json')):
        problems.append('sysctl journal left in ' + faults.JOURNAL_DIR)
    return problems


def check_records(records):
    """Beyond what run_fault asserts for each fault: the outcomes the lab must show."""
    problems = []
    by_fault = {r['fault']: r for r in records}
    missing = [name for name in faults.FAULT_NAMES if name not in by_fault]
    if missing:
        problems.append('faults that did not complete: %s' % ', '.join(missing))
    for record in records:
        if record['fault'] == 'wireguard-userspace':
            modprobe = [a for a in record['applied'] if a['command'].startswith('modprobe wireguard')]
            if record['cleared'] or not modprobe or modprobe[0]['status'] == 0:
                problems.append('wireguard-userspace: expected the fix to fail for want of the module here: %s'
                                % modprobe)
        elif not record['cleared']:
            problems.append('%s: not cleared' % record['fault'])
        # Every command the lab ran or skipped is accounted for; none of a cleared fault's
        # sysctls failed.
        for applied in record['applied']:
            if applied['where'] == 'host-wide (journaled)' and applied['status']:
                problems.append('%s: %s failed: %s' % (record['fault'], applied['command'], applied['output']))
    traffic = by_fault.get('softnet-backlog-drops')
    if traffic and max(v or 0 for v in traffic['fixed']['evidence']) > 1:
        problems.append('softnet-backlog-drops: the exporter still sees drops after the fix: %s'
                        % traffic['fixed']['evidence'])
    return problems


def main():
    reason = faults.missing_prerequisites()
    if reason:
        print('fault_lab_test: skipped, ' + reason)
        return SKIP
    rules = os.path.join(source, 'rules')
    started = time.monotonic()
    original = None
    status = 1
    try:
        with faults.HostSysctls() as sysctls:
            # Read under the lock, after a journal of a killed run has been restored.
            original = {name: sysctls.get(name) for name in faults.GLOBAL_SYSCTLS}
            faults.clear_stale_mesh(PREFIX)
            with wglab.Mesh(hosts=2, prefix=PREFIX) as mesh:
                mesh.wait_for_handshakes()
                lab = faults.Lab(mesh, sysctls, exporter_binary, advisor_binary, rules)
                records, failures = faults.run_faults(lab, faults.FAULT_NAMES)
        print(faults.results_table(records))
        problems = failures + check_records(records)
        for problem in problems:
            print('fault_lab_test: FAILED: %s' % problem)
        status = 1 if problems else 0
    finally:
        if original is not None:
            problems = leftovers(original)
            if problems:
                print('fault_lab_test: FAILED to clean up: ' + '; '.join(problems))
                status = 1
        print('fault_lab_test: %.0f s' % (time.monotonic() - started))
    return status


if __name__ == '__main__':
    sys.exit(main())
