#!/usr/bin/env python3
"""Benchmark: CPU and memory of wgtune-exporter and node_exporter for the same signals.

Builds a synthetic large host under a temporary directory (default 128 CPUs, a 64-queue
mlx5 NIC, kernel 6.5 file formats), runs both exporters on loopback over it, scrapes each
once per interval for a number of rounds, and reports CPU seconds (utime+stime from
/proc/<pid>/stat) and peak resident memory (VmHWM). It measures and reports; it does not
pass or fail. wgtune samples once per interval and serves scrapes from memory, so both do
one read of the host per round.

Usage: bench_vs_node_exporter.py WGTUNE_BINARY [--cpus 128] [--queues 64] [--rounds 60] [--interval 1]
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
from exposition import fetch, stop, wait_for  # noqa: E402


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def build_host(root, cpus, queues):
    rnd = random.Random(1)
    write(root, 'sys/devices/system/cpu/online', '0-%d\n' % (cpus - 1))
    write(root, 'sys/devices/system/cpu/possible', '0-%d\n' % (cpus - 1))
    header = ' ' * 11 + ''.join('CPU%-8d' % c for c in range(cpus)) + '\n'
    lines = [header]
    irq = 0
    def row(n, chip, name):
        return '%4d: ' % n + ' '.join('%10d' % rnd.randrange(10**6) for _ in range(cpus)) + '  ' + chip + '  ' + name + '\n'
    for i in range(150):  # the host's other IRQs (nvme, timers, ...)
        lines.append(row(irq, 'IR-PCI-MSIX-0000:00:1f.0  %d-edge' % i, 'nvme0q%d' % i)); irq += 1
    lines.append(row(irq, 'IR-PCI-MSIX-0000:3b:00.0  0-edge', 'mlx5_async0@pci:0000:3b:00.0')); irq += 1
    for q in range(queues):
        lines.append(row(irq, 'IR-PCI-MSIX-0000:3b:00.0  %d-edge' % (q + 1), 'mlx5_comp%d@pci:0000:3b:00.0' % q))
        write(root, 'proc/irq/%d/smp_affinity_list' % irq, '0-%d\n' % (cpus - 1))
        write(root, 'proc/irq/%d/effective_affinity_list' % irq, '%d\n' % (q % cpus))
        irq += 1
    for name in ('NMI', 'LOC', 'SPU', 'PMI', 'IWI', 'RTR', 'RES', 'CAL', 'TLB', 'TRM', 'THR', 'DFR', 'MCE', 'MCP'):
        lines.append('%4s: ' % name + ' '.join('%10d' % rnd.randrange(10**6) for _ in range(cpus)) + '   x\n')
    lines.append(' ERR:          0\n MIS:          0\n')
    write(root, 'proc/interrupts', ''.join(lines))
    write(root, 'proc/net/softnet_stat', ''.join(
        ' '.join('%08x' % v for v in [rnd.randrange(2**31), 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, c, 0, 0]) + '\n'
        for c in range(cpus)))
    write(root, 'proc/softirqs', ' ' * 20 + ''.join('CPU%-8d' % c for c in range(cpus)) + '\n' + ''.join(
        '%12s:' % n + ''.join(' %10d' % rnd.randrange(10**6) for _ in range(cpus)) + '\n'
        for n in ('HI', 'TIMER', 'NET_TX', 'NET_RX', 'BLOCK', 'IRQ_POLL', 'TASKLET', 'SCHED', 'HRTIMER', 'RCU')))
    write(root, 'proc/stat', 'cpu  1 2 3 4 5 6 7 8 0 0\n' + ''.join(
        'cpu%d %s 0 0\n' % (c, ' '.join(str(rnd.randrange(10**6)) for _ in range(8))) for c in range(cpus)) +
        'intr 1\nctxt 1\nbtime 1\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n')
    write(root, 'proc/net/snmp', 'Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\n'
          'Udp: 1 2 3 4 5 6 0 0 0\n')
    write(root, 'proc/net/netstat', 'TcpExt: SyncookiesSent\nTcpExt: 0\n')
    header = 'entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n'
    write(root, 'proc/net/stat/nf_conntrack', header + ''.join(' '.join(['%08x' % 5] * 17) + ' \n' for _ in range(cpus)))
    write(root, 'proc/net/route', 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n'
          'eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n')
    for rel, value in (('net/core/netdev_max_backlog', '1000'), ('net/core/netdev_budget', '300'),
                       ('net/core/rmem_max', '212992'), ('net/ipv4/tcp_rmem', '4096\t131072\t6291456'),
                       ('net/ipv4/tcp_congestion_control', 'cubic'), ('net/netfilter/nf_conntrack_max', '262144'),
                       ('net/netfilter/nf_conntrack_count', '5'), ('net/core/rps_sock_flow_entries', '0')):
        write(root, 'proc/sys/' + rel, value + '\n')
    for dev, nq in (('eth0', queues), ('lo', 1), ('wt0', 1)):
        d = 'sys/class/net/%s/' % dev
        for attr, value in (('mtu', '1500'), ('type', '1'), ('operstate', 'up'), ('tx_queue_len', '1000'),
                            ('ifindex', '2'), ('iflink', '2'), ('uevent', 'INTERFACE=%s' % dev)):
            write(root, d + attr, value + '\n')
        for stat in ('rx_bytes', 'rx_packets', 'rx_dropped', 'rx_errors', 'tx_bytes', 'tx_packets', 'tx_dropped'):
            write(root, d + 'statistics/' + stat, '12345\n')
        for q in range(nq):
            write(root, d + 'queues/rx-%d/rps_cpus' % q, ','.join(['00000000'] * (cpus // 32)) + '\n')
            write(root, d + 'queues/rx-%d/rps_flow_cnt' % q, '0\n')
    os.makedirs(os.path.join(root, 'sys/devices/pci0000:3a/0000:3b:00.0'), exist_ok=True)
    os.symlink('../../../devices/pci0000:3a/0000:3b:00.0', os.path.join(root, 'sys/class/net/eth0/device'))


def cpu_seconds(pid):
    fields = open('/proc/%d/stat' % pid).read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def peak_rss_kib(pid):
    for line in open('/proc/%d/status' % pid):
        if line.startswith('VmHWM:'):
            return int(line.split()[1])
    return 0


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('wgtune')
    parser.add_argument('--cpus', type=int, default=128)
    parser.add_argument('--queues', type=int, default=64)
    parser.add_argument('--rounds', type=int, default=60)
    parser.add_argument('--interval', type=float, default=1.0)
    args = parser.parse_args()
    node_exporter = shutil.which('prometheus-node-exporter') or shutil.which('node_exporter')
    with tempfile.TemporaryDirectory() as root:
        build_host(root, args.cpus, args.queues)
        paths = ['--path.procfs=' + root + '/proc', '--path.sysfs=' + root + '/sys']
        runs = {
            'wgtune-exporter': [args.wgtune] + paths + ['--sample.interval=%g' % args.interval],
            'node_exporter': [node_exporter] + paths + [
                '--collector.disable-defaults', '--collector.cpu', '--collector.softnet', '--collector.interrupts',
                '--collector.netclass', '--collector.netstat', '--collector.conntrack', '--collector.stat',
                '--collector.stat.softirq', '--collector.sysctl',
                '--collector.sysctl.include=net.core.netdev_max_backlog',
                '--collector.sysctl.include=net.core.netdev_budget', '--collector.sysctl.include=net.core.rmem_max'],
        }
        results = {}
        for name, command in runs.items():
            port = free_port()
            process = subprocess.Popen(command + ['--web.listen-address=127.0.0.1:%d' % port],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                url = 'http://127.0.0.1:%d/metrics' % port
                size = len(wait_for(lambda: fetch(url), 20, name))
                start = cpu_seconds(process.pid)
                began = time.monotonic()
                for _ in range(args.rounds):
                    fetch(url)
                    time.sleep(args.interval)
                used = cpu_seconds(process.pid) - start
                elapsed = time.monotonic() - began
                results[name] = (used, used / elapsed * 100, peak_rss_kib(process.pid) / 1024, size)
            finally:
                stop(process)
    print('host: %d CPUs, %d NIC queues; %d rounds of one scrape every %gs\n' %
          (args.cpus, args.queues, args.rounds, args.interval))
    print('| exporter | CPU seconds | CPU % of one core | peak RSS MiB | /metrics bytes |')
    print('|---|---|---|---|---|')
    for name, (used, share, rss, size) in results.items():
        print('| %s | %.2f | %.2f | %.1f | %d |' % (name, used, share, rss, size))


if __name__ == '__main__':
    main()
