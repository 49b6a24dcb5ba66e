"""Answer a parsed Query from the plan: pick the actions it is about and compose the reply."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

from rapidfuzz import fuzz, process
from slack_sdk.models.blocks import ActionsBlock, ButtonElement
from sqlmodel import Session

from bot.clock import LONDON
from bot.glossary import STRUCTURAL, SYNONYMS, TOPICS, canonicalise
from bot.progress import describe_update, membership
from bot.questions import DueWindow, Intent, Query
from bot.render import BlockBuilder, Reply, clip, escape, fmt_date, join_counts
from bot.roles import Aliases, board_aliases, same_role
from bot.search import (
    ALL_FIELDS,
    CACHE_BOARDS,
    SUBJECTS,
    PlanIndex,
    Search,
    plan_text_key,
    tokens,
    words_of,
)
from store.models import Board, Person
from store.queries import (
    COMPLETE,
    NO_UPDATE,
    ActionView,
    subgroup_names,
    updates_since,
)

# -- wording -----------------------------------------------------------------------------------

NO_ROLE = (
    "I don't know your role on *{board}* yet. Tell me with `/lscb iam <role or sub-group>`, "
    "e.g. `/lscb iam {example}`; then “what are my actions” lists yours."
)
DONT_KNOW = "Sorry, I don't know what “{text}” refers to in *{board}*'s plan."
NOTHING_ON = "*{board}*'s plan has nothing on {topics}."
NEAREST = "Did you mean: {options}?"
COVERS = "The plan's work includes {options}."
TRY = "You could ask:"
NO_MATCHES = "No actions {what}."
NOT_YOURS = "None of these are among your actions; here is everything on it."
LEFT_OUT = "“{words}” isn't in {board}'s plan, so I left it out."
NO_CHANGES = "No progress updates on *{board}*{scope} since {since}."
PAGE_ACTION = "answer_page"
MATCH_THRESHOLD = 0.5
HEAD_COVERAGE = 0.8  # share of a subject line one action must hold for the line to lead
PAGE_SIZE = 10
#: Words in a sub-group's or role's name that say what kind of body it is, not which one.
_OWNER_GENERIC = frozenset(
    tokens("sub group groups sub-committee subcommittee committee panel task board lscb scb")
)


_YEAR = re.compile(r"(?:19|20)\d\d")
_THE_PLAN = frozenset(tokens("plan plans business board lscb scb"))


@dataclass(frozen=True)
class Scope:
    """The slice of the plan a question is about, and how to say so."""

    views: list[ActionView]
    label: str  # "for MEG", "for you", "matching “neglect strategy”"
    note: str = ""  # something to say before the list ("None of these are yours…")


@dataclass(frozen=True)
class Owner:
    """A sub-group or lead role as a question can name it."""

    name: str
    key: frozenset[str]
    views: tuple[ActionView, ...]
    group: bool = False  # a sub-group (a slice of the plan), not a lead role


def prepare(session: Session, board: Board, views: list[ActionView]) -> None:
    """Build what answering needs for `board` once (search index, owners, plan topics), so
    the first question on a board costs no more than the next (the worker's warm-up)."""
    index = PlanIndex(views)
    _owners(session, board, index)
    plan_topics(views)


def answer(
    session: Session,
    board: Board,
    person: Person | None,
    query: Query,
    views: list[ActionView],
    today: date,
    now: datetime,
    page: int = 0,
) -> Reply:
    """The reply to `query` about `board`, for `person` (page N of a long list)."""
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
    return _list(board, scope, query, selected, today, now, page)


# -- scope -------------------------------------------------------------------------------------


def _scope(
    session: Session, board: Board, person: Person | None, query: Query, index: PlanIndex
) -> Scope | Reply:
    """Which actions the question is about: an owner, refs, a topic, the asker's own, or all."""
    views = index.views
    parts: list[str] = []
    member = membership(session, person, board)
    own = None if member.empty else [v for v in views if member.owns(v)]
    wants_own = query.mine or query.team
    owner = None

    # "the 3 priorities": a count is no topic; a year is ("the YOT inspection in 2010").
    topic_words = [w for w in words_of(query.topic) if not w.isdigit() or _YEAR.fullmatch(w)]
    # "the CSE panel" where the actions speak of the panel: "panel" is a topic word there.
    bodies = _bodies_named(index, query.text)
    topic_words += [w for w in bodies if w not in topic_words]
    refs = [r for r in query.refs if index.by_ref(r)]
    if refs:
        numbered = {id(v) for r in refs for v in index.by_ref(r)}
        views = [v for v in views if id(v) in numbered]
        parts.append("for " + ", ".join(refs))
    # "private fostering" where the plan has only foster carers: the phrase is missing, and its
    # words are not looked for one by one.
    lacking = _missing_phrases(index, query.text)
    lacking_words = {w for phrase in lacking for w in words_of(phrase)}
    topic_words = [w for w in topic_words if w not in lacking_words]
    if lacking and not topic_words:
        return _nothing_on(board, index, lacking)

    resolved = index.resolve(topic_words)
    named = resolved.known or query.subject or query.role_text
    owners = _owners(session, board, index) if named else []  # read once for both below
    if resolved.known or query.subject:
        owner = _owner_in(owners, index, resolved.known, query, frozenset(bodies))
    if owner is None and query.role_text and wants_own and own is None:
        owner = _named_role(owners, query.role_text, index)  # "as the MEG chair, ours?"
    if owner is not None:
        said = owner.key | _OWNER_GENERIC  # "the LSCB chair", "L&I group": all of the name
        topic_words = [w for w in topic_words if index.correct(w) not in said]
        resolved = index.resolve(topic_words)
        keep = {id(v) for v in owner.views}
        views = [v for v in views if id(v) in keep]
        parts.append(f"for {owner.name}")
    wants_own = wants_own and owner is None and not refs
    # Words for the plan itself are no topic: "what was overdue on the wakefield plan".
    if resolved.known and set(resolved.known) <= _THE_PLAN:
        resolved = Search(ignored=resolved.ignored, missing=resolved.missing)

    titled, title = index.titled(set(resolved.known)) if query.titled and not refs else ([], "")
    if titled:  # "the CSE priority": the whole priority, not every action that says CSE
        keep = {id(v) for v in titled}
        views = [v for v in views if id(v) in keep]
        parts.append(f"for {_short(title)}")
        return Scope(views, " ".join(parts))

    if resolved.known or resolved.missing:
        pool = index if len(views) == len(index.views) else PlanIndex(views)
        quoted = words_of(query.quoted)
        found = pool.find(quoted) if quoted else Search()
        if not _strong_hit(pool, found):  # a phrase in quotes is what is meant, if it's there
            found = pool.find(topic_words)
        head = [w for w in words_of(query.head) if w in topic_words]
        if head and head != topic_words and not quoted:
            # "SCR learning - how do we make sure it changes practice": the subject line before
            # the dash names the topic. The rest may narrow it ("Neglect strategy - monitoring
            # and evaluation, who has that?") but not lead away from it.
            first = pool.find(head)
            inside = {id(h.view) for h in first.hits}
            narrows = _strong_hit(pool, found) and all(id(h.view) in inside for h in found.hits)
            # Only a subject line the plan has (nearly) whole in one action leads: in "harmful
            # sexual behaviour - kids who abuse other kids - has the procedure been looked
            # at?" the plan has "harm" somewhere, but the rest names the action.
            # And the plan must know most of its words: "kids living long term with a family
            # friend rather than a parent - private fostering" is not about "parent".
            known = len(first.known) >= len(first.ignored)
            if _strong_hit(pool, first) and not narrows and known and first.best >= HEAD_COVERAGE:
                found, topic_words = first, head
        if not found.hits or found.best < MATCH_THRESHOLD:
            found = pool.find(topic_words, ALL_FIELDS)  # "what is the LADO working on"
        # A topic is missing only if the whole plan lacks it, not just the owner's part of it.
        found.missing = lacking + [w for w in found.missing if index.correct(w) is None]
        strong = _strong_hit(pool, found)
        if wants_own and own is not None and not strong:
            return Scope(own, "for you")  # "what have I been named as lead on": the rest is talk
        if found.missing and not strong:
            return _nothing_on(board, index, found.missing)
        if not found.hits or found.best < MATCH_THRESHOLD:
            if owner is not None or refs:
                return Scope(views, " ".join(parts))
            return _dont_know(board, index, query.topic)
        views = [h.view for h in found.hits]
        if owner is None:
            matched = [w for w in topic_words if index.correct(w) in found.known]
            parts.append(f"matching “{_as_said(matched or topic_words)}”")
        left_out = _left_out(board, found.missing)
        if query.mine and own is not None:
            mine = [v for v in views if member.owns(v)]
            if not mine:
                return Scope(views, " ".join(parts), NOT_YOURS)
            views = mine
            parts.append("for you")
        return Scope(views, " ".join(parts), left_out)

    if wants_own and own is not None:
        return Scope(own, "for you")
    if wants_own and query.mine and owner is None and not query.due:
        return Reply(
            text=NO_ROLE.format(
                board=escape(board.short_name), example=escape(_example_lead(views))
            )
        )
    if resolved.ignored and not (owner or refs or query.due or query.mine):
        # Only words the plan never uses: say so rather than list the whole plan.
        return _dont_know(board, index, query.topic)
    # "what's overdue for MEG" on a board without MEG: answer, but say what was left out.
    note = _left_out(board, resolved.ignored)
    if not (
        owner
        or refs
        or query.due
        or query.everything
        or query.team
        or query.status_asked
        or query.subject
        or query.subgroup_cue
        or query.intent in (Intent.CHANGES, Intent.WHO_LEADS)
    ):
        return _dont_know(board, index, query.topic or query.text)
    return Scope(views, " ".join(parts), note)


def _left_out(board: Board, words: list[str]) -> str:
    """“meg” isn't in Wakefield's plan, so I left it out (empty when nothing was)."""
    said = list(dict.fromkeys(_as_said([w]) for w in words))[:4]
    return LEFT_OUT.format(words=", ".join(said), board=board.short_name) if said else ""


def _as_said(words: list[str]) -> str:
    """Topic words as a person reads them: glossary tokens spelt out ("voc" → "voice of the
    child"), not the stems the search uses."""
    return " ".join(SYNONYMS[w][0] if w in SYNONYMS else w for w in words)


def _strong_hit(index: PlanIndex, found: Search) -> bool:
    """The hits share a distinctive word with the question (not just "strategy" or "board").

    When the question names a safeguarding subject the plan lacks ("does our plan say
    anything about FGM"), only another subject it has counts ("prevent neglect").
    """
    if not found.hits or found.best < MATCH_THRESHOLD:
        return False
    strong = [w for w in found.known if index.strong(w)]
    if found.missing:
        # Unless the rest of the question plainly names something the plan has: two of its
        # distinctive words in one action ("the critical friend challenge to the social care
        # improvement plan - ofsted are back in the spring").
        best = index.words_in(found.hits[0].view)
        if len({w for w in strong if w in best}) >= 2:
            return True
        strong = [w for w in strong if w in SUBJECTS]
    return bool(strong)


def _owners(session: Session, board: Board, index: PlanIndex) -> list[Owner]:
    """The board's sub-groups (with aliases) and its distinct lead roles."""
    assert board.id is not None
    groups = subgroup_names(session, board, index.views)  # read with the views: no statement
    table = _owner_table(
        groups,
        tuple(v.leads for v in index.views),
        tuple(v.subgroups for v in index.views),
        board_aliases(board.role_aliases),
    )
    return [
        Owner(name, key, tuple(index.views[i] for i in at), group)
        for name, key, at, group in table
    ]


@lru_cache(maxsize=CACHE_BOARDS)
def _owner_table(
    groups: tuple[tuple[str, tuple[str, ...]], ...],
    leads: tuple[tuple[str, ...], ...],
    subgroups: tuple[tuple[str, ...], ...],
    aliases: Aliases = (),
) -> tuple[tuple[str, frozenset[str], tuple[int, ...], bool], ...]:
    """(name, the words that name it, positions of the actions it owns), once per plan.

    `aliases` are the plan's declared spellings of one lead role (bot.roles).
    """
    out: list[tuple[str, frozenset[str], tuple[int, ...], bool]] = []
    for name, spellings in groups:
        names = (name, *spellings)
        owned = tuple(
            i
            for i, (own_leads, own_groups) in enumerate(zip(leads, subgroups, strict=True))
            if name in own_groups
            or any(same_role(n, lead, aliases) for n in names for lead in own_leads)
        )
        for spelling in (*names, *_initials(name)):
            key = _owner_key(spelling)
            if key:
                out.append((name, key, owned, True))
    for lead in dict.fromkeys(lead for own_leads in leads for lead in own_leads):
        key = _owner_key(lead)
        if key:
            owned = tuple(
                i
                for i, own_leads in enumerate(leads)
                if any(same_role(lead, x, aliases) for x in own_leads)
            )
            out.append((lead, key, owned, False))
    return tuple(out)


def _initials(name: str) -> list[str]:
    """How people shorten a group's name: "Performance and Audit" → "P&A"."""
    words = [w for w in re.findall(r"[A-Za-z]+", name) if w.lower() not in _INITIALS_SKIP]
    if len(words) < 2 or len(words) > 4:
        return []
    return ["&".join(w[0] for w in words).lower()]


_INITIALS_SKIP = frozenset("and of the for sub group committee panel board".split())


def _owner_key(name: str) -> frozenset[str]:
    """The words that tell one sub-group or role from another: not "sub-group", not the
    board's own name ("WDSCB Business Manager" is named by "business manager")."""
    return frozenset(w for w in tokens(name) if not _BOARD_CODE.fullmatch(w)) - _OWNER_GENERIC


_BOARD_CODE = re.compile(r"[a-z]{0,5}scb|[a-z]{0,5}scp")


def _owner_in(
    owners: list[Owner],
    index: PlanIndex,
    words: list[str],
    query: Query,
    bodies: frozenset[str] = frozenset(),
) -> Owner | None:
    """The sub-group or role a question names as the *owner* of the work it asks about
    (`bodies`: words of a body the plan's actions themselves name, see `_bodies_named`).

    "what's the performance sub-committee got on" and "what is MEG doing" are about that
    group's actions; "status of CSE" and "what is Dudley doing on MASH" are about the topic,
    even where a CSE or MASH sub-group exists.
    """
    said = index.resolve(words_of(query.subject))
    in_subject = _named(owners, set(said.known) | set(said.ignored), index)
    if in_subject is None and query.subject:
        in_subject = _partly_named(owners, set(said.known), index)
    if in_subject is not None:
        return in_subject
    present = set(words) | set(index.resolve(words_of(query.topic)).ignored)
    best = _named(owners, present, index)
    if best is None and query.subgroup_cue:  # "the training row": one group has "training"
        best = _partly_named(owners, present, index)
    if best is None or (query.intent is Intent.WHO_LEADS and not query.subgroup_cue):
        return None
    rest = present - best.key - _OWNER_GENERIC
    if query.subgroup_cue and not bodies & best.key:
        return best  # "the CSE sub group's actions"
    if not rest and not query.status_asked and not query.subgroup_cue:
        # A bare name ("what's overdue for MEG") is the owner's work. A lead role the plan's
        # actions speak of more widely than it leads is a subject too: "LADO" is all the
        # work on the LADO, not only the LADO's own.
        if best.group:
            return best
        named = {id(h.view) for h in index.find(sorted(best.key & present)).hits}
        if not {id(v) for v in best.views} < named:
            return best
    return None


_BODY = re.compile(r"\b([a-z0-9&]+) (?:panel|forum|hub|board|group|meeting|committee)s?\b")


def _bodies_named(index: PlanIndex, question: str) -> list[str]:
    """Words of a body the question names as the plan's actions speak of it ("is the CSE
    panel working": 2.2c reviews the CSE panel), as against the sub-group that owns them."""
    words: list[str] = []
    for m in _BODY.finditer(question.lower()):
        if not words_of(m.group(1)):
            continue  # "the board": no name of its own
        if any(m.group(0) in v.text.lower() for v in index.views):
            words += [w for w in words_of(m.group(0)) if w not in words]
    return words


def _named(owners: list[Owner], words: set[str], index: PlanIndex) -> Owner | None:
    """The owner a question names: all the distinctive words of its name are there ("the
    exec" names the Safeguarding Executive; "safeguarding" alone names nobody). The most
    specific wins."""
    named = []
    for o in owners:
        distinctive = {w for w in o.key if index.strong(w)} or o.key
        single_ok = all(index.strong(w) or "&" in w for w in o.key)  # "MEG", "P&A"
        if distinctive <= words and (len(o.key) > 1 or single_ok):
            named.append((len(o.key & words), len(o.key), len(o.views), o))
    return max(named, key=lambda n: n[:3])[3] if named else None


def _partly_named(owners: list[Owner], words: set[str], index: PlanIndex) -> Owner | None:
    """The one sub-group a distinctive word of the question belongs to ("the training row"
    for "Training and Workforce Development"), when no other group or role has that word."""
    holders: dict[str, set[str]] = {}
    for o in owners:
        for w in o.key & words:
            if index.strong(w):
                holders.setdefault(w, set()).add(o.name)
    unique = {next(iter(names)) for names in holders.values() if len(names) == 1}
    if len(unique) != 1:
        return None
    name = unique.pop()
    return next(o for o in owners if o.name == name)


def _missing_phrases(index: PlanIndex, question: str) -> list[str]:
    """Safeguarding topics of two words or more the question names and the plan never does
    ("private fostering" where the plan has only "foster carers")."""
    # Read through the glossary first: "honour based violence" is HBV, which the plan has.
    question = canonicalise(question)
    asked = [t for t in TOPICS if " " in t and re.search(rf"\b{re.escape(t)}\b", question)]
    if not asked:
        return []
    text = index.plain_text()
    missing = []
    for topic in asked:
        token = canonicalise(topic).strip()
        if token != topic:  # a glossary phrase: the plan may write it another way ("FGM")
            if token not in index.idf:
                missing.append(topic)
        elif topic not in text:
            missing.append(topic)
    return missing


def _named_role(owners: list[Owner], text: str, index: PlanIndex) -> Owner | None:
    """A role the asker gives themself ("as the MEG chair"), when it is one of the board's."""
    resolved = index.resolve(words_of(text))
    if resolved.ignored:  # "the new lay member": a word no role of this plan has
        return None
    return _named(owners, set(resolved.known), index)


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


def urgency(view: ActionView, today: date) -> tuple[int, date, tuple[int, int, int]]:
    """Sort key: overdue first (oldest first), then due soonest, then undated, then complete."""
    if view.is_overdue(today):
        return (0, view.due or date.min, view.position)
    if view.status == COMPLETE:
        return (3, date.max, view.position)
    if view.due is not None:
        return (1, view.due, view.position)
    return (2, date.max, view.position)


def _list(
    board: Board,
    scope: Scope,
    query: Query,
    views: list[ActionView],
    today: date,
    now: datetime,
    page: int = 0,
) -> Reply:
    what = " ".join(p for p in (query.due.label if query.due else "", scope.label) if p)
    where = f" on {board.short_name}"
    if not views:
        text = NO_MATCHES.format(what=escape(what or "found") + escape(where))
        return Reply(text=f"{text} {escape(scope.note)}" if scope.note else text)
    ordered = sorted(views, key=lambda v: urgency(v, today))
    noun = "action" if len(views) == 1 else "actions"
    overdue = sum(v.is_overdue(today) for v in views)
    counts = _rag_counts(views)
    plain = f"{len(views)} {noun} {what}{where}".replace("  ", " ")
    if overdue and not (query.due and query.due.overdue_only):
        plain += f", {overdue} overdue"
    if len(views) > 1:
        plain += f" ({counts})"
    b = BlockBuilder()
    if scope.note:
        b.context(escape(scope.note))
    headline = f"*{len(views)} {noun}* {escape(what)}{escape(where)}".replace("  ", " ")
    if overdue and not (query.due and query.due.overdue_only):
        headline += f" · *{overdue} overdue*"
    if len(views) > PAGE_SIZE:
        b.section(headline + "\n" + _breakdown(views))
    else:
        b.section(headline)
    pages = max(1, -(-len(ordered) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = ordered[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    b.actions_list(shown, today, now, reserve=2)
    if len(ordered) > PAGE_SIZE:
        first, last = page * PAGE_SIZE + 1, page * PAGE_SIZE + len(shown)
        b.context(f"Showing {first}–{last} of {len(ordered)}, most urgent first.")
        more = _page_button(board, query, page + 1 if page + 1 < pages else 0, len(ordered))
        if more is not None:
            b.blocks.append(ActionsBlock(elements=[more]))
    return Reply(text=plain, blocks=b.blocks, actions=ordered)


def _rag_counts(views: Sequence[ActionView]) -> str:
    counts = Counter(v.status for v in views)
    order = ["red", "amber", "green", COMPLETE, NO_UPDATE]
    return join_counts((s, counts[s]) for s in order)


def _breakdown(views: Sequence[ActionView]) -> str:
    """Counts by status and by owning sub-group (or lead), for a long list's summary."""
    by_owner = Counter(v.subgroup or v.lead or "no lead named" for v in views)
    owners = ", ".join(f"{escape(clip(name, 60))} {n}" for name, n in by_owner.most_common(6))
    if len(by_owner) > 6:
        owners += f", {len(by_owner) - 6} more"
    return f"By status: {_rag_counts(views)}\nBy sub-group or lead: {owners}"


def _page_button(board: Board, query: Query, page: int, total: int) -> ButtonElement | None:
    """"Show the next 10" (or "back to the first 10"), carrying the question to ask again."""
    value = json.dumps({"b": board.code, "q": query.text[:1500], "p": page})
    if len(value) > 2000:
        return None
    label = (
        f"Show the next {min(PAGE_SIZE, total - page * PAGE_SIZE)}" if page else "Back to the top"
    )
    return ButtonElement(
        text=label,
        action_id=PAGE_ACTION,
        value=value,
        accessibility_label=clip(f"{label} of {total} actions", 75),
    )


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
        change = describe_update(u)
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


def _nearest_topics(index: PlanIndex, text: str) -> list[str]:
    """Up to three work streams or sub-groups nearest to `text`, by shared words."""
    titles = list(
        dict.fromkeys(
            [f"{v.workstream_ref} {v.workstream}" for v in index.views]
            + [s for v in index.views for s in v.subgroups]
        )
    )
    found = process.extract(text, titles, scorer=fuzz.token_set_ratio, limit=3, score_cutoff=40)
    return [t for t, _, _ in found]


def _dont_know(board: Board, index: PlanIndex, topic: str) -> Reply:
    text = DONT_KNOW.format(text=escape(clip(topic, 80)), board=escape(board.short_name))
    return _not_found(board, index, text, topic)


def _nothing_on(board: Board, index: PlanIndex, missing: list[str]) -> Reply:
    topics = " or ".join(escape(w.upper() if len(w) <= 4 else w) for w in missing[:3])
    text = NOTHING_ON.format(board=escape(board.short_name), topics=topics)
    return _not_found(board, index, text, " ".join(missing))


def _not_found(board: Board, index: PlanIndex, text: str, topic: str) -> Reply:
    b = BlockBuilder()
    lines = [text]
    nearest = _nearest_topics(index, topic)
    if nearest:
        lines.append(NEAREST.format(options=", ".join(f"*{escape(t)}*" for t in nearest)))
    else:
        streams = list(dict.fromkeys(f"{v.workstream_ref} {v.workstream}" for v in index.views))
        options = ", ".join(f"*{escape(clip(t, 60))}*" for t in streams[:3])
        lines.append(COVERS.format(options=options))
    b.section("\n".join(lines))
    b.section(TRY + "\n" + "\n".join(f"• `{escape(q)}`" for q in example_questions(index.views)))
    return Reply(text=text, blocks=b.blocks)


EXAMPLE_MAX = 40  # characters: an example reads at a glance and is never cut short
#: Sub-group names that mean the whole board, not a sub-group ("what's overdue for Board").
_BOARD_LEVEL = frozenset({"board", "lscb", "scb", "the board"})
#: How an acronym is written in a plan: capitals, perhaps a plural ("MASH", "SCRs").
_ACRONYM = re.compile(r"[A-Z0-9&]{2,}s?")


def example_questions(views: Sequence[ActionView]) -> list[str]:
    """Short questions this board's own plan answers: its topics, a sub-group, your actions."""
    topics = plan_topics(views)
    questions = []
    if topics:
        questions.append(f"status of {topics[0]}")
    # "who leads MASH" reads best with an acronym the plan uses; else the next topic.
    rest = topics[1:]
    who = next((t for t in rest if _ACRONYM.fullmatch(t)), rest[0] if rest else None)
    if who is None:
        who = next((v.workstream_ref for v in views if v.workstream_ref), None)
    if who:
        questions.append(f"who leads {who}")
    group = _example_group(views)
    questions.append(f"what's overdue for {group}" if group else "what's overdue")
    questions.append("what are my actions")
    return [q for q in questions if len(q) <= EXAMPLE_MAX]


def plan_topics(views: Sequence[ActionView]) -> list[str]:
    """Safeguarding topics the plan names (glossary terms), as it writes them, in plan order.

    Each is one the plan's search finds actions for, so a question about it gets an answer.
    """
    key = plan_text_key(views)
    cached = _TOPIC_CACHE.get(key)
    if cached is not None:
        return list(cached)
    raw = " \n ".join(f"{v.workstream}. {v.text}" for v in views)
    found: list[tuple[int, str]] = []
    for token, phrases in SYNONYMS.items():
        if token in STRUCTURAL:
            continue  # "training", "audit": how the work is organised, not a topic
        matches = [
            match
            for phrase in phrases
            if len(phrase) >= 3  # "DA", "CP": too cryptic to teach by
            for match in [re.search(rf"(?<![\w&]){re.escape(phrase)}(?![\w&])", raw, re.I)]
            if match is not None
        ]
        if not matches:
            continue
        first = min(match.start() for match in matches)
        # The acronym if the plan writes one ("MASH"), else the words it uses first.
        acronym = next((m for m in matches if _ACRONYM.fullmatch(m.group(0))), None)
        plain = next((m for m in matches if m.group(0).lower() == token), None)  # "neglect"
        chosen = acronym or plain or min(matches, key=lambda m: m.start())
        label = chosen.group(0) if acronym else chosen.group(0).lower()
        found.append((first, label))
    index = PlanIndex(views)
    topics = []
    for _, label in sorted(found):
        search = index.find(words_of(label))
        if search.hits and search.best >= MATCH_THRESHOLD and not search.missing:
            topics.append(label)
    if len(_TOPIC_CACHE) >= CACHE_BOARDS:
        _TOPIC_CACHE.clear()
    _TOPIC_CACHE[key] = tuple(topics)
    return topics


_TOPIC_CACHE: dict[tuple[object, ...], tuple[str, ...]] = {}


def example_role(views: Sequence[ActionView]) -> str:
    """A lead role the plan names often, short enough to show in `/lscb iam …`."""
    board = views[0].board.casefold() if views else ""
    counts = Counter(lead for v in views for lead in v.leads)
    fits = [
        lead
        for lead, _ in counts.most_common()
        if len(lead) <= EXAMPLE_MAX - 10 and lead.casefold() not in _BOARD_LEVEL | {board}
    ]
    return fits[0] if fits else "Business Manager"


def _example_group(views: Sequence[ActionView]) -> str | None:
    """The sub-group owning most actions whose name fits a short example (not the board)."""
    board = views[0].board.casefold() if views else ""
    counts = Counter(s for v in views for s in v.subgroups)
    for name, _ in counts.most_common():
        if name.casefold() in _BOARD_LEVEL | {board}:
            continue
        if len(f"what's overdue for {name}") <= EXAMPLE_MAX:
            return name
    return None


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
