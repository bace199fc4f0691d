#!/usr/bin/env python3
"""The configuration files in deploy/ are what the real tools accept.

- deploy/prometheus/prometheus.yml passes `promtool check config`, with the advisor's
  exported rules at the path it names (rewritten to a temporary copy);
- deploy/alertmanager/alertmanager.yml passes `amtool check-config`;
- the systemd units start the installed binaries with flags those binaries accept, pass
  `systemd-analyze verify`, and keep their least privilege (docs/security.md): the exporter a
  user of its own with CAP_NET_ADMIN only, the advisor with no capability, both rated "OK"
  (exposure below 3.0) by `systemd-analyze security --offline=true`.
Usage: deploy_configs_test.py ADVISOR EXPORTER SOURCE_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

advisor, exporter, source = sys.argv[1], sys.argv[2], sys.argv[3]
deploy = os.path.join(source, 'deploy')


def check(command):
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, '%s failed:\n%s%s' % (' '.join(command), result.stdout, result.stderr)
    return result.stdout


with tempfile.TemporaryDirectory() as tmp:
    rules = os.path.join(tmp, 'wgtune-rules.yml')
    with open(rules, 'w') as f:
        f.write(check([advisor, 'export', 'prometheus-rules', '--rules', os.path.join(source, 'rules')]))
    config = open(os.path.join(deploy, 'prometheus/prometheus.yml')).read()
    assert '/etc/prometheus/wgtune-rules.yml' in config
    copy = os.path.join(tmp, 'prometheus.yml')
    with open(copy, 'w') as f:
        f.write(config.replace('/etc/prometheus/wgtune-rules.yml', rules))
    out = check(['promtool', 'check', 'config', copy])
    assert 'SUCCESS: 26 rules found' in out, out

check(['amtool', 'check-config', os.path.join(deploy, 'alertmanager/alertmanager.yml')])

# Each unit's command line names this build's binaries and only flags they document
# (--help short-circuits parsing, so the flags are looked up in the help text instead).
for unit, binary in (('wgtune-exporter.service', exporter), ('wgtune-advisor.service', advisor)):
    text = open(os.path.join(deploy, 'systemd', unit)).read().replace('\\\n', ' ')
    command = re.search(r'^ExecStart=(\S+)(.*)$', text, re.M)
    assert command and os.path.basename(command.group(1)) == os.path.basename(binary), unit
    args = command.group(2).split()
    subcommand = [args[0]] if args and not args[0].startswith('-') else []
    help_text = check([binary, *subcommand, '--help'])
    for flag in re.findall(r'(--[a-z][a-z.-]*)', ' '.join(args)):
        assert re.search(re.escape(flag) + r'\b', help_text), '%s: %s is not a flag of %s' % (unit, flag, binary)

# The units as systemd reads them, with ExecStart pointing at this build's binaries.
with tempfile.TemporaryDirectory() as tmp:
    exposures = {}
    for unit, binary in (('wgtune-exporter.service', exporter), ('wgtune-advisor.service', advisor)):
        text = open(os.path.join(deploy, 'systemd', unit)).read()
        copy = os.path.join(tmp, unit)
        with open(copy, 'w') as f:
            f.write(re.sub(r'^ExecStart=\S+', 'ExecStart=' + os.path.abspath(binary), text, flags=re.M))
        check(['systemd-analyze', 'verify', copy])
        report = check(['systemd-analyze', 'security', '--offline=true', '--no-pager', copy])
        exposure = re.search(r'Overall exposure level for \S+: ([0-9.]+) (\w+)', report)
        assert exposure, report
        exposures[unit] = float(exposure.group(1))
        assert exposures[unit] < 3.0, '%s: exposure %s %s\n%s' % (unit, exposure.group(1), exposure.group(2), report)
        settings = {}
        for line in text.splitlines():
            if '=' in line and not line.startswith('#'):
                key, _, value = line.partition('=')
                settings[key] = value
        assert settings.get('DynamicUser') == 'yes' and settings.get('NoNewPrivileges') == 'yes', unit
        want = 'CAP_NET_ADMIN' if unit == 'wgtune-exporter.service' else ''
        assert settings.get('CapabilityBoundingSet') == want, (unit, settings.get('CapabilityBoundingSet'))
        assert settings.get('AmbientCapabilities', '') == want, (unit, settings.get('AmbientCapabilities'))
    print('systemd-analyze security: ' + ', '.join('%s %.1f' % item for item in sorted(exposures.items())))

print('deploy configs: ok')
