"""Direct messages and @mentions: unpack, answer through bot.conversation, reply.

The answer is composed and posted after the ack (deps.later): Slack needs only the 200, and
the delivery's dedupe record is committed before it, so a retry is still answered once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltContext, Say
from slack_sdk import WebClient

from bot import conversation
from handlers.files import with_files

if TYPE_CHECKING:
    from bot.app import Deps


def register(app: App, deps: Deps) -> None:
    """Listen for DMs to the bot and for mentions in channels."""

    def reply(event: dict[str, Any], say: Say, client: WebClient, thread_ts: str | None) -> None:
        answer, _ = conversation.respond(
            deps.engine,
            user_id=event["user"],
            text=event.get("text", ""),
            default_board=deps.settings.default_board,
            admin_ids=deps.settings.admin_user_ids,
            channel_id=event.get("channel"),
        )
        text, blocks = with_files(client, event["user"], answer)  # an export or report: to the DM
        say(text=text, blocks=blocks or None, thread_ts=thread_ts)

    def answer_later(
        event: dict[str, Any],
        say: Say,
        client: WebClient,
        body: dict[str, Any],
        context: BoltContext,
        thread_ts: str | None,
    ) -> None:
        deps.later(
            lambda: reply(event, say, client, thread_ts=thread_ts),
            body=body,
            context=context,
            client=client,
        )

    @app.event("app_mention")
    def on_mention(
        event: dict[str, Any],
        say: Say,
        client: WebClient,
        body: dict[str, Any],
        context: BoltContext,
    ) -> None:
        thread = event.get("thread_ts") or event.get("ts")  # a mention is answered in a thread
        answer_later(event, say, client, body, context, thread)

    @app.event({"type": "message", "channel_type": "im"})
    def on_direct_message(
        event: dict[str, Any],
        say: Say,
        client: WebClient,
        body: dict[str, Any],
        context: BoltContext,
    ) -> None:
        if event.get("subtype") or event.get("bot_id") or "user" not in event:
            return  # edits, joins and other bots' messages are not questions
        answer_later(event, say, client, body, context, event.get("thread_ts"))

    @app.event("message")
    def on_other_message(event: dict[str, Any]) -> None:
        """Channel chatter the bot is not addressed in: nothing to do."""
