"""An SMTP sink for benchmarks: accepts everything, keeps Message-IDs, reports over HTTP.

It offers PIPELINING (RFC 2920) in its EHLO answer, as Postfix and the hosted relays do, so a
client that pipelines (the platform's relay, ``action_app/mail.py``) may; one that does not (the
Celery baseline's ``smtplib.sendmail``) is answered one command at a time as before.

    python -m bench.smtp_sink --port 2525 --stats-port 2526

``GET /stats`` → {"messages", "unique", "duplicates", "letters", "receipts", "first", "last"}
(letters are messages to an MP, receipts carry Auto-Submitted); ``POST /reset`` clears them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.ids: Counter[str] = Counter()
            self.letters = 0
            self.receipts = 0
            self.first = None
            self.last = None

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        responses.insert(len(responses) - 1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server, session, envelope):
        headers = envelope.content.split(b"\r\n\r\n", 1)[0]
        message_id = b""
        receipt = False
        for line in headers.split(b"\r\n"):
            lower = line[:16].lower()
            if lower.startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip()
            elif lower.startswith(b"auto-submitted:"):
                receipt = True
        now = time.time()
        with self.lock:
            self.ids[message_id.decode("ascii", "replace")] += 1
            if receipt:
                self.receipts += 1
            else:
                self.letters += 1
            self.first = self.first or now
            self.last = now
        return "250 OK"

    def stats(self) -> dict:
        with self.lock:
            total = sum(self.ids.values())
            return {
                "messages": total,
                "unique": len(self.ids),
                "duplicates": total - len(self.ids),
                "letters": self.letters,
                "receipts": self.receipts,
                "first": self.first,
                "last": self.last,
            }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stats-port", type=int, required=True)
    args = parser.parse_args()
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=args.port)
    controller.start()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(sink.stats()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            sink.reset()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    http = ThreadingHTTPServer(("127.0.0.1", args.stats_port), Handler)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=http.serve_forever, daemon=True).start()
    print("ready", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    http.shutdown()
    controller.stop()


if __name__ == "__main__":
    main()
