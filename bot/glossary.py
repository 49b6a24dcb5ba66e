"""The field's acronyms and synonyms, so "CSE" finds "child sexual exploitation" and back again.

Each entry maps phrases that mean the same thing to one canonical token. Plan text and
questions are both rewritten with it before matching, so either spelling finds the other.
"""

from __future__ import annotations

import re

# canonical token: phrases (lower case) that stand for it
SYNONYMS: dict[str, tuple[str, ...]] = {
    "cse": ("child sexual exploitation", "sexual exploitation", "cse"),
    "csa": ("child sexual abuse", "sexual abuse", "csa"),
    "cce": ("child criminal exploitation", "criminal exploitation", "cce"),
    "fgm": ("female genital mutilation", "fgm"),
    "mash": ("multi agency safeguarding hub", "multi-agency safeguarding hub", "mash"),
    "gcp2": ("graded care profile 2", "graded care profile", "gcp2", "gcp 2", "gcp"),
    "scr": (
        "serious case reviews",
        "serious case review",
        "child safeguarding practice reviews",
        "child safeguarding practice review",
        "cspr",
        "csprs",
        "scrs",
        "scr",
    ),
    "plr": ("partnership learning review", "plr"),
    "cdop": ("child death overview panel", "child death review", "cdop"),
    "lado": ("local authority designated officer", "lado"),
    "da": ("domestic abuse", "domestic violence", "dv", "da"),
    "marac": ("marac",),
    "mappa": ("mappa",),
    "lac": (
        "looked after children",
        "looked-after children",
        "children looked after",
        "children in care",
        "child in care",
        "looked after",
        "looked-after",
        "cla",
        "cic",
        "lac",
    ),
    "cin": ("children in need", "child in need", "cin"),
    "cp": ("child protection", "cp"),
    "iro": ("independent reviewing officer", "iro"),
    "yot": (
        "youth offending team",
        "youth offending service",
        "youth justice service",
        "youth justice",
        "yos",
        "yjs",
        "yot",
    ),
    "wt2018": ("working together 2018", "working together", "wt 2018", "wt 18", "wt18", "wt2018"),
    "qa": ("quality assurance", "qa"),
    "s11": ("section 11", "sec 11", "sec. 11", "s11", "s 11"),
    "s175": ("section 175", "s175", "s 175"),
    "s47": ("section 47", "s47", "s 47"),
    "voc": (
        "voice of the child",
        "voice of children",
        "child's voice",
        "childs voice",
        "voice of young people",
        # How people say it without the phrase: hearing, listening, their views and wishes.
        "hearing from children",
        "hear from children",
        "hearing from young people",
        "hear from young people",
        "listening to children",
        "listen to children",
        "listening to young people",
        "what children tell us",
        "what children say",
        "children's views",
        "views of children",
        "views of young people",
        "wishes and feelings",
        "voc",
    ),
    "earlyhelp": ("early help", "eh"),
    "missing": (
        "missing from home",
        "go missing",
        "missing children",
        "running away",
        "run away",
        "runaways",
        "missing",
    ),
    "neglect": (
        "childhood neglect",
        "child neglect",
        "neglected",
        "not being fed",
        "not fed",
        "not cared for",
        "poor home conditions",
        "neglect",
    ),
    "ofsted": ("ofsted",),
    "prevent": (  # the national counter-radicalisation duty and strategy
        "prevent strategy",
        "prevent duty",
        "radicalisation",
        "radicalization",
        "radicalised",
        "extremism",
        "prevent",
    ),
    "esafety": (
        "e-safety",
        "esafety",
        "online safety",
        "internet safety",
        "online abuse",
        "online harm",
        "online harms",
        "staying safe online",
    ),
    "training": ("training", "learning and development", "courses", "t&d", "l&d"),
    "audit": ("audits", "auditing", "audit"),
    "procedures": ("procedures", "policies", "policy"),
    "p&p": ("policy and procedures", "policies and procedures", "p&p"),
    "l&i": ("learning and improvement", "l&i"),
    "kpi": (
        "key performance indicators",
        "key performance indicator",
        "performance indicators",
        "performance indicator",
        "kpis",
        "kpi",
        "pis",
    ),
    "cyp": (
        "children and young people",
        "children & young people",
        "young people",
        "young person",
        "ch&yp",
        "yp",
        "cyp",
    ),
    "hbv": ("honour based violence", "honour-based violence", "honour based abuse", "hbv"),
    "mentalhealth": ("mental health", "emotional wellbeing", "camhs", "mh"),
    "imr": ("individual management reviews", "individual management review", "imrs", "imr"),
    "macfa": (
        "multi-agency case file audits",
        "multi agency case file audits",
        "multi-agency case file audit",
        "multi agency case file audit",
        "macfas",
        "macfa",
    ),
    "marf": ("multi-agency referral form", "multi agency referral form", "marf"),
    "csp": ("community safety partnership", "csp"),
    "yjb": ("youth justice board", "yjb"),
    "ccg": ("clinical commissioning groups", "clinical commissioning group", "ccgs", "ccg"),
    "la": ("local authority", "la"),
    "communications": ("communications", "communication", "comms"),
    "executive": ("executive", "exec"),
}

