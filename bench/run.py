#!/usr/bin/env python3
"""kamatama against the tools people use instead, in one run (see bench/README.md).

Generates N syslog lines, then measures on this machine, in one run:
  ingest   kamatama (TCP syslog, parsed, indexed, durably stored) vs rsyslog writing a plain file;
           rsyslog forwarding a subset to kamatama over RELP (omrelp) and over TCP (omfwd)
  storage  kamatama's data dir vs the raw file, zstd -3 of it, and a SQLite FTS5 database
  search   kamatama's REST API vs rg on the raw file and SQLite FTS5 (median of several runs)
  detect   Sigma rule evaluation alone: every loadable SigmaHQ rule over the shared corpus's Windows
           events, events/s per core with and without the literal prefilter (median of 3 runs)
  intel    threat-intelligence matching alone: a 1,000,000-indicator list over parsed corpus events,
           ns per event on one core (median of 5 passes)
  parsers  ParseRecord alone, lines/s per core per format: every corpus format, the generic
           formats' peer samples and generated CEF/LEEF/key=value lines (median of 3 runs)
  hunt     retro-hunts (POST /api/v1/hunt) over the stored bench events: one typical rule, and
           every loadable rule of the snapshot in one pass (--hunt-only: on a kept --workdir)
  ui       (--ui-only) a dashboard of 8 panels over 7 days of a bench store, navigation to every
           panel drawn in headless Chromium (bench/ui_timing.mjs; median of --ui-runs)
Prints one table and writes bench/results/latest.json. Every process it starts is stopped by PID.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("KMT_BUILD", os.path.join(ROOT, "build"))
KAMATAMA = os.path.join(BUILD, "kamatama")
REPLAY = os.path.join(BUILD, "bench", "kmt_replay")
DETECT_BENCH = os.path.join(BUILD, "bench", "kmt_detect_bench")
INTEL_BENCH = os.path.join(BUILD, "bench", "kmt_intel_bench")
INTEL_EVENTS = ["corpus/firewall", "corpus/dns", "corpus/proxy", "corpus/mail"]
PARSERS_BENCH = os.path.join(BUILD, "bench", "kmt_parsers_bench")
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
SIGMA_RULE_DIRS = ["rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder", "rules-compliance"]
DETECT_EVENTS = ["corpus/sysmon/windows-sysmon-xml", "corpus/auth/windows-security-xml"]


def detect_rows(runs=3):
    """Rule evaluation alone (issue 20): kmt_detect_bench, one thread, median events/s of `runs`."""
    sigma = os.path.join(SHARED, "sigma")
    if not os.path.isdir(sigma) or not os.path.exists(DETECT_BENCH):
        return {"note": "SigmaHQ snapshot (../shared/sigma) or kmt_detect_bench missing"}
    events = sorted(os.path.join(SHARED, d, f) for d in DETECT_EVENTS if os.path.isdir(os.path.join(SHARED, d))
                    for f in os.listdir(os.path.join(SHARED, d)) if f.endswith(".xml"))
    rules = [os.path.join(sigma, d) for d in SIGMA_RULE_DIRS]
    out = {}
    for name, flags in (("prefilter", []), ("no_prefilter", ["--no-prefilter"])):
        results = [json.loads(subprocess.run([DETECT_BENCH] + flags + rules + ["--"] + events, check=True,
                                             capture_output=True, text=True).stdout) for _ in range(runs)]
        row = dict(results[0])
        row["events_per_s"] = statistics.median(r["events_per_s"] for r in results)
        row["events_per_s_runs"] = [r["events_per_s"] for r in results]
        out[name] = row
    return out


def print_detect(d):
    if "note" in d:
        print(f"detect: {d['note']}")
        return
    p, n = d["prefilter"], d["no_prefilter"]
    print(f"detect: {p['rules']} rules, {p['events']} Windows events: {p['events_per_s']:.0f} events/s per core "
          f"({p['rules_evaluated_per_event']:.1f} rules evaluated per event after routing "
          f"{p['rules_routed_per_event']:.0f} and the literal prefilter); without the prefilter "
          f"{n['events_per_s']:.0f}/s; {p['alerts_per_pass']} alerts per pass", flush=True)

def intel_rows(indicators=1_000_000, runs=5):
    """Threat-intelligence matching alone (issue 28): kmt_intel_bench, one thread, median ns/event."""
    if not os.path.exists(INTEL_BENCH):
        return {"note": "kmt_intel_bench missing"}
    files = sorted(os.path.join(root, f) for d in INTEL_EVENTS if os.path.isdir(os.path.join(SHARED, d))
                   for root, _, names in os.walk(os.path.join(SHARED, d)) for f in names if f.endswith(".log"))
    if not files:
        return {"note": "the shared corpus (../shared/corpus) is missing"}
    out = subprocess.run([INTEL_BENCH, "--indicators", str(indicators), "--runs", str(runs)] + files, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def print_intel(d):
    if "note" in d:
        print(f"intel: {d['note']}")
        return
    print(f"intel: {d['indicators']} indicators, {d['events']} corpus events ({d['fields_per_event']:.1f} fields each): "
          f"{d['ns_per_event']:.0f} ns per event on one core; {d['hits_per_pass']} hits per pass; list built in "
          f"{d['build_ms']:.0f} ms; peak RSS {d['max_rss_mib']:.0f} MiB", flush=True)

def bench_store(work, workdir, events):
    """Where a run's store is: with `workdir`, the one a full run kept there (kamatama-data, its line
    count in `events`) when there is one; else a new one of `events` generated lines (seed 1),
    written to lines.log for the caller to replay. (data dir, kept, events, lines file or None)"""
    data = os.path.join(work, "kamatama-data" if workdir else "data")
    if bool(workdir) and os.path.isdir(data) and os.path.exists(os.path.join(work, "events")):
        with open(os.path.join(work, "events")) as f:
            return data, True, int(f.read()), None
    raw = os.path.join(work, "lines.log")
    with open(raw, "w") as f:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_syslog.py"), str(events), "1"], stdout=f, check=True)
    return data, False, events, raw


def serve_store(data, work, name, extra=()):
    """kamatama serving `data` on free ports (log: work/kamatama-NAME.log): (process, syslog TCP port, HTTP port)."""
    sp, hp = free_port(), free_port()
    log = open(os.path.join(work, f"kamatama-{name}.log"), "w")
    k = subprocess.Popen([KAMATAMA, "serve", "--data-dir", data, "--syslog-udp", "",
                          "--syslog-tcp", f"127.0.0.1:{sp}", "--http", f"127.0.0.1:{hp}"] + list(extra),
                         stdout=log, stderr=log, env=dict(os.environ, KAMATAMA_ADMIN_PASSWORD=BENCH_PASSWORD))
    return k, sp, hp


def intel_hunt_rows(events, indicators=10_000, runs=3, workdir=None):
    """A hunt (issue 28): `indicators` (40% IPv4, 30% domains, 30% SHA-256; 9 of them in the
    generated lines: the rare needle IP and the 8 sshd attackers) searched over a store of
    generated lines, POST /api/v1/lists/NAME/hunt; median server-side ms of `runs`.
    With `workdir`: the store a full run kept there (kamatama-data, with its line count in
    `events`; the 10M bench store), built there first (and kept) when it holds none; else a
    temporary store of `events` lines. The list is deleted afterwards: the store is left as found."""
    import random
    work = workdir or tempfile.mkdtemp(prefix="kmt_intel_hunt_")
    os.makedirs(work, exist_ok=True)
    data, kept, events, raw = bench_store(work, workdir, events)
    k, sp, hp = serve_store(data, work, "intel")
    auth = {"Authorization": BASIC}
    try:
        assert wait_port(hp, timeout=120), "kamatama did not start"
        if kept:
            time.sleep(5)  # the token filters of the newest days load in the background
        else:
            replay(f"127.0.0.1:{sp}", f"127.0.0.1:{hp}", raw, 4)
            if workdir:
                with open(os.path.join(work, "events"), "w") as f:
                    f.write(str(events))  # kept: later runs (and --hunt-only) reuse this store
        rng = random.Random(28)
        values = ["198.51.100.77"] + [f"203.0.113.{i}" for i in range(1, 9)]
        while len(values) < indicators:
            r = len(values) % 10
            if r < 4:
                values.append(f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}")
            elif r < 7:
                values.append(f"h{rng.getrandbits(40):x}.example")
            else:
                values.append(f"{rng.getrandbits(256):064x}")
        body = ("\n".join(values) + "\n").encode()
        req = urllib.request.Request(f"http://127.0.0.1:{hp}/api/v1/lists/bench?hunt=false", data=body, method="PUT",
                                     headers={**auth, "Content-Type": "text/plain"})
        urllib.request.urlopen(req, timeout=120).read()
        took, wall, last = [], [], None
        for _ in range(runs):
            t0 = time.perf_counter()
            req = urllib.request.Request(f"http://127.0.0.1:{hp}/api/v1/lists/bench/hunt", data=b"", method="POST", headers=auth)
            last = json.loads(urllib.request.urlopen(req, timeout=600).read())
            wall.append((time.perf_counter() - t0) * 1000)
            took.append(last["took_ms"])
        return {"events": events, "indicators": indicators, "hunt_ms": statistics.median(took), "hunt_ms_runs": took,
                "wall_ms": statistics.median(wall), "indicators_hit": last["indicators_hit"],
                "sightings": sum(h["count"] for h in last["hits"]), "complete": last["complete"],
                "blocks": last["blocks"], "scanned": last["scanned"], "store": "kept --workdir" if kept else "built"}
    finally:
        try:
            req = urllib.request.Request(f"http://127.0.0.1:{hp}/api/v1/lists/bench", method="DELETE", headers=auth)
            urllib.request.urlopen(req, timeout=60).read()
        except Exception:  # the server may not have started; nothing to clean then
            pass
        stop(k)
        if not workdir:
            shutil.rmtree(work, ignore_errors=True)


def parser_rows(runs=3, min_time=0.2):
    """ParseRecord alone: kmt_parsers_bench (Google Benchmark), one thread, median lines/s per format."""
    if not os.path.exists(PARSERS_BENCH):
        return {"note": "kmt_parsers_bench missing (Google Benchmark not found at configure time)"}
    out = subprocess.run([PARSERS_BENCH, f"--benchmark_repetitions={runs}", f"--benchmark_min_time={min_time}",
                          "--benchmark_format=json"], check=True, capture_output=True, text=True).stdout
    runs_by_name = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") == "iteration":
            runs_by_name.setdefault(b["run_name"], []).append(b)
    rows = {}
    for name, bs in runs_by_name.items():
        rows[name] = {"lines_per_s": round(statistics.median(b["items_per_second"] for b in bs)),
                      "mb_per_s": round(statistics.median(b.get("bytes_per_second", 0) for b in bs) / 1e6, 1),
                      "runs": len(bs)}
    return rows


def declarative_rows(runs=3, min_time=0.2):
    """Issue 23: a declarative parser (bench/declarative/*.yaml) against the built-in one on the same generated
    lines (key=value firewall lines, sshd logins): median lines/s per core of each and their ratio."""
    if not os.path.exists(PARSERS_BENCH):
        return {"note": "kmt_parsers_bench missing (Google Benchmark not found at configure time)"}
    out = subprocess.run([PARSERS_BENCH, f"--benchmark_repetitions={runs}", f"--benchmark_min_time={min_time}",
                          "--benchmark_filter=^(declarative|generated)/(kv|sshd)$", "--benchmark_format=json"],
                         check=True, capture_output=True, text=True).stdout
    rates = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") == "iteration":
            rates.setdefault(b["run_name"], []).append(b["items_per_second"])
    rows = {}
    for fmt in ("kv", "sshd"):
        d, g = rates.get(f"declarative/{fmt}"), rates.get(f"generated/{fmt}")
        if d and g:
            dm, gm = statistics.median(d), statistics.median(g)
            rows[fmt] = {"declarative_lines_per_s": round(dm), "builtin_lines_per_s": round(gm),
                         "ratio": round(dm / gm, 2), "runs": len(d)}
    rows["lines"] = {"kv": "1,000 generated key=value firewall lines (~300 B, 16 pairs) over syslog",
                     "sshd": "1,000 generated sshd Failed password / Accepted publickey lines"}
    return rows


def print_declarative(rows):
    if "note" in rows:
        print(f"declarative parsers: {rows['note']}")
        return
    print(f"{'declarative vs built-in (one core)':<36}{'declarative':>14}{'built-in':>12}{'ratio':>8}")
    for fmt in ("kv", "sshd"):
        if fmt in rows:
            r = rows[fmt]
            print(f"  {fmt:<34}{r['declarative_lines_per_s']:>14}{r['builtin_lines_per_s']:>12}{r['ratio']:>8.2f}")


def print_parsers(rows):
    if "note" in rows:
        print(f"parsers: {rows['note']}")
        return
    print(f"{'parser (one core)':<44}{'lines/s':>12}{'MB/s':>8}")
    for name, r in sorted(rows.items()):
        print(f"  {name:<42}{r['lines_per_s']:>12}{r['mb_per_s']:>8.1f}")

# Typical process-creation rules for the one-rule hunts: one whose literals no bench block holds
# (CommandLine contains, Image endswith: the store skips every block), and one that fires on
# the bench's Sysmon events (svchost.exe with uncommon flags: every Sysmon block is read).
HUNT_RULES = {"one_rule": "rules/windows/process_creation/proc_creation_win_bitsadmin_download.yml",
              "one_rule_firing": "rules/windows/process_creation/proc_creation_win_svchost_uncommon_command_line_flags.yml"}


def hunt_once(hp, body):
    """One POST /api/v1/hunt read to its end: (wall ms, the `done` line)."""
    req = urllib.request.Request(f"http://127.0.0.1:{hp}/api/v1/hunt", data=json.dumps(body).encode(),
                                 headers={"Authorization": BASIC, "Content-Type": "application/json"})
    t0 = time.time()
    done = None
    with urllib.request.urlopen(req, timeout=3600) as resp:
        for line in resp:
            o = json.loads(line)
            if o.get("type") == "done":
                done = o
    return (time.time() - t0) * 1000, done


def hunt_rows(hp, events, runs=3):
    """Retro-hunt timings (issue 20) against a server started with the snapshot's rules."""
    sigma = os.path.join(SHARED, "sigma")
    span = {"from": "2000-01-01T00:00:00Z", "to": "now", "limit": 100}
    hunts = []
    for name, path in HUNT_RULES.items():
        with open(os.path.join(sigma, path)) as f:
            rule_id = next(l.split(":", 1)[1].strip() for l in f if l.startswith("id:"))
        hunts.append((name, dict(span, rules=[rule_id])))
    hunts.append(("snapshot", dict(span, rules="all")))
    out = {"events": events}
    for name, body in hunts:
        times, done = [], None
        for _ in range(runs):
            ms, done = hunt_once(hp, body)
            times.append(ms)
        row = {"ms": statistics.median(times), "ms_runs": times, "rules": done["rules"], "matched": done["matched"],
               "scanned": done["scanned"], "blocks": done["blocks"], "blocks_pruned": done["blocks_pruned"],
               "complete": done["complete"]}
        # Linear in the events scanned: what 10M events would take at this rate (an estimate).
        row["seconds_per_10m_events_estimate"] = row["ms"] / 1000 * 10_000_000 / max(1, events)
        if name in HUNT_RULES:
            row["rule"] = HUNT_RULES[name]
        else:
            row["top"] = [c for c in done["counts"] if c["count"] > 0][:10]
        out[name] = row
    return out


def print_hunt(h):
    if "note" in h:
        print(f"hunt: {h['note']}")
        return
    for name in list(HUNT_RULES) + ["snapshot"]:
        r = h[name]
        print(f"hunt {name}: {r['rules']} rule(s) over {h['events']} events: {r['ms']:.0f} ms median "
              f"({r['scanned']} scanned, {r['blocks_pruned']} of {r['blocks']} blocks pruned, {r['matched']} matches); "
              f"~{r['seconds_per_10m_events_estimate']:.1f} s per 10M events", flush=True)


def run_hunts(work, data, events, runs):
    """A server on `data` with every loadable snapshot rule, the hunts, the server stopped."""
    sigma = os.path.join(SHARED, "sigma")
    if not os.path.isdir(sigma):
        return {"note": "SigmaHQ snapshot (../shared/sigma) missing"}
    hp = free_port()
    log = open(os.path.join(work, "kamatama-hunt.log"), "w")
    k = subprocess.Popen([KAMATAMA, "serve", "--data-dir", data, "--syslog-udp", "", "--syslog-tcp", "",
                          "--http", f"127.0.0.1:{hp}"] + [x for d in SIGMA_RULE_DIRS for x in ("--rules", os.path.join(sigma, d))],
                         stdout=log, stderr=log, env=dict(os.environ, KAMATAMA_ADMIN_PASSWORD=BENCH_PASSWORD))
    try:
        assert wait_port(hp, timeout=120), "kamatama did not start"
        time.sleep(5)  # the token filters of the newest days load in the background
        return hunt_rows(hp, events, runs)
    finally:
        stop(k)


def kamatama_ingest(work, name, raw, conns, rule_dirs):
    """Replays `raw` into a kamatama on a fresh data directory (with `rule_dirs` loaded), stops it:
    events/s (until every line is stored, alerts not counted), CPU seconds, peak RSS, alerts."""
    data = os.path.join(work, f"kamatama-{name}-data")
    shutil.rmtree(data, ignore_errors=True)
    sp, hp = free_port(), free_port()
    log = open(os.path.join(work, f"kamatama-{name}.log"), "w")
    k = subprocess.Popen([KAMATAMA, "serve", "--data-dir", data, "--syslog-udp", "", "--syslog-tcp", f"127.0.0.1:{sp}",
                          "--http", f"127.0.0.1:{hp}"] + [x for d in rule_dirs for x in ("--rules", d)],
                         stdout=log, stderr=log, env=dict(os.environ, KAMATAMA_ADMIN_PASSWORD=BENCH_PASSWORD))
    try:
        assert wait_port(hp, timeout=120) and wait_port(sp, timeout=120), "kamatama did not start"
        r = replay(f"127.0.0.1:{sp}", f"127.0.0.1:{hp}", raw, conns)
        cpu, hwm = proc_cpu_rss(k.pid)
    finally:
        stop(k)
        shutil.rmtree(data, ignore_errors=True)
    return {"events_per_second": r["events_per_second"], "seconds": r["seconds"], "cpu_seconds": cpu,
            "peak_rss_bytes": hwm, "alerts": int(r.get("alerts", 0))}


def ingest_with_rules(work, raw, events, conns, base_rate=None, runs=1):
    """Ingest with every loadable rule of the SigmaHQ snapshot against ingest without rules, same
    lines and replay, in one run: `runs` alternating pairs (medians); `base_rate` (the run's own
    no-rules ingest) replaces the no-rules replays when given."""
    sigma = os.path.join(SHARED, "sigma")
    if not os.path.isdir(sigma):
        return {"note": "SigmaHQ snapshot (../shared/sigma) missing"}
    dirs = [os.path.join(sigma, d) for d in SIGMA_RULE_DIRS]
    without, with_rules = [], []
    for i in range(runs):
        if base_rate is None:
            without.append(kamatama_ingest(work, "norules", raw, conns, []))
        with_rules.append(kamatama_ingest(work, "rules", raw, conns, dirs))
        print(f"ingest run {i + 1}: " + (f"no rules {without[-1]['events_per_second']:.0f} ev/s, " if without else "")
              + f"all rules {with_rules[-1]['events_per_second']:.0f} ev/s, {with_rules[-1]['alerts']} alerts", flush=True)
    rate = statistics.median(r["events_per_second"] for r in with_rules)
    base = base_rate if base_rate is not None else statistics.median(r["events_per_second"] for r in without)
    row = dict(min(with_rules, key=lambda r: abs(r["events_per_second"] - rate)))
    row.update({"events": events, "rules_dirs": SIGMA_RULE_DIRS, "events_per_second": rate,
                "events_per_second_runs": [r["events_per_second"] for r in with_rules],
                "no_rules_events_per_second": base, "ratio_to_no_rules": rate / base if base else None})
    if without:
        row["no_rules_events_per_second_runs"] = [r["events_per_second"] for r in without]
    return row


def ingest_only(work, raw, events, conns, runs):
    """TCP ingest without rules (issue 24): `runs` replays on fresh data directories; medians of
    events/s, peak RSS and CPU seconds, with every run's figures."""
    rs = []
    for i in range(runs):
        rs.append(kamatama_ingest(work, "ingest", raw, conns, []))
        print(f"ingest run {i + 1}: {rs[-1]['events_per_second']:.0f} ev/s, peak RSS "
              f"{rs[-1]['peak_rss_bytes'] / 2**20:.0f} MiB, {rs[-1]['cpu_seconds']:.1f} CPU s", flush=True)
    med = {k: statistics.median(r[k] for r in rs) for k in ("events_per_second", "peak_rss_bytes", "cpu_seconds")}
    print(f"ingest, {events} events, median of {runs}: {med['events_per_second']:.0f} ev/s, peak RSS "
          f"{med['peak_rss_bytes'] / 2**20:.0f} MiB, {med['cpu_seconds']:.1f} CPU s", flush=True)
    return dict(med, events=events, runs=[{k: r[k] for k in med} for r in rs])


def udp_ingest(work, raw, rate, seconds, runs):
    """Syslog over UDP at a fixed rate (issue 24): `runs` replays of `seconds` at `rate` datagrams/s
    into a kamatama on a fresh data directory each; sent, stored and dropped by reason per run."""
    rs = []
    for i in range(runs):
        data = os.path.join(work, "kamatama-udp-data")
        shutil.rmtree(data, ignore_errors=True)
        up, hp = free_port(socket.SOCK_DGRAM), free_port()
        log = open(os.path.join(work, "kamatama-udp.log"), "w")
        k = subprocess.Popen([KAMATAMA, "serve", "--data-dir", data, "--syslog-udp", f"127.0.0.1:{up}", "--syslog-tcp", "",
                              "--http", f"127.0.0.1:{hp}"], stdout=log, stderr=log,
                             env=dict(os.environ, KAMATAMA_ADMIN_PASSWORD=BENCH_PASSWORD))
        try:
            assert wait_port(hp, timeout=120), "kamatama did not start"
            out = subprocess.run([REPLAY, "--udp", str(rate), str(seconds), f"127.0.0.1:{up}", f"127.0.0.1:{hp}", raw],
                                 capture_output=True, text=True, check=True, env=dict(os.environ, KMT_AUTHORIZATION=BASIC))
            r = json.loads(out.stdout.strip().splitlines()[-1])
            r["cpu_seconds"], r["peak_rss_bytes"] = proc_cpu_rss(k.pid)
        finally:
            stop(k)
            shutil.rmtree(data, ignore_errors=True)
        rs.append(r)
        print(f"udp run {i + 1}: {r['sent']} sent at {rate:.0f}/s over {r['seconds']:.1f} s, {r['stored']:.0f} stored, "
              f"dropped: queue full {r['dropped_queue_full']:.0f}, store unavailable {r['dropped_store_unavailable']:.0f}, "
              f"receive buffer {r['dropped_receive_buffer']:.0f}; loss {r['loss_pct']:.3f}%, "
              f"peak RSS {r['peak_rss_bytes'] / 2**20:.0f} MiB", flush=True)
    return {"rate": rate, "seconds": seconds, "loss_pct_median": statistics.median(r["loss_pct"] for r in rs),
            "runs": rs, "target": "0% loss at 100,000 datagrams/s for 60 s"}


def print_ingest_with_rules(d):
    if "note" in d:
        print(f"ingest with rules: {d['note']}")
        return
    print(f"ingest with every snapshot rule: {d['events_per_second']:.0f} ev/s against {d['no_rules_events_per_second']:.0f} "
          f"without rules ({d['ratio_to_no_rules']:.2f}; target >= 0.85), {d['alerts']} alerts raised on "
          f"{d['events']} events", flush=True)


def hunt_only(a):
    """--hunt-only: the hunts on the kept --workdir's data, merged into --out."""
    with open(os.path.join(a.workdir, "events")) as f:
        events = int(f.read())
    h = run_hunts(a.workdir, os.path.join(a.workdir, "kamatama-data"), events, a.runs)
    print_hunt(h)
    merge_row(a.out, "hunt", h)

def investigate_only(a):
    """--investigate-only: investigation timings (issue 22) on the kept --workdir's data, merged into --out."""
    import investigate_bench
    hp = free_port()
    log = open(os.path.join(a.workdir, "kamatama-investigate.log"), "w")
    k = subprocess.Popen([KAMATAMA, "serve", "--data-dir", os.path.join(a.workdir, "kamatama-data"), "--syslog-udp", "",
                          "--syslog-tcp", "", "--http", f"127.0.0.1:{hp}"],
                         stdout=log, stderr=log, env=dict(os.environ, KAMATAMA_ADMIN_PASSWORD=BENCH_PASSWORD))
    try:
        assert wait_port(hp, timeout=120), "kamatama did not start"
        time.sleep(5)  # the token filters of the newest days load in the background
        with open(os.path.join(a.workdir, "events")) as f:
            events = int(f.read())
        d = dict(investigate_bench.run(hp, BASIC, a.runs), events=events)
    finally:
        stop(k)
    investigate_bench.print_rows(d)
    merge_row(a.out, "investigate", d)


# (name, kamatama query, rg arguments or None, FTS5 MATCH or None, what it asks)
QUERIES = [
    ("rare IP", "198.51.100.77", ["-F", "198.51.100.77"], '"198.51.100.77"', "an IP in 100 lines"),
    ("rare user", "zz_needle_user", ["-F", "zz_needle_user"], '"zz_needle_user"', "a user in 50 lines"),
    ("rare hash", "5f1b2c3d4e5f60718293a4b5c6d7e8f9", ["-F", "5f1b2c3d4e5f60718293a4b5c6d7e8f9"],
     '"5f1b2c3d4e5f60718293a4b5c6d7e8f9"', "an MD5 in 20 lines"),
    ("phrase", '"Failed password for invalid user"', ["-F", "Failed password for invalid user"],
     '"Failed password for invalid user"', "a common phrase (first page)"),
    ("field filter", "process.name:sshd AND 203.0.113.5", ["sshd\\[.*203\\.0\\.113\\.5 "],
     'sshd AND "203.0.113.5"', "program + attacker IP"),
    ("newest page", "", None, None, "newest 100 events of everything"),
    ("common term", "sshd", None, None, "first page of newest events for a common term"),
    ("root failures", "user.name:root AND event.outcome:failure | stats count() by source.ip | sort -count | head 10",
     ["-F", "Failed password for root from"], '"Failed password for root"', "failed root logins by source IP"),
    ("stats by field", "* | stats count() by source.ip", None, None, "count by a field over everything"),
    ("regex", "/Trojan\\.Agent-99[0-9]{2}/", ["Trojan\\.Agent-99[0-9]{2}"], None, "a regex no index helps"),
    ("regex full scan", "/Trojan\\.Agent-99[0-9]{2}/ | stats count()", ["Trojan\\.Agent-99[0-9]{2}"], None,
     "the same regex over every line (throughput)"),
]

# The server is locked by default: the benchmark signs in as the admin it creates.
BENCH_PASSWORD = "bench-password-not-secret"
BASIC = "Basic " + __import__("base64").b64encode(f"admin:{BENCH_PASSWORD}".encode()).decode()


# Issue 26: the same searches on both backends (a count by a field, a rare token, top, timechart).
CLICKHOUSE_SEARCHES = [("stats count() by host.name", "* | stats count() by host.name"),
                       ("top 10 user.name of failures", "failed | top 10 user.name"),
                       ("timechart 1h", "* | timechart span=1h count()")]


def metric(hp, name):
    req = urllib.request.Request(f"http://127.0.0.1:{hp}/metrics", headers={"Authorization": BASIC})
    with urllib.request.urlopen(req, timeout=30) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return None


def api_search(hp, q, limit=100):
    url = f"http://127.0.0.1:{hp}/api/v1/search?" + urllib.parse.urlencode({"q": q, "limit": str(limit)})
    req = urllib.request.Request(url, headers={"Authorization": BASIC})
    with urllib.request.urlopen(req, timeout=300) as resp:
        return json.loads(resp.read())


def clickhouse_rows(events, conns, runs, workdir):
    """Issue 26, never in CI: the same generated lines replayed into a RocksDB-backed kamatama and
    into one on a local ClickHouse cluster (tests/clickhouse/cluster.sh: 2 shards x 2 replicas,
    Debian's 18.16, on this same machine), one after the other; ingest events/s (acknowledged
    locally, and until the cluster confirmed every event), then the same searches on both (median
    ms of `runs`)."""
    work = workdir or tempfile.mkdtemp(prefix="kmt_bench_ch_")
    os.makedirs(work, exist_ok=True)
    raw = os.path.join(work, "lines.log")
    with open(raw, "w") as f:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_syslog.py"), str(events), "1"], stdout=f, check=True)
    # A rare token: the address of one line in the middle, as a free-text search.
    with open(raw) as f:
        lines = f.readlines()
    rare = next(t for line in lines[len(lines) // 2:] for t in line.split() if t.count(".") == 3 and t.replace(".", "").isdigit())
    # The same address OR'd with a token no line has: the same events, but a filter the token
    # table does not narrow (its root is not free text), so the search without the token table.
    searches = CLICKHOUSE_SEARCHES + [("rare address (free text)", rare),
                                      ("rare address, not narrowed (OR an absent token)", f"{rare} OR kmtabsent0token")]
    chdir = os.path.join(work, "ch")
    cluster = ["bash", os.path.join(ROOT, "tests", "clickhouse", "cluster.sh")]
    subprocess.run(cluster + ["start", chdir], check=True, capture_output=True)
    procs, row = [], {"events": events, "connections": conns, "runs": runs, "cluster": "2 shards x 2 replicas, "
                      "ClickHouse 18.16 (Debian 12), on the same 2-core machine", "backends": {}}
    try:
        with open(os.path.join(chdir, "http_ports")) as f:
            urls = ", ".join(f"http://127.0.0.1:{p}" for p in f.read().split())
        with open(os.path.join(chdir, "cluster")) as f:
            cluster_name = f.read().strip()
        cfg = os.path.join(work, "clickhouse.yaml")
        with open(cfg, "w") as f:
            f.write(f"store:\n  backend: clickhouse\nclickhouse:\n  urls: [{urls}]\n  cluster: {cluster_name}\n"
                    f"  database: kmt_bench\n  node: bench\n")
        subprocess.run([KAMATAMA, "clickhouse", "init", "--config", cfg], check=True, capture_output=True)
        for name, extra in (("rocksdb", []), ("clickhouse", ["--config", cfg])):
            data = os.path.join(work, f"data-{name}")
            shutil.rmtree(data, ignore_errors=True)
            k, sp, hp = serve_store(data, work, f"bench-{name}", extra)
            procs.append(k)
            assert wait_port(hp, timeout=120) and wait_port(sp, timeout=120), "kamatama did not start"
            t0 = time.time()
            r = replay(f"127.0.0.1:{sp}", f"127.0.0.1:{hp}", raw, conns)
            b = {"ingest_events_per_second": r["events_per_second"]}
            if name == "clickhouse":
                while metric(hp, "kamatama_clickhouse_sent_events_total") < events or \
                        metric(hp, "kamatama_clickhouse_spool_events") > 0:
                    time.sleep(0.2)
                b["confirmed_by_cluster_events_per_second"] = events / (time.time() - t0)
            b["search_ms"] = {}
            for label, q in searches:
                b["search_ms"][label] = median_ms(lambda: api_search(hp, q), runs)
            b["matched"] = {label: api_search(hp, q).get("matched") for label, q in searches}
            # Hunts (the one-rule hunts of hunt_rows, pasted: the servers load no rules, so that
            # ingest is measured as before): on the cluster, SQL narrows and the node decides.
            b["hunt_ms"], b["hunt_matched"], b["hunt_scanned"] = {}, {}, {}
            for hname, path in HUNT_RULES.items():
                with open(os.path.join(SHARED, "sigma", path)) as f:
                    body = {"yaml": f.read(), "from": "2000-01-01T00:00:00Z", "to": "now", "limit": 100}
                b["hunt_ms"][hname] = median_ms(lambda: hunt_once(hp, body), runs)
                done = hunt_once(hp, body)[1]
                b["hunt_matched"][hname], b["hunt_scanned"][hname] = done["matched"], done["scanned"]
            row["backends"][name] = b
            print(f"{name}: ingest {b['ingest_events_per_second']:.0f} ev/s"
                  + (f", confirmed by the cluster {b['confirmed_by_cluster_events_per_second']:.0f} ev/s"
                     if name == "clickhouse" else "")
                  + "; " + ", ".join(f"{lbl} {ms:.1f} ms" for lbl, ms in b["search_ms"].items())
                  + "; hunts " + ", ".join(f"{h} {ms:.0f} ms ({b['hunt_matched'][h]} matched, {b['hunt_scanned'][h]} sent)"
                                           for h, ms in b["hunt_ms"].items()), flush=True)
        rk, ch = row["backends"]["rocksdb"], row["backends"]["clickhouse"]
        row["search_ms_ratio_clickhouse_to_rocksdb"] = {lbl: ch["search_ms"][lbl] / rk["search_ms"][lbl]
                                                        for lbl in rk["search_ms"]}
        row["hunt_ms_ratio_clickhouse_to_rocksdb"] = {h: ch["hunt_ms"][h] / rk["hunt_ms"][h] for h in rk["hunt_ms"]}
        row["ingest_ratio_clickhouse_to_rocksdb"] = (ch["confirmed_by_cluster_events_per_second"]
                                                     / rk["ingest_events_per_second"])
    finally:
        for k in procs:
            stop(k)
        subprocess.run(cluster + ["stop", chdir], capture_output=True)
        if not workdir:
            shutil.rmtree(work, ignore_errors=True)
    return row


def read_results(out):
    """The results file `out` (empty if missing) and its indentation."""
    prev, indent = {}, 2
    if os.path.exists(out):
        with open(out) as f:
            text = f.read()
        prev = json.loads(text)
        lines = text.split("\n")
        if len(lines) > 1 and lines[1].startswith(" "):  # keep the file's indentation: a diff of one row only
            indent = len(lines[1]) - len(lines[1].lstrip(" "))
    return prev, indent


def print_searches(rows):
    # Two pairs where FTS5 can answer: the newest 100 matches (kamatama's search, FTS5's
    # ORDER BY rowid DESC LIMIT 100) and the count alone (limit=0, FTS5's count(*)).
    print(f"{'search (median ms)':<18}{'kamatama':>10}{'rg':>10}{'fts5':>10}{'rg/kmt':>8}{'fts/kmt':>8}  hits kmt/rg/fts")
    f = lambda v: f"{v:10.1f}" if v is not None else f"{'n/a':>10}"
    for r in rows:
        km, rgm, fm = r.get("kamatama_ms"), r.get("rg_ms"), r.get("fts5_page_ms", r.get("fts5_ms"))
        ratio = lambda x, base=km: f"{x / base:8.1f}" if (x is not None and base) else f"{'':>8}"
        hits = f"{r.get('kamatama_matched', '-')}/{r.get('rg_count', '-')}/{r.get('fts5_count', '-')}"
        print(f"{r['query']:<18}{f(km)}{f(rgm)}{f(fm)}{ratio(rgm)}{ratio(fm)}  {hits}"
              + (f"  ({r['kamatama_note']})" if r.get("kamatama_note") else "")
              + (f"  [{r['kamatama_gb_per_s']:.2f} GB/s of lines, {r['kamatama_gb_per_s_per_core']:.2f} per core,"
                 f" {r.get('kamatama_gb_per_cpu_s', 0):.2f} per CPU-second]" if r.get("kamatama_gb_per_s") else ""))
        if r.get("kamatama_count_ms") is not None and r.get("fts5_ms") is not None:
            kc, fc = r["kamatama_count_ms"], r["fts5_ms"]
            print(f"{'  count only':<18}{f(kc)}{'':>10}{f(fc)}{'':>8}{ratio(fc, kc)}")


def merge_row(out, key, row):
    """Replaces one row (`key`) of the results file `out`, keeping the others."""
    prev, indent = read_results(out)
    prev[key] = row
    with open(out, "w") as f:
        json.dump(prev, f, indent=indent)
    print(f"written to {out}")


def merge_search_rows(out, rows):
    """Replaces the search rows of `out` that `rows` name (by query), keeping the others."""
    prev, indent = read_results(out)
    by_name = {r["query"]: r for r in rows}
    kept = [by_name.pop(r["query"], r) for r in prev.get("search", [])]
    prev["search"] = kept + list(by_name.values())
    with open(out, "w") as f:
        json.dump(prev, f, indent=indent)
    print(f"search rows written to {out}")


# The dashboard bench/ui_timing.mjs times (issue 25): 8 panels over the generated lines, as an
# analyst's first screen: two time charts, three top-10 bars, a table, a number (two searches: this
# period and the one before) and the newest events.
UI_DASHBOARD = {"title": "bench: 8 panels", "panels": [
    {"title": "Events by dataset", "type": "timechart", "query": "* | timechart count() by event.dataset", "w": 8, "h": 4},
    {"title": "Failed logons", "type": "number", "query": "event.category:authentication event.outcome:failure", "w": 4, "h": 2},
    {"title": "Firewall denies", "type": "timechart", "query": "event.dataset:firewall.* event.type:*denied* | timechart count() by event.action", "w": 4, "h": 2},
    {"title": "Top blocked sources", "type": "bar", "query": "event.dataset:firewall.* event.type:*denied* | top 10 source.ip", "w": 4, "h": 5},
    {"title": "sshd failures by user", "type": "bar", "query": "event.dataset:auth.sshd event.outcome:failure | top 10 user.name", "w": 4, "h": 5},
    {"title": "Top DNS names", "type": "bar", "query": "dns.question.name:* | top 10 dns.question.name", "w": 4, "h": 5},
    {"title": "Proxy answers", "type": "table", "query": "event.dataset:proxy.* | stats count() by event.outcome, http.response.status_code | sort -count | head 10", "w": 6, "h": 4},
    {"title": "Latest antivirus events", "type": "events", "query": "event.dataset:antivirus.*", "w": 6, "h": 4}]}
BENCH_END = "2026-11-26T00:00:00Z"  # gen_syslog.py's default --end: the generated lines cover the 30 days before


def ui_rows(events, runs, workdir, node_modules, chromium):
    """--ui-only (issue 25): the UI_DASHBOARD over the last 7 days of a bench store, timed by
    bench/ui_timing.mjs (navigation to every panel drawn, median of `runs` after a first load that
    warms the browser's cache). With `workdir`: the store a full run kept there (kamatama-data and
    its line count in `events`), built there first (and kept) when it holds none; else a temporary
    store of `events` generated lines. The dashboard is deleted afterwards."""
    work = workdir or tempfile.mkdtemp(prefix="kmt_ui_bench_")
    os.makedirs(work, exist_ok=True)
    t_build = 0.0
    data, kept, events, raw = bench_store(work, workdir, events)
    k, sp, hp = serve_store(data, work, "ui")
    auth = {"Authorization": BASIC, "Content-Type": "application/json"}
    dash_id = None
    try:
        assert wait_port(hp, timeout=120), "kamatama did not start"
        if kept:
            time.sleep(5)  # the token filters of the newest days load in the background
        else:
            t0 = time.time()
            replay(f"127.0.0.1:{sp}", f"127.0.0.1:{hp}", raw, 4)
            t_build = time.time() - t0
            os.remove(raw)
            if workdir:
                with open(os.path.join(work, "events"), "w") as f:
                    f.write(str(events))
        req = urllib.request.Request(f"http://127.0.0.1:{hp}/api/v1/dashboards", data=json.dumps(UI_DASHBOARD).encode(),
                                     method="POST", headers=auth)
        dash_id = json.loads(urllib.request.urlopen(req, timeout=60).read())["id"]
        end = datetime_from(BENCH_END)
        args = ["node", os.path.join(ROOT, "bench", "ui_timing.mjs"), "--url", f"http://127.0.0.1:{hp}",
                "--password", BENCH_PASSWORD, "--node-modules", node_modules, "--chromium", chromium,
                "--runs", str(runs + 1), "--dashboard", dash_id,
                "--from", iso_utc(end - 7 * 86400), "--to", iso_utc(end)]
        out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=900)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        timed = r["ms"][1:]  # the first load fills the browser's cache: not counted
        return {"events": events, "days_shown": 7, "store_days": 30, "panels": r["panels"], "runs": len(timed),
                "median_ms": statistics.median(timed), "ms_runs": timed, "first_load_ms": r["ms"][0],
                "target_ms": 1000, "searches_issued_at_once": r["max_parallel_searches"],
                "panel_drawn_ms_last_run": r["panel_drawn_ms_last_run"], "panels_not_drawn": r["panels_not_drawn"],
                "store": "kept --workdir" if kept else f"built ({t_build:.0f} s)"}
    finally:
        if dash_id:
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{hp}/api/v1/dashboards/{dash_id}", method="DELETE", headers=auth)
                urllib.request.urlopen(req, timeout=60).read()
            except Exception:  # the server stopped early; its store is a temporary one then
                pass
        stop(k)
        if not workdir:
            shutil.rmtree(work, ignore_errors=True)


def datetime_from(rfc3339):
    import datetime
    return datetime.datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def iso_utc(epoch_s):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_s))


def print_ui(d):
    print(f"dashboard of {d['panels']} panels, 7 of {d['store_days']} days of a {d['events']:,}-event store: "
          f"median {d['median_ms']:.0f} ms to every panel drawn (runs {d['ms_runs']}; target {d['target_ms']} ms); "
          f"{d['searches_issued_at_once']} searches issued at once (Chromium sends 6 at a time); panels drawn at {d['panel_drawn_ms_last_run']}",
          flush=True)


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def dir_bytes(path):
    total = 0
    for dp, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(dp, f))
            except OSError:
                pass
    return total


def proc_cpu_rss(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) * 1024
    return cpu, hwm


def wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def stop(proc, sig=signal.SIGTERM, timeout=120):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def median_ms_cpu(fn, runs, pid=None):
    """Median wall ms of `runs` calls after a warm-up, and (with a pid) the median CPU seconds
    (user + system, from /proc) that process used per call."""
    fn()  # warm-up
    times, cpus = [], []
    for _ in range(runs):
        c0 = proc_cpu_rss(pid)[0] if pid else 0
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
        cpus.append(proc_cpu_rss(pid)[0] - c0 if pid else 0)
    return statistics.median(times), statistics.median(cpus)


def median_ms(fn, runs):
    return median_ms_cpu(fn, runs)[0]


def replay(target, done, path, conns):
    out = subprocess.run([REPLAY, target, done, path, str(conns)], capture_output=True, text=True, check=True,
                         env=dict(os.environ, KMT_AUTHORIZATION=BASIC))
    return json.loads(out.stdout.strip().splitlines()[-1])


def stored_total(hp):
    req = urllib.request.Request(f"http://127.0.0.1:{hp}/metrics", headers={"Authorization": BASIC})
    with urllib.request.urlopen(req, timeout=30) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith("kamatama_events_stored_total "):
                return float(line.split()[1])
    return 0.0


def rsyslog_forward(kind, port, lines, n, hp, work):
    """rsyslog reads `lines` (n lines) with imfile and forwards the raw lines to kamatama over RELP
    (omrelp) or TCP (omfwd); events/s from rsyslog's start until kamatama has stored all n."""
    rdir = os.path.join(work, f"rsyslog-{kind}")
    shutil.rmtree(rdir, ignore_errors=True)
    os.makedirs(os.path.join(rdir, "work"))
    if kind == "relp":
        action = (f'module(load="omrelp")\n'
                  f'action(type="omrelp" target="127.0.0.1" port="{port}" template="raw" queue.type="LinkedList"'
                  f' queue.size="100000")\n')
    else:
        action = (f'action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp" template="raw"'
                  f' queue.type="LinkedList" queue.size="100000")\n')
    with open(os.path.join(rdir, "rsyslog.conf"), "w") as f:
        f.write(f'global(workDirectory="{rdir}/work" maxMessageSize="64k")\n'
                'module(load="imfile")\n'
                'template(name="raw" type="string" string="%rawmsg%")\n'
                f'input(type="imfile" file="{lines}" tag="bench:")\n' + action)
    base = stored_total(hp)
    t0 = time.time()
    err_path = os.path.join(rdir, "rsyslogd.err")
    with open(err_path, "w") as err:
        rs = subprocess.Popen(["rsyslogd", "-n", "-f", os.path.join(rdir, "rsyslog.conf"), "-i",
                               os.path.join(rdir, "pid")], stdout=err, stderr=err)
    try:
        deadline = t0 + 3600
        while stored_total(hp) - base < n:
            assert time.time() < deadline, f"rsyslog {kind}: not all lines stored within an hour"
            # An rsyslogd that exits (a bad config, a module missing) fails the run at once
            # instead of leaving it waiting for lines that will never come.
            if rs.poll() is not None:
                with open(err_path, errors="replace") as f:
                    tail = f.read()[-2000:]
                raise AssertionError(f"rsyslog {kind}: rsyslogd exited with status {rs.returncode} after "
                                     f"{stored_total(hp) - base:.0f} of {n} lines: {tail}")
            time.sleep(0.05)
        dt = time.time() - t0
        cpu, hwm = proc_cpu_rss(rs.pid)
    finally:
        stop(rs)
    return {"events_per_second": n / dt, "seconds": dt, "events": n, "rsyslog_cpu_seconds": cpu}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--runs", type=int, default=7, help="search repetitions (median)")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "latest.json"))
    ap.add_argument("--skip-fts", action="store_true")
    ap.add_argument("--rules", action="append", default=[],
                    help="a Sigma rule directory kamatama runs on every ingested event (serve --rules); repeatable")
    ap.add_argument("--detect-only", action="store_true",
                    help="only the rule evaluation row (kmt_detect_bench); merged into --out")
    ap.add_argument("--intel-only", action="store_true",
                    help="only the threat-intelligence matching row (kmt_intel_bench); merged into --out")
    ap.add_argument("--intel-hunt-events", type=int, default=0,
                    help="with --intel-only: also a hunt of 10,000 indicators over a store of this many generated lines; "
                         "with --workdir, over the store a full run kept there (built there first if it holds none)")
    ap.add_argument("--parsers-only", action="store_true",
                    help="only the parser rows (kmt_parsers_bench); merged into --out")
    ap.add_argument("--parser-runs", type=int, default=3, help="kmt_parsers_bench repetitions (median)")
    ap.add_argument("--declarative-only", action="store_true",
                    help="only declarative parsers against the built-in ones on the same lines (issue 23); "
                         "merged into --out as declarative_parsers")
    ap.add_argument("--ingest-rules-only", action="store_true",
                    help="only ingest with every snapshot rule against ingest without (--events lines, "
                         "--ingest-runs alternating pairs); merged into --out as ingest_with_rules")
    ap.add_argument("--ingest-runs", type=int, default=3, help="with --ingest-rules-only: pairs of replays (median)")
    ap.add_argument("--ingest-only", action="store_true",
                    help="only TCP ingest without rules (--events lines, --ingest-runs replays on fresh data "
                         "directories, medians); merged into --out as ingest_only (issue 24)")
    ap.add_argument("--udp-only", action="store_true",
                    help="only syslog over UDP at --udp-rate datagrams/s for --udp-seconds, --ingest-runs times; "
                         "merged into --out as udp_ingest (issue 24)")
    ap.add_argument("--udp-rate", type=float, default=100_000)
    ap.add_argument("--udp-seconds", type=float, default=60)
    ap.add_argument("--hunt-only", action="store_true",
                    help="only the retro-hunt rows, on the data a kept --workdir holds; merged into --out")
    ap.add_argument("--investigate-only", action="store_true",
                    help="only the investigation rows (IP owner, process tree, entity page; issue 22), on the data a "
                         "kept --workdir holds (a small overlay of trees and leases is added once); merged into --out")
    ap.add_argument("--forward-events", type=int, default=1_000_000,
                    help="lines rsyslog forwards to kamatama over RELP (omrelp) and over TCP (omfwd), each; 0 skips")
    ap.add_argument("--ui-only", action="store_true",
                    help="only the dashboard timing (issue 25): 8 panels over 7 days of a store of --ui-events generated "
                         "lines (with --workdir: the store kept there, built there first if it holds none), in "
                         "headless Chromium; merged into --out as ui_dashboard")
    ap.add_argument("--ui-events", type=int, default=2_000_000, help="with --ui-only: lines of the store it builds")
    ap.add_argument("--ui-runs", type=int, default=5, help="with --ui-only: dashboard loads (median)")
    ap.add_argument("--node-modules", default=os.path.join(BUILD, "tests", "ui-node", "node_modules"),
                    help="where playwright-core is (ctest's ui_e2e_setup installs it there)")
    ap.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser") or "chromium")
    ap.add_argument("--searches-only", action="store_true",
                    help="reuse --workdir from an earlier run (lines, kamatama data, FTS index): only the searches "
                         "run again, against a server restarted on the kept data; only the search rows of --out "
                         "that they name are replaced (with the load and a note), the rest of --out is kept")
    ap.add_argument("--clickhouse-only", action="store_true",
                    help="issue 26: ingest and searches on a local ClickHouse cluster (tests/clickhouse/cluster.sh) "
                         "against a RocksDB-backed kamatama, same lines, one run; --events lines (default here 1M)")
    a = ap.parse_args()
    if a.clickhouse_only:
        n = a.events if "--events" in sys.argv else 1_000_000
        merge_row(a.out, "clickhouse", clickhouse_rows(n, a.connections, a.runs, a.workdir))
        return
    if a.workdir:
        # rsyslogd resolves its work directory and pid file from "/", not from here.
        a.workdir = os.path.abspath(a.workdir)
    if (a.searches_only or a.hunt_only or a.investigate_only) and not a.workdir:
        ap.error("--searches-only, --hunt-only and --investigate-only need --workdir")
    if a.investigate_only:
        investigate_only(a)
        return
    if a.ui_only:
        d = ui_rows(a.ui_events, a.ui_runs, a.workdir, a.node_modules, a.chromium)
        print_ui(d)
        merge_row(a.out, "ui_dashboard", d)
        return
    if a.hunt_only:
        hunt_only(a)
        return

    if a.udp_only:
        work = a.workdir or tempfile.mkdtemp(prefix="kmt_bench_")
        os.makedirs(work, exist_ok=True)
        raw = os.path.join(work, "udp-lines.log")
        with open(raw, "w") as f:  # distinct lines to cycle through; the rate and duration set the count
            subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_syslog.py"), "1000000", "1"],
                           stdout=f, check=True)
        merge_row(a.out, "udp_ingest", udp_ingest(work, raw, a.udp_rate, a.udp_seconds, a.ingest_runs))
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)
        return

    if a.ingest_only or a.ingest_rules_only:
        work = a.workdir or tempfile.mkdtemp(prefix="kmt_bench_")
        os.makedirs(work, exist_ok=True)
        raw = os.path.join(work, "lines.log")
        with open(raw, "w") as f:
            subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_syslog.py"), str(a.events), "1"],
                           stdout=f, check=True)
        if a.ingest_only:
            merge_row(a.out, "ingest_only", ingest_only(work, raw, a.events, a.connections, a.ingest_runs))
        else:
            d = ingest_with_rules(work, raw, a.events, a.connections, runs=a.ingest_runs)
            print_ingest_with_rules(d)
            merge_row(a.out, "ingest_with_rules", d)
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)
        return

    if a.detect_only:
        d = detect_rows()
        print_detect(d)
        merge_row(a.out, "detect", d)
        return

    if a.intel_only:
        d = intel_rows()
        print_intel(d)
        if a.intel_hunt_events or a.workdir:
            d["hunt"] = intel_hunt_rows(a.intel_hunt_events or 200_000, workdir=a.workdir)
            h = d["hunt"]
            print(f"intel hunt: {h['indicators']} indicators over {h['events']} events: {h['hunt_ms']:.0f} ms "
                  f"({h['indicators_hit']} indicators seen {h['sightings']} times; blocks {h['blocks']})", flush=True)
        merge_row(a.out, "intel", d)
        return

    if a.declarative_only:
        d = declarative_rows(a.parser_runs)
        print_declarative(d)
        merge_row(a.out, "declarative_parsers", d)
        return

    if a.parsers_only:
        d = parser_rows(a.parser_runs)
        print_parsers(d)
        merge_row(a.out, "parsers", d)
        return

    work = a.workdir or tempfile.mkdtemp(prefix="kmt_bench_")
    os.makedirs(work, exist_ok=True)
    raw = os.path.join(work, "lines.log")
    res = {"events": a.events, "connections": a.connections, "runs": a.runs, "rules": a.rules,
           "machine": {"cpus": os.cpu_count()}, "ingest": {}, "storage": {}, "search": []}
    procs = []
    try:
        t0 = time.time()
        if a.searches_only:
            with open(a.out) as f:
                prev = json.load(f)
            res["ingest"], res["events"] = prev["ingest"], prev["events"]
            res["searches_only_rerun"] = True
        else:
            with open(raw, "w") as f:
                subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_syslog.py"), str(a.events), "1"],
                               stdout=f, check=True)
        raw_bytes = os.path.getsize(raw)
        with open(os.path.join(work, "events"), "w") as f:
            f.write(str(a.events))  # for --hunt-only on this workdir
        print(f"generated {a.events} lines, {raw_bytes / 1e6:.1f} MB in {time.time() - t0:.1f}s", flush=True)

        # --- kamatama ingest
        data = os.path.join(work, "kamatama-data")
        if not a.searches_only:
            shutil.rmtree(data, ignore_errors=True)
        sp, hp = free_port(), free_port()
        log = open(os.path.join(work, "kamatama.log"), "w")
        k = subprocess.Popen([KAMATAMA, "serve", "--data-dir", data, "--syslog-udp", "",
                              "--syslog-tcp", f"127.0.0.1:{sp}", "--http", f"127.0.0.1:{hp}"]
                             + [x for d in a.rules for x in ("--rules", d)],
                             stdout=log, stderr=log, env=dict(os.environ, KAMATAMA_ADMIN_PASSWORD=BENCH_PASSWORD))
        procs.append(k)
        assert wait_port(hp), "kamatama did not start"
        if a.searches_only:
            time.sleep(5)  # the store opens before the port; give recovery of the kept data a moment
        r = None if a.searches_only else replay(f"127.0.0.1:{sp}", f"127.0.0.1:{hp}", raw, a.connections)
        if not a.searches_only:
            cpu, hwm = proc_cpu_rss(k.pid)
            res["ingest"]["kamatama"] = {"events_per_second": r["events_per_second"], "seconds": r["seconds"],
                                         "cpu_seconds": cpu, "peak_rss_bytes": hwm}
            print(f"kamatama ingest: {r['events_per_second']:.0f} ev/s, peak RSS {hwm / 2**20:.0f} MiB", flush=True)

            # --- rsyslog forwarding to kamatama: RELP (answered after fsync) beside TCP, the same
            # lines, into a second kamatama with its own data (the searches below count needles)
            fwd = min(a.forward_events, a.events)
            if fwd > 0:
                flines = os.path.join(work, "forward.log")
                with open(raw) as src, open(flines, "w") as dst:
                    for i, line in enumerate(src):
                        if i >= fwd:
                            break
                        dst.write(line)
                fsp, fhp, frp = free_port(), free_port(), free_port()
                fdata = os.path.join(work, "kamatama-forward-data")
                shutil.rmtree(fdata, ignore_errors=True)
                with open(os.path.join(work, "kamatama-forward.yaml"), "w") as f:
                    f.write(f"syslog:\n  relp: 127.0.0.1:{frp}\n")
                flog = open(os.path.join(work, "kamatama-forward.log"), "w")
                k2 = subprocess.Popen([KAMATAMA, "serve", "--config", os.path.join(work, "kamatama-forward.yaml"),
                                       "--data-dir", fdata, "--syslog-udp", "", "--syslog-tcp", f"127.0.0.1:{fsp}",
                                       "--http", f"127.0.0.1:{fhp}"], stdout=flog, stderr=flog,
                                      env=dict(os.environ, KAMATAMA_ADMIN_PASSWORD=BENCH_PASSWORD))
                procs.append(k2)
                assert wait_port(fhp) and wait_port(frp), "second kamatama did not start"
                for kind, port in (("relp", frp), ("tcp", fsp)):
                    r = rsyslog_forward(kind, port, flines, fwd, fhp, work)
                    res["ingest"][f"rsyslog {kind} -> kamatama"] = r
                    print(f"rsyslog {kind} -> kamatama: {r['events_per_second']:.0f} ev/s ({fwd} lines)", flush=True)
                stop(k2)
                shutil.rmtree(fdata, ignore_errors=True)

            # --- rsyslog ingest (plain file, raw lines)
            rdir = os.path.join(work, "rsyslog")
            shutil.rmtree(rdir, ignore_errors=True)
            os.makedirs(os.path.join(rdir, "work"))
            rport = free_port()
            rout = os.path.join(rdir, "out.log")
            with open(os.path.join(rdir, "rsyslog.conf"), "w") as f:
                f.write(f'global(workDirectory="{rdir}/work" maxMessageSize="64k")\n'
                        'module(load="imtcp")\n'
                        'template(name="raw" type="string" string="%rawmsg%\\n")\n'
                        f'input(type="imtcp" address="127.0.0.1" port="{rport}")\n'
                        f'action(type="omfile" file="{rout}" template="raw")\n')
            rs = subprocess.Popen(["rsyslogd", "-n", "-f", os.path.join(rdir, "rsyslog.conf"), "-i",
                                   os.path.join(rdir, "pid")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(rs)
            assert wait_port(rport), "rsyslog did not start"
            r = replay(f"127.0.0.1:{rport}", f"file:{rout}", raw, a.connections)
            cpu, hwm = proc_cpu_rss(rs.pid)
            res["ingest"]["rsyslog"] = {"events_per_second": r["events_per_second"], "seconds": r["seconds"],
                                        "cpu_seconds": cpu, "peak_rss_bytes": hwm}
            stop(rs)
            print(f"rsyslog ingest: {r['events_per_second']:.0f} ev/s", flush=True)

        # --- kamatama search (warm), then storage after a clean stop
        base = f"http://127.0.0.1:{hp}/api/v1/search?"

        def ksearch(q, limit=100):
            url = base + urllib.parse.urlencode({"q": q, "limit": str(limit)})
            try:
                req = urllib.request.Request(url, headers={"Authorization": BASIC})
                with urllib.request.urlopen(req, timeout=120) as resp:
                    return json.loads(resp.read())
            except urllib.error.HTTPError as e:
                return {"error": e.read().decode(errors="replace"), "status": e.code}

        fts = os.path.join(work, "fts.db")
        fts_build = None
        if not a.skip_fts and not a.searches_only:
            if os.path.exists(fts):
                os.remove(fts)
            t0 = time.time()
            db = sqlite3.connect(fts)
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("CREATE VIRTUAL TABLE lines USING fts5(line)")
            with open(raw, errors="replace") as f:
                batch = []
                for line in f:
                    batch.append((line.rstrip("\n"),))
                    if len(batch) == 50000:
                        db.executemany("INSERT INTO lines(line) VALUES (?)", batch)
                        batch.clear()
                if batch:
                    db.executemany("INSERT INTO lines(line) VALUES (?)", batch)
            db.commit()
            fts_build = a.events / (time.time() - t0)
            res["ingest"]["sqlite_fts5"] = {"events_per_second": fts_build}

        for name, q, rg, match, what in QUERIES:
            row = {"query": name, "what": what, "kamatama_q": q}
            r = ksearch(q)
            if "error" in r:
                row["kamatama_ms"] = None
                row["kamatama_note"] = "not supported yet"
            else:
                full_scan = "| stats count()" in q and q.endswith("stats count()")
                if full_scan:
                    row["kamatama_ms"], row["kamatama_cpu_s"] = median_ms_cpu(lambda: ksearch(q), a.runs, k.pid)
                else:
                    row["kamatama_ms"] = median_ms(lambda: ksearch(q), a.runs)
                row["kamatama_matched"] = r.get("matched")
                row["kamatama_returned"] = r.get("returned", len(r.get("rows", [])))
                if match and "|" not in q:
                    # The same question as FTS5's count(*): how many, no events returned.
                    row["kamatama_count_ms"] = median_ms(lambda: ksearch(q, limit=0), a.runs)
                if full_scan:
                    # A full scan of every line: decompressed text per second (wall), per core of the
                    # machine (wall, every core counted as busy), and per CPU-second the server used
                    # (the machine is shared: CPU time does not count the time other tenants took).
                    row["kamatama_gb_per_s"] = raw_bytes / (row["kamatama_ms"] / 1000) / 1e9
                    row["kamatama_gb_per_s_per_core"] = row["kamatama_gb_per_s"] / res["machine"]["cpus"]
                    if row["kamatama_cpu_s"] > 0:
                        row["kamatama_gb_per_cpu_s"] = raw_bytes / row["kamatama_cpu_s"] / 1e9
            if rg:
                cmd = ["rg", "--no-filename", "-c"] + rg + [raw]
                row["rg_ms"] = median_ms(lambda: subprocess.run(cmd, capture_output=True), a.runs)
                out = subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
                row["rg_count"] = int(out or 0)
            if match and not a.skip_fts:
                db = sqlite3.connect(fts)
                sql = "SELECT count(*) FROM lines WHERE lines MATCH ?"
                row["fts5_ms"] = median_ms(lambda: db.execute(sql, (match,)).fetchall(), a.runs)
                row["fts5_count"] = db.execute(sql, (match,)).fetchone()[0]
                if "|" not in q:
                    # The same question as kamatama's search: the newest 100 matching lines
                    # (rowid is arrival order, which FTS5 walks backwards natively).
                    page = "SELECT line FROM lines WHERE lines MATCH ? ORDER BY rowid DESC LIMIT 100"
                    row["fts5_page_ms"] = median_ms(lambda: db.execute(page, (match,)).fetchall(), a.runs)
                db.close()
            if a.searches_only:
                row["load_avg_1m"] = os.getloadavg()[0]
                row["rerun"] = (f"bench/run.py --searches-only --runs {a.runs} on a kept store, "
                                f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC")
            res["search"].append(row)

        stop(k)
        procs.remove(k)
        if a.searches_only:  # only the search rows change: ingest, storage and the rest stay as measured
            print_searches(res["search"])
            merge_search_rows(a.out, res["search"])
            return
        zst = raw + ".zst"
        subprocess.run(["zstd", "-q", "-f", "-3", "-T1", raw, "-o", zst], check=True)
        res["storage"] = {
            "raw_bytes_per_event": raw_bytes / a.events,
            "zstd3_bytes_per_event": os.path.getsize(zst) / a.events,
            "kamatama_bytes_per_event": dir_bytes(data) / a.events,
        }
        if not a.skip_fts:
            res["storage"]["sqlite_fts5_bytes_per_event"] = os.path.getsize(fts) / a.events
        res["hunt"] = run_hunts(work, data, a.events, min(a.runs, 3))
        print_hunt(res["hunt"])
        if not a.rules and not a.searches_only:
            res["ingest_with_rules"] = ingest_with_rules(work, raw, a.events, a.connections,
                                                         base_rate=res["ingest"]["kamatama"]["events_per_second"])
            print_ingest_with_rules(res["ingest_with_rules"])
    finally:
        for p in procs:
            stop(p)

    res["detect"] = detect_rows()
    res["intel"] = intel_rows()
    res["parsers"] = parser_rows(a.parser_runs, 0.2 if a.parser_runs > 1 else 0.01)
    res["declarative_parsers"] = declarative_rows(a.parser_runs, 0.2 if a.parser_runs > 1 else 0.01)  # issue 23
    ki, ri = res["ingest"]["kamatama"], res["ingest"]["rsyslog"]
    print()
    print_detect(res["detect"])
    print_intel(res["intel"])
    print_parsers(res["parsers"])
    print_declarative(res["declarative_parsers"])
    print(f"events: {a.events}   connections: {a.connections}   search runs (median): {a.runs}")
    print(f"{'ingest':<28}{'events/s':>12}{'cpu s':>9}{'peak RSS MiB':>14}")
    for name, v in res["ingest"].items():
        print(f"{name:<28}{v['events_per_second']:>12.0f}{v.get('cpu_seconds', 0):>9.1f}"
              f"{v.get('peak_rss_bytes', 0) / 2**20:>14.0f}")
    print(f"{'kamatama / rsyslog':<28}{ki['events_per_second'] / ri['events_per_second']:>12.2f}")
    print()
    print(f"{'storage (bytes per event)':<28}")
    for name, v in res["storage"].items():
        print(f"  {name:<40}{v:>10.1f}")
    print()
    print_searches(res["search"])
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=2)
    print(f"\nwritten to {a.out}")
    if not a.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
