"""The emails themselves, built with the standard library's EmailMessage (default policy, but
quoted-printable lines of at most 76 characters, RFC 2045 §6.7). The address headers that carry
the supporter's name or address are written here (``written_address``) when they are plain, as
the package would parse and fold each afresh for every email.

Every header value here was checked at input (line breaks, control characters, RFC 2047 encoded
words, bidirectional overrides). That is not trusted alone: ``checked_bytes`` parses each finished
message back and refuses it unless it has exactly the headers we set, with the values we set, and
is one text/plain part with our text (CVE-2024-6923 and its kind). A supporter's email carries no
supporter value in its headers except the To address. The Message-ID is derived from the message
row's id, so a retry of the same message is recognisable as the same email.
"""

from __future__ import annotations

import base64
import re
import threading
from collections import OrderedDict
from email import message_from_bytes, policy, quoprimime
from email.headerregistry import (
    Address,
    AddressHeader,
    DateHeader,
    HeaderRegistry,
    MessageIDHeader,
    UnstructuredHeader,
)
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, localtime, parsedate_to_datetime
from functools import lru_cache
from typing import Protocol

from action_app.config import SERVICE_NAME, Settings
from action_app.i18n import current_language, gettext
from action_app.mail import Outgoing, serialize
from action_app.models import Letter, OutboundMessage
from action_app.models.letter import TEST_SOURCE
from action_app.services.seat_check import trust_lines
from action_app.services.submissions import letter_body


