#!/usr/bin/env python3
"""A real webhook receiver for tests/notify_integration_test.cc (issue 21).

Listens on 127.0.0.1 (--port, 0: any free port; "port N" is printed once listening), over TLS
when --cert/--key are given. For every POST it checks the signature the way a receiver should:
HMAC-SHA256 keyed with the shared --secret over the X-Kamatama-Timestamp header, ".", and the
raw body, compared in constant time, and the timestamp within 5 minutes of now. It appends one
JSON line per request to --out: the path, the headers, the body, signature_ok and timestamp_ok.
It answers --status (default 200).
"""
import argparse
import hashlib
import hmac
import http.server
import json
import ssl
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            ts = self.headers.get("X-Kamatama-Timestamp", "")
            want = "sha256=" + hmac.new(args.secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
            got = self.headers.get("X-Kamatama-Signature", "")
            try:
                fresh = abs(time.time() - int(ts)) < 300
            except ValueError:
                fresh = False
            record = {
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "signature_ok": hmac.compare_digest(want, got),
                "timestamp_ok": fresh,
            }
            with open(args.out, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
            self.send_response(args.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    server = http.server.HTTPServer(("127.0.0.1", args.port), Handler)
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("port", server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
