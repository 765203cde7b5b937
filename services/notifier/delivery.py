"""The delivery worker: sends what is due, records it once, retries with capped exponential backoff.

Replicas share the delivery log. Before sending, a replica CLAIMS a bounded set of due rows in one
statement (UPDATE … SET claimed_by, claimed_until WHERE delivery_key IN (the due, unclaimed keys)
… RETURNING): on PostgreSQL the candidate keys are selected FOR UPDATE SKIP LOCKED, so two
replicas claiming at once take disjoint sets; on SQLite the statement holds the single write lock.
Only what it claimed is sent. Sending happens outside any transaction; the row is marked sent (and
NotificationSent goes to the outbox) right after, which clears the claim; a database away meanwhile is
waited for while the claims hold. Only a crash between those two steps (or an outage longer than half a
claim) can repeat a send (the claims expire after `claim_seconds`, then another replica sends again),
and the repeat carries the same delivery key (webhook-id, Message-ID) so the receiver can drop it.
Rows this replica plans are claimed for it as they are written and handed to it in memory once
committed (`claim_planned`, `hand_over`): a fresh escalation goes out without a claim transaction
between planning and sending; the log is still claimed from at least once a second.
Robots with a rate limit get a digest when more than one message waits for the same robot; the
robot's budget is one for all replicas, kept in the database (robot_budget.py).
"""
from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import BindParameter, ColumnElement, Integer, Select, Update, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.notifier.adapters.channels import Channel, PermanentDeliveryError, TransientDeliveryError
from services.notifier.domain import Endpoint, Routing
from services.notifier.rate_limit import TokenBucket
from services.notifier.rendering import NOTIFIED_EVENTS, NotifiedEvent, about_id, render, render_digest
from services.notifier.robot_budget import RobotBudget
from services.notifier.tables import deliveries, delivery_events, outbox
from shared import subjects
from shared.contracts import NotificationSent, Recipient
from shared.logs import event_extra
from shared.persistence import add_to_outbox

log = logging.getLogger(__name__)
RATE_LIMITED = {"dingtalk", "wecom"}
SENT_NAMESPACE = uuid.UUID("0e7d52a4-3b8c-4d4f-a1f2-6c9b0e3d7a15")
MAX_BACKOFF_SECONDS = 300
ROUND_LIMIT = 200  # rows claimed per round
# A claim outlives the slowest round it covers: 200 rows, 20 sends at a time, each bounded by the
# channel's own timeout (10 s HTTP, SMTP likewise). A crashed replica's rows wait this long at most.
CLAIM_SECONDS = 120.0
RECORD_RETRY_FIRST_SECONDS, RECORD_RETRY_MAX_SECONDS = 0.5, 4.0  # a round's record, tried again while its claims hold
CLAIM_EVERY_SECONDS = 1.0  # while planned rows keep being handed over, the log (retries, other replicas' rows) is still read


