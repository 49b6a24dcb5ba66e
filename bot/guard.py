"""The data-protection guard: progress notes must not carry child-identifiable data.

The bot tracks plans, never cases. Before a note is saved it is checked here; a note that
looks like it holds an NHS number, a full UK postcode, a date of birth, a unique pupil
number, a home address, or the name of a child or family member is refused. Findings name
the *kind* of data only: the matched text is never returned, so it cannot be echoed to
Slack or written to a log.

How it decides, in order:

1. Normalise: Unicode NFKC, every dash to "-", every space (no-break, thin, tab) to " ",
   curly quotes to straight, zero-width characters and soft hyphens dropped, bullet
   glyphs to spaces, accents off Latin letters ("Tomás" -> "Tomas"). Everything below
   sees only the normalised text.
2. Numbers: NHS numbers in any grouping or separator that pass the modulus-11 check
   (a bare 10-digit number right after a reference word such as "invoice" or "tel" is a
   reference); UPNs (a letter and 12 characters) with a correct DfE check letter, or any
   UPN-shaped code after "UPN"; full postcodes in any case, spacing or dash.
3. Dates of birth: a date (numeric, ISO, words, ordinals, dd-Mon-yyyy) right after a
   birth label (DOB, D.O.B., d-o-b, date of birth, birth:, born, b.), or a date near an
   individual child's age ("aged 7", "6yo", "(6)" after a date). Age bands and cohorts
   ("aged 13 to 17", "0-5 year olds", "aged 16+") are not individual ages.
4. Home addresses: "Flat 12", a house number then a street or building name, or a home
   word (lives, staying, placed, flat) then "on/in/at <Name> Street".
5. Names: a word from bot/data/given_names.txt (any case; capitalised when it is also an
   ordinary word such as Grace or Will) is a person. It is a named child or family
   member only with context: a child or kinship word before it (child, YP, son, sister,
   baby, unborn, Mum, carer...), an age, school year or school after it, or a placement
   or case event after it (placed with, went missing, disclosed, on a CP plan). A staff
   role beside the name ("Sarah Jones, Designated Nurse"; "DI Mark Evans") makes it an
   adult professional unless a kinship word or an age says otherwise. Initials count
   with an age ("J.S. (15)"), a school year ("K.M., Year 9") or after "initials".
6. Names nobody listed: in a person slot (the subject of a child's event straight after
   the name, a child descriptor in apposition "(LAC, 15)", possessive kin "'s mum", a child
   discussed with a professional "spoke to DSL re ...", an object slot: met or placed beside
   the child's own family or worker "visited Kit and his nan", evidence taken "a statement
   from ...", the subject of case work "the referral on ...", "S47 for ...") an unlisted
   capitalised word counts when it is not an ordinary English word (wordfreq, imported
   lazily) nor a listed place or plan word (bot/data/not_names.txt). Families by surname
   ("the Khan children", "Okafor siblings", "the Walshes have moved",
   bot/data/surnames.txt, not surnames that are everyday words) and review labels given a real name
   ("real name ...", "Child D is ...") count too. Named schemes and bodies ("Sarah's Law",
   "Hope House") never do.

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
# Latin letters that carry no combining mark to strip.
_LETTERS = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ı": "i", "ß": "ss"}
)
_ACCENTED = re.compile(r"[^\x00-\x7f]")


def _fold_accents(text: str) -> str:
    """Latin letters without their accents ("Tomás" -> "Tomas", "Łukasz" -> "Lukasz"), so
    that names from every language meet the same word patterns and lists."""
    if not _ACCENTED.search(text):
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", folded)


def normalise(text: str) -> str:
    """The text as the guard reads it: NFKC, one kind of dash, space and quote, and Latin
    letters without accents."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    text = _fold_accents(text)
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
    # Singular or plural ("DOBs 12/05/2008, 03/11/2010", "dates of birth"), or a birthday.
    r"(?:\bbirthdays?\b|\bd[./\s-]?o[./\s-]?b(?:\.?'?s)?(?![a-z])\.?|\bdates?[\s-]+of[\s-]+birth\b"
    r"|\bbirth[\s-]?dates?\b"
    # "b." only in lower case: "Child B. 12/03/2019" names a review, not a birth.
    r"|\bbirth\s*[:=-]|\bborn\b|(?<![A-Za-z])(?-i:b)\.)"
)
_BIRTH_FILLER = r"(?:(?:is|was|on|in|given|as|recorded|of|the|stated|listed|noted|approx)\s+){0,3}"
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


# A home on a named street, with no house number: "lives with dad on Lowther Street",
# "staying at her nan's on Oak Road", "flat above the shop on High St".
_STREET_HOME = re.compile(
    r"(?:\b(?:(?i:lives?|living|resides?|residing|stays?|staying|moved\s+(?:in)?to|placed|"
    r"flat|maisonette|bedsit)|home)\b[^.;!?\n]{0,30}?\b(?:on|in|at|off)"
    # "Mrs Nowak of Station Road": a named adult's street.
    r"|\b(?:Mr|Mrs|Ms|Miss|Mx)\.?(?:\s+and\s+(?:Mr|Mrs|Ms|Miss|Mx)\.?)?\s+[A-Z][A-Za-z'-]+"
    r"\s+(?:of|at|on|from))\s+(?:the\s+)?"
    rf"(?:[A-Z][A-Za-z']+\s+){{1,3}}(?i:{_STREET})\b"
    # "placed at Church Street Primary" names a school, not a home.
    r"(?!\s+(?i:primary|school|academy|nursery|centre|center|surgery|clinic|health|offices?|"
    r"library|church|hall|station|police|hospital|practice|college|campus|hub)\b)"
)


