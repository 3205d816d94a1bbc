"""SMTP PIPELINING (RFC 2920): MAIL, RCPT and DATA in one write, every answer acted on as
smtplib's own ``sendmail`` acts on it.

Each case runs the same server, answering as scripted, twice: once with smtplib's client (which
never pipelines) and once with ours (offered PIPELINING). The outcome must be the same: what
was raised (its class, code, answer, sender, refused recipients) or returned, what the server
delivered, and whether the connection was closed.
"""

from __future__ import annotations

import smtplib

import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from action_app import mail
from action_app.mail import SmtpTransport
from tests.smtp import SmtpServer
from tests.test_mail import message, settings

SENDER = "action@example.org"


class ScriptedServer:
    """A server on the far side of a fake socket: it reads the client's lines and answers
    MAIL, each RCPT, DATA and the message's end as scripted. ``compliant``: after a refused
    MAIL it answers RCPT with 503, and DATA with 554 when no recipient was taken, whatever
    the script says (as Postfix does); otherwise the script is followed regardless. After a
    421 it closes: nothing more is answered."""

    def __init__(self, mail_answer, rcpt_answers, data_answer, end_answer, compliant):
        self.script = (mail_answer, list(rcpt_answers), data_answer, end_answer)
        self.compliant = compliant
        self.pending = b""
        self.replies: list[bytes] = []
        self.delivered: list[bytes] = []
        self.writes: list[bytes] = []
        self.closed = False
        self._reset()

    def _reset(self):
        self.mail_ok = False
        self.rcpts_ok = 0
        self.rcpt_answers = list(self.script[1])
        self.in_data: list[bytes] | None = None

    # the socket and file smtplib uses
    def sendall(self, data: bytes) -> None:
        self.writes.append(data)
        self.pending += data
        while b"\r\n" in self.pending and not self.closed:
            line, self.pending = self.pending.split(b"\r\n", 1)
            self._line(line)

    def makefile(self, mode):
        return self

    def readline(self, size=-1) -> bytes:
        return self.replies.pop(0) if self.replies else b""

    def close(self) -> None:
        pass

    def _answer(self, code: int) -> None:
        if not self.closed:
            self.replies.append(f"{code} scripted {code}\r\n".encode())
            self.closed = code == 421

    def _line(self, line: bytes) -> None:
        if self.in_data is not None:
            if line == b".":
                body, self.in_data = b"".join(self.in_data), None
                end = self.script[3]
                if end == 250:
                    self.delivered.append(body)
                self._answer(end)
                self._reset()
            else:
                self.in_data.append((line[1:] if line.startswith(b".") else line) + b"\r\n")
            return
        verb = line.split(b" ", 1)[0].lower()
        if verb == b"mail":
            self.mail_ok = self.script[0] == 250
            self._answer(self.script[0])
        elif verb == b"rcpt":
            code = self.rcpt_answers.pop(0) if self.rcpt_answers else 250
            if self.compliant and not self.mail_ok:
                code = 503
            self.rcpts_ok += code in (250, 251)
            self._answer(code)
        elif verb == b"data":
            code = self.script[2]
            if self.compliant and (not self.mail_ok or not self.rcpts_ok):
                code = 554
            self.in_data = [] if code == 354 else None
            self._answer(code)
        elif verb == b"rset":
            self._reset()
            self._answer(250)
        else:
            self._answer(500)


def _client(kind, server: ScriptedServer):
    client = kind()
    client.sock = server
    client.ehlo_resp = b"scripted"
    client.does_esmtp = True
    client.esmtp_features = {"pipelining": "", "size": "10240000"}
    return client


def _outcome(kind, server: ScriptedServer, recipients, data):
    client = _client(kind, server)
    try:
        result = ("returned", client.sendmail(SENDER, recipients, data))
    except smtplib.SMTPSenderRefused as exc:
        result = ("sender refused", exc.smtp_code, exc.smtp_error, exc.sender)
    except smtplib.SMTPRecipientsRefused as exc:
        result = ("recipients refused", exc.recipients)
    except smtplib.SMTPDataError as exc:
        result = ("data error", exc.smtp_code, exc.smtp_error)
    return result, server.delivered, client.sock is None


def _transaction(server: ScriptedServer):
    return server.mail_ok, server.rcpts_ok, server.in_data


MESSAGES = [
    b"Subject: hi\r\n\r\nDear MP,\r\n",
    b"Subject: dots\r\n\r\n.\r\n..\r\n.. two\r\nFrom the start\r\nend.\r\n",
    b"Subject: no line end\r\n\r\nlast line without one",
    b"Subject: dot last\r\n\r\n.",
]


