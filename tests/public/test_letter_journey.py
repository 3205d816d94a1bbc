"""Write → check → send → sent, as a supporter does it, and the email the MP's office receives."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from action_app.extensions import db
from action_app.models import Letter, OutboundMessage
from action_app.registry import registry_of
from action_app.services.participation import LOCAL_TTL_SECONDS, Totals
from tests.drafts import statements_run, write_parked_drafts
from tests.fakes import EXAMPLE_POSTCODES
from tests.html import post_form, text, title
from tests.journey import fill, open_letter, send, write_letter
from tests.public.conftest import set_campaign
from workers.tasks import send_letter_task

URL = "/c/test-campaign"


def deliver_all():
    """Run the send task for every letter, as a worker would."""
    for letter_id in db.session.scalars(select(Letter.id).where(Letter.status == "confirmed")):
        send_letter_task.run(letter_id)


def count(model, *where):
    write_parked_drafts()  # drafts parked in Redis, as Continue leaves them, are counted too
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_letter_page_shows_the_letter_and_asks_for_details(journey):
    page = open_letter(journey)
    assert page.status_code == 200
    assert title(page).startswith("Write your letter to Rachel Blake")
    html = page.get_data(as_text=True)
    fields = post_form(page)["fields"]
    assert fields["body_before"].startswith("Dear Rachel Blake,\n\nPlease save the library.")
    assert fields["body_after"] == "Yours sincerely,\n[your name]"
    assert fields["subject"] == "A constituent in Cities of London and Westminster on the library"
    assert fields["consent"] == [] and fields["opt_ins"] == []
    assert "postcode" not in fields  # never typed twice
    assert "Your postcode is SW1A 1AA" in text(page)
    assert "Why does the library matter to you?" in text(page)
    for name, autocomplete in [
        ("name", "name"),
        ("email", "email"),
        ("address_line_1", "address-line1"),
        ("address_line_2", "address-line2"),
        ("town", "address-level2"),
    ]:
        assert re.search(rf'<input[^>]*autocomplete="{autocomplete}"[^>]*name="{name}"', html)
    assert (
        "I agree that my name, address, email address and letter are sent to Rachel Blake"
        in text(page)
    )
    assert "You do not need to tick any of these to send your letter" in text(page)


def test_the_whole_journey_sends_one_letter_and_one_receipt(pg_journey, smtp_server):
    response = write_letter(
        pg_journey,
        params={"source": "partner-7"},
        personal_paragraph="My daughter reads there every week.",
        opt_ins=["friends"],
    )
    assert response.status_code == 302 and "/check/" in response.headers["Location"]
    check_page = pg_journey.get(response.headers["Location"])
    assert title(check_page).startswith("Check your letter before sending it")
    check_text = text(check_page)
    # Plain words for the headers, and no angle brackets around addresses.
    assert "Sent from Jane Smith via Save the test library action@write.example.org" in check_text
    assert "Replies go to Jane Smith jane.smith@example.com" in check_text
    assert "Sent to Rachel Blake rachel.blake.mp@parliament.uk" in check_text
    assert "Subject A constituent in Cities of London and Westminster on the library" in check_text
    assert "&lt;" not in check_page.get_data(as_text=True).split("<main")[1]

    sent = send(pg_journey, response)
    assert sent.status_code == 302 and "/sent/" in sent.headers["Location"]
    sent_page = pg_journey.get(sent.headers["Location"])
    assert "Your letter is on its way" in text(sent_page)
    assert "We email a copy of your letter to jane.smith@example.com" in text(sent_page)
    assert "1 person has written to their MP" in text(sent_page)

    deliver_all()
    registry_of(pg_journey.application).local_totals.clear()  # as if two seconds had passed
    mp_mail, receipt = smtp_server.wait_for(2)
    letter = mp_mail.message
    assert mp_mail.rcpt_tos == ["rachel.blake.mp@parliament.uk"]
    assert letter["From"] == "Jane Smith via Save the test library <action@write.example.org>"
    assert letter["Reply-To"] == "Jane Smith <jane.smith@example.com>"
    assert letter["To"] == "Rachel Blake <rachel.blake.mp@parliament.uk>"
    assert letter["Subject"] == "A constituent in Cities of London and Westminster on the library"
    body = letter.get_content().replace("\r\n", "\n")
    assert body.startswith(
        "Jane Smith\n12 High Street\nLondon\nSW1A 1AA\njane.smith@example.com\n\nDear Rachel Blake,"
    )
    assert "Please save the library.\n\nMy daughter reads there every week.\n\n" in body
    assert "\n\nYours sincerely,\nJane Smith\n" in body
    assert re.fullmatch(r"<letter-\d+-mp-\d+@write\.example\.org>", letter["Message-ID"])

    assert receipt.rcpt_tos == ["jane.smith@example.com"]
    assert receipt.message["Subject"] == "Your letter to Rachel Blake"
    assert "My daughter reads there every week." in receipt.message.get_content()

    saved = db.session.scalar(select(Letter))
    assert saved.source == "partner-7" and saved.opt_ins == ["friends"]
    counts = pg_journey.get("/api/v1/campaigns/test-campaign/count").get_json()
    assert counts == {"slug": "test-campaign", "total": 1, "sent": 1}


def test_the_sent_page_counts_the_writers_own_letter_though_the_total_was_kept(journey):
    # The campaign page is seen just before: this process now keeps "0" for two seconds.
    assert "0 people have written to their MP" in text(journey.get(URL))
    sent = send(journey, write_letter(journey))
    sent_page = journey.get(sent.headers["Location"])
    assert "1 person has written to their MP" in text(sent_page)
    # Another supporter's letter, counted while this process keeps "1" (read for that page).
    other = journey.application.test_client()
    second = send(other, write_letter(other, email="second@example.com"))
    assert "2 people have written to their MP" in text(other.get(second.headers["Location"]))


def test_a_letter_counted_a_while_ago_reads_the_kept_total(journey):
    sent = send(journey, write_letter(journey))
    letter = db.session.scalar(select(Letter))
    letter.confirmed_at -= timedelta(seconds=LOCAL_TTL_SECONDS + 1)
    db.session.commit()
    # What this process keeps is shown, without asking the store (a page seen again later).
    local = registry_of(journey.application).local_totals
    local.put(letter.campaign_id, Totals(total=41, sent=40))
    assert "41 people have written to their MP" in text(journey.get(sent.headers["Location"]))


def test_validation_errors_keep_everything_typed(journey):
    page = open_letter(journey)
    action, fields = fill(
        page,
        name="",
        email="not an email",
        town="",
        consent=None,
        personal_paragraph="My own words stay.",
        address_line_1="12 High Street",
    )
    response = journey.post(action, data=fields)
    assert response.status_code == 200
    assert title(response).startswith("Error: Write your letter")
    html = response.get_data(as_text=True)
    for anchor, message in [
        ("#name", "Enter your full name"),
        ("#email", "Enter an email address in the correct format, like name@example.com"),
        ("#town", "Enter your town or city"),
        ("#consent", "Tick the box to agree that your letter and details are sent to Rachel Blake"),
    ]:
        assert f'<a href="{anchor}">{message}</a>' in unescape(html)
    kept = post_form(response)["fields"]
    assert kept["personal_paragraph"] == "My own words stay."
    assert kept["address_line_1"] == "12 High Street"
    assert kept["email"] == "not an email"
    assert count(Letter) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Jane\r\nBcc: victim@example.org", "Your name must not contain line breaks"),
        ("name", "Jane\nSmith", "Your name must not contain line breaks"),
        (
            "email",
            "jane@example.com\r\nBcc: victim@example.org",
            "Your email address must not contain line breaks",
        ),
        (
            "email",
            "jane@example.com\nX-Injected: 1",
            "Your email address must not contain line breaks",
        ),
        ("address_line_1", "1 Road\x00", "Address line 1 must not contain line breaks"),
        ("town", "Town\u2028Bcc: x@example.org", "Town or city must not contain line breaks"),
        ("subject", "Hello\r\nBcc: victim@example.org", "The subject must not contain line breaks"),
        ("name", "J" * 101, "Your name must be 100 characters or fewer"),
        ("personal_paragraph", "word " * 700, "Your own words must be 3,000 characters or fewer"),
        ("body_before", "x" * 10_001, "Your letter must be 10,000 characters or fewer"),
        ("address_line_1", "a" * 101, "Address line 1 must be 100 characters or fewer"),
        (
            "email",
            ("a" * 250) + "@example.com",
            "Your email address must be 254 characters or fewer",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(pg_journey, smtp_server, field, value, message):
    response = write_letter(pg_journey, **{field: value})
    assert response.status_code == 200
    assert message in text(response)
    assert count(Letter) == 0
    assert smtp_server.received == []


def test_same_email_from_another_browser_learns_nothing_and_the_owner_is_told(
    pg_journey, smtp_server
):
    send(pg_journey, write_letter(pg_journey))
    other_browser = pg_journey.application.test_client()
    again = send(other_browser, write_letter(other_browser, email="Jane.Smith+again@Example.com"))
    # Not "already written": in this campaign (no confirmation) the page of a new letter, on
    # its way; it waits for the address's owner (tests/public/test_address_privacy.py).
    assert again.status_code == 302 and "/sent/" in again.headers["Location"]
    page = other_browser.get(again.headers["Location"])
    assert title(page).startswith("Your letter is on its way")
    assert "already" not in text(page).lower()
    for letter_id in db.session.scalars(select(Letter.id)):
        send_letter_task.run(letter_id)
    mails = smtp_server.wait_for(3)
    assert count(OutboundMessage, OutboundMessage.kind == "mp") == 1
    notice = next(m for m in mails if m.rcpt_tos == ["Jane.Smith+again@example.com"])
    body = notice.message.get_content()
    assert notice.message["Subject"] == "Someone used your email address to write to your MP"
    assert "was already sent on" in body and "/not-me/" in body and "/confirm/" in body


def test_two_drafts_from_one_supporter_send_only_once(pg_journey):
    first = write_letter(pg_journey)
    second = write_letter(pg_journey)  # e.g. two tabs, both at the check page
    assert send(pg_journey, first).status_code == 302
    response = send(pg_journey, second)
    assert title(response).startswith("You have already written to Rachel Blake")
    assert count(OutboundMessage, OutboundMessage.kind == "mp") == 1


def test_double_post_of_send_sends_once(pg_journey):
    response = write_letter(pg_journey)
    check_page = pg_journey.get(response.headers["Location"])
    form = post_form(check_page)
    first = pg_journey.post(form["action"], data=form["fields"])
    second = pg_journey.post(form["action"], data=form["fields"])
    assert first.headers["Location"] == second.headers["Location"]
    assert count(OutboundMessage) == 1
    assert count(Letter, Letter.status == "confirmed") == 1


def test_back_and_resubmit_reuses_the_same_letter(pg_journey):
    page = open_letter(pg_journey)
    action, fields = fill(page)
    first = pg_journey.post(action, data=fields)
    again = pg_journey.post(action, data=fields)  # back button, then Continue again
    assert first.headers["Location"] == again.headers["Location"]
    assert count(Letter) == 1
    send(pg_journey, first)
    after_send = pg_journey.post(action, data=fields)  # back from the sent page and resubmit
    # The same form finds the same letter (by its form token), now sent: check → sent.
    assert after_send.status_code == 302
    assert after_send.headers["Location"] == first.headers["Location"]
    assert count(Letter) == 1 and count(OutboundMessage) == 1
    sent_page = pg_journey.get(first.headers["Location"])
    assert sent_page.status_code == 302 and "/sent/" in sent_page.headers["Location"]


def test_a_new_draft_is_one_round_trip_to_the_database(app, pg_journey, drafts_in_database):
    """Continue is the busiest write in a surge. Where Redis cannot take a new draft (it is
    parked there otherwise: tests/public/test_parked_drafts.py), the draft is its one INSERT,
    committed as it runs, with no BEGIN before it or COMMIT after it (PostgreSQL had no
    transaction open when the INSERT came back), and without waiting for the disk; that
    setting ends with it. It goes past the ORM session, which begins nothing for it.
    Changing a draft (two statements)
    stays one transaction of the session, which waits for the disk."""
    from tests.drafts import letter_writes

    with letter_writes() as seen:
        first = write_letter(pg_journey)
        draft = first.headers["Location"].rsplit("/", 1)[1]
        page = pg_journey.get(f"{URL}/write?draft={draft}")
        action, fields = fill(page, name="Another Name")
        changed = pg_journey.post(action, data=fields)
    assert changed.headers["Location"] == first.headers["Location"]
    assert seen[0] == ("INSERT", "IDLE", True, "on", False)
    assert seen[1:] and all(s[1:] == ("INTRANS", False, "on", True) for s in seen[1:])
    assert db.session.scalar(select(Letter.supporter_name)) == "Another Name"


def test_a_draft_insert_on_a_connection_the_server_closed_is_a_503_and_again_works(
    app, pg_url, pg_journey, caplog, drafts_in_database
):
    """A database restart between opening the letter page and Continue: Continue gets the "try
    again" page (not a 500), its dead connections are thrown away, and pressing Continue again
    with the same form saves the draft."""
    import psycopg

    action, fields = fill(open_letter(pg_journey))
    with app.app_context():
        held = [db.engine.raw_connection() for _ in range(3)]  # the pool keeps three
        backends = [pooled.driver_connection.info.backend_pid for pooled in held]
        for pooled in held:
            pooled.close()
    assert backends
    with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as admin:
        for pid in backends:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    failed = pg_journey.post(action, data=fields)
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "30"
    # The log says which statement failed, not what the supporter typed into it.
    assert "Database unavailable on POST" in caplog.text and "INSERT INTO letters" in caplog.text
    assert fields["email"] not in caplog.text and fields["address_line_1"] not in caplog.text
    # SQLAlchemy shortens a long parameter list in its message, so the typed values above may be
    # cut out of it even when parameters are shown: the log must say they were hidden.
    assert "[SQL parameters hidden due to hide_parameters=True]" in caplog.text
    again = pg_journey.post(action, data=fields)
    assert again.status_code == 302 and "/check/" in again.headers["Location"]
    assert db.session.scalar(select(func.count(Letter.id))) == 1


def test_send_writes_on_the_driver_in_one_transaction(app, pg_journey, drafts_in_database):
    """Send's writes (the letter's UPDATE, its messages, counts and reply check) go to the
    driver directly, not through SQLAlchemy's execution, and are one transaction with the
    session's reads: nothing is committed until the session commits."""
    from sqlalchemy import event

    through_sqlalchemy: list[str] = []

    def before_execute(conn, cursor, statement, parameters, context, executemany):
        through_sqlalchemy.append(" ".join(statement.split()[:4]))

    from tests.drafts import letter_writes

    written = write_letter(pg_journey)
    event.listen(db.engine, "before_cursor_execute", before_execute)
    try:
        with letter_writes(("INSERT", "UPDATE")) as writes:
            sent = send(pg_journey, written)
    finally:
        event.remove(db.engine, "before_cursor_execute", before_execute)
    assert sent.status_code == 302 and "/sent/" in sent.headers["Location"]
    assert through_sqlalchemy and all(s.startswith("SELECT") for s in through_sqlalchemy)
    assert writes and all(status == "INTRANS" for _, status, *_ in writes)
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 1


