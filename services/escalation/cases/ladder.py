"""The ladder L1 → L5 (DOMAIN.md R4): who each level targets, who hears of it, and the level's own deadline.

L1 lead department (or the responsible unit for stale data); L2 the leader in charge, with a 交办函;
L3 a special meeting (专题会) the project office convenes; L4 the county scheduling meeting's (调度会)
agenda; L5 an accountability recommendation (建议, never a decision) to 纪委监委 and 组织部.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.escalation.cases.policy import CasePolicy
from services.escalation.domain.findings import Audience, AudienceKind, AudienceRole, audience
from services.escalation.domain.periods import period_end
from services.escalation.domain.workdays import Deadline, add_days, add_workdays

TOP = 5
LEVEL_NAMES = {
    1: "责任部门督办",
    2: "分管领导交办",
    3: "专题会研究",
    4: "调度会议定",
    5: "问责建议",
}


def level_name(level: int, target_kind: str) -> str:
    """What a person reads for the level: at L1 whose desk the case is on (the department that must act, which is
    not always the lead department: a blocker or the body the rule names; or the office); above L1 the ladder's names."""
    if level != 1:
        return LEVEL_NAMES[level]
    return "责任部门督办" if target_kind == "department" else "项目办督办"


@dataclass(frozen=True, slots=True)
class Parties:
    """Who the ladder names for one project: from its current facts and the county's policy."""

    office: str
    scheduling_meeting: str
    discipline_commission: str
    organization_department: str
    lead_department: str | None = None
    responsible_unit: str | None = None
    leader: str | None = None
    blocking_department: str | None = None  # the rule found this department holding the project up
    addressed_department: str | None = None  # a body the rule's level names to act (e.g. 自然资源局 for the idle fee)

    @property
    def acting_department(self) -> str | None:
        """Who must act for the project at L1, and handles the letter at L2."""
        return self.blocking_department or self.addressed_department or self.lead_department


def first_target(parties: Parties, colour: str) -> tuple[str, str]:
    """L1: the blocking department when the rule found one ("the red goes to whoever blocks"), else the lead
    department; stale data (grey) goes to the responsible unit, who keeps the ledger."""
    order = ((parties.responsible_unit, parties.lead_department) if colour == "grey"
             else (parties.acting_department, parties.responsible_unit))
    name = next((n for n in order if n), None)
    return ("department", name) if name else ("office", parties.office)


def target_at(level: int, parties: Parties) -> tuple[str, str]:
    if level == 2 and parties.leader:
        return "leader", parties.leader
    # L3 and up: the office convenes the meeting or forwards the recommendation; it acts, others are told.
    return "office", parties.office


def floor_of(colour: str) -> int:
    """The level a finding's colour asks for at least: red → L2 (leader in charge), else L1."""
    return 2 if colour == "red" else 1


def level_due(level: int, started_on: date, red_since: date | None, policy: CasePolicy) -> Deadline | None:
    """The level's own deadline: missed while the condition still holds, the case climbs."""
    if level == 1:
        return add_days(started_on, policy.l2_after_days)
    if level == 2:
        return add_workdays(started_on, policy.letter_workdays)
    if level == 3:
        # "Red three months running", counted like any period of months (民法典 Art. 201–202).
        return Deadline(period_end(red_since or started_on, policy.red_months))
    if level == 4:
        return add_workdays(started_on, policy.l4_workdays)
    return None


_Member = tuple[AudienceKind, str | None, AudienceRole]


def _extras(level: int, parties: Parties) -> list[_Member]:
    if level == 1:
        return [("department", parties.responsible_unit, "informed"), ("office", parties.office, "informed")]
    if level == 2:
        # The letter's handler (the blocking, else the lead department) must act under the leader's letter.
        return [("department", parties.acting_department, "action"), ("office", parties.office, "informed")]
    acting: _Member = ("department", parties.blocking_department or parties.addressed_department, "action")
    if level == 3:
        return [acting, ("leader", parties.leader, "informed"), ("department", parties.lead_department, "informed")]
    if level == 4:
        return [("department", parties.scheduling_meeting, "action"), acting, ("leader", parties.leader, "informed")]
    return [("department", parties.discipline_commission, "action"), ("department", parties.organization_department, "action"),
            ("office", parties.office, "informed")]


def audience_of(level: int, target_kind: str, target_name: str, parties: Parties) -> tuple[Audience, ...]:
    """The target first, then the level's audience; at L5 the recommendation's receivers act, the target is told."""
    role: AudienceRole = "informed" if level == TOP else "action"
    members: list[_Member] = [(target_kind, target_name, role), *_extras(level, parties)]  # type: ignore[list-item]
    return audience(members, Audience("office", parties.office, "action"))
