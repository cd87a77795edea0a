"""Sign in with Slack (OpenID Connect): discovery, the authorize page, `openid.connect.token`,
`openid.connect.userInfo` and the signing keys, with Slack's rules.

The rules held (Slack's "Sign in with Slack" docs and the `openid.connect.token` reference):
the client must be known and its redirect URI registered (an exact match); the scope must
include `openid`; a code is good once and for a few minutes; `openid.connect.token` checks the
client secret (form fields or HTTP Basic) and, when the authorize step named a redirect URI,
that the same one is sent again; errors come back as `{"ok": false, "error": ...}` with HTTP 200;
the id token is RS256-signed, its audience is the client id, and it echoes the nonce.
Faults by name (`oidc_fault("bad_signature" | "wrong_audience" | "wrong_nonce")`) let tests
see a client refuse.
"""

from __future__ import annotations

import base64
import html
import json
import secrets
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeyParameters, RSAKey

from firefighter.emulators.slack.state import EmulatorState
from firefighter.emulators.slack.wire import json_reply

Reply = tuple[int, dict[str, str], bytes]
CODE_SECONDS = 600
OIDC_FAULTS = ("bad_signature", "wrong_audience", "wrong_nonce", "no_slack_claims")


@dataclass
class OidcClient:
    """A Slack app allowed to sign people in."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str | None
    user_id: str
    nonce: str | None
    issued: float
    used: bool = False


@dataclass
class _Keys:
    signing: RSAKey
    other: RSAKey
    kid: str


class OidcProvider(EmulatorState):
    """The OpenID Connect side of the emulator (a mixin of SlackEmulator)."""

    _oidc_clients: dict[str, OidcClient]
    _oidc_grants: dict[str, _Grant]
    _oidc_tokens: dict[str, str]
    _oidc_keys: _Keys | None
    _oidc_faults: set[str]

    def _init_oidc(self) -> None:
        self._oidc_clients = {}
        self._oidc_grants = {}
        self._oidc_tokens = {}
        self._oidc_keys = None
        self._oidc_faults = set()

    # -- setup and fault hooks -------------------------------------------------

    def register_oidc_client(
        self, client_id: str, client_secret: str, redirect_uris: list[str]
    ) -> OidcClient:
        """Allow `client_id` to sign people in, sending them back to one of `redirect_uris`."""
        client = OidcClient(client_id, client_secret, tuple(redirect_uris))
        with self._lock:
            self._oidc_clients[client_id] = client
        return client

    def oidc_fault(self, name: str | None) -> None:
        """From now on, sign id tokens with a key not in the JWKS (`bad_signature`), for
        another audience (`wrong_audience`) or with another nonce (`wrong_nonce`), or leave
        out Slack's own claims as another provider would (`no_slack_claims`); None clears
        them all."""
        with self._lock:
            if name is None:
                self._oidc_faults.clear()
            elif name in OIDC_FAULTS:
                self._oidc_faults.add(name)
            else:
                raise ValueError(f"unknown OIDC fault {name!r}; one of {', '.join(OIDC_FAULTS)}")

    # -- routing ------------------------------------------------------------------

    def _handle_oidc(
        self, verb: str, route: str, query: str, headers: dict[str, str], raw: bytes
    ) -> Reply | None:
        """The answer when the request is one of the OIDC endpoints, else None."""
        if route == "/.well-known/openid-configuration" and verb == "GET":
            return json_reply(200, self._discovery())
        if route == "/openid/connect/keys" and verb == "GET":
            return json_reply(200, {"keys": [self._keys().signing.as_dict(private=False)]})
        if route == "/openid/connect/authorize":
            form = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
            if verb == "POST":
                form.update(urllib.parse.parse_qsl(raw.decode("utf-8", "replace")))
                return self._authorize_pick(form)
            return self._authorize_page(form)
        if route == "/api/openid.connect.token" and verb == "POST":
            return json_reply(200, self._token(headers, raw))
        if route == "/api/openid.connect.userInfo":
            return json_reply(200, self._userinfo(headers))
        return None

    def _discovery(self) -> dict[str, Any]:
        base = self.base_url
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/openid/connect/authorize",
            "token_endpoint": f"{base}/api/openid.connect.token",
            "userinfo_endpoint": f"{base}/api/openid.connect.userInfo",
            "jwks_uri": f"{base}/openid/connect/keys",
            "scopes_supported": ["openid", "profile", "email"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["form_post"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "auth_time", "iss"],
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": True,
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }

    def _keys(self) -> _Keys:
        with self._lock:
            if self._oidc_keys is None:
                # The other key carries the same kid, so a token it signs fails on its signature.
                kid = secrets.token_hex(8)
                options: KeyParameters = {"kid": kid, "use": "sig", "alg": "RS256"}
                signing = RSAKey.generate_key(2048, parameters=options)
                other = RSAKey.generate_key(2048, parameters=options)
                self._oidc_keys = _Keys(signing, other, kid)
            return self._oidc_keys

    # -- authorize ------------------------------------------------------------------

    def _check_request(self, form: dict[str, str]) -> tuple[OidcClient | None, str | None]:
        """The client, or why the request is refused (shown on Slack's page, no redirect)."""
        client = self._oidc_clients.get(form.get("client_id", ""))
        if client is None:
            return None, "invalid_client_id"
        redirect = form.get("redirect_uri")
        if redirect is not None and redirect not in client.redirect_uris:
            return None, "bad_redirect_uri"
        if redirect is None and len(client.redirect_uris) != 1:
            return None, "bad_redirect_uri"
        if "openid" not in form.get("scope", "").split():
            return None, "invalid_scope"
        if form.get("response_type") != "code":
            return None, "unsupported_response_type"
        return client, None

    def _authorize_page(self, form: dict[str, str]) -> Reply:
        client, error = self._check_request(form)
        if client is None:
            return _html(400, f"<h1>Sign in with Slack</h1><p>Error: {html.escape(str(error))}</p>")
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in form.items()
            if k != "user"
        )
        with self._lock:
            people = [u for u in self._users.values() if not u.is_bot and not u.deleted]
        buttons = "".join(
            f'<li><button type="submit" name="user" value="{html.escape(u.id)}">'
            f"{html.escape(u.real_name or u.name)}</button></li>"
            for u in people
        )
        body = (
            f"<h1>Sign in to {html.escape(self.team_domain.title())} with Slack</h1>"
            f"<p>Pick who you are (the emulator's stand-in for Slack's sign-in).</p>"
            f'<form method="post" action="/openid/connect/authorize">{hidden}<ul>{buttons}</ul>'
            "</form>"
        )
        return _html(200, body)

    def _authorize_pick(self, form: dict[str, str]) -> Reply:
        client, error = self._check_request(form)
        if client is None:
            return _html(400, f"<p>Error: {html.escape(str(error))}</p>")
        user_id = form.get("user", "")
        with self._lock:
            user = self._users.get(user_id)
            if user is None or user.is_bot or user.deleted:
                return _html(400, "<p>Error: pick a person in the list.</p>")
            code = f"{self.team_id}.{secrets.token_hex(24)}"
            self._oidc_grants[code] = _Grant(
                client.client_id, form.get("redirect_uri"), user_id, form.get("nonce"), time.time()
            )
        target = form.get("redirect_uri") or client.redirect_uris[0]
        answer = {"code": code}
        if "state" in form:
            answer["state"] = form["state"]
        separator = "&" if "?" in target else "?"
        location = f"{target}{separator}{urllib.parse.urlencode(answer)}"
        return 302, {"Location": location, "Content-Type": "text/plain"}, b""

    # -- token and userinfo ----------------------------------------------------------

    def _token(self, headers: dict[str, str], raw: bytes) -> dict[str, Any]:
        ctype = headers.get("content-type", "").split(";")[0].strip()
        if ctype == "application/json":
            try:
                form = {str(k): str(v) for k, v in json.loads(raw or b"{}").items()}
            except (ValueError, AttributeError):
                return {"ok": False, "error": "invalid_json"}
        else:
            form = dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace")))
        auth = headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                pair = base64.b64decode(auth[6:].strip()).decode()
            except ValueError:
                return {"ok": False, "error": "invalid_auth"}
            basic_id, _, basic_secret = pair.partition(":")
            form.setdefault("client_id", urllib.parse.unquote_plus(basic_id))
            form.setdefault("client_secret", urllib.parse.unquote_plus(basic_secret))
        if form.get("grant_type", "authorization_code") != "authorization_code":
            return {"ok": False, "error": "invalid_grant_type"}
        with self._lock:
            client = self._oidc_clients.get(form.get("client_id", ""))
            if client is None:
                return {"ok": False, "error": "invalid_client_id"}
            if not secrets.compare_digest(form.get("client_secret", ""), client.client_secret):
                return {"ok": False, "error": "bad_client_secret"}
            grant = self._oidc_grants.get(form.get("code", ""))
            if grant is None or grant.client_id != client.client_id:
                return {"ok": False, "error": "invalid_code"}
            if grant.used:
                return {"ok": False, "error": "code_already_used"}
            if time.time() - grant.issued > CODE_SECONDS:
                return {"ok": False, "error": "invalid_code"}
            if grant.redirect_uri is not None and form.get("redirect_uri") != grant.redirect_uri:
                return {"ok": False, "error": "bad_redirect_uri"}
            grant.used = True
            access = f"xoxp-{secrets.token_hex(16)}"
            self._oidc_tokens[access] = grant.user_id
            claims = self._claims(grant.user_id)
            faults = set(self._oidc_faults)
        now = int(time.time())
        claims.update(
            iss=self.base_url,
            aud="someone-else" if "wrong_audience" in faults else client.client_id,
            exp=now + 3600,
            iat=now,
            auth_time=now,
        )
        if "no_slack_claims" in faults:
            claims = {k: v for k, v in claims.items() if not k.startswith("https://slack.com/")}
            claims["sub"] = f"generic-{grant.user_id.lower()}"
        if grant.nonce is not None:
            claims["nonce"] = "not-" + grant.nonce if "wrong_nonce" in faults else grant.nonce
        keys = self._keys()
        key = keys.other if "bad_signature" in faults else keys.signing
        id_token = jwt.encode({"alg": "RS256", "kid": keys.kid, "typ": "JWT"}, claims, key)
        return {
            "ok": True,
            "access_token": access,
            "token_type": "Bearer",
            "id_token": id_token,
        }

    def _claims(self, user_id: str) -> dict[str, Any]:
        user = self._users[user_id]
        name = user.real_name or user.name
        given, _, family = name.partition(" ")
        return {
            "sub": user_id,
            "https://slack.com/user_id": user_id,
            "https://slack.com/team_id": self.team_id,
            "https://slack.com/team_domain": self.team_domain,
            "email": user.email,
            "email_verified": bool(user.email),
            "name": name,
            "given_name": given,
            "family_name": family,
            "locale": "en-US",
        }

    def _userinfo(self, headers: dict[str, str]) -> dict[str, Any]:
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        with self._lock:
            user_id = self._oidc_tokens.get(token)
            if user_id is None:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, **self._claims(user_id)}


def _html(status: int, body: str) -> Reply:
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Sign in with Slack</title></head><body>{body}</body></html>"
    )
    return status, {"Content-Type": "text/html; charset=utf-8"}, page.encode()
