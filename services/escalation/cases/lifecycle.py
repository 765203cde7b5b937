"""The pure life of a case (督办单): the actions people take, the clocks, and the climb up the ladder.

States: opened → acknowledged (签收) → replied (反馈) → reviewed (复核) → closed (办结); or opened → withdrawn (撤销)
when the condition clears the day the case opened, before anyone acted on it.
- A review that rejects the reply sends the case back to `acknowledged` with a new reply deadline.
- Reopening (office, from reviewed or closed) goes back to `acknowledged`: the target had already
  signed for the case, so what is owed is a new reply; the level's clock starts again. A case
  reopened at L4 has failed again after the scheduling meeting: that is the repeated failure of L5.
- Every climb resets the case to `opened`: the new level's target must sign for it.
Two clocks run while a case is open and not paused: the step clock (sign within 1 working day,
reply within 5) climbs only at L1 and L2, where a department or a leader owes the step (at L3 and up
the office owes it to itself); the level clock (L1 15 days, L2 the letter's deadline, L3 red three
months running, L4 the meeting's deadline) climbs only while the escalation's condition still holds.
A case climbs at most once a day, so a sweep run twice for the same day changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from services.escalation.cases.ladder import TOP, Parties, first_target, floor_of, level_due, target_at
from services.escalation.cases.policy import CasePolicy
from services.escalation.domain.workdays import Deadline, add_workdays, is_workday
from shared.contracts.case import FINISHED_STATES, CaseState
from shared.wording import action_name, state_name

WHY = {"an exception awaits the office's decision": "例外申请待项目办认定", "no exception is pending": "没有待认定的例外申请",
       "clocks already paused, awaiting the office's decision": "计时已暂停，待项目办认定"}
EXCEPTION_KINDS = {"government_delay": "政府原因延误", "force_majeure": "不可抗力", "tolerance": "容错免责"}


class NotAllowed(Exception):
    """The action does not apply to the case as it stands; the message names the state."""

    def __init__(self, action: str, case: Case, why: str = "") -> None:
        self.state = case.state
        # Chinese first, as a person reads it (the CLI prints it); then the English with the machine's names.
        super().__init__(f"督办件当前为“{state_name(case.state.value)}”，不能{action_name(action.replace(' ', '_'))}"
                         + (f"：{WHY.get(why, why)}" if why else "")
                         + f" / {action} is not allowed when the case is {case.state.value}" + (f" ({why})" if why else ""))


@dataclass(frozen=True, slots=True)
class Claim:
    """A claimed exception (government-caused delay, force majeure, 容错) and the office's decision."""

    kind: str
    reason: str
    claimed_on: date
    blocking_department: str | None = None
    claimed_by: str | None = None
    status: str = "pending"  # pending | confirmed | rejected
    decided_on: date | None = None


@dataclass(frozen=True, slots=True)
class Letter:
    """交办函: issued on reaching L2, with a deadline and a named handler."""

    number: str
    issued_on: date
    deadline: Deadline
    handler: str
    handler_department: str | None
    signed_by: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    state: CaseState
    level: int
    target_kind: str
    target_name: str
    opened_on: date
    step_started_on: date
    step_due: Deadline | None
    level_started_on: date
    level_due: Deadline | None
    paused_since: date | None = None
    paused_days: int = 0
    claim: Claim | None = None
    letter: Letter | None = None
    red_since: date | None = None
    reopened: int = 0
    closed_on: date | None = None

    @property
    def due(self) -> Deadline | None:
        """The next deadline that matters, for people and for the cases row's due_on."""
        found = [d for d in (self.step_due, self.level_due) if d is not None]
        return min(found, key=lambda d: d.due) if found else None

    @property
    def due_step(self) -> str | None:
        """Which step `due` is the deadline of: acknowledge, reply, or resolve (the level's clock)."""
        due = self.due
        if due is None:
            return None
        if due is self.step_due:
            return "acknowledge" if self.state == CaseState.opened else "reply"
        return "resolve"

    @property
    def due_for(self) -> str | None:
        """What `due` is the deadline for, as a person reads it after 请于<due>前: one deadline, one step."""
        return {"acknowledge": "签收", "reply": "反馈", "resolve": "解决（逾期将升级督办）", None: None}[self.due_step]

    @property
    def paused(self) -> bool:
        return self.paused_since is not None


@dataclass(frozen=True, slots=True)
class LetterDraft:
    """What the store knows of a letter before the pure climb dates it: its number and named handler."""

    number: str
    handler: str
    handler_department: str | None


def _require(case: Case, action: str, *states: CaseState) -> None:
    if case.state not in states:
        raise NotAllowed(action, case)


def _reply_due(as_of: date, policy: CasePolicy) -> Deadline:
    return add_workdays(as_of, policy.reply_workdays)


