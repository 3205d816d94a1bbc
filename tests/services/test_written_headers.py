"""Address headers written without the email package's parser: they read back, as a mail
program parses them, exactly as the package's own would, or they are not written so."""

from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from action_app.services import emails
from action_app.services.emails import POLICY, UnsafeMessage, checked_bytes, written_address

NAME_CHARACTERS = st.one_of(
    st.sampled_from(list(" \"\\<>@,;:.()[]=?'_-!#$%&*+/^`{|}~\t\r\n\x00\x7f")),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(min_codepoint=0xA0, max_codepoint=0x2FFF),
    st.sampled_from(["Ó", "ŵ", "ß", "😀", "\u202e", "\ud800", "\u00a0"]),
)
names = st.text(NAME_CHARACTERS, max_size=90)
addresses = st.one_of(
    st.sampled_from(
        [
            "orla@example.com",
            "o'neill+letters@mail.example.co.uk",
            "a.b.c@x-y.example",
            "UPPER@Example.ORG",
            "odd..dots@example.com",
            '"quoted local"@example.com',
            "ñandú@example.com",
            "user@bücher.example",
            "no-domain@",
            "a@b",
        ]
    ),
    st.from_regex(r"[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,20}@[a-z0-9.-]{1,20}", fullmatch=True),
)


def _email(header) -> EmailMessage:
    email = EmailMessage(policy=POLICY)
    email["Message-ID"] = "<test-1@write.example.org>"
    email["From"] = header
    email["To"] = written_address("To", "", "mp@parliament.uk")
    email["Subject"] = "Libraries"
    emails.set_text(email, "Dear MP,\n")
    return email


def _written(display_name: str, addr_spec: str):
    """The header written here, or None: the email package's way (an ``Address``, or the
    error ``Address`` itself raises for such a value, as before)."""
    try:
        header = written_address("From", display_name, addr_spec)
    except Exception:
        with pytest.raises(Exception):  # noqa: B017 - whatever the package raises
            Address(display_name=display_name, addr_spec=addr_spec)
        return None
    return header if isinstance(header, emails._WrittenHeader) else None


def _read(data: bytes):
    return message_from_bytes(data, policy=policy.default)


@settings(max_examples=600, deadline=None)
@given(names, addresses)
@example("Órfhlaith O'Neill-Smith, Jr via Save the library", "orla@example.com")
@example('Bob <evil@attacker.example>, "Eve"', "bob@example.com")
@example("=?utf-8?q?Evil=40attacker.example?=", "bob@example.com")
@example("=?utf-8?b?RXZpbA==?= Smith", "bob@example.com")
@example('back\\slash "quote"', "bob@example.com")
@example("Name\r\nBcc: evil@attacker.example", "bob@example.com")
@example("x" * 80, "bob@example.com")
@example("Ŵŵŵŵŵŵŵŵŵŵŵŵŵŵŵŵŵŵŵŵŵŵŵŵŵŵ", "bob@example.com")
def test_a_written_header_reads_back_as_the_email_packages_own(display_name, addr_spec):
    header = _written(display_name, addr_spec)
    if header is None:
        return  # the email package's way, which the rest of the suite covers
    data = checked_bytes(_email(header))  # UnsafeMessage would fail the test
    read = _read(data)["From"]
    assert len(read.addresses) == 1
    assert read.addresses[0].display_name == display_name
    assert read.addresses[0].addr_spec == addr_spec
    assert str(read) == str(header) == str(Address(display_name=display_name, addr_spec=addr_spec))
    head = data.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
    assert [name for name, _ in _read(data).items()] == [
        "Message-ID",
        "From",
        "To",
        "Subject",
        "Content-Type",
        "Content-Transfer-Encoding",
        "MIME-Version",
    ]


@pytest.mark.parametrize(
    ("display_name", "addr_spec"),
    [
        ("Name\r\nBcc: evil@attacker.example", "bob@example.com"),  # a control character
        ("Tab\there", "bob@example.com"),
        ("Lone \ud800 surrogate", "bob@example.com"),
        ("Siân  Jones", "bob@example.com"),  # a run of spaces, outside a quoted string
        ("Ŵ" * 20, "bob@example.com"),  # one word too long for one encoded word
        ("Bob", "bob@example.com\r\nBcc: evil@attacker.example"),
        ("Bob", '"quoted"@example.com'),
        ("Bob", "ñandú@example.com"),
    ],
)
def test_anything_unusual_goes_the_email_packages_way(display_name, addr_spec):
    assert _written(display_name, addr_spec) is None


def test_the_plain_kinds_are_written_and_read_as_typed():
    cases = {
        "Sam Supporter": b"From: Sam Supporter <sam@example.org>",
        "O'Neill-Smith, Jr.": b'From: "O\'Neill-Smith, Jr." <sam@example.org>',
        'Say "hi"': b'From: "Say \\"hi\\"" <sam@example.org>',
        "Siân": b"From: =?utf-8?b?U2nDom4=?= <sam@example.org>",
        "": b"From: sam@example.org",
    }
    for display_name, line in cases.items():
        data = checked_bytes(_email(written_address("From", display_name, "sam@example.org")))
        assert line + b"\r\n" in data


def test_a_long_name_folds_between_words_within_76_characters():
    name = "Gwenllian ap Rhys-Ŵyn " + "Llanfair " * 8 + "via Cymdeithas yr Iaith"
    data = checked_bytes(_email(written_address("From", name, "letters@write.example.org")))
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    from_lines = head[1 : head.index(next(line for line in head if line.startswith(b"To:")))]
    assert len(from_lines) > 1
    assert all(len(line) <= 76 for line in from_lines)
    assert _read(data)["From"].addresses[0].display_name == name


def test_a_written_header_that_would_read_back_otherwise_is_refused(monkeypatch):
    """The read-back check stands behind the writer: a wrongly written header is refused."""
    header = written_address("From", 'Say "hi"', "sam@example.org")
    monkeypatch.setattr(header, "_tokens", ['"Say "hi""', "<sam@example.org>"])
    with pytest.raises(UnsafeMessage):
        checked_bytes(_email(header))
