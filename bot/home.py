"""App Home for someone with no actions yet: the board's overdue work, what changed this week,
and a button to claim a role (a small form whose submission is an `/lscb iam` request).

Plain functions, data in and Block Kit out; the Slack side is handlers/home.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View
from sqlalchemy import Engine, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from bot import identity
from bot.answers import urgency
from bot.progress import Membership, describe_update
from bot.render import Reply, action_mrkdwn, age, clip, escape, update_button
from bot.settings import Settings
from store.db import session_scope
from store.models import Action, Board, ProgressUpdate
from store.queries import (
    ActionView,
    UnknownBoard,
    UpdateView,
    asker_board,
    find_board,
    updates_since,
)
from store.withdrawals import live

CLAIM_ACTION = "home_claim_role"  # the button in App Home
CLAIM_MODAL = "home_claim_role_modal"  # the form's callback id
CLAIM_FIELD = "role"
MOST_URGENT = 5  # overdue actions listed in App Home; the rest are counted
RECENT_DAYS = 7
RECENT_SHOWN = 5
MAX_SELECT = 100  # Slack's limit on a static select's options

CLAIM_BUTTON = "Claim a role"
CLAIM_TITLE = "Claim a role"
CLAIM_INTRO = (
    "Which role or sub-group are you on *{board}*? It is a request: the sub-group's chair "
    "(or the board's admins) approve it, and you get a message when they do."
)
CLAIM_LABEL = "Your role or sub-group"
CLAIM_PICK = "Choose one…"
CLAIM_TYPE = "Type it as the plan names it, e.g. {example}"
CLAIM_EMPTY = "Choose your role or sub-group."
CLAIM_NO_BOARD = "Pick your board first with `/lscb board <name>`."
OVERDUE_TITLE = "*Overdue on {board}* ({n}, most urgent first)"
OVERDUE_MORE = "…and {n} more: ask me “what's overdue”."
NOTHING_OVERDUE = "Nothing on {board}'s plan is overdue."
RECENT_TITLE = "*Changed in the last {days} days* ({n})"
RECENT_MORE = "…and {n} more: ask me “what changed this week”."
NOTHING_RECENT = "No progress updates on {board} in the last {days} days."


def claim_button(board: Board) -> ButtonElement:
    """The App Home button that opens the claim-a-role form for `board`."""
    return ButtonElement(
        text=CLAIM_BUTTON,
        action_id=CLAIM_ACTION,
        value=board.code,
        accessibility_label=clip(f"Claim a role on {board.short_name}", 75),
    )


def board_sections(
    session: Session,
    board: Board,
    views: Sequence[ActionView],
    member: Membership,
    today: date,
    now: datetime,
) -> list[Block]:
    """The board's most urgent overdue actions and its progress updates of the last week."""
    assert board.id is not None
    name = escape(board.short_name)
    blocks: list[Block] = []
    overdue = sorted((v for v in views if v.is_overdue(today)), key=lambda v: urgency(v, today))
    if overdue:
        blocks.append(_section(OVERDUE_TITLE.format(board=name, n=len(overdue))))
        for view in overdue[:MOST_URGENT]:
            accessory = update_button(view) if member.may_update(view) else None
            blocks.append(_section(action_mrkdwn(view, today, now), accessory))
        if len(overdue) > MOST_URGENT:
            blocks.append(_context(OVERDUE_MORE.format(n=len(overdue) - MOST_URGENT)))
    else:
        blocks.append(_context(NOTHING_OVERDUE.format(board=name)))
    total, recent = _recent_updates(session, board.id, now - timedelta(days=RECENT_DAYS))
    if recent:
        blocks.append(_section(RECENT_TITLE.format(days=RECENT_DAYS, n=total)))
        for update in recent[:RECENT_SHOWN]:
            line = (
                f"*{escape(update.ref)}* {escape(clip(' '.join(update.action_text.split()), 150))}"
                f"\n<@{update.author}> · {age(update.created_at, now)} · {describe_update(update)}"
            )
            blocks.append(_section(line))
        if total > RECENT_SHOWN:
            blocks.append(_context(RECENT_MORE.format(n=total - RECENT_SHOWN)))
    else:
        blocks.append(_context(NOTHING_RECENT.format(board=name, days=RECENT_DAYS)))
    return blocks


