"""App Home's "Claim a role" button and its form: ack, open or read the form, call bot.home."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import home, progress_form
from bot.clock import now_utc
from handlers.posting import post_elsewhere

if TYPE_CHECKING:
    from bot.app import Deps


def register(app: App, deps: Deps) -> None:
    """Register the claim-a-role button and form."""
    engine, settings = deps.engine, deps.settings

    @app.action(home.CLAIM_ACTION)
    def on_claim(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        view = home.open_claim_form(
            engine, settings, user_id=body["user"]["id"], board_code=str(action.get("value") or "")
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view(home.CLAIM_MODAL)
    def on_claim_submit(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        user_id = body["user"]["id"]
        errors, reply = home.submit_claim(engine, settings, user_id=user_id, view=view)
        if errors or reply is None:
            ack(response_action="errors", errors=errors)
            return
        # The form shows what `/lscb iam` would have said; the approvers get their buttons.
        ack(response_action="update", view=home.result_view(reply.text))
        post_elsewhere(client, reply.posts)
        fresh = progress_form.home_for(engine, settings, user_id=user_id, now=now_utc())
        client.views_publish(user_id=user_id, view=fresh)  # "waiting for confirmation of …"
