"""Configuration from the environment (and a `.env` file), validated once at start-up."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasGenerator, BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError


class Severity(BaseModel):
    """One severity level: its name, what it means, and the obligations it carries."""

    name: str
    description: str
    postmortem_required: bool = False
    # Minutes without an update before the commander is nudged; None means never.
    reminder_minutes: int | None = None
    # Whether an incident of this severity is one customers saw; the post-mortem's "What
    # happened" says so to readers outside engineering. None: the severity does not tell (an
    # older FIREFIGHTER_SEVERITIES without the key parses as before), and the page keeps quiet.
    customer_facing: bool | None = None

    @field_validator("name")
    @classmethod
    def _upper_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,15}", value):
            raise ValueError("a severity name is a short word such as SEV1")
        return value.upper()


DEFAULT_SEVERITIES: list[Severity] = [
    Severity(
        name="SEV1",
        description="Critical: the whole service or most customers are affected",
        postmortem_required=True,
        reminder_minutes=30,
        customer_facing=True,
    ),
    Severity(
        name="SEV2",
        description="Major: a key feature is down or many customers are affected",
        postmortem_required=True,
        reminder_minutes=60,
        customer_facing=True,
    ),
    Severity(
        name="SEV3",
        description="Minor: a feature is degraded, a workaround exists",
        reminder_minutes=240,
    ),
    Severity(name="SEV4", description="Low: little customer impact"),
    # SEV3 and SEV4 may or may not reach customers: the page does not guess.
    Severity(name="SEV5", description="Cosmetic or internal only", customer_facing=False),
]

DEFAULT_COMPONENTS = ["api", "web", "mobile", "payments", "search", "database", "infrastructure"]

DEFAULT_FAILURE_CLASSES = [
    "change or deploy",
    "capacity or load",
    "dependency or third party",
    "configuration",
    "data",
    "unknown",
]
FAILURE_CLASS_MAX = 64


class WebhookSubscriber(BaseModel):
    """One outbound webhook: where to POST, the HMAC secret, the events (empty: all)."""

    url: str = Field(pattern=r"^https?://")
    secret: str = Field(min_length=1)
    events: list[str] = Field(default_factory=list)


class Settings(BaseSettings):
    """Every setting of the bot; environment variable names are the stable interface."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        case_sensitive=False,
        # A setting's variable is FIREFIGHTER_ and its name, unless the field names another
        # (the vendors' own: DATABASE_URL, SLACK_*, CONFLUENCE_*, JIRA_*, PAGERDUTY_*...).
        alias_generator=AliasGenerator(validation_alias=lambda name: f"FIREFIGHTER_{name.upper()}"),
    )

    database_url: str = Field("sqlite:///firefighter.db", validation_alias="DATABASE_URL")
    slack_bot_token: str | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: str | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")
    incidents_channel: str | None = Field(
        None,
    )
    digest_channel: str | None = Field(None)
    command: str = Field("/incident")
    confluence_url: str | None = Field(None, validation_alias="CONFLUENCE_URL")
    confluence_username: str | None = Field(None, validation_alias="CONFLUENCE_USERNAME")
    confluence_api_token: str | None = Field(None, validation_alias="CONFLUENCE_API_TOKEN")
    confluence_space: str | None = Field(None, validation_alias="CONFLUENCE_SPACE")
    confluence_parent_page_id: str | None = Field(
        None,
        validation_alias="CONFLUENCE_PARENT_PAGE_ID",
    )
    postmortem_dir: Path = Field(
        Path("postmortems"),
    )
    postmortem_template: Path | None = Field(
        None,
    )
    timezone: str = Field("UTC")
    severities: list[Severity] = Field(
        default_factory=lambda: list(DEFAULT_SEVERITIES),
    )
    components: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_COMPONENTS),
    )
    responders: dict[str, list[str]] = Field(
        default_factory=dict,
    )
    declarers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
    )
    admins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
    )
    closers: Literal["responders", "anyone"] = Field("responders")
    gameday_channel: str | None = Field(None)
    # Slack allows about one update per second per message; a Game Day board redraws at most
    # this often, coalescing the changes made meanwhile.
    gameday_board_seconds: float = Field(
        10.0,
        ge=0,
        le=3600,
    )
    process_before_response: bool = Field(
        True,
    )
    outbox_max_attempts: int = Field(
        12,
        ge=1,
        le=100,
    )
    outbox_lease_seconds: float = Field(
        60.0,
        ge=5,
        le=3600,
    )
    slack_pacing: bool = Field(
        default=True,
        description="Pace Web API calls to Slack's rate-limit tiers instead of learning them "
        "from 429s (off only in tests that play many incidents in seconds).",
    )
    outbox_threads: int = Field(
        4,
        ge=1,
        le=64,
    )
    failure_classes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_FAILURE_CLASSES),
    )
    digest_cron: str = Field("0 9 * * 1")
    digest_catch_up_hours: float = Field(
        6.0,
        ge=0,
        le=168,
    )
    role_reminder_minutes: int = Field(
        10,
        ge=1,
        le=1440,
    )
    snooze_minutes: int = Field(
        30,
        ge=1,
        le=1440,
    )
    postmortem_due_days: int = Field(
        5,
        ge=1,
        le=60,
    )

    alerts_token: str | None = Field(None)
    webhooks: list[WebhookSubscriber] = Field(default_factory=list)
    pagerduty_webhook_secret: str | None = Field(
        None,
        validation_alias="PAGERDUTY_WEBHOOK_SECRET",
    )
    alerts_channel: str | None = Field(None)
    # Paging: the file of services and rules, and the vendors' APIs (URLs are settings so
    # that the emulators can stand in).
    paging: Path | None = Field(None)
    pagerduty_events_url: str = Field(
        "https://events.pagerduty.com",
        validation_alias="PAGERDUTY_EVENTS_URL",
    )
    pagerduty_api_url: str = Field(
        "https://api.pagerduty.com",
        validation_alias="PAGERDUTY_API_URL",
    )
    pagerduty_api_token: str | None = Field(None, validation_alias="PAGERDUTY_API_TOKEN")
    opsgenie_api_url: str = Field(
        "https://api.opsgenie.com",
        validation_alias="OPSGENIE_API_URL",
    )
    opsgenie_api_key: str | None = Field(None, validation_alias="OPSGENIE_API_KEY")
    base_url: str | None = Field(None)
    # The web console's sign-in (OpenID Connect): without issuer, client id and secret the
    # console is off and `/` says how to turn it on.
    oidc_issuer: str | None = Field(None)
    oidc_client_id: str | None = Field(None)
    oidc_client_secret: str | None = Field(
        None,
    )
    session_secret: str | None = Field(None)
    alert_rules: Path | None = Field(None)
    # Slack allows about one update per second per message; in an alert storm a triage card
    # is redrawn at most this often, showing every firing received meanwhile.
    alert_card_seconds: float = Field(
        5.0,
        ge=0,
        le=3600,
    )

    # Past this many new triage cards in a minute from one source, further new groups fold
    # into one storm card per source (every alert is still stored and listed).
    alert_storm_cards: int = Field(
        10,
        ge=1,
        le=10000,
    )
    # A stalled database turns into a clear answer within Slack's 3 s instead of hanging.
    db_connect_timeout: float = Field(
        2.0,
        gt=0,
        le=600,
    )
    db_statement_timeout: float = Field(
        5.0,
        gt=0,
        le=3600,
    )
    chaos_token: str | None = Field(None)
    # A failed chaos experiment declares a drill of this severity (unset: it is only recorded).
    chaos_drill_severity: str | None = Field(
        None,
    )
    # The resilience score looks at the experiments run in the last N days.
    resilience_days: int = Field(
        90,
        ge=1,
        le=3650,
    )

    jira_url: str | None = Field(None, validation_alias="JIRA_URL")
    # Cloud: the account's e-mail and an API token. Data Center: a user and password, or a
    # personal access token alone (no user set).
    jira_username: str | None = Field(None, validation_alias="JIRA_USERNAME")
    jira_api_token: str | None = Field(None, validation_alias="JIRA_API_TOKEN")
    jira_project: str | None = Field(None, validation_alias="JIRA_PROJECT")
    jira_issue_type: str = Field("Task", validation_alias="JIRA_ISSUE_TYPE")
    jira_webhook_secret: str | None = Field(None, validation_alias="JIRA_WEBHOOK_SECRET")
    # Cloud or Data Center: found from the URL (*.atlassian.net is Cloud) unless set.
    jira_cloud: bool | None = Field(None)
    # Without a webhook the open follow-ups' issues are read back in one JQL search this often.
    jira_poll_minutes: int = Field(
        5,
        ge=1,
        le=1440,
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("an IANA time zone such as Europe/Paris or UTC") from None
        return value

    @field_validator("command")
    @classmethod
    def _slash(cls, value: str) -> str:
        if not re.fullmatch(r"/[a-z0-9_-]{1,31}", value):
            raise ValueError("a slash command such as /incident (lowercase, no spaces)")
        return value

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError("a SQLAlchemy URL starting with sqlite:/// or postgresql+psycopg://")
        if value.startswith("postgresql://"):
            # The psycopg 3 driver is the one we ship; plain postgresql:// means psycopg2.
            value = "postgresql+psycopg://" + value[len("postgresql://") :]
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("declarers", "admins", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("declarers", "admins")
    @classmethod
    def _slack_ids(cls, value: list[str]) -> list[str]:
        for ident in value:
            if not re.fullmatch(r"[UWS][A-Z0-9_]{2,}", ident):
                raise ValueError(
                    f"Slack user (U…) or user group (S…) ids, comma-separated; not {ident!r}"
                )
        return value

    @field_validator("components", mode="before")
    @classmethod
    def _split_components(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("failure_classes", mode="before")
    @classmethod
    def _split_failure_classes(cls, value: Any) -> Any:
        if isinstance(value, str):
            stripped = value.strip()
            if stripped.startswith("["):
                return json.loads(stripped)
            return [part.strip() for part in stripped.split(",") if part.strip()]
        return value

    @field_validator("failure_classes")
    @classmethod
    def _some_failure_classes(cls, value: list[str]) -> list[str]:
        cleaned = [" ".join(v.split()) for v in value]
        if not cleaned or not all(cleaned):
            raise ValueError("a comma-separated list of failure classes such as data,unknown")
        if any(len(v) > FAILURE_CLASS_MAX for v in cleaned):
            raise ValueError(f"failure classes of at most {FAILURE_CLASS_MAX} characters")
        if len({v.lower() for v in cleaned}) != len(cleaned):
            raise ValueError("failure classes must be unique")
        return cleaned

    @field_validator("digest_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from croniter import croniter

        value = " ".join(value.split())
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError("a five-field cron expression such as '0 9 * * 1'")
        return value

    @field_validator("responders")
    @classmethod
    def _responder_ids(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for key, ids in value.items():
            for ident in ids:
                if not re.fullmatch(r"[UWS][A-Z0-9_]{2,}", ident):
                    raise ValueError(
                        f"Slack user (U…) or user group (S…) ids; {ident!r} under {key!r} is not"
                    )
        return value

    def responders_for(self, severity: str, component: str | None) -> list[str]:
        """User and user-group ids to invite for an incident, from `FIREFIGHTER_RESPONDERS`."""
        keys = ["*", severity.upper()] + ([component] if component else [])
        found: list[str] = []
        for key in keys:
            found += self.responders.get(key, [])
        return list(dict.fromkeys(found))

    @field_validator("severities")
    @classmethod
    def _some_severities(cls, value: list[Severity]) -> list[Severity]:
        if not value:
            raise ValueError("at least one severity")
        names = [s.name for s in value]
        if len(set(names)) != len(names):
            raise ValueError("severity names must be unique")
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The configured time zone as a tzinfo."""
        return ZoneInfo(self.timezone)

    @property
    def jira_enabled(self) -> bool:
        """Whether follow-ups become Jira issues (JIRA_URL and JIRA_PROJECT set)."""
        return bool(self.jira_url and self.jira_project)

    @property
    def triage_channel(self) -> str | None:
        """Where alert triage cards go: the alerts channel, else the incidents channel."""
        return self.alerts_channel or self.incidents_channel

    @property
    def announce_digest_channel(self) -> str | None:
        """Where the digest goes: its own channel, else the incidents channel."""
        return self.digest_channel or self.incidents_channel

    def severity(self, name: str) -> Severity:
        """The severity called `name` (case-insensitive); KeyError if unknown."""
        wanted = name.strip().upper()
        for severity in self.severities:
            if severity.name == wanted:
                return severity
        raise KeyError(name)

    @property
    def severity_names(self) -> list[str]:
        """Severity names, most severe first."""
        return [s.name for s in self.severities]


class ConfigError(Exception):
    """A setting has a bad value; the message is one line naming the variable."""


_FIELD_TO_ENV = {name: str(field.validation_alias) for name, field in Settings.model_fields.items()}


def _explain(error: ValidationError) -> str:
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    head = loc[0] if loc else "?"
    variable = _FIELD_TO_ENV.get(head.lower(), head.upper())
    message = first["msg"]
    if message.startswith("Value error, "):
        detail = "expected " + message.removeprefix("Value error, ")
    else:
        detail = message[0].lower() + message[1:]
    where = "".join(f"[{p}]" for p in loc[1:])
    value = first.get("input")
    shown = f" (got {value!r})" if isinstance(value, str | int | float) else ""
    return f"{variable}{where}: {detail}{shown}"


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment; raise ConfigError with a one-line explanation."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(_explain(error)) from None
    except SettingsError as error:
        # pydantic-settings fails before validation when a list setting is not JSON.
        match = re.search(r'field "(\w+)"', str(error))
        field = match.group(1) if match else "?"
        variable = _FIELD_TO_ENV.get(field, field.upper())
        raise ConfigError(f"{variable}: expected {_json_shape(field)}, see the README") from None


# What a JSON setting looks like, for the sentence that refuses one that is not JSON.
_JSON_EXAMPLES = {
    "responders": '{"SEV1": ["S0ONCALL"], "payments": ["U0PAYLEAD"]}',
}


def _json_shape(field: str) -> str:
    """`a JSON object such as {...}` or `a JSON list ...`, from the field's type."""
    info = Settings.model_fields.get(field)
    origin = get_origin(info.annotation) if info is not None else None
    example = _JSON_EXAMPLES.get(field)
    if origin is dict:
        return "a JSON object" + (f" such as {example}" if example else "")
    if origin is list:
        return "a JSON list" + (f" such as {example}" if example else " of objects")
    return "JSON"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
