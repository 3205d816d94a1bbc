"""Extensions, created unbound here and bound to the app in ``create_app``."""

from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names keep Alembic migrations reversible on both PostgreSQL and SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()


def session_in_transaction() -> bool:
    """Whether this app context's session has begun a transaction, without making a session
    to ask: asking ``db.session()`` makes one when there is none, and making, then closing
    and removing it cost about 6% of the postcode page's Python (nothing there touches the
    database unless a seat's code is learned)."""
    return db.session.registry.has() and db.session().in_transaction()


class _StaffLoginManager(LoginManager):
    """Flask-Login, kept off public pages: its remember-cookie hook reads the session on every
    response, which adds "Vary: Cookie" and would keep public pages out of the shared cache."""

    def _update_remember_cookie(self, response):
        from flask import request

        if not request.path.startswith("/staff"):
            return response
        return super()._update_remember_cookie(response)


login_manager = _StaffLoginManager()
