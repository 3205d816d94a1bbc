"""Mail transports: an SMTP relay, or an outbox folder of .eml files (embedded mode, staging).

A transport sends one ``Outgoing`` mail: the exact bytes the emails service built and checked,
with its envelope. It returns, or raises one of three errors, by who is at fault:

- ``RelayError``: our own relay could not be used (cannot connect, TLS, login, a refused sender,
  a dropped connection). Nothing is wrong with the letter: sending pauses, no attempt is counted.
- ``TransientMailError``: a 4xx answer about this recipient (to RCPT or DATA); try again later.
- ``PermanentMailError``: a 5xx answer about this recipient; the server will never take it.

The SMTP transport keeps its connection open between messages, so a worker pays for the TCP and
TLS handshake once, not per letter, but never reuses one for longer than
``CONNECTION_MAX_AGE_SECONDS``: a relay's restart or changed settings are seen within that time.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import smtplib
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from action_app.config import MailSettings

log = logging.getLogger(__name__)

IDLE_CHECK_SECONDS = 30  # an idle connection is checked with NOOP before it is reused
CONNECTION_MAX_AGE_SECONDS = 120  # then a fresh connection (and TLS handshake, and login)


class MailError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason[:900]


class TransientMailError(MailError):
    """The recipient's side asked us to try again later (a 4xx about this recipient)."""


class PermanentMailError(MailError):
    """The server refused this message for this recipient for good (a 5xx)."""


class RelayError(TransientMailError):
    """Our own relay cannot be used: a fault in our set-up, never the letter's or the MP's."""


@dataclass(frozen=True)
class Outgoing:
    """One mail as it goes on the wire: exactly these bytes, to these envelope addresses."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes
    message_id: str

    @classmethod
    def of(cls, message: EmailMessage, sender: str | None = None) -> Outgoing:
        """The envelope from the message's own From and To, and its bytes as ``serialize``."""
        recipients = tuple(a.addr_spec for a in message["To"].addresses)
        if sender is None:
            sender = message["From"].addresses[0].addr_spec
        return cls(sender, recipients, serialize(message), str(message["Message-ID"]))


def serialize(message: EmailMessage) -> bytes:
    """The message's bytes as they go on the wire: CRLF line ends (smtplib sends bytes as they
    are, and a bare LF is refused by strict servers), and never ``>From`` escaping (smtplib's
    ``send_message`` would add it).

    Exactly ``as_bytes`` with that policy. For a single text part with an ASCII payload (every
    email the platform sends) they are written here as the generator writes them: each header
    as the policy folds it (``fold_binary``), a blank line, and the payload with every line end
    made CRLF. That skips the generator's own machinery (a generator and a policy made for each
    message, a buffer, the dispatch on content type), which was most of the cost of writing an
    email's bytes; tests/test_mail_bytes.py holds the two to the same bytes."""
    policy = _on_the_wire(message.policy)
    payload = message._payload  # what the generator writes: the payload as set, not decoded
    if (
        isinstance(payload, str)
        and payload.isascii()
        and message.get_content_maintype() == "text"
        and not message.is_multipart()
    ):
        head = b"".join(policy.fold_binary(name, value) for name, value in message.raw_items())
        return head + b"\r\n" + _LINE_END.sub("\r\n", payload).encode("ascii")
    return message.as_bytes(unixfrom=False, policy=policy)


# Any line end in a payload, as the generator finds them (email.generator.NLCRE).
_LINE_END = re.compile(r"\r\n|\r|\n")


@functools.lru_cache(maxsize=16)
def _on_the_wire(policy):
    """The message's policy with CRLF line ends, made once per policy (policies never change)."""
    return policy.clone(linesep="\r\n")


class MailTransport(Protocol):
    def send(self, mail: Outgoing) -> None: ...
    def close(self) -> None: ...


class OutboxTransport:
    """Writes each message to ``<outbox>/<Message-ID>.eml``; a retry overwrites, never doubles."""

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, mail: Outgoing) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-._" else "_" for c in mail.message_id)
        target = self.folder / f"{name.strip('_')}.eml"
        fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
        with os.fdopen(fd, "wb") as handle:
            handle.write(mail.data.replace(b"\r\n", b"\n"))  # a file has local line ends
        os.replace(temporary, target)

    def close(self) -> None:
        pass


# An envelope address smtplib would write as it stands (RFC 5321 dot-atoms and plain labels).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_PLAIN_ENVELOPE = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})*")


