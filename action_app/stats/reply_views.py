"""The page behind the "did your MP reply?" link: a GET only asks, the first POST records.

Mail scanners follow links, so opening the link never records anything. No sign-in: the signed
id in the link is the supporter's proof. A second POST (a double click, the back button) finds
the answer already recorded and says so.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from action_app.extensions import db
from action_app.models import Campaign, Letter
from action_app.models.stats import ReplyAnswer
from action_app.stats.replies import check_for_token, record_answer
from action_app.stats.reply_text import text_for

bp = Blueprint("replies", __name__)


@bp.route("/reply/<token>", methods=["GET", "POST"])
def answer(token: str):
    check = check_for_token(token)
    if check is None:
        return render_template("errors/not_found.html"), 404
    letter = db.session.get(Letter, check.letter_id)
    campaign = db.session.get(Campaign, check.campaign_id)
    words = text_for(check.language)
    context = {"check": check, "letter": letter, "campaign": campaign, "words": words,
               "answers": list(ReplyAnswer), "token": token}
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
