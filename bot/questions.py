"""Turn a plain-words question into a structured Query: what is asked, about whom, for when."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.glossary import canonicalise, correct_phrase_words


class Intent(StrEnum):
    HELP = "help"
    OVERVIEW = "overview"
    PRIORITIES = "priorities"
    WHO_LEADS = "who_leads"
    CHANGES = "changes"
    ACTIONS = "actions"  # list / status of actions, filtered by scope, topic and dates
    SUBGROUPS = "subgroups"


@dataclass(frozen=True)
class DueWindow:
    """Not-complete actions due in [start, end]; start None means 'any time before end'."""

    start: date | None
    end: date
    label: str
    overdue_only: bool = False


@dataclass
class Query:
    intent: Intent
    text: str
    mine: bool = False
    topic: str = ""
    due: DueWindow | None = None
    since: date | None = None
    status_asked: bool = False
    subgroup_cue: bool = False
    team: bool = False  # "we", "our", "us": the asker's own work when they have a role
    everything: bool = False  # "all actions", "list everything": the whole plan is wanted


MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
MONTHS["sept"] = 9
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "fourteen": 14,
    "thirty": 30,
    "a": 1,
}

# -- phrase patterns (checked in order; each match is removed from the topic) ---------------

HELP_RE = re.compile(
    r"^(?:help|\?|hi|hello|hey|what can (?:you|i) (?:do|ask)|how do (?:i|you) use|"
    r"commands|examples?|usage)\b"
)
OVERVIEW_RE = re.compile(
    r"^(?:plan )?(?:overview|summary)\b(?:\s+(?:of|for))?(?:\s+the)?\s*(?P<rest>.*)$"
    r"|^(?:the )?(?:whole |business )?plan$"
)
PRIORITIES_RE = re.compile(
    r"\b(?:strategic (?:priorities|objectives|aims)|priorities|priority areas|"
    r"(?:strategic )?objectives)\b"
)
SUBGROUPS_RE = re.compile(r"\b(?:list|which|what) (?:the )?(?:sub[- ]?groups|sub[- ]?committees)\b")
WHO_RE = re.compile(
    r"\bwho(?:'s| is| are)? (?:(?:the )?leads?(?:ing)?|responsible|accountable|in charge|owns?|"
    r"doing|handling|the lead|the owner)(?: (?:for|on|of))?\b|\bwho(?:'s| is| are)? leading\b|"
    r"\bwhich (?:sub[- ]?group|group|team|person|role) (?:leads|owns|is responsible for)\b"
    r"|\b(?:lead|leads|owner) (?:for|of|on)\b"
)
CHANGES_RE = re.compile(
    r"\b(?:what(?:'s| has| have)? changed|changes|what(?:'s| is) new|recent(?:ly)? updated?s?|"
    r"latest updates?|updates? (?:received|posted|made)|what(?:'s| has) been updated|"
    r"any updates|progress updates)\b"
)
MINE_RE = re.compile(
    r"\b(?:my|mine|i am|i'm|am i|do i|i own|i lead|have i|i have|i've|i got|assigned to me|"
    r"for me|me)\b"
)
ASKING_RE = re.compile(r"\b(?:tell me|show me|give me|let me know|remind me|can you tell me)\b")
STATUS_RE = re.compile(
    r"\b(?:status|update|updates|progress|where are we|where(?:'s| is)|how(?:'s| is| are)|"
    r"what(?:'s| is) happening|tell me about|what about|any news|news on|rag)\b"
)
SUBGROUP_CUE_RE = re.compile(
    r"\b(?:sub[- ]?groups?|sub[- ]?committees?|committees?|panels?|group|working on|"
    r"'s actions|actions? (?:for|of)|for the)\b"
)
FILLER_RE = re.compile(
    r"\b(?:whats|wheres|hows|whos|what(?:'s| is| are)?|show(?: me)?|list|give me|tell me|"
    r"can you|could you|please|"
    r"status(?: of)?|update(?:s)? (?:on|for)|progress (?:on|of|with)|where are we (?:with|on)|"
    r"how(?:'s| is| are) (?:the )?|going|getting on|happening (?:with|on)?|about|any news on|"
    r"news on|working on|responsible for|in charge of|actions?|items?|tasks?|things?|"
    r"anything|everything|all|the|for|of|on|with|in|is|are|we|our|board|plan|rag|"
    r"sub[- ]?groups?|sub[- ]?committees?|committee|update|updates|progress|status|news|latest|"
    r"stuff|doing|happening|at|pls|plz|please|thanks|thx|cheers|leading|down for|on my plate|"
    r"work|bits|need to do|need to|to do|should|have to|get done|"
    r"(?:priority|objective|work ?stream|outcome|number|no\.?)(?= \d))\b"
)


def parse(text: str, today: date) -> Query:
    """Read `text` (a question in plain words) as a Query, with dates relative to `today`."""
    raw = " ".join(text.lower().replace("’", "'").split()).strip(" ?!.")
    # Glossary first, so "voice of the child" survives the removal of "of" and "the" below.
    words = " ".join(canonicalise(correct_phrase_words(raw)).split())

    if not words or HELP_RE.match(words):
        return Query(Intent.HELP, raw)
    overview = OVERVIEW_RE.match(raw)
    if overview:
        rest = (overview.group("rest") or "").removesuffix("plan").strip()
        return Query(Intent.OVERVIEW, raw, topic=rest)

    since, words = _since(words, today)
    due: DueWindow | None = None
    if since is None and not CHANGES_RE.search(words):
        due, words = _due_window(words, today)

    intent = Intent.ACTIONS
    if WHO_RE.search(words):
        intent = Intent.WHO_LEADS
        words = WHO_RE.sub(" ", words)
    elif since is not None or CHANGES_RE.search(words):
        intent = Intent.CHANGES
        words = CHANGES_RE.sub(" ", words)
        if since is None:
            since = today - timedelta(days=today.weekday())
    elif SUBGROUPS_RE.search(words):
        return Query(Intent.SUBGROUPS, raw)
    elif PRIORITIES_RE.search(words) and not due and not re.search(r"\d", words):
        rest = FILLER_RE.sub(" ", PRIORITIES_RE.sub(" ", words)).split()
        if not [w for w in rest if w not in ("are", "list", "our", "the", "board's", "s")]:
            return Query(Intent.PRIORITIES, raw)

    status_asked = bool(STATUS_RE.search(words))
    words = ASKING_RE.sub(" ", words)  # "tell me about X" is not about me
    mine = bool(MINE_RE.search(words))
    words = MINE_RE.sub(" ", words)
    team = bool(re.search(r"\b(?:we|our|us)\b", words))
    everything = bool(re.search(r"\b(?:all|every|everything|whole|list|show)\b", words))
    subgroup_cue = bool(SUBGROUP_CUE_RE.search(words))
    words = re.sub(r"\b(\w+)'s\b", r"\1", words)
    topic = " ".join(FILLER_RE.sub(" ", words).split())
    return Query(
        intent,
        raw,
        mine=mine,
        topic=topic,
        due=due,
        since=since,
        status_asked=status_asked,
        subgroup_cue=subgroup_cue,
        team=team,
        everything=everything,
    )


# -- dates --------------------------------------------------------------------------------------


def _due_window(words: str, today: date) -> tuple[DueWindow | None, str]:
    week_start = today - timedelta(days=today.weekday())
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])

    patterns: list[tuple[str, object]] = [
        (
            r"\b(?:over ?due|late|past (?:their |the )?(?:due|target)(?: dates?)?|behind schedule|"
            r"missed (?:their |the )?(?:deadlines?|targets?|target dates?)|out of date)\b",
            lambda m: DueWindow(None, today - timedelta(days=1), "overdue", overdue_only=True),
        ),
        (
            r"\bdue (?:in |within )?(?:the )?next (\d+|\w+) (days?|weeks?|months?)\b|"
            r"\bdue within (\d+|\w+) (days?|weeks?|months?)\b|"
            r"\bnext (\d+|\w+) (days?|weeks?|months?)\b",
            _next_n(today),
        ),
        (
            r"\b(?:due )?this week\b",
            lambda m: DueWindow(today, week_start + timedelta(days=6), "due this week"),
        ),
        (
            r"\b(?:due )?next week\b",
            lambda m: DueWindow(
                week_start + timedelta(days=7), week_start + timedelta(days=13), "due next week"
            ),
        ),
        (r"\b(?:due )?this month\b", lambda m: DueWindow(today, month_end, "due this month")),
        (r"\b(?:due )?next month\b", lambda m: _next_month(today)),
        (
            r"\bdue (?:soon|shortly)\b|\bcoming up\b|\bupcoming\b",
            lambda m: DueWindow(today, today + timedelta(days=14), "due in the next 14 days"),
        ),
        (r"\b(?:due )?(?:today)\b", lambda m: DueWindow(today, today, "due today")),
        (
            r"\bdue (?:before|by|until|ahead of|no later than) (.+?)(?=$| for | from | in (?!\d))",
            lambda m: _before(m.group(1), today),
        ),
        (
            rf"\b(?:before|by) ((?:the )?(?:end of )?(?:\d{{1,2}}(?:st|nd|rd|th)? )?(?:{_MONTH})"
            rf"(?: \d{{4}})?|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})\b",
            lambda m: _before(m.group(1), today),
        ),
    ]
    for pattern, build in patterns:
        match = re.search(pattern, words)
        if match:
            window = build(match)  # type: ignore[operator]
            if window is not None:
                return window, (words[: match.start()] + " " + words[match.end() :]).strip()
    return None, words


def _next_n(today: date):  # noqa: ANN202 - a small closure factory
    def build(match: re.Match[str]) -> DueWindow | None:
        groups = [g for g in match.groups() if g]
        count_text, unit = groups[0], groups[1]
        n = int(count_text) if count_text.isdigit() else _NUMBERS.get(count_text)
        if n is None:
            return None
        days = n * {"d": 1, "w": 7, "m": 30}[unit[0]]
        return DueWindow(today, today + timedelta(days=days), f"due in the next {n} {unit}")

    return build


def _next_month(today: date) -> DueWindow:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return DueWindow(first, last, "due next month")


def _before(text: str, today: date) -> DueWindow | None:
    day = parse_date(text, today, end_of_month=True)
    if day is None:
        return None
    return DueWindow(
        None,
        day - timedelta(days=1) if _exact(text) else day,
        f"due by {day.strftime('%-d %b %Y')}",
    )


def _exact(text: str) -> bool:
    return bool(re.search(r"\d{1,2}(?:st|nd|rd|th)? |\d{4}-\d{2}-\d{2}|\d/", text))


def _since(words: str, today: date) -> tuple[date | None, str]:
    match = re.search(r"\bsince (.+?)$", words)
    if match:
        text = match.group(1)
        day: date | None
        if text in ("last week",):
            day = today - timedelta(days=today.weekday() + 7)
        elif text in ("last month",):
            day = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        elif text in ("yesterday",):
            day = today - timedelta(days=1)
        else:
            day = parse_date(text, today, end_of_month=False)
        if day is not None:
            return day, words[: match.start()].strip()
    match = re.search(r"\b(?:in )?(?:the )?(?:last|past) (\d+|\w+) (days?|weeks?|months?)\b", words)
    if match:
        n = int(match.group(1)) if match.group(1).isdigit() else _NUMBERS.get(match.group(1))
        if n:
            days = n * {"d": 1, "w": 7, "m": 30}[match.group(2)[0]]
            return today - timedelta(days=days), (words[: match.start()] + words[match.end() :])
    match = re.search(r"\b(?:this|last) week\b", words)
    if match and CHANGES_RE.search(words):
        start = today - timedelta(days=today.weekday())
        if "last" in match.group(0):
            start -= timedelta(days=7)
        return start, words[: match.start()] + words[match.end() :]
    return None, words


def parse_date(text: str, today: date, *, end_of_month: bool) -> date | None:
    """'2019-03-31', '31/3/19', '31 March 2019', 'March 2019', 'end of March', 'March'."""
    text = text.strip().lower().removeprefix("the ").removeprefix("end of ").strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if m:
        return _safe_date(int(m[1]), int(m[2]), int(m[3]))
    m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})", text)
    if m:
        year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
        return _safe_date(year, int(m[2]), int(m[1]))
    m = re.fullmatch(rf"(?:(\d{{1,2}})(?:st|nd|rd|th)? )?(?:of )?({_MONTH})(?: (\d{{4}}))?", text)
    if m:
        month = MONTHS[m[2]]
        year = int(m[3]) if m[3] else today.year
        if m[1]:
            return _safe_date(year, month, int(m[1]))
        day = calendar.monthrange(year, month)[1] if end_of_month else 1
        return date(year, month, day)
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
