#!/usr/bin/env python3
"""The fault lab (issue 5): faults of the field guide induced for real in the wglab mesh,
diagnosed by wgtune-advisor, fixed with the advisor's own commands, shown to clear.

    python3 tests/lab/faults.py [FAULT ...] [--json FILE]
        [--exporter build/wgtune-exporter] [--advisor build/wgtune-advisor] [--rules rules]

FAULTS (below) lists them, in the order they run: each says where it shows (the host whose
exporter the advisor reads), what the exporter's evidence is, the traffic it needs, the fix the
remediation must hold. run_fault() does the guide's loop for one: control, induce, observe,
diagnose, apply, observe again; results_table() is the comparison table of §7.1 for them.

Pieces, usable from tests:

- HostSysctls: a context manager for host-wide sysctls. It reads a value before its first
  change, writes the originals to a journal (/run/wgtune-faultlab) before touching anything,
  and restores them in reverse order on exit (errors, KeyboardInterrupt, SIGTERM and SIGHUP
  included). A run killed with SIGKILL leaves the journal, and the next HostSysctls restores
  it first. One fault lab at a time per machine: a lock file serializes them (the settings are
  global). Per-namespace settings (RPS masks of a namespace's devices, MTUs, qdiscs) need no
  bookkeeping: they die with the mesh's namespaces. clear_stale_mesh() removes what a
  SIGKILLed run left of its mesh.
- Exporter: wgtune-exporter for one mesh host, in one of two views:
  * "netns" (default): run inside the host's namespace with `ip netns exec`, which mounts the
    namespace's own /sys, so the exporter sees that host's eth0 / wg devices, their rx queues
    and RPS masks, its /proc/net (route, snmp, dev). Per-CPU files (/proc/net/softnet_stat,
    /proc/stat, /proc/interrupts, /proc/softirqs) are the whole machine's, in any namespace.
    Sysctls: net.core.netdev_max_backlog, netdev_budget, netdev_budget_usecs,
    rps_sock_flow_entries and default_qdisc are absent from /proc/sys in a child namespace
    (kernel 6.18), so their metrics are absent (no error): rules that compare them
    (backlog-too-small-for-rps, rfs-disabled) cannot judge there; net.core.rmem_* and
    wmem_* are read-only mirrors of the initial namespace's values.
  * "host": run in the initial namespace with --path.sysfs at a sysfs mounted for the host's
    namespace (nsenter --net … mount -t sysfs) and --path.procfs at an overlay of /proc whose
    `net` is the namespace's: devices, RPS masks, routes, snmp are the host's and the global
    sysctls are visible; per-namespace sysctls (net.ipv4.tcp_*) are the initial namespace's.
  In both views the UAPI directory handed to the exporter holds only this host's socket
  (wireguard-go puts every namespace's socket in one /var/run/wireguard, so the default
  directory would show the other hosts' interfaces as this host's).
- advise(): `wgtune-advisor check --rules … --target … --format json` in the exporter's view
  (loopback is per namespace).
- apply_remediation(): a finding's commands run where they belong (see its docstring).
"""
import argparse
import contextlib
import fcntl
import glob
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
import wglab  # noqa: E402
from exposition import free_port, parse as parse_metrics, stop as stop_process  # noqa: E402

JOURNAL_DIR = '/run/wgtune-faultlab'
# The exporter's log line with the port it listens on.
LISTENING = re.compile(r'msg=listening .*port=(\d+)')


# Every host-wide sysctl a fault, a fix or the workflow may touch (tests check they are back).
GLOBAL_SYSCTLS = ['net.core.netdev_max_backlog', 'net.core.rmem_default', 'net.core.rmem_max',
                  'net.core.rps_sock_flow_entries']
LAB_TOOLS = ('ip', 'wg', 'wireguard-go', 'iperf3', 'ping', 'tc')


def missing_prerequisites():
    """Why the lab cannot run on this machine, or None."""
    if os.geteuid() != 0:
        return 'needs root (namespaces, tun devices, host-wide sysctls)'
    missing = [tool for tool in LAB_TOOLS if not shutil.which(tool)]
    if missing:
        return 'missing %s' % ', '.join(missing)
    if (os.cpu_count() or 1) < 2:
        return 'RPS to another CPU needs 2 CPUs or more'
    return None


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

