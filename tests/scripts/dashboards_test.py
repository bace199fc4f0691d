#!/usr/bin/env python3
"""The Grafana dashboard (dashboards/wgtune-host.json) against a real Prometheus.

- The committed JSON is what dashboards/generate.py writes (one source for the panels).
- Its shape is what Grafana imports: unique panel ids, every query on the `${datasource}`
  variable and on the `$job`/`$instance` selector, the variables and the annotation there.
- Rates and shares come from the raw counters (issue 11): no panel query reads one of the
  exporter's `*_per_second` or `*_ratio` gauges (rates over its last 5 s sample interval only,
  so a 15 s scrape misses two thirds of what happens), not by name and not through a
  `__name__` regex; every counter (`*_total`) a panel reads is inside rate() or increase()
  over `$__rate_interval`.
- Every query of every panel, the annotation's and the variables' answer in a real
  Prometheus scraping the guide's fixture hosts, with `$job`, `$instance` and
  `$__rate_interval` as Grafana fills them in: no error, and at least one series (a panel
  whose query selects nothing on hosts that have every signal is a panel with a wrong name or
  label); every rate query has series of each host. `$__rate_interval` is what Grafana
  substitutes, max(4 × scrape interval, step + scrape interval), with the scrape interval
  read from the Prometheus under test and the step equal to it, and the queries run only
  once each host has at least two scrapes (here: a full window's worth) inside it, so rate()
  really computes over scraped samples.
- The hosts: the tuned host of tests/fixtures/advisor as it is (its counters stand still:
  every rate is 0, every share 0/0), and the golden host of tests/fixtures/e2e whose every
  counter grows at a known rate (GROWTH) from the fixture's value, by wall-clock time at each
  scrape. Every rate query's answer on the golden host is checked value by value: a plain
  rate() of a counter against its growth, the aggregations and shares against EXPECTED.
Usage: dashboards_test.py SOURCE_DIR
"""
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

source = os.path.abspath(sys.argv[1])
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import advisor_promql_diff_test as promql_diff  # noqa: E402  (its fixture hosts and Prometheus helpers)
from exposition import SAMPLE, ClimbingHost, serve_metrics, wait_for  # noqa: E402

DASHBOARD = os.path.join(source, 'dashboards/wgtune-host.json')
SELECTOR = 'job=~"$job", instance=~"$instance"'
RATE_INTERVAL = '$__rate_interval'
# The exporter's gauges of a rate or share over its own last sample interval: never on a panel.
INTERVAL_GAUGE = re.compile(r'wgtune_[a-zA-Z0-9_]*_(per_second|ratio)')
# Shares that are not over an interval: the RSS indirection table's split is a setting.
NOT_INTERVAL_GAUGES = {'wgtune_ethtool_rss_indirection_share_ratio'}
# Relative: a scrape's timestamp and the moment the growing host computes its values differ by
# a few ms (measured: at most 0.1% off over a 4 s window, also with both cores busy).
TOLERANCE = 1e-2
problems = []


def check(condition, message):
    if not condition:
        problems.append(message)
    return condition


# ---------------------------------------------------------------------------------------------
# The golden host's counters grow: GROWTH[name](labels) is the increase per second of a series
# (labels without empty values, as Prometheus stores them); a family not listed grows at 1/s.

def cpu_seconds(labels):
    """Per CPU c: softirq 0.1·(c+1), system 0.1, user 0.2, iowait 0.1, idle 0.6 − 0.1·(c+1), the
    other modes 0, all halved: the modes sum to 0.5 s/s, so a share that does not divide by all
    modes' time (or assumes they sum to 1) is off by two."""
    c = int(labels['cpu'])
    share = {'softirq': 0.1 * (c + 1), 'system': 0.1, 'user': 0.2, 'iowait': 0.1, 'idle': 0.6 - 0.1 * (c + 1)}
    return 0.5 * share.get(labels['mode'], 0.0)


def interrupts(labels):
    """Queue IRQs: 9/s on CPU 1, 1/s on the others; control IRQs (no queue) 100/s, which the
    panels must leave out."""
    if 'queue' not in labels:
        return 100.0
    return 9.0 if labels['cpu'] == '1' else 1.0


def busy_peer(labels):
    return labels['public_key'].startswith('3p7b')