class _PlainEnvelope:
    """smtplib's client, but a plain envelope address (every address the platform sends from
    and to is one) is written ``<address>`` in MAIL and RCPT as smtplib would write it, without
    parsing it again with ``email.utils.parseaddr`` for every message (``smtplib.quoteaddr``),
    which was about a twentieth of the relay's CPU. Any other address, or the SMTPUTF8 option,
    goes smtplib's own way. tests/test_mail.py holds the commands to smtplib's own."""

    def mail(self, sender, options=()):
        if not _PLAIN_ENVELOPE.fullmatch(sender) or any(o.lower() == "smtputf8" for o in options):
            return super().mail(sender, options)
        self.putcmd("mail", f"FROM:<{sender}>{self._options(options)}")
        return self.getreply()

    def rcpt(self, recip, options=()):
        if not _PLAIN_ENVELOPE.fullmatch(recip):
            return super().rcpt(recip, options)
        self.putcmd("rcpt", f"TO:<{recip}>{self._options(options)}")
        return self.getreply()

    def _options(self, options) -> str:
        return " " + " ".join(options) if options and self.does_esmtp else ""

    def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
        """smtplib's ``sendmail``, but to a server that offers PIPELINING (RFC 2920; Postfix
        and the hosted relays do) MAIL, every RCPT and DATA go in one write and their answers
        are read after it: two round trips a message instead of three or more, which is most
        of the time a worker waits on a relay across a network, and about 50 µs of CPU a
        message on this side even on loopback (``bench/results``). Every answer is acted on as
        smtplib acts on it, in the same order, with the same errors, connection closed on 421
        and RSET after a refusal. A server that takes DATA although nothing may follow (the
        sender or every recipient refused) gets no message at all: the connection is closed,
        which ends the transaction unsent (an empty message ended with a dot could be
        delivered). Without PIPELINING, with bytes not yet made, or with an address or option the
        plain envelope does not write, smtplib's own. tests/test_mail_pipelining.py holds it to
        smtplib's outcome for every answer a server may give."""
        self.ehlo_or_helo_if_needed()
        if isinstance(to_addrs, str):
            to_addrs = [to_addrs]
        if (
            not self.has_extn("pipelining")
            or not isinstance(msg, bytes)
            or not to_addrs
            or not all(_PLAIN_ENVELOPE.fullmatch(a) for a in (from_addr, *to_addrs))
            or any(o.lower() == "smtputf8" for o in mail_options)
        ):
            return super().sendmail(from_addr, to_addrs, msg, mail_options, rcpt_options)
        sizes = [f"size={len(msg)}"] if self.has_extn("size") else []
        envelope = [f"mail FROM:<{from_addr}>{self._options([*sizes, *mail_options])}"]
        envelope += [f"rcpt TO:<{to}>{self._options(rcpt_options)}" for to in to_addrs]
        self.send("".join(f"{line}\r\n" for line in (*envelope, "data")))
        code, answer = self.getreply()
        if code == 421:
            self.close()
            raise smtplib.SMTPSenderRefused(code, answer, from_addr)
        sender_refused = None if code == 250 else (code, answer)
        refused = {}
        for to in to_addrs:
            code, answer = self.getreply()
            if code not in (250, 251):
                refused[to] = (code, answer)
            if code == 421:
                self.close()
                if sender_refused:
                    raise smtplib.SMTPSenderRefused(*sender_refused, from_addr)
                raise smtplib.SMTPRecipientsRefused(refused)
        code, answer = self.getreply()  # to DATA
        if sender_refused or len(refused) == len(to_addrs):
            if code == 354:  # taken although nothing may follow: ended unsent, not empty
                self.close()
            else:
                self._rset()
            if sender_refused:
                raise smtplib.SMTPSenderRefused(*sender_refused, from_addr)
            raise smtplib.SMTPRecipientsRefused(refused)
        if code != 354:
            raise smtplib.SMTPDataError(code, answer)
        data = _DOT_LINE.sub(b"..", msg)
        self.send(data + b".\r\n" if data.endswith(b"\r\n") else data + b"\r\n.\r\n")
        code, answer = self.getreply()
        if code != 250:
            if code == 421:
                self.close()
            else:
                self._rset()
            raise smtplib.SMTPDataError(code, answer)
        return refused


_DOT_LINE = re.compile(rb"(?m)^\.")  # a line that starts with a dot is sent with two (RFC 5321)


class _Smtp(_PlainEnvelope, smtplib.SMTP):
    pass


class _SmtpSsl(_PlainEnvelope, smtplib.SMTP_SSL):
    pass


def tls_context(settings: MailSettings) -> ssl.SSLContext:
    """Certificate and host name always verified: against MAIL_CA_FILE when it is set (a
    private certificate authority), else the system's trusted authorities. No setting turns
    verification off."""
    if settings.ca_file:
        return ssl.create_default_context(cafile=str(settings.ca_file))
    return ssl.create_default_context()


