"""The same input gives the same cases whatever order it arrives in (#16): the demo counties' updates, shuffled and cut
into batches at random, merged as tracker merges them and taken through escalation's change handler and sweep, open the
same cases, at the same levels, for the same targets, as the file's own order does."""
from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from datetime import UTC, date, datetime, time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from services.escalation.cases.policy import case_policies
from services.escalation.policy_file import policies
from services.escalation.service import apply_changes, sweep
from services.escalation.tables import cases, escalations
from services.tracker import domain
from shared.contracts import ProjectSnapshot, ProjectStateChanged, ProjectUpdate
from shared.db import make_engine, migrate, session_factory

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "services" / "demo" / "data"
POLICY_FOR = policies(ROOT / "config" / "policies")
CASE_POLICY_FOR = case_policies(ROOT / "config" / "policies")
AS_OF = date(2026, 11, 23)  # the demo README's day
NOW = datetime.combine(AS_OF, time(1), UTC)
COUNTIES = ("330106", "330782")
ITEMS = {county: [ProjectUpdate.model_validate(item) for item in json.loads((DEMO / f"{county}.json").read_text(encoding="utf-8"))]
         for county in COUNTIES}
# (project, rule, subject, occurrence) → level, target kind, target name, escalation status, case state
Cases = dict[tuple[str, str, str, str], tuple[int, str, str, str, str]]


def _aliases(updates: list[ProjectUpdate]) -> dict[str, str]:
    """A local id a record later links to its 项目代码 is that project from the start (tracker's identity, not escalation's)."""
    return {u.local_id: u.project_code for u in updates if u.local_id and u.project_code}


def tracker_changes(county: str, order: list[int]) -> list[ProjectStateChanged]:
    """tracker's events for the county's updates taken in `order`: field-wise newest record wins, a version per change."""
    updates = ITEMS[county]
    aliases = _aliases(updates)
    states: dict[str, domain.State] = {}
    versions: dict[str, int] = {}
    changes = []
    for n in order:
        update = updates[n]
        key = aliases.get(update.local_id or "") or update.project_code or str(update.local_id)
        # The record's own id, whatever its position: equal record times are ordered by it, as tracker does.
        merged, changed = domain.merge(states.get(key, {}), update, str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo-{county}-{n}")))
        if not changed:
            continue
        states[key] = merged
        versions[key] = versions.get(key, 0) + 1
        project_id = uuid.uuid5(uuid.NAMESPACE_URL, f"demo-project-{county}-{key}")
        snapshot = ProjectSnapshot.model_validate({**domain.unflatten(merged), "project_id": project_id,
                                                   "project_code": key if len(key) == 24 else None,
                                                   "last_source_record_time": domain.latest_record_time(merged)})
        event_id = uuid.uuid5(project_id, f"version-{versions[key]}")
        changes.append(ProjectStateChanged(
            event_id=event_id, occurred_at=update.source_record_time, county_code=county, correlation_id=str(project_id),
            project_id=project_id, version=versions[key], changed_fields=tuple(c.path for c in changed), snapshot=snapshot,
            caused_by=event_id, source_system=update.source_system, source_record_time=update.source_record_time))
    return changes


async def cases_after(changes: list[ProjectStateChanged], cuts: list[int], directory: str) -> Cases:
    """The cases escalation holds once the changes arrived in batches (cut at `cuts`) and the day's sweep ran."""
    url = f"sqlite+aiosqlite:///{directory}/escalation-{uuid.uuid4().hex}.db"
    await migrate(ROOT / "services" / "escalation" / "migrations", url, None)
    engine = make_engine(url, None)
    try:
        sessions = session_factory(engine)
        bounds = [0, *sorted(c for c in set(cuts) if 0 < c < len(changes)), len(changes)]
        for start, end in zip(bounds, bounds[1:], strict=False):
            await apply_changes(sessions, changes[start:end], POLICY_FOR, AS_OF, NOW)
        await sweep(sessions, POLICY_FOR, AS_OF, NOW)
        async with sessions() as session:
            rows = (await session.execute(
                select(cases.c.project_id, cases.c.rule_id, escalations.c.subject, escalations.c.occurrence, cases.c.ladder_level,
                       cases.c.target_kind, cases.c.target_name, escalations.c.status, cases.c.state)
                .join(escalations, escalations.c.escalation_id == cases.c.escalation_id))).all()
    finally:
        await engine.dispose()
    return {(p, r, s, o): (level, kind, name, status, state) for p, r, s, o, level, kind, name, status, state in rows}


def _run(county: str, order: list[int], cuts: list[int]) -> Cases:
    with tempfile.TemporaryDirectory() as directory:
        return asyncio.run(cases_after(tracker_changes(county, order), cuts, directory))


IN_FILE_ORDER = {county: _run(county, list(range(len(ITEMS[county]))), []) for county in COUNTIES}


def test_the_file_order_opens_cases_at_several_levels_for_several_targets() -> None:
    for county, found in IN_FILE_ORDER.items():
        assert len(found) >= 20, county
        assert {"住建局", "发改局"} <= {name for _, _, name, _, _ in found.values()}, county
        assert len({level for level, *_ in found.values()}) >= 2, county


@st.composite
def arrivals(draw: st.DrawFn) -> tuple[str, list[int], list[int]]:
    county = draw(st.sampled_from(COUNTIES))
    order = draw(st.permutations(range(len(ITEMS[county]))))
    cuts = draw(st.lists(st.integers(min_value=1, max_value=len(ITEMS[county])), max_size=12))
    return county, list(order), cuts


def _standing(found: Cases) -> dict[tuple[str, str, str, str], tuple[int, str, str]]:
    return {key: (level, kind, name) for key, (level, kind, name, status, _) in found.items() if status == "open"}


def _kept(found: Cases) -> set[tuple[str, str, str, str]]:
    """The cases a day's input leaves: a case whose condition cleared the day it opened, untouched, is withdrawn."""
    return {key for key, (*_, state) in found.items() if state != "withdrawn"}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrival=arrivals())
def test_shuffled_demo_updates_give_the_same_cases_with_the_same_targets(arrival: tuple[str, list[int], list[int]]) -> None:
    """Every condition that holds once all is known has its case, a case opened by a passing state is withdrawn (so the
    count is the same), and a case at the same level has the same target, whatever record came first (a leader or lead
    department arriving late moves the case to them)."""
    county, order, cuts = arrival
    every = _run(county, order, cuts)
    found, expected = _standing(every), _standing(IN_FILE_ORDER[county])
    assert found.keys() == expected.keys()
    assert _kept(every) == _kept(IN_FILE_ORDER[county]) == set(expected), "a case opened by a passing state was kept"
    differ = {k: (found[k], expected[k]) for k in found if found[k][0] == expected[k][0] and found[k] != expected[k]}
    assert not differ, differ
