"""NATS accounts for a deployment: an nkey per user (made with the `nkeys` library) and the accounts file that names them.

One application account (TUIJIN) for the services, one account per county that submits on the bus. The file holds
only public keys, written literally (not read from the environment), so a county added later reaches a running
nats-server with a config reload (`nats-server --signal reload`): no restart. Seeds never leave the seeds directory.

Every county's submit subject is exported to that county's account alone, and the county's import is what names
the county (deploy/nats/README-accounts.md).
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import nkeys

from shared.contracts.types import is_county_code

SERVICES_SEED = "services.nk"


def _seed_file(code: str) -> str:
    return f"county-{code}.nk"


def public_key(seed: bytes) -> str:
    return nkeys.from_seed(bytearray(seed)).public_key.decode()


def _write_private(path: Path, data: bytes) -> None:
    """A file only its owner reads, written whole (a half-written seed or config is never seen)."""
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    partial.replace(path)


def _seed(seeds_dir: Path, name: str) -> bytes:
    """The seed in `name`, made the first time: running the command again never replaces a key."""
    path = seeds_dir / name
    if not path.exists():
        _write_private(path, nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER))
    return path.read_bytes().strip()


def known_counties(seeds_dir: Path) -> set[str]:
    return {p.name.removeprefix("county-").removesuffix(".nk") for p in seeds_dir.glob("county-*.nk")}


def render(services_key: str, counties: dict[str, str]) -> str:
    """The accounts block for these public keys (county code → user key)."""
    exports = "".join(f'      {{ service: "intake.submit.{c}", accounts: [COUNTY_{c}] }}\n' for c in sorted(counties))
    accounts = "".join(f"""
  COUNTY_{c} {{
    users: [
      {{ nkey: "{key}"
        permissions: {{ publish: {{ allow: ["intake.submit"] }}, subscribe: {{ allow: ["_INBOX.>"] }} }} }}
    ]
    imports: [
      {{ service: {{ account: TUIJIN, subject: "intake.submit.{c}" }}, to: "intake.submit" }}
    ]
  }}
""" for c, key in sorted(counties.items()))
    return f"""# Written by `tuijin nats init-accounts`; edit by running it again (it keeps every existing key).
# Public keys only: the seeds stay in the seeds directory. Included from nats.conf.
accounts {{
  TUIJIN {{
    jetstream: enabled
    users: [
      {{ nkey: "{services_key}" }}
    ]
    exports: [
      # Each county's submit subject, importable by that county's account alone.
{exports}    ]
  }}
{accounts}}}
"""


def init_accounts(conf: Path, seeds_dir: Path, counties: Iterable[str] = ()) -> dict[str, str]:
    """Make missing seeds (the services', each county's), write `conf`; the public keys by user ("services" or a code)."""
    wanted = set(counties)
    bad = sorted(c for c in wanted if not is_county_code(c))
    if bad:
        raise ValueError(f"not 6-digit county codes: {', '.join(bad)}")
    seeds_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    keys = {"services": public_key(_seed(seeds_dir, SERVICES_SEED))}
    for code in sorted(wanted | known_counties(seeds_dir)):
        keys[code] = public_key(_seed(seeds_dir, _seed_file(code)))
    conf.parent.mkdir(parents=True, exist_ok=True)
    _write_private(conf, render(keys["services"], {c: k for c, k in keys.items() if c != "services"}).encode())
    conf.chmod(0o644)  # public keys only: nats-server may run as another user
    return keys


def seed_path(seeds_dir: Path, user: str) -> Path:
    return seeds_dir / (SERVICES_SEED if user == "services" else _seed_file(user))
