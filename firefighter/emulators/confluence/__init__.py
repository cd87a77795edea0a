"""A Confluence REST v1 emulator on loopback, for tests and for trying FireFighter out.

It implements the `/rest/api/content...` resources FireFighter uses, under a Data Center-like
root (`http://127.0.0.1:PORT/`) and a Cloud-like context path (`http://127.0.0.1:PORT/wiki/`):

- `GET /rest/api/content?title=&spaceKey=` (find by title), `POST /rest/api/content` (create),
  `GET|PUT /rest/api/content/{id}` (read with `expand=body.storage,version,...`; update with
  the next version number, 409 otherwise), `GET /rest/api/content/{id}/child/page`;
- attachments: `GET|POST|PUT /rest/api/content/{id}/child/attachment` (multipart, requires
  `X-Atlassian-Token: no-check`, the only value it accepts),
  `POST .../child/attachment/{attachment}/data`, and
  `GET /download/attachments/{id}/{name}`.

Like Confluence it refuses a second page with the same title in a space, and a storage body
that is not well-formed XML (400). It checks basic auth or a bearer token (401), and
`fail_next` injects faults: an HTTP status for the next N matching requests, a slow answer,
or a status sent *after* the request took effect (the answer lost on the way back).

    with ConfluenceEmulator() as confluence:
        parent = confluence.add_page("Post-mortems")
        ...  # CONFLUENCE_URL=confluence.url, CONFLUENCE_SPACE=confluence.space
"""

from firefighter.emulators.confluence.emulator import ConfluenceEmulator
from firefighter.emulators.confluence.model import (
    NAMESPACES,
    Attachment,
    Fault,
    Page,
    Version,
    storage_error,
)

__all__ = [
    "NAMESPACES",
    "Attachment",
    "ConfluenceEmulator",
    "Fault",
    "Page",
    "Version",
    "storage_error",
]
