"""The Approve and Decline buttons on a role request (in an approver's DM or `/lscb pending`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import identity
from bot.clock import now_utc
from handlers.posting import post_elsewhere

if TYPE_CHECKING:
    from bot.app import Deps


def register(app: App, deps: Deps) -> None:
    """Register the role-request buttons."""

    def decide(
        body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        reply, decided = identity.decide_request(
            deps.engine,
            user_id=body["user"]["id"],
            value=action.get("value"),
            approve=action["action_id"] == identity.APPROVE_ACTION,
            admin_ids=deps.settings.admin_user_ids,
            now=now_utc(),
        )
        # A new message, not a replacement: `/lscb pending` lists several requests at once.
        respond(text=reply.text, response_type="ephemeral", replace_original=False)
        if decided:
            post_elsewhere(client, reply.posts)

    @app.action(identity.APPROVE_ACTION)
    def on_approve(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        decide(body, action, respond, client)

    @app.action(identity.DECLINE_ACTION)
    def on_decline(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        decide(body, action, respond, client)
