"""Load a county's escalation policy: default.toml, then the chosen preset, then <county_code>.toml on top.

`preset = "<name>"` (in default.toml or the county's file; the county's wins) reads
presets/<name>.toml between the two: a regime of local thresholds (e.g. 银川's traffic lights) that
a county adopts by name and may still override key by key. A `[cases]` section belongs to the case
ladder, which reads it itself; here it is accepted and skipped.
"""
from __future__ import annotations

import tomllib
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

from services.escalation.domain.policy import Policy

# File layout (section, key) → Policy field; anything else in a file is a typo we refuse.
KEYS: dict[tuple[str | None, str], str] = {
    (None, "policy_version"): "policy_version",
    (None, "county_name"): "county_name",
    (None, "preset"): "preset",
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
    ("central_funds", "start_yellow_months"): "central_start_yellow_months",
    ("central_funds", "pay_window_months"): "central_pay_window_months",
    ("central_funds", "pay_red_points"): "central_pay_red_points",
    ("milestones", "warning_days"): "milestone_warning_days",
    ("milestones", "explanation_workdays"): "milestone_explanation_workdays",
    ("milestones", "red_after_months"): "milestone_red_after_months",
    ("ledger", "due_day"): "ledger_due_day",
    ("ledger", "reporting_stages"): "reporting_stages",
    ("ledger", "stale_after_months"): "stale_after_months",
    ("investment_progress", "yellow_points"): "progress_yellow_points",
    ("investment_progress", "red_points"): "progress_red_points",
    ("investment_progress", "window_months"): "progress_window_months",
    ("plan_missed", "tolerance_percent"): "plan_missed_tolerance_percent",
    ("plan_missed", "red_months"): "plan_missed_red_months",
    ("approval", "lapse_months"): "approval_lapse_months",
    ("approval", "extension_max_months"): "approval_extension_max_months",
    ("approval", "warning_months"): "approval_warning_months",
    ("sme_payments", "days"): "sme_payment_days",
    ("sme_payments", "red_after_days"): "sme_red_after_days",
    ("stats_enrolment", "yellow_months"): "stats_enrolment_yellow_months",
    ("stats_enrolment", "red_months"): "stats_enrolment_red_months",
    ("stats_enrolment", "min_total_investment_fen"): "stats_min_total_investment_fen",
    **{("departments", name): name for name in ("land_bureau", "discipline_commission", "audit_office", "finance_bureau",
                                                 "development_reform", "statistics_bureau", "sme_authority", "project_office",
                                                 "scheduling_meeting")},
}
SECTIONS = {section for section, _ in KEYS if section is not None}
IGNORED_SECTIONS = {"cases", "bulletin", "problems"}  # read by the case ladder, bulletin/settings.py and problems/policy.py
# A preset is thresholds only: it names no county, versions nothing and chooses no other preset.
NOT_IN_PRESETS = {"policy_version", "county_name", "preset"}
PRESETS_DIRECTORY = "presets"
NATIONAL = "national"

_DECIMALS = {"idle_fee_percent", "overrun_case_percent", "central_pay_red_points", "progress_yellow_points", "progress_red_points",
             "plan_missed_tolerance_percent"}
_FRACTIONS = {"stalled_developed_fraction", "stalled_investment_fraction"}
_PLAIN_TYPES: dict[str, type] = {
    **{f: int for f in KEYS.values() if f.endswith(("_months", "_days", "_day", "_workdays", "_fen")) or f == "policy_version"},
    "overrun_strictly_greater": bool,
    **{f: str for f in ("county_name", "preset", "overrun_base")},
    **{name: str for (section, name) in KEYS if section == "departments"},
}
del _PLAIN_TYPES["idle_warning_months"]


class PolicyFileError(ValueError):
    """A policy file that cannot be read as a policy; the message names the file and the key."""


def _int_list(value: Any) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(m, int) and not isinstance(m, bool) for m in value):
        raise TypeError("expected a list of integers")
    return value


def _convert(field: str, value: Any, where: str) -> Any:
    # TOML floats are binary: thresholds must be written as integers or strings ("20", "1/3").
    if isinstance(value, float):
        raise PolicyFileError(f"{where}: write {value!r} as a string or integer, floats are not exact")
    expected = _PLAIN_TYPES.get(field)
    # bool is an int in Python; a month count of `true` is still a mistake.
    if expected is not None and (not isinstance(value, expected) or (expected is int and isinstance(value, bool))):
        raise PolicyFileError(f"{where}: expected {expected.__name__}, got {value!r}")
    try:
        if field in _DECIMALS:
            return Decimal(str(value))
        if field in _FRACTIONS:
            return Fraction(str(value))
        if field == "idle_warning_months":
            first, second = _int_list(value)
            return (first, second)
        if field == "reporting_stages":
            if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
                raise TypeError("expected a list of stage names")
            return tuple(value)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise PolicyFileError(f"{where}: cannot read {value!r}: {exc}") from exc
    return value


def _read(path: Path, preset: bool = False) -> dict[str, Any]:
    """The Policy fields one file sets."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PolicyFileError(f"{path}: not valid TOML: {exc}") from exc
    fields: dict[str, Any] = {}
    for key, value in data.items():
        if key in IGNORED_SECTIONS and isinstance(value, dict):
            continue
        if key in SECTIONS and isinstance(value, dict):
            items = [((key, sub), sub_value) for sub, sub_value in value.items()]
        else:
            items = [((None, key), value)]
        for (section, name), item in items:
            dotted = f"{section}.{name}" if section else name
            if (section, name) not in KEYS or (preset and KEYS[(section, name)] in NOT_IN_PRESETS):
                raise PolicyFileError(f"{path}: unknown key {dotted!r}" + (" (not allowed in a preset)" if preset else ""))
            field = KEYS[(section, name)]
            fields[field] = _convert(field, item, f"{path}: {dotted}")
    return fields


def _preset(name: str, directory: Path, named_in: Path) -> dict[str, Any]:
    path = directory / PRESETS_DIRECTORY / f"{name}.toml"
    if name == NATIONAL and not path.exists():
        return {}  # the national preset is Policy's defaults; its file, where there is one, only documents them
    # A name that is not a plain file name could read outside the presets directory.
    if not name.replace("_", "").isalnum() or not path.is_file():
        known = sorted(p.stem for p in (directory / PRESETS_DIRECTORY).glob("*.toml"))
        raise PolicyFileError(f"{named_in}: preset: unknown preset {name!r}; known: {known}")
    return _read(path, preset=True)


def load_policy(county_code: str, directory: Path) -> Policy:
    """The county's policy; a county without its own file gets the defaults (and the default preset)."""
    default_file = directory / "default.toml"
    fields = _read(default_file)
    county_file = directory / f"{county_code}.toml"
    county = _read(county_file) if county_file.exists() else {}
    name = county.get("preset", fields.get("preset", NATIONAL))
    fields |= _preset(name, directory, county_file if "preset" in county else default_file)
    fields |= county
    fields["preset"] = name
    try:
        return Policy(county_code=county_code, **fields)
    except (TypeError, ValueError) as exc:
        raise PolicyFileError(f"policy for county {county_code} in {directory}: {exc}") from exc


def policies(directory: Path) -> Callable[[str], Policy]:
    """County code -> its policy, each file read once."""
    @cache
    def policy_for(county_code: str) -> Policy:
        return load_policy(county_code, directory)

    return policy_for