GROWTH = {
    'wgtune_cpu_seconds_total': cpu_seconds,
    'wgtune_interrupts_total': interrupts,
    'wgtune_softnet_dropped_total': lambda labels: 2.0 * (int(labels['cpu']) + 1),
    # The busy peer (3p7b...) 1 Mbit/s in and 0.5 out, the other 10 and 5 kbit/s.
    'wgtune_wireguard_peer_receive_bytes_total': lambda labels: 125000.0 if busy_peer(labels) else 1250.0,
    'wgtune_wireguard_peer_transmit_bytes_total': lambda labels: 62500.0 if busy_peer(labels) else 625.0,
    'wgtune_tuning_config_changes_total': lambda labels: 0.25,
}


def growth(name, labels):
    return GROWTH.get(name, lambda _: 1.0)(labels)


def cpus(values):
    return {frozenset({('cpu', str(c))}): v for c, v in enumerate(values)}


# The golden host's answer of each aggregating or dividing rate query, by (panel, refId): its
# series' labels but job and instance -> value. Plain rate()/increase() of one counter (times a
# number) need no entry: their answer is GROWTH.
EXPECTED = {
    ('%soft per CPU', 'A'): cpus([0.1, 0.2, 0.3, 0.4]),
    ('%sys per CPU', 'A'): cpus([0.1, 0.1, 0.1, 0.1]),
    ('Busiest CPU', 'A'): {frozenset(): 0.7},  # busy: all but idle and iowait, 0.4 ... 0.7
    ('Busiest CPU', 'B'): {frozenset(): 0.55},
    ('NIC interrupts per CPU', 'A'): cpus([4, 36, 4, 4]),
    ('NIC interrupts per queue', 'A'): {frozenset({('device', 'enP30832s1'), ('queue', str(q))}): 12 for q in range(4)},
    ("Busiest CPU's share of NIC interrupts", 'A'): {frozenset({('device', 'enP30832s1'), ('cpu', '1')}): 0.75},
}
PLAIN_RATE = re.compile(r'(?:(\d+(?:\.\d+)?) \* )?(rate|increase)\((wgtune_\w+_total)\{[^{}]*\}\[\$__rate_interval\]\)')


# ---------------------------------------------------------------------------------------------
# The dashboard's queries.

def queries(dashboard):
    """(where, expr, panel) of every query: panels' targets (panel: (title, refId)), the
    annotation and the variables' metric (panel: None)."""
    found = []
    for panel in dashboard['panels']:
        for target in panel.get('targets', []):
            found.append(('panel %r %s' % (panel['title'], target['refId']), target['expr'],
                          (panel['title'], target['refId'])))
    for annotation in dashboard['annotations']['list']:
        found.append(('annotation %r' % annotation['name'], annotation['expr'], None))
    for variable in dashboard['templating']['list']:
        match = re.fullmatch(r'label_values\((.+), (\w+)\)', variable['query']['query']) \
            if isinstance(variable.get('query'), dict) else None
        if match:
            found.append(('variable %s' % variable['name'], match.group(1), None))
    return found


def is_rate_query(expr):
    return bool(re.search(r'\b(rate|increase|irate)\(', expr))


def check_shape(dashboard):
    ids = [panel['id'] for panel in dashboard['panels']]
    check(len(ids) == len(set(ids)), 'panel ids repeat: %s' % ids)
    names = [v['name'] for v in dashboard['templating']['list']]
    check(names == ['datasource', 'job', 'instance'], 'variables %s' % names)
    for panel in dashboard['panels']:
        if panel['type'] == 'row':
            continue
        check(panel.get('datasource', {}).get('uid') == '${datasource}', '%r: datasource %s' % (
            panel['title'], panel.get('datasource')))
        check(panel.get('description'), '%r: no description' % panel['title'])
        check(panel.get('targets'), '%r: no query' % panel['title'])
        for target in panel.get('targets', []):
            check(target['datasource']['uid'] == '${datasource}', '%r: a target without ${datasource}' % panel['title'])
    for where, expr, _ in queries(dashboard):
        if not where.startswith('variable'):
            check(SELECTOR in expr, '%s: not on the dashboard\'s hosts: %s' % (where, expr))


