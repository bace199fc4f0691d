#!/usr/bin/env python3
"""The exporter's --web.config.file against real clients: TLS, basic auth and client certificates
in exporter-toolkit's format, repeatable --web.listen-address with IPv6.

A real Prometheus scrapes the exporter over TLS with basic auth (up = 1); a wrong password gets
401; plain HTTP to the TLS port fails; the IPv6 address answers; a server certificate replaced
on disk is served without a restart; after the file is changed to RequireAndVerifyClientCert,
a client certificate of the trusted CA is accepted and one of another CA refused, without a
restart either (the file is re-read on every connection, as exporter-toolkit does).
With ADVISOR, `wgtune-advisor run` serves its /metrics with the same file: 401 without the
password, 200 with it, over TLS.
Usage: web_tls_test.py EXPORTER SOURCE_DIR [ADVISOR]
"""
import base64
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from exposition import free_port, stop, tail, wait_for  # noqa: E402
from tls_testing import make_certificates  # noqa: E402

exporter, source = sys.argv[1], sys.argv[2]
advisor = sys.argv[3] if len(sys.argv) > 3 else None
fixtures = os.path.join(source, 'tests/fixtures/e2e/sample1')
# exporter-toolkit's test user (web/testdata/web_config_users.good.yml): carol / carol123.
USER, PASSWORD = 'carol', 'carol123'
HASH = '$2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu'


def web_config(path, certs, client_auth=None):
    text = ('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n'
            'basic_auth_users:\n  %s: %s\n' % (USER, HASH))
    if client_auth:
        text = text.replace('tls_server_config:\n', 'tls_server_config:\n  client_auth_type: %s\n'
                            '  client_ca_file: %s\n' % (client_auth, certs.ca))
    # Written whole and renamed, as a configuration manager does, so no reader sees half a file.
    with open(path + '.new', 'w') as out:
        out.write(text)
    os.replace(path + '.new', path)


def get(url, context, password=PASSWORD):
    request = urllib.request.Request(url)
    token = base64.b64encode(('%s:%s' % (USER, password)).encode()).decode()
    request.add_header('Authorization', 'Basic ' + token)
    with urllib.request.urlopen(request, timeout=5, context=context) as response:
        return response.status, response.read().decode()


def status_of(url, context, password=PASSWORD):
    try:
        return get(url, context, password)[0]
    except urllib.error.HTTPError as error:
        return error.code


def context_for(ca, cert=None, key=None):
    context = ssl.create_default_context(cafile=ca)
    if cert:
        context.load_cert_chain(cert, key)
    return context


def served_certificate(port):
    """The PEM certificate the server presents now (not verified: it is what is compared)."""
    return ssl.get_server_certificate(('127.0.0.1', port))


def query(base, expr):
    url = base + '/api/v1/query?' + urllib.parse.urlencode({'query': expr})
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)['data']['result']


failures = []


def check(condition, what):
    print(('ok   ' if condition else 'FAIL ') + what)
    if not condition:
        failures.append(what)


