"""The mail transports: SMTP with a reused connection and classified failures, and the outbox."""

import smtplib
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from action_app import mail
from action_app.config import MailSettings
from action_app.mail import (
    OutboxTransport,
    Outgoing,
    PermanentMailError,
    RelayError,
    SmtpTransport,
    TransientMailError,
)
from tests.smtp import SmtpServer, free_port


def message(n: int = 1, text: str = "Dear MP,\n") -> Outgoing:
    email = EmailMessage()
    email["From"] = "action@example.org"
    email["To"] = "mp@example.org"
    email["Subject"] = f"Letter {n}"
    email["Message-ID"] = f"<letter-{n}@example.org>"
    email.set_content(text)
    return Outgoing.of(email)


def settings(port: int, **changes) -> MailSettings:
    values = dict(
        server="127.0.0.1",
        port=port,
        use_tls=False,
        use_ssl=False,
        username=None,
        password=None,
        from_address="action@example.org",
        redirect_to=None,
        outbox_dir=None,
    )
    return MailSettings(**{**values, **changes})


@pytest.fixture(params=[True, False], ids=["pipelining", "one-by-one"])
def server(request):
    """A relay that offers PIPELINING (as Postfix does), and one that does not."""
    with SmtpServer(pipelining=request.param) as smtp:
        yield smtp


def test_one_connection_carries_many_messages(server):
    transport = SmtpTransport(settings(server.port), timeout=5)
    for n in range(20):
        transport.send(message(n))
    transport.close()
    assert len(server.received) == 20
    assert server.connections == 1


def test_a_dropped_connection_is_reopened(server):
    transport = SmtpTransport(settings(server.port), timeout=5)
    transport.send(message(1))
    server.stop()
    restarted = SmtpServer(port=server.port).start()
    try:
        transport.send(message(2))
        assert [r.message["Subject"] for r in restarted.received] == ["Letter 2"]
    finally:
        transport.close()
        restarted.stop()


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("421 4.3.2 Try again later", TransientMailError),
        ("451 4.7.1 Greylisted", TransientMailError),
        ("452 4.2.2 Mailbox full", TransientMailError),
        ("550 5.1.1 No such user", PermanentMailError),
        ("554 5.7.1 Rejected", PermanentMailError),
        # About us, not the recipient: our relay will not relay for us.
        ("554 5.7.1 <mp@example.org>: Relay access denied", RelayError),
        ("530 5.7.0 Authentication required", RelayError),
    ],
)
def test_failures_are_classified(server, answer, error):
    transport = SmtpTransport(settings(server.port), timeout=5)
    server.answer_next(1, answer)
    with pytest.raises(error) as caught:
        transport.send(message())
    assert answer in caught.value.reason
    transport.send(message(2))  # the transport is still usable afterwards
    transport.close()
    assert [r.message["Subject"] for r in server.received] == ["Letter 2"]


def test_no_server_is_a_relay_failure():
    transport = SmtpTransport(settings(free_port()), timeout=2)
    with pytest.raises(RelayError, match="could not connect to the relay"):
        transport.send(message())


AWKWARD = (
    "From the day my son was born\n.\n..\n.. two dots\nFrom \ntrailing spaces   \n"
    ">From quoted\nThe end.\n"
)


def test_the_exact_bytes_arrive_with_from_and_dot_lines_untouched(server):
    """smtplib's send_message would write '>From the day'; the built bytes go as they are."""
    transport = SmtpTransport(settings(server.port), timeout=5)
    outgoing = message(1, AWKWARD)
    transport.send(outgoing)
    transport.close()
    (received,) = server.received
    assert received.content == outgoing.data
    assert received.message.get_content().replace("\r\n", "\n") == AWKWARD
    assert b">From the day" not in received.content


def test_a_reused_connection_is_refreshed_within_a_bounded_time(server, monkeypatch):
    monkeypatch.setattr(mail, "CONNECTION_MAX_AGE_SECONDS", 0)
    transport = SmtpTransport(settings(server.port), timeout=5)
    transport.send(message(1))
    transport.send(message(2))
    transport.close()
    assert server.connections == 2


def test_without_the_age_limit_one_connection_serves_both(server):
    transport = SmtpTransport(settings(server.port), timeout=5)
    transport.send(message(1))
    transport.send(message(2))
    transport.close()
    assert server.connections == 1


def test_outbox_writes_one_file_per_message_even_when_retried(tmp_path):
    outbox = OutboxTransport(tmp_path / "outbox")
    outbox.send(message(1))
    outbox.send(message(1))
    outbox.send(message(2))
    files = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert files == ["letter-1_example.org.eml", "letter-2_example.org.eml"]
    assert b"Subject: Letter 1" in (tmp_path / "outbox" / files[0]).read_bytes()


class _Wire:
    """What a client writes (its commands), with the answers a server would give."""

    def __init__(self, client):
        self.lines: list[str] = []
        client.putcmd = lambda cmd, args="": self.lines.append(f"{cmd} {args}".strip())
        client.getreply = lambda: (250, b"OK")


def _clients(esmtp: bool):
    ours, stock = mail._Smtp(), smtplib.SMTP()
    for client in (ours, stock):
        client.does_esmtp = esmtp
        client.esmtp_features = {"size": "", "smtputf8": ""}
    return (ours, _Wire(ours)), (stock, _Wire(stock))


plain_addresses = st.from_regex(mail._PLAIN_ENVELOPE, fullmatch=True)
any_addresses = st.text(max_size=40) | plain_addresses


@examples(max_examples=400, deadline=None)
@given(
    address=any_addresses,
    options=st.lists(st.sampled_from(["size=1234", "BODY=8BITMIME", "SMTPUTF8"]), max_size=2),
    esmtp=st.booleans(),
)
def test_the_envelope_commands_are_smtplibs_own(address, options, esmtp):
    """MAIL and RCPT as smtplib writes them, for any address and options: a plain one without
    parsing it (quoteaddr would give <address> for it), anything else by smtplib itself."""
    (ours, our_wire), (stock, stock_wire) = _clients(esmtp)
    for client in (ours, stock):
        client.mail(address, options)  # the server offers SMTPUTF8
        client.rcpt(address, [o for o in options if o != "SMTPUTF8"])
    assert our_wire.lines == stock_wire.lines
    assert ours.command_encoding == stock.command_encoding


def test_plain_addresses_are_written_without_parsing(monkeypatch):
    """The shortcut is taken (else the test above compares smtplib with itself), and only for
    plain addresses: a display name, a quoted local part or a line break is smtplib's."""
    seen = []
    real = smtplib.quoteaddr
    monkeypatch.setattr(smtplib, "quoteaddr", lambda value: seen.append(value) or real(value))
    (ours, wire), _ = _clients(True)
    ours.mail("action@example.org", ["size=10"])
    ours.rcpt("o'brien+mp@parliament.uk")
    assert seen == [] and wire.lines == [
        "mail FROM:<action@example.org> size=10",
        "rcpt TO:<o'brien+mp@parliament.uk>",
    ]
    for other in ('"quoted local"@example.org', "Ann <ann@example.org>", "a@b.c\r\nRSET"):
        ours.rcpt(other)
    assert len(seen) == 3


def test_a_message_goes_through_with_the_plain_envelope(server):
    transport = SmtpTransport(settings(server.port), timeout=5)
    transport.send(message(7))
    transport.close()
    (received,) = server.received
    assert received.mail_from == "action@example.org"
    assert received.rcpt_tos == ["mp@example.org"]
