"""The pure case lifecycle: table-driven transitions, working-day deadlines on the official calendar, the ladder's clocks, pauses."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.escalation.cases import lifecycle
from services.escalation.cases.ladder import Parties, audience_of
from services.escalation.cases.lifecycle import Case, LetterDraft, NotAllowed
from services.escalation.cases.policy import CasePolicy
from services.escalation.domain.workdays import Deadline
from shared.contracts.case import CaseState

POLICY = CasePolicy()
PARTIES = Parties(office="县重点项目办", scheduling_meeting="县重点项目调度会", discipline_commission="县纪委监委",
                  organization_department="县委组织部", lead_department="发改局", responsible_unit="住建局", leader="陈立新")
DRAFT = LetterDraft("督办〔2026〕TEST号", "王五", "发改局")
DAY = date(2026, 6, 1)  # a Monday, no holiday near


def opened(colour: str = "yellow", on: date = DAY) -> Case:
    return lifecycle.open_case(colour, PARTIES, on, POLICY, DRAFT)


def at_state(state: CaseState) -> Case:
    case = opened()
    if state == CaseState.opened:
        return case
    if state == CaseState.withdrawn:
        return lifecycle.condition_cleared(case, DAY)
    case = lifecycle.acknowledge(case, DAY, POLICY)
    if state == CaseState.acknowledged:
        return case
    case = lifecycle.reply(case, DAY)
    if state == CaseState.replied:
        return case
    case = lifecycle.review(case, True, DAY, POLICY)
    if state == CaseState.reviewed:
        return case
    return lifecycle.close(case, DAY)


ACTIONS = {
    "acknowledge": lambda c: lifecycle.acknowledge(c, DAY, POLICY),
    "reply": lambda c: lifecycle.reply(c, DAY),
    "review_accept": lambda c: lifecycle.review(c, True, DAY, POLICY),
    "review_reject": lambda c: lifecycle.review(c, False, DAY, POLICY),
    "close": lambda c: lifecycle.close(c, DAY),
    "reopen": lambda c: lifecycle.reopen(c, DAY, POLICY),
    "exception": lambda c: lifecycle.claim_exception(c, "government_delay", "土地未交付", "自然资源局", None, DAY),
}
ALLOWED = {
    (CaseState.opened, "acknowledge"): CaseState.acknowledged,
    (CaseState.acknowledged, "reply"): CaseState.replied,
    (CaseState.replied, "review_accept"): CaseState.reviewed,
    (CaseState.replied, "review_reject"): CaseState.acknowledged,
    (CaseState.reviewed, "close"): CaseState.closed,
    (CaseState.reviewed, "reopen"): CaseState.acknowledged,
    (CaseState.closed, "reopen"): CaseState.acknowledged,
    (CaseState.opened, "exception"): CaseState.opened,
    (CaseState.acknowledged, "exception"): CaseState.acknowledged,
    (CaseState.replied, "exception"): CaseState.replied,
    (CaseState.reviewed, "exception"): CaseState.reviewed,
}


@pytest.mark.parametrize("state", list(CaseState))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_in_every_state(state: CaseState, action: str) -> None:
    case = at_state(state)
    expected = ALLOWED.get((state, action))
    if expected is None:
        with pytest.raises(NotAllowed, match=f"when the case is {state.value}"):
            ACTIONS[action](case)
    else:
        assert ACTIONS[action](case).state == expected


def test_a_yellow_finding_opens_at_l1_at_the_lead_department_and_a_grey_one_at_the_responsible_unit() -> None:
    yellow, grey = opened("yellow"), opened("grey")
    assert (yellow.level, yellow.target_kind, yellow.target_name, yellow.letter) == (1, "department", "发改局", None)
    assert (grey.level, grey.target_name) == (1, "住建局")


def test_a_red_finding_opens_at_l2_at_the_leader_with_a_letter() -> None:
    case = opened("red")
    assert (case.level, case.target_kind, case.target_name, case.red_since) == (2, "leader", "陈立新", DAY)
    assert case.letter is not None
    assert (case.letter.number, case.letter.handler, case.letter.signed_by) == ("督办〔2026〕TEST号", "王五", "陈立新")
    assert case.letter.deadline == Deadline(date(2026, 6, 15))  # 10 working days after Monday 1 June
    assert case.level_due == case.letter.deadline


def test_deadlines_step_over_national_day_2026() -> None:
    case = opened(on=date(2026, 9, 30))  # the last working day before 1–7 October
    assert case.step_due == Deadline(date(2026, 10, 8))
    assert case.level_due == Deadline(date(2026, 10, 15))  # 15 calendar days, not a holiday
    signed = lifecycle.acknowledge(case, date(2026, 10, 8), POLICY)
    # 9, 10 (the Saturday worked in exchange), 12, 13, 14 October.
    assert signed.step_due == Deadline(date(2026, 10, 14))


def test_deadlines_in_a_year_without_an_announced_calendar_are_provisional() -> None:
    case = opened(on=date(2027, 3, 1))
    assert case.step_due == Deadline(date(2027, 3, 2), provisional=True)
    assert case.due is not None and case.due.provisional


@pytest.mark.parametrize(("as_of", "climbs"), [(date(2026, 6, 1), False), (date(2026, 6, 2), False), (date(2026, 6, 3), True)])
def test_a_missed_acknowledgement_climbs_the_day_after_its_deadline(as_of: date, climbs: bool) -> None:
    case = opened()
    assert case.step_due == Deadline(date(2026, 6, 2))
    assert (lifecycle.missed(case, as_of, condition_holds=True) is not None) is climbs


def test_the_level_clock_runs_only_while_the_condition_holds() -> None:
    case = lifecycle.reply(lifecycle.acknowledge(opened(), DAY, POLICY), DAY)
    assert case.level_due == Deadline(date(2026, 6, 16))
    assert lifecycle.missed(case, date(2026, 6, 16), condition_holds=True) is None
    assert lifecycle.missed(case, date(2026, 6, 17), condition_holds=True) is not None
    assert lifecycle.missed(case, date(2026, 6, 17), condition_holds=False) is None


def test_the_ladder_to_l5_targets_and_audiences() -> None:
    case = opened()
    expected = {2: ("leader", "陈立新"), 3: ("office", "县重点项目办"), 4: ("office", "县重点项目办"), 5: ("office", "县重点项目办")}
    for level in range(2, 6):
        case = lifecycle.climb(case, level, DAY, PARTIES, POLICY, DRAFT)
        assert (case.target_kind, case.target_name, case.state) == (*expected[level], CaseState.opened)
    actors = {a.name for a in audience_of(5, case.target_kind, case.target_name, PARTIES) if a.role == "action"}
    assert actors == {"县纪委监委", "县委组织部"}
    assert lifecycle.missed(replace(case, step_due=Deadline(DAY)), date(2026, 12, 1), True) is None  # nothing above L5
    with pytest.raises(ValueError):
        lifecycle.climb(case, 5, DAY, PARTIES, POLICY, DRAFT)


def test_l3_climbs_after_three_months_of_red() -> None:
    case = lifecycle.climb(opened("red"), 3, date(2026, 6, 20), PARTIES, POLICY, DRAFT)
    assert case.level_due == Deadline(date(2026, 9, 1))  # red since 1 June: three months end on 1 September
    assert lifecycle.missed(case, date(2026, 9, 1), True) is None
    assert lifecycle.missed(case, date(2026, 9, 2), True) is not None


def test_a_case_climbs_at_most_once_a_day() -> None:
    case = lifecycle.climb(opened("red"), 3, date(2026, 12, 1), PARTIES, POLICY, DRAFT)  # red since June: L3's clock already ran out
    assert lifecycle.missed(case, date(2026, 12, 1), True) is None
    assert lifecycle.missed(case, date(2026, 12, 2), True) is not None


def test_a_paused_case_does_not_climb_and_resumes_with_its_deadlines_pushed() -> None:
    case = opened()  # acknowledge due Tuesday 2 June
    paused = lifecycle.claim_exception(case, "force_majeure", "暴雨", None, "p1", date(2026, 6, 2))
    assert lifecycle.missed(paused, date(2026, 6, 30), True) is None
    with pytest.raises(NotAllowed, match="already paused"):
        lifecycle.claim_exception(paused, "tolerance", "again", None, "p1", date(2026, 6, 3))
    # Paused Tuesday 2 … Monday 8 June: 2, 3, 4, 5 and 8 June are five working days.
    resumed = lifecycle.decide_exception(paused, False, date(2026, 6, 9), POLICY)
    assert (resumed.paused_since, resumed.paused_days, resumed.claim.status) == (None, 5, "rejected")
    assert resumed.step_due == Deadline(date(2026, 6, 9))
    assert resumed.target_name == "发改局"


def test_a_confirmed_government_delay_retargets_at_the_blocking_department() -> None:
    case = lifecycle.acknowledge(opened(), DAY, POLICY)
    paused = lifecycle.claim_exception(case, "government_delay", "土地未交付", "自然资源局", "p1", date(2026, 6, 2))
    confirmed = lifecycle.decide_exception(paused, True, date(2026, 6, 4), POLICY)
    assert (confirmed.target_kind, confirmed.target_name, confirmed.state) == ("department", "自然资源局", CaseState.opened)
    assert confirmed.step_due == Deadline(date(2026, 6, 5))
    assert confirmed.level_due == Deadline(date(2026, 6, 18))  # 16 June pushed by two paused working days
    with pytest.raises(NotAllowed, match="no exception is pending"):
        lifecycle.decide_exception(confirmed, True, date(2026, 6, 5), POLICY)


def test_a_cleared_condition_leaves_the_case_for_people_to_close() -> None:
    later = date(2026, 6, 2)
    assert lifecycle.condition_cleared(opened(), later).state == CaseState.replied
    assert lifecycle.condition_cleared(at_state(CaseState.acknowledged), DAY).state == CaseState.replied
    assert lifecycle.condition_cleared(at_state(CaseState.reviewed), DAY) is None


def test_a_case_cleared_the_day_it_opened_before_anyone_acted_is_withdrawn_and_nothing_more_happens_to_it() -> None:
    withdrawn = lifecycle.condition_cleared(opened("red"), DAY)
    assert (withdrawn.state, withdrawn.closed_on, withdrawn.due) == (CaseState.withdrawn, DAY, None)
    assert lifecycle.missed(withdrawn, date(2026, 9, 1), condition_holds=True) is None
    assert lifecycle.retarget(withdrawn, "red", DAY, PARTIES, POLICY, DRAFT) is None
    claimed = lifecycle.claim_exception(opened(), "government_delay", "土地未交付", None, None, DAY)
    assert lifecycle.condition_cleared(claimed, DAY).state == CaseState.replied  # someone acted: the office reviews it
    # A period that ended the day its case opened did not pass within the day: the office reviews that one too.
    assert lifecycle.condition_cleared(opened("red"), DAY, may_withdraw=False).state == CaseState.replied


def test_reopening_restarts_the_level_clock_and_at_l4_fails_again() -> None:
    case = at_state(CaseState.closed)
    again = lifecycle.reopen(case, date(2026, 7, 1), POLICY)
    assert (again.reopened, again.closed_on, again.level_started_on) == (1, None, date(2026, 7, 1))
    assert again.level_due == Deadline(date(2026, 7, 16))
    assert not lifecycle.fails_again(case)
    assert lifecycle.fails_again(replace(case, level=4))
