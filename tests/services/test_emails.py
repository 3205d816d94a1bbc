"""The emails as built: headers an MP's office can trust, and no way to forge one."""

import dataclasses
import re
from email import message_from_bytes, policy

import pytest

from action_app.config import Settings
from action_app.models import Campaign, Letter, OutboundMessage
from action_app.services import emails


@pytest.fixture
def settings(app) -> Settings:
    return app.config["SETTINGS"]


def letter(**changes) -> Letter:
    values = dict(
        id=7,
        supporter_name="Órfhlaith O'Neill-Smith, Jr",
        supporter_email="orla@example.com",
        address_line_1="1 Road",
        address_line_2="",
        town="Omagh",
        postcode="BT79 7BL",
        recipient_name="Órfhlaith Begley",
        recipient_email="mp@parliament.uk",
        subject="Libraries",
        body_before="Dear MP,",
        personal_paragraph="Mine.",
        body_after="Yours,",
    )
    return Letter(**{**values, **changes})


def campaign() -> Campaign:
    return Campaign(slug="c", title="Save the library")


def wire(email):
    """Through bytes and back, as the receiving server parses it."""
    return message_from_bytes(email.as_bytes(), policy=policy.default)


def test_headers_survive_names_with_accents_commas_and_quotes(settings):
    email = wire(
        emails.build_mp_email(
            OutboundMessage(id=3, letter_id=7, kind="mp"), letter(), campaign(), settings
        )
    )
    assert (
        email["From"].addresses[0].display_name
        == "Órfhlaith O'Neill-Smith, Jr via Save the library"
    )
    assert email["From"].addresses[0].addr_spec == "action@write.example.org"
    assert email["Reply-To"].addresses[0].display_name == "Órfhlaith O'Neill-Smith, Jr"
    assert email["Reply-To"].addresses[0].addr_spec == "orla@example.com"
    # The subject is the supporter's own, with nothing added (the check page shows it).
    assert email["Subject"] == "Libraries"
    assert email["Message-ID"] == "<letter-7-mp-3@write.example.org>"


def test_the_message_id_is_stable_for_a_message(settings):
    message = OutboundMessage(id=3, letter_id=7, kind="mp")
    first = emails.build_mp_email(message, letter(), campaign(), settings)
    again = emails.build_mp_email(message, letter(), campaign(), settings)
    assert first["Message-ID"] == again["Message-ID"]


def test_redirect_sends_everything_to_one_address(settings):
    redirected = dataclasses.replace(
        settings, mail=dataclasses.replace(settings.mail, redirect_to="staging@example.org")
    )
    email = emails.build_mp_email(
        OutboundMessage(id=1, letter_id=7, kind="mp"), letter(), campaign(), redirected
    )
    assert email["To"] == "staging@example.org"
    assert "mp@parliament.uk" in email["X-Intended-Recipient"]


@pytest.mark.parametrize(
    "change",
    [
        {"supporter_name": "Eve\r\nBcc: victim@example.org"},
        {"supporter_email": "eve@example.org\r\nBcc: victim@example.org"},
        {"subject": "Hi\nBcc: victim@example.org"},
    ],
)
def test_a_forged_header_can_never_be_built(settings, change):
    """Input checks refuse these first; the email layer refuses them again."""
    with pytest.raises(ValueError):
        email = emails.build_mp_email(
            OutboundMessage(id=1, letter_id=7, kind="mp"), letter(**change), campaign(), settings
        )
        email.as_bytes()


def test_the_receipt_is_a_copy_for_the_supporter(settings):
    email = emails.build_receipt(
        OutboundMessage(id=2, letter_id=7, kind="receipt"), letter(), campaign(), settings
    )
    assert email["To"].addresses[0].addr_spec == "orla@example.com"
    assert email["Auto-Submitted"] == "auto-generated"
    assert "Dear MP,\n\nMine.\n\nYours," in email.get_content()


def test_the_from_header_is_written_as_the_spec_shows(settings):
    quoted = letter(supporter_name='Sam "The Voice" Smith')
    email = emails.build_mp_email(
        OutboundMessage(id=1, letter_id=7, kind="mp"), quoted, campaign(), settings
    )
    raw = re.sub(r"\r?\n[ \t]+", " ", email.as_bytes().decode())  # unfold long headers
    assert (
        'From: "Sam \\"The Voice\\" Smith via Save the library" <action@write.example.org>' in raw
    )
    assert 'Reply-To: "Sam \\"The Voice\\" Smith" <orla@example.com>' in raw
    parsed = wire(email)
    assert parsed["From"].addresses[0].display_name == 'Sam "The Voice" Smith via Save the library'


def test_a_welsh_letters_confirmation_and_failure_notice_are_in_welsh(app, settings):
    from action_app.i18n import in_language

    welsh = letter(language="cy")
    with app.app_context(), in_language(welsh.language):
        confirm = emails.build_confirmation(
            OutboundMessage(id=4, letter_id=7, kind="confirmation"),
            welsh,
            campaign(),
            settings,
            "https://write.example.org/c/c/confirm/x?lang=cy",
        )
        failed = emails.build_failure_notice(
            OutboundMessage(id=5, letter_id=7, kind="failure_notice"),
            welsh,
            campaign(),
            settings,
            "550 no such mailbox",
        )
    assert wire(confirm)["Subject"] == "Cadarnhewch eich llythyr at Órfhlaith Begley"
    assert "Mae'r ddolen yn gweithio am 7 diwrnod" in wire(confirm).get_content()
    assert wire(failed)["Subject"] == "Nid oeddem yn gallu danfon eich llythyr at Órfhlaith Begley"
    assert "Pwnc: Libraries" in wire(failed).get_content()
    # The same letter in English, outside the Welsh block.
    with app.app_context():
        english = emails.build_confirmation(
            OutboundMessage(id=4, letter_id=7, kind="confirmation"),
            letter(),
            campaign(),
            settings,
            "x",
        )
    assert wire(english)["Subject"] == "Confirm your letter to Órfhlaith Begley"
