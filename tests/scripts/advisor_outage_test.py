#!/usr/bin/env python3
"""`wgtune-advisor run` through outages of its peers, with real processes stopped and started.

1. Alertmanager stopped and started again with empty storage while `run --alertmanager` runs:
   the alerts are in Alertmanager again once it is back; the log has one "alertmanager down"
   line and one "alertmanager recovered" line however many evaluations the outage lasted.
2. Prometheus frozen (SIGSTOP: it accepts connections and answers nothing, a slow server at its
   worst) and then stopped, while `run --prometheus` runs: evaluations keep their 1 s schedule
   throughout (each one's reads are cut at 3/4 of the interval, whatever --scrape.timeout
   says), one "prometheus down" line per outage, one "prometheus recovered" line.
3. An exporter that sends its headers and part of the body, then nothing, beside a good one:
   evaluations keep their schedule, the hung target is reported (wgtune_advisor_host_up 0, one
   "host down" line) and the good one is read.
Usage: advisor_outage_test.py BINARY SOURCE_DIR
"""
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from exposition import ClimbingHost, fetch, free_port, parse, serve_metrics, stop, tail, wait_for

binary, source = sys.argv[1], sys.argv[2]
ALERTMANAGER = shutil.which('prometheus-alertmanager') or shutil.which('alertmanager')


def write(path, text):
    with open(path, 'w') as out:
        out.write(text)
    return path


def count(log_path, message):
    return sum(1 for line in open(log_path) if 'msg="%s"' % message in line)


class Advisor:
    def __init__(self, root, name, rules, *args):
        self.port = free_port()
        self.log = os.path.join(root, name + '.log')
        with open(self.log, 'w') as log:
            self.process = subprocess.Popen(
                [binary, 'run', '--rules', rules, '--interval', '1s', '--window', '3s',
                 '--web.listen-address', '127.0.0.1:%d' % self.port] + list(args), stdout=log, stderr=log)

    def metrics(self):
        assert self.process.poll() is None, 'advisor exited: ' + tail(self.log)
        return parse(fetch('http://127.0.0.1:%d/metrics' % self.port))

    def value(self, name, **labels):
        found = [v for (n, ls), v in self.metrics().items() if n == name and set(labels.items()) <= ls]
        return found[0] if found else None

    def evaluations(self):
        return self.value('wgtune_advisor_evaluations_total') or 0

    def schedule_kept(self, seconds, what):
        """Over `seconds`, evaluations keep the 1 s interval: the mean time between them (from the
        advisor's own last-evaluation timestamps) is within 10 % of it. Measured from 2.5 s into
        the outage: the first evaluation it hits ends later than the one before (by the 0.75 s
        its reads may take), which is no delay of the schedule."""
        time.sleep(2.5)

        def now():
            return self.evaluations(), self.value('wgtune_advisor_last_evaluation_timestamp_seconds')
        (count0, time0), start = now(), time.monotonic()
        time.sleep(seconds)
        count1, time1 = now()
        done = count1 - count0
        period = (time1 - time0) / done if done else float('inf')
        print('%s: %d evaluations in %.1f s, one every %.3f s' % (what, done, time.monotonic() - start, period))
        assert done >= seconds - 1.5 and period < 1.1, '%s: %d evaluations, one every %.3f s: %s' % (
            what, done, period, tail(self.log))


class Alertmanager:
    def __init__(self, root):
        self.root, self.port = root, free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.config = write(os.path.join(root, 'am.yml'), 'route: {receiver: none}\nreceivers: [{name: none}]\n')
        self.process, self.starts = None, 0

    def start(self):
        self.starts += 1
        storage = os.path.join(self.root, 'am-data-%d' % self.starts)  # empty: a restart that lost its state
        with open(os.path.join(self.root, 'am.log'), 'a') as log:
            self.process = subprocess.Popen(
                [ALERTMANAGER, '--config.file=' + self.config, '--storage.path=' + storage,
                 '--web.listen-address=127.0.0.1:%d' % self.port, '--cluster.listen-address='],
                stdout=log, stderr=log, start_new_session=True)
        wait_for(lambda: fetch(self.url + '/-/ready'), 30, 'alertmanager ready')

    def alerts(self, instance):
        return [a for a in json.loads(fetch(self.url + '/api/v2/alerts')) if a['labels'].get('instance') == instance]


class Prometheus:
    def __init__(self, root, instance):
        self.root, self.port = root, free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.config = write(os.path.join(root, 'prometheus.yml'), '\n'.join([
            'global: {scrape_interval: 1s}', 'scrape_configs:', '  - job_name: wgtune',
            '    static_configs: [{targets: ["%s"]}]' % instance, '']))
        self.process = None

    def start(self):
        with open(os.path.join(self.root, 'prometheus.log'), 'a') as log:
            self.process = subprocess.Popen(
                ['prometheus', '--config.file=' + self.config, '--storage.tsdb.path=' + os.path.join(self.root, 'tsdb'),
                 '--web.listen-address=127.0.0.1:%d' % self.port, '--log.level=warn'],
                stdout=log, stderr=log, start_new_session=True)

        def scraping():
            body = json.loads(fetch(self.url + '/api/v1/query?query=wgtune_scrape_collector_success'))
            return body['data']['result']
        wait_for(scraping, 60, 'prometheus scraping the fixture')


