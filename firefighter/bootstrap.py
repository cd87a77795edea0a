"""The composition root: settings → engine → services → adapters → outbox handlers → Bolt app.

Nothing else wires things together; `serving`, `sandbox` and `cli` call what is here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from firefighter.alerts.endpoint import alerts_router
from firefighter.alerts.rules import AlertRules, load_rules
from firefighter.chaos.endpoint import chaos_router
from firefighter.db import check_ready, make_engine, make_session_factory, utcnow
from firefighter.faults import NO_FAULTS, Faults
from firefighter.gameday.engine import GameDays
from firefighter.gameday.outcomes import RECORDERS as GAMEDAY_RECORDERS
from firefighter.incidents import effects
from firefighter.incidents.access import AccessPolicy
from firefighter.incidents.alerts import AlertService
from firefighter.incidents.chaos import ChaosRecord, ChaosService, Recorded
from firefighter.incidents.followups import FollowUpService
from firefighter.incidents.messages import MessageService
from firefighter.incidents.outcomes import outcome_recorders
from firefighter.incidents.paging import PagingService
from firefighter.incidents.people import People
from firefighter.incidents.service import IncidentService
from firefighter.incidents.unit_of_work import UnitOfWork
from firefighter.jira.issues import JiraFollowUps
from firefighter.jira.sync import webhook_router
from firefighter.observability import Metrics
from firefighter.outbox import Clock, Dispatcher, Message
from firefighter.paging.config import NO_PAGING, PagingConfig
from firefighter.paging.handlers import PagingEffects
from firefighter.paging.oncall import OnCallDirectory
from firefighter.paging.setup import Paging
from firefighter.paging.vendors import Opsgenie, PagerDuty
from firefighter.paging.webhooks import opsgenie_router, pagerduty_consumer
from firefighter.postmortem.gameday_publish import publish_gameday
from firefighter.postmortem.handler import register_exporter
from firefighter.schedules import Scheduler
from firefighter.settings import ConfigError, Settings
from firefighter.slack.app import create_bolt
from firefighter.slack.client import make_client, request_client
from firefighter.slack.context import SlackContext
from firefighter.slack.directory import SlackDirectory
from firefighter.slack.handlers.alert_effects import AlertEffects
from firefighter.slack.handlers.conversation_effects import ConversationEffects
from firefighter.slack.handlers.digest import DigestPoster
from firefighter.slack.handlers.gameday_effects import GameDayEffects
from firefighter.slack.handlers.incident_effects import SlackEffects
from firefighter.slack.handlers.paging_invites import PagingInvites
from firefighter.slack.handlers.reminder_effects import ReminderEffects
from firefighter.slack.identity import BotIdentity
from firefighter.slack.outage import REQUEST_SECONDS
from firefighter.slack.pacing import Pacer, paced
from firefighter.slack.server import slack_router
from firefighter.web.api.routes import ApiServices, CurrentPerson, api_router
from firefighter.web.app import build_app as build_web_app
from firefighter.web.console import mount_console
from firefighter.web.health import health_check
from firefighter.web.hooks.outbound import DeliverWebhook, Webhooks
from firefighter.web.signin.api_session import session_caller
from firefighter.web.signin.slack_people import slack_user_by_email
from firefighter.yaml_files import SpecError


@dataclass
class Core:
    """What every entry point needs: settings, database and the service."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    service: IncidentService
    alerts: AlertService
    followups: FollowUpService
    messages: MessageService
    people: People
    chaos: ChaosService
    paging_config: PagingConfig = NO_PAGING
    paging: PagingService | None = None
    pagerduty: PagerDuty | None = None
    opsgenie: Opsgenie | None = None
    oncall: OnCallDirectory | None = None
    faults: Faults = NO_FAULTS

    def dispatcher(self, **kwargs: Any) -> Dispatcher:
        """A dispatcher with no handlers yet; `register_handlers` adds them."""
        kwargs.setdefault("lease_seconds", self.settings.outbox_lease_seconds)
        # What handlers report back (a channel id, a card's ts) is the core's to write.
        recorders = outcome_recorders(
            self.service.work, self.alerts, self.followups, self.paging, self.service.clock
        )
        return Dispatcher(
            self.factory,
            clock=self.service.clock,
            max_attempts=self.settings.outbox_max_attempts,
            faults=self.faults,
            recorders={**recorders, **GAMEDAY_RECORDERS, **kwargs.pop("recorders", {})},
            **kwargs,
        )

    def gamedays(self) -> GameDays:
        """The Game Day engine on this database."""
        return GameDays(self.settings, self.service)

    def scheduler(self, clock: Clock | None = None) -> Scheduler:
        """The cron schedules (digest, reminder pass) on this database."""
        return Scheduler(
            self.settings,
            self.factory,
            clock or self.service.clock,
            gamedays=self.gamedays(),
            gate=self.chaos.gate,
        )

    def record_chaos(self, records: list[ChaosRecord]) -> Recorded:
        """Store chaos results against their component and a Game Day playing it."""
        return self.chaos.record(
            records,
            gameday_for=self.gamedays().running_with,
            drill_severity=self.settings.chaos_drill_severity,
        )

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()


