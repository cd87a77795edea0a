"""Sign-in and session security: CSRF, cookie flags, state, nonce, signature, audience,
open redirects; and Slack's rules held by the emulator."""

from __future__ import annotations

import re
import urllib.parse

import httpx
import pytest
from fastapi.testclient import TestClient

from firefighter.web.console import console_app
from firefighter.web.signin.session import safe_return_path
from tests.web.console.conftest import CLIENT_ID, CLIENT_SECRET, World


def signed_in(world: World, client: httpx.Client) -> bool:
    return client.get("/").status_code == 200


def csrf_of(client: httpx.Client) -> str:
    page = client.get("/").text
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match
    return match.group(1)


def test_logout_needs_the_csrf_token(world: World) -> None:
    alice = world.sign_in("UALICE")
    refused = alice.post("/auth/logout", data={})
    assert refused.status_code == 403
    assert signed_in(world, alice)
    forged = alice.post(
        "/auth/logout", data={"csrf": csrf_of(alice)}, headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403
    assert signed_in(world, alice)
    done = alice.post("/auth/logout", data={"csrf": csrf_of(alice)})
    assert done.status_code == 200 and "Signed out" in done.text
    assert not signed_in(world, alice)


def test_session_cookie_flags(world: World) -> None:
    answer = world.client().get("/auth/login")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    # Behind https, the cookie is Secure.
    https = world.settings.model_copy(update={"base_url": "https://console.example"})
    app = console_app(settings=https, factory=world.core.factory, names=lambda _ids: {})
    with TestClient(app, base_url="https://console.example") as client:
        login = client.get("/auth/login", follow_redirects=False)
        assert "; secure" in login.headers["set-cookie"].lower()


def test_a_wrong_state_is_refused(world: World) -> None:
    client = world.client()
    login = client.get("/auth/login")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(login.headers["location"]).query))
    answer = client.get("/auth/callback", params={"code": "whatever", "state": "forged"})
    assert answer.status_code == 400 and "Sign-in failed" in answer.text
    assert query["state"] != "forged"
    assert not signed_in(world, client)


@pytest.mark.parametrize("fault", ["bad_signature", "wrong_audience", "wrong_nonce"])
def test_a_bad_id_token_is_refused(world: World, fault: str) -> None:
    world.emulator.oidc_fault(fault)
    client = world.client()
    with pytest.raises(AssertionError):
        world.sign_in("UALICE", client)
    assert not signed_in(world, client)
    world.emulator.oidc_fault(None)
    world.sign_in("UALICE", client)
    assert signed_in(world, client)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_no_open_redirect_after_sign_in(world: World, target: str) -> None:
    client = world.client()
    login = client.get("/auth/login", params={"next": target})
    page = httpx.get(login.headers["location"])
    fields = dict(re.findall(r'name="([^"]*)" value="([^"]*)"', page.text))
    picked = httpx.post(
        f"{world.emulator.base_url}/openid/connect/authorize", data={**fields, "user": "UALICE"}
    )
    back = client.get(picked.headers["location"])
    assert back.status_code == 303 and back.headers["location"] == "/"
    assert safe_return_path(target) == "/"
    assert safe_return_path("/incidents/3?x=1") == "/incidents/3?x=1"


def test_the_emulator_holds_slacks_rules(world: World) -> None:
    base = world.emulator.base_url
    callback = f"{world.url}/auth/callback"
    common = {"client_id": CLIENT_ID, "scope": "openid email", "response_type": "code"}
    bad = httpx.get(
        f"{base}/openid/connect/authorize", params={**common, "redirect_uri": "https://evil/cb"}
    )
    assert bad.status_code == 400 and "bad_redirect_uri" in bad.text
    picked = httpx.post(
        f"{base}/openid/connect/authorize",
        data={**common, "redirect_uri": callback, "nonce": "n1", "user": "UBOB"},
    )
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(picked.headers["location"]).query))[
        "code"
    ]
    token_url = f"{base}/api/openid.connect.token"
    form = {"code": code, "client_id": CLIENT_ID, "redirect_uri": callback}
    assert httpx.post(token_url, data={**form, "client_secret": "nope"}).json() == {
        "ok": False,
        "error": "bad_client_secret",
    }
    wrong_uri = {**form, "client_secret": CLIENT_SECRET, "redirect_uri": f"{world.url}/x"}
    assert httpx.post(token_url, data=wrong_uri).json()["error"] == "bad_redirect_uri"
    good = httpx.post(token_url, data={**form, "client_secret": CLIENT_SECRET}).json()
    assert good["ok"] is True and good["id_token"].count(".") == 2
    again = httpx.post(token_url, data={**form, "client_secret": CLIENT_SECRET}).json()
    assert again == {"ok": False, "error": "code_already_used"}
    info = httpx.get(
        f"{base}/api/openid.connect.userInfo",
        headers={"Authorization": f"Bearer {good['access_token']}"},
    ).json()
    assert info["https://slack.com/user_id"] == "UBOB" and info["email"] == "bob@example.com"


def test_console_off_without_settings(world: World) -> None:
    off = world.settings.model_copy(update={"oidc_issuer": None})
    app = console_app(settings=off, factory=world.core.factory, names=lambda _ids: {})
    with TestClient(app) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "FIREFIGHTER_OIDC_ISSUER" in page.text and "console is off" in page.text
        assert client.get("/incidents/1").status_code == 404


def test_the_manifest_declares_sign_in_with_slack() -> None:
    from pathlib import Path

    import yaml

    manifest = yaml.safe_load((Path(__file__).parents[3] / "slack-manifest.yml").read_text())
    oauth = manifest["oauth_config"]
    assert set(oauth["scopes"]["user"]) == {"openid", "profile", "email"}
    assert all(url.endswith("/auth/callback") for url in oauth["redirect_urls"])


def test_another_provider_signs_people_in_by_email(world: World) -> None:
    world.emulator.oidc_fault("no_slack_claims")
    carol = world.sign_in("UCAROL")
    page = carol.get("/")
    assert page.status_code == 200 and "Carol Diaz" in page.text
    world.emulator.add_user("UDAN", "dan", real_name="Dan Unknown", email="")
    client = world.client()
    with pytest.raises(AssertionError):
        world.sign_in("UDAN", client)
    assert not signed_in(world, client)


def test_the_api_from_a_console_session_needs_the_csrf_token_to_write(world: World) -> None:
    alice = world.sign_in("UALICE")
    assert alice.get("/api/v1/incidents").status_code == 200
    body = {"title": "Declared from the browser", "severity": "SEV3"}
    assert alice.post("/api/v1/incidents", json=body).status_code == 401
    forged = alice.post("/api/v1/incidents", json=body, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 401
    made = alice.post("/api/v1/incidents", json=body, headers={"X-CSRF-Token": csrf_of(alice)})
    assert made.status_code == 201, made.text
    assert world.client().get("/api/v1/incidents").status_code == 401
