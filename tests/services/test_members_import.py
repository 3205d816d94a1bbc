"""``import_members_csv``: the DfE column format, every row checked, all or nothing."""

import io

import pytest
from sqlalchemy import func, select

from action_app.extensions import db
from action_app.models import Constituency, Member
from action_app.registry import registry_of
from action_app.services.members_import import CsvImportError, import_members_csv
from action_app.services.members_sync import sync_members

HEADER = (
    '"pcon_name","pcon_code","member_id","full_title","display_as","party_text",'
    '"member_email","region_name","country_name"\n'
)
GOOD_ROWS = [
    '"Aldershot","E14001063","5173","Alex Baker MP","Alex Baker","Labour",'
    '"alex.baker.mp@parliament.uk","South East","England"\n',
    '"Ynys Môn","W07000112","5085","Llinos Medi MP","Llinos Medi","Plaid Cymru",'
    '"llinos.medi.mp@parliament.uk","","Wales"\n',
    '"West Tyrone","N05000018","4697","Órfhlaith Begley MP","Órfhlaith Begley","Sinn Féin",'
    '"No email found","","Northern Ireland"\n',
    '"Runcorn and Helsby","E14001455","Vacant","Vacant","Vacant","Vacant","Vacant","North West",'
    '"England"\n',
]


def import_text(text):
    try:
        summary = import_members_csv(io.StringIO(text))
        db.session.commit()
        return summary
    except Exception:
        db.session.rollback()
        raise


def count_members():
    return db.session.scalar(select(func.count(Member.id)))


def test_a_good_file_is_imported(any_app):
    summary = import_text("\ufeff" + HEADER + "".join(GOOD_ROWS))
    assert summary.added == 3
    assert summary.vacant == ["Runcorn and Helsby"]
    assert summary.without_email == ["Órfhlaith Begley (West Tyrone)"]
    ynys_mon = db.session.scalar(select(Constituency).where(Constituency.gss_code == "W07000112"))
    assert ynys_mon.name == "Ynys Môn" and ynys_mon.nation == "Wales"
    begley = db.session.get(Member, 4697)
    assert begley.email is None and begley.party_name == "Sinn Féin"


def test_a_missing_column_is_named_and_nothing_is_imported(any_app):
    header = HEADER.replace(',"member_email"', "")
    rows = [row.replace(',"alex.baker.mp@parliament.uk"', "") for row in GOOD_ROWS[:1]]
    with pytest.raises(CsvImportError) as caught:
        import_text(header + "".join(rows))
    assert "Line 1: missing column(s) member_email" in str(caught.value)
    assert count_members() == 0


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(any_app):
    rows = [
        GOOD_ROWS[0],
        '"Nowhere","X123","5001","A MP","A","Labour","a@parliament.uk","",""\n',
        '"Somewhere","E14001064","abc","B MP","B","Labour","b@parliament.uk","",""\n',
        '"Elsewhere","E14001065","5003","C MP","C","Labour","not-an-email","",""\n',
    ]
    with pytest.raises(CsvImportError) as caught:
        import_text(HEADER + "".join(rows))
    problems = caught.value.problems
    assert problems[0].startswith("Line 3: pcon_code 'X123' is not a constituency GSS code")
    assert problems[1].startswith("Line 4: member_id 'abc'")
    assert problems[2].startswith("Line 5: member_email 'not-an-email'")
    assert count_members() == 0


def test_duplicates_are_refused(any_app):
    with pytest.raises(CsvImportError, match="Line 3: pcon_code E14001063 was already on line 2"):
        import_text(HEADER + GOOD_ROWS[0] + GOOD_ROWS[0])


def test_an_empty_file_is_refused(any_app):
    with pytest.raises(CsvImportError, match="missing column"):
        import_text("")
    with pytest.raises(CsvImportError, match="no rows"):
        import_text(HEADER)


def test_a_failed_import_keeps_the_previous_directory(any_app):
    import_text(HEADER + "".join(GOOD_ROWS))
    with pytest.raises(CsvImportError):
        import_text(HEADER + GOOD_ROWS[0].replace("5173", "x"))
    assert count_members() == 3


def test_a_later_import_replaces_the_directory(any_app):
    import_text(HEADER + "".join(GOOD_ROWS))
    summary = import_text(HEADER + GOOD_ROWS[0])
    assert summary.no_longer_current == 2
    assert sorted(summary.now_vacant) == ["West Tyrone", "Ynys Môn"]


def test_csv_and_members_api_join_on_names_without_duplicate_seats(any_app, fake_members):
    """A CSV brings GSS codes; a later sync (Members API spellings) lands on the same seats."""
    import_text(HEADER + "".join(GOOD_ROWS))
    client = registry_of(any_app).members_api()
    sync_members(client)
    db.session.commit()
    client.close()
    ynys_mon = db.session.scalars(
        select(Constituency).where(Constituency.name_key == "ynys mon")
    ).all()
    assert len(ynys_mon) == 1 and ynys_mon[0].gss_code == "W07000112"
    assert ynys_mon[0].members_api_id is not None
