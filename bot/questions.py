"""Turn a plain-words question into a structured Query: what is asked, about whom, for when.

People type in Slack the way they talk: "quick one - hows the neglct toolkit looking?",
"what r we doing on youth justice stuff", "the board's three priorities?". Reading is in
three steps, none of which gives up on a word it does not know:

1. normalise: lower case, one kind of quote and dash, casual spellings ("r", "u", "whos"),
   possessives, then the glossary's phrases ("child sexual exploitation" → cse);
2. take out what is about *time* (overdue, due in the next 4 weeks, before the end of
   January, since Monday), resolving named months and days forward from today;
3. score the cues of each intent (who leads, what changed, priorities, help …) and pick the
   strongest; whatever is not a cue is left as the topic, for bot.search to weigh against
   the board's own plan (words the plan never uses are ignored there, not here).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

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


@dataclass(frozen=True)
class Query:
    intent: Intent
    text: str
    mine: bool = False  # "my", "me", "I": the asker's own actions
    topic: str = ""
    due: DueWindow | None = None
    since: date | None = None
    status_asked: bool = False
    subgroup_cue: bool = False  # words that ask about a group's or role's own work
    team: bool = False  # "we", "our", "us": the asker's own work when they have a role
    everything: bool = False  # "all actions", "across the whole plan": the whole plan
    role_text: str = ""  # a role the asker names for themself: "as the MEG chair", "I'm the …"
    subject: str = ""  # whose work: "the training group" in "what's the training group doing"
    head: str = ""  # the subject line of "SCR learning - how do we make sure it changes practice"
    refs: tuple[str, ...] = ()  # "1.2a", "priority 2", "objective 3": numbered parts of the plan
    quoted: str = ""  # a phrase in quotes: "where's the 'everybody's business' campaign"
    titled: bool = False  # "the CSE priority", "the licensing objective": a level by its title


MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
MONTHS["sept"] = 9
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_NUMBERS = {w: i for i, w in enumerate(_NUMBER_WORDS)} | {"thirty": 30, "a": 1, "couple": 2}
_NUM = r"\d+|" + "|".join(sorted(_NUMBERS, key=len, reverse=True))
MAX_DAYS = 3660  # "the next 99999 days" is read as the next ten years
MAX_QUESTION = 600  # characters read of a question; a pasted document is not a question

# -- step 1: normalising ----------------------------------------------------------------------

_CASUAL = {
    "r": "are",
    "u": "you",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "whats": "what is",
    "wots": "what is",
    "wot": "what",
    "hows": "how is",
    "whos": "who is",
    "wheres": "where is",
    "whose": "who is",
    "thats": "that is",
    "im": "i am",
    "ive": "i have",
    "id": "i would",
    "ill": "i will",
    "dont": "do not",
    "didnt": "did not",
    "isnt": "is not",
    "arent": "are not",
    "wanna": "want to",
    "gonna": "going to",
    "abt": "about",
    "re": "about",
    "thru": "through",
    "w/": "with",
    "b4": "before",
    "2day": "today",
    "wk": "week",
    "wks": "weeks",
    "mth": "month",
    "mths": "months",
    "grp": "group",
    "grps": "groups",
    "cttee": "committee",
    "ctte": "committee",
    "cttees": "committees",
    "subgrp": "sub group",
    "trng": "training",
    "xmas": "christmas",
    "info": "information",
    "gd": "good",
    "tmrw": "tomorrow",
    "peoples": "people",
    "childrens": "children",
    "subgroup": "sub group",
    "subgroups": "sub groups",
    "subcommittee": "sub committee",
    "subcommittees": "sub committees",
}
_CONTRACTIONS = re.compile(r"\b(what|how|who|where|that|it|there|here)'s\b")
_POSSESSIVE = re.compile(r"(?<=[a-z0-9])(?:'s|s')(?=\s|$)")
_EDGE_PUNCT = "?!.,;:()[]{}\"*_~`'"


def normalise(text: str) -> str:
    """Lower case, plain quotes and dashes, casual spellings and possessives undone."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = re.sub(r"[\u2018\u2019\u02bc`´]", "'", text)
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    text = re.sub(r"<@[a-z0-9]+(?:\|[^>]*)?>", " ", text)  # a mention of the bot
    text = _CONTRACTIONS.sub(r"\1 is", text)
    text = re.sub(r"\bi'm\b", "i am", text)
    text = re.sub(r"\b(i|we|you|they)'(ve|re|ll|d)\b", r"\1 \2", text)
    words = []
    for raw in re.split(r"\s+|(?<!\d)/|/(?!\d)|(?<=[a-z])[,;!?]+(?=[a-z])", text):
        word = raw.strip(_EDGE_PUNCT)
        if not word:
            continue
        if word.endswith("'") or re.fullmatch(r"[a-z0-9&.-]+'s", word):
            word = _POSSESSIVE.sub("", word)
        words.append(_CASUAL.get(word, word))
    return " ".join(" ".join(words).split())


# -- step 3: cues -------------------------------------------------------------------------------

_LEAD_WORD = (
    r"(?:leads?|leading|leadin|led|lead on|responsible|accountable|in charge|owns?|owner|owning|"
    r"handling|heading|looking after|chairs?|chairing|driving|behind)"
)
_CUES: dict[Intent, tuple[tuple[str, float], ...]] = {
    Intent.HELP: (
        (r"^(?:help|\?|commands|examples?|usage|menu|hi|hello|hey|hiya)$", 4),
        (r"\bwhat (?:can|should) (?:you|i) (?:do|ask)\b", 4),
        (r"\bhow (?:do|can|should) (?:i|you|we) use\b", 4),
        (r"\bwhat do you do\b", 4),
    ),
    Intent.OVERVIEW: (
        (r"\b(?:overview|summary|summarise|at a glance)\b", 3),
        (r"^(?:the )?(?:whole |business |full )?plan$", 4),
    ),
    Intent.PRIORITIES: (
        (r"\b(?:strategic )?(?:priorities|objectives|aims|priority areas)\b", 2.5),
        (r"\bstrategic priority\b(?! \d)", 2.5),
    ),
    Intent.WHO_LEADS: (
        (r"\bwho\b", 1.5),
        (rf"\b{_LEAD_WORD}\b", 1),
        (r"\bwhich (?:sub group|group|team|person|role|agency|committee|panel|officer)\b", 1.5),
        (r"^(?:the )?(?:lead|leads|owner|owners) (?:for|of|on)\b", 3),
        (r"\bwho(?: is| are)? (?:the )?(?:lead|owner|chair)\b", 1),
    ),
    Intent.CHANGES: (
        (r"\bwhat (?:has |have )?(?:changed|moved|been updated)\b", 3),
        (r"\b(?:any|recent|latest|new) (?:changes|updates|movement)(?:$| this| since| in the)", 3),
        (r"^(?:recent |latest )?(?:changes|updates)(?:$| this| since| in the| today)", 3),
        (r"\bwhat is new\b", 3),
        (r"\b(?:recently|just) updated\b", 3),
        (r"\bupdates? (?:received|posted|made|added)\b", 3),
        (r"\bwho (?:has )?(?:updated|posted)\b", 3),
    ),
    Intent.SUBGROUPS: (
        (r"\b(?:list|which|what) (?:are )?(?:the |all )?(?:sub groups|sub committees)\b", 3),
        (
            r"\bwhat (?:sub groups|sub committees|groups|committees) "
            r"(?:are there|do we have|exist)\b",
            3,
        ),
    ),
}
_COMPILED = {
    intent: tuple((re.compile(p), w) for p, w in cues) for intent, cues in _CUES.items()
}
THRESHOLD = {Intent.WHO_LEADS: 2.5, Intent.CHANGES: 3, Intent.HELP: 4}

_ASKING = re.compile(
    r"\b(?:can|could|would) you (?:please )?(?:tell|show|give|send|list) me\b|"
    r"\b(?:tell|show|give|send|remind) me\b|\blet me know\b|\bfor me to see\b|\bhelp me\b"
)
_ROLE_INTRO = re.compile(
    r"^(?:hi |hello |hey |hiya )?(?P<here>[a-z0-9&.' ]{2,60}?) here\b|"
    r"(?:(?:^|[,.-] )as|(?<!such )(?<!well )(?<!soon )(?<!far )\bas(?= (?:the|a|an) )|"
    r"\bspeaking as|\bi am|\bi have just started as|\bi just started as|"
    r"\bjust started as|\bi have taken over as|\btaking over as|\bi have become|"
    r"\bnewly appointed|\bchairing|\bi chair|\bacting up as|"
    # Who the asker is, said in passing: "(I run a dental practice)", "just joined MEG".
    r"\b(?:i|we) (?:run|manage|work (?:in|at|for|with|on)|represent|sit on)|"
    r"\b(?:i have |i have been |have been |been )?just (?:been )?(?:added to|joined|appointed to)|"
    r"(?P<acting>\bcovering for|\bstanding in for|\bdeputising for|\bdeputizing for|"
    r"\bon behalf of))"
    r" (?:the |a |an )?(?:new )?(?P<role>[a-z0-9&.' -]+?)"
    r"(?=\s*(?:,|-|\.|$| and | so | what | which | how | can | could | is | are | do | does |"
    r"(?<![\w&])i | here| for | now| this| today|!|\?))"
)
_MINE = re.compile(r"\b(?:my|mine|me|myself|i)\b")
_TEAM = re.compile(r"\b(?:we|our|ours|us|ourselves)\b")
#: Words that say a group's or role's own work is asked about ("the CSE sub group's actions").
_OWNER_CUE = re.compile(
    r"\b(?:sub groups?|sub committees?|sub-groups?|sub-committees?|committees?|panels?|sub|"
    r"groups?|task groups?|ours|theirs|actions? (?:for|of)|remit|own|owns|leads on|row|rows|"
    r"column|cell)\b|'s actions"
)
#: "what is <subject> doing / working on / got on": the subject is whose work is asked about.
_SUBJECT = re.compile(
    r"^(?:(?:so|and|ok|right|hi|hey)\s+)*(?:what|how|where|which|anything)?\s*"
    r"(?:is|are|has|have|does|do|did)?\s*(?:the\s+)?(?P<subject>[a-z0-9&' .-]*?)\s*"
    r"\b(?P<verb>doing|working on|got on|got|up to|do|does|delivering|leading on|covering|"
    r"monitoring|overseeing|reporting on|reporting|responsible for|looking at|in charge of|"
    r"asking|asked to do|meant to do|supposed to do|have to do|has to do)\b"
)
_EVERYTHING = re.compile(
    r"\b(?:all|every|everything|whole|entire|full list|across the board|list|show|"
    r"board-wide|boardwide)\b"
)
_STATUS = re.compile(
    r"\b(?:doing (?:on|about|with|around|for|to)|working on|(?:work|plans?) (?:on|around)|"
    r"status|update|updates|progress|where are we|where is|how is|how are|"
    r"how is it going|happening|tell me about|what about|any news|news on|rag|looking|"
    r"movement|getting on)\b"
)
#: Words that ask *how* rather than *what*: never part of a topic.
_FILLER = re.compile(
    r"(?<![\w&])(?:status|rag ratings?|rag|update|updates|progress|latest|news|going|getting on|"
    r"happening|looking|look like|movement|doing|got on|working on|stuff|things|bits|"
    r"personally|named|down for|down|actually|really|exactly|properly|row|rows|column|cell|"
    r"help|need help|finding|find|looking for|where is|sits? under|sitting under|under it|under|"
    r"gone past|past (?:its|their|the) (?:date|deadline)s?|"
    r"expected of|expected to|supposed to|meant to|asked of|make sure|making sure|"
    r"priority(?! \d)|objectives?(?! \d)|work ?streams?(?! \d)|strands?(?! \d)|"
    r"in (?:the|our) (?:business )?plan|anywhere|at all|(?:the|our|tomorrow|tomorrows|next|"
    r"last|this|before the|before) board(?: meeting)?|meant to be|supposed to be|meant|"
    r"delivering|delivered|achieving|achieved|across the (?:whole |entire )?"
    r"(?:plan|board)|the whole plan|the board|quick one|quick question|question|"
    r"please|thanks|thank you|cheers|sorry|ta|hi|hello|hey|hiya|good|morning|afternoon|"
    r"before|after|tomorrow|tonight|today|yesterday|"
    r"rollout|roll out|at the moment|at this point|at this stage|to date|currently|right now|"
    r"(?:the|in a|by the|on the) ways? (?:we|you|they|it|that|in which)|"
    r"(?:this|for the|over the|in the|during the) (?:financial |plan |business )?(?:year|yr)|"
    r"now|so far|overall|"
    r"remind|chase|chasing|before the board|before board|for the board meeting|"
    r"board meeting|meeting|ahead of|area|responsible for|in charge of|"
    r"sub groups?|sub committees?|sub-groups?|sub-committees?|committee|task group|panel|sub|"
    r"actions?|items?|tasks?|work|priorities|objectives|plate|on my plate|"
    r"need to|have to|should|must|get done|deliver|list|show|all|everything|every|whole|"
    r"involves?|involved|involving|mentions?|mentioned|mentioning|relates? to|related to|"
    r"relating to|to do with|connected (?:to|with)|"
    r"who|whom|which|lead|leads|leading|leadin|led|owner|owns?|handling|heading|"
    r"in charge|accountable)(?![\w&])"
)


def _score(words: str) -> tuple[Intent, float]:
    best, best_score = Intent.ACTIONS, 0.0
    for intent, cues in _COMPILED.items():
        score = sum(weight for pattern, weight in cues if pattern.search(words))
        if score >= THRESHOLD.get(intent, 2.5) and score > best_score:
            best, best_score = intent, score
    return best, best_score


_GLOSSARY_REFS = frozenset({"s11", "s47", "s175", "gcp2", "wt2018"})
_LEVEL = r"(?:priority|objective|outcome|strand|work ?stream|section|item|action|ref|no|number)"
_REF_MENTION = re.compile(
    rf"\b{_LEVEL}\.? ([a-z]?\d+(?:\.\d+)*[a-z]?)\b"
    r"|(?<![\w.])(\d+\.\d+(?:\.\d+)*[a-z]?|\d+[a-z]|[a-z]\d+)(?![\w.])"
)
_QUOTED = re.compile(
    r"(?:(?<=\s)|^)[\"“‘'](?=\S)((?:[^\"“”‘’'\n]|(?<=[A-Za-z])['’](?=[A-Za-z])){3,120}?)"
    r"(?<=\S)[\"”’'](?=[\s.,;:!?)]|$)"
)


def _refs(words: str) -> tuple[str, ...]:
    """Numbered parts of the plan the question names. A bare number is a count ("the 3
    priorities") unless a plan level names it ("priority 3")."""
    found = [m.group(1) or m.group(2) for m in _REF_MENTION.finditer(words) if not _glossary_ref(m)]
    return tuple(dict.fromkeys(found))[:12]


def _glossary_ref(match: re.Match[str]) -> bool:
    return (match.group(1) or match.group(2)) in _GLOSSARY_REFS  # "s11" is a section, not a ref


_LEVEL_NUMBER = re.compile(
    r"\b(priority|objective|outcome|work ?stream|strand|number|no)\.? ("
    + "|".join(_NUMBER_WORDS[1:])
    + r")\b"
)


#: A plan level named by its title, not its number: "the CSE priority", "objective on LAC".
_TITLED = re.compile(
    r"\b(?:priority|objective|work ?stream|strand|outcome|sub objective|sub-objective|theme)"
    r"(?!\s+(?:\d|[a-z]\b|areas?\b))"
)


def parse(text: str, today: date) -> Query:
    """Read `text` (a question in plain words) as a Query, with dates relative to `today`."""
    raw = normalise(text[:MAX_QUESTION])
    raw = _LEVEL_NUMBER.sub(lambda m: f"{m.group(1)} {_NUMBERS[m.group(2)]}", raw)
    # Glossary first, so "voice of the child" survives the removal of "of" and "the" below.
    words = " ".join(canonicalise(correct_phrase_words(raw)).split())
    if not words:
        return Query(Intent.HELP, raw)

    since, words = _since(words, today)
    due: DueWindow | None = None
    if since is None:
        due, words = _due_window(words, today)

    role_text = acting_for = ""
    for _ in range(3):  # "just been added to MEG as the primary care rep (I run a practice)"
        intro = _ROLE_INTRO.search(words)
        if intro is None:
            break
        said = (intro.group("role") or intro.group("here")).strip()
        if intro.group("acting"):  # "covering for the business manager": about their work
            acting_for = acting_for or said
        else:
            role_text = role_text or said
        words = (words[: intro.start()] + " " + words[intro.end() :]).strip()
    quoted = _QUOTED.search(text or "")

    intent, _ = _score(words)
    if intent is not Intent.ACTIONS and intent is not Intent.OVERVIEW:
        for pattern, _weight in _COMPILED[intent]:
            words = pattern.sub(" ", words)  # the cue is said; what is left is the subject
    if since is not None and intent is Intent.ACTIONS:
        intent = Intent.CHANGES
    if intent is Intent.CHANGES and since is None:
        since = today - timedelta(days=today.weekday())
    if intent is Intent.OVERVIEW:
        rest = re.sub(r"\b(?:overview|summary|summarise|at a glance|of|for|the|plan)\b", " ", raw)
        return Query(Intent.OVERVIEW, raw, topic=" ".join(rest.split()))

    words = _ASKING.sub(" ", words)  # "tell me about X" is not about me
    subgroup_cue = bool(_OWNER_CUE.search(words))
    status_asked = bool(_STATUS.search(words))
    subject_match = _SUBJECT.search(words)
    subject = subject_match.group("subject") if subject_match else ""
    # "wakefield - what are they doing": the subject is what stands right before the verb.
    subject = re.sub(
        r"^.*\b(?:what|how|where|which|who)\b\s*(?:is|are|has|have|does|do|did)?\s*(?:the\s+)?",
        "",
        subject,
    ).strip(" -,.:;")
    subject = re.split(r"\s[-:]\s|[,;]\s", subject)[-1]  # "CSE victims - is anyone looking"
    subject = re.sub(r"^(?:is|are|has|have|does|do|did)\s+", "", subject).strip()
    if re.fullmatch(
        r"(?:we|they|you|i|it|he|she|us|everyone|people|anyone|anybody|someone|somebody)?",
        subject,
    ):
        subject = ""
    subject = acting_for or subject
    if subject_match and subject:  # "what's the Q&R sub-committee monitoring": not a topic word
        words = words[: subject_match.start("verb")] + " " + words[subject_match.end("verb") :]
    refs = _refs(words)
    titled = bool(_TITLED.search(words))
    words = _REF_MENTION.sub(lambda m: m.group(0) if _glossary_ref(m) else " ", words)
    mine = bool(_MINE.search(words))
    team = bool(_TEAM.search(words))
    everything = bool(_EVERYTHING.search(words))
    topic = _topic(words)
    head = ""
    parts = re.split(r"\s+[-:]\s+|:\s+", words, maxsplit=1)
    if len(parts) == 2 and all(p.strip() for p in parts):
        head = _topic(parts[0])
    if intent in (Intent.HELP, Intent.PRIORITIES, Intent.SUBGROUPS) and (
        topic or due or mine or role_text or refs
    ):
        # "what are the priorities for neglect", "hi, what's overdue": the rest is the question.
        intent = Intent.ACTIONS
    if intent is Intent.ACTIONS and not (
        topic or due or mine or team or everything or role_text or refs
    ):
        if re.search(r"\b(?:priorities|objectives|aims)\b", words):
            intent = Intent.PRIORITIES
        elif re.search(r"\b(?:sub groups|sub committees)\b", words):
            intent = Intent.SUBGROUPS
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
        role_text=role_text,
        subject=subject,
        head=head if head != topic else "",
        refs=refs,
        quoted=_topic(canonicalise(normalise(quoted.group(1)))) if quoted else "",
        titled=titled,
    )


_PRONOUNS = re.compile(
    r"(?<![\w&])(?:i|me|my|mine|myself|we|our|ours|us|ourselves|you|your|they|them|their|it|its|"
    r"he|him|his|she|her|hers|"
    r"what|when|where|why|how|is|are|am|was|were|be|been|do|does|did|done|has|have|had|"
    r"can|could|would|will|shall|may|might|the|a|an|of|on|in|at|to|for|with|about|and|or|"
    r"any|some|there|here|this|that|these|those|yet|still|just|also|so|if|not|no|"
    r"know|tell|see|find|get|give|need|want|think|wondering|wonder|check|sure|ok|okay|"
    r"anything|something|one|two|three|four|five|six|seven|eight|nine|ten|new|else)(?![\w&])"
)


def _topic(words: str) -> str:
    """The question's subject: what is left once cues, filler and pronouns are taken out."""
    words = _FILLER.sub(" ", words)
    words = _PRONOUNS.sub(" ", words)
    words = re.sub(r"(?<![\w.])[-&,.:;!?]+(?![\w])", " ", words)
    return " ".join(words.split())


# -- step 2: dates --------------------------------------------------------------------------------

_OVERDUE = re.compile(
    r"\b(?:over ?due|overdue|late|running late|slipped|slipping|past (?:their |the |its )?"
    r"(?:due|target|deadline)(?: dates?)?|behind(?: schedule)?|missed (?:their |the |its )?"
    r"(?:deadlines?|targets?|target dates?|dates?)|out of date|not (?:done|completed|met) on time|"
    r"(?:gone|went|gotten|got|are|is|now)? ?past (?:its|their|the|our) (?:due |target )?"
    r"(?:dates?|deadlines?)|"
    r"(?:should|ought to|supposed to) (?:have|of) (?:been )?(?:done|finished|completed|delivered)"
    r"(?: by now)?|by now)\b"
)


def _due_window(words: str, today: date) -> tuple[DueWindow | None, str]:
    week_start = today - timedelta(days=today.weekday())
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])

    patterns: list[tuple[re.Pattern[str], object]] = [
        (_OVERDUE, lambda m: DueWindow(None, today - timedelta(days=1), "overdue", True)),
        (
            re.compile(
                rf"\b(?:due |coming up |deadlines? )?(?:in |within |over )?(?:the )?"
                rf"(?:next|coming|following) ({_NUM}) (days?|weeks?|months?|fortnights?)\b|"
                rf"\b(?:due )?within ({_NUM}) (days?|weeks?|months?|fortnights?)\b|"
                rf"\bdue in ({_NUM}) (days?|weeks?|months?|fortnights?)\b"
            ),
            _next_n(today),
        ),
        (
            re.compile(
                r"\b(?:due )?(?:in |within |over )?the (?:next|coming) (week|fortnight|month)\b"
            ),
            lambda m: _next_n(today)(re.match(r"(1) (\w+)", f"1 {m.group(1)}")),
        ),
        (
            re.compile(
                rf"\b(?:(?:due|coming up|deadlines?|happening|planned) )?(?:in|during|for) "
                rf"((?:{_MONTH})(?: \d{{4}})?)\b|\bdue ((?:{_MONTH})(?: \d{{4}})?)\b"
            ),
            lambda m: _in_month(m.group(1) or m.group(2), today),
        ),
        (
            re.compile(r"\b(?:due )?this week\b"),
            lambda m: DueWindow(today, week_start + timedelta(days=6), "due this week"),
        ),
        (
            re.compile(r"\b(?:due )?next week\b"),
            lambda m: DueWindow(
                week_start + timedelta(days=7), week_start + timedelta(days=13), "due next week"
            ),
        ),
        (
            re.compile(r"\b(?:due )?this month\b"),
            lambda m: DueWindow(today, month_end, "due this month"),
        ),
        (re.compile(r"\b(?:due )?next month\b"), lambda m: _next_month(today)),
        (
            re.compile(r"\bdue (?:soon|shortly)\b|\bcoming up\b|\bupcoming\b|\bdue imminently\b"),
            lambda m: DueWindow(today, today + timedelta(days=14), "due in the next 14 days"),
        ),
        (re.compile(r"\b(?:due )?today\b"), lambda m: DueWindow(today, today, "due today")),
        (
            re.compile(
                rf"\b(?:due |deadline |deadlines )?(?:before|by|until|till|ahead of|no later than|"
                rf"prior to|up to) (?:the )?((?:end of |start of |beginning of )?"
                rf"(?:(?:\d{{1,2}}(?:st|nd|rd|th)? (?:of )?)?(?:{_MONTH})(?: \d{{4}})?|"
                rf"\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}|"
                rf"(?:next |this )?(?:{'|'.join(_WEEKDAYS)})|christmas|easter|"
                rf"(?:the )?end of (?:the )?(?:year|month|quarter|financial year)))\b"
            ),
            lambda m: _before(m.group(1), today, strictly="before" in m.group(0)),
        ),
    ]
    for pattern, build in patterns:
        match = pattern.search(words)
        if match:
            window = build(match)  # type: ignore[operator]
            if window is not None:
                return window, (words[: match.start()] + " " + words[match.end() :]).strip()
    return None, words


def _count(text: str) -> int | None:
    if text.isdigit():
        return int(text[:9])  # a number too big for a date is capped below
    return _NUMBERS.get(text)


def _days(n: int, unit: str) -> int:
    per = {"d": 1, "w": 7, "f": 14, "m": 30}[unit[0]]
    return min(n * per, MAX_DAYS)


def _next_n(today: date):  # noqa: ANN202 - a small closure factory
    def build(match: re.Match[str] | None) -> DueWindow | None:
        if match is None:
            return None
        groups = [g for g in match.groups() if g]
        n = _count(groups[0])
        if n is None:
            return None
        unit = groups[1]
        days = _days(n, unit)
        noun = unit.rstrip("s") + ("s" if n != 1 else "")
        label = f"due in the next {n} {noun}" if days < MAX_DAYS else "due in the next ten years"
        return DueWindow(today, today + timedelta(days=days), label)

    return build


def _next_month(today: date) -> DueWindow:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return DueWindow(first, last, "due next month")


def _in_month(text: str, today: date) -> DueWindow | None:
    end = parse_date(text, today, end_of_month=True)
    if end is None:
        return None
    start = end.replace(day=1)
    return DueWindow(start, end, f"due in {end:%B %Y}")


def _before(text: str, today: date, *, strictly: bool = False) -> DueWindow | None:
    """Due by `text` ("by March": to the end of March), or strictly before it ("before March":
    to the end of February; "before 1 March": to 28 February)."""
    end_of = bool(re.search(r"\bend of\b", text))
    strictly = strictly and not end_of  # "before the end of January" includes 31 January
    whole_month = strictly and not _exact(text)
    day = parse_date(text, today, end_of_month=not whole_month)
    if day is None:
        return None
    end = day - timedelta(days=1) if strictly else day
    if end < today:
        return None
    # "Due before March" is about what is coming up; what is already late is "overdue".
    word = "before" if strictly else "by"
    return DueWindow(today, end, f"due {word} {day.strftime('%-d %b %Y')}")


def _exact(text: str) -> bool:
    return bool(re.search(r"\d{1,2}(?:st|nd|rd|th)? |\d{4}-\d{2}-\d{2}|\d/|\d\.", text))


def _since(words: str, today: date) -> tuple[date | None, str]:
    match = re.search(r"\b(?:since|from) (?:the )?(.+?)$", words)
    if match:
        text = match.group(1)
        day: date | None
        if text.startswith("last week"):
            day = today - timedelta(days=today.weekday() + 7)
        elif text.startswith("last month"):
            day = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        elif text.startswith("yesterday"):
            day = today - timedelta(days=1)
        elif text.startswith("the last board") or text.startswith("last board"):
            day = None
        else:
            day = parse_date(text, today, end_of_month=False, past=True)
        if day is not None:
            return day, words[: match.start()].strip()
    match = re.search(
        rf"\b(?:in |over |during )?(?:the )?(?:last|past|previous) ({_NUM}) "
        rf"(days?|weeks?|months?|fortnights?)\b",
        words,
    )
    if match:
        n = _count(match.group(1))
        if n:
            start = today - timedelta(days=_days(n, match.group(2)))
            return start, (words[: match.start()] + " " + words[match.end() :]).strip()
    change_words = re.search(r"\b(?:changed|changes|updated|updates|new|moved)\b", words)
    match = re.search(r"\b(?:this|last|past) (week|month)\b", words)
    if match and change_words and not _OVERDUE.search(words):
        if match.group(1) == "week":
            start = today - timedelta(days=today.weekday())
            if not match.group(0).startswith("this"):
                start -= timedelta(days=7)
        else:
            start = today.replace(day=1)
            if not match.group(0).startswith("this"):
                start = (start - timedelta(days=1)).replace(day=1)
        return start, (words[: match.start()] + " " + words[match.end() :]).strip()
    return None, words


def parse_date(
    text: str, today: date, *, end_of_month: bool, past: bool = False
) -> date | None:
    """'2019-03-31', '31/3/19', '31 March 2019', 'March 2019', 'end of March', 'next Friday'.

    A month or day named without a year is the next one from `today` (the last one with
    past=True), so "end of January" asked in December means the coming January.
    """
    text = " ".join(text.strip().lower().split())
    text = re.sub(r"^(?:the )?(?:end|start|beginning) of (?:the )?", "", text)
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if m:
        return _safe_date(int(m[1]), int(m[2]), int(m[3]))
    m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})", text)
    if m:
        year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
        return _safe_date(year, int(m[2]), int(m[1]))
    m = re.fullmatch(rf"(?:(\d{{1,2}})(?:st|nd|rd|th)? )?(?:of )?({_MONTH})(?:,? (\d{{4}}))?", text)
    if m:
        month = MONTHS[m[2]]
        day_given = int(m[1]) if m[1] else None
        year = int(m[3]) if m[3] else _forward_year(today, month, day_given, past=past)
        if day_given:
            return _safe_date(year, month, day_given)
        day = calendar.monthrange(year, month)[1] if end_of_month else 1
        return date(year, month, day)
    if re.fullmatch(r"year|financial year|quarter|month", text):
        return _end_of(text, today)
    if text == "christmas":
        return date(_forward_year(today, 12, 25, past=past), 12, 25)
    return _words_date(text, today, past)


def _forward_year(today: date, month: int, day: int | None, *, past: bool) -> int:
    """The year of the next (or, with past=True, the last) `month` as seen from `today`."""
    if past:
        return today.year if (month, day or 1) <= (today.month, today.day) else today.year - 1
    return today.year if (month, day or 31) >= (today.month, today.day) else today.year + 1


def _end_of(text: str, today: date) -> date:
    if text == "month":
        return today.replace(day=calendar.monthrange(today.year, today.month)[1])
    if text == "quarter":
        q_end_month = ((today.month - 1) // 3 + 1) * 3
        return date(today.year, q_end_month, calendar.monthrange(today.year, q_end_month)[1])
    if text == "financial year":
        return date(today.year + (today.month > 3), 3, 31)
    return date(today.year, 12, 31)


_DATE_WORDS = re.compile(
    rf"(?:(?:next|last|this|coming) )?(?:{'|'.join(_WEEKDAYS)}|week|month|year)|"
    r"today|tomorrow|yesterday|tonight|"
    rf"(?:{_NUM}) (?:days?|weeks?|months?|years?) (?:ago|time|from now)|"
    r"(?:in )?(?:a|one|two|three|four|six) (?:weeks?|months?)(?: time)?"
)


@lru_cache(maxsize=1024)
def _words_date(text: str, today: date, past: bool) -> date | None:
    """Weekdays, holidays and other words, through dateparser (loaded only when needed)."""
    if not _DATE_WORDS.fullmatch(text):
        return None  # dateparser is slow on text that is not a date: ask it only about dates
    import dateparser  # ~150 ms to import: only questions with such dates pay for it

    from bot.clock import noon_london

    settings: dict[str, object] = {
        "PREFER_DATES_FROM": "past" if past else "future",
        "RELATIVE_BASE": noon_london(today).replace(tzinfo=None),
        "PREFER_DAY_OF_MONTH": "last",
        "REQUIRE_PARTS": [],
    }
    try:
        found = dateparser.parse(text, languages=["en"], settings=settings)  # type: ignore[arg-type]
    except (ValueError, OverflowError):
        return None
    return found.date() if found is not None else None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
