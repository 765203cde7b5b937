"""State changes on the console's pages: refused without the session's CSRF token or from another site, and redirects
(`next=` on login, `back=` on case actions) that stay on this site."""
from __future__ import annotations

import re

import pytest

from tests.console.support import case_changed
from tests.console.test_pages import seed

OFFSITE = ["//evil.example/x", "/\\evil.example/x", "https://evil.example/x", "/\t/evil.example/x", "javascript:alert(1)"]  # browsers drop the tab


def token_in(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the form carries no CSRF token"
    return found.group(1)


async def test_a_case_action_without_the_session_s_csrf_token_is_refused(console) -> None:
    await seed(console)
    land = await console.signed_in("zrzy")
    form_token = token_in((await land.get("/cases")).text)  # each action form carries it
    land.headers.pop("X-CSRF-Token", None)
    case_id = str(case_changed(1).case_id)
    for data in ({"note": "伪造"}, {"note": "伪造", "csrf": "guessed"}):
        refused = await land.post(f"/cases/{case_id}/acknowledge", data=data)
        assert refused.status_code == 403
    assert console.escalation.actions == []
    done = await land.post(f"/cases/{case_id}/acknowledge", data={"note": "已收到", "csrf": form_token, "back": "/cases"})
    assert done.status_code == 303 and console.escalation.actions == [("zrzy", case_id, "acknowledge", {"note": "已收到"})]


async def test_another_person_s_token_does_not_pass(console) -> None:
    await seed(console)
    office, land = await console.signed_in("office"), await console.signed_in("zrzy")
    land.headers["X-CSRF-Token"] = office.headers["X-CSRF-Token"]
    assert (await land.post(f"/cases/{case_changed(1).case_id}/acknowledge", data={"note": "x"})).status_code == 403


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "same-site"}])
async def test_a_request_from_another_site_is_refused_even_with_the_token(console, headers: dict[str, str]) -> None:
    await seed(console)
    land = await console.signed_in("zrzy")
    response = await land.post(f"/cases/{case_changed(1).case_id}/acknowledge", data={"note": "x"}, headers=headers)
    assert response.status_code == 403 and console.escalation.actions == []
    assert (await console.client().post("/login", data={"login": "zrzy", "password": "pw-zrzy"}, headers=headers)).status_code == 403


async def test_logout_needs_the_token_too(console) -> None:
    office = await console.signed_in("office")
    token = office.headers.pop("X-CSRF-Token")
    assert (await office.post("/logout")).status_code == 403
    assert (await office.get("/projects")).status_code == 200  # still signed in
    assert (await office.post("/logout", data={"csrf": token})).status_code == 303
    assert (await office.get("/projects")).status_code == 303


@pytest.mark.parametrize("target", OFFSITE)
async def test_login_goes_back_only_to_a_path_on_this_site(console, target: str) -> None:
    page = await console.client().get("/login", params={"next": target})
    assert 'name="next" value="/"' in page.text
    signed = await console.client().post("/login", data={"login": "office", "password": "pw-office", "next": target})
    assert signed.status_code == 303 and signed.headers["location"] == "/"


@pytest.mark.parametrize("target", OFFSITE)
async def test_a_case_action_goes_back_only_to_a_path_on_this_site(console, target: str) -> None:
    await seed(console)
    land = await console.signed_in("zrzy")
    done = await land.post(f"/cases/{case_changed(1).case_id}/acknowledge", data={"note": "好", "back": target})
    assert done.status_code == 303 and done.headers["location"] == "/cases"


async def test_a_path_on_this_site_is_kept(console) -> None:
    await seed(console)
    land = await console.signed_in("zrzy")
    done = await land.post(f"/cases/{case_changed(1).case_id}/acknowledge", data={"note": "好", "back": "/cases?state=opened"})
    assert done.headers["location"] == "/cases?state=opened"
    signed = await console.client().post("/login", data={"login": "office", "password": "pw-office", "next": "/projects?colour=red"})
    assert signed.headers["location"] == "/projects?colour=red"


@pytest.fixture
def over_https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSOLE_SESSION_HTTPS_ONLY", "true")


async def test_cookies_are_secure_when_served_over_https_and_http_only_always(over_https, console) -> None:  # noqa: ARG001
    signed = await console.client().post("/login", data={"login": "office", "password": "pw-office"})
    cookie = signed.headers["set-cookie"].lower()
    assert "tuijin_session=" in cookie and "; secure" in cookie and "; httponly" in cookie and "samesite=lax" in cookie


async def test_without_https_the_cookie_is_still_http_only(console) -> None:
    signed = await console.client().post("/login", data={"login": "office", "password": "pw-office"})
    cookie = signed.headers["set-cookie"].lower()
    assert "; httponly" in cookie and "; secure" not in cookie