def open_case(colour: str, parties: Parties, as_of: date, policy: CasePolicy, draft: LetterDraft) -> Case:
    """A yellow or grey finding opens at L1, a red one at L2 (DOMAIN.md R4: "or red → leader in charge")."""
    kind, name = first_target(parties, colour)
    case = Case(state=CaseState.opened, level=1, target_kind=kind, target_name=name, opened_on=as_of, step_started_on=as_of,
                step_due=add_workdays(as_of, policy.acknowledge_workdays), level_started_on=as_of,
                level_due=level_due(1, as_of, None, policy))
    return climb(case, floor_of(colour), as_of, parties, policy, draft) if floor_of(colour) > 1 else case


def climb(case: Case, to_level: int, as_of: date, parties: Parties, policy: CasePolicy, draft: LetterDraft) -> Case:
    """Up to `to_level` (never down): the new target must sign again; L2 brings the 交办函."""
    if not case.level < to_level <= TOP:
        raise ValueError(f"a case climbs from L{case.level} to a higher level up to L{TOP}, not L{to_level}")
    red_since = case.red_since or (as_of if to_level >= 2 else None)
    kind, name = target_at(to_level, parties)
    letter = case.letter
    due = level_due(to_level, as_of, red_since, policy)
    if letter is None and to_level >= 2:
        deadline = add_workdays(as_of, policy.letter_workdays)
        letter = Letter(draft.number, as_of, deadline, draft.handler, draft.handler_department, parties.leader)
    return replace(case, state=CaseState.opened, level=to_level, target_kind=kind, target_name=name, step_started_on=as_of,
                   step_due=add_workdays(as_of, policy.acknowledge_workdays), level_started_on=as_of, level_due=due,
                   red_since=red_since, letter=letter, closed_on=None)


def retarget(case: Case, colour: str, as_of: date, parties: Parties, policy: CasePolicy, draft: LetterDraft) -> Case | None:
    """The rule's level now names another department to act (idle land at the fee level: 自然资源局): the case moves
    there at the same ladder level (from L2 its letter's handler does) and its level clock keeps running; a new target
    must sign. None when nothing moves.

    Cases people have finished with, paused ones and ones re-targeted by a confirmed exception stay where they are."""
    if (case.state in (CaseState.reviewed, CaseState.closed, CaseState.withdrawn) or case.paused or case.level >= TOP
            or (case.claim and case.claim.status == "confirmed")):
        return None
    if case.level == 1:
        kind, name = first_target(parties, colour)
    elif case.level == 2:
        kind, name = target_at(2, parties)
    else:  # L3 and L4: the office convenes; the department that must act handles the letter and is in the audience
        kind, name = case.target_kind, case.target_name
    letter = case.letter
    if letter is not None and draft.handler_department and letter.handler_department != draft.handler_department:
        letter = replace(letter, handler=draft.handler, handler_department=draft.handler_department)
    if (kind, name) == (case.target_kind, case.target_name) and letter == case.letter:
        return None
    moved = (kind, name) != (case.target_kind, case.target_name)
    return replace(case, target_kind=kind, target_name=name, letter=letter,
                   **({"state": CaseState.opened, "step_started_on": as_of,
                       "step_due": add_workdays(as_of, policy.acknowledge_workdays)} if moved else {}))


def missed(case: Case, as_of: date, condition_holds: bool) -> str | None:
    """Why the case climbs as of this day (in Chinese, for the audit log), or None."""
    if case.state.value in FINISHED_STATES or case.paused or case.level >= TOP or as_of <= case.level_started_on:
        return None
    if case.level <= 2 and case.step_due is not None and as_of > case.step_due.due:
        step = "签收" if case.state == CaseState.opened else "反馈"
        return f"未在{case.step_due.due.isoformat()}前{step}"
    if condition_holds and case.level_due is not None and as_of > case.level_due.due:
        return {
            1: "L1督办后逾期仍未解决",
            2: "交办函期限已过仍未解决",
            3: "连续红色已满期限",
            4: "调度会期限已过仍未解决（再次未完成）",
        }[case.level] + f"（期限{case.level_due.due.isoformat()}）"
    return None


def acknowledge(case: Case, as_of: date, policy: CasePolicy) -> Case:
    _require(case, "acknowledge", CaseState.opened)
    return replace(case, state=CaseState.acknowledged, step_started_on=as_of, step_due=_reply_due(as_of, policy))


def reply(case: Case, as_of: date) -> Case:
    _require(case, "reply", CaseState.acknowledged)
    return replace(case, state=CaseState.replied, step_started_on=as_of, step_due=None)


