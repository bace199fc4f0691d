#!/usr/bin/env python3
"""The advisor as a client of a real Prometheus and a real Alertmanager that require TLS and
basic auth (--web.config.file, exporter-toolkit's format), Prometheus also a client certificate
(client_auth_type: RequireAndVerifyClientCert), configured with files in Prometheus's
http_config format (--prometheus.http-config-file, --alertmanager.http-config-file).

Checks that `check --prometheus` reads the hosts through the TLS port with the right password
and certificate; that a wrong password is refused with the server's 401, a server certificate
from a CA the file does not name with the verification error, a client certificate of another
CA by the server, plain HTTP to the TLS port as a failure; each one line, exit 2; that a bad
configuration file is one line naming it, exit 2; that tls_config.server_name is the name the
certificate is checked against; that an exporter (node_exporter with the same
web configuration) is scraped with --target.http-config-file, and refused with a wrong
password; that `run --alertmanager` delivers its alert
over TLS with basic auth, and with a wrong password logs the outage once.
Usage: advisor_client_auth_test.py BINARY SOURCE_DIR
"""
import base64
import glob
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

from exposition import ClimbingHost, free_port, serve_metrics, stop, tail, wait_for
from tls_testing import bcrypt_hash, make_certificates

binary, source = sys.argv[1], sys.argv[2]
ALERTMANAGER = shutil.which('prometheus-alertmanager') or shutil.which('alertmanager')
PASSWORD = 'mesh-advisor-pw'


def write(path, text):
    with open(path, 'w') as out:
        out.write(text)
    return path


def https_get(url, certs, client=True, timeout=3):
    """GET over TLS trusting the test CA, with basic auth and (optionally) the client certificate."""
    context = ssl.create_default_context(cafile=certs.ca)
    if client:
        context.load_cert_chain(certs.client_cert, certs.client_key)
    request = urllib.request.Request(url, headers={
        'Authorization': 'Basic ' + base64.b64encode(('advisor:' + PASSWORD).encode()).decode()})
    with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
        return response.read().decode()


def advisor(*args, timeout=60):
    return subprocess.run([binary, '--rules', os.path.join(source, 'rules')] + list(args), capture_output=True,
                          text=True, timeout=timeout)


