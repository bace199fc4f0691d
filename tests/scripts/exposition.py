"""Helpers for the script tests: parse Prometheus text exposition, serve it, run processes on
loopback."""
import http.server
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
