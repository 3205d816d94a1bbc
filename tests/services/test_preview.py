"""The check page's preview is the email the worker sends: the same headers and text as the
checked bytes (issue 12's exact-bytes sending, seen through issue 7's preview service)."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from action_app.models import MessageKind, OutboundMessage
from action_app.registry import registry_of
from action_app.services import emails
from action_app.services.preview import SHOWN_HEADERS, preview_letter
from tests.services.test_emails import campaign, letter

LONG_WORDS = "Mae'r llyfrgell yn bwysig — ŵyn, ŷd. " * 40 + "\n. A line that starts with a dot."


@pytest.mark.parametrize("personal", ["Mine.", LONG_WORDS, "From the start.\n>From a quote."])
def test_the_preview_reads_as_the_bytes_sent(app, personal):
    settings = registry_of(app).settings
    written = letter(personal_paragraph=personal, supporter_name="Siân ap Dafydd")
    message = OutboundMessage(id=1, letter_id=7, kind=MessageKind.MP)
    data = emails.checked_bytes(emails.build_mp_email(message, written, campaign(), settings))
    sent = message_from_bytes(data, policy=policy.default)
    with app.app_context():
        shown = preview_letter(written, campaign(), settings)
    assert shown.body == sent.get_content().replace("\r\n", "\n")
    assert shown.headers == tuple((name, str(sent[name])) for name in SHOWN_HEADERS)
