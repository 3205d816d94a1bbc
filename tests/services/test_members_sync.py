"""``sync_members`` against the fake Members API: paging, emails, vacancies, changes, failures."""

import dataclasses

import pytest
from sqlalchemy import func, select

from action_app.clients.http import RetryPolicy
from action_app.clients.members_api import MembersApiClient, MembersApiUnavailable
from action_app.extensions import db
from action_app.models import Constituency, DirectoryUpdate, Member
from action_app.services.directory import DirectoryError
from action_app.services.members_sync import sync_members
from tests.fakes import VACANT_SEAT_ID


def fast_client(url, concurrency=8):
    return MembersApiClient(
        url,
        read_timeout=2,
        concurrency=concurrency,
        retry=RetryPolicy(attempts=2, backoff_seconds=0.01, max_backoff_seconds=0.02),
    )


def run_sync(fake_members, concurrency=8, **kwargs):
    client = fast_client(fake_members.url, concurrency=concurrency)
    try:
        summary = sync_members(client, **kwargs)
        db.session.commit()
        return summary
    except Exception:
        db.session.rollback()
        raise
    finally:
        client.close()


def directory_rows():
    return sorted(
        db.session.execute(
            select(Member.id, Member.display_name, Member.email, Member.party_name,
                   Member.is_current, Constituency.name)
            .join(Constituency, Member.constituency_id == Constituency.id)
        ).all()
    )  # fmt: skip


def test_first_sync_loads_every_current_mp(app, fake_members):
    summary = run_sync(fake_members)
    dataset = fake_members.dataset
    assert summary.added == len(dataset.members) == 24
    assert summary.changed == summary.no_longer_current == 0
    assert db.session.scalar(select(func.count()).where(Member.is_current)) == 24
    begley = db.session.get(Member, 4697)
    assert begley.display_name == "Órfhlaith Begley"
    assert begley.email is None
    assert begley.constituency.name == "West Tyrone"
    assert begley.party_colour == "#02665f"
    assert sorted(summary.without_email) == sorted(
        f"{m.name_display_as} ({m.constituency_name})" for m in dataset.members if not m.email
    )
    assert len(summary.without_email) == 3


def test_vacant_seats_are_listed_and_have_no_member(app, fake_members):
    summary = run_sync(fake_members)
    assert summary.vacant == ["Runcorn and Helsby"]
    seat = db.session.scalar(
        select(Constituency).where(Constituency.members_api_id == VACANT_SEAT_ID)
    )
    assert seat is not None and not [m for m in seat.members if m.is_current]


def test_members_are_paged_twenty_at_a_time(app, fake_members):
    fake_members.reset_stats()
    run_sync(fake_members)
    searches = [
        path for _, path in fake_members.requests_seen if path.startswith("/api/Members/Search")
    ]
    assert len(searches) == 2
    assert all("take=20" in path for path in searches)
    assert any("skip=20" in path for path in searches)


def test_contact_calls_run_concurrently_within_the_bound(app, fake_members):
    fake_members.latency = 0.05
    client = fast_client(fake_members.url, concurrency=4)
    sync_members(client)
    db.session.commit()
    client.close()
    assert 1 < fake_members.max_in_flight <= 4


def test_a_second_sync_changes_nothing(app, fake_members):
    run_sync(fake_members)
    before = directory_rows()
    summary = run_sync(fake_members)
    assert (summary.added, summary.changed, summary.no_longer_current) == (0, 0, 0)
    assert summary.unchanged == 24
    assert directory_rows() == before
    assert db.session.scalar(select(func.count(DirectoryUpdate.id))) == 2


def test_changes_departures_and_new_vacancies_are_reported(app, fake_members, members_dataset):
    run_sync(fake_members)
    members = members_dataset.members
    # One MP changes party; another leaves, making their seat vacant.
    changed = members[0]
    leaving = members[1]
    members[0] = dataclasses.replace(
        changed, party=dataclasses.replace(changed.party, name="Reform UK")
    )
    members.remove(leaving)
    members_dataset.constituencies[:] = [
        dataclasses.replace(c, current_member_id=None) if c.current_member_id == leaving.id else c
        for c in members_dataset.constituencies
    ]
    members_dataset.reindex()

    summary = run_sync(fake_members)

    assert summary.changed == 1
    assert summary.no_longer_current == 1
    assert summary.now_vacant == [leaving.constituency_name]
    assert db.session.get(Member, changed.id).party_name == "Reform UK"
    assert db.session.get(Member, leaving.id).is_current is False