#: Glossary tokens that name how the work is organised rather than a safeguarding subject:
#: "online safety training" is about online safety, which a plan without it does not cover,
#: however much training it has.
STRUCTURAL = frozenset(
    "training audit procedures p&p l&i qa communications executive kpi s11 s175 s47 ofsted "
    "wt2018 la ccg csp imr macfa marf yjb cyp iro plr".split()
)

#: Acronyms the plans use for their own bodies, places and documents, kept as the plan writes
#: them (DESIGN.md: "MEG stays MEG unless the plan says what it stands for"), and general
#: ones every reader knows. tests/bot/test_glossary.py fails on an acronym in a plan that is
#: in neither this list nor SYNONYMS, so each new one is classified once.
PLAN_NAMES = frozenset(
    "MEG IFPG QAP MAG WASB WFADA WISH WMDC YDSS SIP JCR CD WY WT RAG NHS HMIP HMP YOI CRC "
    "RMM NFA LSCB SCB NOTE".split()
)

#: Safeguarding topics people ask about by name. A question naming one that the board's plan
#: never mentions is answered "the plan has nothing on …", never with an incidental match.
TOPICS: tuple[str, ...] = (
    "terrorism", "cce",
    "csa", "fgm", "trafficking", "modern slavery", "gangs", "knife crime", "serious violence",
    "self-harm", "self harm", "suicide", "bullying", "cyberbullying", "sexting", "grooming",
    "drugs", "alcohol", "substance misuse", "homelessness", "asylum", "uasc", "obesity",
    "immunisation", "vaccination", "private fostering", "adoption", "forced marriage",
    "honour based", "county lines", "disability", "disabled children",
    "mental health", "pornography", "female genital mutilation", "breast ironing",
)  # fmt: skip

#: Each phrase with its token, longest pattern first (so "child sexual exploitation" is read
#: before "sexual exploitation"). A phrase's pattern is compiled the first time a text holds it.
_PHRASES: list[tuple[str, str]] = sorted(
    (
        (phrase, token)
        for token, phrases in SYNONYMS.items()
        for phrase in phrases
        if phrase != token
    ),
    key=lambda pair: -len(re.escape(pair[0])),
)
_COMPILED: dict[str, re.Pattern[str]] = {}


def _pattern(phrase: str) -> re.Pattern[str]:
    """The phrase as a whole word or words (not inside a longer word)."""
    found = _COMPILED.get(phrase)
    if found is None:
        found = _COMPILED[phrase] = re.compile(
            r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])"
        )
    return found


def canonicalise(text: str, keep: bool = False) -> str:
    """Lower-case `text` with every known phrase replaced by its canonical token.

    With keep=True the phrase stays beside its token, so plan text can still be found by its
    own words when a question misspells the phrase ("child sexual exploitaton").
    """
    text = text.lower().replace("’", "'").replace("–", "-")
    for i, (phrase, token) in enumerate(_PHRASES):
        # A pattern can only match where its phrase is written; after the first pass the text
        # is single-spaced, so a phrase that is absent leaves it exactly as it is.
        if i and phrase not in text:
            continue
        text = _pattern(phrase).sub(
            (lambda m, t=token: f" {m.group(0)} {t} ") if keep else f" {token} ", text
        )
        text = " ".join(text.split())  # keep phrases single-spaced for the next pattern
    return text


#: The glossary's phrases of two words or more, by length in words.
_MULTIWORD: dict[int, list[str]] = {}
for _phrases in SYNONYMS.values():
    for _phrase in _phrases:
        if " " in _phrase:
            _MULTIWORD.setdefault(len(_phrase.split()), []).append(_phrase)


def correct_phrase_words(text: str, cutoff: float = 88) -> str:
    """Mend a misspelt glossary phrase ("graded care profle", "domestic abuze") so it matches.

    Only whole runs of words that come close to a known phrase are changed; single words are
    left alone, so "leading" never becomes "learning".
    """
    from rapidfuzz import fuzz, process

    words = text.lower().split()
    out: list[str] = []
    i = 0
    while i < len(words):
        for size in sorted(_MULTIWORD, reverse=True):
            chunk = " ".join(words[i : i + size])
            if len(chunk.split()) < size:
                continue
            best = process.extractOne(
                chunk, _MULTIWORD[size], scorer=fuzz.ratio, score_cutoff=cutoff
            )
            if best:
                out.append(str(best[0]))
                i += size
                break
        else:
            out.append(words[i])
            i += 1
    return " ".join(out)
