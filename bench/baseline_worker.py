"""The baseline for the end-to-end benchmark: a Celery task that sends two pre-built messages
over a reused SMTP connection, with the platform's worker settings and broker.

    BENCH_BROKER_URL=redis://… BENCH_SMTP_PORT=2525 celery -A bench.baseline_worker worker
"""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage

from celery import Celery

celery = Celery(
    "bench_baseline", broker=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/0")
)
celery.conf.update(
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_default_queue="bench_baseline",
    worker_hijack_root_logger=False,
)

_connection: smtplib.SMTP | None = None


def _message(n: int, kind: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = '"A Supporter via A Campaign" <action@example.org>'
    email["Reply-To"] = "supporter@example.org"
    email["To"] = "mp@parliament.example" if kind == "mp" else "supporter@example.org"
    email["Subject"] = "From your constituent: a letter"
    email["Message-ID"] = f"<baseline-{n}-{kind}@example.org>"
    if kind == "receipt":
        email["Auto-Submitted"] = "auto-generated"
    email.set_content("A Supporter\n1 Road\nTown\nSW1A 1AA\n\nDear MP,\n\n" + "Words. " * 150)
    return email


PREBUILT = {kind: _message(0, kind) for kind in ("mp", "receipt")}


@celery.task(name="bench.send_two")
def send_two(n: int) -> None:
    global _connection
    if _connection is None:
        _connection = smtplib.SMTP("127.0.0.1", int(os.environ["BENCH_SMTP_PORT"]), timeout=20)
    for kind in ("mp", "receipt"):
        message = PREBUILT[kind]
        del message["Message-ID"]
        message["Message-ID"] = f"<baseline-{n}-{kind}@example.org>"
        _connection.send_message(message)
