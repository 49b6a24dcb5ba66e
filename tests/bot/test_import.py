"""`import`: a plan from a spreadsheet, as a business manager edits one in Excel.

Export → edit (columns reordered, headings reworded, UK dates, RAG and progress filled) →
import under a new code must give a board that answers questions like the seeded one;
every problem in a bad file is listed by row and column and nothing is written.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, col, select

from bot.conversation import respond
from bot.export import export_board
from bot.importer import InvalidFile, import_file, parse_date, split_leads
from seed.loader import SeedError
from store.models import Action, AuditEvent, ProgressUpdate
from store.queries import action_views, find_board

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seed"

# How a business manager renames export's headings (all synonyms the issue names).
EXCEL_HEADINGS = {
    "ref": "Ref",
    "text": "Action",
    "lead": "Lead / responsible",
    "subgroup": "Sub-group",
    "due": "Target date",
    "status": "RAG",
    "last_note": "Progress",
    "priority": "Strategic priority",
    "workstream": "Work stream",
}


def exported_rows(engine: Engine, board: str) -> list[dict[str, str]]:
    with Session(engine) as s:
        text = export_board(s, board, "csv")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def uk(iso: str) -> str:
    """2019-03-31 → 31/03/2019, as Excel shows a date in a UK locale."""
    return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else ""


def as_excel_edits(rows: list[dict[str, str]]) -> tuple[list[str], list[list[str]]]:
    """The rows as a manager's sheet: fewer columns, reworded, reordered, dates in UK style."""
    keep = ["text", "ref", "due", "lead", "status", "subgroup", "last_note"]
    keep += ["priority_ref", "priority", "workstream_ref", "workstream", "kind", "due_text"]
    keep += ["outcomes", "kpis", "leads"]
    headings = [EXCEL_HEADINGS.get(k, k) for k in keep]
    body = [[uk(r[k]) if k == "due" else r.get(k, "") for k in keep] for r in rows]
    return headings, body


def write_csv(path: Path, headings: list[str], rows: list[list[Any]]) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headings)
    writer.writerows(rows)
    path.write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))
    return path


def write_xlsx(path: Path, headings: list[str], rows: list[list[Any]], title: str = "") -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.append([title])
        sheet.append([])
    sheet.append(headings)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def table_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        return {
            t.name: s.exec(select(func.count()).select_from(t)).one()
            for t in SQLModel.metadata.sorted_tables
        }


def answers(engine: Engine, board: str, question: str) -> list[tuple[str, str]]:
    reply, _ = respond(
        engine, user_id="U1", text=question, board_name=board, today=date(2018, 11, 1)
    )
    return sorted((v.ref, v.text) for v in reply.actions)


# -- round trip ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["WSCB", "WDSCB", "HSCB"])
def test_exported_plan_edited_in_excel_imports_as_an_equal_board(
    seeded: Engine, tmp_path: Path, code: str
) -> None:
    headings, body = as_excel_edits(exported_rows(seeded, code))
    path = write_csv(tmp_path / "plan.csv", headings, body)
    preview = import_file(seeded, path, "COPY", name="Copy Safeguarding Children Board")
    assert preview.result.actions == len(body)

    def plan(board: str) -> list[tuple[Any, ...]]:
        with Session(seeded) as s:
            return [
                (
                    v.ref,
                    v.text,
                    v.lead,
                    v.leads,
                    v.subgroups,
                    v.due,
                    v.status,
                    v.priority,
                    v.workstream_ref,
                    v.workstream,
                    v.kind,
                    v.due_text,
                )
                for v in action_views(s, find_board(s, board))
            ]

    assert plan("COPY") == plan(code)
    for question in (
        "overview",
        "what's overdue",
        "status of training",
        "who leads neglect",
        "what's due this month",
        "CSE",
    ):
        assert answers(seeded, "COPY", question) == answers(seeded, code, question), question


