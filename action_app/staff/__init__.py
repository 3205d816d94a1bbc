"""The staff area (/staff): signing in, accounts, the campaign editor, directory and outbox."""

from flask import Blueprint

from action_app.staff_access import guard_blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")
guard_blueprint(bp)


@bp.app_context_processor
def _staff_endpoints():
    from flask import current_app, request

    if not request.path.startswith("/staff"):
        return {}
    return {"staff_endpoints": set(current_app.view_functions)}


def register(app) -> None:
    """Import every view module (each adds its routes to ``bp``) and register the blueprint."""
    from action_app.staff import (  # noqa: F401
        account_views,
        audit_views,
        auth_views,
        campaign_views,
        directory_views,
        outbox_views,
        people_views,
        preview_views,
    )

    app.register_blueprint(bp)


@bp.app_template_filter("uk_when")
def _uk_when(value) -> str:
    """A stored (naive UTC) time, in UK time, readable. Not named uk_time: that is the public
    pages' filter (template_helpers, a datetime to format further), registered after this one,
    which it silently replaced, so staff pages showed '2026-11-30 21:36:18.330221+00:00'."""
    from action_app.formatting import uk_datetime
    from action_app.services.campaigns import in_uk_time as to_uk

    return uk_datetime(to_uk(value)) if value else ""
