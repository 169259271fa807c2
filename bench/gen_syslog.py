#!/usr/bin/env python3
"""Writes N deterministic, realistic RFC 3164 syslog lines (sshd, iptables, postfix, dnsmasq,
squid-like, cron) to stdout, for replay benchmarks. Usage: gen_syslog.py N [SEED]"""
import random
import sys

n = int(sys.argv[1])
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
hosts = [f"srv{i:03d}" for i in range(200)]
users = [f"user{i}" for i in range(2000)]
months = "Nov"
out = sys.stdout
buf = []
for i in range(n):
    sec = i * 30 * 86400 // max(n, 1)
    day = 1 + (sec // 86400) % 28
    ts = f"{months} {day:2d} {sec // 3600 % 24:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"
    h = hosts[rng.randrange(len(hosts))]
    ip = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    k = rng.randrange(10)
    if k < 4:
        line = (f"<4>{ts} {h} kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc SRC={ip} DST=10.0.0.{rng.randrange(1,255)} "
                f"LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID={rng.randrange(65536)} DF PROTO=TCP SPT={rng.randrange(1024,65535)} DPT={rng.choice([22,80,443,3389,445])} WINDOW=29200 RES=0x00 SYN URGP=0")
    elif k < 6:
        line = f"<30>{ts} {h} dnsmasq[{rng.randrange(300,900)}]: query[A] host{rng.randrange(50000)}.example.com from 10.0.{rng.randrange(256)}.{rng.randrange(1,255)}"
    elif k < 7:
        line = f"<38>{ts} {h} sshd[{rng.randrange(1000,60000)}]: Failed password for invalid user {rng.choice(users)} from {ip} port {rng.randrange(1024,65535)} ssh2"
    elif k < 8:
        line = f"<22>{ts} {h} postfix/smtpd[{rng.randrange(1000,9000)}]: connect from unknown[{ip}]"
    elif k < 9:
        line = f"<78>{ts} {h} CRON[{rng.randrange(1000,60000)}]: ({rng.choice(users)}) CMD (/usr/local/bin/job{rng.randrange(100)}.sh)"
    else:
        line = f"<134>{ts} {h} squid[{rng.randrange(100,999)}]: 10.1.{rng.randrange(256)}.{rng.randrange(1,255)} TCP_MISS/200 {rng.randrange(200,90000)} GET http://site{rng.randrange(20000)}.example.org/path - HIER_DIRECT/{ip} text/html"
    buf.append(line)
    if len(buf) >= 10000:
        out.write("\n".join(buf) + "\n")
        buf.clear()
if buf:
    out.write("\n".join(buf) + "\n")
