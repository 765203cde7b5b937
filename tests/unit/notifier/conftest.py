"""Routing fixtures for the notifier unit tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from services.notifier.domain import Routing
from services.notifier.routing_file import load_routing

ROUTING_DIR = Path(__file__).resolve().parents[3] / "config" / "routing"


@pytest.fixture(scope="session")
def xihu() -> Routing:
    return load_routing(ROUTING_DIR / "330106.toml")


@pytest.fixture(scope="session")
def yiwu() -> Routing:
    return load_routing(ROUTING_DIR / "330782.toml")
