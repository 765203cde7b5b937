"""The county's settings for problems and meetings: the `[problems]` section of config/policies/default.toml and <county>.toml."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

from services.escalation.policy_sections import merged_section

# The categories the seeds name (困难和问题); a county may configure its own list.
CATEGORIES = ("用地", "规划", "审批", "资金", "征迁", "水电气配套", "施工环境", "其他")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProblemPolicy:
    """Deadlines in working days per level (local practice [L], so settings, like the case ladder's)."""

    department_workdays: int = 10  # L1 the responsible department solves it
    leader_workdays: int = 10  # L2 the leader in charge (分包领导) coordinates
    joint_meeting_workdays: int = 20  # L3 the joint meeting (项目推进联席会议) must take it up
    scheduling_meeting_workdays: int = 20  # L4 the monthly scheduling meeting (调度会)
    assignment_climb_workdays: int = 5  # a late assignment's new deadline at the next level
    long_open_months: int = 3  # the bulletin lists problems open longer than this
    categories: tuple[str, ...] = CATEGORIES
    joint_meeting: str = "项目推进联席会议"
    minutes_prefix: str = "纪要"
    assignment_prefix: str = "交办"

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "int" and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"problems.{f.name} must be a whole number of at least 1: {value!r}")
        if not self.categories or any(not isinstance(c, str) or not c.strip() for c in self.categories):
            raise ValueError(f"problems.categories must be a list of names: {self.categories!r}")

    def workdays(self, level: int) -> int:
        return (self.department_workdays, self.leader_workdays, self.joint_meeting_workdays, self.scheduling_meeting_workdays)[level - 1]


class ProblemPolicyError(ValueError):
    """A `[problems]` section that cannot be read; the message names the file and the key."""


KEYS = {f.name for f in fields(ProblemPolicy)}


def load_problem_policy(county_code: str, directory: Path) -> ProblemPolicy:
    """default.toml's [problems], then the county file's on top; no section at all means the defaults."""
    values = merged_section(county_code, directory, "problems", KEYS, ProblemPolicyError)
    if isinstance(values.get("categories"), list):
        values["categories"] = tuple(values["categories"])
    try:
        return ProblemPolicy(**values)
    except (ValueError, TypeError) as exc:
        raise ProblemPolicyError(f"problem policy of county {county_code} in {directory}: {exc}") from exc


ProblemPolicyFor = Callable[[str], ProblemPolicy]


def problem_policies(directory: Path) -> ProblemPolicyFor:
    @cache
    def problem_policy_for(county_code: str) -> ProblemPolicy:
        return load_problem_policy(county_code, directory)

    return problem_policy_for


@cache
def configured() -> ProblemPolicyFor:
    """The policy directory the service is configured with (ESCALATION_POLICY_DIR), read once."""
    from services.escalation.settings import Settings  # settings read the environment: only when first needed

    return problem_policies(Settings().policy_dir)
