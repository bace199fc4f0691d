#!/usr/bin/env python3
"""Writes dashboards/wgtune-host.json, the Grafana dashboard of one host's tuning signals, from
the panel list below (one place to edit; the JSON is generated and committed, and the
`dashboards` test keeps the two equal and runs every query against a real Prometheus).

    python3 dashboards/generate.py            # rewrite dashboards/wgtune-host.json
    python3 dashboards/generate.py --check    # exit 1 when the committed JSON differs

Rows follow the field guide: health and configuration, CPU (§3.1), interrupts (§3.2, §4.1-4.2),
softnet (§3.3, §4.5), drops by layer (§5), WireGuard (§10), the knobs (§4). Every query selects
`job=~"$job", instance=~"$instance"`; vertical annotations mark each change of the tuning
configuration (wgtune_tuning_config_changes_total), so a before/after is visible at a glance
(§7). Import it in Grafana (Dashboards → Import) and pick the Prometheus data source.

Every rate and share is computed by Prometheus from the exporter's raw counters (`*_total`) with
rate() or increase() over `$__rate_interval` (at least four scrape intervals), never read from
its `*_per_second` and `*_ratio` gauges: those cover only the exporter's last sample interval
(5 s), so a Prometheus scraping every 15 s would see 5 s out of 15 and miss a burst of drops in
between (issue 11). Gauges that are not rates (sysctls, backlog length, handshake age, knobs)
are read as they are.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, 'wgtune-host.json')
SELECTOR = 'job=~"$job", instance=~"$instance"'
DATASOURCE = {'type': 'prometheus', 'uid': '${datasource}'}


def q(expr, legend='', instant=False):
    """One query of a panel: its legend (range queries) or an instant table query."""
    return {'expr': expr, 'legend': legend, 'instant': instant}


def sel(metric, extra=''):
    """`metric` on the dashboard's hosts, with more matchers in `extra`."""
    return '%s{%s%s}' % (metric, SELECTOR, ', ' + extra if extra else '')


def rate(counter, extra=''):
    """Per-second rate of a raw counter over Grafana's $__rate_interval (at least four scrape
    intervals, so every increase between scrapes counts)."""
    return 'rate(%s[$__rate_interval])' % sel(counter, extra)


def increase(counter, extra=''):
    """Increase of a raw counter over $__rate_interval: events per interval, not per second."""
    return 'increase(%s[$__rate_interval])' % sel(counter, extra)


def cpu_share(modes):
    """mpstat's share of the `modes` (a mode matcher) in each CPU's time: their seconds over the
    seconds of all eight modes of wgtune_cpu_seconds_total, idle and iowait included (guest and
    guest_nice are a family of their own, already inside user and nice)."""
    return ('sum without (mode) (%s) / sum without (mode) (%s)'
            % (rate('wgtune_cpu_seconds_total', modes), rate('wgtune_cpu_seconds_total')))


