"""Files in Slack: replies' attachments uploaded to the asker, and plans imported from a file
shared in the bot's DM (a dry run with Apply and Cancel; Apply re-reads the file)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.error import URLError
from urllib.parse import urlparse
from urllib.request import Request, urlopen

from slack_bolt import Ack, App, Respond, Say
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import plan_files
from bot.importer import MAX_BYTES
from bot.render import Attachment, Reply, escape

if TYPE_CHECKING:
    from bot.app import Deps

logger = logging.getLogger(__name__)

FILES_SENT = "I've sent you the file in our direct messages."
UPLOAD_FAILED = (
    "I couldn't send you the file: Slack said `{error}`. Nothing was changed; try again in a "
    "minute, or ask an admin to check the app has the `files:write` scope."
)
CANT_READ = (
    "I couldn't read {file} from Slack (`{error}`). Nothing was imported; try sharing it "
    "again, or ask an admin to check the app has the `files:read` scope."
)
ONE_AT_A_TIME = "Send me one plan at a time: I've left these {n} files alone."
DOWNLOAD_TIMEOUT = 30  # seconds


# -- sending files -----------------------------------------------------------------------------


def send_files(client: WebClient, user_id: str, files: list[Attachment]) -> str | None:
    """Upload the files into the person's DM with the bot; Slack's error code if that failed."""
    if not files:
        return None
    try:
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        client.files_upload_v2(
            channel=channel,
            file_uploads=[
                {"content": f.content, "filename": f.filename, "title": f.title} for f in files
            ],
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "unknown")
    except (SlackClientError, OSError) as exc:
        error = type(exc).__name__
    else:
        return None
    # Names and sizes only: the files carry the plan's notes.
    logger.error("could not upload %d file(s) to %s: %s", len(files), user_id, error)
    return error


def with_files(client: WebClient, user_id: str, reply: Reply) -> tuple[str, list[dict[str, Any]]]:
    """Upload the reply's files, then its text and blocks saying where they went (or why not)."""
    text, blocks = reply.text, reply.blocks_json()
    if not reply.files:
        return text, blocks
    error = send_files(client, user_id, reply.files)
    note = FILES_SENT if error is None else UPLOAD_FAILED.format(error=escape(error))
    if blocks:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return f"{text}\n{note}", blocks


# -- reading a shared file ---------------------------------------------------------------------


class Unreadable(Exception):
    """A shared file could not be fetched; the message is Slack's error code or the reason."""


@dataclass(frozen=True)
class Shared:
    file_id: str
    name: str
    size: int
    url: str


def file_info(client: WebClient, file_id: str) -> Shared:
    """The file's name, size and private URL (files.info); raises Unreadable."""
    try:
        found = client.files_info(file=file_id)["file"]
    except SlackApiError as exc:
        raise Unreadable(str(exc.response.get("error") or "unknown")) from None
    except (SlackClientError, OSError) as exc:
        raise Unreadable(type(exc).__name__) from None
    url = found.get("url_private_download") or found.get("url_private") or ""
    return Shared(file_id, str(found.get("name") or file_id), int(found.get("size") or 0), url)


def download(client: WebClient, shared: Shared) -> bytes:
    """The file's bytes, fetched with the bot token; raises Unreadable."""
    if not _slack_host(shared.url, client.base_url):
        # The token goes only to Slack (or to the Slack the client is pointed at, in tests).
        raise Unreadable("not_a_slack_url")
    request = Request(shared.url, headers={"Authorization": f"Bearer {client.token}"})
    try:
        with urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
            data = bytes(response.read(MAX_BYTES + 1))
            kind = response.headers.get("Content-Type", "")
    except (URLError, OSError) as exc:
        raise Unreadable(type(exc).__name__) from None
    if kind.startswith("text/html"):
        raise Unreadable("not_authed")  # Slack answers a request it won't serve with a login page
    return data


def _slack_host(url: str, api_url: str) -> bool:
    parts, api = urlparse(url), urlparse(api_url)
    if parts.scheme == "https" and (parts.hostname or "").endswith(".slack.com"):
        return True
    return bool(parts.netloc) and (parts.scheme, parts.netloc) == (api.scheme, api.netloc)


def read_shared(client: WebClient, file_id: str) -> tuple[Shared, bytes]:
    """files.info, then the download; raises Unreadable."""
    shared = file_info(client, file_id)
    return shared, download(client, shared)


# -- listeners ---------------------------------------------------------------------------------


def _import_share(event: dict[str, Any]) -> bool:
    """A file dropped into the bot's DM asking for an import ("import", or a bare spreadsheet)."""
    files = event.get("files") or []
    if event.get("channel_type") != "im" or event.get("bot_id") or not files:
        return False
    return any(plan_files.is_import_request(event.get("text") or "", str(f.get("name") or ""))
               for f in files)


def register(app: App, deps: Deps) -> None:
    """Listen for plans shared in the DM and for the Apply and Cancel buttons."""
    settings = deps.settings

    @app.event("message", matchers=[lambda event: _import_share(event)])
    def on_import_share(event: dict[str, Any], say: Say, client: WebClient) -> None:
        user = event["user"]
        files = event["files"]
        if len(files) > 1:
            say(text=ONE_AT_A_TIME.format(n=len(files)))
            return
        refusal = plan_files.import_refusal(
            deps.engine,
            user_id=user,
            admin_ids=settings.admin_user_ids,
            board_name=None,
            default_board=settings.default_board,
        )
        name = str(files[0].get("name") or "the file")
        try:
            reply = refusal or _preview(client, user, str(files[0]["id"]))
        except Unreadable as exc:
            reply = Reply(text=CANT_READ.format(file=escape(name), error=escape(str(exc))))
        text, blocks = with_files(client, user, reply)
        say(text=text, blocks=blocks or None)

    def _preview(client: WebClient, user: str, file_id: str) -> Reply:
        shared = file_info(client, file_id)
        refused = plan_files.refuse_unread(shared.name, shared.size)
        if refused is not None:
            return refused
        return plan_files.preview_import(
            deps.engine,
            user_id=user,
            admin_ids=settings.admin_user_ids,
            default_board=settings.default_board,
            filename=shared.name,
            data=download(client, shared),
            file_id=file_id,
        )

    @app.action(plan_files.APPLY_ACTION)
    def on_apply(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        user = body["user"]["id"]
        request = plan_files.ImportRequest.from_value(action.get("value"))
        reply: Reply | None = None
        if request is None:
            reply = plan_files.cancel_import(None)
        else:
            reply = plan_files.import_refusal(
                deps.engine,
                user_id=user,
                admin_ids=settings.admin_user_ids,
                board_name=request.board,
                default_board=settings.default_board,
            )
        if reply is None and request is not None:
            try:
                _, data = read_shared(client, request.file_id)
            except Unreadable as exc:
                logger.warning("could not re-read file %s to apply it: %s", request.file_id, exc)
                data = None
            reply = plan_files.apply_import(
                deps.engine,
                user_id=user,
                admin_ids=settings.admin_user_ids,
                request=request,
                data=data,
            )
        reply = reply or plan_files.cancel_import(None)
        text, blocks = with_files(client, user, reply)
        # The result replaces the preview, so its buttons cannot be pressed again.
        respond(text=text, blocks=blocks or None, replace_original=True)

    @app.action(plan_files.CANCEL_ACTION)
    def on_cancel(ack: Ack, action: dict[str, Any], respond: Respond) -> None:
        ack()
        reply = plan_files.cancel_import(plan_files.ImportRequest.from_value(action.get("value")))
        respond(text=reply.text, replace_original=True)
