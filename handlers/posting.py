"""Post a reply's side messages (e.g. an update announced in its sub-group channel)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.render import Post

logger = logging.getLogger(__name__)


def post_elsewhere(client: WebClient, posts: list[Post]) -> None:
    """Post each (channel, text[, blocks]); a channel that fails is logged and the rest go on."""
    for channel, text, *blocks in posts:
        try:
            client.chat_postMessage(
                channel=channel, text=text, blocks=blocks[0] if blocks else None
            )
        except SlackApiError as exc:
            # The text may quote a progress note: log where and why, never what.
            logger.error("could not post to channel %s: %s", channel, exc.response.get("error"))