def check_rates_from_counters(dashboard, metric_names):
    """No panel reads an interval gauge of the exporter (by name, or by a __name__ regex that
    matches one of the fixture hosts' names); every counter is read by rate()/increase() over
    $__rate_interval."""
    forbidden = {name for name in metric_names if INTERVAL_GAUGE.fullmatch(name)} - NOT_INTERVAL_GAUGES
    check(len(forbidden) >= 20, 'the fixture hosts have only %d interval gauges: the check below would miss some'
          % len(forbidden))
    rate_queries = 0
    for where, expr, panel in queries(dashboard):
        if panel is None:
            continue
        for name in set(re.findall(r'\bwgtune_[a-zA-Z0-9_]+', expr)):
            check(not INTERVAL_GAUGE.fullmatch(name) or name in NOT_INTERVAL_GAUGES,
                  '%s reads %s, a rate or share over the exporter\'s last sample interval only: compute it '
                  'from the counter with rate()/increase() over $__rate_interval (issue 11): %s' % (where, name, expr))
        for regex in re.findall(r'__name__\s*=~\s*"((?:[^"\\]|\\.)*)"', expr):
            matched = sorted(name for name in forbidden if re.fullmatch(regex, name))
            check(not matched, '%s: __name__=~"%s" reads interval gauges %s' % (where, regex, matched))
        counters = re.findall(r'\bwgtune_[a-zA-Z0-9_]+_total\b', expr)
        wrapped = re.findall(r'\b(?:rate|increase)\(wgtune_[a-zA-Z0-9_]+_total\{[^{}]*\}\[\$__rate_interval\]\)', expr)
        check(len(counters) == len(wrapped), '%s: a counter not read by rate()/increase() over $__rate_interval: %s'
              % (where, expr))
        rate_queries += is_rate_query(expr)
    check(rate_queries >= 20, 'only %d panel queries compute a rate' % rate_queries)


def grafana_rate_interval(scrape_seconds, step_seconds):
    """Grafana's $__rate_interval: max(4 × scrape interval, $__interval + scrape interval)."""
    return max(4 * scrape_seconds, step_seconds + scrape_seconds)


def grafana_fill(expr, job, instance_regex, rate_interval):
    return expr.replace('$job', job).replace('$instance', instance_regex).replace(RATE_INTERVAL, rate_interval)


def scrape_interval_seconds(base):
    """The global scrape_interval of the Prometheus under test, in seconds."""
    config = promql_diff.prometheus_get(base, '/api/v1/status/config')['data']['yaml']
    match = re.search(r'^\s*scrape_interval:\s*(\d+)s\s*$', config, re.M)
    if not match:
        raise AssertionError('no scrape_interval in seconds in the Prometheus config:\n' + config)
    return int(match.group(1))


def close(got, want):
    if math.isnan(want):
        return math.isnan(got)
    return abs(got - want) <= TOLERANCE * abs(want) + 1e-9


def check_values(where, panel, expr, series, static, window):
    """The golden host's (static=False) or the still tuned host's (static=True) answer of a rate
    query against the growth of its counters; window: $__rate_interval in seconds."""
    answer = {frozenset((k, v) for k, v in s['metric'].items() if k not in ('job', 'instance')): float(s['value'][1])
              for s in series}
    plain = PLAIN_RATE.fullmatch(expr)
    if plain:
        factor, function, name = float(plain.group(1) or 1), plain.group(2), plain.group(3)
        for labels, value in answer.items():
            per_second = 0.0 if static else growth(name, dict(labels))
            want = factor * per_second * (window if function == 'increase' else 1)
            check(close(value, want), '%s %s: %s %s, not %s: %s' % (where, 'still' if static else 'growing',
                                                                    dict(labels), value, want, expr))
        return
    if static:
        return  # shares of counters that stand still are 0/0; aggregations are checked on the growing host
    if not check(panel in EXPECTED, '%s: a rate query with no expected answer on the growing host '
                 '(add one to EXPECTED): %s' % (where, expr)):
        return
    want = EXPECTED[panel]
    check(set(answer) == set(want), '%s: series %s, not %s: %s' % (
        where, sorted(sorted(labels) for labels in answer), sorted(sorted(labels) for labels in want), expr))
    for labels in set(answer) & set(want):
        check(close(answer[labels], want[labels]), '%s: %s %s, not %s: %s' % (
            where, dict(labels), answer[labels], want[labels], expr))