@examples(max_examples=600, deadline=None)
@given(
    mail_answer=st.sampled_from([250, 421, 451, 550]),
    rcpt_answers=st.lists(st.sampled_from([250, 251, 421, 450, 550]), min_size=1, max_size=3),
    data_answer=st.sampled_from([354, 421, 451, 554]),
    end_answer=st.sampled_from([250, 421, 452, 554]),
    compliant=st.booleans(),
    data=st.sampled_from(MESSAGES),
)
def test_every_answer_is_acted_on_as_smtplib_acts_on_it(
    mail_answer, rcpt_answers, data_answer, end_answer, compliant, data
):
    recipients = [f"mp{n}@parliament.uk" for n in range(len(rcpt_answers))]
    script = (mail_answer, rcpt_answers, data_answer, end_answer, compliant)
    stock_server, our_server = ScriptedServer(*script), ScriptedServer(*script)
    stock = _outcome(smtplib.SMTP, stock_server, recipients, data)
    ours = _outcome(mail._Smtp, our_server, recipients, data)
    assert ours[:2] == stock[:2]  # what was raised or returned, and what was delivered
    # The connection is closed when smtplib closes it, and also when a command smtplib would
    # not have sent yet was answered by the server closing (421), or by DATA being taken when
    # nothing may follow (left so, never sent an empty message).
    nothing_may_follow = mail_answer != 250 or not any(a in (250, 251) for a in rcpt_answers)
    took_data_anyway = not compliant and nothing_may_follow and data_answer == 354
    if ours[2] != stock[2]:
        assert ours[2] and not stock[2]
        assert our_server.closed or took_data_anyway
    elif not ours[2]:  # still open: left as smtplib leaves it (after a refusal, RSET)
        assert _transaction(our_server) == _transaction(stock_server)
    # Pipelined: the envelope and DATA in the client's first write.
    assert our_server.writes[0].lower().count(b"\r\n") == len(recipients) + 2


def test_the_envelope_goes_in_one_write_and_the_message_in_the_next():
    server = ScriptedServer(250, [250], 354, 250, compliant=True)
    client = _client(mail._Smtp, server)
    data = b"Subject: hi\r\n\r\n.Dear MP,\r\n"
    assert client.sendmail(SENDER, ["mp@parliament.uk"], data) == {}
    assert server.writes == [
        f"mail FROM:<{SENDER}> size={len(data)}\r\nrcpt TO:<mp@parliament.uk>\r\ndata\r\n".encode(),
        b"Subject: hi\r\n\r\n..Dear MP,\r\n.\r\n",
    ]
    assert server.delivered == [data]


@pytest.mark.parametrize(
    ("features", "sender", "options"),
    [
        ({"size": "1000"}, SENDER, ()),  # no PIPELINING offered
        ({"pipelining": ""}, "Ann <ann@example.org>", ()),  # not a plain address
        ({"pipelining": "", "smtputf8": ""}, SENDER, ("SMTPUTF8",)),
    ],
)
def test_otherwise_one_command_at_a_time(features, sender, options):
    server = ScriptedServer(250, [250], 354, 250, compliant=True)
    client = _client(mail._Smtp, server)
    client.esmtp_features = features
    client.sendmail(sender, ["mp@parliament.uk"], b"Subject: hi\r\n\r\nDear MP,\r\n", options)
    assert [w.split()[0].lower() for w in server.writes[:3]] == [b"mail", b"rcpt", b"data"]
    assert len(server.delivered) == 1


def test_a_relay_offering_pipelining_gets_the_letters_and_the_errors_as_before():
    """Through the transport, against a real SMTP server that offers PIPELINING."""
    with SmtpServer(pipelining=True) as server:
        transport = SmtpTransport(settings(server.port), timeout=5)
        connection = transport._connect()
        connection.ehlo_or_helo_if_needed()
        assert connection.has_extn("pipelining")
        writes = []
        send = connection.send  # every write smtplib makes
        connection.send = lambda data: writes.append(data) or send(data)
        transport.send(message(1))
        server.answer_next(1, "550 5.1.1 No such user")
        with pytest.raises(mail.PermanentMailError, match="No such user"):
            transport.send(message(2))
        transport.send(message(3))
        transport.close()
        assert [r.message["Subject"] for r in server.received] == ["Letter 1", "Letter 3"]
        assert writes[0].lower().startswith("mail from:") and writes[0].count("\r\n") == 3
