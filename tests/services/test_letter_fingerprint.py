"""The words that make two letters "the same letter" (safeguards.LetterText): the supporter's
own details do not count, whatever their case; their own words do."""

from __future__ import annotations

from action_app.services.safeguards import LetterText

TEMPLATE = "Dear Rachel Blake,\n\nI live in {town}. Please attend the debate.\n\nYours, {name}"


def letter(name: str, town: str, personal: str = "", postcode: str = "SW1A 1AA") -> LetterText:
    body = TEMPLATE.format(town=town, name=name)
    return LetterText(body, personal, "", name, ("1 High Street", town), postcode)


def test_two_supporters_sending_the_template_send_the_same_letter():
    ada = letter("Ada Lovelace", "Camden")
    bob = letter("BOB JONES", "leeds", postcode="LS1 1UR")
    assert ada.fingerprint() == bob.fingerprint()
    assert "ada" not in ada.normalised() and "camden" not in ada.normalised()
    assert ada.normalised().startswith("dear rachel blake, i live in [you].")


def test_details_are_replaced_whatever_their_case_and_longest_first():
    text = LetterText("I am ADA LOVELACE of camden; ada to friends.", "", "", "Ada Lovelace",
                      ("Camden",), "NW1 1AA")  # fmt: skip
    assert text.normalised() == "i am [you] of [you]; [you] to friends."


def test_own_words_and_the_templates_placeholders():
    plain = letter("Ada Lovelace", "Camden")
    personal = letter("Ada Lovelace", "Camden", personal="My son is deaf.")
    assert plain.fingerprint() != personal.fingerprint()
    placeholder = LetterText("Yours, [your name]", "", "", "Ada", (), "")
    assert placeholder.normalised() == "yours, [you]"
    assert placeholder.length() == len("yours,")
