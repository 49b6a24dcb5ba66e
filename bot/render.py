"""The one renderer: replies as Block Kit (Slack, --json) and as plain text (the console)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.clock import LONDON
from store.queries import COMPLETE, NO_UPDATE, ActionView

OPEN_ACTION = "progress_open"  # the "Update" button on an action, wherever it is shown
MAX_BLOCKS = 50
RETARGET_FLAG = 2  # more re-targets than this are flagged wherever the action is shown
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENT = 2000

RAG_EMOJI = {
    "red": ":red_circle:",
    "amber": ":large_orange_circle:",
    "green": ":large_green_circle:",
    COMPLETE: ":white_check_mark:",
    NO_UPDATE: ":white_circle:",
}


def escape(text: str) -> str:
    """Make user- or plan-written text inert in mrkdwn: no pings, no fake links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis, never splitting an &entity;."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    cut = re.sub(r"&[a-z]{0,4}$", "", cut)
    return cut + "…"


def fmt_date(d: date | None) -> str:
    """'30 Mar 2012', or 'no date'."""
    return d.strftime("%-d %b %Y") if d else "no date"


def age(then: datetime, now: datetime) -> str:
    """'today', 'yesterday', '5 days ago', '3 weeks ago'."""
    days = (now.astimezone(LONDON).date() - then.astimezone(LONDON).date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 21:
        return f"{days} days ago"
    if days < 70:
        return f"{days // 7} weeks ago"
    return f"on {fmt_date(then.astimezone(LONDON).date())}"


def action_mrkdwn(view: ActionView, today: date, now: datetime) -> str:
    """One action as a compact mrkdwn paragraph: ref, text, lead, due, RAG and last update."""
    status = f"{RAG_EMOJI.get(view.status, '')} {view.status}".strip()
    bits = [f"*{escape(view.ref)}* {escape(clip(view.text, 600))}"]
    meta = []
    who = view.lead or view.subgroup
    if who:
        meta.append(f"Lead: {escape(who)}")
    if view.due:
        meta.append(f"due {fmt_date(view.due)}")
    elif view.due_text:
        meta.append(f"due {escape(view.due_text)}")
    meta.append(status)
    if view.last_update:
        meta.append(f"updated {age(view.last_update, now)}")
    if view.is_overdue(today):
        meta.append("*OVERDUE*")
    if view.retargets > RETARGET_FLAG:
        meta.append(f"*re-targeted {view.retargets} times*")
    bits.append(" · ".join(meta))
    if view.last_note:
        first = view.last_note.strip().splitlines()[0]
        bits.append(f"> {escape(clip(first, 300))}")
    return clip("\n".join(bits), MAX_SECTION)


def action_section(view: ActionView, today: date, now: datetime) -> SectionBlock:
    """One action as a section of its own, with its Update button."""
    return SectionBlock(
        text=MarkdownTextObject(text=clip(action_mrkdwn(view, today, now), MAX_SECTION)),
        accessory=update_button(view),
    )


def update_button(view: ActionView) -> ButtonElement:
    """The 'Update' button that opens the progress form on this action."""
    return ButtonElement(
        text="Update",
        action_id=OPEN_ACTION,
        value=f"{view.board}|{view.ref}",
        # Screen readers hear which action, not forty identical "Update"s.
        accessibility_label=clip(escape(f"Update {view.ref} {' '.join(view.text.split())}"), 75),
    )


# A message to post elsewhere: (channel or user id, mrkdwn text), optionally with blocks (as
# Slack wants them), e.g. a role request with Approve and Decline buttons sent to an approver.
Post = tuple[str, str] | tuple[str, str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a reply: uploaded to the asker in Slack, saved to disk elsewhere."""

    filename: str
    content: bytes
    title: str


@dataclass
class Reply:
    """What the bot says: fallback text, Block Kit blocks, and the actions it is about."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    actions: list[ActionView] = field(default_factory=list)
    # Messages to post elsewhere as well, as (channel id, mrkdwn text): e.g. an update
    # announced in its sub-group's channel. Slack posts them; the console only mentions them.
    posts: list[Post] = field(default_factory=list)
    # Files for the asker (an export, a report): Slack uploads them into the asker's DM, the
    # console and `say` write them to the current directory (see save_files).
    files: list[Attachment] = field(default_factory=list)

    def blocks_json(self) -> list[dict[str, Any]]:
        """Blocks as Slack wants them (validated by slack_sdk's models)."""
        return [block.to_dict() for block in self.blocks]

    def to_json(self, today: date | None = None) -> dict[str, Any]:
        """The `say --json` shape."""
        return {
            "text": self.text,
            "blocks": self.blocks_json(),
            "actions": [view.record(today) for view in self.actions],
        }


def save_files(files: Sequence[Attachment], directory: Path) -> list[Path]:
    """Write each attachment into `directory` under its own name, never over an existing file."""
    saved = []
    for attachment in files:
        # Only the name's last part: a file name never picks where on disk it goes.
        name = Path(attachment.filename).name or "file"
        path = directory / name
        stem, suffix = path.stem, path.suffix
        n = 1
        while True:
            try:
                with path.open("xb") as out:  # "x": a file already there is left alone
                    out.write(attachment.content)
                break
            except FileExistsError:
                n += 1
                path = directory / f"{stem}-{n}{suffix}"
        saved.append(path)
    return saved


class BlockBuilder:
    """Collects blocks and keeps the message inside Slack's limits."""

    def __init__(self, limit: int = MAX_BLOCKS) -> None:
        self.limit = limit
        self.blocks: list[Block] = []

    @property
    def room(self) -> int:
        return self.limit - len(self.blocks)

    def header(self, text: str) -> None:
        self.blocks.append(HeaderBlock(text=PlainTextObject(text=clip(text, MAX_HEADER))))

    def section(self, mrkdwn: str, accessory: ButtonElement | None = None) -> None:
        self.blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=clip(mrkdwn, MAX_SECTION)), accessory=accessory
            )
        )

    def context(self, mrkdwn: str) -> None:
        self.blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=clip(mrkdwn, MAX_CONTEXT_ELEMENT))])
        )

    def divider(self) -> None:
        self.blocks.append(DividerBlock())

    def actions_list(
        self,
        views: Sequence[ActionView],
        today: date,
        now: datetime,
        reserve: int = 0,
        section: Callable[[ActionView], Block] | None = None,
    ) -> int:
        """Add one section per action while room lasts (keeping `reserve`); return how many fit.

        `section` builds an action's block (default: `action_section`), e.g. from a cache."""
        shown = 0
        for view in views:
            if self.room - reserve <= (1 if shown < len(views) - 1 else 0):
                break
            self.blocks.append(section(view) if section else action_section(view, today, now))
            shown += 1
        return shown


