"""The shipped deploy/nats/nats.conf with the accounts `tuijin nats init-accounts` writes, on a real nats-server:
accounts are on (no anonymous client, no open subject), and a county added later is served after a reload."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from bus_support import DEPLOY, County, Intake, SecuredNats, connect_county, new_seed
from nats.errors import NoServersError
from test_bus_feed import submit

NEW_COUNTY = "330109"  # 萧山区, added while everything runs


@pytest.fixture
def secured_nats(tmp_path: Path) -> Iterator[SecuredNats]:
    """Overrides the bus fixture: the same server, but on the shipped nats.conf."""
    shipped = (DEPLOY / "nats.conf").read_text()
    assert "store_dir: /data" in shipped
    server = SecuredNats(tmp_path, base=shipped.replace("store_dir: /data", f'store_dir: "{tmp_path / "store"}"'))
    server.start()
    yield server
    server.stop()


async def test_the_shipped_server_refuses_anonymous_clients_and_strangers(secured_nats: SecuredNats) -> None:
    for credentials in ({}, {"nkeys_seed_str": new_seed()}):
        with pytest.raises((nats.errors.Error, NoServersError)):
            await nats.connect(secured_nats.url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2, **credentials)


async def test_a_county_added_with_init_accounts_is_served_after_a_reload_without_a_restart(
        secured_nats: SecuredNats, intake: Intake, county_a: County) -> None:
    assert (await submit(county_a, []))[0] == 422  # served: "the batch is empty"
    pid = secured_nats.process.pid if secured_nats.process else None
    added = subprocess.run([str(Path(sys.executable).parent / "tuijin"), "nats", "init-accounts",
                            "--conf", str(secured_nats.directory / "accounts" / "accounts.conf"),
                            "--seeds", str(secured_nats.directory / "seeds"), "--county", NEW_COUNTY],
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    secured_nats.seeds[NEW_COUNTY] = (secured_nats.directory / "seeds" / f"county-{NEW_COUNTY}.nk").read_text().strip()
    secured_nats.reload()
    newcomer = await connect_county(secured_nats, NEW_COUNTY)
    try:
        status, body = await submit(newcomer, [])
        assert status == 422 and "empty" in str(body)
        assert (await submit(county_a, []))[0] == 422  # the others are undisturbed
    finally:
        await newcomer.nc.close()
    assert secured_nats.process is not None and secured_nats.process.pid == pid and secured_nats.process.poll() is None