class Exporter:
    """wgtune-exporter for mesh host `host` (see the module's doc for the two views)."""

    def __init__(self, mesh, host, binary, view='netns', interval=1.0, extra_args=(), address='127.0.0.1'):
        """address: where it listens (a port is chosen); the underlay address of a netns-view
        exporter makes it reachable from the other hosts."""
        if view not in ('netns', 'host'):
            raise ValueError('view is netns or host')
        self.mesh, self.host, self.binary, self.view, self.address = mesh, host, binary, view, address
        self.interval, self.extra_args = interval, list(extra_args)
        self.work = None
        self.sysfs = None
        self._holder = None  # a process inside the host's namespace, for the host view's /proc/net
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

    def spawn(self, argv, **kwargs):
        """Starts a command where the exporter is, in the background."""
        if self.view == 'netns':
            return self.mesh.spawn(self.host, argv, **kwargs)
        return subprocess.Popen(list(argv), **kwargs)

    def fetch(self, url):
        """The body at `url`, fetched where the exporter is."""
        program = ('import sys, urllib.request; '
                   'sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())')
        return self.run([sys.executable, '-c', program, url], capture_output=True, check=True, timeout=30).stdout

    def start(self):
        self.work = tempfile.mkdtemp(prefix='wgtune-faults-')
        uapi = os.path.join(self.work, 'uapi')
        os.mkdir(uapi)
        name = self.mesh.interface(self.host) + '.sock'
        os.symlink(os.path.join(wglab.UAPI_DIR, name), os.path.join(uapi, name))
        argv = [self.binary, '--web.listen-address=%s:0' % self.address, '--sample.interval=%dms' % round(self.interval * 1000),
                '--wireguard.uapi-dir=' + uapi] + self.extra_args
        if self.view == 'host':
            self.sysfs = os.path.join(self.work, 'sys')
            os.mkdir(self.sysfs)
            # nsenter enters the network namespace only: the mount stays visible here, and a
            # sysfs shows the network devices of the namespace that mounts it.
            wglab.sh('nsenter', '--net=/run/netns/' + self.mesh.namespace(self.host),
                     'mount', '-t', 'sysfs', 'sysfs', self.sysfs)
            argv.append('--path.sysfs=' + self.sysfs)
            argv.append('--path.procfs=' + self._proc_overlay())
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
        self.target = '%s:%s' % (self.address, match.group(1))

    def _proc_overlay(self):
        """A procfs for the host view: /proc, entry by entry as symlinks, but `net` the host
        namespace's (/proc/PID/net of a process inside it shows that namespace's route, snmp, dev
        and softnet files), and no process directories (they come and go; the process collector
        then sees none). /proc/sys stays the initial namespace's: the global sysctls."""
        holder = self.mesh.spawn(self.host, ['sleep', 'infinity'])  # `ip netns exec` execs: same pid
        self._holder = holder
        proc = os.path.join(self.work, 'proc')
        os.mkdir(proc)
        for entry in os.listdir('/proc'):
            if entry.isdigit():
                continue
            target = '/proc/%d/net' % holder.pid if entry == 'net' else os.path.join('/proc', entry)
            os.symlink(target, os.path.join(proc, entry))
        return proc

    def scrape(self):
        return self.fetch('http://%s/metrics' % self.target)

    def samples(self):
        return parse_metrics(self.scrape())

    def wait_for_rates(self, timeout=15):
        deadline = time.monotonic() + timeout
        while evidence(self.samples(), 'wgtune_softnet_dropped_per_second') is None:
            if time.monotonic() > deadline:
                raise RuntimeError('the exporter has no rates after %d s' % timeout)
            time.sleep(self.interval / 2)

    def stop(self):
        if self.process is not None:
            stop_process(self.process)
            self.process = None
        if self._holder is not None:
            stop_process(self._holder)
            self._holder = None
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


