#!/usr/bin/env python3
"""Cross-check: node_exporter and wgtune-exporter on the same fixture host report the same raw counters.

Both run on loopback over the e2e fixture tree (sample1 with sample2 laid over it). For every
signal both export (softnet, NIC queue interrupts, CPU time, MTU, UDP, conntrack), each
node_exporter series must have a wgtune series with the same value, and the other way round for
the series wgtune exports. Where node_exporter's parsing is known to differ (it splits
interrupt chip names with spaces wrongly), the comparison uses only the labels both get right.
Usage: node_exporter_crosscheck.py WGTUNE_BINARY SOURCE_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from exposition import fetch, parse, stop, wait_for

binary, source = sys.argv[1], sys.argv[2]
fixtures = os.path.join(source, 'tests/fixtures/e2e')
NODE_EXPORTER = shutil.which('prometheus-node-exporter') or shutil.which('node_exporter')


def series(samples, name, keep=None, rename=None):
    """{labels-tuple: value} of one family, with only the `keep` labels, renamed by `rename`."""
    out = {}
    for (metric, labels), value in samples.items():
        if metric != name:
            continue
        labels = dict(labels)
        if keep is not None:
            labels = {k: v for k, v in labels.items() if k in keep}
        if rename:
            labels = {rename.get(k, k): v for k, v in labels.items()}
        out[tuple(sorted(labels.items()))] = value
    return out


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


with tempfile.TemporaryDirectory() as root:
    shutil.copytree(os.path.join(fixtures, 'sample1'), root, symlinks=True, dirs_exist_ok=True)
    shutil.copytree(os.path.join(fixtures, 'sample2'), root, symlinks=True, dirs_exist_ok=True)
    node_port, our_port = free_port(), free_port()
    node = subprocess.Popen(
        [NODE_EXPORTER, '--path.procfs=' + root + '/proc', '--path.sysfs=' + root + '/sys',
         '--web.listen-address=127.0.0.1:%d' % node_port, '--collector.disable-defaults',
         '--collector.softnet', '--collector.interrupts', '--collector.cpu', '--collector.netclass',
         '--collector.netstat', '--collector.conntrack'],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ours = subprocess.Popen(
        [binary, '--path.procfs=' + root + '/proc', '--path.sysfs=' + root + '/sys', '--path.rootfs=' + root,
         '--collector.ethtool.replay-dir=' + root + '/ethtool',
         '--collector.wireguard.netlink-replay-dir=' + root + '/netlink', '--wireguard.uapi-dir=' + root + '/run/wireguard',
         '--web.listen-address=127.0.0.1:%d' % our_port], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        theirs = parse(wait_for(lambda: fetch('http://127.0.0.1:%d/metrics' % node_port), 15, 'node_exporter'))
        mine = parse(wait_for(lambda: fetch('http://127.0.0.1:%d/metrics' % our_port), 15, 'wgtune-exporter'))
    finally:
        stop(node)
        stop(ours)

for collector in ('softnet', 'interrupts', 'cpu', 'netclass', 'netstat', 'conntrack'):
    assert theirs.get(('node_scrape_collector_success', frozenset({('collector', collector)}))) == 1, \
        'node_exporter collector %s failed on the fixture' % collector

# Our NIC queue IRQs, keyed like node_exporter's (cpu, type=IRQ number).
our_irqs = series(mine, 'wgtune_interrupts_total', keep={'cpu', 'irq'}, rename={'irq': 'type'})
node_irqs = {k: v for k, v in series(theirs, 'node_interrupts_total', keep={'cpu', 'type'}).items()
             if k in our_irqs}

checks = [
    # (what, node_exporter series, wgtune series)
    ('softnet processed', series(theirs, 'node_softnet_processed_total'),
     series(mine, 'wgtune_softnet_processed_total')),
    ('softnet dropped', series(theirs, 'node_softnet_dropped_total'), series(mine, 'wgtune_softnet_dropped_total')),
    ('softnet squeezed', series(theirs, 'node_softnet_times_squeezed_total'),
     series(mine, 'wgtune_softnet_times_squeezed_total')),
    ('NIC queue interrupts', node_irqs, our_irqs),
    ('cpu seconds', series(theirs, 'node_cpu_seconds_total'), series(mine, 'wgtune_cpu_seconds_total')),
    ('mtu', series(theirs, 'node_network_mtu_bytes'), series(mine, 'wgtune_network_mtu_bytes')),
    ('conntrack entries', series(theirs, 'node_nf_conntrack_entries'), series(mine, 'wgtune_conntrack_entries')),
    ('conntrack max', series(theirs, 'node_nf_conntrack_entries_limit'),
     series(mine, 'wgtune_sysctl_net_netfilter_nf_conntrack_max')),
]
for field in ('insert_failed', 'drop', 'early_drop', 'invalid', 'search_restart'):
    checks.append(('conntrack ' + field, series(theirs, 'node_nf_conntrack_stat_' + field),
                   series(mine, 'wgtune_conntrack_%s_total' % field)))
udp_names = {'InDatagrams': 'in_datagrams', 'NoPorts': 'no_ports', 'InErrors': 'in_errors',
             'OutDatagrams': 'out_datagrams', 'RcvbufErrors': 'rcvbuf_errors', 'SndbufErrors': 'sndbuf_errors'}
for proto, node_prefix in (('udp', 'Udp'), ('udp6', 'Udp6')):
    for node_name, our_name in udp_names.items():
        checks.append(('%s %s' % (proto, node_name), series(theirs, 'node_netstat_%s_%s' % (node_prefix, node_name)),
                       series(mine, 'wgtune_udp_%s_total' % our_name, keep={'protocol'}).get(
                           (('protocol', proto),), None)))

failures = []
compared = 0
for what, node_series, our_series in checks:
    if not isinstance(our_series, dict):
        our_series = {(): our_series} if our_series is not None else {}
    if not node_series:
        failures.append('%s: node_exporter exports nothing' % what)
        continue
    if set(node_series) != set(our_series):
        failures.append('%s: label sets differ: node_exporter %s, wgtune %s' %
                        (what, sorted(node_series)[:4], sorted(our_series)[:4]))
        continue
    for key, value in node_series.items():
        compared += 1
        if not close(value, our_series[key]):
            failures.append('%s %s: node_exporter %r, wgtune %r' % (what, key, value, our_series[key]))

if failures:
    print('\n'.join(failures))
    sys.exit(1)
print('node_exporter_crosscheck: %d series agree across %d signals' % (compared, len(checks)))
