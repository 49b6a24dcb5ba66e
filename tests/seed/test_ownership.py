"""A board is owned by one source: another file using its code or name is refused, not merged."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from seed.loader import SeedError, load_all
from store.models import Action
from store.queries import find_board, plan_counts

STAFFORDSHIRE = """
[board]
code = "{code}"
name = "Staffordshire Safeguarding Children Board"
short_name = "Staffordshire SCB"
aliases = {aliases}
period = "2019/20"
period_start = 2019-04-01
period_end = 2020-03-31
source = "staffordshire-2019-20.txt"
shape = "objectives"

[[priorities]]
ref = "1"
title = "Neglect"

[[workstreams]]
ref = "1.1"
priority = "1"
title = "Neglect strategy"

[[actions]]
ref = "1.1a"
workstream = "1.1"
text = "Launch the neglect strategy"
"""


def _folder(tmp_path: Path, code: str = "SSCB", aliases: str = "[]") -> Path:
    folder = tmp_path / "more-plans"
    folder.mkdir(parents=True)
    (folder / "staffordshire-2019-20.toml").write_text(
        STAFFORDSHIRE.format(code=code, aliases=aliases)
    )
    return folder


def _shropshire(engine: Engine) -> tuple[str, tuple[int, int, int]]:
    with Session(engine) as s:
        board = find_board(s, "SSCB")
        assert board.id is not None
        return board.short_name, plan_counts(s, board.id)


def test_a_second_board_using_a_taken_code_is_refused_and_changes_nothing(
    seeded: Engine, tmp_path: Path
) -> None:
    before = _shropshire(seeded)
    assert before == ("Shropshire SCB", (3, 15, 39))
    with pytest.raises(SeedError) as err:
        load_all(seeded, _folder(tmp_path))
    message = str(err.value)
    assert "Shropshire SCB" in message and "shropshire-2016-18.toml" in message
    assert "staffordshire-2019-20.toml" in message and "--replace" in message
    assert _shropshire(seeded) == before
    with Session(seeded) as s:
        assert not s.exec(select(Action).where(col(Action.archived_at).is_not(None))).all()


def test_replace_hands_the_code_to_the_new_file(seeded: Engine, tmp_path: Path) -> None:
    load_all(seeded, _folder(tmp_path), replace=True)
    assert _shropshire(seeded) == ("Staffordshire SCB", (1, 1, 1))
    # and from now on the new file owns it: seeding it again needs no --replace
    [again] = load_all(seeded, tmp_path / "more-plans")
    assert not again.changed


def test_an_alias_that_is_another_boards_name_is_refused(seeded: Engine, tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="'SSCB'.*Shropshire SCB"):
        load_all(seeded, _folder(tmp_path, code="STSCB", aliases='["SSCB"]'))
    with pytest.raises(SeedError, match="Shropshire SCB"):
        load_all(seeded, _folder(tmp_path / "b", code="STSCB", aliases='["Shropshire SCB"]'))
    with Session(seeded) as s:
        launched = select(Action).where(Action.text == "Launch the neglect strategy")
        assert s.exec(launched).all() == []


def test_a_board_with_its_own_code_and_names_loads_beside_the_others(
    seeded: Engine, tmp_path: Path
) -> None:
    [result] = load_all(seeded, _folder(tmp_path, code="STSCB", aliases='["Staffordshire"]'))
    assert result.board == "STSCB" and result.actions == 1
    assert _shropshire(seeded)[1] == (3, 15, 39)
