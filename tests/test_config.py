"""Settings: every wrong value stops the app with a message naming the variable to fix."""

from __future__ import annotations

import pytest

from action_app.config import ConfigError, Settings
from action_app.registry import build_registry


def settings(tmp_path, **env: str) -> Settings:
    return Settings.from_env(env, tmp_path)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MAIL_USE_TLS": "maybe"}, "MAIL_USE_TLS must be true or false, not 'maybe'."),
        ({"MAIL_PORT": "five"}, "MAIL_PORT must be a whole number, not 'five'."),
        ({"LOOKUP_CACHE_DAYS": "1.5"}, "LOOKUP_CACHE_DAYS must be a whole number, not '1.5'."),
        ({"HTTP_TIMEOUT_READ": "soon"}, "HTTP_TIMEOUT_READ must be a number, not 'soon'."),
        ({"SMTP_TIMEOUT_SECONDS": "x"}, "SMTP_TIMEOUT_SECONDS must be a number, not 'x'."),
        (
            {"REDIS_URL": "redis://127.0.0.1:1/0"},
            "SECRET_KEY is required when REDIS_URL is set (production).",
        ),
        (
            {"MAIL_SERVER": "smtp.example.org"},
            "MAIL_FROM_ADDRESS is required when MAIL_SERVER is set.",
        ),
        (
            {"MAIL_USE_TLS": "yes", "MAIL_USE_SSL": "on", "MAIL_SERVER": "smtp.example.org",
             "MAIL_FROM_ADDRESS": "a@example.org"},
            "Set MAIL_USE_TLS or MAIL_USE_SSL, not both.",
        ),
    ],
)  # fmt: skip
def test_a_setting_that_cannot_work_is_refused_by_name(tmp_path, env, message):
    with pytest.raises(ConfigError) as refused:
        settings(tmp_path, **env)
    assert str(refused.value) == message


def test_flags_and_numbers_read_as_written(tmp_path):
    read = settings(
        tmp_path,
        MAIL_USE_TLS=" Yes ",
        MAIL_SERVER="smtp.example.org",
        MAIL_FROM_ADDRESS="a@example.org",
        SEND_MAX_ATTEMPTS="0",
        SWEEP_INTERVAL_SECONDS="",
    )
    assert read.mail.use_tls is True and read.mail.port == 587
    assert read.send_max_attempts == 1  # at least one attempt, whatever is set
    assert read.sweep_interval_seconds == 20.0  # blank means the default


def test_embedded_mode_makes_and_keeps_its_own_secret(tmp_path):
    first = settings(tmp_path)
    assert first.embedded and len(first.secret_key) > 40
    assert settings(tmp_path).secret_key == first.secret_key


def test_http_timeouts_reach_both_clients(tmp_path):
    configured = settings(tmp_path, HTTP_TIMEOUT_CONNECT="1.5", HTTP_TIMEOUT_READ="7")
    registry = build_registry(configured, engine=None)
    members_api = registry.members_api()
    try:
        assert registry.postcodes_io.http.timeout == (1.5, 7.0)
        assert members_api.http.timeout == (1.5, 7.0)
    finally:
        members_api.close()
        registry.postcodes_io.close()


def test_unset_http_timeouts_keep_each_clients_own(tmp_path):
    registry = build_registry(settings(tmp_path), engine=None)
    members_api = registry.members_api()
    try:
        assert registry.postcodes_io.http.timeout == (2.0, 4.0)  # a supporter is waiting
        assert members_api.http.timeout == (3.05, 10.0)
    finally:
        members_api.close()
        registry.postcodes_io.close()
