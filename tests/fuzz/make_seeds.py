#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target (tests/fuzz/*_fuzzer.cpp) from the fixtures.

    make_seeds.py SOURCE_DIR OUT_DIR

OUT_DIR/<target>/ gets one file per seed, named by its content's hash, so that a rerun rewrites
the same files. Seeds are the fixture files a target's parser reads (tests/fixtures), the
bundled rules (rules/*.toml) and the expressions and templates in them; targets that choose a
parser by their input's first byte get that byte in front (fuzz_target.h, Select). Nothing is
committed but this script: the corpus follows the fixtures.
"""
import hashlib
import pathlib
import shutil
import struct
import sys
import tomllib

# attributes_fuzzer.cpp: the selector of each small file's parser, by file name.
ATTRIBUTE_SELECTORS = {
    "uevent": 0, "operstate": 1, "mtu": 2, "ifindex": 2, "iflink": 2, "type": 2, "tx_queue_len": 2,
    "rps_cpus": 3, "xps_cpus": 3, "tcp_rmem": 5, "tcp_wmem": 5, "netdev_max_backlog": 6,
    "rps_sock_flow_entries": 6, "netdev_budget": 6, "rmem_max": 6, "wmem_max": 6, "default_qdisc": 7,
    "tcp_congestion_control": 7, "tcp_available_congestion_control": 8, "comm": 9, "osrelease": 11,
    "modules": 12, "modules.builtin": 13, "modules.dep": 14,
}

# Text parsers whose seeds are the fixture files of that name.
FILES_BY_NAME = {
    "interrupts": ["interrupts"],
    "softirqs": ["softirqs"],
    "softnet_stat": ["softnet_stat"],
    "proc_stat": ["stat"],
    "net_snmp": ["snmp", "netstat"],
    "nf_conntrack_stat": ["nf_conntrack"],
    "net_route": ["route"],
}


def main():
    source, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    fixtures = source / "tests" / "fixtures"
    files = sorted(p for p in fixtures.rglob("*") if p.is_file())
    seeds = {}

    def add(target, data):
        seeds.setdefault(target, set()).add(data if isinstance(data, bytes) else data.encode())

    for path in files:
        data = path.read_bytes()
        for target, names in FILES_BY_NAME.items():
            if path.name in names:
                add(target, data)
        if path.name in ATTRIBUTE_SELECTORS:
            add("attributes", bytes([ATTRIBUTE_SELECTORS[path.name]]) + data)
        if path.name.endswith("_list") or path.name == "online":
            add("cpu_set", b"\0" + data)
        if path.name in ("rps_cpus", "xps_cpus", "smp_affinity"):
            add("cpu_set", b"\1" + data)
        if path.suffix == ".get":
            add("uapi", data)
        if path.suffix == ".netlink":
            add("qdisc" if path.stem == "qdisc" else "wireguard_netlink", data)
            for datagram in decode_recording(data):
                add("netlink_framing", datagram)
        if path.suffix == ".ethtool":
            add("ethtool_recording", data)
            for command, answer in ethtool_answers(data):
                if command in ETHTOOL_SELECTORS:
                    add("ethtool_answers", bytes([ETHTOOL_SELECTORS[command]]) + answer)
        if path.suffix == ".prom":
            add("exposition", data)
        if path.parent.name == "iperf3" and path.suffix == ".json":
            add("run_file", b"\1" + data)
    # Queue names (attributes selector 4): the entries of each fixture's queues/ directory.
    for queues in (p for p in fixtures.rglob("queues") if p.is_dir()):
        add("attributes", b"\4" + "\n".join(sorted(e.name for e in queues.iterdir())).encode())
    for name in ["eth0-TxRx-3", "mlx5_comp12@pci:7870:00:02.0", "virtio0-input.1", "ena-mgmnt@pci:0000:00:05.0",
                 "nvme0q1", "i40e-ens1f0-TxRx-7", "mana_q5@pci:7870:00:00.0"]:
        add("attributes", b"\12" + name.encode())
    for path in ["kernel/net/sched/sch_fq.ko.zst", "kernel/arch/x86/crypto/chacha-x86_64.ko", "x.ko.gz"]:
        add("attributes", b"\17" + path.encode())

    add("genl_family", genl_family_answer())
    # Rules: each file, and the PromQL, durations and templates in them.
    for path in sorted((source / "rules").glob("*.toml")):
        data = path.read_bytes()
        add("rule_file", data)
        table = tomllib.loads(data.decode())
        for text in table.get("templates", {}).values():
            add("template", text)
        for rule in table.get("rule", []):
            for key in ("summary", "description", "remediation", "verify"):
                if key in rule:
                    add("template", rule[key])
            for expr in [rule.get("expr", "")] + rule.get("needs", []) + [c["when"] for c in rule.get("cannot_judge", [])]:
                add("promql", expand(expr, rule.get("params", {})))
            for blind in rule.get("cannot_judge", []):
                add("template", blind["reason"])
            if "for" in rule:
                add("duration", rule["for"])
    for text in ["0", "0s", "500ms", "1h30m", "5m30s", "1w", "90d", "292y", "1y2w3d4h5m6s7ms"]:
        add("duration", text)
    # The Prometheus API's two answer shapes (instant vector, range matrix); no fixture holds them.
    add("prometheus_api", b"\0" + b'{"status":"success","data":{"resultType":"vector","result":[{"metric":'
        b'{"__name__":"up","instance":"h:10050"},"value":[1700000000.123,"1"]}]}}')
    add("prometheus_api", b"\1" + b'{"status":"success","data":{"resultType":"matrix","result":[{"metric":'
        b'{"job":"wgtune"},"values":[[1700000000,"1"],[1700000015,"NaN"]]}]}}')
    add("prometheus_api", b"\0" + b'{"status":"error","errorType":"bad_data","error":"parse error"}')

    # Web configuration files (exporter-toolkit's format); no fixture holds one.
    add("web_config", 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS12\n'
        '  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n'
        'http_server_config:\n  http2: false\n  headers:\n    X-Frame-Options: deny\n'
        'basic_auth_users:\n  alice: $2y$10$X0h1mQ3Qm7n3o5Zl2k3OeO1ZL6T7F8G9H0I1J2K3L4M5N6O7P8Q9e\n')
    add("web_config", "basic_auth_users: {}\n")
    add("http_config", 'basic_auth:\n  username: advisor\n  password_file: secret\n'
        'tls_config:\n  ca_file: ca.crt\n  cert_file: client.crt\n  key_file: client.key\n'
        '  server_name: prometheus.example\n  min_version: TLS12\nfollow_redirects: false\n')
    add("http_config", 'authorization:\n  type: Bearer\n  credentials: token\n'
        'http_headers:\n  X-Scope-OrgID:\n    values: [mesh]\n')
    add("http_config", "bearer_token_file: token\ntls_config:\n  insecure_skip_verify: true\n")

    if out.exists():
        shutil.rmtree(out)
    for target, corpus in sorted(seeds.items()):
        directory = out / target
        directory.mkdir(parents=True)
        for data in corpus:
            (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)
        print(f"{target}: {len(corpus)} seeds")


def expand(expr, params):
    """A rule's expression with $param replaced, as the loader's ExpandParams does (roughly)."""
    for name in sorted(params, key=len, reverse=True):
        value = params[name]
        expr = expr.replace("$" + name, value if isinstance(value, str) else repr(value))
    return expr


def decode_recording(data):
    """exporter/wireguard/netlink_client.h: each datagram after its u32 length."""
    datagrams, offset = [], 0
    while offset + 4 <= len(data):
        (length,) = struct.unpack_from("<I", data, offset)
        datagrams.append(data[offset + 4:offset + 4 + length])
        offset += 4 + length
    return datagrams


# ethtool_answers_fuzzer.cpp's selector of each command's decoder.
ETHTOOL_SELECTORS = {name: index for index, name in enumerate(
    ["GDRVINFO", "GRINGPARAM", "GCHANNELS", "GSSET_INFO", "GSTRINGS", "GSTATS", "GRXFH", "GRXRINGS",
     "GRXFHINDIR", "GFEATURES"])}


def ethtool_answers(data):
    """(command name, answer bytes) of each answer line of a recording (exporter/ethtool/ethtool.h)."""
    for line in data.decode().splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("#") or "errno" in fields:
            continue
        hex_digits = "".join(f for f in fields[1:] if "=" not in f)
        try:
            yield fields[0], bytes.fromhex(hex_digits)
        except ValueError:
            continue


def genl_family_answer():
    """CTRL_CMD_NEWFAMILY for "wireguard", id 0x1c, as the kernel answers CTRL_CMD_GETFAMILY."""
    def attribute(kind, payload):
        return struct.pack("<HH", 4 + len(payload), kind) + payload + b"\0" * (-len(payload) % 4)
    payload = bytes([1, 2, 0, 0]) + attribute(2, b"wireguard\0") + attribute(1, struct.pack("<H", 0x1c))
    return struct.pack("<IHHII", 16 + len(payload), 0x10, 0, 1, 0) + payload


if __name__ == "__main__":
    main()
