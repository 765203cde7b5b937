"""docker-compose.yml ships no secret: a `secrets` step makes them per deployment, every service reads them from
files, and nats-server runs with the generated accounts."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "tracker", "escalation", "notifier", "console")


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]


def test_no_secret_has_a_default_value() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert not re.search(r"(SECRET|TOKEN|SEED)[A-Z_]*:\s*\$\{[^}]*:-", text), "a secret with a fallback value"
    for name in SERVICES:
        env = compose()[name]["environment"]
        assert not [k for k in env if k.endswith(("_SECRET", "_SERVICE_TOKEN"))], f"{name} has a secret written in"


def test_the_secrets_step_makes_them_and_every_service_reads_them_from_its_volume() -> None:
    services = compose()
    step = services["secrets"]
    command = " ".join(step["command"])
    assert "tuijin secrets init /run/tuijin" in command and "tuijin nats init-accounts" in command
    assert services["nats"]["depends_on"]["secrets"]["condition"] == "service_completed_successfully"
    for name in SERVICES:
        env, volumes = services[name]["environment"], services[name]["volumes"]
        prefix = name.upper()
        assert env[f"{prefix}_SERVICE_TOKEN_FILE"].startswith("/run/tuijin/") and "tuijin-secrets:/run/tuijin:ro" in volumes
        assert env[f"{prefix}_NATS_NKEY_SEED_FILE"] == "/run/tuijin/nats/services.nk"


def test_nats_runs_the_shipped_config_with_the_generated_accounts() -> None:
    nats = compose()["nats"]
    assert nats["command"] == ["-c", "/etc/nats/config/nats.conf"]
    assert "./deploy/nats/nats.conf:/etc/nats/config/nats.conf:ro" in nats["volumes"]
    assert "nats-accounts:/etc/nats/accounts:ro" in [v.split("   ")[0].strip() for v in nats["volumes"]]
    assert "include ../accounts/accounts.conf" in (ROOT / "deploy" / "nats" / "nats.conf").read_text(encoding="utf-8")
