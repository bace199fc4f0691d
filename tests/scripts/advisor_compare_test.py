#!/usr/bin/env python3
"""`wgtune-advisor compare`, the guide's comparison table (§7.1), against a real Prometheus.

History: two hosts, exporter-like series every 15 s over the last ~2 hours, written here as
OpenMetrics with timestamps, backfilled with `promtool tsdb create-blocks-from openmetrics` into
a temporary TSDB that a real `prometheus` (loopback, free port) then serves.
  - 10.99.0.1:10050: three configurations of 40 minutes each: the defaults; + RPS (rps_cpus
    0→4, its mask 0→f); + netdev_max_backlog 1000→10000. Each carries traffic for part of its
    time (idle, a ramp, load with noise, idle again).
  - 10.99.0.2:10050: the defaults (the same knobs as the first host's: the same fingerprint,
    although a series that is not a knob differs), then + netdev_budget 300→600 without any
    traffic ("no load").
The fingerprints are the real ones (FNV-1a 64 over the sorted knob lines, as
common/tuning_config.cpp and common/fnv1a.h compute them), so `knobs_fingerprint` (the advisor's
fingerprint of the knobs it read back from Prometheus and classified) must equal them.

Asserted for `compare --prometheus` over the data's exact range: per host the intervals
(fingerprints, first and last step), the changes, the load-view columns under load (the steps
where the tunnel throughput is at least half of the interval's peak, averaged) against the
values this script computes from what it generated, "no load" for the idle interval, the whole
Markdown table; `--instance` keeps one host; the default range (--since 6h) finds the same
configurations. Then `compare --runs` over run files written here (schema of `baseline --out`):
the exact Markdown and the JSON; and the errors: no source, a malformed run file, an empty range.

Usage: advisor_compare_test.py ADVISOR_BINARY
"""
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from exposition import backfilled_prometheus, stop  # noqa: E402

STEP = 15
JOB = 'wgtune'
HOST_A = '10.99.0.1:10050'
HOST_B = '10.99.0.2:10050'


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


# ---- knob lines and fingerprints, as the exporter computes them ----------------------------

def number_text(value):
    """std::to_chars(double) shortest form, for the integral values used here: the shorter of
    fixed and scientific notation, fixed on a tie (1000, 10000, 1e+05, 1e+06)."""
    check(value == int(value) and abs(value) < 1e15, 'number_text handles integers only: %r' % value)
    fixed = str(int(value))
    digits = fixed.lstrip('-')
    significant = digits.rstrip('0') or '0'
    if significant == '0':
        return fixed
    mantissa = significant[0] + ('.' + significant[1:] if len(significant) > 1 else '')
    scientific = ('-' if value < 0 else '') + mantissa + 'e+%02d' % (len(digits) - 1)
    return scientific if len(scientific) < len(fixed) else fixed


def escape(value):
    return value.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def knob_line(family, labels, value):
    inner = ','.join('%s="%s"' % (name, escape(labels[name])) for name in sorted(labels))
    return '%s{%s} %s' % (family, inner, number_text(value))


def fnv1a64(lines):
    value = 14695981039346656037
    for line in sorted(lines):
        for byte in line.encode() + b'\xff':
            value = ((value ^ byte) * 1099511628211) % (1 << 64)
    return '%016x' % value


ALL = 'all'  # every label belongs to the knob


def settings(rps=False, backlog=1000, budget=300, effective='1'):
    """The series of the settings collectors: (family, labels, value, kept) where kept is ALL,
    the label names that belong to the knob, or None for a series that is not a knob."""
    return [
        ('wgtune_sysctl_net_core_netdev_max_backlog', {}, backlog, ALL),
        ('wgtune_sysctl_net_core_netdev_budget', {}, budget, ALL),
        ('wgtune_sysctl_info', {'name': 'net.ipv4.tcp_congestion_control', 'value': 'cubic'}, 1, ALL),
        ('wgtune_rps_cpus', {'device': 'eth0', 'queue': 'rx-0'}, 4 if rps else 0, ALL),
        ('wgtune_rps_info', {'device': 'eth0', 'queue': 'rx-0', 'mask': 'f' if rps else '0'}, 1, ALL),
        ('wgtune_ethtool_ring_entries', {'device': 'eth0', 'ring': 'rx', 'setting': 'current'}, 1024, ALL),
        ('wgtune_ethtool_ring_entries', {'device': 'eth0', 'ring': 'rx', 'setting': 'maximum'}, 8192, None),
        ('wgtune_interrupt_affinity_info',
         {'irq': '25', 'name': 'mlx5_comp0', 'affinity': '0-3', 'effective_affinity': effective}, 1, ['affinity', 'irq']),
        ('wgtune_process_running', {'name': 'irqbalance'}, 0, ALL),
        ('wgtune_process_running', {'name': 'wireguard-go'}, 1, None),
        ('wgtune_network_mtu_bytes', {'device': 'wt0'}, 1420, ALL),
    ]


