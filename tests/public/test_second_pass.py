"""The public journey's second pass, without a browser: embeds and who may frame them, letters
the supporter sends themselves (own email, or by post), the sent page's status, sharing tags,
the goal, organisations, hints, help pages, and the form state exposed to assistive technology."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select, update

from action_app.extensions import db
from action_app.models import Letter, Member, OutboundMessage
from action_app.models.types import utcnow
from action_app.public.template_helpers import letter_hint, rows_for
from action_app.services.campaign_cache import campaign_snapshot
from action_app.services.campaigns import CampaignInvalid, get_campaign, parse_campaign_document
from action_app.services.partner_kit import PartnerKitError, partner_kit
from action_app.services.self_send import supporter_sent_counts
from tests.conftest import CAMPAIGN_DOCUMENT
from tests.drafts import write_parked_drafts
from tests.fakes import EXAMPLE_POSTCODES
from tests.html import forms, post_form, text, title
from tests.journey import fill, open_letter, write_letter
from tests.public.conftest import set_campaign

URL = "/c/test-campaign"
PARTNER = "https://partner.example"


def csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in policy.split(";"))}


# Embeds


def test_an_embed_may_be_framed_only_by_the_sites_its_campaign_lists(journey):
    refused = journey.get("/embed/test-campaign")
    assert csp(refused)["frame-ancestors"] == "frame-ancestors 'none'"
    assert refused.headers["X-Frame-Options"] == "DENY"

    set_campaign(embed_origins=[PARTNER, "https://other.example/"])
    allowed = journey.get("/embed/test-campaign?source=partner-9")
    assert allowed.status_code == 200
    assert csp(allowed)["frame-ancestors"] == (
        "frame-ancestors https://partner.example https://other.example"
    )
    assert "X-Frame-Options" not in allowed.headers
    html = allowed.get_data(as_text=True)
    assert '<input type="hidden" name="source" value="partner-9">' in html
    # The journey stays in the frame: no form or link sends it to the top window.
    assert 'target="_top"' not in html and "embed-frame.js" in html
    assert '<input type="hidden" name="embed" value="1">' in html
    # Every other page still refuses every frame.
    for path in (URL, "/privacy", "/help"):
        page = journey.get(path)
        assert csp(page)["frame-ancestors"] == "frame-ancestors 'none'", path
        assert page.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "origin",
    [
        "https://a.example;script-src *",
        "https://*.example",
        "http://partner.example",
        "https://partner.example/page",
        "https://user@partner.example",
        "javascript:alert(1)",
        "https://partner .example",
        "'self'",
    ],
)
def test_a_campaign_cannot_widen_frame_ancestors(origin):
    with pytest.raises(CampaignInvalid, match="embed_origins"):
        parse_campaign_document({**CAMPAIGN_DOCUMENT, "embed_origins": [origin]})


def test_letters_through_an_embed_carry_the_partner_code(journey):
    set_campaign(embed_origins=[PARTNER])
    embed = journey.get("/embed/test-campaign?source=partner-9").get_data(as_text=True)
    action = unescape(re.search(r'<form method="get" action="([^"]+)"', embed)[1])
    mp_page = journey.get(
        action.split("?")[0],
        query_string={"postcode": "SW1A 1AA", "source": "partner-9", "embed": "1"},
    )
    link = unescape(re.search(r'href="(/c/test-campaign/write\?[^"]+)"', mp_page.text)[1])
    page = journey.get(link)
    form_action, fields = fill(page)
    journey.post(form_action, data=fields)
    write_parked_drafts()
    assert db.session.scalar(select(Letter.source)) == "partner-9"


def test_the_whole_journey_stays_in_the_frame_without_a_cookie(any_app, fake_members):
    """Inside a partner's iframe the browser sends no cookie: every step works without one,
    each allows only the campaign's partner sites to frame it, and the partner's code stays."""
    from tests.conftest import prepare_journey

    prepare_journey(any_app)
    set_campaign(embed_origins=[PARTNER])
    browser = any_app.test_client(use_cookies=False)
    framed = "frame-ancestors https://partner.example"
    embed = browser.get("/embed/test-campaign?source=partner-9")
    form = next(f for f in forms(embed) if f["method"] == "get")
    assert form["fields"]["embed"] == "1" and form["fields"]["source"] == "partner-9"
    # A GET form's fields replace its action's query, as a browser does.
    mp_page = browser.get(
        unescape(form["action"]).split("?")[0],
        query_string={**form["fields"], "postcode": "SW1A 1AA"},
    )
    assert csp(mp_page)["frame-ancestors"] == framed and "X-Frame-Options" not in mp_page.headers
    assert 'class="embed' in mp_page.text and "embed-frame.js" in mp_page.text
    link = unescape(re.search(r'href="(/c/test-campaign/write\?[^"]+)"', mp_page.text)[1])
    assert "embed=1" in link and "source=partner-9" in link
    page = browser.get(link)
    assert csp(page)["frame-ancestors"] == framed
    action, fields = fill(page)
    saved = browser.post(action, data=fields)
    assert saved.status_code == 302, saved.text[:3000]
    check_url = saved.headers["Location"]
    assert "embed=1" in check_url and "own=" in check_url
    check_page = browser.get(check_url)
    assert check_page.status_code == 200 and csp(check_page)["frame-ancestors"] == framed
    # "Change your letter" opens the draft again, in the frame, with what was typed.
    change = unescape(
        re.search(r'href="(/c/test-campaign/write\?[^"]*draft=[^"]+)"', check_page.text)[1]
    )
    assert "own=" in change and "embed=1" in change
    again = browser.get(change)
    assert post_form(again)["fields"]["email"] == fields["email"]
    send = post_form(check_page)
    sent = browser.post(unescape(send["action"]), data=send["fields"])
    assert sent.status_code == 302 and "own=" in sent.headers["Location"]
    sent_page = browser.get(sent.headers["Location"])
    assert sent_page.status_code == 200 and csp(sent_page)["frame-ancestors"] == framed
    assert "Your letter is on its way" in text(sent_page)
    letter = db.session.scalar(select(Letter))
    assert (letter.source, letter.status) == ("partner-9", "confirmed")

    # The token is the only key: without it, or with another letter's, the letter is not shown.
    bare = re.sub(r"&?own=[^&]+", "", check_url)
    assert browser.get(bare).status_code == 404
    other = re.sub(
        r"own=[^&]+", "own=" + re.search(r"own=([^&]+)", check_url)[1][:-2] + "xx", check_url
    )
    assert browser.get(other).status_code == 404
    # Outside a frame the same page still wants the session, and refuses every frame.
    outside = browser.get(sent.headers["Location"].replace("embed=1", "embed=0"))
    assert outside.status_code == 404
    assert csp(outside)["frame-ancestors"] == "frame-ancestors 'none'"


def test_a_letters_id_alone_never_becomes_its_framed_token(journey, any_app):
    """Someone with only a letter's address (browser history on a shared computer, a pasted
    link) opens it framed: the page says it is not found, and none of its links (the language
    switch rebuilds this very URL) carries a token for that letter, so its check page, its
    details and its Send stay out of reach."""
    from tests.journey import write_letter

    check_url = write_letter(journey).headers["Location"].split("?")[0]
    stranger = any_app.test_client(use_cookies=False)
    missing = stranger.get(check_url, query_string={"embed": "1"})
    assert missing.status_code == 404
    assert "own=" not in missing.text
    assert stranger.get(check_url, query_string={"embed": "1", "lang": "cy"}).status_code == 404
    for path in (check_url, check_url.replace("/check/", "/sent/")):
        assert "own=" not in stranger.get(path, query_string={"embed": "1"}).text


def test_the_partner_kit(journey):
    set_campaign(embed_origins=[PARTNER])
    campaign = campaign_snapshot(get_campaign("test-campaign"))
    kit = partner_kit(campaign, "partner-9", "https://write.example.org", PARTNER)
    assert kit.links["campaign"] == "https://write.example.org/c/test-campaign?source=partner-9"
    assert kit.links["embed"] == "https://write.example.org/embed/test-campaign?source=partner-9"
    assert 'src="https://write.example.org/embed/test-campaign?source=partner-9"' in kit.snippet
    assert 'src="https://write.example.org/static/embed.js"' in kit.snippet
    assert 'title="Save the test library"' in kit.snippet
    assert kit.snippet in kit.preview_html and not kit.warnings
    elsewhere = partner_kit(campaign, "p", "https://write.example.org", "https://nope.example")
    assert "not in the campaign's embed_origins" in elsewhere.warnings[0]
    with pytest.raises(PartnerKitError):
        partner_kit(campaign, '"><script>', "https://write.example.org")


def test_the_partner_kit_command(app, journey, tmp_path):
    set_campaign(embed_origins=[PARTNER])
    preview = tmp_path / "preview.html"
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["campaigns", "partner-kit", "test-campaign", "partner-9", "--preview", str(preview)]
    )
    assert result.exit_code == 0, result.output
    assert "<iframe data-action-embed" in result.output
    assert "/c/test-campaign?source=partner-9" in result.output
    assert "<iframe" in preview.read_text()
    bad = runner.invoke(args=["campaigns", "partner-kit", "test-campaign", "bad code!"])
    assert bad.exit_code != 0 and "source code" in bad.output
    missing = runner.invoke(args=["campaigns", "partner-kit", "nope", "p"])
    assert missing.exit_code != 0 and "No campaign" in missing.output


# Sending it yourself


def to_check(journey, postcode=EXAMPLE_POSTCODES["england"], **changes):
    response = write_letter(journey, postcode, **changes)
    assert response.status_code == 302, text(response)
    return journey.get(response.headers["Location"])


def press(journey, page, button_path: str):
    """Press the button of the page's POST form whose action ends with ``button_path``."""
    form = next(f for f in forms(page) if (f["action"] or "").endswith(button_path))
    return journey.post(unescape(form["action"]), data=form["fields"])


