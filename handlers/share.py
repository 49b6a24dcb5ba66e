"""'Share in channel' on `/lscb` answers: an ephemeral answer, asked again and posted for all.

The button carries the question, not the answer: a click asks it again (the answer may have
changed since) and posts it through the command's response_url as an in-channel message that
names who asked.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from bot import channels, conversation
from bot.render import MAX_BLOCKS, MAX_SECTION, clip, escape

if TYPE_CHECKING:
    from bot.app import Deps

logger = logging.getLogger(__name__)

SHARE_ACTION = "answer_share"
SHARE_BUTTON = "Share in channel"
SHARE_LABEL = "Post this answer in the channel, naming you as the asker"
ASKED = "<@{user}> asked: “{question}”"
SHARED = "Shared in the channel."
STALE = "That button is out of date: ask again with `/lscb <question>`."
MAX_VALUE = 2000  # Slack's limit on a button's value
MAX_ACTIONS = 25  # elements in one actions block
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
# The first word of `/lscb` text that makes it a command, not a question to share.
NOT_QUESTIONS = frozenset({"", "help"})


def share_button(question: str) -> ButtonElement | None:
    """The button for `question`, or None when the question is too long to carry."""
    value = json.dumps({"q": question})
    if len(value) > MAX_VALUE:
        return None
    return ButtonElement(
        text=SHARE_BUTTON, action_id=SHARE_ACTION, value=value, accessibility_label=SHARE_LABEL
    )


def with_share_button(
    typed: str, channel_id: str | None, text: str, blocks: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """An `/lscb` answer's blocks with a Share button, when `typed` was a question asked in a
    channel (not a subcommand, nor in a DM, where everyone who can see it already has)."""
    question = " ".join(typed.split())
    first = question.split(" ", 1)[0].lower()
    if first in NOT_QUESTIONS or first in conversation.SUBCOMMANDS:
        return blocks
    if not channel_id or channel_id.startswith("D"):
        return blocks
    if any(_finishes_a_command(block) for block in blocks):
        return blocks  # "did you mean /lscb export?": not an answer to share
    button = share_button(question)
    if button is None:
        return blocks
    out = list(blocks) or [_section(text)]
    last = out[-1]
    if last.get("type") == "actions" and len(last.get("elements") or []) < MAX_ACTIONS:
        out[-1] = {**last, "elements": [*last["elements"], button.to_dict()]}  # beside paging
    elif len(out) < MAX_BLOCKS:
        out.append(ActionsBlock(elements=[button]).to_dict())
    return out


def _finishes_a_command(block: dict[str, Any]) -> bool:
    elements = block.get("elements") if block.get("type") == "actions" else None
    return any(
        str(e.get("action_id", "")).startswith(channels.PICK_ACTION) for e in elements or []
    )


def shared_message(
    user_id: str, question: str, text: str, blocks: list[dict[str, Any]]
) -> dict[str, Any]:
    """The in-channel message: who asked what, then the answer (within Slack's limits)."""
    who = user_id if _USER_ID.match(user_id) else None
    asked = ASKED.format(user=who, question=escape(clip(question, 300))) if who else ""
    head = {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(asked, 2000)}]}
    body = blocks or [_section(text)]
    return {
        "text": clip(f"{asked}\n{text}".strip(), MAX_SECTION),
        "blocks": ([head] if asked else []) + body[: MAX_BLOCKS - 1],
    }


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(mrkdwn, MAX_SECTION)}}


def register(app: App, deps: Deps) -> None:
    """Listen for the Share button."""

    @app.action(SHARE_ACTION)
    def on_share(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            question = str(json.loads(action.get("value") or "")["q"]).strip()
        except (ValueError, KeyError, TypeError):
            question = ""
        if not question:
            logger.warning("a share button arrived with an unreadable value")
            respond(text=STALE, response_type="ephemeral", replace_original=False)
            return
        user_id = body["user"]["id"]
        answer, _ = conversation.respond(
            deps.engine,
            user_id=user_id,
            text=question,
            default_board=deps.settings.default_board,
            admin_ids=deps.settings.admin_user_ids,
            channel_id=(body.get("channel") or {}).get("id"),
        )
        message = shared_message(user_id, question, answer.text, answer.blocks_json())
        respond(**message, response_type="in_channel", replace_original=False)
        # The private copy gives way to the shared one, so the button can't post it twice.
        respond(text=SHARED, response_type="ephemeral", replace_original=True)

