"""Helpers for the script tests: parse Prometheus text exposition, serve it, run processes on
loopback."""
import http.server
import os
import re
import socket
import subprocess
import threading
import time
import urllib.request

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """Returns {(name, frozenset(labels.items())): value} for every sample line."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith('#'):
            continue
        match = SAMPLE.match(line)
        if not match:
            raise ValueError('unparsable exposition line: %r' % line)
        labels = frozenset(LABEL.findall(match.group(3) or ''))
        samples[(match.group(1), labels)] = float(match.group(4))
    return samples


def stated_rates(text):
    """{(name, frozenset(labels)): per second} of every counter of an exposition text, as a
    fixture states it: a '# rate: <series> <per second>' line, else the X_per_second gauge of
    the same labels that the exporter publishes beside counter X_total, else nothing."""
    samples = parse(text)
    rates = {}
    for (name, labels) in samples:
        if name.endswith('_total'):
            gauge = samples.get((name[:-len('_total')] + '_per_second', labels))
            if gauge is not None:
                rates[(name, labels)] = gauge
    for line in text.splitlines():
        if line.startswith('# rate: '):
            rates.update(parse(line[len('# rate: '):]))
    return rates


class ClimbingHost:
    """Serves an exposition text as a host under load: every counter climbs, by the wall-clock
    time of each request, at `growth(name, labels)` per second (labels a dict without empty
    values), by default at the rate the text states (stated_rates). Counting starts an hour
    before, so no counter's zero is near a queried window and rate() extrapolates to both ends
    of it. switch(text) serves another text from then on, its counters going on from where the
    old ones stood (a series new in it starts at its own value): a host retuned, not rebooted.
    The text's wgtune_exporter_sample_timestamp_seconds is left out: its values are of no sample
    (a reader placing scrapes at it would see one sample forever), and these counters climb
    with every request, not with an exporter's samples."""

    def __init__(self, text, growth=None):
        self.lock = threading.Lock()
        self.growth = growth
        self.start = time.time() - 3600
        self.lines = []
        self.switch(text)

    def switch(self, text):
        with self.lock:
            now = time.time()
            current = {series: base + rate * (now - since) for series, (base, rate, since) in
                       ((line[0], line[1]) for line in self.lines if line[1] is not None)}
            counters = set(re.findall(r'^# TYPE (\S+) counter$', text, re.M))
            stated = stated_rates(text) if self.growth is None else None
            lines = []  # (text, None) or (series text, (base, per second, since))
            for line in text.splitlines():
                match = SAMPLE.match(line)
                if match and match.group(1) == 'wgtune_exporter_sample_timestamp_seconds':
                    continue
                if match and match.group(1) in counters:
                    labels = frozenset((k, v) for k, v in LABEL.findall(match.group(3) or '') if v != '')
                    series = line[:match.start(4)]
                    if stated is None:
                        rate = self.growth(match.group(1), dict(labels))
                    else:
                        rate = stated.get((match.group(1), frozenset(LABEL.findall(match.group(3) or ''))), 0.0)
                    if series in current:
                        lines.append((series, (current[series], rate, now)))
                    else:
                        lines.append((series, (float(match.group(4)), rate, self.start)))
                else:
                    lines.append((line, None))
            self.lines = lines

    def body(self):
        with self.lock:
            now = time.time()
            return ''.join(text + '\n' if grow is None else '%s%r\n' % (text, grow[0] + grow[1] * (now - grow[2]))
                           for text, grow in self.lines).encode()


def fetch(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


def wait_for(predicate, seconds, what):
    """Polls predicate until it returns something true; on timeout shows its last result."""
    deadline = time.monotonic() + seconds
    result = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except OSError as error:
            result = error
        time.sleep(0.1)
    raise AssertionError('timed out after %ss waiting for %s; last seen: %r' % (seconds, what, result))


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def tail(path, lines=30):
    """The end of a log file, for failure messages."""
    try:
        return ''.join(open(path, errors='replace').readlines()[-lines:])
    except OSError:
        return '(no log)'


def serve_metrics(body):
    """Serves body() (bytes, read at every request) at http://127.0.0.1:<port>/metrics, like an
    exporter; returns the server (server.server_address[1] is the port; shutdown() stops it)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if self.path.split('?')[0] != '/metrics':
                self.send_error(404)
                return
            text = body()
            self.send_response(200)
            self.send_header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
            self.send_header('Content-Length', str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def backfilled_prometheus(root, history, name='history'):
    """A real Prometheus over `history` (OpenMetrics text with timestamps), backfilled into a
    new TSDB under `root` with `promtool tsdb create-blocks-from openmetrics`, listening on a
    free loopback port, in a process group of its own; returns (process, base URL, log path)
    once it is ready. Raises RuntimeError (with promtool's or the log's words) otherwise."""
    data = os.path.join(root, name + '.om')
    with open(data, 'w') as out:
        out.write(history)
    tsdb = os.path.join(root, name + '-tsdb')
    result = subprocess.run(['promtool', 'tsdb', 'create-blocks-from', 'openmetrics', data, tsdb],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError('promtool backfill failed: %s %s' % (result.stdout[-2000:], result.stderr[-2000:]))
    config = os.path.join(root, name + '.yml')
    with open(config, 'w') as out:
        out.write('global:\n  scrape_interval: 15s\nscrape_configs: []\n')
    port = free_port()
    log_path = os.path.join(root, name + '-prometheus.log')
    with open(log_path, 'w') as log:
        process = subprocess.Popen(
            ['prometheus', '--config.file=' + config, '--storage.tsdb.path=' + tsdb,
             '--storage.tsdb.retention.time=100y', '--web.listen-address=127.0.0.1:%d' % port, '--log.level=warn'],
            stdout=log, stderr=log, start_new_session=True)
    base = 'http://127.0.0.1:%d' % port

    def ready():
        if process.poll() is not None:
            raise RuntimeError('prometheus exited with %s: %s' % (process.returncode, tail(log_path)))
        with urllib.request.urlopen(base + '/-/ready', timeout=2) as response:
            return response.status == 200

    try:
        wait_for(ready, 60, 'prometheus ready')
    except BaseException:
        stop(process)
        raise
    return process, base, log_path


def stop(process):
    """Stops a child process (SIGTERM, then SIGKILL) and returns its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode
