"""Load one county's routing TOML (config/routing/<county_code>.toml) into a frozen `Routing`."""
from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from services.notifier.domain import CHANNEL_NAMES, ChannelName, Endpoint, Person, Routing

_TOP_KEYS = frozenset({"county_code", "county_name", "project_office", "endpoints", "people", "departments", "leaders"})
_ENDPOINT_KEYS = frozenset({"channel", "address", "secret", "secret_env"})
_PERSON_KEYS = frozenset({"title", "channels"})
_DEPARTMENT_KEYS = frozenset({"people", "aliases", "full_name"})
# Group robots without signing and plain mailboxes/files have no use for a secret; one there is a typo.
_SECRET_CHANNELS = frozenset({"webhook", "dingtalk"})


class RoutingError(ValueError):
    """A routing file that cannot be trusted; the message names the file and the key."""


class _Reader:
    def __init__(self, source: str, env: Mapping[str, str]) -> None:
        self.source = source
        self.env = env

    def fail(self, key: str, problem: str) -> RoutingError:
        return RoutingError(f"{self.source}: {key}: {problem}")

    def table(self, value: object, key: str, allowed: frozenset[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        for unknown in sorted(set(value) - allowed):
            raise self.fail(f"{key}.{unknown}" if key else unknown, f"unknown key (allowed: {', '.join(sorted(allowed))})")
        return value

    def text(self, value: object, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        return value.strip()

    def names(self, value: object, key: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(key, "must be a list of names")
        return tuple(self.text(item, f"{key}[{i}]") for i, item in enumerate(value))

    def endpoint(self, value: object, key: str) -> Endpoint:
        data = self.table(value, key, _ENDPOINT_KEYS)
        channel = self.text(data.get("channel"), f"{key}.channel")
        if channel not in CHANNEL_NAMES:
            raise self.fail(f"{key}.channel", f"unknown channel {channel!r} (allowed: {', '.join(sorted(CHANNEL_NAMES))})")
        address = self.text(data.get("address"), f"{key}.address")
        secret = self._secret(data, key)
        if secret is not None and channel not in _SECRET_CHANNELS:
            raise self.fail(f"{key}.secret", f"channel {channel} takes no secret")
        if channel == "webhook" and not (secret or "").startswith("whsec_"):
            raise self.fail(f"{key}.secret", "a webhook needs a Standard Webhooks secret: whsec_ + base64")
        if channel in {"webhook", "dingtalk", "wecom"} and not address.startswith(("https://", "http://")):
            raise self.fail(f"{key}.address", "must be an http(s) URL")
        if channel == "email" and "@" not in address:
            raise self.fail(f"{key}.address", "must be a mailbox such as name@example.gov.cn")
        return Endpoint(channel=cast(ChannelName, channel), address=address, secret=secret)

    def _secret(self, data: dict[str, Any], key: str) -> str | None:
        if "secret" in data and "secret_env" in data:
            raise self.fail(key, "give either secret or secret_env, not both")
        if "secret_env" in data:
            name = self.text(data["secret_env"], f"{key}.secret_env")
            if name not in self.env:
                raise self.fail(f"{key}.secret_env", f"environment variable {name} is not set")
            return self.env[name]
        return self.text(data["secret"], f"{key}.secret") if "secret" in data else None


def parse_routing(data: Mapping[str, Any], source: str, env: Mapping[str, str] | None = None) -> Routing:
    r = _Reader(source, os.environ if env is None else env)
    top = r.table(dict(data), "", _TOP_KEYS)
    endpoints = {
        r.text(name, "endpoints"): r.endpoint(value, f"endpoints.{name}")
        for name, value in r.table(top.get("endpoints", {}), "endpoints", frozenset(top.get("endpoints", {}))).items()
    }
    people: dict[str, Person] = {}
    for name, value in r.table(top.get("people", {}), "people", frozenset(top.get("people", {}))).items():
        key = f"people.{name}"
        entry = r.table(value, key, _PERSON_KEYS)
        raw = entry.get("channels")
        if not isinstance(raw, list) or not raw:
            raise r.fail(f"{key}.channels", "needs at least one channel")
        channels: list[Endpoint] = []
        for i, item in enumerate(raw):
            if isinstance(item, str):  # a name from [endpoints], e.g. a shared group robot
                if item not in endpoints:
                    raise r.fail(f"{key}.channels[{i}]", f"no endpoint named {item!r} in [endpoints]")
                channels.append(endpoints[item])
            else:
                channels.append(r.endpoint(item, f"{key}.channels[{i}]"))
        title = r.text(entry["title"], f"{key}.title") if "title" in entry else None
        people[name] = Person(name=name, channels=tuple(channels), title=title)

    def person(name: str, key: str) -> Person:
        if name not in people:
            raise r.fail(key, f"no person named {name!r} in [people]")
        return people[name]

    departments: dict[str, tuple[Person, ...]] = {}
    aliases: dict[str, str] = {}
    for name, value in r.table(top.get("departments", {}), "departments", frozenset(top.get("departments", {}))).items():
        key = f"departments.{name}"
        entry = r.table(value, key, _DEPARTMENT_KEYS)
        departments[name] = tuple(person(p, f"{key}.people") for p in r.names(entry.get("people", []), f"{key}.people"))
        for alias in r.names(entry.get("aliases", []), f"{key}.aliases"):
            if alias in aliases or alias in top.get("departments", {}):
                raise r.fail(f"{key}.aliases", f"{alias!r} already names another department")
            aliases[alias] = name
    leaders = {
        name: person(r.text(value, f"leaders.{name}"), f"leaders.{name}")
        for name, value in r.table(top.get("leaders", {}), "leaders", frozenset(top.get("leaders", {}))).items()
    }
    office = r.text(top.get("project_office"), "project_office")
    # The office is where every unrouted escalation lands, so it must reach somebody.
    if not departments.get(office):
        raise r.fail("project_office", f"{office!r} must be a department in [departments] with at least one person")
    return Routing(
        county_code=r.text(top.get("county_code"), "county_code"),
        county_name=r.text(top.get("county_name"), "county_name"),
        project_office=office,
        departments=MappingProxyType(departments),
        leaders=MappingProxyType(leaders),
        endpoints=MappingProxyType(endpoints),
        aliases=MappingProxyType(aliases),
    )


def load_routing(path: Path, env: Mapping[str, str] | None = None) -> Routing:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RoutingError(f"{path}: not valid TOML: {exc}") from exc
    return parse_routing(data, str(path), env)
