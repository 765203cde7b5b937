"""The pure life of a problem (问题): solved at the lowest level that can, "解决不了的问题再提交上来".

Levels: 1 the responsible department, 2 the leader in charge (分包领导), 3 the joint meeting (联席会议),
4 the scheduling meeting (调度会). States: raised → accepted → solving → solved → closed (销号, by the office),
or reopened (back to accepted). Moving up, by a submission with a reason or by a missed deadline, starts the new
level at `raised`: its people must accept it. A leader can hand it back down with an instruction. While a meeting's
agenda or an assignment holds a problem, its own clock stops (the meeting, then the assignment, carry the deadline).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from services.escalation.domain.workdays import add_workdays
from services.escalation.problems.policy import ProblemPolicy

TOP = 4
LEVEL_NAMES = {1: "责任部门解决", 2: "分包领导协调", 3: "联席会议研究", 4: "调度会议定"}
OPEN = ("raised", "accepted", "solving")
STATE_NAMES = {"raised": "待受理", "accepted": "已受理", "solving": "解决中", "solved": "已解决", "closed": "已销号"}


class NotAllowed(Exception):
    """The step does not apply to the problem as it stands; the message is Chinese first, as a person reads it."""

    def __init__(self, what: str, problem: Problem, why: str = "") -> None:
        self.state = problem.state
        super().__init__(f"问题当前为“{STATE_NAMES[problem.state]}”（{LEVEL_NAMES[problem.level]}），不能{what}" + (f"：{why}" if why else ""))


@dataclass(frozen=True, slots=True)
class Parties:
    """Who each level names for one problem: the department that must solve it, the leader in charge, the bodies."""

    office: str
    department: str | None
    leader: str | None
    joint_meeting: str
    scheduling_meeting: str

    def target(self, level: int) -> tuple[str, str]:
        """(kind, name) of whoever must act at a level; a level with nobody named falls to the office."""
        if level == 1 and self.department:
            return "department", self.department
        if level == 2 and self.leader:
            return "leader", self.leader
        return "office", (self.joint_meeting if level == 3 else self.scheduling_meeting if level == 4 else self.office)


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    state: str
    level: int
    target_kind: str
    target_name: str
    level_started_on: date
    due_on: date | None
    months_reported: int = 0
    first_month: str | None = None
    last_month: str | None = None
    meeting_id: str | None = None
    assignment_id: str | None = None
    resolution: dict[str, str] | None = None
    closed_on: date | None = None

    @property
    def open(self) -> bool:
        return self.state in OPEN

    def is_late(self, as_of: date) -> bool:
        return self.open and self.due_on is not None and as_of > self.due_on and self.meeting_id is None and self.assignment_id is None


def _at(problem: Problem, level: int, on: date, parties: Parties, policy: ProblemPolicy, state: str = "raised") -> Problem:
    kind, name = parties.target(level)
    return replace(problem, state=state, level=level, target_kind=kind, target_name=name, level_started_on=on,
                   due_on=add_workdays(on, policy.workdays(level)).due, meeting_id=None)


def raised(on: date, parties: Parties, policy: ProblemPolicy, month: str | None = None) -> Problem:
    """A new problem starts with the department that can solve it (the office when none is named)."""
    start = Problem(state="raised", level=1, target_kind="office", target_name=parties.office, level_started_on=on, due_on=None,
                    months_reported=1 if month else 0, first_month=month, last_month=month)
    return _at(start, 1, on, parties, policy)


def still_reported(problem: Problem, month: str) -> Problem | None:
    """The ledger of a later month names it again: one more month reported (None: that month is already counted)."""
    if problem.last_month is not None and month <= problem.last_month:
        return None
    return replace(problem, months_reported=problem.months_reported + 1, first_month=problem.first_month or month, last_month=month)


def accept(problem: Problem) -> Problem:
    if problem.state != "raised":
        raise NotAllowed("受理", problem)
    return replace(problem, state="accepted")


def start_solving(problem: Problem) -> Problem:
    if problem.state not in ("raised", "accepted"):
        raise NotAllowed("开始解决", problem)
    return replace(problem, state="solving")


def solve(problem: Problem, what_done: str, evidence: str) -> Problem:
    if not problem.open:
        raise NotAllowed("报解决", problem)
    return replace(problem, state="solved", due_on=None, resolution={"what_done": what_done, "evidence": evidence})


def close(problem: Problem, on: date) -> Problem:
    if problem.state != "solved":
        raise NotAllowed("销号", problem, "只有已解决的问题可以销号")
    return replace(problem, state="closed", closed_on=on)


def reopen(problem: Problem, on: date, policy: ProblemPolicy) -> Problem:
    """Not solved after all (the office decides, or the ledger still reports it after 销号): the same level again."""
    if problem.open:
        raise NotAllowed("重新打开", problem, "问题尚未解决")
    return replace(problem, state="accepted", closed_on=None, resolution=None, assignment_id=None, level_started_on=on,
                   due_on=add_workdays(on, policy.workdays(problem.level)).due)


def submit_up(problem: Problem, on: date, parties: Parties, policy: ProblemPolicy) -> Problem:
    """The level cannot solve it: the next level up takes it (its people must accept it)."""
    if not problem.open or problem.level >= TOP:
        raise NotAllowed("提交上一级", problem, "已在最高一级" if problem.level >= TOP else "")
    return _at(problem, problem.level + 1, on, parties, policy)


def hand_back(problem: Problem, on: date, parties: Parties, policy: ProblemPolicy) -> Problem:
    """A leader or a meeting returns it one level down with an instruction; the lower level has a new deadline."""
    if not problem.open or problem.level <= 1:
        raise NotAllowed("交回下一级办理", problem)
    return _at(problem, problem.level - 1, on, parties, policy, state="accepted")


def put_on_agenda(problem: Problem, meeting_id: str, meeting_level: int, on: date, parties: Parties) -> Problem:
    """A meeting takes it up: the problem sits at the meeting's level and waits for its decision (its clock stops)."""
    if not problem.open:
        raise NotAllowed("列入会议议题", problem)
    kind, name = parties.target(max(problem.level, meeting_level))
    return replace(problem, level=max(problem.level, meeting_level), target_kind=kind, target_name=name, level_started_on=on,
                   due_on=None, meeting_id=meeting_id)


def decided(problem: Problem, assignment_id: str, handler: str, deadline: date) -> Problem:
    """The meeting decided: an assignment now carries it to its handler and deadline."""
    return replace(problem, state="solving", target_kind="department", target_name=handler, due_on=deadline, assignment_id=assignment_id)


def off_agenda(problem: Problem, on: date, policy: ProblemPolicy) -> Problem:
    """Removed from a meeting's agenda undecided: back on its level's clock."""
    return replace(problem, meeting_id=None, level_started_on=on, due_on=add_workdays(on, policy.workdays(problem.level)).due)


def climbed(problem: Problem, on: date, parties: Parties, policy: ProblemPolicy) -> Problem | None:
    """A missed deadline moves it up one level (None: not late, or already at the top, where it stays overdue)."""
    if not problem.is_late(on) or problem.level >= TOP:
        return None
    return _at(problem, problem.level + 1, on, parties, policy)
