"""The ``action-app`` command: the Flask CLI plus the commands every deployment needs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from action_app import tasking
from action_app.cli_outbox import outbox
from action_app.clients.members_api import MembersApiError
from action_app.extensions import db
from action_app.registry import current_registry
from action_app.services.campaigns import (
    CampaignInvalid,
    export_campaign,
    get_campaign,
    import_campaign,
)
from action_app.services.demo import load_demo_campaign
from action_app.services.directory import DirectoryError, DirectorySummary
from action_app.services.members_import import CsvImportError, import_members_csv
from action_app.services.members_sync import sync_members
from action_app.services.mp_photos import sync_photos
from action_app.starter import start


def main() -> None:
    """Entry point of the ``action-app`` console script."""
    from action_app import create_app
    from action_app.schema import with_migrations

    # The command line is where migrations run: only it binds them (action_app/schema.py).
    FlaskGroup(create_app=lambda: with_migrations(create_app()), add_version_option=False)()


def register_commands(app: Flask) -> None:
    """The commands of ``action-app``, besides Flask's own (``db``, ``routes``, ``shell``)."""
    app.cli.add_command(mps)
    app.cli.add_command(campaigns)
    app.cli.add_command(demo)
    from action_app.outbox_cli import outbox_group

    # One `outbox` group: status (the relay) and list / release / reject (held letters).
    for command in outbox_group.commands.values():
        outbox.add_command(command)
    app.cli.add_command(outbox)
    from action_app.staff.cli import staff

    app.cli.add_command(staff)
    from action_app.people_cli import people

    app.cli.add_command(start)
    app.cli.add_command(people)


@click.group(help="The MP directory.")
def mps() -> None:
    pass


@mps.command("sync")
@click.option("--force", is_flag=True, help="Accept an answer that shrinks the directory by half.")
@click.option("--photos/--no-photos", default=True, help="Fetch MPs' photos (new or changed).")
@click.option(
    "--photos-now",
    is_flag=True,
    help="Fetch the photos in this command, not on a worker after it (embedded mode always does).",
)
@with_appcontext
def mps_sync(force: bool, photos: bool, photos_now: bool) -> None:
    """Fetch every current MP, their constituency and email from the Members API."""
    settings = current_registry().settings
    click.echo(f"Syncing MPs from {settings.members_api_url}")
    client = current_registry().members_api()
    progress = _Progress()
    try:
        summary = sync_members(client, progress, force=force)
        db.session.commit()
    except (MembersApiError, DirectoryError) as exc:
        db.session.rollback()
        progress.finish()
        client.close()
        raise click.ClickException(f"Sync failed, the directory is unchanged: {exc}") from None
    progress.finish()
    _print_summary(summary)
    if photos and not (photos_now or settings.embedded):
        # The directory is committed: the photos follow on a worker, so the sync's own time is
        # the MPs' details; if the broker cannot take the task, they are fetched here.
        if tasking.dispatch(tasking.SYNC_PHOTOS):
            client.close()
            click.echo("MP photos: queued; a worker fetches the new or changed ones.")
            return
        click.echo("MP photos: the task could not be queued; fetching them now.")
    if photos:
        try:
            stored = sync_photos(client, lambda done, total: progress("photos", done, total))
            db.session.commit()
        finally:
            client.close()
        progress.finish()
        click.echo(f"MP photos: {stored} fetched.")
    else:
        client.close()


@mps.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def mps_import(csv_file: Path) -> None:
    """Load MPs from a CSV (columns of the DfE's mp_lookup.csv); all rows or none."""
    try:
        with csv_file.open(newline="", encoding="utf-8-sig") as stream:
            summary = import_members_csv(stream)
        db.session.commit()
    except UnicodeDecodeError as exc:
        db.session.rollback()
        raise click.ClickException(f"{csv_file} is not UTF-8 text ({exc.reason}).") from None
    except (CsvImportError, DirectoryError) as exc:
        db.session.rollback()
        raise click.ClickException(f"Nothing was imported from {csv_file}:\n{exc}") from None
    _print_summary(summary)


@click.group(help="Campaign documents.")
def campaigns() -> None:
    pass