def build_core(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    check: bool = True,
    faults: Faults | None = None,
) -> Core:
    """Connect to the database (checking it is migrated unless `check` is False).

    `faults` are the core's fault-injection points (its own, unarmed, unless a test shares one
    between two cores)."""
    faults = faults if faults is not None else Faults()
    engine, paging = _engine_and_paging(settings, check)
    factory = make_session_factory(engine)
    # Admins and declarers may be Slack user groups; pages name people: Slack is the core's
    # directory, given to the policy and the people at construction.
    directory = SlackDirectory(settings)
    service = _incident_service(settings, factory, clock, faults, directory, paging)
    pages = service.paging if isinstance(service.paging, PagingService) else None
    alerts = AlertService(
        service,
        card_seconds=settings.alert_card_seconds,
        storm_cards=settings.alert_storm_cards,
    )
    followups = FollowUpService(service, zone=settings.zone, jira=settings.jira_enabled)
    return Core(
        settings=settings,
        engine=engine,
        factory=factory,
        service=service,
        alerts=alerts,
        followups=followups,
        messages=MessageService(service),
        people=People(factory, clock, lookup=directory.profile),
        chaos=ChaosService(service, admins=settings.admins),
        faults=faults,
        paging_config=paging.config,
        paging=pages,
        pagerduty=paging.pagerduty,
        opsgenie=paging.opsgenie,
        oncall=paging.oncall,
    )


def _incident_service(
    settings: Settings,
    factory: sessionmaker[Session],
    clock: Clock,
    faults: Faults,
    directory: SlackDirectory,
    paging: Paging,
) -> IncidentService:
    """The incident service, with its access policy, its unit of work (and what listens to
    it) and paging's hooks, all given at construction."""
    policy = AccessPolicy(
        declarers=settings.declarers,
        admins=settings.admins,
        closers=settings.closers,
        group_members=directory.members,
    )
    # One unit of work for every service, so that what listens to changes (the outbound
    # webhooks, enqueued in the change's own transaction) hears them all.
    work = UnitOfWork(factory, clock, faults)
    if settings.webhooks:
        work.listeners.append(Webhooks(settings.webhooks).listen)
    pages = (
        PagingService(work, paging.config.plan, is_admin=lambda user: user in policy.admins)
        if paging.config.enabled
        else None
    )
    return IncidentService(
        factory,
        severities=settings.severities,
        clock=clock,
        failure_classes=settings.failure_classes,
        components=settings.components,
        policy=policy,
        faults=faults,
        work=work,
        paging=pages,
    )


def _engine_and_paging(settings: Settings, check: bool) -> tuple[Engine, Paging]:
    """The database (checked to be migrated unless `check` is False) and the paging file;
    nothing is left open when either is refused."""
    engine = make_engine(
        settings.database_url,
        connect_timeout=settings.db_connect_timeout,
        statement_timeout=settings.db_statement_timeout,
    )
    try:
        if check:
            check_ready(engine)
        return engine, Paging.configured(settings)
    except Exception:
        engine.dispose()
        raise


