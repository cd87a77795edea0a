"""Publishing post-mortems to Confluence (Cloud or Data Center), exactly once.

We use atlassian-python-api for the session, authentication and error parsing, but call the
REST v1 content resources by path (`rest/api/content...`) rather than its page helpers:
atlassian-python-api 5 returns a v2-only client without `create_page` for Cloud URLs, and
its helpers differ between 4.x and 5.x (attachment updates, pre-update comparisons). The
server-style client speaks v1 to both Data Center and Cloud (`https://<site>.atlassian.net/wiki`).

Never a duplicate page: a page is ours only if it carries our owner mark (see `render`).
Before creating, we look for our page by title (with the incident's earlier severities and
the " (2)" suffixes); Confluence itself refuses a second page with the same title in a space,
and that refusal sends us back to looking.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import time
from collections.abc import Iterator
from typing import Any, NoReturn
from urllib.parse import urlparse

import requests
from atlassian.rest_client import AtlassianRestAPI

from firefighter.atlassian_site import is_cloud_url
from firefighter.outbox import PermanentFailure, RetryLater
from firefighter.postmortem.document import PostmortemView, page_title
from firefighter.postmortem.publishing import Published, RenderedPage
from firefighter.postmortem.render import AuthorsSectionLost, is_ours, merge_authors
from firefighter.settings import ConfigError, Settings

log = logging.getLogger(__name__)

CONTENT = "rest/api/content"
PAGE_EXPAND = "body.storage,version,space"
MAX_SUFFIX = 20
VERSION_MESSAGE = "Exported by FireFighter"
CHART_COMMENT = "FireFighter timeline chart"
ATTACH_ATTEMPTS = 3


class ConfluenceUnavailable(RetryLater):
    """Confluence did not answer usefully (5xx, 429, timeout, refused): try again later."""


class ConfluenceRefused(PermanentFailure):
    """Confluence said no for a reason retrying cannot fix; the message says what to fix."""


class _NotFound(Exception):
    pass


class _Conflict(Exception):
    pass


class _BadRequest(Exception):
    pass


def _client_class() -> Any:
    try:
        # atlassian-python-api 5: the v1 REST client. `Confluence(...)` would hand a Cloud URL
        # to a v2-only class that has no page methods.
        from atlassian.confluence import ConfluenceServer
    except ImportError:  # 4.x: one class serves Cloud and Data Center alike
        from atlassian import Confluence

        return Confluence
    return ConfluenceServer


def make_client(settings: Settings, *, cloud: bool | None = None, timeout: int = 20) -> Any:
    """A Confluence REST client for the settings; `cloud` overrides the URL-based detection.

    Cloud: `CONFLUENCE_USERNAME` (the account e-mail) and `CONFLUENCE_API_TOKEN`, basic auth.
    Data Center: username and password or token (basic), or a personal access token alone.
    """
    url = (settings.confluence_url or "").strip().rstrip("/")
    if not url:
        raise ConfigError("CONFLUENCE_URL: not set")
    if urlparse(url).scheme not in ("http", "https") or not urlparse(url).hostname:
        raise ConfigError(
            f"CONFLUENCE_URL: expected a URL such as https://acme.atlassian.net/wiki (got {url!r})"
        )
    if not settings.confluence_space:
        raise ConfigError("CONFLUENCE_SPACE: set the key of the space post-mortems go to")
    if not settings.confluence_api_token:
        raise ConfigError("CONFLUENCE_API_TOKEN: set the API token (or password) of the bot user")
    on_cloud = is_cloud_url(url) if cloud is None else cloud
    if on_cloud and not url.endswith("/wiki"):
        url += "/wiki"
    kwargs: dict[str, Any] = {
        "timeout": timeout,
        "cloud": on_cloud,
        # The outbox retries with backoff; the client must not sleep inside a handler.
        "backoff_and_retry": False,
        "retry_with_header": False,
    }
    if settings.confluence_username:
        kwargs["username"] = settings.confluence_username
        kwargs["password"] = settings.confluence_api_token
    elif on_cloud:
        raise ConfigError(
            "CONFLUENCE_USERNAME: Confluence Cloud needs the bot account's e-mail address "
            "together with CONFLUENCE_API_TOKEN"
        )
    else:
        kwargs["token"] = settings.confluence_api_token
    # Older 4.x releases lack some of these options; the clients pass **kwargs down to the
    # REST base class, so that is the signature to ask.
    accepted = inspect.signature(AtlassianRestAPI.__init__).parameters
    kwargs = {k: v for k, v in kwargs.items() if k in accepted}
    return _client_class()(url, **kwargs)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ConfluencePublisher:
    """Creates or updates an incident's page under the parent page, with its chart."""

    def __init__(self, client: Any, *, space: str, parent_id: str | None = None) -> None:
        self.client = client
        self.space = space
        self.parent_id = parent_id or None

    @classmethod
    def from_settings(cls, settings: Settings, *, cloud: bool | None = None) -> ConfluencePublisher:
        """A publisher for `CONFLUENCE_*` settings."""
        client = make_client(settings, cloud=cloud)
        assert settings.confluence_space is not None  # make_client checked it
        return cls(
            client, space=settings.confluence_space, parent_id=settings.confluence_parent_page_id
        )

    # ---- the export ------------------------------------------------------------------

    def publish(self, page: RenderedPage, known_page_id: str | None) -> Published:
        """Create or update the page; ConfluenceUnavailable or ConfluenceRefused on failure."""
        try:
            return self._publish(page, known_page_id)
        except (_NotFound, _Conflict) as error:
            # The page vanished or changed between two of our calls: start again later.
            raise ConfluenceUnavailable(
                f"the page of {page.view.reference} changed while we wrote it ({error})"
            ) from None
        except _BadRequest as error:
            raise self._refused("publish the page", error) from None

    def _publish(self, page: RenderedPage, known_page_id: str | None) -> Published:
        existing = None
        if known_page_id and not known_page_id.startswith("file:"):
            try:
                existing = self._get(known_page_id)
            except _NotFound:
                log.warning("post-mortem page %s is gone; publishing a new one", known_page_id)
        changed = True
        for _ in range(3):
            if existing is None:
                existing, free_title = self._discover(page.view)
                if existing is None:
                    try:
                        existing = self._create(free_title, page.storage)
                    except _BadRequest as error:
                        if "already exists" not in str(error).lower():
                            raise self._refused("create the page", error) from None
                        # Someone (maybe another worker) took the title meanwhile: look again.
                        continue
                    break
            try:
                existing, changed = self._update(existing, page)
            except _Conflict:
                # A person saved the page between our read and our write: merge again.
                existing = self._get(str(existing["id"]))
                continue
            break
        else:
            raise ConfluenceUnavailable(
                f"the page of {page.view.reference} kept changing while we wrote it"
            )
        page_id = str(existing["id"])
        warning = None
        if page.chart_png is not None and page.chart_name:
            try:
                self._attach_with_retries(page_id, page.chart_name, page.chart_png)
            except (ConfluenceRefused, ConfluenceUnavailable) as error:
                # The page matters, the chart does not: publish without it rather than fail.
                warning = f"the timeline chart could not be attached: {error}"
                log.warning("%s: %s", page.view.reference, warning)
                if page.storage_without_chart is not None:
                    bare = RenderedPage(page.view, page.storage_without_chart, None, None)
                    existing, _ = self._update(self._get(page_id), bare)
        return Published(page_id=page_id, url=self._url(existing), changed=changed, warning=warning)

    def _attach_with_retries(self, page_id: str, name: str, data: bytes) -> None:
        for attempt in range(1, ATTACH_ATTEMPTS + 1):
            try:
                self._attach(page_id, name, data)
                return
            except ConfluenceUnavailable:
                if attempt == ATTACH_ATTEMPTS:
                    raise
                time.sleep(0.5 * attempt)

    def _discover(self, view: PostmortemView) -> tuple[dict[str, Any] | None, str]:
        """Our page if it exists (adopt it), else the first title nobody uses."""
        wanted = view.page_title
        free: str | None = None
        earlier = [
            page_title(view.reference, view.title, severity, drill=view.drill)
            for severity in view.past_severities
        ]
        for base in (wanted, *earlier):
            for title in self._titles(base):
                found = self._find(title)
                if found is None:
                    if base == wanted and free is None:
                        free = title
                    break
                if is_ours(_storage(found), view):
                    log.info("adopting existing post-mortem page %s (%s)", found["id"], title)
                    return found, wanted
        if free is None:
            raise ConfluenceRefused(
                f"every title from {wanted!r} to {wanted!r} ({MAX_SUFFIX}) is taken in space "
                f"{self.space} by pages FireFighter did not write; rename some of them"
            )
        return None, free

    @staticmethod
    def _titles(base: str) -> Iterator[str]:
        yield base
        for n in range(2, MAX_SUFFIX + 1):
            yield f"{base} ({n})"

    def _update(self, existing: dict[str, Any], page: RenderedPage) -> tuple[dict[str, Any], bool]:
        current = _storage(existing)
        try:
            body = merge_authors(page.storage, current)
        except AuthorsSectionLost as error:
            raise ConfluenceRefused(
                f"FireFighter did not overwrite page {existing['id']}: {error}. Put the anchor "
                "back above the authors' sections, or delete the page to publish a fresh one"
            ) from None
        title = self._title_for(existing, page)
        if body == current and title == existing.get("title"):
            return existing, False
        number = int((existing.get("version") or {}).get("number") or 0) + 1
        data = {
            "id": str(existing["id"]),
            "type": "page",
            "title": title,
            "space": {"key": (existing.get("space") or {}).get("key") or self.space},
            "body": {"storage": {"value": body, "representation": "storage"}},
            "version": {"number": number, "message": VERSION_MESSAGE, "minorEdit": False},
        }
        try:
            updated = self._call("edit the page", "put", f"{CONTENT}/{existing['id']}", data=data)
        except _BadRequest as error:
            raise self._refused("edit the page", error) from None
        return _as_page(updated), True

    def _title_for(self, existing: dict[str, Any], page: RenderedPage) -> str:
        current = str(existing.get("title") or "")
        wanted = page.title
        if current == wanted or (current.startswith(wanted + " (") and current.endswith(")")):
            return current  # keep the suffix it was given
        for title in self._titles(wanted):
            found = self._find(title)
            if found is None or str(found["id"]) == str(existing["id"]):
                return title
        return current

    # ---- REST resources -----------------------------------------------------------------

    def _find(self, title: str) -> dict[str, Any] | None:
        params = {
            "title": title,
            "spaceKey": self.space,
            "type": "page",
            "status": "current",
            "expand": PAGE_EXPAND,
        }
        try:
            answer = self._call("find pages", "get", CONTENT, params=params)
        except _NotFound:
            raise ConfluenceRefused(
                f"Confluence has no space {self.space} visible to {self._who()}: check "
                f"CONFLUENCE_SPACE and grant {self._who()} the 'View' permission on it"
            ) from None
        if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
            # Never read "no answer" as "no page": that is how duplicates are born.
            raise ConfluenceUnavailable(f"Confluence answered a search with {answer!r:.200}")
        for result in answer["results"]:
            if str(result.get("title", "")).casefold() == title.casefold():
                return dict(result)
        return None

    def storage_of(self, page_id: str) -> str:
        """The storage-format body of a page (a replay reads its authors' root cause)."""
        return _storage(self._get(page_id))

    def _get(self, page_id: str) -> dict[str, Any]:
        answer = self._call(
            "read the page", "get", f"{CONTENT}/{page_id}", params={"expand": PAGE_EXPAND}
        )
        return _as_page(answer)

    def _create(self, title: str, body: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": "page",
            "title": title,
            "space": {"key": self.space},
            "body": {"storage": {"value": body, "representation": "storage"}},
            "version": {"message": VERSION_MESSAGE},
        }
        if self.parent_id:
            data["ancestors"] = [{"id": self.parent_id}]
        try:
            created = self._call("create the page", "post", CONTENT, data=data)
        except _NotFound:
            raise ConfluenceRefused(
                f"Confluence cannot find space {self.space} or parent page {self.parent_id} "
                f"for {self._who()}: check CONFLUENCE_SPACE and CONFLUENCE_PARENT_PAGE_ID"
            ) from None
        return _as_page(created)

    def _attach(self, page_id: str, name: str, data: bytes) -> None:
        digest = _sha256(data)
        comment = f"{CHART_COMMENT} sha256:{digest}"
        for attempt in range(2):
            current = self._attachment(page_id, name)
            path = f"{CONTENT}/{page_id}/child/attachment"
            if current is not None:
                if digest in str((current.get("metadata") or {}).get("comment") or ""):
                    return
                path = f"{path}/{current['id']}/data"
            try:
                self._call(
                    "add attachments",
                    "post",
                    path,
                    data={"comment": comment, "minorEdit": "true"},
                    files={"file": (name, data, "image/png")},
                    # Atlassian documents `no-check`; the older `nocheck` is deprecated and
                    # refused (403) by some Data Center installs.
                    headers={"X-Atlassian-Token": "no-check", "Accept": "application/json"},
                )
                return
            except _BadRequest as error:
                # Another worker attached the same file name meanwhile: look again, once.
                if current is not None or attempt == 1 or "same file name" not in str(error):
                    raise self._refused("add attachments", error) from None

    def _attachment(self, page_id: str, name: str) -> dict[str, Any] | None:
        listed = self._call(
            "add attachments",
            "get",
            f"{CONTENT}/{page_id}/child/attachment",
            params={"filename": name, "expand": "version,metadata"},
        )
        if not isinstance(listed, dict) or not isinstance(listed.get("results"), list):
            raise ConfluenceUnavailable(f"Confluence listed attachments as {listed!r:.200}")
        return next((dict(a) for a in listed["results"] if a.get("title") == name), None)

    def _url(self, page: dict[str, Any]) -> str:
        links = page.get("_links") or {}
        base = str(links.get("base") or self.client.url).rstrip("/")
        webui = links.get("webui")
        if webui:
            return base + "/" + str(webui).lstrip("/")
        return f"{base}/pages/viewpage.action?pageId={page['id']}"

    # ---- transport and errors ---------------------------------------------------------

    def _who(self) -> str:
        return str(getattr(self.client, "username", None) or "the personal access token")

    def _call(self, action: str, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method)(path, **kwargs)
        except requests.HTTPError as error:
            self._raise_for(action, error)
        except requests.RequestException as error:
            # Timeouts, refused or reset connections, truncated answers: all worth a retry.
            raise ConfluenceUnavailable(
                f"Confluence at {self.client.url} did not answer ({type(error).__name__})"
            ) from None

    def _raise_for(self, action: str, error: requests.HTTPError) -> NoReturn:
        response = error.response
        status = response.status_code if response is not None else 0
        detail = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
        if status in (408, 429) or status >= 500 or status == 0:
            retry_after = response.headers.get("Retry-After") if response is not None else None
            delay = float(retry_after) if retry_after and retry_after.isdigit() else None
            raise ConfluenceUnavailable(f"Confluence answered HTTP {status}", delay=delay)
        who = self._who()
        if status == 401:
            raise ConfluenceRefused(
                f"Confluence rejected the credentials of {who} (HTTP 401): check "
                "CONFLUENCE_USERNAME and CONFLUENCE_API_TOKEN"
            )
        if status == 403:
            raise ConfluenceRefused(self._permission(action, who))
        if status == 404:
            raise _NotFound(detail)
        if status == 409:
            raise _Conflict(detail)
        if status == 400:
            raise _BadRequest(detail)
        raise ConfluenceRefused(f"Confluence refused to {action} (HTTP {status}): {detail}")

    def _permission(self, action: str, who: str) -> str:
        space = self.space
        needs = {
            "create the page": f"the 'Add page' permission in space {space}",
            "edit the page": f"the 'Add page' permission in space {space} (it allows editing) "
            "and no edit restriction on the page",
            "add attachments": f"the 'Add attachment' permission in space {space}",
        }.get(action, f"the 'View' permission in space {space}")
        where = f" under parent page {self.parent_id}" if action == "create the page" else ""
        return (
            f"Confluence user {who} is not allowed to {action}{where} (HTTP 403): "
            f"grant {who} {needs}"
        )

    def _refused(self, action: str, error: Exception) -> ConfluenceRefused:
        return ConfluenceRefused(f"Confluence refused to {action} (HTTP 400): {error}")


def _as_page(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict) or "id" not in answer:
        raise ConfluenceUnavailable(
            f"Confluence answered something that is not a page: {answer!r:.200}"
        )
    return dict(answer)


def _storage(page: dict[str, Any]) -> str:
    return str(((page.get("body") or {}).get("storage") or {}).get("value") or "")