def _recent_updates(
    session: Session, board_id: int, since: datetime
) -> tuple[int, list[UpdateView]]:
    """How many live updates the board has had since `since`, and the newest RECENT_SHOWN of
    them (newest first, each with the action's state before it), reading only those: App Home
    is opened far more often than a week's updates are listed."""
    window = (
        sa_select(col(ProgressUpdate.created_at))
        .join(Action, col(ProgressUpdate.action_id) == col(Action.id))
        .where(col(Action.board_id) == board_id, col(ProgressUpdate.created_at) >= since, live())
    )
    total = int(
        session.execute(sa_select(func.count()).select_from(window.subquery())).scalar_one()
    )
    if total > RECENT_SHOWN:  # from the oldest update shown on (ties at it come too)
        since = session.execute(
            window.order_by(col(ProgressUpdate.created_at).desc()).offset(RECENT_SHOWN - 1).limit(1)
        ).scalar_one()
    return total, list(reversed(updates_since(session, board_id, since))) if total else []


def claim_form(session: Session, board: Board) -> View:
    """The claim-a-role form: the board's sub-groups and lead roles to choose from."""
    names = [
        cand.name
        for cand in sorted(
            identity.candidates(session, board), key=lambda c: (c.subgroup is None, c.name)
        )
    ]
    # A value is matched back exactly by `/lscb iam`, so a name too long for one is typed.
    options = [Option(value=name, text=clip(name, 75)) for name in names if len(name) <= 150]
    if 0 < len(options) == len(names) <= MAX_SELECT:
        element: Any = StaticSelectElement(
            action_id=CLAIM_FIELD, placeholder=CLAIM_PICK, options=options
        )
    else:  # too many to list: typed, and matched as `/lscb iam` matches it
        example = names[0] if names else "Business Manager"
        element = PlainTextInputElement(
            action_id=CLAIM_FIELD,
            max_length=150,
            placeholder=clip(CLAIM_TYPE.format(example=example), 150),
        )
    return View(
        type="modal",
        callback_id=CLAIM_MODAL,
        title=CLAIM_TITLE,
        submit="Ask",
        close="Cancel",
        private_metadata=json.dumps({"board": board.code}),
        blocks=[
            _section(CLAIM_INTRO.format(board=escape(board.short_name))),
            InputBlock(block_id=CLAIM_FIELD, label=CLAIM_LABEL, element=element),
        ],
    )


def result_view(text: str) -> View:
    """What the form turns into once submitted: the answer `/lscb iam` would have given."""
    return View(
        type="modal",
        callback_id=CLAIM_MODAL,
        title=CLAIM_TITLE,
        close="Done",
        blocks=[_section(text)],
    )


def open_claim_form(engine: Engine, settings: Settings, *, user_id: str, board_code: str) -> View:
    """The form for the board the button names (else the person's own), or why not."""
    with session_scope(engine) as session:
        board = _board(session, user_id, board_code, settings)
        if board is None:
            return result_view(CLAIM_NO_BOARD)
        return claim_form(session, board)


def submit_claim(
    engine: Engine, settings: Settings, *, user_id: str, view: dict[str, Any]
) -> tuple[dict[str, str], Reply | None]:
    """A submitted form: a field error, or the reply of `/lscb iam <the role chosen>`."""
    field = ((view.get("state") or {}).get("values") or {}).get(CLAIM_FIELD) or {}
    value = field.get(CLAIM_FIELD) or {}
    chosen = str((value.get("selected_option") or {}).get("value") or value.get("value") or "")
    if not chosen.strip():
        return {CLAIM_FIELD: CLAIM_EMPTY}, None
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    code = meta.get("board") if isinstance(meta, dict) else None
    with session_scope(engine) as session:
        board = _board(session, user_id, code, settings)
        person = identity.person_for(session, user_id, settings.admin_user_ids)
        return {}, identity.iam(session, person, board, chosen.strip())


def _board(session: Session, user_id: str, code: object, settings: Settings) -> Board | None:
    if isinstance(code, str) and code:
        try:
            return find_board(session, code)
        except UnknownBoard:
            return None
    person = identity.person_for(session, user_id, settings.admin_user_ids)
    return asker_board(session, person, None, settings.default_board)


def _section(mrkdwn: str, accessory: ButtonElement | None = None) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(mrkdwn, 3000)), accessory=accessory)


def _context(mrkdwn: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(mrkdwn, 2000))])
