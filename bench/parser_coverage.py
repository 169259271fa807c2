#!/usr/bin/env python3
"""Classified share and field agreement of the parsers, per format, in one repeatable figure (issue 23).

1. The shared corpus (../shared/corpus): runs the corpus tests (build/tests/*_parser_test), which
   parse every sample as the server does and score it against the peer's expected output
   (tests/corpus_util.h: Wazuh ECS documents, CrowdSec asserts, fail2ban failJSON, grok YAML,
   loghub CSV, Elastic/Tenzir/logstash golden files), and reads their per-format table: lines,
   % classified to the expected dataset, fields compared, % agreeing.
2. Outside samples (--outside DATASET=FILE ...): device lines kept out of the repository (their
   licences do not allow copying them in): each file is parsed by `kamatama parse` with the shipped
   definitions, and a line counts as classified when its event.dataset starts with DATASET.

3. Devices (always): a row per shipped device definition (parsers/defs): its examples run by
   `kamatama parsers test --json`, and, with --sample DEVICE=FILE[:EXPECTED] (files kept out of
   the repository), the lines of FILE the device's parser took and, where EXPECTED gives a peer's
   output for each line (NDJSON, one object of expected fields per line, as `parsers test
   --expect` reads it), the fields compared and % agreeing. DEVICE is a definition name or a
   built-in parser's dataset (firewall.cisco_asa); a device without EXPECTED has no peer output
   and says so. bench/peer_fields.json names, per device, the peer's fields that are compared under
   our name (the same value in the field ECS means) or not at all (not comparable), each with the
   reason; the row gives agree_pct with those declarations, strict_agree_pct with none, and lists
   every declared field with its line count (and, renamed, how many agree).

Prints the tables; --write puts them under "parser_coverage" in bench/results/latest.json.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("KMT_BUILD", os.path.join(ROOT, "build"))
TESTS = ["antivirus", "auth_linux", "dhcp", "dns", "firewall", "mail", "proxy", "windows", "generic"]
ROW = re.compile(r"^(\S.*?)\s+(\d+)\s+([\d.]+)%\s+(\d+|-)\s+([\d.]+%|-)$")


def corpus_rows():
    rows = []
    for t in TESTS:
        exe = os.path.join(BUILD, "tests", f"{t}_parser_test")
        out = subprocess.run([exe], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            m = ROW.match(line)
            if not m:
                continue
            name, lines, cls, fields, agree = m.groups()
            rows.append({"format": name, "lines": int(lines), "classified_pct": float(cls),
                         "fields": None if fields == "-" else int(fields),
                         "agree_pct": None if agree == "-" else float(agree.rstrip("%"))})
    return rows


def outside_rows(specs):
    rows = []
    for spec in specs:
        dataset, path = spec.split("=", 1)
        out = subprocess.run([os.path.join(BUILD, "kamatama"), "parse", path], capture_output=True, text=True, check=True)
        events = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
        ok = sum(1 for e in events if str(e.get("event.dataset", "")).startswith(dataset))
        rows.append({"format": f"{dataset} ({os.path.basename(path)})", "lines": len(events),
                     "classified_pct": round(100.0 * ok / len(events), 1) if events else 0.0, "fields": None, "agree_pct": None})
    return rows


def parsers_test(args):
    """`kamatama parsers test --json ARGS`: one object per example and sample line."""
    out = subprocess.run([os.path.join(BUILD, "kamatama"), "parsers", "test", "--json"] + args,
                         capture_output=True, text=True, check=False).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def peer_declarations():
    """bench/peer_fields.json: per device, the peer's fields compared under our name or not at all, with why."""
    with open(os.path.join(ROOT, "bench", "peer_fields.json")) as f:
        return {k: v for k, v in json.load(f).items() if not k.startswith("_")}


def declared_expectations(want, decl, tmpdir, name):
    """The peer's documents with the declared fields renamed to ours or dropped, as a file for --expect."""
    path = os.path.join(tmpdir, name)
    with open(path, "w") as f:
        for doc in want:
            out = {}
            for k, v in doc.items():
                ours = decl[k]["ours"] if k in decl else k
                if ours is not None and ours not in out:
                    out[ours] = v
            f.write(json.dumps(out) + "\n")
    return path


