"""Fixtures for the fakes' own tests: one server per module, reset between tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.fakes import FakeMembersAPI, FakePostcodesIO, FakeServer


def _reset(server: FakeServer) -> None:
    if server.in_flight:  # drop requests a previous test left hanging
        server.go_down()
    server.come_back()
    server.reset()


@pytest.fixture(scope="module")
def _pio_server() -> Iterator[FakePostcodesIO]:
    with FakePostcodesIO() as server:
        yield server


@pytest.fixture(scope="module")
def _members_server() -> Iterator[FakeMembersAPI]:
    with FakeMembersAPI() as server:
        yield server


@pytest.fixture
def pio(_pio_server: FakePostcodesIO) -> Iterator[FakePostcodesIO]:
    _reset(_pio_server)
    yield _pio_server
    _reset(_pio_server)


@pytest.fixture
def members(_members_server: FakeMembersAPI) -> Iterator[FakeMembersAPI]:
    _reset(_members_server)
    yield _members_server
    _reset(_members_server)


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
