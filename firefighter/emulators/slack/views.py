"""views.*: modals and their stacks, the Home tab, trigger_ids, and what users do to modals."""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any, cast

from firefighter.emulators.slack.blockkit import fill_ids, validate_view
from firefighter.emulators.slack.limits import VIEW_STACK_MAX
from firefighter.emulators.slack.model import SlackError, Trigger, View
from firefighter.emulators.slack.state import EmulatorState
from firefighter.emulators.slack.wire import Args


class ViewsApi(EmulatorState):
    """The views.* Web API methods, the modal hooks the driver calls, and view inspection."""

    @property
    def views(self) -> list[View]:
        """Every view opened, pushed or published, oldest first, with its current state."""
        with self._lock:
            return copy.deepcopy(sorted(self._views.values(), key=lambda v: v.opened_at))

    def view(self, view_id: str) -> View | None:
        """A snapshot of a view, or None."""
        with self._lock:
            found = self._views.get(view_id)
            return copy.deepcopy(found) if found is not None else None

    def current_view(self, user_id: str) -> View | None:
        """The modal the user currently sees (top of their stack), or None."""
        with self._lock:
            stack = self._view_stacks.get(user_id) or []
            return copy.deepcopy(self._views[stack[-1]]) if stack else None

    def latest_view(self, user_id: str) -> View | None:
        """The user's visible modal, else the one most recently opened or updated for them."""
        with self._lock:
            current = self.current_view(user_id)
            if current is not None:
                return current
            mine = [
                v
                for v in self._views.values()
                if v.user_id == user_id and v.view.get("type") == "modal"
            ]
            if not mine:
                return None
            return copy.deepcopy(max(mine, key=lambda v: v.updated_at))

    def home_view(self, user_id: str) -> View | None:
        """The Home tab published for `user_id` (views.publish), or None."""
        with self._lock:
            for view in self._views.values():
                if view.user_id == user_id and view.view.get("type") == "home":
                    return copy.deepcopy(view)
            return None

    def open_im_id(self, user_id: str) -> str:
        """The id of the bot's direct-message channel with `user_id` (opened if needed)."""
        with self._lock:
            channel, _existed = self._open_im(user_id)
            return channel.id

    def issue_trigger_id(self, user_id: str) -> str:
        """Register a fresh trigger_id for a user (valid once, for `trigger_ttl` seconds)."""
        with self._lock:
            self._counter += 1
            trigger_id = (
                f"{int(time.time())}{self._counter:04d}.{self.team_id[1:]}.{secrets.token_hex(16)}"
            )
            self._triggers[trigger_id] = Trigger(user_id=user_id, issued=time.monotonic())
            return trigger_id

    def apply_view_submission_response(self, view_id: str, response: dict[str, Any] | None) -> None:
        """Update modal state from the bot's answer to a view_submission."""
        with self._lock:
            view = self._views.get(view_id)
            if view is None:
                return
            stack = self._view_stacks.setdefault(view.user_id, [])
            action = (response or {}).get("response_action")
            if action == "errors":
                errors = (response or {}).get("errors") or {}
                view.errors = {str(k): str(v) for k, v in errors.items()}
            elif action == "update":
                self._replace_view(view, (response or {}).get("view") or {})
                view.errors = {}
            elif action == "push":
                self._create_view(view.user_id, (response or {}).get("view") or {}, push_on=view)
            elif action == "clear":
                for vid in stack:
                    self._views[vid].closed = True
                stack.clear()
            else:
                view.closed = True
                view.errors = {}
                if view.id in stack:
                    stack.remove(view.id)
            self._changed.notify_all()

    def mark_view_closed(self, view_id: str) -> None:
        """Record that the user dismissed a modal."""
        with self._lock:
            view = self._views.get(view_id)
            if view is None:
                return
            view.closed = True
            stack = self._view_stacks.get(view.user_id) or []
            if view.id in stack:
                stack.remove(view.id)
            self._changed.notify_all()

    def _consume_trigger(self, args: Args) -> str:
        trigger_id = args.text("trigger_id")
        trigger = self._triggers.get(trigger_id) if trigger_id else None
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        return trigger.user_id

    def _view_payload(self, args: Args, kind: str = "modal") -> dict[str, Any]:
        view = args.structure("view", "invalid_arguments")
        errors = validate_view(view, kind=kind)
        if errors:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
            )
        external_id = view.get("external_id")
        if external_id:
            for existing in self._views.values():
                if existing.external_id == external_id and existing.user_id:
                    raise SlackError("duplicate_external_id")
        return cast(dict[str, Any], view)

    def _render_view(
        self, view_id: str, payload: dict[str, Any], root: str, previous: str | None
    ) -> dict[str, Any]:
        blocks = fill_ids(payload.get("blocks") or [])
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": payload.get("type", "modal"),
            "blocks": blocks,
            "private_metadata": payload.get("private_metadata", ""),
            "callback_id": payload.get("callback_id", ""),
            "state": {"values": {}},
            "hash": "",
            "title": payload.get("title"),
            "clear_on_close": bool(payload.get("clear_on_close", False)),
            "notify_on_close": bool(payload.get("notify_on_close", False)),
            "close": payload.get("close"),
            "submit": payload.get("submit"),
            "previous_view_id": previous,
            "root_view_id": root,
            "app_id": self.app_id,
            "external_id": payload.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def _new_hash(self) -> str:
        return f"{int(time.time())}.{secrets.token_hex(4)}"

    def _create_view(
        self, user_id: str, payload: dict[str, Any], *, push_on: View | None = None
    ) -> View:
        view_id = self._next_id("V")
        root = push_on.root_view_id if push_on is not None else view_id
        previous = push_on.id if push_on is not None else None
        rendered = self._render_view(view_id, payload, root, previous)
        now = time.time()
        view = View(
            id=view_id,
            user_id=user_id,
            view=rendered,
            hash=self._new_hash(),
            external_id=str(payload.get("external_id") or ""),
            root_view_id=root,
            previous_view_id=previous,
            opened_at=now,
            updated_at=now,
        )
        view.view["hash"] = view.hash
        self._views[view_id] = view
        stack = self._view_stacks.setdefault(user_id, [])
        if push_on is None:
            for old in stack:
                self._views[old].closed = True
            stack.clear()
        stack.append(view_id)
        kind = "view_pushed" if push_on is not None else "view_opened"
        self._record(kind, None, self.bot_user_id, view.title, rendered["blocks"], audience=user_id)
        return view

    def _replace_view(self, view: View, payload: dict[str, Any]) -> None:
        view.history.append(copy.deepcopy(view.view))
        view.view = self._render_view(view.id, payload, view.root_view_id, view.previous_view_id)
        view.external_id = str(payload.get("external_id") or view.external_id)
        view.hash = self._new_hash()
        view.view["hash"] = view.hash
        view.updated_at = time.time()
        self._record(
            "view_updated",
            None,
            self.bot_user_id,
            view.title,
            view.view["blocks"],
            audience=view.user_id,
        )

    def _views_open(self, args: Args) -> dict[str, Any]:
        user_id = self._consume_trigger(args)
        payload = self._view_payload(args)
        self._triggers[args.text("trigger_id")].used = True
        view = self._create_view(user_id, payload)
        return {"view": copy.deepcopy(view.view)}

    def _views_push(self, args: Args) -> dict[str, Any]:
        user_id = self._consume_trigger(args)
        payload = self._view_payload(args)
        stack = self._view_stacks.get(user_id) or []
        if not stack:
            raise SlackError("not_found")
        if len(stack) >= VIEW_STACK_MAX:
            raise SlackError("push_limit_reached")
        self._triggers[args.text("trigger_id")].used = True
        view = self._create_view(user_id, payload, push_on=self._views[stack[-1]])
        return {"view": copy.deepcopy(view.view)}

    def _views_update(self, args: Args) -> dict[str, Any]:
        view_id = args.text("view_id")
        external_id = args.text("external_id")
        if not view_id and not external_id:
            raise SlackError("invalid_arguments")
        found = self._views.get(view_id) if view_id else None
        if found is None and external_id:
            found = next((v for v in self._views.values() if v.external_id == external_id), None)
        if found is None:
            raise SlackError("not_found")
        view_arg = args.structure("view", "invalid_arguments")
        errors = validate_view(view_arg, kind=str(found.view.get("type") or "modal"))
        if errors:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
            )
        expected = args.text("hash")
        if expected and expected != found.hash:
            raise SlackError("hash_conflict")
        self._replace_view(found, cast(dict[str, Any], view_arg))
        return {"view": copy.deepcopy(found.view)}

    def _views_publish(self, args: Args) -> dict[str, Any]:
        user_id = args.required("user_id")
        if user_id not in self._users:
            raise SlackError("user_not_found")
        payload = self._view_payload(args, kind="home")
        existing = next(
            (
                v
                for v in self._views.values()
                if v.user_id == user_id and v.view.get("type") == "home"
            ),
            None,
        )
        if existing is not None:
            expected = args.text("hash")
            if expected and expected != existing.hash:
                raise SlackError("hash_conflict")
            self._replace_view(existing, payload)
            return {"view": copy.deepcopy(existing.view)}
        view_id = self._next_id("V")
        now = time.time()
        view = View(
            id=view_id,
            user_id=user_id,
            view=self._render_view(view_id, payload, view_id, None),
            hash=self._new_hash(),
            external_id="",
            root_view_id=view_id,
            previous_view_id=None,
            opened_at=now,
            updated_at=now,
        )
        view.view["hash"] = view.hash
        self._views[view_id] = view
        return {"view": copy.deepcopy(view.view)}
