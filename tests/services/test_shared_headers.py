"""Headers made and folded once, shared between emails (services/emails.py, issue 11): the bytes
of every email are exactly those the standard policy gives, whatever the values, however often
they recur, in either line ending."""

from __future__ import annotations

import sys
import threading
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage

from hypothesis import given, settings
from hypothesis import strategies as st

from action_app.mail import serialize
from action_app.services.emails import POLICY, _RememberingRegistry, set_text

STOCK = policy.default.clone(max_line_length=76)

names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=0, max_size=90
)
subjects = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=160
)


def build(chosen_policy, name: str, subject: str, to_name: str) -> EmailMessage:
    email = EmailMessage(policy=chosen_policy)
    email["Message-ID"] = "<letter-1-mp-1@example.org>"
    email["From"] = Address(display_name=f"{name} via A Campaign", addr_spec="a@example.org")
    email["Reply-To"] = Address(display_name=name, addr_spec="supporter@example.com")
    email["To"] = Address(display_name=to_name, addr_spec="mp@parliament.uk")
    email["Subject"] = subject
    set_text(email, f"Dear {to_name},\n\n{subject}\n")
    return email


@settings(max_examples=150, deadline=None)
@given(name=names, subject=subjects, to_name=names)
def test_shared_headers_give_the_bytes_the_standard_policy_gives(name, subject, to_name):
    expected = serialize(build(STOCK, name, subject, to_name))
    # Twice: the second email is built from the headers the first one made and folded.
    for _ in range(2):
        assert serialize(build(POLICY, name, subject, to_name)) == expected
    # The same header objects, folded for another line ending, are folded again for it.
    ours = build(POLICY, name, subject, to_name).as_bytes(policy=POLICY.clone(linesep="\n"))
    stock = build(STOCK, name, subject, to_name).as_bytes(policy=STOCK.clone(linesep="\n"))
    assert ours == stock


def test_a_recurring_header_is_made_once_and_keeps_the_case_it_was_set_with():
    first, second = EmailMessage(policy=POLICY), EmailMessage(policy=POLICY)
    first["Subject"] = second["Subject"] = "Please attend the debate"
    assert first["Subject"] is second["Subject"]
    third = EmailMessage(policy=POLICY)
    third["subject"] = "Please attend the debate"
    assert b"subject: Please attend" in serialize(third)
    assert b"Subject: Please attend" in serialize(first)


def test_a_value_with_a_line_break_is_still_refused_when_it_recurs():
    email = EmailMessage(policy=POLICY)
    email["Subject"] = "Hello"
    for value in ("Hello\r\nBcc: x@example.org", "Hello\nBcc: x@example.org"):
        try:
            EmailMessage(policy=POLICY)["Subject"] = value
        except ValueError:
            continue
        raise AssertionError(f"{value!r} was taken")


def test_the_headers_kept_are_bounded_and_the_recurring_ones_stay():
    """A header with its parse is kilobytes: a worker sending a million letters keeps only the
    few hundred used most lately (a campaign's own headers among them), and no Message-ID."""
    registry = _RememberingRegistry(max_entries=50)
    campaign_from = registry("From", Address("A Campaign", addr_spec="a@example.org"))
    for n in range(2_000):
        registry("Reply-To", Address(f"Supporter {n}", addr_spec=f"s{n}@example.com"))
        registry("Message-ID", f"<letter-{n}-mp-{n}@example.org>")
        assert registry("From", Address("A Campaign", addr_spec="a@example.org")) is campaign_from
    assert len(registry._remembered) == 50
    assert not any(name == "Message-ID" for name, *_ in registry._remembered)


def test_threads_building_emails_at_once_share_headers_safely():
    """A web process may run threads: many building emails at once get the bytes one would."""
    expected = serialize(build(STOCK, "Ada Lovelace", "Please attend", "Rachel Blake"))
    registry = _RememberingRegistry(max_entries=8)  # small, so entries come and go meanwhile
    chosen = POLICY.clone(header_factory=registry)
    failures = []

    def work(n: int) -> None:
        try:
            build_many(n)
        except Exception as exc:  # a race would show as a KeyError here
            failures.append(exc)

    def build_many(n: int) -> None:
        for i in range(200):
            name = "Ada Lovelace" if i % 2 else f"Supporter {n}-{i}"
            data = serialize(build(chosen, name, "Please attend", "Rachel Blake"))
            if name == "Ada Lovelace" and data != expected:
                failures.append(data)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns as often as they can, to meet the races
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []
    assert len(registry._remembered) <= 8
