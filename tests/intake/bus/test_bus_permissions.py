"""The accounts `tuijin nats init-accounts` writes, on a real nats-server: a county reaches only its own submit service.

Every trick to act as another county, or to go around intake, is refused by the server
(permissions violation) and leaves nothing in JetStream or in quarantine.
"""
from __future__ import annotations

import json
from pathlib import Path

import nats
import pytest
from bus_support import COUNTY_A, COUNTY_B, DEPLOY, County, Intake, SecuredNats, check_config, new_seed, write_config
from intake_support import NOW, update
from nats.errors import NoServersError

from services.intake import quarantine
from services.intake.domain import build_event
from shared import subjects
from shared.contracts import ProjectUpdate
from shared.messaging import headers_for
from shared.subjects import COUNTY_SUBMIT, submit_subject

# Ways county A might try to write as county B, or to write around intake's validation.
FOREIGN_PUBLISHES = [
    submit_subject(COUNTY_B),  # intake's subject for B, as TUIJIN sees it
    submit_subject(COUNTY_A),  # even its own mapped name: only `intake.submit` leads to intake
    f"{COUNTY_SUBMIT}.{COUNTY_B}.x",
    subjects.project_updated(COUNTY_B),  # the internal subject, straight into the stream
    subjects.project_updated(COUNTY_A),
    "$JS.API.STREAM.INFO.UPDATES",
    "$JS.API.STREAM.CREATE.SPOOF",
    "$JS.API.STREAM.PURGE.UPDATES",
    "_INBOX.anything",  # may read its inbox, never write to one
]
FOREIGN_SUBSCRIPTIONS = [
    ">",
    "county.>",
    subjects.project_updated(COUNTY_B),
    subjects.project_updated(),
    "intake.submit.>",
    "$JS.>",
]


def event_json(county_code: str) -> tuple[bytes, dict[str, str]]:
    update_ = ProjectUpdate.model_validate(update("spoof-1"))
    event = build_event(county_code, update_, NOW)
    return event.model_dump_json().encode(), headers_for(event)


@pytest.mark.parametrize("subject", FOREIGN_PUBLISHES)
async def test_a_publish_outside_the_submit_service_is_refused_and_nothing_is_stored(
    intake: Intake, secured_nats: SecuredNats, county_a: County, subject: str
) -> None:
    payload, headers = event_json(COUNTY_B)

    await county_a.nc.publish(subject, payload, headers=headers)
    with pytest.raises(nats.errors.TimeoutError):  # nobody answers a refused request
        await county_a.nc.request(subject, json.dumps([update("r-1")]).encode(), timeout=0.3)

    violations = await county_a.violations(expected=2)
    assert len(violations) == 2 and all(subject.lower() in violation for violation in violations)
    assert await secured_nats.logged(f'"COUNTY_{COUNTY_A}/nkey:{county_a.user_key}" - Publish Violation - Subject "{subject}"')
    assert await intake.stored() == 0
    assert await quarantine.count(intake.sessions, COUNTY_A) == 0
    assert await quarantine.count(intake.sessions, COUNTY_B) == 0


async def test_the_county_has_no_jetstream_of_its_own(intake: Intake, county_a: County) -> None:
    payload, headers = event_json(COUNTY_A)
    with pytest.raises(nats.errors.Error):
        await county_a.nc.jetstream().publish(subjects.project_updated(COUNTY_A), payload, headers=headers, timeout=0.3)
    assert await county_a.violations(expected=1)
    assert await intake.stored() == 0


@pytest.mark.parametrize("subject", FOREIGN_SUBSCRIPTIONS)
async def test_a_county_cannot_subscribe_to_internal_or_foreign_subjects(
    intake: Intake, secured_nats: SecuredNats, county_a: County, subject: str
) -> None:
    await county_a.nc.subscribe(subject)

    violations = await county_a.violations(expected=1)
    assert len(violations) == 1 and subject.lower() in violations[0] and "subscription" in violations[0].lower()
    assert await secured_nats.logged(f'Subscription Violation - Subject "{subject}"')


async def test_a_county_never_sees_another_countys_answers(intake: Intake, county_a: County, county_b: County) -> None:
    # A's widest allowed subscription: every inbox of its own account. It does see A's own answer...
    inboxes = await county_a.nc.subscribe("_INBOX.>")
    await county_a.nc.request(COUNTY_SUBMIT, json.dumps([update("r-a")]).encode(), timeout=5)
    assert json.loads((await inboxes.next_msg(timeout=1)).data)["accepted"] == 1

    # ...and never B's: B's inboxes live in B's account.
    await county_b.nc.request(COUNTY_SUBMIT, json.dumps([update("r-b")]).encode(), timeout=5)
    with pytest.raises(nats.errors.TimeoutError):
        await inboxes.next_msg(timeout=0.3)
    assert await county_a.violations() == []


async def test_unknown_keys_and_anonymous_clients_cannot_connect(secured_nats: SecuredNats) -> None:
    for credentials in ({"nkeys_seed_str": new_seed()}, {}):
        with pytest.raises((nats.errors.Error, NoServersError)):
            await nats.connect(secured_nats.url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2, **credentials)


def test_the_shipped_nats_conf_with_generated_accounts_is_valid_and_never_starts_open(tmp_path: Path) -> None:
    config, _ = write_config(tmp_path, (DEPLOY / "nats.conf").read_text())
    assert check_config(config).returncode == 0
    (tmp_path / "accounts" / "accounts.conf").unlink()
    missing = check_config(config)
    assert missing.returncode != 0 and "accounts.conf" in missing.stderr + missing.stdout, "no accounts file, no server"