class SmtpTransport:
    def __init__(self, settings: MailSettings, timeout: float = 20.0):
        self.settings = settings
        self.timeout = timeout
        self._connection: smtplib.SMTP | None = None
        self._opened = 0.0
        self._last_used = 0.0
        self._lock = threading.Lock()

    def send(self, mail: Outgoing) -> None:
        with self._lock:
            reused = self._connection is not None
            try:
                self._send_once(mail)
            except RelayError:
                if not reused:
                    raise
                # The server closed a connection we were reusing; one fresh connection decides.
                self._drop()
                self._send_once(mail)

    def _send_once(self, mail: Outgoing) -> None:
        connection = self._connect()
        try:
            refused = connection.sendmail(mail.sender, list(mail.recipients), mail.data)
        except smtplib.SMTPRecipientsRefused as exc:
            self._forget_if_closed(connection)
            raise _recipient_error(list(exc.recipients.values())) from None
        except smtplib.SMTPSenderRefused as exc:
            self._drop()
            raise RelayError(f"the relay refused our sender address: {_reply(exc)}") from None
        except smtplib.SMTPDataError as exc:
            self._forget_if_closed(connection)
            raise _recipient_error([(exc.smtp_code, exc.smtp_error)]) from None
        except (OSError, smtplib.SMTPException) as exc:
            # A dropped connection, a timeout, an answer out of turn: the relay's side.
            self._drop()
            raise RelayError(f"the connection to the relay failed: {_describe(exc)}") from None
        self._last_used = time.monotonic()
        if refused:  # only some recipients refused: each refusal is about its recipient
            raise _recipient_error(list(refused.values()))

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            now = time.monotonic()
            if now - self._opened < CONNECTION_MAX_AGE_SECONDS:
                if now - self._last_used < IDLE_CHECK_SECONDS:
                    return self._connection
                try:
                    if self._connection.noop()[0] == 250:
                        return self._connection
                except (OSError, smtplib.SMTPException):
                    pass
            self._drop()
        connection = self._open()
        self._connection = connection
        self._opened = self._last_used = time.monotonic()
        return connection

    def _open(self) -> smtplib.SMTP:
        settings = self.settings
        connection = None
        try:
            if settings.use_ssl:
                connection = _SmtpSsl(
                    settings.server, settings.port, timeout=self.timeout,
                    context=tls_context(settings),
                )  # fmt: skip
            else:
                connection = _Smtp(settings.server, settings.port, timeout=self.timeout)
                if settings.use_tls:
                    connection.starttls(context=tls_context(settings))
            if settings.username:
                connection.login(settings.username, settings.password or "")
            return connection
        except smtplib.SMTPAuthenticationError as exc:
            _close(connection)
            raise RelayError(
                f"the relay refused our login (check MAIL_USERNAME and MAIL_PASSWORD): "
                f"{_reply(exc)}"
            ) from None
        except ssl.SSLError as exc:
            _close(connection)
            raise RelayError(
                f"TLS with the relay failed (check MAIL_CA_FILE and MAIL_SERVER): {_describe(exc)}"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            _close(connection)
            raise RelayError(f"could not connect to the relay: {_describe(exc)}") from None

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


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is not None:
        with contextlib.suppress(OSError):
            connection.close()


def _answer(value: bytes | str) -> str:
    """A server's answer as text, whichever type smtplib gave it in."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_answer(exc.smtp_error)}"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc)
    return str(exc) or type(exc).__name__


# Answers to RCPT that are about us, not the recipient: our relay will not relay for us (no
# login, or one it does not accept). Every letter would get the same answer.
_RELAY_REFUSALS = re.compile(
    r"relay access denied|relaying denied|authentication required|must authenticate|"
    r"not authenticated|authentication is required|auth required|client host rejected|"
    r"sender address rejected",
    re.IGNORECASE,
)


def _recipient_error(answers: list[tuple[int, bytes | str]]) -> MailError:
    """An answer about the recipient: a 5xx is final, a 4xx is worth another attempt. An answer
    that says our relay will not relay for us is the relay's fault, not the recipient's."""
    code = min((c for c, _ in answers), default=550)
    reason = "; ".join(f"{c} {_answer(text)}" for c, text in answers)
    if code in (530, 535) or _RELAY_REFUSALS.search(reason):
        return RelayError(f"the relay will not relay for us (check MAIL_USERNAME): {reason}")
    return PermanentMailError(reason) if 500 <= code < 600 else TransientMailError(reason)


def transport_for(settings: MailSettings, timeout: float) -> MailTransport:
    """The configured transport: SMTP when MAIL_SERVER is set, else the outbox folder."""
    if settings.uses_outbox:
        return OutboxTransport(settings.outbox_dir)
    return SmtpTransport(settings, timeout=timeout)
