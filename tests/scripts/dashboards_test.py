#!/usr/bin/env python3
"""The Grafana dashboard (dashboards/wgtune-host.json) against a real Prometheus.

- The committed JSON is what dashboards/generate.py writes (one source for the panels).
- Its shape is what Grafana imports: unique panel ids, every query on the `${datasource}`
  variable and on the `$job`/`$instance` selector, the variables and the annotation there.
- Every query of every panel, the annotation's and the variables' answer in a real
  Prometheus scraping the guide's fixture hosts (the golden host of tests/fixtures/e2e and the
  tuned host of tests/fixtures/advisor, as the exporter serves them), with `$job`, `$instance`
  and `$__rate_interval` as Grafana fills them in: no error, and at least one series (a panel
  whose query selects nothing on hosts that have every signal is a panel with a wrong name or
  label).
Usage: dashboards_test.py SOURCE_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

source = os.path.abspath(sys.argv[1])
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import advisor_promql_diff_test as promql_diff  # noqa: E402  (its fixture hosts and Prometheus helpers)
from exposition import serve_metrics  # noqa: E402

DASHBOARD = os.path.join(source, 'dashboards/wgtune-host.json')
SELECTOR = 'job=~"$job", instance=~"$instance"'
problems = []


def check(condition, message):
    if not condition:
        problems.append(message)
    return condition


def queries(dashboard):
    """(where, expr) of every query: panels' targets, the annotation, the variables' metric."""
    found = []
    for panel in dashboard['panels']:
        for target in panel.get('targets', []):
            found.append(('panel %r %s' % (panel['title'], target['refId']), target['expr']))
    for annotation in dashboard['annotations']['list']:
        found.append(('annotation %r' % annotation['name'], annotation['expr']))
    for variable in dashboard['templating']['list']:
        match = re.fullmatch(r'label_values\((.+), (\w+)\)', variable['query']['query']) \
            if isinstance(variable.get('query'), dict) else None
        if match:
            found.append(('variable %s' % variable['name'], match.group(1)))
    return found


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
    for where, expr in queries(dashboard):
        if not where.startswith('variable'):
            check(SELECTOR in expr, '%s: not on the dashboard\'s hosts: %s' % (where, expr))


def grafana_fill(expr, job, instance_regex):
    return expr.replace('$job', job).replace('$instance', instance_regex).replace('$__rate_interval', '1m')


def main():
    if not shutil.which('prometheus'):
        sys.exit('dashboards: prometheus not found; install Prometheus (deploy/bootstrap.sh --test)')
    generated = subprocess.run([sys.executable, os.path.join(source, 'dashboards/generate.py'), '--check'],
                               capture_output=True, text=True)
    check(generated.returncode == 0, generated.stdout + generated.stderr)
    dashboard = json.load(open(DASHBOARD))
    check_shape(dashboard)

    hosts = [host for host in promql_diff.build_hosts(source) if host[0] in ('golden', 'tuned')]
    servers, prometheus = [], None
    with tempfile.TemporaryDirectory(prefix='wgtune-dashboards-') as root:
        try:
            for _, text in hosts:
                servers.append(serve_metrics(lambda body=text.encode(): body))
            targets = ['127.0.0.1:%d' % server.server_address[1] for server in servers]
            prometheus, base, log_path = promql_diff.start_prometheus(root, targets)
            promql_diff.wait_for_scrapes(base, prometheus, log_path, len(hosts))
            instances = '|'.join(targets)  # Grafana's multi-value regex of the chosen hosts
            for where, expr in queries(dashboard):
                filled = grafana_fill(expr, 'wgtune', instances)
                reply = promql_diff.prometheus_get(base, '/api/v1/query', query=filled)
                if check(reply.get('status') == 'success', '%s: %s: %s' % (where, filled, reply.get('error'))):
                    # The fixture hosts never change their knobs: no annotation is right there.
                    check(reply['data']['result'] or where.startswith('annotation'),
                          '%s selects nothing: %s' % (where, filled))
            print('dashboards: %d queries answered by Prometheus over %d hosts' % (len(queries(dashboard)), len(hosts)))
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
