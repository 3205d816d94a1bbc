"""Letters written through the real pages, delivered by the real task code, for the stats tests."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Letter, OutboundMessage
from tests.html import post_form
from tests.journey import write_letter


def write_and_send(
    app: Flask,
    postcode: str,
    email: str,
    *,
    personal: str = "",
    opt_ins: tuple[str, ...] = (),
    source: str | None = None,
    no_reply_check: bool = False,
    **changes,
):
    """One supporter writes and sends a letter through the pages; returns the sent page."""
    client = app.test_client()
    params = {"source": source} if source else None
    check = write_letter(
        client,
        postcode,
        params=params,
        email=email,
        personal_paragraph=personal,
        opt_ins=list(opt_ins),
        **changes,
    )
    assert check.status_code == 302, check.get_data(as_text=True)[:2000]
    page = client.get(check.headers["Location"])
    form = post_form(page)
    fields = dict(form["fields"])
    if no_reply_check:
        fields["no_reply_check"] = "y"
    else:
        fields.pop("no_reply_check", None)
    response = client.post(form["action"], data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def deliver_all() -> dict:
    """Run the send task in this process for every letter with a message waiting."""
    from workers.tasks import send_letter_task

    ids = db.session.scalars(
        select(OutboundMessage.letter_id).where(OutboundMessage.status == "pending").distinct()
    ).all()
    db.session.commit()
    results: dict[str, int] = {}
    for action_id in ids:
        # .run: the task's own code in this app's context (calling the task would push the
        # context of whichever app made the current Celery app, maybe another test's).
        for key, value in send_letter_task.run(action_id).items():
            results[key] = results.get(key, 0) + value
    db.session.remove()
    return results


def letters() -> list[Letter]:
    return list(db.session.scalars(select(Letter).where(Letter.status != "draft")))