def safe_url(url: str) -> str:
    """The database URL with any password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable DATABASE_URL>"


# ---- Slack -------------------------------------------------------------------------------


def slack_context(core: Core, client: WebClient) -> SlackContext:
    """What the listeners need; admin and declarer lists may name Slack user groups.

    Listeners call Slack while answering it: through a copy of `client` with a short limit.
    """
    client = request_client(client)
    return SlackContext(
        settings=core.settings,
        service=core.service,
        gamedays=core.gamedays(),
        client=client,
        alerts=core.alerts,
        followups=core.followups,
        messages=core.messages,
        oncall=core.oncall,
    )


def build_app(
    core: Core,
    client: WebClient,
    *,
    process_before_response: bool = True,
    executor: Executor | None = None,
    identity: BotIdentity | None = None,
) -> App:
    """The Bolt app with every listener, answering through `client`; `identity` knows who
    the bot is (serve fetches it at start-up; without it, the first request asks)."""
    return create_bolt(
        slack_context(core, client),
        process_before_response=process_before_response,
        executor=executor,
        identity=identity,
    )


def bot_identity(client: WebClient) -> BotIdentity:
    """Who the bot is, asked with `client`'s retries in the background and, by a request
    that comes first, once with a request's short limit."""
    return BotIdentity(client, request_client(client))


def alert_rules(settings: Settings) -> AlertRules:
    """The routing rules file, checked; ConfigError (one line, with the line number) if not."""
    try:
        return load_rules(
            settings.alert_rules,
            severities=settings.severity_names,
            components=settings.components,
        )
    except SpecError as error:
        raise ConfigError(error.first_line("FIREFIGHTER_ALERT_RULES")) from None


def http_app(
    core: Core,
    bolt: App,
    metrics: Metrics | None = None,
    *,
    extra_routers: Sequence[APIRouter] = (),
    current_person: CurrentPerson | None = None,
    slack_deadline_s: float = REQUEST_SECONDS,
) -> FastAPI:
    """`serve`'s HTTP surface: Slack's, the alerts', Jira's and the vendors' endpoints, the
    REST API, `/healthz` and `/metrics`; `extra_routers` (the console, sign-in) beside them.

    A broken rules file stops here, at start-up, with ConfigError.
    """
    metrics = metrics or Metrics()
    routers = [
        slack_router(
            bolt,
            core.settings.slack_signing_secret or "",
            metrics.observe,
            deadline_s=slack_deadline_s,
        )
    ]
    rules = alert_rules(core.settings)
    pages = None
    if core.paging is not None and core.pagerduty is not None and core.opsgenie is not None:
        pages = pagerduty_consumer(core.paging, core.pagerduty)
        routers.append(opsgenie_router(core.paging, core.opsgenie, core.settings.alerts_token))
    routers.append(
        alerts_router(core.settings, core.alerts.ingest, rules, metrics, pagerduty_pages=pages)
    )
    if core.settings.jira_enabled:
        routers.append(webhook_router(core.settings.jira_webhook_secret, core.followups))
    else:
        routers.append(webhook_router(None, None))
    routers.append(chaos_router(core.settings, core.chaos, core.record_chaos))
    # A console session is a caller too (with its CSRF rule), unless a test brings its own.
    current_person = current_person or session_caller(core.settings)
    routers.append(
        api_router(
            ApiServices(core.factory, core.service, core.settings, core.followups, current_person)
        )
    )
    app = build_web_app(
        routers,
        check_health=health_check(core.engine, core.factory, core.service.clock),
        metrics=metrics,
        extra_routers=extra_routers,
    )
    mount_web_console(app, core, bolt.client)
    return app


# ---- outbox handlers ---------------------------------------------------------------------


def mount_web_console(app: FastAPI, core: Core, client: WebClient | None) -> bool:
    """The web console and its sign-in on `serve`'s app; False (only `/`, saying how to turn it
    on) without the OIDC settings. `client` finds people by e-mail for providers other than
    Slack; admins (FIREFIGHTER_ADMINS) see every incident, as in Slack."""
    return mount_console(
        app,
        settings=core.settings,
        factory=core.factory,
        names=core.people.names,
        gamedays=core.gamedays(),
        find_by_email=slack_user_by_email(client) if client is not None else None,
        is_admin=core.service.policy.is_admin,
        clock=core.service.clock,
    )


