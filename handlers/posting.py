"""Post a reply's side messages (e.g. an update announced in its sub-group channel)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)


def post_elsewhere(client: WebClient, posts: list[tuple[str, str]]) -> None:
    """Post each (channel, text); a channel that fails is logged and the rest go on."""
    for channel, text in posts:
        try:
            client.chat_postMessage(channel=channel, text=text)
        except SlackApiError as exc:
            # The text may quote a progress note: log where and why, never what.
            logger.error("could not post to channel %s: %s", channel, exc.response.get("error"))