class _Registry(HeaderRegistry):
    """The default header registry, but each header's class is made once per name: the
    standard one makes a new class with ``type()`` for every header of every message, which
    was the largest single cost of building an email."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name):
        key = name.lower()
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = super().__getitem__(name)
        return found


class _RememberingRegistry(_Registry):
    """The registry, remembering the header each value makes. Most values recur from message to
    message (a campaign's From and subject, an MP's address, the second's Date, the MIME headers),
    and making a header parses its value, which was most of the cost of building an email and of
    reading it back. The same name and value always make the same header, so it is made once and
    shared: header objects are never changed once made, only read, folded and compared.

    A value is remembered as given: a string, or one ``Address`` by its parts (names exactly as
    given, so a header keeps the case it was set with). A header with its parse is about 15 KB,
    so only the ``max_entries`` used most lately are kept, and a Message-ID, new in every
    email, never."""

    NEVER_RECUR = frozenset({"message-id"})

    def __init__(self, max_entries: int = 256):
        super().__init__()
        self._remembered: OrderedDict[tuple, object] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def __call__(self, name, value):
        if name.lower() in self.NEVER_RECUR:
            return super().__call__(name, value)
        if isinstance(value, str):
            key = (name, value)
        elif isinstance(value, Address):
            key = (name, Address, value.display_name, value.username, value.domain)
        else:
            return super().__call__(name, value)
        with self._lock:  # a web process may run threads (GUNICORN_THREADS)
            found = self._remembered.get(key)
            if found is not None:
                self._remembered.move_to_end(key)
                return found
        made = super().__call__(name, value)
        with self._lock:
            found = self._remembered.setdefault(key, made)
            self._remembered.move_to_end(key)
            while len(self._remembered) > self._max_entries:
                self._remembered.popitem(last=False)
        return found


class _FoldOncePolicy(EmailPolicy):
    """The default policy, but each header object is folded once per line length and line
    ending and the result kept on it: with the headers shared (above), folding the same
    campaign From or MP address for every message was the next largest cost. A header's folded
    text depends only on the header (its name, and the parse of the value it was made from)
    and on those settings, so the kept text is exactly what folding it again would give."""

    def _fold(self, name, value, refold_binary=False):
        if not hasattr(value, "name"):
            return super()._fold(name, value, refold_binary)
        folds = value.__dict__.setdefault("_folded", {})
        key = (self.linesep, self.max_line_length, self.utf8)
        found = folds.get(key)
        if found is None:
            found = folds[key] = value.fold(policy=self)
        return found


# The policy every email is built with: the default, but quoted-printable lines of at most 76
# characters, and headers made and folded once (above).
POLICY = _FoldOncePolicy(max_line_length=76, header_factory=_RememberingRegistry())
# The words that start a message's last_error when the fault was ours, or after retries.
INTERNAL_ERROR = "internal error"
GAVE_UP = "gave up after"
_ANSWER = re.compile(r"^(?:gave up after (\d+) attempts: )?([45]\d\d)\b")


class _WrittenHeader(str):
    """An address header whose wire text is written here rather than by the email package's
    parser and folder: those parse a header's value when it is set and again to fold it, which
    for a display name new in every email (the supporter's) was a third of building one. It
    reads as the registry's header would: ``str()`` is the same text (the address as the
    ``Address`` class formats it), with ``.addresses``; the policy folds it with ``fold``.

    Only values of the simplest kind are written so (``written_address`` decides), and every
    finished message is still parsed back whole by ``checked_bytes``: a value this writes
    wrongly is a message refused, never a different header sent."""

    def __new__(cls, name: str, address: Address, tokens: list[str]):
        header = super().__new__(cls, str(address))
        header.name = name
        header.addresses = (address,)
        header.defects = ()
        header._tokens = tokens
        return header

    def fold(self, *, policy) -> str:
        """``Name: token token``, a line broken before a token that would pass the policy's
        line length (never inside one)."""
        limit = policy.max_line_length or 998
        start = f"{self.name}:"
        lines, line = [], start
        for token in self._tokens:
            if len(line) + 1 + len(token) > limit and line != start:
                lines.append(line)
                line = ""
            line += " " + token
        lines.append(line)
        return policy.linesep.join(lines) + policy.linesep


# One RFC 5322 atom: letters, digits and the other atext.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
# An address written as it stands: a dot-atom local part and a domain of plain labels.
_DOT_ATOM = rf"{_ATOM}(?:\.{_ATOM})*"
_PLAIN_ADDRESS = re.compile(rf"{_DOT_ATOM}@{_LABEL}(?:\.{_LABEL})*")
# A display name written as atoms, single spaces between.
_ATOMS = re.compile(rf"{_ATOM}(?: {_ATOM})*")
_PRINTABLE_ASCII = re.compile(r"[ -~]*")
# UTF-8 bytes per RFC 2047 encoded word: 39 bytes make 52 base64 characters, a 64-character
# word, so "Reply-To: " and one word fit in 76.
_WORD_BYTES = 39


def written_address(name: str, display_name: str, addr_spec: str) -> _WrittenHeader | Address:
    """The header value for one address: written here (``_WrittenHeader``) when the address is
    plain and the display name is of a kind written simply, else an ``Address`` for the email
    package to make as before.

    A name of atext words is written as it is, other printable ASCII as one quoted string, and
    anything else word by word: atext words as they are, each other word as one RFC 2047
    base64 word. A word is never split across two encoded words, as the email package's
    parser reads a space between them; so a word too long for one, a run of spaces, or a
    control character goes the email package's way."""
    if not _PLAIN_ADDRESS.fullmatch(addr_spec) or _BREAKS.search(display_name):
        return Address(display_name=display_name, addr_spec=addr_spec)
    plain = "=?" not in display_name  # else a reader would decode it, atom or quoted string
    if not display_name:
        tokens = []
    elif plain and _ATOMS.fullmatch(display_name):
        tokens = display_name.split(" ")
    elif plain and _PRINTABLE_ASCII.fullmatch(display_name) and len(display_name) <= 60:
        tokens = ['"' + display_name.replace("\\", "\\\\").replace('"', '\\"') + '"']
    else:
        tokens = _phrase_words(display_name)
    if tokens is None:
        return Address(display_name=display_name, addr_spec=addr_spec)
    username, _, domain = addr_spec.partition("@")
    address = Address(display_name=display_name, username=username, domain=domain)
    return _WrittenHeader(name, address, [*tokens, f"<{addr_spec}>" if tokens else addr_spec])


def _phrase_words(text: str) -> list[str] | None:
    tokens = []
    for word in text.split(" "):
        if _ATOMS.fullmatch(word) and "=?" not in word:
            tokens.append(word)
            continue
        try:
            encoded = word.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            return None
        if not word or len(encoded) > _WORD_BYTES:
            return None
        tokens.append(f"=?utf-8?b?{base64.b64encode(encoded).decode('ascii')}?=")
    return tokens


class UnsafeMessage(Exception):
    """A finished message did not read back as exactly what we built: it must not be sent."""

    def __init__(self, problem: str):
        self.reason = f"{INTERNAL_ERROR}: refused to send, {problem}"
        super().__init__(self.reason)


class CampaignNames(Protocol):
    """What an email needs of a campaign (a Campaign row or a CampaignSnapshot both do)."""

    title: str
    slug: str


MAX_NAME_IN_HEADER = 70


def message_id(message: OutboundMessage, settings: Settings) -> str:
    """The Message-ID of a message row: the same on every retry of it."""
    domain = settings.mail.from_address.rpartition("@")[2] or "localhost"
    return f"<letter-{message.letter_id}-{message.kind}-{message.id}@{domain}>"


class _WrittenId(str):
    """A Message-ID of our own making, written as it stands: the header registry parses every
    value it is given, and a Message-ID is new in every email, so making its header was the
    largest part of starting one. Only an id of dot-atoms that fits on the header's line is
    written so (``written_message_id``), where the package's folding is the value as it stands;
    it reads as the registry's header would, and ``checked_bytes`` still reads it back."""

    def __new__(cls, value: str):
        header = super().__new__(cls, value)
        header.name = "Message-ID"
        header.defects = ()
        return header

    def fold(self, *, policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


def written_message_id(value: str) -> _WrittenId | str:
    """The Message-ID header's value: written here when it is plain and short (see above), else
    the string, for the email package to parse and fold."""
    fits = len(value) + len("Message-ID: ") <= POLICY.max_line_length
    return _WrittenId(value) if fits and _MESSAGE_ID.fullmatch(value) else value


def supporter_block(letter: Letter) -> str:
    """The supporter's name, postal address and email, as they open the letter."""
    lines = [letter.supporter_name, letter.address_line_1]
    if letter.address_line_2:
        lines.append(letter.address_line_2)
    lines += [letter.town, letter.postcode, letter.supporter_email]
    return "\n".join(lines)


def mp_subject(letter: Letter) -> str:
    """The subject the MP sees: exactly the one the supporter saw and sent (the check page
    shows it), with no words added; the From line already says who it is from. A staff test
    send is marked [TEST]."""
    return f"[TEST] {letter.subject}" if letter.source == TEST_SOURCE else letter.subject


def build_mp_email(
    message: OutboundMessage, letter: Letter, campaign: CampaignNames, settings: Settings
) -> EmailMessage:
    """The letter, as the MP's office receives it."""
    return fill_mp_email(_base(message, settings), letter, campaign, settings)


def fill_mp_email(
    email: EmailMessage, letter: Letter, campaign: CampaignNames, settings: Settings
) -> EmailMessage:
    """Add the letter's headers and body to ``email`` (which carries the Message-ID and Date
    when it is sent; a preview has none)."""
    _letter_headers(
        email, letter, campaign, settings, letter.recipient_name, letter.recipient_email
    )
    footer = gettext(
        '%(supporter)s sent this letter using %(service)s, for the campaign "%(campaign)s". '
        "Their address is above; reply to this email to reach them.",
        supporter=letter.supporter_name,
        service=gettext(SERVICE_NAME),  # the site's name in the letter's language
        campaign=campaign.title,
    )
    body = f"{supporter_block(letter)}\n\n{letter_body(letter)}\n\n--\n{footer}\n"
    body += "".join(f"{line}\n" for line in trust_lines(letter))
    set_text(email, body)
    return email


def build_copy_email(
    message: OutboundMessage, letter: Letter, campaign: CampaignNames, settings: Settings
) -> EmailMessage:
    """The same letter, as the campaign's additional fixed recipient (a minister) receives it."""
    return fill_copy_email(_base(message, settings), letter, campaign, settings)


def fill_copy_email(
    email: EmailMessage, letter: Letter, campaign: CampaignNames, settings: Settings
) -> EmailMessage:
    """The copy: the MP's letter word for word under one line that says whose letter it is, and
    a foot that claims no constituency check (that was about the MP's constituency)."""
    _letter_headers(email, letter, campaign, settings, letter.copy_name, letter.copy_email)
    heading = gettext("This is a copy of my letter to my MP, %(mp)s.", mp=letter.recipient_name)
    footer = gettext(
        "%(supporter)s sent this letter to their MP using %(service)s, for the campaign "
        '"%(campaign)s", which sends you a copy of each letter. Their address is above; reply '
        "to this email to reach them.",
        supporter=letter.supporter_name,
        service=SERVICE_NAME,
        campaign=campaign.title,
    )
    body = f"{supporter_block(letter)}\n\n{heading}\n\n{letter_body(letter)}\n\n--\n{footer}\n"
    body += "".join(f"{line}\n" for line in trust_lines(letter, copy=True))
    set_text(email, body)
    return email


def _letter_headers(
    email: EmailMessage,
    letter: Letter,
    campaign: CampaignNames,
    settings: Settings,
    name: str,
    address: str,
) -> None:
    """From the supporter via the campaign, Reply-To the supporter, To the recipient (or the
    redirect address), and the subject the supporter saw."""
    sender_name = gettext(
        "%(supporter)s via %(campaign)s",
        supporter=_short(letter.supporter_name),
        campaign=_short(campaign.title),
    )
    email["From"] = written_address("From", sender_name, settings.mail.from_address)
    email["Reply-To"] = written_address("Reply-To", letter.supporter_name, letter.supporter_email)
    intended = shared_address(name, address)
    if settings.mail.redirect_to:
        email["To"] = settings.mail.redirect_to
        email["X-Intended-Recipient"] = str(intended)
    else:
        email["To"] = intended
    email["Subject"] = mp_subject(letter)


def build_receipt(
    message: OutboundMessage,
    letter: Letter,
    campaign: CampaignNames,
    settings: Settings,
    not_me_url: str | None = None,
) -> EmailMessage:
    """The supporter's copy of what was sent, with the "I did not send this" link."""
    not_me = (
        gettext("I did not send this letter: %(url)s", url=not_me_url) + "\n" if not_me_url else ""
    )
    email = _supporter_email(message, letter, campaign, settings)
    email["Subject"] = gettext("Your letter to %(name)s", name=letter.recipient_name)
    thanks = gettext(
        "Thank you for writing to %(name)s. This is a copy of the letter we sent on your "
        "behalf. If they reply, the reply will come to this email address.",
        name=letter.recipient_name,
    )
    if letter.copy_key:
        thanks += " " + gettext(
            "This campaign also sends a copy of your letter to %(copy)s, as an email of its own.",
            copy=letter.copy_name,
        )
    set_text(
        email,
        f"{_dear(letter)}\n\n{thanks}\n\n"
        f"{_letter_copy(letter)}\n--\n{_share_line(campaign, settings)}{not_me}",
    )
    return email


def build_confirmation(
    message: OutboundMessage,
    letter: Letter,
    campaign: CampaignNames,
    settings: Settings,
    confirm_url: str,
) -> EmailMessage:
    """The link that sends the letter, for campaigns that ask supporters to confirm."""
    email = _supporter_email(message, letter, campaign, settings)
    email["Subject"] = gettext("Confirm your letter to %(name)s", name=letter.recipient_name)
    opening = gettext(
        "To send your letter to %(name)s, open this link and press the button:",
        name=letter.recipient_name,
    )
    closing = gettext(
        "The link works for 7 days. If you did not write this letter, ignore this email and "
        "nothing will be sent; we will delete it after 7 days."
    )
    set_text(email, f"{_dear(letter)}\n\n{opening}\n\n{confirm_url}\n\n{closing}\n")
    return email


def build_failure_notice(
    message: OutboundMessage,
    letter: Letter,
    campaign: CampaignNames,
    settings: Settings,
    reason: str,
) -> EmailMessage:
    """Tell the supporter their letter could not be delivered, and give them its text."""
    email = _supporter_email(message, letter, campaign, settings)
    name = letter.recipient_name
    email["Subject"] = gettext("We could not deliver your letter to %(name)s", name=name)
    sorry = gettext(
        "We are sorry: your letter to %(name)s could not be delivered. %(explanation)s",
        name=name,
        explanation=failure_explanation(reason),
    )
    yours = gettext(
        "Here is your letter, so you can send it yourself. You can also post it to "
        "%(name)s, House of Commons, London SW1A 0AA.",
        name=name,
    )
    set_text(email, f"{_dear(letter)}\n\n{sorry}\n\n{yours}\n\n{_letter_copy(letter)}")
    return email


def failure_explanation(reason: str | None) -> str:
    """Why a letter was not delivered, in plain words, saying which side failed. The MP's mail
    server is quoted only when it answered about this recipient; our own faults are not
    described beyond saying they were ours."""
    match = _ANSWER.match(reason or "")
    if match is None:
        return gettext(
            "The problem was on our side, not theirs: our system could not send it, and their "
            "office has not received it."
        )
    answer = " ".join((reason or "")[match.start(2) :].split())[:300]
    if match.group(1):
        return gettext(
            "Their mail server asked us to try again later, and after %(attempts)s attempts we "
            "stopped. It last answered: \u201c%(answer)s\u201d",
            attempts=match.group(1),
            answer=answer,
        )
    return gettext(
        "Their mail server refused it, and answered: \u201c%(answer)s\u201d", answer=answer
    )


def outgoing(email: EmailMessage, sender: str) -> Outgoing:
    """The message as it goes on the wire: its checked bytes and its envelope (raises
    UnsafeMessage if the check fails). Every email the platform sends goes through here."""
    return Outgoing(
        sender=sender,
        recipients=tuple(a.addr_spec for a in email["To"].addresses),
        data=checked_bytes(email),
        message_id=str(email["Message-ID"]),
    )


def checked_bytes(email: EmailMessage) -> bytes:
    """The message's bytes, once they parse back to exactly the headers and text we set."""
    data = serialize(email)
    if not data.isascii():
        raise UnsafeMessage("the message was not plain ASCII")
    parsed = message_from_bytes(data, policy=READ_BACK)
    expected = [(name.lower(), str(value)) for name, value in email.items()]
    on_the_wire = list(parsed.raw_items())  # each header as parsed: its name, folded value
    if [name.lower() for name, _ in on_the_wire] != [n for n, _ in expected]:
        raise UnsafeMessage("its header names did not read back as set")
    found = [_read_back(name, wire) for name, wire in on_the_wire]
    if any(_BREAKS.search(value) for value in found):
        raise UnsafeMessage("a header value read back with a line break")
    # Compared without whitespace: the parser puts a space between two encoded words of a long
    # name folded across lines, which changes nothing a mail program acts on.
    if [_squeezed(v) for v in found] != [_squeezed(v) for _, v in expected]:
        raise UnsafeMessage("its header values did not read back as set")
    if parsed.is_multipart() or parsed.get_content_type() != "text/plain":
        raise UnsafeMessage("it was not one text/plain part")
    if parsed.get_content().replace("\r\n", "\n") != _text_written(email):
        raise UnsafeMessage("its text did not read back as written")
    return data


def _text_written(email: EmailMessage) -> str:
    """The text the email carries, as ``get_content`` decodes it: kept by ``set_text`` with the
    payload it made (decoding that again for the check was a twentieth of the relay's CPU), or,
    if the payload is not that one any more, or was set otherwise, decoded."""
    kept = email.__dict__.get(_KEPT_TEXT)
    if kept is not None and kept[0] is email._payload:
        return kept[1]
    return email.get_content()


_KEPT_TEXT = "action_app_text"  # set_text's payload and the text it decodes to


# The policy a finished message is read back with: the default one, as a mail program reads it
# (its own registry: what a value reads back as is kept apart from what we built).
READ_BACK = policy.default.clone(header_factory=_RememberingRegistry())

_BREAKS = re.compile(r"[\x00-\x1f\x7f]")
_UNFOLD = re.compile(r"\r?\n(?=[ \t])")
# Values a parser reads as they stand (RFC 5322): a mailbox of atoms and a plain address, a
# Message-ID of dot-atoms, a date as email.utils formats one, unstructured printable text.
_MAILBOX = re.compile(rf"(?:{_ATOMS.pattern} <{_PLAIN_ADDRESS.pattern}>|{_PLAIN_ADDRESS.pattern})")
_MESSAGE_ID = re.compile(rf"<{_DOT_ATOM}@{_DOT_ATOM}>")
_DATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-3][0-9] "
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    r"[0-2][0-9]:[0-5][0-9]:[0-5][0-9] [+-][0-9]{4}"
)


