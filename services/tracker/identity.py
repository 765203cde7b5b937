"""Which project an update is about: by 项目代码, else by the county system's local id."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import RowMapping, bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.tracker.tables import project_aliases, projects
from shared.contracts import ProjectUpdated
from shared.persistence import inserting

# Built once (a batch's statements cost more to build than to run); the lists bind at each execution.
BY_CODES = select(projects).where(projects.c.project_code.in_(bindparam("codes", expanding=True)))
BY_ALIASES = (
    select(project_aliases.c.county_code, project_aliases.c.local_id, project_aliases.c.project_id)
    .where(tuple_(project_aliases.c.county_code, project_aliases.c.local_id).in_(bindparam("aliases", expanding=True)))
)


@dataclass
class Identities:
    """Lookups for one batch, loaded with two queries instead of two per event."""

    by_code: dict[str, str] = field(default_factory=dict)
    by_alias: dict[tuple[str, str], str] = field(default_factory=dict)
    rows: dict[str, RowMapping] = field(default_factory=dict)  # the projects found by code, whole: not read again


async def load_identities(session: AsyncSession, events: Sequence[ProjectUpdated]) -> Identities:
    codes = {e.update.project_code for e in events if e.update.project_code}
    aliases = {(e.county_code, e.update.local_id) for e in events if e.update.local_id}
    found = Identities()
    if codes:
        rows = (await session.execute(BY_CODES, {"codes": list(codes)})).mappings()
        found.rows = {row["project_id"]: row for row in rows}
        found.by_code = {row["project_code"]: pid for pid, row in found.rows.items()}
    if aliases:
        rows = await session.execute(BY_ALIASES, {"aliases": list(aliases)})
        found.by_alias = {(county, local): pid for county, local, pid in rows}
    return found


@dataclass(frozen=True)
class Resolved:
    project_id: str
    is_new: bool
    new_alias: dict[str, str] | None = None  # inserted after the project row (foreign key)
    note: str | None = None


async def resolve(session: AsyncSession, ids: Identities, event: ProjectUpdated) -> Resolved:
    """Find or claim the project, recording a new code or alias so later updates find it too."""
    code, local = event.update.project_code, event.update.local_id
    alias_key = (event.county_code, local) if local else None
    by_code = ids.by_code.get(code) if code else None
    by_alias = ids.by_alias.get(alias_key) if alias_key else None
    project_id = by_code or by_alias
    is_new = project_id is None
    if project_id is None:
        project_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"tuijin:project:{event.event_id}"))
    if code and by_code is None:
        ids.by_code[code] = project_id
        if not is_new:  # known so far by its local id only: it now has its 项目代码
            await session.execute(update(projects).where(projects.c.project_id == project_id).values(project_code=code))
    if alias_key is None or by_alias == project_id:
        return Resolved(project_id, is_new)
    ids.by_alias[alias_key] = project_id
    if by_alias is None:
        return Resolved(project_id, is_new, new_alias={"county_code": alias_key[0], "local_id": alias_key[1], "project_id": project_id})
    # The county's local id pointed at another project record: the 项目代码 decides, the move is logged.
    await session.execute(
        update(project_aliases)
        .where(project_aliases.c.county_code == alias_key[0], project_aliases.c.local_id == alias_key[1])
        .values(project_id=project_id)
    )
    return Resolved(project_id, is_new, note=f"local id {local} moved from project {by_alias} (项目代码 {code})")


async def insert_aliases(session: AsyncSession, aliases: list[dict[str, str]]) -> None:
    if aliases:
        await session.execute(inserting(project_aliases), aliases)