# (row title, [(panel title, kind, unit, description, [queries])]); kind: timeseries | table | stat.
ROWS = [
    ('Health and configuration', [
        ('Collectors failing', 'stat', 'none',
         'Collectors whose last sample failed (wgtune_scrape_collector_success == 0): a malformed /proc or '
         '/sys file costs that collector, not the exporter.',
         [q('count by (instance) (%s == 0) or sum by (instance) (%s * 0)'
            % (sel('wgtune_scrape_collector_success'), sel('wgtune_scrape_collector_success')), '{{instance}}')]),
        ('Tuning configuration', 'table', 'none',
         'The fingerprint of the host\'s tuning knobs (sysctls, RPS/RFS, MTUs, rings, channels, RSS hash, NIC offloads, IRQ '
         'affinity, qdiscs, irqbalance, WireGuard implementation): a new value is a new row of the comparison '
         'table (§7.1, wgtune-advisor compare).',
         [q(sel('wgtune_tuning_config_info'), instant=True)]),
        ('Tuning changes', 'timeseries', 'none',
         'Samples in which a knob changed (the annotations mark them on every panel).',
         [q(increase('wgtune_tuning_config_changes_total'), '{{instance}}')]),
    ]),
    ('CPU (§3.1)', [
        ('%soft per CPU', 'timeseries', 'percentunit',
         'Share of each CPU\'s time in softirq (mpstat %soft: softirq seconds over the seconds of all modes, idle '
         'included): one CPU near 100% while the others idle is the single-queue or single-flow bottleneck (§3.1).',
         [q(cpu_share('mode="softirq"'), 'cpu {{cpu}}')]),
        ('%sys per CPU', 'timeseries', 'percentunit',
         'Share of each CPU\'s time in system mode: one core saturated on %sys, not %soft, is WireGuard\'s crypto '
         '(§6.2).',
         [q(cpu_share('mode="system"'), 'cpu {{cpu}}')]),
        ('Busiest CPU', 'timeseries', 'percentunit',
         'The busiest CPU\'s share of time neither idle nor waiting for I/O, and the mean over CPUs.',
         [q('max by (instance) (%s)' % cpu_share('mode!~"idle|iowait"'), 'busiest'),
          q('avg by (instance) (%s)' % cpu_share('mode!~"idle|iowait"'), 'mean')]),
    ]),
    ('Interrupts (§3.2, §4.1–4.2)', [
        ('NIC interrupts per CPU', 'timeseries', 'short',
         'Interrupts per second of the NIC queue IRQs, by CPU (the guide\'s /proc/interrupts delta): all on one '
         'CPU means affinity collapsed (irqbalance, §6.3) or one queue.',
         [q('sum by (instance, cpu) (%s)' % rate('wgtune_interrupts_total', 'queue!=""'), 'cpu {{cpu}}')]),
        ('NIC interrupts per queue', 'timeseries', 'short',
         'Interrupts per second by NIC and queue: RSS spreads flows over queues; one WireGuard flow is one queue.',
         [q('sum by (instance, device, queue) (%s)' % rate('wgtune_interrupts_total', 'queue!=""'),
            '{{device}} {{queue}}')]),
        ('Busiest CPU\'s share of NIC interrupts', 'timeseries', 'percentunit',
         'Share of each NIC\'s queue interrupts that land on its busiest CPU, named in the legend (1 = all on one '
         'CPU).',
         [q('topk by (instance, device) (1, sum by (instance, device, cpu) (%s))'
            ' / ignoring (cpu) group_left sum by (instance, device) (%s)'
            % (rate('wgtune_interrupts_total', 'queue!=""'), rate('wgtune_interrupts_total', 'queue!=""')),
            '{{device}} cpu {{cpu}}')]),
        ('NET_RX softirqs per CPU', 'timeseries', 'short',
         'NET_RX softirqs run per second on each CPU: RPS moves them to other CPUs than the IRQ\'s (§4.3).',
         [q(rate('wgtune_softirqs_total', 'type="NET_RX"'), 'cpu {{cpu}}')]),
    ]),
    ('Softnet (§3.3, §4.5)', [
        ('Backlog drops per CPU', 'timeseries', 'short',
         'Packets dropped per second at a full per-CPU backlog (softnet_stat column 2): raise '
         'net.core.netdev_max_backlog.',
         [q(rate('wgtune_softnet_dropped_total'), 'cpu {{cpu}}')]),
        ('Budget squeezes per CPU', 'timeseries', 'short',
         'Times per second net_rx_action ran out of budget or time (column 3): raise netdev_budget / '
         'netdev_budget_usecs.',
         [q(rate('wgtune_softnet_times_squeezed_total'), 'cpu {{cpu}}')]),
        ('Packets processed per CPU', 'timeseries', 'short',
         'Packets processed per second by each CPU\'s softnet (column 1).',
         [q(rate('wgtune_softnet_processed_total'), 'cpu {{cpu}}')]),
        ('Backlog length per CPU', 'timeseries', 'short',
         'Packets waiting in each CPU\'s backlog when sampled.',
         [q(sel('wgtune_softnet_backlog_len'), 'cpu {{cpu}}')]),
    ]),
    ('Drops by layer (§5)', [
        ('NIC receive drops', 'timeseries', 'short',
         'rx_dropped and rx_missed per second of each interface (ring overflow on the NIC: ethtool -G, §4.6).',
         [q(rate('wgtune_network_receive_drop_total'), '{{device}} dropped'),
          q(rate('wgtune_network_receive_missed_total'), '{{device}} missed')]),
        ('NIC driver drop counters', 'timeseries', 'short',
         'ethtool -S counters whose names say drop, discard, miss or out of buffer, per second.',
         [q(rate('wgtune_ethtool_statistics_total', 'name=~".*(drop|discard|miss|out_of_buffer).*"'),
            '{{device}} {{name}} {{queue}}')]),
        ('UDP receive errors', 'timeseries', 'short',
         'UDP datagrams per second lost at full socket receive buffers (RcvbufErrors) and all receive errors: '
         'WireGuard\'s socket cannot keep up; raise net.core.rmem_* (§4.7).',
         [q(rate('wgtune_udp_rcvbuf_errors_total'), '{{protocol}} rcvbuf'),
          q(rate('wgtune_udp_in_errors_total'), '{{protocol}} in errors')]),
        ('Transmit and qdisc drops', 'timeseries', 'short',
         'tx_dropped per second of each interface (a tun\'s ring for userspace WireGuard) and drops per second '
         'of each qdisc.',
         [q(rate('wgtune_network_transmit_drop_total'), '{{device}} tx_dropped'),
          q(rate('wgtune_qdisc_drops_total'), '{{device}} {{kind}} {{handle}}')]),
        ('Conntrack failures', 'timeseries', 'short',
         'Conntrack insert failures and drops per second: the table is full (§5.2).',
         [q(rate('wgtune_conntrack_insert_failed_total'), 'insert_failed'),
          q(rate('wgtune_conntrack_drop_total'), 'drop')]),
    ]),
    ('WireGuard (§10)', [
        ('Throughput per peer', 'timeseries', 'bps',
         'Bits per second received from and sent to each peer.',
         [q('8 * %s' % rate('wgtune_wireguard_peer_receive_bytes_total'), '{{interface}} rx {{public_key}}'),
          q('8 * %s' % rate('wgtune_wireguard_peer_transmit_bytes_total'), '{{interface}} tx {{public_key}}')]),
        ('Handshake age per peer', 'timeseries', 's',
         'Seconds since each peer\'s latest handshake: above 180 s the session has expired.',
         [q(sel('wgtune_wireguard_peer_handshake_age_seconds'), '{{interface}} {{public_key}}')]),
        ('Interfaces', 'table', 'none',
         'WireGuard interfaces, their implementation (kernel or userspace), MTU and underlay.',
         [q(sel('wgtune_wireguard_interface_info'), instant=True),
          q(sel('wgtune_wireguard_mtu_bytes'), instant=True),
          q(sel('wgtune_wireguard_underlay_mtu_bytes'), instant=True)]),
    ]),
    ('Knobs (§4)', [
        ('RPS CPUs per receive queue', 'table', 'none',
         'CPUs in each receive queue\'s rps_cpus mask (0: RPS off, §4.3) and its RFS flow count.',
         [q(sel('wgtune_rps_cpus'), instant=True), q(sel('wgtune_rps_flow_entries'), instant=True)]),
        ('Rings and channels', 'table', 'none',
         'Ring sizes (ethtool -g, §4.6) and channel counts (ethtool -l, §4.1), current and maximum.',
         [q(sel('wgtune_ethtool_ring_entries'), instant=True), q(sel('wgtune_ethtool_channels'), instant=True)]),
        ('Sysctls', 'table', 'none',
         'The sysctls of the guide (§4.5, §4.7, §4.8, §8.1).',
         [q('{__name__=~"wgtune_sysctl_net_.+", %s}' % SELECTOR, instant=True)]),
    ]),
]


