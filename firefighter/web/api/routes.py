"""`/api/v1`: incidents (read, declare, update, move), follow-ups, alerts, figures, Game Days.

Every write goes through the same core commands as Slack (declaring opens the channel and
announces, through the outbox) under the caller's name; the authorisation table decides as
it does in Slack. A token is an integration: it sees public incidents only.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations, which
# name dependencies (`Who`, `Writer`) defined inside `api_router`.

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from firefighter.gameday.engine import GameDays
from firefighter.incidents.access import Forbidden
from firefighter.incidents.errors import (
    AlreadyProcessed,
    Conflict,
    IncidentError,
    InvalidInput,
    NotFound,
    TransitionRefused,
)
from firefighter.incidents.followup_queries import followup_json
from firefighter.incidents.followups import FollowUpService
from firefighter.incidents.models import Incident
from firefighter.incidents.read import Reader
from firefighter.incidents.read_lists import IncidentQuery, ListReader
from firefighter.incidents.service import IncidentService
from firefighter.settings import Settings
from firefighter.stats import measure
from firefighter.stats.cache import FiguresCache
from firefighter.stats.report import metrics_json
from firefighter.web.api.gamedays import add_gameday_routes
from firefighter.web.api.models import ApiIdempotencyKey
from firefighter.web.api.schemas import AddFollowUp, Declare, Error, Move, Page, Update
from firefighter.web.api.tokens import Caller, authenticate

PREFIX = "/api/v1"
Done = TypeVar("Done")
"""What a core command returns (an incident, a follow-up)."""
CurrentPerson = Callable[[Request], Caller | None]
"""The console's hook: the signed-in person of a request (a session cookie), or None."""