def test_send_it_yourself_opens_the_letter_in_the_supporters_email_app(journey):
    check = to_check(journey, personal_paragraph="I read there & learn.")
    response = press(journey, check, "/send-yourself")
    assert response.status_code == 302 and "/sent/" in response.headers["Location"]
    sent = journey.get(response.headers["Location"])
    assert title(sent).startswith("Send your letter from your own email")
    mailto = unescape(re.search(r'href="(mailto:[^"]+)"', sent.text)[1])
    to, _, query = mailto[len("mailto:") :].partition("?")
    assert to == "rachel.blake.mp@parliament.uk"
    params = dict(part.split("=", 1) for part in query.split("&"))
    assert unquote(params["subject"]) == (
        "A constituent in Cities of London and Westminster on the library"
    )
    body = unquote(params["body"])
    assert body.startswith("Jane Smith\r\n12 High Street\r\nLondon\r\nSW1A 1AA\r\n\r\nDear Rachel")
    assert "I read there & learn." in body
    action = db.session.scalar(select(Letter))
    assert (action.status, action.sent_by) == ("confirmed", "supporter_email")
    assert not action.messages  # the platform sends nothing, not even a receipt
    assert supporter_sent_counts(action.campaign_id) == {
        "supporter_email": 1,
        "supporter_post": 0,
    }
    assert "1 person has written to their MP" in text(sent)
    # Pressing again (back button) sends nothing and changes nothing.
    again = press(journey, check, "/send-yourself")
    assert again.status_code == 302
    assert db.session.scalar(select(Letter.sent_by)) == "supporter_email"


