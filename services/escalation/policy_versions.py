"""Keep every policy version that raised or moved an escalation, so an old case can show the rules it was raised under.

Escalation rows carry `policy_version`; this table holds that version's full content and digest. A
policy file edited without a new `policy_version` is refused: two different rulebooks under one
number would make the escalations raised under it unexplainable.
"""
from __future__ import annotations

import weakref
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Engine, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.domain.policy import Policy
from services.escalation.tables import policy_versions
from shared.persistence import insert_ignoring_conflicts


class PolicyVersionReused(ValueError):
    """A county's policy changed but kept its policy_version."""


# Per database: the versions a transaction found stored by an earlier one, hence committed; those need no statement
# again (two per county were a round trip each in every batch that raised or moved an escalation). A version this
# transaction inserts is not kept (it could still roll back): the next batch finds it stored.
_STORED: weakref.WeakKeyDictionary[Engine, set[tuple[str, int, str]]] = weakref.WeakKeyDictionary()


@lru_cache(maxsize=256)  # equal policies digest alike; digesting one took ~0.1 ms in every batch that raised or moved one
def _digest(policy: Policy) -> str:
    return policy.digest()


async def remember(session: AsyncSession, policies: Iterable[Policy], now: datetime) -> None:
    """Store each policy version the first time it is used, in the caller's transaction."""
    stored_before = _STORED.setdefault(session.get_bind(), set())
    # A batch passes one policy per project, mostly the same cached object: digest each object once, not once per project.
    distinct = {id(p): p for p in policies}.values()
    for key, policy in {(p.county_code or "", p.policy_version, _digest(p)): p for p in distinct}.items():
        if key in stored_before:
            continue
        inserted = (await session.execute(
            insert_ignoring_conflicts(session, policy_versions, ["county_code", "policy_version"]).values(
                county_code=key[0], policy_version=key[1], content=policy.content(), digest=key[2], first_seen=now,
            ).returning(policy_versions.c.digest))).first()
        if inserted:
            continue
        stored = await session.scalar(select(policy_versions.c.digest).where(
            policy_versions.c.county_code == key[0], policy_versions.c.policy_version == key[1]))
        if stored != key[2]:
            raise PolicyVersionReused(
                f"the policy of county {key[0]} changed but kept policy_version {key[1]}: raise policy_version in its file")
        stored_before.add(key)
