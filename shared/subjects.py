"""Every subject, stream and durable name is built here and nowhere else.

Subjects follow `county.<county_code>.<entity>.<fact>` (ADR-6 style tokens, lower case, past-tense
facts); the county code is validated before it can become a subject token.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from shared.contracts.types import is_county_code

ANY_COUNTY = "*"


@lru_cache(maxsize=4096)  # a batch names a handful of counties, validated once each rather than once per event
def _county_token(county_code: str) -> str:
    if county_code != ANY_COUNTY and not is_county_code(county_code):
        raise ValueError(f"not a 6-digit county code: {county_code!r}")
    return county_code


def subject(county_code: str, entity: str, fact: str) -> str:
    return f"county.{_county_token(county_code)}.{entity}.{fact}"


def project_updated(county_code: str = ANY_COUNTY) -> str:
    return subject(county_code, "project", "updated")


def project_changed(county_code: str = ANY_COUNTY) -> str:
    return subject(county_code, "project", "changed")


def escalation(county_code: str = ANY_COUNTY, fact: str = "*") -> str:
    """fact: raised | escalated | resolved, or * for all of them."""
    return f"county.{_county_token(county_code)}.escalation.{fact}"


def case(county_code: str = ANY_COUNTY, action: str = "*") -> str:
    """action: a CaseAction value (opened, acknowledged, climbed, ...), or * for all of them."""
    return subject(county_code, "case", action)


def coordination(county_code: str = ANY_COUNTY, item_kind: str = "*", action: str = "*") -> str:
    """item_kind: problem | meeting | assignment | referral; action: the step (raised, submitted, decided, ...). One stream and one
    durable filter (`county.*.coordination.*.*`) take all three kinds."""
    return f"county.{_county_token(county_code)}.coordination.{item_kind}.{action}"


def bulletin_published(county_code: str = ANY_COUNTY) -> str:
    return subject(county_code, "bulletin", "published")


def notification_sent(county_code: str = ANY_COUNTY) -> str:
    return subject(county_code, "notification", "sent")


# What a county system on the bus requests, in its own account; the server's import maps it to
# `intake.submit.<county>` in the services' account, so the county comes from the account, never the body.
COUNTY_SUBMIT = "intake.submit"


def submit_subject(county_code: str = ANY_COUNTY) -> str:
    return f"{COUNTY_SUBMIT}.{_county_token(county_code)}"


# Core NATS (no stream): a county token was revoked or rotated; every intake replica forgets it from its cache.
TOKENS_REVOKED = "intake.tokens.revoked"


def county_of(subject: str) -> str | None:
    prefix, _, county = subject.rpartition(".")
    return county if prefix == COUNTY_SUBMIT and is_county_code(county) else None


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]


UPDATES = StreamSpec("UPDATES", (project_updated(),))
PROJECTS = StreamSpec("PROJECTS", (project_changed(),))
ESCALATIONS = StreamSpec("ESCALATIONS", (escalation(),))
NOTIFICATIONS = StreamSpec("NOTIFICATIONS", (notification_sent(),))
CASES = StreamSpec("CASES", (case(),))
BULLETINS = StreamSpec("BULLETINS", (bulletin_published(),))
COORDINATION = StreamSpec("COORDINATION", (coordination(),))
STREAMS = (UPDATES, PROJECTS, ESCALATIONS, NOTIFICATIONS, CASES, BULLETINS, COORDINATION)


def durable(service: str, entity: str, fact: str) -> str:
    """One durable pull consumer per (service, event); replicas share it."""
    return f"{service}-{entity}-{fact}"


TRACKER_ON_PROJECT_UPDATED = durable("tracker", "project", "updated")
ESCALATION_ON_PROJECT_CHANGED = durable("escalation", "project", "changed")
NOTIFIER_ON_ESCALATION = durable("notifier", "escalation", "all")
NOTIFIER_ON_CASE = durable("notifier", "case", "all")
NOTIFIER_ON_BULLETIN = durable("notifier", "bulletin", "published")
NOTIFIER_ON_COORDINATION = durable("notifier", "coordination", "all")
CONSOLE_ON_PROJECT_CHANGED = durable("console", "project", "changed")
CONSOLE_ON_ESCALATION = durable("console", "escalation", "all")
CONSOLE_ON_CASE = durable("console", "case", "all")
CONSOLE_ON_BULLETIN = durable("console", "bulletin", "published")