def _publish_gameday(core: Core, gamedays: GameDays) -> Callable[[int], tuple[str, str]]:
    def publish(gameday_id: int) -> tuple[str, str]:
        # The report names the players as post-mortems do: the users cache, then users.info.
        published = publish_gameday(core.settings, gamedays, gameday_id, names=core.people.names)
        return published.page_id, published.url

    return publish


def register_handlers(dispatcher: Dispatcher, core: Core, client: WebClient) -> None:
    """Every effect's handler: Slack's, post-mortems, digest, reminders, Game Days."""
    if core.settings.slack_pacing:
        # One pacer per dispatcher: its delivery threads share the workspace's limits.
        client = paced(client, Pacer())
    gamedays = core.gamedays()
    incident = SlackEffects(
        core.settings,
        core.service,
        client,
        drill_invitees=gamedays.invitees,
        faults=core.faults,
    )
    incident.register(dispatcher)
    register_exporter(
        dispatcher, core.settings, core.service, names=core.people.names, faults=core.faults
    )
    ConversationEffects(core.service, client).register(dispatcher)
    digest = DigestPoster(core.settings, core.factory, core.service.clock, client, core.faults)
    dispatcher.register(effects.DIGEST_POST, digest)
    ReminderEffects(core.settings, core.service, client).register(dispatcher)
    AlertEffects(core.settings, core.alerts, core.service, client).register(dispatcher)
    GameDayEffects(
        gamedays, client, publish_report=_publish_gameday(core, gamedays), faults=core.faults
    ).register(dispatcher)
    if core.settings.jira_enabled:
        JiraFollowUps(core.settings, core.followups, email_of=_email_of(client)).register(
            dispatcher
        )
    if core.paging is not None and core.pagerduty is not None and core.opsgenie is not None:
        PagingEffects(
            core.settings,
            core.paging,
            core.paging_config,
            core.pagerduty,
            core.opsgenie,
        ).register(dispatcher)
        PagingInvites(core.service, client).register(dispatcher)


def _email_of(client: WebClient) -> Callable[[str], str | None]:
    """The Slack profile e-mail of a user (the Jira assignee lookup uses it), or None."""

    def email_of(user_id: str) -> str | None:
        try:
            profile = (client.users_info(user=user_id).get("user") or {}).get("profile") or {}
        except Exception:  # no e-mail (or no users:read.email scope): the issue is unassigned
            return None
        return str(profile.get("email") or "") or None

    return email_of


def register_for_export(dispatcher: Dispatcher, core: Core) -> None:
    """Handlers for `postmortem export`: all of them when Slack is configured (the
    incident's earlier Slack effects are delivered first), else the post-mortem one alone."""
    if core.settings.slack_bot_token:
        register_handlers(dispatcher, core, make_client(core.settings))
    else:
        # No Slack to ask: the names cached while the bot ran.
        register_exporter(dispatcher, core.settings, core.service, names=core.people.names)


def register_digest(dispatcher: Dispatcher, core: Core, client: WebClient) -> None:
    """The digest's handler alone (`firefighter digest` posts one now)."""
    digest = DigestPoster(core.settings, core.factory, core.service.clock, client, core.faults)
    dispatcher.register(effects.DIGEST_POST, digest)


def build_dispatcher(core: Core, client: WebClient, **kwargs: Any) -> Dispatcher:
    """A dispatcher that delivers every effect, and tells the channel about dead letters."""

    def tell_channel(message: Message, error: str) -> None:
        incident_id = message.payload.get("incident_id")
        if incident_id is None or message.kind.startswith("incident.notify"):
            return
        core.service.notify(
            int(incident_id),
            f":warning: FireFighter gave up on `{message.kind}` ({error[:300]}). "
            "An operator can retry it with `firefighter outbox retry`.",
            key=f"dead:{message.id}",
        )

    kwargs.setdefault("on_dead", tell_channel)
    dispatcher = core.dispatcher(**kwargs)
    register_handlers(dispatcher, core, client)
    dispatcher.register(DeliverWebhook.kind, Webhooks(core.settings.webhooks).deliver)
    return dispatcher
