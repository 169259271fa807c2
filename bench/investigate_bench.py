"""Investigation timings (issue 22) against a running kamatama on a kept bench store.

The bench lines (gen_syslog.py) have Sysmon process creations without ProcessGuids and DHCP
ACKs of random addresses, so neither trees nor leases form. This adds a small overlay the first
time it runs on a store (about 3,000 events, found again by its host names afterwards): over the
store's 30 days, 300 process trees on 20 hosts (explorer.exe -> cmd.exe -> powershell.exe ->
whoami/net/conhost, Sysmon 1/3/5/22 with ProcessGuids and LogonIds, the 4624 of each logon),
and ISC dhcpd ACKs every 6 hours for 10.77.0.5, leased to inv-ws01 for 15 days then to inv-ws02.

Timed (median of --runs, wall time of the HTTP request): the IP owner, a process tree, an IP's
entity page over the 30 days (the needle address of gen_syslog.py, the overlay's leased address,
and a busy one for scale), who was logged on, one connection across sources.
"""
import datetime
import json
import statistics
import time
import urllib.parse
import urllib.request

OVERLAY_HOSTS = [f"inv-ws{i:02d}" for i in range(1, 21)]
LEASED_IP = "10.77.0.5"
C2_IP = "10.77.0.99"
TREES = 300
TARGETS_MS = {"ip_owner": 20, "process_tree": 100, "entity_ip_30d": 200}


def _iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _guid(tree, proc):
    return "{%08x-0000-4000-8000-%012x}" % (0x1A000000 + tree, proc)


def _sysmon(t, host, event_id, data):
    return json.dumps({"@timestamp": _iso(t), "host": {"name": host},
                       "winlog": {"channel": "Microsoft-Windows-Sysmon/Operational", "event_id": event_id,
                                  "provider_name": "Microsoft-Windows-Sysmon", "event_data": data}})


def overlay_lines(end):
    """The overlay's lines (deterministic for a given end of the store's 30 days)."""
    start = end - datetime.timedelta(days=30)
    out = []
    for i in range(TREES):
        t = start + datetime.timedelta(seconds=i * 30 * 86400 / TREES + 60)
        host = OVERLAY_HOSTS[i % len(OVERLAY_HOSTS)]
        logon = "0x%x" % (0x100000 + i)
        user = f"CORP\\invuser{i % 50:02d}"
        out.append(json.dumps({"EventID": 4624, "SourceName": "Microsoft-Windows-Security-Auditing", "Channel": "Security",
                               "Hostname": host, "@timestamp": _iso(t - datetime.timedelta(minutes=5)),
                               "TargetUserName": f"invuser{i % 50:02d}", "TargetDomainName": "CORP",
                               "TargetLogonId": logon, "LogonType": "10", "IpAddress": "10.77.1.%d" % (1 + i % 200)}))
        chain = [("explorer.exe", None), ("cmd.exe", 0), ("powershell.exe", 1), ("whoami.exe", 2), ("net.exe", 2),
                 ("conhost.exe", 2)]
        for p, (name, parent) in enumerate(chain):
            if parent is None:
                continue  # explorer.exe started before the logs: known from its child
            tp = t + datetime.timedelta(seconds=p)
            out.append(_sysmon(tp, host, 1, {
                "ProcessGuid": _guid(i, p), "ProcessId": str(4000 + p), "Image": f"C:\\Windows\\System32\\{name}",
                "CommandLine": f"{name} -nop", "User": user, "LogonId": logon, "ParentProcessGuid": _guid(i, parent),
                "ParentProcessId": str(4000 + parent), "ParentImage": f"C:\\Windows\\System32\\{chain[parent][0]}"}))
        ps = t + datetime.timedelta(seconds=2)
        out.append(_sysmon(ps + datetime.timedelta(seconds=5), host, 22, {
            "ProcessGuid": _guid(i, 2), "ProcessId": "4002", "Image": "C:\\Windows\\System32\\powershell.exe",
            "QueryName": "update.inv-cdn.example", "QueryStatus": "0", "QueryResults": f"{C2_IP};"}))
        out.append(_sysmon(ps + datetime.timedelta(seconds=6), host, 3, {
            "ProcessGuid": _guid(i, 2), "ProcessId": "4002", "Image": "C:\\Windows\\System32\\powershell.exe",
            "User": user, "Protocol": "tcp", "Initiated": "true", "SourceIp": LEASED_IP if host == "inv-ws01" else "10.77.2.%d" % (i % 250),
            "SourcePort": str(50000 + i), "DestinationIp": C2_IP, "DestinationPort": "443"}))
        for p in (3, 4, 5, 2):
            out.append(_sysmon(ps + datetime.timedelta(seconds=30 + p), host, 5, {
                "ProcessGuid": _guid(i, p), "ProcessId": str(4000 + p), "Image": f"C:\\Windows\\System32\\{chain[p][0]}"}))
    for h in range(30 * 4):
        t = start + datetime.timedelta(hours=6 * h)
        who, mac = ("inv-ws01", "00:16:3e:77:00:01") if h < 60 else ("inv-ws02", "00:16:3e:77:00:02")
        out.append(f"<30>1 {_iso(t)} dhcp01 dhcpd 64305 - - DHCPACK on {LEASED_IP} to {mac} ({who}) via eth0")
    return out


