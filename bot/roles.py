"""One identity for a lead role across the spellings a plan uses for it.

Plans write the same role several ways: "LSCB Chair", "Chair of LSCB", "Safeguarding Children
Board Chair"; "WDSCB Business Manager" and "LSCB Business Manager". A role's key is the set of
its meaningful words, with every way of naming the board itself read as "board", so those
spellings share one key and a person who holds one holds them all. Spellings no rule can
tell are one role ("CDOP Chair", "Chair of CD sub-committee") are declared in the plan file
as `role_aliases`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.search import stem

_BOARD_NAMES = re.compile(
    r"\b(?:local safeguarding children(?:'s)? board|safeguarding children(?:'s)? board|"
    r"safeguarding children(?:'s)? partnership|safeguarding partnership|lscb|[a-z]{0,4}scb|"
    r"the board|board)\b"
)
_SKIP = frozenset("of the and for a an to & - / in on".split())


@lru_cache(maxsize=16_384)
def role_key(name: str) -> frozenset[str]:
    """The words that identify a role, whatever order and board name the plan wrote it with."""
    text = _BOARD_NAMES.sub(" board ", name.casefold().replace("’", "'"))
    words = re.findall(r"[a-z0-9]+", text)
    return frozenset(stem(w) for w in words if w not in _SKIP)


#: A plan's declared groups of spellings of one role (`role_aliases` in the plan file).
Aliases = tuple[tuple[str, ...], ...]


@lru_cache(maxsize=16_384)
def role_identity(name: str, aliases: Aliases = ()) -> frozenset[str]:
    """The key of `name`'s role, after the plan's own aliases: the first spelling's key."""
    key = role_key(name)
    for group in aliases:
        keys = [role_key(spelling) for spelling in group]
        if key in keys:
            return keys[0]
    return key


def same_role(a: str, b: str, aliases: Aliases = ()) -> bool:
    """True when `a` and `b` name one role ("LSCB Chair", "Chair of LSCB")."""
    key = role_identity(a, aliases)
    return bool(key) and key == role_identity(b, aliases)


def board_aliases(role_aliases: list[list[str]] | None) -> Aliases:
    """A board's `role_aliases` column in the hashable form the functions above take."""
    return tuple(tuple(group) for group in role_aliases or ())
