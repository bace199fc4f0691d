#!/usr/bin/env python3
"""The ethtool collector against the running kernel: a veth pair in a network namespace.

What the fixtures cannot show: that SocketEthtoolTransport's structs and the kernel's agree.
Creates a namespace with a veth pair of 4 queues, sets 2 rx and 2 tx channels with ethtool -L,
runs the real exporter inside the namespace and compares its driver info, channels and
statistics with what ethtool(8) -i, -l and -S print there, and every feature (on or off,
changeable or [fixed]) with what ethtool -k prints; operations veth lacks (rings, RSS) must be
absent. Then sets 1 rx and 1 tx channel while the exporter runs: the statistics of queue 1 must
go away, the rest stay. Then turns rx-udp-gro-forwarding on with ethtool -K: the exporter must
follow, and ethtool -k again. Removes the namespace in any case.
Needs root and ethtool(8). Exits 77 (skipped) when not root.
Usage: ethtool_veth_test.py BINARY
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from exposition import parse, stop, wait_for

binary = sys.argv[1]
if os.geteuid() != 0:
    print('ethtool_veth_test: needs root (network namespaces); skipped')
    sys.exit(77)
if shutil.which('ethtool') is None:
    print('ethtool_veth_test: ethtool not found; run deploy/bootstrap.sh --test')
    sys.exit(1)

NS = 'wgtune-ethtool-%d' % os.getpid()
A, B = 'wgtv0', 'wgtv1'


def run(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True).stdout


def in_ns(*args, check=True):
    return run('ip', 'netns', 'exec', NS, *args, check=check)


def fetch_in_ns(url):
    return in_ns('python3', '-c', 'import sys, urllib.request; '
                 'sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())', url)


def ethtool_info(dev):
    """ethtool -i: 'driver: veth' lines → dict."""
    info = {}
    for line in in_ns('ethtool', '-i', dev).splitlines():
        key, _, value = line.partition(':')
        info[key.strip()] = value.strip()
    return info


def ethtool_channels(dev):
    """ethtool -l → {(type, 'maximum'|'current'): int}, n/a left out."""
    channels, setting = {}, None
    for line in in_ns('ethtool', '-l', dev).splitlines():
        if line.startswith('Pre-set maximums'):
            setting = 'maximum'
        elif line.startswith('Current hardware settings'):
            setting = 'current'
        elif setting and ':' in line:
            key, _, value = line.partition(':')
            value = value.strip()
            if value != 'n/a':
                channels[(key.strip().lower(), setting)] = int(value)
    return channels


def ethtool_statistics(dev):
    """ethtool -S → {(name, queue): value}, split as veth names its per-queue statistics."""
    stats = {}
    for line in in_ns('ethtool', '-S', dev).splitlines()[1:]:
        name, _, value = line.strip().partition(': ')
        match = re.fullmatch(r'(rx|tx)_queue_(\d+)_(.+)', name)
        key = (match.group(1) + '_' + match.group(3), match.group(2)) if match else (name, '')
        stats[key] = float(value)
    return stats


# ethtool -k prints some features by their legacy ethtool names (ethtool's off_flag_def), the
# others as the kernel names them. Legacy names that stand for several features (tx-checksumming,
# scatter-gather, tcp-segmentation-offload) are followed by their features, indented: those count.
LEGACY_FEATURE_NAMES = {
    'rx-checksumming': 'rx-checksum', 'generic-segmentation-offload': 'tx-generic-segmentation',
    'generic-receive-offload': 'rx-gro', 'large-receive-offload': 'rx-lro', 'rx-vlan-offload': 'rx-vlan-hw-parse',
    'tx-vlan-offload': 'tx-vlan-hw-insert', 'ntuple-filters': 'rx-ntuple-filter', 'receive-hashing': 'rx-hashing',
}
LEGACY_GROUPS = {'tx-checksumming', 'scatter-gather', 'tcp-segmentation-offload'}


def ethtool_features(dev):
    """ethtool -k → {kernel name: (enabled, changeable)}; "off [fixed]", "on [requested off]"."""
    features = {}
    for line in in_ns('ethtool', '-k', dev).splitlines()[1:]:
        name, _, state = line.strip().partition(': ')
        if not line.startswith('\t') and name in LEGACY_GROUPS:
            continue
        words = state.split()
        assert words and words[0] in ('on', 'off'), line
        features[LEGACY_FEATURE_NAMES.get(name, name)] = (1.0 if words[0] == 'on' else 0.0,
                                                          0.0 if '[fixed]' in state else 1.0)
    return features


def features_of(samples, dev):
    enabled = served(samples, 'wgtune_ethtool_feature_enabled', device=dev)
    changeable = served(samples, 'wgtune_ethtool_feature_changeable', device=dev)
    assert set(enabled) == set(changeable), set(enabled) ^ set(changeable)
    return {dict(k)['feature']: (v, changeable[k]) for k, v in enabled.items()}


def served(samples, family, **labels):
    """{other labels: value} of a family's series that carry `labels`."""
    found = {}
    for (name, label_set), value in samples.items():
        label_map = dict(label_set)
        if name == family and all(label_map.get(k) == v for k, v in labels.items()):
            found[frozenset((k, v) for k, v in label_map.items() if k not in labels)] = value
    return found


def statistics_of(samples, dev):
    return {(dict(k)['name'], dict(k)['queue']): v
            for k, v in served(samples, 'wgtune_ethtool_statistics_total', device=dev).items()}


def channels_of(samples, dev):
    return {(dict(k)['type'], dict(k)['setting']): v
            for k, v in served(samples, 'wgtune_ethtool_channels', device=dev).items()}


process = None
log_dir = tempfile.mkdtemp(prefix='wgtune-ethtool-')
try:
    run('ip', 'netns', 'add', NS)
    run('ip', '-n', NS, 'link', 'set', 'lo', 'up')
    run('ip', '-n', NS, 'link', 'add', A, 'numtxqueues', '4', 'numrxqueues', '4', 'type', 'veth',
        'peer', 'name', B, 'numtxqueues', '4', 'numrxqueues', '4')
    run('ip', '-n', NS, 'link', 'set', A, 'up')
    run('ip', '-n', NS, 'link', 'set', B, 'up')
    # veth has set_channels since 5.14; on older kernels the test goes on with what there is.
    two_queues = subprocess.run(['ip', 'netns', 'exec', NS, 'ethtool', '-L', A, 'rx', '2', 'tx', '2'],
                                capture_output=True).returncode == 0

    # ip netns exec mounts a sysfs of the namespace: /sys/class/net lists only its devices.
    log_path = os.path.join(log_dir, 'exporter.log')
    with open(log_path, 'w') as log:
        process = subprocess.Popen(
            ['ip', 'netns', 'exec', NS, binary, '--web.listen-address=127.0.0.1:0', '--sample.interval=500ms',
             '--collector.ethtool', '--collector.ethtool.metrics-include=.*',
             '--collector.ethtool.features-include=.*'], stderr=log)
    port = wait_for(lambda: re.search(r'msg=listening .*port=(\d+)', open(log_path).read()), 10,
                    'the listening log line').group(1)
    url = 'http://127.0.0.1:%s/metrics' % port
    samples = wait_for(lambda: (lambda s: s if statistics_of(s, A) else None)(parse(fetch_in_ns(url))), 10,
                       'ethtool statistics of %s' % A)
    assert samples.get(('wgtune_scrape_collector_success', frozenset({('collector', 'ethtool')}))) == 1, \
        open(log_path).read()

    for dev in (A, B):
        info = ethtool_info(dev)
        assert info['driver'] == 'veth', info
        want = {('device', dev), ('driver', 'veth'), ('version', info['version']),
                ('firmware_version', info.get('firmware-version', '')), ('bus_info', info.get('bus-info', ''))}
        assert samples.get(('wgtune_ethtool_info', frozenset(want))) == 1, \
            (want, served(samples, 'wgtune_ethtool_info', device=dev))
        assert channels_of(samples, dev) == ethtool_channels(dev), (channels_of(samples, dev), ethtool_channels(dev))
        # No traffic in the namespace: the counters ethtool prints now are the ones sampled.
        assert statistics_of(samples, dev) == ethtool_statistics(dev), \
            (statistics_of(samples, dev), ethtool_statistics(dev))
        # Every feature ethtool -k shows, by the kernel's name, and nothing else.
        assert features_of(samples, dev) == ethtool_features(dev), \
            sorted(set(features_of(samples, dev).items()) ^ set(ethtool_features(dev).items()))
        # veth has no rings and no RSS: absent, not errors.
        for family in ('wgtune_ethtool_ring_entries', 'wgtune_ethtool_udp4_hash_fields_info',
                       'wgtune_ethtool_rss_indirection_entries'):
            assert not served(samples, family, device=dev), family
    assert not served(samples, 'wgtune_ethtool_info', device='lo')
    if two_queues:
        assert channels_of(samples, A)[('rx', 'current')] == 2
        assert ('rx_drops', '1') in statistics_of(samples, A)

        # Fewer queues while the exporter runs: queue 1's statistics go, nothing fails.
        in_ns('ethtool', '-L', A, 'rx', '1', 'tx', '1')
        samples = wait_for(lambda: (lambda s: s if channels_of(s, A).get(('rx', 'current')) == 1 else None)(
            parse(fetch_in_ns(url))), 10, 'one rx channel')
        samples = wait_for(lambda: (lambda s: s if statistics_of(s, A) else None)(parse(fetch_in_ns(url))), 10,
                           'statistics after the change')
        assert ('rx_drops', '1') not in statistics_of(samples, A)
        assert statistics_of(samples, A) == ethtool_statistics(A)
        assert samples.get(('wgtune_scrape_collector_success', frozenset({('collector', 'ethtool')}))) == 1
    else:
        print('ethtool_veth_test: ethtool -L not supported on veth here; channel change not tested')

    # UDP GRO forwarding, off on every device until set, and a feature veth can never change.
    features = features_of(samples, A)
    assert features['rx-udp-gro-forwarding'] == (0, 1), features.get('rx-udp-gro-forwarding')
    fixed = sorted(name for name, (_, changeable) in features.items() if not changeable)
    assert 'rx-gro-hw' in fixed and 'vlan-challenged' in fixed, fixed
    in_ns('ethtool', '-K', A, 'rx-udp-gro-forwarding', 'on')
    samples = wait_for(lambda: (lambda s: s if features_of(s, A).get('rx-udp-gro-forwarding') == (1, 1) else None)(
        parse(fetch_in_ns(url))), 10, 'rx-udp-gro-forwarding on')
    assert features_of(samples, A) == ethtool_features(A), \
        sorted(set(features_of(samples, A).items()) ^ set(ethtool_features(A).items()))
    assert features_of(samples, B)['rx-udp-gro-forwarding'] == (0, 1)  # the peer is a device of its own
    # A fixed feature cannot be turned on, and stays off in the samples taken after the attempt.
    stamp = ('wgtune_exporter_sample_timestamp_seconds', frozenset())
    assert subprocess.run(['ip', 'netns', 'exec', NS, 'ethtool', '-K', A, 'rx-gro-hw', 'on'],
                          capture_output=True).returncode != 0
    tried = time.time()
    samples = wait_for(lambda: (lambda s: s if s[stamp] > tried else None)(parse(fetch_in_ns(url))), 10,
                       'a sample after ethtool -K rx-gro-hw on')
    assert features_of(samples, A)['rx-gro-hw'] == (0, 0)
    assert samples.get(('wgtune_scrape_collector_success', frozenset({('collector', 'ethtool')}))) == 1
    print('ethtool_veth_test: ok (%d statistics and %d features of %s compared, %d fixed)' %
          (len(statistics_of(samples, A)), len(features), A, len(fixed)))
finally:
    if process is not None:
        stop(process)
    subprocess.run(['ip', 'netns', 'del', NS], capture_output=True)
    shutil.rmtree(log_dir, ignore_errors=True)
