#!/usr/bin/env python3
"""Differential test: the advisor's PromQL engine against a real Prometheus, on the same data.

Hosts: the tuned host (tests/fixtures/advisor/tuned.prom), the untuned golden host
(tests/fixtures/e2e/golden.prom) and one host per fire fixture (tuned.prom with the overlay
applied, as tests/unit/advisor_rules_test.cpp does), each a host under load: its counters climb
at the rates the fixture states (exposition.ClimbingHost). Each host is served on its own
loopback port; a real `prometheus` scrapes them all every second.
- Instant expressions (EXTRA): `wgtune-advisor query --target ...` scrapes the same ports.
- Range expressions (every bundled rule, exported with a 10 s window, and RANGE_LIVE):
  `wgtune-advisor query --prometheus`, whose engine computes rate() and the rest from the raw
  samples the server returns for each range selector, against the server's own answer.
- Range functions over a synthetic history backfilled into a second Prometheus (counter resets,
  a gap, a series starting late, jittered and NaN samples, large and infinite values): every
  function of RANGE_FUNCTIONS over every range of RANGES at every instant of INSTANTS.
Results are compared as sets of series: same label sets, values equal (relative 1e-9, absolute
1e-12 near zero; NaN equals NaN; infinities by sign), range vectors point by point; an error on
one side must be an error on the other. At least 15 rule expressions must have a result on these
hosts, or the data exercises too little. Then the whole advisor both ways over a 5 s window:
`check --prometheus` (host by host through the API) and `check --target` over all the ports
must report the same findings with the same texts, their numbers equal within 1 % (the two
sample the climbing counters at instants a few milliseconds apart).

Needs the `prometheus` server (Debian's package, or deploy/bootstrap.sh --test) and promtool.
Usage: advisor_promql_diff_test.py ADVISOR_BINARY SOURCE_DIR
"""
import concurrent.futures
import glob
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from exposition import LABEL, SAMPLE, ClimbingHost, backfilled_prometheus, free_port, serve_metrics, tail  # noqa: E402

MIN_NONEMPTY_RULES = 15
MIN_NONEMPTY_HISTORY = 500
STARTUP_SECONDS = 60
QUERY_TIMEOUT = 30