def knob_lines(series):
    lines = []
    for family, labels, value, kept in series:
        if kept is None:
            continue
        lines.append(knob_line(family, labels if kept == ALL else {k: labels[k] for k in kept}, value))
    return sorted(lines)


# ---- the generated history ----------------------------------------------------------------

class Interval:
    def __init__(self, name, series, steps, level, peers, softirq, softnet, nic, changes):
        self.name, self.series, self.steps, self.level = name, series, steps, level
        self.peers, self.softirq, self.softnet, self.nic = peers, softirq, softnet, nic
        self.changes = changes  # the expected changes text, None for the host's first
        self.knobs = knob_lines(series)
        self.fingerprint = fnv1a64(self.knobs)
        self.times = []
        self.view = []  # per step: (throughput, top core softirq, softnet/30s, nic/30s)


def hosts_plan():
    # level: received bytes/s under load (0: no traffic); peers: its split over two peers;
    # softirq: the hottest core's share under load; softnet, nic: drops/s under load.
    return {
        HOST_A: [
            Interval('defaults', settings(), 160, 100e6, (0.7, 0.3), 0.96, 0.0, 0.0, None),
            Interval('rps', settings(rps=True, effective='2'), 160, 150e6, (0.6, 0.4), 0.35, 40.0, 2.0,
                     'rps_cpus{device=eth0,queue=rx-0} 0→4; rps_info{device=eth0,queue=rx-0} mask 0→f'),
            Interval('backlog', settings(rps=True, backlog=10000, effective='2'), 160, 160e6, (0.5, 0.5), 0.36,
                     0.0, 0.0, 'net_core_netdev_max_backlog 1000→10000'),
        ],
        HOST_B: [
            Interval('defaults', settings(effective='3'), 240, 50e6, (1.0, 0.0), 0.5, 1.0, 0.0, None),
            Interval('budget', settings(budget=600, effective='3'), 240, 0, (1.0, 0.0), 0.0, 0.0, 0.0,
                     'net_core_netdev_budget 300→600'),
        ],
    }


def load_factor(rng, i, n):
    """Share of the interval's level at step i of n: idle, a ramp (some steps above half of the
    peak, most below), load with noise, idle."""
    if i < n * 0.25 or i >= n * 0.85:
        return 0.0
    if i < n * 0.3:
        return rng.uniform(0.05, 0.6)
    return rng.uniform(0.9, 1.1)


class Families:
    """Samples grouped by family (OpenMetrics wants a family's samples together), each series
    in time order."""

    def __init__(self):
        self.families = {}

    def add(self, family, labels, t, value):
        series = self.families.setdefault(family, {})
        key = tuple(sorted(labels.items()))
        series.setdefault(key, []).append((t, value))

    def openmetrics(self):
        out = []
        for family, series in self.families.items():
            out.append('# TYPE %s gauge\n' % family)
            for key, points in series.items():
                labels = ','.join('%s="%s"' % (name, escape(value)) for name, value in key)
                for t, value in points:
                    out.append('%s{%s} %s %d\n' % (family, labels, repr(float(value)), t))
        out.append('# EOF\n')
        return ''.join(out)


