"""Find the actions a few words are about: refs, glossary terms and typos, at every plan level.

A query's content words are matched against each action's own text and the titles of its
work stream, priority and sub-groups; an action scores the share of the query (weighted by
rarity) that any one of those covers. The best-scoring actions win, so "neglect strategy"
finds every action of the work stream "Implementation of Neglect Strategy".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.glossary import canonicalise
from store.queries import ActionView

_STOPWORDS = (
    "a about actions action all am an and any anything are as at be been being by can could do "
    "does doing done for from get give going got has have how i in into is it its let list me "
    "my of on or our please show so some tell than that the their them then there these they "
    "this those to up us was we were what whats what's when where which who whom why will with "
    "would you your yours our ours re s"
)
STOPWORDS = frozenset(_STOPWORDS.split())

_TOKEN = re.compile(r"[a-z0-9]+(?:[&.][a-z0-9]+)*")
_REF = re.compile(r"^(?:[a-z]?\d+(?:\.\d+)*[a-z]?|[a-z]\d*)$")
FUZZY_MIN = 84  # rapidfuzz ratio for a typo to count as the word ("negelct" → "neglect")
FUZZY_MIN_LONG = 80  # five letters and more can take one slip ("abuze", "licencing")


def stem(word: str) -> str:
    """A light English stemmer: enough to make 'exploited' meet 'exploitation'."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ed", "es", "s", "al", "ly"):
        if len(word) - len(suffix) >= 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def tokens(text: str, keep: bool = False) -> list[str]:
    """Canonical, stemmed content words of `text` (with keep=True, the phrases' words too)."""
    return [stem(t) for t in _TOKEN.findall(canonicalise(text, keep)) if t not in STOPWORDS]


TOPIC_FIELDS = frozenset({"action", "work stream", "priority", "sub-group"})
ALL_FIELDS = TOPIC_FIELDS | {"lead"}


@dataclass(frozen=True)
class Hit:
    view: ActionView
    score: float
    via: str  # "ref", "action", "work stream", "priority", "sub-group"


class PlanIndex:
    """Per-board search structures, built from the board's action views."""

    def __init__(self, views: Sequence[ActionView]) -> None:
        self.views = list(views)
        self.fields: list[list[tuple[str, frozenset[str]]]] = []
        doc_freq: dict[str, int] = {}
        for view in self.views:
            own = frozenset(cached_tokens(view.text))
            fields = [("action", own)]
            fields.append(("work stream", frozenset(cached_tokens(view.workstream))))
            if view.priority:
                fields.append(("priority", frozenset(cached_tokens(view.priority))))
            for name in view.subgroups:
                fields.append(("sub-group", frozenset(cached_tokens(name))))
            if view.lead:
                fields.append(("lead", frozenset(cached_tokens(view.lead))))
            self.fields.append(fields)
            for word in frozenset().union(*(f for _, f in fields)):
                doc_freq[word] = doc_freq.get(word, 0) + 1
        n = max(len(self.views), 1)
        self.idf = {w: math.log(1 + n / df) for w, df in doc_freq.items()}
        self.vocabulary = list(self.idf)
        # Unstemmed spellings too: "exploitaton" is nearer "exploitation" than its stem "exploit".
        self.spellings: dict[str, str] = {}
        for view in self.views:
            self.spellings.update(cached_spellings(view.text))
            self.spellings.update(cached_spellings(view.workstream))

    def correct(self, word: str) -> str | None:
        """The plan's own word nearest to `word` (typos), or None when nothing is close."""
        if word in self.idf:
            return word
        if len(word) < 4 or not self.vocabulary:
            return None
        cutoff = FUZZY_MIN if len(word) < 5 else FUZZY_MIN_LONG
        best = process.extractOne(word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff)
        if best:
            return str(best[0])
        raw = process.extractOne(word, list(self.spellings), scorer=fuzz.ratio, score_cutoff=cutoff)
        return self.spellings[raw[0]] if raw else None

    def split(self, word: str) -> list[str]:
        """A run-together word the plan writes as two ("scorecards" → "score", "card")."""
        for i in range(3, len(word) - 2):
            left, right = stem(word[:i]), stem(word[i:])
            if left in self.idf and right in self.idf:
                return [left, right]
        return []

    def by_ref(self, ref: str) -> list[ActionView]:
        """Actions whose ref is `ref`, or all actions of the work stream or priority so numbered."""
        ref = ref.lower().rstrip(".")
        exact = [v for v in self.views if v.ref.lower() == ref]
        if exact:
            return exact
        stream = [v for v in self.views if v.workstream_ref.lower() == ref]
        if stream:
            return stream
        return [v for v in self.views if (v.priority_ref or "").lower() == ref]

    def search(self, words: Iterable[str], fields: frozenset[str] = TOPIC_FIELDS) -> list[Hit]:
        """Actions best covering `words` (already tokenised); ties all returned, plan order.

        By default only what an action is about counts (its text, work stream, priority and
        sub-groups); pass ALL_FIELDS to let its lead's name count too.
        """
        query: list[str] = []
        unknown: list[str] = []
        for word in words:
            fixed = [self.correct(word)] if self.correct(word) else self.split(word)
            if not fixed:
                unknown.append(word)
            query += [w for w in fixed if w and w not in query]
        if not query:
            return []
        # Words the plan never uses still count against the match, at an average weight.
        avg = sum(self.idf.values()) / len(self.idf)
        total = sum(self.idf[w] for w in query) + avg * len(unknown)
        hits: list[Hit] = []
        for view, view_fields in zip(self.views, self.fields, strict=True):
            best, via = 0.0, ""
            for name, field_words in view_fields:
                if name not in fields:
                    continue
                covered = sum(self.idf[w] for w in query if w in field_words)
                if covered > best:
                    best, via = covered, name
            if best:
                hits.append(Hit(view, best / total, via))
        if not hits:
            return []
        top = max(h.score for h in hits)
        return [h for h in hits if h.score >= top - 1e-9]


def looks_like_ref(word: str) -> bool:
    """'1.2', '1.2a', '3', 'a1', 'A' are refs; ordinary words are not."""
    return bool(_REF.match(word.lower())) and any(c.isdigit() for c in word)


# Plan text repeats across every question: tokenise each text once per process. Sized for a
# large deployment (150 boards of 100 actions is about 20,000 distinct texts).
CACHE_TEXTS = 65_536


@lru_cache(maxsize=CACHE_TEXTS)
def cached_tokens(text: str) -> tuple[str, ...]:
    """tokens() of plan text (with the glossary's phrases kept beside their tokens)."""
    return tuple(tokens(text, keep=True))


@lru_cache(maxsize=CACHE_TEXTS)
def cached_spellings(text: str) -> tuple[tuple[str, str], ...]:
    """Each word of plan text as written, with its stem (for correcting typos)."""
    return tuple((raw, stem(raw)) for raw in _TOKEN.findall(canonicalise(text, keep=True)))
