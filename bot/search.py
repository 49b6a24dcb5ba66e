"""Find the actions a few words are about: refs, glossary terms and typos, at every plan level.

Each action is a small document of fields: its own text, its work stream's and priority's
titles, its sub-groups, its outcomes (and, when asked who does what, its leads). A question's
words are stemmed (Snowball), mapped through the glossary, corrected to the board's own
vocabulary when misspelt, and weighted by how rare they are in *this* board's plan (BM25's
inverse document frequency), with a prior that discounts words every plan uses ("strategy",
"board", "audit"). An action scores the weighted share of the question's words that it covers
in any of its fields. Words the plan never uses are ignored rather than held against a match;
a safeguarding topic the plan never mentions is reported as missing instead (see
`Search.missing`).

Selection keeps the actions that tie with the best score (within a small tolerance), so a
question naming a work stream's title gets the whole work stream, and a question whose only
shared word is incidental ("strategy") gets nothing rather than a weak guess.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.glossary import STRUCTURAL, SYNONYMS, TOPICS, canonicalise
from store.queries import ActionView

_STOPWORDS = (
    "a about actions action all am an and any anything are as at be been being by can could do "
    "does doing done for from get give going got has have how i in into is it its let list me "
    "my of on or our please show so some tell than that the their them then there these they "
    "this those to up us was we were what whats what's when where which who whom why will with "
    "would you your yours ours re s im i'm ive i've pls plz thanks thx cheers hi hello hey "
    "quick one just also re: need needs want know think looking look looks looked like stuff "
    "things thing bits bit wondering wonder curious r u ur ya yeah ok okay hiya morning "
    "afternoon evening team folks guys currently now still yet again really actually anyway "
    "lot lots much many more most very whats hows whos wheres"
)
STOPWORDS = frozenset(_STOPWORDS.split())

#: Words every safeguarding plan uses: they may narrow a match but never make one on their own.
_GENERAL = (
    "strategy strategic board plan plans work review reviews audit develop development ensure "
    "improve improvement safeguarding safeguard child children young people partner partners "
    "partnership agency agencies multi service services practice support process processes "
    "arrangement arrangements report reports reporting group groups sub committee meeting "
    "meetings monitor monitoring local area areas lscb scb cyp key effective effectiveness "
    "across including include within implement implementation progress update new"
)
GENERAL_WEIGHT = 0.35

_TOKEN = re.compile(r"[a-z0-9]+(?:[&.][a-z0-9]+)*")
_REF = re.compile(r"^(?:[a-z]?\d+(?:\.\d+)*[a-z]?|[a-z]\d*)$")
# A typo is one slip (a letter wrong, missing, extra, or two swapped: "abuze", "licencing",
# "safegaurding"); two in a long word ("safegaurdnig"). A real word two slips from a plan word
# is another word ("elective" is not "effective"), so the allowance grows only with length.
TYPO_LONG = 10  # letters from which a word may take two slips
MAX_WORDS = 40  # a question's distinct content words considered; a pasted essay is cut here
TIE = 0.06  # actions scoring within this of the best are as good an answer
_STEMMER = snowballstemmer.stemmer("english")
_STEMMER_LOCK = threading.Lock()  # the stemmer keeps its word in itself: one thread at a time


#: Stems of one word that Snowball keeps apart: British and American spellings ("licence",
#: "license"; "organization"), and a verb and its noun ("a child dies", "child deaths").
_SAME_STEM = {
    "licenc": "licens",
    "practis": "practic",
    "defens": "defenc",
    "behavior": "behaviour",
    "program": "programm",
    "center": "centr",
    "die": "death",
}
_AMERICAN_Z = re.compile(r"(?<=[a-z]{2})([iy])z")


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The word's Snowball (Porter 2) stem, one spelling for British and American forms;
    glossary tokens and refs are kept as they are."""
    if word in _GLOSSARY_TOKENS or any(c.isdigit() for c in word) or "&" in word:
        return word
    with _STEMMER_LOCK:  # the Snowball stemmer is not thread-safe
        stemmed = _AMERICAN_Z.sub(r"\1s", str(_STEMMER.stemWord(word)))
    return _SAME_STEM.get(stemmed, stemmed)


