"""/progress, its candidate buttons, the update modal and its action picker: ack, unpack, call."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import conversation, progress_form
from bot.clock import now_utc
from bot.render import OPEN_ACTION
from handlers.posting import post_elsewhere

if TYPE_CHECKING:
    from bot.app import Deps


def register(app: App, deps: Deps) -> None:
    """Register /progress and the interactions it starts."""
    engine, settings = deps.engine, deps.settings

    @app.command("/progress")
    def on_progress(
        ack: Ack,
        command: dict[str, Any],
        respond: Respond,
        client: WebClient,
        body: dict[str, Any],
        context: BoltContext,
    ) -> None:
        ack()
        text = (command.get("text") or "").strip()
        if not text:
            open_modal(
                client,
                command["trigger_id"],
                command["user_id"],
                None,
                command.get("channel_id"),
                respond,
            )
            return
        answer, _ = conversation.respond(
            engine,
            user_id=command["user_id"],
            text=f"/progress {text}",
            default_board=settings.default_board,
            channel_id=command.get("channel_id"),
            admin_ids=settings.admin_user_ids,
            request_key=f"cmd:{command.get('trigger_id')}",
        )

        # The update is committed: in `web` Slack gets its 200 now, the reply and posts follow.
        def reply() -> None:
            respond(
                text=answer.text, blocks=answer.blocks_json() or None, response_type="ephemeral"
            )
            post_elsewhere(client, answer.posts)

        deps.later(reply, body=body, context=context, client=client, respond=respond)

    def open_modal(
        client: WebClient,
        trigger_id: str,
        user_id: str,
        value: str | None,
        channel_id: str | None,
        respond: Respond | None,
    ) -> None:
        view = progress_form.open_form(
            engine, settings, user_id=user_id, value=value, channel_id=channel_id
        )
        if isinstance(view, str):
            if respond is not None:
                respond(text=view, response_type="ephemeral")
            else:
                client.chat_postMessage(channel=user_id, text=view)
            return
        client.views_open(trigger_id=trigger_id, view=view)

    @app.action(OPEN_ACTION)
    def on_update_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        channel = (body.get("channel") or {}).get("id")
        open_modal(
            client, body["trigger_id"], body["user"]["id"], action.get("value"), channel, None
        )

    @app.action(re.compile(rf"^{conversation.PICK_ACTION}\d+$"))
    def on_pick(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        container = body.get("container") or {}
        key = f"pick:{body['user']['id']}:{container.get('message_ts') or body.get('trigger_id')}"
        value = json.loads(action["value"])
        outcome = progress_form.pick_candidate(
            engine, settings, user_id=body["user"]["id"], value=value, key=key, now=now_utc()
        )
        reply = conversation.progress_reply(outcome, None)
        respond(
            text=reply.text,
            blocks=reply.blocks_json() or None,
            replace_original=True,
            response_type="ephemeral",
        )
        post_elsewhere(client, outcome.posts)

    @app.action(conversation.UNDO_ACTION)
    def on_undo(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        outcome = progress_form.undo_from_button(
            engine, settings, user_id=body["user"]["id"], value=action.get("value"), now=now_utc()
        )
        respond(text=outcome.message, replace_original=True, response_type="ephemeral")
        post_elsewhere(client, outcome.posts)

    @app.options(progress_form.ACTION_SELECT)
    def on_action_options(ack: Ack, body: dict[str, Any]) -> None:
        meta = json.loads((body.get("view") or {}).get("private_metadata") or "{}")
        ack(
            options=progress_form.picker_options(
                engine,
                settings,
                user_id=body["user"]["id"],
                board_code=meta.get("board"),
                typed=body.get("value", ""),
            )
        )

    @app.view(progress_form.MODAL_ID)
    def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user_id = body["user"]["id"]
        errors, outcome = progress_form.submit_form(
            engine, settings, user_id=user_id, view=view, now=now_utc()
        )
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        if outcome is not None:
            reply = conversation.progress_reply(outcome, None)
            client.chat_postMessage(
                channel=user_id, text=reply.text, blocks=reply.blocks_json() or None
            )
            post_elsewhere(client, outcome.posts)

    @app.event("app_home_opened")
    def on_home(
        event: dict[str, Any], client: WebClient, body: dict[str, Any], context: BoltContext
    ) -> None:
        if event.get("tab", "home") != "home":
            return

        def publish() -> None:  # after the ack: Slack needs only the 200 for an event
            view = progress_form.home_for(engine, settings, user_id=event["user"], now=now_utc())
            client.views_publish(user_id=event["user"], view=view)

        deps.later(publish, body=body, context=context, client=client)
