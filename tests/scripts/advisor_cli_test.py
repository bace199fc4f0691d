#!/usr/bin/env python3
"""wgtune-advisor's commands against a real wgtune-exporter on the guide's fixture host.

- check watches each exporter for one of its sample intervals (the window of its rules over
  counters, as the guide's "sample, sleep 5, sample again") and then reports the guide's
  findings (exit 1) in text, JSON and Markdown; counters that stand still raise no drop or IRQ
  finding; an unreachable target is an error (exit 2);
- persist writes the sysctl.d file, the boot script and its unit, and the NetBird MTU for review;
- lint passes the bundled rules and refuses broken ones with file, line and rule id (exit 2);
- export prometheus-rules writes a file `promtool check rules` accepts.
Usage: advisor_cli_test.py ADVISOR EXPORTER SOURCE_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from exposition import stop, wait_for

advisor, exporter, source = sys.argv[1], sys.argv[2], sys.argv[3]
fixtures = os.path.join(source, 'tests/fixtures/e2e')
rules = os.path.join(source, 'rules')


def run(*args, timeout=60):
    started = time.monotonic()
    result = subprocess.run([advisor, *args], capture_output=True, text=True, timeout=timeout)
    return result, time.monotonic() - started


def start_exporter(root, log_path):
    shutil.copytree(os.path.join(fixtures, 'sample1'), root, symlinks=True, dirs_exist_ok=True)
    log = open(log_path, 'w')
    process = subprocess.Popen(
        [exporter, '--web.listen-address=127.0.0.1:0', '--path.procfs=' + root + '/proc',
         '--path.sysfs=' + root + '/sys', '--path.rootfs=' + root,
         '--collector.ethtool.replay-dir=' + root + '/ethtool',
         '--collector.wireguard.netlink-replay-dir=' + root + '/netlink',
         '--collector.qdisc.replay-dir=' + root + '/netlink',
         '--wireguard.uapi-dir=' + root + '/run/wireguard', '--sample.interval=3s',
         '--collector.processes.names=irqbalance', '--collector.processes.names=wireguard-go'],
        stderr=log)
    port = wait_for(lambda: re.search(r'msg=listening .*port=(\d+)', open(log_path).read()), 10,
                    'the listening log line').group(1)
    return process, '127.0.0.1:' + port


def on_fresh_host(tmp, name, *args):
    """Runs the advisor with `args` against a just-started exporter whose counters move between
    its first and second sample (sample1 then sample2), as a host under load: check watches one
    sample interval, so each check needs a host whose counters move in it. Returns (result,
    seconds, target)."""
    process, target = start_exporter(os.path.join(tmp, name), os.path.join(tmp, name + '.log'))
    try:
        shutil.copytree(os.path.join(fixtures, 'sample2'), os.path.join(tmp, name), symlinks=True, dirs_exist_ok=True)
        result, took = run(*[target if arg == '{target}' else arg for arg in args])
        return result, took, target
    finally:
        stop(process)


with tempfile.TemporaryDirectory() as tmp:
    # A freshly started exporter of a host that stands still: check watches it for one sample
    # interval (3 s), sees its counters not move and finds only what the settings say.
    process, target = start_exporter(os.path.join(tmp, 'host0'), os.path.join(tmp, 'exporter0.log'))
    try:
        result, took = run('check', '--rules', rules, '--target', target, '--wait-for-rates', '0s',
                           '--format', 'json')
        assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
        assert took >= 2.5, 'check did not watch the exporter for its sample interval (%.1fs)' % took
        fired = {f['rule'] for f in json.loads(result.stdout)['findings']}
        assert 'wireguard-mtu-low' in fired and 'rps-disabled' in fired, fired
        assert not fired & {'irq-single-core', 'softnet-backlog-drops', 'nic-ring-overflow'}, fired
    finally:
        stop(process)

    # Hosts whose counters move: the guide's findings, in numbers and commands.
    result, took, target = on_fresh_host(tmp, 'host1', 'check', '--rules', rules, '--target', '{target}', '--format',
                                         'json', '--wait-for-rates', '30s')
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert took >= 2.5, 'check did not watch the exporter for its sample interval (%.1fs)' % took
    report = json.loads(result.stdout)
    host = report['hosts'][0]
    assert (len(report['hosts']), host['instance'], host['tuned'], host['error'], host['failures']) == \
        (1, target, False, '', []), report['hosts']
    # A 3 s look cannot count handshakes over churn's 10 minutes, and says so; everything else it judged.
    assert [(n['rule'], n['cause']) for n in host['not_judged']] == [('wireguard-handshake-churn', 'history')], host
    assert 'of the last 10m, less than half of it' in host['not_judged'][0]['reason'], host
    by_rule = {f['rule']: f for f in report['findings']}
    irq = by_rule['irq-single-core']
    assert irq['severity'] == 'critical' and irq['instance'] == target, irq
    assert irq['labels'] == {'cpu': '1', 'device': 'enP30832s1', 'driver': 'mlx5_core'}, irq['labels']
    for line in ('systemctl stop irqbalance && systemctl disable irqbalance',
                 'echo 1 > /proc/irq/25/smp_affinity', 'echo 8 > /proc/irq/28/smp_affinity'):
        assert line in irq['remediation'].splitlines(), irq['remediation']
    assert 'echo f > /sys/class/net/eth0/queues/rx-0/rps_cpus' in by_rule['rps-disabled']['remediation']
    assert 'sysctl -w net.core.netdev_max_backlog=10000' in by_rule['softnet-backlog-drops']['remediation']
    assert by_rule['softnet-backlog-drops']['persist'][0] == \
        "echo 'net.core.netdev_max_backlog = 10000' >> /etc/sysctl.d/99-netbird-tuning.conf"
    assert 'ip link set wt0 mtu 1420' in by_rule['wireguard-mtu-low']['remediation']
    order = [f['rule'] for f in report['findings']]
    assert order.index('wireguard-mtu-low') < order.index('irq-single-core') < order.index('tcp-buffers-small'), order

    result, _, target = on_fresh_host(tmp, 'host2', 'check', '--rules', rules, '--target', '{target}')
    assert result.returncode == 1
    assert re.match(r'wgtune-advisor: %s — \d+ findings \(\d+ critical, \d+ warning, \d+ info\), 1 rule not judged, '
                    r'ordered by expected gain\n' % re.escape(target), result.stdout), result.stdout[:300]
    assert '\nNot judged (' in result.stdout and '  wireguard-handshake-churn — the samples of' in result.stdout
    assert '[critical] irq-single-core — enP30832s1 (mlx5_core): CPU1 handles 98.8% of NIC interrupts' \
        in result.stdout, result.stdout
    result, _, _ = on_fresh_host(tmp, 'host3', 'check', '--rules', rules, '--target', '{target}', '--format', 'markdown')
    assert result.returncode == 1 and '```sh\nsystemctl stop irqbalance' in result.stdout, result.stdout[:500]

    # persist: the files that keep these fixes across reboots, written for review.
    out_dir = os.path.join(tmp, 'persist')
    result, _, target = on_fresh_host(tmp, 'host4', 'persist', '--rules', rules, '--target', '{target}', '--output-dir',
                                      out_dir)
    assert result.returncode == 0, result.stderr
    host_dir = os.path.join(out_dir, target)
    conf = open(os.path.join(host_dir, 'etc/sysctl.d/99-netbird-tuning.conf')).read()
    assert 'net.core.netdev_max_backlog = 10000\n' in conf and 'net.ipv4.tcp_rmem = 4096 131072 16777216\n' in conf, conf
    script = os.path.join(host_dir, 'usr/local/sbin/network-tune.sh')
    assert os.access(script, os.X_OK), 'the boot script is not executable'
    script_text = open(script).read()
    assert "run 'echo 1 > /proc/irq/25/smp_affinity'" in script_text, script_text
    assert "run 'echo f > /sys/class/net/eth0/queues/rx-0/rps_cpus'" in script_text, script_text
    assert subprocess.run(['sh', '-n', script]).returncode == 0
    unit = open(os.path.join(host_dir, 'etc/systemd/system/network-tuning.service')).read()
    assert 'ExecStart=/usr/local/sbin/network-tune.sh' in unit, unit
    assert 'netbird up --mtu 1420' in open(os.path.join(host_dir, 'netbird-mtu.txt')).read()

    # The same host through a site's params: with every threshold out of reach, fewer findings.
    site = os.path.join(tmp, 'site.toml')
    with open(site, 'w') as f:
        f.write('[params.irq-single-core]\nshare = 0.999\n')
    result, _, _ = on_fresh_host(tmp, 'host5', 'check', '--rules', rules, '--rules.params', site, '--target', '{target}',
                                 '--format', 'json')
    assert 'irq-single-core' not in {f['rule'] for f in json.loads(result.stdout)['findings']}

    # Nobody listening: an error, not a clean bill of health.
    result, took = run('check', '--rules', rules, '--target', target, '--scrape.timeout', '1s', '--wait-for-rates', '3s')
    assert result.returncode == 2, (result.returncode, result.stdout)
    assert took >= 3, 'an unreachable target is retried within the wait (%.1fs)' % took
    assert 'not checked' in result.stdout, result.stdout

    # Bad flags and values: one line naming them, exit 2 (never CLI11's codes or an abort).
    for args, said in [(('--log.level=bogus', 'lint'), '--log.level: bogus not in'),
                       (('--log.format=xml', 'lint'), '--log.format: xml not in'),
                       (('check', '--window=soon'), '--window: not a duration'),
                       (('run', '--interval=0.5'), '--interval: not a duration'),
                       (('check', '--no-such-flag'), '--no-such-flag'),
                       (('--rules', rules, '--rules.params', os.path.join(tmp, 'absent.toml'), 'lint'), 'cannot read ')]:
        result, _ = run(*args)
        lines = result.stderr.splitlines()
        assert result.returncode == 2 and len(lines) == 1 and said in lines[0], (args, result.returncode, result.stderr)

    # lint: clean bundled rules; a broken file named by file, line and rule.
    result, _ = run('lint', '--rules', rules)
    assert result.returncode == 0, result.stderr
    broken = os.path.join(tmp, 'broken-rules')
    shutil.copytree(rules, broken)
    with open(os.path.join(broken, 'zz-site.toml'), 'w') as f:
        f.write('[[rule]]\nid = "site-typo"\nseverity = "warning"\nexpr = "wgtune_softnet_droped_per_second > 1"\n'
                'summary = "s"\ndescription = "d"\nremediation = "r"\n\n'
                '[[rule]]\nid = "site-syntax"\nseverity = "warning"\nexpr = "sum by (cpu (x)"\n'
                'summary = "s"\ndescription = "d"\nremediation = "r"\n')
    result, _ = run('lint', '--rules', broken)
    assert result.returncode == 2, result
    path = os.path.join(broken, 'zz-site.toml')
    assert '%s:1: rule site-typo: expr: unknown metric wgtune_softnet_droped_per_second' % path in result.stderr, \
        result.stderr
    assert '%s:9: rule site-syntax: expr: position ' % path in result.stderr, result.stderr
    with open(os.path.join(broken, 'zz-site.toml'), 'w') as f:
        f.write('[[rule]]\nid = "site-typo"\nseverity = "high"\n')
    result, _ = run('lint', '--rules', broken)
    assert result.returncode == 2 and 'zz-site.toml:3: rule site-typo: severity must be critical, warning or info' \
        in result.stderr, result.stderr
    result, _ = run('check', '--rules', broken, '--target', target)
    assert result.returncode == 2 and 'zz-site.toml:3: rule site-typo' in result.stderr, result.stderr

    # export: the same rules for Prometheus, which promtool accepts.
    result, _ = run('export', 'prometheus-rules', '--rules', rules)
    assert result.returncode == 0, result.stderr
    exported = os.path.join(tmp, 'wgtune-rules.yml')
    with open(exported, 'w') as f:
        f.write(result.stdout)
    check = subprocess.run(['promtool', 'check', 'rules', exported], capture_output=True, text=True)
    assert check.returncode == 0 and 'SUCCESS: 26 rules found' in check.stdout, check.stdout + check.stderr

print('advisor_cli: ok')
