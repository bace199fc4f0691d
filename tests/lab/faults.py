#!/usr/bin/env python3
"""The fault lab (issue 5): faults of the field guide induced for real in the wglab mesh,
diagnosed by wgtune-advisor, fixed with the advisor's own commands, shown to clear.

    python3 tests/lab/faults.py softnet-backlog-drops [--view netns|host]
        [--exporter build/wgtune-exporter] [--advisor build/wgtune-advisor] [--rules rules]

Pieces, usable from tests:

- HostSysctls: a context manager for host-wide sysctls. It reads a value before its first
  change, writes the originals to a journal (/run/wgtune-faultlab) before touching anything,
  and restores them in reverse order on exit (errors, KeyboardInterrupt, SIGTERM and SIGHUP
  included). A run killed with SIGKILL leaves the journal, and the next HostSysctls restores
  it first. One fault lab at a time per machine: a lock file serializes them (the settings are
  global). Per-namespace settings (RPS masks of a namespace's devices, sysctls that are
  per-namespace, such as net.core.rmem_max on 6.x) need no bookkeeping: they die with the
  mesh's namespaces. clear_stale_mesh() removes what a SIGKILLed run left of its mesh.
- Exporter: wgtune-exporter for one mesh host, in one of two views:
  * "netns" (default): run inside the host's namespace with `ip netns exec`, which mounts the
    namespace's own /sys, so the exporter sees that host's eth0 / wg devices, their rx queues
    and RPS masks, its /proc/net (route, snmp, dev) and its per-namespace sysctls. Per-CPU
    files (/proc/net/softnet_stat, /proc/stat, /proc/interrupts, /proc/softirqs) are the
    whole machine's, in any namespace. NOT visible: the sysctls that the kernel registers only
    in the initial namespace: net.core.netdev_max_backlog, netdev_budget,
    netdev_budget_usecs, rps_sock_flow_entries and default_qdisc are absent from /proc/sys
    in a child namespace, so their metrics are absent (no error): rules that compare them
    (backlog-too-small-for-rps) cannot fire, rfs-disabled fires whatever the global table
    is, and templates that read them fall back (softnet-backlog-drops says
    netdev_max_backlog=? and leaves out the netdev_budget lines).
  * "host": run in the initial namespace with --path.sysfs at a sysfs mounted for the host's
    namespace (nsenter --net … mount -t sysfs), so the devices and RPS masks are the host's
    and the global sysctls are visible; but everything else that is per namespace is then the
    initial namespace's, not the mesh host's: /proc/net/route and /proc/net/snmp (the udp and
    wireguard-underlay collectors) and the per-namespace sysctls (on 6.18 net.core.rmem_*,
    wmem_*, net.ipv4.tcp_*, tcp_congestion_control: congestion-control-not-bbr fires for the
    machine, not the mesh host). For the backlog and budget rules that mix is right; for UDP,
    routes and buffers it is not.
  In both views the UAPI directory handed to the exporter holds only this host's socket
  (wireguard-go puts every namespace's socket in one /var/run/wireguard, so the default
  directory would show the other hosts' interfaces as this host's).
- advise(): `wgtune-advisor check --rules … --target … --format json` in the exporter's view
  (loopback is per namespace).
- softnet_backlog_drops(): the fault of §4.5 / §5.2, see its docstring.
"""
import argparse
import fcntl
import glob
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
import wglab  # noqa: E402
from exposition import parse as parse_metrics  # noqa: E402

JOURNAL_DIR = '/run/wgtune-faultlab'
# The exporter's log line with the port it listens on.
LISTENING = re.compile(r'msg=listening .*port=(\d+)')


# --- host-wide sysctls -----------------------------------------------------------------------

def sysctl_path(name):
    return '/proc/sys/' + name.replace('.', '/')


def read_sysctl(name):
    with open(sysctl_path(name)) as f:
        return f.read().strip()


