"""`make run`'s banner speaks Chinese: every line a person reads is labelled in Chinese (addresses, tokens and logins stay as typed)."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from services.devrun import print_banner, print_logins
from services.devrun_demo import posted_line

ENGLISH_WORDS = re.compile(r"\b(?:running|metrics|ready|logs|token|tokens|Try|Web|console|sign|development|mode|demo|addresses for)\b")


def test_the_banner_and_the_logins_are_in_chinese(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    services = SimpleNamespace(url=lambda name: f"http://127.0.0.1:81{len(name)}", names=["intake", "tracker", "escalation", "notifier", "console"],
                               logs=tmp_path / "logs")
    nats = SimpleNamespace(url="nats://127.0.0.1:14222", monitor_port=18222, store_dir=tmp_path / "nats")
    print_banner(services, nats, {"330106": "tj_330106_secret"}, tmp_path)  # type: ignore[arg-type]
    print_logins(services, {"330106": [("office_330106", "pw", "office"), ("zrzy_330106", "pw", "department")]})  # type: ignore[arg-type]
    print(posted_line({"330106": {"http": 202, "accepted": 77, "rejected": 0}}))
    shown = capsys.readouterr().out
    assert "已启动" in shown and "网页控制台" in shown and "项目办" in shown and "部门" in shown and "接收77条" in shown
    # What a person types (addresses, tokens, logins, commands) may stay as it is; the words around them are Chinese.
    words = re.sub(r"\S*(?:://|/|_|\.venv)\S*", "", shown)
    assert not ENGLISH_WORDS.search(words), ENGLISH_WORDS.findall(words)