def generate(end):
    """The history up to `end` (a multiple of STEP): OpenMetrics text, the plan with every
    interval's times and per-step load view filled in, and the first sample time."""
    plan = hosts_plan()
    rng = random.Random(5)
    families = Families()
    first = None
    for host, intervals in plan.items():
        total = sum(interval.steps for interval in intervals)
        t = end - (total - 1) * STEP
        first = t if first is None else min(first, t)
        target = {'instance': host, 'job': JOB}
        for interval in intervals:
            for i in range(interval.steps):
                factor = load_factor(rng, i, interval.steps) if interval.level > 0 else 0.0
                loaded = factor > 0
                families.add('wgtune_tuning_config_info', dict(target, fingerprint=interval.fingerprint), t, 1)
                for family, labels, value, _ in interval.series:
                    families.add(family, dict(target, **labels), t, value)
                families.add('wgtune_sysctl_net_netfilter_nf_conntrack_entries', target, t, rng.randrange(100, 900))
                rx_sum = tx_sum = 0.0
                for peer, share in zip(('peerA=', 'peerB='), interval.peers):
                    rx = round(interval.level * factor * share * rng.uniform(0.98, 1.02), 1)
                    tx = round(rx * 0.02, 1)  # ACKs
                    rx_sum, tx_sum = rx_sum + rx, tx_sum + tx
                    peer_labels = dict(target, interface='wt0', public_key=peer)
                    families.add('wgtune_wireguard_peer_receive_bytes_per_second', peer_labels, t, rx)
                    families.add('wgtune_wireguard_peer_transmit_bytes_per_second', peer_labels, t, tx)
                softirq = []
                for cpu in range(4):
                    hot = interval.softirq if cpu == 0 else interval.softirq * 0.9
                    ratio = round(rng.uniform(0.95, 1.0) * hot if loaded else rng.uniform(0.0, 0.03), 4)
                    softirq.append(ratio)
                    families.add('wgtune_cpu_mode_ratio', dict(target, cpu=str(cpu), mode='softirq'), t, ratio)
                    families.add('wgtune_cpu_mode_ratio', dict(target, cpu=str(cpu), mode='system'), t, 0.99)
                dropped = [round(rng.uniform(0.5, 1.5) * interval.softnet, 2) if loaded else 0.0 for _ in range(4)]
                for cpu, value in enumerate(dropped):
                    families.add('wgtune_softnet_dropped_per_second', dict(target, cpu=str(cpu)), t, value)
                nic_drop = round(rng.uniform(0.5, 1.5) * interval.nic, 2) if loaded else 0.0
                nic_missed = 0.25 if loaded and interval.nic else 0.0
                families.add('wgtune_network_receive_drop_per_second', dict(target, device='eth0'), t, nic_drop)
                families.add('wgtune_network_receive_missed_per_second', dict(target, device='eth0'), t, nic_missed)
                # The tunnel drops too, but it is not the underlay: the NIC column leaves it out.
                families.add('wgtune_network_receive_drop_per_second', dict(target, device='wt0'), t, 100.0)
                families.add('wgtune_network_receive_missed_per_second', dict(target, device='wt0'), t, 0.0)
                families.add('wgtune_network_underlay', dict(target, device='eth0', role='route'), t, 1)
                interval.times.append(t)
                interval.view.append((8 * max(rx_sum, tx_sum), max(softirq), 30 * sum(dropped),
                                      30 * (nic_drop + nic_missed)))
                t += STEP
    return families.openmetrics(), plan, first


def under_load(interval):
    """The load-view means the advisor must find: (samples, [4 means]) or None for no load."""
    peak = max(view[0] for view in interval.view)
    if peak <= 0:
        return None
    chosen = [view for view in interval.view if view[0] >= peak / 2]
    return len(chosen), [sum(view[c] for view in chosen) / len(chosen) for c in range(4)]


# ---- the advisor's number formats (comparison.cpp), to build the expected Markdown --------------

def three_digits(value):
    if abs(value) >= 99.95:
        return '%.0f' % value
    if abs(value) >= 9.995:
        return '%.1f' % value
    return '%.2f' % value


def bits(value):
    for unit, scale in (('Gbit/s', 1e9), ('Mbit/s', 1e6), ('kbit/s', 1e3)):
        if abs(value) >= scale:
            return three_digits(value / scale) + ' ' + unit
    return '%.0f bit/s' % value


def percent(ratio):
    value = ratio * 100
    if value == 0:
        return '0%'
    return ('%.0f%%' if abs(value) >= 9.95 else '%.1f%%') % value


def count(value):
    if abs(value) >= 9.95:
        return '%.0f' % value
    text = '%.1f' % value
    text = text[:-2] if text.endswith('.0') else text
    return '0' if text == '-0' else text


