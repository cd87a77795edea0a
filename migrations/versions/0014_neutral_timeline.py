"""neutral timeline: people in timeline rows as user ids, not Slack mentions

Up to 0013 the core wrote two kinds of timeline rows with Slack markup in `text`:
`role_assigned` ("Commander: <@U1>") and a follow-up added with an owner
("Follow-up #3 added: Fix it (owner <@U1>, due 2026-01-02)"). From 0014 a row keeps its
sentence in `data["words"]` (text, and `{"person": id}` for a person) and reads it plainly
in `text` ("Commander: @U1"); each surface names the person. This rewrites those rows;
the downgrade writes the mentions back.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 23:30:00.000000
"""

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENTS = sa.table(
    "timeline_events",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("text", sa.Text),
    sa.column("data", sa.JSON),
)

# The two shapes the previous versions wrote; a title may itself hold "(owner", so the
# owner is the last one, right before the closing parenthesis.
ROLE = re.compile(r"^(?P<head>.*: )<@(?P<user>[A-Za-z0-9_]+)>$", re.DOTALL)
OWNER = re.compile(
    r"^(?P<head>.* \(owner )<@(?P<user>[A-Za-z0-9_]+)>(?P<tail>(?:, due [0-9-]+)?\))$",
    re.DOTALL,
)
PATTERNS = {"role_assigned": ROLE, "followup": OWNER}


def neutral(kind: str, text: str) -> list[Any] | None:
    """The words of an old row's text, or None when it names nobody."""
    pattern = PATTERNS.get(kind)
    found = pattern.match(text or "") if pattern is not None else None
    if found is None:
        return None
    tail = found.groupdict().get("tail") or ""
    return [found["head"], {"person": found["user"]}, *([tail] if tail else [])]


def read(words: list[Any], person: str) -> str:
    """`words` as one text, each person written as `person` formats its id."""
    return "".join(
        person.format(part["person"]) if isinstance(part, dict) else str(part) for part in words
    )


def _rows(connection: sa.Connection, kinds: Sequence[str]) -> list[Any]:
    query = sa.select(EVENTS.c.id, EVENTS.c.kind, EVENTS.c.text, EVENTS.c.data)
    return list(connection.execute(query.where(EVENTS.c.kind.in_(kinds)).order_by(EVENTS.c.id)))


def upgrade() -> None:
    connection = op.get_bind()
    for row in _rows(connection, list(PATTERNS)):
        words = neutral(row.kind, row.text)
        if words is None:
            continue
        data = {**(row.data or {}), "words": words}
        connection.execute(
            EVENTS.update()
            .where(EVENTS.c.id == row.id)
            .values(text=read(words, "@{}"), data=data)
        )


def downgrade() -> None:
    connection = op.get_bind()
    for row in _rows(connection, list(PATTERNS)):
        data = dict(row.data or {})
        words = data.pop("words", None)
        if not isinstance(words, list):
            continue
        connection.execute(
            EVENTS.update()
            .where(EVENTS.c.id == row.id)
            .values(text=read(words, "<@{}>"), data=data)
        )