def _address_findings(text: str) -> list[Finding]:
    if _FLAT.search(text):
        return [Finding(HOME_ADDRESS)]
    if _STREET_HOME.search(text):
        # "the forum moved to the Guildhall on High Street" is a venue.
        venue = _VENUE.search(text) and not _HOME.search(text.replace("moved", ""))
        return [Finding(HOME_ADDRESS, certain=not venue)]
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
CLOSE = 4  # a word-name that counts only with the close cues, like an unknown word


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
            if word in ("*", "!", "~"):
                continue
            marker = words[i + 1] if i + 1 < len(words) else ""
            names[word.lower()] = {"*": WORD, "!": LABEL, "~": CLOSE}.get(marker, REGULAR)
    return names


_WORD = re.compile(r"[A-Za-z][A-Za-z']*(?:-[A-Za-z][A-Za-z']*)*")
_ROLE = (
    r"(?:nurse|doctor|dr|gp|midwife|health\s+visitor|hv|di|ds|dc|dci|dcs|dsi|pc|pcso|sgt|"
    r"sergeant|inspector|superintendent|supt|officer|social\s+worker|sw|psw|manager|"
    r"director|chair|vice-chair|chairs|lead|head\s+of|headteacher|head\s+teacher|teacher|"
    r"deputy|principal|dsl|ddsl|senco|iro|lado|coordinator|co-ordinator|worker|practitioner|"
    r"adviser|advisor|consultant|analyst|trainer|scrutineer|administrator|admin|"
    r"secretary|clerk|councillor|cllr|mp|mr|mrs|ms|miss|prof|rev|solicitor|barrister|"
    r"magistrate|commissioner|governor|chief|ceo|hos|"
    r"(?:lay|board|lead|elected|panel|committee|executive|staff|team)\s+members?)"
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
_YOUNG_CHILD_AFTER = re.compile(
    # One child's family or care ("mum engaging", "HV visiting", "nursery raised concerns"),
    # not a service's ("HV teams", "parents' evenings", "carer training").
    r"[^.;!?\n]{0,40}?\b(?:mum|mom|mother|dad|father|nan|nana|gran|grandma|grandad|aunt|"
    r"auntie|uncle|step-?dad|step-?mum|(?:foster\s+)?carer|his|her)\b(?!'|s\b|\s+(?:groups?|"
    r"training|forums?|events?|strategy|network|sessions?|evenings?))"
    r"|[^.;!?\n]{0,40}?\b(?:nursery|school|hv|health\s+visitor|midwife|gp|paediatrician)\s+"
    r"(?:is\s+|are\s+|has\s+|have\s+)?(?:visit\w*|seeing|saw|raised|reported|noted|noticed|"
    r"flagged|referred|concerned|worried|concerns?\s+(?:re|about|over))\b",
    re.I,
)
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
# A listed name with their own elders or siblings: "Kit and his nan", not "Jo and her
# partner agencies" nor "Tom and his son ran the 10k" (a parent, not a child, named).
_ELDER_KIN = (
    r"(?:mum|mom|mother|dad|father|step-?dad|step-?father|step-?mum|step-?mother|nan|nana|"
    r"nanna|gran|grandma|grandmother|grandad|granddad|grandfather|grandparents?|aunt|auntie|"
    r"aunty|uncle|parents?|carers?|guardian|brothers?|sisters?|siblings?|twin)"
)
_AND_OWN_KIN_AFTER = re.compile(
    rf"^{_SURNAME}\s+(?:and|&)\s+(?:his|her|their)\s+(?:(?:new|older|younger|little|big|"
    rf"birth|foster|baby|twin)\s+)?{_ELDER_KIN}\b(?!'|\s+(?:agenc\w*|organi[sz]ations?|groups?|"
    r"networks?|forums?|services?|support|workers?|teams?|colleagues|champions?|leads?))",
    re.I,
)
# "Karen and her son attended the ICPC": a parent named, told by the case work in the note.
_AND_OWN_CHILD_AFTER = re.compile(
    rf"^{_SURNAME}\s+(?:and|&)\s+(?:his|her|their)\s+(?:(?:new|older|younger|little|baby|"
    r"twin|eldest|youngest)\s+)?(?:sons?|daughters?|child|children|kids|baby|babies|boys|girls|"
    r"step-?sons?|step-?daughters?)\b",
    re.I,
)
_CASE_WORK = re.compile(
    r"\b(?:icpc|rcpc|core\s+group|cp\s+plans?|cin|child\s+protection|conference|strategy|"
    r"s\.?\s?47|section\s+47|lac|cla|referr\w*|missing|disclos\w*|court|plo|pre-?proceedings|"
    r"social\s+worker|sw|iro|mash|early\s+help|eha|fgc|family\s+group|placement|foster)\b",
    re.I,
)
_CASE_AFTER = re.compile(
    r"^[^.;!?\n]{0,60}?\b(?:placed\s+(?:with|in|at|out|back)|(?:moved|changed|new|foster|"
    r"residential|emergency|kinship|current|one|same|separate)\s+placements?\b|placements?\s+"
    r"(?:with|at|in|ended|broke|breakdown|move|moved|change)\b|in\s+care\b|foster\s+carers?|"
    r"children's\s+home|supported\s+lodgings|disclosed|went\s+missing|was\s+missing|"
    r"reported\s+missing|missing\s+(?:again|from|overnight)|excluded|arrested|remanded|"
    r"absconded|self[\s-]?harm|on\s+(?:a\s+)?(?:cp|cin|child\s+protection|child\s+in\s+need)"
    r"\s+plan|subject\s+(?:to|of)\s+(?:a\s+|an\s+)?(?:cp|cin|s\.?\s?47|plo|section)|"
    r"return\s+(?:home\s+)?interview|lac\s+review|cla\s+review|shared\s+images|"
    # A child's schooling: "is now attending 3 days a week", "back in school after EHE".
    r"(?:now\s+)?attending\s+(?:\d|one|two|three|four|full|part|half)[\w\s-]{0,12}?"
    r"(?:days?|time|mornings?|afternoons?|sessions?)(?=[^.;!?\n]{0,60}?\b(?:school|ehe|college|"
    r"nursery|pru|timetable|exclu\w*|education|class|lessons|tutor\w*)\b)|reduced\s+timetable|"
    r"part[\s-]time\s+timetable|(?:back|returned)\s+(?:in|to)\s+school\b(?!\s+(?:governors?|"
    r"boards?|staff|business|office|leadership|council|forum))|"
    r"(?:back|returned)\s+from\s+(?:ehe|elective\s+home\s+education|exclusion))",
    re.I,
)
_POSSESSION_AFTER = re.compile(
    rf"'s\s+(?:new\s+|current\s+|former\s+)?(?:{_KIN}|school|nursery|class|teacher|"
    r"placements?|foster|social\s+worker|sw|iro|key\s*worker|cp\s+plan|cin\s+plan|"
    r"chronology|attendance|exclusion|behaviour|disclosure|missing\s+episodes?)\b",
    re.I,
)
# What happened to a child, as a review names it: "learning from Idris's death", unless the
# note is about a colleague or an event and not about a child ("Ryan's injuries at work led
# to an H&S review", "Diana's death anniversary").
_POSSESSED_HARM = re.compile(
    r"'s\s+(?:sudden\s+|unexpected\s+|tragic\s+)?(?:death|injur(?:y|ies)|murder|killing|"
    r"fractures?|bruis\w*)\b",
    re.I,
)
_CHILD_HARM_CONTEXT = re.compile(
    r"\b(?:cdop|child\s+death|rapid\s+reviews?|safe\s+sleep|l?cspr|scr|serious\s+case|"
    r"sud[ic]|post-?mortem|inquest|non-accidental|nai|safeguarding\s+practice\s+review|"
    r"paediatric\w*|co-?sleeping|baby|infant|toddler|child|children|yp|young\s+person|"
    r"nursery|school|pupil|son|daughter|sibling|brother|sister|mum|dad|parents?|carers?)\b",
    re.I,
)
_ADULT_HARM_CONTEXT = re.compile(
    r"\b(?:at\s+work|h&s|health\s+and\s+safety|staff|colleagues?|condolences|anniversary|"
    r"sickness|absence|leave|cover|retire\w*|memorial|tribute|funeral|sessions?|events?|"
    r"training|meetings?|conference|office)\b",
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
_SCHOOL_YEAR = r"\b(?:year|yr|y)\s?(?:[1-9]|1[0-3])\b"
_INITIALS_AGE = re.compile(
    rf"(?<![A-Za-z.])(?:[A-Z]\.\s?){{2,3}}\s*,?\s*(?:{_AGE_EXPLICIT}|{_AGE_BRACKET}|{_AGE_COMMA})"
    rf"|(?<![A-Za-z.]){_NOT_ACRONYM}[A-Z]{{2,3}}\s*,?\s*{_AGE_EXPLICIT}"
    # Undotted initials, an age and a school year together single a child out: "TK, 14, Y10".
    rf"|(?<![A-Za-z.]){_NOT_ACRONYM}[A-Z]{{2,3}}\s*,\s*\d{{1,2}}\s*,\s*(?i:{_SCHOOL_YEAR})",
)
_INITIALS_BRACKET = re.compile(rf"(?<![A-Za-z.]){_NOT_ACRONYM}[A-Z]{{2,3}}\s*{_AGE_BRACKET}")


UNKNOWN = 3  # not in the name list and not an ordinary word: may be a name


@cache
def _word_list(name: str) -> frozenset[str]:
    """Lower-cased words of bot/data/NAME (comment lines start with '#')."""
    text = files("bot").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return frozenset(
        w.lower() for line in text.splitlines() if not line.startswith("#") for w in line.split()
    )


def surnames() -> frozenset[str]:
    return _word_list("surnames.txt")


# Listed surnames that are also everyday English words or colours: "Foster children",
# "Young people", "White families" are not families named.
_WORD_SURNAMES = frozenset(
    "foster young white green black brown long hall wood woods hill bishop cook hunter mason "
    "king day may rose page bell bond field stone reed read lamb fox bull ball cross swift "
    "sharp frost moss marsh banks mills gill hart carr booth hardy pope grant marks lane wells "
    "west french holland bird ward shepherd baker fisher turner porter parsons potter barber "
    "chambers brooks rice burns hunt park price rich miles little mann butler carter gray grey "
    "parker walker stan pop islam".split()
)


def _named_surname(word: str) -> bool:
    """True when `word` is a capitalised listed surname that is not also an ordinary word."""
    low = word.lower()
    return (
        word[:1].isupper() and low in surnames() and low not in _WORD_SURNAMES
        and _zipf(low) < 4.6
    )


@cache
def _zipf(word: str) -> float:
    # wordfreq (MIT code, CC BY-SA data) is imported here, never at module import: it
    # costs ~0.2 s and tens of MB on the first lookup, and most notes never need it (only
    # a capitalised word outside the name list standing in a person slot asks).
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


# An unknown capitalised word is read as a possible name when wordfreq rates it rarer
# than this on its Zipf scale: given names outside the list score below ~3 (Oluwaseun 0,
# Jannat 1.8, Mihai 2.0), ordinary words above ~3.5 (panel 4.6, toolkit 3.1). Towns and
# the field's own rare words are excluded by bot/data/not_names.txt.
_RARE = 3.0


def _unknown_shape(word: str) -> bool:
    """True when `word` is capitalised, not an acronym, and not a listed place or plan word:
    cheap, so every word can be asked before the word-frequency lookup."""
    base = word[:-2] if word.lower().endswith("'s") else word
    if len(base) < 3 or not re.fullmatch(r"[A-Z][a-z]+(?:['-][A-Za-z][a-z]+)*", base):
        return False
    low = base.lower()
    not_names = _word_list("not_names.txt")
    return low not in not_names and not any(p in not_names for p in low.split("-"))


def _unknown_name(word: str) -> bool:
    """True when `word` has an unknown name's shape and is not an ordinary English word, so
    that in a person slot it can only be a name."""
    base = word[:-2] if word.lower().endswith("'s") else word
    return _unknown_shape(word) and _zipf(base.lower()) < _RARE


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


# A name that names a scheme, place or body, not a person: "Sarah's Law", "Hope House",
# "Grace Academy", "the Jay report".
_INSTITUTION_AFTER = re.compile(
    r"(?:'s)?\s+(?-i:Law|Act|House|Trust|Hospice|Foundation|Fund|Charity|Centre|Center|"
    r"Hospital|Clinic|Surgery|Church|Chapel|Mosque|Library|Street|Road|Lane|Principle|"
    r"Protocol|Syndrome|Programme|Project|Scheme|Award|Appeal|Campaign|Model|Framework)\b"
    r"|(?:'s)?\s+(?:report|review|inquiry)\b"
    # A school named after someone, not a child's school: "Grace Academy" (no "'s").
    r"|\s+(?-i:Academy|School|College|Primary|High|Nursery|Infants|Juniors)\b",
    re.I,
)
# Children whose national reviews and inquiries are taught by name in safeguarding training:
# public learning, not a local child ("the case of Victoria Climbie").
_PUBLIC_CASE = re.compile(
    r"(?i:victoria\s+climbi[eé]|daniel\s+pelka|peter\s+connelly|arthur\s+labinjo-hughes|"
    r"star\s+hobson|maria\s+colwell|jasmine\s+beckford|kimberley\s+carlile|khyra\s+ishaq|"
    r"tyra\s+henry|baby\s+p)\b"
)
# A kinship word straight after a possessive: the only cue strong enough for a word-name
# typed in lower case ("joy's mum", "hope's dad").
_POSSESSIVE_KIN = re.compile(
    rf"\s+(?:new\s+|older\s+|younger\s+|little\s+|baby\s+|big\s+)?{_KIN}\b(?!'s)", re.I
)
# A child descriptor in apposition: "Aoife (LAC, 15)", "Mercy, a UASC from Eritrea",
# "Hunter and Storm (siblings, CIN plan)", "Jo - Yr 9, CME".
_CHILD_DESCRIPTOR = (
    r"(?:lac|cla|cic|cin|cp|cpp|uasc|yp|cyp|child|boy|girl|siblings?|twins?|baby|infant|"
    r"toddler|teen(?:ager)?|pupil|care\s+leaver|looked[\s-]+after|young\s+person|"
    r"pregnant|young\s+(?:mum|mother|dad|father|carer|parent)|unaccompanied|asylum[\s-]+seek\w*|refugee|nrpf|no\s+recourse(?:\s+to\s+public\s+funds)?|ehe|cme|neet|"
    r"y(?:ea)?r\s*\d{1,2}|y\d{1,2}|aged?\s*\d|\d{1,2}\s*(?:yrs?|years?|y/?o|months?)\b|"
    r"(?:on|subject\s+to)\s+(?:a\s+|an\s+)?(?:cp|cin|child\s+protection|child\s+in\s+need))"
)
# The descriptor must be a noun of its own ("(LAC, 15)", "a UASC from", "(CP plan)"), not
# an adjective of something else ("Padlet (YP voice tool)").
_DESCRIPTOR_AFTER = re.compile(
    rf"^{_SURNAME}\s*(?:\(\s*|,\s*(?:an?\s+|the\s+|our\s+)?|-\s+)"
    rf"(?:\d{{1,2}}\s*,\s*)?(?:(?:[A-Za-z0-9'-]+\s+){{0,2}}?){_CHILD_DESCRIPTOR}(?![a-z])"
    # "Youthscape (YP, 14-19)": who a service is for, an age band, not one child.
    r"(?!\s*,?\s*(?:aged?\s*)?\d{1,2}\s*(?:-|to|\+)|s\b)"
    r"(?=\s*(?:[,;)/&:-]|$|\d|(?:plans?|from|who|aged?|in|on|at|with|and|placed|since|of|"
    r"under|currently|now|status|case|living|looked|known|open|again)\b))",
    re.I,
)
# The subject of something that happens to a child, straight after the name (with an
# optional surname and helper verbs): "Precious returned from missing", "Oluwaseun has
# disclosed to his youth worker", "Angel went missing", "Jo was arrested".
_HELPERS = (
    r"(?:(?:has|had|have|was|were|is|are|been|being|got|again|then|also|now|later|"
    r"recently|reportedly|allegedly|not|never|since|first|finally|twice)\s+)*"
)
_PASSIVE_EVENT = (
    r"(?:reported\s+missing|missing|found|arrested|remanded|charged|cautioned|excluded|"
    r"exploited|groomed|trafficked|assaulted|abused|injured|hospitali[sz]ed|admitted|removed|"
    r"placed|accommodated|taken\s+into\s+care|lac|cla|cin|looked\s+after|in\s+care|"
    r"seen\s+(?:at|in|by)\s+(?:the\s+)?(?:ed|a&e|hospital|paediatric\w*|sarc))\b"
)
_CHILD_ONLY_EVENT = (
    r"(?:placed(?!\s+(?:with\s+us|on\s+secondment|in\s+(?:the\s+|our\s+)?(?:team|post|role)))|"
    r"accommodated|remanded|excluded|reported\s+missing|went\s+missing|exploited|groomed|"
    r"trafficked|taken\s+into\s+care|looked\s+after|in\s+care)\b"
)
_CHILD_EVENT = re.compile(
    # After an age in apposition the helper verb may be dropped: "Jovan, 13, exploited".
    # or with no age at all, for what happens only to a child ("(Ionela, placed in June)").
    rf"^{_SURNAME}[\"']?\s*(?:\(\s*\d{{1,2}}\s*\)|,\s*\d{{1,2}}\s*,)\s*{_PASSIVE_EVENT}|"
    rf"^{_SURNAME}[\"']?\s*,\s*(?:{_CHILD_ONLY_EVENT})|"
    # A dash may stand for the verb in a list: "outstanding: Tariq - refused twice".
    rf"^{_SURNAME}[\"']?(?:\s*\([^)]{{0,40}}\)|\s*,\s*\d{{1,2}}\s*,)?(?:,|\s+-)?\s+{_HELPERS}"
    # Done by the child: no helper verb needed ("Precious returned from missing").
    r"(?:disclosed|made\s+(?:a\s+|an\s+)?(?:disclosure|allegation)|alleged|"
    r"went\s+missing|gone\s+missing|go(?:es)?\s+missing|ran\s+away|run\s+away|absconded|"
    r"missing\s+(?:again|since|from|overnight|for)|"
    r"returned\s+(?:home\s+)?(?:from|after)\s+(?:missing|a\s+missing|being\s+missing)|"
    r"self[\s-]?harm\w*|overdosed|came\s+into\s+care|entered\s+care|"
    r"(?:is\s+|was\s+)?pregnant|been\s+seen|told\s+(?:the\s+|her\s+|his\s+|their\s+|a\s+)?"
    r"(?:iro|sw|social\s+worker|teachers?|school|police|school\s+nurse|nurse|dsl|"
    r"youth\s+worker|foster\s+carers?|carers?|mum|dad|staff|gp|hv|advocate|key\s*worker)|"
    # On or off a risk list or register ("taken off the CSE list", "added to the MACE list").
    r"(?:removed|taken|came|stepped\s+down|added|put|placed)\s+(?:off|from|on|to|onto)\s+"
    r"(?:the\s+|a\s+)?[\w\s-]{0,20}?(?:risk|cse|cce|missing|mace|cp|child\s+protection|watch|"
    r"vulnerab\w*)[\w\s-]{0,12}?(?:list|register|plan)s?\b(?!\s+(?:distribution|template|"
    r"format|review|meeting|membership|circulation|process|criteria|form|training|audit|"
    r"of|list|register|plan|group))|"
    # Turning down what is offered to a child ("refused the RHI again", "declined twice").
    r"(?:declined|refused)\s+(?:twice|again|x\s?\d|\d\s+times|(?:the|an?|his|her|their)\s+"
    r"(?:rhi|return|interview|medical|iha|rha|health\s+assessment|assessment|support|"
    r"referral|appointment)\b(?!\s+(?:tool|licen[cs]e|form|template|training|data|audit|"
    r"framework|pilot|contract)))|"
    # Done to the child: only after was/were/is/been ("was arrested", not "Sexting reported").
    rf"(?:was|were|been|being|got|is|are)\s+(?:(?:again|also|later|then|now)\s+)?"
    rf"{_PASSIVE_EVENT})\b",
    re.I,
)
# A name under discussion with a professional: "spoke to DSL re ellie-mae", "call with
# the SW about Kai". The role belongs to whoever was spoken to, not to the name.
_DISCUSSED_BEFORE = re.compile(
    rf"\b(?:spoke|speak|spoken|talked|discussed|discussion|call(?:ed)?|met|meeting|"
    rf"email(?:ed)?|contacted|chased|consulted|advice|liaised|strategy)\b[^.;!?\n]{{0,30}}?"
    rf"\b(?:{_ROLE}s?|{_KIN})\b[^.;!?\n]{{0,15}}?"
    r"\b(?:re|regarding|concerning|about|ref|in\s+respect\s+of)\s*:?\s*$"
    # A note that opens on its topic: "re: Tobias - DSL says ...".
    r"|(?:^|\n)[\s\W]*(?:update\s+)?(?:re|regarding|concerning)\s*:\s*$",
    re.I,
)
# "Discussed Ayaan with the HV": the name is the topic, the professional the other party.
_DISCUSSED_WITH = re.compile(
    r"\b(?:discussed|raised|escalated|talked\s+about|spoke\s+about)\s+$", re.I
)
_WITH_PROFESSIONAL_AFTER = re.compile(
    rf"^{_SURNAME}\s+(?:with|to)\s+(?:the\s+|her\s+|his\s+|their\s+|a\s+)?(?:{_ROLE}s?|{_KIN})\b",
    re.I,
)
# The name ends the topic, or is followed by what is happening to them; not "re Padlet
# training", where it names a thing.
_DISCUSSED_END = re.compile(
    r"^(?:\s+[A-Z][A-Za-z'-]+)?(?:\s*(?:[,;:.!?()-]|$)|\s+(?:and|who|is|was|has|had|have|"
    r"being|going|in|at|on|aged?|now|again|not|after|since)\b)"
)
# ...nor a colleague whose work is the topic: "spoke to the Chair re Hannah joining".
_STAFF_TOPIC_AFTER = re.compile(
    rf"^{_SURNAME}\s+(?:joining|attending|taking\s+over|covering|replacing|leaving|starting|"
    r"chairing|presenting|as\s+(?:the\s+|our\s+|a\s+)?(?:new\s+|interim\s+)?\w+)\b",
    re.I,
)
# Not a person after "re": "re Sarah's paper", "re Amanda Jones (Named Nurse)".
_DOCUMENT_AFTER = re.compile(
    r"'s\s+(?:paper|report|email|e-mail|message|request|query|note|slides|presentation|"
    r"draft|comments?|feedback|role|post|team|service|leave|absence|cover|diary)\b",
    re.I,
)

# Object slots. A child met, seen or worked with alongside their own family or worker:
# "visited Tariq and his nan", "sat down with Bea and her foster carer". A member of
# staff is met with a team or a manager, not with "her mum" or "his social worker".
_CONTACT_BEFORE = re.compile(
    r"\b(?:met|meet|meets|meeting|visited|visit|visiting|saw|see|seeing|seen|"
    r"(?:spoke|speak|speaking|spoken|talked|talking|sat\s+down|caught\s+up|checked\s+in|"
    r"follow(?:ed|ing)?\s+up|catch(?:ing)?\s+up|check(?:ing)?\s+in)"
    r"\s+(?:to|with)|work(?:ed|ing|s)?\s+with|interviewed|supported|supporting|"
    # "placed Kit with her nan": a child moved to live with their own family.
    r"placed|moved|accommodated)\s+"
    r"(?:with\s+)?$",
    re.I,
)
_WITH_OWN_PEOPLE_AFTER = re.compile(
    rf"^{_SURNAME}\s*(?:,|and|&|\+|with)\s*(?:his|her|their)\s+(?:(?:new|older|younger|"
    rf"little|big|foster|birth)\s+)?(?:{_KIN}|social\s+worker|sw|key\s*worker|iro|"
    r"advocate|personal\s+adviser|family|families|siblings?|foster\s+carers?)\b",
    re.I,
)
# Evidence taken from a child: "a statement from Dara", "ABE interview with Kit".
# A statement only when it is taken ("a statement from Emma on the restructure" is a
# colleague's), and an ABE interview always.
_EVIDENCE_FROM_BEFORE = re.compile(
    r"\b(?:(?:took|take|takes|taking|taken|obtained|got|record(?:ed)?)\s+(?:a\s+|an\s+|the\s+|"
    r"her\s+|his\s+)?(?:(?:witness|written|video|first)\s+)?(?:statements?|account)|"
    r"(?:statements?|account)\s+(?:was\s+|were\s+)?(?:taken|obtained|recorded)|"
    r"abe(?:\s+interview)?|achieving\s+best\s+evidence(?:\s+interview)?|"
    r"video(?:ed)?\s+interview)\s+(?:from|by|with)\s+$",
    re.I,
)
# The subject of case work: "the referral on Bea", "S47 to proceed for Kit", "the case of
# Dara Quinn", "outstanding RHI for Tariq".
_CASE_OBJECT_BEFORE = re.compile(
    r"\b(?:referrals?|re-?referrals?|s\.?\s?47s?|section\s+47|icpc|rcpc|"
    r"strateg(?:y|ies)(?:\s+(?:discussion|meeting)s?)?|(?:cp|child\s+protection)\s+conference|"
    r"cp\s+plans?|cin\s+plans?|child\s+protection\s+plans?|chronology|assessments?|case|"
    r"rhis?|return\s+(?:home\s+)?interviews?|nrm|mace|safety\s+plans?|placements?|ehcp|"
    r"ehas?|early\s+help\s+assessments?|core\s+group|lac\s+review|cla\s+review)\b"
    # Between them only what is happening to the case work ("S47 to proceed for"), never a
    # thing made of it ("S47 training for Emma", "case study for Martin").
    r"(?:\s+(?:to\s+proceed|agreed|held|outstanding|done|completed?|needed|requested|opened|"
    r"made|received|initiated|convened|booked|started|closed|ended|proceeding|now|still|is|"
    r"was|has\s+been|have\s+been|being|in\s+place|arranged|underway|sent|submitted|accepted|"
    r"screened(?:\s+in)?|progressed|escalated|raised|planned|continuing|came\s+in|"
    r"going\s+ahead)){0,3}\s+(?:on|for|re|of|about|regarding|concerning|in\s+respect\s+of)\s+$",
    re.I,
)
# Such a slot holds one person: the name and at most a surname, then no more capitals
# ("referral for Liberty Protection Safeguards training" names a scheme), nor a
# colleague's team or move ("referrals for Kirsty in MASH", "the case of Emma moving").
_COLLEAGUE_AFTER = re.compile(
    r"^(?:\s+[A-Z][A-Za-z'-]+(?![A-Za-z'-]))?\s+(?:(?:in|at|from|of|with)\s+(?:the\s+)?"
    r"(?:[A-Z]{2,}|[A-Z][a-z]+\s+(?:team|service|police|council))|by\s+the\b|moving|"
    r"who\s+(?:is|leads|chairs|manages|runs)|and\s+(?:her|his|their)\s+(?:team|colleagues))"
)
_OBJECT_END = re.compile(
    # A bracket after it may say which child ("(the one from ...)"), not what a body is.
    r"^(?:\s+[A-Z][A-Za-z'-]+(?![A-Za-z'-]))?"
    r"(?:\s*\(\s*(?:the|who|aged?|now|yr|year)\b|(?!\s+[A-Z])(?!\s*\())"
)

# Family slots, read on the whole note.
_FAMILY_NOUN = (
    r"(?:family|families|children|kids|household|siblings|boys|girls|twins|brothers|sisters|"
    r"sibling\s+group|clan)"
)
# "the Khan children", "the Begum family" (not "the Dudley family hub").
_NOT_FAMILY_AFTER = (
    r"(?!'s|\s+(?i:services?|hubs?|centres?|centers?|partnership|courts?|support|first|help|"
    r"group|conferences?|workers?|teams?|practitioners?|programmes?|network|forum|board|"
    r"trust|strategy|plan|policy|officers?|social\s+work|and\s+young|act|panel|reports?|"
    r"reviews?|commissioners?|bill|charter|pathway|project|fund|foundation|charity|day|week|"
    r"practice|surgery|business|shop|firm|solicitors|ltd)\b)"
)
_THE_X_FAMILY = re.compile(
    rf"\b(?i:the)\s+(?P<s>[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)*)\s+(?i:{_FAMILY_NOUN})\b"
    + _NOT_FAMILY_AFTER
)
# Without "the", only a listed surname that is not also an ordinary word ("Begum
# siblings", not "Young children" or "White families").
_X_FAMILY = re.compile(
    r"\b(?P<s>[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)*)\s+(?i:children|kids|siblings|twins|"
    r"brothers|sisters|sibling\s+group|family|families|household)\b" + _NOT_FAMILY_AFTER
)
# "The Walshes have moved again", "the Hussains (flat above the shop)".
_THE_XS = re.compile(
    r"\b(?i:the)\s+(?P<s>[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)*?)(?P<pl>es|s)\b"
    r"(?=\s*(?:\(|,|-\s|:|(?i:have|has|had|are|were|moved|live|lived|living|who|own|rent|"
    r"refused|declined|failed|disengaged|did|didn't|do|don't)\b))"
)
# Explicit de-anonymisation: "(real name Riley Smith)", "Child D is Dylan Price".
_REAL_NAME = re.compile(
    r"\b(?i:real|actual|true|full|birth|legal|proper)\s+(?i:name)s?\s*(?:(?i:is|was|being)\s+)?"
    r"[:=-]?\s*(?P<n>[A-Z][A-Za-z'-]+)"
)
_LABEL_IS = re.compile(
    r"\b(?i:child|baby|family|sibling|young\s+person|yp|mother|mum|father|dad|subject)\s+"
    r"[A-Z]\d?(?:'s)?\s+(?:(?i:is|was|=|aka|a\.k\.a\.|being|is\s+actually|is\s+in\s+fact)\s+)"
    r"(?P<n>[A-Z][A-Za-z'-]+)"
)


# "Child E (Emre)": only a listed given name, since reviews are also labelled by place
# ("Child Q (Hackney)").
_LABEL_BRACKET = re.compile(
    r"\b(?i:child|baby|family|sibling|young\s+person|yp)\s+[A-Z]\d?\s*\(\s*"
    r"(?P<n>[A-Z][A-Za-z'-]+)(?:\s+(?P<s>[A-Z][A-Za-z'-]+))?\s*\)"
)


def _person_word(word: str) -> bool:
    """A capitalised word that can only be a person's name here: a given name or surname
    from the lists, or a word that is neither ordinary English nor a listed place."""
    low = word.lower()
    if given_names().get(low) is not None or low in surnames():
        return word[0].isupper()
    return _unknown_name(word)


# Names that are also faiths or peoples: "the Christian families in the parish".
_NOT_FAMILY_NAMES = frozenset({"christian", "roma", "traveller", "gypsy", "irish", "polish"})


def _family_findings(text: str) -> set[Finding]:
    found: set[Finding] = set()
    for m in _THE_X_FAMILY.finditer(text):
        if _person_word(m.group("s")) and m.group("s").lower() not in _NOT_FAMILY_NAMES:
            found.add(Finding(NAMED_FAMILY))
    for m in _X_FAMILY.finditer(text):
        if _named_surname(m.group("s")):
            found.add(Finding(NAMED_FAMILY))
    for m in _THE_XS.finditer(text):
        stem, plural = m.group("s"), m.group("s") + m.group("pl")
        stems = [stem] + ([stem + "e"] if m.group("pl") == "es" else [])
        if m.group("pl") == "es":
            stems.append(stem + "e")
        # A surname made plural ("the Walshes") is rare as a word; a plural noun
        # ("the Trustees have agreed") is not.
        if any(s.lower() in surnames() for s in stems) or (
            _unknown_name(plural) and any(_unknown_name(s) for s in stems)
        ):
            found.add(Finding(NAMED_FAMILY))
    for m in (*_REAL_NAME.finditer(text), *_LABEL_IS.finditer(text)):
        if _person_word(m.group("n")):
            found.add(Finding(NAMED_CHILD))
    for m in _LABEL_BRACKET.finditer(text):
        surname = m.group("s")
        if given_names().get(m.group("n").lower()) not in (None, LABEL) and (
            surname is None or _person_word(surname)
        ):
            found.add(Finding(NAMED_CHILD))
    return found


_AGE_AFTER_UNKNOWN = re.compile(rf"^{_SURNAME}\s*(?:[,(-]\s*)?(?:{_AGE_EXPLICIT})", re.I)
_PLACE_BEFORE = re.compile(
    r"\b(?:at|in|to|from|for|near|across|via|around|of|into|within|covering|visited|towards|"
    r"outside|throughout|including|between)\s+$",
    re.I,
)


def _name_findings(text: str) -> list[Finding]:
    findings: set[Finding] = _family_findings(text)
    for m in _WORD.finditer(text):
        word = m.group()
        tier = _name_tier(word)

        def add(finding: Finding, word: str = word) -> None:
            # An unknown word in a person slot: now ask whether it is an ordinary word.
            base = word[:-2] if word.endswith("'s") else word
            if _name_tier(word) is not None or _unknown_name(word) or _named_surname(base):
                findings.add(finding)

        possessive_end = m.end() - 2 if word.endswith("'s") else m.end()
        if tier is None:
            base = word[:-2] if word.endswith("'s") else word
            if (
                word.endswith("'s")
                and base.lower() in given_names()
                and _POSSESSIVE_KIN.match(text, m.end())
            ):
                findings.add(Finding(NAMED_CHILD))  # "joy's mum": a word-name in lower case
                continue
            if not _unknown_shape(word):
                continue
            tier = UNKNOWN  # the word-frequency lookup waits until a slot is found
            if _PLACE_BEFORE.search(
                text[max(0, m.start() - 12) : m.start()]
            ) and not _EVIDENCE_FROM_BEFORE.search(text[max(0, m.start() - 60) : m.start()]):
                continue  # "training at Stourside (Year 9)": a place, not a person
        if _PUBLIC_CASE.match(text, m.start()):
            continue  # "the case of Victoria Climbie": a national review, taught in training
        if _INSTITUTION_AFTER.match(text, possessive_end):
            continue  # "Sarah's Law", "Hope House", "Grace Academy"
        before = text[max(0, m.start() - 60) : m.start()]
        after = text[m.end() : m.end() + 90]
        kin_before = _KIN_BEFORE.search(before[-40:])
        if kin_before:
            kin = kin_before.group().lower()
            child = re.match(
                r"\s*(?:child|children|yp|cyp|young|son|daughter|brother|sister|sibling|twin|"
                r"boy|girl|baby|babies|unborn|infant|toddler|newborn|teen|pupil|student|"
                r"step-?son|step-?daughter|grandson|granddaughter|niece|nephew|little|kid)",
                kin,
            )
            add(Finding(NAMED_CHILD if child else NAMED_FAMILY))
            continue
        strong_age = (
            # An unknown word needs an age that says so ("Mihai, aged 9"): "Tadcaster, 12,
            # Selby, 9" is a count by town.
            (_AGE_AFTER_STRONG if tier != UNKNOWN else _AGE_AFTER_UNKNOWN).match(after)
            or _AGE_BEFORE.search(before)
            or _POSSESSION_AFTER.match(text, possessive_end)
            or (
                _POSSESSED_HARM.match(text, possessive_end)
                and (_CHILD_HARM_CONTEXT.search(text) or not _ADULT_HARM_CONTEXT.search(text))
            )
        )
        bracket = _AGE_AFTER_BRACKET.match(after)
        if strong_age or (
            bracket
            and (
                tier not in (LABEL, UNKNOWN, CLOSE)
                # A word-name ("Storm (3)") with a bare "(n)" may be a count, unless what
                # follows in the sentence is about a small child's family or care.
                or (tier == CLOSE and _YOUNG_CHILD_AFTER.match(after, bracket.end()))
            )
        ):
            add(Finding(NAMED_CHILD))
            continue
        discussed_with = (
            not word.endswith("'s")
            and _DISCUSSED_WITH.search(before)
            and _WITH_PROFESSIONAL_AFTER.match(after)
        )
        discussed = (
            tier != LABEL  # "spoke to the chair re May": a month
            and (
                (_DISCUSSED_BEFORE.search(before) and _DISCUSSED_END.match(after))
                or discussed_with
            )
            and not _DOCUMENT_AFTER.match(text, possessive_end)
            and not _STAFF_TOPIC_AFTER.match(after)
        )
        if _ROLE_AFTER.match(after) or (not discussed and _ROLE_BEFORE.search(before[-40:])):
            continue  # a professional: "Sarah Jones, Designated Nurse"
        if discussed:
            add(Finding(NAMED_CHILD))
            continue
        object_slot = (
            (_CONTACT_BEFORE.search(before) and _WITH_OWN_PEOPLE_AFTER.match(after))
            or (
                (_EVIDENCE_FROM_BEFORE.search(before) or _CASE_OBJECT_BEFORE.search(before))
                and not word.endswith("'s")  # "the referral on Sarah's desk"
                and _OBJECT_END.match(after)
                and not _COLLEAGUE_AFTER.match(after)
            )
        )
        if (
            tier != LABEL
            and object_slot
            and not _DOCUMENT_AFTER.match(text, possessive_end)
            and not _STAFF_TOPIC_AFTER.match(after)
            and not _STAFF_ACTION_AFTER.match(after)
        ):
            add(Finding(NAMED_CHILD))
            continue
        if (tier != LABEL and _DESCRIPTOR_AFTER.match(after)) or (
            _CHILD_EVENT.match(after) and not _STAFF_ACTION_AFTER.match(after)
        ):
            add(Finding(NAMED_CHILD))
            continue
        if tier in (UNKNOWN, CLOSE):
            continue  # the looser cues below are for names from the list only
        school = _SCHOOL_AFTER.match(after)
        if _AND_OWN_KIN_AFTER.match(after):
            add(Finding(NAMED_CHILD))  # "Siobhan and her mum met the IRO"
        elif _KIN_AFTER.match(after) or (
            _AND_OWN_CHILD_AFTER.match(after) and _CASE_WORK.search(text)
        ):
            add(Finding(NAMED_FAMILY))
        elif (school and not _STAFF_VERB.match(after, school.end())) or (
            _CASE_AFTER.match(after) and not _STAFF_ACTION_AFTER.match(after)
        ):
            add(Finding(NAMED_CHILD))
        elif _TRIMMED_SURNAME.match(after):
            add(Finding(NAMED_CHILD, certain=False))
    if _INITIALS_AGE.search(text) or _initials_in_child_context(text):
        findings.add(Finding(NAMED_CHILD))
    else:
        for m in _INITIALS_BRACKET.finditer(text):
            # "KM (15) disclosed at school": a child's initials, told by what happened to them.
            told = _CASE_AFTER.match(text[m.end() : m.end() + 90]) or _KIN_BEFORE.search(
                text[max(0, m.start() - 40) : m.start()]
            )
            findings.add(Finding(NAMED_CHILD, certain=told is not None))
    return sorted(findings, key=lambda f: (KINDS.index(f.kind), not f.certain))


# "initials K.M.", "initials: JT", "initials M.O'C." in a note about a child (a year group,
# a school, a child word); or dotted initials beside a school year ("A.B., Year 9").
_INITIALS_WORD = re.compile(
    r"\binitials?\b\s*(?:(?:are|were|is|of)\s+)?[:=-]?\s*"
    r"(?P<i>[A-Z](?:\.\s?|\s)?(?:[A-Z]'?){1,3}\.?)(?![a-z])"
)
_DOTTED_INITIALS = r"(?<![A-Za-z.])[A-Z]\.\s?(?:[A-Z]'?)?[A-Z]\.(?:\s?[A-Z]\.)?"
_INITIALS_YEAR = re.compile(
    rf"{_DOTTED_INITIALS}[^.;!?\n]{{0,30}}?{_SCHOOL_YEAR}"
    rf"|{_SCHOOL_YEAR}[^;!?\n]{{0,40}}?{_DOTTED_INITIALS}",
    re.I,
)
_CHILD_CONTEXT = re.compile(
    rf"\b(?:{_KIN}|{_CHILD_DESCRIPTOR}|{_SCHOOL_WORD})\b|{_SCHOOL_YEAR}",
    re.I,
)


def _initials_in_child_context(text: str) -> bool:
    for m in _INITIALS_WORD.finditer(text):
        if sum(c.isupper() for c in m.group("i")) >= 2 and _CHILD_CONTEXT.search(text):
            return True
    for m in _INITIALS_YEAR.finditer(text):
        # "Year 9 lead J.T.", "A.B. (Year 11 tutor)": a member of staff.
        if not re.search(
            rf"\b{_ROLE}s?\b", m.group() + text[m.end() : m.end() + 25], re.I
        ) and not _STAFF_ACTION_AFTER.match(text[m.end() :]):
            return True
    return False


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
