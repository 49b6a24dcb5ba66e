"""Answer a parsed Query from the plan: pick the actions it is about and compose the reply."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from rapidfuzz import fuzz, process
from sqlmodel import Session

from bot.clock import LONDON
from bot.glossary import canonicalise
from bot.progress import membership
from bot.questions import DueWindow, Intent, Query
from bot.render import BlockBuilder, Reply, escape, fmt_date
from bot.search import ALL_FIELDS, PlanIndex, looks_like_ref, tokens
from store.models import Board, Person, Subgroup
from store.queries import (
    COMPLETE,
    ActionView,
    board_subgroups,
    updates_since,
)

# -- wording -----------------------------------------------------------------------------------

NO_ROLE = (
    "I don't know your role on *{board}* yet. Tell me with `/lscb iam <role or sub-group>`, "
    "e.g. `/lscb iam {example}`; then “what are my actions” lists yours."
)
NOTHING_FOR_YOU = "None of *{board}*'s actions are led by {who}{window}."
DONT_KNOW = "Sorry, I don't know what “{text}” refers to in *{board}*'s plan."
NEAREST = "Did you mean: {options}?"
TRY = "You could ask:"
NO_MATCHES = "No actions {what}."
NO_CHANGES = "No progress updates on *{board}*{scope} since {since}."
MATCH_THRESHOLD = 0.5
SUBGROUP_MATCH = 88


@dataclass
class Scope:
    """The slice of the plan a question is about, and how to say so."""

    views: list[ActionView]
    label: str  # "for MEG", "for you", "matching “neglect strategy”"
    sort_by_due: bool = False


def answer(
    session: Session,
    board: Board,
    person: Person | None,
    query: Query,
    views: list[ActionView],
    today: date,
    now: datetime,
) -> Reply:
    """The reply to `query` about `board`, for `person`."""
    index = PlanIndex(views)
    scope = _scope(session, board, person, query, index)
    if isinstance(scope, Reply):
        return scope
    selected = scope.views
    if query.due is not None:
        selected = [v for v in selected if _in_window(v, query.due, today)]
    if query.intent is Intent.WHO_LEADS:
        return _who_leads(board, scope, selected)
    if query.intent is Intent.CHANGES:
        return _changes(session, board, scope, query, selected, now)
    return _list(board, scope, query, selected, today, now)


# -- scope -------------------------------------------------------------------------------------


def _scope(
    session: Session, board: Board, person: Person | None, query: Query, index: PlanIndex
) -> Scope | Reply:
    views = index.views
    parts: list[str] = []
    if (
        query.team
        and not query.mine
        and person is not None
        and _mine(session, person, board, views)
    ):
        query.mine = True  # "what are we responsible for", asked by someone with a role
    if not (
        query.mine or query.topic or query.due or query.everything or query.intent is Intent.CHANGES
    ):
        return _dont_know(board, index, query.text)
    if query.mine:
        mine = _mine(session, person, board, views)
        if mine is None:
            return Reply(
                text=NO_ROLE.format(
                    board=escape(board.short_name), example=escape(_example_lead(views))
                )
            )
        views = mine
        parts.append("for you")

    topic = query.topic
    if topic:
        ref_words = [w for w in topic.split() if looks_like_ref(w)]
        if ref_words:
            found = [v for w in ref_words for v in index.by_ref(w)]
            if found:
                keep = {id(v) for v in found}
                views = [v for v in views if id(v) in keep]
                parts.append("for " + ", ".join(ref_words))
                topic = " ".join(w for w in topic.split() if w not in ref_words)
    if topic:
        subgroup = _match_subgroup(session, board, topic, query)
        if subgroup is not None:
            names = {s.casefold() for s in (subgroup.name, *subgroup.aliases)}
            views = [
                v
                for v in views
                if subgroup.name in v.subgroups or names & {lead.casefold() for lead in v.leads}
            ]
            parts.append(f"for {subgroup.name}")
        else:
            words = tokens(topic)
            if words:
                pool = PlanIndex(views) if len(views) != len(index.views) else index
                hits = pool.search(words)
                if not hits or hits[0].score < MATCH_THRESHOLD:
                    hits = pool.search(words, ALL_FIELDS)  # "what is the LADO working on"
                if not hits or hits[0].score < MATCH_THRESHOLD:
                    return _dont_know(board, index, topic)
                views = [h.view for h in hits]
                parts.append(f"matching “{topic}”")
    return Scope(views, " ".join(parts), sort_by_due=query.due is not None)


def _mine(
    session: Session, person: Person | None, board: Board, views: Sequence[ActionView]
) -> list[ActionView] | None:
    """The person's own actions, or None when they have told us no role or sub-group."""
    member = membership(session, person, board)
    if member.empty:
        return None
    return [v for v in views if member.owns(v)]


