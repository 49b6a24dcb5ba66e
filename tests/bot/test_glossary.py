"""The glossary, checked against the five plans and the README."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.glossary import PLAN_NAMES, SYNONYMS, canonicalise

ROOT = Path(__file__).resolve().parents[2]
PLANS = sorted((ROOT / "seed" / "plans").glob("*.toml"))
ACRONYM = re.compile(r"(?<![A-Za-z&])[A-Z][A-Z0-9&]{1,6}(?![A-Za-z&])")
REF = re.compile(r"^[A-Z]\d+$")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def plan_acronyms() -> dict[str, set[str]]:
    """Each acronym the plans use (plural 's' dropped), with the plans that use it."""
    found: dict[str, set[str]] = {}
    for path in PLANS:
        plan = tomllib.loads(path.read_text(encoding="utf-8"))
        words = {w.upper() for text in _strings(plan) for w in re.findall(r"[A-Za-z]+", text)
                 if not w.isupper()}  # fmt: skip
        for text in _strings(plan):
            for raw in re.findall(r"(?<![A-Za-z&])[A-Z][A-Z0-9&]{1,6}s?(?![A-Za-z&])", text):
                term = raw[:-1] if raw.endswith("s") and raw[:-1].isupper() else raw
                if REF.match(term) or term in words:  # a ref, or a word written in capitals
                    continue
                found.setdefault(term, set()).add(path.stem)
    return found


KNOWN = {phrase.upper() for phrases in SYNONYMS.values() for phrase in phrases}
CODES = {tomllib.loads(p.read_text(encoding="utf-8"))["board"]["code"] for p in PLANS}


def test_every_acronym_in_the_plans_is_classified() -> None:
    """A plan's acronym is either in the glossary or one of the plans' own names."""
    unclassified = {
        term: sorted(plans)
        for term, plans in plan_acronyms().items()
        if term not in KNOWN and term not in PLAN_NAMES and term not in CODES
    }
    assert not unclassified, f"add these to bot/glossary.py SYNONYMS or PLAN_NAMES: {unclassified}"


@pytest.mark.parametrize("token", sorted(SYNONYMS))
def test_every_spelling_reaches_its_token(token: str) -> None:
    for phrase in SYNONYMS[token]:
        assert canonicalise(f"update on {phrase} please").split()[2] == token, phrase


def test_the_readme_lists_the_glossary() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Glossary", 1)[1].split("\n## ", 1)[0]
    for token, phrases in SYNONYMS.items():
        row = next((line for line in section.splitlines() if line.startswith(f"| `{token}` |")), "")
        assert row, f"README's glossary has no row for {token}"
        assert all(p in row for p in phrases), (token, row)