# Expressions that exercise the engine over this data, beyond what the rules use. {tuned} and
# {golden} stand for those hosts' instance labels. Results are compared as sets, so order never
# matters; topk/bottomk are grouped by instance over values that are distinct per host (a tie
# would let the engines pick different series legitimately).
EXTRA = [
    # Selectors and matchers: regex anchoring and alternation, empty values (an empty value is an
    # absent label), several matchers on one label, quoting, __name__ as a label.
    'wgtune_cpus',
    'wgtune_network_mtu_bytes{device=~"eth.*|wt.*"}',
    'wgtune_network_mtu_bytes{device=~"eth"}',  # anchored: matches nothing
    'wgtune_network_mtu_bytes{device=~"e.*0"}',
    'wgtune_network_mtu_bytes{device!~"e.*|lo"}',
    'wgtune_network_mtu_bytes{device=~"e.*", device!~".*0"}',
    'wgtune_cpus{state=~"(?i)ONLINE"}',
    'wgtune_cpus{state=~`on.*`}',
    "wgtune_cpus{state='online'}",
    'wgtune_network_info{master=""}',
    'wgtune_network_info{master!=""}',
    'wgtune_network_info{driver=~".+", master=~""}',
    'wgtune_interrupt_affinity_info{queue=~"[0-2]|"}',
    'wgtune_cpus{state=~"online|"}',
    'wgtune_cpus{nosuch=""}',
    'wgtune_cpus{nosuch!=""}',
    'wgtune_cpus{nosuch=~".*"}',
    r'wgtune_wireguard_peer_endpoint_info{endpoint=~"(127\\.[0-9.]+|\\[::1\\]):[0-9]+"}',
    '{__name__=~"wgtune_sysctl_net_core_.*"}',
    '{__name__=~"wgtune_cpus(_info)?", state="online"}',
    '{__name__="wgtune_cpus", state!~"p.*"}',
    '{__name__=~"wgtune_cpus|wgtune_cpus_info"} == 4',
    'count by (__name__) ({__name__=~"wgtune_softnet_.*_per_second"})',
    'wgtune_cpus # a comment',
    # Arithmetic, unary minus, ^ and %, literals, precedence and associativity, NaN and Inf.
    'wgtune_cpus * 2 + 1',
    '2 * wgtune_cpus - wgtune_cpus / 4',
    '-wgtune_cpus{state="online"}',
    '- wgtune_cpus{state="online"} ^ 2',  # ^ binds tighter than unary minus
    '+wgtune_cpus',
    '2 ^ wgtune_cpus{state="online"}',
    'wgtune_network_receive_queues % 3',
    '-2 ^ 2',
    '2 ^ 3 ^ 2',  # right-associative
    '1 - 2 - 3',
    '1 + 2 * 3 - 4 / 2 % 3',
    '(1 + 2) * 3 ^ 2 / -4',
    '1 + -2',
    '- -2',
    '1e3 + 0x10 + .5',
    '5.5 % -2',
    '-7 % 3',
    'wgtune_process_running / 0',  # NaN for 0/0, +Inf where the process runs
    '-1 / 0',
    'Inf - Inf',
    '1e-300 * wgtune_cpus',
    'wgtune_cpus - 1 > 2',  # arithmetic before comparison
    'wgtune_cpus > 3 == bool 1',  # comparisons are left-associative
    # Vector matching: on/ignoring, group_left/group_right with and without include labels.
    'wgtune_ethtool_ring_entries{setting="current"} / ignoring(setting) wgtune_ethtool_ring_entries{setting="maximum"}',
    'wgtune_network_mtu_bytes / ignoring(device) group_left wgtune_sysctl_net_core_netdev_budget',
    'wgtune_rps_cpus * on(instance, job) group_left(cpus) wgtune_cpus_info{state="online"}',
    'wgtune_wireguard_mtu_bytes - on(instance, job, interface) group_left(device) wgtune_wireguard_underlay_mtu_bytes',
    'wgtune_network_mtu_bytes * on(instance, job, device) group_left(kind, master) wgtune_network_info',
    # An include label the one side lacks removes it from the result.
    'wgtune_network_info * on(instance, job, device) group_left(master) wgtune_network_mtu_bytes',
    'wgtune_wireguard_underlay_info * on(instance, job) group_right(interface) wgtune_network_mtu_bytes',
    'wgtune_wireguard_mtu_bytes + on(instance, job) group_right wgtune_network_receive_queues',
    'count by (instance) (wgtune_cpus) + on(instance) group_right count by (instance, state) (wgtune_cpus)',
    'wgtune_cpus == bool on() group_left vector(4)',
    'wgtune_cpus * scalar(wgtune_sysctl_net_core_netdev_budget{instance="{tuned}"})',
    # Across hosts: the golden host's sysctls the tuned host does not have.
    'wgtune_sysctl_info{instance="{golden}"} unless on(name, value) wgtune_sysctl_info{instance="{tuned}"}',
    # Comparisons: filters and bool.
    'wgtune_rps_cpus == bool 4',
    'wgtune_cpus{state="online"} > bool 2',
    '1 < bool 2',
    '2 >= bool 3',
    'NaN == bool NaN',
    'wgtune_cpus > Inf',
    'wgtune_network_mtu_bytes != 1500',
    'wgtune_cpu_busy_ratio >= bool on(instance, job, cpu) wgtune_cpu_mode_ratio{mode="idle"}',
    'wgtune_cpu_mode_ratio{mode="softirq"} > on(instance, job, cpu) wgtune_cpu_mode_ratio{mode="system"}',
    # Set operators.
    'wgtune_rps_cpus > 0 and on(instance, job, device) wgtune_network_underlay',
    'wgtune_rps_cpus or wgtune_rps_flow_entries',  # same label sets but __name__: only the left side
    'wgtune_process_running == 1 or wgtune_cpus{state="online"} > 8',
    'wgtune_network_mtu_bytes unless on(instance, device) wgtune_network_underlay',
    'wgtune_cpus unless wgtune_cpus{state="online"}',
    'wgtune_cpus > 1 and wgtune_cpus < 8 or wgtune_process_running',  # and binds tighter than or
    'wgtune_cpus and on() vector(1)',
    'vector(1) unless on() wgtune_nonexistent',
    'wgtune_rps_cpus unless ignoring(queue) wgtune_rps_cpus == 0',
    # Aggregations.
    'sum by (instance) (wgtune_cpu_mode_ratio)',
    'sum without (mode) (wgtune_cpu_mode_ratio)',
    'sum(wgtune_cpus) by (instance, state)',
    'sum(wgtune_cpus) without (state)',
    'sum by (nosuch) (wgtune_cpus)',
    'sum(wgtune_nonexistent)',
    'min by (instance, job) (wgtune_network_mtu_bytes)',
    'max without (cpu) (wgtune_cpu_mode_ratio)',
    'max by (instance) (wgtune_cpu_mode_ratio) / min by (instance) (wgtune_cpu_mode_ratio)',
    'avg by (mode) (wgtune_cpu_mode_ratio)',
    'count by (device) (wgtune_rps_cpus)',
    'count without (instance) (wgtune_cpus)',
    'count(wgtune_cpus)',
    'group by (instance, kind) (wgtune_network_info)',
    'group without (irq, name, affinity, effective_affinity) (wgtune_interrupt_affinity_info)',
    'quantile by (instance) (0.5, wgtune_cpu_mode_ratio{mode="softirq"})',
    'quantile without (device) (0.9, wgtune_network_mtu_bytes)',
    'quantile by (instance) (1.5, wgtune_cpus)',  # +Inf
    'quantile by (instance) (-1, wgtune_cpus)',  # -Inf
    'quantile by (instance) (NaN, wgtune_cpus)',
    # topk/bottomk: the kept values are distinct within each instance (no ties to break).
    'topk by (instance) (1, wgtune_softnet_processed_per_second)',
    'topk by (instance) (2, wgtune_ethtool_ring_entries)',
    'bottomk by (instance) (1, wgtune_network_mtu_bytes)',
    'bottomk by (instance) (1, -wgtune_network_mtu_bytes)',
    'topk(0, wgtune_cpus)',
    'sort_desc(wgtune_network_mtu_bytes)',  # compared as a set
    # Functions.
    'abs(wgtune_cpus - 10)',
    'abs(-vector(0))',
    'ceil(wgtune_cpu_mode_ratio * 3)',
    'floor(wgtune_cpu_mode_ratio * 3)',
    'round(wgtune_cpu_mode_ratio * 10)',
    'round(wgtune_softnet_processed_per_second, 300)',
    'round(vector(2.5)) + round(vector(-2.5))',  # halves round up
    'round(wgtune_cpus, 0)',
    'clamp(wgtune_cpu_mode_ratio, 0.1, 0.3)',
    'clamp(wgtune_cpus, 5, 1)',  # min > max: empty
    'clamp_min(wgtune_network_mtu_bytes, 1500)',
    'clamp_max(wgtune_network_mtu_bytes, 1500)',
    'clamp_min(wgtune_cpus, NaN)',
    'sgn(wgtune_cpus - 4)',
    'sgn(-wgtune_process_running)',
    'absent(wgtune_cpus)',
    'absent(wgtune_nonexistent{job="wgtune", device="x", queue=~"a.*"})',
    'absent(nonexistent{job="a", job="b"})',
    'absent(sum(wgtune_nonexistent))',
    'label_replace(wgtune_network_mtu_bytes, "dev", "$1", "device", "(e.*)")',
    'label_replace(wgtune_network_info, "master", "none", "master", "")',
    'label_replace(wgtune_cpus, "state", "", "state", "on.*")',
    'label_replace(wgtune_cpus, "foo", "$2-$1", "state", "(p)(.*)")',
    'label_replace(wgtune_cpus, "s2", "${1}x", "state", "(.*)")',
    'label_replace(wgtune_cpus, "s2", "$1x", "state", "(.*)")',  # $1x is the group named "1x": empty
    'label_replace(wgtune_cpus, "x", "y", "nosuch", "(.*)")',
    'label_join(wgtune_ethtool_ring_entries, "key", "/", "device", "ring", "setting")',
    'label_join(wgtune_network_info, "k", "-", "master", "kind")',
    'label_join(wgtune_cpus, "__name__", "", "state")',
    'scalar(wgtune_sysctl_net_core_netdev_budget{instance="{tuned}"})',
    'scalar(wgtune_cpus)',  # many series: NaN
    'scalar(vector(1)) + 1',
    'vector(time())',
    'time()',
    'time() - wgtune_wireguard_peer_last_handshake_seconds > 0',
    # Both must fail.
    'sum(',
    '{__name__=~".*"}',  # no matcher that needs a non-empty value
    'wgtune_rps_cpus * on(instance) wgtune_cpus',  # many-to-many
    'wgtune_network_mtu_bytes + on(instance, job) group_left wgtune_cpus',  # duplicates on the one side
    'wgtune_network_mtu_bytes * on(instance, job) group_left(device) wgtune_wireguard_underlay_info',
    '{__name__=~"wgtune_sysctl_net_core_.*"} * 2',  # same label sets once __name__ is dropped
    'label_replace(wgtune_cpus, "state", "same", "state", ".*")',
    'sum(1)',
    '1 == 1',  # scalar comparisons need bool
    'wgtune_cpus and 1',
]

