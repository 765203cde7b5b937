"""Each service's consumer as it runs (build_consumer → BatchConsumer → BatchCommitter), without a NATS server.

What a user relies on: the valid events of a fetched batch reach `process` decoded, in one call,
and are acked only after it returned; a body that cannot be an event is kept (with its reason) and
terminated without holding up its neighbours; a database outage is a delayed retry of the whole
batch, never a termination; an item that fails on its own is kept and terminated while the rest
of its batch commits; and a poison message that cannot be kept is left for redelivery, not lost.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import Table, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from services.escalation import tables as escalation_tables
from services.escalation.handlers import build_consumer as escalation_consumer
from services.notifier import tables as notifier_tables
from services.notifier.handlers import build_consumer as notifier_consumer
from services.tracker import tables as tracker_tables
from services.tracker.handlers import build_consumer as tracker_consumer
from services.tracker.writes import ConcurrentUpdate
from shared import subjects
from shared.batching import TRANSIENT, BatchCommitter
from shared.consumer import BatchConsumer, ConsumerMetrics
from shared.contracts import (
    EscalationEscalated,
    EscalationRaised,
    EscalationResolved,
    Event,
    ProjectSnapshot,
    ProjectStateChanged,
    ProjectUpdated,
)
from shared.db import make_engine, migrate, session_factory
from shared.dead_letters import DeadLetters
from shared.messaging import headers_for
from tests.support.factories import CODE, COUNTY, update, updated
from tests.unit.notifier.notifier_events import escalated, raised, resolved

pytestmark = pytest.mark.asyncio
SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"


# --- fakes -------------------------------------------------------------------------------------------

class FakeMsg:
    """A JetStream message as the consumer sees it; records how it was settled."""

    def __init__(self, data: bytes, subject: str, headers: dict[str, str] | None = None, num_delivered: int = 1) -> None:
        self.data, self.subject, self.headers = data, subject, headers
        self.metadata = SimpleNamespace(num_delivered=num_delivered)
        self.acks: list[Any] = []  # ("ack",) / ("nak", delay) / ("term",), in order

    async def ack(self) -> None:
        self.acks.append(("ack",))

    async def nak(self, delay: float | None = None) -> None:
        self.acks.append(("nak", delay))

    async def term(self) -> None:
        self.acks.append(("term",))

    @property
    def settled(self) -> list[str]:
        return [call[0] for call in self.acks]


def message_for(event: Event, subject: str, num_delivered: int = 1) -> FakeMsg:
    return FakeMsg(event.model_dump_json().encode(), subject, headers_for(event), num_delivered)


class Process:
    """The service's transaction: records every call, commits what it was given unless told to fail."""

    def __init__(self, fail: Callable[[Sequence[Any]], BaseException | None] = lambda items: None) -> None:
        self.calls: list[list[Any]] = []
        self.committed: list[Any] = []
        self._fail = fail

    async def __call__(self, items: Sequence[Any]) -> None:
        self.calls.append(list(items))
        error = self._fail(items)
        if error is not None:
            raise error
        self.committed.extend(items)


def db_outage() -> OperationalError:
    return OperationalError("x", {}, Exception())


# --- the three services --------------------------------------------------------------------------------

def state_changed(i: int = 0, county: str = COUNTY) -> ProjectStateChanged:
    cause = updated(update(name="城西科创产业园", stage="started", record_id=f"r-{i}"), county=county)
    project_id = uuid.UUID("33333333-3333-4333-8333-333333333333")
    return ProjectStateChanged(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"changed|{cause.event_id}"), occurred_at=datetime(2026, 3, 2, tzinfo=UTC),
        county_code=county, correlation_id=cause.correlation_id, project_id=project_id, version=i + 1,
        changed_fields=("name", "stage"), snapshot=ProjectSnapshot(project_id=project_id, project_code=CODE, name="城西科创产业园", stage="started"),
        caused_by=cause.event_id, source_system=cause.update.source_system,
    )


def escalation_event(i: int) -> Event:
    make = (raised, escalated, resolved)[i % 3]
    return make(event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"escalation|{i}"))


