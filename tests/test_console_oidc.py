"""The console's production sign-in (Entra ID, OpenID Connect code flow with PKCE) against
a fake OpenID provider that signs id tokens with a test key (tests/fake_openid.py).

Production cookies are ``Secure`` and named ``__Host-desk``; the test client's cookie jar
keeps Secure cookies off plain http, so ``Browser`` carries the cookie by hand from each
``Set-Cookie`` to the next request's ``Cookie`` header.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient
from itsdangerous import URLSafeTimedSerializer
from yarl import URL

from console.roles import Identity
from frontoffice.settings import Settings
from tests.console_kit import console_client, console_settings
from tests.fake_openid import TENANT, FakeOpenID

CLIENT_ID = "00000000-0000-0000-0000-00000000c0de"
SECRET = "client-secret-1"
COOKIE_KEY = "k" * 32
COOKIE = "__Host-desk"
ADMIN_OID = "00000000-0000-0000-0000-0000000000aa"


class Browser:
    """A person's browser: the test client plus the session cookie carried by hand."""

    def __init__(self, client: TestClient[web.Request, web.Application]) -> None:
        self.client = client
        self.cookie = ""

    async def get(self, path: str) -> ClientResponse:
        self.client.session.cookie_jar.clear()
        headers = {"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else {}
        response = await self.client.get(path, headers=headers, allow_redirects=False)
        morsel = response.cookies.get(COOKIE)
        if morsel is not None:
            self.cookie = morsel.value
        return response

    async def to_provider(self, next_path: str = "/desk/") -> str:
        """Start signing in; the URL the console sends the browser to."""
        response = await self.get(f"/desk/signin?next={next_path}")
        assert response.status == 303, await response.text()
        return response.headers["Location"]

    async def at_provider(self, authorize_url: str) -> str:
        """The provider signs the person in at once: the callback's path and query."""
        answer = await self.client.session.get(authorize_url, allow_redirects=False)
        assert answer.status == 302, await answer.text()
        return URL(answer.headers["Location"]).path_qs

    async def sign_in(self, next_path: str = "/desk/") -> ClientResponse:
        return await self.get(await self.at_provider(await self.to_provider(next_path)))

    async def signed_in(self) -> bool:
        response = await self.get("/desk/")
        return not (response.status == 303 and "/desk/signin" in response.headers["Location"])


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every message of the app's own loggers with its extra fields (what a log shipper sees)."""
    standard = set(vars(logging.makeLogRecord({})))
    return "\n".join(
        f"{r.getMessage()} { ({k: v for k, v in vars(r).items() if k not in standard}) }"
        for r in caplog.records
        if not r.name.startswith("aiohttp")
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenID]:
    provider = FakeOpenID(CLIENT_ID, SECRET)
    await provider.start()
    yield provider
    await provider.close()


def production(tmp_path: Path, authority: str, **changes: Any) -> Settings:
    base: dict[str, Any] = {
        "app_id": CLIENT_ID,
        "app_password": SECRET,
        "console_secret": COOKIE_KEY,
        "console_authority": authority,
        "allowed_tenants": frozenset({TENANT}),
        "admins": frozenset({"anna@org.example"}),
        "desk_groups": frozenset({"grp-balie"}),
        "desk_staff": frozenset({"00000000-0000-0000-0000-0000000000dd"}),
    }
    return console_settings(f"sqlite:///{tmp_path}/oidc.db", **{**base, **changes})


@pytest.fixture
async def browser(tmp_path: Path, fake: FakeOpenID) -> AsyncIterator[Browser]:
    async with console_client(production(tmp_path, fake.url)) as client:
        yield Browser(client)


async def test_an_admin_signs_in_with_pkce_and_lands_where_they_were_going(
    browser: Browser, fake: FakeOpenID, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    authorize = URL(await browser.to_provider("/desk/tickets?queue=td"))
    q = authorize.query
    assert str(authorize.with_query(None)) == f"{fake.url}/authorize"
    assert (q["response_type"], q["response_mode"], q["scope"]) == (
        "code",
        "query",
        "openid profile email",
    )
    assert q["client_id"] == CLIENT_ID and q["code_challenge_method"] == "S256"
    assert q["redirect_uri"] == str(browser.client.make_url("/desk/auth/callback"))
    assert q["state"] and q["nonce"] and len(q["code_challenge"]) == 43

    done = await browser.get(await browser.at_provider(str(authorize)))
    assert done.status == 303, await done.text()
    assert done.headers["Location"] == "/desk/tickets?queue=td"
    cookie = done.cookies[COOKIE]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/" and not cookie["domain"]
    # the code was redeemed with our client secret and the verifier behind the challenge
    (form,) = fake.token_requests
    assert form["client_secret"] == SECRET and len(form["code_verifier"]) >= 43
    # FRONTOFFICE_ADMINS (by e-mail): the admin starts at the desk's search
    home = await browser.get("/desk/")
    assert home.status == 303 and home.headers["Location"] == "/desk/search"
    # the log says that someone signed in, not who
    assert "console sign-in (Entra ID)" in logged(caplog)
    for secret in ("Anna", "anna@org.example", ADMIN_OID, form["code"], form["code_verifier"]):
        assert secret not in logged(caplog)


async def test_desk_staff_come_from_the_groups_claim_and_others_get_no_role(
    browser: Browser, fake: FakeOpenID
) -> None:
    fake.user = {"oid": "oid-bea", "name": "Bea Balie", "preferred_username": "bea@org.example"}
    fake.user["groups"] = ["GRP-BALIE", "grp-other"]
    assert (await browser.sign_in()).status == 303
    home = await browser.get("/desk/")
    assert home.headers["Location"] == "/desk/search"

    other = Browser(browser.client)
    fake.user = {"oid": "oid-carl", "name": "Carl Nobody", "preferred_username": "carl@org.ex"}
    assert (await other.sign_in()).status == 303
    page = await other.get("/desk/")
    assert page.status == 403  # signed in, but no role gives access
    assert "Carl Nobody" in await page.text()


@pytest.mark.parametrize(
    ("change", "status", "text"),
    [
        ({"tenant": "22222222-2222-2222-2222-222222222222"}, 403, "organisatie"),
        ({"claims": {"aud": "another-app"}}, 403, "andere toepassing"),
        ({"claims": {"aud": None}}, 403, "andere toepassing"),
        ({"expired": True}, 403, "verlopen"),
        ({"sign_with_stranger": True}, 403, "niet worden gecontroleerd"),
        ({"claims": {"nonce": "tampered"}}, 403, "niet worden gecontroleerd"),
        ({"claims": {"iss": "https://login.example/other/v2.0"}}, 403, "gecontroleerd"),
        ({"claims": {"oid": None, "sub": None}}, 403, "niet worden gecontroleerd"),
        ({"deny": "access_denied"}, 400, "afgebroken of geweigerd"),
    ],
    ids=[
        "wrong-tenant",
        "wrong-audience",
        "no-audience",
        "expired",
        "bad-signature",
        "nonce",
        "issuer",
        "no-subject",
        "provider-error",
    ],
)
async def test_a_sign_in_that_does_not_hold_is_refused_and_signs_nobody_in(
    browser: Browser,
    fake: FakeOpenID,
    caplog: pytest.LogCaptureFixture,
    change: dict[str, Any],
    status: int,
    text: str,
) -> None:
    caplog.set_level(logging.INFO)
    if change.pop("expired", False):
        past = int(time.time()) - 3600
        change["claims"] = {"iat": past - 3600, "nbf": past - 3600, "exp": past}
    for name, value in change.items():
        setattr(fake, name, value)
    response = await browser.sign_in()
    assert response.status == status
    page = await response.text()
    assert text in page and "/desk/signin?next=" in page
    assert not await browser.signed_in()
    assert "console sign-in refused" in logged(caplog)
    assert "Anna" not in logged(caplog) and "anna@org.example" not in logged(caplog)


async def test_the_failure_page_speaks_english_when_chosen(
    browser: Browser, fake: FakeOpenID
) -> None:
    await browser.get("/desk/language/en")
    fake.tenant = "22222222-2222-2222-2222-222222222222"
    response = await browser.sign_in()
    assert response.status == 403
    assert "account has no access to this console" in await response.text()


async def test_a_tenant_is_free_when_no_tenants_are_configured(
    tmp_path: Path, fake: FakeOpenID
) -> None:
    fake.tenant = "33333333-3333-3333-3333-333333333333"
    settings = production(tmp_path, fake.url, allowed_tenants=frozenset())
    async with console_client(settings) as client:
        browser = Browser(client)
        assert (await browser.sign_in()).status == 303
        assert await browser.signed_in()


async def test_a_forged_or_replayed_callback_is_refused(browser: Browser, fake: FakeOpenID) -> None:
    callback = URL(await browser.at_provider(await browser.to_provider()))
    forged = callback.update_query(state="someone-elses-state")
    response = await browser.get(str(forged))
    assert response.status == 400
    assert "al gebruikt" in await response.text()
    # the pending sign-in is used up by any callback: the real one now fails too
    again = await browser.get(str(callback))
    assert again.status == 400 and not await browser.signed_in()
    assert fake.token_requests == []  # no code was redeemed

    # a good sign-in, then its callback replayed
    before = browser.cookie
    callback = URL(await browser.at_provider(await browser.to_provider()))
    with_pending = browser.cookie
    assert (await browser.get(str(callback))).status == 303
    assert (await browser.get(str(callback))).status == 400  # the session has no sign-in pending
    # replayed with the cookie from before the callback: the provider redeems a code once
    browser.cookie = with_pending
    replay = await browser.get(str(callback))
    assert replay.status == 400 and not await browser.signed_in()
    assert before != with_pending
    # without any session at all
    browser.cookie = ""
    assert (await browser.get(str(callback))).status == 400


async def test_a_code_with_the_wrong_pkce_verifier_is_refused_by_the_provider(
    browser: Browser, fake: FakeOpenID
) -> None:
    callback = await browser.at_provider(await browser.to_provider())
    # someone with the code and a signed session, but not the verifier behind the challenge
    codec = URLSafeTimedSerializer(COOKIE_KEY, salt="frontoffice-desk-session")
    data = codec.loads(browser.cookie)
    data["oidc"]["verifier"] = "x" * 64
    browser.cookie = codec.dumps(data)
    response = await browser.get(callback)
    assert response.status == 400
    assert "niet geaccepteerd" in await response.text()
    assert fake.token_requests[-1]["code_verifier"] == "x" * 64
    assert not await browser.signed_in()


async def test_a_wrong_client_secret_is_refused_and_logged_as_such(
    tmp_path: Path, fake: FakeOpenID, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with console_client(production(tmp_path, fake.url, app_password="wrong")) as client:
        browser = Browser(client)
        response = await browser.sign_in()
        assert response.status == 400 and not await browser.signed_in()
    assert "'error': 'invalid_client'" in logged(caplog) and "wrong" not in logged(caplog)


async def test_a_sign_in_left_unfinished_too_long_is_refused(
    browser: Browser, fake: FakeOpenID
) -> None:
    callback = await browser.at_provider(await browser.to_provider())
    codec = URLSafeTimedSerializer(COOKIE_KEY, salt="frontoffice-desk-session")
    data = codec.loads(browser.cookie)
    data["oidc"]["at"] -= 16 * 60
    browser.cookie = codec.dumps(data)
    response = await browser.get(callback)
    assert response.status == 400 and not await browser.signed_in()
    assert fake.token_requests == []


async def test_the_fake_provider_refuses_a_code_without_a_verifier(
    browser: Browser, fake: FakeOpenID
) -> None:
    callback = URL(await browser.at_provider(await browser.to_provider()))
    answer = await browser.client.session.post(
        f"{fake.url}/token",
        data={
            "grant_type": "authorization_code",
            "code": callback.query["code"],
            "redirect_uri": str(browser.client.make_url("/desk/auth/callback")),
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
        },
    )
    assert answer.status == 400 and (await answer.json())["error"] == "invalid_grant"


async def test_a_provider_that_cannot_be_reached_gives_a_clear_502(
    browser: Browser, fake: FakeOpenID
) -> None:
    callback = await browser.at_provider(await browser.to_provider())
    await fake.close()  # down between the sign-in page and the callback
    response = await browser.get(callback)
    assert response.status == 502
    assert "niet bereikbaar" in await response.text()
    assert not await browser.signed_in()


async def test_a_provider_down_from_the_start_gives_a_clear_502(tmp_path: Path) -> None:
    down = FakeOpenID(CLIENT_ID, SECRET)
    url = await down.start()
    await down.close()
    async with console_client(production(tmp_path, url)) as client:
        browser = Browser(client)
        response = await browser.get("/desk/signin")
        assert response.status == 502
        assert "niet bereikbaar" in await response.text()


async def test_rolled_over_signing_keys_are_fetched_again_once(
    browser: Browser, fake: FakeOpenID
) -> None:
    assert (await browser.sign_in()).status == 303
    fake.rotate_key()
    assert (await browser.sign_in()).status == 303
    assert await browser.signed_in()
    assert fake.requests.count(("GET", "/keys")) == 2
    assert fake.requests.count(("GET", "/.well-known/openid-configuration")) == 1


async def test_the_sign_in_only_returns_to_console_pages(browser: Browser) -> None:
    response = await browser.sign_in("https://evil.example/")
    assert response.status == 303 and response.headers["Location"] == "/desk/"


async def test_a_cookie_signed_with_another_key_is_not_accepted(browser: Browser) -> None:
    admin = Identity(id=ADMIN_OID, name="Anna", email="anna@org.example", tenant=TENANT)
    data = {"who": admin.to_json(), "csrf": "t" * 32}
    browser.cookie = URLSafeTimedSerializer("another-key", salt="frontoffice-desk-session").dumps(
        data
    )
    assert not await browser.signed_in()
    browser.cookie = URLSafeTimedSerializer(COOKIE_KEY, salt="frontoffice-desk-session").dumps(data)
    assert await browser.signed_in()  # the same content under the console's key does count


async def test_the_development_sign_in_stays_refused_in_production(browser: Browser) -> None:
    response = await browser.client.post("/desk/signin", data={"name": "Eve", "role": "admin"})
    assert response.status == 403
    assert not await browser.signed_in()