# Range expressions over the live hosts, through `query --prometheus`: the counters climb.
RANGE_LIVE = [
    'rate(wgtune_softnet_dropped_total[10s])',
    'irate(wgtune_softnet_dropped_total[10s])',
    'increase(wgtune_interrupts_total{queue!=""}[5s])',
    'sum by (instance, device, cpu) (rate(wgtune_interrupts_total{queue!=""}[10s]))',
    'sum without (mode) (rate(wgtune_cpu_seconds_total{mode="softirq"}[10s])) / sum without (mode) (rate(wgtune_cpu_seconds_total[10s]))',
    'delta(wgtune_wireguard_peer_receive_bytes_total[8s])',
    'idelta(wgtune_wireguard_peer_receive_bytes_total[8s])',
    'changes(wgtune_cpus[10s])',
    'resets(wgtune_softnet_processed_total[10s])',
    'avg_over_time(wgtune_network_mtu_bytes[10s])',
    'count_over_time(wgtune_cpus{state="online"}[5s])',
    'last_over_time(wgtune_cpus[5s])',
    'present_over_time(wgtune_cpus[5s])',
    'wgtune_softnet_dropped_total{cpu="1"}[3s]',  # a range vector itself: its raw samples
    'rate(wgtune_cpus[1s])',  # a range shorter than two scrapes: nothing, or one sample
    # Both must fail.
    'rate(wgtune_cpus)',
    'wgtune_cpus[5m] + 1',
    'sum(wgtune_cpus[1m])',
    '-wgtune_cpus[1m]',
    'rate(sum(wgtune_cpus)[1m])',
    # Same label sets once the name is dropped.
    'rate({__name__=~"wgtune_network_mtu_bytes|wgtune_network_transmit_queue_length"}[1m])',
]

