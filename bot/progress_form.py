"""The `/progress` modal and App Home, as plain functions: data in, Block Kit out, and back.

Slack I/O stays in handlers/progress.py; this module decides what the views show and what a
submission means, so it is tested without Slack.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rapidfuzz import fuzz
from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    ExternalDataSelectElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View
from sqlalchemy import Engine
from sqlmodel import Session

from bot import home, identity, progress
from bot.clock import today_london
from bot.guard import Finding, check_note
from bot.progress import Change, membership
from bot.render import RAG_EMOJI, action_mrkdwn, clip, escape, fmt_date, update_button
from bot.settings import Settings
from store.db import session_scope
from store.models import Board, Person
from store.queries import COMPLETE, NO_UPDATE, ActionView, UnknownBoard, action_views, asker_board

MODAL_ID = "progress_modal"
ACTION_SELECT = "progress_action"
MAX_OPTIONS = 100
HOME_LIMIT = 100

HOME_NO_ROLE = (
    "No actions of yours yet. Claim your role or sub-group (or type "
    "`/lscb iam <role or sub-group>`) and your actions will appear here."
)
HOME_NO_BOARD = "Pick your board with `/lscb board <name>` to see its plan here."
HOME_WAITING = (
    "Waiting for confirmation of {names}: until then these are listed, but only confirmed "
    "leads can update them."
)
WRONG_BOARD = "That action isn't on this form's board: choose one from the list."
BAD_RAG = "Choose red, amber or green."
DATE_OUT_OF_RANGE = "Pick a date between {start} and {end}."
BAD_BUTTON = "That button's details aren't ones I can record. Nothing was saved; try `/progress`."
RAG_VALUES = ("red", "amber", "green")
#: Slack shows a field's error under it; we keep each within this many characters, written
#: to fit, and clip only at a word (field_error) if one ever runs over.
FIELD_ERROR_LIMIT = 150
NOTE_REFUSED = (
    "Not saved: this looks like {kinds}. Progress on the plan only: write “Child A” or a count."
)
NOTE_REFUSED_SHORT = (
    "Not saved: this looks like it could identify a child or family. Write “Child A” or a count."
)


@dataclass(frozen=True)
class Submission:
    """A parsed modal submission: the action and the change, or errors per field."""

    board: str | None
    ref: str | None
    change: Change | None
    errors: dict[str, str]


def option_for(view: ActionView) -> Option:
    """An action as a select option: value BOARD|ref, text '1.2a Toolkit' (≤ 75 chars)."""
    return Option(
        value=f"{view.board}|{view.ref}", text=clip(f"{view.ref} {' '.join(view.text.split())}", 75)
    )


def action_options(
    session: Session, board: Board, person: Person | None, typed: str
) -> list[dict[str, Any]]:
    """Options for the action picker: the user's own actions first, filtered by what they type."""
    views = action_views(session, board)
    member = membership(session, person, board)
    own = [v for v in views if member.leads(v)]
    pool = own + [v for v in views if v not in own] if member.is_admin else own
    typed = typed.strip().lower()
    if typed:
        scored = [
            (
                max(
                    fuzz.partial_ratio(typed, f"{v.ref} {v.text}".lower()),
                    100 if v.ref.lower().startswith(typed) else 0,
                ),
                i,
                v,
            )
            for i, v in enumerate(pool)
        ]
        pool = [v for score, _, v in sorted(scored, key=lambda t: (-t[0], t[1])) if score >= 60]
    return [option_for(v).to_dict() for v in pool[:MAX_OPTIONS]]


