"""The Jira emulator: credentials, the REST v2 paths, faults, and a signed webhook sender."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from firefighter.emulators.jira.model import (
    CATEGORY_NAME,
    STATUS_CATEGORY,
    WORKFLOW,
    Issue,
    JiraUser,
    JqlError,
    matches,
    parse_jql,
)
from firefighter.emulators.loopback import LoopbackServer

Reply = tuple[int, Any]


@dataclass
class Fault:
    """Answer `status` to the next `times` requests of `method` on paths starting `prefix`;
    with `after`, the request takes effect first and only the answer is lost."""

    method: str
    prefix: str
    status: int
    times: int
    after: bool = False


def _errors(*messages: str, **fields: str) -> dict[str, Any]:
    return {"errorMessages": list(messages), "errors": dict(fields)}


class JiraEmulator(LoopbackServer):
    """An in-process Jira (Cloud-like or Data Center-like) on 127.0.0.1."""

    def __init__(
        self,
        *,
        cloud: bool = False,
        username: str | None = "firefighter@example.com",
        password: str = "api-token",
        token: str | None = None,
        projects: tuple[str, ...] = ("OPS",),
        issue_types: tuple[str, ...] = ("Task", "Bug"),
        host: str = "127.0.0.1",
    ) -> None:
        self.cloud = cloud
        self.username = username
        self.password = password
        self.token = token
        self.projects = set(projects)
        self.issue_types = set(issue_types)
        self.host = host
        self.workflow = {status: list(moves) for status, moves in WORKFLOW.items()}
        self.issues: dict[str, Issue] = {}
        self.users: list[JiraUser] = []
        self.calls: list[tuple[str, str]] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._outage: int | None = None

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler bound to this emulator."""
        return _handler_for(self)

    # ---- what tests script and read --------------------------------------------------

    def add_user(self, email: str, display_name: str) -> JiraUser:
        """An account Jira knows (the assignee lookup finds it by e-mail)."""
        user = JiraUser(
            account_id=f"acc-{len(self.users) + 1:04d}",
            name=email.split("@")[0],
            email=email,
            display_name=display_name,
        )
        self.users.append(user)
        return user

    def fail_next(
        self, method: str, prefix: str, status: int = 500, times: int = 1, *, after: bool = False
    ) -> None:
        """Inject a fault (see Fault)."""
        with self._lock:
            self._faults.append(Fault(method.upper(), prefix, status, times, after))

    def outage(self, status: int = 503) -> None:
        """Answer every request with `status` until `recover()` (Atlassian has had long ones)."""
        with self._lock:
            self._outage = status

    def recover(self) -> None:
        """End the outage: answer normally again."""
        with self._lock:
            self._outage = None

    def set_status(self, key: str, status: str) -> Issue:
        """Move an issue as a person in Jira would (no workflow check)."""
        with self._lock:
            issue = self.issues[key]
            issue.status = status
            issue.history.append(status)
            return issue

    def send_webhook(self, url: str, key: str, secret: str | None) -> tuple[int, str]:
        """POST `jira:issue_updated` for `key` to `url`, signed with `secret` as Jira does."""
        with self._lock:
            issue = self.issues[key].to_api(self.url, self.cloud)
        body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": issue}).encode()
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature"] = f"sha256={digest}"
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    # ---- the HTTP side ---------------------------------------------------------------

    def authorised(self, header: str | None) -> bool:
        """Basic (user + password/API token) or, on Data Center, a bearer PAT."""
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return not self.cloud and self.token is not None and value == self.token
        if scheme.lower() != "basic":
            return False
        try:
            user, _, secret = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return False
        return user == self.username and secret == self.password

    def handle(self, method: str, target: str, auth: str | None, body: bytes) -> Reply:
        """Route one request; faults first, then auth, then the resource."""
        parts = urlsplit(target)
        path, query = parts.path.rstrip("/"), parse_qs(parts.query)
        with self._lock:
            self.calls.append((method, path))
            if self._outage is not None:
                return self._outage, _errors("Service unavailable; try again later.")
            fault = next(
                (f for f in self._faults if f.method == method and path.startswith(f.prefix)),
                None,
            )
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
        if fault is not None and not fault.after:
            return fault.status, _errors("Injected fault")
        if not self.authorised(auth):
            return 401, _errors("You are not authenticated. Authentication required.")
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            return 400, _errors("Unexpected character in the JSON body.")
        with self._lock:
            reply = self._route(method, path, query, payload)
        if fault is not None:
            return fault.status, _errors("Injected fault after the change")
        return reply

    def _route(self, method: str, path: str, query: dict[str, list[str]], payload: Any) -> Reply:
        if method == "POST" and path == "/rest/api/2/issue":
            return self._create(payload)
        if method == "GET" and path == "/rest/api/2/search":
            if self.cloud:
                # Atlassian removed the v2 search from Cloud in favour of /search/jql.
                return 410, _errors("The requested API has been removed. Use /search/jql.")
            return self._search(query, paged=True)
        if method == "GET" and path == "/rest/api/3/search/jql":
            if not self.cloud:
                return 404, _errors("null for uri: /rest/api/3/search/jql")
            return self._search(query, paged=False)
        if method == "GET" and path == "/rest/api/2/user/search":
            return self._users(query)
        if path.startswith("/rest/api/2/issue/"):
            rest = path.removeprefix("/rest/api/2/issue/")
            key, _, sub = rest.partition("/")
            issue = self.issues.get(key) or next(
                (i for i in self.issues.values() if i.id == key), None
            )
            if issue is None:
                return 404, _errors("Issue does not exist or you do not have permission to see it.")
            if method == "GET" and not sub:
                return 200, issue.to_api(self.url, self.cloud)
            if sub == "transitions" and method == "GET":
                return 200, {"transitions": self._transitions(issue)}
            if sub == "transitions" and method == "POST":
                return self._transition(issue, payload)
        return 404, _errors(f"No {method} {path} in this emulator.")

    def _create(self, payload: Any) -> Reply:
        fields = (payload or {}).get("fields") or {}
        project = str((fields.get("project") or {}).get("key") or "")
        issue_type = str((fields.get("issuetype") or {}).get("name") or "")
        if project not in self.projects:
            return 400, _errors(project="valid project is required")
        if issue_type not in self.issue_types:
            return 400, _errors(issuetype="valid issue type is required")
        summary = str(fields.get("summary") or "")
        if not summary.strip():
            return 400, _errors(summary="You must specify a summary of the issue.")
        if len(summary) > 255:
            return 400, _errors(summary="Summary must be less than 255 characters.")
        labels = fields.get("labels") or []
        if any(" " in str(label) for label in labels):
            return 400, _errors(labels="Labels cannot contain spaces.")
        assignee = None
        wanted = fields.get("assignee")
        if wanted:
            ident = wanted.get("accountId") if self.cloud else wanted.get("name")
            assignee = next(
                (u for u in self.users if ident in (u.account_id if self.cloud else u.name,)),
                None,
            )
            if assignee is None:
                return 400, _errors(assignee=f"User '{ident}' does not exist.")
        number = len(self.issues) + 1
        issue = Issue(
            id=str(10000 + number),
            key=f"{project}-{number}",
            project=project,
            issue_type=issue_type,
            summary=summary,
            description=str(fields.get("description") or ""),
            labels=[str(label) for label in labels],
            assignee=assignee,
        )
        self.issues[issue.key] = issue
        return 201, {
            "id": issue.id,
            "key": issue.key,
            "self": f"{self.url}/rest/api/2/issue/{issue.id}",
        }

    def _search(self, query: dict[str, list[str]], *, paged: bool) -> Reply:
        jql = (query.get("jql") or [""])[0]
        try:
            clauses = parse_jql(jql)
        except JqlError as error:
            return 400, _errors(str(error))
        found = [i for i in self.issues.values() if matches(i, clauses)]
        limit = int((query.get("maxResults") or ["50"])[0])
        shown = [i.to_api(self.url, self.cloud) for i in found[:limit]]
        if paged:
            return 200, {"startAt": 0, "maxResults": limit, "total": len(found), "issues": shown}
        return 200, {"issues": shown, "isLast": len(found) <= limit}

    def _users(self, query: dict[str, list[str]]) -> Reply:
        if self.cloud:
            if "username" in query:
                return 400, _errors("The query parameter 'username' is not supported in GDPR mode")
            wanted = (query.get("query") or query.get("accountId") or [""])[0].lower()
        else:
            if "username" not in query:
                return 400, _errors("The username query parameter was not provided")
            wanted = query["username"][0].lower()
        found = [
            u
            for u in self.users
            if wanted and wanted in (u.email.lower(), u.account_id.lower(), u.name.lower())
        ]
        return 200, [u.to_api(self.cloud) for u in found]

    def _transitions(self, issue: Issue) -> list[dict[str, Any]]:
        return [
            {
                "id": ident,
                "name": name,
                "to": {
                    "name": target,
                    "statusCategory": {
                        "key": STATUS_CATEGORY[target],
                        "name": CATEGORY_NAME[STATUS_CATEGORY[target]],
                    },
                },
            }
            for ident, name, target in self.workflow.get(issue.status, [])
        ]

    def _transition(self, issue: Issue, payload: Any) -> Reply:
        wanted = str(((payload or {}).get("transition") or {}).get("id") or "")
        for ident, _name, target in self.workflow.get(issue.status, []):
            if ident == wanted:
                issue.status = target
                issue.history.append(target)
                return 204, None
        return 400, _errors(
            f"Transition id '{wanted}' is not valid for this issue in status {issue.status}."
        )


def _handler_for(emulator: JiraEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload = emulator.handle(
                self.command, self.path, self.headers.get("Authorization"), body
            )
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            if data:
                self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
