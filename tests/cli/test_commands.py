"""The ``action-app`` commands as an operator runs them."""

import json

from sqlalchemy import func, select

from action_app.extensions import db
from action_app.models import Campaign, CampaignRevision, Member
from tests.conftest import CAMPAIGN_DOCUMENT


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_mps_sync_prints_progress_and_a_summary(app, fake_members):
    result = run(app, "mps", "sync")
    assert result.exit_code == 0, result.output
    assert f"Syncing MPs from {fake_members.url}" in result.output
    assert "Added: 24  Changed: 0" in result.output
    assert "Seats now vacant: 0" in result.output
    assert "Vacant seats listed by the source: 1 (Runcorn and Helsby)" in result.output
    assert "MPs without an email: 3" in result.output
    assert "Office emails" in result.output  # the progress bar's label


def test_mps_sync_queues_the_photos_for_a_worker(app, fake_members, monkeypatch):
    """The sync's own time is the MPs' details: their photos follow as a task."""
    from action_app import tasking
    from action_app.models import MemberPhoto

    queued = []
    monkeypatch.setattr(tasking, "dispatch", lambda name, *a, **k: queued.append(name) or True)
    result = run(app, "mps", "sync")
    assert result.exit_code == 0, result.output
    assert queued == [tasking.SYNC_PHOTOS]
    assert "MP photos: queued" in result.output
    assert db.session.scalar(select(func.count()).select_from(MemberPhoto)) == 0
    from workers.tasks import sync_photos_task

    assert sync_photos_task.run() > 0  # what the worker then does


def test_mps_sync_fetches_the_photos_itself_when_the_broker_refuses(app, fake_members, monkeypatch):
    from action_app import tasking
    from action_app.models import MemberPhoto

    monkeypatch.setattr(tasking, "dispatch", lambda name, *a, **k: False)
    result = run(app, "mps", "sync")
    assert result.exit_code == 0, result.output
    assert "fetching them now" in result.output and "MP photos: " in result.output
    assert db.session.scalar(select(func.count()).select_from(MemberPhoto)) > 0


def test_mps_sync_failure_says_the_directory_is_unchanged(app, fake_members):
    assert run(app, "mps", "sync").exit_code == 0
    fake_members.go_down()
    result = run(app, "mps", "sync")
    assert result.exit_code == 1
    assert "Sync failed, the directory is unchanged" in result.output
    assert db.session.scalar(select(func.count()).where(Member.is_current)) == 24


def test_mps_import_reports_bad_rows(app, tmp_path):
    path = tmp_path / "mps.csv"
    path.write_text(
        "pcon_code,pcon_name,member_id,display_as,full_title,party_text,member_email\n"
        "E14001063,Aldershot,5173,Alex Baker,Alex Baker MP,Labour,alex@parliament.uk\n"
        "E14001064,Aldridge-Brownhills,oops,Wendy Morton,Wendy Morton MP,Conservative,\n",
        encoding="utf-8",
    )
    result = run(app, "mps", "import", str(path))
    assert result.exit_code == 1
    assert "Nothing was imported" in result.output
    assert "Line 3: member_id 'oops'" in result.output
    assert db.session.scalar(select(func.count(Member.id))) == 0


def test_mps_import_loads_a_good_file(app, tmp_path):
    path = tmp_path / "mps.csv"
    path.write_text(
        "pcon_code,pcon_name,member_id,display_as,full_title,party_text,member_email,extra\n"
        "E14001063,Aldershot,5173,Alex Baker,Alex Baker MP,Labour,alex@parliament.uk,x\n",
        encoding="utf-8",
    )
    result = run(app, "mps", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "Added: 1" in result.output


def test_mps_import_refuses_a_file_that_is_not_text(app, tmp_path):
    path = tmp_path / "mps.csv"
    path.write_bytes(b"\xff\xfe\x00binary")
    result = run(app, "mps", "import", str(path))
    assert result.exit_code == 1 and "not UTF-8" in result.output


def test_campaigns_import_export_round_trip(app, tmp_path):
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps(CAMPAIGN_DOCUMENT), encoding="utf-8")
    result = run(app, "campaigns", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "Created campaign test-campaign (live)" in result.output

    exported = run(app, "campaigns", "export", "test-campaign")
    document = json.loads(exported.output)
    assert document["debate_at"] == "2026-12-10T14:30:00+00:00"
    path.write_text(json.dumps(document), encoding="utf-8")
    again = run(app, "campaigns", "import", str(path))
    assert "Unchanged: campaign test-campaign" in again.output
    assert db.session.scalar(select(func.count(CampaignRevision.id))) == 1


def test_campaigns_import_refuses_bad_templates_with_line_and_reason(app, tmp_path):
    document = {
        **CAMPAIGN_DOCUMENT,
        "body_template": "Dear {{ mp.name }},\n\n{{ mp.salary }}\n{{ ''.__class__ }}",
    }
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = run(app, "campaigns", "import", str(path))
    assert result.exit_code == 1
    assert "body_template: line 3: unknown placeholder mp.salary" in result.output
    assert "body_template: line 4:" in result.output
    assert db.session.scalar(select(func.count(Campaign.id))) == 0


def test_campaigns_import_reports_bad_json(app, tmp_path):
    path = tmp_path / "campaign.json"
    path.write_text("{not json", encoding="utf-8")
    result = run(app, "campaigns", "import", str(path))
    assert result.exit_code == 1 and "is not a JSON document" in result.output


def test_demo_load_is_idempotent(app):
    assert run(app, "demo", "load").exit_code == 0
    assert run(app, "demo", "load").exit_code == 0
    assert db.session.scalar(select(func.count(Campaign.id))) == 1


def test_the_command_line_migrates_and_web_and_worker_processes_never_load_alembic(tmp_path):
    """``action-app db upgrade`` (the operator's command, and docker-compose's) brings a new
    database to the head revision. Web and worker processes never migrate, so they do not import
    Alembic and its templating (about 11 MB each): only the command line binds it. Nor do they
    import pygal (2 MB) until an organiser's chart is drawn."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {
        **os.environ,
        "INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": "a test secret key of enough length",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
    }
    command = Path(sys.executable).with_name("action-app")
    for args in (["db", "upgrade"], ["db", "current"]):
        done = subprocess.run([command, *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    assert "(head)" in done.stdout
    script = (
        "import sys\n"
        "import action_app.wsgi, workers.celery_app\n"
        "never = ('alembic', 'flask_migrate', 'mako', 'pygal')\n"
        "print(sorted(m for m in never if m in sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
