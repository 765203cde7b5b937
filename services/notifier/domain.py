"""Who gets an escalation, over which endpoint: routing values, the delivery plan and its keys."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, get_args
from uuid import UUID, uuid5

from shared.contracts.escalation import Recipient, RecipientKind

ChannelName = Literal["webhook", "email", "dingtalk", "wecom", "file"]
CHANNEL_NAMES: frozenset[str] = frozenset(get_args(ChannelName))

# Fixed for ever: changing it would change every delivery key and defeat deduplication on retry.
_DELIVERY_NAMESPACE = UUID("6f1c2a4e-3b7d-5e89-9a10-4c2b8d7e6f30")


@dataclass(frozen=True)
class Endpoint:
    channel: ChannelName
    address: str
    # Kept out of repr so a logged plan never leaks a robot or webhook secret.
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Person:
    name: str
    channels: tuple[Endpoint, ...]
    title: str | None = None


@dataclass(frozen=True)
class Routing:
    """One county's routing; department and alias lookups go through `department_people`."""

    county_code: str
    county_name: str
    project_office: str
    departments: Mapping[str, tuple[Person, ...]]
    leaders: Mapping[str, Person]
    endpoints: Mapping[str, Endpoint]
    aliases: Mapping[str, str] = field(default_factory=dict)

    def department_people(self, name: str) -> tuple[Person, ...]:
        return self.departments.get(self.aliases.get(name, name), ())

    def office_people(self) -> tuple[Person, ...]:
        return self.department_people(self.project_office)

    def endpoint(self, channel: str, address: str) -> Endpoint | None:
        """The endpoint a person is routed at (with its secret, which the delivery log never stores); None if nobody is."""
        return self._endpoints.get((channel, address))

    @cached_property
    def _endpoints(self) -> dict[tuple[str, str], Endpoint]:  # read for every delivery: built once per routing
        found: dict[tuple[str, str], Endpoint] = {}
        for person in (*self.leaders.values(), *(p for people in self.departments.values() for p in people)):
            for endpoint in person.channels:
                found.setdefault((endpoint.channel, endpoint.address), endpoint)
        return found


@dataclass(frozen=True)
class PlannedDelivery:
    recipient: Recipient
    person: Person
    endpoint: Endpoint
    fallback: bool = False  # True when the recipient had nobody routed and the office stands in


@dataclass(frozen=True)
class DeliveryPlan:
    deliveries: tuple[PlannedDelivery, ...]
    routing_gaps: tuple[Recipient, ...]


def _people_for(recipient: Recipient, routing: Routing) -> tuple[Person, ...]:
    if recipient.kind is RecipientKind.department:
        return routing.department_people(recipient.name)
    if recipient.kind is RecipientKind.leader:
        leader = routing.leaders.get(recipient.name)
        return (leader,) if leader is not None else ()
    return routing.office_people()


def plan_deliveries(recipients: tuple[Recipient, ...], routing: Routing) -> DeliveryPlan:
    """One delivery per destination; an unrouted recipient falls back to the project office.

    Deduplication is by destination (channel, address), which covers "same person, same
    endpoint" and also a mailbox or group robot shared by two people: the destination would
    otherwise get the same message twice, and `delivery_key` (which has no person) would clash.
    The first recipient is kept, except that an "action" recipient replaces an "informed" one.
    """
    chosen: dict[tuple[str, str], PlannedDelivery] = {}
    gaps: list[Recipient] = []
    for recipient in recipients:
        people = _people_for(recipient, routing)
        fallback = not people
        if fallback:
            gaps.append(recipient)
            people = routing.office_people()
        for person in people:
            for endpoint in person.channels:
                destination = (endpoint.channel, endpoint.address)
                planned = PlannedDelivery(recipient, person, endpoint, fallback)
                kept = chosen.get(destination)
                if kept is None or (kept.recipient.role == "informed" and recipient.role == "action"):
                    chosen[destination] = planned
    return DeliveryPlan(deliveries=tuple(chosen.values()), routing_gaps=tuple(gaps))


def delivery_key(escalation_event_id: UUID, recipient: Recipient, channel: str, address: str) -> str:
    """Stable across retries and restarts: a uuid5 of the event, recipient and destination."""
    parts = (str(escalation_event_id), recipient.kind.value, recipient.name, channel, address)
    return str(uuid5(_DELIVERY_NAMESPACE, "\x1f".join(parts)))