_GLOSSARY_TOKENS = frozenset(SYNONYMS)
GENERAL = frozenset(stem(w) for w in _GENERAL.split())
#: Glossary tokens and named topics (stemmed, one word each): a question naming one the plan
#: lacks is about something the plan does not cover.
#: Words that name a safeguarding subject (glossary subjects and named topics, stemmed).
SUBJECTS = frozenset(_GLOSSARY_TOKENS - STRUCTURAL) | frozenset(
    stem(t) for t in TOPICS if " " not in t and "-" not in t
)
TOPIC_TERMS = frozenset(_GLOSSARY_TOKENS) | frozenset(
    stem(t) for t in TOPICS if " " not in t and "-" not in t
)
_TOPIC_WORDS = sorted(
    {w for t in TOPICS for w in re.findall(r"[a-z]+", t) if len(w) > 4}
    | {w for phrases in SYNONYMS.values() for p in phrases for w in p.split() if len(w) > 4}
)


def words_of(text: str) -> list[str]:
    """Canonical content words of `text` as written (glossary applied, not stemmed)."""
    return list(_words_of(text))


@lru_cache(maxsize=4096)
def _words_of(text: str) -> tuple[str, ...]:
    # Performance only: one question's parts (topic, subject, head) are looked at several
    # times while answering, and the glossary's patterns are the costly part.
    return tuple(t for t in _TOKEN.findall(canonicalise(text)) if t not in STOPWORDS)


def tokens(text: str, keep: bool = False) -> list[str]:
    """Canonical, stemmed content words of `text` (with keep=True, the phrases' words too)."""
    return [stem(t) for t in _TOKEN.findall(canonicalise(text, keep)) if t not in STOPWORDS]


TOPIC_FIELDS = frozenset({"action", "work stream", "priority", "sub-group", "outcomes"})
TITLE_FIELDS = frozenset({"work stream", "priority"})
ALL_FIELDS = TOPIC_FIELDS | {"lead"}
FIELD_WEIGHT = {
    "action": 1.0,
    "work stream": 1.0,
    "priority": 1.0,
    "sub-group": 0.5,  # the owning group's name says who does it more than what it is about
    "outcomes": 0.6,
    "lead": 1.0,
}
SPREAD = 0.9  # a match spread over several fields counts a little less than one in one field


@dataclass(frozen=True)
class Hit:
    view: ActionView
    score: float
    via: str  # the field that carried most of the match: "action", "work stream", …


@dataclass
class Search:
    """What a search found, and what it could not place in the plan."""

    hits: list[Hit] = field(default_factory=list)
    known: list[str] = field(default_factory=list)  # the question's words the plan uses
    ignored: list[str] = field(default_factory=list)  # words the plan never uses (skipped)
    missing: list[str] = field(default_factory=list)  # safeguarding topics the plan lacks

    @property
    def best(self) -> float:
        return self.hits[0].score if self.hits else 0.0