def test_pages_that_show_a_letter_read_it_outside_a_transaction(
    app, pg_journey, drafts_in_database
):
    """The check page, the sent page and the sent page's status only read: they read the letter
    with no transaction (no BEGIN and ROLLBACK round trips), and the sent page and status read
    its messages in the same statement. Send, on the same pool of connections afterwards, is
    still one transaction, and the pages still show the letter."""
    written = write_letter(pg_journey, personal_paragraph="Read without a transaction.")
    with statements_run() as check_reads:
        check_page = pg_journey.get(written.headers["Location"])
    assert "Read without a transaction." in text(check_page)
    letter_reads = [(q, status) for q, status in check_reads if "FROM letters" in q]
    assert letter_reads and all(status == "IDLE" for _, status in letter_reads)

    form = post_form(check_page)
    with statements_run() as send_statements:
        sent = pg_journey.post(form["action"], data=form["fields"])
    assert sent.status_code == 302 and "/sent/" in sent.headers["Location"]
    writes = [status for q, status in send_statements if q.startswith(("INSERT", "UPDATE"))]
    assert writes and all(status == "INTRANS" for status in writes)

    for path in (sent.headers["Location"], sent.headers["Location"] + "/status"):
        with statements_run() as reads:
            shown = pg_journey.get(path)
        assert shown.status_code == 200
        letter_reads = [(q, status) for q, status in reads if "FROM letters" in q]
        assert letter_reads and all(status == "IDLE" for _, status in letter_reads)
        # The letter and its messages in one statement; none for the messages alone.
        assert any("FROM letters LEFT OUTER JOIN outbound_messages" in q for q, _ in reads)
        assert not any(q.startswith("SELECT outbound_messages.id") for q, _ in reads)
    assert "We are sending it to Rachel Blake now" in text(pg_journey.get(sent.headers["Location"]))
    # Every connection went back to the pool in its usual transaction mode.
    held = [db.engine.raw_connection() for _ in range(db.engine.pool.checkedin())]
    try:
        assert held and not any(c.driver_connection.autocommit for c in held)
    finally:
        for connection in held:
            connection.close()
    assert shown.get_json()["state"] == "sending"


