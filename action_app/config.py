"""Settings, read once from the environment and typed.

Embedded mode (no servers needed) is chosen here: it is on when ``REDIS_URL`` is unset. Each
outside dependency is decided separately from its own variables, so a deployment can mix them
(PostgreSQL with the outbox folder, say) for staging.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# The service's name, on every page and in every email.
SERVICE_NAME = "Write to your MP"


class ConfigError(RuntimeError):
    """The environment describes a deployment that cannot work; the message says how to fix it."""


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def _env_flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}.")


def _env_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None


def _env_float(env: Mapping[str, str], name: str, default: float) -> float:
    value = _env_optional_float(env, name)
    return default if value is None else value


def _env_optional_float(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}.") from None


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs written the short way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass(frozen=True)
class MailSettings:
    server: str | None
    port: int
    use_tls: bool
    use_ssl: bool
    username: str | None
    password: str | None = field(repr=False)
    from_address: str
    redirect_to: str | None
    outbox_dir: Path
    # A private certificate authority for the relay's TLS certificate (PEM); None = the system's.
    ca_file: Path | None = None

    @property
    def uses_outbox(self) -> bool:
        return self.server is None


@dataclass(frozen=True)
class Settings:
    secret_key: str = field(repr=False)
    database_url: str
    redis_url: str | None
    postcodes_io_url: str
    members_api_url: str
    public_base_url: str
    mail: MailSettings
    instance_path: Path
    broker_url: str
    # Tunables with sensible defaults; documented in the README's configuration table.
    lookup_cache_days: int = 30
    # None: each client keeps its own default (postcodes.io 2 s and 4 s, as a supporter is
    # waiting; the Members API 3.05 s and 10 s, for a sync that runs in the background).
    http_timeout_connect: float | None = None
    http_timeout_read: float | None = None
    members_api_concurrency: int = 8
    send_max_attempts: int = 8
    send_retry_base_seconds: float = 30.0
    send_lease_seconds: int = 300
    sweep_interval_seconds: float = 20.0
    sweep_pending_after_seconds: int = 60
    relay_batch_size: int = 50  # messages a worker claims, sends and records together
    smtp_timeout_seconds: float = 20.0
    relay_retry_seconds: float = 30.0  # a relay that failed is tried again after this pause
    relay_log_seconds: float = 300.0  # and its failure is logged at ERROR once per this time
    celery_queue: str = "action_app"
    trusted_proxy_hops: int = 0
    # Named on the privacy, help and accessibility pages.
    data_controller: str = "The organisation running this service"
    contact_email: str = ""
    hexmap_path: str | None = None  # a HexJSON layout of the constituencies, keyed by GSS code
    # Abuse limits (the limits package's syntax, "N per minute;M per hour"); README's table.
    rate_limit_per_address: str = "30 per minute;300 per hour"
    rate_limit_per_email: str = "5 per hour;20 per day"
    rate_limit_per_postcode: str = "30 per hour"
    rate_limit_per_mp: str = "1000 per hour"
    # Confirmation emails one address may be sent, for letters over its per-email limit.
    rate_limit_owner_emails: str = "3 per hour;10 per day"
    bot_min_seconds: float = 4.0
    # How long a letter held for its address's owner shows "being sent" before it mirrors the
    # letter the address sent before (about what a real delivery takes).
    address_used_sending_seconds: float = 5.0
    seat_check_retry_seconds: float = 300.0
    # Days a supporter's details and letter are kept after it was sent or the campaign closed.
    personal_data_days: int = 28
    # Where the privacy page tells people to ask for a copy of their data or its deletion.
    privacy_contact_email: str = ""
    # With Redis: keep new drafts there until they are sent (services/parked_drafts.py). Off for
    # a Redis that may lose or evict keys: drafts then go into the database at Continue.
    park_drafts: bool = True

    @property
    def embedded(self) -> bool:
        return self.redis_url is None

    @property
    def served_over_https(self) -> bool:
        """Supporters reach us over HTTPS (perhaps through a TLS-terminating proxy)."""
        return self.public_base_url.startswith("https://")

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def http_timeouts(self) -> dict[str, float]:
        """The HTTP timeouts set, as the clients' keyword arguments (unset ones are left out,
        so each client keeps its own default)."""
        given = {
            "connect_timeout": self.http_timeout_connect,
            "read_timeout": self.http_timeout_read,
        }
        return {name: value for name, value in given.items() if value is not None}

    @classmethod
    def from_env(cls, env: Mapping[str, str], instance_path: Path) -> Settings:
        """Read and check every setting; raise ConfigError naming the variable that is wrong."""
        instance_path = Path(env.get("INSTANCE_PATH") or instance_path).resolve()
        redis_url = (env.get("REDIS_URL") or "").strip() or None
        embedded = redis_url is None

        secret_key = env.get("SECRET_KEY") or ""
        if not secret_key:
            if not embedded:
                raise ConfigError("SECRET_KEY is required when REDIS_URL is set (production).")
            secret_key = _embedded_secret(instance_path)

        database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'action_app.sqlite'}"
        database_url = normalise_database_url(database_url)

        if embedded:
            broker_url = f"sqla+sqlite:///{instance_path / 'celery-broker.sqlite'}"
        else:
            broker_url = redis_url

        mail_server = (env.get("MAIL_SERVER") or "").strip() or None
        from_address = (env.get("MAIL_FROM_ADDRESS") or "").strip()
        if mail_server and not from_address:
            raise ConfigError("MAIL_FROM_ADDRESS is required when MAIL_SERVER is set.")
        use_ssl = _env_flag(env, "MAIL_USE_SSL")
        mail = MailSettings(
            server=mail_server,
            port=_env_int(env, "MAIL_PORT", 465 if use_ssl else 587 if mail_server else 25),
            use_tls=_env_flag(env, "MAIL_USE_TLS"),
            use_ssl=use_ssl,
            username=env.get("MAIL_USERNAME") or None,
            password=env.get("MAIL_PASSWORD") or None,
            from_address=from_address or "action@localhost",
            redirect_to=(env.get("MAIL_REDIRECT_TO") or "").strip() or None,
            outbox_dir=Path(env.get("MAIL_OUTBOX_DIR") or instance_path / "outbox"),
            ca_file=_ca_file(env),
        )
        if mail.use_ssl and mail.use_tls:
            raise ConfigError("Set MAIL_USE_TLS or MAIL_USE_SSL, not both.")

        return cls(
            secret_key=secret_key,
            database_url=database_url,
            redis_url=redis_url,
            postcodes_io_url=(env.get("POSTCODES_IO_URL") or "https://api.postcodes.io").rstrip(
                "/"
            ),
            members_api_url=(
                env.get("PARLIAMENT_MEMBERS_API_URL") or "https://members-api.parliament.uk"
            ).rstrip("/"),
            public_base_url=(env.get("PUBLIC_BASE_URL") or "http://localhost:5000").rstrip("/"),
            mail=mail,
            instance_path=instance_path,
            broker_url=broker_url,
            lookup_cache_days=_env_int(env, "LOOKUP_CACHE_DAYS", 30),
            http_timeout_connect=_env_optional_float(env, "HTTP_TIMEOUT_CONNECT"),
            http_timeout_read=_env_optional_float(env, "HTTP_TIMEOUT_READ"),
            members_api_concurrency=max(1, _env_int(env, "MEMBERS_API_CONCURRENCY", 8)),
            send_max_attempts=max(1, _env_int(env, "SEND_MAX_ATTEMPTS", 8)),
            send_retry_base_seconds=_env_float(env, "SEND_RETRY_BASE_SECONDS", 30.0),
            send_lease_seconds=_env_int(env, "SEND_LEASE_SECONDS", 300),
            sweep_interval_seconds=_env_float(env, "SWEEP_INTERVAL_SECONDS", 20.0),
            sweep_pending_after_seconds=_env_int(env, "SWEEP_PENDING_AFTER_SECONDS", 60),
            relay_batch_size=max(1, _env_int(env, "RELAY_BATCH_SIZE", 50)),
            smtp_timeout_seconds=_env_float(env, "SMTP_TIMEOUT_SECONDS", 20.0),
            relay_retry_seconds=max(0.1, _env_float(env, "MAIL_RELAY_RETRY_SECONDS", 30.0)),
            relay_log_seconds=max(1.0, _env_float(env, "MAIL_RELAY_LOG_SECONDS", 300.0)),
            celery_queue=(env.get("CELERY_QUEUE") or "action_app").strip(),
            trusted_proxy_hops=max(0, _env_int(env, "TRUSTED_PROXY_HOPS", 0)),
            data_controller=(env.get("DATA_CONTROLLER") or "").strip() or cls.data_controller,
            contact_email=(env.get("CONTACT_EMAIL") or "").strip() or mail.from_address,
            hexmap_path=(env.get("HEXMAP_PATH") or "").strip() or None,
            **_abuse_settings(env),
            personal_data_days=max(1, _env_int(env, "PERSONAL_DATA_DAYS", 28)),
            privacy_contact_email=(env.get("PRIVACY_CONTACT_EMAIL") or "").strip()
            or mail.from_address,
            park_drafts=_env_flag(env, "PARK_DRAFTS", default=True),
        )


def _ca_file(env: Mapping[str, str]) -> Path | None:
    """MAIL_CA_FILE: a PEM file of the certificate authority that signed the relay's certificate."""
    raw = (env.get("MAIL_CA_FILE") or "").strip()
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file():
        raise ConfigError(f"MAIL_CA_FILE must name a readable PEM file; {raw!r} is not a file.")
    return path