def main():
    if not shutil.which('prometheus'):
        sys.exit('dashboards: prometheus not found; install Prometheus (deploy/bootstrap.sh --test)')
    started = time.monotonic()
    generated = subprocess.run([sys.executable, os.path.join(source, 'dashboards/generate.py'), '--check'],
                               capture_output=True, text=True)
    check(generated.returncode == 0, generated.stdout + generated.stderr)
    dashboard = json.load(open(DASHBOARD))
    check_shape(dashboard)

    hosts = dict(host for host in promql_diff.build_hosts(source) if host[0] in ('golden', 'tuned'))
    metric_names = {match.group(1) for text in hosts.values() for match in map(SAMPLE.match, text.splitlines())
                    if match}
    check_rates_from_counters(dashboard, metric_names)
    golden = ClimbingHost(hosts['golden'], growth=growth)
    tuned = hosts['tuned'].encode()
    servers, prometheus = [], None
    with tempfile.TemporaryDirectory(prefix='wgtune-dashboards-') as root:
        try:
            servers = [serve_metrics(golden.body), serve_metrics(lambda: tuned)]
            targets = ['127.0.0.1:%d' % server.server_address[1] for server in servers]
            golden_instance, tuned_instance = targets
            prometheus, base, log_path = promql_diff.start_prometheus(root, targets)
            promql_diff.wait_for_scrapes(base, prometheus, log_path, len(targets))

            # $__rate_interval as Grafana fills it in for a step of one scrape interval (a short
            # time range: Grafana's $__interval never goes below the data source's scrape interval).
            scrape = scrape_interval_seconds(base)
            window = grafana_rate_interval(scrape, scrape)
            rate_interval = '%ds' % window
            # Wait until the window is full of scrapes of each host, so rate() extrapolates to both
            # ends and the golden host's rates are exact; then query everything at that instant.
            full = window // scrape
            wait_for(lambda: promql_diff.scalar_of(
                base, 'count(count_over_time(up{job="wgtune"}[%s]) >= %d)' % (rate_interval, full)) == len(targets),
                30 + window, '%d scrapes of each host inside %s' % (full, rate_interval))
            when = time.time()
            scrapes = promql_diff.prometheus_get(base, '/api/v1/query', time=when,
                                                 query='count_over_time(up{job="wgtune"}[%s])' % rate_interval)
            scrapes = {s['metric']['instance']: int(float(s['value'][1])) for s in scrapes['data']['result']}
            for target in targets:
                check(scrapes.get(target, 0) >= 2, '%s has %s scrapes inside $__rate_interval=%s: a rate needs two'
                      % (target, scrapes.get(target, 0), rate_interval))

            instances = '|'.join(targets)  # Grafana's multi-value regex of the chosen hosts
            rate_queries = 0
            for where, expr, panel in queries(dashboard):
                filled = grafana_fill(expr, 'wgtune', instances, rate_interval)
                reply = promql_diff.prometheus_get(base, '/api/v1/query', query=filled, time=when)
                if not check(reply.get('status') == 'success', '%s: %s: %s' % (where, filled, reply.get('error'))):
                    continue
                result = reply['data']['result']
                check(result, '%s selects nothing: %s' % (where, filled))
                if panel is None or not is_rate_query(expr):
                    continue
                rate_queries += 1
                for instance, static in ((golden_instance, False), (tuned_instance, True)):
                    series = [s for s in result if s['metric'].get('instance') == instance]
                    if check(series, '%s: no series of the %s host %s: %s' % (
                            where, 'tuned' if static else 'golden', instance, filled)):
                        check_values(where, panel, expr, series, static, window)
            print('dashboards: %d queries answered by Prometheus over %d hosts, %d of them rates over '
                  '$__rate_interval=%s (%d+ scrapes of each host in it), checked value by value; %.1f s'
                  % (len(queries(dashboard)), len(targets), rate_queries, rate_interval, min(scrapes.values()),
                     time.monotonic() - started))
        finally:
            if prometheus is not None:
                promql_diff.stop_group(prometheus)
            for server in servers:
                server.shutdown()
    for problem in problems:
        print('dashboards: FAILED: ' + problem)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