@dataclass(frozen=True)
class Vocabulary:
    """What a board's plan text says, word by word: built once per distinct plan text."""

    fields: tuple[dict[str, frozenset[str]], ...]
    idf: dict[str, float]
    spellings: dict[str, str]
    #: Two words the plan writes apart or hyphenated, by their joined stem ("scorecard" →
    #: ("score", "card") from "score card", "relaunch" from "re-launch").
    compounds: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Performance only: each word's actions (positions, in plan order), in any field, so a
    #: search scores only the actions that share a word with the question.
    postings: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, views: Sequence[ActionView]) -> Vocabulary:
        all_fields: list[dict[str, frozenset[str]]] = []
        doc_freq: dict[str, int] = {}
        postings: dict[str, list[int]] = {}
        for position, view in enumerate(views):
            fields = {
                "action": frozenset(cached_tokens(view.text)),
                "work stream": frozenset(cached_tokens(view.workstream)),
                "priority": frozenset(cached_tokens(view.priority or "")),
                "sub-group": frozenset(w for s in view.subgroups for w in cached_tokens(s)),
                "outcomes": frozenset(cached_tokens(view.outcomes or "")),
                "lead": frozenset(w for lead in view.leads for w in cached_tokens(lead)),
            }
            all_fields.append(fields)
            for word in frozenset().union(*fields.values()):
                doc_freq[word] = doc_freq.get(word, 0) + 1
                postings.setdefault(word, []).append(position)
        n = max(len(views), 1)
        # BM25's idf, floored above zero: a word in every action still counts a little.
        idf = {
            w: max(math.log(1 + (n - df + 0.5) / (df + 0.5)), 0.05) for w, df in doc_freq.items()
        }
        # Unstemmed spellings too: "exploitaton" is nearer "exploitation" than its stem.
        spellings: dict[str, str] = {}
        pairs: dict[str, tuple[str, str]] = {}
        pair_docs: dict[str, int] = {}
        for view in views:
            found: dict[str, tuple[str, str]] = {}
            for text in (view.text, view.workstream, view.priority or "", *view.subgroups):
                spellings.update(cached_spellings(text))
                found.update(cached_compounds(text))
            for joined in found:
                pair_docs[joined] = pair_docs.get(joined, 0) + 1
            pairs.update(found)
            for name in view.leads:
                spellings.update(cached_spellings(name))
        # The plan's own reading wins: "feedback" stays one word where the plan writes it so
        # more often than "feed back"; "score card" (five times) beats one "scorecard".
        compounds = {j: p for j, p in pairs.items() if pair_docs[j] > doc_freq.get(j, 0)}
        return cls(
            tuple(all_fields),
            idf,
            spellings,
            compounds,
            {w: tuple(at) for w, at in postings.items()},
        )


def plan_text_key(views: Sequence[ActionView]) -> tuple[object, ...]:
    """What the search depends on in `views`: their words, not their statuses or dates."""
    return tuple(
        (v.board, v.ref, v.text, v.workstream, v.priority, v.subgroups, v.leads, v.outcomes)
        for v in views
    )


#: Vocabularies by plan text: a progress update changes a status, not the words, so questions
#: between plan edits reuse one. Bounded so a deployment of many boards stays in memory.
_VOCABULARIES: OrderedDict[tuple[object, ...], Vocabulary] = OrderedDict()
CACHE_BOARDS = 2048


def vocabulary_for(views: Sequence[ActionView]) -> Vocabulary:
    """The (cached) vocabulary of these actions' plan text."""
    key = plan_text_key(views)
    found = _VOCABULARIES.get(key)
    if found is None:
        found = _VOCABULARIES[key] = Vocabulary.build(views)
        if len(_VOCABULARIES) > CACHE_BOARDS:
            _VOCABULARIES.popitem(last=False)
    else:
        _VOCABULARIES.move_to_end(key)
    return found


