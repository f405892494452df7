"""The desk console's frame: local sign-in, roles, CSRF, security headers, the cookie."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from console.roles import Identity, person_for
from tests.console_kit import console_client, console_settings, csrf_of, sign_in


@pytest.fixture
async def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    async with console_client(console_settings(f"sqlite:///{tmp_path}/c.db")) as c:
        yield c


async def test_signed_out_visitors_are_sent_to_the_sign_in_page(client: TestClient) -> None:
    response = await client.get("/desk/?x=1", allow_redirects=False)
    assert response.status == 303
    location = URL(response.headers["Location"])
    assert (location.path, location.query["next"]) == ("/desk/signin", "/desk/?x=1")
    bare = await client.get("/desk", allow_redirects=False)
    assert bare.status == 308 and bare.headers["Location"] == "/desk/"


async def test_every_page_carries_a_strict_content_security_policy(client: TestClient) -> None:
    response = await client.get("/desk/signin")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    redirect = await client.get("/desk/?x=1", allow_redirects=False)
    assert "Content-Security-Policy" in redirect.headers


async def test_the_local_sign_in_sets_an_httponly_samesite_cookie(client: TestClient) -> None:
    page = await client.get("/desk/signin")
    response = await client.post(
        "/desk/signin",
        data={"_csrf": csrf_of(await page.text()), "name": "Dana", "role": "desk"},
        allow_redirects=False,
    )
    assert response.status == 303
    cookie = response.cookies["desk"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # local mode is plain http on loopback


async def test_a_form_without_the_right_csrf_token_is_refused_and_changes_nothing(
    client: TestClient,
) -> None:
    await client.get("/desk/signin")
    for data in (
        {"name": "Eve", "role": "admin"},
        {"_csrf": "forged", "name": "Eve", "role": "admin"},
    ):
        response = await client.post("/desk/signin", data=data, allow_redirects=False)
        assert response.status == 403
        assert "verlopen" in await response.text()
    still_out = await client.get("/desk/", allow_redirects=False)
    assert still_out.status == 303 and "/desk/signin" in still_out.headers["Location"]


async def test_a_cross_origin_post_is_refused_even_with_a_token(client: TestClient) -> None:
    token = await sign_in(client, "desk")
    response = await client.post(
        "/desk/signout", data={"_csrf": token}, headers={"Origin": "https://evil.example"}
    )
    assert response.status == 403


async def test_a_tampered_cookie_counts_as_signed_out(client: TestClient) -> None:
    await sign_in(client, "admin")
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/desk/"))["desk"]
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({"desk": cookie.value[:-3] + "AAA"})
    response = await client.get("/desk/", allow_redirects=False)
    assert response.status == 303 and "/desk/signin" in response.headers["Location"]


async def test_sign_out_ends_the_session(client: TestClient) -> None:
    token = await sign_in(client, "desk")
    response = await client.post("/desk/signout", data={"_csrf": token}, allow_redirects=False)
    assert response.status == 303
    again = await client.get("/desk/", allow_redirects=False)
    assert "/desk/signin" in again.headers["Location"]


async def test_home_sends_each_role_to_its_own_start(client: TestClient) -> None:
    await sign_in(client, "queue", queues=["technische-dienst"])
    response = await client.get("/desk/", allow_redirects=False)
    assert response.headers["Location"] == "/desk/tickets"


async def test_the_language_switch_keeps_the_page_and_refuses_other_sites(
    client: TestClient,
) -> None:
    response = await client.get("/desk/language/en?next=/desk/signin", allow_redirects=False)
    assert response.headers["Location"] == "/desk/signin"
    page = await client.get("/desk/signin")
    assert '<html lang="en">' in await page.text()
    away = await client.get("/desk/language/nl?next=https://evil.example/", allow_redirects=False)
    assert away.headers["Location"] == "/desk/"


async def test_a_queue_sign_in_without_a_queue_is_refused(client: TestClient) -> None:
    page = await client.get("/desk/signin")
    response = await client.post(
        "/desk/signin", data={"_csrf": csrf_of(await page.text()), "name": "Q", "role": "queue"}
    )
    assert response.status == 422


async def test_the_development_sign_in_does_not_exist_in_production(tmp_path: Path) -> None:
    settings = console_settings(
        f"sqlite:///{tmp_path}/p.db",
        app_id="00000000-0000-0000-0000-000000000001",
        console_secret="x" * 32,
    )
    async with console_client(settings) as client:
        response = await client.post("/desk/signin", data={"name": "Eve", "role": "admin"})
        assert response.status == 403


def test_roles_come_from_the_settings_and_the_knowledge() -> None:
    def person(identity: Identity, local: bool = False):  # type: ignore[no-untyped-def]
        return person_for(
            identity,
            admins={"lead@org.nl"},
            desk_staff={"aad-desk"},
            desk_groups={"grp-balie"},
            queue_staff={"technische-dienst": ["aad-td"], "facilitair": ["aad-fac"]},
            local=local,
        )

    assert person(Identity("aad-desk", "D")).roles == {"desk"}
    grouped = person(Identity("aad-x", "G", groups=("GRP-BALIE",)))
    assert grouped.roles == {"desk"}
    td = person(Identity("aad-td", "T"))
    assert td.roles == {"queue"} and td.queues == {"technische-dienst"}
    assert td.may_act("technische-dienst") and not td.may_act("facilitair")
    lead = person(Identity("aad-l", "L", email="Lead@Org.nl"))
    assert lead.is_admin and lead.queues == {"technische-dienst", "facilitair"}
    assert person(Identity("aad-nobody", "N")).roles == set()
    # a development role counts in local mode only
    dev = Identity("dev:x", "X", dev_roles=("admin",))
    assert person(dev, local=True).is_admin and not person(dev).is_admin
