"""Small counts never reveal a person (SPEC §8): what a group of supporters did beyond writing is
withheld when the group is too small to hide one of them.

What is protected, and from whom: an organiser knows some supporters by name (the opt-in export
gives name and postcode), and the figures can say more about them than that they wrote. Two
figures do: how many personalised their letter, and what they answered to the follow-up question
(did their MP reply?). Letter counts are shown as they are: they say only that letters were
written, which the campaign's public count already says.

Which groups show them: the campaign, each party and each constituency. These form one tree
(seats add up to their party, parties to the campaign), and in a tree the rule below leaves
nothing to subtract. Nations and English regions never show them: a nation cuts across parties,
and two crossing splits can be subtracted from each other down to a few people whatever each
table withholds on its own (Scotland minus the one seat of a party that sits in Scotland alone,
say). Sources do not either: the counters never split these figures by source.

The rule, for each of the two figures separately:

- primary: a group with fewer than ``SMALLEST_GROUP`` people in its base (letters on their way
  for "personalised", answers for the replies) has the figure withheld;
- secondary: a group's figure is also shown as a total of the rows under it (a party of its
  seats, the campaign of its parties), so subtracting the shown rows from it gives the
  withheld ones combined. Wherever the withheld rows under one total have fewer than
  ``SMALLEST_GROUP`` people between them, the next smallest row under it is withheld too, until
  they have enough or none is left. A withheld total (a party withheld so that the campaign's
  total does not give back a smaller one) also needs rows withheld under it: were all its seats
  shown, they would add up to it. Whatever can then be worked out is a sum of such withheld
  sets, each about nobody or at least ``SMALLEST_GROUP`` people.

A withheld figure is ``None``: pages say "withheld", CSVs "withheld" and the API ``null``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

SMALLEST_GROUP = 5
WITHHELD = "withheld"

# figure -> (the people it is about, the fields withheld with it)
_BASES: dict[str, tuple[Callable, tuple[str, ...]]] = {
    "personalised": (lambda row: row.queued, ("personalised",)),
    "replies": (lambda row: row.answered, ("replied", "not_yet", "acknowledgement")),
}


def too_few(people: int) -> bool:
    """Fewer people than a figure about them may describe (none at all hides nobody)."""
    return 0 < people < SMALLEST_GROUP


def protect(total, parties: list, seats: list, party_of: Callable) -> None:
    """Withhold, in place, the figures of small groups in the tree: ``total`` (the campaign)
    over ``parties`` over their ``seats`` (``party_of`` names a seat's party row)."""
    by_party = {row.key: row for row in parties}
    families = [(total, parties)] + [
        (by_party[party_of(group[0])], group) for group in _grouped(seats, party_of)
    ]
    rows = [total, *parties, *seats]
    for base, fields in _BASES.values():
        people = {id(row): base(row) for row in rows}
        withheld = {id(row) for row in rows if too_few(people[id(row)])}
        while _widen(families, people, withheld):
            pass
        for row in rows:
            if id(row) in withheld:
                _withhold(row, fields)


def withhold_everywhere(rows: Iterable) -> None:
    """A breakdown outside the tree (nations and regions cross it; sources are not counted
    for these figures): none of its rows shows either figure, however large."""
    for row in rows:
        for _, fields in _BASES.values():
            _withhold(row, fields)


def _withhold(row, fields: tuple[str, ...]) -> None:
    for name in fields:
        setattr(row, name, None)


def _grouped(rows: list, key: Callable) -> list[list]:
    groups: dict[str, list] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return list(groups.values())


def _widen(families: list[tuple], people: dict[int, int], withheld: set[int]) -> bool:
    """Under every total, withhold the next smallest rows while the withheld ones hold too
    few people to hide one of them, or (the total itself withheld) none at all: the rows
    under a withheld total must not add back up to it. True if any row was added (a newly
    withheld total asks this of the rows under it), so the caller goes round again."""
    added = False
    for parent, rows in families:
        hidden = sum(people[id(r)] for r in rows if id(r) in withheld)
        if not too_few(hidden) and not (hidden == 0 and id(parent) in withheld):
            continue
        shown = sorted(
            (r for r in rows if id(r) not in withheld and people[id(r)] > 0),
            key=lambda r: (people[id(r)], r.key),
        )
        for row in shown:
            withheld.add(id(row))
            hidden += people[id(row)]
            added = True
            if not too_few(hidden):
                break
    return added


def withheld_figures(personalised: int | None, answered: int | None) -> list[str]:
    """The figures withheld from a row or the headline, by name: "personalised", "replies"."""
    return [name for name, value in (("personalised", personalised), ("replies", answered))
            if value is None]  # fmt: skip
