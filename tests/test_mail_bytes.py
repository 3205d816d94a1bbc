"""An email's bytes written without the email package's generator and content manager
(``mail.serialize``, ``emails.set_text``, ``emails.written_message_id``): exactly the bytes,
headers and payload the package gives, for any text, name or subject, and the package's own
way whenever the shortcut's conditions do not hold."""

from __future__ import annotations

from email import policy
from email.headerregistry import Address
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from action_app.mail import serialize
from action_app.services.emails import (
    POLICY,
    UnsafeMessage,
    _text_written,
    checked_bytes,
    set_text,
    written_message_id,
)

STOCK = policy.default.clone(max_line_length=76)

# Any text a letter may hold: every line end (\r, \n, \r\n, and the ones only str.splitlines
# knows), control characters, non-ASCII, long lines, "From " and "." at a line's start.
pieces = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.sampled_from(["\r", "\n", "\r\n", "\x0b", "\x1c", "\u2028", "From ", ".", "=", " "]),
    st.builds(lambda n, word: word * n, st.integers(0, 100), st.sampled_from(["a", "é ", "ab "])),
)
bodies = st.lists(pieces, max_size=30).map("".join)
names = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=80)


def wire(email: EmailMessage) -> bytes:
    """What the email package's generator writes (what ``serialize`` did before)."""
    return email.as_bytes(unixfrom=False, policy=email.policy.clone(linesep="\r\n"))


def cte_for(text: str) -> str:
    plain = text.isascii() and all(len(line) <= 78 for line in text.splitlines())
    return "7bit" if plain else "quoted-printable"


def letter(chosen_policy, name: str, subject: str) -> EmailMessage:
    email = EmailMessage(policy=chosen_policy)
    email["Message-ID"] = "<letter-1-mp-1@example.org>"
    email["From"] = Address(display_name=f"{name} via A Campaign", addr_spec="a@example.org")
    email["To"] = Address(display_name=name, addr_spec="mp@parliament.uk")
    email["Subject"] = subject or "A subject"
    return email


@settings(max_examples=300, deadline=None)
@given(text=bodies, name=names, subject=names)
def test_set_text_gives_what_set_content_gives(text, name, subject):
    ours, theirs = letter(POLICY, name, subject), letter(POLICY, name, subject)
    set_text(ours, text)
    theirs.set_content(text, cte=cte_for(text))
    assert [(n, str(v), type(v)) for n, v in ours.raw_items()] == [
        (n, str(v), type(v)) for n, v in theirs.raw_items()
    ]
    assert ours.get_payload() == theirs.get_payload()
    assert ours.get_content() == theirs.get_content()
    # The text kept for the check, in place of decoding the payload again, is that decoding.
    assert _text_written(ours) == theirs.get_content()
    assert serialize(ours) == wire(theirs)


@settings(max_examples=300, deadline=None)
@given(text=bodies, name=names, subject=names, stock=st.booleans())
def test_serialize_writes_the_generators_bytes(text, name, subject, stock):
    email = letter(STOCK if stock else POLICY, name, subject)
    set_text(email, text)
    assert serialize(email) == wire(email)


@pytest.mark.parametrize(
    "payload",
    ["", "one line", "no end", "a\rb\r\nc\nd\r", "trailing\n\n", "\n", "From here\n.\n"],
)
def test_serialize_writes_any_ascii_payload_as_the_generator_does(payload):
    email = letter(POLICY, "Ann", "Hi")
    email["Content-Type"] = "text/plain"
    email.set_payload(payload)
    assert serialize(email) == wire(email)


def test_the_shortcuts_are_taken_for_a_letter(monkeypatch):
    """Neither the generator nor the content manager runs for an email the platform builds
    (else the tests above would compare the package with itself)."""

    def refused(*args, **kwargs):
        raise AssertionError("the email package's own way was taken")

    text = "Dear MP,\n\nPlease attend the debate. Diolch \u2014 Siân\n"
    expected = letter(POLICY, "Siân Jones", "Please attend")
    expected.set_content(text, cte="quoted-printable")
    expected = wire(expected)
    email = letter(POLICY, "Siân Jones", "Please attend")
    monkeypatch.setattr(EmailMessage, "set_content", refused)
    set_text(email, text)
    monkeypatch.setattr(EmailMessage, "as_bytes", refused)
    assert serialize(email) == expected
    assert b'Content-Type: text/plain; charset="utf-8"\r\n' in expected
    assert expected.endswith(b"Diolch =E2=80=94 Si=C3=A2n\r\n")


def test_what_the_shortcuts_do_not_cover_goes_the_packages_way(monkeypatch):
    """A multipart message, a non-ASCII payload (8bit), another policy's text, content headers
    set before: each gives exactly the package's bytes and headers."""
    multipart = letter(POLICY, "Ann", "Hi")
    multipart.set_content("Dear MP,\n")
    multipart.add_attachment(b"\x00\x01", maintype="application", subtype="octet-stream")
    assert serialize(multipart) == wire(multipart)

    eight_bit = letter(STOCK.clone(cte_type="8bit"), "Ann", "Hi")
    eight_bit.set_content("Siân\n", cte="8bit")
    assert serialize(eight_bit) == wire(eight_bit)

    for chosen in (STOCK, policy.SMTP):
        other = EmailMessage(policy=chosen)
        other["Subject"] = "Hi"
        set_text(other, "Siân\n")
        stock = EmailMessage(policy=chosen)
        stock["Subject"] = "Hi"
        stock.set_content("Siân\n", cte="quoted-printable")
        assert other.items() == stock.items() and serialize(other) == wire(stock)

    typed = letter(POLICY, "Ann", "Hi")
    typed["Content-Type"] = "text/html"
    set_text(typed, "Dear MP,\n")
    assert typed.get_content_type() == "text/plain" and len(typed.get_all("Content-Type")) == 1


dot_atoms = st.from_regex(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9-]+){0,3}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(local=dot_atoms, domain=dot_atoms)
def test_a_written_message_id_gives_the_packages_header_and_bytes(local, domain):
    value = f"<{local}@{domain}>"
    ours, theirs = EmailMessage(policy=POLICY), EmailMessage(policy=STOCK)
    ours["Message-ID"] = written_message_id(value)
    theirs["Message-ID"] = value
    assert str(ours["Message-ID"]) == str(theirs["Message-ID"]) == value
    assert serialize(ours) == wire(theirs)


@pytest.mark.parametrize(
    "value",
    [
        "<letter-1-mp-2@" + "d" * 70 + ".org>",  # too long for one line: folded by the package
        '<"quoted local"@example.org>',
        "<a@[127.0.0.1]>",
        "<letter-1-mp-2@example.org> (comment)",
        "letter-1-mp-2@example.org",
    ],
)
def test_a_message_id_that_is_not_plain_and_short_is_the_packages(value):
    assert not hasattr(written_message_id(value), "fold")
    ours, theirs = EmailMessage(policy=POLICY), EmailMessage(policy=STOCK)
    ours["Message-ID"] = written_message_id(value)
    theirs["Message-ID"] = value
    assert serialize(ours) == wire(theirs)


def test_a_written_message_id_is_what_the_platform_sends():
    value = "<letter-12-mp-34@campaigns.example.org>"
    assert type(written_message_id(value)).__name__ == "_WrittenId"
    email = EmailMessage(policy=POLICY)
    email["Message-ID"] = written_message_id(value)
    assert serialize(email) == f"Message-ID: {value}\r\n\r\n".encode()


def test_a_payload_changed_after_set_text_is_decoded_for_the_check():
    """The kept text belongs to the payload set_text made: once the payload is another, the
    check decodes it, and a text that is not the one on the wire is refused."""
    email = letter(POLICY, "Ann", "Hi")
    set_text(email, "Dear MP,\n")
    email.set_payload("Something else\n")
    assert _text_written(email) == "Something else\n"
    checked_bytes(email)  # what is on the wire is what the email holds
    email.__dict__["action_app_text"] = (email._payload, "Dear MP,\n")  # a stale text kept
    with pytest.raises(UnsafeMessage, match="did not read back as written"):
        checked_bytes(email)
