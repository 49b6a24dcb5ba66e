"""Loading plan files: validation that points at the problem, safe re-runs, edits in place."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from seed.loader import SeedError, load_all, parse_plan
from store.models import Action, ActionSubgroup, AuditEvent, ProgressUpdate
from store.queries import action_views, find_board, plan_counts
from tests.conftest import add_update

MINI = Path(__file__).parent.parent / "data" / "plans" / "mini.toml"


@pytest.fixture
def plans_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "plans"
    folder.mkdir()
    shutil.copy(MINI, folder / "mini.toml")
    return folder


def edit(folder: Path, old: str, new: str) -> None:
    path = folder / "mini.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def views_by_ref(engine: Engine) -> dict[str, object]:
    with Session(engine) as s:
        return {v.ref: v for v in action_views(s, find_board(s, "TSCB"))}


def test_load_counts_and_fields(engine: Engine, plans_dir: Path) -> None:
    [result] = load_all(engine, plans_dir)
    assert (result.board, result.priorities, result.workstreams, result.actions) == (
        "TSCB",
        1,
        2,
        3,
    )
    views = views_by_ref(engine)
    toolkit = views["1.1a"]
    assert toolkit.lead == "IFPG/MEG"
    assert toolkit.subgroups == ("MEG",)
    assert toolkit.due == date(2021, 3, 31)
    assert toolkit.priority == "Keeping every child safe"
    assert toolkit.outcomes == "Children who are neglected are identified more quickly"
    # an alias in the file resolves to the canonical sub-group
    assert views["1.1b"].subgroups == ("Training Sub-Committee",)
    assert views["A1"].kind == "assurance" and views["A1"].priority is None


def test_second_load_changes_nothing(engine: Engine, plans_dir: Path) -> None:
    load_all(engine, plans_dir)
    with Session(engine) as s:
        ids = {a.ref: a.id for a in s.exec(select(Action))}
        audits = len(s.exec(select(AuditEvent)).all())
    [again] = load_all(engine, plans_dir)
    assert not again.changed
    with Session(engine) as s:
        assert {a.ref: a.id for a in s.exec(select(Action))} == ids
        assert len(s.exec(select(AuditEvent)).all()) == audits


def test_edit_updates_in_place_and_keeps_progress(engine: Engine, plans_dir: Path) -> None:
    load_all(engine, plans_dir)
    add_update(engine, "1.1a", rag="amber", note="drafted")
    with Session(engine) as s:
        toolkit_id = s.exec(select(Action).where(Action.ref == "1.1a")).one().id

    edit(plans_dir, 'text = "Toolkit"', 'text = "Neglect toolkit"')
    edit(plans_dir, "due = 2021-03-31", "due = 2021-02-28")
    edit(plans_dir, 'subgroups = ["MEG"]', 'subgroups = ["MEG", "Training Sub-Committee"]')
    [result] = load_all(engine, plans_dir)
    assert result.changes["updated"] >= 1 and result.changes["added"] == 0

    view = views_by_ref(engine)["1.1a"]
    assert view.text == "Neglect toolkit"
    assert view.due == date(2021, 2, 28)
    assert view.subgroups == ("MEG", "Training Sub-Committee")
    assert view.status == "amber"  # progress history survived the re-seed
    with Session(engine) as s:
        assert s.exec(select(Action).where(Action.ref == "1.1a")).one().id == toolkit_id
        assert len(s.exec(select(ProgressUpdate)).all()) == 1


def test_dropped_action_is_archived_not_deleted(engine: Engine, plans_dir: Path) -> None:
    load_all(engine, plans_dir)
    add_update(engine, "1.1b", rag="red")
    text = (plans_dir / "mini.toml").read_text()
    start = text.index('[[actions]]\nref = "1.1b"')
    end = text.index("[[actions]]", start + 1)
    (plans_dir / "mini.toml").write_text(text[:start] + text[end:])

    [result] = load_all(engine, plans_dir)
    assert result.changes["archived"] == 1
    assert "1.1b" not in views_by_ref(engine)
    with Session(engine) as s:
        archived = s.exec(select(Action).where(Action.ref == "1.1b")).one()
        assert archived.archived_at is not None
        assert s.exec(select(ProgressUpdate).where(ProgressUpdate.action_id == archived.id)).all()
        assert plan_counts(s, archived.board_id) == (1, 2, 2)

    (plans_dir / "mini.toml").write_text(text)
    [restored] = load_all(engine, plans_dir)
    assert restored.changes["restored"] == 1
    assert views_by_ref(engine)["1.1b"].status == "red"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("due = 2020-06-30", 'due = "30.6.20"', "actions[1] (ref 1.1b), field 'due'"),
        ('workstream = "A"', 'workstream = "Z"', "actions[2] (ref A1): field 'workstream'"),
        (
            'ref = "A1"',
            'ref = "1.1a"',
            "actions[2] (ref 1.1a): field 'ref': this ref is used twice",
        ),
        ('kind = "assurance"', 'kind = "assurence"', "actions[2] (ref A1), field 'kind'"),
        ('subgroups = ["MEG"]', 'subgroups = ["QAP"]', "'QAP' is not in [[subgroups]]"),
        ('text = "Toolkit"', 'txt = "Toolkit"', "actions[0] (ref 1.1a), field 'txt'"),
        ('priority = "1"', 'priority = "9"', "workstreams[0] (ref 1.1): field 'priority'"),
        ('shape = "objectives"', 'shape = "grid"', "board, field 'shape'"),
        ("[board]", "[board", "not valid TOML"),
    ],
)
def test_invalid_file_names_file_entry_and_field(
    plans_dir: Path, old: str, new: str, expected: str
) -> None:
    edit(plans_dir, old, new)
    with pytest.raises(SeedError) as err:
        parse_plan(plans_dir / "mini.toml")
    assert "mini.toml" in str(err.value)
    assert expected in str(err.value)


def test_one_invalid_file_writes_nothing(engine: Engine, plans_dir: Path) -> None:
    (plans_dir / "broken.toml").write_text(
        (plans_dir / "mini.toml")
        .read_text()
        .replace('code = "TSCB"', 'code = "BROKEN"')
        .replace("due = 2020-06-30", 'due = "June"')
    )
    with pytest.raises(SeedError, match="broken.toml"):
        load_all(engine, plans_dir)
    with Session(engine) as s:
        assert s.exec(select(Action)).all() == []


def test_two_files_for_one_board_are_refused(engine: Engine, plans_dir: Path) -> None:
    shutil.copy(plans_dir / "mini.toml", plans_dir / "mini-copy.toml")
    with pytest.raises(SeedError, match="also used by"):
        load_all(engine, plans_dir)


def test_links_follow_the_file(engine: Engine, plans_dir: Path) -> None:
    load_all(engine, plans_dir)
    edit(plans_dir, 'subgroups = ["MEG"]', "subgroups = []")
    [result] = load_all(engine, plans_dir)
    assert result.changed
    with Session(engine) as s:
        toolkit = s.exec(select(Action).where(Action.ref == "1.1a")).one()
        assert not s.exec(
            select(ActionSubgroup).where(col(ActionSubgroup.action_id) == toolkit.id)
        ).all()
