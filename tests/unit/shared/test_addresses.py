"""The CLI's defaults come from `make run`'s var/addresses.json, and a missing or broken file falls back."""
from __future__ import annotations

from pathlib import Path

import pytest

from services.addresses import address, read_addresses, write_addresses


def test_the_written_addresses_are_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUIJIN_VAR", str(tmp_path))
    write_addresses({"intake": "http://127.0.0.1:40100", "escalation": "http://127.0.0.1:40102"}, tmp_path)
    assert address("escalation", "http://127.0.0.1:8102") == "http://127.0.0.1:40102"
    assert address("notifier", "http://127.0.0.1:8103") == "http://127.0.0.1:8103"  # not in the file


@pytest.mark.parametrize("content", [None, "", "not json", "[1, 2]", '{"intake": 8100}'])
def test_no_readable_file_means_the_documented_ports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None) -> None:
    monkeypatch.setenv("TUIJIN_VAR", str(tmp_path))
    if content is not None:
        (tmp_path / "addresses.json").write_text(content)
    assert read_addresses().get("intake") is None
    assert address("intake", "http://127.0.0.1:8100") == "http://127.0.0.1:8100"
