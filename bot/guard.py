"""The data-protection guard: progress notes must not carry child-identifiable data.

The bot tracks plans, never cases. Before a note is saved it is checked here; a note that
looks like it holds an NHS number, a full UK postcode, a date of birth, a unique pupil
number, a home address, or the name of a child or family member is refused. Findings name
the *kind* of data only: the matched text is never returned, so it cannot be echoed to
Slack or written to a log.

How it decides, in order:

1. Normalise: Unicode NFKC, every dash to "-", every space (no-break, thin, tab) to " ",
   curly quotes to straight, zero-width characters and soft hyphens dropped, bullet
   glyphs to spaces. Everything below sees only the normalised text.
2. Numbers: NHS numbers in any grouping or separator that pass the modulus-11 check
   (a bare 10-digit number right after a reference word such as "invoice" or "tel" is a
   reference); UPNs (a letter and 12 characters) with a correct DfE check letter, or any
   UPN-shaped code after "UPN"; full postcodes in any case, spacing or dash.
3. Dates of birth: a date (numeric, ISO, words, ordinals, dd-Mon-yyyy) right after a
   birth label (DOB, D.O.B., d-o-b, date of birth, birth:, born, b.), or a date near an
   individual child's age ("aged 7", "6yo", "(6)" after a date). Age bands and cohorts
   ("aged 13 to 17", "0-5 year olds", "aged 16+") are not individual ages.
4. Home addresses: "Flat 12", or a house number then a street or building name.
5. Names: a word from bot/data/given_names.txt (any case; capitalised when it is also an
   ordinary word such as Grace or Will) is a person. It is a named child or family
   member only with context: a child or kinship word before it (child, YP, son, sister,
   baby, unborn, Mum, carer...), an age, school year or school after it, or a placement
   or case event after it (placed with, went missing, disclosed, on a CP plan). A staff
   role beside the name ("Sarah Jones, Designated Nurse"; "DI Mark Evans") makes it an
   adult professional unless a kinship word or an age says otherwise. Initials count
   with an age ("J.S. (15)").

Severity: every `Finding` has `certain`. `check_note` returns the certain findings only:
those block saving. `screen_note` also returns uncertain ones ("confirm" level), which a
caller may show as "this might identify someone: send anyway?" instead of refusing. The
confirm level today covers: a 10-digit number after "NHS" that fails the check digit,
undotted initials with a bare bracketed number ("JS (15)", which is also how counts are
written: "LA (3)"), and a given name followed by a trimmed surname ("Sarah J.").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

NHS_NUMBER = "an NHS number"
POSTCODE = "a full postcode"
DATE_OF_BIRTH = "a date of birth"
UPN = "a unique pupil number"
HOME_ADDRESS = "a home address"
NAMED_CHILD = "a child's name"
NAMED_FAMILY = "a family member's name"
KINDS = (NHS_NUMBER, POSTCODE, DATE_OF_BIRTH, UPN, HOME_ADDRESS, NAMED_CHILD, NAMED_FAMILY)

REFUSAL = (
    "I haven't saved that update: the note looks like it contains {kinds}. The plan tracker "
    "holds progress on the plan, never case details. Please take out anything that could "
    "identify a child or family (write \"Child A\", \"a young person\" or a count of cases "
    "instead) and try again."
)


@dataclass(frozen=True)
class Finding:
    """One kind of identifiable data found (never the text itself); `certain` ones block."""

    kind: str
    certain: bool = True


# ---------------------------------------------------------------- normalisation

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d\u2e3a\u2e3b"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
_BULLETS = "\u2022\u25aa\u25ab\u25cf\u25e6\u2023\u2219\u00b7\u25a0\u25a1\u27a4\u27a2\u2043\uf0b7"
_TRANSLATE = str.maketrans(
    {
        **dict.fromkeys(_DASHES, "-"),
        **dict.fromkeys(_INVISIBLE),
        **dict.fromkeys(_BULLETS, " "),
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
    }
)
_SPACES = re.compile(r"[^\S\n]+")


def normalise(text: str) -> str:
    """The text as the guard reads it: NFKC, one kind of dash, space and quote."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    # NFKC turns no-break and thin spaces into " " already; tabs and the rest go here.
    return _SPACES.sub(" ", text)