class Client:
    def __init__(self, port, auth):
        self.base = f"http://127.0.0.1:{port}"
        self.auth = auth

    def get(self, path, params):
        req = urllib.request.Request(self.base + path + "?" + urllib.parse.urlencode(params),
                                     headers={"Authorization": self.auth})
        t0 = time.time()
        with urllib.request.urlopen(req, timeout=600) as resp:
            body = json.loads(resp.read())
        return (time.time() - t0) * 1000, body

    def ingest(self, lines):
        req = urllib.request.Request(self.base + "/api/v1/ingest", data=("\n".join(lines) + "\n").encode(),
                                     headers={"Authorization": self.auth, "Content-Type": "application/x-ndjson"})
        with urllib.request.urlopen(req, timeout=600) as resp:
            body = json.loads(resp.read())
        assert body.get("rejected") == 0, body


def _timed(c, path, params, runs):
    times, body = [], None
    for _ in range(runs):
        ms, body = c.get(path, params)
        times.append(ms)
    return {"ms": statistics.median(times), "ms_runs": times, "server_took_ms": body.get("took_ms")}, body


def run(port, auth, runs):
    c = Client(port, auth)
    _, newest = c.get("/api/v1/search", {"q": "", "limit": 1})
    end = datetime.datetime.fromisoformat(newest["events"][0]["@timestamp"].replace("Z", "+00:00"))
    _, marker = c.get("/api/v1/search", {"q": "host.name:inv-ws01", "limit": 1, "from": "2000-01-01T00:00:00Z"})
    if not marker.get("events"):
        lines = overlay_lines(end)
        for i in range(0, len(lines), 5000):
            c.ingest(lines[i:i + 5000])
        added = len(lines)
    else:
        added = 0
        # The overlay is there already: its end is where its DHCP lines stop.
        _, last = c.get("/api/v1/search", {"q": f"host.name:dhcp01 AND {LEASED_IP}", "limit": 1, "from": "2000-01-01T00:00:00Z"})
        end = datetime.datetime.fromisoformat(last["events"][0]["@timestamp"].replace("Z", "+00:00")) + datetime.timedelta(hours=6)
    start = end - datetime.timedelta(days=30)
    span = {"from": _iso(start), "to": _iso(end + datetime.timedelta(seconds=1))}
    mid = start + datetime.timedelta(days=20, hours=1)
    tree_i = TREES // 2
    tree_t = start + datetime.timedelta(seconds=tree_i * 30 * 86400 / TREES + 60)
    out = {"overlay_events_added": added, "span": span}
    rows = {
        "ip_owner": ("/api/v1/ip/owner", {"ip": LEASED_IP, "at": _iso(mid)}),
        "process_tree": ("/api/v1/process/tree", {"host": OVERLAY_HOSTS[tree_i % len(OVERLAY_HOSTS)], "entity_id": _guid(tree_i, 2)}),
        "entity_ip_30d": ("/api/v1/entity", dict(span, type="ip", value="198.51.100.77")),
        "entity_ip_30d_leased": ("/api/v1/entity", dict(span, type="ip", value=LEASED_IP)),
        "entity_ip_30d_busy": ("/api/v1/entity", dict(span, type="ip", value="93.184.216.34")),
        "host_logons": ("/api/v1/host/logons", {"host": "inv-ws01", "at": _iso(mid)}),
        "connection": ("/api/v1/connection", {"src": LEASED_IP, "dst": C2_IP, "dport": "443",
                                              "at": _iso(start + datetime.timedelta(seconds=68))}),
    }
    for name, (path, params) in rows.items():
        row, body = _timed(c, path, params, runs)
        row["target_ms"] = TARGETS_MS.get(name)
        if name == "ip_owner":
            row["answer"] = body.get("hostname")
        elif name == "process_tree":
            row["nodes"] = len(body.get("nodes", []))
        elif name.startswith("entity"):
            row["events"] = body.get("total")
            row["value"] = params["value"]
        elif name == "host_logons":
            row["sessions"] = len(body.get("sessions", []))
        elif name == "connection":
            row["sightings"] = len(body.get("sightings", []))
            row["dns"] = len(body.get("dns", []))
        out[name] = row
    return out


def print_rows(d):
    for name, r in d.items():
        if not isinstance(r, dict) or "ms" not in r:
            continue
        target = f" (target <= {r['target_ms']} ms)" if r.get("target_ms") else ""
        extra = {k: v for k, v in r.items() if k not in ("ms", "ms_runs", "target_ms", "server_took_ms")}
        print(f"investigate {name}: {r['ms']:.1f} ms median{target} {extra}", flush=True)
