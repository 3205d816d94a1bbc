"""Small counts never reveal a person (SPEC §8): what a group of supporters did beyond writing is
withheld when the group is too small to hide one of them.

What is protected, and from whom: an organiser knows some supporters by name (the opt-in export
gives name and postcode), and the figures can say more about them than that they wrote. Two
figures do: how many personalised their letter, and what they answered to the follow-up question
(did their MP reply?). Letter counts are shown as they are: they say only that letters were
written, which the campaign's public count already says.

The rule, for each of the two figures separately:

- primary: a group (a constituency, a party, a nation, a region, a source, or the whole
  campaign) with fewer than ``SMALLEST_GROUP`` people in its base (letters on their way for
  "personalised", answers for the replies) has the figure withheld;
- secondary: a group's figure is also shown as a total (a party is the sum of its seats, every
  breakdown sums to the whole campaign), so subtracting the shown rows from it would give the
  withheld rows' figure combined. Wherever the withheld rows of one total have fewer than
  ``SMALLEST_GROUP`` people between them, the next smallest row of that total is withheld too,
  until they have enough or none is left.

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


def protect(
    totals: list[list],
    seats: list,
    groupings: Iterable[Callable],
    made_of: dict[int, list] | None = None,
) -> None:
    """Withhold, in place, the figures of small groups among ``totals`` (lists of rows, each
    list summing to a figure that is shown) and of the seats within each of ``groupings`` (a
    seat's party, nation or region: rows shown as totals of seats; a key of None or "" puts a
    seat in none).

    ``made_of`` maps a shown total's row (by ``id``) to the seats it adds up. Rows about the same
    people are one figure however many tables show it (a nation with letters in one seat only
    is that seat; a party whose seats are all in one region is that region): withheld in one,
    it is withheld in all, or the other table would give it back."""
    lists = [rows for rows in totals if rows]
    groupings = list(groupings)
    made_of = made_of or {}
    for base, fields in _BASES.values():
        people = {id(row): base(row) for rows in lists for row in rows}
        withheld = {key for key, count in people.items() if too_few(count)}
        groups = lists + [
            group for key in groupings for group in _grouped(seats, key) if len(group) > 1
        ]
        twins = _twins(lists, made_of, people)
        while _widen(groups, people, withheld) | _join_twins(twins, withheld):
            pass
        for rows in lists:
            for row in rows:
                if id(row) in withheld:
                    for name in fields:
                        setattr(row, name, None)


def _twins(lists: list[list], made_of: dict[int, list], people: dict[int, int]) -> list[set]:
    """Rows, across every table, that count exactly the same people (by the seats with people
    in them), where there is more than one."""
    alike: dict[frozenset, set[int]] = defaultdict(set)
    for rows in lists:
        for row in rows:
            parts = made_of.get(id(row), [row])
            who = frozenset(id(s) for s in parts if people.get(id(s), 0) > 0)
            if who:
                alike[who].add(id(row))
    return [ids for ids in alike.values() if len(ids) > 1]


def _join_twins(twins: list[set], withheld: set[int]) -> bool:
    """Withhold every row about the same people as a withheld row. True if any was added."""
    added = False
    for ids in twins:
        if ids & withheld and not ids <= withheld:
            withheld |= ids
            added = True
    return added


def _grouped(rows: list, key: Callable) -> list[list]:
    groups: dict[str, list] = defaultdict(list)
    for row in rows:
        name = key(row)
        if name:  # a seat in no such total (a region outside England)
            groups[name].append(row)
    return list(groups.values())


def _widen(groups: list[list], people: dict[int, int], withheld: set[int]) -> bool:
    """In every total whose withheld rows are too few to hide one person among them, withhold
    its next smallest rows until they are not (or none is left). True if any row was added:
    that can leave another total short, so the caller goes round again."""
    added = False
    for rows in groups:
        hidden = sum(people[id(r)] for r in rows if id(r) in withheld)
        if not too_few(hidden):
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