class Daemon:
    """`wgtune-advisor run` over the exporter (every 2 s over a 4 s window: it keeps its own
    scrapes, one per exporter sample), its /metrics polled twice a second for `rule`'s findings:
    `states` the states seen (pending, firing), `holding` the polls that saw one."""

    def __init__(self, lab, exporter, rule):
        self.lab, self.exporter, self.rule = lab, exporter, rule
        self.states, self.holding, self.polls = set(), 0, 0
        self.process = self.thread = None
        self.stopping = threading.Event()

    def __enter__(self):
        port = free_port()
        self.url = 'http://127.0.0.1:%d/metrics' % port
        self.log_path = os.path.join(self.exporter.work, 'advisor-run.log')
        with open(self.log_path, 'w') as log:
            self.process = self.exporter.spawn([self.lab.advisor, 'run', '--rules', self.lab.rules, '--target',
                                                self.exporter.target, '--interval', '2s', '--window', '4s',
                                                '--web.listen-address', '127.0.0.1:%d' % port],
                                               stdout=subprocess.DEVNULL, stderr=log)
        self.thread = threading.Thread(target=self.poll, daemon=True)
        self.thread.start()
        return self

    def poll(self):
        pattern = re.compile(r'^wgtune_advisor_findings\{[^}]*rule="%s"[^}]*state="(\w+)"[^}]*\} (\S+)$'
                             % re.escape(self.rule), re.M)
        while not self.stopping.wait(0.5):
            try:
                text = self.exporter.fetch(self.url)
            except subprocess.CalledProcessError:
                continue  # not listening yet
            self.polls += 1
            held = {state for state, value in pattern.findall(text) if float(value) > 0}
            self.states |= held
            self.holding += bool(held)

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join()
        stop_process(self.process)
        return False


def findings_of(report, rule):
    return [f for f in report['findings'] if f['rule'] == rule]


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


def evidence(samples, metric, labels=None):
    """Sum of the exporter's `metric` over the series whose labels include `labels`; None when
    there is none."""
    values = [v for (n, series), v in samples.items()
              if n == metric and all(dict(series).get(k) == want for k, want in (labels or {}).items())]
    return sum(values) if values else None


class Load:
    """Traffic for a fault: iperf3 from host `sender` to host `receiver` through the tunnel."""

    def __init__(self, sender, receiver, args, seconds):
        self.sender, self.receiver, self.args, self.seconds = sender, receiver, list(args), seconds

    def describe(self):
        return 'iperf3 %s host %d → host %d, %d s' % (' '.join(self.args), self.sender, self.receiver, self.seconds)


def observe(lab, fault, exporter, load, warmup=1.5):
    """The exporter's evidence (fault.metric) and whether the advisor reports fault.rule, once a
    second while `load` runs (samples whose window may reach outside the traffic, the first
    `warmup` seconds and the end, are left out), or twice a second apart without load."""
    values, checks, findings = [], [], []

    def poll():
        values.append(evidence(exporter.samples(), *fault.metric) if fault.metric else None)
        found = findings_of(advise(exporter, lab.advisor, lab.rules), fault.rule)
        checks.append(bool(found))
        findings.extend(found)

    result = {'load': load.describe() if load else None}
    if load is None:
        for _ in range(2):
            poll()
            time.sleep(exporter.interval)
    else:
        dropped_before = softnet_dropped_total()
        run = lab.mesh.iperf3_background(load.sender, load.receiver, load.args, load.seconds)
        next_poll = run.started + warmup
        while time.monotonic() < run.started + load.seconds - 0.3 and run.running():
            time.sleep(max(0.0, next_poll - time.monotonic()))
            next_poll += 1.0
            poll()
        report = run.wait()
        elapsed = time.monotonic() - run.started
        if 'error' in report or 'end' not in report:
            raise RuntimeError('iperf3 failed: %s' % report.get('error', report))
        received = report['end']['sum_received']
        result.update({
            'seconds': elapsed,
            'softnet_dropped_per_second': (softnet_dropped_total() - dropped_before) / elapsed,
            'received_bits_per_second': received['bits_per_second'],
            'lost_percent': received.get('lost_percent', 0.0),
        })
    result.update({'evidence': values, 'reported': checks, 'findings': findings})
    return result


def describe(name, fault, result):
    values = ' '.join('%.0f' % v if v is not None else '-' for v in result['evidence'])
    line = '%-8s %s per check: %s | advisor reported %s in %d of %d checks' % (
        name, fault.metric[0] if fault.metric else '(no metric)', values or '-', fault.rule,
        sum(result['reported']), len(result['reported']))
    if result['load']:
        line += ' | %s: received %.1f Mbit/s, %.1f%% lost' % (
            result['load'], result['received_bits_per_second'] / 1e6, result['lost_percent'])
    return line