def test_a_second_letter_sent_yourself_to_the_same_mp_is_refused_kindly(journey):
    press(journey, to_check(journey), "/send-yourself")
    second = press(journey, to_check(journey), "/send-yourself")
    assert title(second).startswith("You have already written to Rachel Blake")


def test_an_mp_without_email_gets_a_printable_letter_counted_as_posted(journey):
    check = to_check(journey, EXAMPLE_POSTCODES["no_email_mp"])
    assert title(check).startswith("Check your letter before you post it")
    assert "House of Commons" in text(check) and "SW1A 0AA" in text(check)
    assert "Send letter" not in text(check)
    sent = journey.get(press(journey, check, "/send-yourself").headers["Location"])
    assert title(sent).startswith("Print and post your letter")
    assert 'id="printed-letter"' in sent.text and "print.css" in sent.text
    action = db.session.scalar(select(Letter))
    assert (action.sent_by, action.recipient_email, action.messages) == ("supporter_post", "", [])


def test_a_letter_by_post_cannot_be_sent_by_the_platform(journey):
    check = to_check(journey, EXAMPLE_POSTCODES["no_email_mp"])
    public_id = check.request.path.rsplit("/", 1)[1]
    token = post_form(check)["fields"]["csrf_token"]
    # Even a forged press of the email "Send letter" button goes nowhere near the mail queue.
    journey.post(f"{URL}/check/{public_id}", data={"csrf_token": token})
    assert not db.session.scalars(select(OutboundMessage)).all()
    write_parked_drafts()  # still parked in Redis, as Continue left it
    assert db.session.scalar(select(Letter.status)) == "draft"


