"""Slash commands: ack at once, answer through bot.conversation, reply ephemerally.

Also the buttons that finish an `/lscb` command ("which sub-group?", "did you mean?"), and the
Slack side of linking a channel: checking the bot is in it, joining a public one.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import conversation
from bot.channels import BOT_NAME, PICK_ACTION, Membership
from bot.render import Reply
from handlers import share
from handlers.files import with_files
from handlers.posting import post_elsewhere

if TYPE_CHECKING:
    from bot.app import Deps

logger = logging.getLogger(__name__)

STALE = "That button is out of date: type the command again."


class SlackChannels:
    """bot.channels.ChannelAccess over the Web API: conversations.info, then join if public."""

    def __init__(self, client: WebClient, bot_user_id: str | None) -> None:
        self.client = client
        self.bot = f"<@{bot_user_id}>" if bot_user_id else BOT_NAME

    def ensure_member(self, channel_id: str) -> Membership:
        """Whether the bot is in the channel, joining it when it is public."""
        try:
            channel = self.client.conversations_info(channel=channel_id)["channel"]
            if channel.get("is_member"):
                return Membership("member", bot=self.bot)
            if channel.get("is_private") or channel.get("is_group"):
                return Membership("invite", bot=self.bot)
            self.client.conversations_join(channel=channel_id)
            return Membership("joined", bot=self.bot)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "unknown")
        except (SlackClientError, OSError) as exc:
            error = type(exc).__name__
        if error in ("channel_not_found", "method_not_supported_for_channel_type"):
            # A private channel is invisible to a bot that isn't in it, and can't be joined.
            return Membership("invite", bot=self.bot)
        logger.warning("could not check membership of channel %s: %s", channel_id, error)
        return Membership("unknown", detail=error, bot=self.bot)


def register(app: App, deps: Deps) -> None:
    """Register /lscb and the buttons that complete its commands."""

    def answer(
        client: WebClient,
        context: BoltContext,
        *,
        user_id: str,
        text: str,
        channel_id: str | None,
        board_name: str | None = None,
    ) -> tuple[str, list[dict[str, Any]], Reply]:
        reply, _ = conversation.respond(
            deps.engine,
            user_id=user_id,
            text=text,
            board_name=board_name,
            default_board=deps.settings.default_board,
            admin_ids=deps.settings.admin_user_ids,
            channel_id=channel_id,
            slack=SlackChannels(client, context.bot_user_id),
        )
        shown, blocks = with_files(client, user_id, reply)  # an export or report: to their DM
        return shown, blocks, reply

    @app.command("/lscb")
    def on_lscb(
        ack: Ack,
        command: dict[str, Any],
        respond: Respond,
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        text, blocks, reply = answer(
            client,
            context,
            user_id=command["user_id"],
            text=f"/lscb {command.get('text', '')}",
            channel_id=command.get("channel_id"),
        )
        typed, channel = command.get("text", ""), command.get("channel_id")
        blocks = share.with_share_button(typed, channel, text, blocks)  # a question: shareable
        respond(text=text, blocks=blocks or None, response_type="ephemeral")
        post_elsewhere(client, reply.posts)  # e.g. a role request sent to its approvers

    @app.action(re.compile(f"^{PICK_ACTION}\\d+$"))
    def on_pick(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Respond,
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        try:
            value = json.loads(action.get("value") or "")
            typed, board = str(value["t"]), value.get("b")
        except (ValueError, KeyError, TypeError):
            typed, board = "", None
        if not typed.startswith("/lscb "):  # these buttons only ever finish an /lscb command
            respond(text=STALE, response_type="ephemeral", replace_original=False)
            return
        channel = (body.get("channel") or {}).get("id") or value.get("c")
        text, blocks, reply = answer(
            client,
            context,
            user_id=body["user"]["id"],
            text=typed,
            channel_id=channel,
            board_name=str(board) if board else None,
        )
        respond(text=text, blocks=blocks or None, replace_original=True)
        post_elsewhere(client, reply.posts)