@dataclass(frozen=True)
class Svc:
    name: str
    build_consumer: Callable[..., BatchConsumer]
    dead_letters: Table
    transient: tuple[type[BaseException], ...]
    make_event: Callable[[int], Event]
    subject_of: Callable[[Event], str]
    types: tuple[type, ...]

    @property
    def migrations(self) -> Path:
        return SERVICES_DIR / self.name / "migrations"

    def committer(self, process: Process, dead_letters: DeadLetters) -> BatchCommitter:
        """Built as services/<name>/app.py builds it."""
        return BatchCommitter(process, dead_letters, transient=self.transient)

    def events(self, n: int) -> list[Event]:
        return [self.make_event(i) for i in range(n)]

    def message(self, event: Event, num_delivered: int = 1) -> FakeMsg:
        return message_for(event, self.subject_of(event), num_delivered)


TRACKER = Svc("tracker", tracker_consumer, tracker_tables.dead_letters, (*TRANSIENT, ConcurrentUpdate),
              lambda i: updated(update(name=f"项目{i}", record_id=f"r-{i}")), lambda e: subjects.project_updated(e.county_code), (ProjectUpdated,))
ESCALATION = Svc("escalation", escalation_consumer, escalation_tables.dead_letters, TRANSIENT,
                 state_changed, lambda e: subjects.project_changed(e.county_code), (ProjectStateChanged,))
NOTIFIER = Svc("notifier", notifier_consumer, notifier_tables.dead_letters, TRANSIENT,
               escalation_event, lambda e: subjects.escalation(e.county_code, e.kind), (EscalationRaised, EscalationEscalated, EscalationResolved))
SERVICES = [pytest.param(TRACKER, id="tracker"), pytest.param(ESCALATION, id="escalation"), pytest.param(NOTIFIER, id="notifier")]


@dataclass
class Harness:
    svc: Svc
    consumer: BatchConsumer
    process: Process
    sessions: async_sessionmaker
    registry: CollectorRegistry

    async def kept(self) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            table = self.svc.dead_letters
            return [dict(row) for row in (await session.execute(select(table).order_by(table.c.id))).mappings()]

    def consumed(self, outcome: str) -> float:
        return self.registry.get_sample_value(f"{self.svc.name}_consumed_messages_total",
                                              {"consumer": self.consumer.durable, "outcome": outcome}) or 0.0

    def dead_lettered(self, subject_kind: str) -> float:
        return self.registry.get_sample_value(f"{self.svc.name}_dead_letters_total", {"subject_kind": subject_kind}) or 0.0


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """make(svc, process) → a Harness: the service's consumer, its real DeadLetters on a migrated SQLite file."""
    engines = []

    async def _make(svc: Svc, process: Process, sessions: async_sessionmaker | None = None) -> Harness:
        url = f"sqlite+aiosqlite:///{tmp_path / f'{svc.name}.db'}"
        await migrate(svc.migrations, url)
        engine = make_engine(url)
        engines.append(engine)
        own = session_factory(engine)
        registry = CollectorRegistry()
        dead_letters = DeadLetters(sessions or own, svc.dead_letters, registry, svc.name)
        consumer = svc.build_consumer(svc.committer(process, dead_letters), dead_letters, ConsumerMetrics(registry, svc.name))
        return Harness(svc, consumer, process, own, registry)

    yield _make
    for engine in engines:
        await engine.dispose()