# The sent page follows the letter


def status_of(journey, sent_url):
    return journey.get(sent_url + "/status").get_json()


def test_the_sent_page_and_its_status_follow_the_letter(journey):
    check = to_check(journey)
    sent_url = journey.post(post_form(check)["action"], data=post_form(check)["fields"]).headers[
        "Location"
    ]
    assert status_of(journey, sent_url)["state"] == "sending"
    assert status_of(journey, sent_url)["finished"] is False
    assert "data-status-url" in journey.get(sent_url).text

    later = utcnow() + timedelta(hours=2)
    db.session.execute(update(OutboundMessage).values(next_attempt_at=later))
    db.session.commit()
    assert status_of(journey, sent_url)["state"] == "scheduled"
    assert "It will be delivered to Rachel Blake at about" in text(journey.get(sent_url))

    db.session.execute(update(OutboundMessage).values(status="sent", sent_at=utcnow()))
    db.session.commit()
    status = status_of(journey, sent_url)
    assert (status["state"], status["words"], status["finished"]) == (
        "delivered",
        "Delivered",
        True,
    )
    assert title(journey.get(sent_url)).startswith("Your letter has been delivered")

    db.session.execute(update(OutboundMessage).values(status="failed", last_error="550 no"))
    db.session.commit()
    assert status_of(journey, sent_url)["state"] == "failed"
    # Another browser cannot ask about this letter.
    other = journey.application.test_client()
    assert other.get(sent_url + "/status").status_code == 404


# What the campaign page says and shows


def test_sharing_tags_goal_and_organisations(journey):
    set_campaign(
        goal=400,
        share_image_url="https://cdn.example/share.png",
        organisations=[
            {
                "slug": "friends",
                "name": "Friends of the Library",
                "logo_url": "https://cdn.example/f.png",
            }
        ],
    )
    page = journey.get(URL)
    html = page.text
    assert '<meta property="og:title" content="Save the test library">' in html
    assert '<meta property="og:description" content="Ask your MP to save it.">' in html
    assert '<meta property="og:image" content="https://cdn.example/share.png">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert '<progress class="progress" max="400" value="0"' in html
    assert "The goal is 400 letters" in text(page)
    assert '<img class="organisation-list__logo" src="https://cdn.example/f.png" alt=""' in html
    assert csp(page)["img-src"] == "img-src 'self' https://cdn.example"
    assert "public, max-age=" in page.headers["Cache-Control"]  # still cacheable


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"goal": -5}, "goal"),
        ({"goal": "many"}, "goal"),
        ({"share_image_url": "http://cdn.example/a.png"}, "share_image_url"),
        ({"share_image_url": "javascript:alert(1)"}, "share_image_url"),
        ({"organisations": [{"slug": "a", "name": "A", "logo_url": "data:x"}]}, "logo_url"),
    ],
)
def test_campaign_document_refuses_bad_goal_images_and_logos(changes, problem):
    with pytest.raises(CampaignInvalid, match=problem):
        parse_campaign_document({**CAMPAIGN_DOCUMENT, **changes})


