"""A real HTTP server on loopback that speaks enough of Slack's Web API for the bot's tests.

It records every call, is strict about Block Kit limits (like Slack, it answers
`invalid_blocks`), and can be told to answer 429 with Retry-After or a channel error.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any
from urllib.parse import parse_qs

BOT_USER_ID = "UBOTUSER1"
BOT_ID = "BBOT00001"
TEAM_ID = "T0TEAM001"


@dataclass
class Call:
    path: str
    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    ok: bool | None = None  # what the fake answered: False for errors, 429s and bad blocks


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    rate_limit_once: set[str] = field(default_factory=set)
    channel_errors: dict[str, str] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_methods: dict[str, str] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # see _after_answer
    delays: dict[str, float] = field(default_factory=dict)
    clock: Any = time.time  # what a message's ts says; tests of a simulated day set their own
    # Files and channel membership: see the block "files and channel membership" below.
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    outside: dict[str, bool] = field(default_factory=dict)  # channel → is_private; bot not in it

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._ts = count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                if self.path.startswith(UPLOAD_PATH):  # raw file bytes: see the files block
                    fake._receive_upload(self)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype:
                    args = json.loads(raw or "{}")
                else:
                    args = {k: v[0] for k, v in parse_qs(raw).items()}
                    for key in ("blocks", "view"):
                        if isinstance(args.get(key), str):
                            args[key] = json.loads(args[key])
                status, headers, body = fake._answer(self.path, args, dict(self.headers))
                fake._after_answer(self.path, args, body)  # history and slow Slack: see below
                with fake._lock:
                    for call in reversed(fake.calls):
                        if call.args is args:
                            call.ok = bool(body.get("ok")) and status == 200
                            break
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                fake._serve_file(self)  # url_private downloads: see the files block

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.handle_error = self._handle_error  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL / WebClient(base_url=…) should be."""
        return f"{self.base}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A response_url for slash commands and interactions, served by this fake."""
        return f"{self.base}/response/{name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- behaviour ---------------------------------------------------------------------------

    def _answer(
        self, path: str, args: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        method = path.rsplit("/", 1)[-1]
        with self._lock:
            if path.startswith("/api/") and method in self.rate_limit_once:
                self.rate_limit_once.discard(method)
                self.calls.append(Call(path, method + ":429", args, headers))
                self._lock.notify_all()
                return 429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}
            self.calls.append(Call(path, method, args, headers))
            self._lock.notify_all()
        if path.startswith("/response/"):
            problem = _block_problem(args.get("blocks"), 50)
            return (
                (200, {}, {"ok": False, "error": "invalid_blocks", "detail": problem})
                if problem
                else (200, {}, {"ok": True})
            )
        if method in self.fail_methods:
            return 200, {}, {"ok": False, "error": self.fail_methods[method]}
        if method in HISTORY_METHODS:
            return 200, {}, self._history_answer(method, args)
        if method in FILE_METHODS:
            return 200, {}, self._files_answer(method, args)
        if method == "auth.test":
            return (
                200,
                {},
                {
                    "ok": True,
                    "user_id": BOT_USER_ID,
                    "bot_id": BOT_ID,
                    "team_id": TEAM_ID,
                    "user": "lscb-bot",
                    "team": "Test",
                },
            )
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            channel = args.get("channel", "")
            if channel in self.channel_errors:
                return 200, {}, {"ok": False, "error": self.channel_errors[channel]}
            problem = _block_problem(args.get("blocks"), 50)
            if problem:
                return 200, {}, {"ok": False, "error": "invalid_blocks", "detail": problem}
            return (
                200,
                {},
                {"ok": True, "channel": channel, "ts": f"{int(self.clock())}.{next(self._ts):06d}"},
            )
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            view = args.get("view") or {}
            limit = 100
            problem = _block_problem(view.get("blocks"), limit)
            title = (view.get("title") or {}).get("text", "")
            if len(title) > 24:
                problem = f"title longer than 24: {title!r}"
            if problem:
                return 200, {}, {"ok": False, "error": "invalid_arguments", "detail": problem}
            return 200, {}, {"ok": True, "view": {"id": "V1", **view}}
        if method == "users.info":
            user = self.users.get(args.get("user", ""))
            if user is None:
                return 200, {}, {"ok": False, "error": "user_not_found"}
            return 200, {}, {"ok": True, "user": user}
        return 200, {}, {"ok": True}

    # -- channel history, message metadata and a slow Slack (digests exactly once) ----------
    # Successful chat.postMessage calls are kept per channel (a user id stands for the DM with
    # that user), with their metadata, so conversations.history can answer as Slack does.
    # `delays[method] = seconds` (or `delays["method:CHANNEL"]`) makes Slack slow to *answer* a
    # call it has already carried out, as a real Slack under load does; a long delay is a hung
    # call.

    def _after_answer(self, path: str, args: dict[str, Any], body: dict[str, Any]) -> None:
        method = path.rsplit("/", 1)[-1]
        if method == "chat.postMessage" and body.get("ok"):
            metadata = args.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            with self._lock:
                self.messages.setdefault(_dm(args.get("channel", "")), []).append(
                    {
                        "type": "message",
                        "ts": body["ts"],
                        "text": args.get("text", ""),
                        "bot_id": BOT_ID,
                        "metadata": metadata,
                    }
                )
        delay = self.delays.get(f"{method}:{args.get('channel')}") or self.delays.get(method)
        if delay:
            time.sleep(delay)

    def _handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a timed-out or killed bot) is not the fake's error."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        ThreadingHTTPServer.handle_error(self.server, request, client_address)

    def _history_answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": _dm(str(args.get("users", "")))}}
        channel = str(args.get("channel", ""))
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        oldest = float(args.get("oldest") or 0)
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._lock:
            found = [m for m in self.messages.get(channel, []) if float(m["ts"]) > oldest]
        found.reverse()  # newest first, as Slack lists them
        page = [
            {k: v for k, v in m.items() if k != "metadata" or (with_metadata and v)}
            for m in found[start : start + limit]
        ]
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    # -- files and channel membership ------------------------------------------------------
    # files_upload_v2's three steps (files.getUploadURLExternal, a POST of the raw bytes to the
    # upload URL, files.completeUploadExternal), files.info, and url_private downloads that need
    # the bot token as a Bearer header, as Slack's do. `share_file` stands for a person dropping
    # a file into a conversation. conversations.info / conversations.join answer for channel
    # membership: the bot is in every channel except those in `outside` (channel → is_private);
    # it can join a public one, and must be invited to a private one.

    def share_file(self, name: str, content: bytes, user: str = "U0PERSON1") -> dict[str, Any]:
        """A person shares a file: it is stored, and its object is returned as events carry it."""
        with self._lock:
            file_id = f"F{len(self.files) + 1:08d}"
            self.files[file_id] = {"name": name, "title": name, "content": content, "user": user}
        return self._file_object(file_id)

    def uploaded(self) -> list[dict[str, Any]]:
        """Files the bot uploaded and shared (completed), with their bytes and channel."""
        with self._lock:
            return [f for f in self.files.values() if f.get("channel")]

    def _file_object(self, file_id: str) -> dict[str, Any]:
        f = self.files[file_id]
        url = f"{self.base}{FILES_PATH}{TEAM_ID}-{file_id}/{f['name']}"
        return {
            "id": file_id,
            "name": f["name"],
            "title": f["title"],
            "size": len(f.get("content") or b""),
            "user": f.get("user"),
            "url_private": url,
            "url_private_download": url + "?download=1",
        }

    def _files_answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or args.get("channel_id") or "")
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        if method == "files.getUploadURLExternal":
            if not args.get("filename") or not str(args.get("length", "")).isdigit():
                return {"ok": False, "error": "invalid_arguments"}
            with self._lock:
                file_id = f"F{len(self.files) + 1:08d}"
                self.files[file_id] = {"name": args["filename"], "title": args["filename"]}
            upload_url = f"{self.base}{UPLOAD_PATH}{file_id}"
            return {"ok": True, "file_id": file_id, "upload_url": upload_url}
        if method == "files.completeUploadExternal":
            done = []
            with self._lock:
                for item in json.loads(args.get("files") or "[]"):
                    f = self.files.get(item.get("id", ""))
                    if f is None or "content" not in f:
                        return {"ok": False, "error": "file_not_found"}
                    f.update(title=item.get("title") or f["name"], channel=channel)
                    f["comment"] = args.get("initial_comment")
                    done.append(self._file_object(item["id"]))
            return {"ok": True, "files": done}
        if method == "files.info":
            with self._lock:
                if args.get("file") not in self.files:
                    return {"ok": False, "error": "file_not_found"}
                return {"ok": True, "file": self._file_object(str(args["file"]))}
        if method == "conversations.info":
            private = self.outside.get(channel)
            if private:  # Slack hides a private channel from a bot that isn't in it
                return {"ok": False, "error": "channel_not_found"}
            return {
                "ok": True,
                "channel": {"id": channel, "is_private": False, "is_member": private is None},
            }
        # conversations.join
        if self.outside.get(channel):
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        with self._lock:
            self.outside.pop(channel, None)
        return {"ok": True, "channel": {"id": channel, "is_member": True}}

    def _receive_upload(self, request: BaseHTTPRequestHandler) -> None:
        file_id = request.path.removeprefix(UPLOAD_PATH)
        data = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        with self._lock:
            self.calls.append(Call(request.path, "upload", {"file": file_id}, {}, True))
            known = file_id in self.files
            if known:
                self.files[file_id]["content"] = data
            self._lock.notify_all()
        self._plain(request, 200 if known else 404, f"OK - {len(data)}".encode())

    def _serve_file(self, request: BaseHTTPRequestHandler) -> None:
        """url_private: the bytes to a request with a bot token, a login page to anyone else."""
        path = request.path.split("?", 1)[0]
        file_id = path.removeprefix(FILES_PATH).split("/", 1)[0].removeprefix(f"{TEAM_ID}-")
        auth = request.headers.get("Authorization", "")
        with self._lock:
            self.calls.append(Call(path, "download", {"file": file_id}, {"auth": auth}))
            f = self.files.get(file_id) if path.startswith(FILES_PATH) else None
            self._lock.notify_all()
        if f is None or "content" not in f:
            self._plain(request, 404, b"not found")
        elif not auth.startswith("Bearer xoxb-"):
            self._plain(request, 200, b"<html>Sign in to Slack</html>", "text/html")
        else:
            self._plain(request, 200, f["content"], "application/octet-stream")

    @staticmethod
    def _plain(
        request: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str = "text/plain"
    ) -> None:
        request.send_response(status)
        request.send_header("Content-Type", ctype)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    # -- inspection --------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def delivered(self, channel: str) -> list[Call]:
        """Messages Slack accepted into `channel` (failed attempts are not deliveries)."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == "chat.postMessage" and c.ok and c.args.get("channel") == channel
            ]

    def wait_for(self, method: str, n: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until `n` calls to `method` have arrived (listeners run after ack, in threads)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self.calls if c.method == method]
                if len(found) >= n:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"expected {n} call(s) to {method}; saw {seen}")
                self._lock.wait(remaining)

    def wait_until(self, predicate: Any, timeout: float = 10.0) -> None:
        """Poll `predicate` until true (for effects outside this server, such as logs)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            time.sleep(0.01)