def _read_back(name: str, wire: str) -> str:
    """What a mail program reads a header's value as: the default policy's parse of it as the
    parser split it. Parsing was most of the cost of the check, and most values are new in
    every email (the supporter's name, the Message-ID, the Date), so a value that, unfolded,
    has one reading only, itself (``_read_plainly``), is read so without the parser. Anything
    else (an encoded word, a quoted string, a comment, a second address) is parsed."""
    unfolded = _UNFOLD.sub("", wire)
    if _read_plainly(name, unfolded):
        return unfolded
    return str(READ_BACK.header_fetch_parse(name, wire))


def _read_plainly(name: str, value: str) -> bool:
    """Whether this header value, printable ASCII with no encoded word, reads as it stands."""
    if "=?" in value or not _PRINTABLE_ASCII.fullmatch(value):
        return False
    kind = READ_BACK.header_factory[name]
    if issubclass(kind, AddressHeader):
        return _MAILBOX.fullmatch(value) is not None
    if issubclass(kind, MessageIDHeader):
        return _MESSAGE_ID.fullmatch(value) is not None
    if issubclass(kind, DateHeader):  # a real date, its weekday right, as the parser formats
        return _DATE.fullmatch(value) is not None and _formatted_again(value) == value
    # Unstructured text reads as it stands, but for encoded words (ruled out above).
    return issubclass(kind, UnstructuredHeader)


def _formatted_again(date: str) -> str | None:
    try:
        return format_datetime(parsedate_to_datetime(date))
    except (TypeError, ValueError):
        return None


def _squeezed(value: str) -> str:
    return "".join(value.split())


@lru_cache(maxsize=2048)
def shared_address(display_name: str, addr_spec: str) -> Address:
    """An address that recurs from email to email (a campaign's From, an MP's): made once, as
    making one parses it. Addresses are only read once made."""
    return Address(display_name=display_name, addr_spec=addr_spec)


def set_text(email: EmailMessage, text: str) -> None:
    """The body as UTF-8 text, naming its transfer encoding so the email package does not
    encode it twice to choose one: 7bit when it can be, else quoted-printable (lines kept).

    For an email of ``POLICY`` that has no content headers yet (every one built here), this
    does what ``set_content`` does, without its content manager: the same payload (the text's
    lines, joined by LF, encoded as it encodes them) and the same three headers, made once and
    shared (``_TEXT_HEADERS``). The content manager set the charset parameter by parsing the
    Content-Type it had just made and making it again, a third of the cost of the body.
    tests/test_mail_bytes.py holds both ways to the same headers, payload and bytes."""
    plain = text.isascii() and all(len(line) <= 78 for line in text.splitlines())
    cte = "7bit" if plain else "quoted-printable"
    if email.policy is not POLICY or any(_content_header(name) for name in email):
        email.set_content(text, cte=cte)
        return
    body = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    if plain:
        payload = body.decode("ascii")
    else:
        payload = quoprimime.body_encode(body.decode("latin-1"), POLICY.max_line_length)
    for name, value in _TEXT_HEADERS[cte]:
        email[name] = value
    email.set_payload(payload)
    email.__dict__[_KEPT_TEXT] = (payload, body.decode("utf-8"))


# The headers set_content gives a UTF-8 text part, in its order, for each transfer encoding.
_TEXT_HEADERS = {
    cte: tuple(
        (name, POLICY.header_factory(name, value))
        for name, value in (
            ("Content-Type", 'text/plain; charset="utf-8"'),
            ("Content-Transfer-Encoding", cte),
            ("MIME-Version", "1.0"),
        )
    )
    for cte in ("7bit", "quoted-printable")
}


def _content_header(name: str) -> bool:
    """A header set_content would remove (``clear_content``) or not add again."""
    name = name.lower()
    return name.startswith("content-") or name == "mime-version"


def _base(message: OutboundMessage, settings: Settings) -> EmailMessage:
    email = EmailMessage(policy=POLICY)
    email["Message-ID"] = written_message_id(message_id(message, settings))
    email["Date"] = format_datetime(localtime())
    return email


def _supporter_email(
    message: OutboundMessage, letter: Letter, campaign: CampaignNames, settings: Settings
) -> EmailMessage:
    email = _base(message, settings)
    email["From"] = shared_address(_short(campaign.title), settings.mail.from_address)
    email["To"] = written_address("To", "", letter.supporter_email)  # the address, no name
    email["Auto-Submitted"] = "auto-generated"
    return email


def _letter_copy(letter: Letter) -> str:
    """The letter as the MP received it, subject first, for the supporter's own emails."""
    subject = gettext("Subject: %(subject)s", subject=mp_subject(letter))
    return f"{subject}\n\n{supporter_block(letter)}\n\n{letter_body(letter)}\n"


def _dear(letter: Letter) -> str:
    return gettext("Dear %(name)s,", name=letter.supporter_name)


def _share_line(campaign: CampaignNames, settings: Settings) -> str:
    """What happens next, and a link to share that carries its own source code."""
    url = f"{settings.public_base_url}/c/{campaign.slug}?source=share-receipt"
    if current_language() != "en":
        url += f"&lang={current_language()}"
    next_steps = gettext(
        "What happens next: your MP's office reads letters from constituents and usually "
        "replies within a few weeks. If they reply, the reply comes to this email address."
    )
    ask = gettext("Ask your friends to write too: %(url)s", url=url)
    return f"{next_steps}\n\n{ask}\n"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_NAME_IN_HEADER else text[: MAX_NAME_IN_HEADER - 1] + "…"