class PlanIndex:
    """Per-board search structures over the board's action views (their words cached)."""

    def __init__(self, views: Sequence[ActionView]) -> None:
        self.views = list(views)
        vocabulary = vocabulary_for(self.views)
        self.fields = vocabulary.fields
        self.idf = vocabulary.idf
        self.spellings = vocabulary.spellings
        self.compounds = vocabulary.compounds
        self.postings = vocabulary.postings
        self.vocabulary = list(self.idf)
        self._position = {id(view): i for i, view in enumerate(self.views)}
        self._refs: dict[tuple[str, str], list[ActionView]] = {}
        self._plain: str | None = None

    def plain_text(self) -> str:
        """The plan's own words, lower case, for finding a phrase as written."""
        if self._plain is None:
            self._plain = " ".join(
                " ".join(v.text.lower().split() + v.workstream.lower().split())
                for v in self.views
            )
        return self._plain

    def weight(self, word: str) -> float:
        """How much `word` says about what a question is after, on this board."""
        return self.idf.get(word, 0.0) * (GENERAL_WEIGHT if word in GENERAL else 1.0)

    def strong(self, word: str) -> bool:
        """A word that can carry a match on its own (not one every plan uses)."""
        return word in self.idf and word not in GENERAL

    def correct(self, word: str) -> str | None:
        """The plan's own word (stemmed) for `word`: itself, a plural, a typo or a prefix."""
        stemmed = stem(word)
        if stemmed in self.idf:
            return stemmed
        if word in self.spellings:
            return self.spellings[word]
        if word.endswith("s") and stem(word[:-1]) in self.idf:
            return stem(word[:-1])  # "jcrs" → "jcr": the stemmer keeps acronyms' plurals
        if len(word) < 4 or not self.vocabulary or stemmed in TOPIC_TERMS:
            return None
        if len(word) >= 5:  # four letters are too few to guess a typo from ("down", "own")
            slips = 2 if len(word) >= TYPO_LONG else 1
            raw = process.extractOne(
                word, list(self.spellings), scorer=OSA.distance, score_cutoff=slips
            )
            if raw:
                return self.spellings[raw[0]]
        prefixed = {self.spellings[w] for w in self.spellings if w.startswith(word)}
        if len(prefixed) == 1:  # "perf" → performance, "safeg" → safeguarding
            return prefixed.pop()
        return None

    def missing_topic(self, word: str) -> str | None:
        """The safeguarding topic `word` names (typos allowed) when the plan never uses it."""
        stemmed = stem(word)
        if stemmed in TOPIC_TERMS:
            return word
        if len(word) < 5:
            return None
        best = process.extractOne(word, _TOPIC_WORDS, scorer=fuzz.ratio, score_cutoff=85)
        return str(best[0]) if best else None

    def split(self, word: str) -> list[str]:
        """A run-together word the plan writes as two ("scorecards" → "score", "card")."""
        for i in range(3, len(word) - 2):
            left, right = stem(word[:i]), stem(word[i:])
            if self.strong(left) and self.strong(right):
                return [left, right]
        return []

    def titled(self, words: set[str]) -> tuple[list[ActionView], str]:
        """The actions of the one priority or work stream whose whole title the question gives
        ("the CSE priority - what's everyone doing": priority 2, CHILD SEXUAL EXPLOITATION).

        The title that shares most words with the question wins; a tie between two is no
        answer. A work stream wins over its own priority when both fit.
        """
        best: tuple[int, int] = (0, 0)
        chosen: list[tuple[str, str, str]] = []
        for level, key in (("priority", "priority_ref"), ("work stream", "workstream_ref")):
            seen: set[str] = set()
            for view in self.views:
                ref = getattr(view, key) or ""
                title = view.priority if level == "priority" else view.workstream
                if not ref or not title or ref in seen:
                    continue
                seen.add(ref)
                said = title_words(title)
                if not said or not said <= words:
                    continue
                rank = (len(said), level == "work stream")
                if rank > best:
                    best, chosen = rank, [(key, ref, title)]
                elif rank == best:
                    chosen.append((key, ref, title))
        if len(chosen) != 1:
            return [], ""
        key, ref, title = chosen[0]
        return [v for v in self.views if getattr(v, key) == ref], f"{ref} {title}"

    def words_in(self, view: ActionView) -> frozenset[str]:
        """Every word of `view`'s topic fields (it must be one of this index's views)."""
        fields = self.fields[self._position[id(view)]]
        return frozenset().union(*(fields[f] for f in TOPIC_FIELDS))

    def by_ref(self, ref: str) -> list[ActionView]:
        """Actions whose ref is `ref`, or all actions of the work stream or priority so numbered."""
        if not self._refs:
            levels = (("action", "ref"), ("stream", "workstream_ref"), ("priority", "priority_ref"))
            for level, key in levels:
                for view in self.views:
                    number = (getattr(view, key) or "").lower()
                    self._refs.setdefault((level, number), []).append(view)
        ref = ref.lower().rstrip(".")
        for level in ("action", "stream", "priority"):
            if (level, ref) in self._refs:
                return self._refs[(level, ref)]
        return []

    def resolve(self, words: Iterable[str]) -> Search:
        """Map a question's words onto the plan's vocabulary; nothing is scored yet."""
        result = Search()
        for word in list(dict.fromkeys(words))[:MAX_WORDS]:
            # Two words the plan writes apart are the plan's reading, even where it also
            # runs them together once ("score card" five times, "scorecard" in a KPI).
            halves = [w for w in self.compounds.get(stem(word), ()) if self.strong(w)]
            if halves:  # "relaunch" for "re-launch": the half that says something
                found = halves
            else:
                fixed = self.correct(word)
                found = [fixed] if fixed else self.split(word)
            topic = None if found else self.missing_topic(word)
            if found:
                result.known += [w for w in found if w not in result.known]
            elif topic:
                result.missing.append(topic)
            else:
                result.ignored.append(word)
        return result

    def search(self, words: Iterable[str], fields: frozenset[str] = TOPIC_FIELDS) -> list[Hit]:
        """The actions best covering `words` (already tokenised); ties returned in plan order."""
        return self.find(list(words), fields).hits

    def find(self, words: list[str], fields: frozenset[str] = TOPIC_FIELDS) -> Search:
        """Resolve and score `words`; `hits` holds the tying best actions, best first."""
        result = self.resolve(words)
        query = result.known
        total = sum(self.weight(w) for w in query)
        if not query or total <= 0:
            return result
        strong = {w for w in query if self.strong(w)}
        weights = {w: self.weight(w) for w in query}
        scored: list[Hit] = []
        # Only actions sharing a word with the question can score (the rest have no spread).
        sharing = sorted({i for w in query for i in self.postings.get(w, ())})
        for view, view_fields in ((self.views[i], self.fields[i]) for i in sharing):
            spread, carried = 0.0, dict[str, float]()
            for word in query:
                best_field = max(
                    (f for f in fields if word in view_fields[f]),
                    key=lambda f: FIELD_WEIGHT[f],
                    default=None,
                )
                if best_field is None:
                    continue
                spread += weights[word] * FIELD_WEIGHT[best_field]
                for f in fields:
                    if word in view_fields[f]:
                        carried[f] = carried.get(f, 0.0) + weights[word] * FIELD_WEIGHT[f]
            if not spread:
                continue
            if strong and not any(w in strong and _has(view_fields, fields, w) for w in query):
                continue  # only incidental words in common: not what was asked about
            via = max(carried, key=lambda f: carried[f])
            score = max(carried[via], spread * SPREAD) / total
            scored.append(Hit(view, score, via))
        if not scored:
            return result
        asked = set(query)
        titled = [
            h
            for h, view_fields in ((h, self.fields[self._position[id(h.view)]]) for h in scored)
            if any(view_fields[f] and view_fields[f] == asked for f in TITLE_FIELDS & fields)
        ]
        if titled:
            # The question names a work stream or priority by its title: that is the answer.
            result.hits = [Hit(h.view, 1.0, h.via) for h in titled]
            return result
        top = max(h.score for h in scored)
        result.hits = sorted(
            (h for h in scored if h.score >= top - TIE), key=lambda h: -h.score
        )
        return result


