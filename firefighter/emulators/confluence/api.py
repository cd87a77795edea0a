"""The `/rest/api/content` resources: pages, child pages, attachments, downloads."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote

from firefighter.emulators.confluence.model import Attachment, Page, Version, storage_error
from firefighter.emulators.confluence.wire import Reply, api_error, json_body, multipart

CONTENT = re.compile(r"^/rest/api/content/?$")
ONE = re.compile(r"^/rest/api/content/(?P<id>\d+)/?$")
CHILD_PAGES = re.compile(r"^/rest/api/content/(?P<id>\d+)/child/page/?$")
ATTACHMENTS = re.compile(r"^/rest/api/content/(?P<id>\d+)/child/attachment/?$")
ATTACHMENT_DATA = re.compile(
    r"^/rest/api/content/(?P<id>\d+)/child/attachment/(?P<att>att\d+)/data/?$"
)
DOWNLOAD = re.compile(r"^/download/attachments/(?P<id>\d+)/(?P<name>[^/]+)$")


class ContentApi:
    """The spaces' pages and attachments, and the REST routes over them.

    Callers hold the emulator's lock around `_route`; every route ends by raising `Reply`.
    """

    def __init__(self, spaces: tuple[str, ...], username: str | None) -> None:
        self.username = username
        self._spaces = set(spaces)
        self._pages: dict[str, Page] = {}
        self._attachments: dict[str, Attachment] = {}
        self._next_id = 100_000

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def _new_page(
        self, space: str, parent_id: str | None, title: str, body: str, message: str
    ) -> Page:
        page = Page(id=self._new_id(), space=space, parent_id=parent_id)
        page.versions.append(Version(1, title, body, message))
        self._pages[page.id] = page
        return page

    def _title_taken(self, space: str, title: str, except_id: str | None = None) -> bool:
        wanted = title.casefold()
        return any(
            p.space == space and p.title.casefold() == wanted and p.id != except_id
            for p in self._pages.values()
        )

    def _page_json(self, page: Page, base: str, cloud: bool, expand: set[str]) -> dict[str, Any]:
        webui = (
            f"/spaces/{page.space}/pages/{page.id}"
            if cloud
            else f"/pages/viewpage.action?pageId={page.id}"
        )
        data: dict[str, Any] = {
            "id": page.id,
            "type": "page",
            "status": "current",
            "title": page.title,
            "_links": {
                "webui": webui,
                "self": f"{base}/rest/api/content/{page.id}",
                "tinyui": f"/x/{page.id}",
            },
            "_expandable": {},
        }
        if "space" in expand:
            data["space"] = {"key": page.space}
        if "version" in expand:
            current = page.versions[-1]
            data["version"] = {
                "number": current.number,
                "message": current.message,
                "by": {"username": self.username},
            }
        if "body.storage" in expand:
            data["body"] = {"storage": {"value": page.body, "representation": "storage"}}
        if "ancestors" in expand:
            chain: list[dict[str, Any]] = []
            parent = self._pages.get(page.parent_id or "")
            while parent is not None:
                chain.insert(0, {"id": parent.id, "type": "page", "title": parent.title})
                parent = self._pages.get(parent.parent_id or "")
            data["ancestors"] = chain
        return data

    def _attachment_json(self, attachment: Attachment, base: str) -> dict[str, Any]:
        return {
            "id": attachment.id,
            "type": "attachment",
            "status": "current",
            "title": attachment.title,
            "version": {"number": attachment.version},
            "metadata": {"comment": attachment.comment, "mediaType": attachment.media_type},
            "extensions": {"mediaType": attachment.media_type, "fileSize": len(attachment.data)},
            "_links": {
                "download": f"/download/attachments/{attachment.page_id}/"
                f"{quote(attachment.title)}?version={attachment.version}",
                "self": f"{base}/rest/api/content/{attachment.id}",
            },
        }

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        expand: set[str],
        headers: dict[str, str],
        body: bytes,
        base: str,
        cloud: bool,
    ) -> None:
        if CONTENT.match(path):
            if method == "GET":
                self._search(query, expand, base, cloud)
            if method == "POST":
                self._create(json_body(body), base, cloud)
        elif match := ONE.match(path):
            page = self._pages.get(match["id"])
            if page is None:
                raise api_error(404, f"No content with id {match['id']}")
            if method == "GET":
                payload = self._page_json(page, base, cloud, expand)
                payload["_links"]["base"] = base
                raise Reply(200, payload)
            if method == "PUT":
                self._update(page, json_body(body), base, cloud)
        elif match := CHILD_PAGES.match(path):
            if method == "GET":
                kids = [p for p in self._pages.values() if p.parent_id == match["id"]]
                self._paged([self._page_json(p, base, cloud, expand) for p in kids], query, base)
        elif match := ATTACHMENTS.match(path):
            page = self._pages.get(match["id"])
            if page is None:
                raise api_error(404, f"No content with id {match['id']}")
            if method == "GET":
                found = [
                    self._attachment_json(a, base)
                    for a in self._attachments.values()
                    if a.page_id == page.id and query.get("filename", a.title) == a.title
                ]
                self._paged(found, query, base)
            if method in ("POST", "PUT"):
                self._upload(page, None, headers, body, base, replace=method == "PUT")
        elif match := ATTACHMENT_DATA.match(path):
            page = self._pages.get(match["id"])
            attachment = self._attachments.get(match["att"])
            if page is None or attachment is None or attachment.page_id != page.id:
                raise api_error(404, "No such attachment")
            if method == "POST":
                self._upload(page, attachment, headers, body, base, replace=True)
        elif match := DOWNLOAD.match(path):
            if method == "GET":
                name = unquote(match["name"])
                for attachment in self._attachments.values():
                    if attachment.page_id == match["id"] and attachment.title == name:
                        raise Reply(200, attachment.data, attachment.media_type)
                raise api_error(404, "No such attachment")
        else:
            raise api_error(404, f"No resource at {path}")
        raise api_error(405, f"{method} is not supported on {path}")

    def _paged(self, items: list[dict[str, Any]], query: dict[str, str], base: str) -> None:
        start = int(query.get("start") or 0)
        limit = max(1, min(int(query.get("limit") or 25), 200))
        chunk = items[start : start + limit]
        links: dict[str, Any] = {"base": base}
        if start + limit < len(items):
            links["next"] = f"?start={start + limit}&limit={limit}"
        raise Reply(
            200,
            {"results": chunk, "start": start, "limit": limit, "size": len(chunk), "_links": links},
        )

    def _search(self, query: dict[str, str], expand: set[str], base: str, cloud: bool) -> None:
        space = query.get("spaceKey")
        if space is not None and space not in self._spaces:
            raise api_error(404, f"No space with key : {space}")
        title = query.get("title")
        found = [
            self._page_json(p, base, cloud, expand)
            for p in self._pages.values()
            if (space is None or p.space == space)
            and (title is None or p.title.casefold() == title.casefold())
        ]
        self._paged(found, query, base)

    def _check_body(self, data: dict[str, Any]) -> tuple[str, str]:
        title = str(data.get("title") or "").strip()
        if not title:
            raise api_error(400, "A page must have a title")
        if len(title) > 255:
            raise api_error(400, "Title cannot be longer than 255 characters")
        storage = (data.get("body") or {}).get("storage") or {}
        if storage.get("representation", "storage") != "storage":
            raise api_error(400, "Only the storage representation is supported here")
        value = str(storage.get("value") or "")
        problem = storage_error(value)
        if problem:
            raise api_error(400, problem)
        return title, value

    def _create(self, data: dict[str, Any], base: str, cloud: bool) -> None:
        if data.get("type", "page") != "page":
            raise api_error(400, "Only pages are supported here")
        space = str((data.get("space") or {}).get("key") or "")
        if space not in self._spaces:
            raise api_error(404, f"No space with key : {space}")
        title, value = self._check_body(data)
        ancestors = data.get("ancestors") or []
        parent_id = str(ancestors[-1]["id"]) if ancestors else None
        if parent_id is not None:
            parent = self._pages.get(parent_id)
            if parent is None or parent.space != space:
                raise api_error(404, f"No parent page with id {parent_id} in space {space}")
        if self._title_taken(space, title):
            raise api_error(
                400,
                "A page with this title already exists: A page already exists with the same "
                f"TITLE in this space: {title}",
            )
        message = str((data.get("version") or {}).get("message") or "")
        page = self._new_page(space, parent_id, title, value, message)
        payload = self._page_json(page, base, cloud, {"space", "version", "body.storage"})
        payload["_links"]["base"] = base
        raise Reply(200, payload)

    def _update(self, page: Page, data: dict[str, Any], base: str, cloud: bool) -> None:
        number = (data.get("version") or {}).get("number")
        if number != page.version + 1:
            raise api_error(
                409,
                f"Version must be incremented on update. Current version is: {page.version}",
            )
        title, value = self._check_body(data)
        if self._title_taken(page.space, title, except_id=page.id):
            raise api_error(400, f"A page with this title already exists: {title}")
        ancestors = data.get("ancestors") or []
        if ancestors:
            page.parent_id = str(ancestors[-1]["id"])
        message = str((data.get("version") or {}).get("message") or "")
        page.versions.append(Version(int(number), title, value, message))
        payload = self._page_json(page, base, cloud, {"space", "version", "body.storage"})
        payload["_links"]["base"] = base
        raise Reply(200, payload)

    def _upload(
        self,
        page: Page,
        target: Attachment | None,
        headers: dict[str, str],
        body: bytes,
        base: str,
        *,
        replace: bool,
    ) -> None:
        # Atlassian documents `no-check`; the older `nocheck` is deprecated, logged as such
        # since REST 3.0.0 and refused by some Data Center installs: the stricter rule here.
        token = headers.get("x-atlassian-token", "").lower()
        if token != "no-check":
            raise api_error(403, "XSRF check failed: send X-Atlassian-Token: no-check")
        fields, files = multipart(headers.get("content-type", ""), body)
        if "file" not in files:
            raise api_error(400, "No file part named 'file' in the request")
        name, media_type, data = files["file"]
        comment = fields.get("comment", "")
        if target is None:
            target = next(
                (a for a in self._attachments.values() if a.page_id == page.id and a.title == name),
                None,
            )
            if target is not None and not replace:
                raise api_error(
                    400,
                    "Cannot add a new attachment with same file name as an existing "
                    f"attachment: {name}",
                )
        if target is None:
            attachment = Attachment(
                id=f"att{self._new_id()}",
                page_id=page.id,
                title=name,
                media_type=media_type,
                data=data,
                comment=comment,
            )
            self._attachments[attachment.id] = attachment
            raise Reply(200, {"results": [self._attachment_json(attachment, base)], "size": 1})
        target.data = data
        target.media_type = media_type
        target.comment = comment
        target.version += 1
        raise Reply(200, self._attachment_json(target, base))
