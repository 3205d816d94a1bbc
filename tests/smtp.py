"""A real SMTP server (aiosmtpd) on loopback that records what it receives.

It can be told to answer the next messages with a failure code (421, 450, 550 …) to test how
the platform retries or gives up, and it collects every message so tests can read exactly what an
MP's office would receive. It offers PIPELINING, as Postfix and the hosted relays do, unless told
not to (``pipelining=False``).
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    content: bytes = b""  # the bytes of DATA, as they arrived (dots unstuffed)

    @property
    def message_id(self) -> str:
        return self.message["Message-ID"]


class _Recorder:
    def __init__(self, pipelining: bool = True) -> None:
        self.pipelining = pipelining
        self.received: list[Received] = []
        self.answers: deque[str] = deque()
        self.lock = threading.Lock()
        self.refused = 0
        self.connections = 0
        self.attempts = 0
        self.every: tuple[int, str] | None = None  # refuse every n-th message with this answer

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        if self.pipelining:
            responses.insert(len(responses) - 1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.attempts += 1
            answer = self.answers.popleft() if self.answers else None
            if answer is None and self.every and self.attempts % self.every[0] == 0:
                answer = self.every[1]
            if answer:
                self.refused += 1
                return answer
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.received.append(
                Received(
                    envelope.mail_from, list(envelope.rcpt_tos), message, bytes(envelope.content)
                )
            )
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int | None = None, *, pipelining: bool = True):
        self.port = port or free_port()
        self.recorder = _Recorder(pipelining)
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller._thread is not None:  # stopping twice is harmless
            self.controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def received(self) -> list[Received]:
        with self.recorder.lock:
            return list(self.recorder.received)

    def clear(self) -> None:
        with self.recorder.lock:
            self.recorder.received.clear()
            self.recorder.answers.clear()
            self.recorder.refused = 0
            self.recorder.connections = 0
            self.recorder.attempts = 0
            self.recorder.every = None

    @property
    def connections(self) -> int:
        """How many SMTP sessions (EHLO greetings) the server has seen."""
        return self.recorder.connections

    def answer_next(self, count: int, answer: str) -> None:
        """The next ``count`` messages are answered with ``answer`` ("421 …", "550 …")."""
        with self.recorder.lock:
            self.recorder.answers.extend([answer] * count)

    def answer_every(self, n: int, answer: str) -> None:
        """Every ``n``-th message (counting all attempts) is answered with ``answer``."""
        with self.recorder.lock:
            self.recorder.every = (n, answer)

    @property
    def attempts(self) -> int:
        """Messages offered (DATA commands), accepted or refused."""
        return self.recorder.attempts

    @property
    def refused(self) -> int:
        return self.recorder.refused

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]

    def wait_for(self, count: int, timeout: float = 30.0, where=None) -> list[Received]:
        """Wait until ``count`` messages (matching ``where``) have arrived; return them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.received if where is None or where(r)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)
