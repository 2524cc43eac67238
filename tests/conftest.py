"""Shared fixtures: the bundled sample and one real server on 127.0.0.1 (port 0)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from clients.client import Client, load_request
from service.server import create_server
from service.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lastmile.v1 import orchestrator_pb2
    from service.server import Running

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "sample_day.json"


@pytest.fixture(scope="session")
def sample_request() -> orchestrator_pb2.DecideRequest:
    """The bundled sample day."""
    return load_request(SAMPLE)


@pytest.fixture(scope="session")
def server() -> Iterator[Running]:
    """A real server with one decision process and the bundled rules (the default settings),
    shared by the e2e tests."""
    running = create_server(Settings(address="127.0.0.1:0", workers=1, grace_s=2.0))
    yield running
    running.stop(grace_s=2.0)


@pytest.fixture()
def client(server: Running) -> Iterator[Client]:
    with Client(f"127.0.0.1:{server.port}") as c:
        yield c