# ---------------------------------------------------------------- NHS numbers

_DIGIT_RUN = re.compile(r"(?<![\d£$€])\d+(?:(?: ?[./-] ?| )\d+)*")
_NHS_CONTEXT = re.compile(r"\bnhs\b", re.I)
_REFERENCE_BEFORE = re.compile(
    r"\b(?:invoice|inv|order|po|purchase|tel|telephone|phone|mobile|mob|fax|call|ring|"
    r"helpline|freephone|account|acc|a/c|sort|cost\s+code|licence|license|company|charity|"
    r"registration|reg|ofsted\s+urn|urn|isbn|version|v)\b\W{0,3}(?:no\.?|number|#)?\W{0,3}$",
    re.I,
)


def nhs_number_valid(digits: str) -> bool:
    """True when `digits` (10 digits) passes the NHS number's modulus-11 check."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _nhs_findings(text: str) -> list[Finding]:
    findings: list[Finding] = []
    for run in _DIGIT_RUN.finditer(text):
        groups = re.findall(r"\d+", run.group())
        window = text[max(0, run.start() - 40) : run.end() + 25]
        nhs_context = bool(_NHS_CONTEXT.search(window))
        for i in range(len(groups)):
            for j in range(i + 1, len(groups) + 1):
                part = groups[i:j]
                digits = "".join(part)
                if len(digits) > 10:
                    break
                if len(digits) != 10:
                    continue
                shape = tuple(len(g) for g in part)
                if not nhs_number_valid(digits):
                    if nhs_context and shape in ((10,), (3, 3, 4)):
                        findings.append(Finding(NHS_NUMBER, certain=False))
                    continue
                if shape == (3, 3, 4) or nhs_context:
                    findings.append(Finding(NHS_NUMBER))
                elif shape == (10,) and _REFERENCE_BEFORE.search(text[: run.start()]):
                    continue  # an invoice, phone or other reference number
                elif not digits.startswith("0") or shape == (10,):
                    # Grouped 4-3-3 or the like: still an NHS number once the check passes;
                    # 0-led groups are phone numbers.
                    findings.append(Finding(NHS_NUMBER))
    return findings


# ---------------------------------------------------------------- postcodes and UPNs

_POSTCODE = re.compile(
    r"\b(?P<out>GIR|[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}|[A-PR-UWYZ][0-9][A-HJKPSTUW]|"
    r"[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])(?: ?- ?| ?)(?P<in>[0-9][ABD-HJLNP-UW-Z]{2})\b",
    re.I,
)
# The 121 postcode areas of the UK (and the Crown dependencies): an outward code must start
# with one, which is what tells "LS11 5HR" (Leeds) from "Y11 1hr" (Year 11, one hour).
_POSTCODE_AREAS = frozenset(
    "AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT "
    "DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA "
    "LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE "
    "SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV "
    "YO ZE".split()
)
# "S47 2nd", "WR5 8am": an ordinal or a time, not an inward code.
_NOT_INWARD = re.compile(r"\d(?:st|nd|rd|th|am|pm)", re.I)


def _postcode_findings(text: str) -> list[Finding]:
    for m in _POSTCODE.finditer(text):
        inward, outward = m.group("in"), m.group("out").upper()
        if outward == "GIR":
            if inward.upper() != "0AA":
                continue
        elif outward[: 2 if outward[1].isalpha() else 1] not in _POSTCODE_AREAS:
            continue
        if _NOT_INWARD.fullmatch(inward) and not inward.isupper():
            continue
        return [Finding(POSTCODE)]
    return []


_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN_SHAPE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z])(\d{11})([0-9A-Za-z])(?![A-Za-z0-9])")
_UPN_CONTEXT = re.compile(r"\b(?:u\.?\s?p\.?\s?n\.?s?|pupil\s+(?:number|no|ref\w*|id))\W*$", re.I)


def upn_valid(upn: str) -> bool:
    """True when `upn` carries a correct DfE check letter (permanent or temporary UPN)."""
    upn = upn.upper()
    if len(upn) != 13 or upn[0] not in _UPN_LETTERS or not upn[1:12].isdigit():
        return False
    last = upn[12]
    if not (last.isdigit() or last in _UPN_LETTERS):
        return False
    total = 0
    for weight, char in enumerate(upn[1:], start=2):
        total += weight * (int(char) if char.isdigit() else _UPN_LETTERS.index(char))
    return _UPN_LETTERS[total % 23] == upn[0]


def _upn_findings(text: str) -> list[Finding]:
    for m in _UPN_SHAPE.finditer(text):
        before = text[max(0, m.start() - 30) : m.start()]
        if upn_valid(m.group()) or _UPN_CONTEXT.search(before):
            return [Finding(UPN)]
    return []


# ---------------------------------------------------------------- dates of birth

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_ORD = r"(?:st|nd|rd|th)?"
_DATE = (
    rf"(?:(?<!\d)(?<!\d[/.-]){_DAY} ?[/.-] ?(?:0?[1-9]|1[0-2]) ?[/.-] ?(?:\d{{4}}|\d{{2}})"
    r"(?![\d/]|\.\d)"
    rf"|(?<!\d)\d{{4}}([/.-])(?:0?[1-9]|1[0-2])\1{_DAY}(?!\d)"
    rf"|(?<!\d){_DAY}{_ORD}(?:\s+of)?[\s-]+{_MONTH}[\s,-]+(?:\d{{4}}|'?\d{{2}})(?!\d)"
    rf"|\b{_MONTH}\s+{_DAY}{_ORD},?\s+\d{{4}}(?!\d))"
)
_DATE_RE = re.compile(_DATE, re.I)
_BIRTH_LABEL = (
    # Singular or plural ("DOBs 12/05/2008, 03/11/2010", "dates of birth").
    r"(?:\bd[.\s-]?o[.\s-]?b(?:\.?'?s)?(?![a-z])\.?|\bdates?[\s-]+of[\s-]+birth\b"
    r"|\bbirth[\s-]?dates?\b"
    # "b." only in lower case: "Child B. 12/03/2019" names a review, not a birth.
    r"|\bbirth\s*[:=-]|\bborn\b|(?<![A-Za-z])(?-i:b)\.)"
)
_BIRTH_FILLER = r"(?:(?:is|was|on|given|as|recorded|of|the|stated|listed|noted|approx)\s+){0,3}"
_ORD_WORDS = (
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    r"thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|"
    r"twenty[\s-](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirtieth|"
    r"thirty[\s-]first)"
)
# After a birth label a day and month are enough: "born 3rd Feb", "DOB fourth of March".
_DAY_MONTH = (
    rf"(?:(?<!\d){_DAY}{_ORD}|\b{_ORD_WORDS})(?:\s+of)?[\s-]+{_MONTH}(?![a-z])"
    rf"|\b{_MONTH}\s+(?:{_DAY}{_ORD}(?!\d)|{_ORD_WORDS}\b)"
)
_DOB = re.compile(
    # A bracket may stand between the label and the date: "d.o.b. (16.06.2004)".
    rf"{_BIRTH_LABEL}[\s:=,(\[-]*{_BIRTH_FILLER}(?:{_DATE}|{_MONTH}\s+\d{{4}}|{_DAY_MONTH})",
    re.I,
)

_RANGE_AFTER = r"(?!\s*(?:(?:-|to|or|/)\s*\d|\+|and\s+(?:over|under|above|below|older|younger)))"
_AGE_EXPLICIT = (
    rf"(?:\baged?\s*:?\s*\d{{1,2}}(?!\d){_RANGE_AFTER}(?:\s*(?:yrs?|years?)(?:\s*old)?)?"
    r"|(?<![\d-])\b\d{1,2}\s*(?:yrs?|y/?o)\b(?![\s-]*olds)"
    r"|(?<![\d-])\b\d{1,2}[\s-]*(?:years?|yrs?|months?|mths?)[\s-]*old\b(?!s))"
)
_AGE_BRACKET = r"\(\s*(?:aged?\s*)?\d{1,2}\s*(?:yrs?|years?|y/?o|months?|mths?)?\s*\)"
_AGE_COMMA = r",\s*\d{1,2}(?=\s*(?:[,;)]|-\s|$))"
_KIN = (
    r"(?:child|children|yp|cyp|young\s+person|son|sons|daughters?|brothers?|sisters?|"
    r"siblings?|twins?|boys?|girls?|baby|babies|unborn|infant|toddler|newborn|teenager|teen|"
    r"pupil|student|mum|mums|mom|mother|dad|father|step-?dad|step-?father|step-?mum|"
    r"step-?mother|step-?son|step-?daughter|grandson|granddaughter|nan|nana|nanna|gran|"
    r"grandma|grandmother|grandad|granddad|grandfather|aunt|auntie|aunty|uncle|cousin|niece|"
    r"nephew|carers?|partner|ex-partner|boyfriend|girlfriend|parents?|guardian|"
    r"grandparents?|great-grand\w+|relatives?|family\s+members?|little\s+one|kids?)"
)
_DATE_NEAR_AGE = re.compile(
    rf"(?:{_DATE})(?:.{{0,50}}?(?:{_AGE_EXPLICIT})|\s*\(\d{{1,2}}\))"
    rf"|(?:{_AGE_EXPLICIT}|\b{_KIN}\s*\(\d{{1,2}}\)).{{0,50}}?(?:{_DATE})",
    re.I | re.S,
)
_DATE_COUNT = re.compile(rf"(?:{_DATE})\s*\(\d{{1,2}}\)", re.I)


# "children aged 5", "pupils aged 11": the age of a group, not of one child.
_COHORT_AGE = re.compile(
    r"\b(?:children|young\s+people|pupils|students|learners|boys|girls|babies|infants|"
    r"teenagers|yp|cyp|those|families|members|cohort)\s+(?:who\s+are\s+|were\s+)?aged?\s*\d{1,2}",
    re.I,
)


def _dob_findings(text: str) -> list[Finding]:
    if _DOB.search(text):
        return [Finding(DATE_OF_BIRTH)]
    text = _COHORT_AGE.sub(" cohort ", text)
    if _DATE_NEAR_AGE.search(text) and len(_DATE_COUNT.findall(text)) < 2:
        return [Finding(DATE_OF_BIRTH)]
    return []


# ---------------------------------------------------------------- home addresses

_FLAT = re.compile(r"\b(?:flat|apartment|apt)\.?\s*(?:no\.?\s*)?\d{1,4}[a-z]?\b(?!\s*%)", re.I)
_STREET = (
    r"(?:road|rd|street|st|lane|ln|avenue|ave|close|drive|way|crescent|cres|court|ct|place|"
    r"grove|gardens|gdns|terrace|tce|walk|mews|rise|view|square|sq|row|parade|hill|green|"
    r"park|house|heights|croft|fold|meadows?|vale|wharf|lodge|cottages|mount|gate|yard|"
    r"approach|bank|boulevard|crest|dene|fields?|glade|grange|leys|mead|orchard|paddock|"
    r"ridge|spinney|chase|common|brow|buildings|towers?|flats|mansions|maltings)"
)
# Words that start a count ("14 leaders attended Oak House") or an institution
# ("5 Family Court hearings"), never a street name.
_NOT_STREET_WORD = (
    r"(?!(?:at|in|on|of|for|to|and|with|from|by|the|a|an|or|per|across|into|family|crown|"
    r"magistrates|county|youth|coroners?|high|sessions?|staff|schools?|children|young|people|"
    r"cases?|families|pupils|agencies|attended|delegates|referrals?|actions?|audits?)\b)"
)
_HOUSE_NUMBER = r"(?<![\w/.,£$-])\d{1,4}[a-z]?,?\s+"
_ADDRESS_CAPS = re.compile(
    rf"{_HOUSE_NUMBER}(?:The\s+(?i:{_STREET})|(?:The\s+)?"
    rf"(?:{_NOT_STREET_WORD}[A-Z][A-Za-z']*\s+){{1,3}}(?i:{_STREET}))\b"
)
_ADDRESS_ANY_CASE = re.compile(
    rf"{_HOUSE_NUMBER}(?:the\s+{_STREET}|(?:the\s+)?"
    rf"(?:{_NOT_STREET_WORD}[a-z][a-z']*\s+){{1,3}}{_STREET})\b",
    re.I,
)

_VENUE = re.compile(
    r"\b(?:training|venue|conference|office|offices|event|seminar|workshop|session|forum|"
    r"held\s+at|meeting\s+at|hq|headquarters|centre|center|hub|room|suite|co-?located|"
    r"based\s+at|base|floor|reception|parking|car\s+park|library|civic|council|hall)\b",
    re.I,
)
# Words that make an address someone's home. "Moved" alone does not: a forum moves venue.
_HOME = re.compile(
    rf"\b(?:{_KIN}|family|families|home|lives?|living|moved\s+(?:in|into|house|home|out)|"
    r"tenancy|staying|placement|placed|visit|address|police|incident|access|hmo|b&b|hostel|"
    r"accomm\w*|unregulated|resident|residence|found|missing)\b",
    re.I,
)
_ADDRESS_CUE_BEFORE = re.compile(
    r"\b(?:at|to|address|lives?|living|moved|staying|visit(?:ed)?|home)\W*$", re.I
)


def _address_findings(text: str) -> list[Finding]:
    if _FLAT.search(text):
        return [Finding(HOME_ADDRESS)]
    # With no capitals to tell street names from words (all lower or all upper case),
    # any words may name the street.
    if _ADDRESS_CAPS.search(text):
        # A training venue or an office is not a home, unless a family is mentioned too.
        venue = _VENUE.search(text) and not _HOME.search(text)
        return [Finding(HOME_ADDRESS, certain=not venue)]
    # Typed without capitals ("found at 7 the crescent"): no capitals tell a street name from
    # words ("2 of 3 work streams green"), so ask for an address word before the number too.
    for m in _ADDRESS_ANY_CASE.finditer(text):
        if _ADDRESS_CUE_BEFORE.search(text[max(0, m.start() - 30) : m.start()]):
            venue = _VENUE.search(text) and not _HOME.search(text)
            return [Finding(HOME_ADDRESS, certain=not venue)]
    return []


# ---------------------------------------------------------------- names

REGULAR, WORD, LABEL = 0, 1, 2


@cache
def given_names() -> dict[str, int]:
    """Lower-cased given names from bot/data/given_names.txt, with how ambiguous each is."""
    names: dict[str, int] = {}
    text = files("bot").joinpath("data/given_names.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        words = line.split()
        for i, word in enumerate(words):
            if word in ("*", "!"):
                continue
            marker = words[i + 1] if i + 1 < len(words) else ""
            names[word.lower()] = {"*": WORD, "!": LABEL}.get(marker, REGULAR)
    return names


_WORD = re.compile(r"[A-Za-z][A-Za-z']*(?:-[A-Za-z][A-Za-z']*)*")
_ROLE = (
    r"(?:nurse|doctor|dr|gp|midwife|health\s+visitor|hv|di|ds|dc|dci|dcs|dsi|pc|pcso|sgt|"
    r"sergeant|inspector|superintendent|supt|officer|social\s+worker|sw|psw|manager|"
    r"director|chair|vice-chair|chairs|lead|head\s+of|headteacher|head\s+teacher|teacher|"
    r"deputy|principal|dsl|ddsl|senco|iro|lado|coordinator|co-ordinator|worker|practitioner|"
    r"adviser|advisor|consultant|analyst|trainer|scrutineer|administrator|admin|"
    r"secretary|clerk|councillor|cllr|mp|mr|mrs|ms|miss|prof|rev|solicitor|barrister|"
    r"magistrate|commissioner|governor|chief|ceo|hos)"
)
# One optional surname or initial between a given name and what follows it.
_SURNAME = (
    r"(?:\s+(?!(?:to|and|or|is|was|has|had|will|at|in|on|of|the|from|by|with|for|a|an|"
    r"aged?|attends|attending)\b)(?:[A-Za-z][A-Za-z']*(?:-[A-Za-z]+)?|[A-Z]\.{0,3}))?"
)
_AGE_AFTER_STRONG = re.compile(
    rf"^{_SURNAME}\s*(?:[,(-]\s*)?(?:{_AGE_EXPLICIT}|{_AGE_COMMA}|(?:y|yr|year)\s?\d{{1,2}}\b"
    r"|(?:who\s+is|is\s+now|is|now|turned|turns)\s+\d{1,2}(?=\s*(?:[,.;)]|-\s|$|y))"
    r"|\(\s*(?:b\.|born|dob:?)\s*(?:19|20)\d\d\s*\))",
    re.I,
)
_AGE_AFTER_BRACKET = re.compile(rf"^{_SURNAME}\s*,?\s*{_AGE_BRACKET}", re.I)
_SCHOOL_WORD = (
    r"(?:primary|academy|school|high|college|nursery|infants?|juniors?|grammar|pru|"
    r"pupil\s+referral\s+unit|sixth\s+form|first|middle)"
)
_SCHOOL_AFTER = re.compile(
    rf"^{_SURNAME}\s*,?\s*(?:at|attends|attending|who\s+attends|goes\s+to|pupil\s+at|in\s+y(?:ea)?r\s*\d+\s+at)"
    rf"\s+(?:the\s+)?(?:[A-Za-z][A-Za-z'.&-]*\s+){{0,3}}{_SCHOOL_WORD}\b",
    re.I,
)
_KIN_AFTER = re.compile(rf"^{_SURNAME}\s*(?:\(\s*|,\s*|-\s*|'s\s+)(?:the\s+)?{_KIN}\b", re.I)
_CASE_AFTER = re.compile(
    r"^[^.;!?\n]{0,60}?\b(?:placed\s+(?:with|in|at|out|back)|(?:moved|changed|new|foster|"
    r"residential|emergency|kinship|current|one|same|separate)\s+placements?\b|placements?\s+"
    r"(?:with|at|in|ended|broke|breakdown|move|moved|change)\b|in\s+care\b|foster\s+carers?|"
    r"children's\s+home|supported\s+lodgings|disclosed|went\s+missing|was\s+missing|"
    r"reported\s+missing|missing\s+(?:again|from|overnight)|excluded|arrested|remanded|"
    r"absconded|self[\s-]?harm|on\s+(?:a\s+)?(?:cp|cin|child\s+protection|child\s+in\s+need)"
    r"\s+plan|subject\s+(?:to|of)\s+(?:a\s+|an\s+)?(?:cp|cin|s\.?\s?47|plo|section)|"
    r"return\s+(?:home\s+)?interview|lac\s+review|cla\s+review|shared\s+images)",
    re.I,
)
_POSSESSION_AFTER = re.compile(
    rf"'s\s+(?:new\s+|current\s+|former\s+)?(?:{_KIN}|school|nursery|class|teacher|"
    r"placements?|foster|social\s+worker|sw|iro|key\s*worker|cp\s+plan|cin\s+plan|"
    r"chronology|attendance|exclusion|behaviour|disclosure|missing\s+episodes?)\b",
    re.I,
)
# The name is doing a professional's work: "Sarah at Greenhill Primary agreed to pilot".
_STAFF_VERB = re.compile(
    rf"\s*(?:[,(]\s*(?:the\s+)?(?:[A-Za-z'&-]+\s+){{0,2}}{_ROLE}s?\b|,?\s*(?:has\s+|have\s+|"
    r"had\s+|will\s+|is\s+|are\s+)?(?:agreed|presented|led|leading|delivered|piloted|"
    r"piloting|chaired|chairing|sent|shared|hosted|ran|running|attended|facilitated|trained|"
    r"reviewed|audited|circulated|drafted|to\s+[a-z]+)\b)",
    re.I,
)
# "Sarah to review placement data": a task given to someone. Only a capitalised surname
# or an initial may stand between, so "Chloe disclosed to ..." is not read as one.
_STAFF_ACTION_AFTER = re.compile(
    r"^(?:\s+(?:[A-Z][A-Za-z'-]+|[A-Z]\.{0,3}))?\s+(?i:to|will|has\s+agreed|agreed)\b"
)
_KIN_BEFORE = re.compile(
    rf"\b{_KIN}(?:'s)?(?:\s+group|\s+(?:first\s+)?name)?(?:\s*[,:(\"'-]\s*|\s+(?:called|"
    rf"named|known\s+as|is|was|of|and|the|her|his|their|a|an|mr|mrs|ms|miss)\b\.?)*\s*$",
    re.I,
)
_AGE_BEFORE = re.compile(
    r"(?:\b\d{1,2}[\s-]*(?:years?|yrs?|months?)[\s-]*old|\b\d{1,2}\s*(?:yo|y/o|yrs?))"
    r"\s*(?:[,:-]\s*)?(?:(?:boy|girl|child|son|daughter)\s+)?(?:(?:called|named)\s+)?$",
    re.I,
)
# A role attached to the name, before it ("DI Mark Evans", "chair: Jane Hughes") or in
# apposition after it ("Sarah Jones, Designated Nurse", "Jo Hill (LADO)"); a professional
# merely mentioned in the same note ("disclosed to her social worker") does not count.
_ROLE_BEFORE = re.compile(rf"\b{_ROLE}s?\b\.?(?:\s+[A-Za-z.&']+){{0,3}}\s*[,:(-]?\s*$", re.I)
_ROLE_AFTER = re.compile(
    rf"^{_SURNAME}\s*(?:,|\(|-)\s*(?:the\s+|our\s+|new\s+|an?\s+)?"
    rf"(?:[A-Za-z'&-]+\s+){{0,3}}{_ROLE}s?\b",
    re.I,
)
_TRIMMED_SURNAME = re.compile(r"^\s+[A-Z](?:\.|\.\.\.)(?!\w)")

# Capitals that are the field's own acronyms, not a child's initials ("LAC (412)").
_NOT_ACRONYM = (
    r"(?!(?:YP|CYP|LAC|CLA|CIN|CP|CPP|LA|EH|DA|SEN|CSE|CCE|UASC|YOT|NEET|GP|GPS|HV|SW|IRO|"
    r"MASH|CDOP|SCR|PLR|FGM|ICPC|RCPC|RHI|MACE|PRU|KS|EY|ED|AE|MH)\b)"
)
_INITIALS_AGE = re.compile(
    rf"(?<![A-Za-z.])(?:[A-Z]\.\s?){{2,3}}\s*,?\s*(?:{_AGE_EXPLICIT}|{_AGE_BRACKET}|{_AGE_COMMA})"
    rf"|(?<![A-Za-z.]){_NOT_ACRONYM}[A-Z]{{2,3}}\s*,?\s*{_AGE_EXPLICIT}",
)
_INITIALS_BRACKET = re.compile(rf"(?<![A-Za-z.]){_NOT_ACRONYM}[A-Z]{{2,3}}\s*{_AGE_BRACKET}")


def _name_tier(word: str) -> int | None:
    names = given_names()
    base = word[:-2] if word.lower().endswith("'s") else word
    tier = names.get(base.lower())
    if tier is not None:
        if tier != REGULAR and not base[0].isupper():
            return None
        return tier
    parts = base.lower().split("-")
    if len(parts) > 1 and all(p in names for p in parts):
        return REGULAR  # double-barrelled: Kerry-Ann, Lily-Mae, Tommy-Lee
    return None


def _name_findings(text: str) -> list[Finding]:
    findings: set[Finding] = set()
    for m in _WORD.finditer(text):
        tier = _name_tier(m.group())
        if tier is None:
            continue
        before = text[max(0, m.start() - 40) : m.start()]
        after = text[m.end() : m.end() + 90]
        kin_before = _KIN_BEFORE.search(before)
        if kin_before:
            kin = kin_before.group().lower()
            child = re.match(
                r"\s*(?:child|children|yp|cyp|young|son|daughter|brother|sister|sibling|twin|"
                r"boy|girl|baby|babies|unborn|infant|toddler|newborn|teen|pupil|student|"
                r"step-?son|step-?daughter|grandson|granddaughter|niece|nephew|little|kid)",
                kin,
            )
            findings.add(Finding(NAMED_CHILD if child else NAMED_FAMILY))
            continue
        strong_age = (
            _AGE_AFTER_STRONG.match(after)
            or _AGE_BEFORE.search(before)
            or _POSSESSION_AFTER.match(text, m.end() - 2 if m.group().endswith("'s") else m.end())
        )
        if strong_age or (tier != LABEL and _AGE_AFTER_BRACKET.match(after)):
            findings.add(Finding(NAMED_CHILD))
            continue
        if _ROLE_BEFORE.search(before) or _ROLE_AFTER.match(after):
            continue  # a professional: "Sarah Jones, Designated Nurse"
        school = _SCHOOL_AFTER.match(after)
        if _KIN_AFTER.match(after):
            findings.add(Finding(NAMED_FAMILY))
        elif (school and not _STAFF_VERB.match(after, school.end())) or (
            _CASE_AFTER.match(after) and not _STAFF_ACTION_AFTER.match(after)
        ):
            findings.add(Finding(NAMED_CHILD))
        elif _TRIMMED_SURNAME.match(after):
            findings.add(Finding(NAMED_CHILD, certain=False))
    if _INITIALS_AGE.search(text):
        findings.add(Finding(NAMED_CHILD))
    else:
        for m in _INITIALS_BRACKET.finditer(text):
            # "KM (15) disclosed at school": a child's initials, told by what happened to them.
            told = _CASE_AFTER.match(text[m.end() : m.end() + 90]) or _KIN_BEFORE.search(
                text[max(0, m.start() - 40) : m.start()]
            )
            findings.add(Finding(NAMED_CHILD, certain=told is not None))
    return sorted(findings, key=lambda f: (KINDS.index(f.kind), not f.certain))


# ---------------------------------------------------------------- public API

_DETECTORS = (
    _nhs_findings,
    _postcode_findings,
    _dob_findings,
    _upn_findings,
    _address_findings,
    _name_findings,
)


def screen_note(note: str) -> list[Finding]:
    """Every kind of identifiable data `note` may hold, certain or to be confirmed."""
    text = normalise(note)
    found: dict[str, Finding] = {}
    for detector in _DETECTORS:
        for finding in detector(text):
            known = found.get(finding.kind)
            if known is None or (finding.certain and not known.certain):
                found[finding.kind] = finding
    return sorted(found.values(), key=lambda f: KINDS.index(f.kind))


def check_note(note: str) -> list[Finding]:
    """The kinds of child-identifiable data `note` holds that block saving; empty when clean."""
    return [f for f in screen_note(note) if f.certain]


def to_confirm(note: str) -> list[Finding]:
    """Kinds that only might be identifiable: ask the person to confirm before saving."""
    return [f for f in screen_note(note) if not f.certain]


def refusal_message(findings: list[Finding]) -> str:
    """The message shown when a note is refused: what kind of data, never the data."""
    kinds = list(dict.fromkeys(f.kind for f in findings))
    listed = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
    return REFUSAL.format(kinds=listed)
