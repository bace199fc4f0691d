#!/usr/bin/env python3
"""Benchmark: scrapes while idle clients hold connections (issue 12, "a server that stays up").

For the exporter's /metrics (on the e2e fixture host) and the advisor's /metrics (`run` over
that exporter), this opens IDLE connections that never send a byte, then runs SCRAPERS threads
that each scrape over and over for SECONDS, a new connection per scrape (as many Prometheus
servers would), each with a 5 s timeout. It reports per program: scrapes done, errors
(timeouts, refused, non-200), and the latency p50/p99 of the successful ones.

It measures and reports; it does not pass or fail. Give it another build's binaries to compare
(the figures in docs/performance.md are main before issue 12 and after).

Usage: bench_http_stall.py EXPORTER ADVISOR SOURCE_DIR [--idle 200] [--scrapers 32] [--seconds 10]
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
from exposition import free_port, stop, wait_for  # noqa: E402


def percentile(values, fraction):
    if not values:
        return float('nan')
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(port, idle, scrapers, seconds):
    held = []
    for _ in range(idle):
        connection = socket.create_connection(('127.0.0.1', port), timeout=5)
        held.append(connection)
    time.sleep(0.5)
    latencies, errors = [], []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def scrape():
        while time.monotonic() < deadline:
            start = time.monotonic()
            try:
                with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port, timeout=5) as response:
                    response.read()
                    ok = response.status == 200
            except OSError as error:
                ok = False
                with lock:
                    errors.append(type(error).__name__)
            took = time.monotonic() - start
            with lock:
                if ok:
                    latencies.append(took)
    threads = [threading.Thread(target=scrape) for _ in range(scrapers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    still_open = 0
    for connection in held:
        connection.setblocking(False)
        try:
            connection.recv(1)  # b'': the server closed it; data: it answered something
        except BlockingIOError:
            still_open += 1
        except OSError:
            pass
        connection.close()
    return latencies, errors, still_open


def report(name, idle, scrapers, result):
    latencies, errors, still_open = result
    kinds = {}
    for error in errors:
        kinds[error] = kinds.get(error, 0) + 1
    print('%-9s idle=%d scrapers=%d  scrapes ok=%d errors=%d %s  p50=%.1f ms  p99=%.1f ms  idle still open=%d'
          % (name, idle, scrapers, len(latencies), len(errors), kinds or '', percentile(latencies, 0.5) * 1e3,
             percentile(latencies, 0.99) * 1e3, still_open))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('exporter')
    parser.add_argument('advisor')
    parser.add_argument('source')
    parser.add_argument('--idle', type=int, default=200)
    parser.add_argument('--scrapers', type=int, default=32)
    parser.add_argument('--seconds', type=float, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        host = os.path.join(root, 'host')
        shutil.copytree(os.path.join(args.source, 'tests/fixtures/e2e/sample1'), host, symlinks=True)
        exporter_port, advisor_port = free_port(), free_port()
        processes = []
        try:
            exporter = subprocess.Popen(
                [args.exporter, '--web.listen-address=127.0.0.1:%d' % exporter_port,
                 '--path.procfs=' + host + '/proc', '--path.sysfs=' + host + '/sys', '--path.rootfs=' + host,
                 '--collector.ethtool.replay-dir=' + host + '/ethtool',
                 '--collector.wireguard.netlink-replay-dir=' + host + '/netlink',
                 '--collector.qdisc.replay-dir=' + host + '/netlink',
                 '--wireguard.uapi-dir=' + host + '/run/wireguard', '--log.level=warn'],
                stderr=subprocess.DEVNULL)
            processes.append(exporter)
            wait_for(lambda: urllib.request.urlopen('http://127.0.0.1:%d/metrics' % exporter_port, timeout=1),
                     10, 'the exporter')
            advisor = subprocess.Popen(
                [args.advisor, 'run', '--rules', os.path.join(args.source, 'rules'),
                 '--target=127.0.0.1:%d' % exporter_port, '--interval=5s',
                 '--web.listen-address=127.0.0.1:%d' % advisor_port, '--log.level=error'],
                stderr=subprocess.DEVNULL)
            processes.append(advisor)
            wait_for(lambda: urllib.request.urlopen('http://127.0.0.1:%d/metrics' % advisor_port, timeout=1),
                     10, 'the advisor')
            for name, port in (('exporter', exporter_port), ('advisor', advisor_port)):
                report(name, args.idle, args.scrapers, measure(port, args.idle, args.scrapers, args.seconds))
        finally:
            for process in processes:
                stop(process)


if __name__ == '__main__':
    main()