def condition_cleared(case: Case, as_of: date, may_withdraw: bool = True) -> Case | None:
    """The machine never closes a case that anyone worked on: a cleared condition leaves it replied, awaiting the
    office's review. A case whose condition cleared the day it opened, before anyone signed for it, is withdrawn
    (撤销): it was raised by a passing state within one day's records (an early record before the correction that
    followed it), so the cases a day's input leaves do not depend on the order its records arrived in. Not so when
    the escalation closed because its period ended (`may_withdraw` False): that state did not pass."""
    if case.state not in (CaseState.opened, CaseState.acknowledged):
        return None
    if may_withdraw and case.state == CaseState.opened and case.opened_on == as_of and not case.reopened and case.claim is None:
        return replace(case, state=CaseState.withdrawn, closed_on=as_of, step_due=None, level_due=None)
    # The level clock stops with the condition; a rejected review restarts only the reply clock, a reopening both.
    return replace(case, state=CaseState.replied, step_started_on=as_of, step_due=None, level_due=None)


def review(case: Case, accepted: bool, as_of: date, policy: CasePolicy) -> Case:
    _require(case, "review", CaseState.replied)
    if accepted:
        return replace(case, state=CaseState.reviewed, step_started_on=as_of, step_due=None)
    return replace(case, state=CaseState.acknowledged, step_started_on=as_of, step_due=_reply_due(as_of, policy))


def close(case: Case, as_of: date) -> Case:
    _require(case, "close", CaseState.reviewed)
    if case.paused:
        raise NotAllowed("close", case, "an exception awaits the office's decision")
    return replace(case, state=CaseState.closed, closed_on=as_of, step_due=None, level_due=None)


def reopen(case: Case, as_of: date, policy: CasePolicy) -> Case:
    _require(case, "reopen", CaseState.reviewed, CaseState.closed)
    due = level_due(case.level, as_of, case.red_since, policy)
    letter = case.letter
    if letter is not None and case.level == 2:
        letter = replace(letter, deadline=due)  # the letter's deadline is the L2 clock: a new round, a new date
    return replace(case, state=CaseState.acknowledged, step_started_on=as_of, step_due=_reply_due(as_of, policy),
                   level_started_on=as_of, level_due=due, letter=letter, reopened=case.reopened + 1, closed_on=None)


def fails_again(before: Case) -> bool:
    """A reopening at L4 is the repeated failure that climbs to L5."""
    return before.level == 4


def claim_exception(case: Case, kind: str, reason: str, blocking_department: str | None, by: str | None, as_of: date) -> Case:
    if kind not in EXCEPTION_KINDS:
        raise ValueError(f"exception kind must be one of {sorted(EXCEPTION_KINDS)}: {kind!r}")
    if case.state.value in FINISHED_STATES:
        raise NotAllowed("exception", case)
    if case.paused:
        raise NotAllowed("exception", case, "clocks already paused, awaiting the office's decision")
    claim = Claim(kind, reason, as_of, blocking_department or None, by)
    return replace(case, paused_since=as_of, claim=claim)


def paused_workdays(since: date, until: date) -> tuple[int, bool]:
    """Working days from `since` up to the day before `until`: the day of the decision counts again."""
    count, provisional, day = 0, False, since
    while day < until:
        working, unsure = is_workday(day)
        count += working
        provisional |= unsure
        day += timedelta(days=1)
    return count, provisional


def _push(deadline: Deadline | None, days: int, unsure: bool) -> Deadline | None:
    if deadline is None or days == 0:
        return deadline
    pushed = add_workdays(deadline.due, days)
    return Deadline(pushed.due, pushed.provisional or deadline.provisional or unsure)


def decide_exception(case: Case, confirmed: bool, as_of: date, policy: CasePolicy) -> Case:
    """Clocks resume, pushed by the paused working days; a confirmed claim naming a blocker re-targets the case there."""
    if not case.paused or case.claim is None:
        raise NotAllowed("exception decision", case, "no exception is pending")
    assert case.paused_since is not None
    days, unsure = paused_workdays(case.paused_since, as_of)
    letter = case.letter
    if letter is not None and case.level == 2:
        letter = replace(letter, deadline=_push(letter.deadline, days, unsure) or letter.deadline)
    resumed = replace(case, paused_since=None, paused_days=case.paused_days + days, letter=letter,
                      step_due=_push(case.step_due, days, unsure), level_due=_push(case.level_due, days, unsure),
                      claim=replace(case.claim, status="confirmed" if confirmed else "rejected", decided_on=as_of))
    blocker = case.claim.blocking_department
    if confirmed and blocker:
        return replace(resumed, state=CaseState.opened, target_kind="department", target_name=blocker, step_started_on=as_of,
                       step_due=add_workdays(as_of, policy.acknowledge_workdays))
    return resumed