def _match_subgroup(session: Session, board: Board, topic: str, query: Query) -> Subgroup | None:
    """The sub-group the topic names, when the question is about a group's work."""
    assert board.id is not None
    spellings: dict[str, Subgroup] = {}
    for sg in board_subgroups(session, board.id):
        for name in (sg.name, *sg.aliases):
            spellings[_norm_group(name)] = sg
    wanted = _norm_group(topic)
    if not wanted:
        return None
    if wanted in spellings:
        sg = spellings[wanted]
        # "status of CSE" is about the topic; "CSE sub group's actions" is about the group.
        if query.subgroup_cue or not query.status_asked or len(wanted) > 6:
            return sg
        return None
    if not query.subgroup_cue:
        return None
    best = process.extractOne(
        wanted, list(spellings), scorer=fuzz.ratio, score_cutoff=SUBGROUP_MATCH
    )
    return spellings[best[0]] if best else None


def _norm_group(name: str) -> str:
    name = canonicalise(name).replace("&", " and ")
    name = re.sub(
        r"\b(?:the|sub[- ]?groups?|sub[- ]?committees?|committee|group|panel)\b", " ", name
    )
    return " ".join(re.findall(r"[a-z0-9]+", name))


def _in_window(view: ActionView, window: DueWindow, today: date) -> bool:
    if view.status == COMPLETE or view.due is None:
        return False
    if window.overdue_only:
        return view.due < today
    return (window.start is None or view.due >= window.start) and view.due <= window.end


def _example_lead(views: Sequence[ActionView]) -> str:
    counts = Counter(lead for v in views for lead in v.leads)
    return counts.most_common(1)[0][0] if counts else "Business Manager"


# -- replies -----------------------------------------------------------------------------------


def _urgency(view: ActionView, today: date) -> tuple[int, date]:
    if view.is_overdue(today):
        return (0, view.due or date.min)
    if view.status == COMPLETE:
        return (3, date.max)
    if view.due is not None:
        return (1, view.due)
    return (2, date.max)


def _list(
    board: Board, scope: Scope, query: Query, views: list[ActionView], today: date, now: datetime
) -> Reply:
    what = " ".join(p for p in (query.due.label if query.due else "", scope.label) if p)
    where = f" on {board.short_name}"
    if not views:
        text = NO_MATCHES.format(what=escape(what or "found") + escape(where))
        return Reply(text=text)
    b = BlockBuilder()
    noun = "action" if len(views) == 1 else "actions"
    overdue = sum(v.is_overdue(today) for v in views)
    headline = f"*{len(views)} {noun}* {escape(what)}{escape(where)}".replace("  ", " ")
    if overdue and not (query.due and query.due.overdue_only):
        headline += f" · *{overdue} overdue*"
    b.section(headline)
    ordered = list(views)
    if scope.sort_by_due:
        ordered.sort(key=lambda v: (v.due or date.max, v.position))
    shown = ordered
    if len(views) > b.room - 1:
        shown = sorted(ordered, key=lambda v: _urgency(v, today))
    count = b.actions_list(shown, today, now, reserve=1)
    if count < len(views):
        b.context(
            f"Showing the {count} most urgent of {len(views)}. Narrow it down, e.g. "
            f"“overdue {escape(scope.label or 'for the board')}” or name a work stream."
        )
    plain = f"{len(views)} {noun} {what}{where}".replace("  ", " ")
    return Reply(text=plain, blocks=b.blocks, actions=list(views))


