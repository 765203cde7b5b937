"""The county's case settings: the `[cases]` section of config/policies/default.toml and <county>.toml (nothing else)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

from services.escalation.policy_sections import merged_section


@dataclass(frozen=True, slots=True, kw_only=True)
class CasePolicy:
    """DOMAIN.md R4; every number is local practice [L], so a setting."""

    acknowledge_workdays: int = 1  # 签收: the next working day
    reply_workdays: int = 5  # 反馈: explanation and remedy plan
    l2_after_days: int = 15  # L1 unresolved this many days → the leader in charge
    letter_workdays: int = 10  # the 交办函's deadline
    red_months: int = 3  # red this many months running → the scheduling meeting (L4)
    l4_workdays: int = 20  # the scheduling meeting's deadline; missed → accountability recommendation (L5)
    organization_department: str = "县委组织部"
    letter_prefix: str = "督办"

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "int" and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"cases.{f.name} must be a whole number of at least 1: {value!r}")
            if f.type == "str" and (not isinstance(value, str) or not value.strip()):
                raise ValueError(f"cases.{f.name} must be a non-empty string: {value!r}")


class CasePolicyError(ValueError):
    """A `[cases]` section that cannot be read; the message names the file and the key."""


KEYS = {f.name for f in fields(CasePolicy)}


def load_case_policy(county_code: str, directory: Path) -> CasePolicy:
    """default.toml's [cases], then the county file's on top; no section at all means the defaults."""
    values = merged_section(county_code, directory, "cases", KEYS, CasePolicyError)
    try:
        return CasePolicy(**values)
    except ValueError as exc:
        raise CasePolicyError(f"case policy of county {county_code} in {directory}: {exc}") from exc


CasePolicyFor = Callable[[str], CasePolicy]


def case_policies(directory: Path) -> CasePolicyFor:
    @cache
    def case_policy_for(county_code: str) -> CasePolicy:
        return load_case_policy(county_code, directory)

    return case_policy_for


@cache
def configured() -> CasePolicyFor:
    """The policy directory the service is configured with (ESCALATION_POLICY_DIR), read once."""
    from services.escalation.settings import Settings  # settings read the environment: only when first needed

    return case_policies(Settings().policy_dir)