def test_westminster_hall_is_explained_where_a_campaign_mentions_it(journey):
    assert "Westminster Hall is" not in text(journey.get(URL))
    set_campaign(summary="MPs will debate this in Westminster Hall.")
    assert "Westminster Hall is" in text(journey.get(URL))


# The letter page


def test_the_hint_explains_only_the_tokens_the_letter_has(journey):
    hint = text(open_letter(journey))
    assert "[your name] with the name you give below" in hint
    assert "[your address]" not in hint  # this letter has no address token
    assert letter_hint("Dear MP,\n\nThanks") == "You can change any of the words."
    assert "[your address] with the address you give below" in letter_hint("[your address]")


def test_text_boxes_are_tall_enough_for_their_text_without_javascript(journey):
    html = open_letter(journey).text
    assert re.search(r'<textarea[^>]*id="body_before"[^>]*rows="(\d+)"', html)
    assert rows_for("one line") == 3
    assert rows_for("\n".join(["line"] * 20)) == 21
    assert rows_for("x" * 600) == 11


def test_field_state_for_assistive_technology(journey):
    page = open_letter(journey)
    html = page.text
    consent = re.search(r"<input[^>]*id=\"consent\"[^>]*>", html)[0]
    assert "required" not in consent.replace('aria-required="true"', "")
    assert 'aria-required="true"' in consent and "aria-invalid" not in html
    for field in ("subject", "body_before", "name", "email", "town"):
        tag = re.search(rf'<(?:input|textarea)[^>]*id="{field}"[^>]*>', html)[0]
        assert 'aria-required="true"' in tag, field
    form_action, fields = fill(page, name=None, consent=None)
    errors = journey.post(form_action, data=fields).text
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="name"', errors)
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="consent"', errors)
    assert not re.search(r'<input[^>]*aria-invalid="true"[^>]*id="email"', errors)
    assert 'data-maxlength="3000"' in errors  # the character count survives an error


def test_help_and_accessibility_pages_and_the_get_help_link_on_every_page(journey):
    for path in (URL, "/", "/privacy", "/help", "/accessibility", "/no-such-page"):
        header = journey.get(path).text.split("</header>")[0]
        assert '<a href="/help" class="site-header__help">Get help</a>' in header, path
    assert title(journey.get("/accessibility")).startswith("Accessibility statement")
    assert "Contact us" in text(journey.get("/help"))
    privacy = text(journey.get("/privacy"))
    assert "The data controller is" in privacy and "action@write.example.org" in privacy


# MPs' photos


def test_mp_photos_are_fetched_at_sync_time_and_served_by_us(journey):
    from action_app.registry import registry_of
    from action_app.services.mp_photos import sync_photos
    from tests.fakes.members_api import THUMBNAIL_PNG

    before = journey.get(f"{URL}/your-mp", query_string={"postcode": "SW1A 1AA"}).text
    assert "mp-card__photo" not in before  # no photo yet: no broken image either
    app = journey.application
    client = registry_of(app).members_api()
    try:
        current = db.session.scalar(select(func.count()).where(Member.is_current.is_(True)))
        assert sync_photos(client) == current > 0
        db.session.commit()
        assert sync_photos(client) == 0  # nothing new or changed: nothing fetched again
    finally:
        client.close()
    registry_of(app).clear_caches()
    page = journey.get(f"{URL}/your-mp", query_string={"postcode": "SW1A 1AA"}).text
    img = re.search(r'<img class="mp-card__photo" src="([^"]+)" alt=""', page)
    assert img, page
    served = journey.get(img[1])
    assert served.status_code == 200 and served.data == THUMBNAIL_PNG
    assert served.headers["Content-Type"] == "image/png"
    assert "max-age" in served.headers["Cache-Control"]
    assert journey.get("/mp-photos/999999").status_code == 404