def test_an_expired_form_token_loses_nothing(journey):
    page = open_letter(journey)
    action, fields = fill(page, csrf_token="expired-token", personal_paragraph="Keep me.")
    response = journey.post(action, data=fields)
    assert response.status_code == 200
    assert title(response).startswith("Error: ")
    assert "Nothing you typed has been lost" in text(response)
    kept = post_form(response)["fields"]
    assert kept["personal_paragraph"] == "Keep me." and kept["name"] == "Jane Smith"
    assert kept["csrf_token"] != "expired-token"
    assert journey.post(action, data={**kept}).status_code == 302


def test_an_expired_token_on_the_check_page_keeps_the_letter(journey):
    response = write_letter(journey)
    check_page = journey.get(response.headers["Location"])
    form = post_form(check_page)
    expired = journey.post(form["action"], data={**form["fields"], "csrf_token": "old"})
    assert "It is saved: press Send letter again" in text(expired)
    assert send(journey, response).status_code == 302


def test_change_link_brings_back_everything(journey):
    response = write_letter(journey, personal_paragraph="First thoughts.")
    check_page = journey.get(response.headers["Location"])
    change = re.search(
        r'<a href="([^"]*draft=[^"]*)">Change your letter', check_page.get_data(as_text=True)
    )
    page = journey.get(unescape(change[1]))
    fields = post_form(page)["fields"]
    assert fields["personal_paragraph"] == "First thoughts." and fields["name"] == "Jane Smith"
    assert fields["consent"] == ["y"]
    action, fields = fill(page, personal_paragraph="Second thoughts.")
    again = journey.post(action, data=fields)
    assert again.headers["Location"] == response.headers["Location"]
    assert "Second thoughts." in text(journey.get(again.headers["Location"]))
    assert count(Letter) == 1