def write_sysctl(name, value):
    with open(sysctl_path(name), 'w') as f:
        f.write(str(value))


class HostSysctls:
    """Changes host-wide sysctls and puts every one back on exit (see the module's doc).

    Must be entered from the initial network namespace (a lab script is): sysctls under
    net.core such as netdev_max_backlog exist only there.
    """
    SIGNALS = (signal.SIGTERM, signal.SIGHUP)

    def __init__(self, journal_dir=JOURNAL_DIR, lock_timeout=120, log=print):
        self.journal_dir, self.lock_timeout, self.log = journal_dir, lock_timeout, log
        self.journal = os.path.join(journal_dir, 'sysctls.json')
        self.saved = {}  # name → original text, in the order first changed
        self._lock = None
        self._previous_handlers = {}

    def __enter__(self):
        os.makedirs(self.journal_dir, exist_ok=True)
        self._lock = open(os.path.join(self.journal_dir, 'lock'), 'w')
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self._lock.close()
                    raise RuntimeError('another fault lab holds %s/lock' % self.journal_dir)
                time.sleep(0.2)
        try:
            self._recover()
        except BaseException:
            self._lock.close()
            raise
        for signum in self.SIGNALS:
            self._previous_handlers[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(self, *exc):
        # No signal may cut the restore short: they wait until it is done.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, *self.SIGNALS})
        try:
            self.restore()
        finally:
            for signum, handler in self._previous_handlers.items():
                signal.signal(signum, handler)
            self._previous_handlers = {}
            self._lock.close()  # releases the lock
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return False

    @staticmethod
    def _on_signal(signum, frame):
        raise SystemExit(128 + signum)  # unwinds every `with`, this one's restore included

    def _recover(self):
        """A journal left by a run that could not restore (SIGKILL): put its values back."""
        if not os.path.exists(self.journal):
            return
        with open(self.journal) as f:
            left = json.load(f)
        for name, value in reversed(list(left.items())):
            write_sysctl(name, value)
        self.log('faults: restored %s left by an interrupted run' %
                 ', '.join('%s=%s' % item for item in left.items()))
        os.unlink(self.journal)

    def _remember(self, name):
        if name in self.saved:
            return
        self.saved[name] = read_sysctl(name)
        tmp = self.journal + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(self.saved, f)
        os.replace(tmp, self.journal)

    def get(self, name):
        return read_sysctl(name)

    def set(self, name, value):
        self._remember(name)
        write_sysctl(name, value)

    def apply(self, command):
        """Runs one `sysctl -w name=value …` line as given (in this, the initial, namespace),
        after saving each sysctl it names; returns its output."""
        argv = shlex.split(command)
        if not argv or argv[0] != 'sysctl' or '-w' not in argv:
            raise ValueError('not a `sysctl -w` command: %r' % command)
        for arg in argv[1:]:
            if '=' in arg and not arg.startswith('-'):
                self._remember(arg.split('=', 1)[0].replace('/', '.'))
        result = subprocess.run(argv, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError('%s failed (%d): %s' % (command, result.returncode, result.stderr.strip()))
        return result.stdout

    def restore(self):
        errors = []
        for name, value in reversed(list(self.saved.items())):
            try:
                write_sysctl(name, value)
                if read_sysctl(name) != value:
                    errors.append('%s reads %r after restoring %r' % (name, read_sysctl(name), value))
            except OSError as error:
                errors.append('%s: %s' % (name, error))
        if errors:
            raise RuntimeError('could not restore: ' + '; '.join(errors) + ' (journal kept: %s)' % self.journal)
        self.saved = {}
        if os.path.exists(self.journal):
            os.unlink(self.journal)


def clear_stale_mesh(prefix, log=print):
    """Removes what a killed run of a lab with `prefix` left: the processes inside its
    namespaces (`ip netns pids`: nothing else), the namespaces, the UAPI sockets. Call it
    inside HostSysctls, whose lock says that no other fault lab is running."""
    names = [line.split()[0] for line in wglab.sh('ip', 'netns', 'list', capture=True).splitlines()
             if line.split() and line.split()[0].startswith(prefix + '-')]
    for name in names:
        for pid in wglab.sh('ip', 'netns', 'pids', name, capture=True, check=False).split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        wglab.sh('ip', 'netns', 'del', name, check=False)
    sockets = [n for n in os.listdir(wglab.UAPI_DIR) if n.startswith(prefix) and n.endswith('.sock')] \
        if os.path.isdir(wglab.UAPI_DIR) else []
    for name in sockets:
        os.unlink(os.path.join(wglab.UAPI_DIR, name))
    # The exporters' work directories (a sysfs may still be mounted in one of the host view).
    works = glob.glob(os.path.join(tempfile.gettempdir(), 'wgtune-faults-*'))
    for work in works:
        if os.path.ismount(os.path.join(work, 'sys')):
            subprocess.run(['umount', os.path.join(work, 'sys')], check=False)
        subprocess.run(['rm', '-rf', '--one-file-system', work], check=False)
    if names or sockets or works:
        log('faults: removed what an interrupted run left: %s' % ' '.join(names + sockets + works))


# --- the exporter and the advisor in a host's view -----------------------------------------

def metric_sum(samples, name):
    """Sum over every series of `name`, None when there is none."""
    values = [v for (n, _labels), v in samples.items() if n == name]
    return sum(values) if values else None


class Exporter:
    """wgtune-exporter for mesh host `host` (see the module's doc for the two views)."""

    def __init__(self, mesh, host, binary, view='netns', interval=1.0, extra_args=()):
        if view not in ('netns', 'host'):
            raise ValueError('view is netns or host')
        self.mesh, self.host, self.binary, self.view = mesh, host, binary, view
        self.interval, self.extra_args = interval, list(extra_args)
        self.work = None
        self.sysfs = None
        self.process = None
        self.target = None

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def run(self, argv, **kwargs):
        """Runs a command where the exporter is (its namespace, for its loopback)."""
        if self.view == 'netns':
            return self.mesh.run(self.host, argv, **kwargs)
        return subprocess.run(list(argv), text=True, **kwargs)

    def start(self):
        self.work = tempfile.mkdtemp(prefix='wgtune-faults-')
        uapi = os.path.join(self.work, 'uapi')
        os.mkdir(uapi)
        name = self.mesh.interface(self.host) + '.sock'
        os.symlink(os.path.join(wglab.UAPI_DIR, name), os.path.join(uapi, name))
        argv = [self.binary, '--web.listen-address=127.0.0.1:0', '--sample.interval=%s' % self.interval,
                '--wireguard.uapi-dir=' + uapi] + self.extra_args
        if self.view == 'host':
            self.sysfs = os.path.join(self.work, 'sys')
            os.mkdir(self.sysfs)
            # nsenter enters the network namespace only: the mount stays visible here, and a
            # sysfs shows the network devices of the namespace that mounts it.
            wglab.sh('nsenter', '--net=/run/netns/' + self.mesh.namespace(self.host),
                     'mount', '-t', 'sysfs', 'sysfs', self.sysfs)
            argv.append('--path.sysfs=' + self.sysfs)
        log_path = os.path.join(self.work, 'exporter.log')
        with open(log_path, 'w') as log:
            if self.view == 'netns':
                self.process = self.mesh.spawn(self.host, argv, stdout=subprocess.DEVNULL, stderr=log)
            else:
                self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 10
        while not (match := LISTENING.search(open(log_path).read())):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('the exporter did not start: ' + open(log_path).read())
            time.sleep(0.05)
        self.target = '127.0.0.1:' + match.group(1)

    def scrape(self):
        program = ('import sys, urllib.request; '
                   'sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())')
        return self.run([sys.executable, '-c', program, 'http://%s/metrics' % self.target],
                        capture_output=True, check=True, timeout=30).stdout

    def samples(self):
        return parse_metrics(self.scrape())

    def wait_for_rates(self, timeout=15):
        deadline = time.monotonic() + timeout
        while metric_sum(self.samples(), 'wgtune_softnet_dropped_per_second') is None:
            if time.monotonic() > deadline:
                raise RuntimeError('the exporter has no rates after %d s' % timeout)
            time.sleep(self.interval / 2)

    def stop(self):
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None
        if self.sysfs is not None:
            subprocess.run(['umount', self.sysfs], stderr=subprocess.DEVNULL)
            self.sysfs = None
        if self.work is not None:
            subprocess.run(['rm', '-rf', '--one-file-system', self.work])
            self.work = None

    def log_text(self):
        return open(os.path.join(self.work, 'exporter.log')).read() if self.work else ''


def advise(exporter, advisor, rules):
    """`wgtune-advisor check` of the exporter's host, in its view; the parsed JSON report."""
    result = exporter.run([advisor, 'check', '--rules', rules, '--target', exporter.target, '--format', 'json'],
                          capture_output=True, timeout=60)
    if result.returncode not in (0, 1):
        raise RuntimeError('wgtune-advisor check exited %d: %s' % (result.returncode, result.stderr.strip()))
    report = json.loads(result.stdout)
    for host in report.get('hosts', []):
        if host.get('error') or host.get('failures'):
            raise RuntimeError('wgtune-advisor check: %s' % json.dumps(host))
    return report


def findings_of(report, rule):
    return [f for f in report['findings'] if f['rule'] == rule]


def sysctl_commands(finding):
    """The `sysctl -w` lines of a finding's remediation, as given."""
    return [line.strip() for line in finding['remediation'].splitlines() if line.strip().startswith('sysctl -w ')]


# --- measuring under load --------------------------------------------------------------------

def softnet_dropped_total():
    """Column 2 of /proc/net/softnet_stat (hex), summed over the CPUs: the whole machine's."""
    with open('/proc/net/softnet_stat') as f:
        return sum(int(line.split()[1], 16) for line in f if line.strip())


def online_cpu_mask():
    """The RPS mask of every online CPU, as rps_cpus takes it (32-bit groups, high first)."""
    with open('/sys/devices/system/cpu/online') as f:
        spec = f.read().strip()
    mask = 0
    for part in spec.split(','):
        low, _, high = part.partition('-')
        for cpu in range(int(low), int(high or low) + 1):
            mask |= 1 << cpu
    groups = []
    while True:
        groups.append(mask & 0xffffffff)
        mask >>= 32
        if not mask:
            break
    return ','.join(['%x' % groups[-1]] + ['%08x' % g for g in reversed(groups[:-1])])


def flood(mesh, exporter, advisor, rules, rule, sender, receiver, iperf3_args, seconds, warmup=1.5):
    """A UDP flood from `sender` to `receiver` through the tunnel for `seconds`; while it runs,
    once a second, the exporter's summed wgtune_softnet_dropped_per_second and whether the
    advisor reports `rule`. Samples whose window may reach outside the flood (the first
    `warmup` seconds, the end) are left out."""
    dropped_before = softnet_dropped_total()
    run = mesh.iperf3_background(sender, receiver, iperf3_args, seconds)
    rates, checks, findings = [], [], []
    next_poll = run.started + warmup
    while time.monotonic() < run.started + seconds - 0.3 and run.running():
        time.sleep(max(0.0, next_poll - time.monotonic()))
        next_poll += 1.0
        rate = metric_sum(exporter.samples(), 'wgtune_softnet_dropped_per_second')
        report = advise(exporter, advisor, rules)
        found = findings_of(report, rule)
        rates.append(rate)
        checks.append(bool(found))
        findings += found
    report = run.wait()
    elapsed = time.monotonic() - run.started
    dropped = softnet_dropped_total() - dropped_before
    if 'error' in report or 'end' not in report:
        raise RuntimeError('iperf3 failed: %s' % report.get('error', report))
    received = report['end']['sum_received']
    return {
        'seconds': elapsed,
        'softnet_dropped': dropped,
        'softnet_dropped_per_second': dropped / elapsed,
        'exporter_dropped_per_second': rates,
        'advisor_reported': checks,
        'findings': findings,
        'received_bits_per_second': received['bits_per_second'],
        'lost_percent': received.get('lost_percent', 0.0),
        'packets': received.get('packets', 0),
    }


def describe(name, result):
    rates = ' '.join('%.0f' % r if r is not None else '-' for r in result['exporter_dropped_per_second'])
    return ('%-9s softnet drops %6d in %4.1f s = %7.1f/s | exporter drops/s per sample: %s | '
            'advisor reported the rule in %d of %d checks | received %.1f Mbit/s, %.1f%% of %d datagrams lost'
            % (name, result['softnet_dropped'], result['seconds'], result['softnet_dropped_per_second'], rates,
               sum(result['advisor_reported']), len(result['advisor_reported']),
               result['received_bits_per_second'] / 1e6, result['lost_percent'], result['packets']))


# --- the faults --------------------------------------------------------------------------------

SOFTNET_RULE = 'softnet-backlog-drops'
SOFTNET_FIX = 'sysctl -w net.core.netdev_max_backlog=10000'
# UDP datagrams that fit the tunnel's 1280 MTU (no IP fragmentation), as the baseline's udp_1200.
FLOOD_ARGS = ['-u', '-b', '0', '-l', '1200']


def softnet_backlog_drops(mesh, sysctls, exporter, advisor, rules, sender=1, receiver=2, backlog=4,
                          seconds=(4, 8, 6), log=print):
    """Softnet backlog drops (§4.5, §5.2): RPS on the receiver's underlay rx queues with the
    mask of every CPU and a tiny net.core.netdev_max_backlog, then a UDP flood through the
    tunnel. The advisor must report softnet-backlog-drops with `sysctl -w
    net.core.netdev_max_backlog=10000` in its remediation; its `sysctl -w` lines are applied as
    given (here, in the initial namespace: the sysctl exists only there); a second flood must
    show no drops and no finding.

    `seconds`: the floods without the fault (baseline), with it, and after the fix. Returns the
    three measurements and the commands applied; raises AssertionError when a step fails.

    Magnitude (2 vCPUs, kernel 6.18, wireguard-go 0.0.20220316): tens of drops/s (5–100/s
    over 8 s, single 1 s windows from 0 to ~500), not thousands. The veth delivers the
    underlay packets one by one (netif_rx per packet, an RPS IPI each) and this wireguard-go
    sends one datagram per sendmsg at ~20–25k packets/s, so the remote backlog seldom holds
    more than 4; only when the RPS target CPU is late (vCPU preemption) do they pile up. A
    NIC's NAPI poll hands RPS 64 packets at once, which is why real hosts drop far more.
    Without RPS (backlog 4 or not) and with 10000 there are none. One window in four or five
    shows ≤ 1/s, so the advisor is asked once a second and must report the rule at least once."""
    ns = mesh.namespace(receiver)
    log('faults: %s, sender host %d → receiver host %d (%s), exporter view %s, %d CPUs'
        % (SOFTNET_RULE, sender, receiver, ns, exporter.view, os.cpu_count()))
    exporter.wait_for_rates()

    baseline = flood(mesh, exporter, advisor, rules, SOFTNET_RULE, sender, receiver, FLOOD_ARGS, seconds[0])
    log(describe('baseline', baseline))

    mask = online_cpu_mask()
    queues = mesh.run(receiver, ['sh', '-c', 'ls -d /sys/class/net/eth0/queues/rx-*'], capture_output=True,
                      check=True).stdout.split()
    for queue in queues:
        mesh.run(receiver, ['sh', '-c', 'echo %s > %s/rps_cpus' % (mask, queue)], check=True)
    sysctls.set('net.core.netdev_max_backlog', backlog)
    log('faults: induced: rps_cpus=%s on %s of %s; net.core.netdev_max_backlog=%d (was %s)'
        % (mask, ','.join(os.path.basename(q) for q in queues), ns, backlog,
           sysctls.saved['net.core.netdev_max_backlog']))

    faulty = flood(mesh, exporter, advisor, rules, SOFTNET_RULE, sender, receiver, FLOOD_ARGS, seconds[1])
    log(describe('fault', faulty))
    assert faulty['findings'], 'the advisor never reported %s during the flood (%s)' % (SOFTNET_RULE, describe('fault', faulty))
    finding = max(faulty['findings'], key=lambda f: f['value'])  # the clearest of the checks
    log('faults: advisor: %s\n        %s\n        remediation: %s'
        % (finding['summary'], finding['description'].replace('\n', ' '), finding['remediation'].replace('\n', ' | ')))
    commands = sysctl_commands(finding)
    assert SOFTNET_FIX in commands, 'remediation lacks %r: %r' % (SOFTNET_FIX, finding['remediation'])

    for command in commands:
        sysctls.apply(command)
    log('faults: applied: %s' % '; '.join(commands))
    time.sleep(2 * exporter.interval)  # no sample window may still hold the faulty flood

    fixed = flood(mesh, exporter, advisor, rules, SOFTNET_RULE, sender, receiver, FLOOD_ARGS, seconds[2])
    log(describe('fixed', fixed))
    assert not fixed['findings'], 'the advisor still reports %s after the fix: %s' % (
        SOFTNET_RULE, fixed['findings'][0]['summary'])
    high = [r for r in fixed['exporter_dropped_per_second'] if r is not None and r > 1]
    assert not high, 'the exporter still sees softnet drops after the fix: %s/s' % high
    log(table([('defaults', baseline), ('+ RPS, netdev_max_backlog=%d' % backlog, faulty),
               ('+ ' + '; '.join(c.replace('sysctl -w ', '') for c in commands), fixed)]))
    return {'baseline': baseline, 'fault': faulty, 'fixed': fixed, 'applied': commands, 'finding': finding}


def table(rows):
    """The comparison table of the guide's §7.1 for (name, flood result) rows."""
    lines = ['| config | received | softnet drops/s | advisor reported the rule |', '|---|---|---|---|']
    for name, result in rows:
        lines.append('| %s | %.1f Mbit/s | %.1f | %d of %d checks |' % (
            name, result['received_bits_per_second'] / 1e6, result['softnet_dropped_per_second'],
            sum(result['advisor_reported']), len(result['advisor_reported'])))
    return '\n'.join(lines)


def main():
    source = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('fault', choices=[SOFTNET_RULE])
    parser.add_argument('--exporter', default=os.path.join(source, 'build/wgtune-exporter'))
    parser.add_argument('--advisor', default=os.path.join(source, 'build/wgtune-advisor'))
    parser.add_argument('--rules', default=os.path.join(source, 'rules'))
    parser.add_argument('--view', choices=['netns', 'host'], default='netns')
    parser.add_argument('--prefix', default='wgf')
    args = parser.parse_args()
    started = time.monotonic()
    with HostSysctls() as sysctls:
        clear_stale_mesh(args.prefix)
        with wglab.Mesh(hosts=2, prefix=args.prefix) as mesh:
            mesh.wait_for_handshakes()
            with Exporter(mesh, 2, args.exporter, view=args.view) as exporter:
                softnet_backlog_drops(mesh, sysctls, exporter, args.advisor, args.rules)
    print('faults: done in %.0f s; restored net.core.netdev_max_backlog=%s'
          % (time.monotonic() - started, read_sysctl('net.core.netdev_max_backlog')))


if __name__ == '__main__':
    main()
