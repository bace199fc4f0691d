#!/usr/bin/env python3
"""The field guide's method (§7) as one command, on the wglab mesh: baseline, identify, change
one thing, re-measure, record the comparison table (§7.1).

    python3 tests/lab/workflow.py [--steps 3] [--seconds 5] [--scenario udp_1200 ...] [--out DIR]
        [--exporter build/wgtune-exporter] [--advisor build/wgtune-advisor] [--rules rules]

Two hosts; wgtune-exporter in each host's namespace, listening on its underlay address; an
iperf3 server on host 2's overlay address. Host 2 is the host under test (the receiver of the
forward scenarios, where softirq load and drops show).

0. `wgtune-advisor baseline` runs the scenarios from host 1 against host 2 with host 2's
   exporter as --target: out/0-defaults/<scenario>.json.
1. Each step asks the advisor (`check`) on both hosts, takes the first finding in its order
   (expected gain) that the lab can act on (not wireguard-userspace: the kernel has no
   WireGuard module; not a rule whose fix needs NetBird or a service, nothing would run),
   applies that rule's remediation on every host that reports it (faults.apply_remediation:
   host-wide sysctls journaled and restored at the end), and runs the baseline again:
   out/<k>-<rule>/.
2. `wgtune-advisor compare --runs out/0-defaults out/1-... ...` prints the table: one row per
   configuration and scenario, the fingerprint the exporter published, the knobs that changed
   since the row before, iperf3's throughput and the exporter's columns. Also written to
   out/comparison.md.

Everything is removed at the end, as in the fault lab (shared lock and journal with it).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faults  # noqa: E402
import wglab  # noqa: E402

# Rules the lab cannot act on, and why.
NOT_ACTIONABLE = {'wireguard-userspace': 'the kernel here has no WireGuard module'}


def runnable(remediation):
    """The lines of a remediation the lab would run (not comments, not NetBird or services)."""
    return [line for line in (l.strip() for l in remediation.splitlines())
            if line and not line.startswith('#') and line.split()[0] not in faults.NOT_IN_LAB]


def next_step(lab, exporters):
    """The first finding the lab can act on, in the advisor's order (expected gain) for host 2,
    the host under test, then for host 1: (rule, {host: that rule's finding}, every rule reported)."""
    reports = {host: faults.advise(exporter, lab.advisor, lab.rules)['findings'] for host, exporter in exporters.items()}
    reported = [f['rule'] for host in (2, 1) for f in reports[host]]
    for rule in dict.fromkeys(reported):
        findings = {host: f for host in sorted(reports) for f in reports[host] if f['rule'] == rule}
        if rule not in NOT_ACTIONABLE and any(runnable(f['remediation']) for f in findings.values()):
            return rule, findings, list(dict.fromkeys(reported))
    return None, {}, list(dict.fromkeys(reported))


def workflow(lab, exporters, out, steps, scenarios, seconds):
    """The loop of the module's doc; returns the run directories in order and the steps taken."""
    runs, applied = [os.path.join(out, '0-defaults')], []
    lab.log('workflow: step 0: defaults')
    wglab.advisor_baseline(lab.mesh, lab.advisor, runs[0], seconds, scenarios, exporters[2].target, log=lab.log)
    for step in range(1, steps + 1):
        rule, findings, ranked = next_step(lab, exporters)
        lab.log('workflow: the advisor reports %s' % (', '.join(ranked) or 'nothing'))
        if rule is None:
            lab.log('workflow: nothing left the lab can act on')
            break
        lab.log('workflow: step %d: %s on host %s' % (step, rule, ', '.join(str(h) for h in findings)))
        for host, finding in findings.items():
            lab.log('  host %d: %s' % (host, finding['summary']))
            lab.log(faults.describe_applied(faults.apply_remediation(lab, host, finding['remediation'])))
        applied.append((rule, findings))
        time.sleep(2.5)  # the exporters' next samples (1 s) publish the new configuration
        runs.append(os.path.join(out, '%d-%s' % (step, rule)))
        wglab.advisor_baseline(lab.mesh, lab.advisor, runs[-1], seconds, scenarios, exporters[2].target, log=lab.log)
    return runs, applied


def compare(advisor, runs, fmt='markdown'):
    result = subprocess.run([advisor, 'compare', '--format', fmt, '--runs', *runs], capture_output=True, text=True,
                            timeout=60)
    if result.returncode != 0:
        raise RuntimeError('wgtune-advisor compare exited %d: %s' % (result.returncode, result.stderr.strip()))
    return result.stdout


def run(exporter, advisor, rules, out, steps=3, seconds=5, scenarios=('udp_1200', 'tcp_fwd'), prefix='wgw',
        log=print):
    """The whole workflow in a mesh of its own; returns (run directories, applied steps as
    [(rule, {host: finding})])."""
    with faults.HostSysctls(log=log) as sysctls:
        faults.clear_stale_mesh(prefix, log=log)
        with wglab.Mesh(hosts=2, prefix=prefix) as mesh:
            mesh.wait_for_handshakes()
            lab = faults.Lab(mesh, sysctls, exporter, advisor, rules, log=log)
            with faults.Exporter(mesh, 1, exporter, address=mesh.underlay_ip(1)) as one, \
                    faults.Exporter(mesh, 2, exporter, address=mesh.underlay_ip(2)) as two:
                one.wait_for_rates()
                two.wait_for_rates()
                return workflow(lab, {1: one, 2: two}, out, steps, list(scenarios), seconds)


def main():
    source = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--seconds', type=int, default=5)
    parser.add_argument('--scenario', action='append', help='default: udp_1200 and tcp_fwd')
    parser.add_argument('--out', help='default: a new directory under /tmp')
    parser.add_argument('--exporter', default=os.path.join(source, 'build/wgtune-exporter'))
    parser.add_argument('--advisor', default=os.path.join(source, 'build/wgtune-advisor'))
    parser.add_argument('--rules', default=os.path.join(source, 'rules'))
    parser.add_argument('--prefix', default='wgw')
    args = parser.parse_args()
    out = args.out or tempfile.mkdtemp(prefix='wgtune-workflow-')
    runs, _steps = run(args.exporter, args.advisor, args.rules, out, args.steps, args.seconds,
                       args.scenario or ('udp_1200', 'tcp_fwd'), args.prefix)
    table = compare(args.advisor, runs)
    with open(os.path.join(out, 'comparison.md'), 'w') as f:
        f.write(table)
    print(table)
    print('workflow: runs and comparison.md in %s' % out)


if __name__ == '__main__':
    main()
