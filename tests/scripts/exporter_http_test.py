#!/usr/bin/env python3
"""The real wgtune-exporter binary over HTTP, on a fixture host whose counters change.

Checks what only the running program shows: the first sample is served before any rate
exists; after the counters change, raw counters equal the golden file's and every rate and
share series of the golden file is served; a malformed file fails one collector for one
sample and the exporter recovers; promtool accepts the output; build info, the sample timestamp
(the wall clock, one value per sample) and the landing page are there; SIGTERM stops it cleanly.
Usage: exporter_http_test.py BINARY SOURCE_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from exposition import fetch, parse, stop, wait_for

binary, source = sys.argv[1], sys.argv[2]
fixtures = os.path.join(source, 'tests/fixtures/e2e')
# Computed values that depend on this run's timing (the sample interval, the wall clock).
VOLATILE = ('_per_second', '_ratio', '_duration_seconds', '_age_seconds', '_sample_timestamp_seconds')
TIMESTAMP = ('wgtune_exporter_sample_timestamp_seconds', frozenset())


def copy_tree(src, dst):
    shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=True)


with tempfile.TemporaryDirectory() as root:
    copy_tree(os.path.join(fixtures, 'sample1'), root)
    log_path = os.path.join(root, 'exporter.log')
    started = time.time()
    with open(log_path, 'w') as log:
        process = subprocess.Popen(
            [binary, '--web.listen-address=127.0.0.1:0', '--path.procfs=' + root + '/proc',
             '--path.sysfs=' + root + '/sys', '--path.rootfs=' + root,
             '--collector.ethtool.replay-dir=' + root + '/ethtool',
             '--collector.wireguard.netlink-replay-dir=' + root + '/netlink',
             '--collector.qdisc.replay-dir=' + root + '/netlink',
             '--wireguard.uapi-dir=' + root + '/run/wireguard', '--sample.interval=2s',
             '--collector.processes.names=irqbalance', '--collector.processes.names=wireguard-go'],
            stderr=log)
    try:
        port = wait_for(lambda: re.search(r'msg=listening .*port=(\d+)', open(log_path).read()), 10,
                        'the listening log line')
        url = 'http://127.0.0.1:%s' % port.group(1)
        first = fetch(url + '/metrics')
        assert '_per_second' not in first, 'rates published before the second sample'
        assert 'wgtune_scrape_collector_success{collector="softnet"} 1' in first
        assert re.search(r'wgtune_exporter_build_info\{version="[0-9.]+",revision="[^"]+",compiler="[^"]+"\} 1',
                         first), 'build info missing'
        assert 'href="/metrics"' in fetch(url + '/')
        # The interval its rates are computed over, as given on the command line.
        assert parse(first).get(('wgtune_exporter_sample_interval_seconds', frozenset())) == 2, \
            'wgtune_exporter_sample_interval_seconds is not the --sample.interval of 2 s'
        # The wall-clock time of the sample served: the first one, taken before the server listened.
        stamp = parse(first)[TIMESTAMP]
        assert started <= stamp <= time.time(), (started, stamp, time.time())
        # The next sample's, one --sample.interval later.
        later = wait_for(lambda: (lambda t: t if t != stamp else None)(parse(fetch(url + '/metrics'))[TIMESTAMP]),
                         10, 'a second sample')
        assert 1.5 < later - stamp < 3, (stamp, later)

        copy_tree(os.path.join(fixtures, 'sample2'), root)
        golden = parse(open(os.path.join(fixtures, 'golden.prom')).read())
        # Wait for a sample of the new counters that also has rates against the old ones.
        served = wait_for(lambda: (lambda s: s if any(k[0].endswith('_per_second') and v > 0 for k, v in s.items())
                                   and s.get(('wgtune_softnet_dropped_total', frozenset({('cpu', '1')}))) == 1570
                                   else None)(parse(fetch(url + '/metrics'))), 20, 'a sample with rates')

        stable_golden = {k: v for k, v in golden.items() if not k[0].endswith(VOLATILE)}
        stable_served = {k: v for k, v in served.items()
                         if not k[0].endswith(VOLATILE) and not k[0].startswith('wgtune_exporter_')}
        missing = set(stable_golden) - set(stable_served)
        extra = set(stable_served) - set(stable_golden)
        wrong = [(k, stable_golden[k], stable_served[k]) for k in set(stable_golden) & set(stable_served)
                 if stable_golden[k] != stable_served[k]]
        assert not missing and not extra and not wrong, (sorted(missing)[:5], sorted(extra)[:5], wrong[:5])
        rates_golden = {k for k in golden if k[0].endswith(('_per_second', '_ratio'))}
        rates_served = {k for k in served if k[0].endswith(('_per_second', '_ratio'))}
        # The busiest-CPU label of a ratio can differ only if the data did; here it must not.
        assert rates_golden == rates_served, (sorted(rates_golden ^ rates_served)[:5])

        # A malformed file costs its collector that sample only; the others and the process go on.
        softnet = os.path.join(root, 'proc/net/softnet_stat')
        good = open(softnet).read()
        open(softnet, 'w').write('not a softnet_stat file\n')
        failed = wait_for(lambda: (lambda t: t if 'wgtune_scrape_collector_success{collector="softnet"} 0' in t else None)(
            fetch(url + '/metrics')), 10, 'softnet to report failure')
        assert 'wgtune_scrape_collector_success{collector="cpu"} 1' in failed
        assert 'wgtune_softnet_processed_total' not in failed
        open(softnet, 'w').write(good)
        wait_for(lambda: 'wgtune_scrape_collector_success{collector="softnet"} 1' in fetch(url + '/metrics'), 10,
                 'softnet to recover')

        with tempfile.NamedTemporaryFile('w', suffix='.prom') as scraped:
            scraped.write(fetch(url + '/metrics'))
            scraped.flush()
            check = subprocess.run(['promtool', 'check', 'metrics'], stdin=open(scraped.name),
                                   capture_output=True, text=True)
            assert check.returncode == 0, 'promtool check metrics: ' + check.stdout + check.stderr
    finally:
        code = stop(process)
    assert code == 0, 'exporter exited with %s after SIGTERM' % code

    # Bad flags, files and values: one line naming them, exit 2, before anything is served.
    absent = os.path.join(root, 'absent.toml')
    for args, said in [(['--log.level=bogus'], '--log.level: bogus not in'),
                       (['--sample.interval=5'], '--sample.interval: not a duration'),
                       (['--sample.interval=0s'], '--sample.interval: 0s is shorter than 100ms'),
                       (['--config.file=' + absent], '--config.file: cannot read %s: No such file' % absent),
                       (['--web.listen-address=10050'], '--web.listen-address: listen address without port'),
                       (['--collector.interrupts.include=('], '--collector.interrupts.include'),
                       (['--collector.wireguard.peer-names-file=' + absent], 'cannot read ' + absent),
                       (['--no-such-flag'], '--no-such-flag')]:
        result = subprocess.run([binary, '--web.listen-address=127.0.0.1:0'] + args, capture_output=True, text=True,
                                timeout=10)
        lines = result.stderr.splitlines()
        assert result.returncode == 2 and len(lines) == 1 and said in lines[0], (args, result.returncode, result.stderr)
    print('exporter_http_test: %d golden series checked, %d rate/share series served' %
          (len(stable_golden), len(rates_served)))
