"""Rules that rise together lift their cases together: each case climbs with its own letter number, audit row and event,
in as many statements for twelve as for four (1 January lifts every unstarted project's central funds at once)."""
from __future__ import annotations

from datetime import date

from cases_support import POLICY_FOR, actions_of, apply_changes, at, case_rows, idle_change, open_store
from sqlalchemy import event

from services.escalation.service import sweep

IDLE = "R1.idle_land"


async def test_rules_rising_together_lift_their_cases_in_a_fixed_number_of_statements(database: tuple[str, str | None]) -> None:
    engine, sessions = await open_store(*database)
    statements: list[str] = []
    try:
        # Land idle nine months (yellow, a case at L1); a year idle (red, the idle fee) the day after its anniversary.
        opened = date(2026, 1, 20)  # signing for it is due in two days: the rises come first
        changes = [idle_change("330106", n, "2025-01-20") for n in range(1, 5)] + [idle_change("330106", n, "2025-01-21") for n in range(5, 17)]
        await apply_changes(sessions, changes, POLICY_FOR, opened, at(opened))
        await sweep(sessions, POLICY_FOR, opened, at(opened))  # the county's first sweep reads every project once
        assert {(row["ladder_level"], row["letter"]) for row in await case_rows(sessions) if row["rule_id"] == IDLE} == {(1, None)}

        event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        four_day, twelve_day = date(2026, 1, 21), date(2026, 1, 22)
        four = await sweep(sessions, POLICY_FOR, four_day, at(four_day))
        four_statements, statements[:] = len(statements), []
        twelve = await sweep(sessions, POLICY_FOR, twelve_day, at(twelve_day))
        twelve_statements = len(statements)
    finally:
        await engine.dispose()

    assert (four.projects, twelve.projects) == (4, 12)
    assert twelve_statements <= four_statements, f"a rising rule costs statements of its own: {four_statements} for 4, {twelve_statements} for 12"
    idle = sorted((row for row in await case_rows(sessions) if row["rule_id"] == IDLE), key=lambda row: row["letter"]["number"])
    assert {row["ladder_level"] for row in idle} == {2}
    # Each climbed to the leader in charge with the county's next 交办函 number, once, with its audit row.
    assert sorted(int(row["letter"]["number"].split("〕")[1].rstrip("号")) for row in idle) == list(range(1, 17))
    for row in idle:
        assert [a["action"] for a in await actions_of(sessions, row["case_id"])] == ["opened", "climbed"]
