"""Conditions that clear together move their cases together: each case replied (for the office to review) with its own
audit row and event, in as many statements for twelve as for four (a batch of ledgers coming in clears many at once)."""
from __future__ import annotations

from datetime import date

from cases_support import OVERRUN, POLICY_FOR, actions_of, apply_changes, at, case_events, case_rows, open_store, overrun_change
from sqlalchemy import event, select

from services.escalation.tables import escalations


async def test_conditions_clearing_together_reply_their_cases_in_a_fixed_number_of_statements(database: tuple[str, str | None]) -> None:
    engine, sessions = await open_store(*database)
    statements: list[str] = []
    try:
        opened, fixed = date(2026, 9, 1), date(2026, 9, 3)
        await apply_changes(sessions, [overrun_change("330106", n, 5) for n in range(1, 17)], POLICY_FOR, opened, at(opened))
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        await apply_changes(sessions, [overrun_change("330106", n, 0, version=2) for n in (1, 2, 3, 4)], POLICY_FOR, fixed, at(fixed))
        four_statements, statements[:] = len(statements), []
        await apply_changes(sessions, [overrun_change("330106", n, 0, version=2) for n in range(5, 17)], POLICY_FOR, fixed, at(fixed))
        twelve_statements = len(statements)
        async with sessions() as session:
            statuses = set((await session.execute(select(escalations.c.status).where(escalations.c.rule_id == OVERRUN))).scalars())
    finally:
        await engine.dispose()

    assert statuses == {"cleared"}
    assert twelve_statements <= four_statements, f"a cleared condition costs statements of its own: {four_statements} for 4, {twelve_statements} for 12"
    overruns = [row for row in await case_rows(sessions) if row["rule_id"] == OVERRUN]
    assert len(overruns) == 16 and {row["state"] for row in overruns} == {"replied"}
    for row in overruns:
        assert [a["action"] for a in await actions_of(sessions, row["case_id"])] == ["opened", "replied"]
        [replied] = [e for e in await case_events(sessions, row["case_id"]) if e["action"] == "replied"]
        assert replied["note"] == "条件已消除" and replied["ladder_level"] == 1
