"""users.*, usergroups.*, auth.test, api.test and team.info: who is in the workspace."""

from __future__ import annotations

import copy
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from firefighter.emulators.slack.model import SlackError, User, Usergroup
from firefighter.emulators.slack.state import EmulatorState
from firefighter.emulators.slack.wire import Args


def _tz_details(tz: str, now: float) -> tuple[str, int]:
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return tz, 0
    moment = datetime.fromtimestamp(now, zone)
    offset = moment.utcoffset()
    return moment.tzname() or tz, int(offset.total_seconds()) if offset else 0


class UsersApi(EmulatorState):
    """users.*, usergroups.*, auth.test, api.test and team.info, and user inspection."""

    def user(self, user_id: str) -> User | None:
        """A snapshot of a user, or None."""
        with self._lock:
            user = self._users.get(user_id)
            return copy.deepcopy(user) if user is not None else None

    def _api_test(self, args: Args) -> dict[str, Any]:
        return {"args": {k: v for k, v in args.data.items() if k != "token"}}

    def _auth_test(self, args: Args) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_domain.title(),
            "user": self._user_name(self.bot_user_id),
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _team_info(self, args: Args) -> dict[str, Any]:
        return {
            "team": {
                "id": self.team_id,
                "name": self.team_domain.title(),
                "domain": self.team_domain,
                "email_domain": "example.com",
                "icon": {},
            }
        }

    def _user_obj(self, user: User) -> dict[str, Any]:
        tz_label, tz_offset = _tz_details(user.tz, time.time())
        first, _, last = user.real_name.partition(" ")
        profile: dict[str, Any] = {
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.name if user.display_name is None else user.display_name,
            "display_name_normalized": user.name
            if user.display_name is None
            else user.display_name,
            "first_name": first,
            "last_name": last,
            "email": user.email,
            "team": self.team_id,
            "image_48": f"https://avatars.{self.team_domain}.slack.com/{user.id}_48.png",
            "image_72": f"https://avatars.{self.team_domain}.slack.com/{user.id}_72.png",
        }
        if user.is_bot:
            profile["bot_id"] = self.bot_id if user.id == self.bot_user_id else f"B{user.id[1:]}"
        return {
            "id": user.id,
            "team_id": self.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
        }

    def _users_info(self, args: Args) -> dict[str, Any]:
        user = self._users.get(args.text("user"))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": self._user_obj(user)}

    def _users_list(self, args: Args) -> dict[str, Any]:
        page, cursor = self._page(list(self._users.values()), args, 200)
        return {
            "members": [self._user_obj(u) for u in page],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": cursor},
        }

    def _users_lookup_by_email(self, args: Args) -> dict[str, Any]:
        email = args.text("email").lower()
        for user in self._users.values():
            if user.email.lower() == email and email:
                return {"user": self._user_obj(user)}
        raise SlackError("users_not_found")

    def _usergroup_obj(self, group: Usergroup, include_users: bool) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": group.id,
            "team_id": self.team_id,
            "is_usergroup": True,
            "is_subteam": True,
            "name": group.name,
            "description": "",
            "handle": group.handle,
            "is_external": False,
            "date_create": 0,
            "date_update": 0,
            "date_delete": 0,
            "auto_type": None,
            "created_by": self.bot_user_id,
            "updated_by": self.bot_user_id,
            "deleted_by": None,
            "prefs": {"channels": [], "groups": []},
            "user_count": len(group.users),
        }
        if include_users:
            obj["users"] = list(group.users)
        return obj

    def _usergroups_list(self, args: Args) -> dict[str, Any]:
        include = args.flag("include_users")
        return {"usergroups": [self._usergroup_obj(g, include) for g in self._usergroups.values()]}

    def _usergroups_users_list(self, args: Args) -> dict[str, Any]:
        group = self._usergroups.get(args.text("usergroup"))
        if group is None:
            raise SlackError("no_such_subteam")
        return {"users": list(group.users)}
