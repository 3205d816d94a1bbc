"""Mail transports: an SMTP relay, or an outbox folder of .eml files (embedded mode, staging).

A transport sends one EmailMessage and either returns, or raises ``TransientMailError`` (try again
later: 4xx answers, timeouts, refused or dropped connections) or ``PermanentMailError`` (5xx: the
server will never take this message). The SMTP transport keeps its connection open between
messages, so a worker process pays for the TCP and TLS handshake once, not per letter.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from action_app.config import MailSettings

log = logging.getLogger(__name__)

IDLE_CHECK_SECONDS = 30  # an idle connection is checked with NOOP before it is reused


class MailError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason[:900]


class TransientMailError(MailError):
    """Worth trying again later."""


class PermanentMailError(MailError):
    """The server refused this message for good."""


class MailTransport(Protocol):
    def send(self, message: EmailMessage) -> None: ...
    def close(self) -> None: ...


class OutboxTransport:
    """Writes each message to ``<outbox>/<Message-ID>.eml``; a retry overwrites, never doubles."""

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-._" else "_" for c in message["Message-ID"])
        target = self.folder / f"{name.strip('_')}.eml"
        fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
        with os.fdopen(fd, "wb") as handle:
            handle.write(message.as_bytes())
        os.replace(temporary, target)

    def close(self) -> None:
        pass


class SmtpTransport:
    def __init__(self, settings: MailSettings, timeout: float = 20.0):
        self.settings = settings
        self.timeout = timeout
        self._connection: smtplib.SMTP | None = None
        self._last_used = 0.0
        self._lock = threading.Lock()

    def send(self, message: EmailMessage) -> None:
        with self._lock:
            try:
                self._send_once(message)
            except (smtplib.SMTPServerDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed a connection we were reusing; one fresh connection decides.
                self._drop()
                self._send_once(message)

    def _send_once(self, message: EmailMessage) -> None:
        connection = self._connect()
        try:
            refused = connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            answers = list(exc.recipients.values())
            self._forget_if_closed(connection)
            reason = "; ".join(f"{code} {_answer(text)}" for code, text in answers)
            raise _classified(min((c for c, _ in answers), default=550), reason) from None
        except smtplib.SMTPServerDisconnected:
            raise
        except smtplib.SMTPResponseException as exc:
            # smtplib has already sent RSET, or closed the connection on a 421.
            self._forget_if_closed(connection)
            raise _classified(exc.smtp_code, f"{exc.smtp_code} {_answer(exc.smtp_error)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise TransientMailError(f"SMTP error: {exc}") from None
        self._last_used = time.monotonic()
        if refused:  # only some recipients refused; we send to one, so this is that one
            code, text = next(iter(refused.values()))
            raise _classified(code, f"{code} {_answer(text)}")

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            if time.monotonic() - self._last_used < IDLE_CHECK_SECONDS:
                return self._connection
            try:
                if self._connection.noop()[0] == 250:
                    return self._connection
            except (OSError, smtplib.SMTPException):
                pass
            self._drop()
        settings = self.settings
        try:
            if settings.use_ssl:
                context = ssl.create_default_context()
                connection = smtplib.SMTP_SSL(
                    settings.server, settings.port, timeout=self.timeout, context=context
                )
            else:
                connection = smtplib.SMTP(settings.server, settings.port, timeout=self.timeout)
                if settings.use_tls:
                    connection.starttls(context=ssl.create_default_context())
            if settings.username:
                connection.login(settings.username, settings.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            # A configuration problem, not the message's: retry later, and say so loudly.
            log.error("SMTP login refused; check MAIL_USERNAME and MAIL_PASSWORD: %s", exc)
            raise TransientMailError(f"SMTP login refused: {exc.smtp_code}") from None
        except smtplib.SMTPResponseException as exc:
            raise _classified(exc.smtp_code, f"{exc.smtp_code} {_answer(exc.smtp_error)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientMailError(f"could not connect to the SMTP server: {exc}") from None
        self._connection = connection
        self._last_used = time.monotonic()
        return connection

    def _forget_if_closed(self, connection: smtplib.SMTP) -> None:
        if connection.sock is None:
            self._connection = None

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                connection.close()

    def close(self) -> None:
        with self._lock:
            self._drop()


def _answer(value: bytes | str) -> str:
    """A server's answer as text, whichever type smtplib gave it in."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _classified(code: int, reason: str) -> MailError:
    return PermanentMailError(reason) if 500 <= code < 600 else TransientMailError(reason)


def transport_for(settings: MailSettings, timeout: float) -> MailTransport:
    """The configured transport: SMTP when MAIL_SERVER is set, else the outbox folder."""
    if settings.uses_outbox:
        return OutboxTransport(settings.outbox_dir)
    return SmtpTransport(settings, timeout=timeout)