# --- applying the advisor's remediation ------------------------------------------------------

# Commands of a remediation the lab cannot run: there is no NetBird and no service manager of
# the mesh's hosts. They are listed as skipped, with this reason.
NOT_IN_LAB = {'netbird': 'no NetBird in the lab (the tunnel is wireguard-go)',
              'systemctl': 'the lab hosts run no services',
              'wg-quick': 'the lab does not use wg-quick'}
ECHO_TO_FILE = re.compile(r'^echo\s+(\S+)\s*>\s*(\S+)$')


def writable_in_namespace(mesh, host, path):
    return mesh.run(host, ['test', '-w', path]).returncode == 0


def apply_remediation(lab, host, remediation):
    """Runs a finding's remediation commands on mesh host `host`, as given, line by line:
    - a sysctl (`sysctl -w`, or `echo V > /proc/sys/...`) in the host's namespace when the
      namespace has it writable; otherwise it is host-wide (netdev_max_backlog,
      rps_sock_flow_entries, and rmem_*/wmem_*, read-only mirrors in a child namespace) and
      goes through HostSysctls, which journals and later restores it;
    - anything else with `sh -c` inside the namespace (its /sys is the namespace's);
    - comments are skipped, and the commands of NOT_IN_LAB, with the reason.
    Returns [{command, where, status, output}]; a failing command does not stop the others
    (the status says it), as the persisted boot script does."""
    applied = []
    for line in (l.strip() for l in remediation.splitlines()):
        if not line or line.startswith('#'):
            continue
        entry = {'command': line, 'where': 'host %d' % host, 'status': 0, 'output': ''}
        program = line.split()[0]
        echo = ECHO_TO_FILE.match(line)
        sysctl_name = None
        if line.startswith('sysctl -w '):
            sysctl_name = shlex.split(line)[2].split('=', 1)[0]
        elif echo and echo.group(2).startswith('/proc/sys/'):
            sysctl_name = echo.group(2)[len('/proc/sys/'):].replace('/', '.')
        if program in NOT_IN_LAB:
            entry.update(where='skipped', status=None, output=NOT_IN_LAB[program])
        elif sysctl_name and not writable_in_namespace(lab.mesh, host, sysctl_path(sysctl_name)):
            entry['where'] = 'host-wide (journaled)'
            try:
                if echo:
                    lab.sysctls.set(sysctl_name, echo.group(1))
                else:
                    entry['output'] = lab.sysctls.apply(line).strip()
            except (RuntimeError, OSError) as error:
                entry.update(status=1, output=str(error))
        else:
            result = lab.mesh.run(host, ['sh', '-c', line], capture_output=True, timeout=60)
            entry.update(status=result.returncode, output=(result.stdout + result.stderr).strip())
        applied.append(entry)
    return applied


def describe_applied(applied):
    lines = []
    for entry in applied:
        if entry['status'] is None:
            state = 'skipped: ' + entry['output']
        elif entry['status'] == 0:
            state = 'ok'
        else:
            state = 'FAILED (%d): %s' % (entry['status'], entry['output'].splitlines()[-1] if entry['output'] else '')
        lines.append('  [%s] %s — %s' % (entry['where'], entry['command'], state))
    return '\n'.join(lines)


# --- the faults --------------------------------------------------------------------------------

class Lab:
    """What every fault needs: the mesh, the host-wide sysctls, the programs, the log."""

    def __init__(self, mesh, sysctls, exporter, advisor, rules, log=print):
        self.mesh, self.sysctls, self.exporter, self.advisor, self.rules, self.log = \
            mesh, sysctls, exporter, advisor, rules, log

    def sh(self, host, command):
        """A shell command inside host `host`'s namespace; raises when it fails."""
        result = self.mesh.run(host, ['sh', '-c', command], capture_output=True)
        if result.returncode != 0:
            raise RuntimeError('host %d: %s failed: %s' % (host, command, result.stderr.strip()))
        return result.stdout


