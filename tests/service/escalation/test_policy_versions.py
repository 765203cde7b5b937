"""A policy change is versioned: old escalations keep the version that raised them, and its content stays readable."""
from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from services.escalation.domain.policy import Policy
from services.escalation.policy_versions import PolicyVersionReused, remember
from services.escalation.service import apply_changes
from services.escalation.tables import escalations, policy_versions
from tests.service.escalation.test_escalation_rulebook_service import COUNTY, changed, sessions, snapshot  # noqa: F401 - fixture

AS_OF = date(2026, 10, 9)
NOW = datetime(2026, 10, 9, 1, tzinfo=UTC)
BUDGET = {"government_funded": True, "budget_fen": 100_000_00, "committed_cost_fen": 115_000_00}


def policy(version: int, case_percent: str = "20") -> Policy:
    return Policy(county_code=COUNTY, policy_version=version, overrun_case_percent=Decimal(case_percent))


async def stored_versions(sessions) -> dict[int, dict]:  # noqa: F811 - the fixture's name
    async with sessions() as session:
        rows = (await session.execute(select(policy_versions).where(policy_versions.c.county_code == COUNTY))).mappings()
        return {r["policy_version"]: dict(r) for r in rows}


async def overrun_versions(sessions) -> set[int]:  # noqa: F811
    async with sessions() as session:
        return set((await session.execute(select(escalations.c.policy_version).where(escalations.c.rule_id == "R2.budget_overrun"))).scalars())


async def test_each_policy_version_is_kept_and_a_silent_edit_is_refused(sessions) -> None:  # noqa: F811
    v1 = policy(1)
    await apply_changes(sessions, [changed(1, snapshot(**BUDGET), ["budget_fen"])], lambda _: v1, AS_OF, NOW)
    versions = await stored_versions(sessions)
    assert set(versions) == {1} and versions[1]["digest"] == v1.digest()
    assert versions[1]["content"] == v1.content()
    assert await overrun_versions(sessions) == {1}

    # The file edited (a 10% threshold) but still called version 1: refused, nothing written.
    edited = policy(1, "10")
    with pytest.raises(PolicyVersionReused, match="policy_version 1"):
        await apply_changes(sessions, [changed(2, snapshot(**{**BUDGET, "committed_cost_fen": 125_000_00}), ["committed_cost_fen"])],
                            lambda _: dataclasses.replace(edited, policy_version=1), AS_OF, NOW)
    assert set(await stored_versions(sessions)) == {1}

    # Versioned properly, it is stored beside the old one; the open escalation keeps the version that raised it.
    v2 = policy(2, "10")
    await apply_changes(sessions, [changed(2, snapshot(**{**BUDGET, "committed_cost_fen": 125_000_00}), ["committed_cost_fen"])],
                        lambda _: v2, AS_OF, NOW)
    versions = await stored_versions(sessions)
    assert set(versions) == {1, 2} and versions[2]["content"]["overrun_case_percent"] != versions[1]["content"]["overrun_case_percent"]
    assert await overrun_versions(sessions) == {1}


async def test_a_version_found_stored_costs_no_statement_again_and_a_silent_edit_is_still_refused(sessions) -> None:  # noqa: F811
    engine = sessions.kw["bind"].sync_engine
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    v1 = policy(1)
    for _ in range(3):  # written; then found stored (so committed); then known
        statements.clear()
        async with sessions() as session, session.begin():
            await remember(session, [v1], NOW)
    assert not any("policy_versions" in sql for sql in statements), statements
    with pytest.raises(PolicyVersionReused, match="policy_version 1"):
        async with sessions() as session, session.begin():
            await remember(session, [policy(1, "10")], NOW)


async def test_a_version_written_by_a_transaction_that_rolled_back_is_written_by_the_next(sessions) -> None:  # noqa: F811
    v1 = policy(1)
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            await remember(session, [v1], NOW)
            raise RuntimeError("the batch failed after its policy version was written")
    assert await stored_versions(sessions) == {}
    async with sessions() as session, session.begin():
        await remember(session, [v1], NOW)
    assert set(await stored_versions(sessions)) == {1}