def test_xlsx_with_a_title_row_real_dates_and_a_flat_list(engine: Engine, tmp_path: Path) -> None:
    rows = [
        [
            "1.1",
            "Refresh the neglect strategy",
            date(2012, 3, 30),  # a real date cell
            "Business Manager",
            "Amber",
            "Drafted",
            0.4,
        ],
        ["1.1a", "Consult partners on the strategy", "March 2012", "Chair", "green", "", "50%"],
        ["1.1b", "Launch the strategy", "Q3 2011-12", "Chair", "", "", ""],
        ["2", "Annual report", "Annually", "Business Manager", "", "", ""],
    ]
    path = write_xlsx(
        tmp_path / "plan.xlsx",
        ["Ref", "Action", "Timescale", "Responsible", "RAG status", "Progress", "% complete"],
        rows,
        title="Testshire LSCB business plan 2011/12",
    )
    import_file(engine, path, "tlscb", name="Testshire LSCB")
    with Session(engine) as s:
        board = find_board(s, "TLSCB")
        views = {v.ref: v for v in action_views(s, board)}
        assert (board.period_start, board.period_end) == (date(2011, 4, 1), date(2012, 3, 31))
    assert list(views) == ["1.1", "1.1a", "1.1b", "2"]
    assert views["1.1"].due == date(2012, 3, 30) and views["1.1"].due_text is None
    assert (views["1.1"].status, views["1.1"].percent, views["1.1"].last_note) == (
        "amber",
        40,
        "Drafted",
    )
    assert (views["1.1a"].due, views["1.1a"].due_text) == (date(2012, 3, 31), "March 2012")
    assert (views["1.1a"].status, views["1.1a"].percent) == ("green", 50)
    assert views["1.1b"].due == date(2011, 12, 31)
    assert (views["2"].due, views["2"].due_text, views["2"].status) == (
        None,
        "Annually",
        "no update",
    )
    assert {v.priority for v in views.values()} == {None}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30.3.12", date(2012, 3, 30)),
        ("30/03/2012", date(2012, 3, 30)),
        ("2012-03-30", date(2012, 3, 30)),
        ("March 2012", date(2012, 3, 31)),
        ("Feb 2016", date(2016, 2, 29)),
        ("Mar-12", date(2012, 3, 31)),
        ("Q3 2017-18", date(2017, 12, 31)),
        ("Q3 2017", date(2017, 12, 31)),
        ("Q4 2017/18", date(2018, 3, 31)),
        ("Q1 2017", date(2017, 6, 30)),
        ("end of March", date(2018, 3, 31)),
        ("End of September", date(2017, 9, 30)),
        ("Ongoing", None),
        ("TBC", None),
        ("Annually", None),
        ("", None),
    ],
)
def test_dates_as_boards_write_them(text: str, expected: date | None) -> None:
    assert parse_date(text, date(2017, 4, 1)) == expected


@pytest.mark.parametrize(
    "text", ["31/02/2018", "13/13/2012", "2012-02-30", "March 20122", "Q5 2017"]
)
def test_impossible_dates_are_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text, date(2017, 4, 1))


def test_leads_split_on_joins_but_not_inside_brackets() -> None:
    assert split_leads("IFPG/MEG") == ["IFPG", "MEG"]
    assert split_leads("LSCB Chair and WDSCB Business Manager") == [
        "LSCB Chair",
        "WDSCB Business Manager",
    ]
    assert split_leads("Safeguarding Partners (Police, CCGs and LA)") == [
        "Safeguarding Partners (Police, CCGs and LA)"
    ]


# -- bad files -------------------------------------------------------------------------------


def test_every_problem_is_listed_by_row_and_column_and_nothing_is_written(
    mini: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        ["Ref", "Action", "Target date", "RAG", "% complete"],
        [
            ["1", "Good row", "30/03/2018", "green", "10"],
            ["2", "Bad day", "31/02/2018", "amber", ""],
            ["1", "Duplicate ref", "", "", ""],
            ["", "No ref", "", "purple", "150"],
            ["4", "", "sometime in 2019", "", ""],
        ],
    )
    before = table_counts(mini)
    with pytest.raises(InvalidFile) as err:
        import_file(mini, path, "NEW")
    assert err.value.problems == [
        "row 3, Target date: '31/02/2018' is not a date (write it as 30/03/2012, March 2012, "
        "Q3 2017-18, end of March, or words such as Ongoing)",
        "row 4, Ref: '1' is also the ref on row 2",
        "row 5, Ref: every action needs a ref, such as 1.2a",
        "row 5, RAG: 'purple' is not a status (use red, amber, green or complete)",
        "row 5, % complete: '150' is not a percentage (a whole number from 0 to 100)",
        "row 6, Action: the action's wording is empty",
        "row 6, Target date: 'sometime in 2019' is not a date (write it as 30/03/2012, "
        "March 2012, Q3 2017-18, end of March, or words such as Ongoing)",
    ]
    assert table_counts(mini) == before


