"""Slash commands: ack at once, answer through bot.conversation, reply ephemerally."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import conversation
from handlers.posting import post_elsewhere

if TYPE_CHECKING:
    from bot.app import Deps


def register(app: App, deps: Deps) -> None:
    """Register /lscb."""

    @app.command("/lscb")
    def on_lscb(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        answer, _ = conversation.respond(
            deps.engine,
            user_id=command["user_id"],
            text=f"/lscb {command.get('text', '')}",
            default_board=deps.settings.default_board,
            admin_ids=deps.settings.admin_user_ids,
            channel_id=command.get("channel_id"),
        )
        respond(text=answer.text, blocks=answer.blocks_json() or None, response_type="ephemeral")
        post_elsewhere(client, answer.posts)  # e.g. a role request sent to its approvers