def compare(defs, path, expected, want, device):
    """Lines of `path` the device took, fields compared and agreeing against `expected`."""
    args = [defs, path] + (["--expect", expected] if expected else [])
    results = [r for r in parsers_test(args) if not r["where"].startswith("example ")]
    taken = sum(1 for r in results if r["parser"] == device or str(r["event"].get("event.dataset", "")).startswith(device))
    compared = agreed = 0
    bad = {}
    for i, r in enumerate(results[:len(want)]):
        n = len([k for k in want[i] if k != "parser"])
        miss = [m.split(":", 1)[0] for m in r["mismatches"] if not m.startswith("parser:")]
        compared += n
        agreed += n - len(miss)
        for k in miss:
            bad[k] = bad.get(k, 0) + 1
    return len(results), taken, compared, agreed, bad


def note_declared(d, want, decl, bad):
    """Counts, per declared field, the peer lines that had it and (renamed ones) how many agree."""
    for k, spec in decl.items():
        lines = sum(1 for doc in want if k in doc)
        if not lines:
            continue
        e = d["declared"].setdefault(k, {"ours": spec["ours"], "lines": 0, "agree": None, "why": spec["why"]})
        e["lines"] += lines
        if spec["ours"] is not None:
            e["agree"] = (e["agree"] or 0) + lines - bad.get(spec["ours"], 0)


def new_row(device, dataset):
    return {"device": device, "dataset": dataset, "examples": 0, "examples_ok": 0, "sample_lines": 0, "sample_taken": 0,
            "peer": None, "fields": None, "agree_pct": None, "strict_fields": None, "strict_agree_pct": None, "declared": {}}


def add_sample(d, defs, path, expected, decl, tmpdir):
    """Adds one --sample file to its device's row: lines taken, and both agreements where a peer output exists."""
    if not expected:
        n, taken, _, _, _ = compare(defs, path, None, [], d["device"])
        d["sample_lines"] += n
        d["sample_taken"] += taken
        return
    want = [json.loads(l) for l in open(expected) if l.strip()]
    n, taken, s_cmp, s_ok, _ = compare(defs, path, expected, want, d["device"])
    mine = declared_expectations(want, decl, tmpdir, os.path.basename(expected))
    _, _, cmp, ok, bad = compare(defs, path, mine, [json.loads(l) for l in open(mine)], d["device"])
    note_declared(d, want, decl, bad)
    d["sample_lines"] += n
    d["sample_taken"] += taken
    d["peer"] = ", ".join(filter(None, [d["peer"], os.path.basename(expected)]))
    for key, c, a in (("", cmp, ok), ("strict_", s_cmp, s_ok)):
        d[key + "fields"] = (d[key + "fields"] or 0) + c
        d["_" + key + "agreed"] = d.get("_" + key + "agreed", 0) + a
        d[key + "agree_pct"] = round(100.0 * d["_" + key + "agreed"] / d[key + "fields"], 1) if d[key + "fields"] else None


def device_rows(samples):
    """A row per shipped definition (and per built-in device named in --sample)."""
    defs = os.path.join(ROOT, "parsers", "defs")
    decls = peer_declarations()
    rows = {}
    for r in parsers_test([defs]):
        d = rows.setdefault(r["parser"], new_row(r["parser"], r["event"].get("event.dataset")))
        d["examples"] += 1
        d["examples_ok"] += 1 if r["ok"] else 0
    with tempfile.TemporaryDirectory() as tmpdir:
        for spec in samples:
            device, rest = spec.split("=", 1)
            path, _, expected = rest.partition(":")
            d = rows.setdefault(device, new_row(device, device))
            add_sample(d, defs, path, expected, decls.get(device, {}), tmpdir)
    for d in rows.values():
        d.pop("_agreed", None)
        d.pop("_strict_agreed", None)
        if not d["declared"]:
            d.pop("declared")
    return sorted(rows.values(), key=lambda d: d["device"])


