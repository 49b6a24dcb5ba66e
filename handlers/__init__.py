"""Thin Slack listeners grouped by surface; each module has register(app, deps)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers import answers, commands, files, home, messages, progress, roles, share

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.app import Deps


def register(app: App, deps: Deps) -> None:
    """Register every surface's listeners on `app`."""
    files.register(app, deps)  # before messages: Bolt gives an event to its first match only
    messages.register(app, deps)
    commands.register(app, deps)
    progress.register(app, deps)
    roles.register(app, deps)
    answers.register(app, deps)
    home.register(app, deps)  # App Home's claim-a-role button and form
    share.register(app, deps)  # 'Share in channel' on /lscb answers
