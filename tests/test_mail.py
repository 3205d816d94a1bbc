"""The mail transports: SMTP with a reused connection and classified failures, and the outbox."""

from email.message import EmailMessage

import pytest

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


@pytest.fixture
def server():
    with SmtpServer() as smtp:
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
