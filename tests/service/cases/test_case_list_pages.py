"""The case list a page at a time (a budget overrun's case per project): the same rows in the same order however they
are paged, a department's own across the county's chunks, the open ones only, and a county past 32,767 cases (the most
parameters one PostgreSQL statement takes)."""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from cases_support import OVERRUN, at, case_app, case_rows, open_store, raise_overrun
from sqlalchemy import JSON, ColumnElement, Insert, String, Table, cast, func, insert, literal, null, select, true, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation import visible_page
from services.escalation.cases.people import add_person
from services.escalation.tables import cases, escalations
from shared.clock import FixedClock
from tests.conftest import drop_schema

DAY = date(2026, 6, 1)
COUNTY = "330106"
PEOPLE = (("office", "office", None), ("fgj", "department", "发改局"), ("swj", "department", "商务局"))


@dataclass
class County:
    sessions: async_sessionmaker
    client: httpx.AsyncClient
    tokens: dict[str, str]

    async def listed(self, who: str, **params: Any) -> dict[str, Any]:
        response = await self.client.get("/api/cases", params={"rule_id": OVERRUN, **params}, headers={"Authorization": f"Bearer {self.tokens[who]}"})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def ids(self, who: str, **params: Any) -> list[str]:
        return [c["case_id"] for c in (await self.listed(who, **params))["cases"]]

    async def paged(self, who: str, size: int, **params: Any) -> list[str]:
        """Every page of `size`, one after another, until the API says no more follow."""
        found: list[str] = []
        while True:
            page = await self.listed(who, limit=size, offset=len(found), **params)
            found += [c["case_id"] for c in page["cases"]]
            if not page["more"]:
                return found
            assert len(page["cases"]) == size


async def county_of(url: str, schema: str | None, projects: int) -> AsyncIterator[County]:
    engine, sessions = await open_store(url, schema)
    for n in range(1, projects + 1):
        await raise_overrun(sessions, DAY, COUNTY, n, lead="发改局" if n % 2 else "商务局")
    tokens = {login: (await add_person(sessions, COUNTY, login, login, role, department))[1] for login, role, department in PEOPLE}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=case_app(sessions, FixedClock(at(DAY)))), base_url="http://cases") as client:
        yield County(sessions, client, tokens)
    await engine.dispose()


@pytest.fixture
async def county(database: tuple[str, str | None]) -> AsyncIterator[County]:
    async for made in county_of(*database, projects=7):
        yield made


async def test_pages_join_up_to_the_whole_list_for_the_office_and_for_a_department(county: County,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(visible_page, "CHUNK", 2)  # seven cases read two at a time: every page crosses chunks
    everything = await county.ids("office")
    assert len(everything) == len([c for c in await case_rows(county.sessions) if c["rule_id"] == OVERRUN]) == 7
    for size in (1, 3, 7):
        assert await county.paged("office", size) == everything, size
    own = {"fgj": await county.ids("fgj"), "swj": await county.ids("swj")}
    assert len(own["fgj"]) == 4 and len(own["swj"]) == 3 and set(own["fgj"]) | set(own["swj"]) == set(everything)
    for who, theirs in own.items():
        assert theirs == [c for c in everything if c in theirs]  # in the office's order
        for size in (1, 2, 4):
            assert await county.paged(who, size) == theirs, (who, size)
    assert (await county.listed("fgj", offset=4))["cases"] == []


async def test_open_keeps_the_cases_not_yet_closed_or_withdrawn(county: County) -> None:
    everything = await county.ids("office")
    async with county.sessions() as session, session.begin():
        await session.execute(update(cases).where(cases.c.case_id == everything[0]).values(state="closed"))
        await session.execute(update(cases).where(cases.c.case_id == everything[1]).values(state="withdrawn"))
    assert await county.ids("office", open="true") == everything[2:]
    assert await county.ids("office") == everything
    assert await county.ids("office", state="closed") == everything[:1]


async def test_a_case_without_a_deadline_comes_last_on_either_database(county: County) -> None:
    everything = await county.ids("office")
    async with county.sessions() as session, session.begin():
        await session.execute(update(cases).where(cases.c.case_id == everything[0]).values(due_on=None))
    assert await county.ids("office") == everything[1:] + everything[:1]


async def test_a_page_is_held_to_5000_rows_and_says_when_more_follow(county: County) -> None:
    for limit, offset in ((0, 0), (5001, 0), (1, -1), (1, 2**31)):
        response = await county.client.get("/api/cases", params={"limit": limit, "offset": offset},
                                           headers={"Authorization": f"Bearer {county.tokens['office']}"})
        assert response.status_code == 422, (limit, offset)
    page = await county.listed("office", limit=5)
    assert (len(page["cases"]), page["more"], page["limit"], page["offset"]) == (5, True, 5, 0)


SERIES = func.generate_series(1, 33_000).table_valued("n").render_derived(name="series")
COPY_ID = func.lpad(cast(SERIES.c.n, String), 36, "0")


def copies(table: Table, template: ColumnElement[bool], **changed: ColumnElement[Any]) -> Insert:
    """33,000 copies of the template row, made by the server (generate_series), with the columns given changed."""
    rows = select(*(changed.get(c.name, c) for c in table.c)).select_from(table.join(SERIES, true())).where(template)
    return insert(table).from_select([c.name for c in table.c], rows)


async def test_a_county_of_more_than_32767_cases_is_listed(postgres_url: str) -> None:
    """Each chunk asks for its own escalations; one IN of every case's escalation was a 500 here, since no PostgreSQL
    statement takes more than 32,767 parameters."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        async for county in county_of(postgres_url, schema, projects=2):
            async with county.sessions() as session, session.begin():
                template = (await session.execute(select(cases).where(cases.c.rule_id == OVERRUN))).mappings().first()
                assert template is not None
                await session.execute(copies(escalations, escalations.c.escalation_id == template["escalation_id"],
                                             escalation_id=COPY_ID, recipients=literal([], JSON)))
                await session.execute(copies(cases, cases.c.case_id == template["case_id"], case_id=COPY_ID, escalation_id=COPY_ID,
                                             target_name=literal("住建局"), letter=null()))
            page = await county.listed("office", limit=10)
            assert (len(page["cases"]), page["more"]) == (10, True)
            assert len(await county.ids("fgj")) == 1  # its one real case, found among 33,002
    finally:
        drop_schema(schema)
