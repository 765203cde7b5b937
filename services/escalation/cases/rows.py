"""A case as the `cases` row stores it, and back; the clocks and the claim live in the `exception` JSON column."""
from __future__ import annotations

from datetime import date
from typing import Any

from services.escalation.cases.clock_due import clock_due
from services.escalation.cases.lifecycle import Case, Claim, Letter
from services.escalation.domain.workdays import Deadline
from shared.contracts.case import CaseState


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _deadline_json(deadline: Deadline | None) -> dict[str, Any] | None:
    return {"due": deadline.due.isoformat(), "provisional": deadline.provisional} if deadline else None


def _deadline(data: dict[str, Any] | None) -> Deadline | None:
    return Deadline(date.fromisoformat(data["due"]), bool(data["provisional"])) if data else None


def claim_json(claim: Claim | None) -> dict[str, Any] | None:
    if claim is None:
        return None
    return {"kind": claim.kind, "reason": claim.reason, "claimed_on": _iso(claim.claimed_on), "blocking_department": claim.blocking_department,
            "claimed_by": claim.claimed_by, "status": claim.status, "decided_on": _iso(claim.decided_on)}


def letter_json(letter: Letter | None) -> dict[str, Any] | None:
    if letter is None:
        return None
    return {"number": letter.number, "issued_on": _iso(letter.issued_on), "deadline": _iso(letter.deadline.due),
            "deadline_provisional": letter.deadline.provisional, "handler": letter.handler,
            "handler_department": letter.handler_department, "signed_by": letter.signed_by}


def to_values(case: Case) -> dict[str, Any]:
    """The columns a case sets (identity, version and timestamps are the store's)."""
    due = case.due
    # Until the table has columns for them (level_started_on, level_due_on, reopen_count), the clocks ride in JSON.
    extras = {"claim": claim_json(case.claim), "clock": {
        "step_due": _deadline_json(case.step_due), "level_due": _deadline_json(case.level_due),
        "level_started_on": _iso(case.level_started_on), "reopened": case.reopened}}
    return {"state": case.state.value, "ladder_level": case.level, "target_kind": case.target_kind, "target_name": case.target_name,
            "due_on": due.due if due else None, "due_provisional": bool(due and due.provisional), "step_started_on": case.step_started_on,
            "paused_since": case.paused_since, "paused_days": case.paused_days, "exception": extras, "letter": letter_json(case.letter),
            "red_since": case.red_since, "opened_on": case.opened_on, "closed_on": case.closed_on, "clock_due": clock_due(case)}


def from_row(row: Any) -> Case:
    extras = row["exception"] or {}
    clock = extras.get("clock") or {}
    claim = extras.get("claim")
    letter = row["letter"]
    return Case(
        state=CaseState(row["state"]), level=row["ladder_level"], target_kind=row["target_kind"], target_name=row["target_name"],
        opened_on=row["opened_on"], step_started_on=row["step_started_on"], step_due=_deadline(clock.get("step_due")),
        level_started_on=_day(clock.get("level_started_on")) or row["step_started_on"], level_due=_deadline(clock.get("level_due")),
        paused_since=row["paused_since"], paused_days=row["paused_days"], red_since=row["red_since"],
        reopened=int(clock.get("reopened", 0)), closed_on=row["closed_on"],
        claim=Claim(claim["kind"], claim["reason"], date.fromisoformat(claim["claimed_on"]), claim.get("blocking_department"),
                    claim.get("claimed_by"), claim.get("status", "pending"), _day(claim.get("decided_on"))) if claim else None,
        letter=Letter(letter["number"], date.fromisoformat(letter["issued_on"]),
                      Deadline(date.fromisoformat(letter["deadline"]), bool(letter.get("deadline_provisional"))),
                      letter["handler"], letter.get("handler_department"), letter.get("signed_by")) if letter else None,
    )


def public(row: Any) -> dict[str, Any]:
    """A cases row as the API shows it: the JSON columns unpacked into named fields."""
    data = dict(row)
    extras = data.pop("exception") or {}
    clock = extras.get("clock") or {}
    data.update(exception=extras.get("claim"), clocks_paused=data["paused_since"] is not None, reopened=clock.get("reopened", 0),
                step_due=clock.get("step_due"), level_due=clock.get("level_due"), level_started_on=clock.get("level_started_on"),
                due_step=from_row(row).due_step)  # what due_on is the deadline of, so a page can say 签收期限 or 反馈期限
    return data
