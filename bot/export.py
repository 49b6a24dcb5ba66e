"""`python -m bot export`: a board's plan as JSON or CSV, one record per action."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlmodel import Session

from bot.clock import today_london
from store.queries import RECORD_FIELDS, ActionView, action_views, find_board

#: What `export` adds to the shared record: enough to rebuild the board's report by hand.
EXTRA_FIELDS = ("original_due", "retargets", "percent", "last_note", "leads")
#: The export's columns, in order (the import reads the same names back).
EXPORT_FIELDS = (*RECORD_FIELDS, *EXTRA_FIELDS)
#: Excel only reads a CSV file as UTF-8 when it starts with a byte-order mark.
BOM = "\ufeff"


def export_record(view: ActionView) -> dict[str, Any]:
    """One action as an export record: the shared record plus the progress columns."""
    return view.record() | {
        "original_due": view.original_due.isoformat() if view.original_due else None,
        "retargets": view.retargets,
        "percent": view.percent,
        "last_note": view.last_note,
        # the lead split into roles, so an import gives the same people the same actions
        "leads": "; ".join(view.leads),
    }


def export_board(session: Session, board_name: str, fmt: str) -> str:
    """The board's actions in `fmt` ('json' or 'csv'); raises UnknownBoard."""
    board = find_board(session, board_name)
    records = [export_record(view) for view in action_views(session, board)]
    if fmt == "json":
        doc = {
            "board": {"code": board.code, "name": board.name, "period": board.period},
            "exported_on": today_london().isoformat(),
            "fields": list(EXPORT_FIELDS),
            "actions": records,
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return BOM + records_csv(records)
    raise ValueError(f"unknown export format {fmt!r}: use json or csv")


def records_csv(records: list[dict[str, Any]]) -> str:
    """Export records as CSV text (no BOM); dates stay ISO, which no reader can misread."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(EXPORT_FIELDS), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(records)
    return buf.getvalue()
