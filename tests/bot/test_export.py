"""`export`: what a board manager needs for the quarterly report, in a CSV Excel reads right."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.export import export_board
from store.models import Action
from tests.conftest import add_update


def _csv_rows(engine: Engine) -> tuple[str, list[dict[str, str]]]:
    with Session(engine) as s:
        text = export_board(s, "TSCB", "csv")
    return text, list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_export_carries_latest_note_percent_original_date_and_retargets(mini: Engine) -> None:
    add_update(engine=mini, ref="1.1a", rag="amber", note="Toolkit drafted", percent=40)
    add_update(
        mini, "1.1a", new_due=date(2021, 6, 30), retarget_reason="pathway delayed", percent=55
    )
    add_update(mini, "1.1a", new_due=date(2021, 9, 30), retarget_reason="consultation")
    _, rows = _csv_rows(mini)
    toolkit = next(r for r in rows if r["ref"] == "1.1a")
    assert toolkit["due"] == "2021-09-30"
    assert toolkit["original_due"] == "2021-03-31"
    assert toolkit["retargets"] == "2"
    assert toolkit["percent"] == "55"
    assert toolkit["last_note"] == "Toolkit drafted"
    assert toolkit["status"] == "amber"
    untouched = next(r for r in rows if r["ref"] == "1.1b")
    assert (untouched["retargets"], untouched["percent"], untouched["last_note"]) == ("0", "", "")
    assert untouched["due"] == untouched["original_due"] == "2020-06-30"


def test_csv_starts_with_a_bom_and_keeps_every_character(mini: Engine) -> None:
    with Session(mini) as s:
        action = s.exec(select(Action).where(Action.ref == "1.1b")).one()
        action.text = "Deliver “Working Together” training – Wrexham & Ynys Môn"
        s.add(action)
        s.commit()
    text, rows = _csv_rows(mini)
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert next(r for r in rows if r["ref"] == "1.1b")["text"] == (
        "Deliver “Working Together” training – Wrexham & Ynys Môn"
    )
    # ISO dates: 2020-06-30 cannot be read as 6 February the way 06/02 can
    assert all(r["due"] in ("", "2021-03-31", "2020-06-30") for r in rows)


def test_json_lists_the_new_fields(mini: Engine) -> None:
    with Session(mini) as s:
        doc = json.loads(export_board(s, "Testshire", "json"))
    for name in ("original_due", "retargets", "percent", "last_note", "priority", "workstream"):
        assert name in doc["fields"]
        assert all(name in record for record in doc["actions"])