def progress_modal(
    board: Board, preselected: ActionView | None = None, channel_id: str | None = None
) -> View:
    """The update form: action, RAG, percent, note, completion, new target and its reason."""
    rag_options = [
        Option(value=r, text=f"{RAG_EMOJI[r]} {r.capitalize()}") for r in RAG_VALUES
    ]
    blocks: list[Block] = [
        InputBlock(
            block_id="action",
            label="Action",
            element=ExternalDataSelectElement(
                action_id=ACTION_SELECT,
                placeholder="Type a ref or words",
                min_query_length=0,
                initial_option=option_for(preselected) if preselected else None,
            ),
        ),
        InputBlock(
            block_id="rag",
            label="RAG status",
            optional=True,
            element=StaticSelectElement(
                action_id="rag", options=rag_options, placeholder="Red, amber or green"
            ),
        ),
        InputBlock(
            block_id="percent",
            label="Percent complete",
            optional=True,
            element=NumberInputElement(
                action_id="percent", is_decimal_allowed=False, min_value=0, max_value=100
            ),
        ),
        InputBlock(
            block_id="note",
            label="Progress note",
            optional=True,
            hint="Plan progress only: no names, dates of birth, NHS numbers or addresses.",
            element=PlainTextInputElement(action_id="note", multiline=True, max_length=2900),
        ),
        InputBlock(
            block_id="completed",
            label="Completed",
            optional=True,
            element=CheckboxesElement(
                action_id="completed", options=[Option(value="yes", text="This action is complete")]
            ),
        ),
        InputBlock(
            block_id="completed_on",
            label="Completion date",
            optional=True,
            element=DatePickerElement(action_id="completed_on"),
        ),
        InputBlock(
            block_id="new_due",
            label="New target date",
            optional=True,
            element=DatePickerElement(action_id="new_due"),
        ),
        InputBlock(
            block_id="reason",
            label="Reason for the new target date",
            optional=True,
            element=PlainTextInputElement(action_id="reason", max_length=500),
        ),
    ]
    return View(
        type="modal",
        callback_id=MODAL_ID,
        title="Update progress",
        submit="Save",
        close="Cancel",
        private_metadata=json.dumps({"board": board.code, "channel": channel_id}),
        blocks=blocks,
    )


def parse_submission(view: dict[str, Any], today: date) -> Submission:
    """Read a submitted modal; errors are keyed by block id, as Slack shows them on the field."""
    values = view.get("state", {}).get("values", {})

    def value(block: str, action: str) -> dict[str, Any]:
        return values.get(block, {}).get(action, {}) or {}

    meta = _metadata(view.get("private_metadata"))
    errors: dict[str, str] = {}
    selected = (value("action", ACTION_SELECT).get("selected_option") or {}).get("value")
    board, ref = (None, None)
    if isinstance(selected, str) and "|" in selected:
        board, ref = selected.split("|", 1)
    if ref is None:
        errors["action"] = "Choose the action you are updating."
    elif meta.get("board") and str(meta["board"]).casefold() != str(board).casefold():
        errors["action"] = WRONG_BOARD  # the form was opened for another board
    rag = (value("rag", "rag").get("selected_option") or {}).get("value")
    if rag is not None and rag not in RAG_VALUES:
        errors["rag"] = BAD_RAG
    percent_text = value("percent", "percent").get("value")
    percent = None
    if percent_text not in (None, ""):
        try:
            percent = int(str(percent_text))
            if not 0 <= percent <= 100:
                raise ValueError
        except ValueError:
            errors["percent"] = "A whole number from 0 to 100."
    note = _text(value("note", "note").get("value"))
    completed = bool(value("completed", "completed").get("selected_options"))
    completed_on = _date(value("completed_on", "completed_on").get("selected_date"))
    new_due = _date(value("new_due", "new_due").get("selected_date"))
    reason = _text(value("reason", "reason").get("value"))
    if completed_on and not completed:
        completed = True
    if completed_on and completed_on > today:
        errors["completed_on"] = "A completion date can't be in the future."
    for block, day, latest in (
        ("completed_on", completed_on, today),
        ("new_due", new_due, date(today.year + progress.MAX_YEARS_AHEAD, 12, 31)),
    ):
        if day is not None and not progress.EARLIEST_DATE <= day <= latest:
            start = fmt_date(progress.EARLIEST_DATE)
            errors.setdefault(block, DATE_OUT_OF_RANGE.format(start=start, end=fmt_date(latest)))
    if new_due and not reason:
        errors["reason"] = "Say why the target date is moving."
    if reason and not new_due:
        errors["new_due"] = "Pick the new target date this reason is for."
    for block, text in (("note", note), ("reason", reason)):
        findings = check_note(text)
        if findings:
            errors[block] = _refused(findings)
    if not (rag or note or percent is not None or completed or new_due) and "action" not in errors:
        errors["note"] = "Add a status, a note, a percentage, a completion or a new target."
    if errors:
        return Submission(board or meta.get("board"), ref, None, errors)
    change = Change(
        rag=COMPLETE if completed else rag,
        note=note or None,
        percent=percent,
        completed_on=(completed_on or today) if completed else None,
        new_due=new_due,
        reason=reason or None,
        key=f"view:{view.get('id')}" if view.get("id") else None,
    )
    return Submission(board or meta.get("board"), ref, change, {})


def _refused(findings: list[Finding]) -> str:
    """The guard's refusal, short enough to sit under the field (never the text it found)."""
    kinds = list(dict.fromkeys(f.kind for f in findings))
    listed = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
    full = NOTE_REFUSED.format(kinds=listed)
    return full if len(full) <= FIELD_ERROR_LIMIT else NOTE_REFUSED_SHORT


def field_error(message: str, limit: int = FIELD_ERROR_LIMIT) -> str:
    """A message as a modal field's error: plain text (no mrkdwn stars, entities decoded),
    clipped at a word, never inside one."""
    text = " ".join(html.unescape(message.replace("*", "")).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if not text[limit - 1].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def _date(text: object) -> date | None:
    """A date picker's value; date.min (out of every range) for anything not an ISO date."""
    if not text:
        return None
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return date.min


def _text(raw: object) -> str:
    """A text input's value, stripped; anything that isn't text counts as empty."""
    return raw.strip() if isinstance(raw, str) else ""


def _metadata(raw: object) -> dict[str, Any]:
    """The form's private_metadata; anything unreadable counts as none."""
    try:
        meta = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def home_view(
    session: Session, board: Board | None, person: Person | None, today: date, now: datetime
) -> View:
    """App Home: a board summary, then my actions (overdue, due soon, the rest)."""
    blocks: list[Block] = []
    if board is None:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=HOME_NO_BOARD)))
        return View(type="home", blocks=blocks)
    views = action_views(session, board)
    counts = {
        s: sum(v.status == s for v in views) for s in ("red", "amber", "green", COMPLETE, NO_UPDATE)
    }
    overdue = sum(v.is_overdue(today) for v in views)
    blocks.append(
        HeaderBlock(
            text=PlainTextObject(text=clip(f"{board.short_name} business plan {board.period}", 150))
        )
    )
    summary = " · ".join(f"{RAG_EMOJI[s]} {n} {s}" for s, n in counts.items() if n)
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"{len(views)} actions · {summary}"
                    + (f" · *{overdue} overdue*" if overdue else "")
                )
            ]
        )
    )
    member = membership(session, person, board)
    mine = [v for v in views if member.owns(v)]
    waiting = identity.pending_requests(session, person, board) if person else []
    if waiting:
        names = ", ".join(f"*{escape(r.role)}*" for r in waiting)
        waiting_text = MarkdownTextObject(text=HOME_WAITING.format(names=names))
        blocks.append(ContextBlock(elements=[waiting_text]))
    if person is not None and (mine or waiting):  # no actions yet: nothing to nudge about
        if person.nudges_off:
            nudges = "Nudges are off (`/lscb nudges on`)."
        elif person.away_until and person.away_until >= today:
            nudges = f"Nudges paused until {person.away_until:%-d %b %Y} (`/lscb nudges on`)."
        else:
            nudges = "Weekly nudges are on (`/lscb away until <date>`, `/lscb quiet`)."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=nudges)]))
    blocks.append(DividerBlock())
    if not mine:
        # No actions of their own yet: a way to claim a role, and the board's work meanwhile.
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=HOME_NO_ROLE), accessory=home.claim_button(board)
            )
        )
        blocks += home.board_sections(session, board, views, member, today, now)
        return View(type="home", blocks=blocks[:HOME_LIMIT])
    groups_of = [
        ("Overdue", [v for v in mine if v.is_overdue(today)]),
        (
            "Due in the next 30 days",
            [
                v
                for v in mine
                if not v.is_overdue(today)
                and v.due
                and v.status != COMPLETE
                and (v.due - today).days <= 30
            ],
        ),
    ]
    shown = {id(v) for _, group in groups_of for v in group}
    groups_of.append(("The rest of my actions", [v for v in mine if id(v) not in shown]))
    for title, group in groups_of:
        if not group or len(blocks) >= HOME_LIMIT - 2:
            continue
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*{title}* ({len(group)})")))
        for v in sorted(group, key=lambda x: (x.due or date.max, x.position)):
            if len(blocks) >= HOME_LIMIT - 1:
                break
            blocks.append(
                SectionBlock(
                    text=MarkdownTextObject(text=action_mrkdwn(v, today, now)),
                    accessory=update_button(v) if member.may_update(v) else None,
                )
            )
    if len(blocks) >= HOME_LIMIT - 1:
        blocks = blocks[: HOME_LIMIT - 1]
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"Showing part of your {len(mine)} actions: ask “my actions”."
                    )
                ]
            )
        )
    return View(type="home", blocks=blocks)


