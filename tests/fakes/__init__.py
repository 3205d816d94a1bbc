"""Fake postcodes.io and UK Parliament Members API servers for tests and offline runs.

    from tests.fakes import FakePostcodesIO, FakeMembersAPI

    with FakePostcodesIO() as pio, FakeMembersAPI() as members:
        app.config["POSTCODES_IO_URL"] = pio.url
        ...

Run both from the repo root with `python -m tests.fakes --help`.
"""

from .dataset import (
    Dataset,
    FakeConstituency,
    FakeMember,
    FakeParty,
    FakePostcode,
    constituency_id_for_gss,
    default_dataset,
    load_shared_dataset,
    normalise_name,
    postcode_key,
)
from .fixture import EXAMPLE_POSTCODES, SPELLING_VARIANTS, VACANT_SEAT_CODE, VACANT_SEAT_ID
from .members_api import FakeMembersAPI
from .postcodes_io import FakePostcodesIO
from .server import FakeServer

__all__ = [
    "EXAMPLE_POSTCODES",
    "SPELLING_VARIANTS",
    "VACANT_SEAT_CODE",
    "VACANT_SEAT_ID",
    "Dataset",
    "FakeConstituency",
    "FakeMember",
    "FakeMembersAPI",
    "FakeParty",
    "FakePostcode",
    "FakePostcodesIO",
    "FakeServer",
    "constituency_id_for_gss",
    "default_dataset",
    "load_shared_dataset",
    "normalise_name",
    "postcode_key",
]