# The synthetic history's functions, ranges and instants (seconds before its last sample).
RANGE_FUNCTIONS = ['rate', 'irate', 'increase', 'delta', 'idelta', 'changes', 'resets', 'avg_over_time',
                   'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time',
                   'present_over_time']
RANGES = ['15s', '1m', '90s', '5m', '7m30s']
INSTANTS = [0, 7.5, 60, 600, 1080, 1290, 1410, 2370]
HISTORY_STEP = 15
HISTORY_SECONDS = 40 * 60


class Failure(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Hosts: exposition texts.

def series_key(name, labels_text):
    """(name, frozenset of labels); an empty value is an absent label, as in Prometheus."""
    return name, frozenset((k, v) for k, v in LABEL.findall(labels_text or '') if v != '')


class Exposition:
    """An exposition text as ordered families, each with its HELP/TYPE lines and samples."""

    def __init__(self, text):
        self.preamble = []
        self.families = {}  # name -> {'meta': [lines], 'samples': {key: line}} (insertion-ordered)
        for line in text.splitlines():
            if not line.strip():
                continue
            if line.startswith('# HELP ') or line.startswith('# TYPE '):
                self.family(line.split()[2])['meta'].append(line)
            elif line.startswith('#'):
                if not self.families:
                    self.preamble.append(line)
            else:
                match = SAMPLE.match(line)
                if not match:
                    raise Failure('unparsable exposition line: %r' % line)
                key = series_key(match.group(1), match.group(3))
                self.family(key[0])['samples'][key] = line

    def family(self, name):
        return self.families.setdefault(name, {'meta': [], 'samples': {}})

    def apply_overlay(self, text, origin):
        for line in text.splitlines():
            if line.startswith('# remove-metrics: '):
                pattern = re.compile(line[len('# remove-metrics: '):].strip())
                for name in [name for name in self.families if pattern.fullmatch(name)]:
                    self.families[name]['samples'].clear()
            elif line.startswith('# remove: '):
                match = SAMPLE.match(line[len('# remove: '):].strip() + ' 0')
                if not match:
                    raise Failure('%s: unparsable remove line: %r' % (origin, line))
                key = series_key(match.group(1), match.group(3))
                if self.families.get(key[0], {}).get('samples', {}).pop(key, None) is None:
                    raise Failure('%s: nothing to remove: %r' % (origin, line))
            elif line.strip() and not line.startswith('#'):
                match = SAMPLE.match(line)
                if not match:
                    raise Failure('%s: unparsable overlay line: %r' % (origin, line))
                key = series_key(match.group(1), match.group(3))
                # Replaces in place, or appends to its family (a new family goes at the end).
                self.family(key[0])['samples'][key] = line

    def render(self):
        lines = list(self.preamble)
        for family in self.families.values():
            if family['samples']:
                lines += family['meta'] + list(family['samples'].values())
        return '\n'.join(lines) + '\n'


def check_exposition(text, origin):
    """Every family contiguous, HELP/TYPE before its samples, and promtool parses it."""
    seen, current, sampled = set(), None, False
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith('# HELP ') or line.startswith('# TYPE '):
            name, is_meta = line.split()[2], True
        elif line.startswith('#') or not line.strip():
            continue
        else:
            name, is_meta = SAMPLE.match(line).group(1), False
        if name != current:
            if name in seen:
                raise Failure('%s line %d: family %s is not contiguous' % (origin, number, name))
            seen.add(name)
            current, sampled = name, False
        if is_meta and sampled:
            raise Failure('%s line %d: HELP/TYPE of %s after its samples' % (origin, number, name))
        sampled = sampled or not is_meta
    result = subprocess.run(['promtool', 'check', 'metrics'], input=text, capture_output=True, text=True,
                            timeout=30)
    # 1: the text does not parse; 3: lint remarks only (an overlay's new family has no HELP).
    if result.returncode not in (0, 3):
        raise Failure('%s: promtool check metrics failed:\n%s%s' % (origin, result.stdout, result.stderr))


def build_hosts(source):
    fixtures = os.path.join(source, 'tests/fixtures/advisor')
    tuned_text = open(os.path.join(fixtures, 'tuned.prom')).read()
    hosts = [('tuned', Exposition(tuned_text).render()),
             ('golden', Exposition(open(os.path.join(source, 'tests/fixtures/e2e/golden.prom')).read()).render())]
    for path in sorted(glob.glob(os.path.join(fixtures, 'fire', '*.prom'))):
        host = Exposition(tuned_text)
        host.apply_overlay(open(path).read(), path)
        hosts.append(('fire/' + os.path.basename(path)[:-len('.prom')], host.render()))
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda h: check_exposition(h[1], h[0]), hosts))
    return hosts


# ---------------------------------------------------------------------------------------------
# Serving, Prometheus.