def test_the_mp_pages_of_many_seats_ask_which_mps_have_photos_once(journey):
    """Nearly every lookup renders a page (postcodes rarely repeat), and each page asks whether
    its MP has a photo: one query answers for every MP until the minute is up, and a photo
    stored meanwhile shows once it is (or the caches are cleared)."""
    from sqlalchemy import event

    from action_app.models import MemberPhoto
    from action_app.registry import registry_of
    from action_app.services import mp_photos

    app = journey.application
    first, second = "SW1A 1AA", EXAMPLE_POSTCODES["wales"]
    journey.get(f"{URL}/your-mp", query_string={"postcode": first})  # the lookups, learned
    journey.get(f"{URL}/your-mp", query_string={"postcode": second})
    registry_of(app).clear_caches()
    photo_queries = []

    def seen(conn, cursor, statement, *rest):
        if "member_photos" in statement:
            photo_queries.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        for postcode in (first, second, first):
            registry_of(app).page_cache.clear()
            page = journey.get(f"{URL}/your-mp", query_string={"postcode": postcode}).text
            assert "mp-card__photo" not in page
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert len(photo_queries) == 1
    member_id = db.session.scalar(select(Member.id).where(Member.display_name == "Rachel Blake"))
    db.session.add(MemberPhoto(member_id=member_id, content_type="image/png", data=b"x"))
    db.session.commit()
    with app.app_context():
        assert not mp_photos.has_photo(member_id)  # within the minute: the kept answer
        registry_of(app).clear_caches()
        assert mp_photos.has_photo(member_id)
    page = journey.get(f"{URL}/your-mp", query_string={"postcode": first}).text
    assert "mp-card__photo" in page


def test_the_receipt_says_what_happens_next_and_shares_with_its_own_source(journey):
    from action_app.models import Campaign
    from action_app.services import emails

    letter = Letter(
        id=7,
        supporter_name="Jane Smith",
        supporter_email="jane@example.org",
        address_line_1="1 Road",
        address_line_2="",
        town="London",
        postcode="SW1A 1AA",
        recipient_name="Rachel Blake",
        recipient_email="mp@parliament.uk",
        subject="The library",
        body_before="Dear MP,",
        personal_paragraph="",
        body_after="Yours,",
    )
    settings = journey.application.config["SETTINGS"]
    receipt = emails.build_receipt(
        OutboundMessage(id=1, letter_id=7, kind="receipt"),
        letter,
        Campaign(slug="test-campaign", title="Save the test library"),
        settings,
    ).get_content()
    assert "What happens next" in receipt and "usually replies within a few weeks" in receipt
    assert f"{settings.public_base_url}/c/test-campaign?source=share-receipt" in receipt
    assert "Subject: The library\n" in receipt  # the subject as sent, nothing added


@pytest.mark.parametrize(
    ("address_as", "greeting"),
    [("Dr Sam Jones", "Dear Dr Sam Jones,"), (None, "Dear Sam Jones MP,")],
)
def test_the_greeting_uses_name_address_as_where_given_else_the_name(address_as, greeting):
    from action_app.clients.members_api import ApiMember
    from action_app.services.members_sync import _seat_for

    member = ApiMember(
        id=1, display_name="Sam Jones MP", list_name=None, full_title="Sam Jones MP",
        address_as=address_as, party_name=None, party_abbreviation=None, party_colour=None,
        constituency_name="Exampleton", constituency_id=None, thumbnail_url=None,
    )  # fmt: skip
    record = _seat_for(member, "sam@parliament.uk").member
    assert f"Dear {record.address_as}," == greeting