def test_a_letter_is_only_visible_to_the_browser_that_wrote_it(journey):
    response = write_letter(journey)
    stranger = journey.application.test_client()
    assert stranger.get(response.headers["Location"]).status_code == 404


def test_recipient_cannot_be_changed_by_the_browser(pg_journey, smtp_server):
    page = open_letter(pg_journey)
    action, fields = fill(page, recipient="attacker@example.org", to="attacker@example.org")
    send(pg_journey, pg_journey.post(action, data=fields))
    deliver_all()
    assert smtp_server.wait_for(2)[0].rcpt_tos == ["rachel.blake.mp@parliament.uk"]


def test_a_fixed_letter_is_rendered_with_the_supporters_details(journey):
    set_campaign(body_editable=False)
    page = open_letter(journey, EXAMPLE_POSTCODES["wales"])
    fields = post_form(page)["fields"]
    assert "body_before" not in fields and "subject" not in fields
    assert "Dear Llinos Medi," in text(page)
    action, fields = fill(page, personal_paragraph="Mine.")
    response = journey.post(action, data=fields)
    body = text(journey.get(response.headers["Location"]))
    assert "Dear Llinos Medi, Please save the library. Mine. Yours sincerely, Jane Smith" in body


def test_template_conditionals_by_nation_and_party(journey):
    set_campaign(
        body_editable=False,
        body_template=(
            "Dear {{ mp.name }},\n"
            '{% if constituency.nation == "Wales" %}Senedd matters too.'
            "{% else %}Westminster.{% endif %}\n"
            '{% if mp.party == "Plaid Cymru" %}Diolch.{% endif %}'
        ),
    )
    welsh = text(open_letter(journey, EXAMPLE_POSTCODES["wales"]))
    assert "Senedd matters too. Diolch." in welsh
    english = text(open_letter(journey, EXAMPLE_POSTCODES["england"]))
    assert "Westminster." in english and "Diolch" not in english