def _abuse_settings(env: Mapping[str, str]) -> dict:
    """The rate limits (each checked now, so a typo stops the start, not a supporter) and the
    bot and seat-check timings."""
    from limits import parse_many

    values: dict = {}
    for name, default in (
        ("rate_limit_per_address", Settings.rate_limit_per_address),
        ("rate_limit_per_email", Settings.rate_limit_per_email),
        ("rate_limit_per_postcode", Settings.rate_limit_per_postcode),
        ("rate_limit_per_mp", Settings.rate_limit_per_mp),
        ("rate_limit_owner_emails", Settings.rate_limit_owner_emails),
    ):
        variable = name.upper()
        value = (env.get(variable) or "").strip() or default
        try:
            parse_many(value)
        except ValueError:
            raise ConfigError(
                f"{variable} must be limits like '5 per hour;20 per day', not {value!r}."
            ) from None
        values[name] = value
    values["bot_min_seconds"] = max(0.0, _env_float(env, "BOT_MIN_SECONDS", 4.0))
    values["address_used_sending_seconds"] = max(
        0.0, _env_float(env, "ADDRESS_USED_SENDING_SECONDS", 5.0)
    )
    values["seat_check_retry_seconds"] = max(
        1.0, _env_float(env, "SEAT_CHECK_RETRY_SECONDS", 300.0)
    )
    return values


def _embedded_secret(instance_path: Path) -> str:
    """Generate the secret once into the instance folder so restarts keep sessions valid."""
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return key_file.read_text().strip()