def test_missing_columns_are_named(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cols.csv", ["Action", "Lead"], [["Do a thing", "Chair"]])
    with pytest.raises(InvalidFile) as err:
        import_file(engine, path, "NEW")
    assert err.value.problems == [
        "There is no ref column (a heading such as 'Ref' or 'Reference' or 'Ref No')."
    ]


def test_empty_and_oversized_files_are_refused_plainly(engine: Engine, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InvalidFile, match="empty.csv has no actions in it"):
        import_file(engine, empty, "NEW")
    headings_only = write_csv(tmp_path / "headings.csv", ["Ref", "Action"], [])
    with pytest.raises(InvalidFile, match="has no actions in it"):
        import_file(engine, headings_only, "NEW")
    big = tmp_path / "big.csv"
    line = b"1,An action with a long description that goes on and on and on,Chair\n"
    big.write_bytes(b"Ref,Action,Lead\n" + line * (5 * 1024 * 1024 // len(line) + 1))
    with pytest.raises(InvalidFile, match=r"big.csv is 5\.0 MB; the limit is 5 MB"):
        import_file(engine, big, "NEW")
    assert table_counts(engine)["board"] == 0


def test_a_note_with_identifiable_data_is_refused_without_echoing_it(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        ["Ref", "Action", "Progress"],
        [["1", "Audit", "Seen child, NHS 943 476 5919"]],
    )
    with pytest.raises(InvalidFile) as err:
        import_file(engine, path, "NEW")
    assert err.value.problems == [
        "row 2, Progress: the note looks like it holds an NHS number; plans must not carry "
        "child-identifiable data"
    ]
    assert "943" not in str(err.value)


@pytest.mark.parametrize("code", ["WSCB", "DSCB", "HSCB", "WDSCB", "SSCB"])
def test_an_unedited_export_imports_back_with_no_changes(
    seeded: Engine, tmp_path: Path, code: str
) -> None:
    """Export, then import the same file: nothing to change, work streams' outcomes kept."""
    path = tmp_path / f"{code}.csv"
    with Session(seeded) as s:
        path.write_text(export_board(s, code, "csv"), encoding="utf-8-sig")
        before = [(v.ref, v.outcomes, v.kpis) for v in action_views(s, find_board(s, code))]
    preview = import_file(seeded, path, code, dry_run=True, replace=True)
    changed = preview.result.details.get("changed", {})
    assert not {k: v for k, v in changed.items() if not k.startswith("board ")}, changed
    import_file(seeded, path, code, replace=True)
    with Session(seeded) as s:
        after = [(v.ref, v.outcomes, v.kpis) for v in action_views(s, find_board(s, code))]
    assert after == before


def test_a_code_owned_by_a_seed_file_is_refused_unless_replace(
    seeded: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "sscb.csv", ["Ref", "Action"], [["1", "Staffordshire action"]])
    with pytest.raises(SeedError, match="Shropshire SCB.*shropshire-2016-18.toml.*sscb.csv"):
        import_file(seeded, path, "SSCB")
    with pytest.raises(SeedError, match="'Shropshire SCB'"):
        import_file(seeded, path, "STSCB", name="Shropshire SCB")
    with Session(seeded) as s:
        assert len(action_views(s, find_board(s, "SSCB"))) == 39
    import_file(seeded, path, "SSCB", name="Staffordshire SCB", replace=True)
    with Session(seeded) as s:
        assert [v.text for v in action_views(s, find_board(s, "SSCB"))] == ["Staffordshire action"]


# -- re-import -------------------------------------------------------------------------------


def test_reimport_updates_in_place_retargets_archives_and_audits_fields(
    mini: Engine, tmp_path: Path
) -> None:
    first = write_csv(
        tmp_path / "plan.csv",
        ["Ref", "Action", "Target date", "Lead", "RAG", "Progress"],
        [
            ["1", "Neglect toolkit", "31/03/2021", "MEG", "amber", "Drafted"],
            ["2", "Training programme", "30/06/2020", "Training Officer", "", ""],
            ["3", "Audit", "", "MEG", "", ""],
        ],
    )
    import_file(mini, first, "NEW", name="New Board")
    with Session(mini) as s:
        ids = {a.ref: a.id for a in s.exec(select(Action).where(Action.ref.in_(["1", "2"])))}
        first_updates = s.exec(select(ProgressUpdate)).all()
        import_audit = s.exec(select(AuditEvent).where(AuditEvent.event == "action.progress")).one()
    assert [(u.author_slack_user_id, u.rag, u.note) for u in first_updates] == [
        ("import", "amber", "Drafted")
    ]
    assert import_audit.actor == "import" and import_audit.after["imported"] is True

    # The same file again changes nothing and records no second update.
    again = import_file(mini, first, "NEW")
    assert not again.result.changed and again.result.updates == 0

    edited = write_csv(
        tmp_path / "plan.csv",
        ["Ref", "Action", "Target date", "Lead", "RAG", "Progress"],
        [
            ["1", "Neglect toolkit", "30/06/2021", "MEG", "amber", "Drafted"],
            ["2", "Multi-agency training programme", "30/06/2020", "Training Officer", "", ""],
            ["4", "New action", "Ongoing", "Chair", "", ""],
        ],
    )
    before = table_counts(mini)
    dry = import_file(mini, edited, "NEW", dry_run=True)
    assert table_counts(mini) == before
    summary = "\n".join(dry.lines())
    assert "would add 1, change 1, archive 1" in summary
    assert "add      4  New action" in summary
    assert "change   2: text" in summary
    assert "re-target 1 to 2021-06-30 (plan revised)" in summary
    assert "archive  3  Audit" in summary

    import_file(mini, edited, "NEW")
    with Session(mini) as s:
        views = {v.ref: v for v in action_views(s, find_board(s, "NEW"))}
        assert {
            a.ref: a.id for a in s.exec(select(Action).where(Action.ref.in_(["1", "2"])))
        } == ids
        archived = s.exec(select(Action).where(Action.ref == "3")).one()
        retarget = s.exec(
            select(ProgressUpdate).where(col(ProgressUpdate.new_due).is_not(None))
        ).one()
        loads = s.exec(
            select(AuditEvent)
            .where(AuditEvent.event == "plan.imported")
            .order_by(col(AuditEvent.id))
        ).all()
    assert archived.archived_at is not None and "3" not in views
    assert (views["1"].due, views["1"].original_due, views["1"].retargets) == (
        date(2021, 6, 30),
        date(2021, 3, 31),
        1,
    )
    assert retarget.retarget_reason == "plan revised"
    assert views["2"].text == "Multi-agency training programme"
    assert loads[-1].after["changed"] == {
        "action 2": {"text": ["Training programme", "Multi-agency training programme"]}
    }
    assert loads[-1].after["archived"] == ["action 3"]


def test_export_edit_import_round_trips_progress_onto_the_same_board(
    mini: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "p.csv", ["Ref", "Action", "Target date"], [["1", "Toolkit", "March 2021"]]
    )
    import_file(mini, path, "NEW")
    rows = exported_rows(mini, "NEW")
    rows[0]["status"], rows[0]["last_note"], rows[0]["percent"] = "red", "Stalled", "10"
    fields = list(rows[0])
    out = write_csv(tmp_path / "export.csv", fields, [[r[f] for f in fields] for r in rows])
    import_file(mini, out, "NEW")
    import_file(mini, out, "NEW")  # twice: the second finds nothing new
    with Session(mini) as s:
        [view] = action_views(s, find_board(s, "NEW"))
        assert (view.status, view.last_note, view.percent) == ("red", "Stalled", 10)
        assert len(s.exec(select(ProgressUpdate)).all()) == 1


def test_templates_import_cleanly(engine: Engine) -> None:
    for name in ("template.csv", "template.xlsx"):
        preview = import_file(engine, SEED / name, "TEMPLATE", dry_run=True)
        assert preview.result.actions >= 5, name
        assert table_counts(engine)["board"] == 0


# -- command line ----------------------------------------------------------------------------


def test_cli_import_reports_problems_with_exit_2_and_dry_run_saves_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "SEED_SAMPLE_PLANS": "false"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=ROOT,
            env=env,
            text=True,
            capture_output=True,
            timeout=120,
        )

    bad = write_csv(
        tmp_path / "bad.csv", ["Ref", "Action", "Target date"], [["1", "A", "31/02/2018"]]
    )
    result = run("import", str(bad), "--board", "NEW")
    assert result.returncode == 2
    assert "row 2, Target date: '31/02/2018' is not a date" in result.stderr
    assert "Traceback" not in result.stderr

    good = write_csv(
        tmp_path / "good.csv", ["Ref", "Action", "Target date"], [["1", "A", "31/03/2018"]]
    )
    dry = run("import", str(good), "--board", "NEW", "--dry-run")
    assert dry.returncode == 0 and "would add 1" in dry.stdout
    assert run("export", "--board", "NEW").returncode == 2  # still no such board
    done = run("import", str(good), "--board", "NEW", "--name", "New Safeguarding Partnership")
    assert done.returncode == 0 and "added 1" in done.stdout
    assert '"ref": "1"' in run("export", "--board", "new").stdout