def prometheus_get(base, path, **params):
    """The API's JSON; an error response (4xx/5xx with a JSON body) is returned, not raised."""
    url = base + path + '?' + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=QUERY_TIMEOUT) as response:
            return json.loads(response.read().decode())
    except urllib.error.HTTPError as error:
        body = error.read().decode()
        try:
            return json.loads(body)
        except ValueError:
            return {'status': 'error', 'error': 'HTTP %d: %s' % (error.code, body[:200])}


def scalar_of(base, expr):
    reply = prometheus_get(base, '/api/v1/query', query=expr)
    if reply.get('status') != 'success':
        return None
    result = reply['data']['result']
    return float(result[0]['value'][1]) if result else 0.0


def start_prometheus(root, targets):
    """A real Prometheus on loopback scraping `targets` every second as job "wgtune", its TSDB
    and log under `root`, in a process group of its own (stop_group). Returns (process, API
    base URL, log path); wait_for_scrapes tells when it has data."""
    port = free_port()
    config = os.path.join(root, 'prometheus.yml')
    with open(config, 'w') as out:
        out.write('global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n'
                  'scrape_configs:\n  - job_name: wgtune\n    static_configs:\n      - targets:\n')
        out.writelines('          - "%s"\n' % target for target in targets)
    log_path = os.path.join(root, 'prometheus.log')
    with open(log_path, 'w') as log:
        process = subprocess.Popen(
            ['prometheus', '--config.file=' + config, '--storage.tsdb.path=' + os.path.join(root, 'tsdb'),
             '--web.listen-address=127.0.0.1:%d' % port, '--log.level=warn'],
            stdout=log, stderr=log, start_new_session=True)
    return process, 'http://127.0.0.1:%d' % port, log_path


def wait_for_scrapes(base, process, log_path, count):
    deadline = time.monotonic() + STARTUP_SECONDS
    up = scraped = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Failure('prometheus exited with %s:\n%s' % (process.returncode, tail(log_path)))
        try:
            up = scalar_of(base, 'count(up{job="wgtune"} == 1)')
            scraped = scalar_of(base, 'count(count_over_time(up{job="wgtune"}[5m]) >= 2)')
            if up == count and scraped == count:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise Failure('timed out after %ss waiting for %d healthy targets scraped twice (up: %s, scraped twice: %s)\n%s'
                  % (STARTUP_SECONDS, count, up, scraped, tail(log_path)))


# ---------------------------------------------------------------------------------------------
# Evaluating and comparing.

def normalize(reply):
    """A successful API reply -> ({labelset: value}, duplicates); a scalar is one label-less
    series; a range vector's value is its tuple of (milliseconds, value) points."""
    data = reply['data']
    if data['resultType'] == 'scalar':
        series = [{'metric': {}, 'value': data['result']}]
    elif data['resultType'] in ('vector', 'matrix'):
        series = data['result']
    else:
        raise Failure('unexpected result type %s' % data['resultType'])
    values, duplicates = {}, []
    for item in series:
        key = frozenset(item['metric'].items())
        if key in values:
            duplicates.append(key)
        if 'values' in item:
            values[key] = tuple((round(float(t) * 1000), float(v)) for t, v in item['values'])
        else:
            values[key] = float(item['value'][1])
    return values, duplicates


def evaluate_prometheus(base, expr, when):
    reply = prometheus_get(base, '/api/v1/query', query=expr, time=when)
    if reply.get('status') != 'success':
        return None, '%s: %s' % (reply.get('errorType', 'error'), reply.get('error', reply))
    return normalize(reply), None


def evaluate_advisor(advisor, source_args, expr, when):
    """`wgtune-advisor query` over `source_args` (['--target=...', ...] or ['--prometheus=URL'])."""
    # --time last: `--` right after a repeatable option only ends that option's list (CLI11), and
    # `--` is needed because an expression may start with '-'.
    command = [advisor, 'query'] + source_args + ['--time', when, '--', expr]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=QUERY_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, 'timed out after %ss' % QUERY_TIMEOUT
    if result.returncode != 0:
        return None, 'exit %d: %s' % (result.returncode, (result.stderr or result.stdout).strip())
    try:
        reply = json.loads(result.stdout)
    except ValueError:
        return None, 'exit 0 but output is not JSON: %r' % result.stdout[:300]
    if reply.get('status') != 'success':
        return None, 'exit 0 but status %r: %s' % (reply.get('status'), reply.get('error'))
    return normalize(reply), None


def same_value(a, b):
    if isinstance(a, tuple) or isinstance(b, tuple):
        return (isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and
                all(ta == tb and same_value(va, vb) for (ta, va), (tb, vb) in zip(a, b)))
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def describe(key, names):
    labels = dict(key)
    if labels.get('instance') in names:
        labels['instance'] = '%s(%s)' % (labels['instance'], names[labels['instance']])
    return '{' + ', '.join('%s=%r' % item for item in sorted(labels.items())) + '}'


