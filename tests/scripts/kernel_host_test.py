#!/usr/bin/env python3
"""The kernel collector on the running host, against what the kernel itself does.

Fixture trees (tests/unit/kernel_test.cpp) hold the logic; this shows that on a real host the
exporter reads the real files and never claims what the kernel contradicts. The exporter runs
on this host's /proc, /sys and /; then, in a scratch network namespace, each module is tried
for real: a qdisc on a veth for sch_fq, sch_fq_codel, sch_cake and sch_htb, the netns's TCP
congestion control for tcp_bbr, a device for wireguard (the kernel loads an installed module
on demand, as modprobe would). A module the exporter reports available (1) must work; one it
reports unavailable (0) must not; an absent series (unknown) asserts nothing, and the test
prints what the kernel did. The release and version must be uname's. Where the host shows
nothing (no /proc/modules and no modules.builtin), every module /sys/module does not name must
be absent, not 0. Trying a module may load it (and its dependencies) on a host with module
support. Needs root; exits 77 (skipped) without it.
Usage: kernel_host_test.py BINARY
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from exposition import fetch, parse, stop, wait_for

binary = sys.argv[1]
if os.geteuid() != 0:
    print('kernel_host_test: needs root (network namespaces); skipped')
    sys.exit(77)
for tool in ('ip', 'tc'):
    if shutil.which(tool) is None:
        print('kernel_host_test: %s not found (iproute2)' % tool)
        sys.exit(1)

QDISCS = {'sch_fq': 'fq', 'sch_fq_codel': 'fq_codel', 'sch_cake': 'cake', 'sch_htb': 'htb'}
MODULES = list(QDISCS) + ['tcp_bbr', 'wireguard']
NS = 'wgtune-kernel-%d' % os.getpid()
release = os.uname().release


def works(module):
    """Whether the running kernel can do what the module is for, tried in the scratch namespace."""
    if module in QDISCS:
        args = ['tc', '-n', NS, 'qdisc', 'replace', 'dev', 'wgtk0', 'root', QDISCS[module]]
    elif module == 'tcp_bbr':
        args = ['ip', 'netns', 'exec', NS, 'sysctl', '-q', '-w', 'net.ipv4.tcp_congestion_control=bbr']
    else:
        args = ['ip', '-n', NS, 'link', 'add', 'wgtk-wg', 'type', 'wireguard']
    return subprocess.run(args, capture_output=True).returncode == 0


process = None
log_dir = tempfile.mkdtemp(prefix='wgtune-kernel-')
try:
    log_path = os.path.join(log_dir, 'exporter.log')
    with open(log_path, 'w') as log:
        process = subprocess.Popen([binary, '--web.listen-address=127.0.0.1:0', '--sample.interval=1s',
                                    '--collector.kernel.modules=' + ','.join(MODULES)], stderr=log)
    port = wait_for(lambda: re.search(r'msg=listening .*port=(\d+)', open(log_path).read()), 10,
                    'the listening log line').group(1)
    samples = parse(fetch('http://127.0.0.1:%s/metrics' % port))
    assert samples.get(('wgtune_scrape_collector_success', frozenset({('collector', 'kernel')}))) == 1, \
        open(log_path).read()

    assert samples.get(('wgtune_kernel_info', frozenset({('release', release)}))) == 1, \
        [k for k in samples if k[0] == 'wgtune_kernel_info']
    major, minor = re.match(r'(\d+)\.(\d+)', release).groups()
    assert samples.get(('wgtune_kernel_version', frozenset())) == int(major) * 1000 + int(minor), \
        (release, samples.get(('wgtune_kernel_version', frozenset())))
    available = {dict(labels)['module']: value for (name, labels), value in samples.items()
                 if name == 'wgtune_kernel_module_available'}

    # What the host shows, read here without the exporter.
    module_support = os.path.exists('/proc/modules')
    builtin_list = os.path.exists('/lib/modules/%s/modules.builtin' % release)
    in_sysfs = {m for m in MODULES if os.path.isdir('/sys/module/' + m)}
    loaded = set()
    if module_support:
        loaded = {line.split()[0] for line in open('/proc/modules') if line.strip()}
    for module in in_sysfs | (loaded & set(MODULES)):
        assert available.get(module) == 1, (module, available)
    if not module_support and not builtin_list:
        assert set(available) == in_sysfs, (available, in_sysfs)

    subprocess.run(['ip', 'netns', 'add', NS], check=True)
    subprocess.run(['ip', '-n', NS, 'link', 'add', 'wgtk0', 'type', 'veth', 'peer', 'name', 'wgtk1'], check=True)
    rows = []
    for module in MODULES:
        kernel = works(module)
        said = available.get(module)
        rows.append('%s: exporter %s, kernel %s' % (module, {1: 'available', 0: 'unavailable', None: 'unknown'}[said],
                                                      'can' if kernel else 'cannot'))
        if said == 1:
            assert kernel, rows[-1]
        if said == 0:
            assert not kernel, rows[-1]
    print('kernel_host_test: %s (version %s; /proc/modules %s, modules.builtin %s); %s' % (
        release, int(major) * 1000 + int(minor), 'present' if module_support else 'absent',
        'present' if builtin_list else 'absent', '; '.join(rows)))
finally:
    if process is not None:
        stop(process)
    subprocess.run(['ip', 'netns', 'del', NS], capture_output=True)
    shutil.rmtree(log_dir, ignore_errors=True)
