"""交办函 numbers run 1, 2, 3 … per county and year, whether the letter comes with a red finding or with a climb."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from cases_support import POLICY_FOR, advance, apply_changes, at, case_row, case_rows, idle_change, open_store, raise_idle, raise_overrun
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.cases.letter_numbers import highest
from services.escalation.tables import document_numbers


@pytest.fixture
async def sessions(database: tuple[str, str | None]) -> AsyncIterator[async_sessionmaker]:
    engine, factory = await open_store(*database)
    yield factory
    await engine.dispose()


async def test_letters_are_numbered_in_order_per_county_and_year(sessions: async_sessionmaker) -> None:
    first = await raise_idle(sessions, date(2026, 3, 2), n=1)  # red: the leader's letter at once
    second = await raise_idle(sessions, date(2026, 3, 3), n=2)
    elsewhere = await raise_idle(sessions, date(2026, 3, 3), county="330782", n=3)
    yellow = await raise_overrun(sessions, date(2026, 3, 4), n=4, percent_over=5)  # L1: no letter yet
    assert yellow["letter"] is None
    await advance(sessions, date(2026, 4, 1))  # nobody signed: it climbs to the leader, with the county's next letter
    climbed = await case_row(sessions, yellow["case_id"])
    next_year = await raise_idle(sessions, date(2027, 1, 5), n=5)
    numbers = [r["letter"]["number"] for r in (first, second, elsewhere, climbed, next_year)]
    assert numbers[0].endswith("〔2026〕1号") and numbers[1].endswith("〔2026〕2号")
    assert numbers[2].endswith("〔2026〕1号") and numbers[4].endswith("〔2027〕1号")
    # The overrun project's other cases (its data stale, its ledger missing) climbed the same day: one number after another.
    climbed_that_day = [r["letter"]["number"] for r in await case_rows(sessions)
                        if r["county_code"] == "330106" and r["opened_on"] == date(2026, 3, 4) and r["letter"]]
    assert sorted(climbed_that_day) == [f"督办〔2026〕{n}号" for n in range(3, 3 + len(climbed_that_day))]
    assert numbers[3] in climbed_that_day


def test_old_numbers_from_ids_and_other_years_do_not_count() -> None:
    letters = [{"number": "督办〔2026〕3F2A9C1B号"}, {"number": "督办〔2025〕9号"}, {"number": "督办〔2026〕4号"}, None]
    assert highest(letters, 2026) == 4 and highest(letters, 2024) == 0


async def test_red_cases_opened_together_take_one_number_each(sessions: async_sessionmaker) -> None:
    """The first sweep after an import opens many cases in one batch: each letter still takes the county's next number."""
    day = date(2026, 3, 2)
    await apply_changes(sessions, [idle_change("330106", n) for n in (11, 12, 13)], POLICY_FOR, day, at(day))
    letters = [r["letter"]["number"] for r in await case_rows(sessions) if r["letter"]]
    assert sorted(letters) == [f"督办〔2026〕{n}号" for n in (1, 2, 3)]


async def test_a_county_whose_letters_were_numbered_before_the_counter_goes_on_from_its_highest(sessions: async_sessionmaker) -> None:
    """An upgraded database has letters but no counter row: the next letter follows the highest, never repeats one."""
    await raise_idle(sessions, date(2026, 3, 2), n=1)
    await raise_idle(sessions, date(2026, 3, 2), n=2)
    async with sessions() as session, session.begin():
        await session.execute(delete(document_numbers))  # as before the counter existed
    third = await raise_idle(sessions, date(2026, 3, 3), n=3)
    fourth = await raise_idle(sessions, date(2026, 3, 4), n=4)
    assert [third["letter"]["number"], fourth["letter"]["number"]] == ["督办〔2026〕3号", "督办〔2026〕4号"]
