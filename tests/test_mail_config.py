"""MAIL_CA_FILE: a private certificate authority for the relay, and never a way to skip checks."""

import ssl

import pytest

from action_app.config import ConfigError, Settings
from action_app.mail import tls_context

BASE = {"MAIL_SERVER": "relay.example.org", "MAIL_FROM_ADDRESS": "a@example.org"}


def test_a_ca_file_is_read_and_used_with_verification_on(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("")
    settings = Settings.from_env({**BASE, "MAIL_CA_FILE": str(ca), "MAIL_USE_TLS": "1"}, tmp_path)
    assert settings.mail.ca_file == ca
    with pytest.raises(ssl.SSLError):  # the file is used: an empty one has no certificate
        tls_context(settings.mail)


def test_without_a_ca_file_the_systems_authorities_are_used(tmp_path):
    settings = Settings.from_env(BASE, tmp_path)
    context = tls_context(settings.mail)
    assert settings.mail.ca_file is None
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_a_missing_ca_file_is_a_clear_configuration_error(tmp_path):
    with pytest.raises(ConfigError, match="MAIL_CA_FILE must name a readable PEM file"):
        Settings.from_env({**BASE, "MAIL_CA_FILE": str(tmp_path / "nope.pem")}, tmp_path)
