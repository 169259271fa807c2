#!/usr/bin/env python3
"""Writes N deterministic, realistic syslog lines to stdout for benchmarks.

Mix (per 100 lines): 34 firewall (iptables/ufw), 26 DNS (dnsmasq), 8 Sysmon JSON (process
create / network / DNS query), 8 sshd (failures mostly from a few attacker IPs, a quarter of them for root), 10 Squid,
6 Postfix, 5 dhcpd, 3 ClamAV. Cardinalities: 3,000 hosts, 5,000 users, ~300k source IPs.
Timestamps spread evenly over the 30 days before --end (default 2026-11-26T00:00:00Z), as RFC 3164
(no year) or RFC 3339 for Sysmon JSON.

Needles, planted at fixed counts whatever N (as long as N >= 10,000):
  IP 198.51.100.77 in 100 lines, user zz_needle_user in 50 lines,
  hash 5f1b2c3d4e5f60718293a4b5c6d7e8f9 in 20 lines.
Usage: gen_syslog.py N [SEED] [--end RFC3339]
"""
import datetime
import random
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
n = int(args[0])
rng = random.Random(int(args[1]) if len(args) > 1 else 1)
end = datetime.datetime(2026, 11, 26, tzinfo=datetime.timezone.utc)
if "--end" in sys.argv:
    end = datetime.datetime.fromisoformat(sys.argv[sys.argv.index("--end") + 1].replace("Z", "+00:00"))
start = end - datetime.timedelta(days=30)
span = 30 * 86400

hosts = [f"host{i:04d}" for i in range(3000)]
users = [f"user{i:04d}" for i in range(5000)]
attackers = [f"203.0.113.{i}" for i in range(1, 9)]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def rand_ip():
    # ~300k distinct addresses
    v = rng.randrange(300000)
    return f"{11 + v // 65536}.{(v // 256) % 256}.{v % 256}.{1 + v % 250}"


needles = {}
if n >= 10000:
    for i in rng.sample(range(n), 100):
        needles[i] = "ip"
    for i in rng.sample([x for x in range(n) if x not in needles], 50):
        needles[i] = "user"
    for i in rng.sample([x for x in range(n) if x not in needles], 20):
        needles[i] = "hash"

out = sys.stdout
buf = []
for i in range(n):
    t = start + datetime.timedelta(seconds=i * span / n)
    bsd = f"{MONTHS[t.month - 1]} {t.day:2d} {t:%H:%M:%S}"
    h = hosts[rng.randrange(len(hosts))]
    u = users[rng.randrange(len(users))]
    src = rand_ip()
    kind = needles.get(i)
    if kind == "ip":
        src = "198.51.100.77"
    if kind == "user":
        u = "zz_needle_user"
    k = rng.randrange(100)
    if kind == "hash":
        k = 62  # a Sysmon process creation carries the hash
    elif kind == "ip":
        k = 0  # a firewall line from that source
    elif kind == "user":
        k = 70  # an sshd failure for that user
    if k < 34:
        line = (f"<4>{bsd} {h} kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc SRC={src} "
                f"DST=10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)} LEN=60 TOS=0x00 PREC=0x00 "
                f"TTL=52 ID={rng.randrange(65536)} DF PROTO=TCP SPT={rng.randrange(1024, 65535)} "
                f"DPT={rng.choice([22, 80, 443, 3389, 445, 8080])} WINDOW=29200 RES=0x00 SYN URGP=0")
    elif k < 60:
        line = (f"<30>{bsd} {h} dnsmasq[{rng.randrange(300, 900)}]: query[{rng.choice(['A', 'AAAA', 'A', 'MX'])}] "
                f"host{rng.randrange(80000)}.example{rng.randrange(50)}.com from {src}")
    elif k < 68:
        img = rng.choice(["powershell.exe", "cmd.exe", "rundll32.exe", "chrome.exe", "svchost.exe"])
        sha = "5f1b2c3d4e5f60718293a4b5c6d7e8f9" if kind == "hash" else f"{rng.getrandbits(128):032x}"
        line = ('{"@timestamp":"%s","host":{"name":"%s"},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational",'
                '"event_id":1,"event_data":{"Image":"C:\\\\Windows\\\\System32\\\\%s","CommandLine":"%s -nop -w hidden",'
                '"User":"CORP\\\\%s","Hashes":"MD5=%s","ParentImage":"C:\\\\Windows\\\\explorer.exe"}}}'
                % (t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), h, img, img, u, sha))
    elif k < 76:
        ip = rng.choice(attackers) if rng.random() < 0.8 else src
        who = "root" if rng.random() < 0.25 else f"invalid user {u}"
        line = (f"<38>{bsd} {h} sshd[{rng.randrange(1000, 60000)}]: Failed password for {who} "
                f"from {ip} port {rng.randrange(1024, 65535)} ssh2")
    elif k < 86:
        line = (f"<134>{bsd} {h} squid[{rng.randrange(100, 999)}]: {int(t.timestamp())}.{rng.randrange(1000):03d} "
                f"{rng.randrange(1, 5000)} {src} TCP_MISS/200 {rng.randrange(200, 90000)} GET "
                f"http://site{rng.randrange(20000)}.example.org/path{rng.randrange(100)} {u} HIER_DIRECT/93.184.216.34 text/html")
    elif k < 92:
        line = (f"<22>{bsd} {h} postfix/smtpd[{rng.randrange(1000, 9000)}]: {rng.getrandbits(40):010X}: "
                f"client=unknown[{src}], sasl_username={u}")
    elif k < 97:
        line = (f"<30>{bsd} {h} dhcpd[{rng.randrange(100, 999)}]: DHCPACK on 10.{rng.randrange(256)}.{rng.randrange(256)}."
                f"{rng.randrange(1, 255)} to 00:16:3e:{rng.randrange(256):02x}:{rng.randrange(256):02x}:{rng.randrange(256):02x} "
                f"(pc-{u}) via eth0")
    else:
        line = f"<27>{bsd} {h} clamd[{rng.randrange(100, 999)}]: /home/{u}/Downloads/file{rng.randrange(1000)}.zip: Win.Trojan.Agent-{rng.randrange(9999)} FOUND"
    buf.append(line)
    if len(buf) >= 10000:
        out.write("\n".join(buf) + "\n")
        buf.clear()
if buf:
    out.write("\n".join(buf) + "\n")
