"""`firefighter api-token create|list|revoke`: the token shown once, stored hashed."""

from __future__ import annotations

from sqlalchemy import select

from firefighter.bootstrap import Core
from firefighter.web.api.models import ApiToken
from firefighter.web.api.tokens import authenticate
from tests.cli.test_cli import invoke


def test_create_prints_the_token_once_list_never_and_revoke_ends_it(
    core: Core, db_url: str
) -> None:
    code, stdout, _ = invoke("api-token", "create", "deploy-bot", "--read-only", url=db_url)
    assert code == 0, stdout
    token = stdout.strip().splitlines()[-1]
    assert token.startswith("ff_") and len(token) > 40
    with core.factory() as session:
        stored = session.scalars(select(ApiToken)).one()
    assert token not in (stored.token_sha256, stored.name) and len(stored.token_sha256) == 64
    caller = authenticate(core.factory, f"Bearer {token}")
    assert caller is not None and (caller.actor, caller.read_only) == ("deploy-bot", True)

    code, listed, _ = invoke("api-token", "list", url=db_url)
    assert code == 0 and "deploy-bot" in listed and "read-only" in listed and token not in listed
    code, out, err = invoke("api-token", "create", "deploy-bot", url=db_url)
    assert code == 1 and "exists" in out + err

    code, stdout, _ = invoke("api-token", "revoke", "deploy-bot", url=db_url)
    assert code == 0 and "Revoked" in stdout
    assert authenticate(core.factory, f"Bearer {token}") is None