def compare(prom, ours, names):
    """A list of differences (empty: equal). prom/ours: ((values, duplicates), error)."""
    (prom_result, prom_error), (our_result, our_error) = prom, ours
    if prom_error or our_error:
        if prom_error and our_error:
            return []
        if prom_error:
            return ['Prometheus fails (%s) but the advisor returns %d series' % (prom_error, len(our_result[0]))]
        return ['the advisor fails (%s) but Prometheus returns %d series' % (our_error, len(prom_result[0]))]
    (prom_values, prom_dups), (our_values, our_dups) = prom_result, our_result
    problems = []
    for key in our_dups:
        problems.append('the advisor returns the label set %s more than once' % describe(key, names))
    for key in prom_dups:
        problems.append('Prometheus returns the label set %s more than once' % describe(key, names))
    for key in sorted(set(prom_values) - set(our_values), key=sorted):
        problems.append('only Prometheus: %s %s' % (describe(key, names), prom_values[key]))
    for key in sorted(set(our_values) - set(prom_values), key=sorted):
        problems.append('only the advisor: %s %s' % (describe(key, names), our_values[key]))
    for key in sorted(set(prom_values) & set(our_values), key=sorted):
        if not same_value(prom_values[key], our_values[key]):
            problems.append('value of %s: Prometheus %r, advisor %r'
                            % (describe(key, names), prom_values[key], our_values[key]))
    return problems