class Fault:
    """One fault of the guide, as the lab reproduces it.

    name: the lab's name (the CLI's argument); rule: the advisor rule that must diagnose it;
    host: the mesh host whose exporter the advisor reads (where the fault shows); view: the
    exporter's view (see Exporter); metric: (family, labels) of the exporter's evidence;
    load: traffic during each observation, or None for a configuration fault; fix: the start of
    a line the remediation must hold; control: observe before inducing and require the rule
    absent (True), only observe ('observe'), or not (False: the mesh's default is the fault);
    clears: whether the lab's own remediation can clear it here (userspace WireGuard cannot:
    the kernel has no WireGuard module); daemon: also require `wgtune-advisor run` on the same
    exporter to hold the rule's finding (pending or firing) while the fault is observed.
    induce(lab) makes the fault and says how; outside_fix(lab), when set, is what the
    remediation asks of someone else (the peer's operator) and the lab does after applying it.
    """

    def __init__(self, name, rule, host, induce, fix, metric=None, load=None, view='netns', control=True,
                 clears=True, outside_fix=None, settle=0.0, daemon=False):
        self.name, self.rule, self.host, self.induce, self.fix = name, rule, host, induce, fix
        self.metric, self.load, self.view, self.control = metric, load, view, control
        self.clears, self.outside_fix, self.settle, self.daemon = clears, outside_fix, settle, daemon


# UDP datagrams that fit the tunnel's 1280 MTU (no IP fragmentation), as the baseline's udp_1200.
FLOOD_ARGS = ['-u', '-b', '0', '-l', '1200']
# A UDP stream this machine's wireguard-go carries without loss at default settings (2 vCPUs:
# ~250 Mbit/s is the ceiling), so that every drop the fault makes is the fault's.
STREAM_ARGS = ['-u', '-b', '50M', '-l', '1200']


def induce_softnet_backlog(lab, backlog=4):
    """RPS on the receiver's underlay rx queues with the mask of every CPU, and a tiny
    host-wide net.core.netdev_max_backlog (§4.5, §5.2).

    Magnitude (2 vCPUs, kernel 6.18, wireguard-go 0.0.20220316): tens of drops/s (5–100/s
    over 8 s, single 1 s windows from 0 to ~500), not thousands. The veth delivers the
    underlay packets one by one (netif_rx per packet, an RPS IPI each) and this wireguard-go
    sends one datagram per sendmsg at ~20–25k packets/s, so the remote backlog seldom holds
    more than 4; only when the RPS target CPU is late (vCPU preemption) do they pile up. A
    NIC's NAPI poll hands RPS 64 packets at once, which is why real hosts drop far more.
    Without RPS (backlog 4 or not) and with 10000 there are none. One window in four or five
    shows ≤ 1/s, so the advisor is asked once a second and must report the rule at least once."""
    mask = online_cpu_mask()
    lab.sh(2, 'for q in /sys/class/net/eth0/queues/rx-*; do echo %s > $q/rps_cpus; done' % mask)
    lab.sysctls.set('net.core.netdev_max_backlog', backlog)
    return 'rps_cpus=%s on eth0 of host 2; net.core.netdev_max_backlog=%d (was %s)' % (
        mask, backlog, lab.sysctls.saved['net.core.netdev_max_backlog'])


def induce_rcvbuf(lab, rmem_default=16384):
    """A small host-wide net.core.rmem_default: the receiving iperf3's socket (it sets no
    SO_RCVBUF of its own) holds ~10 datagrams, and a 100 Mbit/s stream overflows it.
    (net.core.rmem_* cannot be written in a child namespace on 6.x: there they are read-only
    mirrors of the initial namespace's.)"""
    lab.sysctls.set('net.core.rmem_default', rmem_default)
    return 'net.core.rmem_default=%d (was %s)' % (rmem_default, lab.sysctls.saved['net.core.rmem_default'])


def induce_tx_drops(lab, limit=2):
    """A pfifo of limit 2 as root qdisc of the sender's WireGuard interface, and its
    txqueuelen 2. On a tun device the pfifo alone drops nothing: tun never stops its queue, so
    the qdisc never holds a packet; it drops at its own ring (tx_dropped), which is txqueuelen
    packets long and fills when wireguard-go reads slower than the host writes."""
    wg = lab.mesh.interface(1)
    lab.sh(1, 'tc qdisc replace dev %s root pfifo limit %d && ip link set dev %s txqueuelen %d' % (wg, limit, wg, limit))
    return 'pfifo limit %d root qdisc and txqueuelen %d on %s of host 1' % (limit, limit, wg)


