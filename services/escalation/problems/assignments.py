"""The pure life of an assignment (交办事项): a meeting's decision, tracked like a case until it is closed (销号).

States: opened → acknowledged (签收) → reported (报告落实情况) → verified (核实) → closed (销号); a report the office
does not accept goes back to acknowledged. Levels: 1 the handler department, 2 the leader who follows it up,
3 the scheduling meeting. A missed deadline climbs one level with a new deadline; at the top it stays overdue.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from services.escalation.domain.workdays import add_workdays

TOP = 3
LEVEL_NAMES = {1: "承办部门落实", 2: "跟踪领导督促", 3: "调度会通报"}
OPEN = ("opened", "acknowledged", "reported", "verified")
STATE_NAMES = {"opened": "待签收", "acknowledged": "落实中", "reported": "已报告", "verified": "已核实", "closed": "已销号"}


class NotAllowed(Exception):
    def __init__(self, what: str, assignment: Assignment, why: str = "") -> None:
        self.state = assignment.state
        super().__init__(f"交办事项当前为“{STATE_NAMES[assignment.state]}”，不能{what}" + (f"：{why}" if why else ""))


@dataclass(frozen=True, slots=True, kw_only=True)
class Assignment:
    state: str
    level: int
    target_kind: str
    target_name: str
    due_on: date | None
    report: dict[str, str] | None = None
    closed_on: date | None = None

    @property
    def open(self) -> bool:
        return self.state in OPEN


@dataclass(frozen=True, slots=True)
class Followers:
    handler_department: str
    follow_up_leader: str
    scheduling_meeting: str

    def target(self, level: int) -> tuple[str, str]:
        return (("department", self.handler_department), ("leader", self.follow_up_leader), ("office", self.scheduling_meeting))[level - 1]


def opened(followers: Followers, deadline: date) -> Assignment:
    kind, name = followers.target(1)
    return Assignment(state="opened", level=1, target_kind=kind, target_name=name, due_on=deadline)


def acknowledge(assignment: Assignment) -> Assignment:
    if assignment.state != "opened":
        raise NotAllowed("签收", assignment)
    return replace(assignment, state="acknowledged")


def report(assignment: Assignment, what_done: str, evidence: str) -> Assignment:
    if assignment.state not in ("opened", "acknowledged"):
        raise NotAllowed("报告落实情况", assignment)
    return replace(assignment, state="reported", report={"what_done": what_done, "evidence": evidence})


def verify(assignment: Assignment, accepted: bool) -> Assignment:
    """The office checks the report on the ground: accepted, or back to the handler (the deadline stands)."""
    if assignment.state != "reported":
        raise NotAllowed("核实", assignment, "尚未报告落实情况")
    return replace(assignment, state="verified" if accepted else "acknowledged")


def close(assignment: Assignment, on: date) -> Assignment:
    if assignment.state != "verified":
        raise NotAllowed("销号", assignment, "核实后方可销号")
    return replace(assignment, state="closed", closed_on=on, due_on=None)


def is_late(assignment: Assignment, on: date) -> bool:
    """Late while nothing is reported by the deadline (a report waiting for the office's check is not late)."""
    return assignment.state in ("opened", "acknowledged") and assignment.due_on is not None and on > assignment.due_on


def climbed(assignment: Assignment, on: date, followers: Followers, climb_workdays: int) -> Assignment | None:
    if not is_late(assignment, on) or assignment.level >= TOP:
        return None
    kind, name = followers.target(assignment.level + 1)
    return replace(assignment, state="opened", level=assignment.level + 1, target_kind=kind, target_name=name,
                   due_on=add_workdays(on, climb_workdays).due)