def plain_text(reply: Reply) -> str:
    """The reply as a terminal would show it: mrkdwn markers kept light, entities decoded."""
    lines: list[str] = []
    for block in reply.blocks_json() or [{"type": "section", "text": {"text": reply.text}}]:
        kind = block["type"]
        if kind == "header":
            title = block["text"]["text"]
            lines += [title, "=" * min(len(title), 72)]
        elif kind == "section":
            lines.append(_plain(block["text"]["text"]))
            lines.append("")
        elif kind == "context":
            lines.append("  " + " ".join(_plain(e.get("text", "")) for e in block["elements"]))
            lines.append("")
        elif kind == "divider":
            lines.append("-" * 40)
    return "\n".join(lines).rstrip() + "\n"


def _plain(mrkdwn: str) -> str:
    text = re.sub(r":([a-z_]+):", lambda m: _EMOJI_TEXT.get(m.group(1), ""), mrkdwn)
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", text)  # *bold* reads as plain
    return html.unescape(text).replace(" · ", " | ")


_EMOJI_TEXT = {
    "red_circle": "(R)",
    "large_orange_circle": "(A)",
    "large_green_circle": "(G)",
    "white_check_mark": "(done)",
    "white_circle": "(-)",
}


def plural(n: int, noun: str) -> str:
    """'1 action', '3 actions'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def join_counts(counts: Iterable[tuple[str, int]]) -> str:
    """'3 red, 1 amber' from pairs, skipping zeros."""
    return ", ".join(f"{n} {label}" for label, n in counts if n) or "none"