def panel(panel_id, title, kind, unit, description, queries, x, y):
    width = 24 if kind == 'table' else 8 if kind == 'stat' else 12
    targets = []
    for index, query in enumerate(queries):
        target = {'refId': chr(ord('A') + index), 'datasource': DATASOURCE, 'expr': query['expr']}
        if query['instant'] or kind == 'table':
            target.update({'instant': True, 'range': False, 'format': 'table'})
        else:
            target.update({'legendFormat': query['legend'] or '__auto', 'range': True})
        targets.append(target)
    result = {'id': panel_id, 'type': kind, 'title': title, 'description': description, 'datasource': DATASOURCE,
              'gridPos': {'h': 8, 'w': width, 'x': x, 'y': y}, 'targets': targets,
              'fieldConfig': {'defaults': {'unit': unit}, 'overrides': []}, 'options': {}}
    if kind == 'table':
        # One row per series, the queries merged on their labels, no internal columns.
        result['transformations'] = [{'id': 'merge', 'options': {}},
                                     {'id': 'organize', 'options': {'excludeByName': {'Time': True}}}]
    return result, width


def dashboard():
    panels, next_id, y = [], 1, 0
    for row_title, row_panels in ROWS:
        panels.append({'id': next_id, 'type': 'row', 'title': row_title, 'collapsed': False,
                       'gridPos': {'h': 1, 'w': 24, 'x': 0, 'y': y}, 'panels': []})
        next_id, y, x = next_id + 1, y + 1, 0
        for title, kind, unit, description, queries in row_panels:
            built, width = panel(next_id, title, kind, unit, description, queries, x, y)
            if x + width > 24:
                x, y = 0, y + 8
                built['gridPos'].update({'x': x, 'y': y})
            panels.append(built)
            next_id, x = next_id + 1, x + width
        y += 8
    def variable(name, label, query):
        return {'name': name, 'label': label, 'type': 'query', 'datasource': DATASOURCE,
                'query': {'query': query, 'refId': name}, 'definition': query, 'refresh': 2, 'includeAll': True,
                'multi': True, 'allValue': '.+', 'current': {}, 'sort': 1}
    return {
        'uid': 'wgtune-host', 'title': 'wgtune: WireGuard host tuning', 'tags': ['wgtune', 'wireguard', 'network'],
        'description': 'The signals of the WireGuard/NetBird throughput field guide, from wgtune-exporter.',
        'editable': True, 'graphTooltip': 1, 'schemaVersion': 39, 'version': 1, 'refresh': '30s',
        'time': {'from': 'now-1h', 'to': 'now'}, 'timezone': '',
        '__inputs': [{'name': 'DS_PROMETHEUS', 'label': 'Prometheus', 'type': 'datasource',
                      'pluginId': 'prometheus', 'pluginName': 'Prometheus'}],
        'templating': {'list': [
            {'name': 'datasource', 'label': 'Data source', 'type': 'datasource', 'query': 'prometheus',
             'current': {}, 'refresh': 1},
            variable('job', 'Job', 'label_values(wgtune_scrape_collector_success, job)'),
            variable('instance', 'Host', 'label_values(wgtune_scrape_collector_success{job=~"$job"}, instance)'),
        ]},
        'annotations': {'list': [{
            'name': 'Tuning changes', 'datasource': DATASOURCE, 'enable': True, 'iconColor': 'orange',
            'expr': 'increase(%s[2m]) > 0' % sel('wgtune_tuning_config_changes_total'),
            'titleFormat': 'tuning changed', 'textFormat': '{{instance}}', 'step': '30s'}]},
        'panels': panels,
    }


def render():
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + '\n'


def main():
    text = render()
    if '--check' in sys.argv[1:]:
        with open(OUTPUT) as f:
            if f.read() != text:
                print('%s is not what dashboards/generate.py writes: run it' % OUTPUT)
                return 1
        return 0
    with open(OUTPUT, 'w') as f:
        f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