def main():
    root = tempfile.mkdtemp(prefix='wgtune-advisor-client-')
    processes, servers = [], []
    try:
        certs = make_certificates(os.path.join(root, 'certs'))
        hashed = bcrypt_hash(PASSWORD)
        golden = open(os.path.join(source, 'tests/fixtures/e2e/golden.prom')).read()
        fixture = serve_metrics(ClimbingHost(golden).body)
        servers.append(fixture)
        instance = '127.0.0.1:%d' % fixture.server_address[1]

        # A Prometheus scraping the fixture, serving its API over TLS with basic auth and a
        # required client certificate.
        prometheus_web = write(os.path.join(root, 'prometheus-web.yml'), '\n'.join([
            'tls_server_config:',
            '  cert_file: %s' % certs.server_cert,
            '  key_file: %s' % certs.server_key,
            '  client_auth_type: RequireAndVerifyClientCert',
            '  client_ca_file: %s' % certs.ca,
            'basic_auth_users:',
            '  advisor: %s' % hashed, '']))
        prometheus_config = write(os.path.join(root, 'prometheus.yml'), '\n'.join([
            'global: {scrape_interval: 1s}',
            'scrape_configs:',
            '  - job_name: wgtune',
            '    static_configs: [{targets: ["%s"]}]' % instance, '']))
        port = free_port()
        prometheus_url = 'https://127.0.0.1:%d' % port
        prometheus_log = os.path.join(root, 'prometheus.log')
        with open(prometheus_log, 'w') as log:
            processes.append(subprocess.Popen(
                ['prometheus', '--config.file=' + prometheus_config, '--storage.tsdb.path=' + os.path.join(root, 'tsdb'),
                 '--web.listen-address=127.0.0.1:%d' % port, '--web.config.file=' + prometheus_web,
                 '--log.level=warn'], stdout=log, stderr=log, start_new_session=True))

        def scraped():
            assert processes[0].poll() is None, tail(prometheus_log)
            body = json.loads(https_get(prometheus_url + '/api/v1/query?query=up', certs))
            return [r for r in body['data']['result'] if r['value'][1] == '1']
        wait_for(scraped, 60, 'prometheus scraping the fixture (up = 1) over its TLS API')
        # The server really demands the certificate: without one, Python's own request fails.
        try:
            https_get(prometheus_url + '/api/v1/query?query=up', certs, client=False)
            raise AssertionError('prometheus answered a request without a client certificate')
        except (ssl.SSLError, OSError):
            pass

        # The advisor's client configurations; relative paths are the file's directory's.
        configs = os.path.join(root, 'configs')
        os.makedirs(configs)
        write(os.path.join(configs, 'password'), PASSWORD + '\n')
        rel = lambda path: os.path.relpath(path, configs)  # noqa: E731

        def client_config(name, password_line, ca, cert, key):
            return write(os.path.join(configs, name + '.yml'), '\n'.join([
                'basic_auth:', '  username: advisor', '  ' + password_line,
                'tls_config:', '  ca_file: %s' % rel(ca), '  cert_file: %s' % rel(cert),
                '  key_file: %s' % rel(key), '  min_version: TLS12', '']))
        good = client_config('good', 'password_file: password', certs.ca, certs.client_cert, certs.client_key)
        wrong_password = client_config('wrong-password', 'password: not-it', certs.ca, certs.client_cert, certs.client_key)
        unknown_ca = client_config('unknown-ca', 'password_file: password', certs.other_ca, certs.client_cert,
                                   certs.client_key)
        other_client = client_config('other-client', 'password_file: password', certs.ca, certs.other_client_cert,
                                     certs.other_client_key)

        # 1. Right password and certificates: the hosts are read through Prometheus.
        result = advisor('check', '--prometheus', prometheus_url, '--prometheus.http-config-file', good,
                         '--format', 'json')
        assert result.returncode in (0, 1), 'check failed (%d): %s' % (result.returncode, result.stderr)
        hosts = json.loads(result.stdout)
        text = json.dumps(hosts)
        assert instance in text, 'the fixture host is not in the report: %s' % text[:2000]

        # 2. Each wrong credential: one line saying why, exit 2.
        def refused(config_args, *wanted, url=prometheus_url):
            result = advisor('check', '--prometheus', url, *config_args)
            lines = result.stderr.strip().splitlines()
            assert result.returncode == 2, 'exit %d: %s' % (result.returncode, result.stderr)
            assert len(lines) == 1, 'want one line, got: %r' % result.stderr
            for want in wanted:
                assert re.search(want, lines[0]), 'want %r in %r' % (want, lines[0])
            assert PASSWORD not in result.stderr and 'not-it' not in result.stderr, 'a password was printed'
            return lines[0]
        refused(['--prometheus.http-config-file', wrong_password], 'HTTP 401')
        refused(['--prometheus.http-config-file', unknown_ca], 'SSLServerVerification', 'issuer certificate')
        print('other client CA:', refused(['--prometheus.http-config-file', other_client], re.escape(prometheus_url)))
        print('no configuration:', refused([], 'SSLServerVerification'))
        # Plain HTTP to the TLS port: Go's server answers 400 "Client sent an HTTP request to an
        # HTTPS server."
        refused(['--prometheus.http-config-file', good], 'HTTP 400', url='http://127.0.0.1:%d' % port)
        # tls_config.server_name: the name the certificate must carry, not the URL's host.
        for name, works in (('localhost', True), ('other.example', False)):
            named = write(os.path.join(configs, 'named-%s.yml' % name),
                          open(good).read() + '  server_name: %s\n' % name)
            result = advisor('check', '--prometheus', prometheus_url, '--prometheus.http-config-file', named)
            if works:
                assert result.returncode in (0, 1), 'server_name %s: %s' % (name, result.stderr)
            else:
                assert result.returncode == 2 and 'certificate is not valid for other.example' in result.stderr, \
                    result.stderr
        # 3. A bad file: the flag and the file named, exit 2, before any request.
        bad = write(os.path.join(configs, 'bad.yml'), 'basic_auth:\n  username: advisor\n  pasword: x\n')
        refused(['--prometheus.http-config-file', bad], '--prometheus.http-config-file', re.escape(bad),
                'basic_auth.pasword: unknown key')
        missing_ca = write(os.path.join(configs, 'missing-ca.yml'), 'tls_config: {ca_file: nowhere.crt}\n')
        refused(['--prometheus.http-config-file', missing_ca], re.escape(os.path.join(configs, 'nowhere.crt')),
                'No such file')

        # 4. An exporter scraped over TLS with basic auth and a client certificate
        # (--target.http-config-file): node_exporter, with the same web configuration.
        node_port = free_port()
        node_log = os.path.join(root, 'node-exporter.log')
        with open(node_log, 'w') as log:
            processes.append(subprocess.Popen(
                [shutil.which('prometheus-node-exporter') or 'node_exporter', '--collector.disable-defaults',
                 '--collector.loadavg', '--web.listen-address=127.0.0.1:%d' % node_port,
                 '--web.config.file=' + prometheus_web], stdout=log, stderr=log, start_new_session=True))
        node_url = 'https://127.0.0.1:%d/metrics' % node_port
        wait_for(lambda: https_get(node_url, certs), 30, 'node_exporter over TLS: ' + tail(node_log))
        result = advisor('query', 'node_load1', '--target', node_url, '--target.http-config-file', good)
        assert result.returncode == 0, 'query --target over TLS failed (%d): %s' % (result.returncode, result.stderr)
        series = json.loads(result.stdout)['data']['result']
        assert [s['metric'].get('instance') for s in series] == ['127.0.0.1:%d' % node_port], result.stdout
        result = advisor('query', 'node_load1', '--target', node_url, '--target.http-config-file', wrong_password)
        assert result.returncode == 2 and 'HTTP 401' in result.stderr, (result.returncode, result.stderr)
        print('scraped over TLS with basic auth and a client certificate: node_load1 =', series[0]['value'][1])

        # 5. run --alertmanager to an Alertmanager behind TLS and basic auth.
        assert ALERTMANAGER, 'prometheus-alertmanager not found; run deploy/bootstrap.sh --test'
        am_web = write(os.path.join(root, 'am-web.yml'), '\n'.join([
            'tls_server_config:', '  cert_file: %s' % certs.server_cert, '  key_file: %s' % certs.server_key,
            'basic_auth_users:', '  advisor: %s' % hashed, '']))
        am_config = write(os.path.join(root, 'am.yml'), 'route: {receiver: none}\nreceivers: [{name: none}]\n')
        am_port = free_port()
        am_url = 'https://127.0.0.1:%d' % am_port
        am_log = os.path.join(root, 'am.log')
        with open(am_log, 'w') as log:
            processes.append(subprocess.Popen(
                [ALERTMANAGER, '--config.file=' + am_config, '--storage.path=' + os.path.join(root, 'am-data'),
                 '--web.listen-address=127.0.0.1:%d' % am_port, '--web.config.file=' + am_web,
                 '--cluster.listen-address='], stdout=log, stderr=log, start_new_session=True))
        wait_for(lambda: https_get(am_url + '/-/ready', certs, client=False), 30, 'alertmanager ready: ' + tail(am_log))
        am_good = client_config('am-good', 'password_file: password', certs.ca, certs.client_cert, certs.client_key)
        am_wrong = client_config('am-wrong', 'password: not-it', certs.ca, certs.client_cert, certs.client_key)
        rules = os.path.join(root, 'rules')
        os.makedirs(rules)
        for path in glob.glob(os.path.join(source, 'rules/*.toml')):
            text = re.sub(r'(?m)^(\s*for\s*=\s*)"[^"]*"', r'\g<1>"0s"', open(path).read())
            write(os.path.join(rules, os.path.basename(path)), text)

        def run(config, log_path):
            with open(log_path, 'w') as log:
                return subprocess.Popen(
                    [binary, 'run', '--rules', rules, '--target', instance, '--alertmanager', am_url,
                     '--alertmanager.http-config-file', config, '--interval', '1s', '--window', '3s',
                     '--web.listen-address', '127.0.0.1:%d' % free_port()], stdout=log, stderr=log)
        good_log = os.path.join(root, 'run-good.log')
        runner = run(am_good, good_log)
        processes.append(runner)

        def delivered():
            assert runner.poll() is None, tail(good_log)
            alerts = json.loads(https_get(am_url + '/api/v2/alerts', certs, client=False))
            return [a for a in alerts if a['labels'].get('instance') == instance]
        alerts = wait_for(delivered, 30, 'the advisor\'s alerts in the TLS Alertmanager')
        print('delivered over TLS with basic auth: %d alerts, e.g. %s' % (len(alerts), alerts[0]['labels']['alertname']))
        stop(runner)
        assert 'alertmanager down' not in open(good_log).read(), tail(good_log)

        wrong_log = os.path.join(root, 'run-wrong.log')
        runner = run(am_wrong, wrong_log)
        processes.append(runner)
        time.sleep(4)
        stop(runner)
        log = open(wrong_log).read()
        downs = [line for line in log.splitlines() if 'alertmanager down' in line]
        assert len(downs) == 1, 'want one "alertmanager down" line in 4 s of failing posts:\n' + log[-3000:]
        assert 'HTTP 401' in downs[0], downs[0]
        assert PASSWORD not in log and 'not-it' not in log, 'a password was logged'
        print('wrong password:', downs[0])
        print('advisor_client_auth: ok')
    finally:
        for process in processes:
            stop(process)
        for server in servers:
            server.shutdown()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == '__main__':
    main()