HISTORY_METHODS = {"conversations.history", "conversations.open"}
FILE_METHODS = {
    "files.getUploadURLExternal",
    "files.completeUploadExternal",
    "files.info",
    "conversations.info",
    "conversations.join",
}
UPLOAD_PATH = "/upload/v1/"
FILES_PATH = "/files-pri/"


def _dm(channel: str) -> str:
    """The DM channel id Slack gives a conversation with user `channel` (else `channel`)."""
    return "D" + channel[1:] if channel[:1] in ("U", "W") else channel


def _block_problem(blocks: Any, limit: int) -> str | None:
    if blocks is None:
        return None
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(blocks) > limit:
        return f"{len(blocks)} blocks (limit {limit})"
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "section" and len(text) > 3000:
            return "section text over 3000 characters"
        if block.get("type") == "header" and len(text) > 150:
            return "header over 150 characters"
    return None


# -- as a process of its own (benchmarks keep it out of the process they measure) --------------

if __name__ == "__main__":
    fake = FakeSlack()
    print(fake.base, flush=True)  # the parent reads where it listens
    try:
        for _ in sys.stdin:  # until the parent closes our stdin (or dies); each line asks for
            with fake._lock:  # the calls answered so far, by method (response_url posts too)
                answered = Counter(
                    "response" if c.path.startswith("/response/") else c.method
                    for c in fake.calls
                    if c.ok
                )
            print(json.dumps(answered), flush=True)
    finally:
        fake.close()