def rule_expressions(advisor, source, window):
    result = subprocess.run([advisor, 'export', 'prometheus-rules', '--rules', os.path.join(source, 'rules'),
                             '--window', window], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise Failure('export prometheus-rules failed (%d): %s' % (result.returncode, result.stderr))
    rules, expr = [], None
    for line in result.stdout.splitlines():
        if line.startswith('        expr: '):
            expr = json.loads(line[len('        expr: '):])
        match = re.match(r'^ {10}rule: "(.*)"$', line)
        if match and expr is not None:
            rules.append((match.group(1), expr))
            expr = None
    if not rules:
        raise Failure('export prometheus-rules printed no rule expression:\n' + result.stdout[:2000])
    return rules


def one_line(expr, width=78):
    text = ' '.join(expr.split())
    return text if len(text) <= width else text[:width - 3] + '...'


# ---------------------------------------------------------------------------------------------
# A synthetic history for the range functions.

def synthetic_history(end):
    """OpenMetrics text of series `c` (counters) and `g` (gauges) of job "history", sampled every
    HISTORY_STEP seconds over HISTORY_SECONDS up to `end`, each case a corner of the range
    functions' semantics."""
    rng = random.Random(11)
    start = end - HISTORY_SECONDS
    series = {}

    def add(name, case, t, value):
        series.setdefault((name, case), []).append((t, value))

    for i, t in enumerate(range(start, end + 1, HISTORY_STEP)):
        elapsed = t - start
        add('c', 'steady', t, 1000 + 10 * elapsed)
        add('c', 'resets', t, (elapsed % 600) * 3 + 0.5)  # back to 0.5 every 10 minutes
        if not 1200 <= elapsed < 1380:  # three minutes without samples
            add('c', 'gap', t, 5 * elapsed)
        if t >= end - 120:  # starts two minutes before the end, near its zero
            add('c', 'late', t, 2 + (t - (end - 120)))
        jittered = t + rng.randint(-4000, 4000) / 1000.0  # scrapes off their schedule
        add('c', 'jitter', jittered, 7 * (jittered - start))
        add('c', 'nan', t, float('nan') if i % 7 == 3 else 2 * elapsed)
        add('c', 'reset_end', t, 0 if t == end else 4 * elapsed)
        add('g', 'wave', t, round(100 * math.sin(i / 5.0), 3) - 20)
        add('g', 'steps', t, [5, 5, 5, 7, 7, 3, 3, 3, 3, 9][i % 10])
        add('g', 'big', t, [1e16, 1.0, -1e16, 3.0][i % 4])  # compensated summation matters
        add('g', 'inf', t, [1.0, float('inf'), 2.0, float('-inf'), 3.0, float('nan')][i % 6])
        add('g', 'flat', t, 42)
    out = []
    for name in ('c', 'g'):
        out.append('# TYPE %s gauge\n' % name)
        for (series_name, case), points in series.items():
            if series_name != name:
                continue
            for t, value in points:
                text = 'NaN' if math.isnan(value) else ('+Inf' if value == math.inf else
                                                       '-Inf' if value == -math.inf else repr(float(value)))
                out.append('%s{job="history",instance="history:1",case="%s"} %s %.3f\n' % (name, case, text, t))
    out.append('# EOF\n')
    return ''.join(out)


def start_backfilled_prometheus(root, history):
    """A Prometheus over `history`, once it answers with the history's seven counters."""
    try:
        process, base, log_path = backfilled_prometheus(root, history)
    except RuntimeError as error:
        raise Failure(str(error))
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            if scalar_of(base, 'count(count_over_time(c[1h]))') == 7:
                return process, base, log_path
        except OSError:
            pass
        time.sleep(0.25)
    stop_group(process)
    raise Failure('the backfilled Prometheus did not serve the history in %ss:\n%s' % (STARTUP_SECONDS, tail(log_path)))


def history_cases(end):
    """(kind, expression, instant) of the range functions over the synthetic history."""
    cases = []
    for ago in INSTANTS:
        when = '%.3f' % (end - ago)
        for function in RANGE_FUNCTIONS:
            for window in RANGES:
                for name in ('c', 'g'):
                    cases.append(('history -%gs' % ago, '%s(%s[%s])' % (function, name, window), when))
        cases.append(('history -%gs' % ago, 'c[90s]', when))
        cases.append(('history -%gs' % ago, 'g[1m]', when))
        cases.append(('history -%gs' % ago, 'sum by (case) (rate(c[5m])) / 2', when))
        cases.append(('history -%gs' % ago, 'max_over_time(g{case="wave"}[7m30s]) - min_over_time(g{case="wave"}[7m30s])', when))
    return cases


RULE_WINDOW = '10s'   # the rules' window for the comparison: Prometheus scrapes every second
CHECK_WINDOW = '5s'   # both checks' window


def run(advisor, source, root):
    started = time.monotonic()
    hosts = build_hosts(source)
    rules = rule_expressions(advisor, source, RULE_WINDOW)
    history_end = (int(time.time()) // HISTORY_STEP) * HISTORY_STEP - 60
    servers = []
    prometheus = history_prometheus = None
    try:
        for _, text in hosts:
            servers.append(serve_metrics(ClimbingHost(text).body))
        targets = ['127.0.0.1:%d' % server.server_address[1] for server in servers]
        names = {target: name for target, (name, _) in zip(targets, hosts)}
        instance_of = {name: target for target, name in names.items()}

        prometheus, base, log_path = start_prometheus(root, targets)
        history_prometheus, history_base, _ = start_backfilled_prometheus(root, synthetic_history(history_end))
        wait_for_scrapes(base, prometheus, log_path, len(hosts))
        scraping = time.monotonic()
        # The rules' window full of scrapes: a second each.
        time.sleep(max(0.0, 12 - (time.monotonic() - scraping)))
        ready = time.monotonic()
        # An instant every host has samples before, in whole milliseconds.
        when = '%.3f' % ((int(time.time() * 1000) - 500) / 1000.0)

        live = ['--prometheus=' + base]
        scraped = ['--target=' + target for target in targets]
        cases = [('rule ' + rule_id, expr, live, base, when) for rule_id, expr in rules]
        cases += [('extra', expr.replace('{tuned}', instance_of['tuned']).replace('{golden}', instance_of['golden']),
                   scraped, base, when) for expr in EXTRA]
        cases += [('range', expr, live, base, when) for expr in RANGE_LIVE]
        cases += [(kind, expr, ['--prometheus=' + history_base], history_base, at)
                  for kind, expr, at in history_cases(history_end)]

        def evaluate(case):
            _, expr, ours, server, at = case
            return evaluate_prometheus(server, expr, at), evaluate_advisor(advisor, ours, expr, at)

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            outcomes = list(pool.map(evaluate, cases))
        # The whole advisor both ways: through this Prometheus, host by host, and by scraping
        # the hosts itself, over the same window. Same findings, same numbers, same commands.
        via_prometheus = check_findings(advisor, source, ['--prometheus', base, '--window', CHECK_WINDOW])
        via_targets = check_findings(advisor, source,
                                     [arg for t in targets for arg in ('--target', t)] + ['--window', CHECK_WINDOW])
    finally:
        for process in (prometheus, history_prometheus):
            if process is not None:
                stop_group(process)
        for server in servers:
            server.shutdown()
            server.server_close()

    print('%d hosts on %s..%s, Prometheus ready after %.1fs, evaluated at %s; the history ends at %d'
          % (len(hosts), targets[0], targets[-1], ready - started, when, history_end))
    mismatches, nonempty_rules, rules_without_fire = [], 0, []
    by_kind = {}
    print('%-8s %-36s %-80s %6s %6s' % ('', 'kind', 'expression', 'prom', 'ours'))
    for (kind, expr, _, _, _), (prom, ours) in zip(cases, outcomes):
        problems = compare(prom, ours, names)
        group = 'history' if kind.startswith('history') else kind.split(' ')[0]
        counts = by_kind.setdefault(group, [0, 0, 0])  # compared, errors on both sides, non-empty
        counts[0] += 1
        counts[1] += bool(prom[1] and ours[1])
        counts[2] += bool(not prom[1] and prom[0][0])

        def size(side):
            return 'error' if side[1] else str(len(side[0][0]))

        # The history's hundreds of cases are listed only when they differ.
        if group != 'history' or problems:
            print('%-8s %-36s %-80s %6s %6s' % ('OK' if not problems else 'MISMATCH', kind[:36], one_line(expr),
                                                size(prom), size(ours)))
            if prom[1] and ours[1]:
                print('       Prometheus: %s' % one_line(prom[1], 120))
                print('       advisor:    %s' % one_line(ours[1], 120))
        if problems:
            mismatches.append((kind, expr, problems))
            for problem in problems[:20]:
                print('       ' + problem)
            if len(problems) > 20:
                print('       ... and %d more' % (len(problems) - 20))
        if kind.startswith('rule ') and not prom[1]:
            if prom[0][0]:
                nonempty_rules += 1
            rule_id = kind[len('rule '):]
            fire_instances = {instance_of[name] for name in instance_of if name.startswith('fire/' + rule_id)
                              and name[len('fire/' + rule_id):][:1] in ('', '.')}
            found = {dict(key).get('instance') for key in prom[0][0]}
            if fire_instances and not fire_instances & found:
                rules_without_fire.append(rule_id)

    print()
    for group, (compared, errors, nonempty) in sorted(by_kind.items()):
        print('%-8s %4d expressions compared, %3d of them an error on both sides, %4d non-empty'
              % (group, compared, errors, nonempty))
    print('%d expressions compared in all: %d OK, %d MISMATCH'
          % (len(cases), len(cases) - len(mismatches), len(mismatches)))
    print('%d of %d rule expressions are non-empty on these hosts (at least %d required)'
          % (nonempty_rules, len(rules), MIN_NONEMPTY_RULES))
    if rules_without_fire:
        print('note: the expression of %s has no series for its fire fixture host(s) over this short history; the '
              'advisor may finish the decision outside PromQL' % ', '.join(rules_without_fire))
    failed = False
    if by_kind.get('history', [0, 0, 0])[2] < MIN_NONEMPTY_HISTORY:
        failed = True
        print('\nonly %d history expressions are non-empty: the history exercises too little' % by_kind.get('history', [0, 0, 0])[2])
    if mismatches:
        failed = True
        print('\nMISMATCHES:')
        for kind, expr, problems in mismatches:
            print('- %s: %s' % (kind, one_line(expr, 200)))
            for problem in problems:
                print('    ' + problem)
    if nonempty_rules < MIN_NONEMPTY_RULES:
        failed = True
        print('\nonly %d rule expressions are non-empty, fewer than %d: the data does not exercise the rules'
              % (nonempty_rules, MIN_NONEMPTY_RULES))
    check_problems = compare_checks(via_prometheus, via_targets, names)
    print('check --prometheus and check --target over %s: %d findings each way over %d hosts, %d differences'
          % (CHECK_WINDOW, len(via_prometheus), len(hosts), len(check_problems)))
    for problem in check_problems[:30]:
        print('    ' + problem)
    if check_problems or not via_prometheus:
        failed = True
    print('runtime %.1fs' % (time.monotonic() - started))
    return not failed


def check_findings(advisor, source, source_args):
    """`wgtune-advisor check --format json` over the given source: {(instance, rule, labels): finding}."""
    result = subprocess.run([advisor, 'check', '--rules', os.path.join(source, 'rules'), '--format', 'json',
                             '--wait-for-rates', '5s', *source_args], capture_output=True, text=True, timeout=120)
    if result.returncode not in (0, 1):
        raise Failure('check %s exited %d: %s' % (' '.join(source_args[:2]), result.returncode, result.stderr[-2000:]))
    report = json.loads(result.stdout)
    return {(f['instance'], f['rule'], tuple(sorted(f['labels'].items()))): f for f in report['findings']}


NUMBER = re.compile(r'-?\d+(?:\.\d+)?(?:e[+-]?\d+)?')


def same_text(a, b):
    """Equal but for numbers, which may differ by 1 % (or 0.05): the texts of one finding read
    from two samplings of the same climbing counters."""
    if NUMBER.sub('#', a) != NUMBER.sub('#', b):
        return False
    return all(math.isclose(float(x), float(y), rel_tol=0.01, abs_tol=0.05)
               for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)))


def compare_checks(via_prometheus, via_targets, names):
    problems = []
    for key in sorted(set(via_prometheus) | set(via_targets)):
        where = '%s on %s %s' % (key[1], names.get(key[0], key[0]), dict(key[2]))
        if key not in via_prometheus or key not in via_targets:
            problems.append('%s: only %s' % (where, 'via Prometheus' if key in via_prometheus else 'via targets'))
            continue
        for field in ('severity', 'value', 'summary', 'description', 'remediation', 'verify'):
            a, b = via_prometheus[key][field], via_targets[key][field]
            if field == 'value':
                equal = math.isclose(float(a), float(b), rel_tol=0.01, abs_tol=1e-9)
            else:
                equal = same_text(a, b) if field in ('summary', 'description') else a == b
            if not equal:
                problems.append('%s: %s differs: %r vs %r' % (where, field, a, b))
    return problems


def stop_group(process):
    """SIGTERM to the process group, then SIGKILL."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: advisor_promql_diff_test.py ADVISOR_BINARY SOURCE_DIR')
    advisor, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    for tool in ('prometheus', 'promtool'):
        if not shutil.which(tool):
            sys.exit('advisor_promql_diff: %s not found; install Prometheus (deploy/bootstrap.sh --test)' % tool)
    # SIGTERM (ctest's timeout) runs the cleanup in the finally blocks too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit('advisor_promql_diff: terminated'))
    with tempfile.TemporaryDirectory(prefix='wgtune-promql-diff-') as root:
        try:
            ok = run(advisor, source, root)
        except Failure as failure:
            print('advisor_promql_diff: %s' % failure)
            ok = False
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
