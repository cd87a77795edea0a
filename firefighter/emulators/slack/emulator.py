"""A loopback Slack Web API emulator that applies Slack's rules and records every call."""

from __future__ import annotations

import contextlib
import copy
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any, Literal, TypeVar

from firefighter.emulators.slack.call_log import CallLog
from firefighter.emulators.slack.chat import ChatApi
from firefighter.emulators.slack.conversations import ConversationsApi
from firefighter.emulators.slack.faults import FaultInjection
from firefighter.emulators.slack.files import FilesApi
from firefighter.emulators.slack.limits import channel_name_error
from firefighter.emulators.slack.model import (
    Call,
    Message,
    SlackError,
    User,
    Usergroup,
)
from firefighter.emulators.slack.oidc import OidcProvider
from firefighter.emulators.slack.pins_bookmarks import PinsBookmarksApi
from firefighter.emulators.slack.rate_limits import RateLimiter
from firefighter.emulators.slack.reactions import ReactionsApi
from firefighter.emulators.slack.response_url import ResponseUrlApi
from firefighter.emulators.slack.scopes import ScopeRules, find_manifest, manifest_scopes
from firefighter.emulators.slack.socket_mode import SocketModeServer
from firefighter.emulators.slack.users import UsersApi
from firefighter.emulators.slack.views import ViewsApi
from firefighter.emulators.slack.wire import Args, Server, json_reply, parse_body

T = TypeVar("T")
ApiMethod = Callable[[Args], dict[str, Any]]