def induce_mtu(mtu):
    def induce(lab):
        wg = lab.mesh.interface(2)
        lab.sh(2, 'ip link set dev %s mtu %d' % (wg, mtu))
        return 'MTU %d on %s of host 2 (underlay eth0: 1500)' % (mtu, wg)
    return induce


def induce_stale_handshake(lab):
    """Host 1's WireGuard taken down, and host 2's peer entry for it re-created, so that host 2
    holds a peer with an endpoint that has never completed a handshake (the "no handshake
    ever" branch of the rule; the other, a last handshake older than 180 s, would need three
    minutes of waiting)."""
    lab.mesh.stop_daemon(1)
    lab.sh(2, 'wg set %s peer %s remove' % (lab.mesh.interface(2), lab.mesh.public_key(1)))
    lab.mesh.add_peer(2, 1)
    return 'wireguard-go of host 1 stopped; host 2 re-adds it as a peer (endpoint %s:%d)' % (
        lab.mesh.underlay_ip(1), wglab.LISTEN_PORT)


def restart_peer(lab):
    """What the remediation asks of the peer's side: its WireGuard up and listening."""
    lab.mesh.start_daemon(1)
    lab.mesh.configure_interface(1)
    deadline = time.monotonic() + 20
    while not all(peer['latest_handshake'] > 0 for peer in lab.mesh.dump(2)[1].values()):
        if time.monotonic() > deadline:
            raise RuntimeError('host 2 has no handshake with host 1 after its restart')
        time.sleep(0.2)
    return 'host 1: wireguard-go started again, handshake with host 2 done'


def induce_rps_off(lab):
    lab.sh(2, 'for q in /sys/class/net/eth0/queues/rx-*; do echo 0 > $q/rps_cpus; done')
    return 'rps_cpus=0 on every rx queue of eth0 of host 2 (the kernel default)'


def induce_rfs_off(lab):
    """RPS on, RFS off: the host-wide flow table and the queues' flow counts at 0."""
    mask = online_cpu_mask()
    lab.sh(2, 'for q in /sys/class/net/eth0/queues/rx-*; do echo %s > $q/rps_cpus; echo 0 > $q/rps_flow_cnt; done'
           % mask)
    lab.sysctls.set('net.core.rps_sock_flow_entries', 0)
    return 'rps_cpus=%s, rps_flow_cnt=0 on eth0 of host 2; net.core.rps_sock_flow_entries=0 (was %s)' % (
        mask, lab.sysctls.saved['net.core.rps_sock_flow_entries'])


def induce_nothing(lab):
    return 'none: the mesh runs wireguard-go'


FAULTS = [
    Fault('wireguard-userspace', 'wireguard-userspace', 2, induce_nothing, 'modprobe wireguard',
          metric=('wgtune_wireguard_interface_info', {'implementation': 'userspace'}), control=False, clears=False),
    Fault('mtu-1280', 'wireguard-mtu-low', 2, induce_mtu(1280), 'ip link set {wg2} mtu 1420',
          metric=('wgtune_wireguard_mtu_bytes', {}), control=False),
    Fault('mtu-1500', 'wireguard-mtu-too-high', 2, induce_mtu(1500), 'ip link set {wg2} mtu 1420',
          metric=('wgtune_wireguard_mtu_bytes', {})),
    # The control is only observed: at the default rmem_default (212992 bytes, ~90 datagrams)
    # this 2-vCPU machine itself overflows the receiving socket now and then when the receiver
    # is preempted for ~10 ms; with the fault it overflows all the time, with the fix (1 MiB) not.
    Fault('udp-rcvbuf-errors', 'udp-rcvbuf-errors', 2, induce_rcvbuf, 'sysctl -w net.core.rmem_default=1048576',
          metric=('wgtune_udp_rcvbuf_errors_per_second', {}), load=Load(1, 2, STREAM_ARGS, 6), control='observe',
          settle=2.0),
    Fault('tx-drops', 'qdisc-tx-drops', 1, induce_tx_drops, 'ip link set dev {wg1} txqueuelen 10000',
          metric=('wgtune_network_transmit_drop_per_second', {'device': '{wg1}'}), load=Load(1, 2, STREAM_ARGS, 6),
          settle=2.0),
    # RPS and RFS need the host-wide rps_sock_flow_entries, which only the host view shows.
    Fault('rps-off', 'rps-disabled', 2, induce_rps_off, 'echo {mask} > /sys/class/net/eth0/queues/rx-0/rps_cpus',
          metric=('wgtune_rps_cpus', {'device': 'eth0'}), view='host', control=False),
    # No control: RPS on with RFS off is what the RPS fix leaves.
    Fault('rfs-off', 'rfs-disabled', 2, induce_rfs_off, 'echo 32768 > /proc/sys/net/core/rps_sock_flow_entries',
          metric=('wgtune_rps_sock_flow_entries', {}), view='host', control=False),
    Fault('softnet-backlog-drops', 'softnet-backlog-drops', 2, induce_softnet_backlog,
          'sysctl -w net.core.netdev_max_backlog=10000', metric=('wgtune_softnet_dropped_per_second', {}),
          load=Load(1, 2, FLOOD_ARGS, 8), settle=2.0, daemon=True),
    Fault('stale-handshake', 'wireguard-handshake-stale', 2, induce_stale_handshake, 'wg show {wg2} listen-port',
          metric=('wgtune_wireguard_peer_last_handshake_seconds', {}), outside_fix=restart_peer),
]
FAULT_NAMES = [f.name for f in FAULTS]


