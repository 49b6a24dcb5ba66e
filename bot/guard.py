"""The data-protection guard: progress notes must not carry child-identifiable data.

The bot tracks plans, never cases. Before a note is saved it is checked here; a note that
looks like it holds an NHS number, a full UK postcode, a date of birth or a named child is
refused. Findings name the *kind* of data only: the matched text is never returned, so it
cannot be echoed to Slack or written to a log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NHS_NUMBER = "an NHS number"
POSTCODE = "a full postcode"
DATE_OF_BIRTH = "a date of birth"
NAMED_CHILD = "a child's name"

REFUSAL = (
    "I haven't saved that update: the note looks like it contains {kinds}. The plan tracker "
    "holds progress on the plan, never case details. Please take out anything that could "
    "identify a child or family and try again."
)

_NHS = re.compile(r"(?<![\d])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])")
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|"
    r"(?:[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}|[A-PR-UWYZ][0-9][A-HJKPSTUW]|"
    r"[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]) ?[0-9][ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = (
    rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}\.?\s+\d{{4}}|{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
_DOB_WORDS = re.compile(r"\b(?:d\.?\s?o\.?\s?b\.?|date\s+of\s+birth|birth\s?date|birthday)\b", re.I)
_BORN = re.compile(rf"\bborn\b(?:\s+\w+){{0,2}}?\s+(?:on\s+|in\s+)?{_DATE}", re.I)
_AGE = r"(?:aged?\s+\d{1,2}\b|\d{1,2}\s*(?:yrs?|years?)(?:\s*old)?\b|\d{1,2}\s*y/?o\b|\(\d{1,2}\))"
_DATE_NEAR_AGE = re.compile(rf"{_DATE}.{{0,40}}?{_AGE}|{_AGE}.{{0,40}}?{_DATE}", re.I | re.S)

_CHILD_WORDS = (
    r"(?:child|girl|boy|son|daughter|baby|infant|toddler|pupil|student|sibling|brother|sister|"
    r"young\s+person|yp|teenager|teen|stepson|stepdaughter|niece|nephew|grandson|granddaughter)"
)
_NAME = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?"
_NAMED_CHILD = re.compile(
    rf"\b{_CHILD_WORDS}\s*,?\s+(?:called|named|known\s+as|is)\s+{_NAME}\b"
    rf"|\b{_CHILD_WORDS}\s+{_NAME}\s+{_NAME}\b"
    rf"|\b{_NAME}(?:\s+{_NAME})?\s*(?:,\s*|\s+)(?:aged?\s+\d{{1,2}}|\(\d{{1,2}}\)|\d{{1,2}}\s*(?:yrs?|years?\s+old|y/?o))",
)
# Capitalised words that start sentences or name roles, not children.
_NOT_NAMES = frozenset(
    "The This That These Those A An And But Or Child Children Young People Board Group "
    "Sub Panel Team Officer Manager Chair Police Health School Schools Audit Training Review "
    "Strategy Toolkit Pathway Plan Report Priority Action Case Cases Serious Learning "
    "Neglect Exploitation Abuse Safeguarding Local Authority Partnership Agency Agencies "
    "Meeting Meetings Update Updates Children's Service Services Social Care Early Help "
    "Court Court's Family Families Parents Carers Partners Police's NHS CCG LA LSCB".split()
)


@dataclass(frozen=True)
class Finding:
    """One kind of identifiable data found (never the text itself)."""

    kind: str


def nhs_number_valid(digits: str) -> bool:
    """True when `digits` (10 digits) passes the NHS number's modulus-11 check."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def check_note(note: str) -> list[Finding]:
    """The kinds of child-identifiable data `note` seems to hold; empty when it is clean."""
    kinds: list[str] = []
    if any(nhs_number_valid("".join(m.groups())) for m in _NHS.finditer(note)):
        kinds.append(NHS_NUMBER)
    if _POSTCODE.search(note):
        kinds.append(POSTCODE)
    if _DOB_WORDS.search(note) or _BORN.search(note) or _DATE_NEAR_AGE.search(note):
        kinds.append(DATE_OF_BIRTH)
    if _named_child(note):
        kinds.append(NAMED_CHILD)
    return [Finding(kind) for kind in kinds]


def _named_child(note: str) -> bool:
    for match in _NAMED_CHILD.finditer(note):
        names = re.findall(_NAME, match.group(0))
        if any(name not in _NOT_NAMES for name in names):
            return True
    return False


def refusal_message(findings: list[Finding]) -> str:
    """The message shown when a note is refused: what kind of data, never the data."""
    kinds = [f.kind for f in findings]
    listed = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
    return REFUSAL.format(kinds=listed)