class SlackEmulator(
    CallLog,
    FaultInjection,
    ScopeRules,
    ConversationsApi,
    ChatApi,
    PinsBookmarksApi,
    ReactionsApi,
    ViewsApi,
    UsersApi,
    FilesApi,
    ResponseUrlApi,
    OidcProvider,
):
    """A loopback Slack Web API with Slack's rules, recorded calls and fault injection.

    The Web API families, with the read helpers over their state (`messages`, `views`,
    `uploaded_files`...), are the mixins; this class adds setup, faults, the call log, the
    transcript and the table that routes a method name to its family.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_token: str = "xoxb-test-token",
        bot_user_id: str = "UBOT",
        team_id: str = "T0001",
        *,
        bot_name: str = "firefighter",
        bot_id: str = "B0001",
        app_id: str = "A0001",
        team_domain: str = "emulated",
        scopes: Iterable[str] | Literal["manifest"] | None = "manifest",
        rate_limits: bool = False,
        app_token: str = "xapp-1-test-app-token",
    ) -> None:
        """`scopes`: the bot scopes the app was granted; by default those `slack-manifest.yml`
        declares (None grants everything: only for a test about something else). With
        `rate_limits`, Slack's per-method tiers apply. `app_token` is the app-level token
        (`connections:write`) that opens Socket Mode connections."""
        super().__init__(
            host,
            port,
            bot_token,
            bot_user_id,
            team_id,
            bot_id=bot_id,
            app_id=app_id,
            team_domain=team_domain,
        )
        self._init_faults()
        self._init_oidc()
        if scopes == "manifest":
            manifest = find_manifest()
            if manifest is None:
                raise FileNotFoundError(
                    "slack-manifest.yml not found: pass scopes=[...] (or None to grant all)"
                )
            self.granted = manifest_scopes(manifest)
        else:
            self.granted = frozenset(scopes) if scopes is not None else None
        self.limiter: RateLimiter | None = RateLimiter() if rate_limits else None
        self.app_token = app_token
        self._socket_mode: SocketModeServer | None = None
        self._methods: dict[str, ApiMethod] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "team.info": self._team_info,
            "conversations.create": self._conversations_create,
            "conversations.invite": self._conversations_invite,
            "conversations.kick": self._conversations_kick,
            "conversations.setTopic": self._conversations_set_topic,
            "conversations.setPurpose": self._conversations_set_purpose,
            "conversations.archive": self._conversations_archive,
            "conversations.unarchive": self._conversations_unarchive,
            "conversations.rename": self._conversations_rename,
            "conversations.info": self._conversations_info,
            "conversations.list": self._conversations_list,
            "conversations.members": self._conversations_members,
            "conversations.join": self._conversations_join,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.open": self._conversations_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "pins.add": self._pins_add,
            "pins.remove": self._pins_remove,
            "pins.list": self._pins_list,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "reactions.get": self._reactions_get,
            "bookmarks.add": self._bookmarks_add,
            "bookmarks.edit": self._bookmarks_edit,
            "bookmarks.remove": self._bookmarks_remove,
            "bookmarks.list": self._bookmarks_list,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "usergroups.list": self._usergroups_list,
            "usergroups.users.list": self._usergroups_users_list,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
            "apps.connections.open": self._apps_connections_open,
        }
        self.add_user(bot_user_id, bot_name, is_bot=True)

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> SlackEmulator:
        """Bind the loopback port and serve in a background thread."""
        if self._server is not None:
            return self
        self._server = Server((self.host, self.port), self)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="slack-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._socket_mode is not None:
            self._socket_mode.stop()
            self._socket_mode = None
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- setup helpers -----------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        tz: str = "Europe/Paris",
        *,
        real_name: str | None = None,
        email: str | None = None,
        is_bot: bool = False,
        display_name: str | None = None,
    ) -> User:
        """Create (or replace) a workspace member; `display_name` defaults to `name`."""
        user = User(
            id=user_id,
            name=name,
            real_name=real_name or name.replace(".", " ").title(),
            tz=tz,
            is_bot=is_bot,
            email=email if email is not None else f"{name}@example.com",
            display_name=display_name,
        )
        with self._lock:
            self._users[user_id] = user
        return copy.deepcopy(user)

    def deactivate_user(self, user_id: str) -> None:
        """Deactivate an account: users.info then answers `deleted: true`, as Slack does."""
        with self._lock:
            user = self._users.get(user_id)
            if user is None:
                raise KeyError(f"no user {user_id!r} in the emulator")
            user.deleted = True

    def add_usergroup(
        self, group_id: str, handle: str, user_ids: Iterable[str], *, name: str = ""
    ) -> Usergroup:
        """Create (or replace) a user group."""
        group = Usergroup(id=group_id, handle=handle, users=list(user_ids), name=name or handle)
        with self._lock:
            self._usergroups[group_id] = group
        return copy.deepcopy(group)

    def add_channel(
        self,
        name: str,
        is_private: bool = False,
        members: Iterable[str] = (),
        bot_member: bool = True,
        creator: str = "USLACKBOT",
    ) -> str:
        """Create a channel directly (no API call, no transcript entry) and return its id.

        Such a channel was there before the bot: someone else (`creator`) made it. Channels the
        bot makes come from `conversations.create` and name the bot as their creator.
        """
        error = channel_name_error(name)
        if error:
            raise ValueError(f"invalid channel name {name!r}: {error}")
        with self._lock:
            if self._find_channel_by_name(name) is not None:
                raise ValueError(f"channel name {name!r} is taken")
            channel = self._new_channel(name, is_private=is_private, creator=creator)
            channel.members.update(members)
            if bot_member:
                channel.members.add(self.bot_user_id)
            return channel.id

    def add_member(self, channel_id: str, user_id: str) -> None:
        """Make a user a member of a channel without any API call."""
        with self._lock:
            self._require_channel(channel_id).members.add(user_id)

    def post_user_message(
        self,
        channel_id: str,
        user_id: str,
        text: str,
        thread_ts: str | None = None,
        *,
        files: Iterable[str] = (),
    ) -> Message:
        """Store a message written by a human (the driver turns it into an event); `files`
        names files shared with it."""
        with self._lock:
            channel = self._require_channel(channel_id)
            if user_id not in channel.members:
                raise ValueError(f"{user_id} is not a member of {channel_id}")
            shared = [
                {"id": self._next_id("F"), "name": name, "title": name, "user": user_id}
                for name in files
            ]
            message = Message(
                ts=self._new_ts(),
                user=user_id,
                text=text,
                blocks=[],
                team=self.team_id,
                files=shared,
            )
            if thread_ts is not None:
                self._attach_reply(channel, message, thread_ts)
            self._store_message(channel, message)
            kind = "reply" if message.is_reply else "message"
            self._record(kind, channel, user_id, text, ts=message.ts)
            self._changed.notify_all()
            return copy.deepcopy(message)

    # -- HTTP entry point --------------------------------------------------

    def handle_http(
        self, verb: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Route one HTTP request (headers lower-cased); returns status, headers, body."""
        parts = urllib.parse.urlsplit(path)
        route = parts.path
        oidc = self._handle_oidc(verb, route, parts.query, headers, raw)
        if oidc is not None:
            return oidc
        if route.startswith("/api/"):
            return self._handle_api(route[len("/api/") :], parts.query, headers, raw)
        if route.startswith("/upload/") and verb == "POST":
            return self._handle_upload(route[len("/upload/") :], headers, raw)
        if route.startswith("/respond/") and verb == "POST":
            return self._handle_respond(route, headers, raw)
        if route.startswith("/files/") and verb == "GET":
            return self._handle_download(route[len("/files/") :])
        return 404, {"Content-Type": "text/plain"}, b"Not Found"

    def _handle_api(
        self, method: str, query: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        args: dict[str, Any] = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        started = time.time()
        try:
            body_args, _files = parse_body(headers.get("content-type", ""), raw)
        except SlackError as exc:
            return self._finish(method, args, started, 200, {"ok": False, "error": exc.error}, None)
        args.update(body_args)
        token = args.pop("token", None)
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[len("bearer ") :].strip()
        handler = self._methods.get(method)
        if handler is None:
            return self._finish(
                method, args, started, 200, {"ok": False, "error": "unknown_method"}, None
            )
        with self._lock:
            fault = self._draw_fault(method)
            config = self._faults
            delay = self._draw_delay(method)
        if delay:
            time.sleep(delay)
        if fault == "ratelimited":
            # Answered before any state is touched, so a retry is the first real effect.
            return self._finish(
                method,
                args,
                started,
                429,
                {"ok": False, "error": "ratelimited"},
                fault,
                {"Retry-After": str(config.retry_after)},
            )
        if fault == "server_error":
            with self._lock:
                after_work = self._after_work()
            if after_work and token in (self.bot_token, self.app_token) and handler is not None:
                # The work is done (a message stored, a channel made), the answer lost.
                with self._lock, contextlib.suppress(SlackError):
                    handler(Args(dict(args)))
            return self._finish(
                method, args, started, 500, {"ok": False, "error": "internal_error"}, fault
            )
        if fault == "slow":
            time.sleep(config.slow_seconds)
        if not token:
            return self._finish(
                method, args, started, 200, {"ok": False, "error": "not_authed"}, fault
            )
        refused = self._token_refusal(method, token)
        if refused is not None:
            return self._finish(method, args, started, 200, refused, fault)
        missing = self.missing_scopes(method, args)
        if missing:
            provided = ",".join(sorted(self.granted or ()))
            refusal = {"ok": False, "error": "missing_scope", "needed": ",".join(missing)}
            return self._finish(
                method, args, started, 200, {**refusal, "provided": provided}, fault
            )
        if self.limiter is not None:
            wait = self.limiter.check(method, str(args.get("channel") or "") or None)
            if wait is not None:
                return self._finish(
                    method,
                    args,
                    started,
                    429,
                    {"ok": False, "error": "ratelimited"},
                    "tier",
                    {"Retry-After": str(wait)},
                )
        with self._lock:
            forced = self._forced.get(method)
            if forced:
                error = forced.pop(0)
                return self._finish(
                    method, args, started, 200, {"ok": False, "error": error}, "forced"
                )
            try:
                response: dict[str, Any] = {"ok": True, **handler(Args(dict(args)))}
            except SlackError as exc:
                response = {"ok": False, "error": exc.error, **exc.extra}
            return self._finish(method, args, started, 200, response, fault)

    def _token_refusal(self, method: str, token: str) -> dict[str, Any] | None:
        """Slack's answer to a token that may not call `method`, or None."""
        if method == "apps.connections.open":
            if token == self.app_token:
                return None
            # A bot token cannot open Socket Mode connections; an app token can do nothing else.
            error = "not_allowed_token_type" if token == self.bot_token else "invalid_auth"
            return {"ok": False, "error": error}
        if token == self.app_token:
            return {"ok": False, "error": "not_allowed_token_type"}
        if token != self.bot_token:
            return {"ok": False, "error": "invalid_auth"}
        return None

    # -- Socket Mode -------------------------------------------------------

    @property
    def socket_mode(self) -> SocketModeServer:
        """Slack's Socket Mode side for this app, started on first use."""
        with self._lock:
            if self._socket_mode is None:
                self._socket_mode = SocketModeServer(app_id=self.app_id, host=self.host).start()
            return self._socket_mode

    def _apps_connections_open(self, args: Args) -> dict[str, Any]:
        del args
        return {"url": self.socket_mode.new_url()}

    def _finish(
        self,
        method: str,
        args: dict[str, Any],
        at: float,
        status: int,
        response: dict[str, Any],
        fault: str | None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self._calls.append(
                Call(method=method, args=args, at=at, response=response, status=status, fault=fault)
            )
            self._changed.notify_all()
        return json_reply(status, response, **(headers or {}))
