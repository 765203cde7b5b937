"""Cases that miss their deadlines on the same day climb together: each with its own letter number, audit row and event,
in as many statements for twelve cases as for four, evidence packs included (an import opens thousands of cases at once, and they
fall due at once)."""
from __future__ import annotations

from datetime import date, timedelta

from cases_support import POLICY_FOR, actions_of, advance, apply_changes, at, case_events, case_rows, open_store, overrun_change
from sqlalchemy import event


async def test_cases_missing_their_deadline_together_climb_in_a_fixed_number_of_statements(database: tuple[str, str | None]) -> None:
    engine, sessions = await open_store(*database)
    statements: list[str] = []
    try:
        # Yellow budget overruns, their data stale and July's ledger missing too: three cases each at L1, the lead department
        # to sign, no letter yet.
        early, late = date(2026, 9, 1), date(2026, 9, 2)
        await apply_changes(sessions, [overrun_change("330106", n, 5) for n in (1, 2)], POLICY_FOR, early, at(early))
        await apply_changes(sessions, [overrun_change("330106", n, 5) for n in range(3, 9)], POLICY_FOR, late, at(late))
        opened = await case_rows(sessions)
        due = {row["opened_on"]: row["due_on"] for row in opened}
        assert due[early] < due[late]

        event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        four = await advance(sessions, due[early] + timedelta(days=1))
        four_statements, statements[:] = len(statements), []
        twelve = await advance(sessions, due[late] + timedelta(days=1))
        twelve_statements = len(statements)
    finally:
        await engine.dispose()

    assert [(len(four), len(twelve)), {e.ladder_level for e in four + twelve}] == [(6, 18), {2}]
    # The first day also reads the county's letters once (no counter for the year yet); otherwise the two days are alike.
    assert twelve_statements <= four_statements, "a climb costs statements of its own: a day of many climbs grows with them"
    # Each took the county's next 交办函 number, in case-id order within a day, and has its audit row and its event.
    by_id = {row["case_id"]: row for row in await case_rows(sessions)}
    numbers = [by_id[str(e.case_id)]["letter"]["number"] for e in sorted(four, key=lambda e: str(e.case_id))
               + sorted(twelve, key=lambda e: str(e.case_id))]
    assert numbers == [f"督办〔2026〕{n}号" for n in range(1, 25)]
    for climbed in four + twelve:
        case_id = str(climbed.case_id)
        assert [a["action"] for a in await actions_of(sessions, case_id)] == ["opened", "climbed"]
        assert [(e["action"], e["ladder_level"]) for e in await case_events(sessions, case_id)] == [("opened", 1), ("climbed", 2)]
        assert by_id[case_id]["version"] == 2 and by_id[case_id]["target_kind"] == "leader"


async def test_cases_reaching_l5_together_read_their_records_for_the_lot(database: tuple[str, str | None]) -> None:
    """The evidence pack of each case holds its own history, and a day of many packs costs no more statements than a few."""
    engine, sessions = await open_store(*database)
    statements: list[str] = []
    tops: dict[date, tuple[list, int]] = {}  # a day's L5 climbs and the statements that day took
    try:
        early, late = date(2026, 9, 1), date(2026, 12, 1)  # months apart: they reach L5 on different days
        await apply_changes(sessions, [overrun_change("330106", n, 5) for n in (1, 2)], POLICY_FOR, early, at(early))
        await apply_changes(sessions, [overrun_change("330106", n, 5) for n in range(3, 9)], POLICY_FOR, late, at(late))
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        day = early
        while sum(len(climbed) for climbed, _ in tops.values()) < 24 and day < date(2028, 1, 1):
            statements[:] = []
            climbed = [e for e in await advance(sessions, day) if e.ladder_level == 5]
            if climbed:
                tops[day] = climbed, len(statements)
            day += timedelta(days=1)
    finally:
        await engine.dispose()

    sizes = sorted((len(climbed), count) for climbed, count in tops.values())
    assert sum(size for size, _ in sizes) == 24 and len(sizes) >= 2, sizes
    (fewest, fewest_statements), (most, most_statements) = sizes[0], sizes[-1]
    assert most > fewest and most_statements <= fewest_statements, f"statements grow with the packs: {sizes}"
    for climbed, _ in tops.values():
        for top in climbed:
            [action] = [a for a in await actions_of(sessions, str(top.case_id)) if a["ladder_level"] == 5]
            pack = action["details"]["evidence_pack"]
            assert [item["action"] for item in pack["timeline"] if item["source"] == "case"] == ["opened", "climbed", "climbed", "climbed"]