with tempfile.TemporaryDirectory() as root:
    certs = make_certificates(os.path.join(root, 'certs'))
    etc = os.path.join(root, 'etc')
    os.makedirs(etc)
    shutil.copy(certs.server_cert, os.path.join(etc, 'server.crt'))
    shutil.copy(certs.server_key, os.path.join(etc, 'server.key'))
    config_path = os.path.join(etc, 'web.yml')
    web_config(config_path, certs)
    host = os.path.join(root, 'host')
    shutil.copytree(fixtures, host, symlinks=True)
    # A bad file at start: one line naming the file and the key, exit 2.
    bad_path = os.path.join(etc, 'bad.yml')
    with open(bad_path, 'w') as out:
        out.write('tls_server_config:\n  certfile: server.crt\n')
    bad = subprocess.run([exporter, '--web.config.file=' + bad_path, '--web.listen-address=127.0.0.1:0',
                          '--path.procfs=' + host + '/proc', '--path.sysfs=' + host + '/sys'],
                         capture_output=True, text=True, timeout=30)
    lines = bad.stderr.strip().splitlines()
    check(bad.returncode == 2 and len(lines) == 1 and bad_path in lines[0] and 'tls_server_config.certfile: unknown key' in lines[0],
          'a bad web config at start: one line, exit 2 (%d: %s)' % (bad.returncode, bad.stderr.strip()))
    port, port6 = free_port(), free_port()
    exporter_log = os.path.join(root, 'exporter.log')
    prometheus = None
    with open(exporter_log, 'w') as log:
        process = subprocess.Popen(
            [exporter, '--web.listen-address=127.0.0.1:%d' % port, '--web.listen-address=[::1]:%d' % port6,
             '--web.config.file=' + config_path, '--path.procfs=' + host + '/proc',
             '--path.sysfs=' + host + '/sys', '--path.rootfs=' + host,
             '--collector.ethtool.replay-dir=' + host + '/ethtool',
             '--collector.wireguard.netlink-replay-dir=' + host + '/netlink',
             '--collector.qdisc.replay-dir=' + host + '/netlink',
             '--wireguard.uapi-dir=' + host + '/run/wireguard', '--sample.interval=1s'],
            stderr=log)
    try:
        wait_for(lambda: len(re.findall(r'msg=listening .*tls=true', open(exporter_log).read())) == 2, 10,
                 'two listening lines with tls=true')
        url = 'https://127.0.0.1:%d/metrics' % port
        trusting = context_for(certs.ca)

        status, body = get(url, trusting)
        check(status == 200 and 'wgtune_exporter_build_info' in body, 'TLS with basic auth serves the metrics')
        check(status_of(url, trusting, 'carol124') == 401, 'a wrong password gets 401')
        check(status_of('https://[::1]:%d/metrics' % port6, trusting) == 200, 'the IPv6 listen address answers')

        try:
            plain = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
            plain.request('GET', '/metrics')
            plain_status = plain.getresponse().status
        except (OSError, http.client.HTTPException) as error:
            plain_status = type(error).__name__
        check(plain_status != 200 and not isinstance(plain_status, int), 'plain HTTP to the TLS port fails (%s)' % plain_status)

        # Idle clients on the TLS port (connected, no handshake) and slow ones (half a handshake)
        # do not hold the server: a scrape is answered at once meanwhile.
        idle = [socket.create_connection(('127.0.0.1', port)) for _ in range(200)]
        slow = [socket.create_connection(('127.0.0.1', port)) for _ in range(20)]
        for connection in slow:
            connection.sendall(b'\x16\x03\x01\x02\x00\x01')  # the first bytes of a ClientHello
        started = time.monotonic()
        answered = all(status_of(url, trusting) == 200 for _ in range(5))
        took = time.monotonic() - started
        check(answered and took < 3, '5 TLS scrapes beside 220 idle and slow clients (%.2f s)' % took)
        for connection in idle + slow:
            connection.close()

        # A real Prometheus scraping over TLS with basic auth, as a site would configure it.
        prometheus_port = free_port()
        prometheus_config = os.path.join(root, 'prometheus.yml')
        with open(prometheus_config, 'w') as out:
            out.write('global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n'
                      'scrape_configs:\n  - job_name: wgtune\n    scheme: https\n'
                      '    tls_config:\n      ca_file: %s\n'
                      '    basic_auth:\n      username: %s\n      password: %s\n'
                      '    static_configs:\n      - targets: ["localhost:%d"]\n'
                      '  - job_name: wrong_password\n    scheme: https\n'
                      '    tls_config:\n      ca_file: %s\n'
                      '    basic_auth:\n      username: %s\n      password: wrong\n'
                      '    static_configs:\n      - targets: ["localhost:%d"]\n'
                      % (certs.ca, USER, PASSWORD, port, certs.ca, USER, port))
        prometheus_log = os.path.join(root, 'prometheus.log')
        with open(prometheus_log, 'w') as log:
            prometheus = subprocess.Popen(
                ['prometheus', '--config.file=' + prometheus_config,
                 '--storage.tsdb.path=' + os.path.join(root, 'tsdb'),
                 '--web.listen-address=127.0.0.1:%d' % prometheus_port, '--log.level=warn'],
                stdout=log, stderr=log, start_new_session=True)
        base = 'http://127.0.0.1:%d' % prometheus_port

        def scraped():
            up = {r['metric']['job']: r['value'][1] for r in query(base, 'up')}
            return up if len(up) == 2 else None
        up = wait_for(scraped, 30, 'Prometheus to scrape both jobs')
        check(up.get('wgtune') == '1', 'Prometheus scrapes over TLS with basic auth: up = 1 (%s)' % up)
        check(up.get('wrong_password') == '0', 'Prometheus with a wrong password: up = 0')
        series = query(base, 'wgtune_exporter_build_info{job="wgtune"}')
        check(len(series) == 1, 'Prometheus stored the exporter\'s series')

        # Rotation: a new certificate (another CA's) replaces the old one on disk.
        rotated = make_certificates(os.path.join(root, 'rotated'))
        before = served_certificate(port)
        shutil.copy(rotated.server_key, os.path.join(etc, 'server.key.new'))
        shutil.copy(rotated.server_cert, os.path.join(etc, 'server.crt.new'))
        os.replace(os.path.join(etc, 'server.key.new'), os.path.join(etc, 'server.key'))
        os.replace(os.path.join(etc, 'server.crt.new'), os.path.join(etc, 'server.crt'))
        with open(rotated.server_cert) as pem:
            wanted = ssl.DER_cert_to_PEM_cert(ssl.PEM_cert_to_DER_cert(pem.read()))
        after = wait_for(lambda: served_certificate(port) == wanted, 5, 'the rotated certificate')
        check(after and before != wanted, 'a certificate rotated on disk is served without restart')
        check(status_of(url, context_for(rotated.ca)) == 200, 'the rotated certificate verifies against its CA')
        # Back to the first certificate for the rest.
        shutil.copy(certs.server_cert, os.path.join(etc, 'server.crt.new'))
        shutil.copy(certs.server_key, os.path.join(etc, 'server.key.new'))
        os.replace(os.path.join(etc, 'server.key.new'), os.path.join(etc, 'server.key'))
        os.replace(os.path.join(etc, 'server.crt.new'), os.path.join(etc, 'server.crt'))
        wait_for(lambda: status_of(url, trusting) == 200, 5, 'the first certificate again')

        # Client certificates, by changing the file of the running exporter.
        web_config(config_path, certs, client_auth='RequireAndVerifyClientCert')
        good = context_for(certs.ca, certs.client_cert, certs.client_key)
        check(wait_for(lambda: status_of(url, good) == 200, 5, 'a good client certificate accepted'),
              'RequireAndVerifyClientCert accepts a client certificate of the trusted CA')
        for name, context in (('another CA\'s client certificate', context_for(certs.ca, certs.other_client_cert,
                                                                               certs.other_client_key)),
                              ('no client certificate', trusting)):
            try:
                outcome = status_of(url, context)
            except (OSError, ssl.SSLError) as error:
                outcome = type(error).__name__
            check(not isinstance(outcome, int), 'RequireAndVerifyClientCert refuses %s (%s)' % (name, outcome))
        check(process.poll() is None, 'the exporter is still running')

        if advisor:
            web_config(config_path, certs)  # back to basic auth only
            advisor_port = free_port()
            advisor_log = os.path.join(root, 'advisor.log')
            with open(advisor_log, 'w') as log:
                advisor_process = subprocess.Popen(
                    [advisor, 'run', '--rules', os.path.join(source, 'rules'), '--target=127.0.0.1:%d' % port,
                     '--interval=5s', '--web.listen-address=[::1]:%d' % advisor_port,
                     '--web.config.file=' + config_path], stderr=log)
            try:
                advisor_url = 'https://[::1]:%d/metrics' % advisor_port
                wait_for(lambda: status_of(advisor_url, trusting) == 200, 10, 'the advisor over TLS')
                check(status_of(advisor_url, trusting, 'wrong') == 401, 'the advisor refuses a wrong password')
                check(get(advisor_url, trusting)[0] == 200, 'the advisor serves /metrics over TLS with basic auth')
            finally:
                stop(advisor_process)
        log_text = open(exporter_log).read()
        check(PASSWORD not in log_text and 'carol124' not in log_text, 'no password in the log')
    finally:
        if prometheus:
            stop(prometheus)
        code = stop(process)
        if failures:
            print(tail(exporter_log))
    if failures:
        sys.exit('%d failed: %s' % (len(failures), '; '.join(failures)))
    print('web_tls: all passed')