def show_devices(rows):
    print(f"\ndevices (shipped definitions; samples outside the repository)\n{'device':28} {'examples':>9} {'sample taken':>13} "
          f"{'fields':>7} {'agree':>7} {'strict':>7}  peer output")
    for d in rows:
        taken = f"{d['sample_taken']}/{d['sample_lines']}" if d["sample_lines"] else "-"
        f = "-" if d["fields"] is None else str(d["fields"])
        a = "-" if d["agree_pct"] is None else f"{d['agree_pct']:.1f}%"
        st = "-" if d["strict_agree_pct"] is None else f"{d['strict_agree_pct']:.1f}%"
        print(f"{d['device'][:28]:28} {d['examples_ok']:>4}/{d['examples']:<4} {taken:>13} {f:>7} {a:>7} {st:>7}  {d['peer'] or 'none'}")
        for k, e in d.get("declared", {}).items():
            how = f"compared as {e['ours']}: {e['agree']}/{e['lines']} agree" if e["ours"] else f"not compared on {e['lines']} line(s)"
            print(f"{'':30}peer {k}: {how} ({e['why'][:90]}...)")
    none = [d["device"] for d in rows if d["peer"] is None]
    print(f"no peer output for {len(none)} of {len(rows)} devices: {', '.join(none)}")


def totals(rows):
    lines = sum(r["lines"] for r in rows)
    classified = sum(round(r["lines"] * r["classified_pct"] / 100.0) for r in rows)
    fields = sum(r["fields"] or 0 for r in rows)
    agreed = sum(round((r["fields"] or 0) * (r["agree_pct"] or 0) / 100.0) for r in rows)
    return {"lines": lines, "classified": classified, "classified_pct": round(100.0 * classified / lines, 2) if lines else 0,
            "fields": fields, "agreed": agreed, "agree_pct": round(100.0 * agreed / fields, 2) if fields else None,
            "formats": len(rows), "formats_below_95_classified": sum(1 for r in rows if r["classified_pct"] < 95.0),
            "formats_below_90_agree": sum(1 for r in rows if r["agree_pct"] is not None and r["agree_pct"] < 90.0)}


def show(title, rows, tot):
    print(f"\n{title}\n{'format':48} {'lines':>7} {'classified':>11} {'fields':>8} {'agree':>8}")
    for r in rows:
        f = "-" if r["fields"] is None else str(r["fields"])
        a = "-" if r["agree_pct"] is None else f"{r['agree_pct']:.1f}%"
        print(f"{r['format'][:48]:48} {r['lines']:>7} {r['classified_pct']:>10.1f}% {f:>8} {a:>8}")
    a = "-" if tot["agree_pct"] is None else f"{tot['agree_pct']:.2f}%"
    print(f"{'total':48} {tot['lines']:>7} {tot['classified_pct']:>10.2f}% {tot['fields']:>8} {a:>8}")


def write_row(path, result):
    """Sets "parser_coverage" in latest.json (indent=1, as every writer keeps it: the other rows' text is unchanged)."""
    with open(path) as f:
        doc = json.load(f)
    doc["parser_coverage"] = result
    with open(path, "w") as f:
        f.write(json.dumps(doc, indent=1) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--outside", nargs="*", default=[], metavar="DATASET=FILE")
    ap.add_argument("--sample", nargs="*", default=[], metavar="DEVICE=FILE[:EXPECTED]")
    ap.add_argument("--write", action="store_true", help="write the figures into bench/results/latest.json")
    a = ap.parse_args()
    corpus = corpus_rows()
    if not corpus:
        sys.exit("no corpus table read: build the *_parser_test targets and keep ../shared/corpus beside the checkout")
    result = {"corpus": {"formats": corpus, "total": totals(corpus)}}
    show("shared corpus, scored against the peers' expected output", corpus, result["corpus"]["total"])
    if a.outside:
        outside = outside_rows(a.outside)
        result["outside"] = {"formats": outside, "total": totals(outside)}
        show("outside samples (not in the repository)", outside, result["outside"]["total"])
    devices = device_rows(a.sample)
    show_devices(devices)
    result["devices"] = {"rows": devices, "without_peer_output": [d["device"] for d in devices if d["peer"] is None]}
    if a.write:
        write_row(os.path.join(ROOT, "bench", "results", "latest.json"), result)


if __name__ == "__main__":
    main()
