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
    from action_app.staff import account_views, auth_views, people_views  # noqa: F401

    app.register_blueprint(bp)
