"""``import_members_csv``: the directory from a CSV with the columns of the DfE's mp_lookup.csv."""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable
from typing import TextIO

from email_validator import EmailNotValidError, validate_email

from action_app.inputs import database_id
from action_app.services.directory import (
    DirectorySummary,
    MemberRecord,
    SeatRecord,
    apply_directory,
)

REQUIRED_COLUMNS = (
    "pcon_code",
    "pcon_name",
    "member_id",
    "display_as",
    "full_title",
    "party_text",
    "member_email",
)
VACANT = "vacant"
NO_EMAIL = {"", "no email found", "none", "n/a"}
GSS_CONSTITUENCY = re.compile(r"^[ENSW]\d{8}$")
MAX_REPORTED = 25


class CsvImportError(Exception):
    """The file cannot be imported; ``problems`` lists each one with its line number."""

    def __init__(self, problems: list[str]):
        shown = problems[:MAX_REPORTED]
        more = len(problems) - len(shown)
        text = "\n".join(shown) + (f"\n… and {more} more problems." if more > 0 else "")
        super().__init__(text)
        self.problems = problems


def import_members_csv(stream: TextIO) -> DirectorySummary:
    """Check every row first, then apply the file as the whole directory (the caller commits)."""
    records = parse_members_csv(stream)
    return apply_directory(records, "csv")


def parse_members_csv(stream: Iterable[str]) -> list[SeatRecord]:
    """Parse and check the whole file; raise CsvImportError with every problem found."""
    lines = iter(stream)
    first = next(lines, "").lstrip("\ufeff")  # a byte-order mark, if the file was read without
    reader = csv.DictReader(itertools.chain([first], lines))
    header = [(name or "").strip() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        found = ", ".join(header) if header else "nothing"
        raise CsvImportError(
            [f"Line 1: missing column(s) {', '.join(missing)} (the header has {found})."]
        )
    reader.fieldnames = header
    records: list[SeatRecord] = []
    problems: list[str] = []
    seen_codes: dict[str, int] = {}
    seen_members: dict[int, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            record, row_problems = _parse_row(row)
            if record:
                row_problems += _duplicates(record, line, seen_codes, seen_members)
            problems += [f"Line {line}: {p}" for p in row_problems]
            if record and not row_problems:
                records.append(record)
    except csv.Error as exc:
        problems.append(f"Line {reader.line_num}: the file is not valid CSV ({exc}).")
    if not records and not problems:
        problems.append("The file has a header but no rows.")
    if problems:
        raise CsvImportError(problems)
    return records


def _parse_row(row: dict) -> tuple[SeatRecord | None, list[str]]:
    value = {name: (row.get(name) or "").strip() for name in REQUIRED_COLUMNS}
    problems = []
    if None in row:
        problems.append("more values than there are columns")
    if not GSS_CONSTITUENCY.match(value["pcon_code"]):
        problems.append(f"pcon_code {value['pcon_code']!r} is not a constituency GSS code")
    if not value["pcon_name"]:
        problems.append("pcon_name is empty")
    if value["member_id"].lower() == VACANT:
        return (
            SeatRecord(value["pcon_name"], None, gss_code=value["pcon_code"]),
            problems,
        )
    member_id = database_id(value["member_id"])
    if member_id is None:
        problems.append(f"member_id {value['member_id']!r} is neither a number nor 'Vacant'")
    for name in ("display_as", "full_title"):
        if not value[name]:
            problems.append(f"{name} is empty")
    email = None
    if value["member_email"].lower() not in NO_EMAIL:
        try:
            email = validate_email(value["member_email"], check_deliverability=False).normalized
        except EmailNotValidError as exc:
            problems.append(
                f"member_email {value['member_email']!r} is not an email address: {exc}"
            )
    if problems:
        return None, problems
    member = MemberRecord(
        id=member_id,
        display_name=value["display_as"],
        full_title=value["full_title"],
        address_as=value["display_as"],
        party_name=value["party_text"] or None,
        email=email,
    )
    return SeatRecord(value["pcon_name"], member, gss_code=value["pcon_code"]), []


def _duplicates(
    record: SeatRecord, line: int, seen_codes: dict[str, int], seen_members: dict[int, int]
) -> list[str]:
    problems = []
    code = record.gss_code or ""
    if code in seen_codes:
        problems.append(f"pcon_code {code} was already on line {seen_codes[code]}")
    seen_codes.setdefault(code, line)
    if record.member:
        if record.member.id in seen_members:
            problems.append(
                f"member_id {record.member.id} was already on line {seen_members[record.member.id]}"
            )
        seen_members.setdefault(record.member.id, line)
    return problems