def run_fault(lab, fault):
    """Induce, diagnose, fix with the advisor's own commands, re-observe. Returns the record;
    raises AssertionError when the advisor misses the fault, lacks the fix, reports it in the
    control, or (for a fault the lab can clear) still reports it after the fix."""
    names = {'wg1': lab.mesh.interface(1), 'wg2': lab.mesh.interface(2), 'mask': online_cpu_mask()}
    expected_fix = fault.fix.format(**names)
    metric = (fault.metric[0], {k: v.format(**names) for k, v in fault.metric[1].items()}) if fault.metric else None
    fault = Fault(**{**vars(fault), 'metric': metric})
    lab.log('faults: --- %s: rule %s, exporter on host %d (%s view)' % (fault.name, fault.rule, fault.host, fault.view))
    record = {'fault': fault.name, 'rule': fault.rule}
    with Exporter(lab.mesh, fault.host, lab.exporter, view=fault.view) as exporter:
        exporter.wait_for_rates()
        if fault.control:
            control = observe(lab, fault, exporter, fault.load)
            lab.log(describe('control', fault, control))
            assert fault.control == 'observe' or not control['findings'], '%s: the advisor reports %s before the fault: %s' % (
                fault.name, fault.rule, control['findings'][0]['summary'])
            record['control'] = control
        record['induced'] = fault.induce(lab)
        lab.log('faults: induced: ' + record['induced'])
        time.sleep(fault.settle or exporter.interval)  # a sample of the new state
        with Daemon(lab, exporter, fault.rule) if fault.daemon else contextlib.nullcontext() as daemon:
            faulty = observe(lab, fault, exporter, fault.load)
        lab.log(describe('fault', fault, faulty))
        if daemon is not None:
            lab.log('faults: run: %s %s in %d of %d evaluations read' % (
                fault.rule, '/'.join(sorted(daemon.states)) or 'never', daemon.holding, daemon.polls))
            assert daemon.holding, '%s: wgtune-advisor run never held %s while the fault ran' % (fault.name, fault.rule)
            record['daemon'] = {'states': sorted(daemon.states), 'holding': daemon.holding, 'polls': daemon.polls}
        assert faulty['findings'], '%s: the advisor never reported %s (%s)' % (
            fault.name, fault.rule, describe('fault', fault, faulty))
        finding = max(faulty['findings'], key=lambda f: f['value'])  # the clearest of the checks
        lab.log('faults: advisor: %s\n        remediation: %s' % (finding['summary'], finding['remediation'].replace('\n', ' | ')))
        assert any(l.strip().startswith(expected_fix) for l in finding['remediation'].splitlines()), \
            '%s: the remediation lacks %r: %r' % (fault.name, expected_fix, finding['remediation'])
        applied = apply_remediation(lab, fault.host, finding['remediation'])
        lab.log('faults: applied:\n' + describe_applied(applied))
        if fault.outside_fix:
            record['outside_fix'] = fault.outside_fix(lab)
            lab.log('faults: outside the host: ' + record['outside_fix'])
        time.sleep(fault.settle or exporter.interval)  # no sample window may still hold the fault
        fixed = observe(lab, fault, exporter, fault.load)
        lab.log(describe('fixed', fault, fixed))
    record.update({'fault_observed': faulty, 'finding': finding, 'applied': applied, 'fixed': fixed,
                   'cleared': not fixed['findings']})
    if fault.clears:
        assert record['cleared'], '%s: the advisor still reports %s after the fix: %s' % (
            fault.name, fault.rule, fixed['findings'][0]['summary'])
    return record