def duration(seconds):
    total, out = int(seconds), ''
    for unit, length in (('d', 86400), ('h', 3600), ('m', 60), ('s', 1)):
        if total >= length:
            out += '%d%s' % (total // length, unit)
            total %= length
    return out or '0s'


def span(start, end):
    a, b = time.gmtime(start), time.gmtime(end)
    if time.strftime('%Y-%m-%d', a) == time.strftime('%Y-%m-%d', b):
        return time.strftime('%Y-%m-%d %H:%M:%S', a) + '–' + time.strftime('%H:%M:%S', b) + ' UTC'
    return time.strftime('%Y-%m-%d %H:%M:%S', a) + '–' + time.strftime('%Y-%m-%d %H:%M:%S', b) + ' UTC'


LOAD_HEADERS = ['WireGuard throughput', 'top core %soft', 'softnet drops/30s', 'NIC drops/30s']
LOAD_KEYS = ['throughput_bits_per_second', 'top_core_softirq_ratio', 'softnet_drops_per_30s', 'nic_drops_per_30s']
FORMATS = [bits, percent, count, count]


def table(header, rows):
    lines = ['| ' + ' | '.join(header) + ' |',
             '| ' + ' | '.join('---' if i < 3 else '---:' for i in range(len(header))) + ' |']
    lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
    return '\n'.join(lines) + '\n'


def expected_history_markdown(plan):
    parts = []
    for host, intervals in plan.items():
        rows = []
        for interval in intervals:
            selection = under_load(interval)
            start, end = interval.times[0], interval.times[-1]
            cell = span(start, end) + ' (' + duration(end - start)
            if selection:
                cell += ', ' + duration(selection[0] * STEP) + ' under load'
            cell += ')'
            load = [fmt(v) for fmt, v in zip(FORMATS, selection[1])] if selection else ['no load', '—', '—', '—']
            rows.append(['`%s`' % interval.fingerprint, interval.changes or '(first)', cell] + load)
        parts.append('### %s (%s)\n\n' % (host, JOB) + table(['config', 'changes', 'span'] + LOAD_HEADERS, rows))
    return '\n'.join(parts)


# ---- running things -----------------------------------------------------------------------------

def advisor_run(advisor, args, want_code=0):
    result = subprocess.run([advisor, 'compare'] + args, capture_output=True, text=True, timeout=120)
    check(result.returncode == want_code, 'compare %s: exit %d, want %d\nstdout: %s\nstderr: %s'
          % (' '.join(args), result.returncode, want_code, result.stdout[-3000:], result.stderr[-3000:]))
    return result


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def check_history_rows(rows, plan, hosts, exact=True):
    """The rows against the plan: per host, the intervals in order; with `exact` (the range is the
    data's) also the spans and the load-view values."""
    want = [(host, interval) for host in hosts for interval in plan[host]]
    check(len(rows) == len(want), '%d rows, want %d: %s' % (len(rows), len(want), json.dumps(rows, indent=1)[:3000]))
    for row, (host, interval) in zip(rows, want):
        where = '%s %s' % (host, interval.name)
        check(row['host'] == host and row['job'] == JOB, '%s: host %r job %r' % (where, row['host'], row['job']))
        check(row['fingerprint'] == interval.fingerprint,
              '%s: fingerprint %s, want %s' % (where, row['fingerprint'], interval.fingerprint))
        check(row['knobs_fingerprint'] == interval.fingerprint,
              '%s: the knobs read back fingerprint to %s, want %s' % (where, row['knobs_fingerprint'], interval.fingerprint))
        state = 'first' if interval.changes is None else 'changed'
        check(row['changes']['state'] == state and row['changes']['text'] == (interval.changes or ''),
              '%s: changes %r, want %s %r' % (where, row['changes'], state, interval.changes))
        selection = under_load(interval)
        exporter = row['exporter']
        if selection is None:
            check(exporter['load'] == 'idle' and all(exporter[key] is None for key in LOAD_KEYS),
                  '%s: want no load, got %r' % (where, exporter))
            continue
        check(exporter['load'] == 'under_load', '%s: load %r, want under_load' % (where, exporter['load']))
        if not exact:
            continue
        check(row['start'] == interval.times[0] and row['end'] == interval.times[-1],
              '%s: span %s..%s, want %s..%s' % (where, row['start'], row['end'], interval.times[0], interval.times[-1]))
        samples, means = selection
        check(exporter['samples'] == samples and exporter['seconds_under_load'] == samples * STEP,
              '%s: %s steps under load, want %d' % (where, exporter['samples'], samples))
        for key, mean in zip(LOAD_KEYS, means):
            check(exporter[key] is not None and close(exporter[key], mean),
                  '%s: %s = %r, want %r' % (where, key, exporter[key], mean))


def start_prometheus(root, history):
    """Prometheus over the backfilled `history`; returns (process, base URL)."""
    try:
        process, base, _ = backfilled_prometheus(root, history)
    except RuntimeError as error:
        check(False, str(error))
    return process, base


def test_history(advisor, root):
    end = (int(time.time()) // STEP) * STEP - 120  # the exporter stopped two minutes ago
    history, plan, first = generate(end)
    started = time.monotonic()
    process, base = start_prometheus(root, history)
    try:
        print('backfilled %d bytes and started prometheus in %.1fs' % (len(history), time.monotonic() - started))
        exact = ['--prometheus', base, '--start', str(first), '--end', str(end), '--step', '%ds' % STEP]
        rows = json.loads(advisor_run(advisor, exact + ['--format', 'json']).stdout)['rows']
        check_history_rows(rows, plan, [HOST_A, HOST_B])
        # Same knobs, same fingerprint, whatever else differs between the hosts.
        check(plan[HOST_A][0].fingerprint == plan[HOST_B][0].fingerprint, 'the defaults differ between hosts')
        markdown = advisor_run(advisor, exact).stdout
        want = expected_history_markdown(plan)
        check(markdown == want, 'Markdown:\n%s\nwant:\n%s' % (markdown, want))
        print(markdown)

        only_b = json.loads(advisor_run(advisor, exact + ['--instance', HOST_B, '--format', 'json']).stdout)['rows']
        check_history_rows(only_b, plan, [HOST_B])
        # The default range: the last 6 hours up to now, steps not on the samples' times.
        rows = json.loads(advisor_run(advisor, ['--prometheus', base, '--format', 'json']).stdout)['rows']
        check_history_rows(rows, plan, [HOST_A, HOST_B], exact=False)

        old = advisor_run(advisor, ['--prometheus', base, '--start', '2020-01-01T00:00:00Z',
                                    '--end', '2020-01-01T06:00:00Z'], want_code=2)
        check('has no wgtune_tuning_config_info series' in old.stderr, 'empty range: %r' % old.stderr)
        bad_time = advisor_run(advisor, ['--prometheus', base, '--start', 'yesterday'], want_code=2)
        check('--start' in bad_time.stderr and 'yesterday' in bad_time.stderr, 'bad time: %r' % bad_time.stderr)
    finally:
        stop(process)


# ---- run files ------------------------------------------------------------------------------------

def run_file(scenario, throughput, interval, exporter):
    return {
        'format': 'wgtune-baseline/1',
        'scenario': scenario,
        'iperf3_args': ['-u', '-b', '0', '-l', '1200'] if scenario.startswith('udp') else ['-P', '8'],
        'server': '100.64.0.2',
        'started': 1764079000.5,
        'seconds': 30,
        'fingerprint': interval.fingerprint if interval else None,
        'knobs': interval.knobs if interval else [],
        'throughput_bits_per_second': throughput,
        'iperf3': {'end': {'sum_received': {'bits_per_second': throughput}}},
        'exporter': exporter,
    }


def exporter_view(throughput, softirq, softnet, nic):
    return {'target': 'http://127.0.0.1:10050/metrics', 'samples': 28, 'throughput_bits_per_second': throughput,
            'top_core_softirq_ratio': softirq, 'softnet_drops_per_30s': softnet, 'nic_drops_per_30s': nic}


def test_runs(advisor, root):
    plan = hosts_plan()[HOST_A]
    runs = {
        'defaults': [run_file('udp_1200', 512.3e6, plan[0], exporter_view(520e6, 0.96, 0, 0)),
                     run_file('tcp_fwd', 943.7e6, plan[0], exporter_view(950e6, 0.97, 0, None))],
        'rps': [run_file('tcp_fwd', 1.52e9, plan[1], exporter_view(1.55e9, 0.35, 4512.4, 3.5))],
        'backlog': [run_file('tcp_fwd', 1.61e9, plan[2], exporter_view(1.6e9, 0.351, 0, 0))],
        'bare': [run_file('tcp_fwd', 1.6e9, None, None)],
    }
    for name, files in runs.items():
        os.makedirs(os.path.join(root, name))
        for content in files:
            with open(os.path.join(root, name, content['scenario'] + '.json'), 'w') as out:
                json.dump(content, out)
    dirs = [os.path.join(root, name) for name in ('defaults', 'rps', 'backlog', 'bare')]
    markdown = advisor_run(advisor, ['--runs'] + dirs).stdout
    fp = [interval.fingerprint for interval in plan]
    want = table(['config', 'changes', 'scenario', 'throughput'] + LOAD_HEADERS, [
        ['defaults `%s`' % fp[0], '(first)', 'tcp_fwd', '944 Mbit/s', '950 Mbit/s', '97%', '0', '—'],
        ['defaults `%s`' % fp[0], 'same', 'udp_1200', '512 Mbit/s', '520 Mbit/s', '96%', '0', '0'],
        ['rps `%s`' % fp[1], 'rps_cpus{device=eth0,queue=rx-0} 0→4; rps_info{device=eth0,queue=rx-0} mask 0→f', 'tcp_fwd', '1.52 Gbit/s',
         '1.55 Gbit/s', '35%', '4512', '3.5'],
        ['backlog `%s`' % fp[2], 'net_core_netdev_max_backlog 1000→10000', 'tcp_fwd', '1.61 Gbit/s', '1.60 Gbit/s',
         '35%', '0', '0'],
        ['bare', '?', 'tcp_fwd', '1.60 Gbit/s', '—', '—', '—', '—'],
    ])
    check(markdown == want, 'runs Markdown:\n%s\nwant:\n%s' % (markdown, want))
    print(markdown)

    rows = json.loads(advisor_run(advisor, ['--runs'] + dirs + ['--format', 'json']).stdout)['rows']
    check([(r['config'], r['scenario']) for r in rows] ==
          [('defaults', 'tcp_fwd'), ('defaults', 'udp_1200'), ('rps', 'tcp_fwd'), ('backlog', 'tcp_fwd'), ('bare', 'tcp_fwd')],
          'run order: %r' % [(r['config'], r['scenario']) for r in rows])
    check(all(r['knobs_fingerprint'] == r['fingerprint'] for r in rows[:4]), 'knobs_fingerprint differs from fingerprint')
    rps = rows[2]
    check(rps['changes']['list'] == [{'knob': 'rps_cpus{device=eth0,queue=rx-0}', 'before': '0', 'after': '4'},
                                     {'knob': 'rps_info{device=eth0,queue=rx-0} mask', 'before': '0', 'after': 'f'}],
          'rps changes: %r' % rps['changes'])
    check(rps['throughput_bits_per_second'] == 1.52e9 and rps['exporter']['softnet_drops_per_30s'] == 4512.4
          and rps['exporter']['samples'] == 28 and rps['source'] == os.path.join(dirs[1], 'tcp_fwd.json'),
          'rps row: %r' % rps)
    check(rows[4]['fingerprint'] is None and rows[4]['exporter'] is None and rows[4]['changes']['state'] == 'unknown',
          'bare row: %r' % rows[4])

    # Errors: a clear message, exit 2.
    broken = os.path.join(root, 'broken')
    os.makedirs(broken)
    with open(os.path.join(broken, 'tcp_rev.json'), 'w') as out:
        json.dump(dict(run_file('tcp_rev', 1e9, plan[0], None), knobs='none'), out)
    error = advisor_run(advisor, ['--runs', dirs[0], broken], want_code=2)
    check(os.path.join(broken, 'tcp_rev.json') + ': "knobs" is not an array' in error.stderr,
          'malformed run file: %r' % error.stderr)
    error = advisor_run(advisor, [], want_code=2)
    check('one of --runs or --prometheus is required' in error.stderr, 'no source: %r' % error.stderr)
    error = advisor_run(advisor, ['--runs', dirs[0], '--prometheus', 'http://127.0.0.1:1'], want_code=2)
    check('excludes' in (error.stderr + error.stdout), 'both sources: %r' % (error.stderr + error.stdout))


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: advisor_compare_test.py ADVISOR_BINARY')
    advisor = os.path.abspath(sys.argv[1])
    for tool in ('prometheus', 'promtool'):
        if not shutil.which(tool):
            sys.exit('advisor_compare: %s not found; install Prometheus (deploy/bootstrap.sh --test)' % tool)
    # SIGTERM (ctest's timeout) runs the cleanup in the finally blocks too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit('advisor_compare: terminated'))
    with tempfile.TemporaryDirectory(prefix='wgtune-compare-') as root:
        try:
            os.makedirs(os.path.join(root, 'runs'))
            test_runs(advisor, os.path.join(root, 'runs'))
            test_history(advisor, root)
        except Failure as failure:
            print('advisor_compare: FAILED: %s' % failure)
            sys.exit(1)
    print('advisor_compare: ok')


if __name__ == '__main__':
    main()