def hanging_exporter():
    """Answers every scrape with headers and the start of a body, then nothing until closed."""
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(16)
    connections = []

    def serve():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connections.append(connection)
            try:
                connection.recv(4096)
                connection.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n'
                                   b'Content-Length: 100000\r\n\r\n# HELP wgtune_scrape_collector_success')
            except OSError:
                pass
    threading.Thread(target=serve, daemon=True).start()
    return listener, connections


def main():
    assert ALERTMANAGER, 'prometheus-alertmanager not found; run deploy/bootstrap.sh --test'
    root = tempfile.mkdtemp(prefix='wgtune-advisor-outage-')
    advisors, others, servers = [], [], []
    try:
        rules = os.path.join(root, 'rules')
        os.makedirs(rules)
        for path in glob.glob(os.path.join(source, 'rules/*.toml')):
            write(os.path.join(rules, os.path.basename(path)),
                  re.sub(r'(?m)^(\s*for\s*=\s*)"[^"]*"', r'\g<1>"0s"', open(path).read()))
        golden = open(os.path.join(source, 'tests/fixtures/e2e/golden.prom')).read()
        fixture = serve_metrics(ClimbingHost(golden).body)
        servers.append(fixture)
        instance = '127.0.0.1:%d' % fixture.server_address[1]

        # 1. Alertmanager down and back.
        manager = Alertmanager(root)
        manager.start()
        others.append(manager)
        advisor = Advisor(root, 'run-alertmanager', rules, '--target', instance, '--alertmanager', manager.url)
        advisors.append(advisor)
        wait_for(lambda: manager.alerts(instance), 30, 'alerts in alertmanager')
        time.sleep(4)  # past the window: the rules over rates have fired too
        first = {a['labels']['alertname'] for a in manager.alerts(instance)}
        stop(manager.process)
        advisor.schedule_kept(4, 'alertmanager stopped')
        assert count(advisor.log, 'alertmanager down') == 1, tail(advisor.log)
        failed = advisor.value('wgtune_advisor_notifications_failed_total', alertmanager=manager.url)
        assert failed >= 3, 'posts failed while it was down: %s' % failed
        manager.start()  # empty storage
        again = wait_for(lambda: first <= {a['labels']['alertname'] for a in manager.alerts(instance)}, 30,
                         'every alert back in the restarted alertmanager: %s' % sorted(first)) and manager.alerts(instance)
        time.sleep(2)
        assert count(advisor.log, 'alertmanager down') == 1, tail(advisor.log)
        assert count(advisor.log, 'alertmanager recovered') == 1, tail(advisor.log)
        print('alertmanager: %d alerts delivered again after the restart; one down, one recovered line' % len(again))
        stop(advisor.process)

        # 2. Prometheus frozen, then stopped.
        prometheus = Prometheus(root, instance)
        prometheus.start()
        others.append(prometheus)
        advisor = Advisor(root, 'run-prometheus', rules, '--prometheus', prometheus.url, '--scrape.timeout', '30s')
        advisors.append(advisor)
        wait_for(lambda: advisor.value('wgtune_advisor_host_up', instance=instance) == 1, 30, 'host read through prometheus')
        os.kill(prometheus.process.pid, signal.SIGSTOP)
        try:
            advisor.schedule_kept(5, 'prometheus frozen')
            assert count(advisor.log, 'prometheus down') == 1, tail(advisor.log)
        finally:
            os.kill(prometheus.process.pid, signal.SIGCONT)
        wait_for(lambda: count(advisor.log, 'prometheus recovered') == 1, 15, 'prometheus recovered')
        stop(prometheus.process)
        advisor.schedule_kept(4, 'prometheus stopped')
        assert count(advisor.log, 'prometheus down') == 2, tail(advisor.log)  # a second outage
        print('prometheus: frozen and stopped, schedule kept; %s' % [
            line.split('msg=')[1][:60] for line in open(advisor.log) if 'msg="prometheus' in line])
        stop(advisor.process)

        # 3. An exporter that hangs mid-response beside a good one.
        listener, connections = hanging_exporter()
        hung = '127.0.0.1:%d' % listener.getsockname()[1]
        advisor = Advisor(root, 'run-hung-target', rules, '--target', instance, '--target', hung,
                          '--scrape.timeout', '30s')
        advisors.append(advisor)
        wait_for(lambda: advisor.evaluations() >= 1, 15, 'a first evaluation')
        advisor.schedule_kept(5, 'an exporter hanging mid-response')
        assert advisor.value('wgtune_advisor_host_up', instance=hung) == 0, advisor.metrics()
        assert advisor.value('wgtune_advisor_host_up', instance=instance) == 1, advisor.metrics()
        downs = [line for line in open(advisor.log) if 'msg="host down"' in line]
        assert len(downs) == 1 and hung in downs[0], tail(advisor.log)
        assert 'no complete answer' in downs[0], downs[0]
        print('hung exporter:', downs[0].strip())
        stop(advisor.process)
        listener.close()
        for connection in connections:
            connection.close()
        print('advisor_outages: ok')
    finally:
        for advisor in advisors:
            stop(advisor.process)
        for other in others:
            if other.process is not None:
                try:
                    os.kill(other.process.pid, signal.SIGCONT)
                except OSError:
                    pass
                stop(other.process)
        for server in servers:
            server.shutdown()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == '__main__':
    main()