def test_confirmation_first_sends_nothing_before_the_click(pg_journey, smtp_server):
    set_campaign(require_confirmation=True)
    sent = send(pg_journey, write_letter(pg_journey))
    page = pg_journey.get(sent.headers["Location"])
    assert "Check your email to send your letter" in text(page)
    saved = db.session.scalar(select(Letter))
    assert saved.status == "awaiting_confirmation"
    send_letter_task.run(saved.id)
    (confirmation,) = smtp_server.wait_for(1)
    assert confirmation.rcpt_tos == ["jane.smith@example.com"]
    link = re.search(
        r"https://write\.example\.org(/c/test-campaign/confirm/\S+)",
        confirmation.message.get_content(),
    )[1]
    assert count(OutboundMessage, OutboundMessage.kind == "mp") == 0

    other_device = pg_journey.application.test_client()
    button_page = other_device.get(link)
    assert "Send my letter" in text(button_page)
    assert count(OutboundMessage, OutboundMessage.kind == "mp") == 0  # a GET never sends
    form = post_form(button_page)
    done = other_device.post(form["action"], data=form["fields"])
    assert "/sent/" in done.headers["Location"]
    other_device.post(form["action"], data=form["fields"])  # twice: still one letter
    send_letter_task.run(saved.id)
    mails = smtp_server.wait_for(3)
    assert [m.rcpt_tos[0] for m in mails[1:]] == [
        "rachel.blake.mp@parliament.uk",
        "jane.smith@example.com",
    ]


