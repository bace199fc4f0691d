#!/usr/bin/env python3
"""`wgtune-advisor run` against two real Alertmanagers and a webhook receiver.

A fixture exporter serves the untuned golden host under load (its counters climbing at the rates
the fixture states); the rules' `for` is cut to 2s and their window to 3s. Checks that
irq-single-core is pending first (and not sent), then firing; that both Alertmanagers of an
(unclustered) HA pair hold the alert with the advisor's labels and annotations and notify the
webhook; that an Alertmanager restarted with empty storage gets the alert back with its
original startsAt; that the advisor's /metrics count the posts and the host; that after the
host is tuned the alert resolves in both Alertmanagers and the webhook hears "resolved"; and
that SIGTERM stops the advisor with exit code 0.
Usage: advisor_alertmanager_test.py BINARY SOURCE_DIR
"""
import datetime
import glob
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from exposition import ClimbingHost, fetch, free_port, parse, serve_metrics, stop, tail, wait_for as until

binary, source = sys.argv[1], sys.argv[2]
ALERTMANAGER = shutil.which('prometheus-alertmanager') or shutil.which('alertmanager')
RULE, ALERTNAME = 'irq-single-core', 'IrqSingleCore'
RUNBOOK = 'https://example.test/rules.md'
REMEDIATION_LINE = 'echo 1 > /proc/irq/25/smp_affinity'
DEADLINE = 20  # seconds for each step


def unix(rfc3339):
    """RFC 3339 (Alertmanager may write up to nanoseconds) to unix seconds."""
    text = re.sub(r'(\.\d{6})\d+', r'\1', rfc3339.replace('Z', '+00:00'))
    return datetime.datetime.fromisoformat(text).timestamp()


class Webhook(http.server.BaseHTTPRequestHandler):
    """Alertmanager's webhook receiver: records every notification."""
    received = []
    lock = threading.Lock()

    def do_POST(self):
        payload = json.loads(self.rfile.read(int(self.headers.get('Content-Length', 0))))
        with Webhook.lock:
            Webhook.received.append(payload)
        self.send_response(200)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def log_message(self, *args):
        pass


def notifications():
    with Webhook.lock:
        return list(Webhook.received)


class Alertmanager:
    def __init__(self, root, name, webhook_url):
        self.root, self.name, self.port = root, name, free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.storage = os.path.join(root, name + '-data')
        self.config = os.path.join(root, name + '.yml')
        self.log_path = os.path.join(root, name + '.log')
        self.process = None
        with open(self.config, 'w') as config:
            config.write('\n'.join([
                'route:',
                '  receiver: webhook',
                '  group_by: [alertname, instance]',
                '  group_wait: 1s',
                '  group_interval: 1s',
                '  repeat_interval: 1h',
                'receivers:',
                '  - name: webhook',
                '    webhook_configs:',
                '      - url: %s' % webhook_url,
                '        send_resolved: true',
                '']))

    def start(self):
        os.makedirs(self.storage, exist_ok=True)
        with open(self.log_path, 'a') as log:
            self.process = subprocess.Popen(
                [ALERTMANAGER, '--config.file=' + self.config, '--storage.path=' + self.storage,
                 '--web.listen-address=127.0.0.1:%d' % self.port, '--web.external-url=' + self.url,
                 '--cluster.listen-address='], stdout=log, stderr=log)

    def wait_ready(self):
        def ready():
            assert self.process.poll() is None, '%s exited with %s' % (self.name, self.process.returncode)
            with urllib.request.urlopen(self.url + '/-/ready', timeout=2) as response:
                return response.status == 200
        until(ready, DEADLINE, self.name + ' /-/ready')

    def stop(self):
        if self.process is not None:
            stop(self.process)

    def alerts(self):
        """The alerts Alertmanager lists by default (the unresolved ones)."""
        return json.loads(fetch(self.url + '/api/v2/alerts'))

    def irq_alerts(self):
        return [a for a in self.alerts() if a['labels'].get('alertname') == ALERTNAME]


def main():
    assert ALERTMANAGER, 'prometheus-alertmanager not found; run deploy/bootstrap.sh --test'
    golden = open(os.path.join(source, 'tests/fixtures/e2e/golden.prom')).read()
    tuned = open(os.path.join(source, 'tests/fixtures/advisor/tuned.prom')).read()
    timings = {}
    began = time.monotonic()

    def mark(step):
        timings[step] = time.monotonic() - began

    root = tempfile.mkdtemp(prefix='wgtune-advisor-am-')
    servers, managers, advisor = [], [], None
    advisor_log = os.path.join(root, 'advisor.log')
    try:
        # 1. The rules, with every `for` cut to 2s.
        rules = os.path.join(root, 'rules')
        os.makedirs(rules)
        cut = 0
        for path in glob.glob(os.path.join(source, 'rules/*.toml')):
            text, count = re.subn(r'(?m)^(\s*for\s*=\s*)"[^"]*"', r'\g<1>"2s"', open(path).read())
            cut += count
            open(os.path.join(rules, os.path.basename(path)), 'w').write(text)
        assert cut > 0, 'no `for = "..."` found in the rules'

        # 2, 3. The exporter and the webhook.
        host = ClimbingHost(golden)
        fixture = serve_metrics(host.body)
        webhook = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Webhook)
        webhook.daemon_threads = True
        threading.Thread(target=webhook.serve_forever, daemon=True).start()
        servers += [fixture, webhook]
        instance = '127.0.0.1:%d' % fixture.server_address[1]
        webhook_url = 'http://127.0.0.1:%d/hook' % webhook.server_address[1]

        # 4. Two Alertmanagers, not clustered: the advisor must tell each itself.
        managers = [Alertmanager(root, 'am1', webhook_url), Alertmanager(root, 'am2', webhook_url)]
        for manager in managers:
            manager.start()
        for manager in managers:
            manager.wait_ready()
        am1, am2 = managers
        mark('alertmanagers ready')

        # 5. The advisor.
        advisor_port = free_port()
        advisor_url = 'http://127.0.0.1:%d' % advisor_port
        started = time.time()
        with open(advisor_log, 'w') as log:
            advisor = subprocess.Popen(
                [binary, 'run', '--rules', rules, '--target', instance, '--alertmanager', am1.url,
                 '--alertmanager', am2.url, '--interval', '1s', '--window', '3s', '--runbook.base-url', RUNBOOK,
                 '--web.listen-address', '127.0.0.1:%d' % advisor_port, '--web.external-url', advisor_url + '/'],
                stdout=log, stderr=log)

        def metrics():
            assert advisor.poll() is None, 'advisor exited with %s' % advisor.returncode
            return parse(fetch(advisor_url + '/metrics'))

        def value(samples, name, **labels):
            """The value of the one series of name whose labels include labels (None if none)."""
            found = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls]
            assert len(found) <= 1, 'several %s series match %s' % (name, labels)
            return found[0] if found else None

        def state_count(samples, state):
            return value(samples, 'wgtune_advisor_findings', rule=RULE, severity='critical', state=state)

        # 6a. Pending first, and not sent while pending. No evaluation can make it firing before
        # started + 2s (it became active at or after `started`), so until then the
        # Alertmanagers must not have it.
        saw_pending = False
        while True:
            try:
                samples = metrics()
            except OSError:
                samples = {}
            if state_count(samples, 'firing'):
                break
            if state_count(samples, 'pending') == 1:
                if not saw_pending:
                    mark('pending seen')
                    assert value(samples, 'wgtune_advisor_finding', rule=RULE, state='pending', device='enP30832s1',
                                 cpu='1', driver='mlx5_core', instance=instance, job='wgtune') == 1, samples
                saw_pending = True
                if time.time() < started + 1.8:
                    for manager in managers:
                        assert not manager.irq_alerts(), '%s got %s while it was pending' % (manager.name, ALERTNAME)
            assert time.time() < started + DEADLINE, 'irq-single-core never became firing'
            time.sleep(0.05)
        mark('firing')
        assert saw_pending, 'irq-single-core was firing without first being pending for its for (2s)'
        fired = time.time()
        assert fired >= started + 2, 'firing %.2fs after start, before its for of 2s' % (fired - started)
        assert value(samples, 'wgtune_advisor_finding', rule=RULE, state='firing', device='enP30832s1',
                     instance=instance, job='wgtune') == 1, 'no firing wgtune_advisor_finding for ' + RULE

        # 6b. Both Alertmanagers hold the alert, as the advisor labelled and annotated it.
        want_labels = {'alertname': ALERTNAME, 'rule': RULE, 'severity': 'critical', 'device': 'enP30832s1',
                       'cpu': '1', 'driver': 'mlx5_core', 'instance': instance, 'job': 'wgtune'}

        def check_alert(manager):
            alerts = manager.irq_alerts()
            if not alerts:
                return None
            assert len(alerts) == 1, '%s: %d %s alerts' % (manager.name, len(alerts), ALERTNAME)
            alert = alerts[0]
            labels, annotations = alert['labels'], alert['annotations']
            assert {k: labels.get(k) for k in want_labels} == want_labels, (manager.name, labels)
            assert REMEDIATION_LINE in annotations.get('remediation', '').splitlines(), annotations.get('remediation')
            assert annotations.get('runbook_url') == RUNBOOK + '#' + RULE, annotations.get('runbook_url')
            assert annotations.get('summary', '').strip(), 'empty summary'
            assert 'enP30832s1' in annotations['summary'], annotations['summary']
            for key in ('description', 'verify', 'guide'):
                assert annotations.get(key, '').strip(), 'empty or missing annotation ' + key
            assert alert.get('generatorURL') == advisor_url + '/', alert.get('generatorURL')
            assert alert['status']['state'] == 'active', alert['status']
            now = time.time()
            assert unix(alert['startsAt']) < now, ('startsAt in the future', alert['startsAt'])
            assert unix(alert['startsAt']) >= started, ('startsAt before the advisor started', alert['startsAt'])
            assert now < unix(alert['endsAt']) <= now + 4 * 1 + 2, ('endsAt not a few intervals ahead', alert['endsAt'])
            return alert

        first = {m.name: until(lambda: check_alert(m), DEADLINE, m.name + ' to hold ' + ALERTNAME) for m in managers}
        mark('both alertmanagers hold it')
        starts_at = first['am1']['startsAt']
        assert first['am2']['startsAt'] == starts_at, ('startsAt differ', first['am1']['startsAt'], starts_at)
        # Re-posts every interval push endsAt forward and keep startsAt.
        later = until(lambda: (lambda a: a if a and unix(a['endsAt']) > unix(first['am2']['endsAt']) else None)(
            check_alert(am2)), DEADLINE, 'endsAt to move forward with the re-posts')
        assert later['startsAt'] == starts_at, ('startsAt changed across re-posts', starts_at, later['startsAt'])

        # 6c. The webhook heard "firing" from both, with the remediation.
        def firing_from(manager):
            for payload in notifications():
                if payload.get('externalURL', '').rstrip('/') != manager.url or payload.get('status') != 'firing':
                    continue
                for alert in payload.get('alerts', []):
                    if (alert['labels'].get('alertname') == ALERTNAME and alert['status'] == 'firing'
                            and REMEDIATION_LINE in alert['annotations'].get('remediation', '')):
                        return alert
            return None

        for manager in managers:
            until(lambda: firing_from(manager), DEADLINE, 'a firing webhook notification from ' + manager.name)
        mark('webhook firing from both')

        # 6d. Alertmanager #1 restarts with nothing: the advisor's re-posts bring the alert back.
        am1.stop()
        shutil.rmtree(am1.storage)
        am1.start()
        am1.wait_ready()
        mark('am1 restarted empty')
        back = until(lambda: check_alert(am1), DEADLINE, 'restarted am1 to get ' + ALERTNAME + ' back')
        mark('am1 has it back')
        assert back['startsAt'] == starts_at, ('startsAt not kept across the restart', starts_at, back['startsAt'])

        # 6e. The advisor's own metrics.
        samples = metrics()
        for manager in managers:
            sent = value(samples, 'wgtune_advisor_notifications_total', alertmanager=manager.url)
            assert sent and sent > 0, ('no posts counted for', manager.url, sent)
        assert value(samples, 'wgtune_advisor_notifications_failed_total', alertmanager=am2.url) == 0, \
            'posts to the Alertmanager that stayed up failed'
        assert value(samples, 'wgtune_advisor_host_up', instance=instance) == 1, 'host_up is not 1'
        assert value(samples, 'wgtune_advisor_evaluations_total') >= 3

        # 6f. The host is tuned: the alert resolves everywhere.
        resolved_at = time.time()
        host.switch(tuned)

        def resolved_in(manager):
            now = time.time()
            return not [a for a in manager.irq_alerts() if unix(a['endsAt']) > now]

        for manager in managers:
            until(lambda: resolved_in(manager), DEADLINE, ALERTNAME + ' to resolve in ' + manager.name)
        mark('resolved in both alertmanagers')

        def resolved_from(manager):
            for payload in notifications():
                if payload.get('externalURL', '').rstrip('/') != manager.url:
                    continue
                for alert in payload.get('alerts', []):
                    if alert['labels'].get('alertname') == ALERTNAME and alert['status'] == 'resolved':
                        return alert
            return None

        for manager in managers:
            alert = until(lambda: resolved_from(manager), DEADLINE, 'a resolved webhook notification from ' + manager.name)
            ends = unix(alert['endsAt'])
            # endsAt is the evaluation that saw the host tuned (within the 3 s window of the switch,
            # and an interval), not the expiry of the last firing post.
            assert resolved_at - 0.5 <= ends <= resolved_at + 5, \
                ('resolved endsAt %.2fs after the switch' % (ends - resolved_at), alert['endsAt'])
        mark('webhook resolved from both')

        def cleared():
            samples = metrics()
            still = {k: v for k, v in samples.items() if k[0] == 'wgtune_advisor_findings' and v}
            return (state_count(samples, 'firing') == 0 and state_count(samples, 'pending') == 0
                    and value(samples, 'wgtune_advisor_finding', rule=RULE) is None and not still and samples)

        # The tuned host has no finding at all once its window holds only tuned samples: nothing
        # firing, nothing left active anywhere.
        until(cleared, DEADLINE, 'the advisor to count no finding on the tuned host')
        for manager in managers:
            now = time.time()
            active = [a['labels']['alertname'] for a in manager.alerts() if unix(a['endsAt']) > now]
            assert not active, (manager.name, 'still has active alerts', active)
        mark('advisor cleared')
    except BaseException:
        sys.stderr.write('--- advisor log\n%s--- am1 log\n%s--- am2 log\n%s' % (
            tail(advisor_log), tail(os.path.join(root, 'am1.log')), tail(os.path.join(root, 'am2.log'))))
        raise
    finally:
        code = None
        if advisor is not None:
            stopping = time.monotonic()
            code = stop(advisor)
            timings['advisor stop took'] = time.monotonic() - stopping
        for manager in managers:
            manager.stop()
        for server in servers:
            server.shutdown()
            server.server_close()
        shutil.rmtree(root, ignore_errors=True)

    assert code == 0, 'advisor exited with %s after SIGTERM' % code
    assert timings['advisor stop took'] < 5, 'advisor took %.1fs to stop' % timings['advisor stop took']
    print('advisor_alertmanager_test: ok; %d notifications; ' % len(notifications()) +
          ', '.join('%s %.1fs' % (k, v) for k, v in timings.items()))


main()
