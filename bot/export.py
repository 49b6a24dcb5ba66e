"""`python -m bot export`: a board's plan as JSON or CSV, one record per action."""

from __future__ import annotations

import csv
import io
import json

from sqlmodel import Session

from bot.clock import today_london
from store.queries import RECORD_FIELDS, action_views, find_board


def export_board(session: Session, board_name: str, fmt: str) -> str:
    """The board's actions in `fmt` ('json' or 'csv'); raises UnknownBoard."""
    board = find_board(session, board_name)
    records = [view.record() for view in action_views(session, board)]
    if fmt == "json":
        doc = {
            "board": {"code": board.code, "name": board.name, "period": board.period},
            "exported_on": today_london().isoformat(),
            "fields": list(RECORD_FIELDS),
            "actions": records,
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(RECORD_FIELDS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        return buf.getvalue()
    raise ValueError(f"unknown export format {fmt!r}: use json or csv")