@pytest.fixture
async def unreachable(tmp_path: Path) -> AsyncIterator[async_sessionmaker]:
    """Sessions on a SQLite file whose directory does not exist: every transaction fails to open."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'dead.db'}")
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


def undecodable(event: Event) -> list[tuple[str, bytes]]:
    data = event.model_dump(mode="json")

    def body(**changes: Any) -> bytes:
        return json.dumps({**data, **changes}, ensure_ascii=False).encode()

    return [
        ("not-json", b"\xff{not json"),
        ("unknown-field", body(surprise=1)),
        ("bad-county-code", body(county_code="33A106")),
    ]


# --- every service ---------------------------------------------------------------------------------

@pytest.mark.parametrize("svc", SERVICES)
async def test_valid_events_are_decoded_processed_once_as_one_batch_and_all_acked(svc: Svc, make) -> None:
    process = Process()
    h = await make(svc, process)
    events = svc.events(4)
    messages = [svc.message(e) for e in events]

    await h.consumer.handle(messages)

    assert process.calls == [events]  # one call, the whole batch, in order
    assert all(isinstance(item, svc.types) for item in process.calls[0])
    assert [type(item) for item in process.calls[0]] == [type(e) for e in events]
    assert [m.settled for m in messages] == [["ack"]] * 4
    assert await h.kept() == []
    assert h.consumed("committed") == 4


@pytest.mark.parametrize("svc", SERVICES)
async def test_undecodable_bodies_are_kept_and_terminated_while_their_neighbours_are_processed(svc: Svc, make) -> None:
    process = Process()
    h = await make(svc, process)
    good = svc.events(3)
    bad = undecodable(good[0])
    subject = svc.subject_of(good[0])
    bad_messages = [FakeMsg(body, subject, {"Nats-Msg-Id": f"bad-{name}"}) for name, body in bad]
    good_messages = [svc.message(e) for e in good]
    batch = [good_messages[0], bad_messages[0], good_messages[1], bad_messages[1], bad_messages[2], good_messages[2]]

    await h.consumer.handle(batch)

    assert process.calls == [good]  # the valid ones, still one batch
    assert [m.settled for m in good_messages] == [["ack"]] * 3
    assert [m.settled for m in bad_messages] == [["term"]] * 3  # kept first, then terminated: never redelivered

    rows = {row["message_id"]: row for row in await h.kept()}
    assert set(rows) == {f"bad-{name}" for name, _ in bad}
    for name, body in bad:
        row = rows[f"bad-{name}"]
        assert bytes(row["payload"]) == body
        assert row["subject"] == subject
        assert row["headers"] == {"Nats-Msg-Id": f"bad-{name}"}
        assert row["reason"].startswith("ValidationError: "), row["reason"]
    assert "surprise" in rows["bad-unknown-field"]["reason"]
    assert "county_code" in rows["bad-bad-county-code"]["reason"]
    assert h.consumed("committed") == 3 and h.consumed("dead_letter") == 3
    assert h.dead_lettered(".".join(subject.split(".")[2:])) == 3


@pytest.mark.parametrize(("num_delivered", "delay"), [(1, 2.0), (2, 4.0), (4, 16.0), (6, 60.0), (40, 60.0)])
@pytest.mark.parametrize("svc", SERVICES)
async def test_a_transient_error_naks_the_whole_batch_with_a_growing_capped_delay(svc: Svc, make, num_delivered: int, delay: float) -> None:
    process = Process(fail=lambda items: db_outage())
    h = await make(svc, process)
    events = svc.events(3)
    messages = [svc.message(e, num_delivered) for e in events]

    await h.consumer.handle(messages)

    assert process.calls == [events]  # not split item by item: the database is away for all of them
    assert [m.acks for m in messages] == [[("nak", delay)]] * 3
    assert await h.kept() == []
    assert h.consumed("retried") == 3


@pytest.mark.parametrize("svc", SERVICES)
async def test_a_non_transient_error_from_one_item_is_isolated_and_the_rest_commit(svc: Svc, make) -> None:
    events = svc.events(5)
    culprit = events[2].event_id
    process = Process(fail=lambda items: KeyError("bug") if any(item.event_id == culprit for item in items) else None)
    h = await make(svc, process)
    messages = [svc.message(e) for e in events]

    await h.consumer.handle(messages)

    assert process.calls[0] == events and [call for call in process.calls[1:]] == [[e] for e in events]
    assert process.committed == [e for e in events if e.event_id != culprit]  # each good item exactly once
    assert [m.settled for m in messages] == [["ack"], ["ack"], ["term"], ["ack"], ["ack"]]
    rows = await h.kept()
    assert len(rows) == 1
    assert rows[0]["message_id"] == str(culprit)
    assert bytes(rows[0]["payload"]) == messages[2].data
    assert rows[0]["reason"] == "KeyError: 'bug'"
    assert h.consumed("isolated") == 5


@pytest.mark.parametrize("svc", SERVICES)
async def test_an_undecodable_body_that_cannot_be_kept_is_nakd_not_terminated(svc: Svc, make, unreachable) -> None:
    process = Process()
    h = await make(svc, process, sessions=unreachable)
    good = svc.events(1)[0]
    poison = FakeMsg(b"\xff{not json", svc.subject_of(good), {"Nats-Msg-Id": "poison"}, num_delivered=2)
    neighbour = svc.message(good)

    await h.consumer.handle([poison, neighbour])

    assert poison.acks == [("nak", 4.0)]  # terminating now would lose it: neither processed nor kept
    assert neighbour.settled == ["ack"]
    assert process.calls == [[good]]
    assert h.consumed("dead_letter") == 0


@pytest.mark.parametrize("svc", SERVICES)
async def test_an_item_failing_alone_that_cannot_be_kept_is_nakd_not_terminated(svc: Svc, make, unreachable) -> None:
    events = svc.events(3)
    culprit = events[1].event_id
    process = Process(fail=lambda items: ValueError("bad") if any(item.event_id == culprit for item in items) else None)
    h = await make(svc, process, sessions=unreachable)
    messages = [svc.message(e) for e in events]

    await h.consumer.handle(messages)

    assert [m.acks for m in messages] == [[("ack",)], [("nak", 2.0)], [("ack",)]]
    assert process.committed == [events[0], events[2]]


# --- service by service ------------------------------------------------------------------------------

@pytest.mark.parametrize("error", [pytest.param(ConcurrentUpdate("p-1"), id="concurrent-update"), pytest.param(ConnectionResetError(), id="os-error")])
async def test_tracker_retries_a_concurrent_update_and_a_lost_connection_for_the_whole_batch(error: BaseException, make) -> None:
    process = Process(fail=lambda items: error)
    h = await make(TRACKER, process)
    events = TRACKER.events(3)
    messages = [TRACKER.message(e) for e in events]

    await h.consumer.handle(messages)

    assert len(process.calls) == 1  # another replica won the race: redo the batch later, do not split it
    assert [m.acks for m in messages] == [[("nak", 2.0)]] * 3
    assert await h.kept() == []


async def test_notifier_decodes_each_escalation_kind_to_its_own_type(make) -> None:
    process = Process()
    h = await make(NOTIFIER, process)
    events = [raised(), escalated(event_id=uuid.uuid4()), resolved(event_id=uuid.uuid4())]

    await h.consumer.handle([NOTIFIER.message(e) for e in events])

    assert process.calls == [events]
    assert [type(item) for item in process.calls[0]] == [EscalationRaised, EscalationEscalated, EscalationResolved]


async def test_notifier_keeps_an_unknown_escalation_kind(make) -> None:
    process = Process()
    h = await make(NOTIFIER, process)
    body = raised().model_dump_json().encode().replace(b'"kind":"raised"', b'"kind":"closed"')
    assert b'"closed"' in body
    message = FakeMsg(body, subjects.escalation(COUNTY, "closed"), {"Nats-Msg-Id": "closed-1"})

    await h.consumer.handle([message])

    assert process.calls == []
    assert message.settled == ["term"]
    assert [row["message_id"] for row in await h.kept()] == ["closed-1"]


async def test_each_consumer_listens_to_every_county_on_its_own_durable() -> None:
    consumers = {svc.name: svc.build_consumer(BatchCommitter(Process(), None), None, ConsumerMetrics(CollectorRegistry(), svc.name))  # type: ignore[arg-type]
                 for svc in (TRACKER, ESCALATION, NOTIFIER)}
    assert {name: (c.stream, c.subject, c.durable) for name, c in consumers.items()} == {
        "tracker": (subjects.UPDATES.name, "county.*.project.updated", subjects.TRACKER_ON_PROJECT_UPDATED),
        "escalation": (subjects.PROJECTS.name, "county.*.project.changed", subjects.ESCALATION_ON_PROJECT_CHANGED),
        "notifier": (subjects.ESCALATIONS.name, "county.*.escalation.*", subjects.NOTIFIER_ON_ESCALATION),
    }
    for consumer in consumers.values():
        config = consumer.config()
        assert config.durable_name == consumer.durable and config.filter_subject == consumer.subject
