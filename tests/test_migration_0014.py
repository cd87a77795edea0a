"""Migration 0014 rewrites the timeline rows the previous versions wrote with Slack mentions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from alembic import command
from sqlalchemy import create_engine, text

from firefighter.db import alembic_config, upgrade
from firefighter.incidents.wording import Person, event_words, plain
from tests.test_migrations import empty_url  # noqa: F401  (the fixture: both databases)

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

# (kind, text, data) exactly as 0013's code wrote them (service.assign_role, followups._record).
OLD_ROWS: list[tuple[str, str, dict[str, Any]]] = [
    ("role_assigned", "Commander: <@U0ALICE>", {"role": "commander", "user": "U0ALICE"}),
    ("followup", "Follow-up #1 added: Rotate keys (owner <@U0BOB>)", {"followup_id": 1}),
    (
        "followup",
        "Follow-up #2 added: Fix (owner <@U0X>) twice (owner <@U0BOB>, due 2027-01-02)",
        {"followup_id": 2, "status": "open"},
    ),
    ("followup", "Follow-up #3 added: No owner (due 2027-01-02)", {"followup_id": 3}),
    ("update", "Ask <@U0ALICE> about it", {}),
    ("followup", "Follow-up #1 done: Rotate keys", {"followup_id": 1, "status": "done"}),
]


def _insert_old_rows(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO incidents (id, title, description, status, severity, private, drill,"
                " declared_at, version, created_at, updated_at) VALUES (1, 'DB down', '',"
                " 'investigating', 'SEV2', false, false, :at, 1, :at, :at)"
            ),
            {"at": AT},
        )
        for number, (kind, said, data) in enumerate(OLD_ROWS, 1):
            connection.execute(
                text(
                    "INSERT INTO timeline_events (id, incident_id, at, kind, actor, text, data)"
                    " VALUES (:id, 1, :at, :kind, 'U0CAROL', :text, :data)"
                ),
                {"id": number, "at": AT, "kind": kind, "text": said, "data": json.dumps(data)},
            )
    engine.dispose()


def _json(data: Any) -> dict[str, Any]:
    return data if isinstance(data, dict) else dict(json.loads(data))


def _rows(url: str) -> list[tuple[str, dict[str, Any]]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(text("SELECT text, data FROM timeline_events ORDER BY id"))
        rows = [(said, _json(data)) for said, data in found]
    engine.dispose()
    return rows


def test_old_mentions_become_people_and_come_back_on_downgrade(empty_url: str) -> None:  # noqa: F811
    upgrade(empty_url, "0013")
    _insert_old_rows(empty_url)
    upgrade(empty_url, "0014")
    rows = _rows(empty_url)
    assert [said for said, _ in rows] == [
        "Commander: @U0ALICE",
        "Follow-up #1 added: Rotate keys (owner @U0BOB)",
        "Follow-up #2 added: Fix (owner <@U0X>) twice (owner @U0BOB, due 2027-01-02)",
        "Follow-up #3 added: No owner (due 2027-01-02)",
        "Ask <@U0ALICE> about it",  # typed in Slack: the message's own text stays as it was
        "Follow-up #1 done: Rotate keys",
    ]
    words = [event_words(said, data) for said, data in rows]
    assert words[0] == ("Commander: ", Person("U0ALICE"))
    assert rows[0][1]["role"] == "commander"  # the row's other values are kept
    names = {"U0ALICE": "Alice", "U0BOB": "Bob"}
    assert plain(words[2], names).endswith("(owner @Bob, due 2027-01-02)")
    assert all("words" not in data for _, data in rows[3:])

    command.downgrade(alembic_config(empty_url), "0013")
    assert _rows(empty_url) == [(said, data) for _, said, data in OLD_ROWS]
