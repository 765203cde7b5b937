"""The monthly run: from each county's publish day (`[bulletin] publish_day`, default the 6th) on, last month's
bulletin, once, by one replica at a time.

The run takes its own lease row (`leases(name='bulletin')`, the sweep's Lease class) so replicas
do not generate side by side; `generate_monthly` skips a county whose bulletin for that month
exists already, so a later tick of the same day (or another replica after a failover) adds nothing.
"""
from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.bulletin.service import PolicyFor, generate_monthly
from services.escalation.sweeper import Lease
from shared.clock import Clock, beijing_today
from shared.periodic import Periodic

log = logging.getLogger(__name__)
LEASE_NAME = "bulletin"


class BulletinSchedule:
    def __init__(self, sessions: async_sessionmaker, clock: Clock, policy_for: PolicyFor, policy_dir: Path,
                 interval_seconds: float = 600.0, lease: Lease | None = None) -> None:
        self._sessions, self._clock, self._policy_for, self._policy_dir = sessions, clock, policy_for, policy_dir
        self._lease = lease or Lease(sessions, LEASE_NAME, ttl_seconds=600.0)
        self._periodic = Periodic("escalation-bulletins", interval_seconds, self.tick)

    async def tick(self) -> int | None:
        """One round: the number of bulletins generated, or None when another replica holds the lease."""
        if not await self._lease.acquire():
            return None
        try:
            made = await generate_monthly(self._sessions, beijing_today(self._clock), self._clock.now(), self._policy_for, self._policy_dir)
        finally:
            try:
                await self._lease.release()
            except Exception:  # it expires on its own
                log.exception("could not release the bulletin lease")
        if made:
            log.info("generated %d monthly bulletins", len(made))
        return len(made)

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()
