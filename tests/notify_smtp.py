#!/usr/bin/env python3
"""A real SMTP server for tests/notify_integration_test.cc (issue 21), on aiosmtpd.

Listens on 127.0.0.1 (a free port, printed as "port N"), optionally with STARTTLS required
(--cert/--key) and a login required (--auth user:password). Every message received is parsed
with Python's own e-mail parser (an oracle independent of kamatama) and appended to --out as one
JSON line: the envelope (mail_from, rcpt_tos), the header names in order, the decoded Subject,
the decoded text body, and the raw message.
"""
import argparse
import asyncio
import email
import email.policy
import json
import signal
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--auth")
    args = ap.parse_args()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            raw = envelope.original_content or envelope.content
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            body = msg.get_body(preferencelist=("plain",))
            record = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "header_names": [k for k, _ in msg.items()],
                "subject": str(msg["subject"]),
                "subject_count": len(msg.get_all("subject", [])),
                "content_type": msg.get_content_type(),
                "body": body.get_content() if body is not None else "",
                "raw": raw.decode("utf-8", "replace"),
                "authenticated": bool(getattr(session, "authenticated", False)),
                "tls": session.ssl is not None,
            }
            with open(args.out, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
            return "250 OK"

    kwargs = {}
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        kwargs.update(tls_context=ctx, require_starttls=True)
    if args.auth:
        user, password = args.auth.split(":", 1)

        def check(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == user and auth_data.password.decode() == password
            return AuthResult(success=ok)

        kwargs.update(authenticator=check, auth_required=True, auth_require_tls=bool(args.cert))
    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print("port", port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    sys.exit(main())
