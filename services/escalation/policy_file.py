"""Load a county's escalation policy: config/policies/default.toml, then <county_code>.toml on top."""
from __future__ import annotations

import tomllib
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from services.escalation.domain.policy import Policy

# File layout (section, key) → Policy field; anything else in a file is a typo we refuse.
KEYS: dict[tuple[str | None, str], str] = {
    (None, "policy_version"): "policy_version",
    (None, "county_name"): "county_name",
    ("idle_land", "warning_months"): "idle_warning_months",
    ("idle_land", "fee_months"): "idle_fee_months",
    ("idle_land", "reclaim_months"): "idle_reclaim_months",
    ("idle_land", "deemed_start_after_handover_months"): "deemed_start_after_handover_months",
    ("idle_land", "fee_percent"): "idle_fee_percent",
    ("idle_land", "stalled_developed_fraction"): "stalled_developed_fraction",
    ("idle_land", "stalled_investment_fraction"): "stalled_investment_fraction",
    ("budget_overrun", "base"): "overrun_base",
    ("budget_overrun", "case_percent"): "overrun_case_percent",
    ("budget_overrun", "strictly_greater"): "overrun_strictly_greater",
    ("departments", "land_bureau"): "land_bureau",
    ("departments", "discipline_commission"): "discipline_commission",
    ("departments", "audit_office"): "audit_office",
    ("departments", "finance_bureau"): "finance_bureau",
    ("departments", "project_office"): "project_office",
    ("departments", "scheduling_meeting"): "scheduling_meeting",
}
SECTIONS = {section for section, _ in KEYS if section is not None}


_PLAIN_TYPES: dict[str, type] = {
    "policy_version": int,
    "idle_fee_months": int,
    "idle_reclaim_months": int,
    "deemed_start_after_handover_months": int,
    "overrun_strictly_greater": bool,
    **{f: str for f in ("county_name", "overrun_base", "land_bureau", "discipline_commission", "audit_office",
                        "finance_bureau", "project_office", "scheduling_meeting")},
}


class PolicyFileError(ValueError):
    """A policy file that cannot be read as a policy; the message names the file and the key."""


def _convert(field: str, value: Any, where: str) -> Any:
    # TOML floats are binary: thresholds must be written as integers or strings ("20", "1/3").
    if isinstance(value, float):
        raise PolicyFileError(f"{where}: write {value!r} as a string or integer, floats are not exact")
    expected = _PLAIN_TYPES.get(field)
    # bool is an int in Python; a month count of `true` is still a mistake.
    if expected is not None and (not isinstance(value, expected) or (expected is int and isinstance(value, bool))):
        raise PolicyFileError(f"{where}: expected {expected.__name__}, got {value!r}")
    try:
        if field in ("idle_fee_percent", "overrun_case_percent"):
            return Decimal(str(value))
        if field in ("stalled_developed_fraction", "stalled_investment_fraction"):
            return Fraction(str(value))
        if field == "idle_warning_months":
            first, second = value
            if not all(isinstance(m, int) and not isinstance(m, bool) for m in (first, second)):
                raise TypeError("months must be integers")
            return (first, second)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise PolicyFileError(f"{where}: cannot read {value!r}: {exc}") from exc
    return value


def _read(path: Path) -> dict[str, Any]:
    """The Policy fields one file sets."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PolicyFileError(f"{path}: not valid TOML: {exc}") from exc
    fields: dict[str, Any] = {}
    for key, value in data.items():
        if key in SECTIONS and isinstance(value, dict):
            items = [((key, sub), sub_value) for sub, sub_value in value.items()]
        else:
            items = [((None, key), value)]
        for (section, name), item in items:
            dotted = f"{section}.{name}" if section else name
            if (section, name) not in KEYS:
                raise PolicyFileError(f"{path}: unknown key {dotted!r}")
            field = KEYS[(section, name)]
            fields[field] = _convert(field, item, f"{path}: {dotted}")
    return fields


def load_policy(county_code: str, directory: Path) -> Policy:
    """The county's policy; a county without its own file gets the defaults."""
    fields = _read(directory / "default.toml")
    county_file = directory / f"{county_code}.toml"
    if county_file.exists():
        fields.update(_read(county_file))
    try:
        return Policy(county_code=county_code, **fields)
    except (TypeError, ValueError) as exc:
        raise PolicyFileError(f"policy for county {county_code} in {directory}: {exc}") from exc