# -- entry points for the Slack surfaces (sessions opened here, as conversation.respond does) ---


def _board_and_person(
    session: Session, user_id: str, board_code: object, settings: Settings
) -> tuple[Board | None, Person]:
    """The person and the board a surface's payload names (None when it names no board)."""
    person = identity.person_for(session, user_id, settings.admin_user_ids)
    code = board_code if isinstance(board_code, str) else None
    try:
        return asker_board(session, person, code, settings.default_board), person
    except UnknownBoard:
        return None, person


def open_form(
    engine: Engine,
    settings: Settings,
    *,
    user_id: str,
    value: str | None = None,
    channel_id: str | None = None,
) -> View | str:
    """The modal to open (preselecting `value` = 'BOARD|ref'), or a message saying why not."""
    board_code, _, ref = (value or "").partition("|")
    with session_scope(engine) as session:
        board, _person = _board_and_person(session, user_id, board_code or None, settings)
        if board is None:
            return identity.PICK_BOARD
        view = progress.find_action(session, board, ref) if ref else None
        return progress_modal(board, view, channel_id)


def submit_form(
    engine: Engine, settings: Settings, *, user_id: str, view: dict[str, Any], now: datetime
) -> tuple[dict[str, str], progress.Outcome | None]:
    """Validate and record a submitted modal: field errors, or the outcome to confirm."""
    submission = parse_submission(view, today_london(now))
    if submission.errors or submission.change is None or submission.ref is None:
        return {block: field_error(e) for block, e in submission.errors.items()}, None
    with session_scope(engine) as session:
        board, person = _board_and_person(session, user_id, submission.board, settings)
        if board is None:
            return {"action": identity.PICK_BOARD}, None
        action = progress.find_action(session, board, submission.ref)
        if action is None:
            return {"action": "That action is no longer in the plan."}, None
        try:
            outcome = progress.record_update(session, board, person, action, submission.change, now)
        except progress.Refused as refused:
            return {"note": field_error(str(refused))}, None
        return {}, outcome


def pick_candidate(
    engine: Engine,
    settings: Settings,
    *,
    user_id: str,
    value: dict[str, Any],
    key: str,
    now: datetime,
) -> progress.Outcome:
    """A candidate button was pressed: record the update typed with the quick form."""
    raw = value.get("change") if isinstance(value, dict) else None
    try:
        change = progress.Change.from_value(raw if isinstance(raw, dict) else {})
    except (TypeError, ValueError):
        return progress.Outcome(BAD_BUTTON)
    change.key = key
    with session_scope(engine) as session:
        board, person = _board_and_person(session, user_id, value.get("board"), settings)
        if board is None:
            return progress.Outcome(identity.PICK_BOARD)
        return progress.record_candidate(session, board, person, str(value.get("ref")), change, now)


def undo_from_button(
    engine: Engine, settings: Settings, *, user_id: str, value: object, now: datetime
) -> progress.Outcome:
    """The Undo button on a confirmation: take back that update, if it is still the clicker's
    to take back."""
    try:
        data = json.loads(value) if isinstance(value, str) else {}
        update_id = int(data["update"])
    except (ValueError, KeyError, TypeError):
        return progress.Outcome(BAD_BUTTON)
    with session_scope(engine) as session:
        board, person = _board_and_person(session, user_id, data.get("board"), settings)
        return progress.undo(session, board, person, now, update_id)


def home_for(engine: Engine, settings: Settings, *, user_id: str, now: datetime) -> View:
    """The App Home view for a user."""
    with session_scope(engine) as session:
        board, person = _board_and_person(session, user_id, None, settings)
        return home_view(session, board, person, today_london(now), now)


def picker_options(
    engine: Engine, settings: Settings, *, user_id: str, board_code: str | None, typed: str
) -> list[dict[str, Any]]:
    """Options for the modal's action picker."""
    with session_scope(engine) as session:
        board, person = _board_and_person(session, user_id, board_code, settings)
        if board is None:
            return []
        return action_options(session, board, person, typed)