def _who_leads(board: Board, scope: Scope, views: list[ActionView]) -> Reply:
    if not views:
        return Reply(text=NO_MATCHES.format(what=escape(scope.label or "found")))
    by_lead: dict[str, list[ActionView]] = {}
    for v in views:
        by_lead.setdefault(v.lead or v.subgroup or "no lead named in the plan", []).append(v)
    b = BlockBuilder()
    streams = dict.fromkeys(f"{v.workstream_ref} {v.workstream}" for v in views)
    subject = "; ".join(streams) if len(streams) <= 2 else f"{len(views)} actions"
    b.section(f"*Who leads {escape(subject)}* ({escape(board.short_name)}):")
    lines = []
    for lead, items in by_lead.items():
        refs = ", ".join(f"{escape(v.ref)} {escape(_short(v.text))}" for v in items[:6])
        more = f" and {len(items) - 6} more" if len(items) > 6 else ""
        owner = (
            f" (sub-group: {escape(items[0].subgroup)})"
            if items[0].subgroup and (items[0].subgroup != lead)
            else ""
        )
        lines.append(f"• *{escape(lead)}*{owner}: {refs}{more}")
    for chunk in _chunks(lines):
        if b.room <= 1:
            break
        b.section(chunk)
    leads = ", ".join(by_lead)
    return Reply(text=f"Led by {leads}", blocks=b.blocks, actions=views)


def _changes(
    session: Session,
    board: Board,
    scope: Scope,
    query: Query,
    views: list[ActionView],
    now: datetime,
) -> Reply:
    assert board.id is not None and query.since is not None
    since = datetime.combine(query.since, time(0), tzinfo=LONDON)
    refs = {v.ref for v in views}
    updates = [u for u in updates_since(session, board.id, since) if u.ref in refs]
    label = f" {scope.label}" if scope.label else ""
    if not updates:
        return Reply(
            text=NO_CHANGES.format(
                board=escape(board.short_name), scope=escape(label), since=fmt_date(query.since)
            )
        )
    b = BlockBuilder()
    b.section(
        f"*{len(updates)} update{'s' if len(updates) != 1 else ''}* on "
        f"{escape(board.short_name)}{escape(label)} since {fmt_date(query.since)}:"
    )
    for u in updates:
        if b.room <= 1:
            break
        change = f"{u.previous_rag or 'no rating'} → {u.rag}" if u.rag else "note only"
        first_line = (u.note or "").splitlines()[0] if u.note else ""
        b.section(
            f"*{escape(u.ref)}* {escape(_short(u.action_text))}\n"
            f"<@{u.author}> · {u.created_at.astimezone(LONDON):%-d %b %H:%M} · {change}"
            + (f"\n> {escape(first_line)}" if first_line else "")
        )
    by_ref = {v.ref: v for v in views}
    about = [by_ref[r] for r in dict.fromkeys(u.ref for u in updates)]
    return Reply(
        text=f"{len(updates)} updates since {fmt_date(query.since)}", blocks=b.blocks, actions=about
    )


def _dont_know(board: Board, index: PlanIndex, topic: str) -> Reply:
    titles = list(
        dict.fromkeys(
            [f"{v.workstream_ref} {v.workstream}" for v in index.views]
            + [s for v in index.views for s in v.subgroups]
        )
    )
    nearest = process.extract(topic, titles, scorer=fuzz.token_set_ratio, limit=3)
    b = BlockBuilder()
    text = DONT_KNOW.format(text=escape(topic), board=escape(board.short_name))
    lines = [text]
    if nearest:
        lines.append(NEAREST.format(options=", ".join(f"*{escape(t)}*" for t, _, _ in nearest)))
    b.section("\n".join(lines))
    b.section(TRY + "\n" + "\n".join(f"• `{escape(q)}`" for q in example_questions(index.views)))
    return Reply(text=text, blocks=b.blocks)


def example_questions(views: Sequence[ActionView]) -> list[str]:
    """Three questions this board's own plan can answer."""
    stream = next((v.workstream for v in views if v.priority), "the plan")
    group = next((s for v in views for s in v.subgroups), None)
    return [
        f"status of {_short(stream, 40).lower()}",
        f"what's overdue for {group}" if group else "what's overdue",
        "what are my actions",
    ]


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _chunks(lines: list[str], limit: int = 2900) -> list[str]:
    chunks: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + len(line) + 1 > limit:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks
