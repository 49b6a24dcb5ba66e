"""Buttons on answers: "Show the next 10" pages a long list in place."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot import conversation
from bot.answers import PAGE_ACTION

if TYPE_CHECKING:
    from bot.app import Deps

logger = logging.getLogger(__name__)

STALE = "That list has changed since; ask again to see it."


def register(app: App, deps: Deps) -> None:
    """Listen for the paging button of long answers."""

    @app.action(PAGE_ACTION)
    def on_page(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            value = json.loads(action.get("value") or "")
            question, board, page = str(value["q"]), str(value["b"]), int(value["p"])
        except (ValueError, KeyError, TypeError):
            logger.warning("a paging button arrived with an unreadable value")
            respond(text=STALE, response_type="ephemeral", replace_original=False)
            return
        answer, _ = conversation.respond(
            deps.engine,
            user_id=body["user"]["id"],
            text=question,
            board_name=board,
            default_board=deps.settings.default_board,
            admin_ids=deps.settings.admin_user_ids,
            channel_id=(body.get("channel") or {}).get("id"),
            page=page,
        )
        respond(text=answer.text, blocks=answer.blocks_json() or None, replace_original=True)