def _has(view_fields: dict[str, frozenset[str]], fields: frozenset[str], word: str) -> bool:
    return any(word in view_fields[f] for f in fields)


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
def title_words(text: str) -> frozenset[str]:
    """A title's own words (glossary tokens, not the phrases' words beside them)."""
    return frozenset(w for w in tokens(text) if not looks_like_ref(w))


@lru_cache(maxsize=CACHE_TEXTS)
def cached_compounds(text: str) -> tuple[tuple[str, tuple[str, str]], ...]:
    """Plan text's hyphenated words and adjacent word pairs, by the stem of the two joined."""
    words = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", canonicalise(text, keep=True))
    out: list[tuple[str, tuple[str, str]]] = []
    for word in words:  # "re-launch", "e-learning": the hyphen's two halves, however short
        parts = word.split("-")
        if len(parts) == 2 and all(p.isalpha() for p in parts):
            out.append((stem("".join(parts)), (stem(parts[0]), stem(parts[1]))))
    flat = [p for w in words for p in w.split("-")]
    for left, right in zip(flat, flat[1:], strict=False):
        if min(len(left), len(right)) >= 3 and not {left, right} & STOPWORDS:
            out.append((stem(left + right), (stem(left), stem(right))))
    return tuple(out)


@lru_cache(maxsize=CACHE_TEXTS)
def cached_spellings(text: str) -> tuple[tuple[str, str], ...]:
    """Each word of plan text as written, with its stem (for correcting typos)."""
    return tuple(
        (raw, stem(raw))
        for raw in _TOKEN.findall(canonicalise(text, keep=True))
        if raw not in STOPWORDS and len(raw) > 2
    )
