#!/usr/bin/env python3
"""The guide's method (§7) as the lab runs it (tests/lab/workflow.py), end to end, short.

A two-host wireguard-go mesh; the baseline (udp_1200, 3 s) through `wgtune-advisor baseline`
with host 2's exporter as the view; then two steps, each the advisor's first finding the lab can
act on, its remediation applied on every host that reports it, and the baseline again; then
`wgtune-advisor compare --runs` over the three run directories.

On a wireguard-go mesh with the lab's defaults (MTU 1280 on a 1500 underlay, RPS off, a
default route through eth0), the advisor's order must give: wireguard-userspace first (passed
over: no WireGuard module here), then wireguard-mtu-low, then rps-disabled. Checked: those two
steps, in that order, on both hosts; three configurations with three different fingerprints
(each the one the exporter published, and equal to the hash of the knob lines the run
recorded); the changes compare derives: MTU 1280→1420 of the WireGuard interface for step 1,
rps_cpus 0→(every CPU) of eth0 for step 2; iperf3 throughput > 0 in every run; the Markdown
table holds each row. Nothing of the mesh is left, host-wide sysctls are back.

Needs root, 2 CPUs or more, iproute2, wireguard-tools, wireguard-go and iperf3; exits 77
(skipped) otherwise. Shares the fault lab's lock (host-wide sysctls): RUN_SERIAL.
Usage: lab_workflow_test.py ADVISOR EXPORTER SOURCE_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

advisor, exporter, source = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(source, 'tests/lab'))
import faults  # noqa: E402
import workflow  # noqa: E402

PREFIX = 'wgw'
SKIP = 77
problems = []


def check(condition, message):
    if not condition:
        problems.append(message)
    return condition


def main():
    reason = faults.missing_prerequisites()
    if reason:
        print('lab_workflow_test: skipped, ' + reason)
        return SKIP
    started = time.monotonic()
    original = {name: faults.read_sysctl(name) for name in faults.GLOBAL_SYSCTLS}
    out = tempfile.mkdtemp(prefix='wgtune-workflow-test-')
    try:
        runs, steps = workflow.run(exporter, advisor, os.path.join(source, 'rules'), out, steps=2, seconds=3,
                                   scenarios=['udp_1200'], prefix=PREFIX)
        rules = [rule for rule, _findings in steps]
        check(rules == ['wireguard-mtu-low', 'rps-disabled'], 'steps %s, want wireguard-mtu-low, rps-disabled' % rules)
        for rule, findings in steps:
            check(sorted(findings) == [1, 2], '%s: applied on hosts %s, want both' % (rule, sorted(findings)))
        check(len(runs) == 3, 'run directories: %s' % runs)

        rows = json.loads(workflow.compare(advisor, runs, 'json'))['rows']
        check(len(rows) == 3, '%d rows, want one per run' % len(rows))
        fingerprints = [row['fingerprint'] for row in rows]
        check(len(set(fingerprints)) == 3 and None not in fingerprints, 'fingerprints %s' % fingerprints)
        for row in rows:
            check(row['knobs_fingerprint'] == row['fingerprint'],
                  '%s: the recorded knob lines hash to %s, the exporter published %s'
                  % (row['config'], row['knobs_fingerprint'], row['fingerprint']))
            check((row['throughput_bits_per_second'] or 0) > 0, '%s: no throughput' % row['config'])
            check(row['exporter'] is not None and row['exporter']['samples'] >= 1,
                  '%s: no exporter view: %s' % (row['config'], row['exporter']))
        changes = [{(c['knob'], c['before'], c['after']) for c in row['changes']['list']} for row in rows]
        check(rows[0]['changes']['state'] == 'first', 'row 0 changes: %s' % rows[0]['changes'])
        wg = PREFIX + '2'
        check(('wireguard_mtu_bytes{interface=%s}' % wg, '1280', '1420') in changes[1], 'step 1 changes: %s' % changes[1])
        every_cpu = str(os.cpu_count())  # wgtune_rps_cpus counts the CPUs of the mask
        check(('rps_cpus{device=eth0,queue=0}', '0', every_cpu) in changes[2], 'step 2 changes: %s' % changes[2])

        table = workflow.compare(advisor, runs)
        print(table)
        for run in runs:
            check(os.path.basename(run) in table, 'the Markdown table lacks %s' % os.path.basename(run))
    finally:
        shutil.rmtree(out, ignore_errors=True)
        namespaces = subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True).stdout
        check(PREFIX + '-' not in namespaces, 'namespaces left: %s' % namespaces)
        for name, value in original.items():
            check(faults.read_sysctl(name) == value, '%s is %s, was %s' % (name, faults.read_sysctl(name), value))
        print('lab_workflow_test: %.0f s' % (time.monotonic() - started))
    for problem in problems:
        print('lab_workflow_test: FAILED: ' + problem)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
