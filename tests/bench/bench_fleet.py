#!/usr/bin/env python3
"""Benchmark: `wgtune-advisor check --prometheus` over a fleet, against Prometheus evaluating
the same rules itself.

For each fleet size N, a real Prometheus scrapes N simulated hosts every 15 s (the shipped
deploy/prometheus/prometheus.yml's interval): each the guide's untuned 4-CPU host of
tests/fixtures/e2e/golden.prom (669 series), its counters climbing at the rates the fixture
states, served by one loopback server (instance labels host-0:10050 ... as Prometheus would
give N exporters). Prometheus also evaluates the rules as `export prometheus-rules` writes them.
Once every host has a minute of scrapes, this reports:

- the advisor's check: wall time, CPU time and peak memory, and the bytes Prometheus's query API
  sent it (what crossed the network);
- Prometheus's own evaluation of the same rules: the sum over its rule groups of
  prometheus_rule_group_last_duration_seconds.

It measures and reports; it does not pass or fail. Run it on the machine you care about.

Usage: bench_fleet.py ADVISOR_BINARY SOURCE_DIR [--hosts 10,100,300,1000] [--settle 75]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
from exposition import ClimbingHost, fetch, free_port, serve_metrics, stop, wait_for  # noqa: E402

SCRAPE_INTERVAL = 15


def prometheus_metric(base, name):
    """The sum of a metric of Prometheus's own /metrics."""
    total = 0.0
    for line in fetch(base + '/metrics', timeout=30).splitlines():
        if line.startswith(name + '{') or line.startswith(name + ' '):
            total += float(line.rsplit(' ', 1)[1])
    return total


def query(base, expr):
    url = base + '/api/v1/query?' + urllib.parse.urlencode({'query': expr})
    with urllib.request.urlopen(url, timeout=60) as response:
        result = json.loads(response.read())['data']['result']
    return float(result[0]['value'][1]) if result else 0.0


def run_fleet(advisor, source, root, hosts, settle):
    golden = open(os.path.join(source, 'tests/fixtures/e2e/golden.prom')).read()
    host = ClimbingHost(golden)  # every host alike; instance labels tell them apart
    server = serve_metrics(host.body)
    rules = os.path.join(root, 'wgtune-rules.yml')
    exported = subprocess.run([advisor, 'export', 'prometheus-rules', '--rules', os.path.join(source, 'rules')],
                              capture_output=True, text=True, check=True)
    with open(rules, 'w') as out:
        out.write(exported.stdout)
    config = os.path.join(root, 'prometheus.yml')
    with open(config, 'w') as out:
        out.write('global:\n  scrape_interval: %ds\n  evaluation_interval: %ds\n' % (SCRAPE_INTERVAL, SCRAPE_INTERVAL))
        out.write('rule_files:\n  - %s\n' % rules)
        out.write('scrape_configs:\n  - job_name: wgtune\n    static_configs:\n      - targets:\n')
        out.writelines('          - "host-%d:10050"\n' % i for i in range(hosts))
        # Every target is the one server; the instance label stays the host's own.
        out.write('    relabel_configs:\n'
                  '      - source_labels: [__address__]\n        target_label: instance\n'
                  '      - target_label: __address__\n        replacement: 127.0.0.1:%d\n' % server.server_address[1])
    tsdb = os.path.join(root, 'tsdb-%d' % hosts)
    port = free_port()
    base = 'http://127.0.0.1:%d' % port
    log_path = os.path.join(root, 'prometheus-%d.log' % hosts)
    log = open(log_path, 'w')
    prometheus = subprocess.Popen(['prometheus', '--config.file=' + config, '--storage.tsdb.path=' + tsdb,
                                   '--web.listen-address=127.0.0.1:%d' % port, '--log.level=warn'],
                                  stdout=log, stderr=log)
    try:
        wait_for(lambda: query(base, 'count(up == 1)') == hosts, 60 + hosts / 20, '%d targets up' % hosts)
        time.sleep(settle)  # a minute of scrapes for every host: the rules' window
        rule_seconds = prometheus_metric(base, 'prometheus_rule_group_last_duration_seconds')
        sent_before = prometheus_metric(base, 'prometheus_http_response_size_bytes_sum')
        out_path, err_path = os.path.join(root, 'check.json'), os.path.join(root, 'check.err')
        started = time.monotonic()
        with open(out_path, 'w') as out, open(err_path, 'w') as err:
            process = subprocess.Popen([advisor, 'check', '--prometheus', base, '--rules', os.path.join(source, 'rules'),
                                        '--format', 'json', '--scrape.timeout', '120s'], stdout=out, stderr=err)
            _, status, usage = os.wait4(process.pid, 0)  # the child's own CPU time and peak memory
        wall = time.monotonic() - started
        sent = prometheus_metric(base, 'prometheus_http_response_size_bytes_sum') - sent_before
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            raise SystemExit('check failed (%d): %s' % (code, open(err_path).read()[-2000:]))
        report = json.load(open(out_path))
        return {'hosts': hosts, 'checked': len(report['hosts']), 'findings': len(report['findings']),
                'wall': wall, 'cpu': usage.ru_utime + usage.ru_stime, 'rss_mb': usage.ru_maxrss / 1024,
                'rule_seconds': rule_seconds, 'sent': sent}
    finally:
        stop(prometheus)
        log.close()
        server.shutdown()
        server.server_close()
        shutil.rmtree(tsdb, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('advisor')
    parser.add_argument('source')
    parser.add_argument('--hosts', default='10,100,300,1000')
    parser.add_argument('--settle', type=float, default=75)
    args = parser.parse_args()
    advisor, source = os.path.abspath(args.advisor), os.path.abspath(args.source)
    rows = []
    with tempfile.TemporaryDirectory(prefix='wgtune-bench-fleet-') as root:
        for hosts in (int(n) for n in args.hosts.split(',')):
            row = run_fleet(advisor, source, root, hosts, args.settle)
            print(json.dumps(row), file=sys.stderr)
            rows.append(row)
    print('| hosts | check --prometheus | per host | advisor CPU | advisor peak RSS | sent by the query API '
          '| Prometheus, its rule groups |')
    print('|---|---|---|---|---|---|---|')
    for row in rows:
        print('| %d | %.2f s | %.1f ms | %.2f s | %.0f MB | %.1f MB | %.2f s |'
              % (row['hosts'], row['wall'], 1000 * row['wall'] / row['hosts'], row['cpu'], row['rss_mb'],
                 row['sent'] / 1e6, row['rule_seconds']))


if __name__ == '__main__':
    main()
