"""files.*: the external upload flow (get a URL, POST the bytes, complete), and downloads."""

from __future__ import annotations

import copy
import time
import urllib.parse
from typing import Any

from firefighter.emulators.slack.model import Message, SlackError, UploadedFile
from firefighter.emulators.slack.state import EmulatorState
from firefighter.emulators.slack.wire import Args, parse_multipart


class FilesApi(EmulatorState):
    """The files.* Web API methods and the upload and download URLs they hand out."""

    @property
    def uploaded_files(self) -> list[UploadedFile]:
        """Every file whose bytes were uploaded, oldest first."""
        with self._lock:
            return copy.deepcopy([f for f in self._files.values() if f.uploaded])

    def _handle_upload(
        self, file_id: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        content = raw
        if headers.get("content-type", "").lower().startswith("multipart/form-data"):
            fields, files = parse_multipart(headers["content-type"], raw)
            if files:
                content = next(iter(files.values()))
            elif fields:
                content = next(iter(fields.values())).encode("utf-8")
        with self._lock:
            record = self._files.get(file_id.strip("/"))
            if record is None or record.completed:
                return 404, {"Content-Type": "text/plain"}, b"file_not_found"
            record.content = content
            record.uploaded = True
            self._changed.notify_all()
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, f"OK - {len(content)}".encode()

    def _handle_download(self, rest: str) -> tuple[int, dict[str, str], bytes]:
        file_id = rest.split("/", 1)[0]
        with self._lock:
            record = self._files.get(file_id)
            if record is None or not record.uploaded:
                return 404, {"Content-Type": "text/plain"}, b"Not Found"
            return 200, {"Content-Type": record.mimetype}, record.content

    def _file_obj(self, record: UploadedFile) -> dict[str, Any]:
        base = self.base_url
        public: dict[str, list[dict[str, Any]]] = {}
        private: dict[str, list[dict[str, Any]]] = {}
        for channel_id, stamps in record.shares.items():
            channel = self._channels.get(channel_id)
            target = private if channel is not None and channel.is_private else public
            target[channel_id] = [
                {
                    "ts": ts,
                    "channel_name": channel.name if channel else "",
                    "team_id": self.team_id,
                    "share_user_id": record.user,
                }
                for ts in stamps
            ]
        shares: dict[str, Any] = {}
        if public:
            shares["public"] = public
        if private:
            shares["private"] = private
        channels = [
            c
            for c in record.channels
            if (ch := self._channels.get(c)) is not None and not ch.is_private
        ]
        groups = [
            c
            for c in record.channels
            if (ch := self._channels.get(c)) is not None and ch.is_private and not ch.is_im
        ]
        ims = [c for c in record.channels if (ch := self._channels.get(c)) is not None and ch.is_im]
        extension = record.name.rsplit(".", 1)[-1].lower() if "." in record.name else "binary"
        download = f"{base}/files/{record.id}/{urllib.parse.quote(record.name)}"
        return {
            "id": record.id,
            "created": int(record.created),
            "timestamp": int(record.created),
            "name": record.name,
            "title": record.title,
            "mimetype": record.mimetype,
            "filetype": extension,
            "pretty_type": extension.upper(),
            "user": record.user,
            "user_team": self.team_id,
            "editable": False,
            "size": len(record.content) if record.uploaded else record.length,
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": bool(channels),
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": download,
            "url_private_download": f"{download}?download=1",
            "permalink": f"https://{self.team_domain}.slack.com/files/{record.user}/{record.id}/{record.name}",
            "permalink_public": f"https://slack-files.com/{self.team_id}-{record.id}",
            "alt_txt": record.alt_txt or None,
            "channels": channels,
            "groups": groups,
            "ims": ims,
            "shares": shares,
            "comments_count": 0,
            "has_rich_preview": False,
            "file_access": "visible",
        }

    def _files_get_upload_url(self, args: Args) -> dict[str, Any]:
        filename = args.required("filename")
        length = args.integer("length", -1)
        if length < 0:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: length"]},
            )
        record = UploadedFile(
            id=self._next_id("F"),
            name=filename,
            title=filename,
            length=length,
            user=self.bot_user_id,
            created=time.time(),
            alt_txt=args.text("alt_txt"),
        )
        self._files[record.id] = record
        return {"upload_url": f"{self.base_url}/upload/{record.id}", "file_id": record.id}

    def _files_complete_upload(self, args: Args) -> dict[str, Any]:
        entries = args.structure("files", "invalid_arguments")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        records: list[tuple[UploadedFile, str]] = []
        for entry in entries:
            if not isinstance(entry, dict) or not entry.get("id"):
                raise SlackError("invalid_arguments")
            record = self._files.get(str(entry["id"]))
            if record is None or not record.uploaded or record.completed:
                raise SlackError("file_not_found")
            records.append((record, str(entry.get("title") or record.name)))
        targets = args.csv("channel_id") or args.csv("channels")
        channels = [self._member_channel(c) for c in targets]
        thread_ts = args.text("thread_ts")
        comment = args.text("initial_comment")
        if thread_ts and channels:
            for channel in channels:
                if self._find_in_channel(channel, thread_ts) is None:
                    raise SlackError("thread_not_found")
        # Everything is validated before this point, so a refused call changes nothing.
        for record, title in records:
            record.title = title
            record.completed = True
        for channel in channels:
            message = Message(
                ts=self._new_ts(),
                user=self.bot_user_id,
                text=comment,
                blocks=[],
                team=self.team_id,
                bot_id=None,
                app_id=None,
            )
            if thread_ts:
                self._attach_reply(channel, message, thread_ts)
            for record, _ in records:
                record.channels.append(channel.id)
                record.shares.setdefault(channel.id, []).append(message.ts)
            message.files = [self._file_obj(record) for record, _ in records]
            self._store_message(channel, message)
            for record, _ in records:
                self._record(
                    "file",
                    channel,
                    self.bot_user_id,
                    f"{record.title} ({record.name}, {len(record.content)} bytes)"
                    + (f" - {comment}" if comment else ""),
                    ts=message.ts,
                )
        return {"files": [self._file_obj(record) for record, _ in records]}

    def _files_info(self, args: Args) -> dict[str, Any]:
        record = self._files.get(args.text("file"))
        if record is None or not record.completed:
            raise SlackError("file_not_found")
        return {
            "file": self._file_obj(record),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }
