"""Plans as files through Bolt: /lscb export and /lscb report upload to the asker's DM; a plan
shared in the DM is checked, then imported only when an admin presses Apply."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy import Engine
from sqlmodel import Session

from bot.export import export_board
from bot.report import make_report, render
from store.queries import find_board
from tests.conftest import (
    ADMIN_ID,
    BOT_TOKEN,
    add_update,
    button_click,
    command_request,
    event_request,
    interaction_request,
)
from tests.fake_slack import FakeSlack

MEMBER = "U0MEMBER1"


def lscb_via_slack(app: App, fake: FakeSlack, user: str, text: str, name: str) -> dict[str, Any]:
    """`user` types `/lscb TEXT`; the ephemeral answer's arguments."""
    app.dispatch(command_request("/lscb", text, user_id=user, response_url=fake.response_url(name)))
    return fake.wait_for(name)[0].args


def exported(engine: Engine) -> str:
    with Session(engine) as s:
        return export_board(s, "TSCB", "csv")


def share_in_dm(
    app: App, fake: FakeSlack, user: str, name: str, content: bytes, text: str = "import"
) -> dict[str, Any]:
    """`user` drops a file into the bot's DM with `text`; the bot's answer there."""
    file = fake.share_file(name, content, user=user)
    before = len(fake.calls_to("chat.postMessage"))
    event = {
        "type": "message",
        "subtype": "file_share",
        "channel": "D" + user[1:],
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": f"1700000000.{uuid.uuid4().int % 10**6:06d}",
        "files": [file],
    }
    app.dispatch(event_request(event))
    return fake.wait_for("chat.postMessage", before + 1)[before].args


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        e["text"]["text"]: e
        for block in message.get("blocks") or []
        for e in block.get("elements", [])
        if e.get("type") == "button"
    }


def click(app: App, fake: FakeSlack, user: str, button: dict[str, Any], name: str) -> str:
    """`user` presses `button` in their DM; the text that replaces the message."""
    payload = button_click(user, button, fake.response_url(name), channel="D" + user[1:])
    app.dispatch(interaction_request(payload))
    reply = fake.wait_for(name)[0].args
    assert reply.get("replace_original") is True  # the buttons go with the preview
    return str(reply["text"])


# -- export ------------------------------------------------------------------------------------


def test_export_uploads_the_plan_to_the_askers_dm_and_it_reimports_identically(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    before = exported(mini)
    told = lscb_via_slack(mini_app, fake_slack, MEMBER, "export", "e1")
    assert told["response_type"] == "ephemeral"
    assert told["text"].startswith("*Testshire SCB*'s plan as a spreadsheet: 3 actions")
    assert "I've sent you the file in our direct messages." in told["text"]
    [upload] = fake_slack.uploaded()
    assert upload["channel"] == "D" + MEMBER[1:]  # the asker's DM, not the channel
    assert upload["name"].endswith(".csv")
    assert upload["content"] == before.encode("utf-8")  # byte for byte, BOM included

    # An admin sends that very file back: the dry run changes nothing yet.
    preview = share_in_dm(mini_app, fake_slack, ADMIN_ID, upload["name"], upload["content"])
    assert "would add 0," in preview["text"] and "archive 0" in preview["text"]
    assert set(buttons(preview)) == {"Apply", "Cancel"}
    download = fake_slack.calls_to("download")[-1]
    assert download.headers["auth"] == f"Bearer {BOT_TOKEN}"  # url_private needs the bot token

    done = click(mini_app, fake_slack, ADMIN_ID, buttons(preview)["Apply"], "apply")
    assert done.startswith("Imported TSCB (Testshire SCB)")
    assert "added 0," in done and "archived 0" in done
    assert exported(mini) == before


def test_export_says_when_slack_refuses_the_upload(
    mini_app: App, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.fail_methods["files.completeUploadExternal"] = "not_allowed_token_type"
    with caplog.at_level(logging.INFO):
        told = lscb_via_slack(mini_app, fake_slack, MEMBER, "export", "e1")
    assert "I couldn't send you the file: Slack said `not_allowed_token_type`" in told["text"]
    assert "I've sent you" not in told["text"]
    assert fake_slack.uploaded() == []
    assert "Toolkit" not in caplog.text  # the plan's text is not logged, only the failure
    assert "not_allowed_token_type" in caplog.text


# -- report ------------------------------------------------------------------------------------


def test_report_uploads_the_quarters_report_and_summarises_it(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    add_update(mini, "1.1a", rag="red", note="behind", created_at=datetime(2020, 11, 2, tzinfo=UTC))
    add_update(mini, "1.1b", rag="green", created_at=datetime(2020, 12, 1, tzinfo=UTC))
    told = lscb_via_slack(mini_app, fake_slack, MEMBER, "report 2020Q3 xlsx", "r1")
    with Session(mini) as s:
        report = make_report(s, find_board(s, "TSCB"), quarter="2020Q3")
    upload, chart = fake_slack.uploaded()  # the report, and its chart as a picture
    assert upload["name"].endswith(".xlsx")
    assert upload["content"] == render(report, "xlsx")
    assert chart["name"].endswith("-chart.png") and chart["content"].startswith(b"\x89PNG")
    shown = " ".join(b["text"]["text"] for b in told["blocks"] if b["type"] == "section")
    assert "*Q3 2020-21* progress report for *Testshire SCB*" in shown
    # 1.1a red, 1.1b overdue since June, A1 never updated: counts per priority in words.
    assert [line.ref for line in report.exceptions()] == ["1.1a", "1.1b", "A1"]
    assert "3 to look at first" in shown
    assert "*Keeping every child safe*: 1 red, 1 green" in shown
    assert "nobody has locked this quarter" in str(told["blocks"])


def test_report_offers_the_locked_record_unchanged_by_later_updates(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    add_update(mini, "1.1a", rag="amber", created_at=datetime(2020, 11, 2, tzinfo=UTC))
    with Session(mini) as s:
        locked = render(make_report(s, find_board(s, "TSCB"), quarter="2020Q3", lock=True), "pdf")
    add_update(mini, "1.1a", rag="red", created_at=datetime(2020, 12, 30, tzinfo=UTC))
    told = lscb_via_slack(mini_app, fake_slack, MEMBER, "report 2020Q3", "r1")
    upload, _chart = fake_slack.uploaded()
    assert upload["name"].endswith(".pdf") and upload["content"] == locked
    assert "locked record of Q3 2020-21" in str(told["blocks"])
    assert "1 amber" in str(told["blocks"]) and "red" not in str(told["blocks"][1])
    # Another quarter's report points to the locked one.
    other = lscb_via_slack(mini_app, fake_slack, MEMBER, "report 2020Q4", "r2")
    assert "`/lscb report 2020Q3`" in str(other["blocks"])


def test_report_with_a_bad_quarter_explains_and_uploads_nothing(
    mini_app: App, fake_slack: FakeSlack
) -> None:
    told = lscb_via_slack(mini_app, fake_slack, MEMBER, "report 2020Q7", "r1")
    assert told["text"].startswith("Usage: `/lscb report [quarter] [pdf|xlsx]`")
    told = lscb_via_slack(mini_app, fake_slack, MEMBER, "report 2030Q1", "r2")
    assert "outside Testshire SCB's plan" in told["text"]
    assert "`/lscb report 2020Q4`" in told["text"]
    assert fake_slack.uploaded() == []


# -- import ------------------------------------------------------------------------------------

EDITED = (
    b"Ref,Action,Lead / responsible,Target date,RAG,Progress\n"
    b"1.1a,Toolkit,MEG,31/03/2021,amber,Draft toolkit out for comment\n"
    b"1.1b,Deliver a twelve month programme of multi agency training,LSCB Training Officer,"
    b"Q4 2020-21,,\n"
    b"2.1,Audit of neglect cases,MEG,March 2021,,\n"
)


def test_slash_import_tells_an_admin_where_to_send_the_file(
    mini_app: App, fake_slack: FakeSlack
) -> None:
    told = lscb_via_slack(mini_app, fake_slack, ADMIN_ID, "import", "i1")
    assert "send me the CSV or Excel file in a direct message" in told["text"]
    refused = lscb_via_slack(mini_app, fake_slack, MEMBER, "import", "i2")
    assert refused["text"].startswith("Only Testshire SCB's admins can import its plan.")


def test_a_non_admins_file_is_refused_and_never_downloaded(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    before = exported(mini)
    told = share_in_dm(mini_app, fake_slack, MEMBER, "plan.csv", EDITED)
    assert told["text"].startswith("Only Testshire SCB's admins can import its plan.")
    assert not buttons(told)
    assert fake_slack.calls_to("download") == []
    assert exported(mini) == before


def test_an_admins_edited_file_is_previewed_then_applied(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    before = exported(mini)
    preview = share_in_dm(mini_app, fake_slack, ADMIN_ID, "plan.csv", EDITED, text="")
    assert "would add 1, change" in preview["text"] and "archive 1" in preview["text"]
    assert "2.1  Audit of neglect cases" in str(preview["blocks"])
    assert exported(mini) == before  # a dry run writes nothing
    done = click(mini_app, fake_slack, ADMIN_ID, buttons(preview)["Apply"], "apply")
    assert done.startswith("Imported TSCB") and "added 1" in done and "archived 1" in done
    after = exported(mini)
    assert ",2.1,Audit of neglect cases," in after and ",A1," not in after
    assert ",1.1a,Toolkit,MEG,MEG,2021-03-31,,amber," in after  # the file's RAG, as an update


def test_an_invalid_file_lists_every_problem_and_writes_nothing(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    before = exported(mini)
    bad = (
        b"Ref,Action,Target date,RAG\n"
        b"1.1a,Toolkit,31/02/2021,green\n"
        b",Something with no ref,March 2021,\n"
        b"1.1a,A second 1.1a,March 2021,purple\n"
    )
    told = share_in_dm(mini_app, fake_slack, ADMIN_ID, "plan.csv", bad)
    assert told["text"] == "Nothing was imported: plan.csv has 4 problems to fix."
    shown = str(told["blocks"])
    assert "row 2, Target date: '31/02/2021' is not a date" in shown
    assert "row 3, Ref" in shown
    assert "row 4, Ref: '1.1a' is also the ref on row 2" in shown
    assert "row 4, RAG: 'purple' is not a status" in shown
    assert not buttons(told)
    assert exported(mini) == before


def test_apply_refuses_a_file_changed_since_the_preview(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    before = exported(mini)
    preview = share_in_dm(mini_app, fake_slack, ADMIN_ID, "plan.csv", EDITED)
    [file_id] = list(fake_slack.files)
    fake_slack.files[file_id]["content"] = EDITED.replace(b"amber", b"red")
    done = click(mini_app, fake_slack, ADMIN_ID, buttons(preview)["Apply"], "apply")
    assert done.startswith("plan.csv has changed since I checked it")
    assert exported(mini) == before


def test_apply_rechecks_the_admin_and_cancel_saves_nothing(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    before = exported(mini)
    preview = share_in_dm(mini_app, fake_slack, ADMIN_ID, "plan.csv", EDITED)
    apply = buttons(preview)["Apply"]
    # Someone else presses a copy of the button: refused, and the file is not even read.
    downloads = len(fake_slack.calls_to("download"))
    refused = click(mini_app, fake_slack, MEMBER, apply, "other")
    assert refused.startswith("Only Testshire SCB's admins can import its plan.")
    assert len(fake_slack.calls_to("download")) == downloads
    cancelled = click(mini_app, fake_slack, ADMIN_ID, buttons(preview)["Cancel"], "cancel")
    assert cancelled == "Cancelled: nothing was imported from plan.csv."
    assert exported(mini) == before


def test_a_file_slack_wont_hand_over_is_explained(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    fake_slack.fail_methods["files.info"] = "missing_scope"
    told = share_in_dm(mini_app, fake_slack, ADMIN_ID, "plan.csv", EDITED)
    assert told["text"].startswith("I couldn't read plan.csv from Slack (`missing_scope`)")
    assert "`files:read`" in told["text"]


def test_a_file_over_the_limit_is_refused_before_downloading(
    mini_app: App, fake_slack: FakeSlack
) -> None:
    told = share_in_dm(mini_app, fake_slack, ADMIN_ID, "plan.csv", b"x" * (5 * 1024 * 1024 + 10))
    assert told["text"] == "Nothing was imported: plan.csv has 1 problem to fix."
    assert "plan.csv is 5.0 MB; the limit is 5 MB." in str(told["blocks"])
    assert fake_slack.calls_to("download") == []


def test_other_files_and_words_in_the_dm_are_not_imports(
    mini_app: App, fake_slack: FakeSlack
) -> None:
    told = share_in_dm(mini_app, fake_slack, ADMIN_ID, "minutes.pdf", b"%PDF-1.4", text="import")
    assert told["text"] == "Nothing was imported: minutes.pdf has 1 problem to fix."
    assert "not a .csv or .xlsx file" in str(told["blocks"])
    # A picture sent without the word "import" is nobody's import: no reply, no download.
    fake_slack.share_file("photo.png", b"\x89PNG", user=ADMIN_ID)
    event = {
        "type": "message",
        "subtype": "file_share",
        "channel": "D" + ADMIN_ID[1:],
        "channel_type": "im",
        "user": ADMIN_ID,
        "text": "",
        "ts": "1700000000.000900",
        "files": [fake_slack._file_object(list(fake_slack.files)[-1])],
    }
    assert mini_app.dispatch(event_request(event)).status == 200
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert fake_slack.calls_to("download") == []  # neither file was fetched


def test_a_long_list_of_problems_comes_whole_as_a_file(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    before = exported(mini)
    rows = [f"{n}.1,Action {n},{n}/13/2021" for n in range(1, 301)]
    bad = ("Ref,Action,Target date\n" + "\n".join(rows) + "\n").encode()
    told = share_in_dm(mini_app, fake_slack, ADMIN_ID, "big.csv", bad)
    assert told["text"] == (
        "Nothing was imported: big.csv has 300 problems to fix.\n"
        "I've sent you the file in our direct messages."
    )
    sections = [b["text"]["text"] for b in told["blocks"] if b["type"] == "section"]
    assert len(told["blocks"]) <= 50 and all(len(t) <= 3000 for t in sections)
    assert "more in the attached big-problems.txt" in sections[-1]
    [listing] = fake_slack.uploaded()
    lines = listing["content"].decode().splitlines()
    assert len(lines) == 301  # the head and every problem, by row
    assert all(f"row {n + 1}, Target date: '{n}/13/2021'" in lines[n] for n in range(1, 301))
    assert exported(mini) == before


def test_export_typed_in_the_dm_also_sends_the_file(
    mini_app: App, fake_slack: FakeSlack, mini: Engine
) -> None:
    event = {
        "type": "message",
        "channel": "D" + MEMBER[1:],
        "channel_type": "im",
        "user": MEMBER,
        "text": "/lscb export",
        "ts": "1700000000.000500",
    }
    mini_app.dispatch(event_request(event))
    [told] = fake_slack.wait_for("chat.postMessage")
    assert "I've sent you the file in our direct messages." in told.args["text"]
    [upload] = fake_slack.uploaded()
    assert upload["content"] == exported(mini).encode("utf-8")