class ApiRefusal(Exception):
    """An answer other than success: status and one sentence."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


@dataclass
class ApiServices:
    """What the API reads and writes through (bootstrap hands them in)."""

    factory: sessionmaker[Session]
    service: IncidentService
    settings: Settings
    followups: FollowUpService
    current_person: CurrentPerson | None = None


REFUSALS: dict[int | str, dict[str, Any]] = {
    code: {"model": Error, "description": text}
    for code, text in {
        401: "No credentials, or a token that is unknown or revoked.",
        403: "A read-only token writing, or an action the authorisation table refuses.",
        404: "No such incident, or one the caller may not see.",
        409: "A move the lifecycle refuses, or a concurrent change.",
        422: "A field that is wrong, named.",
    }.items()
}


def _time(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiRefusal(422, f"{field}: an ISO 8601 date or time, e.g. 2026-12-01") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def api_router(services: ApiServices) -> APIRouter:
    """The API's routes."""
    factory, service = services.factory, services.service
    read, lists = Reader(factory), ListReader(factory)

    def caller(request: Request) -> Caller:
        header = request.headers.get("authorization")
        if header:
            found = authenticate(factory, header)
            if found is None:
                raise ApiRefusal(
                    401,
                    "Authorization: unknown or revoked token; create one with "
                    "`firefighter api-token create NAME`",
                    {"WWW-Authenticate": "Bearer"},
                )
            return found
        if services.current_person is not None:
            person = services.current_person(request)
            if person is not None:
                return person
        raise ApiRefusal(
            401,
            "Authorization: send `Bearer <token>` (`firefighter api-token create NAME`)",
            {"WWW-Authenticate": "Bearer"},
        )

    def writer(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if who.read_only:
            raise ApiRefusal(403, f"the token {who.actor!r} is read-only")
        return who

    Who = Annotated[Caller, Depends(caller)]
    Writer = Annotated[Caller, Depends(writer)]

    def seen(incident_id: int, who: Caller) -> None:
        if not lists.sees(incident_id, who.person):
            raise ApiRefusal(404, f"there is no incident {incident_id} you may see")

    def acting(command: Callable[[], Done]) -> Done:
        try:
            return command()
        except Forbidden as error:
            raise ApiRefusal(403, str(error)) from None
        except NotFound as error:
            raise ApiRefusal(404, str(error)) from None
        except (TransitionRefused, Conflict) as error:
            raise ApiRefusal(409, str(error)) from None
        except InvalidInput as error:
            # Named as a body field is in a validation error: "component: Unknown …".
            named = f"{error.field}: {error}" if error.field else str(error)
            raise ApiRefusal(422, named) from None
        except (AlreadyProcessed, IncidentError) as error:
            raise ApiRefusal(422, str(error)) from None

    def detail(incident_id: int) -> dict[str, Any]:
        return read.incident_detail(incident_id).data

    # Kept a minute per period, as on the console's figures page (stats/cache.py says why).
    kept = FiguresCache(
        lambda days: measure(factory, services.settings, now=service.clock(), days=days)
    )
    router = APIRouter(prefix=PREFIX, responses=REFUSALS, tags=["FireFighter"])

    @router.get("/incidents", response_model=Page, summary="Incidents, newest first")
    def incidents(
        who: Who,
        status: str | None = None,
        severity: str | None = None,
        component: str | None = None,
        q: Annotated[str | None, Query(max_length=200)] = None,
        from_: Annotated[str | None, Query(alias="from")] = None,
        to: str | None = None,
        drills: Annotated[bool | None, Query(description="true: only drills; false: none")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        cursor: Annotated[str | None, Query(description="next_cursor of the page before")] = None,
    ) -> dict[str, Any]:
        since, until = _time(from_, "from"), _time(to, "to")
        if cursor and not cursor.isdigit():
            raise ApiRefusal(422, "cursor: the next_cursor of a previous page")
        wanted = IncidentQuery(
            status=status,
            severity=severity,
            component=component,
            q=q,
            since=since,
            until=until,
            drills=drills,
            before=int(cursor) if cursor else None,
        )
        items, more = lists.incidents(wanted, who.person, limit)
        return {"items": items, "next_cursor": str(items[-1]["id"]) if more else None}

    @router.get(
        "/incidents/{incident_id}", summary="One incident, as `incident show --format json`"
    )
    def incident(incident_id: int, who: Who) -> dict[str, Any]:
        found = lists.detail(incident_id, who.person)
        if found is None:
            raise ApiRefusal(404, f"there is no incident {incident_id} you may see")
        return found

    @router.post(
        "/incidents",
        status_code=201,
        summary="Declare an incident (opens its channel and announces it)",
        responses={200: {"description": "The same Idempotency-Key again: the same incident."}},
    )
    def declare(
        body: Declare,
        who: Writer,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> JSONResponse:
        fingerprint = hashlib.sha256(
            json.dumps(body.model_dump(), sort_keys=True).encode()
        ).hexdigest()

        def earlier() -> int | None:
            if idempotency_key is None:
                return None
            with factory() as session:
                row = session.get(ApiIdempotencyKey, (who.actor, idempotency_key))
                if row is None:
                    return None
                if row.body_sha256 != fingerprint:
                    raise ApiRefusal(
                        422, "Idempotency-Key: already used with a different body; use a new key"
                    )
                return row.incident_id

        found = earlier()
        if found is not None:
            return JSONResponse(detail(found), status_code=200)

        def link(session: Session, incident: Incident) -> None:
            if idempotency_key is not None:
                session.add(
                    ApiIdempotencyKey(
                        owner=who.actor,
                        key=idempotency_key,
                        body_sha256=fingerprint,
                        incident_id=incident.id,
                        created_at=service.clock(),
                    )
                )

        try:
            declared = acting(
                lambda: service.declare(
                    title=body.title,
                    severity=body.severity,
                    actor=who.person or who.actor,
                    description=body.description,
                    component=body.component,
                    private=body.private,
                    link=link,
                )
            )
        except IntegrityError:
            # The same key declared at the same moment by another request: its incident.
            found = earlier()
            if found is None:
                raise
            return JSONResponse(detail(found), status_code=200)
        return JSONResponse(detail(declared.id), status_code=201)

    @router.post("/incidents/{incident_id}/updates", summary="Post a status update")
    def update(incident_id: int, body: Update, who: Writer) -> dict[str, Any]:
        seen(incident_id, who)
        acting(lambda: service.add_update(incident_id, body.text, actor=who.person or who.actor))
        return detail(incident_id)

    @router.post("/incidents/{incident_id}/status", summary="Move the incident's status")
    def move(incident_id: int, body: Move, who: Writer) -> dict[str, Any]:
        seen(incident_id, who)
        acting(
            lambda: service.transition(
                incident_id, body.status, actor=who.person or who.actor, reason=body.reason
            )
        )
        return detail(incident_id)

    @router.post(
        "/incidents/{incident_id}/followups",
        status_code=201,
        summary="Add a follow-up (a Jira issue too when Jira is configured)",
    )
    def add_followup(incident_id: int, body: AddFollowUp, who: Writer) -> dict[str, Any]:
        seen(incident_id, who)
        added = acting(
            lambda: services.followups.add(
                incident_id,
                body.title,
                actor=who.person or who.actor,
                owner=body.owner,
                due=body.due,
            )
        )
        return followup_json(added)

    @router.get("/followups", summary="Follow-ups, oldest first, as `followup list --format json`")
    def followups(
        who: Who, incident: int | None = None, open: bool = False
    ) -> list[dict[str, Any]]:
        return lists.followups(who.person, incident, open_only=open)

    @router.get("/alerts", summary="Alerts, most recent first, as `alerts list --format json`")
    def alerts(who: Who, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
        return lists.alerts(who.person, limit)

    @router.get("/stats", summary="Figures of the last N days, as `stats --format json`")
    def stats(who: Who, days: Annotated[int, Query(ge=1, le=3660)] = 7) -> dict[str, Any]:
        del who  # any caller; the figures are counts, not incidents
        return metrics_json(kept.get(days))

    def seen_ids(who: Caller, ids: Iterable[int]) -> set[int]:
        return lists.seen_ids(ids, who.person)

    gamedays = GameDays(services.settings, service)
    add_gameday_routes(router, caller, gamedays, seen_ids, ApiRefusal)
    return router
