"""The page behind the "did your MP reply?" link: a GET only asks, the first POST records.

Mail scanners follow links, so opening the link never records anything. No sign-in: the signed
id in the link is the supporter's proof. A second POST (a double click, the back button) finds
the answer already recorded and says so.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from action_app.extensions import db
from action_app.i18n import in_language, language_of
from action_app.models import Campaign, Letter
from action_app.models.stats import ReplyAnswer
from action_app.models.statuses import Language
from action_app.stats.replies import check_for_token, record_answer
from action_app.stats.reply_text import text_for

bp = Blueprint("replies", __name__)


@bp.route("/reply/<token>", methods=["GET", "POST"])
def answer(token: str):
    check = check_for_token(token)
    if check is None:
        return render_template("errors/not_found.html"), 404
    letter = db.session.get(Letter, check.letter_id)
    # The page is in the language the letter was written in, whatever the link says.
    with in_language(letter.language):
        return _answer(check, letter, token)


def _answer(check, letter: Letter, token: str):
    campaign = db.session.get(Campaign, check.campaign_id)
    version = (campaign.translations or {}).get(language_of(letter.language).value) or {}
    words = text_for(letter.language)
    context = {
        "check": check,
        "letter": letter,
        "campaign": campaign,
        "words": words,
        "campaign_title": version.get("title") or campaign.title,
        "answers": list(ReplyAnswer),
        "token": token,
        "lang": None if language_of(letter.language) == Language.EN else letter.language,
    }
    if check.answer is not None:
        return render_template("stats/reply_done.html", already=True, **context)
    chosen = request.values.get("answer", "")
    if request.method == "POST":
        if chosen not in {a.value for a in ReplyAnswer}:
            return render_template("stats/reply.html", error=words["choose"], **context), 400
        recorded = record_answer(check, ReplyAnswer(chosen))
        db.session.commit()
        return render_template("stats/reply_done.html", already=not recorded, **context)
    return render_template("stats/reply.html", chosen=chosen, error=None, **context)