def outcome(record):
    if record['cleared']:
        return 'cleared'
    failed = ['%s (%s)' % (a['command'], a['output'].splitlines()[-1] if a['output'] else 'exit %d' % a['status'])
              for a in record['applied'] if a['status']]
    return 'not cleared here: ' + '; '.join(failed) if failed else 'not cleared'


def number(values):
    known = [v for v in values if v is not None]
    return '%.4g' % max(known) if known else '-'


def cell(text):
    return str(text).replace('|', '\\|').replace('\n', ' ')


def results_table(records):
    """The lab's comparison table (§7.1 for faults): per fault, the exporter's evidence (the
    highest value seen) and the advisor's verdict with the fault and after its own fix."""
    by_name = {f.name: f for f in FAULTS}
    lines = ['| fault | rule | induced | evidence with the fault | advisor | applied | evidence after | result |',
             '|---|---|---|---|---|---|---|---|']
    for record in records:
        fault = by_name[record['fault']]
        metric = fault.metric[0].replace('wgtune_', '') if fault.metric else ''
        ran = [a for a in record['applied'] if a['status'] is not None]
        lines.append('| ' + ' | '.join(cell(c) for c in (
            record['fault'], record['rule'], record['induced'],
            '%s %s' % (metric, number(record['fault_observed']['evidence'])),
            'reported in %d of %d checks' % (sum(record['fault_observed']['reported']),
                                             len(record['fault_observed']['reported'])),
            '%d of %d commands ok' % (sum(1 for a in ran if a['status'] == 0), len(ran)),
            number(record['fixed']['evidence']), outcome(record))) + ' |')
    return '\n'.join(lines)


def run_faults(lab, names):
    """The faults `names` in the lab's order; every one runs even when one before failed.
    Returns (records, failures)."""
    records, failures = [], []
    for fault in FAULTS:
        if fault.name not in names:
            continue
        try:
            records.append(run_fault(lab, fault))
        except AssertionError as error:
            lab.log('faults: FAILED: %s' % error)
            failures.append(str(error))
    return records, failures


def main():
    source = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('faults', nargs='*', metavar='FAULT',
                        help='faults to run, in the lab\'s order: %s (default: all)' % ', '.join(FAULT_NAMES))
    parser.add_argument('--exporter', default=os.path.join(source, 'build/wgtune-exporter'))
    parser.add_argument('--advisor', default=os.path.join(source, 'build/wgtune-advisor'))
    parser.add_argument('--rules', default=os.path.join(source, 'rules'))
    parser.add_argument('--prefix', default='wgf')
    parser.add_argument('--json', help='write the records here')
    args = parser.parse_args()
    unknown = [name for name in args.faults if name not in FAULT_NAMES + ['all']]
    if unknown:
        parser.error('unknown fault %s; the faults: %s' % (', '.join(unknown), ', '.join(FAULT_NAMES)))
    names = FAULT_NAMES if not args.faults or 'all' in args.faults else args.faults
    started = time.monotonic()
    with HostSysctls() as sysctls:
        clear_stale_mesh(args.prefix)
        with wglab.Mesh(hosts=2, prefix=args.prefix) as mesh:
            mesh.wait_for_handshakes()
            lab = Lab(mesh, sysctls, args.exporter, args.advisor, args.rules)
            records, failures = run_faults(lab, names)
        restored = dict(sysctls.saved)
    print(results_table(records))
    if restored:
        print('restored: ' + ', '.join('%s=%s' % item for item in restored.items()))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(records, f, indent=1, default=str)
    print('faults: %d of %d as expected in %.0f s' % (len(names) - len(failures), len(names), time.monotonic() - started))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