def replica_name() -> str:
    """Who holds a claim: the pod (host) name, the process and a random part, so a restart is someone new."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:64]


@dataclass(frozen=True)
class Attempt:
    group: list[dict[str, Any]]
    events: list[NotifiedEvent]
    digest_id: str | None
    error: str | None  # None: sent
    permanent: bool


def due(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    return and_(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now,
                or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < now))


def due_candidates(now: datetime | BindParameter[datetime], limit: int | BindParameter[int]) -> Select[tuple[str]]:
    """The keys a claim takes, longest due first: in the order of the due index, so LIMIT stops the read early."""
    return select(deliveries.c.delivery_key).where(due(now)).order_by(deliveries.c.next_attempt_at).limit(limit)


def claim_statement(skip_locked: bool) -> Update:
    """The claim, built once (building it for every round cost ~6% of the notifier at 500 updates/s): bound to
    `now`, `limit`, `replica` and `until` when run. PostgreSQL selects the candidates FOR UPDATE SKIP LOCKED, so
    replicas claiming at once take disjoint rows."""
    now = bindparam("now", type_=deliveries.c.next_attempt_at.type)
    candidates = due_candidates(now, bindparam("limit", type_=Integer()))
    if skip_locked:
        candidates = candidates.with_for_update(skip_locked=True)
    return (update(deliveries).where(deliveries.c.delivery_key.in_(candidates.scalar_subquery()), due(now))
            .values(claimed_by=bindparam("replica"), claimed_until=bindparam("until")).returning(*deliveries.c))


CLAIMS = {skip_locked: claim_statement(skip_locked) for skip_locked in (False, True)}
# A round's other statements, built once too; the keys bind at each execution.
_KEYS = deliveries.c.delivery_key.in_(bindparam("keys", expanding=True))
BODIES_OF = select(delivery_events.c.event_id, delivery_events.c.event).where(delivery_events.c.event_id.in_(bindparam("ids", expanding=True)))
RELEASE = update(deliveries).where(_KEYS, deliveries.c.claimed_by == bindparam("replica")).values(claimed_by=None, claimed_until=None)
MARK_SENT = (
    update(deliveries).where(_KEYS, deliveries.c.status == "pending")
    .values(status="sent", sent_at=bindparam("at", type_=deliveries.c.sent_at.type), attempts=deliveries.c.attempts + 1,
            digest_id=bindparam("digest", type_=deliveries.c.digest_id.type), last_error=None, claimed_by=None, claimed_until=None)
    .returning(deliveries.c.delivery_key)
)
MARK_TRIED = (
    update(deliveries).where(_KEYS, deliveries.c.status == "pending", deliveries.c.claimed_by == bindparam("replica"))
    .values(status=bindparam("outcome", type_=deliveries.c.status.type), attempts=deliveries.c.attempts + 1,
            next_attempt_at=bindparam("retry_at", type_=deliveries.c.next_attempt_at.type),
            last_error=bindparam("error", type_=deliveries.c.last_error.type), claimed_by=None, claimed_until=None)
)


@dataclass(frozen=True)
class Claim:
    replica: str
    until: datetime
    room: int  # rows it may take: the rest of a burst is planned unclaimed, for every replica to share


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2 ** attempts))


class DeliveryWorker:
    def __init__(self, sessions: async_sessionmaker, channels: dict[str, Channel], routing_for: Callable[[str], Routing],
                 now: Callable[[], datetime], registry: CollectorRegistry, file_root: Path, robot_per_minute: int = 20,
                 robot_clock: Callable[[], float] = time.time, replica_id: str | None = None,
                 claim_seconds: float = CLAIM_SECONDS, public_url: str = "") -> None:
        self._sessions, self._channels, self._routing_for, self._now = sessions, channels, routing_for, now
        self._file_root = file_root
        self._public_url = public_url  # where bulletin links point (escalation's API as people reach it)
        # Wall-clock seconds: every replica reads the same budget, so they need one clock, not each its own monotonic one.
        self._robots = RobotBudget(sessions, TokenBucket.strict(robot_per_minute, 60.0), robot_clock)
        self.replica_id = replica_id or replica_name()
        self._claim = timedelta(seconds=claim_seconds)
        self._handed: list[dict[str, Any]] = []  # planned by this replica, claimed for it, not yet sent
        self._claim_again_at = 0.0
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.outcomes = Counter("notifier_deliveries_total", "Delivery attempts by channel and outcome", ["channel", "outcome"], registry=registry)

    def wake(self) -> None:
        self._wakeup.set()

    def claim_planned(self, now: datetime) -> Claim | None:
        """The claim for rows about to be planned, up to a round's worth in hand; None (planned unclaimed, for any
        replica's claim to find) when the worker is stopping or its hands are full. What it holds stays bounded, none
        of it waits long, and a burst is not held by one replica while the others could send it."""
        room = ROUND_LIMIT - len(self._handed)
        if self._stopping or room <= 0:
            return None
        return Claim(self.replica_id, now + self._claim, room)

    def hand_over(self, rows: list[dict[str, Any]]) -> None:
        """Rows planned under `claim_planned`'s claim, committed, each with its `parsed_event`."""
        self._handed += rows
        self._wakeup.set()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name="delivery-worker")

    async def stop(self, grace_seconds: float = 15.0) -> None:
        """Let the round in hand finish (sent messages get recorded, so a restart does not send them again),
        then stop; a round stuck longer than the grace is cancelled and its claims expire."""
        self._stopping = True
        self._wakeup.set()
        if self._task:
            _, pending = await asyncio.wait({self._task}, timeout=grace_seconds)
            if pending:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
        if self._handed:  # planned but not sent: another replica may send them now, not when the claims expire
            keys, self._handed = [row["delivery_key"] for row in self._handed], []
            try:
                await self._release(keys)
            except Exception:
                log.exception("could not release %d planned deliveries; their claims expire in %s", len(keys), self._claim)

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                # A round that claimed less than its limit took all that was due: claiming again at once would find
                # nothing. What is planned meanwhile wakes the worker; what falls due later is found within a second.
                more_due = (await self._round(ROUND_LIMIT))[0] == ROUND_LIMIT or bool(self._handed)
            except Exception:
                log.exception("delivery round failed")
                more_due = False
            if not more_due:
                try:
                    await asyncio.wait_for(self._wakeup.wait(), 1.0)
                except TimeoutError:
                    pass
                self._wakeup.clear()

    async def deliver_due(self, limit: int = ROUND_LIMIT) -> bool:
        """One round: claim what is due, send it, record it; returns whether anything was attempted."""
        return (await self._round(limit))[1] > 0

    async def _round(self, limit: int) -> tuple[int, int]:
        """deliver_due's round; returns how many rows it claimed (held back for a robot or not) and how many it tried."""
        started = time.monotonic()
        rows = self._take_handed(limit)
        if len(rows) < limit and (not rows or time.monotonic() >= self._claim_again_at):
            # A handed row whose claim was ended in the log meanwhile is claimed again: sent twice in one round, its
            # second NotificationSent would fail the round's record and leave every row of the round to go out again.
            in_hand = {row["delivery_key"] for row in rows}
            rows += [row for row in await self.claim_due(limit - len(rows)) if row["delivery_key"] not in in_hand]
            self._claim_again_at = time.monotonic() + CLAIM_EVERY_SECONDS
        events: dict[str, NotifiedEvent] = {}  # an event reaches several people: read it once per round
        for row in rows:
            if "parsed_event" in row:  # handed over
                continue
            key = row["escalation_event_id"]
            if key not in events:
                events[key] = NOTIFIED_EVENTS.validate_python(row["event"])
            row["parsed_event"] = events[key]
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            groups[(row["channel"], row["address"])].append(row)
        sends, held_back = [], []
        for (channel, address), group in groups.items():
            if channel in RATE_LIMITED:
                if not await self._robots.take(channel, address):
                    held_back += [row["delivery_key"] for row in group]
                    continue  # the robot is at its limit: these wait and go out later as one digest
                sends.append(self._send(group))
            else:
                sends += [self._send([row]) for row in group]
        if held_back:
            await self._release(held_back)  # not ours to sit on: any replica may send them when the robot has room
        attempts: list[Attempt] = []
        for start in range(0, len(sends), 20):  # bounded concurrency towards mail servers and webhooks
            attempts += await asyncio.gather(*sends[start:start + 20])
        if attempts:
            await self._record_while_claimed(attempts, started)
        return len(rows), len(attempts)

    async def _record_while_claimed(self, attempts: list[Attempt], started: float) -> None:
        """Record what was sent even across a database outage: a round left unrecorded stays claimed until its claims
        end and then goes out again, every message of it. Tried again until half the claim has passed since the round
        began (every row of it was claimed for at least that long: `_take_handed`), so no other replica can have taken
        the rows meanwhile; after that, the claims end as after a crash."""
        deadline, pause = started + self._claim.total_seconds() / 2, RECORD_RETRY_FIRST_SECONDS
        while True:
            try:
                await self._record(attempts)
                return
            except Exception:
                if time.monotonic() + pause >= deadline:
                    raise
                log.warning("recording %d delivery attempts failed; trying again in %.1f s", len(attempts), pause, exc_info=True)
            await asyncio.sleep(pause)
            pause = min(2 * pause, RECORD_RETRY_MAX_SECONDS)

    def _take_handed(self, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` handed-over rows, without those held so long that their claim may lapse before they are sent
        (another replica could claim them then): those are left to a claim once it has."""
        taken, self._handed = self._handed[:limit], self._handed[limit:]
        sure_until = self._now() + self._claim / 2
        return [row for row in taken if row["claimed_until"] >= sure_until]

    async def claim_due(self, limit: int = ROUND_LIMIT) -> list[dict[str, Any]]:
        """Claim up to `limit` due rows for this replica, longest due first, and return them (claimed by nobody else).

        In the order of the due index (status, next_attempt_at), so a claim reads `limit` rows of a backlog, not all
        of it: ordered by created_at, every claim sorted the whole backlog (a notifier that fell behind fell further)."""
        now = self._now()
        async with self._sessions() as session, session.begin():
            claim = CLAIMS[session.bind.dialect.name == "postgresql"]
            claimed = [dict(row) for row in (await session.execute(
                claim, {"now": now, "limit": limit, "replica": self.replica_id, "until": now + self._claim})).mappings()]
            unread = {row["escalation_event_id"] for row in claimed if row["event"] is None}
            bodies = dict((await session.execute(BODIES_OF, {"ids": list(unread)})).all()) if unread else {}
        for row in claimed:
            if row["event"] is None:
                row["event"] = bodies[row["escalation_event_id"]]
        return sorted(claimed, key=lambda row: (row["created_at"], row["delivery_key"]))

    async def _release(self, keys: list[str]) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(RELEASE, {"keys": keys, "replica": self.replica_id})

    async def _send(self, group: list[dict[str, Any]]) -> Attempt:
        """Send one message (or one digest); never raises: the outcome is recorded with the others."""
        first = group[0]
        events = [row["parsed_event"] for row in group]
        digest_id = f"digest-{first['delivery_key']}" if len(group) > 1 else None
        try:
            if digest_id:
                message = render_digest(events, first["person"])
            else:
                message = render(events[0], Recipient.model_validate(first["recipient"]), self._public_url)
            await self._channels[first["channel"]].send(self._endpoint(first), message, digest_id or first["delivery_key"], person=first["person"])
        except TransientDeliveryError as error:
            return Attempt(group, events, digest_id, str(error), permanent=False)
        except (PermanentDeliveryError, KeyError, ValueError) as error:
            return Attempt(group, events, digest_id, f"{type(error).__name__}: {error}", permanent=True)
        return Attempt(group, events, digest_id, None, permanent=False)

    async def _record(self, attempts: list[Attempt]) -> None:
        """One transaction for a whole round: sent rows with their NotificationSent, failures with their next try."""
        now = self._now()
        published = []
        sent: dict[str | None, list[Attempt]] = defaultdict(list)  # one statement per digest, one for all single sends
        for attempt in attempts:
            if attempt.error is None:
                sent[attempt.digest_id].append(attempt)
        async with self._sessions() as session, session.begin():
            for digest_id, done in sent.items():
                keys = [row["delivery_key"] for attempt in done for row in attempt.group]
                # Marked once: a row another replica already recorded (after our claim expired) stays as it is,
                # and only the rows this statement turned to sent get their NotificationSent.
                marked = set((await session.execute(MARK_SENT, {"keys": keys, "at": now, "digest": digest_id})).scalars())
                published += [(self._notification(row, event, len(attempt.group), now), subjects.notification_sent(row["county_code"]))
                              for attempt in done for row, event in zip(attempt.group, attempt.events, strict=False)
                              if row["delivery_key"] in marked]
            for attempt in attempts:
                if attempt.error is None:
                    continue
                keys = [row["delivery_key"] for row in attempt.group]
                tries = attempt.group[0]["attempts"] + 1
                await session.execute(MARK_TRIED, {"keys": keys, "replica": self.replica_id, "outcome": "failed" if attempt.permanent else "pending",
                                                   "retry_at": now + backoff(tries), "error": attempt.error[:2000]})
            await add_to_outbox(session, outbox, published, now)
        for attempt in attempts:
            outcome = "sent" if attempt.error is None else "failed" if attempt.permanent else "retry"
            self.outcomes.labels(attempt.group[0]["channel"], outcome).inc(len(attempt.group))
            for event in attempt.events:  # one line per event, carrying its ids, so ops can follow a record to its people
                extra = event_extra(event, person=attempt.group[0]["person"], channel=attempt.group[0]["channel"])
                if attempt.error:
                    log.warning("delivery %s: %s", outcome, attempt.error, extra=extra)
                else:
                    log.info("delivered", extra=extra)

    @staticmethod
    def _notification(row: dict[str, Any], event: NotifiedEvent, digest_size: int, now: datetime) -> NotificationSent:
        return NotificationSent(
            event_id=uuid.uuid5(SENT_NAMESPACE, row["delivery_key"]), occurred_at=now, county_code=row["county_code"],
            correlation_id=event.correlation_id, delivery_key=row["delivery_key"], escalation_event_id=event.event_id,
            escalation_id=uuid.UUID(about_id(event)), recipient=Recipient.model_validate(row["recipient"]), person=row["person"],
            channel=row["channel"], sent_at=now, digest_size=digest_size,
        )

    def _endpoint(self, row: dict[str, Any]) -> Endpoint:
        """The routing file's endpoint (with its secret, which the delivery log never stores)."""
        routed = self._routing_for(row["county_code"]).endpoint(row["channel"], row["address"])
        return self._rooted(routed or Endpoint(row["channel"], row["address"]))

    def _rooted(self, endpoint: Endpoint) -> Endpoint:
        if endpoint.channel == "file" and not os.path.isabs(endpoint.address):  # a string test: a Path per delivery cost more
            return _under(self._file_root, endpoint)
        return endpoint


@functools.lru_cache(maxsize=4096)  # a county's file endpoints are few, and joining a path for every delivery cost ~4%
def _under(root: Path, endpoint: Endpoint) -> Endpoint:
    return replace(endpoint, address=str(root / endpoint.address))