@campaigns.command("import")
@click.argument("json_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--author", default="command line", show_default=True, help="Recorded in the revision."
)
@with_appcontext
def campaigns_import(json_file: Path, author: str) -> None:
    """Create or update a campaign from a JSON document (SPEC §6)."""
    try:
        document = json.loads(json_file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{json_file} is not a JSON document: {exc}") from None
    try:
        result = import_campaign(document, author)
        db.session.commit()
    except CampaignInvalid as exc:
        db.session.rollback()
        problems = "\n".join(f"  - {p}" for p in exc.problems)
        raise click.ClickException(f"{json_file} was not imported:\n{problems}") from None
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    verb = "Created" if result.created else "Updated" if result.changed_fields else "Unchanged:"
    click.echo(f"{verb} campaign {result.campaign.slug} ({result.campaign.status})")
    if result.changed_fields and not result.created:
        click.echo("Changed: " + ", ".join(result.changed_fields))


@campaigns.command("export")
@click.argument("slug")
@with_appcontext
def campaigns_export(slug: str) -> None:
    """Print a campaign as a JSON document."""
    campaign = get_campaign(slug)
    if campaign is None:
        raise click.ClickException(f"There is no campaign {slug!r}.")
    click.echo(json.dumps(export_campaign(campaign), indent=2, ensure_ascii=False))


@campaigns.command("partner-kit")
@click.argument("slug")
@click.argument("source")
@click.option("--site", help="The partner's site (https origin): may it frame the campaign?")
@click.option(
    "--preview",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write a preview page with the snippet to this file.",
)
@with_appcontext
def campaigns_partner_kit(slug: str, source: str, site: str | None, preview: Path | None) -> None:
    """The snippet, links and preview for a partner site showing a campaign."""
    from action_app.services.campaign_cache import campaign_snapshot
    from action_app.services.partner_kit import PartnerKitError, partner_kit

    campaign = get_campaign(slug)
    if campaign is None:
        raise click.ClickException(f"No campaign {slug!r}.")
    settings = current_registry().settings
    try:
        kit = partner_kit(campaign_snapshot(campaign), source, settings.public_base_url, site)
    except PartnerKitError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Paste this where the campaign should appear:\n")
    click.echo(kit.snippet + "\n")
    click.echo(f"Links carrying the source code {kit.source!r}:")
    for name, url in kit.links.items():
        click.echo(f"  {name}: {url}")
    for warning in kit.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if preview is not None:
        preview.write_text(kit.preview_html, encoding="utf-8")
        click.echo(f"Preview written to {preview}")


@click.group(help="The demo campaign.")
def demo() -> None:
    pass


@demo.command("load")
@with_appcontext
def demo_load() -> None:
    """Create or refresh the demo campaign."""
    slug = load_demo_campaign()
    db.session.commit()
    click.echo(f"Demo campaign ready: /c/{slug}")


class _Progress:
    """A progress bar per stage of a sync."""

    LABELS = {"members": "Current MPs", "emails": "Office emails", "photos": "MP photos"}

    def __init__(self) -> None:
        self.stage: str | None = None
        self.bar = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.finish()
            self.stage = stage
            self.done = 0
            self.bar = click.progressbar(
                length=max(total, 1), label=self.LABELS.get(stage, stage), file=sys.stderr
            )
            self.bar.__enter__()
        if self.bar is not None and done > self.done:
            self.bar.update(done - self.done)
            self.done = done

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _print_summary(summary: DirectorySummary) -> None:
    click.echo(
        f"Added: {summary.added}  Changed: {summary.changed}  Unchanged: {summary.unchanged}  "
        f"No longer current: {summary.no_longer_current}"
    )
    click.echo(f"Seats now vacant: {len(summary.now_vacant)}" + _names(summary.now_vacant))
    click.echo(f"Vacant seats listed by the source: {len(summary.vacant)}" + _names(summary.vacant))
    click.echo(
        f"MPs without an email: {len(summary.without_email)}" + _names(summary.without_email)
    )


def _names(names: list[str]) -> str:
    return (" (" + "; ".join(names) + ")") if names else ""


if __name__ == "__main__":
    main()