def test_expired_confirmation_links_are_refused_and_cleared(pg_journey):
    import time

    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from workers.tasks import housekeeping_task

    set_campaign(require_confirmation=True)
    send(pg_journey, write_letter(pg_journey))
    saved = db.session.scalar(select(Letter))

    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 8 * 86400

    token = URLSafeTimedSerializer(
        "test-secret-key", salt="confirm-letter", signer=EightDaysAgo
    ).dumps(saved.public_id)
    response = pg_journey.get(f"{URL}/confirm/{token}")
    assert response.status_code == 410 and "This link has expired" in text(response)
    assert pg_journey.get(f"{URL}/confirm/not-a-token").status_code == 404

    saved.submitted_at = saved.submitted_at.replace(year=2020)
    db.session.commit()
    assert housekeeping_task.run()["unconfirmed"] == 1
    assert count(Letter) == 0


def test_a_template_that_fails_for_one_mp_says_so_and_is_no_500(journey):
    """A branch on one MP's name is beyond the trial renders that the editor's save makes:
    if it cannot be written, that MP's constituents get a page that says it is the letter's
    mistake (503, in their language), and everyone else's letter is unaffected."""
    from action_app.models import Campaign

    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "test-campaign"))
    campaign.body_template += (
        "\n{% if mp.name == 'Rachel Blake' %}{{ supporter.postcode < 5 }}{% endif %}"
    )
    db.session.commit()
    registry_of(journey.application).clear_caches()
    mp_page = journey.get(f"{URL}/your-mp", query_string={"postcode": "SW1A 1AA"})
    link = unescape(re.search(r'href="(/c/test-campaign/write\?[^"]+)"', mp_page.text)[1])
    page = journey.get(link)
    assert page.status_code == 503
    assert title(page).startswith("Sorry, this letter cannot be shown just now")
    assert "not in anything you did" in text(page)
    welsh = journey.get(link + "&lang=cy")
    assert welsh.status_code == 503 and "Mae camgymeriad yn llythyr yr ymgyrch" in text(welsh)
    other = open_letter(journey, EXAMPLE_POSTCODES["scotland"])  # another MP's letter is fine
    assert other.status_code == 200