@pytest.mark.parametrize("stage", ["members", "emails"])
def test_a_failure_half_way_through_leaves_the_old_directory(
    app, fake_members, members_dataset, stage
):
    """Fault suite: the Members API fails half-way through a sync (through the list of MPs,
    or through their emails); the previous directory stays whole."""
    run_sync(fake_members)
    before = directory_rows()
    members_dataset.members[0] = dataclasses.replace(
        members_dataset.members[0], email="new@example.org"
    )
    second = members_dataset.members[1]
    members_dataset.members[1] = dataclasses.replace(
        second, party=dataclasses.replace(second.party, name="Reform UK")
    )
    members_dataset.reindex()
    fake_members.reset_stats()
    broke_at = {}

    def break_half_way(current, done, total):
        if current == stage and done >= total // 2 and not broke_at:
            broke_at.update(done=done, total=total)
            fake_members.fail_always(503)

    # One request at a time, so the ones after the break really do meet the failing API.
    with pytest.raises(MembersApiUnavailable):
        run_sync(fake_members, concurrency=1, progress=break_half_way)
    after = directory_rows()
    print(
        f"\nMembers API failing half-way through {stage}: broke at {broke_at['done']} of "
        f"{broke_at['total']}, after {len(fake_members.requests_seen)} requests; "
        f"directory {len(after)} rows, {len(set(after) ^ set(before))} changed"
    )
    assert after == before
    assert db.session.scalar(select(func.count(DirectoryUpdate.id))) == 1
    fake_members.heal()
    assert run_sync(fake_members).changed == 2  # and the next sync takes the changes


def test_an_unreachable_api_changes_nothing(app, fake_members):
    run_sync(fake_members)
    before = directory_rows()
    fake_members.go_down()
    with pytest.raises(MembersApiUnavailable):
        run_sync(fake_members)
    assert directory_rows() == before


def test_an_empty_answer_is_refused(app, fake_members, members_dataset):
    run_sync(fake_members)
    members_dataset.members.clear()
    members_dataset.reindex()
    with pytest.raises(DirectoryError, match="no current MPs"):
        run_sync(fake_members)
    assert db.session.scalar(select(func.count()).where(Member.is_current)) == 24


def test_a_directory_that_halves_needs_force(app, fake_members, members_dataset):
    run_sync(fake_members)
    del members_dataset.members[5:]
    members_dataset.reindex()
    with pytest.raises(DirectoryError, match="--force"):
        run_sync(fake_members)
    summary = run_sync(fake_members, force=True)
    assert summary.no_longer_current == 19


def test_sync_on_the_embedded_database(any_app, fake_members):
    summary = run_sync(fake_members)
    assert summary.added == 24
    assert run_sync(fake_members).unchanged == 24


def test_a_second_sync_while_one_runs_asks_the_api_nothing(app, fake_members):
    """Two syncs at once (beat's daily one and a manager's, say): the second gives up before
    asking the Members API anything, and the first finishes as usual."""
    import threading

    from action_app.services.members_sync import SyncAlreadyRunning

    started, go_on, outcome = threading.Event(), threading.Event(), {}

    def hold_half_way(stage, done, total):
        if stage == "emails" and not started.is_set():
            started.set()
            go_on.wait(10)

    def first_sync():
        with app.app_context():
            try:
                outcome["summary"] = run_sync(fake_members, progress=hold_half_way)
            except Exception as exc:  # shown by the assertion below
                outcome["error"] = exc
            finally:
                db.session.remove()

    first = threading.Thread(target=first_sync)
    first.start()
    try:
        assert started.wait(10)
        asked_before = len(fake_members.requests_seen)
        with pytest.raises(SyncAlreadyRunning, match="Another directory sync is running"):
            run_sync(fake_members)
        later = fake_members.requests_seen[asked_before:]
    finally:
        go_on.set()
        first.join(20)
    assert "error" not in outcome and outcome["summary"].added == 24
    # The first is fetching emails; a sync starts by listing the MPs, and none did.
    assert not [path for _, path in later if path.startswith("/api/Members/Search")]
    assert db.session.scalar(select(func.count(DirectoryUpdate.id))) == 1
    assert run_sync(fake_members).unchanged == 24  # the lock went with the first's commit


def test_the_sync_task_reports_a_sync_already_running(app, fake_members, pg_url):
    """The task a manager's "sync now" starts, while another sync holds the lock: their
    progress page says why nothing happened, and the worker logs no error."""
    import psycopg

    from action_app.services import directory_admin
    from action_app.services.members_sync import SYNC_LOCK
    from workers.tasks import sync_members_task

    job = directory_admin.new_sync_job()
    db.session.commit()
    fake_members.reset_stats()
    with psycopg.connect(pg_url.replace("+psycopg", "")) as other:
        assert other.execute("SELECT pg_try_advisory_xact_lock(%s)", (SYNC_LOCK,)).fetchone()[0]
        result = sync_members_task.run(job)
    assert result["not_started"].startswith("Another directory sync is running")
    assert directory_admin.read_job(job) == {"state": "not_started", "error": result["not_started"]}
    assert fake_members.requests_seen == []
    assert db.session.scalar(select(func.count()).select_from(Member)) == 0
    assert sync_members_task.run(None)["added"] == 24  # the other transaction has ended
